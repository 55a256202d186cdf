import type { PolicyRule } from '../types';
import { blocks, customerManagedKeyProblems, numberValue, show } from './helpers';

const SECRET = ['aws_secretsmanager_secret'] as const;

/** The shortest recovery window Secrets Manager allows, apart from 0 (immediate deletion). */
const MIN_RECOVERY_WINDOW_DAYS = 7;

export const secretKmsEncryption: PolicyRule = {
  id: 'GAI-SM-001',
  severity: 'error',
  title: 'Secrets Manager secrets (and their replicas) are encrypted with a customer-managed KMS key',
  rationale:
    'With the AWS-managed key aws/secretsmanager, any principal of the account allowed secretsmanager:GetSecretValue can decrypt the secret; a customer-managed key adds a key policy and kms:Decrypt grants as a second, auditable gate.',
  fix: 'Set kms_key_id on the aws_secretsmanager_secret (and on each replica block) to a customer-managed key ARN, e.g. an EncryptionKey\'s keyArn; grant kms:Decrypt through secretsmanager.<region>.amazonaws.com to the readers.',
  appliesTo: SECRET,
  check: (secret) => [
    ...customerManagedKeyProblems(secret.config.kms_key_id, 'kms_key_id', 'the AWS-managed key aws/secretsmanager'),
    ...blocks(secret.config.replica).flatMap((replica) =>
      customerManagedKeyProblems(replica.kms_key_id, `replica ${show(replica.region)} kms_key_id`, 'the AWS-managed key aws/secretsmanager'),
    ),
  ],
};

export const secretRecoveryWindow: PolicyRule = {
  id: 'GAI-SM-002',
  severity: 'error',
  title: 'Secrets Manager secrets keep a recovery window of at least 7 days (outside ephemeral environments)',
  rationale:
    'recovery_window_in_days = 0 deletes the secret immediately and irrecoverably on destroy or replacement; a key that derived data depends on (such as an HMAC key for pseudonymised columns) is then lost for good.',
  fix: 'Leave recovery_window_in_days unset (30 days) or set it between 7 and 30 on the aws_secretsmanager_secret; FeatureStore uses 30, or 7 in ephemeral environments.',
  appliesTo: SECRET,
  check: (secret, ctx) => {
    if (ctx.ephemeral) return [];
    const days = numberValue(secret.config.recovery_window_in_days);
    if (days === undefined || days >= MIN_RECOVERY_WINDOW_DAYS) return [];
    return [
      days === 0
        ? 'recovery_window_in_days is 0, so deleting the secret deletes it immediately with no way to restore it'
        : `recovery_window_in_days is ${days}; expected at least ${MIN_RECOVERY_WINDOW_DAYS}`,
    ];
  },
};

export const SECRETSMANAGER_RULES: readonly PolicyRule[] = [secretKmsEncryption, secretRecoveryWindow];
