/**
 * Ingest end to end on embedded S3 (s3rver) and DynamoDB (dynalite) with a generated e-commerce
 * dataset: offline partitions, rejected rows, online values, counts, PII, idempotency, late data,
 * versions and verification.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../../src/core/runtime/http-app';
import { type Ingestor, createIngestor } from '../../../src/feature-store/runtime/ingest';
import type { Manifest } from '../../../src/feature-store/runtime/manifest';
import { documentClient } from '../../../src/feature-store/runtime/online';
import { ChunkedWriter } from '../../../src/feature-store/runtime/outputs';
import { hashPii, maskPii } from '../../../src/feature-store/runtime/rows';
import type { StringColumnStats } from '../../../src/feature-store/runtime/stats';
import {
  DAY_MS,
  JAN_1_2026,
  type GeneratedFile,
  customerEmail,
  customerId,
  generateCustomers,
  generateProducts,
  generatePurchases,
  gzip,
  toCsv,
  toJsonl,
} from '../support/ecommerce';
import { type CapturedLogs, PII_KEY, type TestStore, captureLogger, startTestStore } from '../support/store';

const NOW = new Date('2026-02-01T00:00:00Z');
let store: TestStore;
let logs: CapturedLogs;
let ingestor: Ingestor;
let customers: GeneratedFile;
let purchases: GeneratedFile;
let products: GeneratedFile;
const CUSTOMERS_KEY = 'raw/customers/2026-01/export 1.csv';
const PURCHASES_KEY = 'raw/purchases/2026-01.jsonl.gz';
const PRODUCTS_KEY = 'raw/products/catalog.ndjson';
let customersVersion: string;

const doc = () => documentClient(store.dynamo);

async function readJsonl(key: string): Promise<Record<string, unknown>[]> {
  const text = (await store.getBytes(key)).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function onlineItem(pk: string): Promise<Record<string, unknown> | undefined> {
  return (await doc().send(new GetCommand({ TableName: store.onlineTable, Key: { pk } }))).Item;
}

beforeAll(async () => {
  store = await startTestStore();
  logs = captureLogger();
  ingestor = createIngestor(
    store.deps({
      logger: logs.logger,
      now: () => NOW,
      creator: 'ingest-test',
      // Small limits so that several files per partition and early flushes happen.
      tuning: { offlineFileBytes: 64 * 1024, offlineBufferBytes: 160 * 1024, rejectedFileBytes: 8 * 1024, rejectedBufferBytes: 16 * 1024 },
    }),
  );
  customers = generateCustomers({ customers: 400, updatesPerCustomer: 3, seed: 7 });
  purchases = generatePurchases({ rows: 4000, customers: 400, products: 120, seed: 11 });
  products = generateProducts({ products: 120, seed: 5, asOfDay: 28 });
  await store.put(CUSTOMERS_KEY, toCsv(customers));
  await store.put(PURCHASES_KEY, gzip(toJsonl(purchases)));
  await store.put(PRODUCTS_KEY, toJsonl(products));
}, 60_000);

afterAll(async () => {
  await store?.close();
});

describe('ingest: customers (CSV, online + offline, PII)', () => {
  it('counts add up: input = valid + rejected + duplicates', async () => {
    const result = await ingestor.ingestObject({ key: CUSTOMERS_KEY });
    customersVersion = result.versionId;
    expect(result.status).toBe('ingested');
    expect(result.versionId).toMatch(/^[0-9a-f]{64}$/);
    const e = customers.expected;
    expect(result.counts).toEqual({
      input: e.input,
      valid: e.valid,
      rejected: e.rejected,
      duplicates: e.duplicatesExact + e.duplicatesEntityEventTime,
      duplicatesExact: e.duplicatesExact,
      duplicatesEntityEventTime: e.duplicatesEntityEventTime,
    });
    expect(e.rejected).toBeGreaterThan(50);
    expect(e.duplicatesExact).toBeGreaterThan(5);
    expect(e.duplicatesEntityEventTime).toBeGreaterThan(5);
    expect(result.counts.input).toBe(result.counts.valid + result.counts.rejected + result.counts.duplicates);
    // Only the latest row per customer is written.
    expect(result.online).toEqual({ written: customers.expected.latest.size, stale: 0 });
  });

  it('writes valid rows to date partitions with deterministic names, and lists them in the manifest', async () => {
    const manifest = (await ingestor.context.versions.readManifest('customers', customersVersion)) as Manifest;
    const offline = await store.list('offline/customers/');
    expect(offline.length).toBeGreaterThan(31); // every day of January, several files for some
    for (const key of offline) expect(key).toMatch(/^offline\/customers\/date=2026-01-\d{2}\/[0-9a-f]{32}-\d{5}\.jsonl$/);
    const rejected = await store.list('rejected/customers/');
    expect(rejected.length).toBeGreaterThan(1);
    expect(manifest.content.files.map((f) => f.path).sort()).toEqual([...offline, ...rejected].sort());

    let rows = 0;
    for (const file of manifest.content.files.filter((f) => f.kind === 'offline')) {
      const records = await readJsonl(file.path);
      expect(records).toHaveLength(file.rows);
      rows += records.length;
      for (const r of records) {
        expect(file.path).toContain(`date=${String(r.updated_at).slice(0, 10)}/`);
        expect(Object.keys(r)).toEqual([
          'customer_id',
          'updated_at',
          'email',
          'phone',
          'country',
          'gender',
          'age_band',
          'lifetime_value',
          'orders_count',
          'is_premium',
          'signup_at',
          'segment',
        ]);
        expect(r.email).toMatch(/^[0-9a-f]{64}$/);
        expect(r.updated_at).toMatch(/^2026-01-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
        expect(typeof r.orders_count).toBe('number');
        expect(typeof r.is_premium).toBe('boolean');
      }
    }
    expect(rows).toBe(customers.expected.valid);
    expect(manifest.content.counts.valid).toBe(rows);
  });

  it('writes every rejected row with its reasons and no raw PII', async () => {
    const manifest = (await ingestor.context.versions.readManifest('customers', customersVersion)) as Manifest;
    const rejected: { line: number; reasons: { field: string; message: string }[]; row: Record<string, unknown> }[] = [];
    for (const f of manifest.content.files.filter((x) => x.kind === 'rejected')) rejected.push(...((await readJsonl(f.path)) as never[]));
    expect(rejected).toHaveLength(customers.expected.rejected);
    const byLine = new Map(rejected.map((r) => [r.line, r]));
    for (const expectation of customers.expected.rejections) {
      const r = byLine.get(expectation.index + 2); // line 1 is the header
      expect(r, `row ${expectation.index}`).toBeDefined();
      const fields = r!.reasons.map((x) => x.field);
      for (const f of expectation.fields) expect(fields).toContain(f);
      for (const reason of r!.reasons) expect(reason.message.length).toBeGreaterThan(3);
      expect(r!.row).not.toHaveProperty('full_name');
      const email = customers.rows[expectation.index].email;
      if (typeof email === 'string' && email.trim() !== '') expect(r!.row.email).toBe(hashPii(email.trim(), PII_KEY));
    }
  });

  it('keeps the latest row per customer online, with PII transformed and a TTL', async () => {
    let checked = 0;
    for (const [entity, index] of customers.expected.latest) {
      const row = customers.rows[index];
      const item = await onlineItem(`customers#${entity}`);
      expect(item, entity).toBeDefined();
      const n = Number(entity.slice(1));
      const features = item!.features as Record<string, unknown>;
      expect(features.email).toBe(hashPii(String(row.email).trim(), PII_KEY));
      expect(features.phone).toBe(String(row.phone).trim() === '' ? null : maskPii(String(row.phone).trim()));
      expect(features).not.toHaveProperty('full_name');
      expect(features.orders_count).toBe(Number(String(row.orders_count).trim()));
      expect(features.segment).toBe(row.segment);
      expect(item!.entity).toEqual({ customer_id: customerId(n) });
      expect(item!.expires_at).toBe(Math.floor((item!.event_time as number) / 1000) + 30 * 86_400);
      if (++checked >= 150) break;
    }
    expect(checked).toBe(150);
  });

  it('records statistics and the bias report in the manifest', async () => {
    const manifest = (await ingestor.context.versions.readManifest('customers', customersVersion)) as Manifest;
    const { stats, bias } = manifest.content;
    expect(stats.lifetime_value).toMatchObject({ type: 'float', quantilesExact: true });
    expect((stats.lifetime_value as { min: number }).min).toBeGreaterThanOrEqual(0);
    expect((stats.orders_count as { count: number }).count).toBe(customers.expected.valid);
    expect(stats.email).toEqual({ type: 'string', count: customers.expected.valid, nulls: 0, pii: 'hash' });
    expect(stats.phone).not.toHaveProperty('topValues');
    expect(stats).not.toHaveProperty('full_name');
    expect((stats.country as StringColumnStats).topValues!.map((t) => t.value).sort()).toEqual(['BR', 'DE', 'FR', 'GB', 'JP', 'US']);
    expect(Object.keys(bias).sort()).toEqual(['age_band', 'gender']);
    for (const shares of Object.values(bias)) expect(Object.values(shares).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(Object.keys(bias.gender).sort()).toEqual(['female', 'male', 'nonbinary', 'undisclosed']);
    expect(manifest.content.schemaHash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.provenance).toMatchObject({ sourceKey: CUSTOMERS_KEY, creator: 'ingest-test', createdAt: NOW.toISOString(), seq: 1 });
    expect(manifest.provenance.sourceEtag).toBeTruthy();
    expect(manifest.content.parentVersion).toBeNull();
  });
});

describe('ingest: purchases (gzip JSON Lines, offline only) and products (online only)', () => {
  it('ingests purchases offline only, with multi-column entity keys and masked card numbers', async () => {
    const result = await ingestor.ingestObject({ key: PURCHASES_KEY });
    const e = purchases.expected;
    expect(result.counts).toMatchObject({ input: e.input, valid: e.valid, rejected: e.rejected, duplicatesExact: e.duplicatesExact });
    expect(result.online).toBeNull();
    const items = (await doc().send(new ScanCommand({ TableName: store.onlineTable }))).Items ?? [];
    expect(items.some((i) => String(i.pk).startsWith('purchases#'))).toBe(false);
    const files = await store.list('offline/purchases/');
    const sample = await readJsonl(files[0]);
    expect(sample[0].card_number).toMatch(/^\*{12}\d{4}$/);
    expect(typeof sample[0].product_id).toBe('number');
    expect(result.version.source.key).toBe(PURCHASES_KEY);
  });

  it('ingests products online only: no offline files, rejected rows kept', async () => {
    const result = await ingestor.ingestObject({ key: PRODUCTS_KEY });
    expect(result.counts).toMatchObject({ valid: products.expected.valid, rejected: products.expected.rejected });
    expect(await store.list('offline/products/')).toEqual([]);
    expect((await store.list('rejected/products/')).length).toBe(1);
    expect(result.online?.written).toBe(products.expected.valid);
    const item = await onlineItem('products#1');
    expect(item?.features).toMatchObject({ title: 'Product 1', launched_at: new Date(JAN_1_2026 - DAY_MS).toISOString() });
  });
});

describe('PII', () => {
  it('never appears in any stored object, item or log line', async () => {
    const pii = [...customers.pii, ...purchases.pii];
    expect(pii.length).toBeGreaterThan(1000);
    expect(pii).toContain(customerEmail(1));
    const keys = (await store.list()).filter((k) => !k.startsWith('raw/'));
    expect(keys.some((k) => k.startsWith('manifests/'))).toBe(true);
    const haystacks: [string, string][] = [];
    for (const key of keys) haystacks.push([key, (await store.getBytes(key)).toString('utf8').toLowerCase()]);
    for (const table of [store.onlineTable, store.versionsTable]) {
      const items = (await doc().send(new ScanCommand({ TableName: table }))).Items ?? [];
      haystacks.push([table, JSON.stringify(items).toLowerCase()]);
    }
    haystacks.push(['logs', logs.lines.join('\n').toLowerCase()]);
    expect(logs.lines.length).toBeGreaterThan(3);
    const leaks: string[] = [];
    for (const [where, text] of haystacks) {
      for (const value of pii) if (text.includes(value.toLowerCase())) leaks.push(`${where}: ${value}`);
    }
    expect(leaks).toEqual([]);
  });
});

describe('idempotency, late data and versions', () => {
  it('re-ingesting the same content (same or another key) writes nothing and returns the same version', async () => {
    const before = await snapshot('offline/customers/');
    const again = await ingestor.ingestObject({ key: CUSTOMERS_KEY });
    expect(again.status).toBe('duplicate');
    expect(again.versionId).toBe(customersVersion);
    await store.put('raw/customers/copy-of-export.csv', toCsv(customers));
    const copy = await ingestor.ingestObject({ key: 'raw/customers/copy-of-export.csv' });
    expect(copy.status).toBe('duplicate');
    expect(copy.versionId).toBe(customersVersion);
    expect(await snapshot('offline/customers/')).toEqual(before);
    const list = await ingestor.context.versions.listVersions('customers');
    expect(list.versions.map((v) => v.versionId)).toEqual([customersVersion]);
  });

  it('recovers a commit interrupted after the current pointer moved, reproducing the same version', async () => {
    const d = doc();
    const manifestBefore = await store.getBytes(`manifests/customers/${customersVersion}.json`);
    await d.send(new DeleteCommand({ TableName: store.versionsTable, Key: { group: 'customers', sk: `version#${customersVersion}` } }));
    const ingest = (await d.send(new ScanCommand({ TableName: store.versionsTable }))).Items?.find(
      (i) => i.group === 'customers' && String(i.sk).startsWith('ingest#'),
    );
    await d.send(new DeleteCommand({ TableName: store.versionsTable, Key: { group: 'customers', sk: ingest!.sk } }));
    const before = await snapshot('offline/customers/');
    const result = await ingestor.ingestObject({ key: CUSTOMERS_KEY });
    expect(result.status).toBe('ingested');
    expect(result.versionId).toBe(customersVersion);
    expect(await snapshot('offline/customers/')).toEqual(before); // byte-identical rewrite
    expect((await store.getBytes(`manifests/customers/${customersVersion}.json`)).equals(manifestBefore)).toBe(true);
    expect((await ingestor.context.versions.verify('customers', customersVersion)).ok).toBe(true);
  });

  it('late, older data never overwrites newer online values (but is kept offline)', async () => {
    const id = customerId(1);
    const newer = { customer_id: id, updated_at: '2026-01-31T23:00:00Z', email: customerEmail(1), orders_count: 500, segment: 'newest' };
    const older = { ...newer, updated_at: '2026-01-30T00:00:00Z', orders_count: 1, segment: 'older' };
    await store.put('raw/customers/late-1.jsonl', `${JSON.stringify(newer)}\n`);
    await store.put('raw/customers/late-2.jsonl', `${JSON.stringify(older)}\n`);
    const first = await ingestor.ingestObject({ key: 'raw/customers/late-1.jsonl' });
    expect(first.online).toEqual({ written: 1, stale: 0 });
    const second = await ingestor.ingestObject({ key: 'raw/customers/late-2.jsonl' });
    expect(second.online).toEqual({ written: 0, stale: 1 });
    const item = await onlineItem(`customers#${id}`);
    expect(item?.features).toMatchObject({ segment: 'newest', orders_count: 500 });
    expect(item?.event_time).toBe(Date.parse('2026-01-31T23:00:00Z'));
    const manifest = (await ingestor.context.versions.readManifest('customers', second.versionId)) as Manifest;
    expect(manifest.content.files.filter((f) => f.kind === 'offline').map((f) => f.date)).toEqual(['2026-01-30']);
    expect(manifest.content.parentVersion).toBe(first.versionId);
    const list = await ingestor.context.versions.listVersions('customers');
    expect(list.current).toBe(second.versionId);
    expect(list.versions.map((v) => v.seq)).toEqual([3, 2, 1]);
  });

  it('resolves the dataset of a version: its offline files and its ancestors\'', async () => {
    const list = await ingestor.context.versions.listVersions('customers');
    const dataset = await ingestor.context.versions.datasetFiles('customers', list.current as string);
    expect(dataset.versions).toEqual(list.versions.map((v) => v.versionId));
    const first = (await ingestor.context.versions.readManifest('customers', customersVersion)) as Manifest;
    for (const f of first.content.files.filter((x) => x.kind === 'offline')) expect(dataset.files).toContainEqual(f);
    expect(dataset.files.every((f) => f.kind === 'offline')).toBe(true);
  });

  it('concurrent ingests of one group commit a linear history', async () => {
    const files = [0, 1, 2].map((i) => generateCustomers({ customers: 20, updatesPerCustomer: 1, seed: 100 + i, firstCustomer: 5000 + i * 100 }));
    await Promise.all(files.map((f, i) => store.put(`raw/customers/concurrent-${i}.csv`, toCsv(f))));
    const results = await Promise.all(files.map((_, i) => ingestor.ingestObject({ key: `raw/customers/concurrent-${i}.csv` })));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['ingested']));
    const list = await ingestor.context.versions.listVersions('customers');
    const byId = new Map(list.versions.map((v) => [v.versionId, v]));
    // Walk the chain from current: every version is reached exactly once.
    const chain: string[] = [];
    for (let id: string | null = list.current; id; id = byId.get(id)?.parentVersion ?? null) chain.push(id);
    expect(chain).toHaveLength(list.versions.length);
    for (const r of results) expect(chain).toContain(r.versionId);
  });

  it('verify streams every file: ok, then fails after tampering or deletion', async () => {
    const versions = ingestor.context.versions;
    const ok = await versions.verify('customers', customersVersion);
    expect(ok.ok).toBe(true);
    expect(ok.manifest.ok).toBe(true);
    expect(ok.files.length).toBeGreaterThan(30);
    const [victim, gone] = ok.files.filter((f) => f.kind === 'offline').map((f) => f.path);
    const original = await store.getBytes(victim);
    const originalGone = await store.getBytes(gone);
    await store.s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: victim, Body: Buffer.concat([original, Buffer.from('{"customer_id":"X"}\n')]) }));
    await store.s3.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: gone }));
    try {
      const bad = await versions.verify('customers', customersVersion);
      expect(bad.ok).toBe(false);
      expect(bad.files.filter((f) => !f.ok).map((f) => [f.path, f.problem])).toEqual([
        [victim, 'sha256_mismatch'],
        [gone, 'missing'],
      ].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    } finally {
      await store.put(victim, original);
      await store.put(gone, originalGone);
    }
    expect((await versions.verify('customers', customersVersion)).ok).toBe(true);
    // A tampered manifest fails too.
    const manifestKey = `manifests/customers/${customersVersion}.json`;
    const manifest = await store.getBytes(manifestKey);
    await store.put(manifestKey, manifest.toString('utf8').replace('"valid": ', '"valid": 1'));
    const bad = await versions.verify('customers', customersVersion);
    expect(bad.manifest.problems).toEqual([
      'the manifest object does not match the recorded sha256',
      'the manifest content does not hash to the version id',
    ]);
    await store.put(manifestKey, manifest);
  });
});

describe('ChunkedWriter', () => {
  it('bounds buffered memory across many partitions, loses no row, and is deterministic', async () => {
    const run = async (prefix: string) => {
      const writer = new ChunkedWriter({
        s3: store.s3,
        bucket: store.bucket,
        kind: 'offline',
        keyFor: (p, seq) => `${prefix}/${p}/${seq}.jsonl`,
        dateOf: (p) => p,
        targetFileBytes: 16 * 1024,
        maxBufferedBytes: 384 * 1024,
      });
      let peak = 0;
      for (let i = 0; i < 3000; i++) {
        if (writer.add(`d${i % 20}`, `{"i":${i},"pad":"${'x'.repeat(100 + (i % 40))}"}\n`)) await writer.flush();
        peak = Math.max(peak, (writer as unknown as { buffered: number }).buffered);
      }
      return { files: await writer.finish(), peak };
    };
    const a = await run('chunk-a');
    const b = await run('chunk-b');
    expect(a.peak).toBeLessThanOrEqual(384 * 1024 + 64 * 1024);
    expect(a.files.length).toBeGreaterThan(20);
    expect(a.files.length).toBeLessThan(200);
    expect(a.files.reduce((n, f) => n + f.rows, 0)).toBe(3000);
    expect(b.files.map((f) => [f.path.replace('chunk-b', 'chunk-a'), f.sha256, f.rows])).toEqual(a.files.map((f) => [f.path, f.sha256, f.rows]));
    const sample = a.files[0];
    expect((await store.getBytes(sample.path)).length).toBe(sample.size);
  });
});

describe('ingest errors', () => {
  it('rejects keys outside raw/<group>/, unknown groups, unsupported formats and missing objects', async () => {
    const attempt = async (key: string): Promise<string> => {
      try {
        await ingestor.ingestObject({ key });
        return 'ok';
      } catch (error) {
        return error instanceof HttpError ? `${error.status} ${error.code}` : String(error);
      }
    };
    expect(await attempt('offline/customers/x.csv')).toBe('400 not_a_raw_key');
    expect(await attempt('raw/customers/')).toBe('400 not_a_raw_key');
    expect(await attempt('raw/nope/x.csv')).toBe('404 unknown_group');
    expect(await attempt('raw/customers/x.parquet')).toBe('400 unsupported_format');
    expect(await attempt('raw/customers/missing.csv')).toBe('404 object_not_found');
    await store.put('raw/customers/broken.csv.gz', 'this is not gzip');
    expect(await attempt('raw/customers/broken.csv.gz')).toBe('422 unreadable_source');
  });
});

async function snapshot(prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await store.list(prefix)) out[key] = (await store.getBytes(key)).toString('base64');
  return out;
}
