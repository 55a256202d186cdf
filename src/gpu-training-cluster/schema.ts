import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { LogRetentionDaysSchema } from '../core/platform-settings';
import { instanceOf, isToken } from '../core/props';

/** `a.b.c.d/n` with every octet 0–255 and a prefix 0–32. */
export function isIpv4Cidr(value: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  return octets.every((o) => o <= 255) && prefix <= 32;
}

/** `a.b.c.d/n` is a network address: no host bits set below the prefix. */
function isNetworkAddress(value: string): boolean {
  const [ip, prefixText] = value.split('/');
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const hostBits = 32 - Number(prefixText);
  return n % 2 ** hostBits === 0;
}

/** CIDRs that open the cluster endpoint to the whole internet. */
export const OPEN_CIDRS: readonly string[] = ['0.0.0.0/0', '::/0'];

/** Interface endpoints the network can create (service suffix after `com.amazonaws.<region>.`). */
export const INTERFACE_ENDPOINT_SERVICES = ['ec2', 'ecr.api', 'ecr.dkr', 'logs', 'sts', 'ssm', 'sqs', 'eks', 'eks-auth', 'elasticloadbalancing'] as const;
export type InterfaceEndpointService = (typeof INTERFACE_ENDPOINT_SERVICES)[number];

const VpcCidrSchema = z
  .string()
  .refine((v) => isIpv4Cidr(v), 'must be an IPv4 CIDR such as 10.0.0.0/16')
  .refine((v) => !isIpv4Cidr(v) || (Number(v.split('/')[1]) >= 16 && Number(v.split('/')[1]) <= 20), 'prefix must be between /16 and /20')
  .refine((v) => !isIpv4Cidr(v) || isNetworkAddress(v), 'has host bits set below the prefix (use the network address, e.g. 10.0.0.0/16)');

export const ClusterNetworkPropsSchema = z
  .strictObject({
    clusterName: z
      .string()
      .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must be an EKS cluster name: 1-100 letters, digits, - or _, starting with a letter or digit')
      .describe('Name of the EKS cluster that will use the network: the value of the `karpenter.sh/discovery` and `kubernetes.io/cluster/<name>` subnet tags. Pass the same name as GpuTrainingCluster `clusterName`.'),
    cidr: VpcCidrSchema.default('10.0.0.0/16').describe(
      'IPv4 CIDR of the VPC, /16 to /20. Private subnets get an eighth of it each (a /19 of a /16), public subnets a /24-equivalent slice of the seventh eighth. Default `10.0.0.0/16`.',
    ),
    azCount: z
      .number()
      .int()
      .min(2, 'must be at least 2 (EKS needs subnets in two Availability Zones)')
      .max(6, 'must be at most 6')
      .default(3)
      .describe('Number of Availability Zones, taken in order from `data.aws_availability_zones` (state `available`, opt-in not required). Ignored when `availabilityZones` is set. Default 3.'),
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be an Availability Zone name such as eu-west-1a'))
      .min(2, 'must list at least 2 Availability Zones')
      .max(6, 'must list at most 6 Availability Zones')
      .optional()
      .describe('Explicit Availability Zone names (2–6), instead of the first `azCount` zones of the region. Default none.'),
    natGateways: z
      .enum(['perAz', 'single'])
      .default('perAz')
      .describe('NAT gateways: `perAz` (one per zone, each private route table uses its own zone\'s — survives a zone outage) or `single` (one, cheaper, a single point of failure). Default `perAz`.'),
    interfaceEndpoints: z
      .array(z.enum(INTERFACE_ENDPOINT_SERVICES))
      .default(['ecr.api', 'ecr.dkr', 'sts', 'logs', 'ec2'])
      .describe('Interface VPC endpoints (private DNS, in the private subnets, HTTPS from the VPC only). Default `ecr.api`, `ecr.dkr`, `sts`, `logs`, `ec2`; an S3 gateway endpoint is always created.'),
    encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
      .optional()
      .describe('Key encrypting the flow-log log group; must allow `logs`. Default a new EncryptionKey (`services: [\'logs\']`).'),
    flowLogRetentionDays: LogRetentionDaysSchema.optional().describe("Retention of the flow-log log group. Default the platform's `logRetentionDays`."),
  })
  .superRefine((p, ctx) => {
    if (p.availabilityZones && new Set(p.availabilityZones).size !== p.availabilityZones.length) {
      ctx.addIssue({ code: 'custom', path: ['availabilityZones'], message: 'lists an Availability Zone twice' });
    }
  });
