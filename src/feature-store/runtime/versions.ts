/**
 * Dataset versions (DVC-like): immutable manifests in S3 plus a small index in DynamoDB.
 *
 * Versions table (partition key `group`, sort key `sk`):
 *
 * | sk                   | attributes                                                                    |
 * | -------------------- | ----------------------------------------------------------------------------- |
 * | `version#<id>`       | versionId, seq, createdAt, creator, parentVersion, schemaHash, ingestId,        |
 * |                      | sourceKind, sourceKey, sourceEtag, sourceSha256, counts, fileCount,             |
 * |                      | manifestKey, manifestSha256 — immutable once written                            |
 * | `current`            | versionId, lastSeq, ingestId, parentVersionId, updatedAt, updatedBy, reason     |
 * |                      | (`ingest` or `revert`), revertedFrom                                            |
 * | `tag#<tag>`          | tag, versionId, createdAt, creator — immutable (a tag never moves)              |
 * | `ingest#<ingestId>`  | versionId, committedAt — idempotency index: this source was already ingested   |
 *
 * Commit protocol (single-item conditional writes only; no transactions needed):
 * 1. read `current` (version P, lastSeq S); 2. write the manifest `manifests/<group>/<id>.json`
 * (id computed with parent P); 3. move `current` to the new id with the condition
 * `versionId = P AND lastSeq = S` (the linearisation point; on conflict, re-read and rebuild the
 * manifest with the new parent); 4. put the `version#` item; 5. put the `ingest#` item. A crash
 * after step 3 is repaired by the retry: it finds `current.ingestId` equal to its own ingest id and
 * finishes steps 4–5 (rebuilding the identical manifest).
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { HttpError } from '../../core/runtime/http-app';
import { OFFLINE_LAYOUT, TABLE_KEYS } from '../feature-group';
import { canonicalJson, sha256Hex } from './canonical';
import { type IngestCounts, type Manifest, type ManifestContent, buildManifest, serializeManifest } from './manifest';
import type { OutputFile } from './outputs';
import { mapLimit } from './online';
import { digestObject, isPreconditionFailed, readObject } from './s3io';

/** Tag names: a letter or digit, then letters, digits, `.`, `_` or `-`; at most 128 characters. */
export const TAG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const VERSION_SK = {
  current: 'current',
  version: (id: string) => `version#${id}`,
  tag: (tag: string) => `tag#${tag}`,
  ingest: (ingestId: string) => `ingest#${ingestId}`,
} as const;

const GROUP = TABLE_KEYS.versions.partitionKey;
const SK = TABLE_KEYS.versions.sortKey;
const MAX_COMMIT_ATTEMPTS = 10;

interface VersionItem {
  readonly versionId: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly creator: string;
  readonly parentVersion: string | null;
  readonly schemaHash: string;
  readonly ingestId: string;
  readonly sourceKind: 's3' | 'push';
  readonly sourceKey: string | null;
  readonly sourceEtag: string | null;
  readonly sourceSha256: string;
  readonly counts: IngestCounts;
  readonly fileCount: number;
  readonly manifestKey: string;
  readonly manifestSha256: string;
}

export interface CurrentPointer {
  readonly versionId: string;
  readonly lastSeq: number;
  readonly ingestId: string;
  readonly parentVersionId: string | null;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason: 'ingest' | 'revert';
  readonly revertedFrom?: string;
}

/** What the API returns for a version. */
export interface VersionSummary {
  readonly group: string;
  readonly versionId: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly creator: string;
  readonly parentVersion: string | null;
  readonly schemaHash: string;
  readonly ingestId: string;
  readonly source: { readonly kind: 's3' | 'push'; readonly key: string | null; readonly etag: string | null; readonly sha256: string };
  readonly counts: IngestCounts;
  readonly fileCount: number;
  readonly manifestKey: string;
  readonly manifestSha256: string;
  readonly tags: readonly string[];
  readonly current: boolean;
}

export interface VersionList {
  readonly group: string;
  readonly current: string | null;
  /** Newest first (by sequence number). */
  readonly versions: readonly VersionSummary[];
  /** True when more than `limit` versions exist. */
  readonly truncated: boolean;
}

