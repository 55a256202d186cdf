import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { Release } from '@cdktf/provider-helm/lib/release';
import { Construct } from 'constructs';
import { PinnedHelmRelease, type PinnedChart } from '../core/helm/pinned-chart';
import { renderPolicy, type PolicyStatement } from '../core/iam/policy-statement';
import { Role } from '../core/iam/role';
import { PlatformContext } from '../core/platform-context';
import { PolicyPack } from '../core/policy/policy-pack';
import { parseProps } from '../core/props';
import { ADDON_CHARTS, type AddonChartName } from './addon-charts';
import { ClusterAddonsPropsSchema, type ClusterAddonsConfig, type ClusterAddonsProps, type Resources } from './addons-schema';
import { KARPENTER_SERVICE_ACCOUNT, SYSTEM_NODE_TAINT } from './cluster';
import { GPU_TAINT, NODE_POOL_LABEL } from './node-pools';

/**
 * Labels every ServiceMonitor the add-ons create carries; the MonitoringStack's Prometheus selects
 * ServiceMonitors with exactly these labels (`serviceMonitorSelector.matchLabels`).
 */
export const MONITORING_SELECTOR_LABELS: Readonly<Record<string, string>> = Object.freeze({ release: 'gaiops-monitoring' });

/** Tolerates the system node group's `CriticalAddonsOnly` taint. */
export const SYSTEM_TOLERATIONS: readonly Record<string, string>[] = [{ key: SYSTEM_NODE_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }];

/** Selects the system node group (its nodes carry `gaiops.io/node-pool=system`). */
export const SYSTEM_NODE_SELECTOR: Readonly<Record<string, string>> = { 'kubernetes.io/os': 'linux', [NODE_POOL_LABEL]: 'system' };

/** Tolerates the taint every GPU NodePool puts on its nodes. */
export const GPU_TOLERATIONS: readonly Record<string, string>[] = [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }];

/**
 * Requires a node Karpenter launched with an NVIDIA GPU: the well-known label Karpenter puts on
 * every node it launches (Karpenter nodes carry no NFD/GFD labels, which the NVIDIA charts'
 * default affinities expect).
 */
export const GPU_NODE_AFFINITY = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'karpenter.k8s.aws/instance-gpu-manufacturer', operator: 'In', values: ['nvidia'] }] }],
    },
  },
} as const;

/** Namespaces of the releases (Karpenter's comes from the props). */
export const ADDON_NAMESPACES = {
  prometheusOperatorCrds: 'kube-system',
  gpu: 'kube-system',
  gpuOperator: 'gpu-operator',
  kuberay: 'kuberay-system',
  kubeflowTrainer: 'kubeflow-system',
  keda: 'keda',
  loadBalancerController: 'kube-system',
} as const;

/** The Load Balancer Controller's service account (bound to its role by Pod Identity). */
export const LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = 'aws-load-balancer-controller';

const res = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): Resources => ({
  requests: { cpu, memory },
  limits: { cpu: cpuLimit, memory: memoryLimit },
});

/** Resources of each controller container (Karpenter's are a prop). */
export const ADDON_RESOURCES = {
  devicePlugin: res('50m', '64Mi', '200m', '256Mi'),
  dcgmExporter: res('100m', '128Mi', '200m', '512Mi'),
  nfd: res('100m', '128Mi', '500m', '512Mi'),
  kuberay: res('100m', '256Mi', '500m', '512Mi'),
  kubeflowTrainer: res('100m', '256Mi', '1', '1Gi'),
  runtimeInstaller: res('50m', '64Mi', '200m', '128Mi'),
  keda: res('100m', '128Mi', '1', '1000Mi'),
  loadBalancerController: res('100m', '128Mi', '500m', '512Mi'),
} as const;

/** Seccomp RuntimeDefault for pods whose charts expose a pod security context. */
const RUNTIME_DEFAULT_POD = { seccompProfile: { type: 'RuntimeDefault' } };

/**
 * The Helm layer of the GPU training cluster, in the add-ons stack (after the cluster's, before
 * the GPU NodePools and workloads): prometheus-operator CRDs, Karpenter (CRDs then controller),
 * the NVIDIA GPU stack, training operators, KEDA and optionally the AWS Load Balancer Controller.
 * Every chart is a {@link PinnedHelmRelease} of a catalogue chart (`addon-charts.ts`). Controllers
 * run on the system node group; GPU node agents only on Karpenter's NVIDIA nodes.
 */
