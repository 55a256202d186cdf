/**
 * Container / local entrypoint of the model registry: `node index.js` (an esbuild bundle of this
 * file). Reads `PORT` (default 8080), `HOST` (default 0.0.0.0), the `MR_*` variables of
 * `lambda.ts` (here `MR_EVENT_BUS_NAME` is optional: without it events are only logged) and
 * `MR_BASE_PATH` (e.g. `/registry` for the local playground). AWS credentials, region and
 * endpoints (`AWS_ENDPOINT_URL*`) come from the standard SDK chain; `MR_S3_FORCE_PATH_STYLE=true`
 * selects path-style S3 addressing (for local S3 emulators).
 *
 * Caller identity (see `caller-identity.ts`): with `MR_IDENTITY_AUDIENCE` (plus `MR_ACCESS`,
 * `AWS_REGION`, optionally `MR_IDENTITY_STS_ENDPOINTS`) every call but `/healthz` needs an STS
 * identity token minted for that audience (401 without, 403 when the caller is not granted the
 * route's kind), and the verified caller is the principal — the RegistryServer on EKS runs this
 * way. In dev mode (`trustPrincipalHeader: true` in `MR_CONFIG`, the local playground) the
 * `x-gaiops-principal` header is trusted instead; the two cannot be combined. With neither there is
 * no authenticated caller, and every API call is refused with 403.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '../../core/runtime/logger';
import { type HttpServerHandle, runServerFromEnv, startOrExit } from '../../core/runtime/node-http';
import { RegistryConfigSchema } from '../registry-config';
import { CallerVerifier, loadCallerIdentityEnv, withCallerIdentity } from './caller-identity';
import { loadRegistryEnv } from './env';
import { EventBridgePublisher, LoggingEventPublisher } from './events';
import { createRegistryApp, REGISTRY_SERVICE_NAME } from './registry-app';

/** Starts the service from environment variables; exits 0 on SIGTERM/SIGINT after draining. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<HttpServerHandle> {
  const settings = loadRegistryEnv(env, { requireEventBus: false });
  const identity = loadCallerIdentityEnv(env);
  if (identity && RegistryConfigSchema.parse(settings.config).trustPrincipalHeader) {
    throw new Error('model registry configuration error: MR_IDENTITY_AUDIENCE (verified callers) and trustPrincipalHeader (dev mode) cannot be combined');
  }
  const logger = createLogger(REGISTRY_SERVICE_NAME);
  const registry = createRegistryApp({
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
  const app = identity
    ? withCallerIdentity(registry, {
        verifier: new CallerVerifier({ audience: identity.audience, region: identity.region, allowedEndpoints: identity.allowedEndpoints }),
        access: identity.access,
        basePath: settings.basePath,
      })
    : registry;
  return runServerFromEnv(app, { env });
}

if (require.main === module) startOrExit(REGISTRY_SERVICE_NAME, () => main());
