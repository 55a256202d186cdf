/**
 * The platform's alert and recording rules: gateway SLOs (multi-window multi-burn-rate), inference
 * latency and saturation, the GPU fleet, cluster capacity, training jobs and model quality. Every
 * threshold is an option with a documented default; metric names come from `metric-names.ts`.
 */
import { z } from 'zod';
import { parseProps } from '../../core/props';
import {
  DCGM_METRICS,
  DRIFT_METRICS,
  GATEWAY_LATENCY_BUCKETS,
  GATEWAY_METRICS,
  KARPENTER_METRICS,
  KUBERAY_METRICS,
  KUBE_STATE_METRICS,
  TRAINING_OPERATOR_METRICS,
  VLLM_METRICS,
} from '../metric-names';
import { burnRateRules, leMatcher } from './burn-rate';
import { PROMETHEUS_DURATION, type AlertRule, type RuleGroup } from './model';

const Objective = z.number().gt(0.5, 'must be above 0.5').lt(1, 'must be below 1 (a fraction such as 0.995)');
const Duration = z.string().regex(PROMETHEUS_DURATION, 'must be a Prometheus duration such as 30s, 5m, 1h');

export const PlatformRulesOptionsSchema = z.strictObject({
  availabilityObjective: Objective.default(0.995).describe('Gateway availability SLO: share of requests per variant answered without a server error. Default 0.995 (99.5 %).'),
  errorStatusRegex: z
    .string()
    .min(1)
    .default('5..')
    .describe('Regex of the HTTP `code` values counted as errors by the availability SLO (rate limiting, 429, is the client\'s budget, not ours). Default `5..`.'),
  latencyObjective: Objective.default(0.99).describe('Gateway latency SLO: share of requests per variant completed within `latencyThresholdSeconds`. Default 0.99 (99 %).'),
  latencyThresholdSeconds: z
    .number()
    .refine((v) => GATEWAY_LATENCY_BUCKETS.includes(v), `must be a bucket bound of the gateway latency histogram (${GATEWAY_LATENCY_BUCKETS.join(', ')})`)
    .default(2.5)
    .describe('Latency SLO threshold in seconds; a bucket bound of the gateway histogram. Default 2.5.'),
  ttftP95Seconds: z.number().positive().default(2).describe('Alert when the p95 time to first token of a variant stays above this (seconds) for 10 minutes. Default 2.'),
  queueDepth: z.number().int().positive().default(20).describe('Alert when the requests waiting in vLLM for one model (summed over its replicas) stay above this for 10 minutes. Default 20.'),
  gpuIdlePercent: z.number().gt(0).lt(100).default(10).describe('A GPU is idle (paid for, unused) when its utilization averages below this percentage. Default 10.'),
  gpuIdleFor: Duration.default('1h').describe('How long a GPU must stay idle before the idle-spend alert fires. Default 1h.'),
  gpuMemoryUsedRatio: z.number().gt(0).lt(1).default(0.95).describe('Alert when a GPU\'s framebuffer is fuller than this fraction for 15 minutes (vLLM preallocates 0.9 by default). Default 0.95.'),
  gpuTemperatureCelsius: z.number().int().min(50).max(110).default(85).describe('Alert when a GPU is hotter than this (°C) for 10 minutes. Default 85.'),
  karpenterCreateErrors: z.number().int().positive().default(3).describe('Alert when Karpenter\'s cloud-provider Create calls fail more than this many times in 15 minutes (per error type). Default 3.'),
  trainingNamespaceRegex: z.string().min(1).default('.+').describe('Regex of the namespaces whose batch Jobs are training jobs (team namespaces). Default `.+` (every namespace).'),
  kubeflowTrainingOperatorV1: z
    .boolean()
    .default(false)
    .describe(
      'Also alert on Kubeflow training-operator v1 job failures (PyTorchJob …, `training_operator_jobs_failed_total`). Default false: the add-on layer installs Kubeflow Trainer v2, which exports no job metrics; its TrainJobs run as JobSets of batch Jobs, which `TrainingJobFailed` covers.',
    ),
  rateLimitedPerSecond: z.number().positive().default(5).describe('Alert when the gateway rejects more than this many requests per second for one key and limit, for 10 minutes. Default 5.'),
  breakerOpenFor: Duration.default('2m').describe('Alert when a variant\'s circuit breaker stays open this long. Default 2m.'),
  disparateImpactMin: z.number().gt(0).lte(1).default(0.8).describe('Alert when a model\'s disparate-impact ratio falls below this (the four-fifths rule). Default 0.8.'),
  driftStaleAfterSeconds: z.number().int().positive().default(93600).describe('Alert when the drift detector has not completed a run for a model for this many seconds. Default 93600 (26 h: a daily schedule plus slack).'),
  runbookBaseUrl: z.url().optional().describe('Base URL of the runbooks; each alert gets `runbook_url = <base>/<AlertName>`. Default none.'),
});
export type PlatformRulesOptions = z.input<typeof PlatformRulesOptionsSchema>;
export type PlatformRulesConfig = z.output<typeof PlatformRulesOptionsSchema>;

