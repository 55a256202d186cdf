import type { PolicyRule } from '../types';
import { APIGATEWAY_RULES } from './apigateway';
import { ATHENA_RULES } from './athena';
import { EKS_RULES } from './eks';
import { NETWORK_RULES } from './network';
import { EVENTBRIDGE_RULES } from './eventbridge';
import { GLUE_RULES } from './glue';
import { SECRETSMANAGER_RULES } from './secretsmanager';
import { DYNAMODB_RULES } from './dynamodb';
import { ECR_RULES } from './ecr';
import { IAM_RULES } from './iam';
import { KMS_RULES } from './kms';
import { LAMBDA_RULES } from './lambda';
import { LOGS_RULES } from './logs';
import { S3_RULES } from './s3';
import { SQS_RULES } from './sqs';
import { CLOUDWATCH_RULES } from './cloudwatch';
import { HELM_RULES } from './helm';
import { KUBERNETES_RULES } from './kubernetes';
import { SNS_RULES } from './sns';

export * from './apigateway';
export * from './athena';
export * from './eks';
export * from './network';
export * from './eventbridge';
export * from './glue';
export * from './secretsmanager';
export * from './dynamodb';
export * from './ecr';
export * from './iam';
export * from './kms';
export * from './lambda';
export * from './logs';
export * from './s3';
export * from './sqs';
export * from './cloudwatch';
export * from './helm';
export * from './kubernetes';
export * from './sns';
export { UNSCOPABLE_ACTIONS, isUnscopableAction } from './unscopable-actions';

/** Every rule of the core policy pack. */
export const CORE_RULES: readonly PolicyRule[] = [
  ...S3_RULES,
  ...DYNAMODB_RULES,
  ...KMS_RULES,
  ...LAMBDA_RULES,
  ...LOGS_RULES,
  ...ECR_RULES,
  ...SQS_RULES,
  ...IAM_RULES,
  ...APIGATEWAY_RULES,
  ...GLUE_RULES,
  ...ATHENA_RULES,
  ...SECRETSMANAGER_RULES,
  ...EVENTBRIDGE_RULES,
  ...EKS_RULES,
  ...NETWORK_RULES,
  ...KUBERNETES_RULES,
  ...HELM_RULES,
  ...SNS_RULES,
  ...CLOUDWATCH_RULES,
];
