/**
 * Shared tools of the adversarial runtime tests: raw HTTP requests (exact bytes, exact path — no
 * URL normalisation, so `../` and `%2e%2e%2f` reach the server as sent), snapshots of the
 * embedded stores (every DynamoDB item, every S3 object) to prove that rejected input wrote
 * nothing, and the bad-input catalogue every runtime is run against.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The parsed body; `undefined` when it is empty or not JSON. */
  readonly json: unknown;
}

export interface RawRequest {
  readonly method: string;
  /** Sent byte for byte as the request target (path and query). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A string is sent as UTF-8; a Buffer as is. */
  readonly body?: string | Buffer;
}

/**
 * One HTTP/1.1 request on a fresh connection. Resolves with whatever the server answers; a
 * connection closed without an answer rejects (tests then fail: that is "never a hang / always
 * an answer").
 */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  const headers: Record<string, string> = { connection: 'close', ...req.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { host: url.hostname, port: Number(url.port), method: req.method, path: `${url.pathname.replace(/\/$/, '')}${req.path}`, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    r.on('error', reject);
    // The server may answer (413) and close before the whole body is written: ignore EPIPE/ECONNRESET
    // on the write side; the response (or the request error) settles the promise.
    if (body !== undefined) r.write(body, () => undefined);
    r.end();
  });
}

/** A JSON POST (raw body text, so malformed JSON and lone surrogates go out unchanged). */
export function postJson(baseUrl: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(baseUrl, { method: 'POST', path, body, headers: { 'content-type': 'application/json', ...headers } });
}

/**
 * Asserts the answer to bad input: a 4xx (never 5xx), a JSON body, and an error that names the
 * problem (`problem` is matched against the whole body text).
 */
export function expectClientError(res: RawResponse, problem: RegExp, status?: number): void {
  const context = `${res.status} ${res.text.slice(0, 500)}`;
  if (status !== undefined) expect(res.status, context).toBe(status);
  expect(res.status, context).toBeGreaterThanOrEqual(400);
  expect(res.status, context).toBeLessThan(500);
  expect(String(res.headers['content-type']), context).toMatch(/^application\/json/);
  expect(res.json, context).toBeTypeOf('object');
  expect(res.text, context).toMatch(problem);
}

/** Every item of each table (all scan pages), canonicalised and sorted, keyed by table. */
export async function snapshotTables(dynamo: DynamoDBClient, tables: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    const items: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start as never, ConsistentRead: true }));
      for (const item of page.Items ?? []) items.push(canonical(item));
      start = page.LastEvaluatedKey;
    } while (start);
    out[table] = items.sort();
  }
  return out;
}

/** Every object of the bucket as `key size etag` (all pages), sorted. */
export async function snapshotBucket(s3: S3Client, bucket: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push(`${o.Key} ${o.Size} ${o.ETag}`);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v instanceof Uint8Array
        ? Buffer.from(v).toString('base64')
        : v,
  );
}

// ---------------------------------------------------------------------------------------------
// The bad-input catalogue
// ---------------------------------------------------------------------------------------------

/** `[[[…]]]` nested `depth` times: valid JSON that a recursive walker may not survive. */
export function deepArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** `{"a":{"a":…}}` nested `depth` times. */
export function deepObjects(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A body of `bytes` bytes of valid JSON (one long string), e.g. just over a body limit. */
export function hugeJson(bytes: number, field = 'name'): string {
  const overhead = `{"${field}":""}`.length;
  return `{"${field}":"${'x'.repeat(Math.max(0, bytes - overhead))}"}`;
}

/**
 * Unicode edge cases, as JSON string literals (escaped, so a lone surrogate survives the trip —
 * `JSON.parse` turns `"\ud800"` into a lone surrogate in the server).
 */
export const UNICODE_EDGE_CASES = {
  'lone high surrogate': '"model-\\ud800"',
  'lone low surrogate': '"model-\\udfff"',
  NUL: '"model-\\u0000-x"',
  'RTL override': '"model-\\u202egpj.exe"',
  'zero-width joiner only': '"\\u200d"',
} as const;

/** Names that try to climb out of a path, as sent in JSON bodies or query strings. */
export const TRAVERSAL_NAMES = ['../../etc/passwd', '..\\..\\windows', '%2e%2e%2fetc', '..%2f..%2f', 'a/../../b', '/absolute'] as const;

/** MLflow-search-style filters that look like SQL injection. */
export const INJECTION_FILTERS = [
  "name = 'x' OR 1=1",
  "name = 'x'; DROP TABLE models; --",
  "name = 'x' UNION SELECT * FROM users",
  "name = '' OR ''=''",
  "name LIKE '%' --",
  "tags.`a` = 'x') OR (1=1",
  "name = 'x' AND version_number = 1 OR 1=1",
] as const;

/** One bad-input case: label, the request, the error it must name, and the status (default 400). */
export type BadInputCase = readonly [label: string, send: () => Promise<RawResponse>, problem: RegExp, status?: number];

/**
 * One test per case: the answer is a 4xx JSON error naming the problem, and `snapshot()` (the
 * stores' contents) is the same before and after — nothing was written.
 */
export function itRefusesAndWritesNothing(cases: readonly BadInputCase[], snapshot: () => Promise<unknown>): void {
  for (const [label, send, problem, status] of cases) {
    it(label, async () => {
      const before = await snapshot();
      expectClientError(await send(), problem, status);
      expect(await snapshot()).toEqual(before);
    });
  }
}
