/**
 * The routes a feature-store container serves (`FS_SERVER_MODE`): the contract between the
 * FeatureServer construct, which sets the variable, and `serving-server.ts`, which reads it.
 * Dependency-free, so both the construct and the bundled runtime import it.
 */

/** Environment variable choosing the routes the container serves. */
export const SERVER_MODE_ENV = 'FS_SERVER_MODE';

/**
 * - `full`: every route of the serving API, as the Lambda form serves them (the default);
 * - `online`: only `POST /get-online-features` plus the probes (the FeatureServer on EKS).
 */
export const SERVER_MODES = ['full', 'online'] as const;
export type ServerMode = (typeof SERVER_MODES)[number];

/** The routes of the `online` mode (`<METHOD> <path>`). */
export const ONLINE_MODE_ROUTES: readonly string[] = ['GET /healthz', 'GET /readyz', 'POST /get-online-features'];

/** `FS_SERVER_MODE`: blank → `full`; otherwise `full` or `online`. */
export function parseServerMode(raw: string | undefined): ServerMode {
  const value = raw?.trim() || 'full';
  if (!(SERVER_MODES as readonly string[]).includes(value)) throw new Error(`${SERVER_MODE_ENV} must be one of ${SERVER_MODES.join(', ')}, got '${raw}'`);
  return value as ServerMode;
}
