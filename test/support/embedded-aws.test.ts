import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { startDynamo, startS3 } from './embedded-aws';

describe('embedded AWS services', () => {
  it('start, serve real SDK clients, and stop', async () => {
    const [s3, ddb] = await Promise.all([startS3(), startDynamo()]);
    try {
      await s3.createBucket('probe-bucket');
      expect((await s3.client().send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain('probe-bucket');
      await ddb.createTable({
        TableName: 'probe-table',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
      expect((await ddb.client().send(new ListTablesCommand({}))).TableNames).toEqual(['probe-table']);
    } finally {
      await Promise.all([s3.close(), ddb.close()]);
    }
  });
});
