/** Small S3 helpers shared by ingest, versions and verification. */
import { createHash } from 'node:crypto';
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';

/** True for S3 "does not exist" errors (NoSuchKey, NotFound, 404). */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}

/** True for a failed S3 precondition (If-Match / If-None-Match on writes). */
export function isPreconditionFailed(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return name === 'PreconditionFailed' || status === 412;
}

export interface ObjectStream {
  readonly body: AsyncIterable<Uint8Array>;
  readonly etag: string | undefined;
  readonly size: number | undefined;
}

/** Opens an object for streaming; `undefined` when it does not exist. */
export async function openObject(s3: S3Client, input: GetObjectCommandInput): Promise<ObjectStream | undefined> {
  let out;
  try {
    out = await s3.send(new GetObjectCommand(input));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const body = out.Body as unknown;
  if (typeof body !== 'object' || body === null || !(Symbol.asyncIterator in body)) throw new Error('GetObject returned no readable body');
  return { body: body as AsyncIterable<Uint8Array>, etag: out.ETag, size: out.ContentLength };
}

/** Reads a whole (small) object; `undefined` when it does not exist. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  const object = await openObject(s3, { Bucket: bucket, Key: key });
  if (!object) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export interface StreamDigest {
  readonly sha256: string;
  readonly size: number;
}

/** Streams an object through SHA-256 in constant memory; `undefined` when it does not exist. */
export async function digestObject(s3: S3Client, bucket: string, key: string): Promise<(StreamDigest & { etag?: string }) | undefined> {
  const object = await openObject(s3, { Bucket: bucket, Key: key });
  if (!object) return undefined;
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of object.body) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size, etag: object.etag };
}

/** Passes bytes through while hashing them; call `result()` after the stream is consumed. */
export function hashingTee(source: AsyncIterable<Uint8Array>): { stream: AsyncIterable<Uint8Array>; result(): StreamDigest } {
  const hash = createHash('sha256');
  let size = 0;
  let digest: string | undefined;
  async function* stream(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
    digest = hash.digest('hex');
  }
  return {
    stream: stream(),
    result() {
      if (digest === undefined) throw new Error('the stream was not fully consumed');
      return { sha256: digest, size };
    },
  };
}
