import { Release } from '@cdktf/provider-helm/lib/release';
import { Construct } from 'constructs';
import { packLocalChart, stageChart } from './local-chart';
import { stringify } from 'yaml';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import { helmValues } from '../core/helm/values';
import { AssetType, TerraformAsset } from '../core/tf';
import { GPU_TAINT, NODE_POOL_LABEL } from './labels';
import { GpuNodePoolsPropsSchema, type GpuNodePoolsConfig, type GpuNodePoolsProps } from './node-pools-schema';

export { GPU_TAINT, NODE_POOL_LABEL } from './labels';

export { CHART_HASH_ANNOTATION } from './local-chart';

/** Name of the generated chart. */
export const NODE_POOLS_CHART_NAME = 'gaiops-node-pools';

/**
 * Values known only at apply time (cross-stack references to the cluster), passed to the chart as
 * Helm values and read in the templates with `required … | quote`.
 */
export type ChartValueName = 'clusterName' | 'nodeRoleName' | 'kmsKeyArn';

/** A rendered Kubernetes object (NodePool or EC2NodeClass) before templating. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec: Record<string, unknown>;
}

/** The generated chart: files by chart-relative path, the content hash, and the objects it templates. */
export interface NodePoolsChart {
  readonly files: Readonly<Record<string, string>>;
  /** sha256 (hex) over every file but Chart.yaml (which carries it). */
  readonly hash: string;
  /** `0.0.0-sha256-<first 16 hex of the hash>`. */
  readonly version: string;
  /** The objects, with `{{ .Values.<name> }}` placeholders standing for {@link ChartValueName}s. */
  readonly objects: readonly KubernetesObject[];
}

/** Marks a value resolved by Helm; only `<` and `>` make it unique (never valid in labels or AWS tags). */
const valueRef = (name: ChartValueName): string => `<<gaiops.value.${name}>>`;
const VALUE_REF_PATTERN = /(["']?)<<gaiops\.value\.(clusterName|nodeRoleName|kmsKeyArn)>>\1/g;

interface PoolSpec {
  readonly name: string;
  readonly gpu: boolean;
  readonly instanceFamilies: readonly string[];
  readonly capacityTypes: readonly string[];
  readonly capacityReservationIds: readonly string[];
  readonly architecture: string;
  readonly labels: Record<string, string>;
  readonly consolidationPolicy: string;
  readonly consolidateAfter: string;
  readonly expireAfter: string;
  readonly limits: Record<string, number>;
  readonly disk: { sizeGiB: number; iops: number; throughputMiBps: number };
}

function poolSpecs(p: GpuNodePoolsConfig): PoolSpec[] {
  const pools: PoolSpec[] = p.gpuPools.map((g) => ({
    name: g.name,
    gpu: true,
    instanceFamilies: g.instanceFamilies,
    capacityTypes: g.capacityTypes,
    capacityReservationIds: g.capacityReservationIds,
    architecture: g.architecture,
    labels: g.labels,
    consolidationPolicy: g.consolidationPolicy,
    consolidateAfter: g.consolidateAfter,
    expireAfter: g.expireAfter,
    limits: { 'nvidia.com/gpu': g.gpuLimit },
    disk: g.disk,
  }));
  const c = p.cpuPool;
  if (c.enabled) {
    pools.push({
      name: c.name,
      gpu: false,
      instanceFamilies: c.instanceFamilies,
      capacityTypes: c.capacityTypes,
      capacityReservationIds: c.capacityReservationIds,
      architecture: c.architecture,
      labels: c.labels,
      consolidationPolicy: c.consolidationPolicy,
      consolidateAfter: c.consolidateAfter,
      expireAfter: c.expireAfter,
      limits: { cpu: c.cpuLimit },
      disk: c.disk,
    });
  }
  return pools;
}

/** Sorted copy of a string map (deterministic bytes whatever the insertion order). */
function sorted(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function blockDevices(p: GpuNodePoolsConfig, disk: PoolSpec['disk']): Record<string, unknown>[] {
  const ebs = (sizeGiB: number, iops: number, throughput: number): Record<string, unknown> => ({
    volumeSize: `${sizeGiB}Gi`,
    volumeType: 'gp3',
    iops,
    throughput,
    encrypted: true,
    ...(p.kmsKeyArn !== undefined ? { kmsKeyID: valueRef('kmsKeyArn') } : {}),
    deleteOnTermination: true,
  });
  if (p.ami.family === 'bottlerocket') {
    // Bottlerocket: a small OS volume, and the data volume (images, logs, ephemeral storage).
    return [
      { deviceName: '/dev/xvda', ebs: ebs(4, 3000, 125) },
      { deviceName: '/dev/xvdb', rootVolume: true, ebs: ebs(disk.sizeGiB, disk.iops, disk.throughputMiBps) },
    ];
  }
  return [{ deviceName: '/dev/xvda', rootVolume: true, ebs: ebs(disk.sizeGiB, disk.iops, disk.throughputMiBps) }];
}

/**
 * The Karpenter v1 objects for the props: per pool an EC2NodeClass (IMDSv2 with hop limit 1,
 * encrypted gp3, subnets and security groups by `karpenter.sh/discovery`, the cluster's node role,
 * a pinned AMI alias) and a NodePool (families, capacity types, limits, disruption, taint).
 * Cluster-derived values are `{{ .Values.* }}` placeholders (see {@link ChartValueName}).
 */
export function renderNodePoolObjects(p: GpuNodePoolsConfig, platformTags: Record<string, string>): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  const discovery = { 'karpenter.sh/discovery': valueRef('clusterName') };
  for (const pool of poolSpecs(p)) {
    const labels = sorted({ ...pool.labels, [NODE_POOL_LABEL]: pool.name });
    objects.push({
      apiVersion: 'karpenter.k8s.aws/v1',
      kind: 'EC2NodeClass',
      metadata: { name: pool.name, labels: { 'app.kubernetes.io/managed-by': 'gaiops' } },
      spec: {
        role: valueRef('nodeRoleName'),
        amiSelectorTerms: [{ alias: `${p.ami.family}@${p.ami.version}` }],
        subnetSelectorTerms: [{ tags: discovery }],
        securityGroupSelectorTerms: [{ tags: discovery }],
        ...(pool.capacityReservationIds.length > 0 ? { capacityReservationSelectorTerms: pool.capacityReservationIds.map((id) => ({ id })) } : {}),
        metadataOptions: { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' },
        blockDeviceMappings: blockDevices(p, pool.disk),
        tags: sorted({ ...platformTags, ...p.tags, [NODE_POOL_LABEL]: pool.name }),
      },
    });
    const requirements: Record<string, unknown>[] = [
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: [...pool.instanceFamilies] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: [...pool.capacityTypes] },
      { key: 'kubernetes.io/arch', operator: 'In', values: [pool.architecture] },
      { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
    ];
    if (pool.gpu) requirements.push({ key: 'karpenter.k8s.aws/instance-gpu-manufacturer', operator: 'In', values: ['nvidia'] });
    objects.push({
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: pool.name, labels: { 'app.kubernetes.io/managed-by': 'gaiops' } },
      spec: {
        template: {
          metadata: { labels },
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: pool.name },
            requirements,
            ...(pool.gpu ? { taints: [{ ...GPU_TAINT }] } : {}),
            expireAfter: pool.expireAfter,
          },
        },
        disruption: { consolidationPolicy: pool.consolidationPolicy, consolidateAfter: pool.consolidateAfter },
        limits: pool.limits,
      },
    });
  }
  return objects;
}

