import { describe, expect, it } from 'vitest';
import { activeFindings, evaluatePolicies } from '../../../src/core/policy/engine';
import { CORE_RULES, UNSCOPABLE_ACTIONS, isUnscopableAction } from '../../../src/core/policy/rules';
import { actionMatches, blocks } from '../../../src/core/policy/rules/helpers';
import { add, compliantStack, ephemeral, patch, policyJson, ref, remove, suppress, type Config, type TfJson, type Case, type RuleCases } from './fixtures';

const BUCKET = 'aws_s3_bucket.Data';
const LOG_BUCKET = 'aws_s3_bucket.Logs';
const TABLE = 'aws_dynamodb_table.Table';
const KEY = 'aws_kms_key.Key';
const FN = 'aws_lambda_function.Fn';
const LOG_GROUP = 'aws_cloudwatch_log_group.FnLogs';
const REPO = 'aws_ecr_repository.Repo';
const QUEUE = 'aws_sqs_queue.Dlq';
const ROLE = 'aws_iam_role.FnRole';
const ROLE_POLICY = 'aws_iam_role_policy.FnRole_Policy';
const MANAGED_POLICY = 'aws_iam_policy.ReadTable';
const KEY_ARN = ref(KEY, 'arn');

const base = compliantStack();

function messagesFor(json: TfJson, address: string, ruleId: string): string[] {
  return evaluatePolicies(json, CORE_RULES)
    .filter((f) => f.address === address && f.ruleId === ruleId)
    .map((f) => f.message);
}

/** The role's inline policy replaced by these statements. */
function rolePolicy(...statements: Config[]): TfJson {
  return patch(base, ROLE_POLICY, { policy: policyJson(...statements) });
}

/** The role trusted by these statements. */
function trust(...statements: Config[]): TfJson {
  return patch(base, ROLE, { assume_role_policy: policyJson(...statements) });
}

/** A stack with one more resource attaching a managed policy. */
function attached(address: string, config: Config): TfJson {
  return add(base, address, config);
}

const allow = (action: unknown, resource: unknown = ref('aws_s3_bucket.Data', 'arn'), extra: Config = {}): Config => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...extra,
});


const compliant: Case = { name: 'the compliant fixture', json: base };

