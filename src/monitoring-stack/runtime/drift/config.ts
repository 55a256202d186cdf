/**
 * Reading and validating the drift config at the edge: from `DRIFT_CONFIG` (JSON) or the file named
 * by `DRIFT_CONFIG_FILE`. Errors list every problem by field path and never echo values.
 */
import { readFileSync } from 'node:fs';
import { formatFieldPath } from '../../../core/field-path';
import { DRIFT_ENV, type DriftConfig, DriftConfigSchema } from '../../drift-config';

/** The config is missing or invalid. */
export class DriftConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftConfigError';
  }
}

/** Validates a parsed config; throws `DriftConfigError` naming every invalid field. */
export function parseDriftConfig(raw: unknown): DriftConfig {
  const result = DriftConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${formatFieldPath(i.path, '(root)')}: ${i.message}`);
  throw new DriftConfigError(`invalid drift config: ${problems.join('; ')}`);
}

/** Parses JSON text (from `source`, for the message) and validates it. */
export function parseDriftConfigText(text: string, source: string): DriftConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new DriftConfigError(`invalid drift config: ${source} is not valid JSON`);
  }
  return parseDriftConfig(raw);
}

/** The config from `DRIFT_CONFIG`, else from the file named by `DRIFT_CONFIG_FILE`. */
export function driftConfigFromEnv(env: Readonly<Record<string, string | undefined>>, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): DriftConfig {
  const inline = env[DRIFT_ENV.config];
  if (inline !== undefined && inline.trim() !== '') return parseDriftConfigText(inline, DRIFT_ENV.config);
  const file = env[DRIFT_ENV.configFile];
  if (file !== undefined && file.trim() !== '') {
    let text: string;
    try {
      text = readFile(file);
    } catch (error) {
      throw new DriftConfigError(`cannot read the drift config file ${file} (${DRIFT_ENV.configFile}): ${(error as { code?: string }).code ?? 'error'}`);
    }
    return parseDriftConfigText(text, file);
  }
  throw new DriftConfigError(`missing drift config: set ${DRIFT_ENV.config} (JSON) or ${DRIFT_ENV.configFile} (path)`);
}
