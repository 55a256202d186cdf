import { DataAwsEksCluster } from '@cdktf/provider-aws/lib/data-aws-eks-cluster';
import { describe, expect, it } from 'vitest';
import { hasValuePath } from '../../scripts/verify-chart-keys';
import { GaiConfigError } from '../../src/core/errors';
import type { PinnedChart } from '../../src/core/helm/pinned-chart';
import { ADDON_CHARTS, ADDON_SUBCHARTS, type AddonChartName } from '../../src/gpu-training-cluster/addon-charts';
import {
  ClusterAddons,
  GPU_NODE_AFFINITY,
  loadBalancerControllerReadStatements,
  loadBalancerControllerStatements,
  MONITORING_SELECTOR_LABELS,
} from '../../src/gpu-training-cluster/addons';
import type { ClusterAddonsProps } from '../../src/gpu-training-cluster/addons-schema';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { renderNodePoolObjects } from '../../src/gpu-training-cluster/node-pools';
import { GpuNodePoolsPropsSchema } from '../../src/gpu-training-cluster/node-pools-schema';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { byPath, platformStack, policy, resources, synth, type TfJson } from '../support/synth';

const VPC = 'vpc-0123456789abcdef0';
const ACCOUNT_ARN = /^arn:\$\{data\.aws_partition\.[^}]+\}:[a-z0-9-]+:(eu-west-1)?:\$\{data\.aws_caller_identity\.[^}]+\}:/;
const SYSTEM_TOLERATION = { key: 'CriticalAddonsOnly', operator: 'Exists', effect: 'NoSchedule' };
const SYSTEM_SELECTOR = { 'kubernetes.io/os': 'linux', 'gaiops.io/node-pool': 'system' };
const GPU_TOLERATION = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };
const GPU_AFFINITY = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'karpenter.k8s.aws/instance-gpu-manufacturer', operator: 'In', values: ['nvidia'] }] }],
    },
  },
};

type Props = Omit<ClusterAddonsProps, 'cluster' | 'helmProvider'> & { cluster?: ClusterAddonsProps['cluster'] };

function addons(props: Props = {}) {
  const stack = platformStack();
  const { helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
  const construct = new ClusterAddons(stack, 'Addons', { cluster: TEST_CLUSTER, helmProvider: helm, ...props });
  return { stack, construct, json: synth(stack) };
}

/**
 * The values document of a release: `${jsonencode({...})}` as cdktf renders it (HCL object syntax),
 * read back as JSON; references (`data.x.y`) become the string `ref:data.x.y`.
 */
function decodeJsonencode(text: string): any {
  const match = /^\$\{jsonencode\((.*)\)\}$/s.exec(text);
  if (!match) throw new Error(`not a jsonencode expression: ${text.slice(0, 80)}`);
  const src = match[1];
  let out = '';
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === '"') {
      let j = i + 1;
      while (src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (c === '=') {
      out += ':';
      i++;
    } else if (/[A-Za-z0-9_\-]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_.\-[\]]/.test(src[j])) j++;
      const word = src.slice(i, j);
      out += /^(true|false|null|-?\d+(\.\d+)?)$/.test(word) ? word : JSON.stringify(`ref:${word}`);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out);
}

/** helm_release configs by release name. */
function releases(json: TfJson): Record<string, Record<string, any>> {
  return Object.fromEntries(resources(json, 'helm_release').map(([, c]) => [c.name, c]));
}

function values(json: TfJson, name: string): any {
  const release = releases(json)[name];
  if (!release) throw new Error(`no release ${name}`);
  expect(release.values).toHaveLength(1);
  return decodeJsonencode(release.values[0]);
}

function address(json: TfJson, name: string): string {
  const found = resources(json, 'helm_release').find(([, c]) => c.name === name);
  if (!found) throw new Error(`no release ${name}`);
  return `helm_release.${found[0]}`;
}

const DEFAULT_RELEASES = ['prometheus-operator-crds', 'karpenter-crd', 'karpenter', 'nvidia-device-plugin', 'dcgm-exporter', 'kubeflow-trainer', 'keda'];

