/**
 * Step 4: pack the output directory into one deterministic archive and upload it content-addressed
 * to the registry bucket at `artifacts/sha256/<digest>`.
 *
 * Format: a POSIX tar (ustar, with PAX extended headers only where ustar cannot express a path or a
 * size) written by this module, rather than a zip: tar streams (no central directory, so files of
 * any size go from disk through SHA-256 to the archive file in constant memory — model weights can
 * be many GiB, and `fflate`'s zip builds archives in memory), and every ML toolchain reads it.
 * Deterministic: entries sorted by UTF-8 bytes of their path, mtime 0, uid/gid 0, no user/group
 * names, modes normalised (directories 0755, files 0644 or 0755 when any execute bit is set). So
 * the same files give the same bytes and the same digest, whatever their timestamps, owners or
 * creation order. Only regular files and directories are allowed (a symlink could point outside
 * the output directory); an output directory without any file is refused.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CompleteMultipartUploadCommand, AbortMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { ARTIFACT_KEY_PREFIX } from '../../../model-registry/runtime/artifacts';
import { isNotFound } from '../../../feature-store/runtime/s3io';
import { TrainerError, messageOf } from './errors';

const BLOCK = 512;
const USTAR_MAX_SIZE = 0o77777777777;

interface Entry {
  /** Path inside the archive (posix, directories end with `/`). */
  readonly name: string;
  readonly absolute: string;
  readonly type: 'file' | 'directory';
  readonly size: number;
  readonly mode: number;
}

export interface PackedArtifact {
  /** Lower-case hex SHA-256 of the archive. */
  readonly digest: string;
  readonly size: number;
  /** The archive file. */
  readonly path: string;
  /** Number of regular files packed. */
  readonly files: number;
}

const artifactError = (message: string, cause?: unknown) => new TrainerError('artifact', message, cause === undefined ? undefined : { cause });

const byteOrder = (a: Entry, b: Entry) => Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8'));

async function collect(root: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const absolute = join(dir, name);
      const info = await lstat(absolute);
      const archived = `${prefix}${name}`;
      if (info.isDirectory()) {
        entries.push({ name: `${archived}/`, absolute, type: 'directory', size: 0, mode: 0o755 });
        await walk(absolute, `${archived}/`);
      } else if (info.isFile()) {
        entries.push({ name: archived, absolute, type: 'file', size: info.size, mode: info.mode & 0o111 ? 0o755 : 0o644 });
      } else {
        throw artifactError(`the output directory contains ${archived}, which is not a regular file or directory (symlinks and special files are not packed)`);
      }
    }
  };
  await walk(root, '');
  return entries.sort(byteOrder);
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0');
}

