import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { digestStream } from '../../../src/core/object-digest/runtime/digest';
import { createDigestApp, parseAllowedBuckets } from '../../../src/core/object-digest/runtime/digest-app';
import { type AppLogger, silentLogger } from '../../../src/core/runtime/http-app';
import { type HttpApiEvent, toLambdaHandler } from '../../../src/core/runtime/lambda-http';
import { type HttpServerHandle, serveHttp } from '../../../src/core/runtime/node-http';

// s3rver ships no type declarations.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver = createRequire(__filename)('s3rver') as new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
}) => S3rverInstance;

const ROOT = resolve(__dirname, '../../..');
const BUCKET = 'datasets';
const PRIVATE_BUCKET = 'private-bucket';
const BIG_KEY = 'train/shard-0001.bin';
const SMALL_KEY = 'meta/ünïcode name (1).json';
const SMALL_BODY = '{"rows":3}\n';
const EMPTY_KEY = 'empty.txt';

/** 8 MiB of deterministic pseudo-random bytes (xorshift32, fixed seed). */
function deterministicBytes(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}

const BIG = deterministicBytes(8 * 1024 * 1024);
const BIG_SHA = createHash('sha256').update(BIG).digest('hex');
const SMALL_SHA = createHash('sha256').update(SMALL_BODY).digest('hex');
const EMPTY_SHA = createHash('sha256').update('').digest('hex');

interface ErrorBody {
  error: { code: string; message: string; details?: { issues: { path: string; message: string }[] } };
}

type Call = (body: unknown, options?: { raw?: string; contentType?: string }) => Promise<{ status: number; json: unknown }>;

let dataDir: string;
let s3rver: S3rverInstance;
let endpoint: string;
let s3: S3Client;
let server: HttpServerHandle;
const transports: Record<'node-http' | 'lambda', Call> = {} as never;

function s3Client(accessKeyId = 'S3RVER'): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: 'S3RVER' },
  });
}

function lambdaEvent(method: string, rawPath: string, body: string | undefined, contentType: string): HttpApiEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': contentType, host: 'abc.execute-api.us-east-1.amazonaws.com' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc',
      domainName: 'abc.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
    },
    // API Gateway base64-encodes bodies it considers binary; exercise that path.
    body: body === undefined ? undefined : Buffer.from(body, 'utf8').toString('base64'),
    isBase64Encoded: body !== undefined,
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gaiops-s3rver-'));
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dataDir });
  const address = await s3rver.run();
  endpoint = `http://127.0.0.1:${address.port}`;
  s3 = s3Client();
  for (const bucket of [BUCKET, PRIVATE_BUCKET]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: BIG_KEY, Body: BIG }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: SMALL_KEY, Body: SMALL_BODY }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: EMPTY_KEY, Body: new Uint8Array(0), ContentLength: 0 }));
  await s3.send(new PutObjectCommand({ Bucket: PRIVATE_BUCKET, Key: 'secret.bin', Body: 'nope' }));

  const app = createDigestApp({ s3, allowedBuckets: [BUCKET, 'missing-bucket'], logger: silentLogger });
  server = await serveHttp(app, { port: 0 });
  transports['node-http'] = async (body, options = {}) => {
    const res = await fetch(`${server.url}/digest`, {
      method: 'POST',
      headers: { 'content-type': options.contentType ?? 'application/json' },
      body: options.raw ?? JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  const handler = toLambdaHandler(app);
  transports.lambda = async (body, options = {}) => {
    const res = await handler(lambdaEvent('POST', '/digest', options.raw ?? JSON.stringify(body), options.contentType ?? 'application/json'));
    return { status: res.statusCode ?? 0, json: JSON.parse(res.body ?? 'null') };
  };
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  await s3rver?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('digestStream', () => {
  it('hashes chunked Node streams, strings and empty input', async () => {
    const chunks = [BIG.subarray(0, 1000), BIG.subarray(1000, 5_000_000), BIG.subarray(5_000_000)];
    expect(await digestStream(Readable.from(chunks))).toEqual({ sha256: BIG_SHA, size: BIG.length });
    expect(await digestStream(Readable.from([SMALL_BODY.slice(0, 4), SMALL_BODY.slice(4)]))).toEqual({
      sha256: SMALL_SHA,
      size: Buffer.byteLength(SMALL_BODY),
    });
    expect(await digestStream(Readable.from([]))).toEqual({ sha256: EMPTY_SHA, size: 0 });
  });

  it('rejects when the stream fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('socket hang up'));
      },
    });
    await expect(digestStream(failing)).rejects.toThrow('socket hang up');
  });
});

