/**
 * Pure content hashing: SHA-256 and byte count of a stream, computed chunk by chunk so memory use
 * stays constant whatever the object size.
 */
import { createHash } from 'node:crypto';

export interface StreamDigest {
  /** Lower-case hex SHA-256 of all bytes. */
  readonly sha256: string;
  /** Number of bytes read. */
  readonly size: number;
}

/**
 * Hashes every chunk of `source` (a Node `Readable`, a web `ReadableStream` or any async iterable
 * of bytes) without buffering it. Rejects if the stream errors; the stream is destroyed when
 * iteration stops early.
 */
export async function digestStream(source: AsyncIterable<Uint8Array | string>): Promise<StreamDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

/** SHA-256 hex of 64 lower-case hex characters. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