function header(name: string, options: { size: number; mode: number; type: '0' | '5' | 'x'; prefix?: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(options.mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(options.size, 12), 124, 'ascii');
  block.write(octal(0, 12), 136, 'ascii');
  block.fill(' ', 148, 156);
  block.write(options.type, 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  if (options.prefix) block.write(options.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${octal(sum, 7)}\0 `, 148, 'ascii');
  return block;
}

/** Splits a path into ustar (prefix, name) when possible. */
function ustarName(path: string): { name: string; prefix?: string } | undefined {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes <= 100) return { name: path };
  const body = path.endsWith('/') ? path.slice(0, -1) : path;
  for (let i = body.indexOf('/'); i !== -1; i = body.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix, 'utf8') <= 155 && Buffer.byteLength(name, 'utf8') <= 100 && name !== '') return { name, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body, 'utf8') + 1;
  while (String(length).length + Buffer.byteLength(body, 'utf8') !== length) length++;
  return `${length}${body}`;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** Headers of one entry (with a PAX extended header first when needed). */
function headersOf(entry: Entry): Buffer[] {
  const type = entry.type === 'directory' ? '5' : '0';
  const split = ustarName(entry.name);
  const records = [...(split ? [] : [paxRecord('path', entry.name)]), ...(entry.size > USTAR_MAX_SIZE ? [paxRecord('size', String(entry.size))] : [])];
  const out: Buffer[] = [];
  if (records.length > 0) {
    const pax = Buffer.from(records.join(''), 'utf8');
    out.push(header('PaxHeader', { size: pax.length, mode: 0o644, type: 'x' }), pax, padding(pax.length));
  }
  const fallbackName = Buffer.from(entry.name, 'utf8').subarray(0, 100).toString('utf8').replace(/\uFFFD+$/, '');
  out.push(header(split?.name ?? fallbackName, { size: entry.size > USTAR_MAX_SIZE ? 0 : entry.size, mode: entry.mode, type, prefix: split?.prefix }));
  return out;
}

/** Packs `outputDir` into `archivePath` (see the module comment), hashing while writing. */
export async function packArtifacts(outputDir: string, archivePath: string): Promise<PackedArtifact> {
  let entries: Entry[];
  try {
    entries = await collect(outputDir);
  } catch (error) {
    if (error instanceof TrainerError) throw error;
    throw artifactError(`could not read the output directory ${outputDir}: ${messageOf(error)}`, error);
  }
  const files = entries.filter((e) => e.type === 'file').length;
  if (files === 0) throw artifactError(`the training command wrote no files to the output directory ${outputDir}`);

  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(archivePath);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const write = async (chunk: Buffer | Uint8Array) => {
    hash.update(chunk);
    size += chunk.byteLength;
    if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), failed]);
  };
  try {
    for (const entry of entries) {
      for (const block of headersOf(entry)) await write(block);
      if (entry.type !== 'file') continue;
      let copied = 0;
      for await (const chunk of createReadStream(entry.absolute)) {
        copied += (chunk as Buffer).byteLength;
        if (copied > entry.size) break;
        await write(chunk as Buffer);
      }
      if (copied !== entry.size) throw artifactError(`${entry.name} changed while it was being packed`);
      await write(padding(entry.size));
    }
    await write(Buffer.alloc(2 * BLOCK));
    await closeStream(out, failed);
  } catch (error) {
    out.destroy();
    if (error instanceof TrainerError) throw error;
    throw artifactError(`could not pack the output directory: ${messageOf(error)}`, error);
  }
  return { digest: hash.digest('hex'), size, path: archivePath, files };
}

async function closeStream(out: WriteStream, failed: Promise<never>): Promise<void> {
  await Promise.race([new Promise<void>((resolve) => out.end(() => resolve())), failed]);
}

export interface UploadOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly artifact: PackedArtifact;
  /** Archives larger than this are uploaded in parts of this size. Default 64 MiB (S3: at least 5 MiB). */
  readonly partSize?: number;
}

export interface UploadResult {
  readonly key: string;
  /** False when an object of that address (and size) already existed: nothing was written. */
  readonly uploaded: boolean;
}

export const artifactKey = (digest: string) => `${ARTIFACT_KEY_PREFIX}${digest}`;

/**
 * Uploads the archive to `artifacts/sha256/<digest>` unless an object of the same size is already
 * there (content addressing makes that the same bytes; the registry's `artifact_digest` gate
 * re-hashes the stored object before any promotion). A single PUT carries the SHA-256 checksum,
 * so S3 rejects corrupted uploads; larger archives use a multipart upload (aborted on failure).
 */
export async function uploadArtifact(options: UploadOptions): Promise<UploadResult> {
  const { s3, bucket, artifact } = options;
  const key = artifactKey(artifact.digest);
  const partSize = options.partSize ?? 64 * 1024 * 1024;
  try {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      if (head.ContentLength === artifact.size) return { key, uploaded: false };
    } catch (error) {
      // Without s3:ListBucket, S3 answers a HEAD of a missing key with 403: then just upload.
      const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
      if (!isNotFound(error) && status !== 403) throw error;
    }
    if (artifact.size <= partSize) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: createReadStream(artifact.path),
          ContentLength: artifact.size,
          ContentType: 'application/x-tar',
          ChecksumSHA256: Buffer.from(artifact.digest, 'hex').toString('base64'),
        }),
      );
    } else {
      await multipartUpload(s3, bucket, key, artifact, partSize);
    }
  } catch (error) {
    throw artifactError(`could not upload the model artifact to s3://${bucket}/${key}: ${messageOf(error)}`, error);
  }
  return { key, uploaded: true };
}

/**
 * One part in memory (at most `partSize` bytes): a sized buffer lets the SDK put its checksum in a
 * header instead of an `aws-chunked` trailer, which S3-compatible stores do not all decode.
 */
async function readPart(path: string, start: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
      if (bytesRead === 0) throw new Error(`${path} ended early`);
      filled += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

async function multipartUpload(s3: S3Client, bucket: string, key: string, artifact: PackedArtifact, partSize: number): Promise<void> {
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/x-tar' }));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error('CreateMultipartUpload returned no upload id');
  try {
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let start = 0, part = 1; start < artifact.size; start += partSize, part++) {
      const length = Math.min(partSize, artifact.size - start);
      const out = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: part,
          Body: await readPart(artifact.path, start, length),
          ContentLength: length,
        }),
      );
      if (!out.ETag) throw new Error(`UploadPart ${part} returned no ETag`);
      parts.push({ ETag: out.ETag, PartNumber: part });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}