const CASES: Record<string, RuleCases> = {
  'GAI-S3-001': {
    address: BUCKET,
    fail: [
      { name: 'no aws_s3_bucket_versioning', json: remove(base, 'aws_s3_bucket_versioning.Data_Versioning'), message: /no aws_s3_bucket_versioning/ },
      {
        name: 'status Suspended',
        json: patch(base, 'aws_s3_bucket_versioning.Data_Versioning', { versioning_configuration: { status: 'Suspended' } }),
        message: /aws_s3_bucket_versioning\.Data_Versioning: versioning_configuration\.status is "Suspended"/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'a versioning resource naming the bucket literally',
        json: patch(base, 'aws_s3_bucket_versioning.Data_Versioning', { bucket: 'gai-dev-data' }),
      },
      {
        name: 'versioning_configuration as a one-element array',
        json: patch(base, 'aws_s3_bucket_versioning.Data_Versioning', { versioning_configuration: [{ status: 'Enabled' }] }),
      },
    ],
  },
  'GAI-S3-002': {
    address: BUCKET,
    fail: [
      { name: 'no encryption configuration', json: remove(base, 'aws_s3_bucket_server_side_encryption_configuration.Data_Encryption'), message: /SSE-S3/ },
      {
        name: 'AES256',
        json: patch(base, 'aws_s3_bucket_server_side_encryption_configuration.Data_Encryption', {
          rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
        }),
        message: /sse_algorithm is "AES256"/,
      },
      {
        name: 'aws:kms without a key (aws/s3)',
        json: patch(base, 'aws_s3_bucket_server_side_encryption_configuration.Data_Encryption', {
          rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms' }, bucket_key_enabled: true }],
        }),
        message: /kms_master_key_id is not set/,
      },
      {
        name: 'the AWS-managed alias/aws/s3',
        json: patch(base, 'aws_s3_bucket_server_side_encryption_configuration.Data_Encryption', {
          rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: 'alias/aws/s3' }, bucket_key_enabled: true }],
        }),
        message: /AWS-managed key "alias\/aws\/s3"/,
      },
      {
        name: 'no bucket key',
        json: patch(base, 'aws_s3_bucket_server_side_encryption_configuration.Data_Encryption', {
          rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: KEY_ARN } }],
        }),
        message: /bucket_key_enabled is not true/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'DSSE-KMS with a customer-managed key (bucket keys do not apply)',
        json: patch(base, 'aws_s3_bucket_server_side_encryption_configuration.Data_Encryption', {
          rule: { apply_server_side_encryption_by_default: [{ sse_algorithm: 'aws:kms:dsse', kms_master_key_id: KEY_ARN }] },
        }),
      },
    ],
  },
  'GAI-S3-003': {
    address: BUCKET,
    fail: [
      { name: 'no public access block', json: remove(base, 'aws_s3_bucket_public_access_block.Data_PublicAccessBlock'), message: /no aws_s3_bucket_public_access_block/ },
      {
        name: 'restrict_public_buckets false, ignore_public_acls unset',
        json: patch(base, 'aws_s3_bucket_public_access_block.Data_PublicAccessBlock', { restrict_public_buckets: false, ignore_public_acls: undefined }),
        message: /ignore_public_acls, restrict_public_buckets are not true/,
      },
    ],
    pass: [compliant],
  },
  'GAI-S3-004': {
    address: BUCKET,
    fail: [
      { name: 'no bucket policy', json: remove(base, 'aws_s3_bucket_policy.Data_Policy'), message: /no aws_s3_bucket_policy/ },
      {
        name: 'a bucket policy without the TLS Deny',
        json: patch(base, 'aws_s3_bucket_policy.Data_Policy', {
          policy: policyJson({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::111122223333:root` }, Action: 's3:GetObject', Resource: '*' }),
        }),
        message: /aws_s3_bucket_policy\.Data_Policy has no Deny statement with condition Bool aws:SecureTransport = "false"/,
      },
      {
        name: 'a Deny on aws:SecureTransport "true" (the wrong way round)',
        json: patch(base, 'aws_s3_bucket_policy.Data_Policy', {
          policy: policyJson({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }),
        }),
      },
      {
        name: 'a policy that cannot be read at synth',
        json: patch(base, 'aws_s3_bucket_policy.Data_Policy', { policy: '${jsonencode(local.policy)}' }),
        message: /cannot be read at synth/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'the TLS Deny in a data.aws_iam_policy_document',
        json: add(
          patch(base, 'aws_s3_bucket_policy.Data_Policy', { policy: ref('data.aws_iam_policy_document.DataPolicy', 'json') }),
          'data.aws_iam_policy_document.DataPolicy',
          {
            statement: {
              effect: 'Deny',
              principals: { type: '*', identifiers: ['*'] },
              actions: ['s3:*'],
              resources: ['*'],
              condition: { test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] },
            },
          },
        ),
      },
      {
        name: 'the legacy inline policy attribute of aws_s3_bucket',
        json: patch(remove(base, 'aws_s3_bucket_policy.Data_Policy'), BUCKET, {
          policy: policyJson({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': ['false'] } } }),
        }),
      },
    ],
  },
  'GAI-S3-005': {
    address: BUCKET,
    fail: [{ name: 'no server access logging', json: remove(base, 'aws_s3_bucket_logging.Data_AccessLogs'), message: /no bucket logs into it/ }],
    pass: [compliant, { name: 'the access-log target bucket itself', json: base, address: LOG_BUCKET }],
  },
  'GAI-S3-006': {
    address: BUCKET,
    fail: [
      { name: 'no lifecycle configuration', json: remove(base, 'aws_s3_bucket_lifecycle_configuration.Data_Lifecycle'), message: /no aws_s3_bucket_lifecycle_configuration/ },
      {
        name: 'the multipart rule disabled',
        json: patch(base, 'aws_s3_bucket_lifecycle_configuration.Data_Lifecycle', {
          rule: [
            { id: 'abort', status: 'Disabled', abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] },
            { id: 'noncurrent', status: 'Enabled', noncurrent_version_expiration: [{ noncurrent_days: 90 }] },
          ],
        }),
        message: /no enabled rule has abort_incomplete_multipart_upload/,
      },
      {
        name: 'no noncurrent version expiration',
        json: patch(base, 'aws_s3_bucket_lifecycle_configuration.Data_Lifecycle', {
          rule: [{ id: 'abort', status: 'Enabled', abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }],
        }),
        message: /no enabled rule has noncurrent_version_expiration/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'one rule (an object) with both actions as objects',
        json: patch(base, 'aws_s3_bucket_lifecycle_configuration.Data_Lifecycle', {
          rule: {
            id: 'all',
            status: 'Enabled',
            abort_incomplete_multipart_upload: { days_after_initiation: 1 },
            noncurrent_version_expiration: { noncurrent_days: 30 },
          },
        }),
      },
    ],
  },
  'GAI-S3-007': {
    address: BUCKET,
    fail: [{ name: 'force_destroy true', json: patch(base, BUCKET, { force_destroy: true }), message: /force_destroy is true/ }],
    pass: [compliant, { name: 'force_destroy in an ephemeral environment', json: ephemeral(patch(base, BUCKET, { force_destroy: true })) }],
  },
  'GAI-S3-008': {
    address: BUCKET,
    fail: [
      { name: 'no lifecycle block', json: patch(base, BUCKET, { lifecycle: undefined }), message: /prevent_destroy is not true/ },
      { name: 'prevent_destroy false', json: patch(base, BUCKET, { lifecycle: { prevent_destroy: false } }) },
    ],
    pass: [compliant, { name: 'unprotected in an ephemeral environment', json: ephemeral(patch(base, BUCKET, { lifecycle: undefined })) }],
  },
  'GAI-S3-009': {
    address: BUCKET,
    fail: [
      { name: 'no ownership controls', json: remove(base, 'aws_s3_bucket_ownership_controls.Data_Ownership'), message: /no aws_s3_bucket_ownership_controls/ },
      {
        name: 'ObjectWriter',
        json: patch(base, 'aws_s3_bucket_ownership_controls.Data_Ownership', { rule: [{ object_ownership: 'ObjectWriter' }] }),
        message: /object_ownership is "ObjectWriter"/,
      },
    ],
    pass: [
      compliant,
      { name: 'rule as an array', json: patch(base, 'aws_s3_bucket_ownership_controls.Data_Ownership', { rule: [{ object_ownership: 'BucketOwnerEnforced' }] }) },
    ],
  },

  'GAI-DDB-001': {
    address: TABLE,
    fail: [
      { name: 'no point_in_time_recovery block', json: patch(base, TABLE, { point_in_time_recovery: undefined }), message: /no point_in_time_recovery block/ },
      { name: 'enabled false', json: patch(base, TABLE, { point_in_time_recovery: [{ enabled: false }] }), message: /enabled is not true/ },
    ],
    pass: [compliant, { name: 'block as an array', json: patch(base, TABLE, { point_in_time_recovery: [{ enabled: true }] }) }],
  },
  'GAI-DDB-002': {
    address: TABLE,
    fail: [
      { name: 'no server_side_encryption', json: patch(base, TABLE, { server_side_encryption: undefined }), message: /AWS-owned key/ },
      { name: 'enabled without kms_key_arn', json: patch(base, TABLE, { server_side_encryption: { enabled: true } }), message: /aws\/dynamodb/ },
      {
        name: 'the AWS-managed key by ARN',
        json: patch(base, TABLE, { server_side_encryption: { enabled: true, kms_key_arn: 'arn:aws:kms:eu-west-1:111122223333:alias/aws/dynamodb' } }),
        message: /not a customer-managed key/,
      },
    ],
    pass: [compliant],
  },
  'GAI-DDB-003': {
    address: TABLE,
    fail: [
      { name: 'deletion protection off', json: patch(base, TABLE, { deletion_protection_enabled: false }), message: /deletion_protection_enabled/ },
      { name: 'deletion protection unset', json: patch(base, TABLE, { deletion_protection_enabled: undefined }) },
    ],
    pass: [compliant, { name: 'off in an ephemeral environment', json: ephemeral(patch(base, TABLE, { deletion_protection_enabled: false })) }],
  },
  'GAI-DDB-004': {
    address: TABLE,
    fail: [{ name: 'no prevent_destroy', json: patch(base, TABLE, { lifecycle: undefined }), message: /prevent_destroy/ }],
    pass: [compliant, { name: 'unprotected in an ephemeral environment', json: ephemeral(patch(base, TABLE, { lifecycle: undefined })) }],
  },

  'GAI-KMS-001': {
    address: KEY,
    fail: [
      { name: 'rotation off', json: patch(base, KEY, { enable_key_rotation: false }), message: /enable_key_rotation is not true/ },
      { name: 'rotation unset', json: patch(base, KEY, { enable_key_rotation: undefined }) },
    ],
    pass: [
      compliant,
      {
        name: 'an asymmetric key (cannot rotate)',
        json: patch(base, KEY, { enable_key_rotation: undefined, customer_master_key_spec: 'RSA_2048', key_usage: 'SIGN_VERIFY' }),
      },
    ],
  },
  'GAI-KMS-002': {
    address: KEY,
    fail: [{ name: '7-day window', json: patch(base, KEY, { deletion_window_in_days: 7 }), message: /deletion_window_in_days is 7; expected 30/ }],
    pass: [
      compliant,
      { name: 'unset (provider default 30)', json: patch(base, KEY, { deletion_window_in_days: undefined }) },
      { name: '7 days in an ephemeral environment', json: ephemeral(patch(base, KEY, { deletion_window_in_days: 7 })) },
    ],
  },
  'GAI-KMS-003': {
    address: KEY,
    fail: [{ name: 'no prevent_destroy', json: patch(base, KEY, { lifecycle: undefined }), message: /prevent_destroy/ }],
    pass: [compliant, { name: 'unprotected in an ephemeral environment', json: ephemeral(patch(base, KEY, { lifecycle: undefined })) }],
  },
  'GAI-KMS-004': {
    address: KEY,
    fail: [
      {
        name: 'Principal "*" without a condition in the key policy',
        json: patch(base, KEY, { policy: policyJson({ Sid: 'Open', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }) }),
        message: /policy statement "Open" allows principal "\*" with no condition/,
      },
      {
        name: 'AWS "*" in a separate aws_kms_key_policy',
        json: add(patch(base, KEY, { policy: undefined }), 'aws_kms_key_policy.KeyPolicy', {
          key_id: ref(KEY, 'id'),
          policy: policyJson({ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 'kms:*', Resource: '*' }),
        }),
        message: /aws_kms_key_policy\.KeyPolicy policy statement #1 allows principal "\*"/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'Principal "*" restricted by kms:CallerAccount',
        json: patch(base, KEY, {
          policy: policyJson({
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 'kms:Decrypt',
            Resource: '*',
            Condition: { StringEquals: { 'kms:CallerAccount': '111122223333' } },
          }),
        }),
      },
      {
        name: 'a Deny for "*"',
        json: patch(base, KEY, { policy: policyJson({ Effect: 'Deny', Principal: '*', Action: 'kms:ScheduleKeyDeletion', Resource: '*' }) }),
      },
    ],
  },

  'GAI-LMB-001': {
    address: FN,
    fail: [
      { name: 'no tracing_config', json: patch(base, FN, { tracing_config: undefined }), message: /no tracing_config block/ },
      { name: 'PassThrough', json: patch(base, FN, { tracing_config: [{ mode: 'PassThrough' }] }), message: /"PassThrough"/ },
    ],
    pass: [compliant, { name: 'tracing_config as an array', json: patch(base, FN, { tracing_config: [{ mode: 'Active' }] }) }],
  },
  'GAI-LMB-002': {
    address: FN,
    fail: [
      { name: 'no dead-letter queue', json: patch(base, FN, { dead_letter_config: undefined }), message: /no dead_letter_config\.target_arn/ },
      {
        name: 'an invoke config with only an on_success destination',
        json: add(patch(base, FN, { dead_letter_config: undefined }), 'aws_lambda_function_event_invoke_config.Fn_Invoke', {
          function_name: ref(FN, 'function_name'),
          destination_config: { on_success: { destination: ref(QUEUE, 'arn') } },
        }),
      },
    ],
    pass: [
      compliant,
      {
        name: 'an on_failure destination instead',
        json: add(patch(base, FN, { dead_letter_config: undefined }), 'aws_lambda_function_event_invoke_config.Fn_Invoke', {
          function_name: ref(FN, 'function_name'),
          destination_config: { on_failure: { destination: ref(QUEUE, 'arn') } },
        }),
      },
      {
        name: 'an on_failure destination for the function named literally',
        json: add(patch(base, FN, { dead_letter_config: undefined }), 'aws_lambda_function_event_invoke_config.Fn_Invoke', {
          function_name: 'gai-dev-fn',
          destination_config: [{ on_failure: [{ destination: ref(QUEUE, 'arn') }] }],
        }),
      },
    ],
  },
  'GAI-LMB-003': {
    address: FN,
    fail: [{ name: 'variables without kms_key_arn', json: patch(base, FN, { kms_key_arn: undefined }), message: /aws\/lambda/ }],
    pass: [
      compliant,
      { name: 'no environment and no key', json: patch(base, FN, { environment: undefined, kms_key_arn: undefined }) },
      { name: 'empty variables and no key', json: patch(base, FN, { environment: [{ variables: {} }], kms_key_arn: undefined }) },
    ],
  },
  'GAI-LMB-004': {
    address: FN,
    fail: [
      { name: 'nodejs18.x', json: patch(base, FN, { runtime: 'nodejs18.x' }), message: /"nodejs18\.x" is deprecated by AWS Lambda; use nodejs22\.x or nodejs24\.x/ },
      { name: 'nodejs16.x', json: patch(base, FN, { runtime: 'nodejs16.x' }), message: /deprecated/ },
      { name: 'python3.9', json: patch(base, FN, { runtime: 'python3.9' }), message: /deprecated.*python3\.12/ },
      { name: 'go1.x', json: patch(base, FN, { runtime: 'go1.x' }), message: /deprecated.*provided\.al2023/ },
      { name: 'java17 (Amazon Linux 2)', json: patch(base, FN, { runtime: 'java17' }), message: /Amazon Linux 2.*java21 or java25/ },
      { name: 'an unknown runtime', json: patch(base, FN, { runtime: 'cobol1.x' }), message: /not a supported Lambda runtime/ },
    ],
    pass: [
      compliant,
      ...['nodejs24.x', 'python3.13', 'java21', 'provided.al2023'].map((runtime) => ({ name: runtime, json: patch(base, FN, { runtime }) })),
      { name: 'a container-image function (no runtime)', json: patch(base, FN, { runtime: undefined, handler: undefined, package_type: 'Image' }) },
    ],
  },

  'GAI-LOG-001': {
    address: LOG_GROUP,
    fail: [
      { name: 'no retention', json: patch(base, LOG_GROUP, { retention_in_days: undefined }), message: /never expire/ },
      { name: 'retention 0', json: patch(base, LOG_GROUP, { retention_in_days: 0 }), message: /retention_in_days is 0/ },
    ],
    pass: [compliant, { name: 'retention from a variable', json: patch(base, LOG_GROUP, { retention_in_days: '${var.log_retention}' }) }],
  },
  'GAI-LOG-002': {
    address: LOG_GROUP,
    fail: [{ name: 'no kms_key_id', json: patch(base, LOG_GROUP, { kms_key_id: undefined }), message: /kms_key_id is not set/ }],
    pass: [compliant],
  },

  'GAI-ECR-001': {
    address: REPO,
    fail: [
      { name: 'MUTABLE', json: patch(base, REPO, { image_tag_mutability: 'MUTABLE' }), message: /"MUTABLE"/ },
      { name: 'unset (MUTABLE)', json: patch(base, REPO, { image_tag_mutability: undefined }), message: /not set/ },
    ],
    pass: [compliant, { name: 'IMMUTABLE_WITH_EXCLUSION', json: patch(base, REPO, { image_tag_mutability: 'IMMUTABLE_WITH_EXCLUSION' }) }],
  },
  'GAI-ECR-002': {
    address: REPO,
    fail: [
      { name: 'scan_on_push false', json: patch(base, REPO, { image_scanning_configuration: [{ scan_on_push: false }] }), message: /scan_on_push is not true/ },
      { name: 'no scanning configuration', json: patch(base, REPO, { image_scanning_configuration: undefined }), message: /not scanned/ },
    ],
    pass: [compliant],
  },
  'GAI-ECR-003': {
    address: REPO,
    fail: [
      { name: 'AES256', json: patch(base, REPO, { encryption_configuration: [{ encryption_type: 'AES256' }] }), message: /"AES256"/ },
      { name: 'KMS without a key (aws/ecr)', json: patch(base, REPO, { encryption_configuration: { encryption_type: 'KMS' } }), message: /aws\/ecr/ },
      { name: 'no encryption configuration', json: patch(base, REPO, { encryption_configuration: undefined }), message: /AES256/ },
    ],
    pass: [compliant, { name: 'configuration as an object', json: patch(base, REPO, { encryption_configuration: { encryption_type: 'KMS', kms_key: KEY_ARN } }) }],
  },
  'GAI-ECR-004': {
    address: REPO,
    fail: [
      { name: 'no lifecycle policy', json: remove(base, 'aws_ecr_lifecycle_policy.Repo_Lifecycle'), message: /no aws_ecr_lifecycle_policy/ },
      {
        name: 'a lifecycle policy for another repository',
        json: patch(base, 'aws_ecr_lifecycle_policy.Repo_Lifecycle', { repository: ref('aws_ecr_repository.Other', 'name') }),
      },
    ],
    pass: [
      compliant,
      { name: 'a lifecycle policy naming the repository literally', json: patch(base, 'aws_ecr_lifecycle_policy.Repo_Lifecycle', { repository: 'gai-dev-repo' }) },
    ],
  },
  'GAI-ECR-005': {
    address: REPO,
    fail: [{ name: 'force_delete true', json: patch(base, REPO, { force_delete: true }), message: /force_delete is true/ }],
    pass: [compliant, { name: 'force_delete in an ephemeral environment', json: ephemeral(patch(base, REPO, { force_delete: true })) }],
  },

  'GAI-SQS-001': {
    address: QUEUE,
    fail: [
      {
        name: 'SQS-managed SSE',
        json: patch(base, QUEUE, { kms_master_key_id: undefined, sqs_managed_sse_enabled: true }),
        message: /sqs_managed_sse_enabled/,
      },
      { name: 'no encryption settings', json: patch(base, QUEUE, { kms_master_key_id: undefined }), message: /kms_master_key_id is not set/ },
      { name: 'alias/aws/sqs', json: patch(base, QUEUE, { kms_master_key_id: 'alias/aws/sqs' }), message: /AWS-managed key "alias\/aws\/sqs"/ },
    ],
    pass: [compliant],
  },
  'GAI-SQS-002': {
    address: QUEUE,
    fail: [
      { name: 'no queue policy', json: remove(base, 'aws_sqs_queue_policy.Dlq_Policy'), message: /no aws_sqs_queue_policy/ },
      {
        name: 'a queue policy without the TLS Deny',
        json: patch(base, 'aws_sqs_queue_policy.Dlq_Policy', {
          policy: policyJson({ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: ref(QUEUE, 'arn') }),
        }),
        message: /no Deny statement/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'the inline policy attribute of aws_sqs_queue',
        json: patch(remove(base, 'aws_sqs_queue_policy.Dlq_Policy'), QUEUE, {
          policy: policyJson({ Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        }),
      },
    ],
  },

  'GAI-IAM-001': {
    address: ROLE_POLICY,
    fail: [
      { name: '"s3:*"', json: rolePolicy(allow('s3:*')), message: /statement #1 allows "s3:\*" \(every s3 action\)/ },
      { name: '"*"', json: rolePolicy({ Sid: 'Everything', ...allow(['*']) }), message: /statement "Everything" allows "\*" \(every action of every service\)/ },
      {
        name: 'a service wildcard in a policy document data source',
        address: MANAGED_POLICY,
        json: patch(base, 'data.aws_iam_policy_document.ReadTable', {
          statement: [{ sid: 'ReadItems', actions: ['dynamodb:*'], resources: [ref(TABLE, 'arn')] }],
        }),
        message: /statement "ReadItems" allows "dynamodb:\*"/,
      },
      {
        name: 'a wildcard in a role inline_policy block',
        address: ROLE,
        json: patch(base, ROLE, { inline_policy: [{ name: 'legacy', policy: policyJson(allow('sqs:*')) }] }),
        message: /inline_policy "legacy" statement #1 allows "sqs:\*"/,
      },
    ],
    pass: [
      compliant,
      { name: 'a Deny on "*"', json: rolePolicy(allow('s3:GetObject'), { Effect: 'Deny', Action: '*', Resource: '*' }) },
    ],
  },
  'GAI-IAM-002': {
    address: ROLE_POLICY,
    fail: [
      { name: '"s3:Get*"', json: rolePolicy(allow(['s3:PutObject', 's3:Get*'])), message: /allows the wildcard action "s3:Get\*"/ },
      { name: '"dynamodb:?etItem"', json: rolePolicy(allow('dynamodb:?etItem')), message: /"dynamodb:\?etItem"/ },
    ],
    pass: [compliant],
  },
  'GAI-IAM-003': {
    address: ROLE_POLICY,
    fail: [
      {
        name: 'scopable actions on "*"',
        json: rolePolicy({ Sid: 'Broad', ...allow(['s3:GetObject', 'xray:PutTraceSegments'], '*') }),
        message: /statement "Broad" allows "s3:GetObject" on Resource "\*"/,
      },
    ],
    pass: [
      compliant,
      { name: 'only unscopable actions on "*"', json: rolePolicy(allow(['ecr:GetAuthorizationToken', 'sts:GetCallerIdentity', 'cloudwatch:PutMetricData'], ['*'])) },
    ],
  },
  'GAI-IAM-004': {
    address: ROLE_POLICY,
    fail: [
      {
        name: 'PassRole on "*"',
        json: rolePolicy(allow('iam:PassRole', '*', { Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } })),
        message: /allows iam:PassRole on Resource "\*"/,
      },
      {
        name: 'PassRole on a wildcard role pattern',
        json: rolePolicy(
          allow('iam:PassRole', 'arn:aws:iam::111122223333:role/gai-*', { Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } }),
        ),
        message: /wildcard role pattern "arn:aws:iam::111122223333:role\/gai-\*"/,
      },
      {
        name: 'PassRole without iam:PassedToService',
        json: rolePolicy(allow('iam:PassRole', ref('aws_iam_role.Worker', 'arn'))),
        message: /without an iam:PassedToService condition/,
      },
      { name: 'PassRole through "iam:Pass*"', json: rolePolicy(allow('iam:Pass*', ref('aws_iam_role.Worker', 'arn'))), message: /iam:PassedToService/ },
    ],
    pass: [compliant],
  },
  'GAI-IAM-005': {
    address: 'aws_iam_role_policy_attachment.Admin',
    fail: [
      {
        name: 'AdministratorAccess',
        json: attached('aws_iam_role_policy_attachment.Admin', { role: ref(ROLE, 'name'), policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
        message: /policy_arn attaches the AWS-managed policy "AdministratorAccess"/,
      },
      {
        name: 'a *FullAccess policy in managed_policy_arns',
        address: ROLE,
        json: patch(base, ROLE, { managed_policy_arns: ['arn:aws:iam::aws:policy/AmazonS3FullAccess'] }),
        message: /managed_policy_arns attaches the AWS-managed policy "AmazonS3FullAccess"/,
      },
      {
        name: 'PowerUserAccess on a user',
        address: 'aws_iam_user_policy_attachment.Dev',
        json: attached('aws_iam_user_policy_attachment.Dev', { user: 'dev', policy_arn: 'arn:aws-us-gov:iam::aws:policy/PowerUserAccess' }),
      },
      {
        name: 'IAMFullAccess on a group',
        address: 'aws_iam_group_policy_attachment.Ops',
        json: attached('aws_iam_group_policy_attachment.Ops', { group: 'ops', policy_arn: 'arn:aws:iam::aws:policy/IAMFullAccess' }),
      },
      {
        name: 'a job-function admin policy in aws_iam_policy_attachment',
        address: 'aws_iam_policy_attachment.Shared',
        json: attached('aws_iam_policy_attachment.Shared', { name: 'shared', roles: ['x'], policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess-Amplify' }),
      },
      {
        name: 'a FullAccess policy in aws_iam_role_policy_attachments_exclusive',
        address: 'aws_iam_role_policy_attachments_exclusive.Fn',
        json: attached('aws_iam_role_policy_attachments_exclusive.Fn', {
          role_name: ref(ROLE, 'name'),
          policy_arns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', 'arn:aws:iam::aws:policy/AWSLambda_FullAccess'],
        }),
        message: /"AWSLambda_FullAccess"/,
      },
    ],
    pass: [
      { name: 'AWSLambdaBasicExecutionRole', address: 'aws_iam_role_policy_attachment.FnRole_Basic', json: base },
      {
        name: 'a customer-managed policy that happens to be called FullAccess',
        json: attached('aws_iam_role_policy_attachment.Admin', { role: ref(ROLE, 'name'), policy_arn: 'arn:aws:iam::111122223333:policy/TeamFullAccess' }),
      },
    ],
  },
  'GAI-IAM-006': {
    address: ROLE_POLICY,
    fail: [
      { name: 'NotAction', json: rolePolicy({ Effect: 'Allow', NotAction: 'iam:*', Resource: ref(BUCKET, 'arn') }), message: /allows with NotAction "iam:\*"/ },
      { name: 'NotResource', json: rolePolicy({ Effect: 'Allow', Action: 's3:GetObject', NotResource: ref(BUCKET, 'arn') }), message: /allows with NotResource/ },
    ],
    pass: [compliant, { name: 'a Deny with NotAction', json: rolePolicy(allow('s3:GetObject'), { Effect: 'Deny', NotAction: 's3:GetObject', Resource: '*' }) }],
  },
  'GAI-IAM-007': {
    address: ROLE,
    fail: [
      {
        name: 'Principal "*"',
        json: trust({ Sid: 'Anyone', Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }),
        message: /assume_role_policy statement "Anyone" trusts principal "\*"/,
      },
      { name: 'AWS "*"', json: trust({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }), message: /statement #1 trusts principal "\*"/ },
    ],
    pass: [
      compliant,
      { name: 'an account principal', json: trust({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' }) },
    ],
  },
};

describe('core rules', () => {
  it('have unique ids of the form GAI-<AREA>-<NNN>', () => {
    const ids = CORE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^GAI-[A-Z0-9]+-\d{3}$/);
  });

  it('have a title, rationale, fix, severity and at least one resource type', () => {
    for (const rule of CORE_RULES) {
      expect(rule.title.trim(), rule.id).not.toBe('');
      expect(rule.rationale.trim(), rule.id).not.toBe('');
      expect(rule.fix.trim(), rule.id).not.toBe('');
      expect(['error', 'warning'], rule.id).toContain(rule.severity);
      expect(rule.appliesTo.length, rule.id).toBeGreaterThan(0);
    }
  });

  it('are each covered below by failing and passing fixtures', () => {
    // API Gateway rules are covered in test/core/http-api.test.ts, Glue/Athena/Secrets Manager in
    // data-rules.test.ts, EventBridge in eventbridge-rules.test.ts, EKS/EC2/VPC/SG in cluster-rules.test.ts,
    // Kubernetes workloads, Helm releases, SNS and CloudWatch alarms in workload-rules.test.ts.
    const elsewhere = /^GAI-(APIGW|GLUE|ATH|SM|EVB|EKS|EC2|VPC|SG|K8S|HELM|SNS|CW)-/;
    expect(Object.keys(CASES).sort()).toEqual(CORE_RULES.map((r) => r.id).filter((id) => !elsewhere.test(id)).sort());
    for (const c of Object.values(CASES)) {
      expect(c.fail.length).toBeGreaterThan(0);
      expect(c.pass.length).toBeGreaterThan(0);
    }
  });

  it('find nothing in the compliant stack', () => {
    expect(evaluatePolicies(base, CORE_RULES)).toEqual([]);
  });

  it('find nothing in the compliant stack marked ephemeral', () => {
    expect(evaluatePolicies(ephemeral(base), CORE_RULES)).toEqual([]);
  });
});

describe.each(Object.entries(CASES))('%s', (ruleId, cases) => {
  it.each(cases.fail)('fails: $name', ({ json, address, message }) => {
    const messages = messagesFor(json, address ?? cases.address, ruleId);
    expect(messages).not.toEqual([]);
    if (message) expect(messages.join('\n')).toMatch(message);
  });

  it.each(cases.pass)('passes: $name', ({ json, address }) => {
    expect(messagesFor(json, address ?? cases.address, ruleId)).toEqual([]);
  });
});

describe('ephemeral environments', () => {
  const unprotected = [BUCKET, TABLE, KEY].reduce((json, address) => patch(json, address, { lifecycle: undefined }), base);
  const risky = patch(
    patch(patch(patch(unprotected, BUCKET, { force_destroy: true }), TABLE, { deletion_protection_enabled: false }), KEY, { deletion_window_in_days: 7 }),
    REPO,
    { force_delete: true },
  );
  const STATEFUL = ['GAI-S3-007', 'GAI-S3-008', 'GAI-DDB-003', 'GAI-DDB-004', 'GAI-KMS-002', 'GAI-KMS-003', 'GAI-ECR-005'];

  it('exempt the stateful-protection rules', () => {
    expect([...new Set(evaluatePolicies(risky, CORE_RULES).map((f) => f.ruleId))].sort()).toEqual([...STATEFUL].sort());
    expect(evaluatePolicies(ephemeral(risky), CORE_RULES)).toEqual([]);
  });

  it('still apply every other rule', () => {
    const json = ephemeral(patch(risky, KEY, { enable_key_rotation: false }));
    expect(evaluatePolicies(json, CORE_RULES).map((f) => `${f.ruleId} ${f.address}`)).toEqual([`GAI-KMS-001 ${KEY}`]);
  });
});

describe('suppressions', () => {
  const justification = 'Invoked only through an SQS event source mapping; failures go to the source queue redrive policy.';
  const json = suppress(patch(base, FN, { dead_letter_config: undefined }), FN, { ruleId: 'GAI-LMB-002', justification });

  it('keep the finding, marked with the justification', () => {
    const findings = evaluatePolicies(json, CORE_RULES);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'GAI-LMB-002', address: FN, path: 'test/Fn/Resource', severity: 'error', suppressedBecause: justification });
    expect(activeFindings(findings)).toEqual([]);
  });

  it('cover only the named rule', () => {
    const findings = evaluatePolicies(patch(json, FN, { tracing_config: undefined }), CORE_RULES);
    expect(activeFindings(findings).map((f) => f.ruleId)).toEqual(['GAI-LMB-001']);
  });
});

describe('findings', () => {
  it('carry the rule severity, construct path and fix', () => {
    const [finding] = evaluatePolicies(patch(base, BUCKET, { force_destroy: true }), CORE_RULES);
    const rule = CORE_RULES.find((r) => r.id === 'GAI-S3-007')!;
    expect(finding).toEqual({
      ruleId: 'GAI-S3-007',
      severity: 'error',
      address: BUCKET,
      path: 'test/Data/Resource',
      message: 'force_destroy is true, so destroying the bucket would delete all of its objects',
      fix: rule.fix,
    });
  });

  it('report warnings with warning severity', () => {
    const findings = evaluatePolicies(remove(base, 'aws_s3_bucket_ownership_controls.Data_Ownership'), CORE_RULES);
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual([['GAI-S3-009', 'warning']]);
  });
});

describe('IAM policies given as a data.aws_iam_policy_document reference', () => {
  const withDocument = (statement: Config): TfJson =>
    patch(base, 'data.aws_iam_policy_document.ReadTable', { statement: [statement] });

  it('are read through the data source', () => {
    const json = withDocument({
      sid: 'Broad',
      effect: 'Allow',
      actions: ['dynamodb:Get*', 'iam:PassRole'],
      resources: ['*'],
    });
    const ids = evaluatePolicies(json, CORE_RULES)
      .filter((f) => f.address === MANAGED_POLICY)
      .map((f) => f.ruleId);
    expect(ids).toEqual(['GAI-IAM-002', 'GAI-IAM-003', 'GAI-IAM-004', 'GAI-IAM-004']);
  });

  it('accept conditions written as data-source condition blocks', () => {
    const json = withDocument({
      actions: ['iam:PassRole'],
      resources: [ref('aws_iam_role.Worker', 'arn')],
      condition: [{ test: 'StringEquals', variable: 'iam:PassedToService', values: ['sagemaker.amazonaws.com'] }],
    });
    expect(evaluatePolicies(json, CORE_RULES)).toEqual([]);
  });

  it('are skipped when the policy cannot be read at synth', () => {
    const json = patch(base, MANAGED_POLICY, { policy: '${jsonencode(local.statements)}' });
    expect(evaluatePolicies(json, CORE_RULES)).toEqual([]);
  });
});

describe('unscopable actions', () => {
  it('are exact service:Action names, listed once', () => {
    for (const action of UNSCOPABLE_ACTIONS) expect(action).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/);
    expect(new Set(UNSCOPABLE_ACTIONS.map((a) => a.toLowerCase())).size).toBe(UNSCOPABLE_ACTIONS.length);
  });

  it('are matched case-insensitively, exactly', () => {
    expect(isUnscopableAction('xray:puttracesegments')).toBe(true);
    expect(isUnscopableAction('xray:*')).toBe(false);
    expect(isUnscopableAction('s3:GetObject')).toBe(false);
  });
});

describe('helpers', () => {
  it('blocks() normalises objects, arrays and absent blocks', () => {
    expect(blocks({ a: 1 })).toEqual([{ a: 1 }]);
    expect(blocks([{ a: 1 }, { b: 2 }])).toEqual([{ a: 1 }, { b: 2 }]);
    expect(blocks(undefined)).toEqual([]);
    expect(blocks('${var.x}')).toEqual([]);
  });

  it('actionMatches() follows IAM wildcard matching', () => {
    expect(actionMatches('iam:PassRole', 'iam:passrole')).toBe(true);
    expect(actionMatches('iam:Pass*', 'iam:PassRole')).toBe(true);
    expect(actionMatches('*', 'iam:PassRole')).toBe(true);
    expect(actionMatches('iam:?assRole', 'iam:PassRole')).toBe(true);
    expect(actionMatches('iam:Get*', 'iam:PassRole')).toBe(false);
    expect(actionMatches('iam:Pass.ole', 'iam:PassRole')).toBe(false);
  });
});
