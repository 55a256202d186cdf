/**
 * The upstream Helm charts ClusterAddons installs, each pinned to an exact version with the value
 * paths gaiops sets — and only those — verified in that version's upstream `values.yaml`.
 *
 * How each entry was verified (2026-11-26): the upstream repository was fetched with the search
 * tools, the `values.yaml` (and `Chart.yaml`) of the chart were read at the commit that carries the
 * published version, every path below was checked to exist there, and
 * `scripts/verify-chart-keys.ts --chart <name> --values <that values.yaml>` passed. Paths under a
 * subchart alias (`node-feature-discovery.*`, `jobset.*`) were checked against the subchart's own
 * values.yaml at the version its parent's Chart.yaml pins (`--subchart <alias>=<file>`).
 *
 * To bump a chart: change `version`/`appVersion`/`source`, re-read the new values.yaml, re-run the
 * script against it, and update the comment.
 */
import type { PinnedChart } from '../core/helm/pinned-chart';

/**
 * prometheus-operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule, …), v0.93.1.
 * Verified: prometheus-community/helm-charts tag `prometheus-operator-crds-31.0.1`
 * (commit 4529d7bb), charts/prometheus-operator-crds/values.yaml — `crds.annotations` exists (a map
 * applied to every CRD).
 */
export const PROMETHEUS_OPERATOR_CRDS_CHART: PinnedChart = {
  repository: 'https://prometheus-community.github.io/helm-charts',
  chart: 'prometheus-operator-crds',
  version: '31.0.1',
  appVersion: 'v0.93.1',
  source: 'https://github.com/prometheus-community/helm-charts/blob/prometheus-operator-crds-31.0.1/charts/prometheus-operator-crds/values.yaml',
  valueKeys: ['crds.annotations'],
};

/**
 * Karpenter CRDs (NodePool, NodeClaim, EC2NodeClass), installed before the controller chart.
 * Verified: aws/karpenter-provider-aws commit 1d927085 ("docs: update for patch release v1.14.1",
 * the commit whose charts/karpenter-crd/Chart.yaml says 1.14.1 — Karpenter tags `v1.14.1` before its
 * release commit bumps the charts), charts/karpenter-crd/values.yaml. gaiops sets no values.
 */
export const KARPENTER_CRD_CHART: PinnedChart = {
  repository: 'oci://public.ecr.aws/karpenter',
  chart: 'karpenter-crd',
  version: '1.14.1',
  appVersion: '1.14.1',
  source: 'https://github.com/aws/karpenter-provider-aws/blob/1d927085dd81a9df9301e613f371dac5b4d16bfe/charts/karpenter-crd/values.yaml',
  valueKeys: [],
};

/**
 * Karpenter controller 1.14.1: the newest release whose compatibility matrix
 * (website/content/en/docs/upgrading/compatibility.md at that commit) covers Kubernetes 1.35
 * (`>= 1.9`; 1.36 needs `>= 1.13`).
 * Verified: aws/karpenter-provider-aws commit 1d927085, charts/karpenter/values.yaml (controller
 * image tag 1.14.1) — `serviceAccount.create`, `serviceAccount.name`, `settings.clusterName`,
 * `settings.interruptionQueue`, `replicas`, `controller.resources`, `tolerations`, `nodeSelector`,
 * `serviceMonitor.enabled`, `serviceMonitor.additionalLabels` all exist. The chart's own defaults
 * keep the PodDisruptionBudget (`maxUnavailable: 1`), the non-root read-only container and the
 * anti-affinity that keeps Karpenter off the nodes it launches.
 */
export const KARPENTER_CHART: PinnedChart = {
  repository: 'oci://public.ecr.aws/karpenter',
  chart: 'karpenter',
  version: '1.14.1',
  appVersion: '1.14.1',
  source: 'https://github.com/aws/karpenter-provider-aws/blob/1d927085dd81a9df9301e613f371dac5b4d16bfe/charts/karpenter/values.yaml',
  valueKeys: [
    'controller.resources',
    'nodeSelector',
    'replicas',
    'serviceAccount.create',
    'serviceAccount.name',
    'serviceMonitor.additionalLabels',
    'serviceMonitor.enabled',
    'settings.clusterName',
    'settings.interruptionQueue',
    'tolerations',
  ],
};

