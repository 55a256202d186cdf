/**
 * The model registry HTTP application: MLflow Model Registry REST API under
 * `<basePath>/api/2.0/mlflow/...` and the gaiops extensions (lineage, approvals, governance status,
 * audit) under `<basePath>/api/2.0/gaiops/...`. See README.md in this folder.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { type AppLogger, type HttpMethod, type HttpRequest, type HttpResponse, HttpApp, type RawHttpRequest, type RequestContext, type SerializedHttpResponse } from '../../core/runtime/http-app';
import { createLogger } from '../../core/runtime/logger';
import { RegistryConfigSchema } from '../registry-config';
import { invalidParameter, RegistryError, toMlflowErrorResponse } from './errors';
import type { EventPublisher } from './events';
import { resolvePrincipal } from './identity';
import { LineageUpdateSchema } from './lineage';
import { type CallContext, RegistryService } from './registry-service';
import { RegistryStore, type RetryPolicy, sha256Hex } from './store';
import {
  aliasSchema,
  booleanSchema,
  commentSchema,
  descriptionSchema,
  filterSchema,
  maxResultsSchema,
  modelNameSchema,
  orderBySchema,
  pageTokenSchema,
  parseInput,
  runIdSchema,
  runLinkSchema,
  sourceSchema,
  stageSchema,
  stagesSchema,
  tagKeySchema,
  tagsSchema,
  tagValueSchema,
  versionSchema,
} from './validation';

export const REGISTRY_SERVICE_NAME = 'model-registry';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const EVENTS_HEADER = 'x-gaiops-events';
export const REPLAY_HEADER = 'x-gaiops-idempotent-replay';

export interface RegistryAppOptions {
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  readonly events: EventPublisher;
  /** Governance configuration as given (validated here with `RegistryConfigSchema`). */
  readonly config: z.input<typeof RegistryConfigSchema>;
  readonly metadataTable: string;
  readonly auditTable: string;
  readonly artifactBucket: string;
  /** Clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Path prefix every route is mounted under, e.g. `/registry` when a playground proxies
   * `/registry/*` unchanged. Default `''` (routes start at `/api/2.0/...`).
   */
  readonly basePath?: string;
  /** Default: a Powertools JSON logger named `model-registry`. */
  readonly logger?: AppLogger;
  /** Optimistic-concurrency retry policy (tests may shorten it). */
  readonly retry?: RetryPolicy;
}

/** An `HttpApp` whose error responses use MLflow's `{ error_code, message }` body. */
class MlflowHttpApp extends HttpApp {
  override async handle(raw: RawHttpRequest): Promise<SerializedHttpResponse> {
    return toMlflowErrorResponse(await super.handle(raw));
  }
}

/** Normalises a base path: `''`, or `/segment[/segment...]` without a trailing slash. */
export function normaliseBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed)) throw new Error(`invalid basePath '${basePath}': use '/segment[/segment...]'`);
  return trimmed;
}

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TransactionInProgressException', 'SlowDown']);

