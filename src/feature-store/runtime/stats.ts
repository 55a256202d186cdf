/**
 * Bounded-memory, deterministic column statistics for dataset manifests.
 *
 * - Numbers (int, float): count, nulls, min, max, mean and population standard deviation (Welford's
 *   online algorithm, exact), and p50/p90/p99 from a uniform reservoir sample (Vitter's algorithm R)
 *   of at most `RESERVOIR_SIZE` values. The sampler's PRNG (xorshift32) is seeded from the column
 *   name, so the same rows always give the same quantiles (version ids depend on it). Quantiles are
 *   exact up to `RESERVOIR_SIZE` non-null values and approximate beyond (rank error ~1/√4096 ≈ 1.6 %);
 *   `quantilesExact` says which.
 * - Strings: count, nulls, and the 10 most frequent values via the Misra–Gries summary with at most
 *   2 × `TOP_K_COUNTERS` counters (pruned back to `TOP_K_COUNTERS`); counts are exact while nothing
 *   was pruned, lower bounds afterwards (`topValuesExact: false`). PII columns (hash/mask) get no
 *   top values.
 * - Booleans: count, nulls, trues, falses. Timestamps: count, nulls, min, max.
 * - Bias report: per sensitive attribute, the share of valid rows per value (null as `(null)`),
 *   exact for up to `BIAS_MAX_VALUES` distinct values, the rest pooled under `(other)`.
 */
import type { FeatureGroup } from '../feature-group';
import type { ScalarValue, ValidRow } from './rows';

export const RESERVOIR_SIZE = 4096;
export const TOP_K_COUNTERS = 1000;
export const TOP_VALUES = 10;
export const BIAS_MAX_VALUES = 1000;
export const NULL_BUCKET = '(null)';
export const OTHER_BUCKET = '(other)';

export interface NumericColumnStats {
  readonly type: 'int' | 'float';
  readonly count: number;
  readonly nulls: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly stddev: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly quantilesExact: boolean;
}

export interface StringColumnStats {
  readonly type: 'string';
  readonly count: number;
  readonly nulls: number;
  readonly pii?: 'hash' | 'mask';
  /** Most frequent values, most frequent first (ties by value); absent for PII and entity key columns. */
  readonly topValues?: readonly { readonly value: string; readonly count: number }[];
  readonly topValuesExact?: boolean;
}

export interface BoolColumnStats {
  readonly type: 'bool';
  readonly count: number;
  readonly nulls: number;
  readonly trueCount: number;
  readonly falseCount: number;
}

export interface TimestampColumnStats {
  readonly type: 'timestamp';
  readonly count: number;
  readonly nulls: number;
  readonly min: string | null;
  readonly max: string | null;
}

export type ColumnStats = NumericColumnStats | StringColumnStats | BoolColumnStats | TimestampColumnStats;

/** Sensitive attribute → value → share of valid rows (0..1). */
export type BiasReport = Record<string, Record<string, number>>;

interface Accumulator {
  add(value: ScalarValue): void;
  result(): ColumnStats;
}

/** xorshift32 seeded by FNV-1a of a string: small, fast, deterministic. */
export function seededRandom(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let x = h >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Uniform reservoir sample (algorithm R) with a seeded PRNG. */
export class Reservoir {
  private readonly sample: Float64Array;
  private seen = 0;
  private readonly random: () => number;

  constructor(
    readonly capacity: number,
    seed: string,
  ) {
    this.sample = new Float64Array(capacity);
    this.random = seededRandom(seed);
  }

  add(value: number): void {
    if (this.seen < this.capacity) {
      this.sample[this.seen++] = value;
      return;
    }
    this.seen++;
    const j = Math.floor(this.random() * this.seen);
    if (j < this.capacity) this.sample[j] = value;
  }

  get exact(): boolean {
    return this.seen <= this.capacity;
  }

  /** Nearest-rank quantiles (q in 0..1) of the sample; `null` when empty. */
  quantiles(qs: readonly number[]): (number | null)[] {
    const n = Math.min(this.seen, this.capacity);
    if (n === 0) return qs.map(() => null);
    const sorted = this.sample.slice(0, n).sort();
    return qs.map((q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]);
  }
}

class NumericAccumulator implements Accumulator {
  private count = 0;
  private nulls = 0;
  private min = Infinity;
  private max = -Infinity;
  private mean = 0;
  private m2 = 0;
  private readonly reservoir: Reservoir;

  constructor(
    private readonly type: 'int' | 'float',
    name: string,
  ) {
    this.reservoir = new Reservoir(RESERVOIR_SIZE, name);
  }

  add(value: ScalarValue): void {
    if (typeof value !== 'number') {
      this.nulls++;
      return;
    }
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
    this.reservoir.add(value);
  }

  result(): NumericColumnStats {
    const [p50, p90, p99] = this.reservoir.quantiles([0.5, 0.9, 0.99]);
    const empty = this.count === 0;
    return {
      type: this.type,
      count: this.count,
      nulls: this.nulls,
      min: empty ? null : this.min,
      max: empty ? null : this.max,
      mean: empty ? null : this.mean,
      stddev: empty ? null : Math.sqrt(this.m2 / this.count),
      p50,
      p90,
      p99,
      quantilesExact: this.reservoir.exact,
    };
  }
}

/** Misra–Gries heavy hitters with batch pruning: amortised O(1) per value, ≤ 2k counters. */
export class TopValues {
  private readonly counts = new Map<string, number>();
  private pruned = false;

  constructor(private readonly k: number = TOP_K_COUNTERS) {}

  add(value: string): void {
    const c = this.counts.get(value);
    if (c !== undefined) {
      this.counts.set(value, c + 1);
      return;
    }
    this.counts.set(value, 1);
    if (this.counts.size > 2 * this.k) this.prune();
  }

  private prune(): void {
    const sorted = [...this.counts.values()].sort((a, b) => b - a);
    const threshold = sorted[this.k];
    for (const [value, count] of this.counts) {
      if (count <= threshold) this.counts.delete(value);
      else this.counts.set(value, count - threshold);
    }
    this.pruned = true;
  }

  get exact(): boolean {
    return !this.pruned;
  }

  top(n: number): { value: string; count: number }[] {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, n)
      .map(([value, count]) => ({ value, count }));
  }
}

