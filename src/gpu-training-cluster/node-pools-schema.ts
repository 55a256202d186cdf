import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { z } from 'zod';
import { formatFieldPath } from '../core/field-path';
import { instanceOf, isToken } from '../core/props';
import type { ClusterReference } from './cluster';

/**
 * An EC2 instance family (the part of an instance type before the dot): a series of 1–4 letters,
 * a generation of 1–2 digits, then up to 6 letters of options and an optional `-flex` — `g5`,
 * `g6e`, `g4dn`, `p4d`, `p5e`, `p5en`, `m7g`, `c7gn`, `x2iedn`, `m7i-flex`. Instance types
 * (`g5.xlarge`), upper case and free text are refused.
 */
export const INSTANCE_FAMILY_PATTERN = /^[a-z]{1,4}[1-9][0-9]?[a-z]{0,6}(-flex)?$/;

/** NVIDIA GPU families are the `g*` and `p*` series (the NodePool also requires `instance-gpu-manufacturer = nvidia`). */
export const GPU_FAMILY_PATTERN = /^[gp]/;

/** Karpenter's duration format: `30s`, `5m`, `720h`, `1h30m`, or `Never`. */
export const KARPENTER_DURATION_PATTERN = /^(([0-9]+(s|m|h))+|Never)$/;

/** A Kubernetes object name usable for a NodePool and its EC2NodeClass (a DNS-1123 label, ≤ 50 characters). */
const POOL_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/;

/** Default pinned AMI release per family (see the README for how to pick a newer one). */
export const DEFAULT_AMI = { family: 'al2023', version: 'v20260930' } as const;

/** Label domains Karpenter or Kubernetes reserve; user labels may not use them. */
const RESERVED_LABEL_DOMAINS = ['kubernetes.io', 'k8s.io', 'karpenter.sh', 'karpenter.k8s.aws'];

/** Tag keys Karpenter sets itself and refuses in `EC2NodeClass.spec.tags`. */
const RESERVED_TAG = /^(karpenter\.sh\/nodepool|karpenter\.sh\/nodeclaim|karpenter\.k8s\.aws\/ec2nodeclass|eks:eks-cluster-name|kubernetes\.io\/cluster\/.*)$/;

/** The characters AWS allows in tag keys and values. */
const AWS_TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function labelDomain(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash < 0 ? undefined : key.slice(0, slash);
}

const LabelsSchema = z
  .record(
    z
      .string()
      .regex(LABEL_KEY, 'must be a Kubernetes label key ([prefix/]name)')
      .refine((k) => {
        const domain = labelDomain(k);
        return domain === undefined || !RESERVED_LABEL_DOMAINS.some((d) => domain === d || domain.endsWith(`.${d}`));
      }, `must not use a reserved label domain (${RESERVED_LABEL_DOMAINS.join(', ')})`),
    z.string().regex(LABEL_VALUE, 'must be a Kubernetes label value (≤ 63 letters, digits, -, _ or .)'),
  )
  .default({});

const DurationSchema = z.string().regex(KARPENTER_DURATION_PATTERN, 'must be a Karpenter duration such as 30s, 5m, 720h, 1h30m, or Never');

export const CAPACITY_TYPES = ['spot', 'on-demand', 'reserved'] as const;
export type CapacityType = (typeof CAPACITY_TYPES)[number];

const CapacityTypesSchema = z
  .array(z.enum(CAPACITY_TYPES))
  .min(1, 'must list at least one capacity type')
  .refine((a) => new Set(a).size === a.length, 'lists a capacity type twice')
  .default(['spot', 'on-demand']);

const CapacityReservationIdsSchema = z
  .array(z.string().regex(/^cr-[0-9a-z]+$/, 'must be an EC2 capacity reservation id such as cr-0123456789abcdef0'))
  .default([]);

