/**
 * The feature-store serving API under hostile input — every bad request answers a 4xx JSON error
 * naming the problem, never 5xx, and writes nothing (online and versions tables and the bucket
 * compared before and after) — and overlapping ingestion of the same object: exactly one dataset
 * version, no duplicate records.
 */
import { createHash } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServerHandle, serveHttp } from '../../src/core/runtime/node-http';
import { type Ingestor, createIngestor } from '../../src/feature-store/runtime/ingest';
import { createSqsIngestHandler } from '../../src/feature-store/runtime/ingest-handler';
import type { Manifest } from '../../src/feature-store/runtime/manifest';
import { createServingApp } from '../../src/feature-store/runtime/serving-app';
import { generateCustomers, toCsv } from '../feature-store/support/ecommerce';
import { type TestStore, startTestStore } from '../feature-store/support/store';
import {
  TRAVERSAL_NAMES,
  UNICODE_EDGE_CASES,
  deepArrays,
  deepObjects,
  expectClientError,
  hugeJson,
  postJson,
  rawRequest,
  snapshotBucket,
  snapshotTables,
  itRefusesAndWritesNothing,
} from './support';

const NOW = new Date('2026-02-01T00:00:00Z');
const ONE_MIB = 1024 * 1024;

let store: TestStore;
let ingestor: Ingestor;
let server: HttpServerHandle;
let versionId: string;

