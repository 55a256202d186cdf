/**
 * The drift runtime end to end on embedded services: s3rver (S3) and the protocol-level fake SNS
 * (`test/support/fake-sns.ts`), with real SDK clients. Baselines are FeatureStore dataset versions
 * (manifests built with the feature store's own functions, so ids and hashes are the real ones) or
 * plain samples; windows are JSON Lines objects (one gzip-compressed) written just before the run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftConfigInput } from '../../src/monitoring-stack/drift-config';
import { DRIFT_METRICS } from '../../src/monitoring-stack/metric-names';
import { sha256Hex } from '../../src/feature-store/runtime/canonical';
import { type ManifestContent, buildManifest, serializeManifest } from '../../src/feature-store/runtime/manifest';
import type { OutputFile } from '../../src/feature-store/runtime/outputs';
import { seededRandom } from '../../src/feature-store/runtime/stats';
import type { DriftReport } from '../../src/monitoring-stack/runtime/drift/analysis';
import { DriftConfigError, parseDriftConfig } from '../../src/monitoring-stack/runtime/drift/config';
import { runDriftDetection } from '../../src/monitoring-stack/runtime/drift/detector';
import { createDriftLambdaHandler } from '../../src/monitoring-stack/runtime/drift/lambda';
import { EXIT_CODES, main } from '../../src/monitoring-stack/runtime/drift/main';
import { DriftInputError } from '../../src/monitoring-stack/runtime/drift/sources';
import { type FakeSns, startFakeSns } from '../support/fake-sns';
import { type EmbeddedS3, startS3 } from '../support/embedded-aws';

const DATA = 'feature-data';
const LOGS = 'inference-logs';
const REPORTS = 'drift-reports-bucket';
const GROUP = 'customers';
const QUIET = { info: () => undefined, warn: () => undefined };

let s3server: EmbeddedS3;
let sns: FakeSns;
let s3: S3Client;
let topicArn: string;

/** Normal variates from a seeded PRNG (Box–Muller). */
function normals(seed: string): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface RowOptions {
  readonly seed: string;
  readonly rows: number;
  /** Shift every drift column. */
  readonly shifted?: boolean;
  /** Unequal selection rates by group `g` and a better variant `b`. */
  readonly biased?: boolean;
}

const PLANS = ['basic', 'plus', 'pro'];

function rows(options: RowOptions): Record<string, unknown>[] {
  const z = normals(options.seed);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < options.rows; i++) {
    const s = options.shifted === true;
    const group = i % 2 === 0 ? 'f' : 'm';
    const variant = i % 4 < 2 ? 'a' : 'b';
    const selectedEvery = options.biased ? (group === 'f' ? 5 : 2) : 3;
    out.push({
      age: 40 + 10 * z() + (s ? 15 : 0),
      income: (50_000 + 10_000 * z()) * (s ? 1.5 : 1),
      tenure: Math.round(24 + 6 * z()) + (s ? 12 : 0),
      plan: PLANS[s ? (i % 5 === 0 ? 0 : 2) : i % 3],
      g: group,
      pred: Math.floor(i / 2) % selectedEvery === 0 ? 1 : 0,
      v: variant,
      converted: options.biased && variant === 'b' ? Math.floor(i / 4) % 4 === 0 : Math.floor(i / 4) % 10 === 0,
      model: 'assistant',
      variant,
      team: i % 3 === 0 ? 'search' : 'support',
      input_tokens: 100,
      output_tokens: 20,
      cost_usd: 0.001,
    });
  }
  return out;
}

const jsonl = (records: readonly Record<string, unknown>[]) => Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');

async function put(bucket: string, key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function getJson<T>(bucket: string, key: string): Promise<T> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await (out.Body as { transformToString(): Promise<string> }).transformToString()) as T;
}

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string);
}

