import { createHash } from 'node:crypto';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { FsxDataRepositoryAssociation } from '@cdktf/provider-aws/lib/fsx-data-repository-association';
import { FsxLustreFileSystem } from '@cdktf/provider-aws/lib/fsx-lustre-file-system';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';
import { EncryptionKey } from '../core/encryption-key';
import { GaiConfigError } from '../core/errors';
import { renderPolicy, type PolicyStatement } from '../core/iam/policy-statement';
import { Role } from '../core/iam/role';
import { LogGroup } from '../core/log-group';
import { PlatformContext } from '../core/platform-context';
import { PolicyPack } from '../core/policy/policy-pack';
import { protectFromDestroy } from '../core/protection';
import { isToken, parseProps } from '../core/props';
import { SecureBucket } from '../core/secure-bucket';
import { Fn } from '../core/tf';
import { SYSTEM_NODE_TAINT } from './cluster';
import {
  TrainingStoragePropsSchema,
  type BucketReference,
  type TrainingStorageProps,
  type TrainingStorageReference,
} from './storage-schema';
import { podIdentityAssociation, podIdentityRole } from '../core/iam/pod-identity-role';

/** The Mountpoint CSI driver's node service account (fixed by the add-on; driver-level credentials). */
export const MOUNTPOINT_CSI_NAMESPACE = 'kube-system';
export const MOUNTPOINT_CSI_SERVICE_ACCOUNT = 's3-csi-driver-sa';

/** The FSx CSI driver's controller service account (fixed by the add-on). */
export const FSX_CSI_NAMESPACE = 'kube-system';
export const FSX_CSI_SERVICE_ACCOUNT = 'fsx-csi-controller-sa';

/** Where each team's checkpoints live in the checkpoint bucket: `teams/<team>/`. */
export const CHECKPOINT_TEAMS_PREFIX = 'teams/';

/** Lustre's TCP ports: the LNet acceptor 988 and the client source ports 1018–1023. */
export const LUSTRE_PORTS: readonly { name: string; from: number; to: number }[] = [
  { name: 'Lnet', from: 988, to: 988 },
  { name: 'Clients', from: 1018, to: 1023 },
];

/** Mount paths of the data repository associations on the file system. */
export const FSX_PATHS = { datasets: '/datasets', checkpoints: '/checkpoints' } as const;

/** S3 events the file system imports from (and, for checkpoints, exports to) the buckets. */
export const DATA_REPOSITORY_EVENTS = ['NEW', 'CHANGED', 'DELETED'] as const;

/** The FSx service-linked role that reads and writes linked buckets (one per file system). */
export const FSX_S3_ACCESS_ROLE_PATH = 'aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/';
export const FSX_S3_ACCESS_ROLE_PREFIX = 'AWSServiceRoleForFSxS3Access_';

/**
 * Storage for training data and checkpoints on the AWS side: the Mountpoint for Amazon S3 CSI
 * driver (EKS add-on, driver-level Pod Identity role that may only list and read the datasets and
 * read-write the team checkpoint prefixes, using the keys only through S3), a checkpoint bucket,
 * and optionally an FSx for Lustre PERSISTENT_2 file system (CMK, LZ4, private subnet, Lustre ports
 * from itself and the VPC only, logs, backups, prevent_destroy) linked to both buckets, with the
 * FSx CSI driver add-on. Kubernetes volumes are built by TrainingVolumes in the workloads stack
 * from `storageReference()`.
 */
