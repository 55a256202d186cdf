/**
 * The object-digest service: streams an S3 object through SHA-256 and reports its hash and size,
 * optionally comparing it with an expected hash (dataset manifest verification).
 */
import { isWellFormedText } from '../../runtime/unicode';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { type AppLogger, HttpApp, HttpError, parseBody } from '../../runtime/http-app';
import { createLogger } from '../../runtime/logger';
import { SHA256_HEX, digestStream } from './digest';

/** Service name used in logs. */
export const DIGEST_SERVICE_NAME = 'object-digest';

function requiredString(issue: { input?: unknown }): string {
  return issue.input === undefined ? 'is required' : 'must be a string';
}

/** S3 general purpose bucket naming rules (directory buckets, `…--x-s3`, are accepted too). */
export const bucketNameSchema = z
  .string({ error: requiredString })
  .min(3, { error: 'must be at least 3 characters', abort: true })
  .max(63, { error: 'must be at most 63 characters', abort: true })
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, {
    error: 'must contain only lower-case letters, digits, dots and hyphens, and begin and end with a letter or digit',
    abort: true,
  })
  .refine((name) => !name.includes('..'), 'must not contain two adjacent periods')
  .refine((name) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(name), 'must not be formatted as an IP address')
  .refine((name) => !/^(xn--|sthree-|amzn-s3-demo-)/.test(name), "must not start with 'xn--', 'sthree-' or 'amzn-s3-demo-'")
  .refine(
    (name) => !/(-s3alias|--ol-s3|\.mrap|--table-s3)$/.test(name),
    "must not end with '-s3alias', '--ol-s3', '.mrap' or '--table-s3'",
  );

/** S3 object key: 1 to 1024 characters and at most 1024 bytes of UTF-8. */
export const objectKeySchema = z
  .string({ error: requiredString })
  .min(1, { error: 'must not be empty', abort: true })
  .max(1024, { error: 'must be at most 1024 characters', abort: true })
  .refine((key) => Buffer.byteLength(key, 'utf8') <= 1024, 'must be at most 1024 bytes in UTF-8')
  .refine(isWellFormedText, 'must be well-formed Unicode (no lone surrogates)')
  // S3 keys are literal, but S3-compatible stores and path-style proxies may resolve dot segments
  // and leave the allowed bucket: refuse them.
  .refine((key) => !key.split('/').some((segment) => segment === '.' || segment === '..'), "must not contain '.' or '..' path segments");

/** Body of `POST /digest`. Unknown fields are rejected so that typos do not go unnoticed. */
export const digestRequestSchema = z.strictObject({
  bucket: bucketNameSchema,
  key: objectKeySchema,
  versionId: z.string({ error: requiredString }).min(1, 'must not be empty').max(1024, 'must be at most 1024 characters').optional(),
  expectedSha256: z.string({ error: requiredString }).regex(SHA256_HEX, 'must be 64 lower-case hexadecimal characters').optional(),
});

export type DigestRequest = z.infer<typeof digestRequestSchema>;

export interface DigestResponse {
  readonly bucket: string;
  readonly key: string;
  /** The version that was hashed; `null` when the bucket is not versioned. */
  readonly versionId: string | null;
  readonly size: number;
  readonly sha256: string;
  /** Only present when `expectedSha256` was given. */
  readonly matches?: boolean;
}

export interface DigestAppOptions {
  readonly s3: S3Client;
  /**
   * Buckets the service may read; others get 403 `bucket_not_allowed`. Undefined means no
   * application-level restriction (IAM still applies); an empty list allows nothing.
   */
  readonly allowedBuckets?: readonly string[];
  /** Default: a Powertools JSON logger named `object-digest`. */
  readonly logger?: AppLogger;
}

/** `"a, b,,c "` → `['a', 'b', 'c']`; unset or blank → `undefined` (no restriction). */
export function parseAllowedBuckets(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

/** Builds the object-digest `HttpApp`: `GET /healthz` and `POST /digest`. */
export function createDigestApp(options: DigestAppOptions): HttpApp {
  const allowed = options.allowedBuckets === undefined ? undefined : new Set(options.allowedBuckets);
  const app = new HttpApp({ name: DIGEST_SERVICE_NAME, logger: options.logger ?? createLogger(DIGEST_SERVICE_NAME) });

  app.route('GET', '/healthz', () => ({ status: 200, body: { status: 'ok' } }));

  app.route('POST', '/digest', async (request, { log }) => {
    const input = parseBody(digestRequestSchema, request);
    if (allowed && !allowed.has(input.bucket)) {
      throw new HttpError(403, 'bucket_not_allowed', 'this service may not read the requested bucket');
    }
    const started = performance.now();
    const result = await digestObject(options.s3, input);
    // The key may contain personal data: log only the bucket and the outcome.
    log.info('object digested', {
      bucket: input.bucket,
      size: result.size,
      matches: result.matches ?? null,
      durationMs: Math.round(performance.now() - started),
    });
    return { status: 200, body: result };
  });

  return app;
}

/** Streams one object through SHA-256 (constant memory) and maps S3 errors to HTTP errors. */
export async function digestObject(s3: S3Client, input: DigestRequest): Promise<DigestResponse> {
  let output;
  try {
    output = await s3.send(new GetObjectCommand({ Bucket: input.bucket, Key: input.key, VersionId: input.versionId }));
  } catch (error) {
    throw mapS3Error(error, input);
  }
  const body = output.Body;
  if (!isAsyncIterable(body)) throw new Error('GetObject returned no readable body');
  let digest;
  try {
    digest = await digestStream(body);
  } catch (error) {
    throw new Error(`reading the object stream failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (output.ContentLength !== undefined && output.ContentLength !== digest.size) {
    throw new Error(`object stream ended after ${digest.size} of ${output.ContentLength} bytes`);
  }
  return {
    bucket: input.bucket,
    key: input.key,
    versionId: output.VersionId ?? null,
    size: digest.size,
    sha256: digest.sha256,
    ...(input.expectedSha256 === undefined ? {} : { matches: digest.sha256 === input.expectedSha256 }),
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function mapS3Error(error: unknown, input: DigestRequest): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  switch (name) {
    case 'NoSuchKey':
    case 'NoSuchBucket':
    case 'NoSuchVersion':
    case 'NotFound':
      return new HttpError(404, 'object_not_found', 'the object (or bucket or version) does not exist');
    case 'AccessDenied':
    case 'Forbidden':
      return new HttpError(403, 'access_denied', 'the service is not allowed to read this object');
    case 'InvalidObjectState':
      return new HttpError(409, 'object_archived', 'the object is archived and must be restored before it can be read');
    case 'InvalidArgument':
      if (input.versionId !== undefined) return new HttpError(400, 'invalid_version_id', 'S3 rejected the versionId');
      break;
  }
  if (status === 404) return new HttpError(404, 'object_not_found', 'the object (or bucket or version) does not exist');
  if (status === 403) return new HttpError(403, 'access_denied', 'the service is not allowed to read this object');
  return error;
}
