/**
 * Where rows come from: S3 listings (window and sample baselines) and FeatureStore dataset
 * versions (manifest chain verified by version id; every file verified by sha256 and size while it
 * is streamed). Objects are read one at a time; keys ending in `/` (folder markers) are skipped.
 *
 * Window selection: objects under the window prefix whose `LastModified` lies in
 * (event time − lookbackHours, event time]. LastModified is when the object was written, which is
 * what a schedule that runs every N hours over the last N hours needs, and works for any key
 * layout (Firehose's `YYYY/MM/DD/HH/`, `date=` partitions, flat).
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { OFFLINE_LAYOUT } from '../../../feature-store/feature-group';
import { canonicalJson, sha256Hex } from '../../../feature-store/runtime/canonical';
import type { Manifest } from '../../../feature-store/runtime/manifest';
import type { OutputFile } from '../../../feature-store/runtime/outputs';
import { hashingTee, openObject, readObject } from '../../../feature-store/runtime/s3io';
import { type LineCounts, readJsonRows } from './json-lines';
import type { FieldLayout, Row } from './record-decoder';

/** The baseline or window cannot be used (missing, tampered, unreadable). */
export class DriftInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DriftInputError';
  }
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

/** Lists objects under `prefix` (sorted by key), keeping those `accept` returns true for. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string, accept: (o: ListedObject) => boolean = () => true): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      if (!o.Key || o.Key.endsWith('/')) continue;
      const listed = { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      if (accept(listed)) out.push(listed);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Objects of the window: LastModified in (to − lookback, to]. */
export function listWindow(s3: S3Client, bucket: string, prefix: string, from: Date, to: Date): Promise<ListedObject[]> {
  const lo = from.getTime();
  const hi = to.getTime();
  return listObjects(s3, bucket, prefix, (o) => o.lastModified.getTime() > lo && o.lastModified.getTime() <= hi);
}

/** Streams one object's JSON Lines into `onRow` as rows of `layout`. */
export async function readObjectRows(
  s3: S3Client,
  bucket: string,
  key: string,
  layout: FieldLayout,
  onRow: (row: Row) => void,
  maxLineBytes: number,
): Promise<LineCounts> {
  const object = await openObject(s3, { Bucket: bucket, Key: key });
  if (!object) throw new DriftInputError(`s3://${bucket}/${key} disappeared while the run was reading it`);
  return readJsonRows(object.body, layout, onRow, { maxLineBytes });
}

export interface DatasetVersionFiles {
  readonly group: string;
  readonly versionId: string;
  /** The version and its ancestors, newest first. */
  readonly chain: readonly string[];
  /** Offline files of the chain, sorted by path. */
  readonly files: readonly OutputFile[];
}

async function readVerifiedManifest(s3: S3Client, bucket: string, key: string, expectedId: string, group?: string): Promise<Manifest> {
  const bytes = await readObject(s3, bucket, key);
  if (bytes === undefined) throw new DriftInputError(`baseline manifest s3://${bucket}/${key} does not exist`);
  let manifest: Manifest;
  let contentId: string;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
    contentId = sha256Hex(canonicalJson(manifest.content));
  } catch {
    throw new DriftInputError(`baseline manifest s3://${bucket}/${key} is not a valid FeatureStore manifest`);
  }
  if (manifest.versionId !== expectedId || contentId !== expectedId) {
    throw new DriftInputError(`baseline manifest s3://${bucket}/${key} does not hash to its version id (modified?): refusing the baseline`);
  }
  if (!Array.isArray(manifest.content.files) || typeof manifest.content.group !== 'string' || (group !== undefined && manifest.content.group !== group)) {
    throw new DriftInputError(`baseline manifest s3://${bucket}/${key} does not describe dataset group ${group ?? '(unknown)'}`);
  }
  return manifest;
}

/**
 * The dataset as of a FeatureStore version: offline files of the version and of its ancestors
 * (the feature store's lineage rule), every manifest verified against its id.
 */
export async function datasetVersionFiles(s3: S3Client, bucket: string, manifestKey: string, maxDepth = 10_000): Promise<DatasetVersionFiles> {
  const match = /^manifests\/([^/]+)\/([0-9a-f]{64})\.json$/.exec(manifestKey);
  if (!match) throw new DriftInputError(`${manifestKey} is not a FeatureStore manifest key`);
  const versionId = match[2];
  const first = await readVerifiedManifest(s3, bucket, manifestKey, versionId);
  const group = first.content.group;
  const chain: string[] = [versionId];
  const byPath = new Map<string, OutputFile>();
  let manifest: Manifest = first;
  for (;;) {
    for (const file of manifest.content.files) {
      if (file.kind !== 'offline') continue;
      const seen = byPath.get(file.path);
      if (seen && (seen.sha256 !== file.sha256 || seen.size !== file.size)) {
        throw new DriftInputError(`baseline file ${file.path} is listed twice with different contents in the lineage of ${versionId}`);
      }
      byPath.set(file.path, file);
    }
    const parent = manifest.content.parentVersion;
    if (parent === null) break;
    if (chain.includes(parent)) throw new DriftInputError(`the lineage of dataset version ${versionId} has a cycle at ${parent}`);
    if (chain.length >= maxDepth) throw new DriftInputError(`the lineage of dataset version ${versionId} is deeper than ${maxDepth} versions`);
    manifest = await readVerifiedManifest(s3, bucket, `${OFFLINE_LAYOUT.manifests(group)}${parent}.json`, parent, group);
    chain.push(parent);
  }
  const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { group, versionId, chain, files };
}

/**
 * Streams a dataset file into `onRow` (rows of `layout`) while hashing it; throws `DriftInputError` when its
 * sha256 or size differs from the manifest. The caller must then discard everything it absorbed
 * (the detector fails the whole run: a tampered baseline is refused, never half-used).
 */
export async function readVerifiedFile(
  s3: S3Client,
  bucket: string,
  file: OutputFile,
  layout: FieldLayout,
  onRow: (row: Row) => void,
  maxLineBytes: number,
): Promise<LineCounts> {
  const object = await openObject(s3, { Bucket: bucket, Key: file.path });
  if (!object) throw new DriftInputError(`baseline file s3://${bucket}/${file.path} is missing: refusing the baseline`);
  const tee = hashingTee(object.body);
  const counts = await readJsonRows(tee.stream, layout, onRow, { maxLineBytes });
  const digest = tee.result();
  if (digest.sha256 !== file.sha256 || digest.size !== file.size) {
    throw new DriftInputError(
      `baseline file s3://${bucket}/${file.path} does not match its manifest (${digest.sha256 !== file.sha256 ? 'sha256' : 'size'} mismatch): refusing the baseline`,
    );
  }
  return counts;
}
