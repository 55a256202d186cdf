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