export class TrainingStorage extends Construct {
  /**
   * Lets the FSx service-linked roles of this account (`AWSServiceRoleForFSxS3Access_<fs-id>`) use
   * `key` through S3 — what a data repository association on an SSE-KMS bucket needs. The role does
   * not exist until the file system does, and usually lives in another stack than the key, so the
   * statement allows Principal `*` restricted by `aws:PrincipalArn` (the service-linked role path),
   * `aws:PrincipalAccount`/`kms:CallerAccount` (this account), `kms:ViaService` (S3 in the key's
   * region) and, with `bucketArns`, the S3 encryption context (bucket key or object ARNs).
   */
  static allowFsxDataRepositoryAccess(key: EncryptionKey, options: { bucketArns?: readonly string[] } = {}): PolicyStatement {
    const ctx = PlatformContext.of(key);
    const bucketArns = [...(options.bucketArns ?? [])];
    const suffix = createHash('sha256').update(JSON.stringify(bucketArns)).digest('hex').slice(0, 8);
    const statement: PolicyStatement = {
      sid: `FsxDataRepositoryAccess${suffix}`,
      principals: { AWS: ['*'] },
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'aws:PrincipalAccount': ctx.accountId,
          'kms:CallerAccount': ctx.accountId,
          'kms:ViaService': `s3.${ctx.region}.amazonaws.com`,
        },
        ArnLike: { 'aws:PrincipalArn': `arn:${ctx.partition}:iam::${ctx.accountId}:role/${FSX_S3_ACCESS_ROLE_PATH}${FSX_S3_ACCESS_ROLE_PREFIX}*` },
        ...(bucketArns.length > 0 ? { StringLike: { 'kms:EncryptionContext:aws:s3:arn': bucketArns.flatMap((arn) => [arn, `${arn}/*`]) } } : {}),
      },
    };
    key.addToResourcePolicy(statement);
    return statement;
  }

  /** The checkpoint bucket when TrainingStorage created it. */
  readonly checkpointsBucket?: SecureBucket;
  readonly datasets: BucketReference & { readonly prefix?: string };
  readonly checkpoints: BucketReference;
  /** The Mountpoint CSI driver's role (driver-level credentials of every S3 volume). */
  readonly mountpointRole?: Role;
  readonly mountpointAddon?: EksAddon;
  readonly fileSystem?: FsxLustreFileSystem;
  readonly fileSystemSecurityGroup?: SecurityGroup;
  readonly fileSystemLogGroup?: LogGroup;
  readonly datasetsAssociation?: FsxDataRepositoryAssociation;
  readonly checkpointsAssociation?: FsxDataRepositoryAssociation;
  readonly fsxCsiDriverRole?: Role;
  readonly fsxCsiAddon?: EksAddon;
  private readonly region: string;
  private readonly fsxCapacityGiB: number;

  constructor(scope: Construct, id: string, props: TrainingStorageProps) {
    super(scope, id);
    const p = parseProps(this, TrainingStoragePropsSchema, props);
    const ctx = PlatformContext.of(this);
    this.region = ctx.region;
    this.fsxCapacityGiB = p.fsx.storageCapacityGiB;
    const cluster = p.cluster;
    if (p.fsx.enabled && p.fsx.automaticBackupRetentionDays === 0 && !ctx.ephemeral) {
      throw new GaiConfigError([
        { constructPath: this.node.path, fieldPath: 'fsx.automaticBackupRetentionDays', message: 'is 0 (no backups), only allowed when the environment is ephemeral' },
      ]);
    }

    this.datasets = p.datasets;
    if (p.checkpoints === undefined) {
      this.checkpointsBucket = new SecureBucket(this, 'Checkpoints', {
        lifecycle: {
          abortIncompleteMultipartUploadDays: 7,
          noncurrentVersionTransitionDays: null,
          noncurrentVersionExpirationDays: p.checkpointNoncurrentVersionExpirationDays,
          currentVersionExpirationDays: null,
          prefixExpirations: [],
        },
      });
      this.checkpoints = bucketReference(this.checkpointsBucket);
    } else if (p.checkpoints instanceof SecureBucket) {
      this.checkpoints = bucketReference(p.checkpoints);
    } else {
      this.checkpoints = p.checkpoints;
    }

    if (p.mountpoint.enabled) {
      const role = (this.mountpointRole = podIdentityRole(this, 'MountpointRole', { clusterName: cluster.clusterName, namespace: MOUNTPOINT_CSI_NAMESPACE, serviceAccount: MOUNTPOINT_CSI_SERVICE_ACCOUNT }));
      for (const statement of mountpointStatements(this.datasets, this.checkpoints, ctx.region)) role.addToPrincipalPolicy(statement);
      const association = podIdentityAssociation(this, 'MountpointPodIdentity', {
        clusterName: cluster.resource.name,
        namespace: MOUNTPOINT_CSI_NAMESPACE,
        serviceAccount: MOUNTPOINT_CSI_SERVICE_ACCOUNT,
        role,
        dependsOn: [cluster.addons.podIdentityAgent],
      });
      this.mountpointAddon = new EksAddon(this, 'MountpointCsiDriver', {
        clusterName: cluster.resource.name,
        addonName: 'aws-mountpoint-s3-csi-driver',
        addonVersion: p.mountpoint.addonVersion,
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
        configurationValues: p.mountpoint.controllerOnSystemNodes
          ? JSON.stringify({
              controller: {
                nodeSelector: { 'gaiops.io/node-pool': 'system' },
                tolerations: [{ key: SYSTEM_NODE_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
              },
            })
          : undefined,
        dependsOn: [cluster.systemNodeGroup, association, ...role.dependables],
      });
    }

    if (p.fsx.enabled) {
      const f = p.fsx;
      const key = f.encryptionKey ?? cluster.encryptionKey;
      const name = ctx.physicalName('eks', this, 'fsx');
      const network = cluster.network;

      const sg = (this.fileSystemSecurityGroup = new SecurityGroup(this, 'FileSystemSecurityGroup', {
        name,
        description: 'FSx for Lustre: Lustre TCP 988 and 1018-1023 from itself and the VPC only',
        vpcId: network.vpcId,
        tags: { Name: name },
      }));
      const sources: { id: string; source: { referencedSecurityGroupId: string } | { cidrIpv4: string }; what: string }[] = [
        { id: 'Self', source: { referencedSecurityGroupId: sg.id }, what: 'the file system' },
        { id: 'Vpc', source: { cidrIpv4: network.vpcCidr }, what: 'the VPC' },
      ];
      for (const port of LUSTRE_PORTS) {
        for (const s of sources) {
          new VpcSecurityGroupIngressRule(this, `Lustre${port.name}From${s.id}`, {
            securityGroupId: sg.id,
            description: `Lustre TCP ${port.from}${port.to === port.from ? '' : `-${port.to}`} from ${s.what}`,
            ipProtocol: 'tcp',
            fromPort: port.from,
            toPort: port.to,
            ...s.source,
          });
          new VpcSecurityGroupEgressRule(this, `Lustre${port.name}To${s.id}`, {
            securityGroupId: sg.id,
            description: `Lustre TCP ${port.from}${port.to === port.from ? '' : `-${port.to}`} to ${s.what}`,
            ipProtocol: 'tcp',
            fromPort: port.from,
            toPort: port.to,
            ...s.source,
          });
        }
        // Lustre clients (nodes carry the cluster security group) accept the servers' connections.
        new VpcSecurityGroupIngressRule(this, `ClusterLustre${port.name}FromFileSystem`, {
          securityGroupId: cluster.resource.vpcConfig.clusterSecurityGroupId,
          description: `Lustre TCP ${port.from}${port.to === port.from ? '' : `-${port.to}`} from the FSx file system ${name}`,
          ipProtocol: 'tcp',
          fromPort: port.from,
          toPort: port.to,
          referencedSecurityGroupId: sg.id,
        });
      }

      this.fileSystemLogGroup = new LogGroup(this, 'FileSystemLogs', {
        logGroupName: `/aws/fsx/${name}`,
        encryptionKey: key,
        retentionDays: f.logRetentionDays,
      });
      const subnetId = f.subnetId ?? (isToken(network.privateSubnetIds) ? (Fn.element(network.privateSubnetIds, 0) as string) : network.privateSubnetIds[0]);
      const fs = (this.fileSystem = new FsxLustreFileSystem(this, 'FileSystem', {
        deploymentType: 'PERSISTENT_2',
        storageType: 'SSD',
        storageCapacity: f.storageCapacityGiB,
        perUnitStorageThroughput: f.perUnitStorageThroughput,
        fileSystemTypeVersion: f.fileSystemTypeVersion,
        subnetIds: [subnetId],
        securityGroupIds: [sg.id],
        kmsKeyId: key.keyArn,
        dataCompressionType: 'LZ4',
        automaticBackupRetentionDays: f.automaticBackupRetentionDays,
        copyTagsToBackups: true,
        dailyAutomaticBackupStartTime: f.automaticBackupRetentionDays > 0 ? f.dailyAutomaticBackupStartTime : undefined,
        weeklyMaintenanceStartTime: f.weeklyMaintenanceStartTime,
        skipFinalBackup: ctx.ephemeral,
        logConfiguration: { level: f.logLevel, destination: this.fileSystemLogGroup.logGroupArn },
        tags: { Name: name },
        dependsOn: [this.fileSystemLogGroup.resource],
      }));
      protectFromDestroy(fs, ctx);

      this.datasetsAssociation = new FsxDataRepositoryAssociation(this, 'DatasetsAssociation', {
        fileSystemId: fs.id,
        fileSystemPath: FSX_PATHS.datasets,
        dataRepositoryPath: `s3://${this.datasets.bucketName}/${this.datasets.prefix ?? ''}`,
        batchImportMetaDataOnCreate: true,
        deleteDataInFilesystem: false,
        s3: { autoImportPolicy: { events: [...DATA_REPOSITORY_EVENTS] } },
      });
      this.checkpointsAssociation = new FsxDataRepositoryAssociation(this, 'CheckpointsAssociation', {
        fileSystemId: fs.id,
        fileSystemPath: FSX_PATHS.checkpoints,
        dataRepositoryPath: `s3://${this.checkpoints.bucketName}/`,
        batchImportMetaDataOnCreate: true,
        deleteDataInFilesystem: false,
        s3: { autoImportPolicy: { events: [...DATA_REPOSITORY_EVENTS] }, autoExportPolicy: { events: [...DATA_REPOSITORY_EVENTS] } },
      });
      // The key of a bucket TrainingStorage owns; keys of buckets passed in are their owner's to change.
      if (this.checkpointsBucket) {
        TrainingStorage.allowFsxDataRepositoryAccess(this.checkpointsBucket.encryptionKey, { bucketArns: [this.checkpointsBucket.bucketArn] });
      }

      if (f.csiDriver.enabled) {
        const role = (this.fsxCsiDriverRole = podIdentityRole(this, 'FsxCsiDriverRole', { clusterName: cluster.clusterName, namespace: FSX_CSI_NAMESPACE, serviceAccount: FSX_CSI_SERVICE_ACCOUNT }));
        const describe = new IamRolePolicy(this, 'FsxCsiDriverDescribePolicy', {
          name: 'fsx-csi-describe-file-systems',
          role: role.roleName,
          policy: renderPolicy(fsxCsiDriverStatements(ctx.region)),
        });
        PolicyPack.suppress(
          describe,
          'GAI-IAM-003',
          'Static provisioning only: the FSx CSI controller calls fsx:DescribeFileSystems without FileSystemIds (its background file-system cache lists every file system of the region), which a file-system ARN cannot authorize; reads only, limited to this region by aws:RequestedRegion. No create, delete or update permission is granted.',
        );
        const association = new EksPodIdentityAssociation(this, 'FsxCsiPodIdentity', {
          clusterName: cluster.resource.name,
          namespace: FSX_CSI_NAMESPACE,
          serviceAccount: FSX_CSI_SERVICE_ACCOUNT,
          roleArn: role.roleArn,
          disableSessionTags: false,
          dependsOn: [cluster.addons.podIdentityAgent, role.resource, describe],
        });
        this.fsxCsiAddon = new EksAddon(this, 'FsxCsiDriver', {
          clusterName: cluster.resource.name,
          addonName: 'aws-fsx-csi-driver',
          addonVersion: f.csiDriver.addonVersion,
          resolveConflictsOnCreate: 'OVERWRITE',
          resolveConflictsOnUpdate: 'OVERWRITE',
          dependsOn: [cluster.systemNodeGroup, association, role.resource, describe],
        });
      }
    }
  }

  /** What TrainingVolumes needs: bucket names, the dataset prefix, the file system, the region. */
  storageReference(): TrainingStorageReference {
    return {
      region: this.region,
      mountpoint: this.mountpointAddon !== undefined,
      datasetsBucketName: this.datasets.bucketName,
      ...(this.datasets.prefix !== undefined ? { datasetsPrefix: this.datasets.prefix } : {}),
      checkpointsBucketName: this.checkpoints.bucketName,
      ...(this.fileSystem
        ? {
            fsx: {
              fileSystemId: this.fileSystem.id,
              dnsName: this.fileSystem.dnsName,
              mountName: this.fileSystem.mountName,
              storageCapacityGiB: this.fsxCapacityGiB,
            },
          }
        : {}),
    };
  }
}

function bucketReference(bucket: SecureBucket): BucketReference {
  return { bucketName: bucket.bucketName, bucketArn: bucket.bucketArn, keyArn: bucket.encryptionKey.keyArn };
}


/** `kms:ViaService` S3 in the region and the S3 encryption context of one bucket (bucket key or object ARNs). */
function viaS3(bucketArn: string, region: string): PolicyStatement['conditions'] {
  return {
    StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
    StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, `${bucketArn}/*`] },
  };
}

