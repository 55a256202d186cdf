/**
 * A complete registry for end-to-end tests: dynalite (behind the transaction proxy), s3rver, the
 * EventBridge fake, the real app served by `serveHttp`, and helpers for MLflow-shaped calls.
 */
import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { type AppLogger, type HttpApp, silentLogger } from '../../../../src/core/runtime/http-app';
import { type HttpServerHandle, serveHttp } from '../../../../src/core/runtime/node-http';
import type { RegistryConfigSchema } from '../../../../src/model-registry/registry-config';
import { ARTIFACT_KEY_PREFIX } from '../../../../src/model-registry/runtime/artifacts';
import { EventBridgePublisher, type EventPublisher } from '../../../../src/model-registry/runtime/events';
import { PRINCIPAL_HEADER } from '../../../../src/model-registry/runtime/identity';
import { createRegistryApp } from '../../../../src/model-registry/runtime/registry-app';
import { type EmbeddedS3, startS3 } from '../../../support/embedded-aws';
import { type EventBridgeFake, startEventBridgeFake } from './eventbridge-fake';
import { type TransactionalDynamo, startTransactionalDynamo } from './transactional-dynamo';

export const ACCOUNT = '111122223333';
/** An approver role with a path: assumed-role ARNs do not show it. */
export const APPROVER_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/governance/ModelApprover`;
export const sts = (role: string, session: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`;
export const ALICE = sts('MlEngineer', 'alice'); // creates versions
export const MALLORY = sts('MlEngineer', 'mallory'); // not an approver
export const BOB = sts('ModelApprover', 'bob'); // approver
export const CAROL = sts('ModelApprover', 'carol'); // approver
export const ALICE_AS_APPROVER = sts('ModelApprover', 'alice'); // the creator in the approver role

export const METADATA_TABLE = 'registry-metadata';
export const AUDIT_TABLE = 'registry-audit';
export const ARTIFACT_BUCKET = 'registry-artifacts';

export type ConfigInput = z.input<typeof RegistryConfigSchema>;

export const DEV_CONFIG: ConfigInput = {
  version: 1,
  defaultGates: {
    requiredMetrics: [{ metric: 'auc', min: 0.8 }],
  },
  approverRoleArns: [APPROVER_ROLE_ARN],
  trustPrincipalHeader: true,
};

export interface CallOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string | number | undefined>;
  readonly principal?: string | null;
  readonly headers?: Record<string, string>;
  /** Send the body as-is (string). */
  readonly raw?: string;
}

export interface CallResult<T = any> {
  readonly status: number;
  readonly json: T;
  readonly headers: Headers;
}

export interface RegistryFixture {
  readonly dynamo: TransactionalDynamo;
  readonly s3: EmbeddedS3;
  readonly s3Client: S3Client;
  readonly eventBridge: EventBridgeFake;
  readonly app: HttpApp;
  readonly server: HttpServerHandle;
  readonly basePath: string;
  /** A real HTTP request to the served app; `principal` defaults to ALICE (null: no header). */
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<CallResult<T>>;
  /** Uploads bytes to `artifacts/sha256/<hex>` and returns the hex digest. */
  putArtifact(content: string | Uint8Array): Promise<string>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  readonly config?: ConfigInput;
  readonly basePath?: string;
  readonly now?: () => number;
  readonly logger?: AppLogger;
  readonly events?: (fake: EventBridgeFake) => EventPublisher;
}

export async function startRegistry(options: FixtureOptions = {}): Promise<RegistryFixture> {
  const [dynamo, s3, eventBridge] = await Promise.all([startTransactionalDynamo(), startS3(), startEventBridgeFake()]);
  await Promise.all([dynamo.createRegistryTable(METADATA_TABLE), dynamo.createRegistryTable(AUDIT_TABLE), s3.createBucket(ARTIFACT_BUCKET)]);
  const s3Client = s3.client();
  const app = createRegistryApp({
    dynamo: dynamo.client(),
    s3: s3Client,
    events: options.events ? options.events(eventBridge) : new EventBridgePublisher(eventBridge.client(), 'gaiops-registry-bus'),
    config: options.config ?? DEV_CONFIG,
    metadataTable: METADATA_TABLE,
    auditTable: AUDIT_TABLE,
    artifactBucket: ARTIFACT_BUCKET,
    basePath: options.basePath,
    now: options.now,
    logger: options.logger ?? silentLogger,
    retry: { maxAttempts: 60, baseDelayMs: 10, maxDelayMs: 400 },
  });
  const server = await serveHttp(app, { port: 0 });
  const basePath = options.basePath ?? '';

  return {
    dynamo,
    s3,
    s3Client,
    eventBridge,
    app,
    server,
    basePath,
    async call(method, path, callOptions = {}) {
      const url = new URL(`${server.url}${basePath}${path}`);
      for (const [k, v] of Object.entries(callOptions.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
      const headers: Record<string, string> = { ...callOptions.headers };
      const principal = callOptions.principal === undefined ? ALICE : callOptions.principal;
      if (principal !== null) headers[PRINCIPAL_HEADER] = principal;
      let body: string | undefined = callOptions.raw;
      if (body === undefined && callOptions.body !== undefined) body = JSON.stringify(callOptions.body);
      if (body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
      const res = await fetch(url, { method, headers, body });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async putArtifact(content) {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
      const hex = createHash('sha256').update(bytes).digest('hex');
      await s3Client.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: `${ARTIFACT_KEY_PREFIX}${hex}`, Body: bytes }));
      return hex;
    },
    async close() {
      await server.close();
      await Promise.all([dynamo.close(), s3.close(), eventBridge.close()]);
    },
  };
}

/** A complete, gate-passing lineage for an artifact digest. */
export function goodLineage(artifactDigest: string): Record<string, unknown> {
  return {
    dataset_versions: [{ dataset_version_id: 'dsv-2026-01-15-001', feature_group: 'customer_features', role: 'training' }],
    code_commit: 'a'.repeat(40),
    training_image_digest: `sha256:${'b'.repeat(64)}`,
    hyperparameters: { learning_rate: 0.05, max_depth: 6, objective: 'binary:logistic', early_stopping: true },
    evaluation_metrics: { auc: 0.91, accuracy: 0.88 },
    fairness_metrics: {
      gender: { demographic_parity_difference: -0.03, disparate_impact_ratio: 0.93, equalized_odds_difference: 0.04 },
      age_band: { demographic_parity_difference: 0.05, disparate_impact_ratio: 0.85, equalized_odds_difference: 0.06 },
    },
    model_card: {
      intended_use: 'Rank retail credit applications for manual review.',
      limitations: 'Not validated for business loans.',
      evaluation_data: 'Hold-out sample of 2025 applications (dsv-2026-01-15-002).',
      ethical_considerations: 'Protected attributes are excluded from features; fairness monitored per release.',
    },
    artifact_digest: artifactDigest,
  };
}

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
