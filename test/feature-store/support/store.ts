/**
 * A feature store on embedded AWS services (s3rver + dynalite) for runtime tests: bucket, online and
 * versions tables with the construct's key design, the config object, real SDK clients, and a
 * log-capturing logger.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type AppLogger } from '../../../src/core/runtime/http-app';
import { OFFLINE_LAYOUT } from '../../../src/feature-store/feature-group';
import { onlineTableDefinition, versionsTableDefinition } from '../../../src/feature-store/runtime/table-definitions';
import type { FeatureStoreConfigInput, FeatureStoreDeps } from '../../../src/feature-store/runtime/deps';
import { type EmbeddedDynamo, type EmbeddedS3, startDynamo, startS3 } from '../../support/embedded-aws';
import { ECOMMERCE_CONFIG } from './ecommerce';

export const PII_KEY = 'test-pii-hmac-key-0123456789abcdef';

export interface TestStore {
  readonly s3Server: EmbeddedS3;
  readonly dynamoServer: EmbeddedDynamo;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly bucket: string;
  readonly onlineTable: string;
  readonly versionsTable: string;
  readonly config: FeatureStoreConfigInput;
  deps(overrides?: Partial<FeatureStoreDeps>): FeatureStoreDeps;
  put(key: string, body: string | Buffer): Promise<void>;
  getBytes(key: string): Promise<Buffer>;
  /** Every key under `prefix` (all pages). */
  list(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startTestStore(config: FeatureStoreConfigInput = ECOMMERCE_CONFIG): Promise<TestStore> {
  const [s3Server, dynamoServer] = await Promise.all([startS3(), startDynamo()]);
  const bucket = 'feature-store-test';
  const onlineTable = 'fs-online';
  const versionsTable = 'fs-versions';
  await s3Server.createBucket(bucket);
  await dynamoServer.createTable(onlineTableDefinition(onlineTable));
  await dynamoServer.createTable(versionsTableDefinition(versionsTable));
  const s3 = s3Server.client();
  const dynamo = dynamoServer.client();
  const put = async (key: string, body: string | Buffer): Promise<void> => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  await put(OFFLINE_LAYOUT.config, JSON.stringify(config));
  return {
    s3Server,
    dynamoServer,
    s3,
    dynamo,
    bucket,
    onlineTable,
    versionsTable,
    config,
    deps: (overrides = {}) => ({ s3, dynamo, bucket, onlineTable, versionsTable, config, piiKey: PII_KEY, ...overrides }),
    put,
    async getBytes(key) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    },
    async list(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(out.Contents ?? []).map((o) => o.Key as string));
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async close() {
      await Promise.all([s3Server.close(), dynamoServer.close()]);
    },
  };
}

export interface CapturedLogs {
  readonly logger: AppLogger;
  /** Every line as JSON text (message + attributes). */
  readonly lines: string[];
}

/** A logger that keeps every line (serialised, as a real logger would write it). */
export function captureLogger(): CapturedLogs {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]): void => {
      lines.push(JSON.stringify({ level, message, ...Object.assign({}, ...attributes) }));
    };
  return { logger: { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') }, lines };
}