beforeAll(async () => {
  store = await startTestStore();
  ingestor = createIngestor(store.deps({ now: () => NOW, creator: 'seed' }));
  await store.put('raw/customers/seed.csv', toCsv(generateCustomers({ customers: 20, updatesPerCustomer: 1, seed: 7, firstCustomer: 1 })));
  versionId = (await ingestor.ingestObject({ key: 'raw/customers/seed.csv' })).versionId;
  server = await serveHttp(createServingApp(store.deps({ now: () => NOW, creator: 'adversarial' })), { port: 0 });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

const stores = async () => ({
  tables: await snapshotTables(store.dynamo, [store.onlineTable, store.versionsTable]),
  bucket: await snapshotBucket(store.s3, store.bucket),
});
const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) => postJson(server.url, path, body, headers);
const get = (path: string) => rawRequest(server.url, { method: 'GET', path });

const GOOD_ROW = { customer_id: 'C000001', event_time: '2026-01-31T00:00:00Z' };

const BAD: [string, () => ReturnType<typeof post>, RegExp, number][] = [
  ['malformed JSON (features)', () => post('/get-online-features', '{"features": ['), /invalid_json/, 400],
  ['malformed JSON (push)', () => post('/push', '{"group":"customers","rows":[{]}'), /invalid_json/, 400],
  ['features of the wrong type', () => post('/get-online-features', '{"features":"customers:segment","entities":{"customer_id":["C1"]}}'), /invalid_body.*"path":"features"/, 400],
  ['entity values of the wrong type', () => post('/get-online-features', '{"features":["customers:segment"],"entities":{"customer_id":[{"$ne":null}]}}'), /invalid_body.*entities\.customer_id\[0\]/, 400],
  ['rows of the wrong type', () => post('/push', '{"group":"customers","rows":"C1"}'), /invalid_body.*"path":"rows"/, 400],
  ['push target of the wrong type', () => post('/push', JSON.stringify({ group: 'customers', rows: [GOOD_ROW], to: 'everywhere' })), /invalid_body.*"path":"to"/, 400],
  ['an unknown field', () => post('/push', JSON.stringify({ group: 'customers', rows: [GOOD_ROW], overwrite: true })), /invalid_body.*overwrite.*is not a known field/, 400],
  ['a body just over 1 MiB (features)', () => post('/get-online-features', hugeJson(ONE_MIB + 1, 'features')), /payload_too_large/, 413],
  ['a 4 MiB push', () => post('/push', hugeJson(4 * ONE_MIB, 'group')), /payload_too_large/, 413],
  ['10,000 nested arrays as the body', () => post('/push', deepArrays(10_000)), /invalid_body/, 400],
  ['10,000 nested arrays as entity values', () => post('/get-online-features', `{"features":["customers:segment"],"entities":{"customer_id":${deepArrays(10_000)}}}`), /invalid_body.*entities\.customer_id/, 400],
  ['a lone surrogate as the group', () => post('/push', `{"group":${UNICODE_EDGE_CASES['lone high surrogate']},"rows":[{}]}`), /invalid_body.*"path":"group"/, 400],
  ['NUL in the group', () => post('/push', `{"group":"customers\\u0000","rows":[{}]}`), /invalid_body.*"path":"group"/, 400],
  ['an RTL override in the group', () => post('/push', `{"group":${UNICODE_EDGE_CASES['RTL override']},"rows":[{}]}`), /invalid_body.*"path":"group"/, 400],
  ['an emoji feature reference', () => post('/get-online-features', '{"features":["customers:🚀"],"entities":{"customer_id":["C1"]}}'), /invalid_body.*features\[0\]/, 400],
  ['a lone surrogate in a feature reference', () => post('/get-online-features', '{"features":["customers:seg\\udc00"],"entities":{"customer_id":["C1"]}}'), /invalid_body.*features\[0\]/, 400],
  ...TRAVERSAL_NAMES.map((name): [string, () => ReturnType<typeof post>, RegExp, number] => [
    `a traversal group in the body: ${name}`,
    () => post('/push', JSON.stringify({ group: name, rows: [GOOD_ROW], to: 'online_and_offline' })),
    /invalid_body.*"path":"group"/,
    400,
  ]),
  ['a traversal feature reference', () => post('/get-online-features', '{"features":["../customers:segment"],"entities":{"customer_id":["C1"]}}'), /invalid_body.*features\[0\]/, 400],
  ['a traversal tag', () => post(`/datasets/customers/versions/${'0'.repeat(64)}/tags`, '{"tag":"../../prod"}'), /invalid_body.*"path":"tag"/, 400],
  ['a traversal revert target', () => post('/datasets/customers/revert', '{"versionId":"../../manifests/customers/x"}'), /invalid_body.*"path":"versionId"/, 400],
  ['an encoded-slash group in the path (tag)', () => post(`/datasets/..%2fcustomers/versions/${versionId}/tags`, '{"tag":"x"}'), /invalid_path.*"path":"group"/, 400],
  ['an encoded-dot-dot version id in the path (verify)', () => post('/datasets/customers/versions/%2e%2e%2f%2e%2e%2fconfig/verify', ''), /invalid_path.*"path":"id"/, 400],
  ['an encoded-dot-dot group in the path (revert)', () => post('/datasets/%2e%2e/revert', `{"versionId":"${'a'.repeat(64)}"}`), /invalid_path.*"path":"group"/, 400],
  ['a non-JSON content type', () => post('/push', '{"group":"customers","rows":[{}]}', { 'content-type': 'application/x-www-form-urlencoded' }), /unsupported_media_type/, 415],
];

describe('feature-store serving: bad input is refused with a JSON error and writes nothing', () => {
  itRefusesAndWritesNothing(BAD, stores);

  // Push validates row by row (documented contract): a request whose rows are all invalid is a 200
  // that rejects every row by index and field — and must write nothing at all.
  it('an online push with a row nested 10,000 deep is refused whole, naming the row, and writes nothing', async () => {
    const before = await stores();
    const res = await post('/push', `{"group":"customers","to":"online","rows":[{"customer_id":"C1"},${deepObjects(10_000)}]}`);
    expectClientError(res, /invalid_body.*"path":"rows\[1\]".*must not nest deeper than 32 levels/);
    expect(await stores()).toEqual(before);
  });

  it('an online push whose every row is invalid (wrong types, shallow nesting, lone surrogates) rejects every row and writes nothing', async () => {
    const before = await stores();
    const rows = `[{"customer_id":42},{"nope":true},${deepObjects(20)},{"customer_id":"C\\ud800","updated_at":"2026-01-31T00:00:00Z"}]`;
    const res = await post('/push', `{"group":"customers","to":"online","rows":${rows}}`);
    expect(res.status, res.text).toBe(200);
    const body = res.json as { counts: { input: number; valid: number; rejected: number }; rejected: { index: number; reasons: { field: string }[] }[]; online: { written: number }; version: unknown };
    expect(body.counts).toMatchObject({ input: 4, valid: 0, rejected: 4 });
    expect(body.rejected.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(body.rejected[1].reasons.map((r) => r.field)).toContain('customer_id');
    expect(body.online.written).toBe(0);
    expect(body.version).toBeNull();
    expect(await stores()).toEqual(before);
  });

  // Found by these tests and fixed (issue #10): deep nesting overflowed canonicalJson (500); an
  // all-rejected offline push committed an empty dataset version.
  it('an offline push with a row nested 10,000 deep answers 4xx (was: 500, stack overflow in canonicalJson)', async () => {
    const before = await stores();
    expectClientError(await post('/push', `{"group":"customers","to":"online_and_offline","rows":[${deepObjects(10_000)}]}`), /invalid_body|rejected|too deep/);
    expect(await stores()).toEqual(before);
  });

  it('an offline push whose every row is rejected writes nothing (was: an empty dataset version)', async () => {
    const before = await stores();
    const res = await post('/push', JSON.stringify({ group: 'customers', to: 'online_and_offline', rows: [{ customer_id: 42 }, { nope: true }] }));
    expect(res.status).toBeLessThan(500);
    expect(await stores()).toEqual(before);
  });

  it('raw ../ and %2e%2e%2f in read paths never reach outside the API (JSON 4xx)', async () => {
    for (const path of [
      '/datasets/../config/versions',
      '/datasets/%2e%2e%2fconfig/versions',
      `/datasets/customers/versions/..%2F..%2Fmanifests%2Fcustomers%2F${versionId}.json`,
      '/datasets/customers/versions/%c0%ae%c0%ae',
      '/datasets/customers/versions/%E0%A4%A',
      '/../../etc/passwd',
    ]) {
      const res = await get(path);
      expectClientError(res, /invalid_path|not_found/);
    }
  });

  it('injection-like strings are plain values: the list limit must be a number', async () => {
    expectClientError(await get("/datasets/customers/versions?limit=1%20OR%201%3D1"), /invalid_query.*limit/, 400);
    expectClientError(await get('/datasets/customers/versions?limit=1e309'), /invalid_query.*limit/, 400);
    expectClientError(await get("/datasets/customers/versions?limit=10&order=';DROP"), /invalid_query.*order.*is not a known field/, 400);
  });

  it("entity keys that look like injection are just keys that match nothing (200, NOT_FOUND), nothing written", async () => {
    const before = await stores();
    const res = await post(
      '/get-online-features',
      JSON.stringify({ features: ['customers:segment'], entities: { customer_id: ["' OR 1=1 --", '../../C000001', 'C000001\u202e'] } }),
    );
    expect(res.status, res.text).toBe(200);
    const results = (res.json as { results: { statuses: string[] }[] }).results;
    expect(results[1].statuses).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
    expect(await stores()).toEqual(before);
  });

  it('oversized request headers are refused with 431 before the app runs', async () => {
    const before = await stores();
    const res = await rawRequest(server.url, {
      method: 'POST',
      path: '/push',
      headers: { 'content-type': 'application/json', cookie: 'c'.repeat(64 * 1024) },
      body: JSON.stringify({ group: 'customers', rows: [GOOD_ROW] }),
    });
    expect(res.status).toBe(431);
    expect(await stores()).toEqual(before);
  });
});

function sqsMessage(id: string, key: string): SQSRecord {
  const body = JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: store.bucket }, object: { key, size: 1, eTag: 'e' } },
      },
    ],
  });
  return {
    messageId: id,
    receiptHandle: `AQEB${id}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1767607200000', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1767607200001' },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:ingest',
    awsRegion: 'us-east-1',
  };
}

/** Offline records (NDJSON lines) of the files a version's manifest lists. */
async function offlineRecords(manifest: Manifest): Promise<string[]> {
  const lines: string[] = [];
  for (const f of manifest.content.files.filter((x) => x.kind === 'offline')) {
    lines.push(...(await store.getBytes(f.path)).toString('utf8').split('\n').filter((l) => l !== ''));
  }
  return lines;
}

describe('feature store: overlapping ingestion of the same object', () => {
  it('two concurrent ingests of one object commit exactly one dataset version with no duplicate records', async () => {
    const key = 'raw/customers/overlap.csv';
    await store.put(key, toCsv(generateCustomers({ customers: 30, updatesPerCustomer: 2, seed: 91, firstCustomer: 700 })));
    const versionsBefore = (await ingestor.context.versions.listVersions('customers')).versions.length;
    const offlineBefore = await store.list('offline/customers/');

    // Two ingestors: two Lambda containers handling a redelivered notification at the same time.
    const other = createIngestor(store.deps({ now: () => NOW, creator: 'seed' }));
    const [a, b] = await Promise.all([ingestor.ingestObject({ key }), other.ingestObject({ key })]);

    expect(a.versionId).toBe(b.versionId);
    expect([a.status, b.status].sort()).toEqual(['duplicate', 'ingested']);
    const list = await ingestor.context.versions.listVersions('customers');
    expect(list.versions).toHaveLength(versionsBefore + 1);
    expect(list.versions.filter((v) => v.versionId === a.versionId)).toHaveLength(1);

    const manifest = (await ingestor.context.versions.readManifest('customers', a.versionId)) as Manifest;
    const records = await offlineRecords(manifest);
    expect(new Set(records).size).toBe(records.length);
    const ingested = a.status === 'ingested' ? a : b;
    expect(records).toHaveLength(ingested.counts.valid);
    // No stray offline files of the losing run: every new offline object belongs to the version.
    const newOffline = (await store.list('offline/customers/')).filter((k) => !offlineBefore.includes(k));
    expect(newOffline.sort()).toEqual(manifest.content.files.filter((f) => f.kind === 'offline').map((f) => f.path).sort());
  });

  it('two SQS batches delivering the same notification at once: both acknowledged, one version', async () => {
    const key = 'raw/customers/redelivered.csv';
    await store.put(key, toCsv(generateCustomers({ customers: 15, updatesPerCustomer: 1, seed: 92, firstCustomer: 900 })));
    const versionsBefore = (await ingestor.context.versions.listVersions('customers')).versions.length;
    const handler = (name: string) => createSqsIngestHandler({ ingestor: createIngestor(store.deps({ now: () => NOW, creator: name })), bucket: store.bucket });
    const results = await Promise.all([
      handler('lambda-1')({ Records: [sqsMessage('m-1', key)] }),
      handler('lambda-2')({ Records: [sqsMessage('m-2', key)] }),
      handler('lambda-3')({ Records: [sqsMessage('m-3', key), sqsMessage('m-4', key)] }),
    ]);
    expect(results).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect((await ingestor.context.versions.listVersions('customers')).versions).toHaveLength(versionsBefore + 1);
  });
});