/** Names of the rule groups, in evaluation order. */
export const PLATFORM_RULE_GROUPS = {
  gatewaySlo: 'gaiops-gateway-slo',
  inference: 'gaiops-inference',
  gpu: 'gaiops-gpu',
  cluster: 'gaiops-cluster',
  training: 'gaiops-training',
  modelQuality: 'gaiops-model-quality',
} as const;

const G = GATEWAY_METRICS;

/** The alert and recording rule groups for the options (validated; bad options → GaiConfigError). */
export function platformRuleGroups(options: PlatformRulesOptions = {}, scope = 'PlatformRules'): RuleGroup[] {
  const o = parseProps(scope, PlatformRulesOptionsSchema, options);
  const runbook = (alert: string): { runbook?: string } => (o.runbookBaseUrl ? { runbook: `${o.runbookBaseUrl.replace(/\/+$/, '')}/${alert}` } : {});
  const alert = (a: Omit<AlertRule, 'labels' | 'runbook'> & { labels?: Record<string, string> }): AlertRule => ({ labels: {}, ...a, ...runbook(a.alert) });

  const availability = burnRateRules({
    alertPrefix: 'GatewayAvailability',
    slo: 'gateway-availability',
    objective: o.availabilityObjective,
    promise: `${o.availabilityObjective * 100} % of gateway requests per variant succeed`,
    sli: {
      name: 'gaiops_gateway_errors',
      by: ['variant'],
      ratio: (w) =>
        `sum by (variant) (rate(${G.requests}{code=~"${o.errorStatusRegex}"}[${w}]))\n/\nsum by (variant) (rate(${G.requests}[${w}]))`,
    },
    ...runbook('GatewayAvailabilityBudgetBurn'),
  });
  const latency = burnRateRules({
    alertPrefix: 'GatewayLatency',
    slo: 'gateway-latency',
    objective: o.latencyObjective,
    promise: `${o.latencyObjective * 100} % of gateway requests per variant complete within ${o.latencyThresholdSeconds} s`,
    sli: {
      name: 'gaiops_gateway_slow_requests',
      by: ['variant'],
      ratio: (w) =>
        `1 - (\n  sum by (variant) (rate(${G.requestDuration}_bucket{${leMatcher(o.latencyThresholdSeconds)}}[${w}]))\n  /\n  sum by (variant) (rate(${G.requestDuration}_count[${w}]))\n)`,
    },
    ...runbook('GatewayLatencyBudgetBurn'),
  });

  return [
    {
      name: PLATFORM_RULE_GROUPS.gatewaySlo,
      rules: [...availability.recording, ...latency.recording, ...availability.alerts, ...latency.alerts],
    },
    {
      name: PLATFORM_RULE_GROUPS.inference,
      rules: [
        alert({
          alert: 'GatewayTimeToFirstTokenHigh',
          expr: `histogram_quantile(0.95, sum by (variant, le) (rate(${G.timeToFirstToken}_bucket[5m]))) > ${o.ttftP95Seconds}`,
          for: '10m',
          severity: 'warning',
          summary: 'Variant {{ $labels.variant }}: p95 time to first token above ' + `${o.ttftP95Seconds} s`,
          description: `The 95th percentile of the time from request to first streamed token for variant {{ $labels.variant }} has stayed above ${o.ttftP95Seconds} s for 10 minutes. Check the model server queue and GPU saturation; scale out or shift traffic.`,
        }),
        alert({
          alert: 'ModelServerQueueDepthHigh',
          expr: `sum by (namespace, model_name) (${VLLM_METRICS.requestsWaiting}) > ${o.queueDepth}`,
          for: '10m',
          severity: 'warning',
          summary: 'Model {{ $labels.model_name }} in {{ $labels.namespace }}: ' + `more than ${o.queueDepth} requests waiting`,
          description: `vLLM has had more than ${o.queueDepth} requests waiting for model {{ $labels.model_name }} (namespace {{ $labels.namespace }}) for 10 minutes: the replicas cannot keep up. Scale out, or lower max concurrency at the gateway.`,
        }),
        alert({
          alert: 'GatewayRateLimitSurge',
          expr: `sum by (key, limit) (rate(${G.rateLimited}[5m])) > ${o.rateLimitedPerSecond}`,
          for: '10m',
          severity: 'warning',
          summary: 'API key {{ $labels.key }} is being rate limited ({{ $labels.limit }})',
          description: `The gateway has rejected more than ${o.rateLimitedPerSecond} requests per second for key {{ $labels.key }} on its {{ $labels.limit }} limit for 10 minutes: a runaway client, or a limit too low for legitimate traffic.`,
        }),
        alert({
          alert: 'GatewayCircuitBreakerOpen',
          expr: `max by (variant) (${G.breakerState}) == 2`,
          for: o.breakerOpenFor,
          severity: 'critical',
          summary: 'Variant {{ $labels.variant }}: circuit breaker open',
          description: `The gateway's circuit breaker for variant {{ $labels.variant }} has been open for ${o.breakerOpenFor}: its model server keeps failing and the gateway no longer sends it traffic. Check the model server pods and their logs.`,
        }),
      ],
    },
    {
      name: PLATFORM_RULE_GROUPS.gpu,
      rules: [
        alert({
          alert: 'GpuIdle',
          expr: `avg_over_time(${DCGM_METRICS.gpuUtil}[10m]) < ${o.gpuIdlePercent}`,
          for: o.gpuIdleFor,
          severity: 'warning',
          labels: { category: 'cost' },
          summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} idle',
          description: `GPU {{ $labels.gpu }} ({{ $labels.modelName }}) on {{ $labels.Hostname }} has averaged below ${o.gpuIdlePercent} % utilization for ${o.gpuIdleFor}: it is paid for and unused. Scale the workload in or let Karpenter consolidate the node.`,
        }),
        alert({
          alert: 'GpuMemoryNearlyFull',
          expr: `${DCGM_METRICS.memUsed} / (${DCGM_METRICS.memUsed} + ${DCGM_METRICS.memFree}) > ${o.gpuMemoryUsedRatio}`,
          for: '15m',
          severity: 'warning',
          summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }}: framebuffer nearly full',
          description: `GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has used more than ${o.gpuMemoryUsedRatio * 100} % of its memory for 15 minutes; the next allocation may fail with out-of-memory.`,
        }),
        alert({
          alert: 'GpuTemperatureHigh',
          expr: `${DCGM_METRICS.gpuTemp} > ${o.gpuTemperatureCelsius}`,
          for: '10m',
          severity: 'warning',
          summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} above ' + `${o.gpuTemperatureCelsius} °C`,
          description: `GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has been hotter than ${o.gpuTemperatureCelsius} °C for 10 minutes and may throttle. If it persists, cordon the node and replace it.`,
        }),
        alert({
          alert: 'GpuXidError',
          expr: `${DCGM_METRICS.xidErrors} > 0`,
          for: '0s',
          severity: 'critical',
          summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported an XID error',
          description:
            'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported an NVIDIA XID error (the alert value is the XID code). XIDs such as 48, 63, 64, 74, 79 and 94/95 mean a faulty GPU or driver: cordon and drain the node so Karpenter replaces it.',
        }),
      ],
    },
    {
      name: PLATFORM_RULE_GROUPS.cluster,
      rules: [
        alert({
          alert: 'NodeNotReady',
          expr: `${KUBE_STATE_METRICS.nodeStatusCondition}{condition="Ready",status="true"} == 0`,
          for: '5m',
          severity: 'warning',
          summary: 'Node {{ $labels.node }} not ready',
          description: 'Node {{ $labels.node }} has not been Ready for 5 minutes; its pods are being evicted or are unreachable. Check kubelet and the instance; Karpenter replaces unhealthy nodes it owns.',
        }),
        alert({
          alert: 'KarpenterProvisioningFailures',
          expr: `sum by (error) (increase(${KARPENTER_METRICS.cloudProviderErrors}{method="Create"}[15m])) > ${o.karpenterCreateErrors}`,
          for: '5m',
          severity: 'warning',
          summary: 'Karpenter cannot launch nodes ({{ $labels.error }})',
          description: `Karpenter's cloud-provider Create calls failed more than ${o.karpenterCreateErrors} times in 15 minutes with {{ $labels.error }}. Pending pods (GPU jobs first) are not getting capacity: check the NodePool instance families, capacity types and limits, service quotas, and the EC2NodeClass.`,
        }),
      ],
    },
    {
      name: PLATFORM_RULE_GROUPS.training,
      rules: [
        alert({
          alert: 'TrainingJobFailed',
          expr: `sum by (namespace, job_name) (${KUBE_STATE_METRICS.jobStatusFailed}{namespace=~"${o.trainingNamespaceRegex}"}) > 0`,
          for: '1m',
          severity: 'warning',
          summary: 'Training job {{ $labels.namespace }}/{{ $labels.job_name }} has failed pods',
          description: 'Batch Job {{ $labels.job_name }} in {{ $labels.namespace }} has failed pods (kube-state-metrics kube_job_status_failed); Kubeflow TrainJobs run as JobSets of such Jobs. Read the pod logs; the Job retries until its backoffLimit.',
        }),
        ...(o.kubeflowTrainingOperatorV1 ? [kubeflowV1Failed(alert)] : []),
        alert({
          alert: 'RayJobFailed',
          expr: `max by (namespace, name) (${KUBERAY_METRICS.jobDeploymentStatus}{deployment_status=~"Failed|ValidationFailed"}) == 1`,
          for: '1m',
          severity: 'warning',
          summary: 'RayJob {{ $labels.namespace }}/{{ $labels.name }} failed',
          description: 'KubeRay reports RayJob {{ $labels.name }} in {{ $labels.namespace }} as Failed or ValidationFailed. `kubectl describe rayjob {{ $labels.name }} -n {{ $labels.namespace }}` shows why.',
        }),
      ],
    },
    {
      name: PLATFORM_RULE_GROUPS.modelQuality,
      rules: [
        alert({
          alert: 'ModelDriftDetected',
          expr: `max by (dataset, model) (${DRIFT_METRICS.datasetDrift}) == 1`,
          for: '0s',
          severity: 'warning',
          summary: 'Data drift for model {{ $labels.model }} on {{ $labels.dataset }}',
          description: 'The drift detector found dataset drift for model {{ $labels.model }} (dataset {{ $labels.dataset }}): the share of drifted columns is over the threshold. Review the drift report and consider retraining.',
        }),
        alert({
          alert: 'ModelFairnessDisparateImpact',
          expr: `min by (model, attribute) (${DRIFT_METRICS.disparateImpact}) < ${o.disparateImpactMin}`,
          for: '0s',
          severity: 'warning',
          summary: 'Model {{ $labels.model }}: disparate impact on {{ $labels.attribute }} below ' + `${o.disparateImpactMin}`,
          description: `The lowest selection-rate ratio between groups of {{ $labels.attribute }} for model {{ $labels.model }} is below ${o.disparateImpactMin} (the four-fifths rule). Review the fairness report before the model keeps serving.`,
        }),
        alert({
          alert: 'DriftDetectorStale',
          expr: `time() - max by (dataset, model) (${DRIFT_METRICS.lastRun}) > ${o.driftStaleAfterSeconds}`,
          for: '0s',
          severity: 'warning',
          summary: 'Drift detector has not run for model {{ $labels.model }} on {{ $labels.dataset }}',
          description: `No drift run has completed for model {{ $labels.model }} (dataset {{ $labels.dataset }}) in over ${o.driftStaleAfterSeconds} s: drift and fairness alerts for it are blind. Check the detector's schedule and its last logs.`,
        }),
      ],
    },
  ];
}

/** Kubeflow training-operator v1 (PyTorchJob, …): a failed job counted by the operator in the last 10 minutes. */
function kubeflowV1Failed(alert: (a: Omit<AlertRule, 'labels' | 'runbook'>) => AlertRule): AlertRule {
  return alert({
    alert: 'KubeflowTrainingJobFailed',
    expr: `sum by (job_namespace, framework) (increase(${TRAINING_OPERATOR_METRICS.jobsFailed}[10m])) > 0`,
    for: '0s',
    severity: 'warning',
    summary: 'A {{ $labels.framework }} training job failed in {{ $labels.job_namespace }}',
    description: 'The Kubeflow training operator marked a {{ $labels.framework }} job (PyTorchJob, …) in {{ $labels.job_namespace }} as failed in the last 10 minutes. `kubectl get pytorchjobs -n {{ $labels.job_namespace }}` shows which.',
  });
}