export interface CommitInput {
  readonly group: string;
  readonly ingestId: string;
  readonly creator: string;
  readonly sourceKey: string | null;
  readonly sourceEtag: string | null;
  /** The manifest content for a given parent version. */
  readonly content: (parentVersion: string | null) => ManifestContent;
}

export interface CommitResult {
  /** `created`: a new version; `duplicate`: this ingest id was already committed. */
  readonly status: 'created' | 'duplicate';
  readonly version: VersionSummary;
}

export interface FileVerification {
  readonly path: string;
  readonly kind: string;
  readonly ok: boolean;
  readonly expectedSha256: string;
  readonly actualSha256: string | null;
  readonly expectedSize: number;
  readonly actualSize: number | null;
  /** `missing` when the object does not exist; `sha256_mismatch`; `size_mismatch`. */
  readonly problem?: 'missing' | 'sha256_mismatch' | 'size_mismatch';
}

export interface VerifyResult {
  readonly group: string;
  readonly versionId: string;
  readonly ok: boolean;
  readonly manifest: { readonly path: string; readonly ok: boolean; readonly problems: readonly string[] };
  readonly files: readonly FileVerification[];
}

export interface VersionStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly now: () => Date;
}

export function manifestKey(group: string, versionId: string): string {
  return `${OFFLINE_LAYOUT.manifests(group)}${versionId}.json`;
}

export class VersionStore {
  constructor(private readonly options: VersionStoreOptions) {}

  private get doc(): DynamoDBDocumentClient {
    return this.options.doc;
  }

  private get table(): string {
    return this.options.table;
  }

