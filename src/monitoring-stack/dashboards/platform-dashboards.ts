/**
 * The platform's Grafana dashboards: overview, inference per variant, GPU fleet, drift and
 * fairness, training. Every query reads a metric named in `metric-names.ts`; `$__rate_interval`
 * keeps rates correct whatever the scrape interval.
 */
import {
  DCGM_METRICS,
  DRIFT_METRICS,
  GATEWAY_METRICS,
  KARPENTER_METRICS,
  KUBERAY_METRICS,
  KUBE_STATE_METRICS,
  NODE_EXPORTER_METRICS,
  TRAINING_OPERATOR_METRICS,
  VLLM_METRICS,
} from '../metric-names';
import { dashboard, type Dashboard, type PanelSpec, type QueryVariableSpec } from './model';

const G = GATEWAY_METRICS;
const D = DCGM_METRICS;
const R = '$__rate_interval';

const VARIANT: QueryVariableSpec = { name: 'variant', label: 'Variant', metric: G.requests, labelName: 'variant' };
const MODEL: QueryVariableSpec = { name: 'model', label: 'Model', metric: G.requests, labelName: 'model' };
const GW = 'variant=~"$variant", model=~"$model"';

/** p50/p95/p99 of a gateway histogram by variant. */
function quantiles(metric: string, selector: string): PanelSpec['targets'] {
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (variant, le) (rate(${metric}_bucket{${selector}}[${R}])))`,
    legend: `{{variant}} p${Math.round(q * 100)}`,
  }));
}

/** Platform overview: traffic, errors, latency, spend, GPUs, nodes, model quality at a glance. */
export function platformOverviewDashboard(): Dashboard {
  return dashboard({
    slug: 'platform-overview',
    title: 'gaiops / Platform overview',
    description: 'Traffic, errors, latency and spend of the inference gateway, the GPU fleet, cluster nodes and model quality.',
    tags: ['overview'],
    panels: [
      { type: 'stat', title: 'Requests / s', description: 'Gateway requests per second, all variants.', unit: 'reqps', targets: [{ expr: `sum(rate(${G.requests}[${R}]))` }] },
      {
        type: 'stat',
        title: 'Error ratio',
        description: 'Share of gateway requests answered with a 5xx.',
        unit: 'percentunit',
        thresholds: [{ value: 0.005, color: 'red' }],
        targets: [{ expr: `sum(rate(${G.requests}{code=~"5.."}[${R}])) / sum(rate(${G.requests}[${R}]))` }],
      },
      {
        type: 'stat',
        title: 'Latency p95',
        description: 'Whole-request latency, 95th percentile, all variants.',
        unit: 's',
        targets: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(${G.requestDuration}_bucket[${R}])))` }],
      },
      { type: 'stat', title: 'Spend / hour', description: 'Estimated model cost per hour (USD) at the current rate.', unit: 'currencyUSD', targets: [{ expr: `sum(rate(${G.cost}[${R}])) * 3600` }] },
      {
        type: 'stat',
        title: 'GPU utilization',
        description: 'Average utilization of every GPU (DCGM).',
        unit: 'percent',
        min: 0,
        max: 100,
        targets: [{ expr: `avg(${D.gpuUtil})` }],
      },
      {
        type: 'stat',
        title: 'Idle GPUs',
        description: 'GPUs averaging under 10 % utilization over the last hour (paid for, unused).',
        thresholds: [{ value: 1, color: 'orange' }],
        targets: [{ expr: `count(avg_over_time(${D.gpuUtil}[1h]) < 10) or vector(0)` }],
      },
      {
        type: 'stat',
        title: 'Nodes not ready',
        description: 'Nodes whose Ready condition is not true (kube-state-metrics).',
        thresholds: [{ value: 1, color: 'red' }],
        targets: [{ expr: `sum(${KUBE_STATE_METRICS.nodeStatusCondition}{condition="Ready",status="true"} == bool 0)` }],
      },
      {
        type: 'stat',
        title: 'Models drifting',
        description: 'Model/dataset pairs with dataset drift detected.',
        thresholds: [{ value: 1, color: 'orange' }],
        targets: [{ expr: `sum(${DRIFT_METRICS.datasetDrift}) or vector(0)` }],
      },
      { title: 'Requests / s by variant', description: 'Gateway throughput per variant.', unit: 'reqps', targets: [{ expr: `sum by (variant) (rate(${G.requests}[${R}]))`, legend: '{{variant}}' }] },
      {
        title: 'Error ratio by variant',
        description: 'Share of 5xx answers per variant.',
        unit: 'percentunit',
        targets: [{ expr: `sum by (variant) (rate(${G.requests}{code=~"5.."}[${R}])) / sum by (variant) (rate(${G.requests}[${R}]))`, legend: '{{variant}}' }],
      },
      {
        title: 'Node CPU and memory',
        description: 'Cluster-wide CPU busy share and memory in use (node-exporter).',
        unit: 'percentunit',
        min: 0,
        max: 1,
        targets: [
          { expr: `1 - avg(rate(${NODE_EXPORTER_METRICS.cpuSeconds}{mode="idle"}[${R}]))`, legend: 'CPU busy' },
          { expr: `1 - sum(${NODE_EXPORTER_METRICS.memAvailable}) / sum(${NODE_EXPORTER_METRICS.memTotal})`, legend: 'memory used' },
        ],
      },
      {
        title: 'GPU utilization by node',
        description: 'Average GPU utilization per node (DCGM).',
        unit: 'percent',
        min: 0,
        max: 100,
        targets: [{ expr: `avg by (Hostname) (${D.gpuUtil})`, legend: '{{Hostname}}' }],
      },
    ],
  });
}

