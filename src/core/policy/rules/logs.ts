import type { PolicyRule } from '../types';
import { customerManagedKeyProblems, isExpression, isSet, numberValue } from './helpers';

const LOG_GROUP = ['aws_cloudwatch_log_group'] as const;

export const logsRetention: PolicyRule = {
  id: 'GAI-LOG-001',
  severity: 'error',
  title: 'CloudWatch log groups have a retention period',
  rationale: 'Without retention_in_days, CloudWatch keeps logs forever: storage cost grows without bound and personal data outlives any retention policy.',
  fix: 'Set retention_in_days on the aws_cloudwatch_log_group to a value CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, … 3653) that meets your retention requirement.',
  appliesTo: LOG_GROUP,
  check: (group) => {
    const value = group.config.retention_in_days;
    if (!isSet(value)) return ['retention_in_days is not set, so logs never expire'];
    if (isExpression(value)) return [];
    const days = numberValue(value);
    return days !== undefined && days > 0 ? [] : [`retention_in_days is ${JSON.stringify(value)}, so logs never expire`];
  },
};

export const logsKmsEncryption: PolicyRule = {
  id: 'GAI-LOG-002',
  severity: 'error',
  title: 'CloudWatch log groups are encrypted with a customer-managed KMS key',
  rationale: 'Logs routinely contain identifiers, prompts and payloads; a customer-managed key puts reading them under a key policy you control and audit.',
  fix: 'Set kms_key_id on the aws_cloudwatch_log_group to a key ARN whose key policy lets logs.<region>.amazonaws.com use it (EncryptionKey with services: [\'logs\']).',
  appliesTo: LOG_GROUP,
  check: (group) => customerManagedKeyProblems(group.config.kms_key_id, 'kms_key_id', "CloudWatch Logs' service-managed encryption"),
};

export const LOGS_RULES: readonly PolicyRule[] = [logsRetention, logsKmsEncryption];
