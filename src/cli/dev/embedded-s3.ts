/**
 * s3rver (a protocol-compatible S3) on 127.0.0.1 and a random port, storing objects under a
 * directory the caller owns (the caller deletes it). Clients use path-style addressing and
 * s3rver's fixed credentials.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const load = createRequire(__filename);

/** s3rver accepts only these credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: { address: string; port: number; silent: boolean; directory: string }) => S3rverInstance;

export interface EmbeddedS3 {
  /** e.g. `http://127.0.0.1:41235`. */
  readonly endpoint: string;
  /** A path-style client for this endpoint (destroyed by `close`). */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /** Destroys the clients handed out and stops the server (the directory is left to the caller). */
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1:<random>, keeping objects in `directory`. */
export async function startEmbeddedS3(directory: string): Promise<EmbeddedS3> {
  const S3rver = load('s3rver') as S3rverClass;
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  const client = (): S3Client => {
    const c = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    clients.push(c);
    return c;
  };
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    client,
    async createBucket(name) {
      await client().send(new CreateBucketCommand({ Bucket: name }));
    },
    close() {
      closed ??= (async () => {
        clients.forEach((c) => c.destroy());
        await server.close();
      })();
      return closed;
    },
  };
}
