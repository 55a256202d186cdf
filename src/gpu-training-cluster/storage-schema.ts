import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { LogRetentionDaysSchema } from '../core/platform-settings';
import { instanceOf, isToken } from '../core/props';
import { S3PrefixSchema, SecureBucket } from '../core/secure-bucket';
import { GpuTrainingCluster } from './cluster';
import { TrainingTeams } from './teams';
import { TEAM_NAME_PATTERN } from './teams-schema';

/**
 * Exact EKS managed add-on versions. Sources (re-check with
 * `aws eks describe-addon-versions --kubernetes-version 1.35 --addon-name <name>`):
 * - `aws-mountpoint-s3-csi-driver` `v2.7.0-eksbuild.1`: recorded as the newest build offered for an
 *   EKS 1.35 cluster on 2026-08-11 (public remediation notes of a 1.35 cluster); driver v2.7.0 is in
 *   awslabs/mountpoint-s3-csi-driver CHANGELOG.md. (`v2.8.0-eksbuild.1` was seen ACTIVE on a cluster
 *   of unrecorded version in late September 2026.)
 * - `aws-fsx-csi-driver` `v1.10.0-eksbuild.2`: seen pinned in public infrastructure code; its
 *   Kubernetes 1.35 compatibility could not be verified.
 */
export const STORAGE_ADDON_VERSIONS = {
  mountpointS3CsiDriver: 'v2.7.0-eksbuild.1',
  fsxCsiDriver: 'v1.10.0-eksbuild.2',
} as const;

/** FSx for Lustre PERSISTENT_2 (SSD) throughput tiers, MB/s per TiB of storage. */
export const FSX_THROUGHPUT_TIERS = [125, 250, 500, 1000] as const;

/** PERSISTENT_2 SSD capacity: 1,200 GiB or a multiple of 2,400 GiB. */
export function isValidPersistent2Capacity(gib: number): boolean {
  return Number.isInteger(gib) && (gib === 1200 || (gib > 0 && gib % 2400 === 0));
}

const AddonVersionSchema = z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, 'must be an exact add-on version such as v2.7.0-eksbuild.1');

const BucketNameSchema = z
  .string()
  .refine((v) => isToken(v) || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v), 'must be an S3 bucket name');
const BucketArnSchema = z
  .string()
  .refine((v) => isToken(v) || /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v), 'must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>)');
const KeyArnSchema = z
  .string()
  .refine((v) => isToken(v) || /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(v), 'must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)');

/** A bucket another stack owns, by plain values (tokens become cross-stack references). */
export const BucketReferenceSchema = z.strictObject({
  bucketName: BucketNameSchema.describe('Bucket name.'),
  bucketArn: BucketArnSchema.describe('Bucket ARN.'),
  keyArn: KeyArnSchema.describe("ARN of the customer-managed KMS key of the bucket's SSE-KMS default encryption."),
});
export type BucketReference = z.output<typeof BucketReferenceSchema>;

export const DatasetsSchema = BucketReferenceSchema.extend({
  prefix: S3PrefixSchema.optional().describe(
    'Key prefix the datasets live under, e.g. `offline/`: the only part of the bucket the Mountpoint role may list and read, the `prefix` of the dataset volumes and of the FSx data repository association. Default none (the whole bucket).',
  ),
});

export const MountpointSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Install the `aws-mountpoint-s3-csi-driver` EKS add-on with its Pod Identity role. Default `true`.'),
  addonVersion: AddonVersionSchema.default(STORAGE_ADDON_VERSIONS.mountpointS3CsiDriver).describe(
    `Exact \`aws-mountpoint-s3-csi-driver\` add-on version. Default \`${STORAGE_ADDON_VERSIONS.mountpointS3CsiDriver}\`.`,
  ),
  controllerOnSystemNodes: z
    .boolean()
    .default(true)
    .describe(
      'Run the driver controller (which may create Mountpoint pods in `mount-s3`) on the system node group: add-on configuration `controller.nodeSelector` `gaiops.io/node-pool=system` and a `CriticalAddonsOnly` toleration. Default `true`.',
    ),
});

export const FsxCsiDriverSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Install the `aws-fsx-csi-driver` EKS add-on with its Pod Identity role (when `fsx.enabled`). Default `true`.'),
  addonVersion: AddonVersionSchema.default(STORAGE_ADDON_VERSIONS.fsxCsiDriver).describe(
    `Exact \`aws-fsx-csi-driver\` add-on version. Default \`${STORAGE_ADDON_VERSIONS.fsxCsiDriver}\`.`,
  ),
});