describe('ClusterAddons defaults', () => {
  const { json } = addons();
  const all = releases(json);

  it('installs the default set, each from its https/oci repository at the catalogue version, atomically through the stack helm provider', () => {
    expect(Object.keys(all).sort()).toEqual([...DEFAULT_RELEASES].sort());
    const byRelease: Record<string, AddonChartName> = {
      'prometheus-operator-crds': 'prometheusOperatorCrds',
      'karpenter-crd': 'karpenterCrd',
      karpenter: 'karpenter',
      'nvidia-device-plugin': 'nvidiaDevicePlugin',
      'dcgm-exporter': 'dcgmExporter',
      'kubeflow-trainer': 'kubeflowTrainer',
      keda: 'keda',
    };
    for (const [name, config] of Object.entries(all)) {
      const chart = ADDON_CHARTS[byRelease[name]];
      expect(config).toMatchObject({ chart: chart.chart, repository: chart.repository, version: chart.version, atomic: true, wait: true, cleanup_on_fail: true, provider: 'helm' });
      expect(config.version).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect(config.repository).toMatch(/^(https|oci):\/\//);
    }
    expect(all.karpenter.repository).toBe('oci://public.ecr.aws/karpenter');
    expect(all['karpenter-crd'].version).toBe(all.karpenter.version);
    expect(all['kubeflow-trainer'].repository).toBe('oci://ghcr.io/kubeflow/charts');
  });

  it('puts each release in its namespace, creating only the dedicated ones', () => {
    const ns = Object.fromEntries(Object.entries(all).map(([n, c]) => [n, [c.namespace, c.create_namespace]]));
    expect(ns).toEqual({
      'prometheus-operator-crds': ['kube-system', false],
      'karpenter-crd': ['kube-system', false],
      karpenter: ['kube-system', false],
      'nvidia-device-plugin': ['kube-system', false],
      'dcgm-exporter': ['kube-system', false],
      'kubeflow-trainer': ['kubeflow-system', true],
      keda: ['keda', true],
    });
  });

  it('orders the releases: CRDs before the charts that render their objects; the controller chart skips the CRDs its CRD chart owns', () => {
    const crds = address(json, 'prometheus-operator-crds');
    expect(all['prometheus-operator-crds'].depends_on).toBeUndefined();
    expect(all['karpenter-crd'].depends_on).toBeUndefined();
    expect(all.karpenter.depends_on).toEqual([address(json, 'karpenter-crd'), crds]);
    expect(all.karpenter.skip_crds).toBe(true);
    expect(all['karpenter-crd'].skip_crds).toBe(false);
    for (const name of ['dcgm-exporter', 'keda']) expect(all[name].depends_on).toEqual([crds]);
    // Neither renders a ServiceMonitor: no reason to wait.
    expect(all['nvidia-device-plugin'].depends_on).toBeUndefined();
    expect(all['kubeflow-trainer'].depends_on).toBeUndefined();
  });

  it('keeps the prometheus-operator CRDs when the release is uninstalled', () => {
    expect(values(json, 'prometheus-operator-crds')).toEqual({ crds: { annotations: { 'helm.sh/resource-policy': 'keep' } } });
  });

  it('configures Karpenter for the cluster: Pod Identity service account, settings, 2 replicas, resources, system nodes, ServiceMonitor', () => {
    expect(values(json, 'karpenter')).toEqual({
      serviceAccount: { create: true, name: 'karpenter' },
      settings: { clusterName: TEST_CLUSTER.clusterName, interruptionQueue: TEST_CLUSTER.interruptionQueueName },
      replicas: 2,
      controller: { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } },
      tolerations: [SYSTEM_TOLERATION],
      nodeSelector: SYSTEM_SELECTOR,
      serviceMonitor: { enabled: true, additionalLabels: { release: 'gaiops-monitoring' } },
    });
    expect(MONITORING_SELECTOR_LABELS).toEqual({ release: 'gaiops-monitoring' });
  });

  it('runs the device plugin and DCGM exporter only on NVIDIA nodes, tolerating the GPU taint only, without NFD/GFD', () => {
    const plugin = values(json, 'nvidia-device-plugin');
    const dcgm = values(json, 'dcgm-exporter');
    for (const v of [plugin, dcgm]) {
      expect(v.affinity).toEqual(GPU_AFFINITY);
      expect(v.tolerations).toEqual([GPU_TOLERATION]);
      expect(v.podSecurityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
      expect(v.resources.requests).toBeDefined();
      expect(v.resources.limits).toBeDefined();
    }
    expect(plugin.gfd).toEqual({ enabled: false });
    expect(plugin.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(dcgm.serviceMonitor).toEqual({ enabled: true, additionalLabels: { release: 'gaiops-monitoring' } });
  });

  it('selects exactly the nodes of the GPU NodePools (their requirement on the same Karpenter label) and tolerates their taint', () => {
    const objects = renderNodePoolObjects(GpuNodePoolsPropsSchema.parse({ cluster: TEST_CLUSTER, gpuPools: [{ name: 'gpu', gpuLimit: 4 }] }), {});
    const pool = objects.find((o) => o.kind === 'NodePool' && o.metadata.name === 'gpu')!;
    const spec = (pool.spec as any).template.spec;
    const term = GPU_NODE_AFFINITY.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0];
    expect(spec.requirements).toContainEqual({ key: term.key, operator: 'In', values: [...term.values] });
    for (const taint of spec.taints) expect(values(json, 'dcgm-exporter').tolerations).toContainEqual({ key: taint.key, operator: 'Exists', effect: taint.effect });
  });

  it('installs Kubeflow Trainer (with the torch-distributed runtime and JobSet) on system nodes', () => {
    expect(values(json, 'kubeflow-trainer')).toEqual({
      manager: { nodeSelector: SYSTEM_SELECTOR, tolerations: [SYSTEM_TOLERATION], resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } } },
      runtimes: {
        torchDistributed: { enabled: true },
        installer: { nodeSelector: SYSTEM_SELECTOR, tolerations: [SYSTEM_TOLERATION], resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } },
      },
      jobset: { controller: { nodeSelector: SYSTEM_SELECTOR, tolerations: [SYSTEM_TOLERATION] } },
    });
  });

  it('installs KEDA with operator, metrics server and webhooks on system nodes, resources set, ServiceMonitors on', () => {
    const v = values(json, 'keda');
    for (const part of ['operator', 'metricsServer', 'webhooks']) expect(v[part]).toEqual({ nodeSelector: SYSTEM_SELECTOR, tolerations: [SYSTEM_TOLERATION] });
    for (const part of ['operator', 'metricServer', 'webhooks']) {
      expect(v.resources[part]).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '1000Mi' } });
      expect(v.prometheus[part]).toEqual({ enabled: true, serviceMonitor: { enabled: true, additionalLabels: { release: 'gaiops-monitoring' } } });
    }
  });

  it('creates no AWS resources without the load balancer controller', () => {
    expect(resources(json, 'aws_iam_role')).toEqual([]);
    expect(resources(json, 'aws_eks_pod_identity_association')).toEqual([]);
  });
});

