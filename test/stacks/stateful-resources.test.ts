/**
 * Every stateful resource of the reference deployment carries the protections the library
 * promises (src/core/protection.ts, SecureBucket, SecureTable, EncryptionKey, ContainerImage,
 * LogGroup, FeatureStore, TrainingStorage): checked on the synthesized output of the dev platform
 * (ephemeral: encryption kept, prevent_destroy and deletion protection dropped, as documented) and
 * of the prod platform (everything protected), plus a cluster layer with FSx for Lustre on (the
 * reference leaves it off). Every resource type the apps emit is classified below, so a new type
 * fails this test until someone decides whether it holds data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformSettingsSchema } from '../../src/core/platform-settings';
import { blocks, deniesInsecureTransport, firstBlock, hasPreventDestroy, isTrue, numberValue } from '../../src/core/policy/rules/helpers';
import { SynthStack } from '../../src/core/policy/synth-stack';
import type { SynthResource } from '../../src/core/policy/types';
import { buildReferenceApp, REFERENCE_SETTINGS } from '../../stacks/main';
import { buildFsxClusterApp, synthesizeApp, type SynthesizedApp } from '../support/synth-app';

/** The platform's default log retention (PlatformSettings `logRetentionDays`), the floor outside ephemeral environments. */
const DEFAULT_LOG_RETENTION_DAYS = PlatformSettingsSchema.parse(REFERENCE_SETTINGS).logRetentionDays;

/** One synthesized stack with what the checks need to know about the rest of its app. */
interface StackUnderTest {
  readonly name: string;
  /** The stack's environment (`"//": { "gaiops": { "environment" } }`). */
  readonly environment: string;
  readonly ephemeral: boolean;
  readonly synth: SynthStack;
  /** Names of every aws_kms_key of the app (cross-stack key references name one of these). */
  readonly appKeys: ReadonlySet<string>;
}

/** What a check sees: the resource, its stack. */
type Check = (r: SynthResource, stack: StackUnderTest) => string[];

/** Resources of `type` in the stack whose `attribute` refers to `target` (`${<target address>.…}`). */
function companions(stack: StackUnderTest, type: string, attribute: string, target: SynthResource): readonly SynthResource[] {
  return stack.synth.referencing(type, attribute, target);
}

/**
 * Problems with a value that must name a customer-managed key of the app: a reference to an
 * `aws_kms_key` of this stack, or a cross-stack reference (remote-state output
 * `cross-stack-output-aws_kms_key<name><attr>`) to one of another stack of the app.
 */
function cmkProblems(value: unknown, attribute: string, stack: StackUnderTest): string[] {
  if (typeof value !== 'string' || value === '') return [`${attribute} is not set (AWS-owned or AWS-managed key)`];
  const local = /^\$\{aws_kms_key\.([A-Za-z0-9_-]+)\.(arn|key_id|id)\}$/.exec(value);
  if (local) return stack.synth.resourcesOfType('aws_kms_key').some((k) => k.name === local[1]) ? [] : [`${attribute} names a key missing from the stack: ${value}`];
  const remote = /^\$\{data\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.cross-stack-output-aws_kms_key(.+?)(arn|key_id|id)\}$/.exec(value);
  if (remote) return stack.appKeys.has(remote[1]) ? [] : [`${attribute} names a key missing from the app: ${value}`];
  return [`${attribute} is not a reference to a customer-managed aws_kms_key: ${JSON.stringify(value)}`];
}

/** `prevent_destroy` outside ephemeral environments; dropped in ephemeral ones (protectFromDestroy). */
function preventDestroyProblems(r: SynthResource, stack: StackUnderTest): string[] {
  const has = hasPreventDestroy(r);
  if (stack.ephemeral) return has ? ['lifecycle.prevent_destroy is set in an ephemeral environment (it could not be destroyed)'] : [];
  return has ? [] : ['lifecycle.prevent_destroy is not true'];
}