export const DiskSchema = z
  .strictObject({
    sizeGiB: z.number().int().min(20, 'must be at least 20 GiB').max(16384, 'must be at most 16384 GiB').describe('Root (AL2023) or data (Bottlerocket) volume size in GiB.'),
    iops: z.number().int().min(3000, 'gp3 provides at least 3000 IOPS').max(80000, 'gp3 provides at most 80000 IOPS').default(3000).describe('Provisioned gp3 IOPS (3000–80000). Default 3000 (the gp3 baseline, no extra charge).'),
    throughputMiBps: z
      .number()
      .int()
      .min(125, 'gp3 provides at least 125 MiB/s')
      .max(2000, 'gp3 provides at most 2000 MiB/s')
      .default(125)
      .describe('Provisioned gp3 throughput in MiB/s (125–2000, at most IOPS ÷ 4). Default 125 (the gp3 baseline).'),
  })
  .superRefine((d, ctx) => {
    if (d.throughputMiBps > d.iops / 4) {
      ctx.addIssue({ code: 'custom', path: ['throughputMiBps'], message: `must be at most iops ÷ 4 (${Math.floor(d.iops / 4)} MiB/s for ${d.iops} IOPS)` });
    }
  });

function poolFields(kind: 'gpu' | 'cpu') {
  const gpu = kind === 'gpu';
  return {
    capacityTypes: CapacityTypesSchema.describe(
      'Capacity types Karpenter may launch (`karpenter.sh/capacity-type`): `spot`, `on-demand`, `reserved` (On-Demand Capacity Reservations, with `capacityReservationIds`). Default `["spot", "on-demand"]` (Karpenter prefers spot when both are allowed).',
    ),
    capacityReservationIds: CapacityReservationIdsSchema.describe(
      'EC2 capacity reservations (including Capacity Blocks for ML) the pool may use; required with the `reserved` capacity type. Default none.',
    ),
    architecture: z
      .enum(['amd64', 'arm64'])
      .default(gpu ? 'amd64' : 'arm64')
      .describe(gpu ? 'CPU architecture (`kubernetes.io/arch`). Default `amd64` (most NVIDIA instances; `g5g` is `arm64`).' : 'CPU architecture (`kubernetes.io/arch`). Default `arm64` (Graviton).'),
    labels: LabelsSchema.describe('Extra node labels (`gaiops.io/node-pool=<name>` is always set; reserved Kubernetes/Karpenter domains refused). Default none.'),
    consolidationPolicy: z
      .enum(['WhenEmpty', 'WhenEmptyOrUnderutilized'])
      .default(gpu ? 'WhenEmpty' : 'WhenEmptyOrUnderutilized')
      .describe(
        gpu
          ? 'NodePool `spec.disruption.consolidationPolicy`. Default `WhenEmpty`: a running training job is never moved to pack nodes tighter.'
          : 'NodePool `spec.disruption.consolidationPolicy`. Default `WhenEmptyOrUnderutilized`.',
      ),
    consolidateAfter: DurationSchema.default(gpu ? '5m' : '1m').describe(
      gpu ? 'NodePool `spec.disruption.consolidateAfter`. Default `5m` (an idle GPU node is removed five minutes after its last pod).' : 'NodePool `spec.disruption.consolidateAfter`. Default `1m`.',
    ),
    expireAfter: DurationSchema.default('720h').describe('NodePool `spec.template.spec.expireAfter`: nodes are replaced after this age (patching). Default `720h` (30 days).'),
  };
}

const GPU_DISK_DEFAULT = { sizeGiB: 200, iops: 3000, throughputMiBps: 250 };
const CPU_DISK_DEFAULT = { sizeGiB: 100, iops: 3000, throughputMiBps: 125 };

export const GpuPoolSchema = z.strictObject({
  name: z.string().regex(POOL_NAME_PATTERN, 'must be a DNS-1123 label of at most 50 characters (lower-case letters, digits, -)').describe('Name of the NodePool and its EC2NodeClass.'),
  instanceFamilies: z
    .array(
      z
        .string()
        .regex(INSTANCE_FAMILY_PATTERN, 'must be an EC2 instance family such as g6e or p5 (not an instance type like g6e.xlarge)')
        .refine((f) => !INSTANCE_FAMILY_PATTERN.test(f) || GPU_FAMILY_PATTERN.test(f), 'must be an NVIDIA GPU family (g* or p*)'),
    )
    .min(1, 'must list at least one instance family')
    .refine((a) => new Set(a).size === a.length, 'lists an instance family twice')
    .default(['g6', 'g6e', 'g5'])
    .describe('EC2 instance families (`karpenter.k8s.aws/instance-family`), e.g. `g5`, `g6`, `g6e`, `g4dn`, `p4d`, `p5`, `p5e`. Default `["g6", "g6e", "g5"]`.'),
  gpuLimit: z
    .number({ error: (issue) => (issue.input === undefined ? 'is required: the most GPUs this pool may run at once (the cost guard)' : 'must be a number') })
    .int('must be a whole number of GPUs')
    .positive('must be at least 1')
    .describe('Required cost guard: the most GPUs the pool may have at once (NodePool `spec.limits["nvidia.com/gpu"]`); Karpenter launches nothing beyond it.'),
  ...poolFields('gpu'),
  disk: DiskSchema.default(GPU_DISK_DEFAULT).describe('Encrypted gp3 volume for images and data. Default 200 GiB, 3000 IOPS, 250 MiB/s.'),
});
export type GpuPool = z.input<typeof GpuPoolSchema>;

