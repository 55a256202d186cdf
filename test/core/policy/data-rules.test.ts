import { describe, expect, it } from 'vitest';
import { evaluatePolicies } from '../../../src/core/policy/engine';
import { CORE_RULES } from '../../../src/core/policy/rules';
import { ATHENA_RULES } from '../../../src/core/policy/rules/athena';
import { GLUE_RULES } from '../../../src/core/policy/rules/glue';
import { SECRETSMANAGER_RULES } from '../../../src/core/policy/rules/secretsmanager';
import { add, compliantStack, ephemeral, patch, ref, type Config, type TfJson } from './fixtures';

const TABLE = 'aws_glue_catalog_table.Customers';
const WORKGROUP = 'aws_athena_workgroup.Queries';
const SECRET = 'aws_secretsmanager_secret.PiiKey';
const KEY_ARN = ref('aws_kms_key.Key', 'arn');
const DATA_RULES = [...GLUE_RULES, ...ATHENA_RULES, ...SECRETSMANAGER_RULES];
/** The core pack plus the data rules (de-duplicated, so this holds before and after they are wired into CORE_RULES). */
const RULES = [...new Set([...CORE_RULES, ...DATA_RULES])];

const offlineLocation = `s3://${ref('aws_s3_bucket.Data', 'bucket')}/offline/customers/`;

/** The compliant core fixture plus a projected JSON Lines Glue table, an enforced, encrypted Athena workgroup and a CMK-encrypted secret. */
function dataStack(): TfJson {
  let json = compliantStack();
  const entries: [string, Config][] = [
    ['aws_glue_catalog_database.Catalog', { name: 'gai_dev_features' }],
    [
      TABLE,
      {
        name: 'customers',
        database_name: ref('aws_glue_catalog_database.Catalog', 'name'),
        table_type: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          'projection.enabled': 'true',
          'projection.date.type': 'date',
          'storage.location.template': `${offlineLocation}date=$\${date}/`,
        },
        partition_keys: [{ name: 'date', type: 'string' }],
        storage_descriptor: {
          location: offlineLocation,
          input_format: 'org.apache.hadoop.mapred.TextInputFormat',
          output_format: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          ser_de_info: { serialization_library: 'org.openx.data.jsonserde.JsonSerDe' },
          columns: [{ name: 'customer_id', type: 'string' }],
        },
        '//': { metadata: { path: 'test/Features/Table-customers' } },
      },
    ],
    [
      WORKGROUP,
      {
        name: 'gai-dev-features',
        force_destroy: false,
        configuration: {
          enforce_workgroup_configuration: true,
          publish_cloudwatch_metrics_enabled: true,
          bytes_scanned_cutoff_per_query: 10737418240,
          result_configuration: {
            output_location: `s3://${ref('aws_s3_bucket.Data', 'bucket')}/athena-results/`,
            encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: KEY_ARN },
          },
        },
      },
    ],
    [SECRET, { name: 'gai-dev-features-pii-key', kms_key_id: KEY_ARN, recovery_window_in_days: 30, lifecycle: { prevent_destroy: true } }],
  ];
  for (const [address, config] of entries) json = add(json, address, config);
  return json;
}

const base = dataStack();

function messagesFor(json: TfJson, address: string, ruleId: string): string[] {
  return evaluatePolicies(json, RULES)
    .filter((f) => f.address === address && f.ruleId === ruleId)
    .map((f) => f.message);
}

/** The table with its storage descriptor changed (an `undefined` value removes the attribute). */
function storage(changes: Config): TfJson {
  const table = base.resource.aws_glue_catalog_table.Customers;
  const sd = { ...(table.storage_descriptor as Config) };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete sd[k];
    else sd[k] = v;
  }
  return patch(base, TABLE, { storage_descriptor: sd });
}

/** The workgroup with another configuration block (`undefined`: none). */
function configuration(config: Config | undefined): TfJson {
  return patch(base, WORKGROUP, { configuration: config });
}

