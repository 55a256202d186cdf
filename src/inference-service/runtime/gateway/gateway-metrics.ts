/**
 * The gateway's Prometheus metrics (names from `GATEWAY_METRICS`), in a registry owned by one
 * gateway instance (never prom-client's global registry, so several gateways and tests coexist).
 * Label values are bounded: variant names and key aliases come from the mounted config, and `none`
 * stands for "not known" (e.g. `key="none"` for unauthenticated requests, `variant="none"` for
 * requests refused before routing).
 */
import { Counter, Gauge, Histogram, type LabelValues, Registry } from 'prom-client';
import { GATEWAY_METRICS } from '../../../monitoring-stack/metric-names';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: GATEWAY_METRICS.requests, help: 'Gateway requests by variant, model, key alias, route and HTTP status.', labelNames: ['variant', 'model', 'key', 'route', 'code'] as const, registers: [this.registry] });
  readonly requestDuration = new Histogram({ name: GATEWAY_METRICS.requestDuration, help: 'Whole-request duration in seconds.', labelNames: ['variant', 'model', 'route'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly timeToFirstToken = new Histogram({ name: GATEWAY_METRICS.timeToFirstToken, help: 'Seconds from request start to the first streamed chunk.', labelNames: ['variant', 'model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly tokens = new Counter({ name: GATEWAY_METRICS.tokens, help: 'Tokens by variant, model, key alias and type (input|output).', labelNames: ['variant', 'model', 'key', 'type'] as const, registers: [this.registry] });
  readonly cost = new Counter({ name: GATEWAY_METRICS.cost, help: 'Estimated cost in USD.', labelNames: ['variant', 'model', 'key'] as const, registers: [this.registry] });
  readonly upstreamErrors = new Counter({ name: GATEWAY_METRICS.upstreamErrors, help: 'Upstream failures by variant and reason.', labelNames: ['variant', 'reason'] as const, registers: [this.registry] });
  readonly retries = new Counter({ name: GATEWAY_METRICS.retries, help: 'Retries, labelled with the variant retried away from.', labelNames: ['variant'] as const, registers: [this.registry] });
  readonly breakerState = new Gauge({ name: GATEWAY_METRICS.breakerState, help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', labelNames: ['variant'] as const, registers: [this.registry] });
  readonly shadowRequests = new Counter({ name: GATEWAY_METRICS.shadowRequests, help: 'Shadow (mirrored) requests by variant and outcome (ok|error|dropped).', labelNames: ['variant', 'outcome'] as const, registers: [this.registry] });
  readonly rateLimited = new Counter({ name: GATEWAY_METRICS.rateLimited, help: 'Requests refused by a per-key limit (requests|tokens|budget).', labelNames: ['key', 'limit'] as const, registers: [this.registry] });
  readonly inFlight = new Gauge({ name: GATEWAY_METRICS.inFlight, help: 'Requests in flight.', registers: [this.registry] });
  readonly configReload = new Gauge({ name: GATEWAY_METRICS.configReload, help: 'Unix time of the last successful config reload.', registers: [this.registry] });
  // OpenTelemetry gen_ai semantic-convention style histograms (observed only with metrics.genAiSemconv).
  readonly genAiTokenUsage = new Histogram({ name: 'gen_ai_client_token_usage', help: 'Tokens per operation (gen_ai semantic conventions).', labelNames: ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_response_model', 'gen_ai_token_type'] as const, buckets: TOKEN_BUCKETS, registers: [this.registry] });
  readonly genAiDuration = new Histogram({ name: 'gen_ai_client_operation_duration_seconds', help: 'Operation duration in seconds (gen_ai semantic conventions).', labelNames: ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_response_model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly genAiTimeToFirstToken = new Histogram({ name: 'gen_ai_server_time_to_first_token_seconds', help: 'Time to first token in seconds (gen_ai semantic conventions).', labelNames: ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_response_model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });

  /** Hot-path handles (one update per request each): same series as the metrics above. */
  readonly fast = {
    requests: new FastCounter(this.requests),
    tokens: new FastCounter(this.tokens),
    cost: new FastCounter(this.cost),
    requestDuration: new FastHistogram(this.requestDuration),
    timeToFirstToken: new FastHistogram(this.timeToFirstToken),
    genAiTokenUsage: new FastHistogram(this.genAiTokenUsage),
    genAiDuration: new FastHistogram(this.genAiDuration),
    genAiTimeToFirstToken: new FastHistogram(this.genAiTimeToFirstToken),
  };

  /** Makes `inFlight` read `read()` at scrape time instead of being incremented per request. */
  readInFlightFrom(read: () => number): void {
    const gauge = this.inFlight as unknown as { collect?: () => void; set(value: number): void };
    gauge.collect = () => gauge.set(read());
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * prom-client's per-call path (label validation, a labels/value pair object and a closure per
 * observation, then the series hash) costs microseconds per update, several times per request. These
 * handles compute the series key the way prom-client does (`name:value,` over the sorted label names)
 * and update the series record in place; the first update of a series, a value prom-client would
 * reject, or a key that does not resolve (series reset/removed, or a prom-client whose internals
 * differ) goes through the ordinary prom-client call. The output at scrape time is the same.
 */
interface CounterInternals {
  readonly sortedLabelNames?: readonly string[];
  readonly hashMap?: Record<string, { value: number } | undefined>;
}

interface HistogramInternals {
  readonly sortedLabelNames?: readonly string[];
  readonly upperBounds?: readonly number[];
  readonly hashMap?: Record<string, { sum: number; count: number; bucketValues: Record<number, number> } | undefined>;
}

/** prom-client's series key of `labels` (see `hashObject` in prom-client's util). */
export function seriesKey(sortedLabelNames: readonly string[], labels: Readonly<Record<string, string | number | undefined>>): string {
  let key = '';
  for (let i = 0; i < sortedLabelNames.length; i++) {
    const value = labels[sortedLabelNames[i]];
    if (value !== undefined) key += `${sortedLabelNames[i]}:${value},`;
  }
  return key;
}

export class FastCounter<T extends string> {
  private readonly internals: CounterInternals;

  constructor(private readonly counter: Counter<T>) {
    this.internals = counter as unknown as CounterInternals;
  }

  inc(labels: LabelValues<T>, value = 1): void {
    const names = this.internals.sortedLabelNames;
    const record = names && Number.isFinite(value) && value >= 0 ? this.internals.hashMap?.[seriesKey(names, labels)] : undefined;
    if (record) record.value += value;
    else this.counter.inc(labels, value);
  }
}

export class FastHistogram<T extends string> {
  private readonly internals: HistogramInternals;

  constructor(private readonly histogram: Histogram<T>) {
    this.internals = histogram as unknown as HistogramInternals;
  }

  observe(labels: LabelValues<T>, value: number): void {
    const { sortedLabelNames: names, upperBounds: bounds } = this.internals;
    const record = names && bounds && Number.isFinite(value) ? this.internals.hashMap?.[seriesKey(names, labels)] : undefined;
    if (!record) {
      this.histogram.observe(labels, value);
      return;
    }
    record.sum += value;
    record.count += 1;
    for (let i = 0; i < bounds!.length; i++) {
      if (value <= bounds![i]) {
        record.bucketValues[bounds![i]] += 1;
        break;
      }
    }
  }
}
