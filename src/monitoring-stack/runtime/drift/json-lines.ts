/**
 * Streaming JSON Lines reader with bounded memory: bytes → (gunzip when the stream starts with the
 * gzip magic bytes 1f 8b) → lines split on `\n` bytes → record. Only the current chunk and one
 * partial line are held, whatever the object size; a UTF-8 BOM on the first line is ignored.
 *
 * Per line: blank lines (JSON whitespace only) are ignored; a line that is not valid JSON or not a
 * JSON object is counted in `corrupt` and skipped; a line longer than `maxLineBytes` bytes is
 * counted in `oversized` (and in `corrupt`) and skipped without being buffered. A gzip error fails
 * the whole read. Records are delivered through a synchronous callback: no promise per row.
 *
 * With `fields`, lines go through `FlatRecordDecoder` first (only those fields are extracted, into
 * one reused object valid during the callback); lines it does not take fall back to `JSON.parse`.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type FieldLayout, FlatRecordDecoder, type Row } from './record-decoder';

export interface LineCounts {
  /** Non-blank lines. */
  lines: number;
  /** Lines parsed into a JSON object and delivered. */
  records: number;
  /** Lines skipped: invalid JSON, not an object, or oversized. */
  corrupt: number;
  /** Lines skipped for exceeding `maxLineBytes` (included in `corrupt`). */
  oversized: number;
  /** Bytes read before decompression. */
  bytes: number;
}

export function emptyLineCounts(): LineCounts {
  return { lines: 0, records: 0, corrupt: 0, oversized: 0, bytes: 0 };
}

export function addLineCounts(into: LineCounts, more: LineCounts): void {
  into.lines += more.lines;
  into.records += more.records;
  into.corrupt += more.corrupt;
  into.oversized += more.oversized;
  into.bytes += more.bytes;
}

/** Thrown when a stream cannot be read at all (bad gzip). */
export class StreamReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamReadError';
  }
}

async function* counted(source: AsyncIterable<Uint8Array>, counts: LineCounts): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counts.bytes += chunk.byteLength;
    yield chunk;
  }
}

/** Peeks the first bytes; returns the (possibly gunzipped) byte stream. */
async function decompressed(source: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < 2) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.byteLength;
  }
  async function* all(): AsyncGenerator<Uint8Array> {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const first = head.length === 0 ? undefined : Buffer.concat(head.map((h) => Buffer.from(h.buffer, h.byteOffset, h.byteLength)));
  const gzip = first !== undefined && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  if (!gzip) return all();
  return pipeline(Readable.from(all(), { objectMode: false }), createGunzip(), () => undefined);
}

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Splits a byte stream into lines; calls `onLine` for non-blank lines within the size limit. */
async function readLines(
  source: AsyncIterable<Uint8Array>,
  maxLine: number,
  counts: LineCounts,
  onLine: (buf: Buffer, start: number, end: number) => void,
): Promise<void> {
  let pendingParts: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  let first = true;

  const oversized = (): void => {
    counts.lines++;
    counts.oversized++;
    counts.corrupt++;
    first = false;
  };

  const handle = (buf: Buffer, start: number, end: number): void => {
    if (first) {
      first = false;
      if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    }
    let k = start;
    while (k < end && isJsonWhitespace(buf[k])) k++;
    if (k === end) return;
    if (end - start > maxLine) {
      oversized();
      return;
    }
    counts.lines++;
    onLine(buf, start, end);
  };

  const consume = (buf: Buffer): void => {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) break;
      if (skipping) skipping = false;
      else if (pendingBytes > 0) {
        if (pendingBytes + (nl - start) > maxLine) oversized();
        else {
          pendingParts.push(buf.subarray(start, nl));
          const line = Buffer.concat(pendingParts, pendingBytes + (nl - start));
          handle(line, 0, line.length);
        }
        pendingParts = [];
        pendingBytes = 0;
      } else handle(buf, start, nl);
      start = nl + 1;
    }
    if (skipping || start === buf.length) return;
    const rest = buf.length - start;
    if (pendingBytes + rest > maxLine) {
      // The line is already too long: drop what we have and skip to its end.
      pendingParts = [];
      pendingBytes = 0;
      skipping = true;
      oversized();
    } else {
      pendingParts.push(Buffer.from(buf.subarray(start)));
      pendingBytes += rest;
    }
  };

  try {
    const bytes = await decompressed(counted(source, counts));
    for await (const chunk of bytes) {
      consume(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new StreamReadError(`not valid gzip (${code})`, { cause: error });
    throw error;
  }
  if (!skipping && pendingBytes > 0) {
    const line = Buffer.concat(pendingParts, pendingBytes);
    handle(line, 0, line.length);
  }
}

/** `JSON.parse` of a line when it is a JSON object, else `undefined`. */
function parseObject(buf: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8', start, end));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Reads JSON Lines from `source`, calling `onRecord` with each parsed JSON object; returns the counts.
 * `onRecord` must not keep references it does not need (memory stays bounded only if it does not).
 */
export async function readJsonLines(
  source: AsyncIterable<Uint8Array>,
  onRecord: (record: Record<string, unknown>) => void,
  options: { readonly maxLineBytes: number },
): Promise<LineCounts> {
  const counts = emptyLineCounts();
  await readLines(source, options.maxLineBytes, counts, (buf, start, end) => {
    const record = parseObject(buf, start, end);
    if (record === undefined) counts.corrupt++;
    else {
      counts.records++;
      onRecord(record);
    }
  });
  return counts;
}

/**
 * Reads JSON Lines from `source` as rows of `layout` (the hot path: `FlatRecordDecoder`, with
 * `JSON.parse` as the fallback and judge of corrupt lines). The row array is reused between calls.
 */
export async function readJsonRows(
  source: AsyncIterable<Uint8Array>,
  layout: FieldLayout,
  onRow: (row: Row) => void,
  options: { readonly maxLineBytes: number },
): Promise<LineCounts> {
  const counts = emptyLineCounts();
  const decoder = new FlatRecordDecoder(layout);
  await readLines(source, options.maxLineBytes, counts, (buf, start, end) => {
    const fast = decoder.decode(buf, start, end);
    if (fast !== undefined) {
      counts.records++;
      onRow(fast);
      return;
    }
    const record = parseObject(buf, start, end);
    if (record === undefined) counts.corrupt++;
    else {
      counts.records++;
      onRow(decoder.fromObject(record));
    }
  });
  return counts;
}
