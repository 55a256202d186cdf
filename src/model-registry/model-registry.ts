import { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { DynamodbResourcePolicy } from '@cdktf/provider-aws/lib/dynamodb-resource-policy';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { GaiConfigError, GaiError } from '../core/errors';
import { Grant, type IGrantable, type IPrincipal } from '../core/iam/grant';
import { renderPolicy, type PolicyStatement } from '../core/iam/policy-statement';
import { HttpApi, type HttpRoute } from '../core/http-api';
import { LambdaCode } from '../core/lambda-code';
import { protectFromDestroy } from '../core/protection';
import { fitName } from '../core/naming';
import { NodeFunction } from '../core/node-function';
import { PlatformContext } from '../core/platform-context';
import { isToken, parseProps } from '../core/props';
import { SecureBucket } from '../core/secure-bucket';
import { SecureQueue } from '../core/secure-queue';
import { SecureTable } from '../core/secure-table';
import { Lazy } from '../core/tf';
import { MODEL_REGISTRY_ENV, REGISTRY_EVENTS, REGISTRY_TABLE_KEYS, RegistryConfigSchema } from './registry-config';
import { ModelRegistryPropsSchema, type ModelRegistryProps } from './schema';

/**
 * What a route does, which decides the grants that include it:
 * - `read`: reads models, versions, aliases, lineage, governance status, download URIs and the audit log
 *   (`grantRead` and every other grant);
 * - `write`: registers and annotates models and versions, records lineage, and lets a version's creator
 *   withdraw it while it is unaliased, in stage `None` and unreviewed (`grantRegister`);
 * - `deploy`: moves aliases and stages — deployment decisions; the runtime enforces the governance gates on
 *   protected aliases and the `Production` stage (`grantRegister`);
 * - `approve`: records an approval or a rejection (`grantApprove`);
 * - `admin`: renames or deletes models and versions — a rename would move a model out from under its
 *   `modelGates`, a delete removes history (`grantAdmin` only).
 */
export type RegistryRouteKind = 'read' | 'write' | 'deploy' | 'approve' | 'admin';

/** One API route of the registry and the kind of access it needs. */
export interface RegistryRoute extends HttpRoute {
  readonly kind: RegistryRouteKind;
}

/** Base path of the MLflow Model Registry REST API (MLflow 2.x clients use it unchanged). */
export const MLFLOW_API_BASE = '/api/2.0/mlflow';
/** Base path of the gaiops extensions: lineage, approvals, audit log. */
export const GAIOPS_API_BASE = '/api/2.0/gaiops';

const mlflow = (method: HttpRoute['method'], path: string, kind: RegistryRouteKind): RegistryRoute => ({ method, path: `${MLFLOW_API_BASE}/${path}`, kind });
const gaiops = (method: HttpRoute['method'], path: string, kind: RegistryRouteKind): RegistryRoute => ({ method, path: `${GAIOPS_API_BASE}/${path}`, kind });

/**
 * Every route of the registry API: each one an explicit, AWS_IAM-authorised HTTP API route. The
 * grants derive from the kinds, so adding a route here is all it takes to serve and grant it.
 */
export const REGISTRY_ROUTES: readonly RegistryRoute[] = [
  mlflow('POST', 'registered-models/create', 'write'),
  mlflow('GET', 'registered-models/get', 'read'),
  mlflow('GET', 'registered-models/search', 'read'),
  mlflow('POST', 'registered-models/rename', 'admin'),
  mlflow('PATCH', 'registered-models/update', 'write'),
  mlflow('DELETE', 'registered-models/delete', 'admin'),
  mlflow('POST', 'registered-models/set-tag', 'write'),
  mlflow('DELETE', 'registered-models/delete-tag', 'write'),
  mlflow('POST', 'registered-models/get-latest-versions', 'read'),
  mlflow('GET', 'registered-models/get-latest-versions', 'read'),
  mlflow('POST', 'registered-models/alias', 'deploy'),
  mlflow('DELETE', 'registered-models/alias', 'deploy'),
  mlflow('GET', 'registered-models/alias', 'read'),
  mlflow('POST', 'model-versions/create', 'write'),
  mlflow('GET', 'model-versions/get', 'read'),
  mlflow('GET', 'model-versions/search', 'read'),
  mlflow('PATCH', 'model-versions/update', 'write'),
  mlflow('DELETE', 'model-versions/delete', 'admin'),
  mlflow('POST', 'model-versions/set-tag', 'write'),
  mlflow('DELETE', 'model-versions/delete-tag', 'write'),
  mlflow('GET', 'model-versions/get-download-uri', 'read'),
  mlflow('POST', 'model-versions/transition-stage', 'deploy'),
  gaiops('GET', 'model-versions/lineage', 'read'),
  gaiops('POST', 'model-versions/lineage', 'write'),
  gaiops('POST', 'model-versions/approve', 'approve'),
  gaiops('POST', 'model-versions/reject', 'approve'),
  // Deletes a version only for its creator while it is unaliased, in stage None and unreviewed.
  gaiops('POST', 'model-versions/withdraw', 'write'),
  gaiops('GET', 'model-versions/governance', 'read'),
  gaiops('GET', 'audit', 'read'),
];

/** The route kinds each grant covers. */
export const REGISTRY_GRANT_KINDS = {
  read: ['read'],
  register: ['read', 'write', 'deploy'],
  approve: ['read', 'approve'],
  admin: ['read', 'write', 'deploy', 'approve', 'admin'],
} as const satisfies Record<string, readonly RegistryRouteKind[]>;

/** Key prefix of every artifact: `artifacts/sha256/<64 hex digest>[/<file>]`, content-addressed. */
export const ARTIFACT_PREFIX = 'artifacts/';
/** Where clients upload artifacts, addressed by their sha256 digest. */
export const ARTIFACT_UPLOAD_PREFIX = 'artifacts/sha256/';

/** Lambda allows 4 KB of environment in total; this much is left to `MR_CONFIG`. */
export const MAX_CONFIG_BYTES = 3400;
/** Length assumed for an approver ARN known only at apply time (a token) when checking the size. */
const TOKEN_ARN_BYTES = 128;

export type RegistryEventType = (typeof REGISTRY_EVENTS.detailTypes)[number];

/** `MR_CONFIG` as written: input of RegistryConfigSchema (per-model overrides carry only the fields they set). */
export type RegistryConfigJson = z.input<typeof RegistryConfigSchema>;

/** Options of {@link ModelRegistry.addEventTarget}. */
export interface EventTargetOptions {
  /** Only these detail types. Default all four registry events. */
  readonly detailTypes?: readonly RegistryEventType[];
  /** Where events EventBridge cannot deliver go. Default the registry's `deadLetterQueue`. */
  readonly deadLetterQueue?: SecureQueue;
}

/** A rule on the registry bus and its one SQS target. */
export class RegistryEventRoute extends Construct {
  readonly rule: CloudwatchEventRule;
  readonly target: CloudwatchEventTarget;
  readonly ruleArn: string;

  constructor(
    scope: Construct,
    id: string,
    props: { eventBusName: string; queue: SecureQueue; deadLetterQueue: SecureQueue; detailTypes: readonly RegistryEventType[] },
  ) {
    super(scope, id);
    const ctx = PlatformContext.of(this);
    this.rule = new CloudwatchEventRule(this, 'Resource', {
      name: ctx.physicalName('eventbridge-rule', this),
      description: `gaiops model registry events to ${id}`,
      eventBusName: props.eventBusName,
      eventPattern: JSON.stringify({ source: [REGISTRY_EVENTS.source], 'detail-type': [...props.detailTypes] }),
      state: 'ENABLED',
    });
    this.ruleArn = this.rule.arn;
    this.target = new CloudwatchEventTarget(this, 'Target', {
      rule: this.rule.name,
      eventBusName: props.eventBusName,
      targetId: 'queue',
      arn: props.queue.queueArn,
      deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
      // EventBridge's maxima: keep retrying for a day before dead-lettering.
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
    });
    const sid = `EventBridge${id.replace(/[^A-Za-z0-9]/g, '')}`;
    for (const [queue, suffix] of [
      [props.queue, 'Delivery'],
      [props.deadLetterQueue, 'DeadLetter'],
    ] as const) {
      queue.addToResourcePolicy({
        sid: `${sid}${suffix}`,
        principals: { Service: ['events.amazonaws.com'] },
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rule.arn } },
      });
    }
  }
}