export const CpuPoolSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Create the CPU pool. Default `true`.'),
  name: z.string().regex(POOL_NAME_PATTERN, 'must be a DNS-1123 label of at most 50 characters (lower-case letters, digits, -)').default('cpu').describe('Name of the NodePool and its EC2NodeClass. Default `cpu`.'),
  instanceFamilies: z
    .array(z.string().regex(INSTANCE_FAMILY_PATTERN, 'must be an EC2 instance family such as m7g (not an instance type like m7g.large)'))
    .min(1, 'must list at least one instance family')
    .refine((a) => new Set(a).size === a.length, 'lists an instance family twice')
    .default(['m7g', 'c7g', 'r7g'])
    .describe('EC2 instance families. Default `["m7g", "c7g", "r7g"]` (Graviton; match `architecture`).'),
  cpuLimit: z.number().int('must be a whole number of vCPUs').positive('must be at least 1').default(256).describe('Cost guard: the most vCPUs the pool may have at once (NodePool `spec.limits.cpu`). Default 256.'),
  ...poolFields('cpu'),
  disk: DiskSchema.default(CPU_DISK_DEFAULT).describe('Encrypted gp3 volume. Default 100 GiB, 3000 IOPS, 125 MiB/s.'),
});
export type CpuPool = z.input<typeof CpuPoolSchema>;

export const AmiSchema = z
  .strictObject({
    family: z.enum(['al2023', 'bottlerocket']).default(DEFAULT_AMI.family).describe('EKS-optimized AMI family. Karpenter picks the NVIDIA variant for GPU instances. Default `al2023`.'),
    version: z
      .string()
      .default(DEFAULT_AMI.version)
      .describe(`Pinned AMI release: \`vYYYYMMDD\` for al2023 (an amazon-eks-ami release), \`vX.Y.Z\` for bottlerocket. \`latest\` is refused. Default \`${DEFAULT_AMI.version}\`.`),
  })
  .superRefine((a, ctx) => {
    if (a.version === 'latest') {
      ctx.addIssue({ code: 'custom', path: ['version'], message: 'must pin a release: latest rolls untested AMIs onto running pools' });
    } else if (a.family === 'al2023' && !/^v\d{8}$/.test(a.version)) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: 'must be an AL2023 EKS AMI release such as v20260930' });
    } else if (a.family === 'bottlerocket' && !/^v\d+\.\d+\.\d+$/.test(a.version)) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: 'must be a Bottlerocket release such as v1.50.0' });
    }
  });

const ClusterReferenceSchema = z.custom<ClusterReference>(
  (v) => v !== null && typeof v === 'object' && typeof (v as ClusterReference).clusterName === 'string' && typeof (v as ClusterReference).nodeRoleName === 'string',
  'must be a ClusterReference (GpuTrainingCluster.reference())',
);

const HelmNameSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/, 'must be a Helm release name (DNS-1123 label, ≤ 53 characters)');

