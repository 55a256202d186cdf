/**
 * Lambda entrypoint of the model registry (API Gateway HTTP API, payload v2, IAM authorization).
 *
 * Environment: `MR_METADATA_TABLE`, `MR_AUDIT_TABLE`, `MR_ARTIFACT_BUCKET`, `MR_EVENT_BUS_NAME`,
 * `MR_CONFIG` (all required; an invalid configuration fails the cold start), optional
 * `MR_BASE_PATH`. No credentials are needed at module load: the SDK clients resolve them on the
 * first request.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { toLambdaHandler } from '../../core/runtime/lambda-http';
import { loadRegistryEnv } from './env';
import { EventBridgePublisher } from './events';
import { createRegistryApp } from './registry-app';

const env = loadRegistryEnv(process.env, { requireEventBus: true });

export const handler = toLambdaHandler(
  createRegistryApp({
    dynamo: new DynamoDBClient({}),
    s3: new S3Client({}),
    events: new EventBridgePublisher(new EventBridgeClient({}), env.eventBusName!),
    config: env.config as never,
    metadataTable: env.metadataTable,
    auditTable: env.auditTable,
    artifactBucket: env.artifactBucket,
    basePath: env.basePath,
  }),
);
