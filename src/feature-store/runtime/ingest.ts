/**
 * The ingest pipeline: S3 objects under `raw/<group>/` (and rows pushed through the API) →
 * validated, coerced, de-duplicated, PII-transformed rows → offline partitions, rejected rows,
 * online store → an immutable dataset version.
 *
 * An S3 object is read twice, both times as a stream: first only through SHA-256 (its content hash
 * names the output files and identifies the ingest, so a re-ingest is recognised before any work),
 * then through the parser (again hashed, and read with `If-Match: <ETag>`, so a changed object is
 * detected). Memory is bounded by the tuning limits, not by the object size.
 */
import type { FeatureGroup } from '../feature-group';
import { OFFLINE_LAYOUT } from '../feature-group';
import { HttpError } from '../../core/runtime/http-app';
import { canonicalJson, sha256Hex } from './canonical';
import { type FeatureStoreContext, type FeatureStoreDeps, createContext } from './deps';
import { FingerprintSet } from './fingerprints';
import { type IngestCounts, MANIFEST_FORMAT_VERSION, type ManifestContent, schemaHash } from './manifest';
import { OnlineWriter, type OnlineWriteStats } from './online';
import { ChunkedWriter, type OutputFile } from './outputs';
import { type SourceFormat, type SourceRecord, SourceReadError, detectSourceFormat, readRecords } from './records';
import type { RowIssue, RowValidator } from './rows';
import { hashingTee, isPreconditionFailed, openObject } from './s3io';
import { type BiasReport, type ColumnStats, DatasetStats } from './stats';
import type { VersionSummary } from './versions';

/** Bumped when the pipeline's output for the same input changes (part of every ingest id). */
export const PIPELINE_VERSION = 1;
/** Most source columns reported as ignored in a manifest. */
const MAX_IGNORED_COLUMNS = 100;

export interface IngestObjectInput {
  /** S3 key, `raw/<group>/<name>.(jsonl|ndjson|csv)[.gz]`. */
  readonly key: string;
  /** ETag from the S3 event, if known (informational: the ETag read in pass 1 is what counts). */
  readonly etag?: string;
}

export interface IngestResult {
  /** `ingested`: a new version; `duplicate`: the same content was ingested before (nothing written). */
  readonly status: 'ingested' | 'duplicate';
  readonly group: string;
  readonly key: string;
  readonly versionId: string;
  readonly ingestId: string;
  readonly counts: IngestCounts;
  /** Online write outcome; `null` when nothing was written online. */
  readonly online: OnlineWriteStats | null;
  readonly fileCount: number;
  readonly durationMs: number;
  /** Where the time went (ms): hashing pass, processing pass (incl. online writes), online writes, commit. */
  readonly timings: { readonly hashMs: number; readonly processMs: number; readonly onlineWriteMs: number; readonly commitMs: number } | null;
  readonly version: VersionSummary;
}

export type PushTarget = 'online' | 'offline' | 'online_and_offline';

export interface PushInput {
  readonly group: string;
  readonly rows: readonly unknown[];
  readonly to: PushTarget;
  /** Recorded as the creator of the version (offline pushes). Default `deps.creator`. */
  readonly creator?: string;
}

export interface PushResult {
  readonly group: string;
  readonly to: PushTarget;
  readonly counts: IngestCounts;
  /** Rejected rows by index in `rows`, with reasons (never values). */
  readonly rejected: readonly { readonly index: number; readonly reasons: readonly RowIssue[] }[];
  readonly online: OnlineWriteStats | null;
  /** The dataset version of an offline push; `null` for online-only pushes. */
  readonly version: { readonly versionId: string; readonly status: 'created' | 'duplicate' } | null;
}

export interface Ingestor {
  readonly context: FeatureStoreContext;
  ingestObject(input: IngestObjectInput): Promise<IngestResult>;
  push(input: PushInput): Promise<PushResult>;
}

/** `raw/<group>/<rest>` → the group name; throws 400 `not_a_raw_key` otherwise. */
export function groupOfRawKey(key: string): string {
  const match = /^raw\/([^/]+)\/(.+)$/.exec(key);
  if (!match || match[2].endsWith('/')) {
    throw new HttpError(400, 'not_a_raw_key', 'the object key is not of the form raw/<group>/<file>', {
      issues: [{ path: 'key', message: 'must be raw/<group>/<file>' }],
    });
  }
  return match[1];
}

/** Identity of one ingest: same source bytes + schema + PII key + format ⇒ same id. */
export function computeIngestId(input: {
  group: string;
  schemaHash: string;
  sourceSha256: string;
  piiKeyId: string;
  kind: 's3' | 'push';
  format: string;
}): string {
  return sha256Hex(canonicalJson({ pipeline: PIPELINE_VERSION, ...input }));
}

