import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { z } from 'zod';
import type { PinnedChart } from '../core/helm/pinned-chart';
import { instanceOf, isToken } from '../core/props';
import { ADDON_CHARTS, type AddonChartName } from './addon-charts';
import type { ClusterReference } from './cluster';

const ClusterReferenceSchema = z.custom<ClusterReference>(
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    typeof (v as ClusterReference).clusterName === 'string' &&
    typeof (v as ClusterReference).interruptionQueueName === 'string',
  'must be a ClusterReference (GpuTrainingCluster.reference())',
);

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$/;
const QuantitySchema = z.string().regex(QUANTITY, 'must be a Kubernetes quantity such as 500m, 1, 512Mi or 1Gi');

export const ResourcesSchema = z.strictObject({
  requests: z.strictObject({ cpu: QuantitySchema, memory: QuantitySchema }).describe('Requests (`cpu`, `memory`).'),
  limits: z.strictObject({ cpu: QuantitySchema, memory: QuantitySchema }).describe('Limits (`cpu`, `memory`).'),
});
export type Resources = z.output<typeof ResourcesSchema>;

/** Karpenter's documented starting point: 1 vCPU and 1 GiB, requests equal to limits. */
export const KARPENTER_DEFAULT_RESOURCES: Resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };

const ExactVersion = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** A PinnedChart replacing a catalogue entry: the same chart, an exact version, its own verified keys. */
const chartOverride = (name: AddonChartName) =>
  z
    .custom<PinnedChart>(
      (v) =>
        v !== null &&
        typeof v === 'object' &&
        typeof (v as PinnedChart).version === 'string' &&
        typeof (v as PinnedChart).repository === 'string' &&
        Array.isArray((v as PinnedChart).valueKeys),
      'must be a PinnedChart (repository, chart, version, appVersion, source, valueKeys)',
    )
    .refine((c) => c.chart === ADDON_CHARTS[name].chart, `must be the ${ADDON_CHARTS[name].chart} chart`)
    .refine((c) => ExactVersion.test(c.version), 'version must be exact (such as 1.2.3), not a range')
    .refine((c) => /^(https|oci):\/\//.test(c.repository), 'repository must be https:// or oci://')
    .optional()
    .describe(`Replaces the catalogue's \`${ADDON_CHARTS[name].chart}\` ${ADDON_CHARTS[name].version}. Default the catalogue entry.`);

const ChartsSchema = z
  .strictObject(Object.fromEntries(Object.keys(ADDON_CHARTS).map((name) => [name, chartOverride(name as AddonChartName)])) as Record<AddonChartName, ReturnType<typeof chartOverride>>)
  .default({})
  .describe(
    'Chart overrides by catalogue name (`src/gpu-training-cluster/addon-charts.ts`): a whole PinnedChart whose `valueKeys` were verified for its version, never a bare version string. Default the catalogue.',
  );

export const ClusterAddonsPropsSchema = z
  .strictObject({
    cluster: ClusterReferenceSchema.describe('The cluster (GpuTrainingCluster `reference()`): name, interruption queue.'),
    helmProvider: instanceOf(HelmProvider, 'HelmProvider')
      .optional()
      .describe("Helm provider of the add-ons stack, e.g. `ClusterProviders.configure(…).helm`. Default the stack's default `helm` provider."),
    prometheusOperatorCrds: z
      .enum(['install', 'present', 'absent'])
      .default('install')
      .describe(
        '`install`: install the prometheus-operator CRDs first (the MonitoringStack installs kube-prometheus-stack with its CRDs off); `present`: the cluster already has them (nothing installed); with either, every chart creates its ServiceMonitor. `absent`: no CRDs and no ServiceMonitors. Default `install`.',
      ),
    karpenter: z
      .strictObject({
        namespace: z
          .enum(['kube-system', 'karpenter'])
          .default('kube-system')
          .describe('Namespace of the controller: must equal GpuTrainingCluster `karpenterNamespace` (its Pod Identity association). Default `kube-system`.'),
        replicas: z.number().int().min(1).max(5).default(2).describe('Controller replicas (leader election; the chart keeps a PodDisruptionBudget of maxUnavailable 1). Default 2.'),
        resources: ResourcesSchema.default(KARPENTER_DEFAULT_RESOURCES).describe('Controller resources. Default 1 CPU / 1Gi, requests = limits.'),
      })
      .default({ namespace: 'kube-system', replicas: 2, resources: KARPENTER_DEFAULT_RESOURCES })
      .describe('The Karpenter controller (karpenter-crd then karpenter, same version). Default 2 replicas in `kube-system`.'),
    gpuStack: z
      .enum(['device-plugin', 'gpu-operator'])
      .default('device-plugin')
      .describe(
        '`device-plugin`: NVIDIA device plugin + DCGM exporter on GPU nodes only (EKS NVIDIA AMIs ship driver and toolkit). `gpu-operator`: NVIDIA GPU Operator with driver and toolkit off, device plugin, DCGM exporter and NFD on. Default `device-plugin`.',
      ),
    trainingOperators: z
      .strictObject({
        kubeflowTrainer: z
          .boolean()
          .default(true)
          .describe('Kubeflow Trainer v2 (TrainJob, TrainingRuntime, ClusterTrainingRuntime in `trainer.kubeflow.org/v1alpha1`, plus JobSet) with the `torch-distributed` ClusterTrainingRuntime. It does NOT serve kubeflow.org/v1 PyTorchJob. Default `true`.'),
        kuberay: z.boolean().default(false).describe('KubeRay operator (RayCluster, RayJob, RayService in `ray.io/v1`). Default `false`.'),
      })
      .default({ kubeflowTrainer: true, kuberay: false })
      .describe('Training operators (at least one). Default Kubeflow Trainer only.'),
    keda: z
      .strictObject({ enabled: z.boolean().default(true).describe('Install KEDA. Default `true`.') })
      .default({ enabled: true })
      .describe('KEDA (ScaledObjects autoscale the InferenceService model servers). Default on.'),
    loadBalancerController: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Install the AWS Load Balancer Controller. Default `false`.'),
        vpcId: z
          .string()
          .refine((v) => isToken(v) || /^vpc-[0-9a-f]{8,17}$/.test(v), 'must be a VPC id such as vpc-0123456789abcdef0')
          .optional()
          .describe('VPC of the cluster (required when enabled: pods cannot read it from IMDS, whose hop limit is 1). Default none.'),
      })
      .default({ enabled: false })
      .describe('AWS Load Balancer Controller (the InferenceService ingress needs it), with a Pod Identity role. Default off.'),
    charts: ChartsSchema,
  })
  .superRefine(
    (p, ctx) => {
      const ops = p.trainingOperators as unknown;
      if (ops !== null && typeof ops === 'object') {
        const { kubeflowTrainer, kuberay } = ops as { kubeflowTrainer?: unknown; kuberay?: unknown };
        if (kubeflowTrainer === false && kuberay === false) {
          ctx.addIssue({ code: 'custom', path: ['trainingOperators'], message: 'must enable at least one training operator (kubeflowTrainer or kuberay)' });
        }
      }
      const lbc = p.loadBalancerController as unknown;
      if (lbc !== null && typeof lbc === 'object' && (lbc as { enabled?: unknown }).enabled === true && (lbc as { vpcId?: unknown }).vpcId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['loadBalancerController', 'vpcId'], message: 'is required when the load balancer controller is enabled' });
      }
      const charts = p.charts as unknown;
      if (charts !== null && typeof charts === 'object') {
        const crd = (charts as Record<string, PinnedChart | undefined>).karpenterCrd ?? ADDON_CHARTS.karpenterCrd;
        const main = (charts as Record<string, PinnedChart | undefined>).karpenter ?? ADDON_CHARTS.karpenter;
        if (typeof crd?.version === 'string' && typeof main?.version === 'string' && crd.version !== main.version) {
          ctx.addIssue({ code: 'custom', path: ['charts', 'karpenterCrd'], message: `must be the same version as charts.karpenter (${main.version}), is ${crd.version}` });
        }
      }
    },
    { when: () => true },
  );

export type ClusterAddonsProps = z.input<typeof ClusterAddonsPropsSchema>;
export type ClusterAddonsConfig = z.output<typeof ClusterAddonsPropsSchema>;
