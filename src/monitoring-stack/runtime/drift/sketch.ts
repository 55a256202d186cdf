/**
 * Bounded-memory summaries of one column on one side (reference or current).
 *
 * - `NumericSketch`: exact count, nulls, invalid values, min, max, mean and population standard
 *   deviation (Welford), a uniform reservoir sample of at most `reservoirSize` values (Li's
 *   "Algorithm L": after the reservoir fills, it draws how many values to skip, so the PRNG runs
 *   O(k·log(n/k)) times instead of once per value) with a seeded xorshift32 PRNG (so a run is
 *   reproducible), and
 *   exact counts per distinct value while there are at most `TRACKED_DISTINCT_VALUES` of them
 *   (enough for Evidently's "≤ 5 distinct values" test choice and its "≤ 20 distinct values"
 *   binning rule).
 * - `CategoricalSketch`: exact counts per value (strings; numbers and booleans as their JSON text)
 *   for the first `maxCategories` distinct values; later new values are counted under `(other)`.
 *
 * `null` or a missing field is a null; a value of the wrong type (an object, an array, a string in
 * a numeric column) is counted as invalid. Neither enters the tests, as Evidently drops NaN.
 */
import { seededRandom } from '../../../feature-store/runtime/stats';
import { RunningMoments } from './statistics';

export const OTHER_CATEGORY = '(other)';
export const TRACKED_DISTINCT_VALUES = 21;

export interface SketchOptions {
  readonly reservoirSize: number;
  readonly maxCategories: number;
  /** PRNG seed (numeric sketches). */
  readonly seed: string;
}

export class NumericSketch {
  readonly type = 'numeric';
  count = 0;
  nulls = 0;
  invalid = 0;
  min = Infinity;
  max = -Infinity;
  readonly moments = new RunningMoments();
  private readonly sample: Float64Array;
  private readonly random: () => number;
  /** Algorithm L state: the next count whose value enters the reservoir, and W. */
  private nextReplace = 0;
  private w = 1;
  /** Exact counts per value while ≤ TRACKED_DISTINCT_VALUES distinct values were seen; then `null`. */
  values: Map<number, number> | null = new Map();

  constructor(options: SketchOptions) {
    this.sample = new Float64Array(options.reservoirSize);
    this.random = seededRandom(options.seed);
  }

  add(raw: unknown): void {
    if (typeof raw !== 'number') {
      if (raw === null || raw === undefined) this.nulls++;
      else this.invalid++;
      return;
    }
    const n = ++this.count;
    if (raw < this.min) this.min = raw;
    if (raw > this.max) this.max = raw;
    this.moments.add(raw);
    const capacity = this.sample.length;
    if (n <= capacity) {
      this.sample[n - 1] = raw;
      if (n === capacity) this.skip();
    } else if (n === this.nextReplace) {
      this.sample[Math.floor(this.random() * capacity)] = raw;
      this.skip();
    }
    const values = this.values;
    if (values !== null) {
      const c = values.get(raw);
      if (c !== undefined) values.set(raw, c + 1);
      else if (values.size < TRACKED_DISTINCT_VALUES) values.set(raw, 1);
      else this.values = null;
    }
  }

  /** Algorithm L: W ← W·U^(1/k); the next replacement is after ⌊ln U'/ln(1 − W)⌋ skipped values. */
  private skip(): void {
    const k = this.sample.length;
    this.w *= Math.exp(Math.log(this.uniform()) / k);
    this.nextReplace = this.count + Math.floor(Math.log(this.uniform()) / Math.log(1 - this.w)) + 1;
  }

  /** A uniform value in (0, 1) (never 0, so logarithms stay finite). */
  private uniform(): number {
    let u = this.random();
    while (u === 0) u = this.random();
    return u;
  }

  /** True when the sample holds every value. */
  get exact(): boolean {
    return this.count <= this.sample.length;
  }

  /** The sampled values, ascending. */
  sortedSample(): Float64Array {
    return this.sample.slice(0, Math.min(this.count, this.sample.length)).sort();
  }
}

export class CategoricalSketch {
  readonly type = 'categorical';
  count = 0;
  nulls = 0;
  invalid = 0;
  private readonly cells = new Map<string, { n: number }>();

  constructor(private readonly maxCategories: number) {}

  /** Count per value (`(other)` holds the values past the cap). */
  get counts(): Map<string, number> {
    return new Map([...this.cells].map(([k, c]) => [k, c.n]));
  }

  add(raw: unknown): void {
    let key: string;
    switch (typeof raw) {
      case 'string':
        key = raw;
        break;
      case 'number':
      case 'boolean':
        key = String(raw);
        break;
      default:
        if (raw === null || raw === undefined) this.nulls++;
        else this.invalid++;
        return;
    }
    this.count++;
    const cell = this.cells.get(key);
    if (cell !== undefined) {
      cell.n++;
      return;
    }
    if (this.cells.size < this.maxCategories) this.cells.set(key, { n: 1 });
    else {
      const other = this.cells.get(OTHER_CATEGORY);
      if (other) other.n++;
      else this.cells.set(OTHER_CATEGORY, { n: 1 });
    }
  }

  /** True when some values were pooled under `(other)` because of the cap. */
  get pooled(): boolean {
    return this.cells.size >= this.maxCategories && this.cells.has(OTHER_CATEGORY);
  }
}

export type ColumnSketch = NumericSketch | CategoricalSketch;

export function createSketch(type: 'numeric' | 'categorical', options: SketchOptions): ColumnSketch {
  return type === 'numeric' ? new NumericSketch(options) : new CategoricalSketch(options.maxCategories);
}
