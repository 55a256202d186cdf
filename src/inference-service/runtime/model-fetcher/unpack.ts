/**
 * Streams a registry artifact (the trainer's deterministic tar, see
 * `src/gpu-training-cluster/runtime/trainer/artifacts.ts`) from S3 into a staging directory while
 * hashing every byte, and refuses it unless the SHA-256 equals the digest the registry recorded.
 * Only regular files and directories with safe relative paths are accepted (no links, devices,
 * absolute paths or `..`), so an archive cannot write outside the staging directory. Parsing is
 * tar-stream's (ustar + PAX); this module adds hashing, path safety and the file writes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { ModelFetcherError } from './config';

export interface UnpackResult {
  readonly digest: string;
  readonly size: number;
  readonly files: number;
  readonly bytes: number;
}

/** The archive path as a safe relative posix path, or an error message. */
export function safeEntryPath(name: string): string | { readonly error: string } {
  if (name.includes('\0')) return { error: 'contains a NUL character' };
  const trimmed = name.replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return { error: 'is empty' };
  if (posix.isAbsolute(trimmed) || /^[A-Za-z]:/.test(trimmed)) return { error: 'is absolute' };
  const normalized = posix.normalize(trimmed);
  if (normalized.split('/').some((part) => part === '..')) return { error: 'leaves the archive root' };
  return normalized;
}

/**
 * Unpacks `body` into `targetDir` (which must exist and be empty). Throws `ModelFetcherError('artifact')`
 * on an unsafe entry, a digest mismatch or a truncated archive; the caller deletes `targetDir`.
 */
export async function unpackVerified(body: Readable, targetDir: string, expectedDigest: string): Promise<UnpackResult> {
  const hash = createHash('sha256');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const extract = tarExtract();
  let files = 0;
  let bytes = 0;
  const feeding = pipeline(body, hashing, extract as unknown as NodeJS.WritableStream);
  // If feeding fails (S3 stream error, malformed tar) the iterator below rejects too; keep the
  // promise observed so its rejection is reported once, through `await feeding`.
  feeding.catch(() => undefined);
  try {
    for await (const entry of extract) {
      const { header } = entry;
      const path = safeEntryPath(header.name);
      if (typeof path !== 'string') throw new ModelFetcherError('artifact', `archive entry "${header.name.slice(0, 200)}" ${path.error}`);
      const target = join(targetDir, ...path.split('/'));
      if (header.type === 'directory') {
        await mkdir(target, { recursive: true });
        entry.resume();
        continue;
      }
      if (header.type !== 'file') throw new ModelFetcherError('artifact', `archive entry "${path}" is a ${header.type}; only files and directories are allowed`);
      await mkdir(dirname(target), { recursive: true });
      const mode = (header.mode ?? 0o644) & 0o111 ? 0o755 : 0o644;
      await pipeline(entry as unknown as NodeJS.ReadableStream, createWriteStream(target, { flags: 'wx', mode }));
      files++;
      bytes += header.size ?? 0;
    }
    await feeding;
  } catch (error) {
    if (error instanceof ModelFetcherError) throw error;
    throw new ModelFetcherError('artifact', `could not unpack the model artifact: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const digest = hash.digest('hex');
  if (digest !== expectedDigest) {
    throw new ModelFetcherError('artifact', `model artifact digest mismatch: expected sha256:${expectedDigest}, got sha256:${digest} (${size} bytes); refusing to serve it`);
  }
  if (files === 0) throw new ModelFetcherError('artifact', 'model artifact contains no file');
  return { digest, size, files, bytes };
}
