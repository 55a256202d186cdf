/**
 * dynalite does not implement DynamoDB transactions. This is a small, protocol-level proxy in front
 * of it (127.0.0.1, random port) that real SDK clients talk to:
 *
 * - every request is serialised through one lock (so the emulated transactions are isolated from
 *   every other request, like DynamoDB's serializable transactions);
 * - `TransactWriteItems` is emulated on dynalite's own conditional PutItem / UpdateItem /
 *   DeleteItem: prior images are read, the operations applied one by one with their conditions
 *   (dynalite evaluates them), and everything is rolled back when any condition fails, answering
 *   `TransactionCanceledException` with `CancellationReasons` exactly as DynamoDB does;
 * - `TransactGetItems` is emulated with consistent GetItems;
 * - every other operation is forwarded unchanged.
 *
 * No SDK is mocked: the application's real `DynamoDBClient` speaks the DynamoDB JSON protocol to it.
 * `gaiops dev` runs the model registry (and the feature store) on it; the runtime tests import it
 * through `test/model-registry/runtime/support/transactional-dynamo.ts`.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REGISTRY_TABLE_KEYS } from '../../model-registry/registry-config';
import { type EmbeddedDynamo, LOCAL_AWS, startEmbeddedDynamo } from './embedded-dynamo';

type Json = Record<string, unknown>;
type AttributeMap = Record<string, unknown>;

interface DynaliteReply {
  readonly status: number;
  readonly body: Json;
}

export interface TransactionalDynamo {
  /** The proxy endpoint (give this to the app's client). */
  readonly endpoint: string;
  readonly stats: { transactWrites: number; cancelled: number; requests: number };
  client(): DynamoDBClient;
  /** Creates a table with string keys `pk` (hash) and `sk` (range), as the registry expects. */
  createRegistryTable(name: string): Promise<void>;
  /** Creates any table (e.g. the feature store's, from `table-definitions.ts`). */
  createTable(input: CreateTableCommandInput): Promise<void>;
  /** Stops the proxy and dynalite behind it; destroys the clients handed out. Idempotent. */
  close(): Promise<void>;
}

const JSON_10 = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'DynamoDB_20120810.';

