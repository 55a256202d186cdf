/**
 * The online store (DynamoDB): latest feature values per entity.
 *
 * Item (table `FS_ONLINE_TABLE`, partition key `pk`):
 *   pk          `<group>#<entity key values joined by |>`
 *   group       group name
 *   entity      map of entity key column → value
 *   features    map of stored feature → value (null allowed; `pii: drop` features absent)
 *   event_time  epoch milliseconds of the row's event time
 *   expires_at  epoch seconds = event time + onlineTtlSeconds (only when the group has a TTL; the
 *               table's TTL attribute)
 *   written_at  epoch milliseconds of the write
 *
 * Writes are conditional PutItems (`attribute_not_exists(pk) OR event_time < :t`), so an older row
 * never replaces a newer one, whatever the order files arrive in. BatchWriteItem is not used: it
 * cannot be conditional.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { HttpError } from '../../core/runtime/http-app';
import { TABLE_KEYS, type FeatureGroup } from '../feature-group';
import type { ScalarValue, ValidRow } from './rows';

export interface OnlineItem {
  readonly pk: string;
  readonly group: string;
  readonly entity: Record<string, string | number>;
  readonly features: Record<string, ScalarValue>;
  readonly event_time: number;
  readonly expires_at?: number;
  readonly written_at: number;
}

/** `<group>#<entity key values joined by |>`. */
export function onlinePartitionKey(group: string, entityKey: string): string {
  return `${group}#${entityKey}`;
}

/** A DocumentClient over `client` that converts JS values to DynamoDB types and back. */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects with the first error. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface OnlineWriteStats {
  /** Items written (new entity, or newer than the stored value). */
  written: number;
  /** Items not written because the stored value is as new or newer. */
  stale: number;
}

export interface OnlineWriterOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  readonly group: FeatureGroup;
  /** Entities kept in memory before a flush. Default 10,000. */
  readonly maxEntities?: number;
  /** Conditional PutItems in flight. Default 16. */
  readonly concurrency?: number;
  readonly now: () => Date;
}

/**
 * Collects the latest row per entity (greatest event time; the first row wins ties) and writes them
 * conditionally. Memory is bounded: after `maxEntities` distinct entities it flushes, which only
 * costs extra writes (conditions keep the newest value).
 */
export class OnlineWriter {
  private latest = new Map<string, ValidRow>();
  readonly stats: OnlineWriteStats = { written: 0, stale: 0 };
  /** Time spent in flushes, in milliseconds. */
  flushMs = 0;
  private readonly maxEntities: number;
  private readonly concurrency: number;

  constructor(private readonly options: OnlineWriterOptions) {
    this.maxEntities = options.maxEntities ?? 10_000;
    this.concurrency = options.concurrency ?? 16;
  }

  /** Offers a valid row; returns true when `flush()` should be awaited. */
  offer(row: ValidRow): boolean {
    const current = this.latest.get(row.entityKey);
    if (!current || row.eventTimeMs > current.eventTimeMs) this.latest.set(row.entityKey, row);
    return this.latest.size >= this.maxEntities;
  }

  async flush(): Promise<void> {
    const started = performance.now();
    try {
      await this.write([...this.latest.values()]);
    } finally {
      this.flushMs += performance.now() - started;
    }
  }

  private async write(rows: ValidRow[]): Promise<void> {
    this.latest = new Map();
    const { doc, table, group } = this.options;
    const writtenAt = this.options.now().getTime();
    await mapLimit(rows, this.concurrency, async (row) => {
      const item: OnlineItem = {
        pk: onlinePartitionKey(group.name, row.entityKey),
        group: group.name,
        entity: { ...row.entities },
        features: { ...row.features },
        event_time: row.eventTimeMs,
        ...(group.onlineTtlSeconds === undefined ? {} : { expires_at: Math.floor(row.eventTimeMs / 1000) + group.onlineTtlSeconds }),
        written_at: writtenAt,
      };
      try {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk) OR #t < :t',
            ExpressionAttributeNames: { '#pk': TABLE_KEYS.online.partitionKey, '#t': 'event_time' },
            ExpressionAttributeValues: { ':t': row.eventTimeMs },
          }),
        );
        this.stats.written++;
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
        this.stats.stale++;
      }
    });
  }
}

export interface BatchGetOptions {
  /** Attempts per chunk for unprocessed keys (first call included). Default 8. */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles per attempt (with jitter), capped at 1 s. Default 25 ms. */
  readonly baseDelayMs?: number;
  /** Chunks in flight. Default 4. */
  readonly concurrency?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads items by partition key with BatchGetItem: keys de-duplicated, chunks of 100, unprocessed
 * keys retried with exponential backoff. Throws 503 `online_store_throttled` when keys are still
 * unprocessed after `maxAttempts`.
 */
export async function batchGetOnline(
  doc: DynamoDBDocumentClient,
  table: string,
  pks: readonly string[],
  options: BatchGetOptions = {},
): Promise<Map<string, OnlineItem>> {
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelay = options.baseDelayMs ?? 25;
  const sleep = options.sleep ?? defaultSleep;
  const unique = [...new Set(pks)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += 100) chunks.push(unique.slice(i, i + 100));
  const found = new Map<string, OnlineItem>();
  const keyName = TABLE_KEYS.online.partitionKey;
  await mapLimit(chunks, options.concurrency ?? 4, async (chunk) => {
    let keys: Record<string, unknown>[] = chunk.map((pk) => ({ [keyName]: pk }));
    for (let attempt = 1; ; attempt++) {
      const out = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
      for (const item of out.Responses?.[table] ?? []) found.set(item[keyName] as string, item as OnlineItem);
      const unprocessed = out.UnprocessedKeys?.[table]?.Keys ?? [];
      if (unprocessed.length === 0) return;
      if (attempt >= maxAttempts) {
        throw new HttpError(503, 'online_store_throttled', 'the online store is throttling reads; retry later');
      }
      keys = unprocessed;
      const delay = Math.min(1000, baseDelay * 2 ** (attempt - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  });
  return found;
}
