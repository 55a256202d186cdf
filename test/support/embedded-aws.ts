/**
 * Embedded, protocol-compatible AWS services for runtime tests: s3rver (S3) and dynalite
 * (DynamoDB), on 127.0.0.1 with a random port, plus real SDK clients pointed at them. No SDK mocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const load = createRequire(__filename);
const REGION = 'us-east-1';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: { address: string; port: number; silent: boolean; directory: string }) => S3rverInstance;

export interface EmbeddedS3 {
  readonly endpoint: string;
  /** A client with path-style addressing and s3rver's credentials. */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1:<random> with a temp directory removed on close. */
export async function startS3(): Promise<EmbeddedS3> {
  const S3rver = load('s3rver') as S3rverClass;
  const directory = mkdtempSync(join(tmpdir(), 'gaiops-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  const client = () => {
    const c = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    client,
    async createBucket(name) {
      await client().send(new CreateBucketCommand({ Bucket: name }));
    },
    async close() {
      clients.forEach((c) => c.destroy());
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface EmbeddedDynamo {
  readonly endpoint: string;
  client(): DynamoDBClient;
  createTable(input: CreateTableCommandInput): Promise<void>;
  close(): Promise<void>;
}

/** Starts dynalite (in memory, tables active at once) on 127.0.0.1:<random>. */
export async function startDynamo(): Promise<EmbeddedDynamo> {
  const dynalite = load('dynalite') as (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = () => {
    const c = new DynamoDBClient({ endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    client,
    async createTable(input) {
      await client().send(new CreateTableCommand(input));
    },
    async close() {
      clients.forEach((c) => c.destroy());
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
