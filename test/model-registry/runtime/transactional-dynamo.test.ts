/** The test-support transaction proxy behaves like DynamoDB's TransactWriteItems (all or nothing). */
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TransactionalDynamo, startTransactionalDynamo } from './support/transactional-dynamo';

let d: TransactionalDynamo;
let doc: DynamoDBDocumentClient;
const T = 'tx-table';

beforeAll(async () => {
  d = await startTransactionalDynamo();
  await d.createRegistryTable(T);
  doc = DynamoDBDocumentClient.from(d.client());
});

afterAll(async () => {
  await d?.close();
});

const get = async (pk: string) => (await doc.send(new GetCommand({ TableName: T, Key: { pk, sk: 's' }, ConsistentRead: true }))).Item;

describe('transaction proxy', () => {
  it('commits all items, or none with CancellationReasons per item', async () => {
    await doc.send(new PutCommand({ TableName: T, Item: { pk: 'a', sk: 's', n: 1 } }));
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: { TableName: T, Key: { pk: 'a', sk: 's' }, UpdateExpression: 'SET n = n + :one', ConditionExpression: 'n = :one', ExpressionAttributeValues: { ':one': 1 } } },
          { Put: { TableName: T, Item: { pk: 'b', sk: 's', n: 1 }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
    expect(await get('a')).toMatchObject({ n: 2 });
    expect(await get('b')).toMatchObject({ n: 1 });

    const error = (await doc
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: T, Key: { pk: 'a', sk: 's' }, UpdateExpression: 'SET n = :ten', ExpressionAttributeValues: { ':ten': 10 } } },
            { Delete: { TableName: T, Key: { pk: 'b', sk: 's' } } },
            { Put: { TableName: T, Item: { pk: 'c', sk: 's' } } },
            { ConditionCheck: { TableName: T, Key: { pk: 'z', sk: 's' }, ConditionExpression: 'attribute_exists(pk)' } },
          ],
        }),
      )
      .catch((e: unknown) => e)) as { name: string; CancellationReasons: { Code: string }[] };
    expect(error.name).toBe('TransactionCanceledException');
    expect(error.CancellationReasons.map((r) => r.Code)).toEqual(['None', 'None', 'None', 'ConditionalCheckFailed']);
    expect(await get('a')).toMatchObject({ n: 2 });
    expect(await get('b')).toMatchObject({ n: 1 });
    expect(await get('c')).toBeUndefined();
    expect(await get('z')).toBeUndefined();
  });

  it('leaves no trace of passing condition checks and refuses two operations on one item', async () => {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { ConditionCheck: { TableName: T, Key: { pk: 'nope', sk: 's' }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: T, Item: { pk: 'd', sk: 's' } } },
        ],
      }),
    );
    expect(await get('nope')).toBeUndefined();
    expect(await get('d')).toBeDefined();
    const dup = (await doc
      .send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: T, Item: { pk: 'e', sk: 's' } } }, { Delete: { TableName: T, Key: { pk: 'e', sk: 's' } } }] }))
      .catch((e: unknown) => e)) as Error;
    expect(dup.name).toBe('ValidationException');
    expect(await get('e')).toBeUndefined();
  });
});