export type ClusterNetworkProps = z.input<typeof ClusterNetworkPropsSchema>;

const SubnetIdsSchema = z.array(z.string().min(1)).min(2, 'must list subnets in at least 2 Availability Zones');

export const ExistingNetworkPropsSchema = z.strictObject({
  vpcId: z.string().min(1).describe('Id of the existing VPC.'),
  vpcCidr: z.string().refine((v) => isToken(v) || isIpv4Cidr(v), 'must be an IPv4 CIDR').describe('Primary IPv4 CIDR of the VPC.'),
  privateSubnetIds: SubnetIdsSchema.describe('Private subnets (with NAT or endpoints) for the control plane ENIs and nodes; at least two zones.'),
  publicSubnetIds: z.array(z.string().min(1)).default([]).describe('Public subnets (for internet-facing load balancers). Default none.'),
});
export type ExistingNetworkProps = z.input<typeof ExistingNetworkPropsSchema>;

/** The network a GpuTrainingCluster runs in: a ClusterNetwork, or `ClusterNetwork.fromExisting(…)`. */
export interface IClusterNetwork {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly privateSubnetIds: string[];
  readonly publicSubnetIds: string[];
}

const NetworkSchema = z.custom<IClusterNetwork>(
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    typeof (v as IClusterNetwork).vpcId === 'string' &&
    (Array.isArray((v as IClusterNetwork).privateSubnetIds) || isToken((v as IClusterNetwork).privateSubnetIds)),
  'must be a ClusterNetwork (or ClusterNetwork.fromExisting(…))',
);

/** Managed add-on versions for Kubernetes 1.35 (see README: re-check with `aws eks describe-addon-versions`). */
export const DEFAULT_ADDON_VERSIONS = {
  vpcCni: 'v1.21.1-eksbuild.1',
  coreDns: 'v1.13.2-eksbuild.1',
  kubeProxy: 'v1.35.0-eksbuild.2',
  podIdentityAgent: 'v1.3.10-eksbuild.2',
  ebsCsiDriver: 'v1.54.0-eksbuild.1',
} as const;

const AddonVersionSchema = z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, 'must be an exact add-on version such as v1.21.1-eksbuild.1');

export const AddonVersionsSchema = z.strictObject({
  vpcCni: AddonVersionSchema.default(DEFAULT_ADDON_VERSIONS.vpcCni).describe(`vpc-cni add-on. Default \`${DEFAULT_ADDON_VERSIONS.vpcCni}\`.`),
  coreDns: AddonVersionSchema.default(DEFAULT_ADDON_VERSIONS.coreDns).describe(`coredns add-on. Default \`${DEFAULT_ADDON_VERSIONS.coreDns}\`.`),
  kubeProxy: AddonVersionSchema.default(DEFAULT_ADDON_VERSIONS.kubeProxy).describe(`kube-proxy add-on (must match the Kubernetes minor version). Default \`${DEFAULT_ADDON_VERSIONS.kubeProxy}\`.`),
  podIdentityAgent: AddonVersionSchema.default(DEFAULT_ADDON_VERSIONS.podIdentityAgent).describe(
    `eks-pod-identity-agent add-on. Default \`${DEFAULT_ADDON_VERSIONS.podIdentityAgent}\`.`,
  ),
  ebsCsiDriver: AddonVersionSchema.default(DEFAULT_ADDON_VERSIONS.ebsCsiDriver).describe(`aws-ebs-csi-driver add-on. Default \`${DEFAULT_ADDON_VERSIONS.ebsCsiDriver}\`.`),
});

export const SYSTEM_AMI_TYPES = ['AL2023_ARM_64_STANDARD', 'AL2023_x86_64_STANDARD'] as const;

