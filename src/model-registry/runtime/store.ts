/**
 * DynamoDB access for the registry: key design, item types, reads, and the transaction runner.
 *
 * Metadata table (pk / sk, strings):
 * | item            | pk                        | sk                     |
 * |-----------------|---------------------------|------------------------|
 * | registered model| `MODELS`                  | `MODEL#<modelId>`      |
 * | name → id       | `NAME#<name>`             | `NAME`                 |
 * | model version   | `MODEL#<modelId>`         | `VERSION#<10 digits>`  |
 * | version lineage | `MODEL#<modelId>`         | `LINEAGE#<10 digits>`  |
 * | idempotency     | `IDEMPOTENCY#<sha256>`    | `IDEMPOTENCY`          |
 *
 * The model id is a random UUID that never changes, so a rename rewrites three items (model,
 * old and new name pointer) whatever the number of versions, and versions, lineage and aliases
 * follow automatically. Every write is one `TransactWriteItems` (data items + audit items), with
 * optimistic concurrency on a `rev` attribute; conflicts are retried with jittered backoff.
 *
 * Audit table: pk `NAME#<model name at the time>`, sk `<13-digit epoch ms>#<6-digit seq>#<uuid>#<n>`; items are only
 * ever created (`attribute_not_exists(pk)`), never updated or deleted by the runtime.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { RegistryError } from './errors';
import type { Review } from './governance';
import type { LineageFields } from './lineage';
import type { Stage } from './validation';

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

const pad = (version: number): string => String(version).padStart(10, '0');

export const keys = {
  model: (modelId: string): Key => ({ pk: 'MODELS', sk: `MODEL#${modelId}` }),
  name: (name: string): Key => ({ pk: `NAME#${name}`, sk: 'NAME' }),
  version: (modelId: string, version: number): Key => ({ pk: `MODEL#${modelId}`, sk: `VERSION#${pad(version)}` }),
  lineage: (modelId: string, version: number): Key => ({ pk: `MODEL#${modelId}`, sk: `LINEAGE#${pad(version)}` }),
  idempotency: (hash: string): Key => ({ pk: `IDEMPOTENCY#${hash}`, sk: 'IDEMPOTENCY' }),
  auditPartition: (name: string): string => `NAME#${name}`,
};

export interface ModelItem extends Key {
  readonly type: 'model';
  readonly modelId: string;
  readonly name: string;
  readonly description?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** alias → version number */
  readonly aliases: Readonly<Record<string, number>>;
  /** stage → highest version number currently in that stage */
  readonly latestByStage: Readonly<Partial<Record<Stage, number>>>;
  /** Highest version number ever allocated (the version counter). */
  readonly lastVersion: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly createdBy: string;
  /** Optimistic-lock revision, incremented by every write of this item. */
  readonly rev: number;
}

export interface NameItem extends Key {
  readonly type: 'name';
  readonly modelId: string;
}

export interface VersionItem extends Key {
  readonly type: 'version';
  readonly modelId: string;
  readonly version: number;
  readonly source: string;
  readonly runId?: string;
  readonly runLink?: string;
  readonly description?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly stage: Stage;
  readonly status: 'READY';
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The latest approve / reject decision. */
  readonly review?: Review;
  readonly rev: number;
}

export interface LineageItem extends Key {
  readonly type: 'lineage';
  readonly modelId: string;
  readonly version: number;
  readonly fields: Partial<LineageFields>;
  readonly revision: number;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface IdempotencyItem extends Key {
  readonly type: 'idempotency';
  readonly operation: string;
  readonly requestHash: string;
  /** The JSON response body of the original call. */
  readonly response: string;
  readonly createdAt: number;
  /** Epoch seconds; enable DynamoDB TTL on `ttl` to expire these records. */
  readonly ttl: number;
}

export interface AuditItem extends Key {
  readonly type: 'audit';
  readonly auditId: string;
  readonly timestamp: number;
  readonly principal: string;
  readonly action: string;
  readonly modelName: string;
  readonly modelId: string;
  readonly version?: number;
  readonly requestId: string;
  readonly before: unknown;
  readonly after: unknown;
  /** The caller's stated reason, for changes that take one (withdraw). */
  readonly reason?: string;
  /** The events this change published (or tried to): the replay source if publishing failed. */
  readonly events?: readonly { readonly detailType: string; readonly detail: unknown }[];
}

export type TxWrite = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One item of a transaction; `onConditionFailed` turns a failed condition into an API error. */
export interface TxOp {
  readonly write: TxWrite;
  /** Undefined: the failure is an optimistic-concurrency conflict and the whole operation is retried. */
  readonly onConditionFailed?: () => Error;
}

/** An optimistic-concurrency conflict; the operation is re-read and retried. */
export class ConflictError extends Error {
  constructor(message = 'concurrent modification') {
    super(message);
    this.name = 'ConflictError';
  }
}

export const MAX_TRANSACTION_ITEMS = 100;

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 40, baseDelayMs: 10, maxDelayMs: 400 };