export class ClusterAddons extends Construct {
  /** The releases created, by catalogue name. */
  readonly releases: Partial<Record<AddonChartName, PinnedHelmRelease>> = {};
  /** Whether the charts create ServiceMonitors (prometheus-operator CRDs installed or present). */
  readonly serviceMonitors: boolean;
  /** The Load Balancer Controller's Pod Identity role, when enabled. */
  readonly loadBalancerControllerRole?: Role;
  private readonly config: ClusterAddonsConfig;

  constructor(scope: Construct, id: string, props: ClusterAddonsProps) {
    super(scope, id);
    const p = (this.config = parseProps(this, ClusterAddonsPropsSchema, props));
    this.serviceMonitors = p.prometheusOperatorCrds !== 'absent';
    const sm = this.serviceMonitors;
    const smLabels = sm ? { ...MONITORING_SELECTOR_LABELS } : {};

    // 1. prometheus-operator CRDs: everything rendering a ServiceMonitor waits for them. Kept on
    //    uninstall so deleting the release never deletes every ServiceMonitor and PrometheusRule.
    const promCrds =
      p.prometheusOperatorCrds === 'install'
        ? this.install('PrometheusOperatorCrds', 'prometheusOperatorCrds', 'prometheus-operator-crds', ADDON_NAMESPACES.prometheusOperatorCrds, {
            crds: { annotations: { 'helm.sh/resource-policy': 'keep' } },
          })
        : undefined;
    const afterCrds = promCrds ? [promCrds.release] : [];

    // 2. Karpenter: CRD chart, then the controller (skipCrds: the CRD chart owns them).
    const karpenterCrd = this.install('KarpenterCrd', 'karpenterCrd', 'karpenter-crd', p.karpenter.namespace, {});
    this.install(
      'Karpenter',
      'karpenter',
      'karpenter',
      p.karpenter.namespace,
      {
        serviceAccount: { create: true, name: KARPENTER_SERVICE_ACCOUNT },
        settings: { clusterName: p.cluster.clusterName, interruptionQueue: p.cluster.interruptionQueueName },
        replicas: p.karpenter.replicas,
        controller: { resources: p.karpenter.resources },
        tolerations: SYSTEM_TOLERATIONS,
        nodeSelector: SYSTEM_NODE_SELECTOR,
        serviceMonitor: { enabled: sm, additionalLabels: smLabels },
      },
      [karpenterCrd.release, ...afterCrds],
      true,
    );

    // 3. GPU stack.
    if (p.gpuStack === 'device-plugin') {
      this.install('NvidiaDevicePlugin', 'nvidiaDevicePlugin', 'nvidia-device-plugin', ADDON_NAMESPACES.gpu, {
        affinity: GPU_NODE_AFFINITY,
        tolerations: GPU_TOLERATIONS,
        gfd: { enabled: false },
        resources: ADDON_RESOURCES.devicePlugin,
        podSecurityContext: RUNTIME_DEFAULT_POD,
        // The plugin writes its socket into the kubelet's device-plugins hostPath, so it runs as
        // root; it needs no capability and never escalates (the upstream static manifest's context).
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      });
      this.install(
        'DcgmExporter',
        'dcgmExporter',
        'dcgm-exporter',
        ADDON_NAMESPACES.gpu,
        {
          affinity: GPU_NODE_AFFINITY,
          tolerations: GPU_TOLERATIONS,
          resources: ADDON_RESOURCES.dcgmExporter,
          podSecurityContext: RUNTIME_DEFAULT_POD,
          serviceMonitor: { enabled: sm, additionalLabels: smLabels },
        },
        afterCrds,
      );
    } else {
      this.install(
        'GpuOperator',
        'gpuOperator',
        'gpu-operator',
        ADDON_NAMESPACES.gpuOperator,
        {
          driver: { enabled: false },
          toolkit: { enabled: false },
          devicePlugin: { enabled: true },
          dcgmExporter: { enabled: true, serviceMonitor: { enabled: sm, additionalLabels: smLabels } },
          nfd: { enabled: true },
          daemonsets: { tolerations: GPU_TOLERATIONS },
          operator: { tolerations: SYSTEM_TOLERATIONS, nodeSelector: SYSTEM_NODE_SELECTOR },
          'node-feature-discovery': {
            master: { tolerations: SYSTEM_TOLERATIONS, nodeSelector: SYSTEM_NODE_SELECTOR, resources: ADDON_RESOURCES.nfd },
            gc: { tolerations: SYSTEM_TOLERATIONS, nodeSelector: SYSTEM_NODE_SELECTOR, resources: ADDON_RESOURCES.nfd },
          },
        },
        afterCrds,
        false,
        true,
      );
    }

    // 4. Training operators.
    if (p.trainingOperators.kubeflowTrainer) {
      this.install(
        'KubeflowTrainer',
        'kubeflowTrainer',
        'kubeflow-trainer',
        ADDON_NAMESPACES.kubeflowTrainer,
        {
          manager: { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: SYSTEM_TOLERATIONS, resources: ADDON_RESOURCES.kubeflowTrainer },
          runtimes: {
            torchDistributed: { enabled: true },
            installer: { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: SYSTEM_TOLERATIONS, resources: ADDON_RESOURCES.runtimeInstaller },
          },
          jobset: { controller: { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: SYSTEM_TOLERATIONS } },
        },
        [],
        false,
        true,
      );
    }
    if (p.trainingOperators.kuberay) {
      this.install(
        'KubeRay',
        'kuberayOperator',
        'kuberay-operator',
        ADDON_NAMESPACES.kuberay,
        {
          nodeSelector: SYSTEM_NODE_SELECTOR,
          tolerations: SYSTEM_TOLERATIONS,
          resources: ADDON_RESOURCES.kuberay,
          metrics: { serviceMonitor: { enabled: sm, additionalLabels: smLabels } },
        },
        afterCrds,
        false,
        true,
      );
    }

    // 5. KEDA.
    if (p.keda.enabled) {
      const monitor = { enabled: sm, serviceMonitor: { enabled: sm, additionalLabels: smLabels } };
      this.install(
        'Keda',
        'keda',
        'keda',
        ADDON_NAMESPACES.keda,
        {
          operator: { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: SYSTEM_TOLERATIONS },
          metricsServer: { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: SYSTEM_TOLERATIONS },
          webhooks: { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: SYSTEM_TOLERATIONS },
          resources: { operator: ADDON_RESOURCES.keda, metricServer: ADDON_RESOURCES.keda, webhooks: ADDON_RESOURCES.keda },
          prometheus: { operator: monitor, metricServer: monitor, webhooks: monitor },
        },
        afterCrds,
        false,
        true,
      );
    }

    // 6. AWS Load Balancer Controller, last: its Service mutating webhook would reject the
    //    Services of charts installed while its pods are not ready yet.
    if (p.loadBalancerController.enabled) {
      const vpcId = p.loadBalancerController.vpcId as string;
      const ctx = PlatformContext.of(this);
      const role = (this.loadBalancerControllerRole = new Role(this, 'LoadBalancerControllerRole', {
        assumedBy: ['pods.eks.amazonaws.com'],
        trustActions: ['sts:AssumeRole', 'sts:TagSession'],
        description: `AWS Load Balancer Controller of ${p.cluster.clusterName}`,
      }));
      const inputs = { partition: ctx.partition, region: ctx.region, accountId: ctx.accountId, vpcId };
      for (const statement of loadBalancerControllerStatements(inputs)) role.addToPrincipalPolicy(statement);
      const reads = new IamRolePolicy(this, 'LoadBalancerControllerReadPolicy', {
        name: 'aws-load-balancer-controller-reads',
        role: role.roleName,
        policy: renderPolicy(loadBalancerControllerReadStatements(ctx.region)),
      });
      PolicyPack.suppress(
        reads,
        'GAI-IAM-003',
        "AWS Load Balancer Controller discovery: the ec2/elasticloadbalancing Describe* and Get* reads, acm:ListCertificates and iam:ListServerCertificates support no resource-level permissions (Service Authorization Reference); regional reads limited to this region by aws:RequestedRegion, as in the controller's reference policy.",
      );
      const association = new EksPodIdentityAssociation(this, 'LoadBalancerControllerPodIdentity', {
        clusterName: p.cluster.clusterName,
        namespace: ADDON_NAMESPACES.loadBalancerController,
        serviceAccount: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
        roleArn: role.roleArn,
      });
      const others = Object.values(this.releases).map((r) => r.release);
      this.install(
        'LoadBalancerController',
        'awsLoadBalancerController',
        'aws-load-balancer-controller',
        ADDON_NAMESPACES.loadBalancerController,
        {
          clusterName: p.cluster.clusterName,
          region: ctx.region,
          vpcId,
          serviceAccount: { create: true, name: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT },
          replicaCount: 2,
          resources: ADDON_RESOURCES.loadBalancerController,
          nodeSelector: SYSTEM_NODE_SELECTOR,
          tolerations: SYSTEM_TOLERATIONS,
          // Classic WAF and Shield Advanced are not used: their permissions are not granted.
          enableWaf: false,
          enableShield: false,
          serviceMonitor: { enabled: sm, additionalLabels: smLabels },
        },
        [...others, association, reads, ...role.dependables],
      );
    }
  }

