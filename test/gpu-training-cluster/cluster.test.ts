import { describe, expect, it } from 'vitest';
import { GaiConfigError } from '../../src/core/errors';
import { EncryptionKey } from '../../src/core/encryption-key';
import { activeFindings, evaluatePolicies } from '../../src/core/policy/engine';
import { CORE_RULES } from '../../src/core/policy/rules';
import { EKS_RULES } from '../../src/core/policy/rules/eks';
import { NETWORK_RULES } from '../../src/core/policy/rules/network';
import { GpuTrainingCluster } from '../../src/gpu-training-cluster/cluster';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import { DEFAULT_ADDON_VERSIONS, type GpuTrainingClusterProps } from '../../src/gpu-training-cluster/schema';
import { App, PlatformStack } from '../../src';
import { byPath, only, platformStack, policy, resources, synth, type TfJson } from '../support/synth';
import { SETTINGS } from '../support/synth';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformOutput } from '../../src/core/tf';

const ADMIN = 'arn:aws:iam::111122223333:role/PlatformAdmin';
const NAME = 'gai-test-training';

function cluster(props: Partial<GpuTrainingClusterProps> = {}, settings: Parameters<typeof platformStack>[0] = {}) {
  const stack = platformStack(settings);
  const network = new ClusterNetwork(stack, 'Network', { clusterName: NAME });
  const gpu = new GpuTrainingCluster(stack, 'Training', { network, clusterName: NAME, adminRoleArns: [ADMIN], ...props });
  return { stack, gpu, json: synth(stack) };
}

/** The `${type.name.attr}` reference to the resource at a construct path. */
function refTo(json: TfJson, type: string, pathSuffix: string, attr: string): string {
  const found = resources(json, type).filter(([, c]) => String(c['//'].metadata.path).endsWith(pathSuffix));
  if (found.length !== 1) throw new Error(`no single ${type} at ${pathSuffix}`);
  return `\${${type}.${found[0][0]}.${attr}}`;
}

function rolePolicy(json: TfJson, roleId: string) {
  return policy(byPath(json, 'aws_iam_role_policy', `Training/${roleId}/Policy/Resource`).policy).Statement;
}