/** Inference per variant: throughput, errors, latency, time to first token, tokens, cost, model servers. */
export function inferenceDashboard(): Dashboard {
  return dashboard({
    slug: 'inference',
    title: 'gaiops / Inference by variant',
    description: 'The InferenceService gateway per variant and model, and the vLLM model servers behind it.',
    tags: ['inference'],
    variables: [VARIANT, MODEL],
    panels: [
      { title: 'Requests / s', description: 'Gateway requests per second by variant.', unit: 'reqps', targets: [{ expr: `sum by (variant) (rate(${G.requests}{${GW}}[${R}]))`, legend: '{{variant}}' }] },
      {
        title: 'Error ratio',
        description: 'Share of 5xx answers by variant (the availability SLI).',
        unit: 'percentunit',
        thresholds: [{ value: 0.005, color: 'red' }],
        targets: [{ expr: `sum by (variant) (rate(${G.requests}{${GW}, code=~"5.."}[${R}])) / sum by (variant) (rate(${G.requests}{${GW}}[${R}]))`, legend: '{{variant}}' }],
      },
      { title: 'Latency p50 / p95 / p99', description: 'Whole-request latency quantiles by variant.', unit: 's', targets: quantiles(G.requestDuration, GW) },
      { title: 'Time to first token p50 / p95 / p99', description: 'Request start to first streamed token, by variant.', unit: 's', targets: quantiles(G.timeToFirstToken, GW) },
      {
        title: 'Tokens / s',
        description: 'Input and output tokens per second by variant.',
        unit: 'short',
        targets: [{ expr: `sum by (variant, type) (rate(${G.tokens}{${GW}}[${R}]))`, legend: '{{variant}} {{type}}' }],
      },
      {
        title: 'Cost (USD / hour)',
        description: 'Estimated spend per hour by variant, at the current rate.',
        unit: 'currencyUSD',
        targets: [{ expr: `sum by (variant) (rate(${G.cost}{${GW}}[${R}])) * 3600`, legend: '{{variant}}' }],
      },
      {
        title: 'Upstream errors and retries',
        description: 'Errors talking to the model servers by reason, and retries, by variant.',
        unit: 'reqps',
        targets: [
          { expr: `sum by (variant, reason) (rate(${G.upstreamErrors}{variant=~"$variant"}[${R}]))`, legend: '{{variant}} {{reason}}' },
          { expr: `sum by (variant) (rate(${G.retries}{variant=~"$variant"}[${R}]))`, legend: '{{variant}} retries' },
        ],
      },
      {
        title: 'Circuit breaker state',
        description: '0 closed, 1 half-open, 2 open.',
        unit: 'short',
        min: 0,
        max: 2,
        targets: [{ expr: `max by (variant) (${G.breakerState}{variant=~"$variant"})`, legend: '{{variant}}' }],
      },
      {
        title: 'Rate-limited requests / s',
        description: 'Requests rejected by per-key limits, by limit.',
        unit: 'reqps',
        targets: [{ expr: `sum by (limit) (rate(${G.rateLimited}[${R}]))`, legend: '{{limit}}' }],
      },
      {
        title: 'Model server queue',
        description: 'vLLM requests waiting and running, per model.',
        unit: 'short',
        targets: [
          { expr: `sum by (model_name) (${VLLM_METRICS.requestsWaiting})`, legend: '{{model_name}} waiting' },
          { expr: `sum by (model_name) (${VLLM_METRICS.requestsRunning})`, legend: '{{model_name}} running' },
        ],
      },
      {
        title: 'KV cache usage',
        description: 'vLLM GPU KV-cache usage per model server (1 = full).',
        unit: 'percentunit',
        min: 0,
        max: 1,
        targets: [{ expr: `max by (model_name) (${VLLM_METRICS.kvCacheUsage})`, legend: '{{model_name}}' }],
      },
      {
        title: 'Model server TTFT p95',
        description: 'Time to first token measured inside vLLM (excludes the gateway).',
        unit: 's',
        targets: [{ expr: `histogram_quantile(0.95, sum by (model_name, le) (rate(${VLLM_METRICS.timeToFirstToken}_bucket[${R}])))`, legend: '{{model_name}}' }],
      },
    ],
  });
}