describe.each(['node-http', 'lambda'] as const)('POST /digest end to end via %s (s3rver)', (transport) => {
  const call: Call = (body, options) => transports[transport](body, options);

  it('streams a multi-megabyte object and returns its sha256 and size', async () => {
    const res = await call({ bucket: BUCKET, key: BIG_KEY });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ bucket: BUCKET, key: BIG_KEY, versionId: null, size: 8 * 1024 * 1024, sha256: BIG_SHA });
  });

  it('reports matches: true / false against expectedSha256', async () => {
    const ok = await call({ bucket: BUCKET, key: BIG_KEY, expectedSha256: BIG_SHA });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ sha256: BIG_SHA, matches: true });
    const mismatch = await call({ bucket: BUCKET, key: SMALL_KEY, expectedSha256: BIG_SHA });
    expect(mismatch.status).toBe(200);
    expect(mismatch.json).toEqual({
      bucket: BUCKET,
      key: SMALL_KEY,
      versionId: null,
      size: Buffer.byteLength(SMALL_BODY),
      sha256: SMALL_SHA,
      matches: false,
    });
  });

  it('hashes an empty object', async () => {
    const res = await call({ bucket: BUCKET, key: EMPTY_KEY });
    expect(res.json).toMatchObject({ size: 0, sha256: EMPTY_SHA });
  });

  it('answers 404 object_not_found for a missing key or bucket', async () => {
    for (const body of [
      { bucket: BUCKET, key: 'train/does-not-exist.bin' },
      { bucket: 'missing-bucket', key: 'x' },
    ]) {
      const res = await call(body);
      expect(res.status, body.bucket).toBe(404);
      expect((res.json as ErrorBody).error.code).toBe('object_not_found');
    }
  });

  it('answers 403 bucket_not_allowed for a bucket outside the allow-list', async () => {
    const res = await call({ bucket: PRIVATE_BUCKET, key: 'secret.bin' });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({
      error: { code: 'bucket_not_allowed', message: 'this service may not read the requested bucket' },
    });
  });

  it.each([
    ['a bad bucket name', { bucket: 'Bad_Bucket', key: 'k' }, ['bucket']],
    ['an IP-like bucket name', { bucket: '192.168.1.1', key: 'k' }, ['bucket']],
    ['a bad sha256', { bucket: BUCKET, key: 'k', expectedSha256: 'ABC' }, ['expectedSha256']],
    ['an upper-case sha256', { bucket: BUCKET, key: 'k', expectedSha256: BIG_SHA.toUpperCase() }, ['expectedSha256']],
    ['a missing key', { bucket: BUCKET }, ['key']],
    ['an empty key', { bucket: BUCKET, key: '' }, ['key']],
    ['a too long key', { bucket: BUCKET, key: 'k'.repeat(1025) }, ['key']],
    ['a key over 1024 UTF-8 bytes', { bucket: BUCKET, key: 'é'.repeat(600) }, ['key']],
    ['an unknown field', { bucket: BUCKET, key: 'k', sha: BIG_SHA }, ['(root)']],
    ['a non-object body', ['x'], ['(root)']],
  ])('answers 400 invalid_body for %s', async (_name, body, paths) => {
    const res = await call(body);
    expect(res.status).toBe(400);
    const error = (res.json as ErrorBody).error;
    expect(error.code).toBe('invalid_body');
    expect([...new Set(error.details?.issues.map((i) => i.path))]).toEqual(paths);
  });

  it('answers 400 invalid_json for a non-JSON body', async () => {
    const res = await call(undefined, { raw: 'bucket=datasets&key=x' });
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error.code).toBe('invalid_json');
  });

  it('answers 415 for a non-JSON content type', async () => {
    const res = await call(undefined, { raw: '{"bucket":"datasets","key":"x"}', contentType: 'text/plain' });
    expect(res.status).toBe(415);
  });
});