export function createIngestor(deps: FeatureStoreDeps | FeatureStoreContext): Ingestor {
  const ctx = 'versions' in deps && 'getGroup' in deps ? deps : createContext(deps);
  const log = ctx.deps.logger;

  async function ingestObject(input: IngestObjectInput): Promise<IngestResult> {
    const started = performance.now();
    const { key } = input;
    const { s3, bucket } = ctx.deps;
    const group = await ctx.getGroup(groupOfRawKey(key), 'key');
    const format = detectSourceFormat(key);
    if (!format) {
      throw new HttpError(400, 'unsupported_format', 'the object is not .jsonl, .ndjson or .csv (optionally .gz)', {
        issues: [{ path: 'key', message: 'must end with .jsonl, .ndjson or .csv, optionally followed by .gz' }],
      });
    }
    const validator = await ctx.getValidator(group);

    // Pass 1: content hash only.
    const first = await openObject(s3, { Bucket: bucket, Key: key });
    if (!first) throw objectNotFound();
    const source = hashingTee(first.body);
    for await (const chunk of source.stream) void chunk;
    const sourceDigest = source.result();
    const hashed = performance.now();
    const etag = first.etag ?? null;
    const groupSchemaHash = schemaHash(group);
    const ingestId = computeIngestId({
      group: group.name,
      schemaHash: groupSchemaHash,
      sourceSha256: sourceDigest.sha256,
      piiKeyId: validator.piiKeyId,
      kind: 's3',
      format: format.format,
    });
    log?.info('ingest started', { group: group.name, key, format: format.format, gzip: format.gzip, size: sourceDigest.size, ingestId });

    const existing = await ctx.versions.findCommitted(group.name, ingestId);
    if (existing) {
      const result = fromVersion(existing, 'duplicate', key, null, started);
      log?.info('ingest skipped: already ingested', { group: group.name, key, versionId: existing.versionId, ingestId });
      return result;
    }

    // Pass 2: parse, validate, write.
    let second;
    try {
      second = await openObject(s3, { Bucket: bucket, Key: key, ...(first.etag ? { IfMatch: first.etag } : {}) });
    } catch (error) {
      if (isPreconditionFailed(error)) throw sourceChanged();
      throw error;
    }
    if (!second) throw objectNotFound();
    const tee = hashingTee(second.body);
    let result: PipelineResult;
    try {
      result = await runPipeline(ctx, group, validator, ingestId, readRecords(tee.stream, format, { maxRecordBytes: ctx.tuning.maxRecordBytes }), {
        offlineFiles: group.offline,
        rejectedFiles: true,
        online: group.online,
        collectRejected: false,
      });
    } catch (error) {
      if (error instanceof SourceReadError) {
        throw new HttpError(422, 'unreadable_source', error.message);
      }
      throw error;
    }
    if (tee.result().sha256 !== sourceDigest.sha256) throw sourceChanged();
    const processed = performance.now();

    const commit = await ctx.versions.commit({
      group: group.name,
      ingestId,
      creator: ctx.deps.creator ?? 'feature-store',
      sourceKey: key,
      sourceEtag: etag,
      content: (parent) => manifestContent(group, groupSchemaHash, ingestId, parent, { kind: 's3', digest: sourceDigest, format }, result),
    });
    const out = {
      ...fromVersion(commit.version, commit.status === 'created' ? 'ingested' : 'duplicate', key, result.online, started),
      timings: {
        hashMs: Math.round(hashed - started),
        processMs: Math.round(processed - hashed),
        onlineWriteMs: Math.round(result.onlineWriteMs),
        commitMs: Math.round(performance.now() - processed),
      },
    };
    log?.info('ingest completed', {
      group: group.name,
      key,
      status: out.status,
      versionId: out.versionId,
      counts: out.counts,
      online: out.online,
      fileCount: out.fileCount,
      durationMs: out.durationMs,
      rowsPerSecond: out.durationMs > 0 ? Math.round((out.counts.input * 1000) / out.durationMs) : null,
      timings: out.timings,
    });
    return out;
  }

  async function push(input: PushInput): Promise<PushResult> {
    const group = await ctx.getGroup(input.group, 'group');
    const toOnline = input.to !== 'offline';
    const toOffline = input.to !== 'online';
    if (toOnline && !group.online) throw badTarget(`feature group ${group.name} has no online store`);
    if (toOffline && !group.offline) throw badTarget(`feature group ${group.name} has no offline store`);
    const validator = await ctx.getValidator(group);
    const records = (): AsyncIterable<SourceRecord> => toRecords(input.rows);

    if (!toOffline) {
      const result = await runPipeline(ctx, group, validator, '', records(), {
        offlineFiles: false,
        rejectedFiles: false,
        online: true,
        collectRejected: true,
      });
      log?.info('push completed', { group: group.name, to: input.to, counts: result.counts, online: result.online });
      return { group: group.name, to: input.to, counts: result.counts, rejected: result.rejected, online: result.online, version: null };
    }

    const sourceBytes = Buffer.from(input.rows.map((r) => canonicalJson(r)).join('\n'), 'utf8');
    const digest = { sha256: sha256Hex(sourceBytes), size: sourceBytes.length };
    const groupSchemaHash = schemaHash(group);
    const format: SourceFormat = { format: 'jsonl', gzip: false };
    const ingestId = computeIngestId({
      group: group.name,
      schemaHash: groupSchemaHash,
      sourceSha256: digest.sha256,
      piiKeyId: validator.piiKeyId,
      kind: 'push',
      format: 'jsonl',
    });
    // A push without one valid row is answered with the rejections and writes nothing: no rejected
    // file, no empty dataset version (a synchronous caller gets every reason in the response).
    if (!input.rows.some((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && validator.validate(r as Record<string, unknown>).ok)) {
      const result = await runPipeline(ctx, group, validator, ingestId, records(), { offlineFiles: false, rejectedFiles: false, online: false, collectRejected: true });
      log?.info('push rejected every row', { group: group.name, to: input.to, counts: result.counts });
      return { group: group.name, to: input.to, counts: result.counts, rejected: result.rejected, online: result.online, version: null };
    }
    const existing = await ctx.versions.findCommitted(group.name, ingestId);
    const result = await runPipeline(ctx, group, validator, ingestId, records(), {
      offlineFiles: !existing,
      rejectedFiles: !existing,
      online: toOnline,
      collectRejected: true,
    });
    let version: PushResult['version'];
    if (existing) {
      version = { versionId: existing.versionId, status: 'duplicate' };
    } else {
      const commit = await ctx.versions.commit({
        group: group.name,
        ingestId,
        creator: input.creator ?? ctx.deps.creator ?? 'feature-store',
        sourceKey: null,
        sourceEtag: null,
        content: (parent) => manifestContent(group, groupSchemaHash, ingestId, parent, { kind: 'push', digest, format }, result),
      });
      version = { versionId: commit.version.versionId, status: commit.status };
    }
    log?.info('push completed', { group: group.name, to: input.to, counts: result.counts, online: result.online, versionId: version.versionId });
    return { group: group.name, to: input.to, counts: result.counts, rejected: result.rejected, online: result.online, version };
  }

  return { context: ctx, ingestObject, push };
}

async function* toRecords(rows: readonly unknown[]): AsyncGenerator<SourceRecord> {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (typeof row === 'object' && row !== null && !Array.isArray(row)) yield { line: i, record: row as Record<string, unknown> };
    else yield { line: i, error: 'is not a JSON object' };
  }
}

