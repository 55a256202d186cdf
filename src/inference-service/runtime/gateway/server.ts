/**
 * Container entry of the InferenceService gateway: `node index.js` (an esbuild bundle of this file).
 * Reads `GATEWAY_CONFIG_PATH` and `GATEWAY_KEYS_PATH` (the mounted `gateway.json` and `keys.json`),
 * `PORT` (default 8080) and `HOST` (default 0.0.0.0). Access-log lines go to stdout, operational
 * logs through the shared Powertools logger. On SIGTERM/SIGINT it stops accepting connections,
 * finishes in-flight requests and streams within `resilience.shutdownGraceMs`, then exits 0.
 * Run as the entry, it first turns off V8's allocation-site pretenuring (see `core/runtime/v8-tuning`).
 */
import { createLogger } from '../../../core/runtime/logger';
import { parsePort, startOrExit, stopOnSignals } from '../../../core/runtime/node-http';
import { disableAllocationSitePretenuring } from '../../../core/runtime/v8-tuning';
import { GATEWAY_ENV, GATEWAY_PORT } from '../../gateway-config';
import { GATEWAY_SERVICE_NAME, type GatewayServer, startGateway } from './gateway';

/** Starts the gateway from environment variables. */
export async function main(env: NodeJS.ProcessEnv = process.env, exit: (code: number) => void = (code) => process.exit(code)): Promise<GatewayServer> {
  const configPath = env[GATEWAY_ENV.configPath]?.trim();
  const keysPath = env[GATEWAY_ENV.keysPath]?.trim();
  if (!configPath) throw new Error(`${GATEWAY_ENV.configPath} must name the gateway.json file`);
  if (!keysPath) throw new Error(`${GATEWAY_ENV.keysPath} must name the keys.json file`);
  const port = parsePort(env[GATEWAY_ENV.port], GATEWAY_ENV.port, GATEWAY_PORT);
  const host = env.HOST?.trim() || '0.0.0.0';
  const logger = createLogger(GATEWAY_SERVICE_NAME);
  const server = await startGateway({ configPath, keysPath, port, host, logger, accessLog: process.stdout });
  logger.info('listening', { url: server.url, ready: server.gateway.ready() });
  stopOnSignals(server, logger, exit);
  return server;
}

if (require.main === module) {
  // Before the first request: a cold burst would otherwise make V8 allocate per-request objects in the
  // old generation for good, turning every scavenge into a 10–17 ms pause (see v8-tuning.ts).
  disableAllocationSitePretenuring();
  startOrExit(GATEWAY_SERVICE_NAME, () => main());
}
