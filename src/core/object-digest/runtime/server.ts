/**
 * Container entrypoint of the object-digest service: `node index.js` (an esbuild bundle of this
 * file, CommonJS format). Reads `PORT` (default 8080), `HOST` (default 0.0.0.0) and
 * `DIGEST_ALLOWED_BUCKETS`; AWS credentials and region come from the standard SDK chain.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { type HttpServerHandle, runServerFromEnv, startOrExit } from '../../runtime/node-http';
import { createDigestApp, parseAllowedBuckets } from './digest-app';

/** Starts the service from environment variables; exits 0 on SIGTERM/SIGINT after draining. */
export function main(env: NodeJS.ProcessEnv = process.env): Promise<HttpServerHandle> {
  const app = createDigestApp({
    s3: new S3Client({}),
    allowedBuckets: parseAllowedBuckets(env.DIGEST_ALLOWED_BUCKETS),
  });
  return runServerFromEnv(app, { env });
}

if (require.main === module) startOrExit('object-digest', () => main());
