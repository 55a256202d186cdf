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
 * handles find the series key the way prom-client computes it (`name:value,` over the sorted label
 * names; memoised per label values, see `SeriesKeyCache`) and update the series record in place; the
 * first update of a series, a value prom-client would reject, or a key that does not resolve (series
 * reset/removed, or a prom-client whose internals differ) goes through the ordinary prom-client call.
 * The output at scrape time is the same.
 */
interface CounterInternals {
  readonly sortedLabelNames?: readonly string[];
  readonly hashMap?: Record<string, { value: number } | undefined>;
}

interface HistogramInternals {
  readonly sortedLabelNames?: readonly string[];
  readonly upperBounds?: readonly number[];
  readonly hashMap?: Record<string, { sum: number; count: number; bucketValues: Record<string, number> } | undefined>;
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

/** Leaves a `SeriesKeyCache` holds at most; it starts over when full. */
const SERIES_KEY_CACHE_LIMIT = 10_000;

/**
 * `seriesKey` memoised by label values: a tree of Maps, one level per label name, keyed by the
 * value, the leaf holding the key string. An update then builds no string, and the key is a string
 * that persists, so its hash is computed once and the series lookup is one probe. One leaf per
 * label-value combination seen (the same bound as prom-client's own series map, whose values come
 * from the mounted config); cleared when it reaches `SERIES_KEY_CACHE_LIMIT`.
 */
export class SeriesKeyCache {
  private root = new Map<unknown, unknown>();
  private leaves = 0;

  constructor(private readonly sortedLabelNames: readonly string[]) {}

  /** Keys held. */
  get size(): number {
    return this.leaves;
  }

  key(labels: Readonly<Record<string, string | number | undefined>>): string {
    const names = this.sortedLabelNames;
    if (names.length === 0) return '';
    let node = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels[names[i]];
      let next = node.get(value) as Map<unknown, unknown> | undefined;
      if (!next) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const value = labels[names[last]];
    let key = node.get(value) as string | undefined;
    if (key === undefined) {
      if (this.leaves >= SERIES_KEY_CACHE_LIMIT) {
        this.root = new Map();
        this.leaves = 0;
        return this.key(labels); // into the new tree
      }
      key = seriesKey(names, labels);
      node.set(value, key);
      this.leaves += 1;
    }
    return key;
  }
}

export class FastCounter<T extends string> {
  private readonly internals: CounterInternals;
  private readonly keys: SeriesKeyCache | undefined;

  constructor(private readonly counter: Counter<T>) {
    this.internals = counter as unknown as CounterInternals;
    this.keys = this.internals.sortedLabelNames ? new SeriesKeyCache(this.internals.sortedLabelNames) : undefined;
  }

  inc(labels: LabelValues<T>, value = 1): void {
    const keys = this.keys;
    const record = keys && Number.isFinite(value) && value >= 0 ? this.internals.hashMap?.[keys.key(labels)] : undefined;
    if (record) record.value += value;
    else this.counter.inc(labels, value);
  }
}

export class FastHistogram<T extends string> {
  private readonly internals: HistogramInternals;
  private readonly keys: SeriesKeyCache | undefined;
  /** The property names of the buckets (`String(bound)`), converted once, not per observation. */
  private readonly bucketNames: readonly string[] | undefined;

  constructor(private readonly histogram: Histogram<T>) {
    this.internals = histogram as unknown as HistogramInternals;
    this.keys = this.internals.sortedLabelNames ? new SeriesKeyCache(this.internals.sortedLabelNames) : undefined;
    this.bucketNames = this.internals.upperBounds?.map(String);
  }

  observe(labels: LabelValues<T>, value: number): void {
    const { keys, internals, bucketNames } = this;
    const bounds = internals.upperBounds;
    const record = keys && bounds && bucketNames && Number.isFinite(value) ? internals.hashMap?.[keys.key(labels)] : undefined;
    if (!record) {
      this.histogram.observe(labels, value);
      return;
    }
    record.sum += value;
    record.count += 1;
    for (let i = 0; i < bounds!.length; i++) {
      if (value <= bounds![i]) {
        record.bucketValues[bucketNames![i]] += 1;
        break;
      }
    }
  }
}
