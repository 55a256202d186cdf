/**
 * Container / local entrypoint of the model registry: `node index.js` (an esbuild bundle of this
 * file). Reads `PORT` (default 8080), `HOST` (default 0.0.0.0), the `MR_*` variables of
 * `lambda.ts` (here `MR_EVENT_BUS_NAME` is optional: without it events are only logged) and
 * `MR_BASE_PATH` (e.g. `/registry` for the local playground). AWS credentials, region and
 * endpoints (`AWS_ENDPOINT_URL*`) come from the standard SDK chain; `MR_S3_FORCE_PATH_STYLE=true`
 * selects path-style S3 addressing (for local S3 emulators).
 *
 * Without an API Gateway in front there is no authenticated caller, so outside dev mode
 * (`trustPrincipalHeader: true` in `MR_CONFIG`) every API call is refused with 403.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '../../core/runtime/logger';
import { type HttpServerHandle, runServerFromEnv, startOrExit } from '../../core/runtime/node-http';
import { loadRegistryEnv } from './env';
import { EventBridgePublisher, LoggingEventPublisher } from './events';
import { createRegistryApp, REGISTRY_SERVICE_NAME } from './registry-app';

/** Starts the service from environment variables; exits 0 on SIGTERM/SIGINT after draining. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<HttpServerHandle> {
  const settings = loadRegistryEnv(env, { requireEventBus: false });
  const logger = createLogger(REGISTRY_SERVICE_NAME);
  const app = createRegistryApp({
    dynamo: new DynamoDBClient({}),
    s3: new S3Client({ forcePathStyle: env.MR_S3_FORCE_PATH_STYLE === 'true' }),
    events: settings.eventBusName ? new EventBridgePublisher(new EventBridgeClient({}), settings.eventBusName) : new LoggingEventPublisher(logger),
    config: settings.config as never,
    metadataTable: settings.metadataTable,
    auditTable: settings.auditTable,
    artifactBucket: settings.artifactBucket,
    basePath: settings.basePath,
    logger,
  });
  return runServerFromEnv(app, { env });
}

if (require.main === module) startOrExit(REGISTRY_SERVICE_NAME, () => main());