/**
 * YAML text for a Helm template: any `{{` in the data is escaped as `{{ "{{" }}` (so Helm prints
 * it literally), then each value placeholder becomes `{{ required "…" .Values.<name> | quote }}`.
 */
export function toHelmTemplate(object: KubernetesObject): string {
  const text = stringify(object, { lineWidth: 0, indent: 2, aliasDuplicateObjects: false });
  return text
    .replace(/\{\{/g, '{{ "{{" }}')
    .replace(VALUE_REF_PATTERN, (_m, _q, name: string) => `{{ required "gaiops: the ${name} value is required" .Values.${name} | quote }}`);
}

/** Renders the whole chart: Chart.yaml, values.yaml and one template per object, deterministically. */
export function renderNodePoolsChart(p: GpuNodePoolsConfig, platformTags: Record<string, string>): NodePoolsChart {
  const objects = renderNodePoolObjects(p, platformTags);
  const content: Record<string, string> = {
    'values.yaml': stringify(p.kmsKeyArn !== undefined ? { clusterName: '', nodeRoleName: '', kmsKeyArn: '' } : { clusterName: '', nodeRoleName: '' }),
  };
  for (const o of objects) content[`templates/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`] = toHelmTemplate(o);
  const { files, hash, version } = packLocalChart(NODE_POOLS_CHART_NAME, 'Karpenter NodePools and EC2NodeClasses generated by gaiops GpuNodePools', content);
  return { files, hash, version, objects };
}


/**
 * Karpenter GPU pools (and a CPU pool) for a GpuTrainingCluster, in a stack after the cluster's
 * and after the one installing Karpenter (which brings the CRDs). The NodePools and EC2NodeClasses
 * ship as a local Helm chart generated at synth (kubernetes_manifest would need the CRDs at plan
 * time), staged as a content-addressed directory asset, and installed by one atomic `helm_release`.
 */
export class GpuNodePools extends Construct {
  readonly release: Release;
  readonly chartAsset: TerraformAsset;
  /** The generated chart (files, hash, version, objects). */
  readonly chart: NodePoolsChart;
  /** Names of the NodePools created, GPU pools first. */
  readonly poolNames: string[];

  constructor(scope: Construct, id: string, props: GpuNodePoolsProps) {
    super(scope, id);
    const p = parseProps(this, GpuNodePoolsPropsSchema, props);
    const ctx = PlatformContext.of(this);
    this.chart = renderNodePoolsChart(p, ctx.tags);
    this.poolNames = poolSpecs(p).map((s) => s.name);

    this.chartAsset = new TerraformAsset(this, 'Chart', { path: stageChart(this.chart), type: AssetType.DIRECTORY, assetHash: this.chart.hash });

    const values: Record<string, string> = { clusterName: p.cluster.clusterName, nodeRoleName: p.cluster.nodeRoleName };
    if (p.kmsKeyArn !== undefined) values.kmsKeyArn = p.kmsKeyArn;
    this.release = new Release(this, 'Release', {
      name: p.releaseName,
      chart: `./${this.chartAsset.path}`,
      namespace: p.namespace,
      createNamespace: false,
      atomic: true,
      wait: true,
      cleanupOnFail: true,
      maxHistory: p.maxHistory,
      timeout: p.timeoutSeconds,
      values: [helmValues(values)],
      provider: p.helmProvider,
    });
  }
}
