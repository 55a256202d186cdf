/**
 * Lambda entry point of the feature-store API (API Gateway HTTP API, payload v2).
 *
 * Environment: `FS_BUCKET`, `FS_ONLINE_TABLE`, `FS_VERSIONS_TABLE`, `FS_CONFIG_KEY`,
 * `FS_PII_SECRET_ARN`, plus the usual AWS SDK variables. Nothing calls AWS at module load: the
 * config (revalidated by ETag) and the PII key (only needed by `POST /push` for groups that hash
 * PII) are fetched on first use and cached for the execution environment.
 */
import { toLambdaHandler } from '../../core/runtime/lambda-http';
import { createLogger } from '../../core/runtime/logger';
import { depsFromEnv } from './runtime-env';
import { SERVING_SERVICE_NAME, createServingApp } from './serving-app';

const app = createServingApp(
  depsFromEnv(process.env, {
    logger: createLogger(SERVING_SERVICE_NAME),
    creator: process.env.AWS_LAMBDA_FUNCTION_NAME ?? SERVING_SERVICE_NAME,
  }),
);

export const handler = toLambdaHandler(app);