const encryptedResults = (encryption: Config): Config => ({
  enforce_workgroup_configuration: true,
  result_configuration: { output_location: 's3://results/', encryption_configuration: encryption },
});

interface Case {
  readonly name: string;
  readonly json: TfJson;
  readonly message?: RegExp;
}

const compliant: Case = { name: 'the compliant fixture', json: base };

const CASES: Record<string, { address: string; fail: Case[]; pass: Case[] }> = {
  'GAI-GLUE-001': {
    address: TABLE,
    fail: [
      { name: 'no storage_descriptor', json: patch(base, TABLE, { storage_descriptor: undefined }), message: /no storage_descriptor block/ },
      { name: 'no location', json: storage({ location: undefined }), message: /storage_descriptor\.location is not set/ },
      { name: 'an hdfs:// location', json: storage({ location: 'hdfs://namenode/warehouse/customers' }), message: /"hdfs:\/\/namenode\/warehouse\/customers", not an s3:\/\/ URI/ },
      { name: 'an s3a:// location', json: storage({ location: 's3a://bucket/customers/' }), message: /not an s3:\/\/ URI/ },
      {
        name: 'a projection template outside S3',
        json: patch(base, TABLE, { parameters: { 'projection.enabled': 'true', 'storage.location.template': 'file:///tmp/${date}/' } }),
        message: /storage\.location\.template.*not an s3:\/\/ URI/,
      },
      { name: 'no SerDe', json: storage({ ser_de_info: undefined }), message: /serialization_library is not set/ },
    ],
    pass: [
      compliant,
      { name: 'a location known only at apply time', json: storage({ location: ref('aws_s3_bucket.Data', 'bucket') }) },
      { name: 'a view (no storage)', json: patch(base, TABLE, { table_type: 'VIRTUAL_VIEW', storage_descriptor: undefined }) },
      {
        name: 'an Iceberg table without a SerDe',
        json: patch(storage({ ser_de_info: undefined }), TABLE, { parameters: { table_type: 'ICEBERG' } }),
      },
      { name: 'storage_descriptor as a one-element array', json: patch(base, TABLE, { storage_descriptor: [base.resource.aws_glue_catalog_table.Customers.storage_descriptor] }) },
    ],
  },
  'GAI-ATH-001': {
    address: WORKGROUP,
    fail: [
      { name: 'no configuration block', json: configuration(undefined), message: /no configuration block/ },
      {
        name: 'enforce_workgroup_configuration false',
        json: configuration({ ...encryptedResults({ encryption_option: 'SSE_KMS', kms_key_arn: KEY_ARN }), enforce_workgroup_configuration: false }),
        message: /enforce_workgroup_configuration is false/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'enforce_workgroup_configuration unset (the provider default is true)',
        json: configuration({ result_configuration: { encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: KEY_ARN } } }),
      },
    ],
  },
  'GAI-ATH-002': {
    address: WORKGROUP,
    fail: [
      { name: 'no configuration block', json: configuration(undefined), message: /encrypted only if each client asks/ },
      {
        name: 'no encryption configuration',
        json: configuration({ enforce_workgroup_configuration: true, result_configuration: { output_location: 's3://results/' } }),
        message: /encryption_configuration is not set/,
      },
      { name: 'SSE_S3', json: configuration(encryptedResults({ encryption_option: 'SSE_S3' })), message: /encryption_option is "SSE_S3"/ },
      { name: 'SSE_KMS without a key', json: configuration(encryptedResults({ encryption_option: 'SSE_KMS' })), message: /kms_key_arn is not set/ },
      {
        name: 'SSE_KMS with the AWS-managed key',
        json: configuration(encryptedResults({ encryption_option: 'SSE_KMS', kms_key_arn: 'arn:aws:kms:eu-west-1:111122223333:alias/aws/s3' })),
        message: /AWS-managed key/,
      },
      {
        name: 'Athena-managed results with an AWS-owned key',
        json: configuration({ enforce_workgroup_configuration: true, managed_query_results_configuration: { enabled: true } }),
        message: /managed_query_results_configuration\.encryption_configuration\.kms_key is not set/,
      },
    ],
    pass: [
      compliant,
      { name: 'CSE_KMS with a customer key', json: configuration(encryptedResults({ encryption_option: 'CSE_KMS', kms_key_arn: KEY_ARN })) },
      {
        name: 'Athena-managed results with a customer key',
        json: configuration({ enforce_workgroup_configuration: true, managed_query_results_configuration: [{ enabled: true, encryption_configuration: [{ kms_key: KEY_ARN }] }] }),
      },
    ],
  },
  'GAI-SM-001': {
    address: SECRET,
    fail: [
      { name: 'no kms_key_id (aws/secretsmanager)', json: patch(base, SECRET, { kms_key_id: undefined }), message: /kms_key_id is not set/ },
      { name: 'the AWS-managed alias', json: patch(base, SECRET, { kms_key_id: 'alias/aws/secretsmanager' }), message: /AWS-managed key "alias\/aws\/secretsmanager"/ },
      {
        name: 'a replica without a key',
        json: patch(base, SECRET, { replica: [{ region: 'eu-central-1' }] }),
        message: /replica "eu-central-1" kms_key_id is not set/,
      },
    ],
    pass: [
      compliant,
      { name: 'a replica with a customer key', json: patch(base, SECRET, { replica: [{ region: 'eu-central-1', kms_key_id: 'arn:aws:kms:eu-central-1:111122223333:key/abcd' }] }) },
    ],
  },
  'GAI-SM-002': {
    address: SECRET,
    fail: [
      { name: 'recovery window 0 (immediate deletion)', json: patch(base, SECRET, { recovery_window_in_days: 0 }), message: /is 0, so deleting the secret deletes it immediately/ },
      { name: 'recovery window 0 as a string', json: patch(base, SECRET, { recovery_window_in_days: '0' }) },
    ],
    pass: [
      compliant,
      { name: 'recovery window unset (30 days)', json: patch(base, SECRET, { recovery_window_in_days: undefined }) },
      { name: 'recovery window 7', json: patch(base, SECRET, { recovery_window_in_days: 7 }) },
      { name: 'recovery window 0 in an ephemeral environment', json: ephemeral(patch(base, SECRET, { recovery_window_in_days: 0 })) },
    ],
  },
};