function attachedPolicies(json: TfJson, roleId: string): string[] {
  const role = refTo(json, 'aws_iam_role', `Training/${roleId}/Resource`, 'name');
  return resources(json, 'aws_iam_role_policy_attachment')
    .map(([, a]) => a)
    .filter((a) => a.role === role)
    .map((a) => String(a.policy_arn).replace(/^arn:\$\{data\.aws_partition\.[\w]+\.partition\}:iam::aws:policy\//, ''))
    .sort();
}

describe('GpuTrainingCluster', () => {
  const { json, gpu } = cluster();
  const eks = only(json, 'aws_eks_cluster');
  const keyArn = refTo(json, 'aws_kms_key', 'Training/Key/Resource', 'arn');

  it('turns on the VPC CNI network policy agent, so team NetworkPolicies are enforced', () => {
    const cni = byPath(json, 'aws_eks_addon', 'Training/VpcCni');
    expect(JSON.parse(cni.configuration_values)).toEqual({ enableNetworkPolicy: 'true' });
  });

  it('tags the cluster security group for Karpenter discovery, like the private subnets', () => {
    const tag = only(json, 'aws_ec2_tag');
    expect(tag).toEqual(
      expect.objectContaining({
        key: 'karpenter.sh/discovery',
        value: NAME,
        resource_id: expect.stringMatching(/^\$\{aws_eks_cluster\..+\.vpc_config\[0\]\.cluster_security_group_id\}$/),
      }),
    );
  });

  it('creates a private-endpoint cluster of the default Kubernetes version in the private subnets', () => {
    expect(eks).toMatchObject({ name: NAME, version: '1.35', bootstrap_self_managed_addons: false, deletion_protection: true });
    expect(eks.upgrade_policy).toEqual({ support_type: 'STANDARD' });
    expect(eks.vpc_config).toEqual({
      endpoint_private_access: true,
      endpoint_public_access: false,
      subnet_ids: [1, 2, 3].map((i) => expect.stringMatching(new RegExp(`aws_subnet\\.Network_Private${i}_`))),
    });
  });

  it('encrypts secrets with the CMK and lets the cluster role use it', () => {
    expect(eks.encryption_config).toEqual({ resources: ['secrets'], provider: { key_arn: keyArn } });
    expect(rolePolicy(json, 'ClusterRole')).toEqual([
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ListGrants'], Resource: keyArn },
    ]);
    expect(attachedPolicies(json, 'ClusterRole')).toEqual(['AmazonEKSClusterPolicy']);
    expect(policy(byPath(json, 'aws_iam_role', 'Training/ClusterRole/Resource').assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
    ]);
  });

  it('logs all five control-plane log types into a pre-created encrypted log group with retention', () => {
    expect(eks.enabled_cluster_log_types).toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    const group = byPath(json, 'aws_cloudwatch_log_group', 'Training/ControlPlaneLogs/Resource');
    expect(group).toEqual(expect.objectContaining({ name: `/aws/eks/${NAME}/cluster`, retention_in_days: 365, kms_key_id: keyArn }));
    const groupName = resources(json, 'aws_cloudwatch_log_group').find(([, c]) => c.name === `/aws/eks/${NAME}/cluster`)![0];
    expect(eks.depends_on).toContain(`aws_cloudwatch_log_group.${groupName}`);
    const keyPolicy = policy(byPath(json, 'aws_kms_key', 'Training/Key/Resource').policy).Statement;
    expect(keyPolicy.map((s) => s.Sid)).toEqual(expect.arrayContaining(['ServiceLogs', 'ServiceEvents']));
  });

  it('authenticates by access entries only; the creator is not admin; each admin role gets cluster-scoped AmazonEKSClusterAdminPolicy', () => {
    expect(eks.access_config).toEqual({ authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: false });
    const admin = byPath(json, 'aws_eks_access_entry', 'Training/Admin1');
    expect(admin).toMatchObject({ principal_arn: ADMIN, type: 'STANDARD', cluster_name: expect.stringMatching(/aws_eks_cluster\.Training_.*\.name/) });
    expect(byPath(json, 'aws_eks_access_policy_association', 'Training/Admin1Policy')).toMatchObject({
      principal_arn: refTo(json, 'aws_eks_access_entry', 'Training/Admin1', 'principal_arn'),
      policy_arn: expect.stringMatching(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:eks::aws:cluster-access-policy\/AmazonEKSClusterAdminPolicy$/),
      access_scope: { type: 'cluster' },
    });
    const two = cluster({ adminRoleArns: [ADMIN, 'arn:aws:iam::111122223333:role/Oncall'] }).json;
    expect(resources(two, 'aws_eks_access_policy_association')).toHaveLength(2);
  });

  it('gives the Karpenter node role an EC2_LINUX access entry and the node policies', () => {
    expect(byPath(json, 'aws_eks_access_entry', 'Training/NodeAccessEntry')).toMatchObject({
      principal_arn: refTo(json, 'aws_iam_role', 'Training/NodeRole/Resource', 'arn'),
      type: 'EC2_LINUX',
    });
    const nodePolicies = ['AmazonEC2ContainerRegistryReadOnly', 'AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy'];
    expect(attachedPolicies(json, 'NodeRole')).toEqual(nodePolicies);
    expect(attachedPolicies(json, 'SystemNodeRole')).toEqual(nodePolicies);
    expect(policy(byPath(json, 'aws_iam_role', 'Training/NodeRole/Resource').assume_role_policy).Statement[0].Principal).toEqual({
      Service: 'ec2.amazonaws.com',
    });
    // The managed node group's role gets its access entry from EKS: a second one would conflict.
    expect(resources(json, 'aws_eks_access_entry')).toHaveLength(2);
    expect(attachedPolicies(cluster({ nodeSsmAccess: true }).json, 'NodeRole')).toEqual([...nodePolicies, 'AmazonSSMManagedInstanceCore'].sort());
  });

  it('runs a tainted on-demand system node group from a launch template with IMDSv2 (hop limit 1) and an encrypted gp3 root', () => {
    const lt = only(json, 'aws_launch_template');
    expect(lt.metadata_options).toEqual({ http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1, instance_metadata_tags: 'disabled' });
    expect(lt.block_device_mappings).toEqual([
      { device_name: '/dev/xvda', ebs: { volume_size: 50, volume_type: 'gp3', encrypted: 'true', kms_key_id: keyArn, delete_on_termination: 'true' } },
    ]);
    const ng = only(json, 'aws_eks_node_group');
    expect(ng).toMatchObject({
      ami_type: 'AL2023_ARM_64_STANDARD',
      capacity_type: 'ON_DEMAND',
      instance_types: ['m7g.large'],
      scaling_config: { desired_size: 2, min_size: 2, max_size: 3 },
      taint: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NO_SCHEDULE' }],
      labels: { 'gaiops.io/node-pool': 'system' },
      node_role_arn: refTo(json, 'aws_iam_role', 'Training/SystemNodeRole/Resource', 'arn'),
      launch_template: {
        id: refTo(json, 'aws_launch_template', 'Training/SystemLaunchTemplate', 'id'),
        version: refTo(json, 'aws_launch_template', 'Training/SystemLaunchTemplate', 'latest_version'),
      },
    });
    // The Auto Scaling service-linked role may use the key for the encrypted volumes.
    const keyPolicy = policy(byPath(json, 'aws_kms_key', 'Training/Key/Resource').policy).Statement;
    const grants = keyPolicy.find((s) => String(s.Sid).startsWith('AutoScalingVolumeGrants'));
    expect(grants).toMatchObject({
      Principal: { AWS: expect.stringMatching(/:role\/aws-service-role\/autoscaling\.amazonaws\.com\/AWSServiceRoleForAutoScaling$/) },
      Action: 'kms:CreateGrant',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
    // So may EC2's spot service-linked role, for Karpenter's spot nodes with volumes on the key.
    expect(keyPolicy.find((s) => String(s.Sid).startsWith('SpotVolumeGrants'))).toMatchObject({
      Principal: { AWS: expect.stringMatching(/:role\/aws-service-role\/spot\.amazonaws\.com\/AWSServiceRoleForEC2Spot$/) },
      Action: 'kms:CreateGrant',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
    expect(keyPolicy.find((s) => String(s.Sid).startsWith('SpotVolumes'))).toMatchObject({
      Action: expect.arrayContaining(['kms:GenerateDataKeyWithoutPlaintext', 'kms:Decrypt']),
    });

    const x86 = cluster({ systemNodeGroup: { amiType: 'AL2023_x86_64_STANDARD', instanceTypes: ['m7i.large'], desiredSize: 3, maxSize: 4, labels: { team: 'ml' } } }).json;
    expect(only(x86, 'aws_eks_node_group')).toMatchObject({
      ami_type: 'AL2023_x86_64_STANDARD',
      instance_types: ['m7i.large'],
      scaling_config: { desired_size: 3, min_size: 2, max_size: 4 },
      labels: { team: 'ml', 'gaiops.io/node-pool': 'system' },
    });
  });

  it('pins every managed add-on to an exact version; networking before nodes, CoreDNS and EBS CSI after', () => {
    const addons: Record<string, Record<string, any>> = Object.fromEntries(resources(json, 'aws_eks_addon').map(([, a]) => [a.addon_name, a]));
    expect(Object.fromEntries(Object.entries(addons).map(([n, a]) => [n, a.addon_version]))).toEqual({
      'vpc-cni': DEFAULT_ADDON_VERSIONS.vpcCni,
      coredns: DEFAULT_ADDON_VERSIONS.coreDns,
      'kube-proxy': DEFAULT_ADDON_VERSIONS.kubeProxy,
      'eks-pod-identity-agent': DEFAULT_ADDON_VERSIONS.podIdentityAgent,
      'aws-ebs-csi-driver': DEFAULT_ADDON_VERSIONS.ebsCsiDriver,
    });
    for (const version of Object.values(DEFAULT_ADDON_VERSIONS)) expect(version).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    const ng = only(json, 'aws_eks_node_group');
    for (const name of ['vpc-cni', 'kube-proxy', 'eks-pod-identity-agent']) {
      expect(ng.depends_on).toContain(`aws_eks_addon.${resources(json, 'aws_eks_addon').find(([, a]) => a.addon_name === name)![0]}`);
    }
    const nodeGroupAddress = `aws_eks_node_group.${resources(json, 'aws_eks_node_group')[0][0]}`;
    expect(addons.coredns.depends_on).toContain(nodeGroupAddress);
    expect(addons['aws-ebs-csi-driver'].depends_on).toContain(nodeGroupAddress);
    const custom = cluster({ kubernetesVersion: '1.34', addonVersions: { kubeProxy: 'v1.34.0-eksbuild.5' } }).json;
    expect(only(custom, 'aws_eks_cluster').version).toBe('1.34');
    expect(resources(custom, 'aws_eks_addon').find(([, a]) => a.addon_name === 'kube-proxy')![1].addon_version).toBe('v1.34.0-eksbuild.5');
  });

  it('gives the EBS CSI controller a Pod Identity role with AmazonEBSCSIDriverPolicy and key use through EC2', () => {
    expect(byPath(json, 'aws_eks_pod_identity_association', 'Training/EbsCsiPodIdentity')).toMatchObject({
      namespace: 'kube-system',
      service_account: 'ebs-csi-controller-sa',
      role_arn: refTo(json, 'aws_iam_role', 'Training/EbsCsiDriverRole/Resource', 'arn'),
    });
    expect(policy(byPath(json, 'aws_iam_role', 'Training/EbsCsiDriverRole/Resource').assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
    ]);
    expect(attachedPolicies(json, 'EbsCsiDriverRole')).toEqual(['service-role/AmazonEBSCSIDriverPolicy']);
    const statements = rolePolicy(json, 'EbsCsiDriverRole');
    expect(statements).toContainEqual({
      Sid: 'CreateGrantsForEbs',
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
      Resource: keyArn,
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
    expect(statements).toContainEqual(
      expect.objectContaining({ Resource: keyArn, Condition: { StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' } } }),
    );
  });

  it('creates the Karpenter interruption queue (CMK) fed by four EventBridge rules, each with a dead-letter queue', () => {
    const queue = byPath(json, 'aws_sqs_queue', 'Training/InterruptionQueue/Resource');
    expect(queue).toMatchObject({ kms_master_key_id: keyArn, message_retention_seconds: 300 });
    const patterns = resources(json, 'aws_cloudwatch_event_rule').map(([, r]) => JSON.parse(r.event_pattern));
    expect(patterns).toEqual(
      expect.arrayContaining([
        { source: ['aws.health'], 'detail-type': ['AWS Health Event'] },
        { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
        { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
        { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
      ]),
    );
    expect(patterns).toHaveLength(4);
    const queueArn = refTo(json, 'aws_sqs_queue', 'Training/InterruptionQueue/Resource', 'arn');
    const dlqArn = refTo(json, 'aws_sqs_queue', 'Training/InterruptionDeadLetterQueue/Resource', 'arn');
    const targets = resources(json, 'aws_cloudwatch_event_target').map(([, t]) => t);
    expect(targets).toHaveLength(4);
    for (const t of targets) expect(t).toMatchObject({ arn: queueArn, dead_letter_config: { arn: dlqArn } });

    const queuePolicy = policy(byPath(json, 'aws_sqs_queue_policy', 'Training/InterruptionQueue/Policy').policy).Statement;
    const ruleArns = resources(json, 'aws_cloudwatch_event_rule').map(([n]) => `\${aws_cloudwatch_event_rule.${n}.arn}`);
    expect(queuePolicy).toContainEqual({
      Sid: 'EventBridgeSendsInterruptions',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
      Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
    });
    expect(queuePolicy).toContainEqual(expect.objectContaining({ Sid: 'SqsSendsInterruptions', Principal: { Service: 'sqs.amazonaws.com' } }));
    expect(queuePolicy).toContainEqual(expect.objectContaining({ Sid: 'DenyInsecureTransport', Effect: 'Deny' }));
  });

  it('gives the Karpenter controller a Pod Identity role with exactly the reference policy actions, PassRole only on the node role', () => {
    expect(byPath(json, 'aws_eks_pod_identity_association', 'Training/KarpenterPodIdentity')).toMatchObject({
      namespace: 'kube-system',
      service_account: 'karpenter',
      role_arn: refTo(json, 'aws_iam_role', 'Training/KarpenterControllerRole/Resource', 'arn'),
    });
    expect(policy(byPath(json, 'aws_iam_role', 'Training/KarpenterControllerRole/Resource').assume_role_policy).Statement[0]).toEqual({
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    });
    const statements = rolePolicy(json, 'KarpenterControllerRole');
    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    const actions = (sid: string) => [bySid[sid].Action].flat();
    expect(actions('AllowScopedEC2InstanceAccessActions')).toEqual(['ec2:CreateFleet', 'ec2:RunInstances']);
    expect(actions('AllowScopedEC2InstanceActionsWithTags')).toEqual(['ec2:CreateFleet', 'ec2:CreateLaunchTemplate', 'ec2:RunInstances']);
    expect(bySid.AllowScopedEC2InstanceActionsWithTags.Condition).toEqual({
      StringEquals: { [`aws:RequestTag/kubernetes.io/cluster/${NAME}`]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': NAME },
      StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
    });
    expect(bySid.AllowScopedEC2LaunchTemplateAccessActions.Condition).toEqual({
      StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${NAME}`]: 'owned' },
      StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
    });
    expect(actions('AllowScopedDeletion')).toEqual(['ec2:DeleteLaunchTemplate', 'ec2:TerminateInstances']);
    expect(bySid.AllowScopedDeletion.Condition.StringEquals).toEqual({ [`aws:ResourceTag/kubernetes.io/cluster/${NAME}`]: 'owned' });
    expect(bySid.AllowPassingInstanceRole).toEqual({
      Sid: 'AllowPassingInstanceRole',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: refTo(json, 'aws_iam_role', 'Training/NodeRole/Resource', 'arn'),
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    expect(bySid.AllowInterruptionQueueActions).toMatchObject({
      Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      Resource: refTo(json, 'aws_sqs_queue', 'Training/InterruptionQueue/Resource', 'arn'),
    });
    expect(bySid.AllowAPIServerEndpointDiscovery).toMatchObject({ Action: 'eks:DescribeCluster', Resource: refTo(json, 'aws_eks_cluster', 'Training/Resource', 'arn') });
    for (const sid of ['AllowScopedInstanceProfileCreationActions', 'AllowScopedInstanceProfileTagActions', 'AllowScopedInstanceProfileActions', 'AllowInstanceProfileReadActions']) {
      expect(bySid[sid].Resource).toMatch(/:iam::\$\{data\.aws_caller_identity\.\w+\.account_id\}:instance-profile\/\*$/);
    }

    // Exactly these actions in the scoped policy, no wildcard action, no Resource "*".
    const all = [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
    expect(all).toEqual([
      'ec2:CreateFleet',
      'ec2:CreateLaunchTemplate',
      'ec2:CreateTags',
      'ec2:DeleteLaunchTemplate',
      'ec2:RunInstances',
      'ec2:TerminateInstances',
      'eks:DescribeCluster',
      'iam:AddRoleToInstanceProfile',
      'iam:CreateInstanceProfile',
      'iam:DeleteInstanceProfile',
      'iam:GetInstanceProfile',
      'iam:PassRole',
      'iam:RemoveRoleFromInstanceProfile',
      'iam:TagInstanceProfile',
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ListGrants',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
      'kms:RevokeGrant',
      'sqs:DeleteMessage',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
      'ssm:GetParameter',
    ]);
    for (const s of statements) expect([s.Resource].flat()).not.toContain('*');
    // Node volumes encrypted with the cluster key: key use only through EC2, grants only for AWS resources.
    expect(bySid.CreateGrantsForEbs).toMatchObject({ Resource: keyArn, Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['kms:GenerateDataKeyWithoutPlaintext']),
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' } },
      }),
    );
    const passRole = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);

    // Unscopable discovery reads live in their own policy, limited to the region.
    const discovery = byPath(json, 'aws_iam_role_policy', 'Training/KarpenterDiscoveryPolicy');
    expect(discovery.role).toBe(refTo(json, 'aws_iam_role', 'Training/KarpenterControllerRole/Resource', 'name'));
    expect(policy(discovery.policy).Statement).toEqual([
      {
        Sid: 'AllowRegionalReadActions',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeCapacityReservations',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypeOfferings',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeInstances',
          'ec2:DescribeLaunchTemplates',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSpotPriceHistory',
          'ec2:DescribeSubnets',
        ],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
      },
      { Sid: 'AllowPricingReadActions', Effect: 'Allow', Action: 'pricing:GetProducts', Resource: '*' },
      { Sid: 'AllowUnscopedInstanceProfileListAction', Effect: 'Allow', Action: 'iam:ListInstanceProfiles', Resource: '*' },
    ]);
    expect(discovery['//'].gaiops.suppressions).toEqual([expect.objectContaining({ ruleId: 'GAI-IAM-003' })]);

    const ns = cluster({ karpenterNamespace: 'karpenter' }).json;
    expect(byPath(ns, 'aws_eks_pod_identity_association', 'Training/KarpenterPodIdentity').namespace).toBe('karpenter');
  });

  it('exposes a reference for later stacks', () => {
    const ref = gpu.reference();
    expect(Object.keys(ref).sort()).toEqual([
      'certificateAuthority',
      'clusterName',
      'endpoint',
      'interruptionQueueName',
      'karpenterControllerRoleArn',
      'nodeRoleArn',
      'nodeRoleName',
      'oidcIssuer',
      'securityGroupId',
    ]);
    for (const value of Object.values(ref)) expect(typeof value).toBe('string');
  });

  it('passes a reference to a later stack as cross-stack outputs', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const clusterStack = new PlatformStack(app, 'cluster', { settings: SETTINGS });
    const network = new ClusterNetwork(clusterStack, 'Network', { clusterName: NAME });
    const ref = new GpuTrainingCluster(clusterStack, 'Training', { network, clusterName: NAME, adminRoleArns: [ADMIN] }).reference();
    const addonsStack = new PlatformStack(app, 'addons', { settings: SETTINGS });
    new TerraformOutput(addonsStack, 'Endpoint', { value: ref.endpoint });
    new TerraformOutput(addonsStack, 'Queue', { value: ref.interruptionQueueName });
    app.synth();
    const upstream = clusterStack.toTerraform() as TfJson;
    expect(Object.keys(upstream.output ?? {}).some((k) => k.startsWith('cross-stack-output-aws_eks_clusterTraining'))).toBe(true);
    expect(addonsStack.dependencies).toContain(clusterStack);
  });

  it('allows a public endpoint only with an allowlist', () => {
    const pub = only(cluster({ endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24'] }).json, 'aws_eks_cluster');
    expect(pub.vpc_config).toMatchObject({ endpoint_public_access: true, endpoint_private_access: true, public_access_cidrs: ['203.0.113.0/24'] });
  });

  it('takes a given key and an ephemeral environment drops deletion protection', () => {
    const stack = platformStack({ ephemeral: true });
    const key = new EncryptionKey(stack, 'Shared', { services: ['logs', 'events'] });
    const network = new ClusterNetwork(stack, 'Network', { clusterName: NAME, encryptionKey: key });
    new GpuTrainingCluster(stack, 'Training', { network, clusterName: NAME, adminRoleArns: [ADMIN], encryptionKey: key });
    const j = synth(stack);
    expect(resources(j, 'aws_kms_key')).toHaveLength(1);
    expect(only(j, 'aws_eks_cluster')).toMatchObject({ deletion_protection: false, encryption_config: { provider: { key_arn: expect.stringMatching(/Shared/) } } });
  });

  it('runs on an existing network', () => {
    const stack = platformStack();
    const network = ClusterNetwork.fromExisting(stack, 'Existing', { vpcId: 'vpc-1', vpcCidr: '10.1.0.0/16', privateSubnetIds: ['subnet-a', 'subnet-b'] });
    new GpuTrainingCluster(stack, 'Training', { network, adminRoleArns: [ADMIN] });
    const j = synth(stack);
    expect(only(j, 'aws_eks_cluster')).toMatchObject({ name: 'gai-test-training', vpc_config: { subnet_ids: ['subnet-a', 'subnet-b'] } });
    expect(only(j, 'aws_eks_node_group').subnet_ids).toEqual(['subnet-a', 'subnet-b']);
  });

  it('passes the core policy pack and the EKS and network rules with zero errors', () => {
    const findings = evaluatePolicies(json as never, [...CORE_RULES, ...EKS_RULES, ...NETWORK_RULES]);
    expect(activeFindings(findings).filter((f) => f.severity === 'error')).toEqual([]);
    expect(activeFindings(findings)).toEqual([]);
  });

  describe('rejects bad props with one GaiConfigError naming each field', () => {
    const problems = (props: Partial<GpuTrainingClusterProps>): string[] => {
      try {
        cluster(props);
      } catch (e) {
        expect(e).toBeInstanceOf(GaiConfigError);
        return (e as GaiConfigError).problems.map((p) => `${p.constructPath}: ${p.fieldPath}: ${p.message}`);
      }
      throw new Error('expected a GaiConfigError');
    };

    it('a public endpoint open to the internet, or without an allowlist', () => {
      expect(problems({ endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0', '::/0'] })).toEqual([
        'teststack/Training: publicAccessCidrs[0]: must not open the endpoint to the whole internet',
        'teststack/Training: publicAccessCidrs[1]: must be an IPv4 CIDR',
        'teststack/Training: publicAccessCidrs[1]: must not open the endpoint to the whole internet',
      ]);
      expect(problems({ endpointPublicAccess: true })).toEqual([
        'teststack/Training: publicAccessCidrs: must list the CIDRs allowed to reach the public endpoint when endpointPublicAccess is true',
      ]);
      expect(problems({ publicAccessCidrs: ['203.0.113.0/24'] })).toEqual(['teststack/Training: publicAccessCidrs: only applies with endpointPublicAccess: true']);
    });

    it('a cluster name other than the one the network tags its subnets for', () => {
      const stack = platformStack();
      const network = new ClusterNetwork(stack, 'Network', { clusterName: 'other' });
      expect(() => new GpuTrainingCluster(stack, 'Training', { network, adminRoleArns: [ADMIN] })).toThrow(
        /teststack\/Training: clusterName: is "gai-test-training" but the network tags its subnets for "other"/,
      );
    });

    it('no admin role, bad ARNs, versions and node group sizes — all at once', () => {
      expect(problems({ adminRoleArns: [] })).toEqual([
        'teststack/Training: adminRoleArns: must list at least one IAM role: the cluster creator gets no admin access',
      ]);
      const all = problems({
        adminRoleArns: ['arn:aws:iam::111122223333:user/bob'],
        kubernetesVersion: '1.35.2',
        addonVersions: { coreDns: 'latest' },
        systemNodeGroup: { desiredSize: 5, maxSize: 3 },
      });
      expect(all).toEqual([
        'teststack/Training: kubernetesVersion: must be a Kubernetes minor version such as 1.35',
        'teststack/Training: adminRoleArns[0]: must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)',
        expect.stringMatching(/^teststack\/Training: addonVersions\.coreDns: must be an exact add-on version/),
        'teststack/Training: systemNodeGroup.maxSize: must be at least desiredSize (5)',
      ]);
    });
  });
});
