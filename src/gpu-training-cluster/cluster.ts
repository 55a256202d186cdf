import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { Ec2Tag } from '@cdktf/provider-aws/lib/ec2-tag';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Construct } from 'constructs';
import { EncryptionKey } from '../core/encryption-key';
import { GaiConfigError } from '../core/errors';
import { renderPolicy, type PolicyStatement } from '../core/iam/policy-statement';
import { Role } from '../core/iam/role';
import { LogGroup } from '../core/log-group';
import { PlatformContext } from '../core/platform-context';
import { PolicyPack } from '../core/policy/policy-pack';
import { parseProps } from '../core/props';
import { SecureQueue } from '../core/secure-queue';
import { Token, type TerraformResource } from '../core/tf';
import { ClusterNetwork } from './network';
import { GpuTrainingClusterPropsSchema, type GpuTrainingClusterProps, type IClusterNetwork } from './schema';

/** Every EKS control-plane log type. */
export const CONTROL_PLANE_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;

/** The Karpenter controller's service account. */
export const KARPENTER_SERVICE_ACCOUNT = 'karpenter';

/** The EBS CSI controller's namespace and service account (fixed by the add-on). */
export const EBS_CSI_NAMESPACE = 'kube-system';
export const EBS_CSI_SERVICE_ACCOUNT = 'ebs-csi-controller-sa';

/** The taint keeping workloads off the system node group. */
export const SYSTEM_NODE_TAINT = { key: 'CriticalAddonsOnly', value: 'true', effect: 'NO_SCHEDULE' } as const;

/**
 * What later stacks (Helm add-ons, Kubernetes workloads) need from the cluster: plain strings,
 * tokens when read in the cluster's stack — cdktf turns them into cross-stack outputs and remote
 * state references when a construct in another stack uses them.
 */
export interface ClusterReference {
  readonly clusterName: string;
  /** API server endpoint URL. */
  readonly endpoint: string;
  /** Base64 PEM of the cluster certificate authority. */
  readonly certificateAuthority: string;
  /** OIDC issuer URL (for IRSA, when a workload cannot use Pod Identity). */
  readonly oidcIssuer: string;
  /** Role of Karpenter-launched nodes (the EC2NodeClass `role`). */
  readonly nodeRoleArn: string;
  readonly nodeRoleName: string;
  readonly karpenterControllerRoleArn: string;
  /** Karpenter `settings.interruptionQueue`. */
  readonly interruptionQueueName: string;
  /** The cluster security group EKS creates (control plane ↔ nodes). */
  readonly securityGroupId: string;
}