function expectValue(actual: unknown, expected: unknown, attribute: string): string[] {
  return actual === expected ? [] : [`${attribute} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
}

const s3Bucket: Check = (bucket, stack) => {
  const problems: string[] = [];
  const versioning = companions(stack, 'aws_s3_bucket_versioning', 'bucket', bucket);
  if (!versioning.some((v) => firstBlock(v.config.versioning_configuration)?.status === 'Enabled')) {
    problems.push('no aws_s3_bucket_versioning referencing it with status Enabled');
  }
  const encryption = companions(stack, 'aws_s3_bucket_server_side_encryption_configuration', 'bucket', bucket);
  const sse = encryption.flatMap((e) => blocks(e.config.rule)).map((rule) => firstBlock(rule.apply_server_side_encryption_by_default));
  if (encryption.length !== 1 || sse.length !== 1) problems.push(`expected one encryption configuration with one rule, found ${encryption.length} with ${sse.length}`);
  else {
    problems.push(...expectValue(sse[0]?.sse_algorithm, 'aws:kms', 'sse_algorithm'));
    problems.push(...cmkProblems(sse[0]?.kms_master_key_id, 'kms_master_key_id', stack));
  }
  const blocking = companions(stack, 'aws_s3_bucket_public_access_block', 'bucket', bucket);
  const allBlocked = (b: SynthResource) => ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => isTrue(b.config[k]));
  if (!blocking.some(allBlocked)) problems.push('no aws_s3_bucket_public_access_block referencing it with all four settings true');
  if (!stack.ephemeral) problems.push(...expectValue(bucket.config.force_destroy, false, 'force_destroy'));
  return [...problems, ...preventDestroyProblems(bucket, stack)];
};

const dynamodbTable: Check = (table, stack) => {
  const sse = firstBlock(table.config.server_side_encryption);
  return [
    ...(isTrue(firstBlock(table.config.point_in_time_recovery)?.enabled) ? [] : ['point_in_time_recovery is not enabled']),
    ...(isTrue(sse?.enabled) ? [] : ['server_side_encryption is not enabled']),
    ...cmkProblems(sse?.kms_key_arn, 'server_side_encryption.kms_key_arn', stack),
    ...expectValue(table.config.deletion_protection_enabled, !stack.ephemeral, 'deletion_protection_enabled'),
    ...preventDestroyProblems(table, stack),
  ];
};

const kmsKey: Check = (key, stack) => [
  ...expectValue(key.config.enable_key_rotation, true, 'enable_key_rotation'),
  // EncryptionKey: 30 days, or 7 in ephemeral environments.
  ...expectValue(numberValue(key.config.deletion_window_in_days), stack.ephemeral ? 7 : 30, 'deletion_window_in_days'),
  ...preventDestroyProblems(key, stack),
];

const fsxFileSystem: Check = (fs, stack) => [
  ...((numberValue(fs.config.automatic_backup_retention_days) ?? 0) > 0 ? [] : ['automatic_backup_retention_days is not > 0']),
  ...cmkProblems(fs.config.kms_key_id, 'kms_key_id', stack),
  ...expectValue(fs.config.skip_final_backup, stack.ephemeral, 'skip_final_backup'),
  ...preventDestroyProblems(fs, stack),
];

const fsxAssociation: Check = (association) => expectValue(association.config.delete_data_in_filesystem, false, 'delete_data_in_filesystem');

const ecrRepository: Check = (repo, stack) => {
  const encryption = firstBlock(repo.config.encryption_configuration);
  return [
    ...expectValue(repo.config.image_tag_mutability, 'IMMUTABLE', 'image_tag_mutability'),
    ...(isTrue(firstBlock(repo.config.image_scanning_configuration)?.scan_on_push) ? [] : ['image_scanning_configuration.scan_on_push is not true']),
    ...expectValue(encryption?.encryption_type, 'KMS', 'encryption_configuration.encryption_type'),
    ...cmkProblems(encryption?.kms_key, 'encryption_configuration.kms_key', stack),
    ...(stack.ephemeral ? [] : expectValue(repo.config.force_delete, false, 'force_delete')),
    ...preventDestroyProblems(repo, stack),
  ];
};

const logGroup: Check = (group, stack) => {
  const days = numberValue(group.config.retention_in_days);
  const floor = stack.ephemeral ? 1 : DEFAULT_LOG_RETENTION_DAYS;
  return [
    ...(days !== undefined && days >= floor ? [] : [`retention_in_days is ${JSON.stringify(group.config.retention_in_days)}, expected ≥ ${floor}`]),
    ...cmkProblems(group.config.kms_key_id, 'kms_key_id', stack),
  ];
};

const secret: Check = (s, stack) => {
  const window = numberValue(s.config.recovery_window_in_days);
  return [
    ...(window !== undefined && window >= 7 ? [] : [`recovery_window_in_days is ${JSON.stringify(s.config.recovery_window_in_days)}, expected ≥ 7`]),
    ...cmkProblems(s.config.kms_key_id, 'kms_key_id', stack),
    ...preventDestroyProblems(s, stack),
  ];
};

const secretVersion: Check = (version, stack) => {
  const owner = stack.synth.resolveReference(version.config.secret_id);
  return [
    ...(owner?.type === 'aws_secretsmanager_secret' ? [] : ['secret_id does not reference an aws_secretsmanager_secret of the stack']),
    ...preventDestroyProblems(version, stack),
  ];
};

const sqsQueue: Check = (queue, stack) => {
  const policies = companions(stack, 'aws_sqs_queue_policy', 'queue_url', queue);
  const tlsOnly = policies.some((p) => deniesInsecureTransport(stack.synth.policyStatements(p.config.policy) ?? []));
  return [...cmkProblems(queue.config.kms_master_key_id, 'kms_master_key_id', stack), ...(tlsOnly ? [] : ['no TLS-only aws_sqs_queue_policy referencing it'])];
};

const eventArchive: Check = (archive, stack) => {
  const days = numberValue(archive.config.retention_days);
  return [
    ...cmkProblems(archive.config.kms_key_identifier, 'kms_key_identifier', stack),
    ...(days !== undefined ? [] : ['retention_days is not set (events would be kept forever without a decision)']),
    ...preventDestroyProblems(archive, stack),
  ];
};

const eksCluster: Check = (cluster, stack) => {
  const encryption = firstBlock(cluster.config.encryption_config);
  return [
    ...((encryption?.resources as unknown[] | undefined)?.includes('secrets') ? [] : ['encryption_config does not cover secrets']),
    ...cmkProblems(firstBlock(encryption?.provider)?.key_arn, 'encryption_config.provider.key_arn', stack),
    ...expectValue(cluster.config.deletion_protection, !stack.ephemeral, 'deletion_protection'),
  ];
};

const persistentVolume: Check = (pv) => {
  const spec = firstBlock(pv.config.spec);
  return expectValue(spec?.persistent_volume_reclaim_policy, 'Retain', 'spec.persistent_volume_reclaim_policy');
};

const storageClass: Check = (sc, stack) => {
  const parameters = (sc.config.parameters ?? {}) as Record<string, unknown>;
  return [
    ...expectValue(parameters.encrypted, 'true', 'parameters.encrypted'),
    ...cmkProblems(parameters.kmsKeyId, 'parameters.kmsKeyId', stack),
    // MonitoringCluster: metrics history outlives a mistaken uninstall outside ephemeral environments.
    ...expectValue(sc.config.reclaim_policy, stack.ephemeral ? 'Delete' : 'Retain', 'reclaim_policy'),
  ];
};

/** A resource type holding data (or deciding the fate of data) and what must hold for each. */
interface Stateful {
  readonly holds: string;
  readonly check: Check;
}

/**
 * Every resource type the apps emit: stateful ones with their checks, the others with why they
 * hold no data of their own.
 */
const CLASSIFICATION: Readonly<Record<string, Stateful | string>> = {
  aws_s3_bucket: { holds: 'objects: datasets, features, artifacts, checkpoints, logs, reports', check: s3Bucket },
  aws_dynamodb_table: { holds: 'items: online features, dataset versions, registry metadata and audit', check: dynamodbTable },
  aws_kms_key: { holds: 'key material: losing it loses every object encrypted with it', check: kmsKey },
  aws_fsx_lustre_file_system: { holds: 'training files not yet exported to S3', check: fsxFileSystem },
  aws_fsx_data_repository_association: { holds: 'decides whether unlinking deletes file-system data', check: fsxAssociation },
  aws_ecr_repository: { holds: 'container images', check: ecrRepository },
  aws_cloudwatch_log_group: { holds: 'logs: Lambda, API access, EKS control plane (audit), VPC flow, FSx', check: logGroup },
  aws_secretsmanager_secret: { holds: 'the PII hashing key', check: secret },
  aws_secretsmanager_secret_version: { holds: 'the secret value (losing it breaks joins on hashed PII)', check: secretVersion },
  aws_sqs_queue: { holds: 'messages in flight and dead letters (transient: up to 14 days)', check: sqsQueue },
  aws_cloudwatch_event_archive: { holds: 'every model registry event, kept for replay and audit', check: eventArchive },
  aws_eks_cluster: { holds: 'cluster state (etcd: Kubernetes secrets and objects)', check: eksCluster },
  kubernetes_persistent_volume_v1: { holds: 'binds team volumes to dataset and checkpoint data', check: persistentVolume },
  kubernetes_storage_class_v1: { holds: 'decides encryption and fate of dynamically provisioned volumes (Prometheus)', check: storageClass },

  aws_apigatewayv2_api: 'API definition, from code',
  aws_apigatewayv2_integration: 'API definition, from code',
  aws_apigatewayv2_route: 'API definition, from code',
  aws_apigatewayv2_stage: 'API definition, from code (access logs go to a log group)',
  aws_athena_workgroup: 'query settings; results live in a SecureBucket',
  aws_budgets_budget: 'configuration',
  aws_cloudwatch_event_bus: 'routes events; the archive keeps them',
  aws_cloudwatch_event_rule: 'configuration',
  aws_cloudwatch_event_target: 'configuration',
  aws_cloudwatch_metric_alarm: 'configuration',
  aws_default_security_group: 'network configuration',
  aws_dynamodb_resource_policy: 'access policy of a table',
  aws_ec2_tag: 'a tag',
  aws_ecr_lifecycle_policy: 'configuration of a repository',
  aws_eip: 'an address (nothing stored)',
  aws_eks_access_entry: 'access configuration, from code',
  aws_eks_access_policy_association: 'access configuration, from code',
  aws_eks_addon: 'software installed from a pinned version',
  aws_eks_node_group: 'replaceable nodes (root volumes deleted on termination by design)',
  aws_eks_pod_identity_association: 'access configuration, from code',
  aws_flow_log: 'configuration; the log group keeps the records',
  aws_glue_catalog_database: 'metadata from code; the data lives in S3',
  aws_glue_catalog_table: 'metadata from code (partition projection, no crawled partitions); the data lives in S3',
  aws_iam_role: 'access configuration, from code',
  aws_iam_role_policy: 'access configuration, from code',
  aws_iam_role_policy_attachment: 'access configuration, from code',
  aws_internet_gateway: 'network',
  aws_kms_alias: 'a name for a key',
  aws_lambda_event_source_mapping: 'configuration',
  aws_lambda_function: 'code from a content-hashed asset',
  aws_lambda_permission: 'access configuration',
  aws_launch_template: 'node configuration',
  aws_nat_gateway: 'network',
  aws_route: 'network',
  aws_route_table: 'network',
  aws_route_table_association: 'network',
  aws_s3_bucket_lifecycle_configuration: 'companion of a bucket',
  aws_s3_bucket_logging: 'companion of a bucket',
  aws_s3_bucket_notification: 'companion of a bucket',
  aws_s3_bucket_ownership_controls: 'companion of a bucket',
  aws_s3_bucket_policy: 'companion of a bucket',
  aws_s3_bucket_public_access_block: 'companion of a bucket (checked with it)',
  aws_s3_bucket_server_side_encryption_configuration: 'companion of a bucket (checked with it)',
  aws_s3_bucket_versioning: 'companion of a bucket (checked with it)',
  aws_s3_object: 'content written from code on every apply (the feature-group config)',
  aws_security_group: 'network configuration',
  aws_sns_topic: 'delivers notifications, stores none',
  aws_sns_topic_policy: 'access policy of a topic',
  aws_sns_topic_subscription: 'configuration',
  aws_sqs_queue_policy: 'access policy of a queue (checked with it)',
  aws_subnet: 'network',
  aws_vpc: 'network',
  aws_vpc_endpoint: 'network',
  aws_vpc_security_group_egress_rule: 'network configuration',
  aws_vpc_security_group_ingress_rule: 'network configuration',
  helm_release: 'software from pinned charts; its volumes come from the storage class',
  kubernetes_cluster_role_binding_v1: 'access configuration, from code',
  kubernetes_cluster_role_v1: 'access configuration, from code',
  kubernetes_config_map_v1: 'configuration, from code',
  kubernetes_deployment_v1: 'stateless workloads (read-only root, emptyDir /tmp)',
  kubernetes_horizontal_pod_autoscaler_v2: 'configuration',
  kubernetes_ingress_v1: 'configuration',
  kubernetes_limit_range_v1: 'configuration',
  kubernetes_namespace_v1: 'a namespace (its volumes are Retain PVs onto S3)',
  kubernetes_network_policy_v1: 'configuration',
  kubernetes_persistent_volume_claim_v1: 'a claim on a statically provisioned PV (Retain)',
  kubernetes_pod_disruption_budget_v1: 'configuration',
  kubernetes_resource_quota_v1: 'configuration',
  kubernetes_role_binding_v1: 'access configuration, from code',
  kubernetes_role_v1: 'access configuration, from code',
  kubernetes_service_account_v1: 'identity configuration',
  kubernetes_service_v1: 'configuration',
  terraform_data: 'image publishing step (idempotent; images live in ECR)',
};

const STATEFUL_TYPES = Object.entries(CLASSIFICATION)
  .filter((e): e is [string, Stateful] => typeof e[1] !== 'string')
  .map(([type]) => type);

describe('stateful resources are protected (reference deployment, dev and prod, and an FSx cluster layer)', () => {
  const apps: SynthesizedApp[] = [];
  const stacks: StackUnderTest[] = [];

  beforeAll(() => {
    apps.push(synthesizeApp((outdir) => buildReferenceApp({ outdir }), 'stateful-reference'));
    apps.push(synthesizeApp((outdir) => buildFsxClusterApp(outdir), 'stateful-fsx'));
    for (const app of apps) {
      const synths = Object.entries(app.stacks).map(([name, json]) => ({ name, json, synth: new SynthStack(json) }));
      const appKeys = new Set(synths.flatMap(({ synth }) => synth.resourcesOfType('aws_kms_key').map((k) => k.name)));
      for (const { name, json, synth } of synths) {
        stacks.push({ name, environment: String(json['//']?.gaiops?.environment), ephemeral: synth.ephemeral, synth, appKeys });
      }
    }
  });
  afterAll(() => apps.forEach((a) => a.dispose()));

  const ofType = (type: string, ephemeral: boolean) =>
    stacks.filter((s) => s.ephemeral === ephemeral).flatMap((stack) => stack.synth.resourcesOfType(type).map((r) => ({ r, stack })));

  it('classifies every resource type the apps emit as stateful or not', () => {
    const emitted = new Set(stacks.flatMap((s) => s.synth.resources.filter((r) => r.mode === 'resource').map((r) => r.type)));
    expect([...emitted].filter((t) => !(t in CLASSIFICATION)).sort()).toEqual([]);
  });

  it('synthesizes both environments: dev stacks are ephemeral, prod stacks are not', () => {
    for (const s of stacks) expect([s.environment, s.ephemeral], s.name).toEqual(s.environment === 'dev' ? ['dev', true] : ['prod', false]);
    expect(stacks.filter((s) => !s.ephemeral).length).toBe(stacks.length / 2);
  });

  it('finds every dev data store in prod too (the protections differ, not the data stores); prod adds only its in-cluster and API forms', () => {
    // prod also runs the training-job API and the in-cluster feature/registry servers (their
    // function keys, logs and images): the only stateful resources dev lacks.
    const PROD_ONLY = /^(TrainingJobApi|FeatureServer|FeatureServerImage|RegistryServer|RegistryServerImage)\//;
    for (const type of STATEFUL_TYPES) {
      const dev = ofType(type, true).map(({ r }) => r.path.split('/').slice(2).join('/')).sort();
      const prod = ofType(type, false).map(({ r }) => r.path.split('/').slice(2).join('/')).sort();
      expect(prod.filter((p) => !PROD_ONLY.test(p)), type).toEqual(dev);
    }
    // Each store kind of the brief is present, so the checks below are not vacuous.
    for (const type of ['aws_s3_bucket', 'aws_dynamodb_table', 'aws_kms_key', 'aws_fsx_lustre_file_system', 'aws_ecr_repository', 'aws_cloudwatch_log_group', 'aws_secretsmanager_secret', 'aws_sqs_queue']) {
      expect(ofType(type, false).length, type).toBeGreaterThan(0);
    }
  });

  it('the checks reject unprotected copies: companions are matched by reference, not by name', () => {
    const prod = stacks.find((s) => s.name === 'prod-data')!;
    const json = JSON.parse(JSON.stringify(apps[0].stacks['prod-data'])) as { resource: Record<string, Record<string, Record<string, any>>> };
    const [bucketName, otherBucket] = Object.keys(json.resource.aws_s3_bucket).filter((n) => !n.startsWith('AccessLogs'));
    delete json.resource.aws_s3_bucket[bucketName].lifecycle;
    // The bucket's versioning now points at another bucket: a name-alike companion must not count.
    const versioning = Object.values(json.resource.aws_s3_bucket_versioning).find((v) => String(v.bucket).includes(`aws_s3_bucket.${bucketName}.`))!;
    versioning.bucket = `\${aws_s3_bucket.${otherBucket}.id}`;
    const [tableName, table] = Object.entries(json.resource.aws_dynamodb_table)[0];
    table.point_in_time_recovery = { enabled: false };
    table.server_side_encryption = { enabled: true };
    const [keyName, key] = Object.entries(json.resource.aws_kms_key)[0];
    key.deletion_window_in_days = 7;
    const mutated: StackUnderTest = { ...prod, synth: new SynthStack(json) };
    const find = (type: string, name: string) => mutated.synth.resourcesOfType(type).find((r) => r.name === name)!;
    expect(s3Bucket(find('aws_s3_bucket', bucketName), mutated)).toEqual(['no aws_s3_bucket_versioning referencing it with status Enabled', 'lifecycle.prevent_destroy is not true']);
    expect(dynamodbTable(find('aws_dynamodb_table', tableName), mutated)).toEqual([
      'point_in_time_recovery is not enabled',
      'server_side_encryption.kms_key_arn is not set (AWS-owned or AWS-managed key)',
    ]);
    expect(kmsKey(find('aws_kms_key', keyName), mutated)).toEqual(['deletion_window_in_days is 7, expected 30']);
    // The same resources pass in their synthesized form.
    expect(s3Bucket(prod.synth.resourcesOfType('aws_s3_bucket').find((r) => r.name === bucketName)!, prod)).toEqual([]);
  });

  for (const [environment, ephemeral] of [
    ['prod (protected)', false],
    ['dev (ephemeral)', true],
  ] as const) {
    describe(environment, () => {
      it.each(STATEFUL_TYPES)('%s: every resource carries its protections', (type) => {
        const problems = ofType(type, ephemeral).flatMap(({ r, stack }) =>
          (CLASSIFICATION[type] as Stateful).check(r, stack).map((p) => `${stack.name} ${r.address} (${r.path}): ${p}`),
        );
        expect(problems).toEqual([]);
      });
    });
  }
});
