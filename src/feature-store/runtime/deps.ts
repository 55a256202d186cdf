/**
 * The dependencies every feature-store runtime takes, so tests, the local playground and the Lambda
 * / container entry points build the same code with different clients.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { type AppLogger, HttpError } from '../../core/runtime/http-app';
import { formatFieldPath } from '../../core/field-path';
import { type FeatureGroup, type FeatureStoreConfig, FeatureStoreConfigSchema } from '../feature-group';
import { documentClient } from './online';
import { type RowValidator, createRowValidator } from './rows';
import { VersionStore } from './versions';

/** A value, or a function returning it (called on every use; do your own caching). */
export type Provider<T> = T | (() => T | Promise<T>);

export type FeatureStoreConfigInput = z.input<typeof FeatureStoreConfigSchema>;

/** Tuning knobs of the ingest pipeline; the defaults suit a 1–2 GB Lambda. */
export interface IngestTuning {
  /** Target size of one offline file. Default 16 MiB. */
  readonly offlineFileBytes: number;
  /** Offline bytes buffered across all date partitions before the largest is written. Default 48 MiB. */
  readonly offlineBufferBytes: number;
  /** Target size of one rejected-rows file. Default 4 MiB. */
  readonly rejectedFileBytes: number;
  /** Rejected bytes buffered before a file is written. Default 8 MiB. */
  readonly rejectedBufferBytes: number;
  /** Distinct entities held for the online store before a flush. Default 10,000. */
  readonly onlineMaxEntities: number;
  /** Conditional PutItems in flight. Default 16. */
  readonly onlineConcurrency: number;
  /** Longest accepted record. Default 1 MiB. */
  readonly maxRecordBytes: number;
}

export const DEFAULT_TUNING: IngestTuning = {
  offlineFileBytes: 16 * 1024 * 1024,
  offlineBufferBytes: 48 * 1024 * 1024,
  rejectedFileBytes: 4 * 1024 * 1024,
  rejectedBufferBytes: 8 * 1024 * 1024,
  onlineMaxEntities: 10_000,
  onlineConcurrency: 16,
  maxRecordBytes: 1024 * 1024,
};

export interface FeatureStoreDeps {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  /** The feature-group config (validated with `FeatureStoreConfigSchema` on use). */
  readonly config: Provider<FeatureStoreConfig | FeatureStoreConfigInput>;
  /** The HMAC key for `pii: hash` (only fetched when a group hashes PII). */
  readonly piiKey: Provider<string>;
  readonly bucket: string;
  readonly onlineTable: string;
  readonly versionsTable: string;
  /** Clock (tests inject one). Default `() => new Date()`. */
  readonly now?: () => Date;
  /** Recorded as the creator of versions and tags. */
  readonly creator?: string;
  /** Default: silent. Entry points pass a Powertools logger. */
  readonly logger?: AppLogger;
  readonly tuning?: Partial<IngestTuning>;
}

/** Resolved, shared runtime context. */
export interface FeatureStoreContext {
  readonly deps: FeatureStoreDeps;
  readonly doc: DynamoDBDocumentClient;
  readonly versions: VersionStore;
  readonly now: () => Date;
  readonly tuning: IngestTuning;
  getConfig(): Promise<FeatureStoreConfig>;
  /** The group, or 404 `unknown_group` (with `path` naming the request field). */
  getGroup(name: string, path?: string): Promise<FeatureGroup>;
  getValidator(group: FeatureGroup): Promise<RowValidator>;
}

export async function resolve<T>(provider: Provider<T>): Promise<T> {
  return typeof provider === 'function' ? await (provider as () => T | Promise<T>)() : provider;
}

/** Thrown when the feature-store config is invalid (lists paths, never values). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseConfig(raw: unknown): FeatureStoreConfig {
  const result = FeatureStoreConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${formatFieldPath(i.path, '(root)')}: ${i.message}`);
  throw new ConfigError(`invalid feature-store config: ${problems.join('; ')}`);
}

export function createContext(deps: FeatureStoreDeps): FeatureStoreContext {
  const now = deps.now ?? (() => new Date());
  const doc = documentClient(deps.dynamo);
  const versions = new VersionStore({ doc, table: deps.versionsTable, s3: deps.s3, bucket: deps.bucket, now });
  const parsed = new WeakMap<object, FeatureStoreConfig>();
  const validators = new WeakMap<FeatureGroup, { key: string | undefined; validator: RowValidator }>();

  const getConfig = async (): Promise<FeatureStoreConfig> => {
    const raw = await resolve(deps.config);
    if (typeof raw !== 'object' || raw === null) throw new ConfigError('invalid feature-store config: not an object');
    let config = parsed.get(raw);
    if (!config) {
      config = parseConfig(raw);
      parsed.set(raw, config);
    }
    return config;
  };

  return {
    deps,
    doc,
    versions,
    now,
    tuning: { ...DEFAULT_TUNING, ...deps.tuning },
    getConfig,
    async getGroup(name, path = 'group') {
      const config = await getConfig();
      const group = config.groups.find((g) => g.name === name);
      if (!group) {
        throw new HttpError(404, 'unknown_group', `feature group ${JSON.stringify(name.slice(0, 64))} does not exist`, {
          issues: [{ path, message: 'is not a feature group of this store' }],
        });
      }
      return group;
    },
    async getValidator(group) {
      const needsKey = group.features.some((f) => f.pii === 'hash');
      const key = needsKey ? await resolve(deps.piiKey) : undefined;
      if (needsKey && (typeof key !== 'string' || key.length === 0)) throw new Error('the PII key is empty');
      const cached = validators.get(group);
      if (cached && cached.key === key) return cached.validator;
      const validator = createRowValidator(group, key);
      validators.set(group, { key, validator });
      return validator;
    },
  };
}
