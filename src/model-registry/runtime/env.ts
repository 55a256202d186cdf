/**
 * Runtime configuration from environment variables (names in `MODEL_REGISTRY_ENV`):
 * `MR_METADATA_TABLE`, `MR_AUDIT_TABLE`, `MR_ARTIFACT_BUCKET`, `MR_EVENT_BUS_NAME` and `MR_CONFIG`
 * (JSON, validated with `RegistryConfigSchema`), plus the optional `MR_BASE_PATH` (route prefix,
 * e.g. `/registry`).
 */
import { MODEL_REGISTRY_ENV, RegistryConfigSchema } from '../registry-config';

export const BASE_PATH_ENV = 'MR_BASE_PATH';

export interface RegistryEnv {
  readonly metadataTable: string;
  readonly auditTable: string;
  readonly artifactBucket: string;
  /** Undefined only when `requireEventBus` is false and the variable is unset. */
  readonly eventBusName?: string;
  /** The parsed `MR_CONFIG` JSON as given (validated, defaults not yet applied). */
  readonly config: unknown;
  readonly basePath?: string;
}

/** Reads and validates the environment; throws one error naming every missing or invalid variable. */
export function loadRegistryEnv(env: Readonly<Record<string, string | undefined>>, options: { requireEventBus?: boolean } = {}): RegistryEnv {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is not set`);
    return value ?? '';
  };
  const metadataTable = required(MODEL_REGISTRY_ENV.metadataTable);
  const auditTable = required(MODEL_REGISTRY_ENV.auditTable);
  const artifactBucket = required(MODEL_REGISTRY_ENV.artifactBucket);
  const eventBusName = options.requireEventBus === false ? env[MODEL_REGISTRY_ENV.eventBus]?.trim() || undefined : required(MODEL_REGISTRY_ENV.eventBus);
  const rawConfig = required(MODEL_REGISTRY_ENV.config);
  let config: unknown;
  if (rawConfig) {
    try {
      config = JSON.parse(rawConfig);
      const parsed = RegistryConfigSchema.safeParse(config);
      if (!parsed.success) {
        problems.push(
          `${MODEL_REGISTRY_ENV.config} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
        );
      }
    } catch {
      problems.push(`${MODEL_REGISTRY_ENV.config} is not valid JSON`);
    }
  }
  if (problems.length > 0) throw new Error(`model registry configuration error: ${problems.join('; ')}`);
  const basePath = env[BASE_PATH_ENV]?.trim() || undefined;
  return { metadataTable, auditTable, artifactBucket, eventBusName, config, basePath };
}