export const GpuNodePoolsPropsSchema = z
  .strictObject({
    cluster: ClusterReferenceSchema.describe('The cluster (GpuTrainingCluster `reference()`): its name selects subnets and security groups, its Karpenter node role is the EC2NodeClass `role`.'),
    gpuPools: z.array(GpuPoolSchema).min(1, 'must define at least one GPU pool').describe('GPU NodePools, each with its own EC2NodeClass and a required `gpuLimit`.'),
    cpuPool: CpuPoolSchema.default(CpuPoolSchema.parse({})).describe('A general-purpose CPU NodePool for non-GPU workloads. Default on: `cpu`, m7g/c7g/r7g, spot and on-demand, 256 vCPUs.'),
    ami: AmiSchema.default(AmiSchema.parse({})).describe(`AMI alias for every pool (\`<family>@<version>\`). Default \`${DEFAULT_AMI.family}@${DEFAULT_AMI.version}\`.`),
    kmsKeyArn: z
      .string()
      .refine((v) => isToken(v) || /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(v), 'must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)')
      .optional()
      .describe("KMS key encrypting node volumes (`ebs.kmsKeyID`); its policy must let Karpenter's role and EC2 use it. Default the account's EBS default key (volumes are still encrypted)."),
    tags: z
      .record(
        z
          .string()
          .min(1, 'must not be empty')
          .regex(AWS_TAG_TEXT, 'must be an AWS tag key (1–128 letters, digits, spaces and _ . : / = + - @)')
          .max(128)
          .refine((k) => !RESERVED_TAG.test(k), 'is a tag key Karpenter sets itself'),
        z.string().regex(AWS_TAG_TEXT, 'must be an AWS tag value (letters, digits, spaces and _ . : / = + - @)').max(256),
      )
      .default({})
      .describe('Extra tags for instances, volumes and network interfaces Karpenter launches (merged over the platform tags). Default none.'),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name').default('kube-system').describe('Namespace holding the Helm release record (the objects are cluster-scoped). Default `kube-system`.'),
    releaseName: HelmNameSchema.default('gaiops-node-pools').describe('Helm release name. Default `gaiops-node-pools` (set it when a cluster has several GpuNodePools).'),
    maxHistory: z.number().int().min(1).max(100).default(10).describe('Helm revisions kept for rollback (`max_history`). Default 10.'),
    helmProvider: instanceOf(HelmProvider, 'HelmProvider')
      .optional()
      .describe("Helm provider that installs the chart, e.g. `ClusterProviders.configure(…).helm`. Default the stack's default `helm` provider."),
    timeoutSeconds: z.number().int().min(30).max(3600).default(300).describe('Helm install/upgrade timeout. Default 300 seconds.'),
  })
  .superRefine(
    (p, ctx) => {
      // Runs even when fields failed (one error lists every problem), so it reads defensively.
      if (p === null || typeof p !== 'object') return;
      const names = new Map<string, string>();
      const candidates: { path: (string | number)[]; pool: unknown }[] = Array.isArray(p.gpuPools) ? p.gpuPools.map((pool, i) => ({ path: ['gpuPools', i], pool })) : [];
      const cpu = p.cpuPool as unknown;
      if (cpu !== null && typeof cpu === 'object' && (cpu as { enabled?: unknown }).enabled !== false) candidates.push({ path: ['cpuPool'], pool: cpu });
      for (const { path, pool } of candidates) {
        if (pool === null || typeof pool !== 'object') continue;
        const { name, capacityTypes, capacityReservationIds } = pool as { name?: unknown; capacityTypes?: unknown; capacityReservationIds?: unknown };
        if (typeof name === 'string') {
          const seen = names.get(name);
          if (seen) ctx.addIssue({ code: 'custom', path: [...path, 'name'], message: `"${name}" is already used by ${seen}` });
          else names.set(name, formatFieldPath(path));
        }
        const reserved = Array.isArray(capacityTypes) && capacityTypes.includes('reserved');
        const reservations = Array.isArray(capacityReservationIds) ? capacityReservationIds.length : 0;
        if (reserved && reservations === 0) {
          ctx.addIssue({ code: 'custom', path: [...path, 'capacityReservationIds'], message: 'must list capacity reservations when capacityTypes includes reserved' });
        }
        if (Array.isArray(capacityTypes) && !reserved && reservations > 0) {
          ctx.addIssue({ code: 'custom', path: [...path, 'capacityReservationIds'], message: 'only applies with the reserved capacity type' });
        }
      }
    },
    { when: () => true },
  );
export type GpuNodePoolsProps = z.input<typeof GpuNodePoolsPropsSchema>;
export type GpuNodePoolsConfig = z.output<typeof GpuNodePoolsPropsSchema>;
