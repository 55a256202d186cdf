/**
 * Feature-store online serving: batch lookups (`POST /get-online-features`, 100 entities × 5
 * features of the e-commerce `customers` group) against the same dynalite table, in the two forms
 * the FeatureStore deploys:
 *   (a) `container`: the serving server (`runServerFromEnv`, as `serving-server.ts` runs it) in its own process,
 *       driven over real HTTP by an undici Pool of C keep-alive connections (closed loop: each
 *       connection sends its next request when the previous response ended);
 *   (b) `lambda`: the Lambda handler (`toLambdaHandler(createServingApp(…))`, the code
 *       `serving-lambda.ts` exports) invoked in this process with API Gateway v2 events, C
 *       invocations in flight (the same closed loop, no HTTP).
 * dynalite and s3rver run in a third process. Both forms run the same app on the same data, the
 * forms alternate per round, and the table prints requests/s, p50 and p99 per form and the
 * container/lambda ratios. dynalite (LevelDB in memory) is far slower than DynamoDB, so absolute
 * numbers say little; the ratio is the transport cost. No thresholds: it prints numbers.
 *
 * Usage: tsx bench/feature-server.bench.ts [--seconds 5] [--rounds 2] [--connections 16] [--entities 2000] [--batch 100]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { Pool } from 'undici';
import { LOCAL_AWS } from '../src/cli/dev/embedded-dynamo';
import type { HttpApp } from '../src/core/runtime/http-app';
import { type HttpApiEvent, toLambdaHandler } from '../src/core/runtime/lambda-http';
import { runServerFromEnv } from '../src/core/runtime/node-http';
import { ECOMMERCE_FEATURE_GROUPS } from '../src/feature-store/ecommerce-groups';
import type { FeatureStoreConfigInput } from '../src/feature-store/runtime/deps';
import { createServingApp } from '../src/feature-store/runtime/serving-app';
import { onlineTableDefinition, versionsTableDefinition } from '../src/feature-store/runtime/table-definitions';
import { startDynamo, startS3 } from '../test/support/embedded-aws';

const READY = 'GAIOPS_BENCH_READY ';
const BUCKET = 'feature-server-bench';
const ONLINE_TABLE = 'fs-online';
const VERSIONS_TABLE = 'fs-versions';
const PII_KEY = 'bench-pii-hmac-key-0123456789abcdef';
const CONFIG: FeatureStoreConfigInput = { version: 1, groups: [...ECOMMERCE_FEATURE_GROUPS] };
const FEATURES = ['customers:lifetime_value', 'customers:orders_90d', 'customers:gender', 'customers:age_band', 'customers:email'];
const NOW = new Date('2026-11-20T00:00:00Z');

interface Endpoints {
  readonly s3: string;
  readonly dynamo: string;
}

interface Result {
  readonly requests: number;
  readonly errors: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

/** The serving app on the storage at `endpoints` (what both forms run). */
function servingApp(endpoints: Endpoints): HttpApp {
  return createServingApp({
    s3: new S3Client({ endpoint: endpoints.s3, forcePathStyle: true, ...LOCAL_AWS }),
    dynamo: new DynamoDBClient({ endpoint: endpoints.dynamo, ...LOCAL_AWS, maxAttempts: 1 }),
    bucket: BUCKET,
    onlineTable: ONLINE_TABLE,
    versionsTable: VERSIONS_TABLE,
    config: CONFIG,
    piiKey: PII_KEY,
    now: () => NOW,
    creator: 'bench',
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

async function storageChild(): Promise<void> {
  const [s3, dynamo] = await Promise.all([startS3(), startDynamo()]);
  await s3.createBucket(BUCKET);
  await dynamo.createTable(onlineTableDefinition(ONLINE_TABLE));
  await dynamo.createTable(versionsTableDefinition(VERSIONS_TABLE));
  process.stdout.write(`${READY}${JSON.stringify({ s3: s3.endpoint, dynamo: dynamo.endpoint } satisfies Endpoints)}\n`);
}

async function serverChild(endpoints: Endpoints): Promise<void> {
  // The container entry's server (`serving-server.ts` → `runServerFromEnv`), on a free loopback port.
  const app = servingApp(endpoints);
  const server = await runServerFromEnv(app, { env: { PORT: '0', HOST: '127.0.0.1' }, logger: app.logger });
  process.stdout.write(`${READY}${server.url}\n`);
}

const children: ChildProcess[] = [];

function stopChildren(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}

function spawnChild(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith(READY));
      if (line) resolve(line.slice(READY.length).trim());
    });
    child.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}`)));
  });
}

function lambdaEvent(body: string, i: number, path = '/get-online-features'): HttpApiEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'api.example.com' },
    requestContext: {
      accountId: '111122223333',
      apiId: 'bench',
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLE',
          accountId: '111122223333',
          callerId: 'AROAEXAMPLE:bench',
          principalOrgId: null,
          userArn: 'arn:aws:sts::111122223333:assumed-role/Bench/session',
          userId: 'AROAEXAMPLE:session',
          cognitoIdentity: null,
        },
      },
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'bench' },
      requestId: `bench-${i}`,
      routeKey: '$default',
      stage: '$default',
      time: '20/Nov/2026:00:00:00 +0000',
      timeEpoch: NOW.getTime(),
    },
    body,
    isBase64Encoded: false,
  } as HttpApiEvent;
}

const customerId = (i: number) => `C${String(i).padStart(7, '0')}`;

/** Request bodies: `count` batches of `batch` distinct random customers (a fixed PRNG, so every run asks the same). */
function bodies(entities: number, batch: number, count: number): string[] {
  let seed = 0x9e3779b9;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, () => {
    const ids = new Set<string>();
    while (ids.size < Math.min(batch, entities)) ids.add(customerId(1 + Math.floor(random() * entities)));
    return JSON.stringify({ features: FEATURES, entities: { customer_id: [...ids] } });
  });
}

/** Pushes `entities` customers to the online store through the app (`POST /push`, 500 rows a request). */
async function load(app: HttpApp, entities: number): Promise<void> {
  const handler = toLambdaHandler(app);
  const bands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'];
  const genders = ['female', 'male', 'nonbinary', 'undisclosed'];
  for (let start = 1; start <= entities; start += 500) {
    const rows = [];
    for (let i = start; i < Math.min(start + 500, entities + 1); i++) {
      rows.push({
        customer_id: customerId(i),
        updated_at: '2026-11-19T12:00:00Z',
        email: `customer${i}@mail.example.com`,
        gender: genders[i % genders.length],
        age_band: bands[i % bands.length],
        lifetime_value: (i * 7.31) % 5000,
        orders_90d: i % 23,
      });
    }
    const res = await handler(lambdaEvent(JSON.stringify({ group: 'customers', to: 'online', rows }), start, '/push'));
    const out = JSON.parse(String(res.body)) as { counts?: { valid: number } };
    if (res.statusCode !== 200 || out.counts?.valid !== rows.length) throw new Error(`loading customers failed: ${res.statusCode} ${String(res.body).slice(0, 300)}`);
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** A closed loop of `concurrency` workers calling `send` for `seconds`. */
async function closedLoop(seconds: number, concurrency: number, batches: readonly string[], send: (body: string, i: number) => Promise<boolean>): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const i = next++;
        const t0 = performance.now();
        const ok = await send(batches[i % batches.length], i).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, rps: latencies.length / elapsed, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

async function parent(o: { seconds: number; rounds: number; connections: number; entities: number; batch: number }): Promise<void> {
  const endpoints = JSON.parse(await spawnChild(['--storage'])) as Endpoints;
  const app = servingApp(endpoints);
  const t0 = performance.now();
  await load(app, o.entities);
  process.stdout.write(`loaded ${o.entities.toLocaleString('en-US')} customers into the online table in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const serverUrl = await spawnChild(['--server', JSON.stringify(endpoints)]);
  const batches = bodies(o.entities, o.batch, 512);
  const handler = toLambdaHandler(app);
  const pool = new Pool(serverUrl, { connections: o.connections, pipelining: 1 });
  const forms: Record<'container' | 'lambda', (body: string, i: number) => Promise<boolean>> = {
    container: async (body) => {
      const res = await pool.request({ path: '/get-online-features', method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.body.text();
      return res.statusCode === 200 && text.startsWith('{"metadata"');
    },
    lambda: async (body, i) => {
      const res = await handler(lambdaEvent(body, i));
      return res.statusCode === 200 && String(res.body).startsWith('{"metadata"');
    },
  };
  // Warm both forms (connections, SDK clients, JIT) before measuring.
  for (const send of Object.values(forms)) await closedLoop(1, o.connections, batches, send);
  const results: Record<'container' | 'lambda', Result[]> = { container: [], lambda: [] };
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 === 0 ? (['container', 'lambda'] as const) : (['lambda', 'container'] as const);
    for (const form of order) results[form].push(await closedLoop(o.seconds, o.connections, batches, forms[form]));
  }
  await pool.close();

  const best = (form: 'container' | 'lambda') => [...results[form]].sort((a, b) => b.rps - a.rps)[0];
  const c = best('container');
  const l = best('lambda');
  process.stdout.write(
    `\nFeature server: get-online-features, ${o.batch} entities × ${FEATURES.length} features per request, ${o.entities.toLocaleString('en-US')} customers on dynalite\n` +
      `node ${process.version}, ${cpus().length} CPUs; ${o.connections} requests in flight; best of ${o.rounds} rounds of ${o.seconds} s per form (forms alternate)\n\n`,
  );
  const row = (cells: string[]) => `${cells[0].padEnd(11)}${cells.slice(1).map((x) => x.padStart(12)).join('')}\n`;
  process.stdout.write(row(['form', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms']));
  for (const [name, x] of [
    ['container', c],
    ['lambda', l],
  ] as const) {
    process.stdout.write(row([name, String(x.requests), String(x.errors), x.rps.toFixed(1), x.p50.toFixed(1), x.p99.toFixed(1)]));
  }
  process.stdout.write(`\ncontainer / lambda: req/s ×${(c.rps / l.rps).toFixed(2)}, p50 ×${(c.p50 / l.p50).toFixed(2)}, p99 ×${(c.p99 / l.p99).toFixed(2)}\n`);
  process.stdout.write('(lambda = the handler in this process: no HTTP, no API Gateway, no cold starts; container = real HTTP to another process)\n');
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      storage: { type: 'boolean' },
      server: { type: 'boolean' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      entities: { type: 'string' },
      batch: { type: 'string' },
    },
  });
  const num = (v: string | undefined, d: number, name: string) => {
    const n = v === undefined ? d : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const run = values.storage
    ? storageChild()
    : values.server
      ? serverChild(JSON.parse(positionals[0]) as Endpoints)
      : parent({
          seconds: num(values.seconds, 5, 'seconds'),
          rounds: num(values.rounds, 2, 'rounds'),
          connections: num(values.connections, 16, 'connections'),
          entities: num(values.entities, 2000, 'entities'),
          batch: Math.min(num(values.batch, 100, 'batch'), 1000),
        });
  run.then(
    () => {
      if (!values.storage && !values.server) {
        stopChildren();
        process.exit(0);
      }
    },
    (error: unknown) => {
      process.stderr.write(`feature-server bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      stopChildren();
      process.exit(1);
    },
  );
}