describe('the data-platform fixture', () => {
  it('is compliant with every rule, core and data', () => {
    expect(evaluatePolicies(base, RULES)).toEqual([]);
  });

  it('rules have ids, severities, titles, rationales and fixes, and ids no other rule uses', () => {
    expect(DATA_RULES.map((r) => [r.id, r.severity])).toEqual([
      ['GAI-GLUE-001', 'error'],
      ['GAI-ATH-001', 'error'],
      ['GAI-ATH-002', 'error'],
      ['GAI-SM-001', 'error'],
      ['GAI-SM-002', 'error'],
    ]);
    const others = new Set(CORE_RULES.filter((r) => !DATA_RULES.includes(r)).map((r) => r.id));
    for (const r of DATA_RULES) {
      expect(others.has(r.id), r.id).toBe(false);
      expect(r.title.length, r.id).toBeGreaterThan(20);
      expect(r.rationale.length, r.id).toBeGreaterThan(50);
      expect(r.fix, r.id).toMatch(/aws_(glue_catalog_table|athena_workgroup|secretsmanager_secret)/);
      expect(r.appliesTo.length, r.id).toBeGreaterThan(0);
    }
    expect(Object.keys(CASES).sort()).toEqual(DATA_RULES.map((r) => r.id).sort());
  });
});

describe.each(Object.entries(CASES))('%s', (ruleId, cases) => {
  it.each(cases.fail)('fails: $name', ({ json, message }) => {
    const messages = messagesFor(json, cases.address, ruleId);
    expect(messages).not.toEqual([]);
    if (message) expect(messages.join('\n')).toMatch(message);
  });

  it.each(cases.pass)('passes: $name', ({ json }) => {
    expect(messagesFor(json, cases.address, ruleId)).toEqual([]);
  });
});
