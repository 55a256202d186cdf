import type { PolicyRule } from '../types';
import { hasCondition, hasPreventDestroy, hasWildcardPrincipal, isSet, isTrue, numberValue, statementLabel } from './helpers';

const KEY = ['aws_kms_key'] as const;

/** The longest waiting period KMS allows before deleting a key (and the provider default). */
const MAX_DELETION_WINDOW_DAYS = 30;

export const kmsKeyRotation: PolicyRule = {
  id: 'GAI-KMS-001',
  severity: 'error',
  title: 'Symmetric KMS keys have automatic rotation enabled',
  rationale: 'Automatic rotation limits how much data any one key version protects, and is what most compliance frameworks require of encryption keys.',
  fix: 'Set enable_key_rotation = true on the aws_kms_key (EncryptionKey always does, every rotation_period_in_days, default 365).',
  appliesTo: KEY,
  check: (key) => {
    const spec = key.config.customer_master_key_spec;
    // Asymmetric and HMAC keys cannot rotate automatically.
    if (typeof spec === 'string' && spec !== 'SYMMETRIC_DEFAULT') return [];
    return isTrue(key.config.enable_key_rotation) ? [] : ['enable_key_rotation is not true'];
  },
};

export const kmsDeletionWindow: PolicyRule = {
  id: 'GAI-KMS-002',
  severity: 'error',
  title: 'KMS keys wait the full 30 days before deletion (outside ephemeral environments)',
  rationale:
    'Deleting a key makes everything encrypted under it unrecoverable; the full waiting period gives the most time to notice and cancel a mistaken deletion.',
  fix: 'Set deletion_window_in_days = 30 on the aws_kms_key, or leave it unset (the default is 30); EncryptionKey uses 30 outside ephemeral environments.',
  appliesTo: KEY,
  check: (key, ctx) => {
    if (ctx.ephemeral) return [];
    const days = numberValue(key.config.deletion_window_in_days);
    return days !== undefined && days < MAX_DELETION_WINDOW_DAYS
      ? [`deletion_window_in_days is ${days}; expected ${MAX_DELETION_WINDOW_DAYS}`]
      : [];
  },
};

export const kmsPreventDestroy: PolicyRule = {
  id: 'GAI-KMS-003',
  severity: 'error',
  title: 'KMS keys are protected by prevent_destroy (outside ephemeral environments)',
  rationale: 'prevent_destroy makes Terraform refuse any plan that would schedule the key for deletion and so strand the data encrypted under it.',
  fix: 'Set lifecycle { prevent_destroy = true } on the aws_kms_key; EncryptionKey does this outside ephemeral environments.',
  appliesTo: KEY,
  check: (key, ctx) => (ctx.ephemeral || hasPreventDestroy(key) ? [] : ['lifecycle.prevent_destroy is not true']),
};

export const kmsNoPublicKeyPolicy: PolicyRule = {
  id: 'GAI-KMS-004',
  severity: 'error',
  title: 'KMS key policies do not allow any principal ("*") without a condition',
  rationale: 'A key policy statement that allows Principal "*" with no condition lets any AWS account use or manage the key.',
  fix: 'Name the principals (the account root, roles or service principals) in the key policy, or restrict a "*" principal with conditions such as aws:PrincipalAccount or kms:CallerAccount; EncryptionKey writes such a policy.',
  appliesTo: KEY,
  check: (key, ctx) => {
    const sources = [
      { name: 'policy', value: key.config.policy },
      ...ctx.referencing('aws_kms_key_policy', 'key_id', key).map((p) => ({ name: `${p.address} policy`, value: p.config.policy })),
    ];
    const problems: string[] = [];
    for (const source of sources) {
      if (!isSet(source.value)) continue;
      (ctx.policyStatements(source.value) ?? []).forEach((s, i) => {
        if (s.effect === 'Allow' && hasWildcardPrincipal(s) && !hasCondition(s)) {
          problems.push(`${source.name} ${statementLabel(s, i)} allows principal "*" with no condition`);
        }
      });
    }
    return problems;
  },
};

export const KMS_RULES: readonly PolicyRule[] = [kmsKeyRotation, kmsDeletionWindow, kmsPreventDestroy, kmsNoPublicKeyPolicy];