export const FsxSchema = z.strictObject({
  enabled: z.boolean().default(false).describe('Create an FSx for Lustre PERSISTENT_2 file system linked to the dataset and checkpoint buckets. Default `false`.'),
  storageCapacityGiB: z
    .number()
    .int('must be a whole number of GiB')
    .refine(isValidPersistent2Capacity, 'must be 1200 or a multiple of 2400 GiB (FSx for Lustre PERSISTENT_2 SSD)')
    .default(1200)
    .describe('Storage capacity in GiB: 1200 or a multiple of 2400 (PERSISTENT_2 SSD). Default 1200.'),
  perUnitStorageThroughput: z
    .number()
    .refine((v) => (FSX_THROUGHPUT_TIERS as readonly number[]).includes(v), `must be one of ${FSX_THROUGHPUT_TIERS.join(', ')} (MB/s per TiB, PERSISTENT_2)`)
    .default(125)
    .describe('Throughput per TiB of storage in MB/s: 125, 250, 500 or 1000. Default 125.'),
  fileSystemTypeVersion: z
    .string()
    .regex(/^2\.\d{2}$/, 'must be a Lustre version such as 2.15')
    .default('2.15')
    .describe('Lustre version (clients on AL2023 kernels need 2.15). Default `2.15`.'),
  subnetId: z.string().min(1).optional().describe("Subnet of the file system. Default the cluster network's first private subnet."),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
    .optional()
    .describe("Customer-managed key for the file system, its backups and its log group (must allow `logs`). Default the cluster's key."),
  automaticBackupRetentionDays: z
    .number()
    .int()
    .min(0)
    .max(90)
    .default(7)
    .describe('Days automatic daily backups are kept, 0–90; 0 (no backups) only in ephemeral environments. Default 7.'),
  dailyAutomaticBackupStartTime: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC)')
    .optional()
    .describe('Start of the daily backup window, HH:MM UTC. Default chosen by FSx.'),
  weeklyMaintenanceStartTime: z
    .string()
    .regex(/^[1-7]:([01]\d|2[0-3]):[0-5]\d$/, 'must be d:HH:MM (1 = Monday, UTC)')
    .optional()
    .describe('Weekly maintenance window start, d:HH:MM UTC (1 = Monday). Default chosen by FSx.'),
  logLevel: z
    .enum(['WARN_ERROR', 'ERROR_ONLY', 'WARN_ONLY'])
    .default('WARN_ERROR')
    .describe('Data repository event logging into `/aws/fsx/<name>`. Default `WARN_ERROR`.'),
  logRetentionDays: LogRetentionDaysSchema.optional().describe("Retention of the file system's log group. Default the platform's `logRetentionDays`."),
  csiDriver: FsxCsiDriverSchema.default(FsxCsiDriverSchema.parse({})).describe(
    `The FSx CSI driver add-on. Default enabled, \`${STORAGE_ADDON_VERSIONS.fsxCsiDriver}\`.`,
  ),
});

export const TrainingStoragePropsSchema = z.strictObject({
  cluster: instanceOf(GpuTrainingCluster, 'GpuTrainingCluster').describe('The cluster: its name, network, key and system node group.'),
  datasets: DatasetsSchema.describe(
    "The dataset bucket, e.g. `{ bucketName: featureStore.bucket.bucketName, bucketArn: featureStore.bucket.bucketArn, keyArn: featureStore.encryptionKey.keyArn, prefix: 'offline/' }`. Mounted read-only.",
  ),
  checkpoints: z
    .union([instanceOf(SecureBucket, 'SecureBucket'), BucketReferenceSchema])
    .optional()
    .describe('The checkpoint bucket: a SecureBucket or a bucket reference. Default a new SecureBucket (own CMK, versioning, noncurrent versions expired after `checkpointNoncurrentVersionExpirationDays`).'),
  checkpointNoncurrentVersionExpirationDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(7)
    .describe('For the checkpoint bucket TrainingStorage creates: days before overwritten or deleted checkpoint versions expire (no transition to IA). Default 7.'),
  mountpoint: MountpointSchema.default(MountpointSchema.parse({})).describe(
    `Mountpoint for Amazon S3 CSI driver. Default enabled, \`${STORAGE_ADDON_VERSIONS.mountpointS3CsiDriver}\`, controller on the system nodes.`,
  ),
  fsx: FsxSchema.default(FsxSchema.parse({})).describe('FSx for Lustre file system. Default disabled.'),
});
export type TrainingStorageProps = z.input<typeof TrainingStoragePropsSchema>;
export type TrainingStorageConfig = z.output<typeof TrainingStoragePropsSchema>;

/** The file system, as TrainingVolumes needs it. */
export interface FsxReference {
  readonly fileSystemId: string;
  readonly dnsName: string;
  readonly mountName: string;
  readonly storageCapacityGiB: number;
}