/**
 * NVIDIA device plugin 0.20.0.
 * Verified: NVIDIA/k8s-device-plugin tag `v0.20.0` (commit 1b826acc),
 * deployments/helm/nvidia-device-plugin/values.yaml — `affinity` (default: NFD/GFD labels
 * `feature.node.kubernetes.io/pci-10de.present`, `…/cpu-model.vendor_id`, `nvidia.com/gpu.present`,
 * which Karpenter nodes do not carry, hence overridden), `tolerations`, `resources`,
 * `securityContext`, `podSecurityContext`, `gfd.enabled` exist. NFD is the `nfd` dependency with
 * condition `nfd.enabled,gfd.enabled` (Chart.yaml); `nfd.enabled` is not in values.yaml, so
 * `gfd.enabled: false` is what turns NFD off.
 */
export const NVIDIA_DEVICE_PLUGIN_CHART: PinnedChart = {
  repository: 'https://nvidia.github.io/k8s-device-plugin',
  chart: 'nvidia-device-plugin',
  version: '0.20.0',
  appVersion: '0.20.0',
  source: 'https://github.com/NVIDIA/k8s-device-plugin/blob/v0.20.0/deployments/helm/nvidia-device-plugin/values.yaml',
  valueKeys: ['affinity', 'gfd.enabled', 'podSecurityContext', 'resources', 'securityContext', 'tolerations'],
};

/**
 * NVIDIA DCGM exporter chart 4.8.2 (image 4.5.3-4.8.2).
 * Verified: NVIDIA/dcgm-exporter tag `4.5.3-4.8.2` (commit 691c9276), deployment/values.yaml —
 * `affinity` (default `{}`), `tolerations` (default control-plane only), `resources`,
 * `podSecurityContext`, `serviceMonitor.enabled`, `serviceMonitor.additionalLabels` exist; the
 * ServiceMonitor template adds `additionalLabels` to the object's labels.
 */
export const DCGM_EXPORTER_CHART: PinnedChart = {
  repository: 'https://nvidia.github.io/dcgm-exporter/helm-charts',
  chart: 'dcgm-exporter',
  version: '4.8.2',
  appVersion: '4.8.2',
  source: 'https://github.com/NVIDIA/dcgm-exporter/blob/4.5.3-4.8.2/deployment/values.yaml',
  valueKeys: ['affinity', 'podSecurityContext', 'resources', 'serviceMonitor.additionalLabels', 'serviceMonitor.enabled', 'tolerations'],
};

/**
 * NVIDIA GPU Operator v26.7.0 (published as chart version v26.7.0; the repository's Chart.yaml
 * holds a `v1.0.0-devel` placeholder the release replaces).
 * Verified: NVIDIA/gpu-operator tag `v26.7.0` (commit 10ee5b36), deployments/gpu-operator/values.yaml
 * — `driver.enabled`, `toolkit.enabled`, `devicePlugin.enabled`, `dcgmExporter.enabled`,
 * `dcgmExporter.serviceMonitor.enabled`, `dcgmExporter.serviceMonitor.additionalLabels`,
 * `nfd.enabled`, `daemonsets.tolerations`, `operator.tolerations`, `operator.nodeSelector`
 * exist. `node-feature-discovery.*` is the NFD subchart (Chart.yaml: 0.19.0, condition
 * `nfd.enabled`): `master.{tolerations,nodeSelector,resources}` and
 * `gc.{tolerations,nodeSelector,resources}` verified in kubernetes-sigs/node-feature-discovery tag
 * `v0.19.0` (commit 45d276ed), deployment/helm/node-feature-discovery/values.yaml.
 */
