/**
 * Building feature-store dependencies from the environment the construct sets
 * (`FEATURE_STORE_ENV`): the config object in S3 (cached per execution environment, revalidated
 * by ETag) and the PII key in Secrets Manager (cached per execution environment). Neither the key
 * nor the config content is ever logged.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AppLogger } from '../../core/runtime/http-app';
import { FEATURE_STORE_ENV, type FeatureStoreConfig } from '../feature-group';
import { ConfigError, type FeatureStoreDeps, parseConfig } from './deps';

export interface FeatureStoreEnv {
  readonly bucket: string;
  readonly onlineTable: string;
  readonly versionsTable: string;
  readonly configKey: string;
  readonly piiSecretArn: string;
}

/** Reads the `FS_*` variables; throws one error naming every missing one. */
export function readFeatureStoreEnv(env: Readonly<Record<string, string | undefined>>): FeatureStoreEnv {
  const missing: string[] = [];
  const get = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) missing.push(name);
    return value ?? '';
  };
  const out = {
    bucket: get(FEATURE_STORE_ENV.bucket),
    onlineTable: get(FEATURE_STORE_ENV.onlineTable),
    versionsTable: get(FEATURE_STORE_ENV.versionsTable),
    configKey: get(FEATURE_STORE_ENV.configKey),
    piiSecretArn: get(FEATURE_STORE_ENV.piiSecretArn),
  };
  if (missing.length > 0) throw new Error(`missing environment variable(s): ${missing.join(', ')}`);
  return out;
}

export interface S3ConfigSourceOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** How long a loaded config is used before its ETag is checked again. Default 30 s; 0 = every call. */
  readonly revalidateAfterMs?: number;
  readonly now?: () => number;
}

/**
 * Returns a provider of the validated config stored at `key`. The config is cached per execution
 * environment; after `revalidateAfterMs` a conditional GET (`If-None-Match: <ETag>`) checks for a
 * change (304 keeps the cache). Concurrent callers share one request.
 */
export function createS3ConfigSource(options: S3ConfigSourceOptions): () => Promise<FeatureStoreConfig> {
  const revalidateAfter = options.revalidateAfterMs ?? 30_000;
  const now = options.now ?? Date.now;
  let cached: { etag: string | undefined; config: FeatureStoreConfig; checkedAt: number } | undefined;
  let inFlight: Promise<FeatureStoreConfig> | undefined;

  const load = async (): Promise<FeatureStoreConfig> => {
    let out;
    try {
      out = await options.s3.send(
        new GetObjectCommand({ Bucket: options.bucket, Key: options.key, ...(cached?.etag ? { IfNoneMatch: cached.etag } : {}) }),
      );
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (cached && (status === 304 || (error as { name?: string }).name === 'NotModified')) {
        cached.checkedAt = now();
        return cached.config;
      }
      throw error;
    }
    const text = await (out.Body as { transformToString(): Promise<string> }).transformToString();
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ConfigError(`the feature-store config s3://${options.bucket}/${options.key} is not valid JSON`);
    }
    const config = parseConfig(raw);
    cached = { etag: out.ETag, config, checkedAt: now() };
    return config;
  };

  return () => {
    if (cached && now() - cached.checkedAt < revalidateAfter) return Promise.resolve(cached.config);
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/**
 * Returns a provider of a secret's `SecretString`, fetched once per execution environment (a
 * failed fetch is retried on the next call). The value is never logged.
 */
export function createSecretSource(secrets: SecretsManagerClient, secretId: string): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () => {
    value ??= (async () => {
      const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (typeof out.SecretString !== 'string' || out.SecretString.length === 0) {
        throw new Error('the PII key secret has no SecretString');
      }
      return out.SecretString;
    })().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

export interface RuntimeClients {
  readonly s3?: S3Client;
  readonly dynamo?: DynamoDBClient;
  readonly secrets?: SecretsManagerClient;
}

export interface DepsFromEnvOptions {
  readonly clients?: RuntimeClients;
  readonly logger?: AppLogger;
  readonly creator?: string;
  readonly configRevalidateAfterMs?: number;
}

/** Builds `FeatureStoreDeps` from `FS_*` variables, with SDK clients from the default chain unless given. */
export function depsFromEnv(env: Readonly<Record<string, string | undefined>>, options: DepsFromEnvOptions = {}): FeatureStoreDeps {
  const vars = readFeatureStoreEnv(env);
  const s3 = options.clients?.s3 ?? new S3Client({});
  const dynamo = options.clients?.dynamo ?? new DynamoDBClient({});
  const secrets = options.clients?.secrets ?? new SecretsManagerClient({});
  return {
    s3,
    dynamo,
    bucket: vars.bucket,
    onlineTable: vars.onlineTable,
    versionsTable: vars.versionsTable,
    config: createS3ConfigSource({ s3, bucket: vars.bucket, key: vars.configKey, revalidateAfterMs: options.configRevalidateAfterMs }),
    piiKey: createSecretSource(secrets, vars.piiSecretArn),
    logger: options.logger,
    creator: options.creator,
  };
}
