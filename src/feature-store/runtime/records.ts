/**
 * Streaming record readers for ingest sources: JSON Lines (`.jsonl`, `.ndjson`) and CSV (`.csv`, with
 * a header row), each optionally gzip-compressed (`.gz`). Bytes flow through gunzip and the parser
 * chunk by chunk, so memory stays constant whatever the object size.
 *
 * Every data row becomes exactly one `SourceRecord`: either a parsed `record` or an `error` (a
 * message that never quotes the input). Blank lines are not rows. A JSON line longer than
 * `maxRecordBytes` is reported as an error row and skipped, and so is a longer CSV record (its
 * length is counted in characters); gzip errors and an unreadable CSV header fail the whole read.
 */
import { Readable, pipeline, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';

export type SourceFormatName = 'jsonl' | 'csv';

export interface SourceFormat {
  readonly format: SourceFormatName;
  readonly gzip: boolean;
}

/** `.jsonl`/`.ndjson`/`.csv`, optionally followed by `.gz` (case-insensitive); else `undefined`. */
export function detectSourceFormat(key: string): SourceFormat | undefined {
  const lower = key.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson')) return { format: 'jsonl', gzip };
  if (base.endsWith('.csv')) return { format: 'csv', gzip };
  return undefined;
}

export type SourceRecord =
  | { readonly line: number; readonly record: Record<string, unknown>; readonly error?: undefined }
  | { readonly line: number; readonly error: string; readonly record?: undefined };

export interface ReadRecordsOptions {
  /** Longest accepted record (JSON line or CSV record), in bytes. Default 1 MiB. */
  readonly maxRecordBytes?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/** Raised for problems that make the rest of the source unreadable (gzip, CSV header, huge CSV record). */
export class SourceReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceReadError';
  }
}

/** Parses `bytes` as `format`, yielding one `SourceRecord` per data row. */
export async function* readRecords(
  bytes: AsyncIterable<Uint8Array>,
  format: SourceFormat,
  options: ReadRecordsOptions = {},
): AsyncGenerator<SourceRecord> {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const source = bytes instanceof Readable ? bytes : Readable.from(bytes, { objectMode: false });
  const decompressed: AsyncIterable<Uint8Array> = format.gzip ? pipeStreams(source, createGunzip()) : source;
  try {
    if (format.format === 'jsonl') yield* readJsonLines(decompressed, maxRecordBytes);
    else yield* readCsv(decompressed, maxRecordBytes);
  } catch (error) {
    if (error instanceof SourceReadError) throw error;
    const code = (error as { code?: unknown })?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new SourceReadError(`the source is not valid gzip (${code})`, { cause: error });
    throw error;
  } finally {
    source.destroy();
  }
}

function pipeStreams(source: Readable, transform: Transform): Transform {
  // pipeline destroys every stream on error, so iterating `transform` rejects with the cause.
  return pipeline(source, transform, () => undefined);
}

const NEWLINE = 0x0a;

async function* readJsonLines(bytes: AsyncIterable<Uint8Array>, maxRecordBytes: number): AsyncGenerator<SourceRecord> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = false;
  let line = 0;
  let first = true;

  const emit = (buffer: Buffer, start: number, end: number): SourceRecord | undefined => {
    line++;
    let text = buffer.toString('utf8', start, end);
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { line, error: 'is not valid JSON' };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line, error: 'is not a JSON object' };
    return { line, record: value as Record<string, unknown> };
  };

  for await (const chunk of bytes) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl === -1) break;
      if (overflow) {
        overflow = false;
        line++;
        first = false;
        yield { line, error: `is longer than ${maxRecordBytes} bytes` };
      } else if (pendingBytes + (nl - start) > maxRecordBytes) {
        pending = [];
        pendingBytes = 0;
        line++;
        first = false;
        yield { line, error: `is longer than ${maxRecordBytes} bytes` };
      } else if (pending.length > 0) {
        pending.push(buf.subarray(start, nl));
        const joined = Buffer.concat(pending, pendingBytes + (nl - start));
        pending = [];
        pendingBytes = 0;
        const r = emit(joined, 0, joined.length);
        if (r) yield r;
      } else {
        const r = emit(buf, start, nl);
        if (r) yield r;
      }
      start = nl + 1;
    }
    if (start < buf.length && !overflow) {
      const rest = buf.length - start;
      if (pendingBytes + rest > maxRecordBytes) {
        overflow = true;
        pending = [];
        pendingBytes = 0;
      } else {
        // Copy: the chunk may be a view into a pooled buffer.
        pending.push(Buffer.from(buf.subarray(start)));
        pendingBytes += rest;
      }
    }
  }
  if (overflow) {
    line++;
    yield { line, error: `is longer than ${maxRecordBytes} bytes` };
  } else if (pendingBytes > 0) {
    const joined = Buffer.concat(pending, pendingBytes);
    const r = emit(joined, 0, joined.length);
    if (r) yield r;
  }
}

async function* readCsv(bytes: AsyncIterable<Uint8Array>, maxRecordBytes: number): AsyncGenerator<SourceRecord> {
  const decoder = new StringDecoder('utf8');
  const parser = new CsvParser(maxRecordBytes);
  const batch: SourceRecord[] = [];
  for await (const chunk of bytes) {
    parser.feed(decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)), batch);
    for (const record of batch) yield record;
    batch.length = 0;
  }
  parser.feed(decoder.end(), batch);
  parser.end(batch);
  for (const record of batch) yield record;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const enum CsvState {
  /** At the start of a field. */
  FieldStart,
  Unquoted,
  Quoted,
  /** Saw a quote inside a quoted field: an escaped quote (`""`) or the closing quote. */
  QuoteInQuoted,
  /** After a closing quote: only a delimiter or the end of the record may follow. */
  AfterClosingQuote,
  /** Error recovery: skipping to the end of the line. */
  SkipToLineEnd,
}