export async function startTransactionalDynamo(): Promise<TransactionalDynamo> {
  const backend: EmbeddedDynamo = await startEmbeddedDynamo();
  const backendUrl = new URL(backend.endpoint);
  const keySchemas = new Map<string, string[]>();
  const stats = { transactWrites: 0, cancelled: 0, requests: 0 };
  let lock: Promise<void> = Promise.resolve();

  function serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = lock.then(fn, fn);
    lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  function call(target: string, body: Json, authHeaders: IncomingHttpHeaders): Promise<DynaliteReply> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: backendUrl.hostname,
          port: backendUrl.port,
          method: 'POST',
          path: '/',
          headers: {
            'content-type': JSON_10,
            'content-length': Buffer.byteLength(payload),
            'x-amz-target': `${TARGET_PREFIX}${target}`,
            // dynalite checks that these are present and well-formed, not the signature itself.
            authorization: authHeaders.authorization ?? '',
            'x-amz-date': authHeaders['x-amz-date'] ?? '',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 500, body: text ? (JSON.parse(text) as Json) : {} });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async function keyNames(table: string, auth: IncomingHttpHeaders): Promise<string[]> {
    let names = keySchemas.get(table);
    if (!names) {
      const reply = await call('DescribeTable', { TableName: table }, auth);
      if (reply.status !== 200) throw Object.assign(new Error('describe failed'), { reply });
      const schema = (reply.body.Table as { KeySchema: { AttributeName: string }[] }).KeySchema;
      names = schema.map((k) => k.AttributeName);
      keySchemas.set(table, names);
    }
    return names;
  }

  interface Op {
    readonly kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
    readonly table: string;
    readonly key: AttributeMap;
    readonly params: Json;
  }

  async function transactWrite(body: Json, auth: IncomingHttpHeaders): Promise<DynaliteReply> {
    stats.transactWrites++;
    const items = body.TransactItems;
    if (!Array.isArray(items) || items.length === 0 || items.length > 100) {
      return validation('Member must have length less than or equal to 100 and greater than or equal to 1: TransactItems');
    }
    const ops: Op[] = [];
    for (const raw of items as Json[]) {
      const kinds = Object.keys(raw) as Op['kind'][];
      if (kinds.length !== 1) return validation('TransactItems can only contain one of Check, Put, Update or Delete');
      const kind = kinds[0];
      const params = raw[kind] as Json;
      const table = params.TableName as string;
      let key: AttributeMap;
      try {
        const names = await keyNames(table, auth);
        const source = (kind === 'Put' ? params.Item : params.Key) as AttributeMap;
        key = Object.fromEntries(names.map((n) => [n, source[n]]));
      } catch {
        return { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'Requested resource not found' } };
      }
      ops.push({ kind, table, key, params });
    }
    const identities = ops.map((o) => `${o.table}\u0000${JSON.stringify(o.key)}`);
    if (new Set(identities).size !== identities.length) {
      return validation('Transaction request cannot include multiple operations on one item');
    }

    // Distinct items (checked above) are independent: read, apply and roll back in parallel, while
    // the global lock keeps every other request out.
    const priorReplies = await Promise.all(ops.map((op) => call('GetItem', { TableName: op.table, Key: op.key, ConsistentRead: true }, auth)));
    const failedRead = priorReplies.find((reply) => reply.status !== 200);
    if (failedRead) return failedRead;
    const prior = priorReplies.map((reply) => reply.body.Item as AttributeMap | undefined);

    const replies = await Promise.all(
      ops.map((op) => {
        const common = pick(op.params, ['TableName', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues']);
        switch (op.kind) {
          case 'Put':
            return call('PutItem', { ...common, Item: op.params.Item }, auth);
          case 'Update':
            return call('UpdateItem', { ...common, Key: op.key, UpdateExpression: op.params.UpdateExpression }, auth);
          case 'Delete':
            return call('DeleteItem', { ...common, Key: op.key }, auth);
          case 'ConditionCheck':
            return call(
              'UpdateItem',
              {
                ...common,
                Key: op.key,
                UpdateExpression: 'REMOVE #txcheck',
                ExpressionAttributeNames: { ...((common.ExpressionAttributeNames as Json) ?? {}), '#txcheck': '__transaction_check' },
              },
              auth,
            );
        }
      }),
    );
    const reasons: Json[] = ops.map(() => ({ Code: 'None' }));
    let cancelled = false;
    let fatal: DynaliteReply | undefined;
    replies.forEach((reply, i) => {
      if (reply.status === 200) return;
      if (String(reply.body.__type ?? '').endsWith('ConditionalCheckFailedException')) {
        cancelled = true;
        reasons[i] = {
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          ...(ops[i].params.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && prior[i] ? { Item: prior[i] } : {}),
        };
      } else {
        fatal ??= reply;
      }
    });

    const rollback = cancelled || fatal !== undefined;
    // Undo what was applied; condition checks are always undone (they may have created a key-only item).
    const undo = ops
      .map((op, i) => ({ op, i }))
      .filter(({ op, i }) => replies[i].status === 200 && (rollback || op.kind === 'ConditionCheck') && !(op.kind === 'ConditionCheck' && prior[i]));
    const restores = await Promise.all(
      undo.map(({ op, i }) =>
        prior[i] ? call('PutItem', { TableName: op.table, Item: prior[i] }, auth) : call('DeleteItem', { TableName: op.table, Key: op.key }, auth),
      ),
    );
    const badRestore = restores.find((reply) => reply.status !== 200);
    if (badRestore) throw new Error(`rollback failed: ${JSON.stringify(badRestore.body)}`);
    if (fatal) return fatal;
    if (cancelled) {
      stats.cancelled++;
      return {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
          message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
          CancellationReasons: reasons,
        },
      };
    }
    return { status: 200, body: {} };
  }

  async function transactGet(body: Json, auth: IncomingHttpHeaders): Promise<DynaliteReply> {
    const items = (body.TransactItems ?? []) as { Get: Json }[];
    const responses: Json[] = [];
    for (const { Get } of items) {
      const reply = await call('GetItem', { ...Get, ConsistentRead: true }, auth);
      if (reply.status !== 200) return reply;
      responses.push(reply.body.Item ? { Item: reply.body.Item } : {});
    }
    return { status: 200, body: { Responses: responses } };
  }

  function forward(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const headers = { ...req.headers, host: backendUrl.host };
      const upstream = httpRequest({ host: backendUrl.hostname, port: backendUrl.port, method: req.method, path: req.url, headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 500, reply.headers);
        reply.pipe(res);
        reply.on('end', resolve);
        reply.on('error', () => resolve());
      });
      upstream.on('error', () => {
        res.statusCode = 502;
        res.end();
        resolve();
      });
      upstream.end(body);
    });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      stats.requests++;
      const target = String(req.headers['x-amz-target'] ?? '');
      void serialised(async () => {
        try {
          if (target === `${TARGET_PREFIX}TransactWriteItems` || target === `${TARGET_PREFIX}TransactGetItems`) {
            const parsed = JSON.parse(body.toString('utf8')) as Json;
            const reply = target.endsWith('TransactWriteItems') ? await transactWrite(parsed, req.headers) : await transactGet(parsed, req.headers);
            const text = JSON.stringify(reply.body);
            res.writeHead(reply.status, { 'content-type': JSON_10, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': `tx-${stats.requests}` });
            res.end(text);
          } else {
            await forward(req, body, res);
          }
        } catch (error) {
          const text = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) });
          res.writeHead(500, { 'content-type': JSON_10 });
          res.end(text);
        }
      });
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await backend.close();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  let closed: Promise<void> | undefined;

  return {
    endpoint,
    stats,
    client() {
      const c = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
      clients.push(c);
      return c;
    },
    async createRegistryTable(name) {
      await backend.createTable({
        TableName: name,
        KeySchema: [
          { AttributeName: REGISTRY_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: REGISTRY_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: REGISTRY_TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: REGISTRY_TABLE_KEYS.sortKey, AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      });
    },
    createTable(input) {
      return backend.createTable(input);
    },
    close() {
      closed ??= (async () => {
        clients.forEach((c) => c.destroy());
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await backend.close();
      })();
      return closed;
    },
  };
}

function pick(source: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}

function validation(message: string): DynaliteReply {
  return { status: 400, body: { __type: 'com.amazon.coral.validate#ValidationException', message } };
}
