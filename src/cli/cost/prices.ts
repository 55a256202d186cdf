/**
 * The bundled, dated on-demand price table of `gaiops cost`.
 *
 * THESE ARE LIST PRICES RECORDED BY HAND, NOT FETCHED: USD, on-demand, Linux, shared tenancy, no
 * free tier, no Savings Plans / Reserved / Spot discounts, no taxes. They were written down on
 * {@link PRICE_TABLE_DATE} from the AWS public pricing pages listed in {@link PRICE_SOURCES} as the
 * authors knew them; AWS changes prices without notice, so check every figure you rely on against
 * those pages (or the AWS Price List API) before budgeting with it. A price we could not record
 * with confidence is left out: the estimate then shows the resource as "unpriced" rather than
 * guessing.
 */

/** The day this table was recorded (ISO date). Printed in every estimate's header. */
export const PRICE_TABLE_DATE = '2026-11-26';

/** Hours in a billing month, as the AWS Pricing Calculator counts them. */
export const HOURS_PER_MONTH = 730;

/** Where each figure comes from (to be re-checked there). */
export const PRICE_SOURCES: readonly string[] = [
  'EKS control plane (standard support $/cluster-hour): https://aws.amazon.com/eks/pricing/',
  'EC2 on-demand Linux $/instance-hour: https://aws.amazon.com/ec2/pricing/on-demand/',
  'EBS gp3/gp2 $/GB-month, gp3 IOPS and throughput above the baseline: https://aws.amazon.com/ebs/pricing/',
  'NAT gateway $/hour, public IPv4 $/hour, interface endpoints $/AZ-hour: https://aws.amazon.com/vpc/pricing/ and https://aws.amazon.com/privatelink/pricing/',
  'KMS $/customer-managed key-month: https://aws.amazon.com/kms/pricing/',
  'Secrets Manager $/secret-month: https://aws.amazon.com/secrets-manager/pricing/',
  'CloudWatch alarms $/alarm-metric-month: https://aws.amazon.com/cloudwatch/pricing/',
  'FSx for Lustre persistent SSD $/GB-month by throughput tier: https://aws.amazon.com/fsx/lustre/pricing/',
  'DynamoDB provisioned capacity $/WCU-hour and $/RCU-hour: https://aws.amazon.com/dynamodb/pricing/provisioned/',
  'AWS Budgets (budgets free; action-enabled budgets beyond two $/day): https://aws.amazon.com/aws-cost-management/aws-budgets/pricing/',
];

/** Hardware facts of the instance types the table prices (for per-GPU and per-vCPU figures). */
export interface InstanceSpec {
  readonly vcpus: number;
  readonly gpus: number;
  /** NVIDIA GPU model, for GPU instances. */
  readonly gpuModel?: string;
}

export const INSTANCE_SPECS: Readonly<Record<string, InstanceSpec>> = {
  't3.medium': { vcpus: 2, gpus: 0 },
  't4g.medium': { vcpus: 2, gpus: 0 },
  'm5.large': { vcpus: 2, gpus: 0 },
  'm6i.large': { vcpus: 2, gpus: 0 },
  'm6g.large': { vcpus: 2, gpus: 0 },
  'm7g.large': { vcpus: 2, gpus: 0 },
  'm7g.xlarge': { vcpus: 4, gpus: 0 },
  'c7g.large': { vcpus: 2, gpus: 0 },
  'r7g.large': { vcpus: 2, gpus: 0 },
  'g4dn.xlarge': { vcpus: 4, gpus: 1, gpuModel: 'T4' },
  'g5.xlarge': { vcpus: 4, gpus: 1, gpuModel: 'A10G' },
  'g6.xlarge': { vcpus: 4, gpus: 1, gpuModel: 'L4' },
  'g6e.xlarge': { vcpus: 4, gpus: 1, gpuModel: 'L40S' },
};

/**
 * The instance type that stands for a family when a Karpenter pool is priced at its limit: the
 * smallest size with one GPU for GPU families (so $/instance-hour = $/GPU-hour), the `large` size
 * for CPU families (priced per vCPU-hour).
 */
export const FAMILY_REPRESENTATIVE: Readonly<Record<string, string>> = {
  t3: 't3.medium',
  t4g: 't4g.medium',
  m5: 'm5.large',
  m6i: 'm6i.large',
  m6g: 'm6g.large',
  m7g: 'm7g.large',
  c7g: 'c7g.large',
  r7g: 'r7g.large',
  g4dn: 'g4dn.xlarge',
  g5: 'g5.xlarge',
  g6: 'g6.xlarge',
  g6e: 'g6e.xlarge',
};

/** FSx for Lustre `PERSISTENT_2` SSD tiers (MB/s per TiB). */
export type LustreThroughputTier = 125 | 250 | 500 | 1000;

