/**
 * Feature-store ingest throughput and memory: generates CSV files of 250,000 and 1,000,000
 * customer rows (with PII hashing/masking, ~2 % invalid rows, some duplicates, 2,000 customers)
 * into a temp dir, uploads them to an embedded s3rver, and ingests each with the real pipeline
 * (online store on dynalite). Prints rows/s and peak memory for both sizes: if the pipeline
 * streams, peak RSS barely grows with a 4× larger file.
 *
 * Process layout, so that the numbers belong to the ingest alone:
 *   - a `--servers` child runs s3rver + dynalite (and the bucket, tables and config);
 *   - each ingest runs in a fresh `--ingest` child that samples `process.memoryUsage()` every
 *     25 ms and reports `process.resourceUsage().maxRSS` at the end;
 *   - this process generates and uploads the files and prints the table.
 * Everything stops by itself: children are killed on exit, and the whole bench gives up after
 * 170 s. No thresholds, no assertions: it prints numbers.
 *
 * Usage: tsx bench/ingest.bench.ts [--sizes 250000,1000000]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { OFFLINE_LAYOUT } from '../src/feature-store/feature-group';
import { onlineTableDefinition, versionsTableDefinition } from '../src/feature-store/runtime/table-definitions';
import { createIngestor } from '../src/feature-store/runtime/ingest';
import { ECOMMERCE_CONFIG, customerEmail, prng } from '../test/feature-store/support/ecommerce';
import { startDynamo, startS3 } from '../test/support/embedded-aws';

const ROOT = resolve(__dirname, '..');
const MARKER = 'GAIOPS_BENCH_RESULT ';
const BUCKET = 'feature-store-bench';
const ONLINE_TABLE = 'fs-online';
const VERSIONS_TABLE = 'fs-versions';
const CUSTOMERS = 2_000;
const TOTAL_BUDGET_MS = 170_000;
const REGION = 'us-east-1';

interface Endpoints {
  readonly s3: string;
  readonly dynamo: string;
}

interface IngestReport {
  readonly rows: number;
  readonly counts: Record<string, number>;
  readonly online: { written: number; stale: number } | null;
  readonly files: number;
  readonly durationMs: number;
  readonly onlineWriteMs: number;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
  readonly maxRssMb: number;
  readonly baselineRssMb: number;
}

function s3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver does not understand aws-chunked uploads (used for streamed bodies with checksums).
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}

function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

// ---------------------------------------------------------------------------------------------
// `--servers`: s3rver + dynalite until stdin closes.

async function servers(): Promise<void> {
  const [s3, dynamo] = await Promise.all([startS3(), startDynamo()]);
  await s3.createBucket(BUCKET);
  const ddb = dynamo.client();
  await ddb.send(new CreateTableCommand(onlineTableDefinition(ONLINE_TABLE)));
  await ddb.send(new CreateTableCommand(versionsTableDefinition(VERSIONS_TABLE)));
  await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: OFFLINE_LAYOUT.config, Body: JSON.stringify(ECOMMERCE_CONFIG) }));
  process.stdout.write(`${MARKER}${JSON.stringify({ s3: s3.endpoint, dynamo: dynamo.endpoint } satisfies Endpoints)}\n`);
  const stop = async (): Promise<void> => {
    await Promise.allSettled([s3.close(), dynamo.close()]);
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
  process.on('SIGTERM', () => void stop());
}

// ---------------------------------------------------------------------------------------------
// `--ingest <s3> <dynamo> <key>`: one ingest, memory sampled.

async function ingestChild(s3Endpoint: string, dynamoEndpoint: string, key: string): Promise<void> {
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let peakHeap = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  };
  const timer = setInterval(sample, 25);
  const ingestor = createIngestor({
    s3: s3Client(s3Endpoint),
    dynamo: dynamoClient(dynamoEndpoint),
    bucket: BUCKET,
    onlineTable: ONLINE_TABLE,
    versionsTable: VERSIONS_TABLE,
    config: ECOMMERCE_CONFIG,
    piiKey: 'bench-pii-key',
    creator: 'bench',
  });
  const started = performance.now();
  const result = await ingestor.ingestObject({ key });
  const durationMs = performance.now() - started;
  clearInterval(timer);
  sample();
  const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const report: IngestReport = {
    rows: result.counts.input,
    counts: { ...result.counts },
    online: result.online,
    files: result.fileCount,
    durationMs,
    onlineWriteMs: result.timings?.onlineWriteMs ?? 0,
    peakRssMb: mb(peakRss),
    peakHeapMb: mb(peakHeap),
    maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
    baselineRssMb: mb(baselineRss),
  };
  process.stdout.write(`\n${MARKER}${JSON.stringify(report)}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Parent.

const children = new Set<ChildProcess>();

function startChild(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AWS_REGION: REGION, POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function stopChildren(): void {
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
}

/** Resolves with the first MARKER line's JSON; rejects when the child exits first. */
function markerOf<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith(MARKER));
      if (line) resolvePromise(JSON.parse(line.slice(MARKER.length)) as T);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-8000);
    });
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code} before reporting:\n${err}`)));
  });
}

/** Writes `rows` customer rows as CSV, streaming (constant memory). */
async function writeCustomersCsv(path: string, rows: number, seed: number): Promise<void> {
  const random = prng(seed);
  const out = createWriteStream(path);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('customer_id,updated_at,email,phone,full_name,country,gender,age_band,lifetime_value,orders_count,is_premium,signup_at,segment\n');
  const countries = ['DE', 'FR', 'GB', 'US', 'JP', 'BR'];
  const genders = ['female', 'male', 'nonbinary', 'undisclosed'];
  const bands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'];
  const segments = ['bargain', 'loyal', 'new', 'vip', 'dormant'];
  const start = Date.UTC(2026, 0, 1);
  let previous = '';
  let batch = '';
  for (let i = 0; i < rows; i++) {
    let line: string;
    if (previous !== '' && random() < 0.005) {
      line = previous; // exact duplicate
    } else {
      const n = 1 + Math.floor(random() * CUSTOMERS);
      const t = start + Math.floor(random() * 31 * 86_400) * 1000;
      const invalid = random() < 0.02;
      const email = invalid ? `not-an-email-${n}` : customerEmail(n);
      const time = random() < 0.5 ? String(t) : new Date(t).toISOString();
      line = [
        `C${String(n).padStart(6, '0')}`,
        time,
        email,
        `+1 555 ${String(n % 1000).padStart(3, '0')} ${String((n * 37) % 10000).padStart(4, '0')}`,
        `Customer ${n}`,
        countries[Math.floor(random() * countries.length)],
        genders[Math.floor(random() * genders.length)],
        bands[Math.floor(random() * bands.length)],
        (Math.round(random() * 500000) / 100).toFixed(2),
        String(Math.floor(random() * 200)),
        random() < 0.5 ? 'true' : 'false',
        new Date(start - Math.floor(random() * 900) * 86_400_000).toISOString(),
        segments[Math.floor(random() * segments.length)],
      ].join(',');
    }
    previous = line;
    batch += `${line}\n`;
    if (batch.length > 1 << 20) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch);
  out.end();
  await once(out, 'finish');
}

async function parent(sizes: number[]): Promise<void> {
  const deadline = setTimeout(() => {
    process.stderr.write(`ingest bench: gave up after ${TOTAL_BUDGET_MS / 1000} s\n`);
    stopChildren();
    process.exit(1);
  }, TOTAL_BUDGET_MS);
  deadline.unref();
  const dir = mkdtempSync(join(tmpdir(), 'gaiops-bench-ingest-'));
  try {
    const serverChild = startChild(['--servers']);
    const endpoints = await markerOf<Endpoints>(serverChild, 'servers');
    const s3 = s3Client(endpoints.s3);
    const reports: { size: number; bytes: number; generateMs: number; report: IngestReport }[] = [];
    for (const [i, size] of sizes.entries()) {
      const path = join(dir, `customers-${size}.csv`);
      const t0 = performance.now();
      await writeCustomersCsv(path, size, 1000 + i);
      const generateMs = performance.now() - t0;
      const bytes = statSync(path).size;
      const key = `raw/customers/bench-${size}.csv`;
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: createReadStream(path), ContentLength: bytes }));
      rmSync(path);
      const report = await markerOf<IngestReport>(startChild(['--ingest', endpoints.s3, endpoints.dynamo, key]), `ingest of ${size} rows`);
      reports.push({ size, bytes, generateMs, report });
      process.stdout.write(`ingested ${size.toLocaleString('en-US')} rows (${(bytes / 1e6).toFixed(1)} MB CSV) in ${(report.durationMs / 1000).toFixed(1)} s\n`);
    }
    s3.destroy();
    serverChild.stdin?.end();

    const pad = (s: string, n: number): string => s.padStart(n);
    process.stdout.write(`\nFeature-store ingest (CSV → validate/PII/dedup/stats → offline S3 + online DynamoDB), node ${process.version}, ${cpus().length} CPUs\n`);
    process.stdout.write('embedded s3rver + dynalite run in their own process; each ingest in a fresh process\n');
    process.stdout.write('"online s": conditional PutItems of the latest row per customer (dynalite manages ~300/s here; DynamoDB far more)\n\n');
    process.stdout.write(
      `${pad('rows', 10)} ${pad('CSV MB', 7)} ${pad('time s', 7)} ${pad('rows/s', 8)} ${pad('online s', 9)} ${pad('rows/s w/o online', 18)} ${pad('valid', 9)} ${pad('rejected', 9)} ${pad('dups', 6)} ${pad('online', 7)} ${pad('files', 6)} ${pad('RSS start', 10)} ${pad('peak RSS', 9)} ${pad('maxRSS', 7)} ${pad('peak heap', 10)}\n`,
    );
    for (const { size, bytes, report: r } of reports) {
      process.stdout.write(
        `${pad(size.toLocaleString('en-US'), 10)} ${pad((bytes / 1e6).toFixed(1), 7)} ${pad((r.durationMs / 1000).toFixed(1), 7)} ${pad(Math.round((r.rows * 1000) / r.durationMs).toLocaleString('en-US'), 8)} ${pad((r.onlineWriteMs / 1000).toFixed(1), 9)} ${pad(Math.round((r.rows * 1000) / (r.durationMs - r.onlineWriteMs)).toLocaleString('en-US'), 18)} ${pad(String(r.counts.valid), 9)} ${pad(String(r.counts.rejected), 9)} ${pad(String(r.counts.duplicates), 6)} ${pad(String(r.online?.written ?? 0), 7)} ${pad(String(r.files), 6)} ${pad(`${r.baselineRssMb} MB`, 10)} ${pad(`${r.peakRssMb} MB`, 9)} ${pad(`${Math.round(r.maxRssMb)} MB`, 7)} ${pad(`${r.peakHeapMb} MB`, 10)}\n`,
      );
    }
    if (reports.length >= 2) {
      const [a, b] = [reports[0], reports[reports.length - 1]];
      process.stdout.write(
        `\n${(b.size / a.size).toFixed(1)}× the rows → ${(b.report.maxRssMb / a.report.maxRssMb).toFixed(2)}× the peak RSS (${Math.round(b.report.maxRssMb - a.report.maxRssMb)} MB more; the de-duplication index takes 12-24 bytes a row, everything else is bounded)\n`,
      );
    }
  } finally {
    stopChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { servers: { type: 'boolean' }, ingest: { type: 'boolean' }, sizes: { type: 'string' } },
  });
  const run = values.servers
    ? servers()
    : values.ingest
      ? ingestChild(positionals[0], positionals[1], positionals[2])
      : parent((values.sizes ?? '250000,1000000').split(',').map((s) => Number(s.trim())));
  run.then(
    () => {
      if (!values.servers && !values.ingest) process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`ingest bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      stopChildren();
      process.exit(1);
    },
  );
}
