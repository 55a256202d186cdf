/**
 * Synthesized-stack fixtures for the policy pack tests: plain `cdk.tf.json`-shaped objects, a
 * fully compliant stack, and helpers that derive variants (patch, remove, add a resource).
 */

export type Config = Record<string, unknown>;
export type TfJson = {
  '//'?: Config;
  resource: Record<string, Record<string, Config>>;
  data?: Record<string, Record<string, Config>>;
};

export const ACCOUNT = '111122223333';

/** `${type.name.attr}` (a `data.` type gives a data-source reference). */
export function ref(address: string, attribute: string): string {
  return `\${${address}.${attribute}}`;
}

/** IAM policy JSON as the constructs render it. */
export function policyJson(...statements: Config[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** A resource configuration with the construct-path metadata cdktf writes. */
function withPath(path: string, config: Config): Config {
  return { ...config, '//': { metadata: { path: `test/${path}` } } };
}

const PROTECTED = { lifecycle: { prevent_destroy: true } };

/** A compliant customer-managed key `aws_kms_key.<name>`. */
export function kmsKeyResources(name: string): TfJson['resource'] {
  return {
    aws_kms_key: {
      [name]: withPath(`${name}/Resource`, {
        description: `gaiops key ${name}`,
        enable_key_rotation: true,
        rotation_period_in_days: 365,
        deletion_window_in_days: 30,
        key_usage: 'ENCRYPT_DECRYPT',
        customer_master_key_spec: 'SYMMETRIC_DEFAULT',
        policy: policyJson({
          Sid: 'AccountAdministration',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: ['kms:DescribeKey', 'kms:PutKeyPolicy'],
          Resource: '*',
        }),
        ...PROTECTED,
      }),
    },
  };
}

/**
 * A compliant bucket `aws_s3_bucket.<name>` with every companion SecureBucket creates; server access
 * logs go to `aws_s3_bucket.<logTarget>` (none when the bucket is itself the log target).
 */
export function bucketResources(name: string, keyName: string, logTarget?: string): TfJson['resource'] {
  const bucket = ref(`aws_s3_bucket.${name}`, 'id');
  const arn = ref(`aws_s3_bucket.${name}`, 'arn');
  const resources: TfJson['resource'] = {
    aws_s3_bucket: { [name]: withPath(`${name}/Resource`, { bucket: `gai-dev-${name.toLowerCase()}`, force_destroy: false, ...PROTECTED }) },
    aws_s3_bucket_versioning: { [`${name}_Versioning`]: { bucket, versioning_configuration: { status: 'Enabled' } } },
    aws_s3_bucket_server_side_encryption_configuration: {
      [`${name}_Encryption`]: {
        bucket,
        rule: [
          {
            apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: ref(`aws_kms_key.${keyName}`, 'arn') },
            bucket_key_enabled: true,
          },
        ],
      },
    },
    aws_s3_bucket_public_access_block: {
      [`${name}_PublicAccessBlock`]: {
        bucket,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      },
    },
    aws_s3_bucket_ownership_controls: { [`${name}_Ownership`]: { bucket, rule: { object_ownership: 'BucketOwnerEnforced' } } },
    aws_s3_bucket_lifecycle_configuration: {
      [`${name}_Lifecycle`]: {
        bucket,
        rule: [
          { id: 'abort', status: 'Enabled', filter: [{ prefix: '' }], abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] },
          { id: 'noncurrent', status: 'Enabled', filter: [{ prefix: '' }], noncurrent_version_expiration: [{ noncurrent_days: 90 }] },
        ],
      },
    },
    aws_s3_bucket_policy: {
      [`${name}_Policy`]: {
        bucket,
        policy: policyJson({
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: [arn, `${arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      },
    },
  };
  if (logTarget) {
    resources.aws_s3_bucket_logging = {
      [`${name}_AccessLogs`]: { bucket, target_bucket: ref(`aws_s3_bucket.${logTarget}`, 'id'), target_prefix: `${name}/` },
    };
  }
  return resources;
}

/** A compliant role `aws_iam_role.<name>` trusted by Lambda, with an inline role policy. */
function roleResources(name: string): TfJson['resource'] {
  return {
    aws_iam_role: {
      [name]: withPath(`${name}/Resource`, {
        name: `gai-dev-${name.toLowerCase()}`,
        assume_role_policy: policyJson({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      }),
    },
    aws_iam_role_policy: {
      [`${name}_Policy`]: {
        name: 'gaiops-grants',
        role: ref(`aws_iam_role.${name}`, 'name'),
        policy: policyJson(
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `${ref('aws_s3_bucket.Data', 'arn')}/*` },
          { Sid: 'Tracing', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
          {
            Sid: 'PassExecutionRole',
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: ref('aws_iam_role.Worker', 'arn'),
            Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
          },
        ),
      },
    },
    aws_iam_role_policy_attachment: {
      [`${name}_Basic`]: {
        role: ref(`aws_iam_role.${name}`, 'name'),
        policy_arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      },
    },
  };
}

/** Merges resource maps (later ones win per type and name). */
function merge(...parts: TfJson['resource'][]): TfJson['resource'] {
  const out: TfJson['resource'] = {};
  for (const part of parts) {
    for (const [type, byName] of Object.entries(part)) out[type] = { ...(out[type] ?? {}), ...byName };
  }
  return out;
}

/**
 * A stack where every core rule holds: a key, a data bucket logging into a log bucket, a DynamoDB
 * table, a Lambda function with its log group and dead-letter queue, an ECR repository, a role with
 * an inline policy, and a managed policy written as a `data.aws_iam_policy_document`.
 */
export function compliantStack(): TfJson {
  const key = ref('aws_kms_key.Key', 'arn');
  return {
    '//': { gaiops: { platform: 'gai', environment: 'dev', ephemeral: false } },
    resource: merge(
      kmsKeyResources('Key'),
      bucketResources('Data', 'Key', 'Logs'),
      bucketResources('Logs', 'Key'),
      roleResources('FnRole'),
      {
        aws_dynamodb_table: {
          Table: withPath('Table/Resource', {
            name: 'gai-dev-table',
            billing_mode: 'PAY_PER_REQUEST',
            hash_key: 'pk',
            attribute: [{ name: 'pk', type: 'S' }],
            point_in_time_recovery: { enabled: true },
            server_side_encryption: { enabled: true, kms_key_arn: key },
            deletion_protection_enabled: true,
            ...PROTECTED,
          }),
        },
        aws_lambda_function: {
          Fn: withPath('Fn/Resource', {
            function_name: 'gai-dev-fn',
            role: ref('aws_iam_role.FnRole', 'arn'),
            runtime: 'nodejs22.x',
            handler: 'index.handler',
            filename: 'fn.zip',
            tracing_config: { mode: 'Active' },
            dead_letter_config: { target_arn: ref('aws_sqs_queue.Dlq', 'arn') },
            environment: { variables: { TABLE_NAME: ref('aws_dynamodb_table.Table', 'name') } },
            kms_key_arn: key,
          }),
        },
        aws_cloudwatch_log_group: {
          FnLogs: withPath('Fn/Logs', { name: '/aws/lambda/gai-dev-fn', retention_in_days: 365, kms_key_id: key }),
        },
        aws_sqs_queue: {
          Dlq: withPath('Dlq/Resource', { name: 'gai-dev-dlq', kms_master_key_id: key, kms_data_key_reuse_period_seconds: 300 }),
        },
        aws_sqs_queue_policy: {
          Dlq_Policy: { queue_url: ref('aws_sqs_queue.Dlq', 'url'), policy: ref('data.aws_iam_policy_document.DlqPolicy', 'json') },
        },
        aws_ecr_repository: {
          Repo: withPath('Repo/Resource', {
            name: 'gai-dev-repo',
            image_tag_mutability: 'IMMUTABLE',
            image_scanning_configuration: { scan_on_push: true },
            encryption_configuration: [{ encryption_type: 'KMS', kms_key: key }],
            force_delete: false,
          }),
        },
        aws_ecr_lifecycle_policy: {
          Repo_Lifecycle: {
            repository: ref('aws_ecr_repository.Repo', 'name'),
            policy: JSON.stringify({
              rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }],
            }),
          },
        },
        aws_iam_policy: {
          ReadTable: withPath('ReadTable/Resource', { name: 'gai-dev-read-table', policy: ref('data.aws_iam_policy_document.ReadTable', 'json') }),
        },
      },
    ),
    data: {
      aws_iam_policy_document: {
        ReadTable: {
          statement: [
            { sid: 'ReadItems', effect: 'Allow', actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [ref('aws_dynamodb_table.Table', 'arn')] },
          ],
        },
        DlqPolicy: {
          statement: [
            {
              sid: 'DenyInsecureTransport',
              effect: 'Deny',
              principals: [{ type: 'AWS', identifiers: ['*'] }],
              actions: ['sqs:*'],
              resources: [ref('aws_sqs_queue.Dlq', 'arn')],
              condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
            },
          ],
        },
      },
    },
  };
}

function clone(json: TfJson): TfJson {
  return structuredClone(json);
}

/** Splits `aws_s3_bucket.Data` / `data.aws_iam_policy_document.X` into section, type and name. */
function locate(address: string): { section: 'resource' | 'data'; type: string; name: string } {
  const parts = address.split('.');
  return parts[0] === 'data' ? { section: 'data', type: parts[1], name: parts[2] } : { section: 'resource', type: parts[0], name: parts[1] };
}

function configAt(json: TfJson, address: string): Config {
  const { section, type, name } = locate(address);
  const config = json[section]?.[type]?.[name];
  if (!config) throw new Error(`fixture has no ${address}`);
  return config;
}

/** A copy with the resource's attributes changed; an `undefined` value removes the attribute. */
export function patch(json: TfJson, address: string, changes: Config): TfJson {
  const out = clone(json);
  const config = configAt(out, address);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }
  return out;
}

/** A copy without the resource. */
export function remove(json: TfJson, address: string): TfJson {
  const out = clone(json);
  configAt(out, address);
  const { section, type, name } = locate(address);
  delete out[section]![type][name];
  return out;
}

/** A copy with a resource (or data source) added. */
export function add(json: TfJson, address: string, config: Config): TfJson {
  const out = clone(json);
  const { section, type, name } = locate(address);
  const sectionMap = (out[section] ??= {});
  sectionMap[type] = { ...(sectionMap[type] ?? {}), [name]: config };
  return out;
}

/** A copy marked as an ephemeral environment. */
export function ephemeral(json: TfJson): TfJson {
  const out = clone(json);
  out['//'] = { gaiops: { ...(((json['//'] ?? {}) as Config).gaiops as Config), ephemeral: true } };
  return out;
}

/** A copy with suppressions recorded on the resource (kept alongside its metadata). */
export function suppress(json: TfJson, address: string, ...suppressions: { ruleId: string; justification: string }[]): TfJson {
  const out = clone(json);
  const config = configAt(out, address);
  config['//'] = { ...((config['//'] ?? {}) as Config), gaiops: { suppressions } };
  return out;
}

/** One fixture for a rule: a stack, and (for failing cases) where the finding is and what it says. */
export interface Case {
  readonly name: string;
  readonly json: TfJson;
  /** Defaults to the rule's address. */
  readonly address?: string;
  /** For failing cases: a message must match. */
  readonly message?: RegExp;
}

/** A rule's failing and passing fixtures. */
export interface RuleCases {
  readonly address: string;
  readonly fail: readonly Case[];
  readonly pass: readonly Case[];
}