/** Writes a FeatureStore dataset version (files + manifest) and returns its manifest key. */
async function writeDatasetVersion(
  files: { path: string; body: Buffer; rows: number }[],
  parentVersion: string | null,
): Promise<{ manifestKey: string; versionId: string; files: OutputFile[] }> {
  const outputs: OutputFile[] = [];
  for (const f of files) {
    await put(DATA, f.path, f.body);
    outputs.push({ path: f.path, kind: 'offline', date: '2026-11-01', sha256: sha256Hex(f.body), size: f.body.length, rows: f.rows });
  }
  const content: ManifestContent = {
    formatVersion: 1,
    group: GROUP,
    schemaHash: sha256Hex('schema'),
    ingestId: sha256Hex(files.map((f) => f.path).join()),
    parentVersion,
    source: { kind: 's3', sha256: sha256Hex('source'), size: 1, format: 'jsonl', compression: 'none' },
    counts: { input: 0, valid: 0, rejected: 0, duplicates: 0, duplicatesExact: 0, duplicatesEntityEventTime: 0 },
    files: outputs.sort((a, b) => (a.path < b.path ? -1 : 1)),
    stats: {},
    bias: {},
    ignoredColumns: [],
  };
  const manifest = buildManifest(content, { sourceKey: 'raw/customers/x.jsonl', sourceEtag: null, createdAt: '2026-11-01T00:00:00.000Z', creator: 'test', seq: 1 });
  const manifestKey = `manifests/${GROUP}/${manifest.versionId}.json`;
  await put(DATA, manifestKey, serializeManifest(manifest));
  return { manifestKey, versionId: manifest.versionId, files: outputs };
}

function config(overrides: Partial<DriftConfigInput> & { windowPrefix: string; manifestKey: string }): DriftConfigInput {
  const { windowPrefix, manifestKey, ...rest } = overrides;
  return {
    model: 'churn-model',
    dataset: 'customers',
    baseline: { kind: 'datasetVersion', bucket: DATA, manifestKey },
    window: { bucket: LOGS, prefix: windowPrefix, lookbackHours: 1 },
    columns: [
      { name: 'age', type: 'numeric' },
      { name: 'income', type: 'numeric' },
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ],
    fairness: { sensitiveAttributes: ['g'], predictionColumn: 'pred', positiveValue: 1 },
    abTest: { variantColumn: 'v', conversionColumn: 'converted', minimumDetectableEffect: 0.05 },
    llmUsage: {},
    outputs: { reportBucket: REPORTS, reportPrefix: 'reports/', topicArn },
    ...rest,
  };
}

let baseline: { manifestKey: string; versionId: string; files: OutputFile[] };
let parentVersionId: string;

beforeAll(async () => {
  [s3server, sns] = await Promise.all([startS3(), startFakeSns()]);
  s3 = s3server.client();
  await Promise.all([DATA, LOGS, REPORTS].map((b) => s3server.createBucket(b)));
  topicArn = sns.createTopic('drift-alerts');
  // Baseline: a parent version with 1,200 rows and a child version adding 1,000 (2,200 reference rows > 1000:
  // Wasserstein and Jensen–Shannon are Evidently's choices).
  const all = rows({ seed: 'baseline', rows: 2200 });
  const parent = await writeDatasetVersion([{ path: `offline/${GROUP}/date=2026-11-01/v1-0000.jsonl`, body: jsonl(all.slice(0, 1200)), rows: 1200 }], null);
  parentVersionId = parent.versionId;
  baseline = await writeDatasetVersion([{ path: `offline/${GROUP}/date=2026-11-02/v2-0000.jsonl`, body: jsonl(all.slice(1200)), rows: 1000 }], parent.versionId);
  // Windows.
  const shifted = rows({ seed: 'shifted', rows: 4000, shifted: true, biased: true });
  await put(LOGS, 'shifted/part-0.jsonl', jsonl(shifted.slice(0, 2000)));
  await put(LOGS, 'shifted/part-1.jsonl.gz', gzipSync(jsonl(shifted.slice(2000))));
  const same = rows({ seed: 'unshifted', rows: 3000 });
  const sameBody = jsonl(same).toString('utf8').split('\n');
  sameBody.splice(10, 0, '{"age": 41, "income":', 'not json at all', '[1,2,3]');
  await put(LOGS, 'unshifted/part-0.jsonl', Buffer.from(sameBody.join('\n'), 'utf8'));
  await put(LOGS, 'unshifted/folder/', Buffer.alloc(0));
});

afterAll(async () => {
  await Promise.allSettled([s3server?.close(), sns?.close()]);
});

function collector(): { lines: string[]; emit: (line: string) => void } {
  const lines: string[] = [];
  return { lines, emit: (line) => lines.push(line) };
}