export const SystemNodeGroupSchema = z
  .strictObject({
    amiType: z.enum(SYSTEM_AMI_TYPES).default('AL2023_ARM_64_STANDARD').describe('AMI type. Default `AL2023_ARM_64_STANDARD` (Graviton).'),
    instanceTypes: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as m7g.large'))
      .min(1)
      .default(['m7g.large'])
      .describe('Instance types (matching the AMI architecture). Default `["m7g.large"]`.'),
    desiredSize: z.number().int().min(1).max(100).default(2).describe('Desired nodes. Default 2.'),
    minSize: z.number().int().min(1).max(100).default(2).describe('Minimum nodes. Default 2.'),
    maxSize: z.number().int().min(1).max(100).default(3).describe('Maximum nodes. Default 3.'),
    diskSizeGiB: z.number().int().min(20).max(16384).default(50).describe('Encrypted gp3 root volume size in GiB. Default 50.'),
    labels: z.record(z.string(), z.string()).default({}).describe('Extra node labels (`gaiops.io/node-pool=system` is always set). Default none.'),
  })
  .superRefine((g, ctx) => {
    if (g.minSize > g.desiredSize) ctx.addIssue({ code: 'custom', path: ['minSize'], message: `must not exceed desiredSize (${g.desiredSize})` });
    if (g.desiredSize > g.maxSize) ctx.addIssue({ code: 'custom', path: ['maxSize'], message: `must be at least desiredSize (${g.desiredSize})` });
  });

const RoleArnSchema = z
  .string()
  .refine((v) => isToken(v) || /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(v), 'must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)');

export const GpuTrainingClusterPropsSchema = z
  .strictObject({
    network: NetworkSchema.describe('Where the cluster runs: a ClusterNetwork or `ClusterNetwork.fromExisting(…)`. Control plane ENIs and nodes use its private subnets.'),
    clusterName: z
      .string()
      .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must be 1-100 letters, digits, - or _, starting with a letter or digit')
      .optional()
      .describe('EKS cluster name. Default `<prefix>-<environment>-<construct path>`. Must equal the ClusterNetwork `clusterName` (subnet discovery tags).'),
    kubernetesVersion: z
      .string()
      .regex(/^1\.\d{2}$/, 'must be a Kubernetes minor version such as 1.35')
      .default('1.35')
      .describe('Kubernetes minor version. Default `1.35` (EKS standard support until March 2027); change together with `addonVersions`.'),
    endpointPublicAccess: z
      .boolean()
      .default(false)
      .describe('Expose the API server endpoint publicly, only to `publicAccessCidrs`. Default `false` (private endpoint only: reach it from the VPC, a VPN or a peered network).'),
    publicAccessCidrs: z
      .array(z.string().refine((v) => isToken(v) || isIpv4Cidr(v), 'must be an IPv4 CIDR').refine((v) => !OPEN_CIDRS.includes(v), 'must not open the endpoint to the whole internet'))
      .default([])
      .describe('Allowlist for the public endpoint (required with `endpointPublicAccess`; `0.0.0.0/0` is refused). Default none.'),
    adminRoleArns: z
      .array(RoleArnSchema)
      .min(1, 'must list at least one IAM role: the cluster creator gets no admin access')
      .describe('IAM roles given cluster-admin access (EKS access entries with AmazonEKSClusterAdminPolicy, cluster scope). At least one.'),
    encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
      .optional()
      .describe("Key for Kubernetes secrets, the control-plane log group, node volumes and the interruption queue; must allow `logs` and `events`. Default a new EncryptionKey (`services: ['logs', 'events']`)."),
    logRetentionDays: LogRetentionDaysSchema.optional().describe("Retention of `/aws/eks/<name>/cluster`. Default the platform's `logRetentionDays`."),
    addonVersions: AddonVersionsSchema.default(AddonVersionsSchema.parse({})).describe('Exact managed add-on versions. Defaults are for Kubernetes 1.35.'),
    systemNodeGroup: SystemNodeGroupSchema.default(SystemNodeGroupSchema.parse({})).describe(
      'The on-demand system node group (tainted `CriticalAddonsOnly=true:NoSchedule`) for cluster add-ons and Karpenter. Default 2× m7g.large, AL2023 ARM.',
    ),
    karpenterNamespace: z
      .enum(['kube-system', 'karpenter'])
      .default('kube-system')
      .describe('Namespace of the Karpenter controller (its Pod Identity association, service account `karpenter`). Default `kube-system`.'),
    nodeSsmAccess: z
      .boolean()
      .default(false)
      .describe('Attach AmazonSSMManagedInstanceCore to the node role (SSM Session Manager on nodes). Default `false`.'),
  })
  .superRefine((p, ctx) => {
    if (p.endpointPublicAccess && p.publicAccessCidrs.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['publicAccessCidrs'], message: 'must list the CIDRs allowed to reach the public endpoint when endpointPublicAccess is true' });
    }
    if (!p.endpointPublicAccess && p.publicAccessCidrs.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['publicAccessCidrs'], message: 'only applies with endpointPublicAccess: true' });
    }
  });
export type GpuTrainingClusterProps = z.input<typeof GpuTrainingClusterPropsSchema>;