describe('ClusterAddons options', () => {
  it('passes cluster attributes known only at apply time through as references', () => {
    const stack = platformStack();
    const { helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
    const eks = new DataAwsEksCluster(stack, 'Eks', { name: 'gai-test-training' });
    new ClusterAddons(stack, 'Addons', {
      cluster: { ...TEST_CLUSTER, clusterName: eks.name, interruptionQueueName: eks.id },
      helmProvider: helm,
      loadBalancerController: { enabled: true, vpcId: eks.vpcConfig.get(0).vpcId },
    });
    const json = synth(stack);
    expect(values(json, 'karpenter').settings).toEqual({ clusterName: 'ref:data.aws_eks_cluster.Eks.name', interruptionQueue: 'ref:data.aws_eks_cluster.Eks.id' });
    const lbc = values(json, 'aws-load-balancer-controller');
    expect(lbc.clusterName).toBe('ref:data.aws_eks_cluster.Eks.name');
    expect(lbc.vpcId).toBe('ref:data.aws_eks_cluster.Eks.vpc_config[0].vpc_id');
    expect(byPath(json, 'aws_eks_pod_identity_association', 'Addons/LoadBalancerControllerPodIdentity').cluster_name).toBe('${data.aws_eks_cluster.Eks.name}');
  });

  it('installs Karpenter in the karpenter namespace when the cluster put its Pod Identity association there', () => {
    const { json } = addons({ karpenter: { namespace: 'karpenter', replicas: 3, resources: { requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '1', memory: '1Gi' } } } });
    const all = releases(json);
    expect(all.karpenter.namespace).toBe('karpenter');
    expect(all['karpenter-crd'].namespace).toBe('karpenter');
    expect(values(json, 'karpenter')).toMatchObject({ replicas: 3, controller: { resources: { requests: { cpu: '500m', memory: '768Mi' } } } });
  });

  it('gpuStack gpu-operator: driver and toolkit off, device plugin, DCGM (ServiceMonitor) and NFD on, operands tolerate the GPU taint, controllers on system nodes', () => {
    const { json } = addons({ gpuStack: 'gpu-operator' });
    const all = releases(json);
    expect(all['nvidia-device-plugin']).toBeUndefined();
    expect(all['dcgm-exporter']).toBeUndefined();
    expect(all['gpu-operator']).toMatchObject({ namespace: 'gpu-operator', create_namespace: true, version: ADDON_CHARTS.gpuOperator.version, repository: 'https://helm.ngc.nvidia.com/nvidia' });
    expect(all['gpu-operator'].depends_on).toEqual([address(json, 'prometheus-operator-crds')]);
    const system = { tolerations: [SYSTEM_TOLERATION], nodeSelector: SYSTEM_SELECTOR };
    const nfd = { ...system, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } } };
    expect(values(json, 'gpu-operator')).toEqual({
      driver: { enabled: false },
      toolkit: { enabled: false },
      devicePlugin: { enabled: true },
      dcgmExporter: { enabled: true, serviceMonitor: { enabled: true, additionalLabels: { release: 'gaiops-monitoring' } } },
      nfd: { enabled: true },
      daemonsets: { tolerations: [GPU_TOLERATION] },
      operator: system,
      'node-feature-discovery': { master: nfd, gc: nfd },
    });
  });

  it('prometheusOperatorCrds present: installs no CRDs, still creates ServiceMonitors, waits for nothing', () => {
    const { json } = addons({ prometheusOperatorCrds: 'present', trainingOperators: { kuberay: true } });
    const all = releases(json);
    expect(all['prometheus-operator-crds']).toBeUndefined();
    expect(values(json, 'karpenter').serviceMonitor.enabled).toBe(true);
    expect(values(json, 'dcgm-exporter').serviceMonitor.enabled).toBe(true);
    expect(values(json, 'kuberay-operator').metrics.serviceMonitor.enabled).toBe(true);
    expect(all['dcgm-exporter'].depends_on).toBeUndefined();
    expect(all.karpenter.depends_on).toEqual([address(json, 'karpenter-crd')]);
  });

  it('prometheusOperatorCrds absent: no CRDs and every ServiceMonitor off (DCGM, GPU Operator and KEDA included)', () => {
    const { json } = addons({ prometheusOperatorCrds: 'absent', trainingOperators: { kuberay: true } });
    expect(releases(json)['prometheus-operator-crds']).toBeUndefined();
    expect(values(json, 'karpenter').serviceMonitor).toEqual({ enabled: false, additionalLabels: {} });
    expect(values(json, 'dcgm-exporter').serviceMonitor).toEqual({ enabled: false, additionalLabels: {} });
    expect(values(json, 'kuberay-operator').metrics.serviceMonitor.enabled).toBe(false);
    const keda = values(json, 'keda');
    for (const part of ['operator', 'metricServer', 'webhooks']) expect(keda.prometheus[part]).toEqual({ enabled: false, serviceMonitor: { enabled: false, additionalLabels: {} } });
    const op = addons({ prometheusOperatorCrds: 'absent', gpuStack: 'gpu-operator' }).json;
    expect(values(op, 'gpu-operator').dcgmExporter.serviceMonitor.enabled).toBe(false);
  });

  it.each([
    [{ kubeflowTrainer: true, kuberay: false }, ['kubeflow-trainer']],
    [{ kubeflowTrainer: false, kuberay: true }, ['kuberay-operator']],
    [{ kubeflowTrainer: true, kuberay: true }, ['kubeflow-trainer', 'kuberay-operator']],
    [{ kuberay: true }, ['kubeflow-trainer', 'kuberay-operator']],
  ])('trainingOperators %j installs %j', (trainingOperators, expected) => {
    const { json } = addons({ trainingOperators });
    const names = Object.keys(releases(json)).filter((n) => n === 'kubeflow-trainer' || n === 'kuberay-operator');
    expect(names.sort()).toEqual(expected);
    if (expected.includes('kuberay-operator')) {
      expect(releases(json)['kuberay-operator']).toMatchObject({ namespace: 'kuberay-system', create_namespace: true, repository: 'https://ray-project.github.io/kuberay-helm/' });
      expect(values(json, 'kuberay-operator')).toEqual({
        nodeSelector: SYSTEM_SELECTOR,
        tolerations: [SYSTEM_TOLERATION],
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
        metrics: { serviceMonitor: { enabled: true, additionalLabels: { release: 'gaiops-monitoring' } } },
      });
    }
  });

  it('KEDA can be turned off', () => {
    expect(releases(addons({ keda: { enabled: false } }).json).keda).toBeUndefined();
  });

  it('every controller (not the GPU node agents) runs on the system node group', () => {
    const { json } = addons({ trainingOperators: { kuberay: true }, loadBalancerController: { enabled: true, vpcId: VPC } });
    const placements: [string, any][] = [
      ['karpenter', values(json, 'karpenter')],
      ['kuberay-operator', values(json, 'kuberay-operator')],
      ['kubeflow-trainer', values(json, 'kubeflow-trainer').manager],
      ['jobset', values(json, 'kubeflow-trainer').jobset.controller],
      ['keda', values(json, 'keda').operator],
      ['aws-load-balancer-controller', values(json, 'aws-load-balancer-controller')],
    ];
    for (const [, v] of placements) {
      expect(v.nodeSelector).toEqual(SYSTEM_SELECTOR);
      expect(v.tolerations).toEqual([SYSTEM_TOLERATION]);
    }
  });
});

