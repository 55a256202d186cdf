/**
 * Chunked JSON Lines output to S3 with bounded memory.
 *
 * Lines are buffered per partition (e.g. `date=2026-01-05`). A partition's buffer is written as one
 * object when it reaches `targetFileBytes`; when all buffers together exceed `maxBufferedBytes`
 * (allocated bytes), the largest is written early. Each written object is a file `keyFor(partition, seq)` with seq 0, 1, …
 * per partition, so a partition may get several files. The order of flushes depends only on the
 * input rows and the two limits, so re-running an ingest produces byte-identical files under the
 * same names (idempotent overwrite).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sha256Hex } from './canonical';

export type OutputKind = 'offline' | 'rejected';

export interface OutputFile {
  /** S3 key. */
  readonly path: string;
  readonly kind: OutputKind;
  /** Offline partition date (`YYYY-MM-DD`); absent for rejected files. */
  readonly date?: string;
  readonly sha256: string;
  readonly size: number;
  readonly rows: number;
}

export interface ChunkedWriterOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly kind: OutputKind;
  /** S3 key of file number `seq` of `partition`. */
  readonly keyFor: (partition: string, seq: number) => string;
  readonly targetFileBytes: number;
  readonly maxBufferedBytes: number;
  /** Date of the partition for offline files. */
  readonly dateOf?: (partition: string) => string;
}

/**
 * Lines are copied (UTF-8) into blocks outside the JS heap: a small first block per partition (many
 * partitions with little data stay cheap), then blocks doubling in size up to 64 KiB. The memory budget counts allocated
 * block bytes, so it holds whatever the number of partitions.
 */
const FIRST_BLOCK_BYTES = 4 * 1024;
const BLOCK_BYTES = 64 * 1024;

interface PartitionBuffer {
  blocks: { buffer: Buffer; length: number }[];
  /** Bytes of data. */
  bytes: number;
  /** Bytes of blocks allocated. */
  allocated: number;
  rows: number;
  seq: number;
}

export class ChunkedWriter {
  private readonly buffers = new Map<string, PartitionBuffer>();
  private buffered = 0;
  private readonly written: OutputFile[] = [];

  constructor(private readonly options: ChunkedWriterOptions) {}

  /** Buffers one line (it must end with `\n`); returns true when `flush()` should be awaited. */
  add(partition: string, line: string): boolean {
    let buffer = this.buffers.get(partition);
    if (!buffer) {
      buffer = { blocks: [], bytes: 0, allocated: 0, rows: 0, seq: 0 };
      this.buffers.set(partition, buffer);
    }
    const bytes = Buffer.byteLength(line, 'utf8');
    let block = buffer.blocks[buffer.blocks.length - 1];
    if (!block || block.buffer.length - block.length < bytes) {
      const previous = block ? block.buffer.length : FIRST_BLOCK_BYTES / 2;
      const size = Math.max(Math.min(BLOCK_BYTES, previous * 2), bytes);
      block = { buffer: Buffer.allocUnsafe(size), length: 0 };
      buffer.blocks.push(block);
      buffer.allocated += size;
      this.buffered += size;
    }
    block.length += block.buffer.write(line, block.length, 'utf8');
    buffer.rows++;
    buffer.bytes += bytes;
    return buffer.bytes >= this.options.targetFileBytes || this.buffered > this.options.maxBufferedBytes;
  }

  /** Writes full partitions, then the largest ones until the total is within budget. */
  async flush(): Promise<void> {
    for (const [partition, buffer] of this.buffers) {
      if (buffer.bytes >= this.options.targetFileBytes) await this.writeFile(partition, buffer);
    }
    while (this.buffered > this.options.maxBufferedBytes) {
      let largest: [string, PartitionBuffer] | undefined;
      for (const entry of this.buffers) if (!largest || entry[1].allocated > largest[1].allocated) largest = entry;
      if (!largest || largest[1].rows === 0) break;
      await this.writeFile(largest[0], largest[1]);
    }
  }

  /** Writes every remaining buffer; returns all files written, sorted by path. */
  async finish(): Promise<OutputFile[]> {
    const partitions = [...this.buffers.keys()].sort();
    for (const partition of partitions) {
      const buffer = this.buffers.get(partition) as PartitionBuffer;
      if (buffer.rows > 0) await this.writeFile(partition, buffer);
    }
    return [...this.written].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async writeFile(partition: string, buffer: PartitionBuffer): Promise<void> {
    const body = Buffer.concat(
      buffer.blocks.map((b) => b.buffer.subarray(0, b.length)),
      buffer.bytes,
    );
    const rows = buffer.rows;
    const path = this.options.keyFor(partition, buffer.seq);
    buffer.seq++;
    this.buffered -= buffer.allocated;
    buffer.blocks = [];
    buffer.bytes = 0;
    buffer.allocated = 0;
    buffer.rows = 0;
    await this.options.s3.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: path, Body: body, ContentType: 'application/x-ndjson' }),
    );
    this.written.push({
      path,
      kind: this.options.kind,
      ...(this.options.dateOf ? { date: this.options.dateOf(partition) } : {}),
      sha256: sha256Hex(body),
      size: body.length,
      rows,
    });
  }
}