function metric(lines: readonly string[], name: string, dims: Record<string, string> = {}): number | undefined {
  for (const l of lines) {
    const o = JSON.parse(l) as Record<string, unknown>;
    if (name in o && Object.entries(dims).every(([k, v]) => o[k] === v)) return o[name] as number;
  }
  return undefined;
}

describe('drift runtime end to end', () => {
  it('alarms on a shifted window: report in S3, EMF metrics, SNS alert', async () => {
    const before = sns.published.length;
    const emf = collector();
    const eventTime = new Date(Date.now() + 60_000);
    const result = await runDriftDetection(parseDriftConfig(config({ windowPrefix: 'shifted/', manifestKey: baseline.manifestKey })), eventTime, {
      s3,
      sns: sns.client(),
      emit: emf.emit,
    });
    const report = result.report;
    expect(report.baseline).toMatchObject({
      kind: 'datasetVersion',
      versionId: baseline.versionId,
      versionChain: [baseline.versionId, parentVersionId],
      objects: 2,
      records: 2200,
      corruptLines: 0,
    });
    expect(report.window).toMatchObject({ objects: 2, records: 4000, corruptLines: 0 });
    expect(report.drift.columns.map((c) => [c.column, c.test, c.drifted])).toEqual([
      ['age', 'wasserstein', true],
      ['income', 'wasserstein', true],
      ['tenure', 'wasserstein', true],
      ['plan', 'jensenshannon', true],
    ]);
    expect(report.drift).toMatchObject({ share: 1, datasetDrift: true });
    expect(report.fairness?.attributes[0].flags.disparateImpact).toBe(true);
    expect(report.abTest?.comparisons[0]).toMatchObject({ variant: 'b', control: 'a', significant: true, underpowered: false, alert: true });
    expect(report.llmUsage?.total).toEqual({ requests: 4000, inputTokens: 400_000, outputTokens: 80_000, costUsd: expect.closeTo(4, 9) });
    expect(report.alerts.map((a) => a.kind)).toEqual(['dataset_drift', 'fairness', 'ab_test']);

    // The report object: exactly what the run returned, under <prefix>/<model>/<iso>.json.
    expect(result.reportKey).toBe(`reports/churn-model/${eventTime.toISOString()}.json`);
    expect(await getJson<DriftReport>(REPORTS, result.reportKey)).toEqual(JSON.parse(JSON.stringify(report)));

    // EMF lines on the emitter.
    expect(emf.lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(metric(emf.lines, DRIFT_METRICS.datasetDrift, { dataset: 'customers', model: 'churn-model' })).toBe(1);
    expect(metric(emf.lines, DRIFT_METRICS.driftShare)).toBe(1);
    expect(metric(emf.lines, DRIFT_METRICS.columnDrift, { column: 'plan', test: 'jensenshannon' })).toBe(1);
    expect(metric(emf.lines, DRIFT_METRICS.disparateImpact, { attribute: 'g' })).toBeCloseTo(0.4, 2);

    // The SNS alert.
    expect(sns.published.length).toBe(before + 1);
    const alert = sns.published[sns.published.length - 1];
    expect(result.alertMessageId).toBe(alert.messageId);
    expect(alert.topicArn).toBe(topicArn);
    expect(alert.subject).toBe('gaiops drift alert: churn-model (dataset drift, fairness, ab test)');
    const message = JSON.parse(alert.message) as { report: string; alerts: unknown[]; drift: { datasetDrift: boolean } };
    expect(message.report).toBe(`s3://${REPORTS}/${result.reportKey}`);
    expect(message.drift.datasetDrift).toBe(true);
    expect(message.alerts).toHaveLength(3);
  });

  it('stays quiet on an unshifted window; corrupt lines are counted and skipped', async () => {
    const before = sns.published.length;
    const emf = collector();
    const result = await runDriftDetection(parseDriftConfig(config({ windowPrefix: 'unshifted/', manifestKey: baseline.manifestKey })), new Date(Date.now() + 60_000), {
      s3,
      sns: sns.client(),
      emit: emf.emit,
    });
    const report = result.report;
    // 3 corrupt lines (truncated JSON, not JSON, an array); the folder marker object is not read.
    expect(report.window).toMatchObject({ objects: 1, lines: 3003, records: 3000, corruptLines: 3, oversizedLines: 0 });
    expect(report.drift.columns.map((c) => [c.column, c.drifted])).toEqual([
      ['age', false],
      ['income', false],
      ['tenure', false],
      ['plan', false],
    ]);
    expect(report.drift.datasetDrift).toBe(false);
    expect(report.fairness?.flagged).toBe(false);
    expect(report.abTest?.alert).toBe(false);
    expect(report.alerts).toEqual([]);
    expect(result.alertMessageId).toBeNull();
    expect(sns.published.length).toBe(before);
    expect(metric(emf.lines, DRIFT_METRICS.datasetDrift)).toBe(0);
    expect(await keys(REPORTS, `reports/churn-model/${new Date(report.eventTime).toISOString()}`)).toHaveLength(1);
  });

  it('selects window objects by LastModified: a window that ended before they were written is empty', async () => {
    const result = await runDriftDetection(
      parseDriftConfig(config({ windowPrefix: 'shifted/', manifestKey: baseline.manifestKey, outputs: { reportBucket: REPORTS, reportPrefix: 'early' } })),
      new Date(Date.now() - 3_600_000),
      { s3, emit: () => undefined },
    );
    expect(result.report.window.objects).toBe(0);
    expect(result.report.drift.columns.every((c) => c.status === 'no_data' && !c.drifted)).toBe(true);
    expect(result.report.drift.datasetDrift).toBe(false);
  });

  it('refuses a baseline whose file no longer matches the manifest sha256, and writes nothing', async () => {
    const tampered = await writeDatasetVersion([{ path: `offline/${GROUP}/date=2026-11-03/t-0000.jsonl`, body: jsonl(rows({ seed: 't', rows: 50 })), rows: 50 }], null);
    await put(DATA, tampered.files[0].path, jsonl(rows({ seed: 'other', rows: 50 })));
    const cfg = parseDriftConfig(config({ windowPrefix: 'shifted/', manifestKey: tampered.manifestKey, outputs: { reportBucket: REPORTS, reportPrefix: 'tampered', topicArn } }));
    const before = sns.published.length;
    const run = runDriftDetection(cfg, new Date(Date.now() + 60_000), { s3, sns: sns.client(), emit: () => undefined });
    await expect(run).rejects.toBeInstanceOf(DriftInputError);
    await expect(run).rejects.toThrow(/does not match its manifest \(sha256 mismatch\): refusing the baseline/);
    expect(await keys(REPORTS, 'tampered/')).toEqual([]);
    expect(sns.published.length).toBe(before);
  });

  it('refuses a manifest that does not hash to its version id', async () => {
    const key = `manifests/${GROUP}/${'0'.repeat(64)}.json`;
    const original = await getJson<Record<string, unknown>>(DATA, baseline.manifestKey);
    await put(DATA, key, Buffer.from(JSON.stringify(original)));
    const cfg = parseDriftConfig(config({ windowPrefix: 'shifted/', manifestKey: key }));
    await expect(runDriftDetection(cfg, new Date(), { s3, sns: sns.client(), emit: () => undefined })).rejects.toThrow(/does not hash to its version id/);
  });

  it('reads a sample baseline under a prefix', async () => {
    await put(DATA, 'samples/customers/a.jsonl', jsonl(rows({ seed: 'sample', rows: 800 })));
    const cfg = parseDriftConfig({
      ...config({ windowPrefix: 'unshifted/', manifestKey: baseline.manifestKey }),
      baseline: { kind: 'sample', bucket: DATA, prefix: 'samples/customers/' },
      outputs: { reportBucket: REPORTS, reportPrefix: 'sample' },
    });
    const result = await runDriftDetection(cfg, new Date(Date.now() + 60_000), { s3, emit: () => undefined });
    expect(result.report.baseline).toMatchObject({ kind: 'sample', objects: 1, records: 800, versionId: null });
    // 800 reference rows ≤ 1000: KS for numeric columns, chi-square for the 3-valued plan.
    expect(result.report.drift.columns.map((c) => [c.test, c.drifted])).toEqual([
      ['ks', false],
      ['ks', false],
      ['ks', false],
      ['chisquare', false],
    ]);
  });

  it('reads LLM usage from the gateway access logs of the same time window under their own prefix', async () => {
    const logs = Array.from({ length: 30 }, (_, i) => ({
      model: i < 10 ? 'small' : 'large',
      variant: 'a',
      team: 'search',
      input_tokens: 10,
      output_tokens: 5,
      cost_usd: i < 10 ? 0.01 : 0.1,
    }));
    await put(LOGS, 'gateway/access-0.jsonl', jsonl(logs));
    const cfg = parseDriftConfig({
      ...config({ windowPrefix: 'unshifted/', manifestKey: baseline.manifestKey }),
      llmUsage: { prefix: 'gateway/' },
      outputs: { reportBucket: REPORTS, reportPrefix: 'usage' },
    });
    const result = await runDriftDetection(cfg, new Date(Date.now() + 60_000), { s3, emit: () => undefined });
    expect(result.report.llmUsage).toMatchObject({ bucket: LOGS, prefix: 'gateway/', total: { requests: 30, inputTokens: 300, outputTokens: 150 } });
    expect(result.report.llmUsage?.byModel.map((m) => [m.key, m.requests, Number(m.costUsd.toFixed(6))])).toEqual([
      ['large', 20, 2],
      ['small', 10, 0.1],
    ]);
  });
});

describe('entry points', () => {
  it('the Lambda handler validates DRIFT_CONFIG and uses the event time', async () => {
    const eventTime = new Date(Date.now() + 120_000);
    const emf = collector();
    const handler = createDriftLambdaHandler({
      env: { DRIFT_CONFIG: JSON.stringify(config({ windowPrefix: 'shifted/', manifestKey: baseline.manifestKey })) },
      s3,
      sns: sns.client(),
      emit: emf.emit,
      logger: QUIET,
    });
    const summary = await handler({ time: eventTime.toISOString(), id: 'evt-1' });
    expect(summary).toMatchObject({
      reportBucket: REPORTS,
      reportKey: `reports/churn-model/${eventTime.toISOString()}.json`,
      datasetDrift: true,
      driftShare: 1,
      alerts: 3,
    });
    expect(summary.alertMessageId).toEqual(expect.any(String));
    expect(emf.lines.length).toBeGreaterThan(0);
  });

  it('the Lambda handler fails with a clear error on a bad config', async () => {
    const handler = createDriftLambdaHandler({ env: { DRIFT_CONFIG: JSON.stringify({ model: 'm', columns: [] }) }, s3 });
    const run = handler({ time: new Date().toISOString() });
    await expect(run).rejects.toBeInstanceOf(DriftConfigError);
    await expect(run).rejects.toThrow(/^invalid drift config: dataset: .*columns: .*outputs: /);
  });

  it('the container entry exits 0 and writes the Prometheus exposition; 2 on a bad config; 3 on a refused baseline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gaiops-drift-main-'));
    try {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const io = (env: Record<string, string>, argv: string[]) => ({
        argv,
        env,
        stdout: { write: (l: string) => stdout.push(l) },
        stderr: { write: (l: string) => stderr.push(l) },
        s3,
        sns: sns.client(),
        logger: QUIET,
      });
      const prom = join(dir, 'drift.prom');
      const env = {
        DRIFT_CONFIG: JSON.stringify(config({ windowPrefix: 'unshifted/', manifestKey: baseline.manifestKey, outputs: { reportBucket: REPORTS, reportPrefix: 'cron' } })),
      };
      expect(await main(io(env, ['--time', new Date(Date.now() + 60_000).toISOString(), '--prometheus-out', prom]))).toBe(EXIT_CODES.ok);
      const text = readFileSync(prom, 'utf8');
      expect(text).toContain(`${DRIFT_METRICS.datasetDrift}{dataset="customers",model="churn-model"} 0\n`);
      expect(stdout.some((l) => l.includes(DRIFT_METRICS.driftShare))).toBe(true);

      expect(await main(io({ DRIFT_CONFIG: '{}' }, []))).toBe(EXIT_CODES.usage);
      expect(stderr.at(-1)).toMatch(/^drift: invalid drift config: /);
      expect(await main(io(env, ['--time', 'yesterday']))).toBe(EXIT_CODES.usage);
      expect(stderr.at(-1)).toContain('--time "yesterday" is not an ISO-8601 time');

      const missing = { DRIFT_CONFIG: JSON.stringify(config({ windowPrefix: 'x/', manifestKey: `manifests/${GROUP}/${'a'.repeat(64)}.json` })) };
      expect(await main(io(missing, []))).toBe(EXIT_CODES.input);
      expect(stderr.at(-1)).toContain('does not exist');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
