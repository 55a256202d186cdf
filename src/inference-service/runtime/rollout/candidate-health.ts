/**
 * The candidate's health from the gateway's Prometheus metrics: the PromQL queries (pure), the
 * verdict against the thresholds (pure), and the instant-query client over a transport.
 *
 * Over the window `[W]` for `{namespace="<ns>",variant="<candidate>"}`:
 * - attempts = `increase(gaiops_gateway_requests_total)` + `increase(gaiops_gateway_retries_total)`
 *   (requests answered by the candidate, plus attempts that failed on it and were retried elsewhere);
 * - errors = the same requests with `code=~"5.."` + the retries away from it;
 * - p99 = `histogram_quantile(0.99, sum by (le) (rate(gaiops_gateway_request_duration_seconds_bucket[W])))`.
 * Fewer than `minRequests` attempts is "no data" (not enough traffic to judge).
 */
import { z } from 'zod';
import { GATEWAY_METRICS } from '../../../monitoring-stack/metric-names';
import type { HealthVerdict } from './rollout-machine';
import type { RolloutThresholds } from './rollout-config';

export interface HealthQueries {
  readonly requests: string;
  readonly serverErrors: string;
  readonly retries: string;
  readonly p99Seconds: string;
}

const label = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** The PromQL of one health check. */
export function healthQueries(namespace: string, variant: string, windowSeconds: number): HealthQueries {
  const sel = (extra = '') => `{namespace="${label(namespace)}",variant="${label(variant)}"${extra}}`;
  const w = `[${Math.max(1, Math.round(windowSeconds))}s]`;
  return {
    requests: `sum(increase(${GATEWAY_METRICS.requests}${sel()}${w}))`,
    serverErrors: `sum(increase(${GATEWAY_METRICS.requests}${sel(',code=~"5.."')}${w}))`,
    retries: `sum(increase(${GATEWAY_METRICS.retries}${sel()}${w}))`,
    p99Seconds: `histogram_quantile(0.99, sum by (le) (rate(${GATEWAY_METRICS.requestDuration}_bucket${sel()}${w})))`,
  };
}

/** Query results: `null` when Prometheus returned no series (or NaN). */
export interface HealthSamples {
  readonly requests: number | null;
  readonly serverErrors: number | null;
  readonly retries: number | null;
  readonly p99Seconds: number | null;
}

const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;

/** Judges the samples against the thresholds. */
export function judgeHealth(samples: HealthSamples, t: RolloutThresholds): HealthVerdict {
  const retries = samples.retries ?? 0;
  const attempts = Math.round((samples.requests ?? 0) + retries);
  const errors = Math.round((samples.serverErrors ?? 0) + retries);
  const p99LatencyMs = samples.p99Seconds === null ? null : Math.round(samples.p99Seconds * 1000);
  if (attempts < t.minRequests) {
    return { status: 'no-data', requests: attempts, errorRatio: null, p99LatencyMs, reasons: [`${attempts} requests in the window (at least ${t.minRequests} needed)`] };
  }
  const errorRatio = round4(Math.min(1, errors / attempts));
  const reasons: string[] = [];
  if (errorRatio > t.maxErrorRatio) reasons.push(`error ratio ${errorRatio} above ${t.maxErrorRatio}`);
  if (p99LatencyMs !== null && p99LatencyMs > t.maxP99LatencyMs) reasons.push(`p99 latency ${p99LatencyMs} ms above ${t.maxP99LatencyMs} ms`);
  return { status: reasons.length > 0 ? 'unhealthy' : 'healthy', requests: attempts, errorRatio, p99LatencyMs, reasons };
}

/** The Prometheus HTTP API's answer to `GET /api/v1/query` (the part read here). */
const QueryResponseSchema = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [
    z.object({ resultType: z.literal('vector'), result: z.array(z.object({ value: z.tuple([z.number(), z.string()]) })) }),
    z.object({ resultType: z.literal('scalar'), result: z.tuple([z.number(), z.string()]) }),
  ]),
});

/** Thrown when Prometheus fails or answers something that is not an instant-query result. */
export class PrometheusQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusQueryError';
  }
}

/** Reads the single value of an instant-query answer: `null` for no series or NaN. */
export function instantValue(body: unknown): number | null {
  const parsed = QueryResponseSchema.safeParse(body);
  if (!parsed.success) throw new PrometheusQueryError(`unexpected Prometheus answer: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const data = parsed.data.data;
  const raw = data.resultType === 'scalar' ? data.result[1] : data.result[0]?.value[1];
  if (raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/** GETs `/api/v1/query?query=…` (path and query string) and returns the parsed JSON body. */
export type PrometheusTransport = (pathAndQuery: string) => Promise<unknown>;

/** Runs the four queries of a health check and judges them. */
export async function checkCandidateHealth(
  transport: PrometheusTransport,
  target: { namespace: string; variant: string; windowSeconds: number },
  thresholds: RolloutThresholds,
): Promise<HealthVerdict> {
  const q = healthQueries(target.namespace, target.variant, target.windowSeconds);
  const run = async (promql: string) => instantValue(await transport(`/api/v1/query?query=${encodeURIComponent(promql)}`));
  const [requests, serverErrors, retries, p99Seconds] = await Promise.all([run(q.requests), run(q.serverErrors), run(q.retries), run(q.p99Seconds)]);
  return judgeHealth({ requests, serverErrors, retries, p99Seconds }, thresholds);
}

/** A transport to a Prometheus base URL (an internal endpoint reachable from the function's subnets). */
export function urlTransport(baseUrl: string, fetchImpl: typeof fetch = fetch): PrometheusTransport {
  const base = baseUrl.replace(/\/+$/, '');
  return async (pathAndQuery) => {
    const response = await fetchImpl(`${base}${pathAndQuery}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new PrometheusQueryError(`Prometheus answered HTTP ${response.status}`);
    return response.json();
  };
}

/** The API-server proxy path of a Prometheus Service (`/api/v1/namespaces/<ns>/services/http:<svc>:<port>/proxy`). */
export function serviceProxyBase(namespace: string, service: string, port: number): string {
  return `/api/v1/namespaces/${namespace}/services/${serviceProxyName(service, port)}/proxy`;
}

/** The `services/proxy` resource name RBAC must allow for {@link serviceProxyBase}. */
export function serviceProxyName(service: string, port: number): string {
  return `http:${service}:${port}`;
}
