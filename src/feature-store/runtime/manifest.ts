/**
 * Dataset version manifests.
 *
 * A manifest has two parts. `content` is everything that defines the data: group, schema hash,
 * ingest id, parent version, source hash, counts, output files (path, sha256, size, rows), column
 * statistics and the bias report. The version id is `sha256(canonicalJson(content))`, so it changes
 * exactly when the data or its lineage changes. `provenance` records how and when the version came
 * to be (source key and ETag, created-at, creator, sequence number); it is stored but not hashed,
 * because it may differ between runs that produce identical data.
 */
import type { FeatureGroup } from '../feature-group';
import { canonicalJson, sha256Hex } from './canonical';
import type { OutputFile } from './outputs';
import type { SourceFormatName } from './records';
import type { BiasReport, ColumnStats } from './stats';

export const MANIFEST_FORMAT_VERSION = 1;

export interface IngestCounts {
  /** Data rows read from the source (parse errors included). */
  readonly input: number;
  /** Rows stored (offline when the group has the offline store). */
  readonly valid: number;
  /** Rows rejected with reasons. */
  readonly rejected: number;
  /** Rows dropped as duplicates (first occurrence kept) = exact + entityEventTime. */
  readonly duplicates: number;
  /** Duplicates identical to the kept row. */
  readonly duplicatesExact: number;
  /** Duplicates with the same entity and event time but different values. */
  readonly duplicatesEntityEventTime: number;
}

export interface ManifestSource {
  readonly kind: 's3' | 'push';
  /** SHA-256 of the source bytes (for pushes: of the canonical JSON Lines of the pushed rows). */
  readonly sha256: string;
  readonly size: number;
  readonly format: SourceFormatName;
  readonly compression: 'gzip' | 'none';
}

export interface ManifestContent {
  readonly formatVersion: typeof MANIFEST_FORMAT_VERSION;
  readonly group: string;
  /** sha256 of the canonical JSON of the group definition (defaults applied). */
  readonly schemaHash: string;
  /** Identity of the ingest: sha256 over source hash, schema hash, PII key id and format. */
  readonly ingestId: string;
  /** The group's current version when this one was created; `null` for the first. */
  readonly parentVersion: string | null;
  readonly source: ManifestSource;
  readonly counts: IngestCounts;
  /** Every output file, sorted by path. */
  readonly files: readonly OutputFile[];
  /** Per-column statistics of the valid rows. */
  readonly stats: Readonly<Record<string, ColumnStats>>;
  /** Share of valid rows per value of each sensitive attribute. */
  readonly bias: BiasReport;
  /** Source columns that are not part of the group (not stored), sorted; at most 100. */
  readonly ignoredColumns: readonly string[];
}

export interface ManifestProvenance {
  /** S3 key of the source object; `null` for pushes. */
  readonly sourceKey: string | null;
  readonly sourceEtag: string | null;
  readonly createdAt: string;
  readonly creator: string;
  /** 1 for the group's first version, then +1 per new version. */
  readonly seq: number;
}

export interface Manifest {
  readonly versionId: string;
  readonly content: ManifestContent;
  readonly provenance: ManifestProvenance;
}

/** sha256 of the canonical JSON of the group definition. */
export function schemaHash(group: FeatureGroup): string {
  return sha256Hex(canonicalJson(group));
}

/** The version id of a manifest content. */
export function versionIdOf(content: ManifestContent): string {
  return sha256Hex(canonicalJson(content));
}

export function buildManifest(content: ManifestContent, provenance: ManifestProvenance): Manifest {
  return { versionId: versionIdOf(content), content, provenance };
}

/** The bytes stored at `manifests/<group>/<versionId>.json` (pretty-printed, stable key order). */
export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(JSON.parse(canonicalJson(manifest)), null, 2)}\n`, 'utf8');
}
