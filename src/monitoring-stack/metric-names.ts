/**
 * The Prometheus metric names the platform's services export and the MonitoringStack's alert rules
 * and dashboards read: one place, so a renamed metric breaks a test instead of silencing an alert.
 * Names of third-party exporters (vLLM, DCGM, Karpenter, kube-state-metrics, the training operator)
 * are the ones those projects document at the versions gaiops pins.
 */

/** The InferenceService gateway (`src/inference-service/runtime/gateway`). */
export const GATEWAY_METRICS = {
  /** Counter. Labels: `variant`, `model`, `key`, `route` (`chat`|`completions`|`embeddings`|`models`), `code` (HTTP status). */
  requests: 'gaiops_gateway_requests_total',
  /** Histogram (seconds), whole request. Labels: `variant`, `model`, `route`. */
  requestDuration: 'gaiops_gateway_request_duration_seconds',
  /** Histogram (seconds), request start to first streamed token. Labels: `variant`, `model`. */
  timeToFirstToken: 'gaiops_gateway_time_to_first_token_seconds',
  /** Counter. Labels: `variant`, `model`, `key`, `type` (`input`|`output`). */
  tokens: 'gaiops_gateway_tokens_total',
  /** Counter (USD, estimated). Labels: `variant`, `model`, `key`. */
  cost: 'gaiops_gateway_cost_usd_total',
  /** Counter. Labels: `variant`, `reason` (`connect`|`timeout`|`status_429`|`status_5xx`|`breaker_open`). */
  upstreamErrors: 'gaiops_gateway_upstream_errors_total',
  /** Counter. Labels: `variant` (the variant retried away from). */
  retries: 'gaiops_gateway_retries_total',
  /** Gauge: 0 closed, 1 half-open, 2 open. Labels: `variant`. */
  breakerState: 'gaiops_gateway_breaker_state',
  /** Counter. Labels: `variant`, `outcome` (`ok`|`error`|`dropped`). */
  shadowRequests: 'gaiops_gateway_shadow_requests_total',
  /** Counter. Labels: `key`, `limit` (`requests`|`tokens`|`budget`). */
  rateLimited: 'gaiops_gateway_rate_limited_total',
  /** Gauge: in-flight requests. */
  inFlight: 'gaiops_gateway_in_flight_requests',
  /** Gauge: Unix time of the last successful config reload. */
  configReload: 'gaiops_gateway_config_last_reload_timestamp_seconds',
} as const;

/** vLLM's OpenAI-compatible server (`/metrics`). */
export const VLLM_METRICS = {
  requestsWaiting: 'vllm:num_requests_waiting',
  requestsRunning: 'vllm:num_requests_running',
  timeToFirstToken: 'vllm:time_to_first_token_seconds',
  e2eLatency: 'vllm:e2e_request_latency_seconds',
  kvCacheUsage: 'vllm:gpu_cache_usage_perc',
} as const;

/** NVIDIA DCGM exporter (default counters). */
export const DCGM_METRICS = {
  gpuUtil: 'DCGM_FI_DEV_GPU_UTIL',
  memUsed: 'DCGM_FI_DEV_FB_USED',
  memFree: 'DCGM_FI_DEV_FB_FREE',
  gpuTemp: 'DCGM_FI_DEV_GPU_TEMP',
  xidErrors: 'DCGM_FI_DEV_XID_ERRORS',
  power: 'DCGM_FI_DEV_POWER_USAGE',
} as const;

/** The drift, fairness and A/B detector (`src/monitoring-stack/runtime/drift`). Also its CloudWatch (EMF) metric names. */
export const DRIFT_METRICS = {
  /** Gauge 0..1: share of drifted columns. Labels: `dataset`, `model`. */
  driftShare: 'gaiops_drift_share',
  /** Gauge 0/1: dataset drift (share ≥ the dataset threshold). Labels: `dataset`, `model`. */
  datasetDrift: 'gaiops_drift_detected',
  /** Gauge: per-column score of the chosen test (p-value or distance). Labels: `dataset`, `model`, `column`, `test`. */
  columnScore: 'gaiops_drift_column_score',
  /** Gauge 0/1: per-column drift. Labels: `dataset`, `model`, `column`, `test`. */
  columnDrift: 'gaiops_drift_column_drifted',
  /** Gauge: min selection-rate ratio over groups (four-fifths rule < 0.8). Labels: `model`, `attribute`. */
  disparateImpact: 'gaiops_fairness_disparate_impact_ratio',
  /** Gauge: max − min selection rate. Labels: `model`, `attribute`. */
  demographicParityDifference: 'gaiops_fairness_demographic_parity_difference',
  /** Gauge: equalized-odds difference (when labels exist). Labels: `model`, `attribute`. */
  equalizedOddsDifference: 'gaiops_fairness_equalized_odds_difference',
  /** Gauge: Unix time of the last completed run. Labels: `dataset`, `model`. */
  lastRun: 'gaiops_drift_last_run_timestamp_seconds',
} as const;