  /** Every release, for a later construct in the same stack to depend on. */
  get dependables(): Release[] {
    return Object.values(this.releases).map((r) => r.release);
  }

  /** The chart a catalogue name resolves to (the props' override or the catalogue entry). */
  chart(name: AddonChartName): PinnedChart {
    return this.config.charts[name] ?? ADDON_CHARTS[name];
  }

  private install(
    id: string,
    name: AddonChartName,
    releaseName: string,
    namespace: string,
    values: Record<string, unknown>,
    dependsOn: NonNullable<ConstructorParameters<typeof PinnedHelmRelease>[2]['dependsOn']> = [],
    skipCrds = false,
    createNamespace = false,
  ): PinnedHelmRelease {
    const release = new PinnedHelmRelease(this, id, {
      chart: this.chart(name),
      name: releaseName,
      namespace,
      createNamespace,
      values,
      skipCrds,
      ...(this.config.helmProvider ? { provider: this.config.helmProvider } : {}),
      ...(dependsOn.length > 0 ? { dependsOn } : {}),
    });
    this.releases[name] = release;
    return release;
  }
}

export interface LoadBalancerControllerPolicyInputs {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
}

/**
 * The Load Balancer Controller's scoped permissions, modelled on its reference policy
 * (docs/install/iam_policy.json at v3.5.0): the same actions and `elbv2.k8s.aws/cluster` tag
 * conditions, with every `"Resource": "*"` that the actions allow narrowed to this account and
 * region (security groups to the cluster's VPC). Classic WAF (`waf-regional:*`) and Shield Advanced
 * (`shield:*`) are left out: the chart runs with `enableWaf: false` and `enableShield: false`.
 * The reads that support no resource-level permissions are in
 * {@link loadBalancerControllerReadStatements}.
 */