/** GPU fleet (DCGM exporter): utilization, memory, temperature, power, XID errors per GPU. */
export function gpuFleetDashboard(): Dashboard {
  const sel = 'Hostname=~"$node"';
  return dashboard({
    slug: 'gpu-fleet',
    title: 'gaiops / GPU fleet',
    description: 'Every GPU in the cluster, from the NVIDIA DCGM exporter.',
    tags: ['gpu'],
    variables: [{ name: 'node', label: 'Node', metric: D.gpuUtil, labelName: 'Hostname' }],
    panels: [
      { type: 'stat', title: 'GPUs', description: 'GPUs reporting.', targets: [{ expr: `count(${D.gpuUtil}{${sel}})` }] },
      { type: 'stat', title: 'Average utilization', description: 'Mean utilization of the selected GPUs.', unit: 'percent', targets: [{ expr: `avg(${D.gpuUtil}{${sel}})` }] },
      { type: 'stat', title: 'Power draw', description: 'Total power draw of the selected GPUs.', unit: 'watt', targets: [{ expr: `sum(${D.power}{${sel}})` }] },
      {
        type: 'stat',
        title: 'GPUs with XID errors',
        description: 'GPUs whose last XID error code is non-zero.',
        thresholds: [{ value: 1, color: 'red' }],
        targets: [{ expr: `count(${D.xidErrors}{${sel}} > 0) or vector(0)` }],
      },
      { title: 'Utilization', description: 'Per GPU.', unit: 'percent', min: 0, max: 100, targets: [{ expr: `${D.gpuUtil}{${sel}}`, legend: '{{Hostname}} gpu{{gpu}}' }] },
      {
        title: 'Framebuffer used',
        description: 'Share of GPU memory in use, per GPU.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: [{ value: 0.95, color: 'red' }],
        targets: [{ expr: `${D.memUsed}{${sel}} / (${D.memUsed}{${sel}} + ${D.memFree}{${sel}})`, legend: '{{Hostname}} gpu{{gpu}}' }],
      },
      {
        title: 'Temperature',
        description: 'Per GPU.',
        unit: 'celsius',
        thresholds: [{ value: 85, color: 'red' }],
        targets: [{ expr: `${D.gpuTemp}{${sel}}`, legend: '{{Hostname}} gpu{{gpu}}' }],
      },
      { title: 'Power', description: 'Per GPU.', unit: 'watt', targets: [{ expr: `${D.power}{${sel}}`, legend: '{{Hostname}} gpu{{gpu}}' }] },
      {
        title: 'Utilization by workload namespace',
        description: 'Average GPU utilization per namespace of the pods using them (DCGM Kubernetes mapping).',
        unit: 'percent',
        targets: [{ expr: `avg by (namespace) (${D.gpuUtil}{${sel}, namespace!=""})`, legend: '{{namespace}}' }],
      },
      { title: 'Last XID error', description: 'XID code per GPU (0 = none).', targets: [{ expr: `${D.xidErrors}{${sel}}`, legend: '{{Hostname}} gpu{{gpu}}' }] },
    ],
  });
}

