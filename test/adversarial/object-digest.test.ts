/**
 * The object-digest service under hostile input, on an embedded S3 (s3rver): every bad request
 * answers a 4xx JSON error naming the problem, never 5xx, and the bucket is unchanged afterwards
 * (the service only reads — these tests prove no request makes it write or read outside the
 * allowed buckets).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDigestApp } from '../../src/core/object-digest/runtime/digest-app';
import { silentLogger } from '../../src/core/runtime/http-app';
import { type HttpServerHandle, serveHttp } from '../../src/core/runtime/node-http';
import { type EmbeddedS3, startS3 } from '../support/embedded-aws';
import { TRAVERSAL_NAMES, UNICODE_EDGE_CASES, deepArrays, deepObjects, expectClientError, hugeJson, postJson, rawRequest, snapshotBucket, itRefusesAndWritesNothing } from './support';

const BUCKET = 'datasets';
const PRIVATE = 'private-bucket';
const KEY = 'train/shard-0001.jsonl';
const BODY = '{"row":1}\n';
const ONE_MIB = 1024 * 1024;

let s3: EmbeddedS3;
let client: S3Client;
let server: HttpServerHandle;

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  await s3.createBucket(PRIVATE);
  client = s3.client();
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: BODY }));
  await client.send(new PutObjectCommand({ Bucket: PRIVATE, Key: 'secret.txt', Body: 'secret' }));
  server = await serveHttp(createDigestApp({ s3: client, allowedBuckets: [BUCKET], logger: silentLogger }), { port: 0 });
});

afterAll(async () => {
  await server?.close();
  await s3?.close();
});

const buckets = async () => ({ datasets: await snapshotBucket(client, BUCKET), private: await snapshotBucket(client, PRIVATE) });
const digest = (body: string | Buffer, headers: Record<string, string> = {}) => postJson(server.url, '/digest', body, headers);

const BAD: [string, () => ReturnType<typeof digest>, RegExp, number][] = [
  ['malformed JSON', () => digest('{"bucket":"datasets","key":'), /invalid_json/, 400],
  ['bucket of the wrong type', () => digest('{"bucket":["datasets"],"key":"k"}'), /invalid_body.*"path":"bucket"/, 400],
  ['key of the wrong type', () => digest('{"bucket":"datasets","key":{"$regex":".*"}}'), /invalid_body.*"path":"key"/, 400],
  ['expectedSha256 of the wrong form', () => digest(JSON.stringify({ bucket: BUCKET, key: KEY, expectedSha256: 'ZZ' })), /invalid_body.*expectedSha256/, 400],
  ['an unknown field', () => digest(JSON.stringify({ bucket: BUCKET, key: KEY, write: true })), /invalid_body.*write/, 400],
  ['a body just over 1 MiB', () => digest(hugeJson(ONE_MIB + 1, 'key')), /payload_too_large/, 413],
  ['10,000 nested arrays as the body', () => digest(deepArrays(10_000)), /invalid_body/, 400],
  ['10,000 nested objects as the key', () => digest(`{"bucket":"datasets","key":${deepObjects(10_000)}}`), /invalid_body.*"path":"key"/, 400],
  ['a key over 1024 bytes of UTF-8', () => digest(JSON.stringify({ bucket: BUCKET, key: '🚀'.repeat(300) })), /invalid_body.*"path":"key".*1024 bytes/, 400],
  ['a lone surrogate in the bucket', () => digest(`{"bucket":${UNICODE_EDGE_CASES['lone low surrogate']},"key":"k"}`), /invalid_body.*"path":"bucket"/, 400],
  ['NUL in the bucket', () => digest('{"bucket":"datasets\\u0000","key":"k"}'), /invalid_body.*"path":"bucket"/, 400],
  ['an RTL override in the bucket', () => digest(`{"bucket":${UNICODE_EDGE_CASES['RTL override']},"key":"k"}`), /invalid_body.*"path":"bucket"/, 400],
  ['a traversal bucket', () => digest(JSON.stringify({ bucket: '../private-bucket', key: 'secret.txt' })), /invalid_body.*"path":"bucket"/, 400],
  ['an encoded traversal bucket', () => digest(JSON.stringify({ bucket: '%2e%2e%2fprivate-bucket', key: 'secret.txt' })), /invalid_body.*"path":"bucket"/, 400],
  ['a bucket outside the allow-list', () => digest(JSON.stringify({ bucket: PRIVATE, key: 'secret.txt' })), /bucket_not_allowed/, 403],
  // Keys with real `.`/`..` segments are refused outright; look-alikes (encoded, backslashes) are
  // literal S3 keys that name no object.
  ...TRAVERSAL_NAMES.map((key): [string, () => ReturnType<typeof digest>, RegExp, number] =>
    key.split('/').some((s) => s === '..' || s === '.')
      ? [`a traversal key with dot segments is refused: ${key}`, () => digest(JSON.stringify({ bucket: BUCKET, key: `${key}/shard.jsonl` })), /invalid_body.*"path":"key".*'\.\.' path segments/, 400]
      : [`a traversal look-alike key that names no object: ${key}`, () => digest(JSON.stringify({ bucket: BUCKET, key: `${key}/shard.jsonl` })), /object_not_found/, 404],
  ),
  ['a key that climbs above the store root', () => digest(JSON.stringify({ bucket: BUCKET, key: '../../../../../../etc/passwd' })), /invalid_body.*'\.\.' path segments/, 400],
  ['an encoded-slash key', () => digest(JSON.stringify({ bucket: BUCKET, key: '..%2F..%2Fprivate-bucket%2Fsecret.txt' })), /object_not_found/, 404],
  ['a non-JSON content type', () => digest(JSON.stringify({ bucket: BUCKET, key: KEY }), { 'content-type': 'text/plain' }), /unsupported_media_type/, 415],
];

describe('object digest: bad input is refused with a JSON error and touches nothing', () => {
  itRefusesAndWritesNothing(BAD, buckets);

  // Found by these tests and fixed (issue #10).
  it('a lone surrogate in the key is refused with 400 (was: the SDK threw URIError → 500)', async () => {
    const before = await buckets();
    expectClientError(await digest('{"bucket":"datasets","key":"train/\\ud800"}'), /invalid_body.*"path":"key"/, 400);
    expect(await buckets()).toEqual(before);
  });

  it("a key whose '..' segments climb into another bucket is refused (was: s3rver resolved them and hashed the private object)", async () => {
    for (const key of ['x/../../private-bucket/secret.txt', '..\\..\\windows/../../private-bucket/secret.txt']) {
      const res = await digest(JSON.stringify({ bucket: BUCKET, key }));
      expectClientError(res, /invalid_body.*"path":"key"|object_not_found/);
    }
  });

  it('raw ../ and %2e%2e%2f in the URL path find no route (404, JSON)', async () => {
    for (const path of ['/../digest', '/%2e%2e%2fdigest', '/digest/..', '/digest%2f', '/../../etc/passwd']) {
      const res = await rawRequest(server.url, { method: 'POST', path, body: JSON.stringify({ bucket: BUCKET, key: KEY }), headers: { 'content-type': 'application/json' } });
      expectClientError(res, /not_found/, 404);
    }
  });

  it('oversized request headers are refused with 431', async () => {
    const res = await rawRequest(server.url, { method: 'POST', path: '/digest', body: JSON.stringify({ bucket: BUCKET, key: KEY }), headers: { 'content-type': 'application/json', 'x-a': 'a'.repeat(64 * 1024) } });
    expect(res.status).toBe(431);
  });

  it('the good request still works after the barrage (control)', async () => {
    const res = await digest(JSON.stringify({ bucket: BUCKET, key: KEY }));
    expect(res.status, res.text).toBe(200);
    expect((res.json as { sha256: string }).sha256).toBe(createHash('sha256').update(BODY).digest('hex'));
  });
});
