/**
 * Rollout state in DynamoDB: one item per InferenceService (`pk` = `SERVICE#<namespace>/<configMap>`),
 * the state as a JSON string, written only with a condition on its revision (`rev`), so two
 * invocations never both act on the same state: the loser re-reads and decides again.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { INITIAL_STATE, type RolloutState } from './rollout-machine';

/** The table's partition key attribute. */
export const ROLLOUT_TABLE_KEY = 'pk';

/** Thrown when the item changed since it was read. */
export class RolloutStateConflict extends Error {
  constructor(key: string, rev: number) {
    super(`rollout state ${key} changed since revision ${rev}`);
    this.name = 'RolloutStateConflict';
  }
}

export class RolloutStore {
  private readonly doc: DynamoDBDocumentClient;
  readonly key: string;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    service: { namespace: string; configMap: string },
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
    this.key = `SERVICE#${service.namespace}/${service.configMap}`;
  }

  /** The current state (strongly consistent read); the initial state when none was written. */
  async load(): Promise<RolloutState> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [ROLLOUT_TABLE_KEY]: this.key }, ConsistentRead: true }));
    if (!out.Item) return INITIAL_STATE;
    const state = JSON.parse(String(out.Item.state)) as Omit<RolloutState, 'rev'>;
    return { ...state, rev: Number(out.Item.rev) };
  }

  /** Writes `next` if the stored revision is still `next.rev`; returns the state with its new revision. */
  async save(next: RolloutState): Promise<RolloutState> {
    const { rev, ...body } = next;
    const saved: RolloutState = { ...next, rev: rev + 1 };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [ROLLOUT_TABLE_KEY]: this.key, rev: rev + 1, state: JSON.stringify(body), updatedAt: new Date().toISOString() },
          ...(rev === 0
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': ROLLOUT_TABLE_KEY } }
            : { ConditionExpression: '#rev = :rev', ExpressionAttributeNames: { '#rev': 'rev' }, ExpressionAttributeValues: { ':rev': rev } }),
        }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') throw new RolloutStateConflict(this.key, rev);
      throw error;
    }
    return saved;
  }
}