/** Drift and fairness reports of the detector, per model and dataset. */
export function driftFairnessDashboard(): Dashboard {
  const sel = 'model=~"$model", dataset=~"$dataset"';
  return dashboard({
    slug: 'drift-fairness',
    title: 'gaiops / Drift and fairness',
    description: 'Data drift (share of drifted columns, per-column scores) and fairness metrics from the MonitoringStack detector.',
    tags: ['drift', 'fairness'],
    variables: [
      { name: 'model', label: 'Model', metric: DRIFT_METRICS.driftShare, labelName: 'model' },
      { name: 'dataset', label: 'Dataset', metric: DRIFT_METRICS.driftShare, labelName: 'dataset' },
    ],
    panels: [
      {
        type: 'stat',
        title: 'Datasets drifting',
        description: 'Model/dataset pairs with dataset drift.',
        thresholds: [{ value: 1, color: 'orange' }],
        targets: [{ expr: `sum(${DRIFT_METRICS.datasetDrift}{${sel}}) or vector(0)` }],
      },
      {
        type: 'stat',
        title: 'Hours since last run',
        description: 'Age of the oldest latest run among the selected models.',
        unit: 'h',
        thresholds: [{ value: 26, color: 'red' }],
        targets: [{ expr: `(time() - min(${DRIFT_METRICS.lastRun}{${sel}})) / 3600` }],
      },
      {
        title: 'Share of drifted columns',
        description: 'Per model and dataset (drift when above the dataset threshold).',
        unit: 'percentunit',
        min: 0,
        max: 1,
        targets: [{ expr: `${DRIFT_METRICS.driftShare}{${sel}}`, legend: '{{model}} / {{dataset}}' }],
      },
      {
        title: 'Drifted columns',
        description: 'Columns flagged by their statistical test.',
        targets: [{ expr: `${DRIFT_METRICS.columnDrift}{${sel}} == 1`, legend: '{{model}} {{column}} ({{test}})' }],
      },
      {
        title: 'Column drift scores',
        description: 'Score of each column\'s test (p-value or distance).',
        targets: [{ expr: `${DRIFT_METRICS.columnScore}{${sel}}`, legend: '{{model}} {{column}} ({{test}})' }],
      },
      {
        title: 'Disparate impact',
        description: 'Minimum selection-rate ratio between groups; under 0.8 fails the four-fifths rule.',
        min: 0,
        max: 1,
        thresholds: [{ value: 0.8, color: 'green' }],
        targets: [{ expr: `${DRIFT_METRICS.disparateImpact}{model=~"$model"}`, legend: '{{model}} {{attribute}}' }],
      },
      {
        title: 'Demographic parity and equalized odds differences',
        description: 'Max − min selection rate, and the equalized-odds difference when labels exist.',
        targets: [
          { expr: `${DRIFT_METRICS.demographicParityDifference}{model=~"$model"}`, legend: '{{model}} {{attribute}} parity' },
          { expr: `${DRIFT_METRICS.equalizedOddsDifference}{model=~"$model"}`, legend: '{{model}} {{attribute}} odds' },
        ],
      },
    ],
  });
}

