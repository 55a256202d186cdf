/**
 * Model artifacts. A version's `source` is either an `s3://bucket/key` URI or a content address
 * `sha256:<hex>`, which names the object `artifacts/sha256/<hex>` in the registry's artifact bucket.
 * Digest verification streams the object through SHA-256 (constant memory), so it does not depend
 * on how (or whether) the uploader stored an S3 checksum.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { digestStream } from '../../core/object-digest/runtime/digest';
import { invalidParameter } from './errors';

export const ARTIFACT_KEY_PREFIX = 'artifacts/sha256/';

export interface ArtifactLocation {
  readonly bucket: string;
  readonly key: string;
  /** The digest the location itself claims (content-addressed sources only). */
  readonly addressedDigest?: string;
}

/** Where the artifact of `source` lives. */
export function artifactLocation(source: string, artifactBucket: string): ArtifactLocation {
  const digest = /^sha256:([0-9a-f]{64})$/.exec(source);
  if (digest) return { bucket: artifactBucket, key: `${ARTIFACT_KEY_PREFIX}${digest[1]}`, addressedDigest: digest[1] };
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  if (s3) {
    const addressed = s3[1] === artifactBucket ? new RegExp(`^${ARTIFACT_KEY_PREFIX}([0-9a-f]{64})$`).exec(s3[2]) : null;
    return { bucket: s3[1], key: s3[2], ...(addressed ? { addressedDigest: addressed[1] } : {}) };
  }
  throw invalidParameter(`Unsupported source '${source}'.`);
}

/** The `artifact_uri` returned by get-download-uri: always an `s3://` URI. */
export function artifactUri(source: string, artifactBucket: string): string {
  const { bucket, key } = artifactLocation(source, artifactBucket);
  return `s3://${bucket}/${key}`;
}

function s3Status(error: unknown): { name?: string; status?: number } {
  return {
    name: (error as { name?: string } | null)?.name,
    status: (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode,
  };
}

/** For content-addressed sources: the object must exist before a version may point at it. */
export async function assertArtifactExists(s3: S3Client, location: ArtifactLocation): Promise<void> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
  } catch (error) {
    const { name, status } = s3Status(error);
    if (name === 'NotFound' || name === 'NoSuchKey' || status === 404) {
      throw invalidParameter(`Artifact '${location.key}' does not exist in the artifact store; upload it before registering the version.`);
    }
    // Without s3:ListBucket, S3 answers 403 for a missing key as well.
    if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
      throw invalidParameter(`Artifact '${location.key}' does not exist in the artifact store or the registry may not read it.`);
    }
    throw error;
  }
}

export type DigestCheck =
  | { readonly ok: true; readonly sha256: string; readonly size: number }
  | { readonly ok: false; readonly problem: string };

/** Streams the object through SHA-256 and compares with `expected`. Never throws for S3 "not found / denied". */
export async function verifyArtifactDigest(s3: S3Client, location: ArtifactLocation, expected: string): Promise<DigestCheck> {
  if (location.key.endsWith('/')) {
    return { ok: false, problem: `the source '${location.key}' is a prefix, not a single artifact object, so its digest cannot be verified` };
  }
  if (location.addressedDigest !== undefined && location.addressedDigest !== expected) {
    return { ok: false, problem: `the version source is addressed by digest ${location.addressedDigest} but the lineage records artifact_digest ${expected}` };
  }
  let output;
  try {
    output = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  } catch (error) {
    const { name, status } = s3Status(error);
    if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound' || status === 404) {
      return { ok: false, problem: `the artifact object s3://${location.bucket}/${location.key} does not exist` };
    }
    if (name === 'AccessDenied' || status === 403) {
      return { ok: false, problem: `the registry may not read the artifact object s3://${location.bucket}/${location.key}` };
    }
    throw error;
  }
  const body = output.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body || !(Symbol.asyncIterator in body)) throw new Error('GetObject returned no readable body');
  const digest = await digestStream(body);
  if (digest.sha256 !== expected) {
    return { ok: false, problem: `the stored artifact hashes to sha256 ${digest.sha256}, not the recorded artifact_digest ${expected}` };
  }
  return { ok: true, sha256: digest.sha256, size: digest.size };
}