interface PipelineOptions {
  readonly offlineFiles: boolean;
  readonly rejectedFiles: boolean;
  readonly online: boolean;
  readonly collectRejected: boolean;
}

interface PipelineResult {
  readonly counts: IngestCounts;
  readonly files: OutputFile[];
  readonly stats: Record<string, ColumnStats>;
  readonly bias: BiasReport;
  readonly ignoredColumns: string[];
  readonly online: OnlineWriteStats | null;
  readonly onlineWriteMs: number;
  readonly rejected: { index: number; reasons: RowIssue[] }[];
}

const pad = (n: number): string => String(n).padStart(5, '0');

/** Streams records through validation, de-duplication, statistics and the writers. */
async function runPipeline(
  ctx: FeatureStoreContext,
  group: FeatureGroup,
  validator: RowValidator,
  ingestId: string,
  records: AsyncIterable<SourceRecord>,
  options: PipelineOptions,
): Promise<PipelineResult> {
  const { s3, bucket } = ctx.deps;
  const tuning = ctx.tuning;
  const fileStem = ingestId.slice(0, 32);
  const offline = options.offlineFiles
    ? new ChunkedWriter({
        s3,
        bucket,
        kind: 'offline',
        keyFor: (date, seq) => `${OFFLINE_LAYOUT.offline(group.name, date)}${fileStem}-${pad(seq)}.jsonl`,
        dateOf: (date) => date,
        targetFileBytes: tuning.offlineFileBytes,
        maxBufferedBytes: tuning.offlineBufferBytes,
      })
    : undefined;
  const rejectedWriter = options.rejectedFiles
    ? new ChunkedWriter({
        s3,
        bucket,
        kind: 'rejected',
        keyFor: (_partition, seq) => `${OFFLINE_LAYOUT.rejected(group.name)}${fileStem}-${pad(seq)}.jsonl`,
        targetFileBytes: tuning.rejectedFileBytes,
        maxBufferedBytes: tuning.rejectedBufferBytes,
      })
    : undefined;
  const online = options.online
    ? new OnlineWriter({
        doc: ctx.doc,
        table: ctx.deps.onlineTable,
        group,
        maxEntities: tuning.onlineMaxEntities,
        concurrency: tuning.onlineConcurrency,
        now: ctx.now,
      })
    : undefined;
  const stats = new DatasetStats(group);
  const seen = new FingerprintSet();
  const ignored = new Set<string>();
  const rejected: { index: number; reasons: RowIssue[] }[] = [];
  let input = 0;
  let valid = 0;
  let rejectedCount = 0;
  let exact = 0;
  let entityTime = 0;

  const reject = async (line: number, reasons: RowIssue[], row: Readonly<Record<string, unknown>>): Promise<void> => {
    rejectedCount++;
    if (options.collectRejected) rejected.push({ index: line, reasons });
    if (rejectedWriter && rejectedWriter.add('', `${JSON.stringify({ line, reasons, row })}\n`)) await rejectedWriter.flush();
  };

  for await (const source of records) {
    input++;
    if (source.error !== undefined) {
      await reject(source.line, [{ field: '(row)', message: source.error }], {});
      continue;
    }
    const record = source.record;
    if (ignored.size < MAX_IGNORED_COLUMNS) {
      for (const column in record) {
        if (!validator.columns.has(column) && ignored.size < MAX_IGNORED_COLUMNS) ignored.add(column);
      }
    }
    const outcome = validator.validate(record);
    if (!outcome.ok) {
      await reject(source.line, [...outcome.issues], outcome.redacted);
      continue;
    }
    const row = outcome.row;
    const line = `${JSON.stringify(validator.toRecord(row))}\n`;
    const duplicate = seen.check(`${row.entityKey}\u0000${row.eventTimeMs}`, line);
    if (duplicate !== 'new') {
      if (duplicate === 'exact') exact++;
      else entityTime++;
      continue;
    }
    valid++;
    stats.add(row);
    if (offline && offline.add(row.date, line)) await offline.flush();
    if (online && online.offer(row)) await online.flush();
  }

  const files = [...(offline ? await offline.finish() : []), ...(rejectedWriter ? await rejectedWriter.finish() : [])].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  if (online) await online.flush();
  return {
    counts: {
      input,
      valid,
      rejected: rejectedCount,
      duplicates: exact + entityTime,
      duplicatesExact: exact,
      duplicatesEntityEventTime: entityTime,
    },
    files,
    stats: stats.columnStats(),
    bias: stats.biasReport(),
    ignoredColumns: [...ignored].sort(),
    online: online ? { ...online.stats } : null,
    onlineWriteMs: online?.flushMs ?? 0,
    rejected,
  };
}

