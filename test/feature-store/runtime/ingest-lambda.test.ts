/**
 * The ingest Lambda path: SQS event → S3 event notifications → ingest, with clients and settings
 * from the `FS_*` environment, the config from S3 and the PII key from a (protocol-compatible)
 * Secrets Manager endpoint. Partial batch responses for bad messages.
 */
import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE_LAYOUT } from '../../../src/feature-store/feature-group';
import { ConfigError } from '../../../src/feature-store/runtime/deps';
import { decodeS3EventKey } from '../../../src/feature-store/runtime/ingest-handler';
import { createIngestLambdaHandler } from '../../../src/feature-store/runtime/ingest-lambda';
import { documentClient } from '../../../src/feature-store/runtime/online';
import { hashPii } from '../../../src/feature-store/runtime/rows';
import { createS3ConfigSource, createSecretSource, readFeatureStoreEnv } from '../../../src/feature-store/runtime/runtime-env';
import { VersionStore } from '../../../src/feature-store/runtime/versions';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ECOMMERCE_CONFIG, customerEmail, generateCustomers, generatePurchases, toCsv, toJsonl } from '../support/ecommerce';
import { type EmbeddedSecrets, startSecretsManager } from '../support/secrets-manager';
import { type CapturedLogs, PII_KEY, type TestStore, captureLogger, startTestStore } from '../support/store';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fs-pii-key-AbCdEf';
const CUSTOMERS_KEY = 'raw/customers/daily export 2026-01-05 (1).csv';

let store: TestStore;
let secrets: EmbeddedSecrets;
let logs: CapturedLogs;
let env: Record<string, string>;

/** How S3 encodes keys in event notifications (form encoding: spaces as +). */
function s3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

function s3Notification(key: string, options: { bucket?: string; eventName?: string; size?: number } = {}): unknown {
  const bucket = options.bucket ?? store.bucket;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-01-05T10:00:00.000Z',
        eventName: options.eventName ?? 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AROAEXAMPLE:uploader' },
        requestParameters: { sourceIPAddress: '198.51.100.7' },
        responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'raw-objects',
          bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: s3EventKey(key), size: options.size ?? 1024, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0055AED6DCD90281E5' },
        },
      },
    ],
  };
}

