/**
 * Container / local entry point of the feature-store API: `node index.js` (an esbuild bundle of
 * this file). Reads `PORT` (default 8080), `HOST` (default 0.0.0.0) and the `FS_*` variables (see
 * `serving-lambda.ts`); AWS credentials and region come from the standard SDK chain. Exits 0 on
 * SIGTERM/SIGINT after draining in-flight requests.
 */
import { type HttpServerHandle, runServerFromEnv, startOrExit } from '../../core/runtime/node-http';
import { createLogger } from '../../core/runtime/logger';
import { depsFromEnv } from './runtime-env';
import { SERVING_SERVICE_NAME, createServingApp } from './serving-app';

/** Starts the API from environment variables. */
export function main(env: NodeJS.ProcessEnv = process.env): Promise<HttpServerHandle> {
  const logger = createLogger(SERVING_SERVICE_NAME);
  const app = createServingApp(depsFromEnv(env, { logger, creator: env.FS_CREATOR ?? SERVING_SERVICE_NAME }));
  return runServerFromEnv(app, { env, logger });
}

if (require.main === module) startOrExit(SERVING_SERVICE_NAME, () => main());
