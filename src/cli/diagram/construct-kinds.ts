/**
 * Recognizing which gaiops construct a top-level construct of a synthesized stack is, from the
 * resources it synthesized (the JSON keeps construct paths, not class names). The first matching
 * rule wins; see the README of this folder for the list in words.
 */
import type { StackResource } from '../outdir';

/** One recognition rule. */
export interface ConstructKindRule {
  readonly kind: string;
  /** How the rule decides, for the README and error messages. */
  readonly evidence: string;
  matches(resources: readonly StackResource[]): boolean;
}

const has = (rs: readonly StackResource[], type: string, where: (r: StackResource) => boolean = () => true): boolean =>
  rs.some((r) => r.type === type && where(r));

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The runtime a gaiops Lambda runs: its zip is named `<runtime>-<hash16>.zip`. */
function lambdaRuntime(r: StackResource): string {
  const file = text(r.config.filename).split('/').pop() ?? '';
  return /^(.*)-[0-9a-f]{16}\.zip$/.exec(file)?.[1] ?? '';
}

const lambdaOf = (rs: readonly StackResource[], prefix: string): boolean =>
  has(rs, 'aws_lambda_function', (r) => lambdaRuntime(r).startsWith(prefix));

const helmChart = (rs: readonly StackResource[], chart: string): boolean => has(rs, 'helm_release', (r) => text(r.config.chart) === chart);

function labelled(rs: readonly StackResource[], type: string, label: string): boolean {
  return has(rs, type, (r) => {
    const metadata = Array.isArray(r.config.metadata) ? r.config.metadata[0] : r.config.metadata;
    const labels = (metadata as { labels?: Record<string, unknown> } | undefined)?.labels;
    return labels !== undefined && Object.hasOwn(labels, label);
  });
}

/** The rules, most specific first. */
export const CONSTRUCT_KIND_RULES: readonly ConstructKindRule[] = [
  { kind: 'GpuTrainingCluster', evidence: 'an aws_eks_cluster', matches: (rs) => has(rs, 'aws_eks_cluster') },
  { kind: 'ClusterNetwork', evidence: 'an aws_vpc', matches: (rs) => has(rs, 'aws_vpc') },
  { kind: 'FeatureStore', evidence: 'a Lambda of the feature-store-* runtimes', matches: (rs) => lambdaOf(rs, 'feature-store-') },
  { kind: 'ModelRegistry', evidence: 'a Lambda of the model-registry runtime', matches: (rs) => lambdaOf(rs, 'model-registry') },
  { kind: 'DriftDetector', evidence: 'a Lambda of the monitoring-drift runtime', matches: (rs) => lambdaOf(rs, 'monitoring-drift') },
  {
    kind: 'PlatformAlarms',
    evidence: 'CloudWatch metric alarms with an SNS topic',
    matches: (rs) => has(rs, 'aws_cloudwatch_metric_alarm') && has(rs, 'aws_sns_topic'),
  },
  { kind: 'MonitoringCluster', evidence: 'a helm_release of kube-prometheus-stack', matches: (rs) => helmChart(rs, 'kube-prometheus-stack') },
  { kind: 'ClusterAddons', evidence: 'a helm_release of the karpenter chart', matches: (rs) => helmChart(rs, 'karpenter') },
  {
    kind: 'GpuNodePools',
    evidence: 'a helm_release named gaiops-node-pools (the generated NodePool chart)',
    matches: (rs) => has(rs, 'helm_release', (r) => text(r.config.name) === 'gaiops-node-pools'),
  },
  {
    kind: 'InferenceService',
    evidence: 'a kubernetes_deployment_v1 labelled gaiops.io/inference-service',
    matches: (rs) => labelled(rs, 'kubernetes_deployment_v1', 'gaiops.io/inference-service'),
  },
  {
    kind: 'TrainingTeams',
    evidence: 'a kubernetes_resource_quota_v1 labelled gaiops.io/team',
    matches: (rs) => labelled(rs, 'kubernetes_resource_quota_v1', 'gaiops.io/team'),
  },
  {
    kind: 'TrainingVolumes',
    evidence: 'a kubernetes_persistent_volume_v1 labelled gaiops.io/volume',
    matches: (rs) => labelled(rs, 'kubernetes_persistent_volume_v1', 'gaiops.io/volume'),
  },
  {
    kind: 'TrainingStorage',
    evidence: 'an FSx for Lustre file system or the Mountpoint for S3 CSI add-on',
    matches: (rs) =>
      has(rs, 'aws_fsx_lustre_file_system') || has(rs, 'aws_eks_addon', (r) => text(r.config.addon_name) === 'aws-mountpoint-s3-csi-driver'),
  },
  {
    kind: 'TeamAccess',
    evidence: 'EKS access entries with IAM roles (and no cluster)',
    matches: (rs) => has(rs, 'aws_eks_access_entry') && has(rs, 'aws_iam_role'),
  },
  {
    kind: 'TeamRbac',
    evidence: 'only Kubernetes roles and bindings',
    matches: (rs) => rs.length > 0 && rs.every((r) => /^kubernetes_(cluster_)?role(_binding)?_v1$/.test(r.type)),
  },
  { kind: 'NodeFunction', evidence: 'a Lambda function', matches: (rs) => has(rs, 'aws_lambda_function') },
  { kind: 'ContainerImage', evidence: 'an ECR repository', matches: (rs) => has(rs, 'aws_ecr_repository') },
  { kind: 'SecureBucket', evidence: 'an S3 bucket', matches: (rs) => has(rs, 'aws_s3_bucket') },
  { kind: 'SecureTable', evidence: 'a DynamoDB table', matches: (rs) => has(rs, 'aws_dynamodb_table') },
  { kind: 'EncryptionKey', evidence: 'only a KMS key and its alias', matches: (rs) => has(rs, 'aws_kms_key') && rs.every((r) => r.type.startsWith('aws_kms_')) },
];

/** The kind of a construct from its managed resources, or undefined when no rule matches. */
export function constructKind(resources: readonly StackResource[]): string | undefined {
  return CONSTRUCT_KIND_RULES.find((rule) => rule.matches(resources))?.kind;
}