  async getCurrent(group: string): Promise<CurrentPointer | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { [GROUP]: group, [SK]: VERSION_SK.current }, ConsistentRead: true }));
    return out.Item as CurrentPointer | undefined;
  }

  private async getVersionItem(group: string, versionId: string): Promise<VersionItem | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { [GROUP]: group, [SK]: VERSION_SK.version(versionId) }, ConsistentRead: true }),
    );
    return out.Item as VersionItem | undefined;
  }

  /** A version with its tags and whether it is current; `undefined` when unknown. */
  async getVersion(group: string, versionId: string): Promise<VersionSummary | undefined> {
    const [item, current, tags] = await Promise.all([
      this.getVersionItem(group, versionId),
      this.getCurrent(group),
      this.queryAll(group, 'tag#'),
    ]);
    if (!item) return undefined;
    const tagNames = tags.filter((t) => t.versionId === versionId).map((t) => t.tag as string);
    return summarize(group, item, tagNames, current?.versionId === versionId);
  }

  /** The committed version of `ingestId`, if this source was already ingested. */
  async findCommitted(group: string, ingestId: string): Promise<VersionSummary | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { [GROUP]: group, [SK]: VERSION_SK.ingest(ingestId) }, ConsistentRead: true }),
    );
    const versionId = out.Item?.versionId as string | undefined;
    if (versionId) return this.getVersion(group, versionId);
    const current = await this.getCurrent(group);
    if (current?.ingestId === ingestId) {
      const version = await this.getVersion(group, current.versionId);
      if (version) {
        await this.markIngest(group, ingestId, version.versionId);
        return version;
      }
    }
    return undefined;
  }

  async listVersions(group: string, limit = 100): Promise<VersionList> {
    const [items, tags, current] = await Promise.all([this.queryAll(group, 'version#'), this.queryAll(group, 'tag#'), this.getCurrent(group)]);
    const tagsByVersion = new Map<string, string[]>();
    for (const t of tags) {
      const list = tagsByVersion.get(t.versionId as string) ?? [];
      list.push(t.tag as string);
      tagsByVersion.set(t.versionId as string, list);
    }
    const versions = (items as unknown as VersionItem[])
      .map((item) => summarize(group, item, tagsByVersion.get(item.versionId) ?? [], current?.versionId === item.versionId))
      .sort((a, b) => b.seq - a.seq || (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0) || (a.versionId < b.versionId ? -1 : 1));
    return { group, current: current?.versionId ?? null, versions: versions.slice(0, limit), truncated: versions.length > limit };
  }

  /** The manifest of a version as stored in S3; `undefined` when the version or object is missing. */
  async readManifest(group: string, versionId: string): Promise<Manifest | undefined> {
    const bytes = await readObject(this.options.s3, this.options.bucket, manifestKey(group, versionId));
    return bytes === undefined ? undefined : (JSON.parse(bytes.toString('utf8')) as Manifest);
  }

  /**
   * The dataset as of `versionId`: the offline files of that version and of all its ancestors
   * (following `parentVersion`), newest version first. This is what a training job reads for a
   * version; files of versions that were reverted away are not part of it.
   */
  async datasetFiles(group: string, versionId: string, maxDepth = 10_000): Promise<{ versions: string[]; files: OutputFile[] }> {
    const versions: string[] = [];
    const files: OutputFile[] = [];
    let id: string | null = versionId;
    while (id !== null && versions.length < maxDepth) {
      const manifest = await this.readManifest(group, id);
      if (!manifest) {
        if (versions.length === 0) throw versionNotFound(group);
        throw new Error(`the manifest of version ${id} of group ${group} is missing`);
      }
      versions.push(id);
      files.push(...manifest.content.files.filter((f) => f.kind === 'offline'));
      id = manifest.content.parentVersion;
    }
    return { versions, files };
  }

  /** Creates a new version (or recognises a duplicate ingest); see the module comment. */
  async commit(input: CommitInput): Promise<CommitResult> {
    const { group, ingestId } = input;
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const current = await this.getCurrent(group);
      if (current?.ingestId === ingestId) {
        const existing = await this.getVersionItem(group, current.versionId);
        if (existing) {
          await this.markIngest(group, ingestId, current.versionId);
          return { status: 'duplicate', version: (await this.getVersion(group, current.versionId)) as VersionSummary };
        }
        // Recovery: `current` already points at this ingest's version but its item was never written.
        const manifest = this.build(input, current.parentVersionId, current.lastSeq);
        if (manifest.versionId !== current.versionId) {
          throw new Error(`recovering ingest ${ingestId} of group ${group} produced a different version id`);
        }
        const stored = await this.storeManifest(manifest);
        await this.putVersionItem(manifest, stored);
        await this.markIngest(group, ingestId, manifest.versionId);
        return { status: 'created', version: (await this.getVersion(group, manifest.versionId)) as VersionSummary };
      }

      const manifest = this.build(input, current?.versionId ?? null, (current?.lastSeq ?? 0) + 1);
      const stored = await this.storeManifest(manifest);
      const pointer: CurrentPointer = {
        versionId: manifest.versionId,
        lastSeq: manifest.provenance.seq,
        ingestId,
        parentVersionId: current?.versionId ?? null,
        updatedAt: this.options.now().toISOString(),
        updatedBy: input.creator,
        reason: 'ingest',
      };
      try {
        await this.moveCurrent(group, pointer, current ? { versionId: current.versionId, lastSeq: current.lastSeq } : undefined);
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        const now = await this.getCurrent(group);
        if (now?.versionId !== manifest.versionId) {
          // Nobody references this manifest: another version won the race. Rebuild on the new parent.
          await this.options.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: stored.key })).catch(() => undefined);
        }
        continue;
      }
      await this.putVersionItem(manifest, stored);
      await this.markIngest(group, ingestId, manifest.versionId);
      return { status: 'created', version: (await this.getVersion(group, manifest.versionId)) as VersionSummary };
    }
    throw new HttpError(409, 'commit_conflict', `could not commit a version of group ${group}: too many concurrent changes; retry`);
  }

  /** Tags a version. A tag never moves: re-tagging the same version is a no-op, another version is 409. */
  async tag(group: string, versionId: string, tag: string, creator: string): Promise<{ created: boolean; tag: string; versionId: string }> {
    if (!TAG_NAME.test(tag)) {
      throw new HttpError(400, 'invalid_body', 'request body failed validation', {
        issues: [{ path: 'tag', message: 'must start with a letter or digit and contain only letters, digits, ".", "_" or "-" (max 128)' }],
      });
    }
    if (!(await this.getVersionItem(group, versionId))) throw versionNotFound(group);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { [GROUP]: group, [SK]: VERSION_SK.tag(tag), type: 'tag', tag, versionId, createdAt: this.options.now().toISOString(), creator },
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': SK },
        }),
      );
      return { created: true, tag, versionId };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const existing = await this.doc.send(new GetCommand({ TableName: this.table, Key: { [GROUP]: group, [SK]: VERSION_SK.tag(tag) }, ConsistentRead: true }));
    if (existing.Item?.versionId === versionId) return { created: false, tag, versionId };
    throw new HttpError(409, 'tag_exists', `tag ${tag} already names another version of group ${group}`, {
      issues: [{ path: 'tag', message: 'already names another version (tags never move)' }],
      versionId: existing.Item?.versionId,
    });
  }

  /** Makes an earlier version current again. Nothing is deleted. */
  async revert(group: string, versionId: string, actor: string): Promise<{ previous: string | null; current: string; changed: boolean }> {
    const target = await this.getVersionItem(group, versionId);
    if (!target) throw versionNotFound(group);
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const current = await this.getCurrent(group);
      if (current?.versionId === versionId) return { previous: versionId, current: versionId, changed: false };
      const pointer: CurrentPointer = {
        versionId,
        lastSeq: Math.max(current?.lastSeq ?? 0, target.seq),
        ingestId: target.ingestId,
        parentVersionId: target.parentVersion,
        updatedAt: this.options.now().toISOString(),
        updatedBy: actor,
        reason: 'revert',
        ...(current ? { revertedFrom: current.versionId } : {}),
      };
      try {
        await this.moveCurrent(group, pointer, current ? { versionId: current.versionId, lastSeq: current.lastSeq } : undefined);
        return { previous: current?.versionId ?? null, current: versionId, changed: true };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    throw new HttpError(409, 'commit_conflict', `could not revert group ${group}: too many concurrent changes; retry`);
  }

  /** Streams every file of the manifest through SHA-256 and compares with the recorded hashes. */
  async verify(group: string, versionId: string, concurrency = 4): Promise<VerifyResult> {
    const item = await this.getVersionItem(group, versionId);
    if (!item) throw versionNotFound(group);
    const problems: string[] = [];
    const bytes = await readObject(this.options.s3, this.options.bucket, item.manifestKey);
    let manifest: Manifest | undefined;
    if (bytes === undefined) {
      problems.push('the manifest object is missing');
    } else {
      if (sha256Hex(bytes) !== item.manifestSha256) problems.push('the manifest object does not match the recorded sha256');
      try {
        manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
      } catch {
        problems.push('the manifest object is not valid JSON');
      }
      if (manifest) {
        if (manifest.versionId !== versionId) problems.push('the manifest names another version id');
        let contentHash: string | undefined;
        try {
          contentHash = sha256Hex(canonicalJson(manifest.content));
        } catch {
          contentHash = undefined;
        }
        if (contentHash !== versionId) problems.push('the manifest content does not hash to the version id');
      }
    }
    const files = Array.isArray(manifest?.content?.files) ? manifest.content.files : [];
    const results = await mapLimit(files, concurrency, async (file): Promise<FileVerification> => {
      const digest = await digestObject(this.options.s3, this.options.bucket, file.path);
      const base = { path: file.path, kind: file.kind, expectedSha256: file.sha256, expectedSize: file.size };
      if (!digest) return { ...base, ok: false, actualSha256: null, actualSize: null, problem: 'missing' };
      const problem = digest.sha256 !== file.sha256 ? 'sha256_mismatch' : digest.size !== file.size ? 'size_mismatch' : undefined;
      return { ...base, ok: problem === undefined, actualSha256: digest.sha256, actualSize: digest.size, ...(problem ? { problem } : {}) };
    });
    const manifestOk = problems.length === 0;
    return {
      group,
      versionId,
      ok: manifestOk && results.every((r) => r.ok),
      manifest: { path: item.manifestKey, ok: manifestOk, problems },
      files: results,
    };
  }

  private build(input: CommitInput, parent: string | null, seq: number): Manifest {
    return buildManifest(input.content(parent), {
      sourceKey: input.sourceKey,
      sourceEtag: input.sourceEtag,
      createdAt: this.options.now().toISOString(),
      creator: input.creator,
      seq,
    });
  }

  /**
   * Writes the manifest unless an object with the same content is already there (a retry, or a
   * concurrent identical ingest): then that object is kept, so its recorded hash stays valid.
   */
  private async storeManifest(manifest: Manifest): Promise<{ key: string; sha256: string; manifest: Manifest }> {
    const key = manifestKey(manifest.content.group, manifest.versionId);
    const existing = await this.readExistingManifest(key, manifest.versionId);
    if (existing) return existing;
    const body = serializeManifest(manifest);
    try {
      await this.options.s3.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: 'application/json', IfNoneMatch: '*' }),
      );
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      const raced = await this.readExistingManifest(key, manifest.versionId);
      if (raced) return raced;
      throw error;
    }
    return { key, sha256: sha256Hex(body), manifest };
  }

  private async readExistingManifest(key: string, versionId: string): Promise<{ key: string; sha256: string; manifest: Manifest } | undefined> {
    const bytes = await readObject(this.options.s3, this.options.bucket, key);
    if (bytes === undefined) return undefined;
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as Manifest;
      if (parsed.versionId === versionId && sha256Hex(canonicalJson(parsed.content)) === versionId) {
        return { key, sha256: sha256Hex(bytes), manifest: parsed };
      }
    } catch {
      // Not a valid manifest: overwrite it.
    }
    return undefined;
  }

  private async moveCurrent(group: string, pointer: CurrentPointer, expected: { versionId: string; lastSeq: number } | undefined): Promise<void> {
    const item = { [GROUP]: group, [SK]: VERSION_SK.current, type: 'current', ...pointer };
    if (!expected) {
      await this.doc.send(
        new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(#sk)', ExpressionAttributeNames: { '#sk': SK } }),
      );
      return;
    }
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: item,
        ConditionExpression: '#v = :v AND #s = :s',
        ExpressionAttributeNames: { '#v': 'versionId', '#s': 'lastSeq' },
        ExpressionAttributeValues: { ':v': expected.versionId, ':s': expected.lastSeq },
      }),
    );
  }

  private async putVersionItem(manifest: Manifest, stored: { key: string; sha256: string; manifest: Manifest }): Promise<void> {
    // The stored manifest may be an earlier run's (same content): record its provenance.
    const m = stored.manifest;
    const item: VersionItem & Record<string, unknown> = {
      [GROUP]: m.content.group,
      [SK]: VERSION_SK.version(manifest.versionId),
      type: 'version',
      versionId: manifest.versionId,
      seq: m.provenance.seq,
      createdAt: m.provenance.createdAt,
      creator: m.provenance.creator,
      parentVersion: m.content.parentVersion,
      schemaHash: m.content.schemaHash,
      ingestId: m.content.ingestId,
      sourceKind: m.content.source.kind,
      sourceKey: m.provenance.sourceKey,
      sourceEtag: m.provenance.sourceEtag,
      sourceSha256: m.content.source.sha256,
      counts: m.content.counts,
      fileCount: m.content.files.length,
      manifestKey: stored.key,
      manifestSha256: stored.sha256,
    };
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(#sk)', ExpressionAttributeNames: { '#sk': SK } }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error; // identical id = identical content: already there
    }
  }

  private async markIngest(group: string, ingestId: string, versionId: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { [GROUP]: group, [SK]: VERSION_SK.ingest(ingestId), type: 'ingest', versionId, committedAt: this.options.now().toISOString() },
      }),
    );
  }

  private async queryAll(group: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out: QueryCommandOutput = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#g = :g AND begins_with(#sk, :p)',
          ExpressionAttributeNames: { '#g': GROUP, '#sk': SK },
          ExpressionAttributeValues: { ':g': group, ':p': prefix },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

function summarize(group: string, item: VersionItem, tags: readonly string[], current: boolean): VersionSummary {
  return {
    group,
    versionId: item.versionId,
    seq: item.seq,
    createdAt: item.createdAt,
    creator: item.creator,
    parentVersion: item.parentVersion ?? null,
    schemaHash: item.schemaHash,
    ingestId: item.ingestId,
    source: { kind: item.sourceKind, key: item.sourceKey ?? null, etag: item.sourceEtag ?? null, sha256: item.sourceSha256 },
    counts: item.counts,
    fileCount: item.fileCount,
    manifestKey: item.manifestKey,
    manifestSha256: item.manifestSha256,
    tags: [...tags].sort(),
    current,
  };
}

function versionNotFound(group: string): HttpError {
  return new HttpError(404, 'version_not_found', `no such version of group ${group}`, { issues: [{ path: 'versionId', message: 'no such version' }] });
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}