export const GPU_OPERATOR_CHART: PinnedChart = {
  repository: 'https://helm.ngc.nvidia.com/nvidia',
  chart: 'gpu-operator',
  version: 'v26.7.0',
  appVersion: 'v26.7.0',
  source: 'https://github.com/NVIDIA/gpu-operator/blob/v26.7.0/deployments/gpu-operator/values.yaml',
  valueKeys: [
    'daemonsets.tolerations',
    'dcgmExporter.enabled',
    'dcgmExporter.serviceMonitor.additionalLabels',
    'dcgmExporter.serviceMonitor.enabled',
    'devicePlugin.enabled',
    'driver.enabled',
    'nfd.enabled',
    'node-feature-discovery.gc.nodeSelector',
    'node-feature-discovery.gc.resources',
    'node-feature-discovery.gc.tolerations',
    'node-feature-discovery.master.nodeSelector',
    'node-feature-discovery.master.resources',
    'node-feature-discovery.master.tolerations',
    'operator.nodeSelector',
    'operator.tolerations',
    'toolkit.enabled',
  ],
};

/**
 * KubeRay operator 1.7.0 (RayCluster, RayJob, RayService).
 * Verified: ray-project/kuberay tag `v1.7.0` (commit 59d663ae), helm-chart/kuberay-operator/values.yaml
 * — `nodeSelector`, `tolerations`, `resources`, `metrics.serviceMonitor.enabled`,
 * `metrics.serviceMonitor.additionalLabels` exist; its default container securityContext is already
 * non-root, read-only, no privilege escalation, ALL capabilities dropped.
 */
export const KUBERAY_OPERATOR_CHART: PinnedChart = {
  repository: 'https://ray-project.github.io/kuberay-helm/',
  chart: 'kuberay-operator',
  version: '1.7.0',
  appVersion: 'v1.7.0',
  source: 'https://github.com/ray-project/kuberay/blob/v1.7.0/helm-chart/kuberay-operator/values.yaml',
  valueKeys: ['metrics.serviceMonitor.additionalLabels', 'metrics.serviceMonitor.enabled', 'nodeSelector', 'resources', 'tolerations'],
};

/**
 * Kubeflow Trainer v2.3.0 (TrainJob, TrainingRuntime, ClusterTrainingRuntime —
 * `trainer.kubeflow.org/v1alpha1`; bundles JobSet). Published only as an OCI chart.
 * Verified: kubeflow/trainer tag `v2.3.0` (commit 658725bd), charts/kubeflow-trainer/values.yaml —
 * `manager.{nodeSelector,tolerations,resources}`, `runtimes.torchDistributed.enabled`,
 * `runtimes.installer.{nodeSelector,tolerations,resources}` exist; `jobset.*` is the JobSet subchart
 * (Chart.yaml: 0.12.0, condition `jobset.install`): `controller.{nodeSelector,tolerations}` verified
 * in kubernetes-sigs/jobset tag `v0.12.0` (commit f22e565a), charts/jobset/values.yaml.
 */
export const KUBEFLOW_TRAINER_CHART: PinnedChart = {
  repository: 'oci://ghcr.io/kubeflow/charts',
  chart: 'kubeflow-trainer',
  version: '2.3.0',
  appVersion: 'v2.3.0',
  source: 'https://github.com/kubeflow/trainer/blob/v2.3.0/charts/kubeflow-trainer/values.yaml',
  valueKeys: [
    'jobset.controller.nodeSelector',
    'jobset.controller.tolerations',
    'manager.nodeSelector',
    'manager.resources',
    'manager.tolerations',
    'runtimes.installer.nodeSelector',
    'runtimes.installer.resources',
    'runtimes.installer.tolerations',
    'runtimes.torchDistributed.enabled',
  ],
};

/**
 * KEDA 2.20.2.
 * Verified: kedacore/charts tag `v2.20.2` (commit cbb9bb8c), keda/values.yaml —
 * `{operator,metricsServer,webhooks}.{nodeSelector,tolerations}`,
 * `resources.{operator,metricServer,webhooks}`, `prometheus.{operator,metricServer,webhooks}.enabled`
 * and their `serviceMonitor.{enabled,additionalLabels}` exist; the chart's default security contexts
 * are already non-root, read-only, RuntimeDefault seccomp, ALL capabilities dropped.
 */