/** Runs `attempt` until it does not throw `ConflictError`, with full-jitter exponential backoff. */
export async function withConflictRetries<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      if (n >= policy.maxAttempts) {
        throw new RegistryError('TEMPORARILY_UNAVAILABLE', 'The resource is being modified concurrently; retry the request.');
      }
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(n, 16));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
    }
  }
}

export class RegistryStore {
  readonly doc: DynamoDBDocumentClient;

  constructor(
    dynamo: DynamoDBClient,
    readonly metadataTable: string,
    readonly auditTable: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      unmarshallOptions: { wrapNumbers: false },
    });
  }

  async get<T>(key: Key, table: string = this.metadataTable): Promise<T | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return out.Item as T | undefined;
  }

  async modelByName(name: string): Promise<ModelItem | undefined> {
    const pointer = await this.get<NameItem>(keys.name(name));
    if (!pointer) return undefined;
    return this.get<ModelItem>(keys.model(pointer.modelId));
  }

  /** All items of a partition whose sk starts with `prefix` (every page). */
  async queryAll<T>(pk: string, prefix: string): Promise<T[]> {
    const out: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.metadataTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...((page.Items ?? []) as T[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  listModels(): Promise<ModelItem[]> {
    return this.queryAll<ModelItem>('MODELS', 'MODEL#');
  }

  listVersions(modelId: string): Promise<VersionItem[]> {
    return this.queryAll<VersionItem>(`MODEL#${modelId}`, 'VERSION#');
  }

  /** Items by key, in no particular order; missing ones are left out. */
  async batchGet<T>(itemKeys: readonly Key[]): Promise<T[]> {
    const out: T[] = [];
    const unique = [...new Map(itemKeys.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [this.metadataTable]: { Keys: unique.slice(i, i + 100).map((k) => ({ pk: k.pk, sk: k.sk })), ConsistentRead: true },
      };
      for (let round = 0; request && Object.keys(request).length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** round)));
        if (round > 8) throw new RegistryError('TEMPORARILY_UNAVAILABLE', 'The metadata table is throttling reads; retry the request.');
        const page = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
        out.push(...((page.Responses?.[this.metadataTable] ?? []) as T[]));
        request = page.UnprocessedKeys as typeof request;
      }
    }
    return out;
  }

  /** Best-effort bulk delete (used for unreachable items after a model was deleted). */
  async deleteAll(itemKeys: readonly Key[]): Promise<void> {
    for (let i = 0; i < itemKeys.length; i += 25) {
      let request: Record<string, { DeleteRequest: { Key: Record<string, unknown> } }[]> | undefined = {
        [this.metadataTable]: itemKeys.slice(i, i + 25).map((k) => ({ DeleteRequest: { Key: { pk: k.pk, sk: k.sk } } })),
      };
      for (let round = 0; request && Object.keys(request).length > 0 && round < 8; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
        const out = await this.doc.send(new BatchWriteCommand({ RequestItems: request }));
        request = out.UnprocessedItems as typeof request;
      }
    }
  }

  async queryAudit(name: string, limit: number, afterSk: string | undefined): Promise<{ items: AuditItem[]; lastSk?: string }> {
    const pk = keys.auditPartition(name);
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.auditTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: true,
        ConsistentRead: true,
        Limit: limit,
        ExclusiveStartKey: afterSk === undefined ? undefined : { pk, sk: afterSk },
      }),
    );
    const lastSk = out.LastEvaluatedKey?.sk;
    return { items: (out.Items ?? []) as AuditItem[], lastSk: typeof lastSk === 'string' ? lastSk : undefined };
  }

  /**
   * Commits `ops` atomically. A failed condition of an op with `onConditionFailed` throws that
   * error; any other failed condition or a transaction conflict throws `ConflictError`.
   */
  async transact(ops: readonly TxOp[]): Promise<void> {
    if (ops.length > MAX_TRANSACTION_ITEMS) {
      throw new RegistryError('INVALID_PARAMETER_VALUE', `This change would touch ${ops.length} items; at most ${MAX_TRANSACTION_ITEMS} can change atomically.`);
    }
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: ops.map((o) => o.write) }));
    } catch (error) {
      const name = (error as { name?: string } | null)?.name;
      if (name !== 'TransactionCanceledException') throw error;
      const reasons = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r?.Code ?? 'None');
      for (let i = 0; i < reasons.length; i++) {
        if (reasons[i] === 'ConditionalCheckFailed' && ops[i]?.onConditionFailed) throw ops[i].onConditionFailed!();
      }
      if (reasons.some((r) => r === 'ConditionalCheckFailed' || r === 'TransactionConflict')) throw new ConflictError();
      if (reasons.some((r) => r === 'ThrottlingError' || r === 'ProvisionedThroughputExceeded')) {
        throw new RegistryError('TEMPORARILY_UNAVAILABLE', 'The registry tables are throttling writes; retry the request.');
      }
      throw error;
    }
  }

  // ---- transaction op builders ----

  putNew(item: Key & Record<string, unknown>, onConditionFailed?: () => Error, table: string = this.metadataTable): TxOp {
    return {
      write: { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      onConditionFailed: onConditionFailed ?? (() => new ConflictError('item already exists')),
    };
  }

  /** Replaces an item that must still be at revision `expectedRev`. */
  putIfRev(item: Key & { rev: number } & Record<string, unknown>, expectedRev: number): TxOp {
    return {
      write: {
        Put: {
          TableName: this.metadataTable,
          Item: item,
          ConditionExpression: '#rev = :rev',
          ExpressionAttributeNames: { '#rev': 'rev' },
          ExpressionAttributeValues: { ':rev': expectedRev },
        },
      },
    };
  }

  deleteIfRev(key: Key, expectedRev: number): TxOp {
    return {
      write: {
        Delete: {
          TableName: this.metadataTable,
          Key: { pk: key.pk, sk: key.sk },
          ConditionExpression: '#rev = :rev',
          ExpressionAttributeNames: { '#rev': 'rev' },
          ExpressionAttributeValues: { ':rev': expectedRev },
        },
      },
    };
  }

  deleteIfModelId(key: Key, modelId: string): TxOp {
    return {
      write: {
        Delete: {
          TableName: this.metadataTable,
          Key: { pk: key.pk, sk: key.sk },
          ConditionExpression: 'modelId = :id',
          ExpressionAttributeValues: { ':id': modelId },
        },
      },
    };
  }

  deleteUnconditionally(key: Key): TxOp {
    return { write: { Delete: { TableName: this.metadataTable, Key: { pk: key.pk, sk: key.sk } } } };
  }

  /** The item must (still) be at revision `rev` — or, for `rev` undefined, must exist. */
  checkRev(key: Key, rev: number | undefined, attribute = 'rev'): TxOp {
    return {
      write: {
        ConditionCheck: {
          TableName: this.metadataTable,
          Key: { pk: key.pk, sk: key.sk },
          ...(rev === undefined
            ? { ConditionExpression: 'attribute_exists(pk)' }
            : { ConditionExpression: '#rev = :rev', ExpressionAttributeNames: { '#rev': attribute }, ExpressionAttributeValues: { ':rev': rev } }),
        },
      },
    };
  }

  /** The lineage item must still be at `revision` (0 = must not exist). */
  checkLineage(key: Key, revision: number): TxOp {
    return revision === 0
      ? { write: { ConditionCheck: { TableName: this.metadataTable, Key: { pk: key.pk, sk: key.sk }, ConditionExpression: 'attribute_not_exists(pk)' } } }
      : this.checkRev(key, revision, 'revision');
  }

  /** Allocates version `next` on the model: the counter must still be `next - 1`. */
  allocateVersion(model: ModelItem, next: number, now: number): TxOp {
    return {
      write: {
        Update: {
          TableName: this.metadataTable,
          Key: { pk: model.pk, sk: model.sk },
          UpdateExpression: 'SET #last = :next, #updated = :now, #latest.#none = :next ADD #rev :one',
          ConditionExpression: '#last = :prev',
          ExpressionAttributeNames: { '#last': 'lastVersion', '#updated': 'updatedAt', '#latest': 'latestByStage', '#none': 'None', '#rev': 'rev' },
          ExpressionAttributeValues: { ':next': next, ':prev': next - 1, ':now': now, ':one': 1 },
        },
      },
    };
  }
}

/** SHA-256 hex of the parts joined by newlines. */
export function sha256Hex(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}