/**
 * A governed, MLflow-compatible model registry: a content-addressed artifact store, metadata and an
 * append-only audit log in DynamoDB, governance gates enforced by the API on protected aliases and
 * stages, and registry events on an encrypted EventBridge bus, routed to a deployment queue.
 */
export class ModelRegistry extends Construct {
  readonly encryptionKey: EncryptionKey;
  /** Artifacts under `artifacts/sha256/<digest>`. */
  readonly artifactBucket: SecureBucket;
  readonly metadataTable: SecureTable;
  /** Append-only: the API may only put and read items; a table policy denies updates and deletes to everyone. */
  readonly auditTable: SecureTable;
  readonly eventBus: CloudwatchEventBus;
  readonly eventBusArn: string;
  readonly eventBusName: string;
  readonly eventArchive?: CloudwatchEventArchive;
  /** Events EventBridge could not encrypt or deliver, and deployment events no consumer could process. */
  readonly deadLetterQueue: SecureQueue;
  /** Every registry event, for CI/CD and the InferenceService rollout controller. */
  readonly deploymentQueue: SecureQueue;
  readonly deploymentEventsRoute: RegistryEventRoute;
  /** The API function (runtime `model-registry`). */
  readonly handler: NodeFunction;
  readonly api: HttpApi;
  /** `https://<id>.execute-api.<region>.amazonaws.com` — MLflow clients use it as `MLFLOW_TRACKING_URI` (a token). */
  readonly apiUrl: string;
  readonly routes: readonly RegistryRoute[] = REGISTRY_ROUTES;
  private readonly config: Omit<RegistryConfigJson, 'approverRoleArns'>;
  private readonly approverRoleArns: string[] = [];