describe('object-digest service edges', () => {
  it('answers GET /healthz without touching S3', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('maps S3 403 errors to access_denied', async () => {
    // s3rver answers 403 InvalidAccessKeyId for unknown access keys.
    const badClient = s3Client('UNKNOWNKEY');
    try {
      const handler = toLambdaHandler(createDigestApp({ s3: badClient, logger: silentLogger }));
      const res = await handler(lambdaEvent('POST', '/digest', JSON.stringify({ bucket: BUCKET, key: BIG_KEY }), 'application/json'));
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body ?? '')).toMatchObject({ error: { code: 'access_denied' } });
    } finally {
      badClient.destroy();
    }
  });

  it('allows every bucket when no allow-list is given and none with an empty list', async () => {
    const open = toLambdaHandler(createDigestApp({ s3, logger: silentLogger }));
    const openRes = await open(lambdaEvent('POST', '/digest', JSON.stringify({ bucket: PRIVATE_BUCKET, key: 'secret.bin' }), 'application/json'));
    expect(openRes.statusCode).toBe(200);
    const closed = toLambdaHandler(createDigestApp({ s3, allowedBuckets: [], logger: silentLogger }));
    const closedRes = await closed(lambdaEvent('POST', '/digest', JSON.stringify({ bucket: BUCKET, key: SMALL_KEY }), 'application/json'));
    expect(closedRes.statusCode).toBe(403);
  });

  it('parses DIGEST_ALLOWED_BUCKETS', () => {
    expect(parseAllowedBuckets(undefined)).toBeUndefined();
    expect(parseAllowedBuckets('  ')).toBeUndefined();
    expect(parseAllowedBuckets('a-bucket, b.bucket,,c ')).toEqual(['a-bucket', 'b.bucket', 'c']);
  });

  it('logs the request id, bucket and outcome but never the object key', async () => {
    const lines: Record<string, unknown>[] = [];
    const record = (message: string, ...attributes: Record<string, unknown>[]) => lines.push({ message, ...Object.assign({}, ...attributes) });
    const logger: AppLogger = { debug: record, info: record, warn: record, error: record };
    const handler = toLambdaHandler(createDigestApp({ s3, logger }));
    const event = lambdaEvent('POST', '/digest', JSON.stringify({ bucket: BUCKET, key: SMALL_KEY }), 'application/json');
    await handler(event);
    expect(lines).toContainEqual(expect.objectContaining({ message: 'object digested', bucket: BUCKET, requestId: event.requestContext.requestId }));
    expect(JSON.stringify(lines)).not.toContain('ünïcode');
  });
});

function runChild(script: string, env: Record<string, string>): { child: ReturnType<typeof spawn>; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('entrypoints (child processes)', () => {
  it('lambda.ts loads without AWS credentials or region, reads DIGEST_ALLOWED_BUCKETS and digests', async () => {
    const events = [
      lambdaEvent('GET', '/healthz', undefined, 'application/json'),
      lambdaEvent('POST', '/digest', JSON.stringify({ bucket: BUCKET, key: SMALL_KEY }), 'application/json'),
      lambdaEvent('POST', '/digest', JSON.stringify({ bucket: PRIVATE_BUCKET, key: 'secret.bin' }), 'application/json'),
    ];
    // The module is loaded (and /healthz served) with no AWS configuration at all; the SDK
    // settings only appear afterwards, as the client resolves them lazily on the first S3 call.
    const sdkEnv = {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };
    const script = `
      const { handler } = require('./src/core/object-digest/runtime/lambda.ts');
      (async () => {
        const [health, ...digests] = ${JSON.stringify(events)};
        process.stdout.write('RESULT ' + JSON.stringify(await handler(health)) + '\\n');
        Object.assign(process.env, ${JSON.stringify(sdkEnv)});
        for (const event of digests) process.stdout.write('RESULT ' + JSON.stringify(await handler(event)) + '\\n');
        process.exit(0);
      })();
    `;
    const run = runChild(script, { POWERTOOLS_LOG_LEVEL: 'SILENT', DIGEST_ALLOWED_BUCKETS: ` ${BUCKET} ,other-bucket` });
    expect(await run.exited, run.stderr()).toBe(0);
    const results = run
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('RESULT '))
      .map((l) => JSON.parse(l.slice('RESULT '.length)) as { statusCode: number; body: string });
    expect(results.map((r) => r.statusCode), run.stderr()).toEqual([200, 200, 403]);
    expect(JSON.parse(results[0].body)).toEqual({ status: 'ok' });
    expect(JSON.parse(results[1].body)).toMatchObject({ sha256: SMALL_SHA });
    expect(JSON.parse(results[2].body)).toMatchObject({ error: { code: 'bucket_not_allowed' } });
  }, 15_000);

  it('server.ts (container entrypoint) serves digests and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/core/object-digest/runtime/server.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        DIGEST_ALLOWED_BUCKETS: BUCKET,
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const listening = await waitFor(
        () =>
          out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as { message: string; url?: string; service?: string })
            .find((l) => l.message === 'listening'),
        10_000,
        `listening line (stderr: ${err})`,
      );
      expect(listening.service).toBe('object-digest');
      const res = await fetch(`${listening.url}/digest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'container-test-1' },
        body: JSON.stringify({ bucket: BUCKET, key: BIG_KEY, expectedSha256: BIG_SHA }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('container-test-1');
      expect(await res.json()).toMatchObject({ size: BIG.length, sha256: BIG_SHA, matches: true });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((l) => l.message === 'object digested')).toMatchObject({ requestId: 'container-test-1', bucket: BUCKET });
      expect(lines.map((l) => l.message)).toContain('stopped');
      expect(out).not.toContain(BIG_KEY);
      expect(out).not.toContain('S3RVER');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 20_000);
});