class StringAccumulator implements Accumulator {
  private count = 0;
  private nulls = 0;
  private readonly top?: TopValues;

  constructor(
    private readonly pii: 'hash' | 'mask' | undefined,
    withTopValues: boolean,
  ) {
    if (withTopValues && !pii) this.top = new TopValues();
  }

  add(value: ScalarValue): void {
    if (value === null) {
      this.nulls++;
      return;
    }
    this.count++;
    this.top?.add(String(value));
  }

  result(): StringColumnStats {
    return {
      type: 'string',
      count: this.count,
      nulls: this.nulls,
      ...(this.pii ? { pii: this.pii } : {}),
      ...(this.top ? { topValues: this.top.top(TOP_VALUES), topValuesExact: this.top.exact } : {}),
    };
  }
}

class BoolAccumulator implements Accumulator {
  private nulls = 0;
  private trues = 0;
  private falses = 0;

  add(value: ScalarValue): void {
    if (value === true) this.trues++;
    else if (value === false) this.falses++;
    else this.nulls++;
  }

  result(): BoolColumnStats {
    return { type: 'bool', count: this.trues + this.falses, nulls: this.nulls, trueCount: this.trues, falseCount: this.falses };
  }
}

class TimestampAccumulator implements Accumulator {
  private count = 0;
  private nulls = 0;
  private min: string | null = null;
  private max: string | null = null;

  add(value: ScalarValue): void {
    if (typeof value !== 'string') {
      this.nulls++;
      return;
    }
    this.count++;
    // Canonical ISO-8601 UTC strings of years 0001-9999 sort chronologically.
    if (this.min === null || value < this.min) this.min = value;
    if (this.max === null || value > this.max) this.max = value;
  }

  result(): TimestampColumnStats {
    return { type: 'timestamp', count: this.count, nulls: this.nulls, min: this.min, max: this.max };
  }
}

class BiasCounter {
  private readonly counts = new Map<string, number>();

  add(value: ScalarValue): void {
    let bucket = value === null ? NULL_BUCKET : String(value);
    if (!this.counts.has(bucket) && this.counts.size >= BIAS_MAX_VALUES) bucket = OTHER_BUCKET;
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
  }

  shares(total: number): Record<string, number> {
    const out: Record<string, number> = {};
    const keys = [...this.counts.keys()].sort();
    for (const k of keys) out[k] = total === 0 ? 0 : (this.counts.get(k) as number) / total;
    return out;
  }
}

/** Statistics over the valid, de-duplicated rows of one ingest. */
export class DatasetStats {
  private readonly columns: [string, Accumulator, (row: ValidRow) => ScalarValue][] = [];
  private readonly bias: [string, BiasCounter][] = [];
  private rows = 0;

  constructor(group: FeatureGroup) {
    for (const key of group.entityKeys) {
      const name = key.name;
      const acc = key.type === 'int' ? new NumericAccumulator('int', name) : new StringAccumulator(undefined, false);
      this.columns.push([name, acc, (row) => row.entities[name] ?? null]);
    }
    this.columns.push([group.eventTimeColumn, new TimestampAccumulator(), (row) => row.eventTime]);
    for (const f of group.features) {
      if (f.pii === 'drop') continue;
      const name = f.name;
      let acc: Accumulator;
      switch (f.type) {
        case 'int':
        case 'float':
          acc = new NumericAccumulator(f.type, name);
          break;
        case 'string':
          acc = new StringAccumulator(f.pii, true);
          break;
        case 'bool':
          acc = new BoolAccumulator();
          break;
        case 'timestamp':
          acc = new TimestampAccumulator();
          break;
      }
      this.columns.push([name, acc, (row) => row.features[name] ?? null]);
    }
    for (const attribute of group.sensitiveAttributes) this.bias.push([attribute, new BiasCounter()]);
  }

  add(row: ValidRow): void {
    this.rows++;
    for (const [, acc, get] of this.columns) acc.add(get(row));
    for (const [name, counter] of this.bias) counter.add(row.features[name] ?? null);
  }

  columnStats(): Record<string, ColumnStats> {
    const out: Record<string, ColumnStats> = {};
    for (const [name, acc] of this.columns) out[name] = acc.result();
    return out;
  }

  biasReport(): BiasReport {
    const out: BiasReport = {};
    for (const [name, counter] of this.bias) out[name] = counter.shares(this.rows);
    return out;
  }
}

