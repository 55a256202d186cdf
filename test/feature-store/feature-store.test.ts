import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { activeFindings, CORE_RULES, EncryptionKey, evaluatePolicies, GaiConfigError, Role, TerraformOutput } from '../../src';
import { ATHENA_RULES } from '../../src/core/policy/rules/athena';
import { GLUE_RULES } from '../../src/core/policy/rules/glue';
import { SECRETSMANAGER_RULES } from '../../src/core/policy/rules/secretsmanager';
import { FEATURE_STORE_ENV, FeatureStoreConfigSchema, OFFLINE_LAYOUT, type FeatureGroupInput } from '../../src/feature-store/feature-group';
import { FEATURE_STORE_ROUTES, FeatureStore, offlineGroupPrefix } from '../../src/feature-store/feature-store';
import { FeatureStorePropsSchema, type FeatureStoreProps } from '../../src/feature-store/schema';
import { byPath, only, platformStack, policy, resources, synth, type TfJson } from '../support/synth';

const CUSTOMER: FeatureGroupInput = {
  name: 'customer',
  entityKeys: [{ name: 'customer_id' }],
  eventTimeColumn: 'event_time',
  features: [
    { name: 'age', type: 'int', min: 0, max: 130 },
    { name: 'balance', type: 'float' },
    { name: 'segment', type: 'string', allowedValues: ['retail', 'business'] },
    { name: 'active', type: 'bool' },
    { name: 'last_login', type: 'timestamp' },
    { name: 'email', type: 'string', pii: 'hash' },
    { name: 'phone', type: 'string', pii: 'mask' },
    { name: 'ssn', type: 'string', pii: 'drop' },
    { name: 'gender', type: 'string' },
  ],
  sensitiveAttributes: ['gender'],
  onlineTtlSeconds: 86_400,
};
const TRANSACTIONS: FeatureGroupInput = {
  name: 'transactions',
  entityKeys: [{ name: 'account_id', type: 'int' }, { name: 'merchant' }],
  eventTimeColumn: 'ts',
  features: [{ name: 'amount', type: 'float' }],
  online: false,
};
const SESSIONS: FeatureGroupInput = {
  name: 'sessions',
  entityKeys: [{ name: 'session_id' }],
  eventTimeColumn: 'ts',
  features: [{ name: 'clicks', type: 'int' }],
  offline: false,
};
const GROUPS = [CUSTOMER, TRANSACTIONS, SESSIONS];

/** Every rule the stack must satisfy: the core pack plus the data-platform rules (until they are wired into it). */
const RULES = [...new Set([...CORE_RULES, ...GLUE_RULES, ...ATHENA_RULES, ...SECRETSMANAGER_RULES])];

function featureStore(props: Partial<FeatureStoreProps> = {}, settings: { ephemeral?: boolean } = {}) {
  const stack = platformStack(settings);
  const fs = new FeatureStore(stack, 'Features', { featureGroups: GROUPS, ...props });
  return { stack, fs };
}

/** The synthesized stack of a feature store (the policy pack runs; errors throw). */
function synthStore(props: Partial<FeatureStoreProps> = {}, settings: { ephemeral?: boolean } = {}) {
  const { stack, fs } = featureStore(props, settings);
  return { stack, fs, json: synth(stack) };
}