/**
 * kube-state-metrics 2.20 (the version kube-prometheus-stack 88.5.3 ships through its
 * kube-state-metrics 8.4.0 subchart). Verified in kubernetes/kube-state-metrics
 * `docs/metrics/cluster/node-metrics.md` and `docs/metrics/workload/job-metrics.md` (Job labels are
 * `job_name` and `namespace`; `kube_job_status_failed` also carries `reason`).
 */
export const KUBE_STATE_METRICS = {
  /** Gauge 0/1. Labels: `node`, `condition` (`Ready`, …), `status` (`true`|`false`|`unknown`). */
  nodeStatusCondition: 'kube_node_status_condition',
  /** Gauge: the Job's failed pods (`status.failed`). Labels: `namespace`, `job_name`, `reason`. */
  jobStatusFailed: 'kube_job_status_failed',
  /** Gauge: the Job's active pods. Labels: `namespace`, `job_name`. */
  jobStatusActive: 'kube_job_status_active',
  /** Gauge: the Job's succeeded pods. Labels: `namespace`, `job_name`. */
  jobStatusSucceeded: 'kube_job_status_succeeded',
} as const;

/**
 * Prometheus node-exporter 1.12 (prometheus-node-exporter chart 4.56.1): the `cpu` and `meminfo`
 * collectors (prometheus/node_exporter README, collectors enabled by default).
 */
export const NODE_EXPORTER_METRICS = {
  /** Counter (seconds). Labels: `cpu`, `mode`. */
  cpuSeconds: 'node_cpu_seconds_total',
  /** Gauge (bytes), `MemAvailable` of /proc/meminfo. */
  memAvailable: 'node_memory_MemAvailable_bytes',
  /** Gauge (bytes), `MemTotal` of /proc/meminfo. */
  memTotal: 'node_memory_MemTotal_bytes',
} as const;

/**
 * Karpenter v1.x controller. Verified in aws/karpenter-provider-aws
 * `website/content/en/v1.0/reference/metrics.md` and `…/docs/reference/metrics.md` (v1.14).
 */
export const KARPENTER_METRICS = {
  /** Counter (BETA): errors returned by cloud-provider calls. Labels include `method` (`Create`, `Delete`, …) and `error` (the error type, e.g. `InsufficientCapacityError`). */
  cloudProviderErrors: 'karpenter_cloudprovider_errors_total',
  /** Counter (STABLE): NodeClaims created. Labels: `reason`, `nodepool`. */
  nodeClaimsCreated: 'karpenter_nodeclaims_created_total',
} as const;

/**
 * Kubeflow training-operator v1.8/v1.9 (PyTorchJob and the other v1 job kinds). Verified in
 * kubeflow/training-operator `pkg/common/metrics.go` at v1.9.0: labels `job_namespace`, `framework`.
 * Kubeflow Trainer v2 (kubeflow/trainer v2.3.0, what the add-on layer installs) registers no job
 * metrics of its own: its TrainJobs run as JobSets of batch Jobs, seen through kube-state-metrics.
 */
export const TRAINING_OPERATOR_METRICS = {
  jobsCreated: 'training_operator_jobs_created_total',
  jobsSuccessful: 'training_operator_jobs_successful_total',
  jobsFailed: 'training_operator_jobs_failed_total',
  jobsRestarted: 'training_operator_jobs_restarted_total',
} as const;

/**
 * KubeRay operator ≥ 1.4 (RayJob). Verified in ray-project/kuberay
 * `ray-operator/controllers/ray/metrics/ray_job_metrics.go` at v1.7.0.
 */
export const KUBERAY_METRICS = {
  /** Gauge 1 per RayJob. Labels: `name`, `namespace`, `uid`, `deployment_status` (`Initializing`, `Running`, `Complete`, `Failed`, …). */
  jobDeploymentStatus: 'kuberay_job_deployment_status',
  /** Gauge. Labels: `name`, `namespace`, `uid`, `job_deployment_status`, `retry_count`. */
  jobExecutionDuration: 'kuberay_job_execution_duration_seconds',
} as const;

/**
 * Bucket upper bounds (seconds) of the gateway's latency histograms (`requestDuration`,
 * `timeToFirstToken`) — the same list as `LATENCY_BUCKETS` in
 * `src/inference-service/runtime/gateway/gateway-metrics.ts`. A latency SLO threshold must be one
 * of them: the alert rules count the requests in the `le` bucket of the threshold.
 */
export const GATEWAY_LATENCY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
