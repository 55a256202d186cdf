import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, PlatformStack } from '../../src';
import { EncryptionKey } from '../../src/core/encryption-key';
import { GaiConfigError, GaiError } from '../../src/core/errors';
import { activeFindings, evaluatePolicies } from '../../src/core/policy/engine';
import { CORE_RULES } from '../../src/core/policy/rules';
import { EKS_RULES } from '../../src/core/policy/rules/eks';
import { kmsNoPublicKeyPolicy } from '../../src/core/policy/rules/kms';
import { NETWORK_RULES } from '../../src/core/policy/rules/network';
import { parseProps } from '../../src/core/props';
import { SecureBucket } from '../../src/core/secure-bucket';
import { TerraformOutput } from '../../src/core/tf';
import { GpuTrainingCluster } from '../../src/gpu-training-cluster/cluster';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import { TrainingStorage } from '../../src/gpu-training-cluster/storage';
import {
  STATIC_STORAGE_CLASS,
  STORAGE_ADDON_VERSIONS,
  TrainingStoragePropsSchema,
  TrainingVolumesPropsSchema,
  isValidPersistent2Capacity,
  type TrainingStorageProps,
  type TrainingStorageReference,
  type TrainingVolumesProps,
} from '../../src/gpu-training-cluster/storage-schema';
import { TrainingTeams } from '../../src/gpu-training-cluster/teams';
import { TrainingVolumes } from '../../src/gpu-training-cluster/training-volumes';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { byPath, only, platformStack, policy, resources, SETTINGS, synth, type TfJson } from '../support/synth';
import { podIdentityTrustStatement } from '../support/pod-identity';

const NAME = 'gai-test-training';
const ADMIN = 'arn:aws:iam::111122223333:role/PlatformAdmin';

interface Built {
  stack: PlatformStack;
  storage: TrainingStorage;
  datasets: SecureBucket;
  json: TfJson;
}

/** Network, cluster, a dataset bucket (prefix `offline/`) and TrainingStorage in one stack, synthesized with the policy pack. */
function build(storage: Partial<TrainingStorageProps> = {}, settings: Parameters<typeof platformStack>[0] = {}): Built {
  const stack = platformStack(settings);
  const network = new ClusterNetwork(stack, 'Network', { clusterName: NAME });
  const cluster = new GpuTrainingCluster(stack, 'Training', { network, clusterName: NAME, adminRoleArns: [ADMIN] });
  const datasets = new SecureBucket(stack, 'Datasets');
  const s = new TrainingStorage(stack, 'Storage', {
    cluster,
    datasets: { bucketName: datasets.bucketName, bucketArn: datasets.bucketArn, keyArn: datasets.encryptionKey.keyArn, prefix: 'offline/' },
    ...storage,
  });
  return { stack, storage: s, datasets, json: synth(stack) };
}

/** The `${type.name.attr}` reference to the single resource of a type at a construct path. */
function refTo(json: TfJson, type: string, pathSuffix: string, attr: string): string {
  const found = resources(json, type).filter(([, c]) => String(c['//'].metadata.path).endsWith(pathSuffix));
  if (found.length !== 1) throw new Error(`no single ${type} at ${pathSuffix}`);
  return `\${${type}.${found[0][0]}.${attr}}`;
}

function statementsOf(json: TfJson, pathSuffix: string): any[] {
  return policy(byPath(json, 'aws_iam_role_policy', pathSuffix).policy).Statement;
}

function keyStatements(json: TfJson, keyPath: string): any[] {
  return policy(byPath(json, 'aws_kms_key', keyPath).policy).Statement;
}

function configProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GaiConfigError);
    return (e as GaiConfigError).problems.map((p) => `${p.fieldPath}: ${p.message}`);
  }
  throw new Error('expected a GaiConfigError');
}

