/**
 * dynalite (an in-memory, protocol-compatible DynamoDB) on 127.0.0.1 and a random port: the storage
 * of `gaiops dev`, and — behind `transactional-dynamo.ts` — of the runtime tests. Nothing is written
 * to disk; the data lives as long as the process.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

const load = createRequire(__filename);

/** Region and static credentials every local client uses (dynalite checks only their shape). */
export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

export interface EmbeddedDynamo {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** A client for this endpoint (destroyed by `close`). */
  client(): DynamoDBClient;
  createTable(input: CreateTableCommandInput): Promise<void>;
  /** Destroys the clients handed out and stops the server. */
  close(): Promise<void>;
}

type Dynalite = (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

/** Starts dynalite (tables active at once) on 127.0.0.1:<random>. */
export async function startEmbeddedDynamo(): Promise<EmbeddedDynamo> {
  const dynalite = load('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = (): DynamoDBClient => {
    const c = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
    clients.push(c);
    return c;
  };
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    client,
    async createTable(input) {
      await client().send(new CreateTableCommand(input));
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        clients.forEach((c) => c.destroy());
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