/**
 * The Mountpoint CSI driver's permissions (Mountpoint's documented minimum): list and read the
 * datasets (under the prefix only), list, read, write, abort uploads and delete under the team
 * checkpoint prefixes, and each bucket's key only through S3 for that bucket.
 */
export function mountpointStatements(datasets: BucketReference & { readonly prefix?: string }, checkpoints: BucketReference, region: string): PolicyStatement[] {
  const prefix = datasets.prefix ?? '';
  return [
    {
      sid: 'ListDatasets',
      actions: ['s3:ListBucket'],
      resources: [datasets.bucketArn],
      ...(datasets.prefix ? { conditions: { StringLike: { 's3:prefix': [`${datasets.prefix}*`] } } } : {}),
    },
    { sid: 'ReadDatasets', actions: ['s3:GetObject'], resources: [`${datasets.bucketArn}/${prefix}*`] },
    { sid: 'DecryptDatasets', actions: ['kms:Decrypt'], resources: [datasets.keyArn], conditions: viaS3(datasets.bucketArn, region) },
    {
      sid: 'ListCheckpoints',
      actions: ['s3:ListBucket'],
      resources: [checkpoints.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${CHECKPOINT_TEAMS_PREFIX}*`] } },
    },
    {
      sid: 'ReadWriteCheckpoints',
      actions: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      resources: [`${checkpoints.bucketArn}/${CHECKPOINT_TEAMS_PREFIX}*`],
    },
    { sid: 'EncryptCheckpoints', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [checkpoints.keyArn], conditions: viaS3(checkpoints.bucketArn, region) },
  ];
}

/** The FSx CSI controller's only AWS call for statically provisioned volumes, limited to the region. */
export function fsxCsiDriverStatements(region: string): PolicyStatement[] {
  return [
    {
      sid: 'DescribeFileSystems',
      actions: ['fsx:DescribeFileSystems'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': region } },
    },
  ];
}