export function loadBalancerControllerStatements(k: LoadBalancerControllerPolicyInputs): PolicyStatement[] {
  const arn = (service: string, resource: string, region = k.region) => `arn:${k.partition}:${service}:${region}:${k.accountId}:${resource}`;
  const sg = arn('ec2', 'security-group/*');
  const vpc = arn('ec2', `vpc/${k.vpcId}`);
  const elb = (resource: string) => arn('elasticloadbalancing', resource);
  const targetGroups = elb('targetgroup/*/*');
  const loadBalancers = [elb('loadbalancer/net/*/*'), elb('loadbalancer/app/*/*')];
  const listeners = [elb('listener/net/*/*/*'), elb('listener/app/*/*/*')];
  const listenerRules = [elb('listener-rule/net/*/*/*'), elb('listener-rule/app/*/*/*')];
  const clusterTagged = { Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } };
  const untaggedRequestOnClusterResource = { Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'true', 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } };
  return [
    {
      sid: 'CreateElbServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [`arn:${k.partition}:iam::${k.accountId}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`],
      conditions: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
    },
    { sid: 'ReadCertificates', actions: ['acm:DescribeCertificate'], resources: [arn('acm', 'certificate/*')] },
    { sid: 'ReadServerCertificates', actions: ['iam:GetServerCertificate'], resources: [`arn:${k.partition}:iam::${k.accountId}:server-certificate/*`] },
    { sid: 'ReadCognitoClients', actions: ['cognito-idp:DescribeUserPoolClient'], resources: [arn('cognito-idp', 'userpool/*')] },
    {
      sid: 'ManageWafV2Associations',
      actions: ['wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL', 'wafv2:GetWebACL', 'wafv2:GetWebACLForResource'],
      resources: [arn('wafv2', 'regional/webacl/*/*'), elb('loadbalancer/app/*/*')],
    },
    // The node and cluster security groups: the controller opens them to its load balancers.
    {
      sid: 'ManageSecurityGroupIngressInVpc',
      actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
      resources: [sg],
      conditions: { StringEquals: { 'ec2:Vpc': vpc } },
    },
    { sid: 'CreateSecurityGroupInVpc', actions: ['ec2:CreateSecurityGroup'], resources: [sg, vpc] },
    {
      sid: 'TagSecurityGroupOnCreate',
      actions: ['ec2:CreateTags'],
      resources: [sg],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' }, Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } },
    },
    { sid: 'TagOwnedSecurityGroups', actions: ['ec2:CreateTags', 'ec2:DeleteTags'], resources: [sg], conditions: untaggedRequestOnClusterResource },
    {
      sid: 'ManageOwnedSecurityGroups',
      actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupIngress'],
      resources: [sg],
      conditions: clusterTagged,
    },
    {
      sid: 'CreateTaggedLoadBalancers',
      actions: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
      resources: [...loadBalancers, targetGroups],
      conditions: { Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } },
    },
    {
      sid: 'ManageListenersAndRules',
      actions: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:DeleteRule'],
      resources: [...loadBalancers, ...listeners, ...listenerRules],
    },
    {
      sid: 'TagOwnedLoadBalancers',
      actions: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
      resources: [targetGroups, ...loadBalancers],
      conditions: untaggedRequestOnClusterResource,
    },
    { sid: 'TagListenersAndRules', actions: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'], resources: [...listeners, ...listenerRules] },
    {
      sid: 'ModifyOwnedLoadBalancers',
      actions: [
        'elasticloadbalancing:DeleteLoadBalancer',
        'elasticloadbalancing:DeleteTargetGroup',
        'elasticloadbalancing:ModifyCapacityReservation',
        'elasticloadbalancing:ModifyIpPools',
        'elasticloadbalancing:ModifyListenerAttributes',
        'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
        'elasticloadbalancing:SetIpAddressType',
        'elasticloadbalancing:SetSecurityGroups',
        'elasticloadbalancing:SetSubnets',
      ],
      resources: [...loadBalancers, targetGroups, ...listeners],
      conditions: clusterTagged,
    },
    {
      sid: 'TagOnCreate',
      actions: ['elasticloadbalancing:AddTags'],
      resources: [targetGroups, ...loadBalancers],
      conditions: {
        StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateLoadBalancer', 'CreateTargetGroup'] },
        Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' },
      },
    },
    { sid: 'RegisterTargets', actions: ['elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:RegisterTargets'], resources: [targetGroups] },
    {
      sid: 'ModifyListenersAndRules',
      actions: [
        'elasticloadbalancing:AddListenerCertificates',
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:ModifyRule',
        'elasticloadbalancing:RemoveListenerCertificates',
        'elasticloadbalancing:SetRulePriorities',
        'elasticloadbalancing:SetWebAcl',
      ],
      resources: [...loadBalancers, ...listeners, ...listenerRules],
    },
  ];
}