/** Builds the registry app. Throws if `config` is invalid. */
export function createRegistryApp(options: RegistryAppOptions): HttpApp {
  const parsed = RegistryConfigSchema.safeParse(options.config);
  if (!parsed.success) {
    throw new Error(`invalid model registry configuration: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const config = parsed.data;
  const base = normaliseBasePath(options.basePath);
  const app = new MlflowHttpApp({ name: REGISTRY_SERVICE_NAME, logger: options.logger ?? createLogger(REGISTRY_SERVICE_NAME) });
  const service = new RegistryService({
    store: new RegistryStore(options.dynamo, options.metadataTable, options.auditTable),
    s3: options.s3,
    events: options.events,
    config,
    artifactBucket: options.artifactBucket,
    now: options.now,
    retry: options.retry,
  });

  type Handler = (input: unknown, ctx: CallContext) => Promise<unknown>;
  const register = (method: HttpMethod, path: string, handler: Handler): void => {
    app.route(method, `${base}${path}`, async (request: HttpRequest, { log }: RequestContext): Promise<HttpResponse> => {
      const principal = resolvePrincipal(request, config);
      const input = method === 'GET' ? request.query : request.body;
      const ctx: CallContext = { principal, requestId: request.requestId, log, idempotency: idempotencyOf(method, path, request, input) };
      let body: unknown;
      try {
        body = await handler(input, ctx);
      } catch (error) {
        const name = (error as { name?: string } | null)?.name;
        if (!(error instanceof RegistryError) && name && THROTTLING.has(name)) {
          throw new RegistryError('TEMPORARILY_UNAVAILABLE', 'The registry is throttled by its storage; retry the request.');
        }
        throw error;
      }
      const headers: Record<string, string> = {};
      if (ctx.eventStatus) headers[EVENTS_HEADER] = ctx.eventStatus;
      if (ctx.replayed) headers[REPLAY_HEADER] = 'true';
      return { status: 200, headers, body };
    });
  };

  app.route('GET', `${base}/healthz`, () => ({ status: 200, body: { status: 'ok' } }));

  // ---------------------------------------------------------------- registered models
  const M = '/api/2.0/mlflow/registered-models';
  const name = modelNameSchema;
  register('POST', `${M}/create`, (i, ctx) =>
    service.createRegisteredModel(ctx, parseInput(z.object({ name, tags: tagsSchema, description: descriptionSchema }), i)),
  );
  register('GET', `${M}/get`, (i) => service.getRegisteredModel(parseInput(z.object({ name }), i).name));
  register('GET', `${M}/search`, (i) =>
    service.searchRegisteredModels(
      parseInput(z.object({ filter: filterSchema, max_results: maxResultsSchema(100, 1000), order_by: orderBySchema, page_token: pageTokenSchema }), i),
    ),
  );
  register('POST', `${M}/rename`, (i, ctx) => service.renameRegisteredModel(ctx, parseInput(z.object({ name, new_name: modelNameSchema }), i)));
  register('PATCH', `${M}/update`, (i, ctx) => service.updateRegisteredModel(ctx, parseInput(z.object({ name, description: descriptionSchema }), i)));
  register('DELETE', `${M}/delete`, (i, ctx) => service.deleteRegisteredModel(ctx, parseInput(z.object({ name }), i)));
  register('POST', `${M}/set-tag`, (i, ctx) => service.setRegisteredModelTag(ctx, parseInput(z.object({ name, key: tagKeySchema, value: tagValueSchema }), i)));
  register('DELETE', `${M}/delete-tag`, (i, ctx) => service.deleteRegisteredModelTag(ctx, parseInput(z.object({ name, key: tagKeySchema }), i)));
  const latest = (i: unknown) => service.getLatestVersions(parseInput(z.object({ name, stages: stagesSchema }), i));
  register('POST', `${M}/get-latest-versions`, latest);
  register('GET', `${M}/get-latest-versions`, latest);
  register('POST', `${M}/alias`, (i, ctx) => service.setAlias(ctx, parseInput(z.object({ name, alias: aliasSchema, version: versionSchema }), i)));
  register('DELETE', `${M}/alias`, (i, ctx) => service.deleteAlias(ctx, parseInput(z.object({ name, alias: aliasSchema }), i)));
  register('GET', `${M}/alias`, (i) => service.getByAlias(parseInput(z.object({ name, alias: aliasSchema }), i)));

  // ---------------------------------------------------------------- model versions
  const V = '/api/2.0/mlflow/model-versions';
  const nv = { name, version: versionSchema };
  register('POST', `${V}/create`, (i, ctx) =>
    service.createModelVersion(
      ctx,
      parseInput(
        z.object({ name, source: sourceSchema, run_id: runIdSchema, run_link: runLinkSchema, description: descriptionSchema, tags: tagsSchema }),
        i,
      ),
    ),
  );
  register('GET', `${V}/get`, (i) => service.getModelVersion(parseInput(z.object(nv), i)));
  register('GET', `${V}/search`, (i) =>
    service.searchModelVersions(
      parseInput(z.object({ filter: filterSchema, max_results: maxResultsSchema(10_000, 10_000), order_by: orderBySchema, page_token: pageTokenSchema }), i),
    ),
  );
  register('PATCH', `${V}/update`, (i, ctx) => service.updateModelVersion(ctx, parseInput(z.object({ ...nv, description: descriptionSchema }), i)));
  register('DELETE', `${V}/delete`, (i, ctx) => service.deleteModelVersion(ctx, parseInput(z.object(nv), i)));
  register('POST', `${V}/set-tag`, (i, ctx) => service.setModelVersionTag(ctx, parseInput(z.object({ ...nv, key: tagKeySchema, value: tagValueSchema }), i)));
  register('DELETE', `${V}/delete-tag`, (i, ctx) => service.deleteModelVersionTag(ctx, parseInput(z.object({ ...nv, key: tagKeySchema }), i)));
  register('GET', `${V}/get-download-uri`, (i) => service.getDownloadUri(parseInput(z.object(nv), i)));
  register('POST', `${V}/transition-stage`, (i, ctx) =>
    service.transitionStage(ctx, parseInput(z.object({ ...nv, stage: stageSchema, archive_existing_versions: booleanSchema }), i)),
  );

  // ---------------------------------------------------------------- gaiops extensions
  const G = '/api/2.0/gaiops';
  register('GET', `${G}/model-versions/lineage`, (i) => service.getLineage(parseInput(z.object(nv), i)));
  register('POST', `${G}/model-versions/lineage`, (i, ctx) => service.setLineage(ctx, parseInput(LineageUpdateSchema, i)));
  const reviewBody = z.strictObject({ ...nv, comment: commentSchema });
  register('POST', `${G}/model-versions/approve`, (i, ctx) => service.review(ctx, 'approved', parseInput(reviewBody, i)));
  register('POST', `${G}/model-versions/reject`, (i, ctx) => service.review(ctx, 'rejected', parseInput(reviewBody, i)));
  // The creator's narrow delete (write kind): see RegistryService.withdrawModelVersion.
  register('POST', `${G}/model-versions/withdraw`, (i, ctx) =>
    service.withdrawModelVersion(ctx, parseInput(z.strictObject({ ...nv, reason: commentSchema }), i)),
  );
  register('GET', `${G}/model-versions/governance`, (i) => service.governanceStatus(parseInput(z.object(nv), i)));
  // Read-only by design: the audit trail has no route that writes, changes or deletes entries.
  register('GET', `${G}/audit`, (i) =>
    service.listAudit(parseInput(z.object({ name, max_results: maxResultsSchema(100, 1000), page_token: pageTokenSchema }), i)),
  );

  return app;
}

function idempotencyOf(method: HttpMethod, path: string, request: HttpRequest, input: unknown): CallContext['idempotency'] {
  const key = request.headers[IDEMPOTENCY_HEADER];
  if (key === undefined || method === 'GET') return undefined;
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(key)) {
    throw invalidParameter(`The ${IDEMPOTENCY_HEADER} header must be 1 to 128 characters of letters, digits, '_', '.', ':' or '-'.`);
  }
  return { key, operation: `${method} ${path}`, requestHash: sha256Hex(JSON.stringify(input ?? null)) };
}
