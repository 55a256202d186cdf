/**
 * Container / local entry point of the feature-store API: `node index.js` (an esbuild bundle of
 * this file). Reads `PORT` (default 8080), `HOST` (default 0.0.0.0), the `FS_*` variables (see
 * `serving-lambda.ts`) and `FS_SERVER_MODE`:
 *
 * - `full` (default): every route of the serving API, as the Lambda form serves them;
 * - `online`: only `POST /get-online-features` (the FeatureServer on EKS, whose role may only read
 *   the online table and the groups config); every other route answers 404 `not_found`.
 *
 * Both modes add `GET /readyz`: 200 once the groups config has been loaded from S3, 503
 * `not_ready` until then (the readiness probe keeps a pod out of the Service until it can answer).
 * AWS credentials and region come from the standard SDK chain (EKS Pod Identity in the cluster).
 * Exits 0 on SIGTERM/SIGINT after draining in-flight requests.
 */
import { type AppLogger, HttpApp, HttpError, type RawHttpRequest, type SerializedHttpResponse } from '../../core/runtime/http-app';
import { type HttpServerHandle, runServerFromEnv, startOrExit } from '../../core/runtime/node-http';
import { createLogger } from '../../core/runtime/logger';
import { type FeatureStoreDeps, createContext } from './deps';
import { createIngestor } from './ingest';
import { depsFromEnv } from './runtime-env';
import { SERVING_SERVICE_NAME, createServingApp } from './serving-app';
import { ONLINE_MODE_ROUTES, SERVER_MODE_ENV, type ServerMode, parseServerMode } from './server-mode';

/** Serves only the `online` routes of `inner`; anything else is answered 404 by an app without routes. */
class OnlineRoutesOnly extends HttpApp {
  private readonly allowed = new Set(ONLINE_MODE_ROUTES);

  constructor(private readonly inner: HttpApp) {
    super({ name: inner.name, logger: inner.logger });
  }

  override handle(raw: RawHttpRequest): Promise<SerializedHttpResponse> {
    const path = raw.path.length > 1 ? raw.path.replace(/\/+$/, '') : raw.path;
    return this.allowed.has(`${(raw.method ?? '').toUpperCase()} ${path}`) ? this.inner.handle(raw) : super.handle(raw);
  }
}

export interface ContainerAppOptions {
  readonly mode?: ServerMode;
  readonly logger?: AppLogger;
}

/**
 * The serving app of the container: the same handler as the Lambda form, plus `/readyz` (200 once
 * the groups config loaded and validated), limited to the mode's routes.
 */
export function createContainerApp(deps: FeatureStoreDeps, options: ContainerAppOptions = {}): HttpApp {
  const ingestor = createIngestor(createContext(deps));
  const app = createServingApp(ingestor, { logger: options.logger });
  let ready = false;
  app.route('GET', '/readyz', async () => {
    if (!ready) {
      try {
        await ingestor.context.getConfig();
        ready = true;
      } catch {
        throw new HttpError(503, 'not_ready', 'the feature group configuration is not loaded yet');
      }
    }
    return { status: 200, body: { status: 'ready' } };
  });
  return (options.mode ?? 'full') === 'online' ? new OnlineRoutesOnly(app) : app;
}

/** Starts the API from environment variables. */
export function main(env: NodeJS.ProcessEnv = process.env): Promise<HttpServerHandle> {
  const logger = createLogger(SERVING_SERVICE_NAME);
  const mode = parseServerMode(env[SERVER_MODE_ENV]);
  const app = createContainerApp(depsFromEnv(env, { logger, creator: env.FS_CREATOR ?? SERVING_SERVICE_NAME }), { mode, logger });
  return runServerFromEnv(app, { env, logger });
}

if (require.main === module) startOrExit(SERVING_SERVICE_NAME, () => main());
