/**
 * Step 1: resolve the pinned FeatureStore dataset version and download its files, verified.
 *
 * The dataset as of a version is the offline files of that version and of all its ancestors (the
 * feature store's lineage rule, see `src/feature-store/runtime/README.md`). Every manifest on the
 * chain is checked to be what its id says (`sha256(canonicalJson(content)) = versionId`, same
 * group), so the file hashes it lists can be trusted; then every file is streamed from S3 through
 * SHA-256 into `<dataDir>/<S3 key>` and compared with the manifest's sha256 and size.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from '../../../feature-store/feature-group';
import { canonicalJson, sha256Hex } from '../../../feature-store/runtime/canonical';
import type { Manifest } from '../../../feature-store/runtime/manifest';
import type { OutputFile } from '../../../feature-store/runtime/outputs';
import { openObject, readObject } from '../../../feature-store/runtime/s3io';
import { VERSION_SK, VersionStore, manifestKey } from '../../../feature-store/runtime/versions';
import type { DatasetVersionRef } from './config';
import { TrainerError, messageOf } from './errors';

export interface ResolveDatasetInput {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly group: string;
  readonly version: DatasetVersionRef;
  /** Versions table access; required for `tag` and `current`. */
  readonly versions?: { readonly doc: DynamoDBDocumentClient; readonly table: string };
  /** Safety bound on the ancestor chain. Default 10 000. */
  readonly maxDepth?: number;
}

export interface ResolvedDataset {
  readonly group: string;
  /** The pinned version id. */
  readonly versionId: string;
  /** How it was asked for: the id, `tag:<name>` or `current`. */
  readonly requested: string;
  /** The version and its ancestors, newest first. */
  readonly chain: readonly string[];
  /** The offline files of the chain, sorted by path. */
  readonly files: readonly OutputFile[];
  readonly totalBytes: number;
}

const datasetError = (message: string, cause?: unknown) => new TrainerError('dataset', message, cause === undefined ? undefined : { cause });

function refText(ref: DatasetVersionRef): string {
  return ref.kind === 'id' ? ref.id : ref.kind === 'tag' ? `tag:${ref.tag}` : 'current';
}

/** Resolves `ref` to a version id and lists the (verified-manifest) files of the dataset as of it. */
export async function resolveDataset(input: ResolveDatasetInput): Promise<ResolvedDataset> {
  const { group } = input;
  const requested = refText(input.version);
  let versionId: string;
  const store = input.versions
    ? new VersionStore({ doc: input.versions.doc, table: input.versions.table, s3: input.s3, bucket: input.bucket, now: () => new Date() })
    : undefined;
  try {
    if (input.version.kind === 'id') {
      versionId = input.version.id;
      // With the index at hand, also insist that the id is a committed version (not an orphaned manifest of a lost commit race).
      if (store && !(await store.getVersion(group, versionId))) {
        throw datasetError(`dataset version ${versionId} of group ${group} is not in the versions table`);
      }
    } else if (!store || !input.versions) {
      throw datasetError(`resolving '${requested}' needs the versions table (TRAINER_VERSIONS_TABLE)`);
    } else if (input.version.kind === 'current') {
      const current = await store.getCurrent(group);
      if (!current) throw datasetError(`group ${group} has no current dataset version`);
      versionId = current.versionId;
    } else {
      const { doc, table } = input.versions;
      const out = await doc.send(
        new GetCommand({
          TableName: table,
          Key: { [TABLE_KEYS.versions.partitionKey]: group, [TABLE_KEYS.versions.sortKey]: VERSION_SK.tag(input.version.tag) },
          ConsistentRead: true,
        }),
      );
      const tagged = out.Item?.versionId;
      if (typeof tagged !== 'string') throw datasetError(`group ${group} has no dataset version tagged '${input.version.tag}'`);
      versionId = tagged;
    }
  } catch (error) {
    if (error instanceof TrainerError) throw error;
    throw datasetError(`could not resolve dataset version '${requested}' of group ${group}: ${messageOf(error)}`, error);
  }

  const chain: string[] = [];
  const byPath = new Map<string, OutputFile>();
  const maxDepth = input.maxDepth ?? 10_000;
  let id: string | null = versionId;
  while (id !== null) {
    if (chain.length >= maxDepth) throw datasetError(`the lineage of dataset version ${versionId} is deeper than ${maxDepth} versions`);
    if (chain.includes(id)) throw datasetError(`the lineage of dataset version ${versionId} has a cycle at ${id}`);
    const manifest = await readVerifiedManifest(input.s3, input.bucket, group, id);
    chain.push(id);
    for (const file of manifest.content.files) {
      if (file.kind !== 'offline') continue;
      checkRelativeKey(file.path);
      const seen = byPath.get(file.path);
      if (seen && (seen.sha256 !== file.sha256 || seen.size !== file.size)) {
        throw datasetError(`dataset file ${file.path} is listed twice with different contents in the lineage of ${versionId}`);
      }
      byPath.set(file.path, file);
    }
    id = manifest.content.parentVersion;
  }
  const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (files.length === 0) throw datasetError(`dataset version ${versionId} of group ${group} has no offline files to train on`);
  return { group, versionId, requested, chain, files, totalBytes: files.reduce((n, f) => n + f.size, 0) };
}

