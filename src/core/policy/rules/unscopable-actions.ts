/**
 * IAM actions that support no resource-level permissions: the Service Authorization Reference lists
 * no resource type for them, so a statement allowing them must use `"Resource": "*"`. Only actions
 * known to be such belong here; GAI-IAM-003 accepts `"*"` for a statement whose every action is one.
 */
export const UNSCOPABLE_ACTIONS: readonly string[] = [
  'acm:ListCertificates',
  'autoscaling:DescribeAutoScalingGroups',
  'bedrock:ListFoundationModels',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetMetricStatistics',
  'cloudwatch:ListMetrics',
  'cloudwatch:PutMetricData',
  'dynamodb:ListTables',
  'ec2:DescribeAccountAttributes',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeImages',
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeRegions',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeTags',
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribeVpcs',
  'ecr:GetAuthorizationToken',
  'eks:ListClusters',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'iam:GetAccountSummary',
  'iam:ListAccountAliases',
  'iam:ListPolicies',
  'iam:ListRoles',
  'kms:CreateKey',
  'kms:GenerateRandom',
  'kms:ListAliases',
  'kms:ListKeys',
  'lambda:GetAccountSettings',
  'lambda:ListFunctions',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'route53:ListHostedZones',
  's3:ListAllMyBuckets',
  'secretsmanager:GetRandomPassword',
  'secretsmanager:ListSecrets',
  'sns:ListTopics',
  'sqs:ListQueues',
  'ssm:DescribeParameters',
  'states:ListStateMachines',
  'sts:GetCallerIdentity',
  'tag:GetResources',
  'xray:GetSamplingRules',
  'xray:GetSamplingStatisticSummaries',
  'xray:GetSamplingTargets',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

const UNSCOPABLE = new Set(UNSCOPABLE_ACTIONS.map((a) => a.toLowerCase()));

/** True when the action (exact, compared case-insensitively as IAM does) supports no resource-level permissions. */
export function isUnscopableAction(action: string): boolean {
  return UNSCOPABLE.has(action.toLowerCase());
}