/**
 * What the workloads stack needs from TrainingStorage, as plain values (tokens in the storage
 * stack; cdktf turns them into cross-stack references elsewhere).
 */
export interface TrainingStorageReference {
  readonly region: string;
  /** Whether the Mountpoint CSI driver is installed (S3 volumes need it). */
  readonly mountpoint: boolean;
  readonly datasetsBucketName: string;
  /** Dataset key prefix (ends with `/`), when the datasets are a prefix of the bucket. */
  readonly datasetsPrefix?: string;
  readonly checkpointsBucketName: string;
  readonly fsx?: FsxReference;
}

const StorageReferenceSchema = z.custom<TrainingStorageReference>(
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    typeof (v as TrainingStorageReference).datasetsBucketName === 'string' &&
    typeof (v as TrainingStorageReference).checkpointsBucketName === 'string' &&
    typeof (v as TrainingStorageReference).region === 'string',
  'must be a TrainingStorageReference (TrainingStorage.storageReference())',
);

/** The storage class name both sides of every static binding carry. */
export const STATIC_STORAGE_CLASS = 'gaiops-static';

export const TrainingVolumesPropsSchema = z
  .strictObject({
    storage: StorageReferenceSchema.describe('The storage (TrainingStorage `storageReference()`).'),
    teams: z
      .union([
        instanceOf(TrainingTeams, 'TrainingTeams'),
        z
          .array(z.string().regex(TEAM_NAME_PATTERN, 'must be a team namespace name (DNS-1123 label of at most 40 characters)'))
          .min(1, 'must list at least one namespace'),
      ])
      .describe('The team namespaces: a TrainingTeams construct (its namespaces, so volumes wait for them) or namespace names.'),
    fsxTeam: z
      .string()
      .optional()
      .describe(
        'The one team whose namespace gets the FSx volume (the FSx CSI driver supports one PersistentVolume per file system: kubernetes-sigs/aws-fsx-csi-driver#151, #247). Default none (no FSx volume).',
      ),
    uid: z.number().int().min(0).max(2147483647).default(1000).describe('Owner uid of the files in the S3 volumes (`uid` mount option): the uid the training pods run as. Default 1000.'),
    gid: z.number().int().min(0).max(2147483647).default(1000).describe('Group of the files in the S3 volumes (`gid` mount option). Default 1000.'),
    allowDelete: z
      .boolean()
      .default(true)
      .describe('Let pods delete checkpoints (`allow-delete`): checkpoint rotation keeps the last N. Deleted objects stay recoverable as noncurrent versions. Default `true`.'),
    allowOverwrite: z
      .boolean()
      .default(true)
      .describe('Let pods overwrite checkpoints such as `last.ckpt` (`allow-overwrite`); the previous version stays recoverable. Default `true`.'),
    storageClassName: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a DNS subdomain name')
      .default(STATIC_STORAGE_CLASS)
      .describe(
        `Storage class name set on every PersistentVolume and claim, so the static binding never meets a default StorageClass (the kubernetes provider sends \`storage_class_name = ""\` as unset: hashicorp/terraform-provider-kubernetes#1379). No StorageClass of that name should exist. Default \`${STATIC_STORAGE_CLASS}\`.`,
      ),
    volumeNamePrefix: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, 'must be a lower-case DNS label of at most 32 characters')
      .default('training')
      .describe('Prefix of the cluster-scoped PersistentVolume names (`<prefix>-<team>-datasets`, …) and of the S3 volume handles. Default `training`.'),
    kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider')
      .optional()
      .describe("Kubernetes provider that creates the objects, e.g. `ClusterProviders.configure(…).kubernetes`. Default the stack's default `kubernetes` provider."),
  })
  .superRefine((p, ctx) => {
    const names = p.teams instanceof TrainingTeams ? p.teams.teams.map((t) => t.name) : p.teams;
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['teams', i], message: `lists ${name} twice` });
    });
    if (p.fsxTeam !== undefined) {
      if (!p.storage.fsx) {
        ctx.addIssue({ code: 'custom', path: ['fsxTeam'], message: 'is set but the storage has no FSx file system (TrainingStorage fsx.enabled)' });
      } else if (!names.includes(p.fsxTeam)) {
        ctx.addIssue({ code: 'custom', path: ['fsxTeam'], message: `is not among the teams (${names.join(', ')})` });
      }
    }
  });
export type TrainingVolumesProps = z.input<typeof TrainingVolumesPropsSchema>;
export type TrainingVolumesConfig = z.output<typeof TrainingVolumesPropsSchema>;
