/**
 * The DynamoDB tables of a feature store as CreateTable inputs, for local and test environments
 * (embedded dynalite, the local playground). In AWS the FeatureStore construct creates them; both
 * follow TABLE_KEYS.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../feature-group';

/** The online table: partition key `pk`. */
export function onlineTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    KeySchema: [{ AttributeName: TABLE_KEYS.online.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: TABLE_KEYS.online.partitionKey, AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** The versions table: partition key `group`, sort key `sk`. */
export function versionsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    KeySchema: [
      { AttributeName: TABLE_KEYS.versions.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.versions.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.versions.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.versions.sortKey, AttributeType: 'S' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}