  constructor(scope: Construct, id: string, props: ModelRegistryProps = {}) {
    super(scope, id);
    const p = parseProps(this, ModelRegistryPropsSchema, props);
    const ctx = PlatformContext.of(this);

    this.config = {
      version: 1,
      defaultGates: p.gates,
      // Only the fields each override sets: the runtime replaces the defaults with exactly these
      // (fairness threshold by threshold), as mergeGates does. Kept small for the 4 KB environment.
      modelGates: p.modelGates,
      trustPrincipalHeader: false,
    };
    for (const arn of p.approverRoleArns) this.addApprover(arn);
    this.checkConfig();

    this.encryptionKey = p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: ['events', 'logs'], description: `gaiops model registry ${this.node.path}` });
    const key = this.encryptionKey;

    // Artifacts, content-addressed; Object Lock makes every version WORM for regulated environments.
    this.artifactBucket = new SecureBucket(this, 'Artifacts', {
      encryptionKey: key,
      dataClassification: 'confidential',
      objectLock: p.objectLock ? { mode: p.objectLock.mode, retentionDays: p.objectLock.retentionDays } : undefined,
    });

    const keys = { partitionKey: { name: REGISTRY_TABLE_KEYS.partitionKey, type: 'S' as const }, sortKey: { name: REGISTRY_TABLE_KEYS.sortKey, type: 'S' as const } };
    // TTL expires the runtime's idempotency records (24 h); models and versions carry no `ttl`.
    this.metadataTable = new SecureTable(this, 'Metadata', { ...keys, encryptionKey: key, timeToLiveAttribute: 'ttl' });
    this.auditTable = new SecureTable(this, 'Audit', { ...keys, encryptionKey: key });
    // Append-only for everyone, not just the API: no principal may change or remove an audit record.
    new DynamodbResourcePolicy(this, 'AuditAppendOnly', {
      resourceArn: this.auditTable.tableArn,
      policy: renderPolicy([
        {
          sid: 'DenyAuditRecordChanges',
          effect: 'Deny',
          principals: { AWS: ['*'] },
          actions: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PartiQLDelete', 'dynamodb:PartiQLUpdate', 'dynamodb:UpdateItem'],
          resources: [this.auditTable.tableArn],
        },
      ]),
    });

    // Events: a CMK-encrypted bus, archived, routed to the deployment queue.
    this.deadLetterQueue = new SecureQueue(this, 'DeadLetters', { encryptionKey: key });
    this.deploymentQueue = new SecureQueue(this, 'DeploymentEvents', {
      encryptionKey: key,
      visibilityTimeoutSeconds: 300,
      deadLetter: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    const busName = p.eventBusName ?? ctx.physicalName('eventbridge-rule', this, 'events');
    // Built from the name, not read from the bus: the key policy naming the bus's ARN while the bus
    // names the key would be a dependency cycle.
    const busArn = ctx.arn('events', `event-bus/${busName}`);
    // Statement ids stay unique when several registries share one key.
    const sidSuffix = p.encryptionKey ? this.node.addr.slice(0, 8) : '';
    const eventBridgeKeyStatements: PolicyStatement[] = [
      {
        sid: `EventBridgeDescribeKey${sidSuffix}`,
        principals: { Service: ['events.amazonaws.com'] },
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
      },
      {
        sid: `EventBridgeRegistryBus${sidSuffix}`,
        principals: { Service: ['events.amazonaws.com'] },
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:SourceAccount': ctx.accountId,
            'aws:SourceArn': busArn,
            'kms:EncryptionContext:aws:events:event-bus:arn': busArn,
          },
        },
      },
      ...(p.eventArchive.enabled
        ? [
            {
              // Archive calls carry the bus's encryption context but not its aws:SourceArn.
              sid: `EventBridgeRegistryArchive${sidSuffix}`,
              principals: { Service: ['events.amazonaws.com'] },
              actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
              resources: ['*'],
              conditions: { StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': busArn } },
            },
          ]
        : []),
    ];
    eventBridgeKeyStatements.forEach((statement) => key.addToResourcePolicy(statement));
    this.eventBus = new CloudwatchEventBus(this, 'Events', {
      name: busName,
      description: `gaiops model registry events (${this.node.path})`,
      kmsKeyIdentifier: key.keyArn,
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
    });
    this.eventBusArn = this.eventBus.arn;
    this.eventBusName = this.eventBus.name;
    this.deadLetterQueue.addToResourcePolicy({
      sid: 'EventBridgeBusDeadLetter',
      principals: { Service: ['events.amazonaws.com'] },
      actions: ['sqs:SendMessage'],
      resources: [this.deadLetterQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': this.eventBusArn } },
    });
    if (p.eventArchive.enabled) {
      this.eventArchive = new CloudwatchEventArchive(this, 'EventArchive', {
        name: fitName(ctx.physicalName('eventbridge-rule', this, 'events'), 48),
        description: `Every gaiops model registry event (${this.node.path})`,
        eventSourceArn: this.eventBusArn,
        eventPattern: JSON.stringify({ source: [REGISTRY_EVENTS.source] }),
        retentionDays: p.eventArchive.retentionDays,
        kmsKeyIdentifier: key.keyArn,
      });
      // The audit trail of every registry event: keep it outside ephemeral environments.
      protectFromDestroy(this.eventArchive, ctx);
    }
    this.deploymentEventsRoute = new RegistryEventRoute(this, 'DeploymentEventsRule', {
      eventBusName: this.eventBusName,
      queue: this.deploymentQueue,
      deadLetterQueue: this.deadLetterQueue,
      detailTypes: REGISTRY_EVENTS.detailTypes,
    });

    // The API.
    this.handler = new NodeFunction(this, 'Handler', {
      code: LambdaCode.fromRuntime('model-registry'),
      description: 'gaiops model registry API (MLflow-compatible, governed)',
      memorySize: p.memorySize,
      timeoutSeconds: p.timeoutSeconds,
      encryptionKey: key,
      logRetentionDays: p.logRetentionDays,
      environment: {
        [MODEL_REGISTRY_ENV.metadataTable]: this.metadataTable.tableName,
        [MODEL_REGISTRY_ENV.auditTable]: this.auditTable.tableName,
        [MODEL_REGISTRY_ENV.artifactBucket]: this.artifactBucket.bucketName,
        [MODEL_REGISTRY_ENV.eventBus]: this.eventBusName,
        // Rendered at synth, so approvers added by grantApprove after construction are included.
        [MODEL_REGISTRY_ENV.config]: Lazy.stringValue({ produce: () => this.renderConfig() }),
      },
    });
    this.grantApiRuntime(this.handler);

    this.api = new HttpApi(this, 'Api', {
      handler: this.handler,
      routes: REGISTRY_ROUTES.map(({ method, path }) => ({ method, path })),
      throttling: p.throttling,
      accessLogRetentionDays: p.logRetentionDays,
    });
    this.apiUrl = this.api.url;
  }

  /** The approvers the runtime will accept: `approverRoleArns` plus every role given `grantApprove`. */
  get approvers(): readonly string[] {
    return [...this.approverRoleArns];
  }

  /** The routes of the given kinds. */
  routesOf(kinds: readonly RegistryRouteKind[]): RegistryRoute[] {
    return REGISTRY_ROUTES.filter((r) => kinds.includes(r.kind));
  }

  /** Read routes (models, versions, aliases, lineage, download URIs, audit log) and read artifacts. */
  grantRead(grantee: IGrantable): Grant {
    return collectGrant(grantee, (g) => this.grantRoutesAndArtifacts(g, REGISTRY_GRANT_KINDS.read, false));
  }

  /**
   * What a training pipeline needs: read, plus register and annotate models and versions, record
   * lineage, move aliases and stages (the runtime refuses protected ones until the gates pass) and
   * upload artifacts under `artifacts/sha256/`. No rename or delete (see `grantAdmin`).
   */
  grantRegister(grantee: IGrantable): Grant {
    return collectGrant(grantee, (g) => this.grantRoutesAndArtifacts(g, REGISTRY_GRANT_KINDS.register, true));
  }

  /**
   * Read, plus approve and reject versions — and the role becomes an approver in `MR_CONFIG` (the
   * runtime refuses approvals from roles not listed there, whatever IAM allows). The runtime also
   * refuses an approval by the version's creator (four-eyes).
   */
  grantApprove(grantee: IGrantable): Grant {
    this.addApprover(grantee.grantPrincipal.roleArn);
    return collectGrant(grantee, (g) => this.grantRoutesAndArtifacts(g, REGISTRY_GRANT_KINDS.approve, false));
  }

  /**
   * Every route, including rename and delete, plus artifact upload. Approve and reject are allowed
   * by IAM, but the runtime still requires the role to be an approver (`grantApprove` or
   * `approverRoleArns`).
   */
  grantAdmin(grantee: IGrantable): Grant {
    return collectGrant(grantee, (g) => this.grantRoutesAndArtifacts(g, REGISTRY_GRANT_KINDS.admin, true));
  }

  /** Consume the deployment events (CI/CD, the InferenceService rollout controller). */
  grantConsumeDeploymentEvents(grantee: IGrantable): Grant {
    return this.deploymentQueue.grantConsumeMessages(grantee);
  }

  /**
   * Routes registry events to another queue: a rule on the registry bus (source
   * `gaiops.model-registry`, the given detail types), a target with retries and a dead-letter
   * queue, and queue-policy statements letting EventBridge send for this rule only. The queue's
   * key must allow the `events` service (EncryptionKey `services: ['events']`).
   */
  addEventTarget(id: string, queue: SecureQueue, options: EventTargetOptions = {}): RegistryEventRoute {
    const detailTypes = options.detailTypes ?? REGISTRY_EVENTS.detailTypes;
    const deadLetterQueue = options.deadLetterQueue ?? this.deadLetterQueue;
    const problems = [
      ...(detailTypes.length === 0 ? [{ fieldPath: 'detailTypes', message: 'must name at least one event type' }] : []),
      ...detailTypes
        .map((t, i) => ({ t, i }))
        .filter(({ t }) => !(REGISTRY_EVENTS.detailTypes as readonly string[]).includes(t))
        .map(({ t, i }) => ({ fieldPath: `detailTypes[${i}]`, message: `${t} is not a registry event (${REGISTRY_EVENTS.detailTypes.join(', ')})` })),
      ...(deadLetterQueue === queue ? [{ fieldPath: 'deadLetterQueue', message: 'must not be the target queue itself' }] : []),
    ];
    if (problems.length > 0) throw new GaiConfigError(problems.map((pr) => ({ constructPath: `${this.node.path}.addEventTarget(${id})`, ...pr })));
    return new RegistryEventRoute(this, id, { eventBusName: this.eventBusName, queue, deadLetterQueue, detailTypes });
  }

  private grantRoutesAndArtifacts(grantee: IGrantable, kinds: readonly RegistryRouteKind[], upload: boolean): void {
    this.api.grantInvoke(
      grantee,
      this.routesOf(kinds).map(({ method, path }) => ({ method, path })),
    );
    this.artifactBucket.grantReadPrefix(grantee, ARTIFACT_PREFIX);
    if (upload) this.artifactBucket.grantWritePrefix(grantee, ARTIFACT_UPLOAD_PREFIX);
  }

  /**
   * Exactly what the registry API runtime needs (tables, audit log, artifacts, key, event bus): the
   * API function's permissions, also given to its container form (RegistryServer).
   */
  grantApiRuntime(fn: IGrantable): void {
    this.metadataTable.grantReadData(fn);
    this.metadataTable.grantWriteData(fn);
    // Audit log: append and read, never update or delete.
    this.encryptionKey.grantEncryptDecrypt(fn, { viaService: 'dynamodb' });
    Grant.addTo(fn, [
      { actions: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], resources: [this.auditTable.tableArn] },
    ]);
    // Artifacts: the API checks they exist (HeadObject) and streams them for digest verification; it
    // never writes them (clients upload). Listing is not limited to a prefix: without s3:ListBucket in
    // the context of HeadObject/GetObject, S3 answers a missing artifact with 403 instead of 404.
    const bucketArn = this.artifactBucket.bucketArn;
    this.encryptionKey.grantDecrypt(fn, { viaService: 's3', encryptionContext: { 'aws:s3:arn': bucketArn } });
    Grant.addTo(fn, [
      { actions: ['s3:GetBucketLocation', 's3:ListBucket'], resources: [bucketArn] },
      { actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${bucketArn}/${ARTIFACT_PREFIX}*`] },
    ]);
    Grant.addTo(fn, [{ actions: ['events:PutEvents'], resources: [this.eventBusArn] }]);
  }

  private addApprover(arn: string): void {
    if (!this.approverRoleArns.includes(arn)) this.approverRoleArns.push(arn);
  }

  /** The registry configuration as the runtime will read it (tokens for ARNs known at apply time). */
  private configObject(): RegistryConfigJson & { approverRoleArns: string[] } {
    return { ...this.config, approverRoleArns: [...this.approverRoleArns] };
  }

  /** Validates the configuration the runtime will receive and its size against Lambda's environment limit. */
  private checkConfig(): void {
    const config = this.configObject();
    // Tokens stand for ARNs known at apply time; the props schema already let them through.
    const checked = RegistryConfigSchema.safeParse({ ...config, approverRoleArns: config.approverRoleArns.filter((a) => !isToken(a)) });
    if (!checked.success) {
      throw new GaiError('gaiops:model-registry:config', `${this.node.path}: the runtime configuration is invalid: ${checked.error.message}`);
    }
    const size =
      Buffer.byteLength(JSON.stringify({ ...config, approverRoleArns: config.approverRoleArns.map((a) => (isToken(a) ? 'x'.repeat(TOKEN_ARN_BYTES) : a)) }));
    if (size > MAX_CONFIG_BYTES) {
      throw new GaiConfigError([
        {
          constructPath: this.node.path,
          fieldPath: 'modelGates',
          message: `the governance configuration is ${size} bytes as JSON; Lambda's 4 KB environment leaves ${MAX_CONFIG_BYTES} bytes for it: move shared settings into gates or drop per-model overrides`,
        },
      ]);
    }
  }

  private renderConfig(): string {
    this.checkConfig();
    return JSON.stringify(this.configObject());
  }
}




/**
 * Runs `build` against a grantee that only records, then adds everything recorded to the real
 * grantee at once: one Grant that lists exactly what the composite grant added.
 */
function collectGrant(grantee: IGrantable, build: (recorder: IGrantable) => void): Grant {
  const recorded: PolicyStatement[] = [];
  const real = grantee.grantPrincipal;
  const principal: IPrincipal = { roleArn: real.roleArn, roleName: real.roleName, addToPrincipalPolicy: (s) => recorded.push(s) };
  build({ grantPrincipal: principal });
  return Grant.addTo(grantee, recorded);
}