/** Interruption events Karpenter handles, by rule id. */
const INTERRUPTION_EVENTS: readonly { id: string; suffix: string; source: string; detailType: string }[] = [
  { id: 'ScheduledChangeRule', suffix: 'scheduled-change', source: 'aws.health', detailType: 'AWS Health Event' },
  { id: 'SpotInterruptionRule', suffix: 'spot-interruption', source: 'aws.ec2', detailType: 'EC2 Spot Instance Interruption Warning' },
  { id: 'RebalanceRule', suffix: 'rebalance', source: 'aws.ec2', detailType: 'EC2 Instance Rebalance Recommendation' },
  { id: 'InstanceStateChangeRule', suffix: 'instance-state-change', source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification' },
];

/**
 * The AWS side of the GPU training platform: a private EKS cluster (secrets encrypted with a CMK,
 * every control-plane log type, API-only authentication with explicit admin access entries),
 * pinned managed add-ons, a tainted on-demand system node group, and the IAM roles, interruption
 * queue and EventBridge rules Karpenter needs. Kubernetes and Helm resources belong to later
 * stacks, which take `reference()`.
 */
export class GpuTrainingCluster extends Construct {
  readonly resource: EksCluster;
  readonly clusterName: string;
  readonly encryptionKey: EncryptionKey;
  readonly logGroup: LogGroup;
  readonly clusterRole: Role;
  /** Role of the system managed node group (EKS creates its access entry). */
  readonly systemNodeRole: Role;
  /** Role of Karpenter-launched nodes (access entry type EC2_LINUX). */
  readonly nodeRole: Role;
  readonly karpenterControllerRole: Role;
  readonly ebsCsiDriverRole: Role;
  readonly interruptionQueue: SecureQueue;
  readonly interruptionDeadLetterQueue: SecureQueue;
  readonly systemNodeGroup: EksNodeGroup;
  readonly launchTemplate: LaunchTemplate;
  readonly addons: Readonly<Record<'vpcCni' | 'coreDns' | 'kubeProxy' | 'podIdentityAgent' | 'ebsCsiDriver', EksAddon>>;
  readonly network: IClusterNetwork;

  constructor(scope: Construct, id: string, props: GpuTrainingClusterProps) {
    super(scope, id);
    const p = parseProps(this, GpuTrainingClusterPropsSchema, props);
    const ctx = PlatformContext.of(this);
    const name = (this.clusterName = p.clusterName ?? ctx.physicalName('eks', this));
    const partition = ctx.partition;
    const awsPolicy = (policyName: string) => `arn:${partition}:iam::aws:policy/${policyName}`;
    this.network = p.network;
    if (p.network instanceof ClusterNetwork && p.network.clusterName !== name) {
      throw new GaiConfigError([
        {
          constructPath: this.node.path,
          fieldPath: 'clusterName',
          message: `is ${JSON.stringify(name)} but the network tags its subnets for ${JSON.stringify(p.network.clusterName)}: give both the same clusterName`,
        },
      ]);
    }

    const key = (this.encryptionKey =
      p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: ['logs', 'events'], description: `gaiops EKS key for ${this.node.path}` }));

    // Control-plane logs: created before the cluster, so EKS writes into an encrypted group with retention.
    this.logGroup = new LogGroup(this, 'ControlPlaneLogs', {
      logGroupName: `/aws/eks/${name}/cluster`,
      encryptionKey: key,
      retentionDays: p.logRetentionDays,
    });

    // Cluster role: AWS's AmazonEKSClusterPolicy (EKS requires it), plus the key for secrets encryption.
    this.clusterRole = new Role(this, 'ClusterRole', {
      assumedBy: ['eks.amazonaws.com'],
      trustActions: ['sts:AssumeRole', 'sts:TagSession'],
      description: `EKS control plane of ${name}`,
    });
    const clusterPolicy = this.attach('ClusterRolePolicy', this.clusterRole, awsPolicy('AmazonEKSClusterPolicy'));
    key.grant(this.clusterRole, ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ListGrants']);

    this.resource = new EksCluster(this, 'Resource', {
      name,
      version: p.kubernetesVersion,
      roleArn: this.clusterRole.roleArn,
      vpcConfig: {
        subnetIds: p.network.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: p.endpointPublicAccess,
        ...(p.endpointPublicAccess ? { publicAccessCidrs: p.publicAccessCidrs } : {}),
      },
      encryptionConfig: { resources: ['secrets'], provider: { keyArn: key.keyArn } },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
      bootstrapSelfManagedAddons: false,
      upgradePolicy: { supportType: 'STANDARD' },
      deletionProtection: !ctx.ephemeral,
      dependsOn: [this.logGroup.resource, ...this.clusterRole.dependables, clusterPolicy],
    });

    // Karpenter's EC2NodeClasses select security groups by the discovery tag (as they select the
    // private subnets): tag the security group EKS creates for the cluster.
    new Ec2Tag(this, 'SecurityGroupDiscoveryTag', {
      resourceId: this.resource.vpcConfig.clusterSecurityGroupId,
      key: 'karpenter.sh/discovery',
      value: name,
    });

    // Admins: explicit access entries (the creator gets none).
    p.adminRoleArns.forEach((principalArn, i) => {
      const entry = new EksAccessEntry(this, `Admin${i + 1}`, { clusterName: this.resource.name, principalArn, type: 'STANDARD' });
      new EksAccessPolicyAssociation(this, `Admin${i + 1}Policy`, {
        clusterName: this.resource.name,
        principalArn: entry.principalArn,
        policyArn: `arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
        accessScope: { type: 'cluster' },
      });
    });

    // Node roles: AWS's worker-node, ECR read-only and CNI policies (required by kubelet and the VPC CNI).
    const nodePolicies = [
      'AmazonEKSWorkerNodePolicy',
      'AmazonEC2ContainerRegistryReadOnly',
      'AmazonEKS_CNI_Policy',
      ...(p.nodeSsmAccess ? ['AmazonSSMManagedInstanceCore'] : []),
    ];
    const nodeRole = (roleId: string, description: string): { role: Role; attachments: IamRolePolicyAttachment[] } => {
      const role = new Role(this, roleId, { assumedBy: ['ec2.amazonaws.com'], description });
      return { role, attachments: nodePolicies.map((policyName) => this.attach(`${roleId}${policyName.replace(/_/g, '')}`, role, awsPolicy(policyName))) };
    };
    const system = nodeRole('SystemNodeRole', `System node group of ${name}`);
    this.systemNodeRole = system.role;
    const karpenterNodes = nodeRole('NodeRole', `Karpenter nodes of ${name}`);
    this.nodeRole = karpenterNodes.role;
    new EksAccessEntry(this, 'NodeAccessEntry', { clusterName: this.resource.name, principalArn: this.nodeRole.roleArn, type: 'EC2_LINUX' });

    // Add-ons before compute: networking, kube-proxy and the Pod Identity agent.
    const addon = (addonId: string, addonName: string, version: string, dependsOn: TerraformResource[] = [], configuration?: object) =>
      new EksAddon(this, addonId, {
        clusterName: this.resource.name,
        addonName,
        addonVersion: version,
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
        configurationValues: configuration ? JSON.stringify(configuration) : undefined,
        dependsOn,
      });
    // The VPC CNI's network policy agent enforces Kubernetes NetworkPolicies (team default-deny).
    const vpcCni = addon('VpcCni', 'vpc-cni', p.addonVersions.vpcCni, [], { enableNetworkPolicy: 'true' });
    const kubeProxy = addon('KubeProxy', 'kube-proxy', p.addonVersions.kubeProxy);
    const podIdentityAgent = addon('PodIdentityAgent', 'eks-pod-identity-agent', p.addonVersions.podIdentityAgent);

    // System node group: on-demand, tainted for critical add-ons, IMDSv2 with hop limit 1, encrypted gp3 root.
    this.grantAutoScalingVolumeEncryption(key);
    const g = p.systemNodeGroup;
    this.launchTemplate = new LaunchTemplate(this, 'SystemLaunchTemplate', {
      name: ctx.physicalName('eks', this, 'system'),
      description: `System node group of ${name}`,
      updateDefaultVersion: true,
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: { volumeSize: g.diskSizeGiB, volumeType: 'gp3', encrypted: 'true', kmsKeyId: key.keyArn, deleteOnTermination: 'true' },
        },
      ],
      tagSpecifications: [
        { resourceType: 'instance', tags: { Name: `${name}-system` } },
        { resourceType: 'volume', tags: { Name: `${name}-system` } },
      ],
    });
    this.systemNodeGroup = new EksNodeGroup(this, 'SystemNodeGroup', {
      clusterName: this.resource.name,
      nodeGroupName: 'system',
      version: this.resource.version,
      nodeRoleArn: this.systemNodeRole.roleArn,
      subnetIds: p.network.privateSubnetIds,
      amiType: g.amiType,
      capacityType: 'ON_DEMAND',
      instanceTypes: g.instanceTypes,
      scalingConfig: { desiredSize: g.desiredSize, minSize: g.minSize, maxSize: g.maxSize },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
      labels: { ...g.labels, 'gaiops.io/node-pool': 'system' },
      taint: [{ ...SYSTEM_NODE_TAINT }],
      dependsOn: [vpcCni, kubeProxy, podIdentityAgent, ...this.systemNodeRole.dependables, ...system.attachments],
    });

    // Add-ons that need nodes: CoreDNS, and the EBS CSI driver with its Pod Identity role.
    const coreDns = addon('CoreDns', 'coredns', p.addonVersions.coreDns, [this.systemNodeGroup]);
    this.ebsCsiDriverRole = new Role(this, 'EbsCsiDriverRole', {
      assumedBy: ['pods.eks.amazonaws.com'],
      trustActions: ['sts:AssumeRole', 'sts:TagSession'],
      description: `EBS CSI controller of ${name}`,
    });
    const ebsPolicy = this.attach('EbsCsiDriverRolePolicy', this.ebsCsiDriverRole, awsPolicy('service-role/AmazonEBSCSIDriverPolicy'));
    // Volumes encrypted with the cluster key: EC2 uses the key through grants the driver creates.
    grantEbsVolumeEncryption(key, this.ebsCsiDriverRole);
    const ebsAssociation = new EksPodIdentityAssociation(this, 'EbsCsiPodIdentity', {
      clusterName: this.resource.name,
      namespace: EBS_CSI_NAMESPACE,
      serviceAccount: EBS_CSI_SERVICE_ACCOUNT,
      roleArn: this.ebsCsiDriverRole.roleArn,
    });
    const ebsCsi = addon('EbsCsiDriver', 'aws-ebs-csi-driver', p.addonVersions.ebsCsiDriver, [
      this.systemNodeGroup,
      ebsAssociation,
      ebsPolicy,
      ...this.ebsCsiDriverRole.dependables,
    ]);
    this.addons = { vpcCni, coreDns, kubeProxy, podIdentityAgent, ebsCsiDriver: ebsCsi };

    // Karpenter: interruption queue fed by EventBridge, controller role through Pod Identity.
    this.interruptionDeadLetterQueue = new SecureQueue(this, 'InterruptionDeadLetterQueue', { encryptionKey: key });
    this.interruptionQueue = new SecureQueue(this, 'InterruptionQueue', { encryptionKey: key, retentionSeconds: 300 });
    const rules = INTERRUPTION_EVENTS.map((event) => {
      const rule = new CloudwatchEventRule(this, event.id, {
        name: ctx.physicalName('eventbridge-rule', this, event.suffix),
        description: `Karpenter interruption handling for ${name}: ${event.detailType}`,
        eventPattern: JSON.stringify({ source: [event.source], 'detail-type': [event.detailType] }),
      });
      new CloudwatchEventTarget(this, `${event.id}Target`, {
        rule: rule.name,
        targetId: 'KarpenterInterruptionQueue',
        arn: this.interruptionQueue.queueArn,
        deadLetterConfig: { arn: this.interruptionDeadLetterQueue.queueArn },
      });
      return rule;
    });
    const ruleArns = rules.map((r) => r.arn);
    this.interruptionQueue.addToResourcePolicy({
      sid: 'EventBridgeSendsInterruptions',
      principals: { Service: ['events.amazonaws.com'] },
      actions: ['sqs:SendMessage'],
      resources: [this.interruptionQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': ruleArns } },
    });
    this.interruptionQueue.addToResourcePolicy({
      sid: 'SqsSendsInterruptions',
      principals: { Service: ['sqs.amazonaws.com'] },
      actions: ['sqs:SendMessage'],
      resources: [this.interruptionQueue.queueArn],
      conditions: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
    });
    this.interruptionDeadLetterQueue.addToResourcePolicy({
      sid: 'EventBridgeDeadLetters',
      principals: { Service: ['events.amazonaws.com'] },
      actions: ['sqs:SendMessage'],
      resources: [this.interruptionDeadLetterQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': ruleArns } },
    });

    this.karpenterControllerRole = new Role(this, 'KarpenterControllerRole', {
      assumedBy: ['pods.eks.amazonaws.com'],
      trustActions: ['sts:AssumeRole', 'sts:TagSession'],
      description: `Karpenter controller of ${name}`,
    });
    for (const statement of karpenterControllerStatements({
      clusterName: name,
      clusterArn: this.resource.arn,
      region: ctx.region,
      partition,
      accountId: ctx.accountId,
      nodeRoleArn: this.nodeRole.roleArn,
      queueArn: this.interruptionQueue.queueArn,
    })) {
      this.karpenterControllerRole.addToPrincipalPolicy(statement);
    }
    key.grantDecrypt(this.karpenterControllerRole, { viaService: 'sqs' });
    // EC2NodeClasses may encrypt node volumes with the cluster key (GpuNodePools `kmsKeyArn`):
    // RunInstances/CreateFleet then use the key as the caller, and spot launches through EC2's
    // spot service-linked role, which the key policy must name (AWS: "Service-linked role for Spot
    // Instance requests", customer managed keys).
    grantEbsVolumeEncryption(key, this.karpenterControllerRole);
    this.grantServiceLinkedRoleVolumeEncryption(key, 'SpotVolume', 'spot.amazonaws.com/AWSServiceRoleForEC2Spot');
    const discovery = new IamRolePolicy(this, 'KarpenterDiscoveryPolicy', {
      name: 'karpenter-resource-discovery',
      role: this.karpenterControllerRole.roleName,
      policy: renderPolicy(karpenterDiscoveryStatements(ctx.region)),
    });
    PolicyPack.suppress(
      discovery,
      'GAI-IAM-003',
      'Karpenter resource discovery: the ec2:Describe* reads, pricing:GetProducts and iam:ListInstanceProfiles support no resource-level permissions (Service Authorization Reference); EC2 reads limited to this region by aws:RequestedRegion, as in Karpenter\'s reference policy.',
    );
    new EksPodIdentityAssociation(this, 'KarpenterPodIdentity', {
      clusterName: this.resource.name,
      namespace: p.karpenterNamespace,
      serviceAccount: KARPENTER_SERVICE_ACCOUNT,
      roleArn: this.karpenterControllerRole.roleArn,
      dependsOn: [podIdentityAgent],
    });
  }

  /** What later stacks need, as strings (tokens here; cross-stack references when used in another stack). */
  reference(): ClusterReference {
    return {
      clusterName: this.resource.name,
      endpoint: this.resource.endpoint,
      certificateAuthority: this.resource.certificateAuthority.get(0).data,
      oidcIssuer: this.resource.identity.get(0).oidc.get(0).issuer,
      nodeRoleArn: this.nodeRole.roleArn,
      nodeRoleName: this.nodeRole.roleName,
      karpenterControllerRoleArn: this.karpenterControllerRole.roleArn,
      interruptionQueueName: this.interruptionQueue.queueName,
      securityGroupId: this.resource.vpcConfig.clusterSecurityGroupId,
    };
  }

  private attach(id: string, role: Role, policyArn: string): IamRolePolicyAttachment {
    return new IamRolePolicyAttachment(this, id, { role: role.roleName, policyArn });
  }

  /**
   * Managed node groups launch through EC2 Auto Scaling, whose service-linked role must be allowed
   * by the key policy to use the key for encrypted volumes (AWS's documented statements).
   */
  private grantAutoScalingVolumeEncryption(key: EncryptionKey): void {
    this.grantServiceLinkedRoleVolumeEncryption(key, 'AutoScalingVolume', 'autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling');
  }

  /**
   * Key-policy statements letting a service-linked role (`<service>/<role name>`) encrypt EBS
   * volumes with the key and create grants for AWS resources only. Sids are `<sidPrefix>s<addr>`
   * and `<sidPrefix>Grants<addr>`.
   */
  private grantServiceLinkedRoleVolumeEncryption(key: EncryptionKey, sidPrefix: string, serviceRole: string): void {
    const ctx = PlatformContext.of(this);
    const slr = `arn:${ctx.partition}:iam::${ctx.accountId}:role/aws-service-role/${serviceRole}`;
    const sidSuffix = this.node.addr.slice(0, 8);
    key.addToResourcePolicy({
      sid: `${sidPrefix}s${sidSuffix}`,
      principals: { AWS: [slr] },
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      resources: ['*'],
    });
    key.addToResourcePolicy({
      sid: `${sidPrefix}Grants${sidSuffix}`,
      principals: { AWS: [slr] },
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
  }
}

/**
 * Lets a role launch or attach EBS volumes encrypted with `key`: the data-key and re-encrypt
 * actions through EC2 only (`kms:ViaService`), and grants only for AWS resources.
 */
function grantEbsVolumeEncryption(key: EncryptionKey, role: Role): void {
  key.grant(role, ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'], {
    viaService: 'ec2',
  });
  role.addToPrincipalPolicy({
    sid: 'CreateGrantsForEbs',
    actions: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
    resources: [key.keyArn],
    conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  });
}

export interface KarpenterPolicyInputs {
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
  readonly nodeRoleArn: string;
  readonly queueArn: string;
}

/**
 * The Karpenter controller's scoped permissions, modelled on Karpenter's reference policy
 * (cloudformation.yaml, v1): launches only with the cluster's ownership and a NodePool tag,
 * deletes and tags only what it launched, passes only the node role to EC2, manages only instance
 * profiles it tagged for this cluster and region.
 */
export function karpenterControllerStatements(k: KarpenterPolicyInputs): PolicyStatement[] {
  const ec2 = (resource: string, account = '*') => `arn:${k.partition}:ec2:${k.region}:${account}:${resource}`;
  const owned = `kubernetes.io/cluster/${k.clusterName}`;
  const instanceProfiles = `arn:${k.partition}:iam::${k.accountId}:instance-profile/*`;
  const launched = ['fleet/*', 'instance/*', 'volume/*', 'network-interface/*', 'launch-template/*', 'spot-instances-request/*'].map((r) => ec2(r));
  return [
    {
      sid: 'AllowScopedEC2InstanceAccessActions',
      actions: ['ec2:CreateFleet', 'ec2:RunInstances'],
      resources: [ec2('image/*', ''), ec2('snapshot/*', ''), ec2('security-group/*'), ec2('subnet/*'), ec2('capacity-reservation/*')],
    },
    {
      sid: 'AllowScopedEC2LaunchTemplateAccessActions',
      actions: ['ec2:CreateFleet', 'ec2:RunInstances'],
      resources: [ec2('launch-template/*')],
      conditions: {
        StringEquals: { [`aws:ResourceTag/${owned}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
      },
    },
    {
      sid: 'AllowScopedEC2InstanceActionsWithTags',
      actions: ['ec2:CreateFleet', 'ec2:CreateLaunchTemplate', 'ec2:RunInstances'],
      resources: launched,
      conditions: {
        StringEquals: { [`aws:RequestTag/${owned}`]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': k.clusterName },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    },
    {
      sid: 'AllowScopedResourceCreationTagging',
      actions: ['ec2:CreateTags'],
      resources: launched,
      conditions: {
        StringEquals: {
          [`aws:RequestTag/${owned}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': k.clusterName,
          'ec2:CreateAction': ['CreateFleet', 'CreateLaunchTemplate', 'RunInstances'],
        },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    },
    {
      sid: 'AllowScopedResourceTagging',
      actions: ['ec2:CreateTags'],
      resources: [ec2('instance/*')],
      conditions: {
        StringEquals: { [`aws:ResourceTag/${owned}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
        StringEqualsIfExists: { 'aws:RequestTag/eks:eks-cluster-name': k.clusterName },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
      },
    },
    {
      sid: 'AllowScopedDeletion',
      actions: ['ec2:DeleteLaunchTemplate', 'ec2:TerminateInstances'],
      resources: [ec2('instance/*'), ec2('launch-template/*')],
      conditions: {
        StringEquals: { [`aws:ResourceTag/${owned}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
      },
    },
    {
      sid: 'AllowSSMReadActions',
      actions: ['ssm:GetParameter'],
      resources: [`arn:${k.partition}:ssm:${k.region}::parameter/aws/service/*`],
    },
    {
      sid: 'AllowInterruptionQueueActions',
      actions: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      resources: [k.queueArn],
    },
    {
      sid: 'AllowPassingInstanceRole',
      actions: ['iam:PassRole'],
      resources: [k.nodeRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    {
      sid: 'AllowScopedInstanceProfileCreationActions',
      actions: ['iam:CreateInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: {
          [`aws:RequestTag/${owned}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': k.clusterName,
          'aws:RequestTag/topology.kubernetes.io/region': k.region,
        },
        StringLike: { 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    },
    {
      sid: 'AllowScopedInstanceProfileTagActions',
      actions: ['iam:TagInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: {
          [`aws:ResourceTag/${owned}`]: 'owned',
          'aws:ResourceTag/topology.kubernetes.io/region': k.region,
          [`aws:RequestTag/${owned}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': k.clusterName,
          'aws:RequestTag/topology.kubernetes.io/region': k.region,
        },
        StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*', 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    },
    {
      sid: 'AllowScopedInstanceProfileActions',
      actions: ['iam:AddRoleToInstanceProfile', 'iam:DeleteInstanceProfile', 'iam:RemoveRoleFromInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: { [`aws:ResourceTag/${owned}`]: 'owned', 'aws:ResourceTag/topology.kubernetes.io/region': k.region },
        StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    },
    {
      sid: 'AllowInstanceProfileReadActions',
      actions: ['iam:GetInstanceProfile'],
      resources: [instanceProfiles],
    },
    {
      sid: 'AllowAPIServerEndpointDiscovery',
      actions: ['eks:DescribeCluster'],
      resources: [k.clusterArn],
    },
  ];
}

/**
 * Karpenter's reads that support no resource-level permissions, so Resource "*": the regional EC2
 * reads (limited to the region), pricing, and listing instance profiles.
 */
export function karpenterDiscoveryStatements(region: string): PolicyStatement[] {
  return [
    {
      sid: 'AllowRegionalReadActions',
      actions: [
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
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': region } },
    },
    { sid: 'AllowPricingReadActions', actions: ['pricing:GetProducts'], resources: ['*'] },
    // Instance-profile garbage collection lists every profile; IAM List actions cannot be scoped.
    { sid: 'AllowUnscopedInstanceProfileListAction', actions: ['iam:ListInstanceProfiles'], resources: ['*'] },
  ];
}
