import type { PolicyRule } from '../types';
import { customerManagedKeyProblems, firstBlock, hasPreventDestroy, isTrue } from './helpers';

const TABLE = ['aws_dynamodb_table'] as const;

export const dynamodbPointInTimeRecovery: PolicyRule = {
  id: 'GAI-DDB-001',
  severity: 'error',
  title: 'DynamoDB tables have point-in-time recovery enabled',
  rationale: 'Point-in-time recovery restores the table to any second of the last 35 days after a bad write, a buggy migration or a deletion of items.',
  fix: 'Set point_in_time_recovery { enabled = true } on the aws_dynamodb_table.',
  appliesTo: TABLE,
  check: (table) => {
    const pitr = firstBlock(table.config.point_in_time_recovery);
    if (!pitr) return ['has no point_in_time_recovery block, so point-in-time recovery is off'];
    return isTrue(pitr.enabled) ? [] : ['point_in_time_recovery.enabled is not true'];
  },
};

export const dynamodbKmsEncryption: PolicyRule = {
  id: 'GAI-DDB-002',
  severity: 'error',
  title: 'DynamoDB tables are encrypted with a customer-managed KMS key',
  rationale:
    'By default DynamoDB encrypts with an AWS-owned key that no key policy or CloudTrail entry covers; a customer-managed key makes reading the data depend on a key you control and audit.',
  fix: 'Set server_side_encryption { enabled = true, kms_key_arn = <key ARN> } on the aws_dynamodb_table (an EncryptionKey\'s keyArn).',
  appliesTo: TABLE,
  check: (table) => {
    const sse = firstBlock(table.config.server_side_encryption);
    if (!sse || !isTrue(sse.enabled)) return ['server_side_encryption.enabled is not true, so the table is encrypted with an AWS-owned key'];
    return customerManagedKeyProblems(sse.kms_key_arn, 'server_side_encryption.kms_key_arn', 'the AWS-managed key aws/dynamodb');
  },
};

export const dynamodbDeletionProtection: PolicyRule = {
  id: 'GAI-DDB-003',
  severity: 'error',
  title: 'DynamoDB tables have deletion protection (outside ephemeral environments)',
  rationale: 'Deletion protection makes DynamoDB refuse DeleteTable from any caller, Terraform or console, until it is turned off.',
  fix: 'Set deletion_protection_enabled = true on the aws_dynamodb_table.',
  appliesTo: TABLE,
  check: (table, ctx) =>
    ctx.ephemeral || isTrue(table.config.deletion_protection_enabled) ? [] : ['deletion_protection_enabled is not true'],
};

export const dynamodbPreventDestroy: PolicyRule = {
  id: 'GAI-DDB-004',
  severity: 'error',
  title: 'DynamoDB tables are protected by prevent_destroy (outside ephemeral environments)',
  rationale: 'prevent_destroy makes Terraform refuse any plan that would destroy or replace the table, which a changed key schema or name would otherwise do silently.',
  fix: 'Set lifecycle { prevent_destroy = true } on the aws_dynamodb_table (protectFromDestroy does this outside ephemeral environments).',
  appliesTo: TABLE,
  check: (table, ctx) => (ctx.ephemeral || hasPreventDestroy(table) ? [] : ['lifecycle.prevent_destroy is not true']),
};

export const DYNAMODB_RULES: readonly PolicyRule[] = [
  dynamodbPointInTimeRecovery,
  dynamodbKmsEncryption,
  dynamodbDeletionProtection,
  dynamodbPreventDestroy,
];