function manifestContent(
  group: FeatureGroup,
  groupSchemaHash: string,
  ingestId: string,
  parentVersion: string | null,
  source: { kind: 's3' | 'push'; digest: { sha256: string; size: number }; format: SourceFormat },
  result: PipelineResult,
): ManifestContent {
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    group: group.name,
    schemaHash: groupSchemaHash,
    ingestId,
    parentVersion,
    source: {
      kind: source.kind,
      sha256: source.digest.sha256,
      size: source.digest.size,
      format: source.format.format,
      compression: source.format.gzip ? 'gzip' : 'none',
    },
    counts: result.counts,
    files: result.files,
    stats: result.stats,
    bias: result.bias,
    ignoredColumns: result.ignoredColumns,
  };
}

function fromVersion(
  version: VersionSummary,
  status: 'ingested' | 'duplicate',
  key: string,
  online: OnlineWriteStats | null,
  started: number,
): IngestResult {
  return {
    status,
    group: version.group,
    key,
    versionId: version.versionId,
    ingestId: version.ingestId,
    counts: version.counts,
    online,
    fileCount: version.fileCount,
    durationMs: Math.round(performance.now() - started),
    timings: null,
    version,
  };
}

function objectNotFound(): HttpError {
  return new HttpError(404, 'object_not_found', 'the source object does not exist', { issues: [{ path: 'key', message: 'no such object' }] });
}

function sourceChanged(): HttpError {
  return new HttpError(409, 'source_changed', 'the source object changed while it was being ingested; it will be ingested again');
}

function badTarget(message: string): HttpError {
  return new HttpError(400, 'invalid_body', 'request body failed validation', { issues: [{ path: 'to', message }] });
}