describe('ClusterAddons load balancer controller', () => {
  const { json, construct } = addons({ loadBalancerController: { enabled: true, vpcId: VPC } });

  it('installs the chart last, after its role, policies and Pod Identity association', () => {
    const lbc = releases(json)['aws-load-balancer-controller'];
    expect(lbc).toMatchObject({ namespace: 'kube-system', version: '3.5.0', repository: 'https://aws.github.io/eks-charts' });
    for (const other of DEFAULT_RELEASES) expect(lbc.depends_on).toContain(address(json, other));
    expect(lbc.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_eks_pod_identity_association\./),
        expect.stringMatching(/^aws_iam_role\./),
        expect.stringMatching(/^aws_iam_role_policy\.Addons_LoadBalancerControllerReadPolicy/),
        expect.stringMatching(/^aws_iam_role_policy\.Addons_LoadBalancerControllerRole_Policy/),
      ]),
    );
    expect(values(json, 'aws-load-balancer-controller')).toEqual({
      clusterName: TEST_CLUSTER.clusterName,
      region: 'eu-west-1',
      vpcId: VPC,
      serviceAccount: { create: true, name: 'aws-load-balancer-controller' },
      replicaCount: 2,
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
      nodeSelector: SYSTEM_SELECTOR,
      tolerations: [SYSTEM_TOLERATION],
      enableWaf: false,
      enableShield: false,
      serviceMonitor: { enabled: true, additionalLabels: { release: 'gaiops-monitoring' } },
    });
  });

  it('binds the service account to a role trusted by Pod Identity only (AssumeRole + TagSession)', () => {
    const association = byPath(json, 'aws_eks_pod_identity_association', 'Addons/LoadBalancerControllerPodIdentity');
    expect(association).toMatchObject({ cluster_name: TEST_CLUSTER.clusterName, namespace: 'kube-system', service_account: 'aws-load-balancer-controller' });
    expect(association.role_arn).toMatch(/^\$\{aws_iam_role\.Addons_LoadBalancerControllerRole_\w+\.arn\}$/);
    const trust = policy(byPath(json, 'aws_iam_role', 'Addons/LoadBalancerControllerRole/Resource').assume_role_policy);
    expect(trust.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]);
    expect(construct.loadBalancerControllerRole).toBeDefined();
  });

  it('grants exact actions, no wildcard action, no iam:PassRole; Resource "*" only in the suppressed read policy', () => {
    const scoped = policy(byPath(json, 'aws_iam_role_policy', 'Addons/LoadBalancerControllerRole/Policy/Resource').policy);
    const reads = byPath(json, 'aws_iam_role_policy', 'Addons/LoadBalancerControllerReadPolicy');
    const readDoc = policy(reads.policy);
    const actions = [...scoped.Statement, ...readDoc.Statement].flatMap((s) => [s.Action].flat());
    for (const a of actions) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
    expect(actions).not.toContain('iam:PassRole');
    for (const s of scoped.Statement) {
      for (const r of [s.Resource].flat()) {
        expect(r).not.toBe('*');
        // This account (and region, for regional services), in the platform's partition.
        expect(r).toMatch(ACCOUNT_ARN);
      }
    }
    const ingress = scoped.Statement.find((s: any) => s.Sid === 'ManageSecurityGroupIngressInVpc');
    expect(ingress.Condition.StringEquals['ec2:Vpc']).toMatch(new RegExp(`^arn:\\$\\{data\\.aws_partition\\.[^}]+\\}:ec2:eu-west-1:\\$\\{data\\.aws_caller_identity\\.[^}]+\\}:vpc/${VPC}$`));
    const regional = readDoc.Statement.find((s: any) => s.Sid === 'RegionalDiscovery');
    expect(regional.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } });
    for (const a of [regional.Action].flat()) expect(a).toMatch(/^(ec2|elasticloadbalancing):(Describe|Get)|^acm:List/);
    expect(reads['//'].gaiops.suppressions).toEqual([expect.objectContaining({ ruleId: 'GAI-IAM-003' })]);
  });

  it('keeps the reference policy tag conditions (elbv2.k8s.aws/cluster) on creation, modification and deletion', () => {
    const statements = loadBalancerControllerStatements({ partition: 'aws', region: 'eu-west-1', accountId: '111122223333', vpcId: VPC });
    const bySid = Object.fromEntries(statements.map((s) => [s.sid, s]));
    expect(bySid.CreateTaggedLoadBalancers.conditions).toEqual({ Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } });
    expect(bySid.ModifyOwnedLoadBalancers.conditions).toEqual({ Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } });
    expect(bySid.ManageOwnedSecurityGroups.conditions).toEqual({ Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } });
    expect(bySid.ManageOwnedSecurityGroups.actions).toContain('ec2:DeleteSecurityGroup');
    expect(bySid.TagOwnedSecurityGroups.conditions).toEqual({ Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'true', 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } });
    expect(bySid.TagOnCreate.conditions?.StringEquals).toEqual({ 'elasticloadbalancing:CreateAction': ['CreateLoadBalancer', 'CreateTargetGroup'] });
    expect(bySid.CreateElbServiceLinkedRole.conditions).toEqual({ StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } });
    // Waf classic and Shield Advanced are off in the chart values, so not granted.
    const all = [...statements, ...loadBalancerControllerReadStatements('eu-west-1')].flatMap((s) => s.actions);
    expect(all.filter((a) => a.startsWith('waf-regional:') || a.startsWith('shield:'))).toEqual([]);
  });

  it.each([
    [{ enabled: true }, /loadBalancerController\.vpcId: is required when the load balancer controller is enabled/],
    [{ enabled: true, vpcId: 'my-vpc' }, /loadBalancerController\.vpcId: must be a VPC id/],
  ])('refuses %j', (loadBalancerController, message) => {
    expect(() => addons({ loadBalancerController })).toThrow(GaiConfigError);
    expect(() => addons({ loadBalancerController })).toThrow(message);
  });
});