export const KEDA_CHART: PinnedChart = {
  repository: 'https://kedacore.github.io/charts',
  chart: 'keda',
  version: '2.20.2',
  appVersion: '2.20.2',
  source: 'https://github.com/kedacore/charts/blob/v2.20.2/keda/values.yaml',
  valueKeys: [
    'metricsServer.nodeSelector',
    'metricsServer.tolerations',
    'operator.nodeSelector',
    'operator.tolerations',
    'prometheus.metricServer.enabled',
    'prometheus.metricServer.serviceMonitor.additionalLabels',
    'prometheus.metricServer.serviceMonitor.enabled',
    'prometheus.operator.enabled',
    'prometheus.operator.serviceMonitor.additionalLabels',
    'prometheus.operator.serviceMonitor.enabled',
    'prometheus.webhooks.enabled',
    'prometheus.webhooks.serviceMonitor.additionalLabels',
    'prometheus.webhooks.serviceMonitor.enabled',
    'resources.metricServer',
    'resources.operator',
    'resources.webhooks',
    'webhooks.nodeSelector',
    'webhooks.tolerations',
  ],
};

/**
 * AWS Load Balancer Controller chart 3.5.0 (controller v3.5.0).
 * Verified: aws/eks-charts commit 52396092 ("aws-load-balancer-controller: v3.5.0"),
 * stable/aws-load-balancer-controller/values.yaml, identical to kubernetes-sigs/aws-load-balancer-controller
 * tag `v3.5.0` helm/aws-load-balancer-controller/values.yaml — `clusterName`, `region`, `vpcId`,
 * `serviceAccount.create`, `serviceAccount.name`, `replicaCount`, `resources`, `nodeSelector`,
 * `tolerations`, `enableWaf`, `enableShield`, `serviceMonitor.enabled`,
 * `serviceMonitor.additionalLabels` exist. The IAM policy follows docs/install/iam_policy.json at
 * that tag (see `loadBalancerControllerStatements`).
 */
export const AWS_LOAD_BALANCER_CONTROLLER_CHART: PinnedChart = {
  repository: 'https://aws.github.io/eks-charts',
  chart: 'aws-load-balancer-controller',
  version: '3.5.0',
  appVersion: 'v3.5.0',
  source: 'https://github.com/aws/eks-charts/blob/5239609242f3430be50fb0b714a24d3ef2b47983/stable/aws-load-balancer-controller/values.yaml',
  valueKeys: [
    'clusterName',
    'enableShield',
    'enableWaf',
    'nodeSelector',
    'region',
    'replicaCount',
    'resources',
    'serviceAccount.create',
    'serviceAccount.name',
    'serviceMonitor.additionalLabels',
    'serviceMonitor.enabled',
    'tolerations',
    'vpcId',
  ],
};

/** Every chart ClusterAddons may install, by catalogue name (the `--chart` of scripts/verify-chart-keys.ts). */
export const ADDON_CHARTS = {
  prometheusOperatorCrds: PROMETHEUS_OPERATOR_CRDS_CHART,
  karpenterCrd: KARPENTER_CRD_CHART,
  karpenter: KARPENTER_CHART,
  nvidiaDevicePlugin: NVIDIA_DEVICE_PLUGIN_CHART,
  dcgmExporter: DCGM_EXPORTER_CHART,
  gpuOperator: GPU_OPERATOR_CHART,
  kuberayOperator: KUBERAY_OPERATOR_CHART,
  kubeflowTrainer: KUBEFLOW_TRAINER_CHART,
  keda: KEDA_CHART,
  awsLoadBalancerController: AWS_LOAD_BALANCER_CONTROLLER_CHART,
} as const satisfies Record<string, PinnedChart>;

export type AddonChartName = keyof typeof ADDON_CHARTS;

/**
 * Subcharts whose values the parent passes through under an alias: value paths starting with
 * `<alias>.` are verified against the subchart's own values.yaml.
 */
export const ADDON_SUBCHARTS: Readonly<Partial<Record<AddonChartName, Readonly<Record<string, string>>>>> = {
  gpuOperator: { 'node-feature-discovery': 'https://github.com/kubernetes-sigs/node-feature-discovery/blob/v0.19.0/deployment/helm/node-feature-discovery/values.yaml' },
  kubeflowTrainer: { jobset: 'https://github.com/kubernetes-sigs/jobset/blob/v0.12.0/charts/jobset/values.yaml' },
};
