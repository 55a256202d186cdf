/**
 * The serving API end to end on embedded S3 + DynamoDB, over real HTTP (serveHttp) and through the
 * Lambda adapter (API Gateway payload v2): Feast get-online-features, push, dataset versions.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../../src/core/runtime/http-app';
import { type HttpApiEvent, toLambdaHandler } from '../../../src/core/runtime/lambda-http';
import { type HttpServerHandle, serveHttp } from '../../../src/core/runtime/node-http';
import { type Ingestor, createIngestor } from '../../../src/feature-store/runtime/ingest';
import { batchGetOnline, documentClient } from '../../../src/feature-store/runtime/online';
import { hashPii } from '../../../src/feature-store/runtime/rows';
import { createServingApp } from '../../../src/feature-store/runtime/serving-app';
import { customerEmail, generateCustomers, toCsv } from '../support/ecommerce';
import { type CapturedLogs, PII_KEY, type TestStore, captureLogger, startTestStore } from '../support/store';
import { type ThrottlingProxy, startThrottlingProxy } from '../support/throttling-proxy';

const INGEST_NOW = new Date('2026-02-01T00:00:00Z');
const SERVING_NOW = new Date('2026-02-20T00:00:00Z');
const EPOCH = '1970-01-01T00:00:00Z';

type Response = { status: number; json: any };
type Call = (method: string, path: string, body?: unknown, options?: { raw?: string; contentType?: string }) => Promise<Response>;

let store: TestStore;
let logs: CapturedLogs;
let ingestor: Ingestor;
let app: HttpApp;
let server: HttpServerHandle;
let proxy: ThrottlingProxy;
const transports = {} as Record<'node-http' | 'lambda', Call>;
const versions: string[] = [];

function lambdaEvent(method: string, rawPathWithQuery: string, body: string | undefined, contentType: string): HttpApiEvent {
  // An API Gateway route with IAM authorization: the authorizer block carries the caller.
  const [rawPath, rawQueryString = ''] = rawPathWithQuery.split('?');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: { 'content-type': contentType, host: 'api.example.com' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: { iam: { accessKey: 'ASIAEXAMPLE', accountId: '123456789012', callerId: 'AROAEXAMPLE:trainer', principalOrgId: null, userArn: 'arn:aws:sts::123456789012:assumed-role/Trainer/session', userId: 'AROAEXAMPLE:session', cognitoIdentity: null } },
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: '$default',
      stage: '$default',
      time: '20/Feb/2026:00:00:00 +0000',
      timeEpoch: SERVING_NOW.getTime(),
    },
    body: body === undefined ? undefined : Buffer.from(body, 'utf8').toString('base64'),
    isBase64Encoded: body !== undefined,
  } as HttpApiEvent;
}

beforeAll(async () => {
  store = await startTestStore();
  logs = captureLogger();
  proxy = await startThrottlingProxy(store.dynamoServer.endpoint);
  ingestor = createIngestor(store.deps({ now: () => INGEST_NOW, creator: 'seed' }));
  for (const [i, seed] of [1, 2].entries()) {
    const file = generateCustomers({ customers: 25, updatesPerCustomer: 2, seed, firstCustomer: 1 + i * 25 });
    await store.put(`raw/customers/seed-${i}.csv`, toCsv(file));
    versions.push((await ingestor.ingestObject({ key: `raw/customers/seed-${i}.csv` })).versionId);
  }
  // The app reads the online store through the throttling proxy (inactive unless a test throttles).
  app = createServingApp(store.deps({ dynamo: proxy.client(), now: () => SERVING_NOW, creator: 'api-test', logger: logs.logger }));
  server = await serveHttp(app, { port: 0 });
  transports['node-http'] = async (method, path, body, options = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': options.contentType ?? 'application/json' },
      body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const handler = toLambdaHandler(app);
  transports.lambda = async (method, path, body, options = {}) => {
    const raw = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const res = await handler(lambdaEvent(method, path, raw, options.contentType ?? 'application/json'));
    return { status: res.statusCode ?? 0, json: res.body ? JSON.parse(res.body) : undefined };
  };
  // Controlled online rows: fresh, with a null feature, stale (outside the 30-day max age).
  const pushed = await transports['node-http']('POST', '/push', {
    group: 'customers',
    to: 'online',
    rows: [
      { customer_id: 'P000001', updated_at: '2026-02-15T00:00:00Z', email: 'fresh@mail.example.com', phone: '+1 555 000 1234', orders_count: 5, segment: 'vip' },
      { customer_id: 'P000002', updated_at: '2026-02-16T00:00:00Z', email: 'nophone@mail.example.com', phone: null, orders_count: 0 },
      { customer_id: 'P000003', updated_at: '2026-01-02T00:00:00Z', email: 'stale@mail.example.com', phone: '+1 555 000 9876', orders_count: 2, segment: 'dormant' },
    ],
  });
  expect(pushed.status).toBe(200);
  const products = await transports['node-http']('POST', '/push', {
    group: 'products',
    rows: [{ product_id: 9001, as_of: '2026-02-19T12:00:00Z', title: 'Kettle', category: 'garden', price: 19.99, in_stock: true }],
  });
  expect(products.json.counts.valid).toBe(1);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await proxy?.close();
  await store?.close();
});

describe.each(['node-http', 'lambda'] as const)('get-online-features over %s', (transport) => {
  const call = (body: unknown, options?: { raw?: string; contentType?: string }) => transports[transport]('POST', '/get-online-features', body, options);

  it('answers in Feast shape: entity column first, then features; PRESENT / NULL_VALUE / OUTSIDE_MAX_AGE / NOT_FOUND', async () => {
    const res = await call({
      features: ['customers:orders_count', 'customers:phone', 'customers:email'],
      entities: { customer_id: ['P000001', 'P000002', 'P000003', 'C999999'] },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      metadata: { feature_names: ['customer_id', 'orders_count', 'phone', 'email'] },
      results: [
        { values: ['P000001', 'P000002', 'P000003', 'C999999'], statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'PRESENT'], event_timestamps: [EPOCH, EPOCH, EPOCH, EPOCH] },
        {
          values: [5, 0, 2, null],
          statuses: ['PRESENT', 'PRESENT', 'OUTSIDE_MAX_AGE', 'NOT_FOUND'],
          event_timestamps: ['2026-02-15T00:00:00Z', '2026-02-16T00:00:00Z', '2026-01-02T00:00:00Z', EPOCH],
        },
        {
          values: ['***********1234', null, '***********9876', null],
          statuses: ['PRESENT', 'NULL_VALUE', 'OUTSIDE_MAX_AGE', 'NOT_FOUND'],
          event_timestamps: ['2026-02-15T00:00:00Z', '2026-02-16T00:00:00Z', '2026-01-02T00:00:00Z', EPOCH],
        },
        {
          values: [hashPii('fresh@mail.example.com', PII_KEY), hashPii('nophone@mail.example.com', PII_KEY), hashPii('stale@mail.example.com', PII_KEY), null],
          statuses: ['PRESENT', 'PRESENT', 'OUTSIDE_MAX_AGE', 'NOT_FOUND'],
          event_timestamps: ['2026-02-15T00:00:00Z', '2026-02-16T00:00:00Z', '2026-01-02T00:00:00Z', EPOCH],
        },
      ],
    });
  });

  it('serves several groups at once, with full feature names and int entity keys given as text', async () => {
    const res = await call({
      features: ['products:price', 'customers:segment'],
      entities: { product_id: ['9001', 9002], customer_id: ['P000001', 'P000002'] },
      full_feature_names: true,
    });
    expect(res.status).toBe(200);
    expect(res.json.metadata.feature_names).toEqual(['product_id', 'customer_id', 'products__price', 'customers__segment']);
    expect(res.json.results[0].values).toEqual([9001, 9002]);
    expect(res.json.results[2]).toEqual({ values: [19.99, null], statuses: ['PRESENT', 'NOT_FOUND'], event_timestamps: ['2026-02-19T12:00:00Z', EPOCH] });
    expect(res.json.results[3].statuses).toEqual(['PRESENT', 'NULL_VALUE']);
  });

  it('serves generated customers ingested from S3 (ages relative to the injected clock)', async () => {
    const res = await call({ features: ['customers:email'], entities: { customer_id: ['C000001', 'C000030'] } });
    expect(res.status).toBe(200);
    expect(res.json.results[1].values).toEqual([hashPii(customerEmail(1), PII_KEY), hashPii(customerEmail(30), PII_KEY)]);
    for (const [i, status] of res.json.results[1].statuses.entries()) {
      const age = SERVING_NOW.getTime() - Date.parse(res.json.results[1].event_timestamps[i]);
      expect(status).toBe(age > 30 * 86_400_000 ? 'OUTSIDE_MAX_AGE' : 'PRESENT');
    }
  });

  it.each([
    ['no body', undefined, 'invalid_body', '(root)'],
    ['features missing', { entities: { customer_id: ['a'] } }, 'invalid_body', 'features'],
    ['features not an array', { features: 'customers:email', entities: { customer_id: ['a'] } }, 'invalid_body', 'features'],
    ['empty features', { features: [], entities: { customer_id: ['a'] } }, 'invalid_body', 'features'],
    ['bad reference', { features: ['customers.email'], entities: { customer_id: ['a'] } }, 'invalid_body', 'features[0]'],
    ['duplicate reference', { features: ['customers:email', 'customers:email'], entities: { customer_id: ['a'] } }, 'invalid_body', 'features[1]'],
    ['unknown field', { features: ['customers:email'], entities: { customer_id: ['a'] }, feature_service: 'x' }, 'invalid_body', 'feature_service'],
    ['entities missing', { features: ['customers:email'] }, 'invalid_body', 'entities'],
    ['entity key missing', { features: ['customers:email'], entities: { product_id: [1] } }, 'invalid_body', 'entities.customer_id'],
    ['extra entity', { features: ['customers:email'], entities: { customer_id: ['a'], store_id: [1] } }, 'invalid_body', 'entities.store_id'],
    ['length mismatch', { features: ['customers:email', 'products:price'], entities: { customer_id: ['a', 'b'], product_id: [1] } }, 'invalid_body', 'entities.product_id'],
    ['bad int key', { features: ['products:price'], entities: { product_id: [1, 'abc'] } }, 'invalid_body', 'entities.product_id[1]'],
    ['separator in key', { features: ['customers:email'], entities: { customer_id: ['a|b'] } }, 'invalid_body', 'entities.customer_id[0]'],
    ['object key value', { features: ['customers:email'], entities: { customer_id: [{}] } }, 'invalid_body', 'entities.customer_id[0]'],
    ['offline-only group', { features: ['purchases:amount'], entities: { customer_id: ['a'], product_id: [1] } }, 'invalid_body', 'features[0]'],
    ['bool flag', { features: ['customers:email'], entities: { customer_id: ['a'] }, full_feature_names: 'yes' }, 'invalid_body', 'full_feature_names'],
  ])('400 naming the field: %s', async (_name, body, code, path) => {
    const res = await call(body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('400 for malformed JSON and 415 for non-JSON bodies', async () => {
    expect((await call(undefined, { raw: '{"features": [' })).json.error.code).toBe('invalid_json');
    expect((await call(undefined, { raw: 'features=x', contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
  });

  it.each([
    ['unknown group', 'nope:x', 'features[0]'],
    ['unknown feature', 'customers:nope', 'features[0]'],
    ['dropped PII feature', 'customers:full_name', 'features[0]'],
  ])('404 for %s', async (_name, feature, path) => {
    const res = await call({ features: [feature], entities: { customer_id: ['a'] } });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('unknown_feature');
    expect(res.json.error.details.issues).toEqual([{ path, message: expect.any(String) }]);
  });
});

describe('online reads under throttling', () => {
  it('retries unprocessed keys until every entity is read', async () => {
    const before = proxy.batchGets();
    proxy.throttle(3);
    const ids = Array.from({ length: 40 }, (_, i) => `C${String(i + 1).padStart(6, '0')}`);
    const res = await transports['node-http']('POST', '/get-online-features', { features: ['customers:segment'], entities: { customer_id: ids } });
    expect(res.status).toBe(200);
    expect(res.json.results[1].statuses.filter((s: string) => s === 'NOT_FOUND')).toEqual([]);
    expect(proxy.batchGets() - before).toBeGreaterThanOrEqual(4);
  });

  it('reads in chunks of 100 keys and gives up with 503 when throttling never stops', async () => {
    const doc = documentClient(proxy.client());
    const before = proxy.batchGets();
    const keys = Array.from({ length: 250 }, (_, i) => `customers#C${String(i + 1).padStart(6, '0')}`);
    const found = await batchGetOnline(doc, store.onlineTable, [...keys, ...keys]);
    expect(found.size).toBe(50);
    expect(proxy.batchGets() - before).toBe(3);
    proxy.throttle(Infinity);
    const sleeps: number[] = [];
    await expect(
      batchGetOnline(doc, store.onlineTable, keys.slice(0, 50), { maxAttempts: 4, sleep: async (ms) => void sleeps.push(ms) }),
    ).rejects.toMatchObject({ status: 503, code: 'online_store_throttled' });
    proxy.throttle(0);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[2]).toBeGreaterThan(sleeps[0]);
  });
});

describe('push', () => {
  const call = (body: unknown) => transports.lambda('POST', '/push', body);

  it('validates like ingest and reports rejected rows by index with reasons, never values', async () => {
    const res = await call({
      group: 'customers',
      rows: [
        { customer_id: 'Q000001', updated_at: '2026-02-18T00:00:00Z', email: 'q1@mail.example.com', orders_count: '7' },
        { customer_id: 'Q000002', updated_at: 'not a time', email: 'secret-value-not-an-email', orders_count: 1 },
        { customer_id: 'Q000001', updated_at: '2026-02-18T00:00:00Z', email: 'q1@mail.example.com', orders_count: 7 },
        'not an object',
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.counts).toEqual({ input: 4, valid: 1, rejected: 2, duplicates: 1, duplicatesExact: 1, duplicatesEntityEventTime: 0 });
    expect(res.json.rejected).toEqual([
      { index: 1, reasons: [{ field: 'updated_at', message: expect.any(String) }, { field: 'email', message: expect.any(String) }] },
      { index: 3, reasons: [{ field: '(row)', message: 'is not a JSON object' }] },
    ]);
    expect(JSON.stringify(res.json)).not.toContain('secret-value');
    expect(res.json.version).toBeNull();
    const read = await transports.lambda('POST', '/get-online-features', { features: ['customers:orders_count'], entities: { customer_id: ['Q000001'] } });
    expect(read.json.results[1].values).toEqual([7]);
  });

  it('pushes to the offline store as a new dataset version, idempotently', async () => {
    const body = { group: 'customers', to: 'online_and_offline', rows: [{ customer_id: 'Q000009', updated_at: '2026-02-10T00:00:00Z', email: 'q9@mail.example.com', orders_count: 9 }] };
    const first = await call(body);
    expect(first.status).toBe(200);
    expect(first.json.version).toEqual({ versionId: expect.stringMatching(/^[0-9a-f]{64}$/), status: 'created' });
    expect(await store.list('offline/customers/date=2026-02-10/')).toHaveLength(1);
    const again = await call(body);
    expect(again.json.version).toEqual({ versionId: first.json.version.versionId, status: 'duplicate' });
    const list = await transports.lambda('GET', '/datasets/customers/versions');
    expect(list.json.current).toBe(first.json.version.versionId);
    expect(list.json.versions[0].source).toMatchObject({ kind: 'push', key: null });
    expect(list.json.versions[0].creator).toBe('arn:aws:sts::123456789012:assumed-role/Trainer/session');
    versions.push(first.json.version.versionId);
  });

  it.each([
    ['rows missing', { group: 'customers' }, 400, 'rows'],
    ['rows empty', { group: 'customers', rows: [] }, 400, 'rows'],
    ['bad target', { group: 'customers', rows: [{}], to: 'both' }, 400, 'to'],
    ['offline push to an online-only group', { group: 'products', rows: [{}], to: 'offline' }, 400, 'to'],
    ['online push to an offline-only group', { group: 'purchases', rows: [{}] }, 400, 'to'],
    ['bad group name', { group: 'Bad Name', rows: [{}] }, 400, 'group'],
    ['unknown group', { group: 'nope', rows: [{}] }, 404, 'group'],
  ])('%s → %i naming %s', async (_name, body, status, path) => {
    const res = await call(body);
    expect(res.status).toBe(status);
    expect(res.json.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
  });
});

describe('dataset versions API', () => {
  it('lists versions newest first with the current one, and gets one with its manifest', async () => {
    const list = await transports['node-http']('GET', '/datasets/customers/versions');
    expect(list.status).toBe(200);
    expect(list.json.versions.map((v: { versionId: string }) => v.versionId)).toEqual([...versions].reverse());
    expect(list.json.versions.map((v: { current: boolean }) => v.current)).toEqual([true, false, false]);
    expect(list.json.versions[1].parentVersion).toBe(versions[0]);
    const one = await transports.lambda('GET', `/datasets/customers/versions/${versions[0]}`);
    expect(one.status).toBe(200);
    expect(one.json.version).toMatchObject({ versionId: versions[0], seq: 1, creator: 'seed', source: { kind: 's3', key: 'raw/customers/seed-0.csv' } });
    expect(one.json.manifest.versionId).toBe(versions[0]);
    expect(one.json.manifest.content.files.length).toBeGreaterThan(0);
    const limited = await transports.lambda('GET', '/datasets/customers/versions?limit=1');
    expect(limited.json).toMatchObject({ truncated: true, versions: [{ versionId: versions[2] }] });
    const empty = await transports.lambda('GET', '/datasets/products/versions');
    expect(empty.json.versions).toEqual([]);
  });

  it('tags a version; re-tagging is a no-op; a tag never moves', async () => {
    const path = `/datasets/customers/versions/${versions[0]}/tags`;
    const created = await transports['node-http']('POST', path, { tag: 'train-2026-11' });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ group: 'customers', tag: 'train-2026-11', versionId: versions[0], created: true });
    expect((await transports.lambda('POST', path, { tag: 'train-2026-11' })).status).toBe(200);
    const moved = await transports.lambda('POST', `/datasets/customers/versions/${versions[1]}/tags`, { tag: 'train-2026-11' });
    expect(moved.status).toBe(409);
    expect(moved.json.error.code).toBe('tag_exists');
    const list = await transports.lambda('GET', '/datasets/customers/versions');
    expect(list.json.versions.find((v: { versionId: string }) => v.versionId === versions[0]).tags).toEqual(['train-2026-11']);
  });

  it('reverts to an earlier version: current switches, nothing is deleted, new ingests build on it', async () => {
    const res = await transports.lambda('POST', '/datasets/customers/revert', { versionId: versions[0] });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ group: 'customers', previous: versions[2], current: versions[0], changed: true });
    const list = await transports['node-http']('GET', '/datasets/customers/versions');
    expect(list.json.current).toBe(versions[0]);
    expect(list.json.versions).toHaveLength(3);
    const file = generateCustomers({ customers: 5, updatesPerCustomer: 1, seed: 99, firstCustomer: 900 });
    await store.put('raw/customers/after-revert.csv', toCsv(file));
    const next = await ingestor.ingestObject({ key: 'raw/customers/after-revert.csv' });
    expect(next.version.parentVersion).toBe(versions[0]);
    expect(next.version.seq).toBe(4);
    const same = await transports.lambda('POST', '/datasets/customers/revert', { versionId: next.versionId });
    expect(same.json.changed).toBe(false);
  });

  it('verifies a version, and reports tampering', async () => {
    const path = `/datasets/customers/versions/${versions[1]}/verify`;
    const ok = await transports['node-http']('POST', path);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ group: 'customers', versionId: versions[1], ok: true, manifest: { ok: true, problems: [] } });
    const victim = ok.json.files[0].path as string;
    const original = await store.getBytes(victim);
    await store.put(victim, `${original.toString('utf8')}{"tampered":true}\n`);
    const bad = await transports.lambda('POST', path);
    expect(bad.json.ok).toBe(false);
    expect(bad.json.files[0]).toMatchObject({ path: victim, ok: false, problem: 'sha256_mismatch' });
    await store.put(victim, original);
  });

  it.each([
    ['GET', '/datasets/Bad/versions', undefined, 400, 'group'],
    ['GET', '/datasets/nope/versions', undefined, 404, 'group'],
    ['GET', '/datasets/customers/versions?limit=abc', undefined, 400, 'limit'],
    ['GET', '/datasets/customers/versions?colour=red', undefined, 400, 'colour'],
    ['GET', '/datasets/customers/versions/abc', undefined, 400, 'id'],
    ['GET', `/datasets/customers/versions/${'0'.repeat(64)}`, undefined, 404, 'id'],
    ['POST', `/datasets/customers/versions/${'0'.repeat(64)}/tags`, { tag: 'x' }, 404, 'id'],
    ['POST', `/datasets/customers/versions/${'0'.repeat(64)}/verify`, undefined, 404, 'id'],
    ['POST', '/datasets/customers/versions/VERSION/tags', { tag: '-bad tag' }, 400, 'tag'],
    ['POST', '/datasets/customers/versions/VERSION/tags', {}, 400, 'tag'],
    ['POST', '/datasets/customers/revert', { versionId: 'x' }, 400, 'versionId'],
    ['POST', '/datasets/customers/revert', { versionId: 'f'.repeat(64) }, 404, 'versionId'],
    ['POST', '/datasets/nope/revert', { versionId: 'f'.repeat(64) }, 404, 'group'],
  ])('%s %s → %i naming %s', async (method, rawPath, body, status, field) => {
    const path = rawPath.replace('VERSION', versions[0]);
    for (const call of Object.values(transports)) {
      const res = await call(method, path, body);
      expect(res.status).toBe(status);
      expect(res.json.error.details.issues.map((i: { path: string }) => i.path)).toContain(field);
    }
  });

  it('never answers bad input with a 500 (property)', async () => {
    const id = fc.constantFrom(versions[0], 'f'.repeat(64), 'nope', '');
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('customers', 'products', 'customers:email', 'C000001', 'online', 'offline'));
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        { features: fc.oneof(value, fc.array(value, { maxLength: 3 })), entities: fc.oneof(value, fc.dictionary(fc.constantFrom('customer_id', 'product_id', 'x'), fc.array(value, { maxLength: 3 }))), full_feature_names: value },
        { requiredKeys: [] },
      ),
      fc.record({ group: value, rows: fc.oneof(value, fc.array(fc.dictionary(fc.constantFrom('customer_id', 'updated_at', 'email', 'orders_count'), value), { maxLength: 3 })), to: value }, { requiredKeys: [] }),
      fc.record({ tag: value, versionId: value }, { requiredKeys: [] }),
    );
    const route = fc.constantFrom('/get-online-features', '/push', '/datasets/customers/revert', '/datasets/customers/versions/ID/tags', '/datasets/customers/versions/ID/verify', '/datasets/x/revert');
    await fc.assert(
      fc.asyncProperty(route, id, body, async (path, versionId, json) => {
        const res = await app.handle({
          method: 'POST',
          path: path.replace('ID', versionId),
          headers: { 'content-type': 'application/json' },
          rawBody: JSON.stringify(json),
          requestId: 'fuzz',
        });
        expect(res.status, `${path} ${JSON.stringify(json)} → ${res.body}`).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });

  it('answers unknown routes and methods with 404 / 405', async () => {
    expect((await transports.lambda('GET', '/nope')).status).toBe(404);
    expect((await transports['node-http']('GET', '/get-online-features')).status).toBe(405);
    expect((await transports['node-http']('GET', '/healthz')).json).toEqual({ status: 'ok' });
  });

  it('logs one line per request without entity values or PII', () => {
    const text = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(20);
    for (const secret of ['P000001', 'fresh@mail.example.com', 'secret-value', '555 000 1234', PII_KEY]) expect(text).not.toContain(secret);
  });
});