function message(id: string, body: unknown): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    messageId: id,
    receiptHandle: `AQEB${id}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1767607200000',
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: '1767607200001',
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(text).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:gai-dev-feature-store-ingest-queue',
    awsRegion: 'us-east-1',
  };
}

beforeAll(async () => {
  store = await startTestStore();
  secrets = await startSecretsManager({ [SECRET_ARN]: PII_KEY });
  logs = captureLogger();
  env = {
    FS_BUCKET: store.bucket,
    FS_ONLINE_TABLE: store.onlineTable,
    FS_VERSIONS_TABLE: store.versionsTable,
    FS_CONFIG_KEY: OFFLINE_LAYOUT.config,
    FS_PII_SECRET_ARN: SECRET_ARN,
    AWS_LAMBDA_FUNCTION_NAME: 'gai-dev-feature-store-ingest',
  };
}, 60_000);

afterAll(async () => {
  await secrets?.close();
  await store?.close();
});

describe('ingest Lambda handler (SQS → S3 events)', () => {
  it('ingests created objects, ignores test events and non-create events, and reports only the bad messages', async () => {
    const customers = generateCustomers({ customers: 30, updatesPerCustomer: 2, seed: 3 });
    const purchases = generatePurchases({ rows: 300, customers: 30, products: 20, seed: 4 });
    await store.put(CUSTOMERS_KEY, toCsv(customers));
    await store.put('raw/purchases/p-1.jsonl', toJsonl(purchases));
    await store.put('raw/unknowngroup/x.csv', 'a,b\n1,2\n');
    const handler = createIngestLambdaHandler({
      env,
      clients: { s3: store.s3, dynamo: store.dynamo, secrets: secrets.client() },
      logger: logs.logger,
      configRevalidateAfterMs: 0,
    });
    const event: SQSEvent = {
      Records: [
        message('m1-test', { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-01-05T10:00:00.000Z', Bucket: store.bucket, RequestId: 'X', HostId: 'Y' }),
        message('m2-customers', s3Notification(CUSTOMERS_KEY)),
        message('m3-unknown-group', s3Notification('raw/unknowngroup/x.csv')),
        message('m4-missing', s3Notification('raw/customers/deleted-before-processing.csv')),
        message('m5-removed', s3Notification(CUSTOMERS_KEY, { eventName: 'ObjectRemoved:Delete' })),
        message('m6-garbage', 'this is not json'),
        message('m7-other-bucket', s3Notification('raw/customers/x.csv', { bucket: 'someone-elses-bucket' })),
        message('m8-purchases', s3Notification('raw/purchases/p-1.jsonl')),
        message('m9-folder', s3Notification('raw/customers/', { size: 0 })),
      ],
    };
    const result = await handler(event);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m3-unknown-group', 'm4-missing', 'm6-garbage', 'm7-other-bucket']);

    const versions = new VersionStore({ doc: documentClient(store.dynamo), table: store.versionsTable, s3: store.s3, bucket: store.bucket, now: () => new Date() });
    const list = await versions.listVersions('customers');
    expect(list.versions).toHaveLength(1);
    expect(list.versions[0]).toMatchObject({ creator: 'gai-dev-feature-store-ingest', source: { kind: 's3', key: CUSTOMERS_KEY }, counts: { valid: customers.expected.valid } });
    expect((await versions.listVersions('purchases')).versions[0].counts.valid).toBe(purchases.expected.valid);

    // The PII key came from Secrets Manager.
    const item = await documentClient(store.dynamo).send(new GetCommand({ TableName: store.onlineTable, Key: { pk: 'customers#C000001' } }));
    expect((item.Item?.features as { email: string }).email).toBe(hashPii(customerEmail(1), PII_KEY));

    const failures = logs.lines.filter((l) => l.includes('ingest message failed')).map((l) => JSON.parse(l) as { messageId: string; code?: string });
    expect(failures.map((f) => [f.messageId, f.code])).toEqual([
      ['m3-unknown-group', 'unknown_group'],
      ['m4-missing', 'object_not_found'],
      ['m6-garbage', 'invalid_message'],
      ['m7-other-bucket', 'unexpected_bucket'],
    ]);

    // A redelivered message is idempotent; the secret is fetched once per execution environment.
    const again = await handler({ Records: [message('m2-redelivered', s3Notification(CUSTOMERS_KEY))] });
    expect(again.batchItemFailures).toEqual([]);
    expect((await versions.listVersions('customers')).versions).toHaveLength(1);
    expect(secrets.calls()).toBe(1);

    const text = logs.lines.join('\n');
    expect(text).not.toContain(PII_KEY);
    for (const value of customers.pii) expect(text).not.toContain(value);
  });

  it('fails the whole batch when the environment is incomplete or the secret cannot be read', async () => {
    const event: SQSEvent = { Records: [message('a', s3Notification(CUSTOMERS_KEY))] };
    await expect(createIngestLambdaHandler({ env: { FS_BUCKET: 'b' }, logger: logs.logger })(event)).rejects.toThrow(
      /FS_ONLINE_TABLE, FS_VERSIONS_TABLE, FS_CONFIG_KEY, FS_PII_SECRET_ARN/,
    );
    await store.put('raw/customers/new-file.csv', toCsv(generateCustomers({ customers: 3, updatesPerCustomer: 1, seed: 77, firstCustomer: 700 })));
    const handler = createIngestLambdaHandler({
      env: { ...env, FS_PII_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing' },
      clients: { s3: store.s3, dynamo: store.dynamo, secrets: secrets.client() },
      logger: logs.logger,
    });
    const result = await handler({ Records: [message('b', s3Notification('raw/customers/new-file.csv'))] });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'b' }]);
  });

  it('decodes S3 event keys', () => {
    expect(decodeS3EventKey('raw/customers/daily+export+%281%29.csv')).toBe('raw/customers/daily export (1).csv');
    expect(decodeS3EventKey(s3EventKey('raw/g/ünï+x.csv'))).toBe('raw/g/ünï+x.csv');
  });
});

describe('runtime environment', () => {
  it('names every missing variable', () => {
    expect(() => readFeatureStoreEnv({ FS_BUCKET: 'b', FS_CONFIG_KEY: ' ' })).toThrow(
      'missing environment variable(s): FS_ONLINE_TABLE, FS_VERSIONS_TABLE, FS_CONFIG_KEY, FS_PII_SECRET_ARN',
    );
  });

  it('caches the config by ETag and picks up changes', async () => {
    const key = 'config/test-config.json';
    await store.put(key, JSON.stringify(ECOMMERCE_CONFIG));
    let clock = 0;
    const source = createS3ConfigSource({ s3: store.s3, bucket: store.bucket, key, revalidateAfterMs: 1000, now: () => clock });
    const first = await source();
    expect(first.groups.map((g) => g.name)).toEqual(['customers', 'purchases', 'products']);
    expect(await source()).toBe(first);
    clock = 2000;
    expect(await source()).toBe(first); // revalidated: 304 Not Modified, same object
    const changed = { ...ECOMMERCE_CONFIG, groups: ECOMMERCE_CONFIG.groups.slice(0, 1) };
    await store.put(key, JSON.stringify(changed));
    expect((await source()).groups).toHaveLength(3); // within the revalidation interval
    clock = 4000;
    expect((await source()).groups.map((g) => g.name)).toEqual(['customers']);
  });

  it('rejects invalid configs naming paths, never values', async () => {
    await store.put('config/bad.json', JSON.stringify({ version: 1, groups: [{ ...ECOMMERCE_CONFIG.groups[0], name: 'Secret Name' }] }));
    const error = await createS3ConfigSource({ s3: store.s3, bucket: store.bucket, key: 'config/bad.json' })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('groups[0].name');
    expect((error as Error).message).not.toContain('Secret Name');
    await store.put('config/not-json.json', '{ nope');
    await expect(createS3ConfigSource({ s3: store.s3, bucket: store.bucket, key: 'config/not-json.json' })()).rejects.toBeInstanceOf(ConfigError);
  });

  it('reads the PII key once and retries after a failure', async () => {
    const before = secrets.calls();
    const key = createSecretSource(secrets.client(), SECRET_ARN);
    expect(await key()).toBe(PII_KEY);
    expect(await key()).toBe(PII_KEY);
    expect(secrets.calls() - before).toBe(1);
    const missing = createSecretSource(secrets.client(), 'nope');
    await expect(missing()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(missing()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(secrets.calls() - before).toBe(3);
  });
});