/** Training: batch Jobs (Kubeflow Trainer v2 TrainJobs run as JobSets of them), Kubeflow training-operator v1 and KubeRay jobs, GPU use by namespace, node launches. */
export function trainingDashboard(): Dashboard {
  const ns = 'namespace=~"$namespace"';
  return dashboard({
    slug: 'training',
    title: 'gaiops / Training',
    description: 'Training jobs (batch Jobs, Kubeflow training operator, KubeRay), their GPUs, and Karpenter capacity.',
    tags: ['training'],
    variables: [{ name: 'namespace', label: 'Namespace', metric: KUBE_STATE_METRICS.jobStatusActive, labelName: 'namespace' }],
    panels: [
      { type: 'stat', title: 'Active job pods', description: 'Pods running in batch Jobs.', targets: [{ expr: `sum(${KUBE_STATE_METRICS.jobStatusActive}{${ns}}) or vector(0)` }] },
      {
        type: 'stat',
        title: 'Jobs with failed pods',
        description: 'Batch Jobs with at least one failed pod.',
        thresholds: [{ value: 1, color: 'red' }],
        targets: [{ expr: `count(${KUBE_STATE_METRICS.jobStatusFailed}{${ns}} > 0) or vector(0)` }],
      },
      {
        type: 'stat',
        title: 'Failed RayJobs',
        description: 'RayJobs in Failed or ValidationFailed.',
        thresholds: [{ value: 1, color: 'red' }],
        targets: [{ expr: `count(${KUBERAY_METRICS.jobDeploymentStatus}{${ns}, deployment_status=~"Failed|ValidationFailed"}) or vector(0)` }],
      },
      {
        type: 'stat',
        title: 'Kubeflow v1 jobs failed (24 h)',
        description: 'Jobs the Kubeflow training-operator v1 (PyTorchJob, …) marked failed in the last day; empty with Kubeflow Trainer v2, whose TrainJobs show up as batch Jobs.',
        thresholds: [{ value: 1, color: 'red' }],
        targets: [{ expr: `sum(increase(${TRAINING_OPERATOR_METRICS.jobsFailed}{job_namespace=~"$namespace"}[1d])) or vector(0)` }],
      },
      {
        title: 'Batch Job pods',
        description: 'Active, succeeded and failed pods of batch Jobs per namespace.',
        targets: [
          { expr: `sum by (namespace) (${KUBE_STATE_METRICS.jobStatusActive}{${ns}})`, legend: '{{namespace}} active' },
          { expr: `sum by (namespace) (${KUBE_STATE_METRICS.jobStatusSucceeded}{${ns}})`, legend: '{{namespace}} succeeded' },
          { expr: `sum by (namespace) (${KUBE_STATE_METRICS.jobStatusFailed}{${ns}})`, legend: '{{namespace}} failed' },
        ],
      },
      {
        title: 'Kubeflow v1 training jobs / hour',
        description: 'Created, successful, failed and restarted jobs per framework (training-operator v1; empty with Kubeflow Trainer v2).',
        targets: [
          { expr: `sum by (framework) (increase(${TRAINING_OPERATOR_METRICS.jobsCreated}{job_namespace=~"$namespace"}[1h]))`, legend: '{{framework}} created' },
          { expr: `sum by (framework) (increase(${TRAINING_OPERATOR_METRICS.jobsSuccessful}{job_namespace=~"$namespace"}[1h]))`, legend: '{{framework}} succeeded' },
          { expr: `sum by (framework) (increase(${TRAINING_OPERATOR_METRICS.jobsFailed}{job_namespace=~"$namespace"}[1h]))`, legend: '{{framework}} failed' },
          { expr: `sum by (framework) (increase(${TRAINING_OPERATOR_METRICS.jobsRestarted}{job_namespace=~"$namespace"}[1h]))`, legend: '{{framework}} restarted' },
        ],
      },
      {
        title: 'RayJobs by status',
        description: 'RayJobs per deployment status (KubeRay).',
        targets: [{ expr: `count by (deployment_status) (${KUBERAY_METRICS.jobDeploymentStatus}{${ns}})`, legend: '{{deployment_status}}' }],
      },
      {
        title: 'GPU utilization by namespace',
        description: 'Average utilization of the GPUs used by training pods, per namespace (DCGM).',
        unit: 'percent',
        targets: [{ expr: `avg by (namespace) (${DCGM_METRICS.gpuUtil}{${ns}})`, legend: '{{namespace}}' }],
      },
      {
        title: 'Karpenter node launches and launch errors',
        description: 'NodeClaims created per NodePool, and cloud-provider Create errors by type.',
        targets: [
          { expr: `sum by (nodepool) (increase(${KARPENTER_METRICS.nodeClaimsCreated}[1h]))`, legend: '{{nodepool}} created / h' },
          { expr: `sum by (error) (increase(${KARPENTER_METRICS.cloudProviderErrors}{method="Create"}[1h]))`, legend: '{{error}} / h' },
        ],
      },
    ],
  });
}

/** Every platform dashboard, in a stable order. */
export function platformDashboards(): Dashboard[] {
  return [platformOverviewDashboard(), inferenceDashboard(), gpuFleetDashboard(), driftFairnessDashboard(), trainingDashboard()];
}
