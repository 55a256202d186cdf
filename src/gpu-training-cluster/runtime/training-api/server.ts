/**
 * Local / container entrypoint of the training-job API: serves the same app over node:http
 * (`PORT`, default 8080; `HOST`, default 0.0.0.0) with the `TJ_*` configuration and the default
 * AWS credential chain for the EKS token. Without API Gateway in front there is no authenticated
 * caller, so every `/training-jobs` call is refused with 403: this entrypoint is for health checks
 * and for embedding (tests and tools pass their own principal through `nodeRequestListener`).
 */
import { eksKubeClient } from '../../../core/runtime/kube-client';
import { createLogger } from '../../../core/runtime/logger';
import { type HttpServerHandle, runServerFromEnv, startOrExit } from '../../../core/runtime/node-http';
import { loadTrainingApiConfig } from './config';
import { createTrainingApiApp, TRAINING_API_SERVICE_NAME } from './training-api-app';

/** Starts the service from environment variables; exits 0 on SIGTERM/SIGINT after draining. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<HttpServerHandle> {
  const config = loadTrainingApiConfig(env);
  const app = createTrainingApiApp({
    kube: eksKubeClient({ clusterName: config.cluster.name, endpoint: config.cluster.endpoint, caData: config.cluster.caData, region: config.region }),
    config,
    logger: createLogger(TRAINING_API_SERVICE_NAME),
  });
  return runServerFromEnv(app, { env });
}

if (require.main === module) startOrExit(TRAINING_API_SERVICE_NAME, () => main());