/**
 * The Load Balancer Controller's reads that support no resource-level permissions, so Resource
 * "*": the regional EC2 and ELB Describe/Get calls and ACM listing (limited to the region), and
 * IAM's server-certificate listing (global).
 */
export function loadBalancerControllerReadStatements(region: string): PolicyStatement[] {
  return [
    {
      sid: 'RegionalDiscovery',
      actions: [
        'acm:ListCertificates',
        'ec2:DescribeAccountAttributes',
        'ec2:DescribeAddresses',
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeCoipPools',
        'ec2:DescribeInstances',
        'ec2:DescribeInternetGateways',
        'ec2:DescribeIpamPools',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeRouteTables',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeTags',
        'ec2:DescribeVpcPeeringConnections',
        'ec2:DescribeVpcs',
        'ec2:GetCoipPoolUsage',
        'ec2:GetSecurityGroupsForVpc',
        'elasticloadbalancing:DescribeCapacityReservation',
        'elasticloadbalancing:DescribeListenerAttributes',
        'elasticloadbalancing:DescribeListenerCertificates',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeSSLPolicies',
        'elasticloadbalancing:DescribeTags',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeTrustStores',
      ],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': region } },
    },
    { sid: 'ListServerCertificates', actions: ['iam:ListServerCertificates'], resources: ['*'] },
  ];
}