/** The prices of one region. Optional entries are absent where no figure was recorded. */
export interface RegionPrices {
  /** EKS cluster, standard support, $/hour. */
  readonly eksClusterHour: number;
  /** EKS cluster on extended support, $/hour. */
  readonly eksExtendedClusterHour: number;
  /** NAT gateway, $/hour (data processing per GB is extra and usage-based). */
  readonly natGatewayHour: number;
  /** Interface VPC endpoint, $/hour per AZ (data processed per GB is extra). */
  readonly interfaceEndpointAzHour: number;
  /** Public IPv4 address (Elastic IP, in use or idle), $/hour. */
  readonly publicIpv4Hour: number;
  /** Customer-managed KMS key, $/month (requests are usage-based). */
  readonly kmsKeyMonth: number;
  /** Secrets Manager secret, $/month (API calls are usage-based). */
  readonly secretMonth: number;
  /** CloudWatch alarm, standard resolution, $/month per metric it evaluates. */
  readonly alarmMetricMonth: number;
  /** CloudWatch alarm, high resolution (period < 60 s), $/month per metric. */
  readonly alarmHighResMetricMonth: number;
  readonly ebsGp3GbMonth: number;
  /** gp3 IOPS above the 3000 baseline, $/IOPS-month. */
  readonly ebsGp3IopsMonth: number;
  /** gp3 throughput above the 125 MiB/s baseline, $/(MiB/s)-month. */
  readonly ebsGp3ThroughputMonth: number;
  readonly ebsGp2GbMonth: number;
  /** FSx for Lustre PERSISTENT_2 SSD, $/GB-month by throughput tier. */
  readonly lustrePersistent2GbMonth?: Readonly<Partial<Record<LustreThroughputTier, number>>>;
  readonly dynamodbWcuHour: number;
  readonly dynamodbRcuHour: number;
  /** Action-enabled budget beyond the two free ones, $/day. */
  readonly budgetActionDay: number;
  /** EC2 on-demand Linux, $/hour, by instance type. */
  readonly instances: Readonly<Record<string, number>>;
}

/** Prices per region. Regions not listed here are refused by `gaiops cost` (exit 2). */
export const PRICE_TABLE: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': {
    eksClusterHour: 0.1,
    eksExtendedClusterHour: 0.6,
    natGatewayHour: 0.045,
    interfaceEndpointAzHour: 0.01,
    publicIpv4Hour: 0.005,
    kmsKeyMonth: 1,
    secretMonth: 0.4,
    alarmMetricMonth: 0.1,
    alarmHighResMetricMonth: 0.3,
    ebsGp3GbMonth: 0.08,
    ebsGp3IopsMonth: 0.005,
    ebsGp3ThroughputMonth: 0.04,
    ebsGp2GbMonth: 0.1,
    lustrePersistent2GbMonth: { 125: 0.145, 250: 0.21, 500: 0.29, 1000: 0.42 },
    dynamodbWcuHour: 0.00065,
    dynamodbRcuHour: 0.00013,
    budgetActionDay: 0.1,
    instances: {
      't3.medium': 0.0416,
      't4g.medium': 0.0336,
      'm5.large': 0.096,
      'm6i.large': 0.096,
      'm6g.large': 0.077,
      'm7g.large': 0.0816,
      'm7g.xlarge': 0.1632,
      'c7g.large': 0.0725,
      'r7g.large': 0.1071,
      'g4dn.xlarge': 0.526,
      'g5.xlarge': 1.006,
      'g6.xlarge': 0.8048,
      'g6e.xlarge': 1.861,
    },
  },
  'eu-west-1': {
    eksClusterHour: 0.1,
    eksExtendedClusterHour: 0.6,
    natGatewayHour: 0.048,
    interfaceEndpointAzHour: 0.011,
    publicIpv4Hour: 0.005,
    kmsKeyMonth: 1,
    secretMonth: 0.4,
    alarmMetricMonth: 0.1,
    alarmHighResMetricMonth: 0.3,
    ebsGp3GbMonth: 0.088,
    ebsGp3IopsMonth: 0.0055,
    ebsGp3ThroughputMonth: 0.044,
    ebsGp2GbMonth: 0.11,
    dynamodbWcuHour: 0.000735,
    dynamodbRcuHour: 0.000147,
    budgetActionDay: 0.1,
    instances: {
      't3.medium': 0.0456,
      't4g.medium': 0.0368,
      'm5.large': 0.107,
      'm6i.large': 0.107,
      'm6g.large': 0.086,
      'm7g.large': 0.0892,
      'm7g.xlarge': 0.1784,
      'g4dn.xlarge': 0.587,
      'g5.xlarge': 1.123,
    },
  },
  'eu-central-1': {
    eksClusterHour: 0.1,
    eksExtendedClusterHour: 0.6,
    natGatewayHour: 0.052,
    interfaceEndpointAzHour: 0.012,
    publicIpv4Hour: 0.005,
    kmsKeyMonth: 1,
    secretMonth: 0.4,
    alarmMetricMonth: 0.1,
    alarmHighResMetricMonth: 0.3,
    ebsGp3GbMonth: 0.0952,
    ebsGp3IopsMonth: 0.006,
    ebsGp3ThroughputMonth: 0.048,
    ebsGp2GbMonth: 0.119,
    dynamodbWcuHour: 0.000793,
    dynamodbRcuHour: 0.0001586,
    budgetActionDay: 0.1,
    instances: {
      't3.medium': 0.048,
      't4g.medium': 0.0384,
      'm5.large': 0.115,
      'm6i.large': 0.115,
      'm6g.large': 0.092,
      'm7g.large': 0.0972,
      'm7g.xlarge': 0.1944,
      'g4dn.xlarge': 0.658,
      'g5.xlarge': 1.258,
    },
  },
};

/** The regions the table covers. */
export function pricedRegions(): string[] {
  return Object.keys(PRICE_TABLE).sort();
}