async function readVerifiedManifest(s3: S3Client, bucket: string, group: string, versionId: string): Promise<Manifest> {
  const key = manifestKey(group, versionId);
  let bytes: Buffer | undefined;
  try {
    bytes = await readObject(s3, bucket, key);
  } catch (error) {
    throw datasetError(`could not read the manifest ${key}: ${messageOf(error)}`, error);
  }
  if (bytes === undefined) throw datasetError(`dataset version ${versionId} of group ${group} does not exist (no manifest at ${key})`);
  let manifest: Manifest;
  let contentId: string | undefined;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
    contentId = sha256Hex(canonicalJson(manifest.content));
  } catch {
    throw datasetError(`the manifest ${key} is not a valid manifest`);
  }
  if (manifest.versionId !== versionId || contentId !== versionId) {
    throw datasetError(`the manifest ${key} does not match its version id (it was modified); refusing to train`);
  }
  if (manifest.content.group !== group || !Array.isArray(manifest.content.files)) {
    throw datasetError(`the manifest ${key} does not describe group ${group}`);
  }
  return manifest;
}

/** Keys become paths under the data directory: no absolute paths, `.`/`..` segments or backslashes. */
function checkRelativeKey(path: string): void {
  const segments = path.split('/');
  if (path.includes('\\') || path.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw datasetError(`dataset file key '${path}' cannot be stored safely under the data directory`);
  }
}

export interface DownloadedFile {
  readonly path: string;
  readonly localPath: string;
  readonly sha256: string;
  readonly size: number;
}

export interface DownloadOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly files: readonly OutputFile[];
  /** Emptied first; removed again when anything fails. */
  readonly dataDir: string;
  /** Parallel downloads. Default 4. */
  readonly concurrency?: number;
}

/**
 * Downloads every file to `<dataDir>/<path>`, streaming through SHA-256 (constant memory) into
 * `<file>.partial`, which is renamed only after its size and digest match the manifest. On the
 * first problem no further download starts, the running ones finish, and the whole data directory
 * is deleted: the trainer never leaves (or trains on) a partial or unverified dataset.
 */
export async function verifyAndDownload(options: DownloadOptions): Promise<DownloadedFile[]> {
  const { dataDir } = options;
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const results: DownloadedFile[] = new Array(options.files.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < options.files.length) {
      const index = next++;
      try {
        results[index] = await downloadOne(options.s3, options.bucket, options.files[index], dataDir);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, options.files.length)) }, worker));
  if (failure !== undefined) {
    await rm(dataDir, { recursive: true, force: true });
    throw failure;
  }
  return results;
}

async function downloadOne(s3: S3Client, bucket: string, file: OutputFile, dataDir: string): Promise<DownloadedFile> {
  checkRelativeKey(file.path);
  const localPath = join(dataDir, ...file.path.split('/'));
  const partial = `${localPath}.partial`;
  let object;
  try {
    object = await openObject(s3, { Bucket: bucket, Key: file.path });
  } catch (error) {
    throw datasetError(`could not download dataset file ${file.path}: ${messageOf(error)}`, error);
  }
  if (!object) throw datasetError(`dataset file ${file.path} is missing from s3://${bucket}; refusing to train`);
  if (object.size !== undefined && object.size !== file.size) {
    await discard(object.body);
    throw datasetError(`dataset file ${file.path} has size ${object.size}, the manifest says ${file.size}; refusing to train`);
  }
  await mkdir(dirname(localPath), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      object.body,
      async function* (source: AsyncIterable<Uint8Array>) {
        for await (const chunk of source) {
          size += chunk.byteLength;
          if (size > file.size) throw datasetError(`dataset file ${file.path} is larger than the manifest's ${file.size} bytes; refusing to train`);
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(partial),
    );
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    if (error instanceof TrainerError) throw error;
    throw datasetError(`could not download dataset file ${file.path}: ${messageOf(error)}`, error);
  }
  const sha256 = hash.digest('hex');
  if (size !== file.size || sha256 !== file.sha256) {
    await unlink(partial).catch(() => undefined);
    const what = size !== file.size ? `has ${size} bytes, the manifest says ${file.size}` : `has sha256 ${sha256}, the manifest says ${file.sha256}`;
    throw datasetError(`dataset file ${file.path} ${what}; refusing to train`);
  }
  await rename(partial, localPath);
  return { path: file.path, localPath, sha256, size };
}

/** Releases an unread response body without reading it (it may be large). */
async function discard(body: AsyncIterable<Uint8Array>): Promise<void> {
  const stream = body as { destroy?: () => void };
  if (typeof stream.destroy === 'function') {
    stream.destroy();
    return;
  }
  try {
    for await (const chunk of body) void chunk;
  } catch {
    // Only releasing the connection.
  }
}