/** `${<type>.<name>.<attr>}` of the resource at the construct path suffix. */
function refTo(json: TfJson, type: string, suffix: string, attr: string): string {
  const found = resources(json, type).filter(([, c]) => String(c['//']?.metadata?.path ?? '').endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${type} at …${suffix}, found ${found.length}`);
  return `\${${type}.${found[0][0]}.${attr}}`;
}

/** The statements of a role's gaiops inline policy. */
function roleStatements(json: TfJson, rolePath: string): any[] {
  return policy(byPath(json, 'aws_iam_role_policy', `${rolePath}/Policy/Resource`).policy).Statement;
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as string]);
const actionsOf = (statements: any[]): string[] => [...new Set(statements.flatMap((s) => asList(s.Action)))].sort();

/** Statements allowing an action. */
const allowing = (statements: any[], action: string) => statements.filter((s) => asList(s.Action).includes(action));

/** Object-level S3 resources (`<bucket ARN>/<prefix>*`) of the statements allowing the action, as the part after the ARN. */
function objectPrefixes(statements: any[], action: string, bucketArn: string): string[] {
  return allowing(statements, action)
    .flatMap((s) => asList(s.Resource))
    .filter((r) => r.startsWith(`${bucketArn}/`))
    .map((r) => r.slice(bucketArn.length + 1))
    .sort();
}

describe('FeatureStore', () => {
  describe('offline store', () => {
    it('writes the validated groups config to config/feature-groups.json, KMS-encrypted, with its sha256', () => {
      const { fs, json } = synthStore();
      const object = byPath(json, 'aws_s3_object', 'Features/Config');
      expect(object).toMatchObject({
        bucket: refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'bucket'),
        key: OFFLINE_LAYOUT.config,
        content_type: 'application/json',
        server_side_encryption: 'aws:kms',
        kms_key_id: refTo(json, 'aws_kms_key', 'Features/Key/Resource', 'arn'),
        bucket_key_enabled: true,
      });
      const expected = FeatureStoreConfigSchema.parse({ version: 1, groups: GROUPS });
      expect(JSON.parse(object.content)).toEqual(expected);
      expect(fs.config).toEqual(expected);
      expect(fs.groups).toEqual(expected.groups);
      expect(object.metadata).toEqual({ sha256: createHash('sha256').update(object.content).digest('hex') });
      expect(fs.configSha256).toBe(object.metadata.sha256);
      // Defaults are explicit in the config the runtimes read.
      expect(expected.groups[0].features[0]).toMatchObject({ nullable: true });
      expect(expected.groups[1]).toMatchObject({ online: false, offline: true, sensitiveAttributes: [] });
    });

    it('escapes Terraform template sequences in the config so it reaches S3 verbatim', () => {
      const group = { ...SESSIONS, features: [{ name: 'code', type: 'string' as const, allowedValues: ['${var.x}', '%{if}', '$plain'] }] };
      const { json } = synthStore({ featureGroups: [group] });
      const content: string = byPath(json, 'aws_s3_object', 'Features/Config').content;
      expect(content).toContain('"$${var.x}","%%{if}","$plain"');
      const unescaped = content.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
      expect(JSON.parse(unescaped).groups[0].features[0].allowedValues).toEqual(['${var.x}', '%{if}', '$plain']);
    });

    it('expires raw/ after 30 days and rejected/ after 90 in the bucket\'s one lifecycle configuration; history never by default', () => {
      const { json } = synthStore();
      const bucketId = refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'id');
      const lifecycles = resources(json, 'aws_s3_bucket_lifecycle_configuration').filter(([, c]) => c.bucket === bucketId);
      expect(lifecycles).toHaveLength(1);
      const rules = lifecycles[0][1].rule as any[];
      expect(rules.map((r) => r.id)).toEqual([
        'abort-incomplete-multipart-uploads',
        'noncurrent-versions',
        'expire-raw',
        'expire-raw-delete-markers',
        'expire-rejected',
        'expire-rejected-delete-markers',
      ]);
      expect(rules[2]).toEqual({
        id: 'expire-raw',
        status: 'Enabled',
        filter: [{ prefix: 'raw/' }],
        expiration: [{ days: 30 }],
        noncurrent_version_expiration: [{ noncurrent_days: 1 }],
      });
      expect(rules[3]).toEqual({ id: 'expire-raw-delete-markers', status: 'Enabled', filter: [{ prefix: 'raw/' }], expiration: [{ expired_object_delete_marker: true }] });
      expect(rules[4]).toMatchObject({ filter: [{ prefix: 'rejected/' }], expiration: [{ days: 90 }] });
    });

    it('takes retention overrides, offline history and manifests included', () => {
      const { json } = synthStore({ retention: { rawDays: 7, rejectedDays: 14, offlineDays: 365, manifestsDays: 730 } });
      const rules = byPath(json, 'aws_s3_bucket_lifecycle_configuration', 'Features/Offline/Lifecycle').rule as any[];
      const expiry = Object.fromEntries(rules.filter((r) => r.expiration?.[0]?.days).map((r) => [r.filter[0].prefix, r.expiration[0].days]));
      expect(expiry).toEqual({ 'raw/': 7, 'rejected/': 14, 'offline/': 365, 'manifests/': 730 });
    });

    it('derives the layout prefixes from OFFLINE_LAYOUT', () => {
      expect(offlineGroupPrefix('customer')).toBe('offline/customer/');
      expect(OFFLINE_LAYOUT.offline('customer', '2026-01-05').startsWith(offlineGroupPrefix('customer'))).toBe(true);
    });
  });

  describe('ingest', () => {
    it('sends ObjectCreated events under raw/ to the encrypted ingest queue, which only this bucket may send to', () => {
      const { json } = synthStore();
      const queueArn = refTo(json, 'aws_sqs_queue', 'Features/IngestQueue/Resource', 'arn');
      const bucketArn = refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'arn');
      const notification = only(json, 'aws_s3_bucket_notification');
      expect(notification.bucket).toBe(refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'id'));
      expect(notification.queue).toEqual([{ id: 'raw-objects', queue_arn: queueArn, events: ['s3:ObjectCreated:*'], filter_prefix: 'raw/' }]);
      const queuePolicy = resources(json, 'aws_sqs_queue_policy').find(([, c]) => c['//'].metadata.path.endsWith('Features/IngestQueue/Policy'))!;
      expect(notification.depends_on).toEqual([`aws_sqs_queue_policy.${queuePolicy[0]}`]);

      const statements = policy(queuePolicy[1].policy).Statement;
      const allow = statements.find((s: any) => s.Sid === 'AllowS3RawObjectNotifications');
      expect(allow).toEqual({
        Sid: 'AllowS3RawObjectNotifications',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: {
          ArnEquals: { 'aws:SourceArn': bucketArn },
          StringEquals: { 'aws:SourceAccount': expect.stringMatching(/^\$\{data\.aws_caller_identity\..+\.account_id\}$/) },
        },
      });
      expect(statements.find((s: any) => s.Sid === 'DenyInsecureTransport')).toBeDefined();

      // S3 encrypts the notifications it sends with the queue's key: the key lets the S3 service use it (this account only).
      const keyPolicy = policy(byPath(json, 'aws_kms_key', 'Features/Key/Resource').policy).Statement;
      const s3 = keyPolicy.find((s: any) => s.Sid === 'ServiceS3');
      expect(s3).toMatchObject({ Principal: { Service: 's3.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] });
      expect(Object.keys(s3.Condition.StringEquals)).toEqual(['aws:SourceAccount']);
      expect(keyPolicy.find((s: any) => s.Sid === 'ServiceLogs')).toBeDefined();
    });

    it('gives the queue a visibility timeout of 6 × the function timeout and a dead-letter queue after 5 receives', () => {
      const { json } = synthStore();
      const queue = byPath(json, 'aws_sqs_queue', 'Features/IngestQueue/Resource');
      expect(queue.visibility_timeout_seconds).toBe(5400);
      expect(queue.kms_master_key_id).toBe(refTo(json, 'aws_kms_key', 'Features/Key/Resource', 'arn'));
      expect(JSON.parse(queue.redrive_policy)).toEqual({
        deadLetterTargetArn: refTo(json, 'aws_sqs_queue', 'Features/IngestDeadLetter/Resource', 'arn'),
        maxReceiveCount: 5,
      });
      const custom = synthStore({ ingest: { timeoutSeconds: 120 } }).json;
      expect(byPath(custom, 'aws_sqs_queue', 'Features/IngestQueue/Resource').visibility_timeout_seconds).toBe(720);
      expect(byPath(custom, 'aws_lambda_function', 'Features/Ingest/Resource').timeout).toBe(120);
    });

    it('feeds the ingest function from the queue with partial batch responses and bounded concurrency', () => {
      const { json } = synthStore();
      const mapping = only(json, 'aws_lambda_event_source_mapping');
      expect(mapping).toMatchObject({
        event_source_arn: refTo(json, 'aws_sqs_queue', 'Features/IngestQueue/Resource', 'arn'),
        function_name: refTo(json, 'aws_lambda_function', 'Features/Ingest/Resource', 'arn'),
        batch_size: 1,
        function_response_types: ['ReportBatchItemFailures'],
        scaling_config: { maximum_concurrency: 5 },
      });
      // The mapping is created once the role may read the queue.
      expect(mapping.depends_on).toEqual([expect.stringMatching(/^aws_iam_role\.Features_Ingest_ServiceRole_/), expect.stringMatching(/^aws_iam_role_policy\.Features_Ingest_ServiceRole_Policy_/)]);

      const custom = only(synthStore({ ingest: { batchSize: 5, maxConcurrency: 20, reservedConcurrency: 20 } }).json, 'aws_lambda_event_source_mapping');
      expect(custom).toMatchObject({ batch_size: 5, scaling_config: { maximum_concurrency: 20 } });
    });

    it('runs the ingest runtime with 2048 MB, 900 s and the feature store environment', () => {
      const { json } = synthStore();
      const fn = byPath(json, 'aws_lambda_function', 'Features/Ingest/Resource');
      expect(fn).toMatchObject({ function_name: 'gai-test-features-ingest', memory_size: 2048, timeout: 900, runtime: 'nodejs22.x' });
      expect(fn.filename).toMatch(/feature-store-ingest-[0-9a-f]{16}\.zip$/);
      expect(fn.environment.variables).toMatchObject({
        [FEATURE_STORE_ENV.bucket]: refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'bucket'),
        [FEATURE_STORE_ENV.onlineTable]: refTo(json, 'aws_dynamodb_table', 'Features/Online/Resource', 'name'),
        [FEATURE_STORE_ENV.versionsTable]: refTo(json, 'aws_dynamodb_table', 'Features/Versions/Resource', 'name'),
        [FEATURE_STORE_ENV.configKey]: 'config/feature-groups.json',
        [FEATURE_STORE_ENV.piiSecretArn]: refTo(json, 'aws_secretsmanager_secret', 'Features/PiiKey', 'arn'),
      });
      // Exactly the shared contract (plus what every NodeFunction sets).
      expect(Object.keys(fn.environment.variables).sort()).toEqual([...Object.values(FEATURE_STORE_ENV), 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME'].sort());
      expect(byPath(json, 'aws_lambda_function', 'Features/Serving/Resource').environment.variables).toMatchObject(
        Object.fromEntries(Object.values(FEATURE_STORE_ENV).map((name) => [name, fn.environment.variables[name]])),
      );
      expect(fn.reserved_concurrent_executions).toBeUndefined();
    });
  });

  describe('online store', () => {
    it('creates the online table (pk, TTL expires_at) and the versions table (group, sk), both protected and encrypted with the key', () => {
      const { json } = synthStore();
      const key = refTo(json, 'aws_kms_key', 'Features/Key/Resource', 'arn');
      const online = byPath(json, 'aws_dynamodb_table', 'Features/Online/Resource');
      expect(online).toMatchObject({
        hash_key: 'pk',
        attribute: [{ name: 'pk', type: 'S' }],
        ttl: { enabled: true, attribute_name: 'expires_at' },
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true, kms_key_arn: key },
        deletion_protection_enabled: true,
        lifecycle: { prevent_destroy: true },
      });
      expect(online.range_key).toBeUndefined();
      const versions = byPath(json, 'aws_dynamodb_table', 'Features/Versions/Resource');
      expect(versions).toMatchObject({
        hash_key: 'group',
        range_key: 'sk',
        attribute: [
          { name: 'group', type: 'S' },
          { name: 'sk', type: 'S' },
        ],
        server_side_encryption: { enabled: true, kms_key_arn: key },
      });
      expect(versions.ttl).toBeUndefined();
    });
  });

  describe('query', () => {
    it('catalogs one Glue table per offline group over offline/<group>/, with the props\' columns and projected date partitions', () => {
      const { fs, json } = synthStore();
      expect(only(json, 'aws_glue_catalog_database').name).toBe('gai_test_features');
      const tables = resources(json, 'aws_glue_catalog_table').map(([, t]) => t);
      expect(tables.map((t) => t.name).sort()).toEqual(['customer', 'transactions']); // sessions is online-only
      expect([...fs.glueTables.keys()]).toEqual(['customer', 'transactions']);

      const bucket = refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'bucket');
      const customer = tables.find((t) => t.name === 'customer')!;
      expect(customer).toMatchObject({
        database_name: refTo(json, 'aws_glue_catalog_database', 'Features/Catalog', 'name'),
        table_type: 'EXTERNAL_TABLE',
        partition_keys: [{ name: 'date', type: 'string', comment: expect.any(String) }],
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          'projection.enabled': 'true',
          'projection.date.type': 'date',
          'projection.date.range': '2000-01-01,NOW+1DAYS',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.interval': '1',
          'projection.date.interval.unit': 'DAYS',
          'storage.location.template': `s3://${bucket}/offline/customer/date=$\${date}/`,
        },
      });
      const sd = customer.storage_descriptor;
      expect(sd).toMatchObject({
        location: `s3://${bucket}/offline/customer/`,
        input_format: 'org.apache.hadoop.mapred.TextInputFormat',
        output_format: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        ser_de_info: { serialization_library: 'org.openx.data.jsonserde.JsonSerDe' },
      });
      expect(sd.columns.map((c: any) => [c.name, c.type])).toEqual([
        ['customer_id', 'string'],
        ['event_time', 'timestamp'],
        ['age', 'bigint'],
        ['balance', 'double'],
        ['segment', 'string'],
        ['active', 'boolean'],
        ['last_login', 'timestamp'],
        ['email', 'string'],
        ['phone', 'string'],
        ['gender', 'string'],
      ]);
      expect(sd.columns.some((c: any) => c.name === 'ssn')).toBe(false); // pii: drop
      expect(sd.columns.find((c: any) => c.name === 'email').comment).toMatch(/HMAC-SHA256/);
      expect(sd.columns.find((c: any) => c.name === 'phone').comment).toMatch(/masked/);

      const transactions = tables.find((t) => t.name === 'transactions')!;
      expect(transactions.storage_descriptor.columns.map((c: any) => [c.name, c.type])).toEqual([
        ['account_id', 'bigint'],
        ['merchant', 'string'],
        ['ts', 'timestamp'],
        ['amount', 'double'],
      ]);
    });

    it('queries through an enforced Athena workgroup writing SSE-KMS results to their own bucket, with a scan cutoff', () => {
      const { stack, fs } = featureStore();
      new TerraformOutput(stack, 'workgroup', { value: fs.workgroupName });
      const json = synth(stack);
      const workgroup = only(json, 'aws_athena_workgroup');
      expect(workgroup).toMatchObject({
        name: 'gai-test-features',
        state: 'ENABLED',
        force_destroy: false,
        configuration: {
          enforce_workgroup_configuration: true,
          publish_cloudwatch_metrics_enabled: true,
          bytes_scanned_cutoff_per_query: 10 * 1024 ** 3,
          result_configuration: {
            output_location: `s3://${refTo(json, 'aws_s3_bucket', 'Features/QueryResults/Resource', 'bucket')}/`,
            encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: refTo(json, 'aws_kms_key', 'Features/Key/Resource', 'arn') },
          },
        },
      });
      const results = byPath(json, 'aws_s3_bucket_lifecycle_configuration', 'Features/QueryResults/Lifecycle').rule as any[];
      expect(results.find((r) => r.id === 'expire-current-versions').expiration).toEqual([{ days: 30 }]);
      expect(json.output!.workgroup.value).toBe(refTo(json, 'aws_athena_workgroup', 'Features/Workgroup', 'name'));

      const custom = only(synthStore({ query: { bytesScannedCutoffPerQuery: 1_000_000_000, partitionRange: { start: '2024-06-01', end: 'NOW' } } }).json, 'aws_athena_workgroup');
      expect(custom.configuration.bytes_scanned_cutoff_per_query).toBe(1_000_000_000);
    });
  });

  describe('PII key', () => {
    it('creates a CMK-encrypted, protected secret with a random initial value kept out of later plans', () => {
      const { json } = synthStore();
      const secret = byPath(json, 'aws_secretsmanager_secret', 'Features/PiiKey');
      expect(secret).toMatchObject({
        name: 'gai-test-features-pii-key',
        kms_key_id: refTo(json, 'aws_kms_key', 'Features/Key/Resource', 'arn'),
        recovery_window_in_days: 30,
        lifecycle: { prevent_destroy: true },
      });
      const random = Object.values(json.data!.aws_secretsmanager_random_password)[0];
      expect(random).toMatchObject({ password_length: 64, exclude_punctuation: true });
      const version = byPath(json, 'aws_secretsmanager_secret_version', 'Features/PiiKeyVersion');
      expect(version).toMatchObject({
        secret_id: refTo(json, 'aws_secretsmanager_secret', 'Features/PiiKey', 'id'),
        secret_string: expect.stringMatching(/^\$\{data\.aws_secretsmanager_random_password\..+\.random_password\}$/),
        lifecycle: { ignore_changes: ['secret_string'], prevent_destroy: true },
      });
    });

    it('uses a 7-day recovery window and no prevent_destroy in ephemeral environments', () => {
      const { json } = synthStore({}, { ephemeral: true });
      const secret = byPath(json, 'aws_secretsmanager_secret', 'Features/PiiKey');
      expect(secret.recovery_window_in_days).toBe(7);
      expect(secret.lifecycle).toBeUndefined();
      expect(byPath(json, 'aws_secretsmanager_secret_version', 'Features/PiiKeyVersion').lifecycle).toEqual({ ignore_changes: ['secret_string'] });
    });

    it('takes your own secret (and its key) instead, granting exactly that secret', () => {
      const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:pii/hmac-key-AbC123';
      const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      const { json } = synthStore({ piiKeySecretArn: arn, piiKeySecretKeyArn: keyArn });
      expect(resources(json, 'aws_secretsmanager_secret')).toEqual([]);
      expect(resources(json, 'aws_secretsmanager_secret_version')).toEqual([]);
      expect(json.data?.aws_secretsmanager_random_password).toBeUndefined();
      for (const fn of ['Ingest', 'Serving']) {
        expect(byPath(json, 'aws_lambda_function', `Features/${fn}/Resource`).environment.variables[FEATURE_STORE_ENV.piiSecretArn]).toBe(arn);
        const statements = roleStatements(json, `Features/${fn}/ServiceRole`);
        expect(allowing(statements, 'secretsmanager:GetSecretValue')).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: arn }]);
        expect(statements.find((s) => s.Resource === keyArn)).toEqual({
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: keyArn,
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com', 'kms:EncryptionContext:SecretARN': arn } },
        });
      }
    });
  });

  describe('least privilege', () => {
    it('grants the ingest role exactly what the pipeline needs, scoped to prefixes, tables, the queue and the secret', () => {
      const { json } = synthStore();
      const statements = roleStatements(json, 'Features/Ingest/ServiceRole');
      expect(actionsOf(statements)).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:AbortMultipartUpload',
        's3:GetBucketLocation',
        's3:GetObject',
        's3:GetObjectVersion',
        's3:ListBucket',
        's3:ListMultipartUploadParts',
        's3:PutObject',
        'secretsmanager:GetSecretValue',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
      const bucketArn = refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'arn');
      expect(objectPrefixes(statements, 's3:GetObject', bucketArn)).toEqual(['config/feature-groups.json', 'manifests/*', 'offline/*', 'raw/*']);
      expect(objectPrefixes(statements, 's3:PutObject', bucketArn)).toEqual(['manifests/*', 'offline/*', 'rejected/*']);
      const listings = allowing(statements, 's3:ListBucket');
      expect(listings.every((s) => s.Resource === bucketArn)).toBe(true);
      expect(listings.filter((s) => s.Condition).flatMap((s) => asList(s.Condition.StringLike['s3:prefix'])).sort()).toEqual(['manifests/*', 'offline/*', 'raw/*']);
      // One unconditional listing grant, so a missing manifest reads as 404 rather than 403.
      expect(listings.filter((s) => !s.Condition)).toEqual([{ Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket'], Resource: bucketArn }]);
      expect(allowing(statements, 's3:DeleteObject')).toEqual([]);

      const tables = ['Online', 'Versions'].map((t) => refTo(json, 'aws_dynamodb_table', `Features/${t}/Resource`, 'arn'));
      for (const s of statements.filter((x) => asList(x.Action).some((a) => a.startsWith('dynamodb:')))) {
        for (const r of asList(s.Resource)) expect(tables.some((t) => r === t || r === `${t}/index/*`), r).toBe(true);
      }
      expect(allowing(statements, 'sqs:ReceiveMessage').map((s) => s.Resource)).toEqual([refTo(json, 'aws_sqs_queue', 'Features/IngestQueue/Resource', 'arn')]);
      const secretArn = refTo(json, 'aws_secretsmanager_secret', 'Features/PiiKey', 'arn');
      expect(allowing(statements, 'secretsmanager:GetSecretValue')).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArn }]);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: refTo(json, 'aws_kms_key', 'Features/Key/Resource', 'arn'),
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com', 'kms:EncryptionContext:SecretARN': secretArn } },
      });
      // Every KMS statement is limited to use through a service or to the function's own environment.
      for (const s of allowing(statements, 'kms:Decrypt')) expect(Object.keys(s.Condition.StringEquals).length).toBeGreaterThan(0);
      // Only X-Ray, which cannot be scoped, is on "*".
      expect(statements.filter((s) => asList(s.Resource).includes('*')).flatMap((s) => asList(s.Action)).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    });

    it('grants the serving role reads, versions writes and pushes (offline/, rejected/, manifests/, online table) — nothing under raw/', () => {
      const { json } = synthStore();
      const statements = roleStatements(json, 'Features/Serving/ServiceRole');
      expect(actionsOf(statements)).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:AbortMultipartUpload',
        's3:GetBucketLocation',
        's3:GetObject',
        's3:GetObjectVersion',
        's3:ListBucket',
        's3:ListMultipartUploadParts',
        's3:PutObject',
        'secretsmanager:GetSecretValue',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
      const bucketArn = refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'arn');
      expect(objectPrefixes(statements, 's3:GetObject', bucketArn)).toEqual(['config/feature-groups.json', 'manifests/*', 'offline/*']);
      expect(objectPrefixes(statements, 's3:PutObject', bucketArn)).toEqual(['manifests/*', 'offline/*', 'rejected/*']);
      expect(allowing(statements, 's3:ListBucket').filter((s) => !s.Condition)).toEqual([{ Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket'], Resource: bucketArn }]);
      expect(allowing(statements, 'sqs:ReceiveMessage')).toEqual([]);
      // Its only queue is its own dead-letter queue.
      expect(allowing(statements, 'sqs:SendMessage').map((s) => s.Resource)).toEqual([refTo(json, 'aws_sqs_queue', 'Features/Serving/DeadLetterQueue/Resource', 'arn')]);
    });

    it('passes the whole policy pack, the data-platform rules included', () => {
      const { json } = synthStore();
      expect(activeFindings(evaluatePolicies(json, RULES))).toEqual([]);
      const ephemeral = synthStore({}, { ephemeral: true }).json;
      expect(activeFindings(evaluatePolicies(ephemeral, RULES))).toEqual([]);
    });
  });

  describe('API', () => {
    it('serves every route through the serving function, each AWS_IAM-authorised', () => {
      const { stack, fs } = featureStore();
      new TerraformOutput(stack, 'url', { value: fs.apiUrl });
      new TerraformOutput(stack, 'database', { value: fs.glueDatabaseName });
      const json = synth(stack);
      const routes = resources(json, 'aws_apigatewayv2_route').map(([, r]) => r);
      expect(routes.map((r) => r.route_key).sort()).toEqual(
        [
          'GET /datasets/{group}/versions',
          'GET /datasets/{group}/versions/{id}',
          'POST /datasets/{group}/revert',
          'POST /datasets/{group}/versions/{id}/tags',
          'POST /datasets/{group}/versions/{id}/verify',
          'POST /get-online-features',
          'POST /push',
        ].sort(),
      );
      expect(Object.values(FEATURE_STORE_ROUTES).map((r) => `${r.method} ${r.path}`).sort()).toEqual(routes.map((r) => r.route_key).sort());
      for (const r of routes) expect(r.authorization_type).toBe('AWS_IAM');
      expect(only(json, 'aws_apigatewayv2_integration').integration_uri).toBe(refTo(json, 'aws_lambda_function', 'Features/Serving/Resource', 'invoke_arn'));
      expect(only(json, 'aws_apigatewayv2_stage').default_route_settings).toMatchObject({ throttling_burst_limit: 100, throttling_rate_limit: 50 });
      expect(json.output!.url.value).toBe(refTo(json, 'aws_apigatewayv2_api', 'Features/Api/Resource', 'api_endpoint'));
      expect(json.output!.database.value).toBe(refTo(json, 'aws_glue_catalog_database', 'Features/Catalog', 'name'));
      const serving = byPath(json, 'aws_lambda_function', 'Features/Serving/Resource');
      expect(serving).toMatchObject({ function_name: 'gai-test-features-serving', memory_size: 1024, timeout: 29 });
      expect(serving.filename).toMatch(/feature-store-serving-[0-9a-f]{16}\.zip$/);
    });

    it('takes throttling and serving sizes from the props', () => {
      const { json } = synthStore({ apiThrottling: { burstLimit: 10, rateLimit: 5 }, serving: { memorySize: 512, timeoutSeconds: 10, reservedConcurrency: 3 } });
      expect(only(json, 'aws_apigatewayv2_stage').default_route_settings).toMatchObject({ throttling_burst_limit: 10, throttling_rate_limit: 5 });
      expect(byPath(json, 'aws_lambda_function', 'Features/Serving/Resource')).toMatchObject({ memory_size: 512, timeout: 10, reserved_concurrent_executions: 3 });
    });
  });

  describe('grants', () => {
    function granted(grant: (fs: FeatureStore, role: Role) => void) {
      const { stack, fs } = featureStore();
      const role = new Role(stack, 'Consumer', { assumedBy: ['lambda.amazonaws.com'] });
      grant(fs, role);
      const json = synth(stack);
      return { json, statements: roleStatements(json, 'Consumer'), bucketArn: refTo(json, 'aws_s3_bucket', 'Features/Offline/Resource', 'arn') };
    }
    const apiArn = (json: TfJson) => refTo(json, 'aws_apigatewayv2_api', 'Features/Api/Resource', 'execution_arn');

    it('grantRead: invoke POST /get-online-features only', () => {
      const { json, statements } = granted((fs, role) => fs.grantRead(role));
      expect(statements).toEqual([{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${apiArn(json)}/$default/POST/get-online-features` }]);
    });

    it('grantIngest: write raw/<group>/ of each group (or one) and invoke POST /push', () => {
      const all = granted((fs, role) => {
        const grant = fs.grantIngest(role);
        expect(grant.actions).toEqual(['execute-api:Invoke', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject']);
      });
      expect(objectPrefixes(all.statements, 's3:PutObject', all.bucketArn)).toEqual(['raw/customer/*', 'raw/sessions/*', 'raw/transactions/*']);
      expect(allowing(all.statements, 'execute-api:Invoke').map((s) => s.Resource)).toEqual([`${apiArn(all.json)}/$default/POST/push`]);
      expect(allowing(all.statements, 's3:GetObject')).toEqual([]);

      const one = granted((fs, role) => fs.grantIngest(role, 'customer'));
      expect(objectPrefixes(one.statements, 's3:PutObject', one.bucketArn)).toEqual(['raw/customer/*']);
      expect(allowing(one.statements, 'kms:GenerateDataKey')).toHaveLength(1);
    });

    it('grantDatasetRead(group): that group\'s history, manifests, dataset routes, and Athena/Glue for its table', () => {
      const { json, statements, bucketArn } = granted((fs, role) => fs.grantDatasetRead(role, 'customer'));
      expect(objectPrefixes(statements, 's3:GetObject', bucketArn)).toEqual(['manifests/customer/*', 'offline/customer/*']);
      expect(objectPrefixes(statements, 's3:PutObject', bucketArn)).toEqual([]);
      expect(allowing(statements, 'execute-api:Invoke').flatMap((s) => asList(s.Resource)).sort()).toEqual([
        `${apiArn(json)}/$default/GET/datasets/customer/versions`,
        `${apiArn(json)}/$default/GET/datasets/customer/versions/*`,
      ]);
      const workgroupArn = refTo(json, 'aws_athena_workgroup', 'Features/Workgroup', 'arn');
      expect(allowing(statements, 'athena:StartQueryExecution')).toEqual([
        { Effect: 'Allow', Action: ['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution'], Resource: workgroupArn },
      ]);
      const glue = allowing(statements, 'glue:GetTable');
      expect(glue).toHaveLength(1);
      expect(asList(glue[0].Action)).toEqual(['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable']);
      const db = refTo(json, 'aws_glue_catalog_database', 'Features/Catalog', 'name');
      expect(asList(glue[0].Resource).map((r) => r.replace(/^arn:\$\{data\.aws_partition\.[^}]+\}:glue:eu-west-1:\$\{data\.aws_caller_identity\.[^}]+\}:/, ''))).toEqual([
        'catalog',
        `database/${db}`,
        `table/${db}/customer`,
      ]);
      // Athena writes and reads results with the caller's credentials, in the results bucket only.
      const resultsArn = refTo(json, 'aws_s3_bucket', 'Features/QueryResults/Resource', 'arn');
      expect(allowing(statements, 's3:PutObject').flatMap((s) => asList(s.Resource))).toEqual([`${resultsArn}/*`]);
      expect(statements.filter((s) => asList(s.Resource).includes('*'))).toEqual([]);
    });

    it('grantDatasetRead(): every group\'s history and manifests, both GET dataset routes, every table', () => {
      const { json, statements, bucketArn } = granted((fs, role) => fs.grantDatasetRead(role));
      expect(objectPrefixes(statements, 's3:GetObject', bucketArn)).toEqual(['manifests/*', 'offline/*']);
      expect(allowing(statements, 'execute-api:Invoke').flatMap((s) => asList(s.Resource)).sort()).toEqual([
        `${apiArn(json)}/$default/GET/datasets/*/versions`,
        `${apiArn(json)}/$default/GET/datasets/*/versions/*`,
      ]);
      const db = refTo(json, 'aws_glue_catalog_database', 'Features/Catalog', 'name');
      expect(asList(allowing(statements, 'glue:GetTable')[0].Resource).some((r) => r.endsWith(`:table/${db}/*`))).toBe(true);
    });

    it('refuse unknown groups and groups without an offline store', () => {
      const { stack, fs } = featureStore();
      const role = new Role(stack, 'Consumer', { assumedBy: ['lambda.amazonaws.com'] });
      expect(() => fs.grantIngest(role, 'nope')).toThrow(/gaiops:feature-store:unknown-group.*no feature group nope \(groups: customer, transactions, sessions\)/);
      expect(() => fs.grantDatasetRead(role, 'sessions')).toThrow(/gaiops:feature-store:no-offline-store.*sessions has no offline store/);
    });
  });

  describe('props', () => {
    function problems(props: unknown): string[] {
      try {
        new FeatureStore(platformStack(), 'Features', props as FeatureStoreProps);
      } catch (e) {
        expect(e).toBeInstanceOf(GaiConfigError);
        return (e as GaiConfigError).problems.map((p) => `${p.fieldPath}: ${p.message}`);
      }
      throw new Error('expected a GaiConfigError');
    }

    it('reports every problem at once, each with its field path', () => {
      const found = problems({
        featureGroups: [
          { ...CUSTOMER, sensitiveAttributes: ['gender', 'income'], features: [{ name: 'age', type: 'int', min: 10, max: 5 }, { name: 'gender', type: 'string' }] },
          { ...TRANSACTIONS, name: 'customer' },
          { ...SESSIONS, onlineTtlSeconds: 0 },
          { ...SESSIONS, name: 'events', features: [{ name: 'score', type: 'int', pii: 'hash' }] },
        ],
      });
      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^featureGroups\[0\]\.features\[0\]\.max: must be greater than or equal to min$/),
          expect.stringMatching(/^featureGroups\[0\]\.sensitiveAttributes\[1\]: income is not a feature of group customer$/),
          expect.stringMatching(/^featureGroups\[1\]\.name: duplicate feature group name customer \(also featureGroups\[0\]\)$/),
          expect.stringMatching(/^featureGroups\[2\]\.onlineTtlSeconds: /),
          expect.stringMatching(/^featureGroups\[3\]\.features\[0\]\.pii: PII handling applies to string features only$/),
        ]),
      );
      expect(found).toHaveLength(5);
    });

    it('names the path of each kind of problem', () => {
      expect(problems({ featureGroups: [] })).toEqual([expect.stringMatching(/^featureGroups: /)]);
      expect(problems({ featureGroups: [{ ...SESSIONS, onlineTtlSeconds: -5 }] })).toEqual([expect.stringMatching(/^featureGroups\[0\]\.onlineTtlSeconds: /)]);
      expect(problems({ featureGroups: [{ ...CUSTOMER, sensitiveAttributes: ['ssn'] }] })).toEqual([
        'featureGroups[0].sensitiveAttributes[0]: ssn is dropped as PII, so no bias report can use it',
      ]);
      expect(problems({ featureGroups: [SESSIONS, SESSIONS, SESSIONS] })).toEqual([
        'featureGroups[1].name: duplicate feature group name sessions (also featureGroups[0])',
        'featureGroups[2].name: duplicate feature group name sessions (also featureGroups[0])',
      ]);
      expect(problems({ featureGroups: [{ ...TRANSACTIONS, eventTimeColumn: 'date' }] })).toEqual([
        'featureGroups[0].eventTimeColumn: `date` is the partition column of the offline table; rename the column or set offline: false',
      ]);
      // An online-only group has no offline table, so `date` is a fine column name there.
      expect(() => featureStore({ featureGroups: [{ ...SESSIONS, eventTimeColumn: 'date' }] })).not.toThrow();
    });

    it('checks the store settings', () => {
      expect(problems({ featureGroups: GROUPS, ingest: { reservedConcurrency: 2, maxConcurrency: 10 } })).toEqual([
        expect.stringMatching(/^ingest\.maxConcurrency: must not exceed reservedConcurrency \(2\)/),
      ]);
      expect(problems({ featureGroups: GROUPS, ingest: { timeoutSeconds: 901 }, serving: { timeoutSeconds: 31 } })).toEqual([
        expect.stringMatching(/^ingest\.timeoutSeconds: /),
        expect.stringMatching(/^serving\.timeoutSeconds: /),
      ]);
      expect(problems({ featureGroups: GROUPS, retention: { rawDays: 0, offlineDays: 365, manifestsDays: 30 } })).toEqual([
        expect.stringMatching(/^retention\.rawDays: /),
        expect.stringMatching(/^retention\.manifestsDays: must be at least offlineDays \(365\)/),
      ]);
      expect(problems({ featureGroups: GROUPS, piiKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:pii' })).toEqual([
        expect.stringMatching(/^piiKeySecretArn: must be the full ARN/),
      ]);
      expect(problems({ featureGroups: GROUPS, piiKeySecretKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abcd' })).toEqual([
        'piiKeySecretKeyArn: only applies together with piiKeySecretArn',
      ]);
      expect(problems({ featureGroups: GROUPS, query: { bytesScannedCutoffPerQuery: 1000, partitionRange: { start: 'yesterday', end: 'NOW' } } })).toEqual([
        expect.stringMatching(/^query\.bytesScannedCutoffPerQuery: /),
        expect.stringMatching(/^query\.partitionRange\.start: must be a date/),
      ]);
      expect(problems({ featureGroups: GROUPS, bogus: true })).toEqual([expect.stringMatching(/bogus/)]);
    });

    it('documents every default', () => {
      const parsed = FeatureStorePropsSchema.parse({ featureGroups: [SESSIONS] });
      expect(parsed).toMatchObject({
        dataClassification: 'confidential',
        retention: { rawDays: 30, rejectedDays: 90, offlineDays: null, manifestsDays: null, queryResultsDays: 30 },
        ingest: { memorySize: 2048, timeoutSeconds: 900, maxConcurrency: 5, batchSize: 1 },
        serving: { memorySize: 1024, timeoutSeconds: 29 },
        apiThrottling: { burstLimit: 100, rateLimit: 50 },
        query: { bytesScannedCutoffPerQuery: 10737418240, partitionRange: { start: '2000-01-01', end: 'NOW+1DAYS' } },
      });
      for (const [name, field] of Object.entries(FeatureStorePropsSchema.shape)) {
        if (name !== 'featureGroups') expect(field.description, name).toMatch(/Default\b/);
      }
    });

    it('uses a key passed in for everything, creating none', () => {
      const stack = platformStack();
      const key = new EncryptionKey(stack, 'SharedKey', { services: ['logs', 's3'] });
      const fs = new FeatureStore(stack, 'Features', { featureGroups: GROUPS, encryptionKey: key });
      const json = synth(stack);
      expect(fs.encryptionKey).toBe(key);
      const keys = resources(json, 'aws_kms_key').map(([, k]) => k['//'].metadata.path);
      expect(keys.sort()).toEqual(['teststack/AccessLogs/Key/Resource', 'teststack/SharedKey/Resource']);
    });
  });
});
