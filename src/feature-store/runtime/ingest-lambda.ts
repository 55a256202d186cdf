/**
 * Lambda entry point of the feature-store ingest: an SQS event source whose messages are S3
 * `ObjectCreated` notifications for `raw/<group>/…` (configure `ReportBatchItemFailures`).
 *
 * Environment: `FS_BUCKET`, `FS_ONLINE_TABLE`, `FS_VERSIONS_TABLE`, `FS_CONFIG_KEY`,
 * `FS_PII_SECRET_ARN` (see `FEATURE_STORE_ENV`), plus the usual AWS SDK variables. Clients, the
 * config and the PII key are created on the first invocation and kept for the execution
 * environment (the config is revalidated by ETag).
 */
import { type AppLogger } from '../../core/runtime/http-app';
import { createLogger } from '../../core/runtime/logger';
import { createIngestor } from './ingest';
import { type SqsIngestHandler, createSqsIngestHandler } from './ingest-handler';
import { type RuntimeClients, depsFromEnv } from './runtime-env';

export const INGEST_SERVICE_NAME = 'feature-store-ingest';

export interface IngestLambdaOptions {
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: SDK clients from the default chain. */
  readonly clients?: RuntimeClients;
  /** Default: a Powertools JSON logger named `feature-store-ingest`. */
  readonly logger?: AppLogger;
  readonly configRevalidateAfterMs?: number;
}

/** The SQS handler, built lazily from the environment on the first invocation. */
export function createIngestLambdaHandler(options: IngestLambdaOptions = {}): SqsIngestHandler {
  let inner: SqsIngestHandler | undefined;
  return async (event) => {
    if (!inner) {
      const env = options.env ?? process.env;
      const logger = options.logger ?? createLogger(INGEST_SERVICE_NAME);
      const deps = depsFromEnv(env, {
        clients: options.clients,
        logger,
        creator: env.AWS_LAMBDA_FUNCTION_NAME ?? INGEST_SERVICE_NAME,
        configRevalidateAfterMs: options.configRevalidateAfterMs,
      });
      inner = createSqsIngestHandler({ ingestor: createIngestor(deps), bucket: deps.bucket, logger });
    }
    return inner(event);
  };
}

export const handler = createIngestLambdaHandler();