describe('TrainingStorage with Mountpoint only (default)', () => {
  let b: Built;
  let j: TfJson;
  beforeAll(() => {
    b = build();
    j = b.json;
  });

  it('installs the Mountpoint CSI add-on pinned to an exact version, after its Pod Identity association and the system nodes', () => {
    const addon = byPath(j, 'aws_eks_addon', 'Storage/MountpointCsiDriver');
    expect(addon).toMatchObject({
      addon_name: 'aws-mountpoint-s3-csi-driver',
      addon_version: STORAGE_ADDON_VERSIONS.mountpointS3CsiDriver,
      cluster_name: refTo(j, 'aws_eks_cluster', 'Training/Resource', 'name'),
      resolve_conflicts_on_create: 'OVERWRITE',
      resolve_conflicts_on_update: 'OVERWRITE',
    });
    expect(STORAGE_ADDON_VERSIONS.mountpointS3CsiDriver).toMatch(/^v2\.\d+\.\d+-eksbuild\.\d+$/);
    expect(JSON.parse(addon.configuration_values)).toEqual({
      controller: {
        nodeSelector: { 'gaiops.io/node-pool': 'system' },
        tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    const association = resources(j, 'aws_eks_pod_identity_association').find(([, a]) => a.service_account === 's3-csi-driver-sa');
    expect(addon.depends_on).toEqual(
      expect.arrayContaining([`aws_eks_pod_identity_association.${association![0]}`, expect.stringMatching(/^aws_eks_node_group\.Training_SystemNodeGroup/)]),
    );
  });

  it("binds the driver's service account (kube-system/s3-csi-driver-sa) to a role only that account of this cluster may assume", () => {
    const association = byPath(j, 'aws_eks_pod_identity_association', 'Storage/MountpointPodIdentity');
    expect(association).toMatchObject({
      cluster_name: refTo(j, 'aws_eks_cluster', 'Training/Resource', 'name'),
      namespace: 'kube-system',
      service_account: 's3-csi-driver-sa',
      role_arn: refTo(j, 'aws_iam_role', 'Storage/MountpointRole/Resource', 'arn'),
      disable_session_tags: false,
    });
    const trust = policy(byPath(j, 'aws_iam_role', 'Storage/MountpointRole/Resource').assume_role_policy).Statement;
    expect(trust).toEqual([
      podIdentityTrustStatement(NAME, 'kube-system', 's3-csi-driver-sa'),
    ]);
  });

  it('grants exactly: list and read the datasets under the prefix, read-write the team checkpoint prefixes, each key only through S3 for its bucket', () => {
    const ds = refTo(j, 'aws_s3_bucket', 'Datasets/Resource', 'arn');
    const dsKey = refTo(j, 'aws_kms_key', 'Datasets/Key/Resource', 'arn');
    const cp = refTo(j, 'aws_s3_bucket', 'Storage/Checkpoints/Resource', 'arn');
    const cpKey = refTo(j, 'aws_kms_key', 'Storage/Checkpoints/Key/Resource', 'arn');
    const viaS3 = (arn: string) => ({
      StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
      StringLike: { 'kms:EncryptionContext:aws:s3:arn': [arn, `${arn}/*`] },
    });
    expect(statementsOf(j, 'Storage/MountpointRole/Policy/Resource')).toEqual([
      { Sid: 'ListDatasets', Effect: 'Allow', Action: 's3:ListBucket', Resource: ds, Condition: { StringLike: { 's3:prefix': 'offline/*' } } },
      { Sid: 'ReadDatasets', Effect: 'Allow', Action: 's3:GetObject', Resource: `${ds}/offline/*` },
      { Sid: 'DecryptDatasets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: dsKey, Condition: viaS3(ds) },
      { Sid: 'ListCheckpoints', Effect: 'Allow', Action: 's3:ListBucket', Resource: cp, Condition: { StringLike: { 's3:prefix': 'teams/*' } } },
      {
        Sid: 'ReadWriteCheckpoints',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: `${cp}/teams/*`,
      },
      { Sid: 'EncryptCheckpoints', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: cpKey, Condition: viaS3(cp) },
    ]);
  });

  it('never allows a write to the datasets, a wildcard action or Resource "*" in the storage roles', () => {
    const statements = statementsOf(j, 'Storage/MountpointRole/Policy/Resource');
    const ds = refTo(j, 'aws_s3_bucket', 'Datasets/Resource', 'arn');
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
    for (const s of statements) expect([s.Resource].flat()).not.toContain('*');
    const onDatasets = statements.filter((s) => [s.Resource].flat().some((r: string) => r.startsWith(ds)));
    expect(onDatasets.flatMap((s) => [s.Action].flat()).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
  });

  it('creates a versioned SSE-KMS checkpoint bucket with its own CMK, expiring noncurrent versions after 7 days, protected from destroy', () => {
    const bucket = byPath(j, 'aws_s3_bucket', 'Storage/Checkpoints/Resource');
    expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    expect(byPath(j, 'aws_s3_bucket_versioning', 'Storage/Checkpoints/Versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(byPath(j, 'aws_s3_bucket_server_side_encryption_configuration', 'Storage/Checkpoints/Encryption').rule).toEqual([
      {
        apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: refTo(j, 'aws_kms_key', 'Storage/Checkpoints/Key/Resource', 'arn') },
        bucket_key_enabled: true,
      },
    ]);
    const rules = byPath(j, 'aws_s3_bucket_lifecycle_configuration', 'Storage/Checkpoints/Lifecycle').rule;
    const noncurrent = rules.find((r: any) => r.id === 'noncurrent-versions');
    expect(noncurrent.noncurrent_version_expiration).toEqual([{ noncurrent_days: 7 }]);
    expect(noncurrent.noncurrent_version_transition).toBeUndefined();
  });

  it('creates no file system, FSx add-on or FSx role unless fsx.enabled', () => {
    expect(resources(j, 'aws_fsx_lustre_file_system')).toEqual([]);
    expect(resources(j, 'aws_fsx_data_repository_association')).toEqual([]);
    expect(resources(j, 'aws_eks_addon').map(([, a]) => a.addon_name)).not.toContain('aws-fsx-csi-driver');
    expect(b.storage.fsxCsiDriverRole).toBeUndefined();
  });

  it('returns plain values for the workloads stack', () => {
    const ref = b.storage.storageReference();
    expect(ref).toEqual({
      region: 'eu-west-1',
      mountpoint: true,
      datasetsBucketName: b.datasets.bucketName,
      datasetsPrefix: 'offline/',
      checkpointsBucketName: b.storage.checkpointsBucket!.bucketName,
    });
  });

  it('passes the policy pack with zero active findings (synth ran it; errors would have thrown)', () => {
    const findings = evaluatePolicies(j as never, [...CORE_RULES, ...EKS_RULES, ...NETWORK_RULES]);
    expect(activeFindings(findings)).toEqual([]);
  });
});

describe('TrainingStorage with FSx for Lustre', () => {
  let b: Built;
  let j: TfJson;
  beforeAll(() => {
    b = build({ fsx: { enabled: true, storageCapacityGiB: 2400, perUnitStorageThroughput: 250, dailyAutomaticBackupStartTime: '02:00' } });
    j = b.json;
  });

  it('creates an LZ4-compressed PERSISTENT_2 file system encrypted with the cluster CMK, in one private subnet, behind its own security group', () => {
    const fs = only(j, 'aws_fsx_lustre_file_system');
    expect(fs).toMatchObject({
      deployment_type: 'PERSISTENT_2',
      storage_type: 'SSD',
      storage_capacity: 2400,
      per_unit_storage_throughput: 250,
      file_system_type_version: '2.15',
      data_compression_type: 'LZ4',
      kms_key_id: refTo(j, 'aws_kms_key', 'Training/Key/Resource', 'arn'),
      subnet_ids: [refTo(j, 'aws_subnet', 'Network/Private1', 'id')],
      security_group_ids: [refTo(j, 'aws_security_group', 'Storage/FileSystemSecurityGroup', 'id')],
    });
  });

  it('keeps daily backups 7 days, takes a final backup and is protected by prevent_destroy outside ephemeral environments', () => {
    const fs = only(j, 'aws_fsx_lustre_file_system');
    expect(fs).toMatchObject({ automatic_backup_retention_days: 7, daily_automatic_backup_start_time: '02:00', copy_tags_to_backups: true, skip_final_backup: false });
    expect(fs.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('logs to a CMK-encrypted /aws/fsx/<name> log group with retention', () => {
    const fs = only(j, 'aws_fsx_lustre_file_system');
    const group = byPath(j, 'aws_cloudwatch_log_group', 'Storage/FileSystemLogs/Resource');
    expect(group).toMatchObject({ name: '/aws/fsx/gai-test-storage-fsx', retention_in_days: 365, kms_key_id: refTo(j, 'aws_kms_key', 'Training/Key/Resource', 'arn') });
    expect(fs.log_configuration).toEqual({ level: 'WARN_ERROR', destination: refTo(j, 'aws_cloudwatch_log_group', 'Storage/FileSystemLogs/Resource', 'arn') });
    expect(fs.depends_on).toContain(`aws_cloudwatch_log_group.${resources(j, 'aws_cloudwatch_log_group').find(([, g]) => g.name.startsWith('/aws/fsx/'))![0]}`);
  });

  it('opens exactly Lustre TCP 988 and 1018-1023, from and to itself and the VPC CIDR, and lets cluster nodes accept the file system', () => {
    const sg = refTo(j, 'aws_security_group', 'Storage/FileSystemSecurityGroup', 'id');
    const vpcCidr = refTo(j, 'aws_vpc', 'Network/Resource', 'cidr_block');
    const clusterSg = refTo(j, 'aws_eks_cluster', 'Training/Resource', 'vpc_config[0].cluster_security_group_id');
    const shape = (r: Record<string, any>) => ({
      on: r.security_group_id,
      ports: `${r.ip_protocol}/${r.from_port}-${r.to_port}`,
      from: r.referenced_security_group_id ?? r.cidr_ipv4,
    });
    const storageRules = (type: string) =>
      resources(j, type)
        .filter(([, r]) => String(r['//'].metadata.path).includes('/Storage/'))
        .map(([, r]) => shape(r))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const expected = (on: string, sources: string[]) =>
      sources.flatMap((from) => ['tcp/988-988', 'tcp/1018-1023'].map((ports) => ({ on, ports, from })));
    const sorted = (list: object[]) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(storageRules('aws_vpc_security_group_ingress_rule')).toEqual(sorted([...expected(sg, [sg, vpcCidr]), ...expected(clusterSg, [sg])]));
    expect(storageRules('aws_vpc_security_group_egress_rule')).toEqual(sorted(expected(sg, [sg, vpcCidr])));
    const sgResource = byPath(j, 'aws_security_group', 'Storage/FileSystemSecurityGroup');
    expect(sgResource.ingress).toBeUndefined();
    expect(sgResource.egress).toBeUndefined();
    expect(JSON.stringify(j.resource.aws_vpc_security_group_ingress_rule)).not.toContain('0.0.0.0/0');
    expect(JSON.stringify(j.resource.aws_vpc_security_group_egress_rule)).not.toContain('0.0.0.0/0');
  });

  it('links /datasets to the dataset prefix (import only) and /checkpoints to the checkpoint bucket (import and export)', () => {
    const fsId = refTo(j, 'aws_fsx_lustre_file_system', 'Storage/FileSystem', 'id');
    const events = ['NEW', 'CHANGED', 'DELETED'];
    expect(byPath(j, 'aws_fsx_data_repository_association', 'Storage/DatasetsAssociation')).toMatchObject({
      file_system_id: fsId,
      file_system_path: '/datasets',
      data_repository_path: `s3://${refTo(j, 'aws_s3_bucket', 'Datasets/Resource', 'bucket')}/offline/`,
      batch_import_meta_data_on_create: true,
      delete_data_in_filesystem: false,
      s3: { auto_import_policy: { events } },
    });
    expect(byPath(j, 'aws_fsx_data_repository_association', 'Storage/DatasetsAssociation').s3.auto_export_policy).toBeUndefined();
    expect(byPath(j, 'aws_fsx_data_repository_association', 'Storage/CheckpointsAssociation')).toMatchObject({
      file_system_id: fsId,
      file_system_path: '/checkpoints',
      data_repository_path: `s3://${refTo(j, 'aws_s3_bucket', 'Storage/Checkpoints/Resource', 'bucket')}/`,
      batch_import_meta_data_on_create: true,
      s3: { auto_import_policy: { events }, auto_export_policy: { events } },
    });
  });

  it("lets the FSx service-linked roles use the checkpoint bucket's key through S3 for that bucket only", () => {
    const cp = refTo(j, 'aws_s3_bucket', 'Storage/Checkpoints/Resource', 'arn');
    const statement = keyStatements(j, 'Storage/Checkpoints/Key/Resource').find((s) => String(s.Sid).startsWith('FsxDataRepositoryAccess'));
    expect(statement).toEqual({
      Sid: expect.stringMatching(/^FsxDataRepositoryAccess[0-9a-f]{8}$/),
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'aws:PrincipalAccount': expect.stringMatching(/data\.aws_caller_identity/),
          'kms:CallerAccount': expect.stringMatching(/data\.aws_caller_identity/),
          'kms:ViaService': 's3.eu-west-1.amazonaws.com',
        },
        ArnLike: {
          'aws:PrincipalArn': expect.stringMatching(
            /^arn:\$\{data\.aws_partition\.[^}]+\}:iam::\$\{data\.aws_caller_identity\.[^}]+\}:role\/aws-service-role\/s3\.data-source\.lustre\.fsx\.amazonaws\.com\/AWSServiceRoleForFSxS3Access_\*$/,
          ),
        },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [cp, `${cp}/*`] },
      },
    });
    // The dataset key belongs to its owner: TrainingStorage does not change it.
    expect(keyStatements(j, 'Datasets/Key/Resource').map((s) => s.Sid)).not.toContainEqual(expect.stringMatching(/^Fsx/));
  });

  it('installs the FSx CSI add-on with a Pod Identity role that may only describe file systems in this region (suppression recorded)', () => {
    const addon = byPath(j, 'aws_eks_addon', 'Storage/FsxCsiDriver');
    expect(addon).toMatchObject({ addon_name: 'aws-fsx-csi-driver', addon_version: STORAGE_ADDON_VERSIONS.fsxCsiDriver, resolve_conflicts_on_create: 'OVERWRITE' });
    expect(byPath(j, 'aws_eks_pod_identity_association', 'Storage/FsxCsiPodIdentity')).toMatchObject({
      namespace: 'kube-system',
      service_account: 'fsx-csi-controller-sa',
      role_arn: refTo(j, 'aws_iam_role', 'Storage/FsxCsiDriverRole/Resource', 'arn'),
    });
    const describe = byPath(j, 'aws_iam_role_policy', 'Storage/FsxCsiDriverDescribePolicy');
    expect(policy(describe.policy).Statement).toEqual([
      { Sid: 'DescribeFileSystems', Effect: 'Allow', Action: 'fsx:DescribeFileSystems', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } },
    ]);
    expect(describe['//'].gaiops.suppressions).toEqual([{ ruleId: 'GAI-IAM-003', justification: expect.stringContaining('DescribeFileSystems') }]);
    // the role has nothing else: no inline grants policy
    expect(resources(j, 'aws_iam_role_policy').filter(([, r]) => String(r['//'].metadata.path).includes('FsxCsiDriverRole'))).toEqual([]);
  });

  it('exposes the file system in the storage reference', () => {
    const fs = (attr: string) => refTo(j, 'aws_fsx_lustre_file_system', 'Storage/FileSystem', attr);
    new TerraformOutput(b.stack, 'FsxReference', { value: b.storage.storageReference().fsx });
    expect((b.stack.toTerraform() as TfJson).output!.FsxReference.value).toEqual({
      fileSystemId: fs('id'),
      dnsName: fs('dns_name'),
      mountName: fs('mount_name'),
      storageCapacityGiB: 2400,
    });
  });

  it('passes the policy pack: the only active-rule exception is the recorded DescribeFileSystems suppression', () => {
    const findings = evaluatePolicies(j as never, [...CORE_RULES, ...EKS_RULES, ...NETWORK_RULES]);
    expect(activeFindings(findings)).toEqual([]);
    const suppressed = findings.filter((f) => f.suppressedBecause !== undefined && f.path.includes('/Storage/'));
    expect(suppressed.map((f) => [f.ruleId, f.path])).toEqual([['GAI-IAM-003', 'teststack/Storage/FsxCsiDriverDescribePolicy']]);
  });
});

describe('TrainingStorage options', () => {
  it('in an ephemeral environment allows 0 backup days, skips the final backup and drops prevent_destroy', () => {
    const { json } = build({ fsx: { enabled: true, automaticBackupRetentionDays: 0, dailyAutomaticBackupStartTime: '03:00' } }, { ephemeral: true });
    const fs = only(json, 'aws_fsx_lustre_file_system');
    expect(fs).toMatchObject({ automatic_backup_retention_days: 0, skip_final_backup: true });
    expect(fs.daily_automatic_backup_start_time).toBeUndefined();
    expect(fs.lifecycle).toBeUndefined();
  });

  it('takes an existing checkpoint bucket reference and does not create one', () => {
    const { json, storage } = build({
      checkpoints: {
        bucketName: 'team-checkpoints',
        bucketArn: 'arn:aws:s3:::team-checkpoints',
        keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/0d6f1e6e-1111-2222-3333-444455556666',
      },
      fsx: { enabled: true, csiDriver: { enabled: false } },
    });
    expect(resources(json, 'aws_s3_bucket').map(([, r]) => r['//'].metadata.path)).not.toContainEqual(expect.stringContaining('Checkpoints'));
    const rw = statementsOf(json, 'Storage/MountpointRole/Policy/Resource').find((s) => s.Sid === 'ReadWriteCheckpoints');
    expect(rw.Resource).toBe('arn:aws:s3:::team-checkpoints/teams/*');
    expect(byPath(json, 'aws_fsx_data_repository_association', 'Storage/CheckpointsAssociation').data_repository_path).toBe('s3://team-checkpoints/');
    expect(storage.storageReference().checkpointsBucketName).toBe('team-checkpoints');
    expect(resources(json, 'aws_eks_addon').map(([, a]) => a.addon_name)).not.toContain('aws-fsx-csi-driver');
  });

  it("takes an existing SecureBucket for checkpoints and leaves its key policy to its owner", () => {
    const stack = platformStack();
    const network = new ClusterNetwork(stack, 'Network', { clusterName: NAME });
    const cluster = new GpuTrainingCluster(stack, 'Training', { network, clusterName: NAME, adminRoleArns: [ADMIN] });
    const shared = new SecureBucket(stack, 'SharedCheckpoints');
    const storage = new TrainingStorage(stack, 'Storage', {
      cluster,
      datasets: { bucketName: 'corpus', bucketArn: 'arn:aws:s3:::corpus', keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/0d6f1e6e-1111-2222-3333-444455556666' },
      checkpoints: shared,
      fsx: { enabled: true },
    });
    const json = synth(stack);
    expect(storage.checkpointsBucket).toBeUndefined();
    const rw = statementsOf(json, 'Storage/MountpointRole/Policy/Resource').find((s) => s.Sid === 'EncryptCheckpoints');
    expect(rw.Resource).toBe(refTo(json, 'aws_kms_key', 'SharedCheckpoints/Key/Resource', 'arn'));
    expect(keyStatements(json, 'SharedCheckpoints/Key/Resource').map((s) => s.Sid)).not.toContainEqual(expect.stringMatching(/^Fsx/));
  });

  it('without Mountpoint creates no driver role or add-on and says so in the reference', () => {
    const { json, storage } = build({ mountpoint: { enabled: false } });
    expect(resources(json, 'aws_eks_addon').map(([, a]) => a.addon_name)).not.toContain('aws-mountpoint-s3-csi-driver');
    expect(resources(json, 'aws_iam_role').map(([, r]) => r['//'].metadata.path)).not.toContainEqual(expect.stringContaining('MountpointRole'));
    expect(storage.storageReference().mountpoint).toBe(false);
  });

  it('lists the whole dataset bucket only when no prefix is given', () => {
    const stack = platformStack();
    const network = new ClusterNetwork(stack, 'Network', { clusterName: NAME });
    const cluster = new GpuTrainingCluster(stack, 'Training', { network, clusterName: NAME, adminRoleArns: [ADMIN] });
    new TrainingStorage(stack, 'Storage', {
      cluster,
      datasets: { bucketName: 'corpus', bucketArn: 'arn:aws:s3:::corpus', keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/0d6f1e6e-1111-2222-3333-444455556666' },
    });
    const statements = statementsOf(synth(stack), 'Storage/MountpointRole/Policy/Resource');
    expect(statements.find((s) => s.Sid === 'ListDatasets')).toEqual({ Sid: 'ListDatasets', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::corpus' });
    expect(statements.find((s) => s.Sid === 'ReadDatasets').Resource).toBe('arn:aws:s3:::corpus/*');
  });
});

describe('TrainingStorage props', () => {
  const stackWithCluster = (settings: Parameters<typeof platformStack>[0] = {}) => {
    const stack = platformStack(settings);
    const network = new ClusterNetwork(stack, 'Network', { clusterName: NAME });
    return { stack, cluster: new GpuTrainingCluster(stack, 'Training', { network, clusterName: NAME, adminRoleArns: [ADMIN] }) };
  };
  const datasets = { bucketName: 'corpus', bucketArn: 'arn:aws:s3:::corpus', keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/0d6f1e6e-1111-2222-3333-444455556666' };

  it('accepts FSx PERSISTENT_2 capacities 1200 and multiples of 2400 only', () => {
    expect([1200, 2400, 4800, 24000].map(isValidPersistent2Capacity)).toEqual([true, true, true, true]);
    expect([0, 1000, 1800, 3600, 2400.5, -2400].map(isValidPersistent2Capacity)).toEqual([false, false, false, false, false, false]);
  });

  it('documents and applies the defaults', () => {
    const { cluster } = stackWithCluster();
    const p = TrainingStoragePropsSchema.parse({ cluster, datasets });
    expect(p.mountpoint).toEqual({ enabled: true, addonVersion: STORAGE_ADDON_VERSIONS.mountpointS3CsiDriver, controllerOnSystemNodes: true });
    expect(p.fsx).toEqual({
      enabled: false,
      storageCapacityGiB: 1200,
      perUnitStorageThroughput: 125,
      fileSystemTypeVersion: '2.15',
      automaticBackupRetentionDays: 7,
      logLevel: 'WARN_ERROR',
      csiDriver: { enabled: true, addonVersion: STORAGE_ADDON_VERSIONS.fsxCsiDriver },
    });
    expect(p.checkpointNoncurrentVersionExpirationDays).toBe(7);
    const shape = TrainingStoragePropsSchema.shape;
    for (const [field, schema] of Object.entries(shape)) expect(schema.description, field).toMatch(/\S/);
    expect(shape.checkpoints.description).toMatch(/Default a new SecureBucket/);
  });

  it('rejects bad capacity, throughput, Lustre version, backup days, add-on version and dataset prefix, naming each field', () => {
    const { stack, cluster } = stackWithCluster();
    expect(
      configProblems(
        () =>
          new TrainingStorage(stack, 'Storage', {
            cluster,
            datasets: { ...datasets, prefix: '/offline' },
            mountpoint: { addonVersion: 'latest' },
            fsx: { enabled: true, storageCapacityGiB: 3600, perUnitStorageThroughput: 200, fileSystemTypeVersion: '2', automaticBackupRetentionDays: 91 },
          }),
      ),
    ).toEqual([
      'datasets.prefix: must be a key prefix such as `raw/` (no leading slash or wildcards, ending with /)',
      'mountpoint.addonVersion: must be an exact add-on version such as v2.7.0-eksbuild.1',
      'fsx.storageCapacityGiB: must be 1200 or a multiple of 2400 GiB (FSx for Lustre PERSISTENT_2 SSD)',
      'fsx.perUnitStorageThroughput: must be one of 125, 250, 500, 1000 (MB/s per TiB, PERSISTENT_2)',
      'fsx.fileSystemTypeVersion: must be a Lustre version such as 2.15',
      'fsx.automaticBackupRetentionDays: Too big: expected number to be <=90',
    ]);
  });

  it('refuses a file system without backups outside ephemeral environments', () => {
    const { stack, cluster } = stackWithCluster();
    expect(configProblems(() => new TrainingStorage(stack, 'Storage', { cluster, datasets, fsx: { enabled: true, automaticBackupRetentionDays: 0 } }))).toEqual([
      'fsx.automaticBackupRetentionDays: is 0 (no backups), only allowed when the environment is ephemeral',
    ]);
  });

  it('requires a GpuTrainingCluster and bucket ARNs', () => {
    const { stack } = stackWithCluster();
    expect(
      configProblems(
        () => new TrainingStorage(stack, 'Storage', { cluster: TEST_CLUSTER as never, datasets: { ...datasets, bucketArn: 'corpus', keyArn: 'alias/x' } }),
      ),
    ).toEqual([
      'cluster: must be a GpuTrainingCluster',
      'datasets.bucketArn: must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>)',
      "datasets.keyArn: must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)",
    ]);
  });
});

describe('TrainingStorage.allowFsxDataRepositoryAccess', () => {
  it('adds one conditioned Principal "*" statement per bucket set that satisfies GAI-KMS-004, and refuses the same set twice', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'DataKey');
    const first = TrainingStorage.allowFsxDataRepositoryAccess(key, { bucketArns: ['arn:aws:s3:::corpus'] });
    const second = TrainingStorage.allowFsxDataRepositoryAccess(key);
    expect(first.sid).not.toBe(second.sid);
    expect(first.conditions?.StringLike).toEqual({ 'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::corpus', 'arn:aws:s3:::corpus/*'] });
    expect(second.conditions?.StringLike).toBeUndefined();
    expect(Object.keys(second.conditions ?? {}).sort()).toEqual(['ArnLike', 'StringEquals']);
    expect(() => TrainingStorage.allowFsxDataRepositoryAccess(key, { bucketArns: ['arn:aws:s3:::corpus'] })).toThrow(GaiError);
    const json = synth(stack);
    const statements = keyStatements(json, 'DataKey/Resource').filter((s) => String(s.Sid).startsWith('FsxDataRepositoryAccess'));
    expect(statements).toHaveLength(2);
    expect(activeFindings(evaluatePolicies(json as never, [kmsNoPublicKeyPolicy]))).toEqual([]);
    // Without its conditions the same statement is a public key policy: the rule would catch it.
    const stripped = JSON.parse(JSON.stringify(json));
    const keyJson = Object.values(stripped.resource.aws_kms_key as Record<string, any>).find((k) => String(k['//'].metadata.path).endsWith('DataKey/Resource'));
    const doc = JSON.parse(keyJson.policy);
    doc.Statement = doc.Statement.map((s: any) => (String(s.Sid).startsWith('Fsx') ? { ...s, Condition: undefined } : s));
    keyJson.policy = JSON.stringify(doc);
    expect(activeFindings(evaluatePolicies(stripped, [kmsNoPublicKeyPolicy])).map((f) => f.ruleId)).toEqual(['GAI-KMS-004', 'GAI-KMS-004']);
  });
});

const REFERENCE: TrainingStorageReference = {
  region: 'eu-west-1',
  mountpoint: true,
  datasetsBucketName: 'gai-test-datasets',
  datasetsPrefix: 'offline/',
  checkpointsBucketName: 'gai-test-checkpoints',
  fsx: { fileSystemId: 'fs-0123456789abcdef0', dnsName: 'fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com', mountName: 'abcdefgh', storageCapacityGiB: 2400 },
};

function volumes(props: Partial<TrainingVolumesProps> = {}): TfJson {
  const stack = platformStack({}, 'workloads');
  const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
  new TrainingVolumes(stack, 'Volumes', { storage: REFERENCE, teams: ['research', 'vision'], fsxTeam: 'research', kubernetesProvider: kubernetes, ...props });
  return synth(stack);
}

describe('TrainingVolumes', () => {
  let w: TfJson;
  beforeAll(() => {
    w = volumes();
  });
  const pv = (path: string) => byPath(w, 'kubernetes_persistent_volume_v1', path);
  const pvc = (path: string) => byPath(w, 'kubernetes_persistent_volume_claim_v1', path);

  it('gives every team a read-only ReadOnlyMany dataset volume on the Mountpoint driver', () => {
    for (const team of ['research', 'vision']) {
      const v = pv(`Volumes/${team}/DatasetsVolume`);
      expect(v.metadata.name).toBe(`training-${team}-datasets`);
      expect(v.spec).toEqual([
        {
          access_modes: ['ReadOnlyMany'],
          capacity: { storage: '1200Gi' },
          mount_options: ['read-only', 'prefix offline/', 'uid=1000', 'gid=1000', 'allow-other', 'region eu-west-1'],
          persistent_volume_reclaim_policy: 'Retain',
          storage_class_name: STATIC_STORAGE_CLASS,
          volume_mode: 'Filesystem',
          claim_ref: { name: 'datasets', namespace: team },
          persistent_volume_source: {
            csi: { driver: 's3.csi.aws.com', read_only: true, volume_attributes: { bucketName: 'gai-test-datasets' }, volume_handle: `training-${team}-datasets` },
          },
        },
      ]);
      expect(pvc(`Volumes/${team}/DatasetsClaim`)).toMatchObject({
        metadata: { name: 'datasets', namespace: team },
        spec: {
          access_modes: ['ReadOnlyMany'],
          storage_class_name: STATIC_STORAGE_CLASS,
          volume_name: refTo(w, 'kubernetes_persistent_volume_v1', `Volumes/${team}/DatasetsVolume`, 'metadata[0].name'),
          resources: { requests: { storage: '1200Gi' } },
        },
      });
    }
  });

  it("gives every team a ReadWriteMany checkpoint volume on its own prefix teams/<team>/, with delete and overwrite", () => {
    const v = pv('Volumes/vision/CheckpointsVolume');
    expect(v.spec[0]).toMatchObject({
      access_modes: ['ReadWriteMany'],
      mount_options: ['prefix teams/vision/', 'uid=1000', 'gid=1000', 'allow-other', 'allow-delete', 'allow-overwrite', 'region eu-west-1'],
      claim_ref: { name: 'checkpoints', namespace: 'vision' },
      persistent_volume_source: { csi: { driver: 's3.csi.aws.com', volume_attributes: { bucketName: 'gai-test-checkpoints' }, volume_handle: 'training-vision-checkpoints' } },
    });
    expect(v.spec[0].persistent_volume_source.csi.read_only).toBeUndefined();
    expect(pvc('Volumes/vision/CheckpointsClaim').spec).toMatchObject({ access_modes: ['ReadWriteMany'], storage_class_name: STATIC_STORAGE_CLASS });
  });

  it('uses a unique volume handle per S3 volume and the file system id for the single FSx volume', () => {
    const handles = resources(w, 'kubernetes_persistent_volume_v1').map(([, r]) => r.spec[0].persistent_volume_source.csi.volume_handle);
    expect(handles.sort()).toEqual(
      ['fs-0123456789abcdef0', 'training-research-checkpoints', 'training-research-datasets', 'training-vision-checkpoints', 'training-vision-datasets'].sort(),
    );
    expect(new Set(handles).size).toBe(handles.length);
    for (const [, r] of [...resources(w, 'kubernetes_persistent_volume_v1'), ...resources(w, 'kubernetes_persistent_volume_claim_v1')]) {
      expect(r.provider).toBe('kubernetes');
    }
  });

  it('mounts the FSx file system in the designated team namespace only', () => {
    const fsxVolumes = resources(w, 'kubernetes_persistent_volume_v1').filter(([, r]) => r.spec[0].persistent_volume_source.csi.driver === 'fsx.csi.aws.com');
    expect(fsxVolumes).toHaveLength(1);
    expect(fsxVolumes[0][1].spec[0]).toEqual({
      access_modes: ['ReadWriteMany'],
      capacity: { storage: '2400Gi' },
      mount_options: ['flock'],
      persistent_volume_reclaim_policy: 'Retain',
      storage_class_name: STATIC_STORAGE_CLASS,
      volume_mode: 'Filesystem',
      claim_ref: { name: 'fsx', namespace: 'research' },
      persistent_volume_source: {
        csi: {
          driver: 'fsx.csi.aws.com',
          volume_handle: 'fs-0123456789abcdef0',
          volume_attributes: { dnsname: 'fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com', mountname: 'abcdefgh' },
        },
      },
    });
    expect(resources(w, 'kubernetes_persistent_volume_claim_v1').filter(([, r]) => r.metadata.name === 'fsx').map(([, r]) => r.metadata.namespace)).toEqual(['research']);
  });

  it('creates no S3 volumes without the Mountpoint driver, and no FSx volume without fsxTeam', () => {
    const j = volumes({ storage: { ...REFERENCE, mountpoint: false }, fsxTeam: undefined });
    expect(j.resource?.kubernetes_persistent_volume_v1).toBeUndefined();
    expect(j.resource?.kubernetes_persistent_volume_claim_v1).toBeUndefined();
    const k = volumes({ fsxTeam: undefined, uid: 2000, gid: 3000, allowDelete: false, allowOverwrite: false });
    expect(resources(k, 'kubernetes_persistent_volume_v1')).toHaveLength(4);
    expect(byPath(k, 'kubernetes_persistent_volume_v1', 'Volumes/research/CheckpointsVolume').spec[0].mount_options).toEqual([
      'prefix teams/research/',
      'uid=2000',
      'gid=3000',
      'allow-other',
      'region eu-west-1',
    ]);
  });

  it('rejects an FSx team outside the teams, an FSx team without a file system, duplicate or invalid namespaces', () => {
    const parse = (p: Partial<TrainingVolumesProps>) => configProblems(() => parseProps('Volumes', TrainingVolumesPropsSchema, { storage: REFERENCE, teams: ['research', 'vision'], ...p }));
    expect(parse({ fsxTeam: 'nlp' })).toEqual(['fsxTeam: is not among the teams (research, vision)']);
    expect(parse({ storage: { ...REFERENCE, fsx: undefined }, fsxTeam: 'research' })).toEqual([
      'fsxTeam: is set but the storage has no FSx file system (TrainingStorage fsx.enabled)',
    ]);
    expect(parse({ teams: ['research', 'research'] })).toEqual(['teams[1]: lists research twice']);
    expect(parse({ teams: [] })).toEqual(['teams: must list at least one namespace']);
    expect(parse({ teams: ['Research'] })).toEqual(['teams[0]: must be a team namespace name (DNS-1123 label of at most 40 characters)']);
    expect(parse({ storage: { bucket: 'x' } as never })).toEqual(['storage: must be a TrainingStorageReference (TrainingStorage.storageReference())']);
  });
});

describe('TrainingStorage and TrainingVolumes across stacks', () => {
  let manifest: { stacks: Record<string, { dependencies: string[] }> };
  let json: Record<'cluster' | 'data' | 'workloads', TfJson>;
  beforeAll(() => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const data = new PlatformStack(app, 'data', { settings: SETTINGS });
    const corpus = new SecureBucket(data, 'Corpus');
    TrainingStorage.allowFsxDataRepositoryAccess(corpus.encryptionKey, { bucketArns: [corpus.bucketArn] });
    const clusterStack = new PlatformStack(app, 'cluster', { settings: SETTINGS });
    const network = new ClusterNetwork(clusterStack, 'Network', { clusterName: NAME });
    const training = new GpuTrainingCluster(clusterStack, 'Training', { network, clusterName: NAME, adminRoleArns: [ADMIN] });
    const storage = new TrainingStorage(clusterStack, 'Storage', {
      cluster: training,
      datasets: { bucketName: corpus.bucketName, bucketArn: corpus.bucketArn, keyArn: corpus.encryptionKey.keyArn, prefix: 'offline/' },
      fsx: { enabled: true },
    });
    const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
    const { kubernetes } = ClusterProviders.configure(workloads, training.reference());
    const teams = new TrainingTeams(workloads, 'Teams', { cluster: training.reference(), kubernetesProvider: kubernetes, teams: [{ name: 'research', gpuQuota: 8 }, { name: 'vision', gpuQuota: 4 }] });
    new TrainingVolumes(workloads, 'Volumes', { storage: storage.storageReference(), teams, fsxTeam: 'vision', kubernetesProvider: kubernetes });
    app.synth(); // runs every stack's policy pack
    const read = (s: string) => JSON.parse(readFileSync(join(app.outdir, 'stacks', s, 'cdk.tf.json'), 'utf8')) as TfJson;
    json = { cluster: read('cluster'), data: read('data'), workloads: read('workloads') };
    manifest = JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8'));
  });

  it('orders the stacks data → cluster → workloads', () => {
    expect(manifest.stacks.data.dependencies).toEqual([]);
    expect(manifest.stacks.cluster.dependencies).toEqual(['data']);
    expect([...manifest.stacks.workloads.dependencies].sort()).toEqual(['cluster', 'data']);
  });

  it('reads bucket names and the file system from the other stacks, and binds claims in the team namespaces', () => {
    const w = json.workloads;
    const datasetsPv = byPath(w, 'kubernetes_persistent_volume_v1', 'Volumes/research/DatasetsVolume');
    expect(datasetsPv.spec[0].persistent_volume_source.csi.volume_attributes.bucketName).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-data\.outputs\./);
    expect(datasetsPv.spec[0].claim_ref.namespace).toMatch(/kubernetes_namespace_v1\.Teams_research_Namespace.*\.metadata\[0\]\.name/);
    const fsxPv = byPath(w, 'kubernetes_persistent_volume_v1', 'Volumes/vision/FsxVolume');
    expect(fsxPv.spec[0].persistent_volume_source.csi.volume_handle).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-cluster\.outputs\./);
    expect(fsxPv.spec[0].capacity).toEqual({ storage: '1200Gi' });
    expect(resources(w, 'kubernetes_persistent_volume_v1').filter(([, r]) => r.spec[0].persistent_volume_source.csi.driver === 'fsx.csi.aws.com')).toHaveLength(1);
  });

  it('puts the FSx key statement on the dataset key in the data stack, and the file system and add-ons in the cluster stack', () => {
    const statement = keyStatements(json.data, 'Corpus/Key/Resource').find((s) => String(s.Sid).startsWith('FsxDataRepositoryAccess'));
    expect(statement.Condition.StringLike['kms:EncryptionContext:aws:s3:arn']).toEqual([
      refTo(json.data, 'aws_s3_bucket', 'Corpus/Resource', 'arn'),
      `${refTo(json.data, 'aws_s3_bucket', 'Corpus/Resource', 'arn')}/*`,
    ]);
    expect(resources(json.cluster, 'aws_fsx_lustre_file_system')).toHaveLength(1);
    expect(resources(json.cluster, 'aws_eks_addon').map(([, a]) => a.addon_name)).toEqual(expect.arrayContaining(['aws-mountpoint-s3-csi-driver', 'aws-fsx-csi-driver']));
    expect(resources(json.workloads, 'aws_eks_addon')).toEqual([]);
    expect(resources(json.cluster, 'kubernetes_persistent_volume_v1')).toEqual([]);
  });
});
