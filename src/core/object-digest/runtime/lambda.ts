/**
 * Lambda entrypoint of the object-digest service (API Gateway HTTP API, payload v2).
 *
 * Environment: `DIGEST_ALLOWED_BUCKETS` (comma-separated allow-list; unset = no app-level
 * restriction), plus the usual AWS SDK variables. Nothing here needs credentials at module load:
 * the S3 client resolves them on the first request.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { toLambdaHandler } from '../../runtime/lambda-http';
import { createDigestApp, parseAllowedBuckets } from './digest-app';

export const handler = toLambdaHandler(
  createDigestApp({
    s3: new S3Client({}),
    allowedBuckets: parseAllowedBuckets(process.env.DIGEST_ALLOWED_BUCKETS),
  }),
);
