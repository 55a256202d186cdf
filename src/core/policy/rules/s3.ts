import type { PolicyRule, SynthResource } from '../types';
import {
  blocks,
  type Relation,
  checkCompanions,
  firstBlock,
  hasPreventDestroy,
  isAwsManagedKeyRef,
  isSet,
  isTrue,
  related,
  show,
  tlsOnlyProblems,
} from './helpers';

const BUCKET = ['aws_s3_bucket'] as const;

/** A bucket's companion resources of `type`: their `bucket` refers to the bucket (or repeats its name). */
function companion(type: string): Relation {
  return { type, attribute: 'bucket', targetAttribute: 'bucket' };
}

export const s3Versioning: PolicyRule = {
  id: 'GAI-S3-001',
  severity: 'error',
  title: 'S3 buckets have versioning enabled',
  rationale:
    'Versioning keeps every prior version of an object, so an overwrite or delete (accidental, buggy or malicious) can be undone.',
  fix: 'Add an aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" } for the bucket; SecureBucket does this by default.',
  appliesTo: BUCKET,
  check: (bucket, ctx) =>
    checkCompanions(
      ctx,
      bucket,
      companion('aws_s3_bucket_versioning'),
      'no aws_s3_bucket_versioning configures this bucket, so versioning is off',
      (versioning) => {
        const status = firstBlock(versioning.config.versioning_configuration)?.status;
        return status === 'Enabled' ? [] : [`versioning_configuration.status is ${show(status)}; expected "Enabled"`];
      },
    ),
};

const KMS_ALGORITHMS = ['aws:kms', 'aws:kms:dsse'];

function encryptionProblems(sse: SynthResource): string[] {
  const rules = blocks(sse.config.rule);
  if (rules.length === 0) return ['has no rule block'];
  const problems: string[] = [];
  for (const rule of rules) {
    const byDefault = firstBlock(rule.apply_server_side_encryption_by_default);
    const algorithm = byDefault?.sse_algorithm;
    if (typeof algorithm !== 'string' || !KMS_ALGORITHMS.includes(algorithm)) {
      problems.push(`apply_server_side_encryption_by_default.sse_algorithm is ${show(algorithm)}; expected "aws:kms" (or "aws:kms:dsse")`);
      continue;
    }
    const keyId = byDefault?.kms_master_key_id;
    if (!isSet(keyId)) problems.push('kms_master_key_id is not set, so S3 uses the AWS-managed key aws/s3');
    else if (isAwsManagedKeyRef(keyId)) problems.push(`kms_master_key_id is the AWS-managed key ${show(keyId)}, not a customer-managed key`);
    // S3 Bucket Keys do not apply to DSSE-KMS.
    if (algorithm === 'aws:kms' && !isTrue(rule.bucket_key_enabled)) {
      problems.push('bucket_key_enabled is not true, so every object operation calls KMS');
    }
  }
  return problems;
}

export const s3KmsEncryption: PolicyRule = {
  id: 'GAI-S3-002',
  severity: 'error',
  title: 'S3 buckets encrypt by default with SSE-KMS and a customer-managed key',
  rationale:
    'A customer-managed key puts decryption under a key policy and in CloudTrail, and lets access be revoked by disabling the key; an S3 bucket key keeps the KMS request cost and throttling down.',
  fix: 'Add an aws_s3_bucket_server_side_encryption_configuration whose rule sets apply_server_side_encryption_by_default { sse_algorithm = "aws:kms", kms_master_key_id = <key ARN> } and bucket_key_enabled = true; SecureBucket does this with its EncryptionKey.',
  appliesTo: BUCKET,
  check: (bucket, ctx) =>
    checkCompanions(
      ctx,
      bucket,
      companion('aws_s3_bucket_server_side_encryption_configuration'),
      'no aws_s3_bucket_server_side_encryption_configuration configures this bucket, so objects get SSE-S3 (AES256) only',
      encryptionProblems,
    ),
};

const PUBLIC_ACCESS_SETTINGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'] as const;

export const s3PublicAccessBlock: PolicyRule = {
  id: 'GAI-S3-003',
  severity: 'error',
  title: 'S3 buckets block all public access',
  rationale: 'With all four public access block settings on, no ACL or bucket policy can make the bucket or its objects public.',
  fix: 'Add an aws_s3_bucket_public_access_block for the bucket with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true; SecureBucket does this by default.',
  appliesTo: BUCKET,
  check: (bucket, ctx) =>
    checkCompanions(
      ctx,
      bucket,
      companion('aws_s3_bucket_public_access_block'),
      'no aws_s3_bucket_public_access_block configures this bucket',
      (block) => {
        const off = PUBLIC_ACCESS_SETTINGS.filter((setting) => !isTrue(block.config[setting]));
        return off.length === 0 ? [] : [`${off.join(', ')} ${off.length === 1 ? 'is' : 'are'} not true`];
      },
    ),
};

export const s3TlsOnly: PolicyRule = {
  id: 'GAI-S3-004',
  severity: 'error',
  title: 'S3 bucket policies deny requests not made over TLS',
  rationale: 'S3 accepts plain-HTTP requests unless the bucket policy refuses them; only a Deny on aws:SecureTransport = "false" guarantees data in transit is encrypted.',
  fix: 'Attach an aws_s3_bucket_policy with a statement Effect "Deny", Principal "*", Action "s3:*" on the bucket and its objects, Condition { Bool: { "aws:SecureTransport": "false" } }; SecureBucket does this by default.',
  appliesTo: BUCKET,
  check: (bucket, ctx) =>
    tlsOnlyProblems(
      ctx,
      [
        { name: 'policy', value: bucket.config.policy },
        ...related(ctx, bucket, companion('aws_s3_bucket_policy')).map((p) => ({ name: p.address, value: p.config.policy })),
      ],
      'no aws_s3_bucket_policy is attached to this bucket, so plain-HTTP requests are not refused',
    ),
};