describe('ClusterAddons props validation', () => {
  it('refuses disabling every training operator, naming the field and the construct', () => {
    expect(() => addons({ trainingOperators: { kubeflowTrainer: false, kuberay: false } })).toThrow(GaiConfigError);
    expect(() => addons({ trainingOperators: { kubeflowTrainer: false } })).toThrow(/teststack\/Addons: trainingOperators: must enable at least one training operator/);
  });

  it('lists every problem in one error', () => {
    try {
      addons({ trainingOperators: { kubeflowTrainer: false }, gpuStack: 'cuda' as never, karpenter: { replicas: 0 }, loadBalancerController: { enabled: true } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GaiConfigError);
      const fields = (error as GaiConfigError).problems.map((p) => p.fieldPath).sort();
      expect(fields).toEqual(['gpuStack', 'karpenter.replicas', 'loadBalancerController.vpcId', 'trainingOperators']);
    }
  });

  it('refuses resources that are not Kubernetes quantities and unknown props', () => {
    expect(() => addons({ karpenter: { resources: { requests: { cpu: 'one', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } } })).toThrow(/karpenter\.resources\.requests\.cpu: must be a Kubernetes quantity/);
    expect(() => addons({ kedaEnabled: true } as never)).toThrow(GaiConfigError);
  });

  it('takes chart overrides only as whole PinnedCharts: same chart, exact version, Karpenter CRDs matching the controller', () => {
    const newer: PinnedChart = { ...ADDON_CHARTS.keda, version: '2.21.0', appVersion: '2.21.0' };
    expect(releases(addons({ charts: { keda: newer } }).json).keda.version).toBe('2.21.0');
    expect(() => addons({ charts: { keda: '2.21.0' as never } })).toThrow(/charts\.keda: must be a PinnedChart/);
    expect(() => addons({ charts: { keda: { ...newer, version: '~2.21' } } })).toThrow(/charts\.keda: version must be exact/);
    expect(() => addons({ charts: { keda: { ...newer, chart: 'keda-add-ons-http' } } })).toThrow(/charts\.keda: must be the keda chart/);
    expect(() => addons({ charts: { karpenter: { ...ADDON_CHARTS.karpenter, version: '1.15.0' } } })).toThrow(/charts\.karpenterCrd: must be the same version as charts\.karpenter \(1\.15\.0\), is 1\.14\.1/);
    const both = addons({ charts: { karpenter: { ...ADDON_CHARTS.karpenter, version: '1.15.0' }, karpenterCrd: { ...ADDON_CHARTS.karpenterCrd, version: '1.15.0' } } });
    expect(releases(both.json).karpenter.version).toBe('1.15.0');
  });

  it('an override whose verified keys lack a path gaiops sets fails at synth', () => {
    const stale: PinnedChart = { ...ADDON_CHARTS.keda, version: '2.21.0', valueKeys: ADDON_CHARTS.keda.valueKeys.filter((k) => k !== 'webhooks.tolerations') };
    expect(() => addons({ charts: { keda: stale } })).toThrow(/value keys not verified for keda 2\.21\.0.*webhooks\.tolerations/);
  });
});

describe('addon chart catalogue', () => {
  it('pins every chart to an exact version from an https or oci repository, with its upstream source', () => {
    for (const [name, chart] of Object.entries(ADDON_CHARTS)) {
      expect(chart.version, name).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect(chart.appVersion, name).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect(chart.repository, name).toMatch(/^(https|oci):\/\/[a-z0-9.-]+/);
      expect(chart.source, name).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/blob\/[\w.-]+\/.+values\.yaml$/);
      expect(new Set(chart.valueKeys).size, name).toBe(chart.valueKeys.length);
      expect([...chart.valueKeys].sort(), name).toEqual([...chart.valueKeys]);
    }
    expect(ADDON_CHARTS.karpenterCrd.version).toBe(ADDON_CHARTS.karpenter.version);
    for (const [name, subcharts] of Object.entries(ADDON_SUBCHARTS)) {
      for (const alias of Object.keys(subcharts ?? {})) expect(ADDON_CHARTS[name as AddonChartName].valueKeys.some((k) => k.startsWith(`${alias}.`))).toBe(true);
    }
  });

  it('lists exactly the value paths ClusterAddons sets (none unused)', () => {
    const every = [
      addons({ trainingOperators: { kuberay: true }, loadBalancerController: { enabled: true, vpcId: VPC } }).construct,
      addons({ gpuStack: 'gpu-operator' }).construct,
    ];
    const used = new Map<AddonChartName, Record<string, unknown>[]>();
    for (const c of every) for (const [name, r] of Object.entries(c.releases)) used.set(name as AddonChartName, [...(used.get(name as AddonChartName) ?? []), r!.values]);
    expect([...used.keys()].sort()).toEqual(Object.keys(ADDON_CHARTS).sort());
    for (const [name, docs] of used) {
      const unused = ADDON_CHARTS[name].valueKeys.filter((k) => !docs.some((d) => hasValuePath(d, k)));
      expect(unused, name).toEqual([]);
    }
  });
});
