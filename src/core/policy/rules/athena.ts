import type { PolicyRule } from '../types';
import { customerManagedKeyProblems, firstBlock, isTrue, show } from './helpers';

const WORKGROUP = ['aws_athena_workgroup'] as const;

/** Server-side and client-side encryption with a KMS key (SSE_S3 uses keys no key policy controls). */
const KMS_OPTIONS = ['SSE_KMS', 'CSE_KMS'];

export const athenaEnforceWorkgroupConfiguration: PolicyRule = {
  id: 'GAI-ATH-001',
  severity: 'error',
  title: 'Athena workgroups enforce their configuration over client-side settings',
  rationale:
    'Without enforcement every query may choose its own result location and encryption (or none), so results of queries over sensitive data can land unencrypted in any bucket the caller can write; the workgroup\'s scan limit is also only binding when enforced.',
  fix: 'Give the aws_athena_workgroup a configuration block with enforce_workgroup_configuration = true (the provider default when the block is present); FeatureStore\'s workgroup does.',
  appliesTo: WORKGROUP,
  check: (workgroup) => {
    const configuration = firstBlock(workgroup.config.configuration);
    if (!configuration) return ['has no configuration block, so each client chooses its own result location and encryption'];
    const enforce = configuration.enforce_workgroup_configuration;
    return enforce === false || enforce === 'false'
      ? ['configuration.enforce_workgroup_configuration is false, so clients can override the result location and encryption']
      : [];
  },
};

export const athenaResultEncryption: PolicyRule = {
  id: 'GAI-ATH-002',
  severity: 'error',
  title: 'Athena workgroups encrypt query results with a customer-managed KMS key (SSE_KMS or CSE_KMS)',
  rationale:
    'Query results are copies of the data queried, often the most sensitive columns; encrypting them with a customer-managed key keeps them under the same key policy and audit trail as the source data.',
  fix: 'Set configuration { result_configuration { encryption_configuration { encryption_option = "SSE_KMS", kms_key_arn = <key ARN> } } } on the aws_athena_workgroup (with Athena-managed results: managed_query_results_configuration { encryption_configuration { kms_key = <key ARN> } }).',
  appliesTo: WORKGROUP,
  check: (workgroup) => {
    const configuration = firstBlock(workgroup.config.configuration);
    if (!configuration) return ['has no configuration block, so query results are encrypted only if each client asks for it'];
    const managed = firstBlock(configuration.managed_query_results_configuration);
    if (managed && isTrue(managed.enabled)) {
      return customerManagedKeyProblems(
        firstBlock(managed.encryption_configuration)?.kms_key,
        'managed_query_results_configuration.encryption_configuration.kms_key',
        'an AWS-owned key',
      );
    }
    const encryption = firstBlock(firstBlock(configuration.result_configuration)?.encryption_configuration);
    if (!encryption) return ['configuration.result_configuration.encryption_configuration is not set, so query results are written unencrypted unless a client asks'];
    const option = encryption.encryption_option;
    if (typeof option !== 'string' || !KMS_OPTIONS.includes(option)) {
      return [`result_configuration.encryption_configuration.encryption_option is ${show(option)}; expected "SSE_KMS" or "CSE_KMS"`];
    }
    return customerManagedKeyProblems(encryption.kms_key_arn, 'result_configuration.encryption_configuration.kms_key_arn', 'the AWS-managed key aws/s3');
  },
};

export const ATHENA_RULES: readonly PolicyRule[] = [athenaEnforceWorkgroupConfiguration, athenaResultEncryption];