export const s3AccessLogging: PolicyRule = {
  id: 'GAI-S3-005',
  severity: 'warning',
  title: 'S3 buckets have server access logging (or are an access-log target)',
  rationale: 'Server access logs record every request to the bucket, including ones CloudTrail data events do not cover, for audits and incident response.',
  fix: 'Add an aws_s3_bucket_logging for the bucket with target_bucket set to a log bucket; SecureBucket logs to the stack\'s shared AccessLogBucket by default.',
  appliesTo: BUCKET,
  check: (bucket, ctx) => {
    if (related(ctx, bucket, companion('aws_s3_bucket_logging')).length > 0) return [];
    const target: Relation = { type: 'aws_s3_bucket_logging', attribute: 'target_bucket', targetAttribute: 'bucket' };
    if (related(ctx, bucket, target).length > 0) return [];
    return ['no aws_s3_bucket_logging delivers server access logs for this bucket, and no bucket logs into it'];
  },
};

export const s3Lifecycle: PolicyRule = {
  id: 'GAI-S3-006',
  severity: 'warning',
  title: 'S3 buckets abort incomplete multipart uploads and expire noncurrent versions',
  rationale:
    'Incomplete multipart uploads and noncurrent versions are billed but invisible in listings; without expiry a versioned bucket grows without bound.',
  fix: 'Add an aws_s3_bucket_lifecycle_configuration with enabled rules setting abort_incomplete_multipart_upload { days_after_initiation } and noncurrent_version_expiration { noncurrent_days }; SecureBucket does this by default (7 and 90 days).',
  appliesTo: BUCKET,
  check: (bucket, ctx) =>
    checkCompanions(
      ctx,
      bucket,
      companion('aws_s3_bucket_lifecycle_configuration'),
      'no aws_s3_bucket_lifecycle_configuration configures this bucket',
      (lifecycle) => {
        const enabled = blocks(lifecycle.config.rule).filter((r) => r.status === 'Enabled');
        const problems: string[] = [];
        if (!enabled.some((r) => blocks(r.abort_incomplete_multipart_upload).length > 0)) {
          problems.push('no enabled rule has abort_incomplete_multipart_upload');
        }
        if (!enabled.some((r) => blocks(r.noncurrent_version_expiration).length > 0)) {
          problems.push('no enabled rule has noncurrent_version_expiration');
        }
        return problems;
      },
    ),
};

export const s3NoForceDestroy: PolicyRule = {
  id: 'GAI-S3-007',
  severity: 'error',
  title: 'S3 buckets do not set force_destroy (outside ephemeral environments)',
  rationale: 'With force_destroy, terraform destroy (or a replacement) deletes every object and version in the bucket without asking.',
  fix: 'Remove force_destroy (or set it to false); SecureBucket allows forceDestroy only in ephemeral environments.',
  appliesTo: BUCKET,
  check: (bucket, ctx) =>
    !ctx.ephemeral && isTrue(bucket.config.force_destroy)
      ? ['force_destroy is true, so destroying the bucket would delete all of its objects']
      : [],
};

export const s3PreventDestroy: PolicyRule = {
  id: 'GAI-S3-008',
  severity: 'error',
  title: 'S3 buckets are protected by prevent_destroy (outside ephemeral environments)',
  rationale: 'prevent_destroy makes Terraform refuse any plan that would destroy or replace the bucket, the last guard against data loss.',
  fix: 'Set lifecycle { prevent_destroy = true } on the aws_s3_bucket; SecureBucket does this outside ephemeral environments.',
  appliesTo: BUCKET,
  check: (bucket, ctx) => (ctx.ephemeral || hasPreventDestroy(bucket) ? [] : ['lifecycle.prevent_destroy is not true']),
};

export const s3OwnershipEnforced: PolicyRule = {
  id: 'GAI-S3-009',
  severity: 'warning',
  title: 'S3 buckets enforce bucket-owner object ownership (ACLs disabled)',
  rationale: 'With BucketOwnerEnforced, ACLs are disabled and the bucket owner owns every object, so access is decided by policies alone.',
  fix: 'Add an aws_s3_bucket_ownership_controls for the bucket with rule { object_ownership = "BucketOwnerEnforced" }; SecureBucket does this by default.',
  appliesTo: BUCKET,
  check: (bucket, ctx) =>
    checkCompanions(
      ctx,
      bucket,
      companion('aws_s3_bucket_ownership_controls'),
      'no aws_s3_bucket_ownership_controls configures this bucket',
      (controls) => {
        const ownership = firstBlock(controls.config.rule)?.object_ownership;
        return ownership === 'BucketOwnerEnforced' ? [] : [`rule.object_ownership is ${show(ownership)}; expected "BucketOwnerEnforced"`];
      },
    ),
};

export const S3_RULES: readonly PolicyRule[] = [
  s3Versioning,
  s3KmsEncryption,
  s3PublicAccessBlock,
  s3TlsOnly,
  s3AccessLogging,
  s3Lifecycle,
  s3NoForceDestroy,
  s3PreventDestroy,
  s3OwnershipEnforced,
];