/**
 * A streaming RFC 4180 CSV parser (comma, double quotes, `""` escapes, LF / CRLF / CR line ends,
 * quoted fields spanning lines, a header row, UTF-8 BOM). It is several times faster than csv-parse on
 * typical feature files and resynchronises at the next line end after a malformed record, so one
 * bad record is one rejected row and never silently swallows the rows after it. A quote inside an
 * unquoted field is kept as a literal character.
 */
export class CsvParser {
  private header: string[] | undefined;
  private fields: string[] = [];
  private field = '';
  private recordChars = 0;
  private state = CsvState.FieldStart;
  private error: string | undefined;
  private quotedRecord = false;
  private skipLf = false;
  private line = 1;
  private recordLine = 1;
  private first = true;

  constructor(private readonly maxRecordChars: number = DEFAULT_MAX_RECORD_BYTES) {}

  /** Parses the next piece of text; complete records are appended to `out`. */
  feed(text: string, out: SourceRecord[]): void {
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const n = text.length;
    let i = 0;
    let start = 0;
    while (i < n) {
      switch (this.state) {
        case CsvState.FieldStart: {
          const c = text.charCodeAt(i);
          if (this.skipLf) {
            this.skipLf = false;
            if (c === LF) {
              i++;
              continue;
            }
          }
          if (c === QUOTE) {
            this.state = CsvState.Quoted;
            this.quotedRecord = true;
            i++;
          } else {
            this.state = CsvState.Unquoted;
          }
          start = i;
          continue;
        }
        case CsvState.Unquoted: {
          while (i < n) {
            const d = text.charCodeAt(i);
            if (d === COMMA || d === LF || d === CR) break;
            i++;
          }
          if (i > start) this.field += text.slice(start, i);
          if (this.tooLong()) continue;
          if (i >= n) continue;
          const d = text.charCodeAt(i++);
          this.endField();
          if (d === COMMA) this.state = CsvState.FieldStart;
          else this.endLine(d === CR, out);
          continue;
        }
        case CsvState.Quoted: {
          while (i < n) {
            const d = text.charCodeAt(i);
            if (d === QUOTE) break;
            if (d === LF) this.line++;
            i++;
          }
          if (i > start) this.field += text.slice(start, i);
          if (this.tooLong()) continue;
          if (i >= n) continue;
          i++;
          this.state = CsvState.QuoteInQuoted;
          continue;
        }
        case CsvState.QuoteInQuoted: {
          if (text.charCodeAt(i) === QUOTE) {
            this.field += '"';
            i++;
            start = i;
            this.state = CsvState.Quoted;
          } else {
            this.state = CsvState.AfterClosingQuote;
          }
          continue;
        }
        case CsvState.AfterClosingQuote: {
          const c = text.charCodeAt(i++);
          if (c === COMMA) {
            this.endField();
            this.state = CsvState.FieldStart;
          } else if (c === LF || c === CR) {
            this.endField();
            this.endLine(c === CR, out);
          } else {
            this.error ??= 'has an invalid closing quote';
            this.state = CsvState.SkipToLineEnd;
          }
          continue;
        }
        case CsvState.SkipToLineEnd: {
          while (i < n) {
            const d = text.charCodeAt(i);
            if (d === LF || d === CR) break;
            i++;
          }
          if (i >= n) continue;
          const d = text.charCodeAt(i++);
          this.endLine(d === CR, out);
          continue;
        }
      }
    }
  }

  /** Flushes the last record at the end of the input. */
  end(out: SourceRecord[]): void {
    switch (this.state) {
      case CsvState.Quoted:
        this.error ??= 'has a quote that is never closed';
        this.emit(out);
        return;
      case CsvState.SkipToLineEnd:
        this.emit(out);
        return;
      case CsvState.FieldStart:
        if (this.fields.length === 0) return;
        this.endField();
        this.emit(out);
        return;
      default:
        this.endField();
        this.emit(out);
    }
  }

  private tooLong(): boolean {
    if (this.recordChars + this.field.length <= this.maxRecordChars) return false;
    this.error ??= `is longer than ${this.maxRecordChars} characters`;
    this.field = '';
    this.state = CsvState.SkipToLineEnd;
    return true;
  }

  private endField(): void {
    this.recordChars += this.field.length;
    this.fields.push(this.field);
    this.field = '';
  }

  private endLine(cr: boolean, out: SourceRecord[]): void {
    this.emit(out);
    this.line++;
    this.recordLine = this.line;
    this.skipLf = cr;
    this.state = CsvState.FieldStart;
  }

  private emit(out: SourceRecord[]): void {
    const fields = this.fields;
    const error = this.error;
    const blank = fields.length === 1 && fields[0] === '' && !this.quotedRecord;
    this.fields = [];
    this.field = '';
    this.recordChars = 0;
    this.error = undefined;
    this.quotedRecord = false;
    if (blank && !error) return;
    if (!this.header) {
      if (error) throw new SourceReadError(`the CSV header (line ${this.recordLine}) ${error}`);
      this.header = fields.map((h) => h.trim());
      return;
    }
    if (error) {
      out.push({ line: this.recordLine, error });
      return;
    }
    const header = this.header;
    if (fields.length !== header.length) {
      out.push({ line: this.recordLine, error: `has ${fields.length} fields, the header has ${header.length}` });
      return;
    }
    const record: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) record[header[i]] = fields[i];
    out.push({ line: this.recordLine, record });
  }
}
