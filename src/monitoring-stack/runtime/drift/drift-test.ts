/**
 * Per-column drift: the test choice, the tests and the dataset-drift rule, following Evidently.
 *
 * Verified against Evidently's source (evidentlyai/evidently,
 * `src/evidently/legacy/calculations/stattests/registry.py` `_get_default_stattest`, and the test
 * modules next to it: `ks_stattest.py`, `wasserstein_distance_norm.py`, `chisquare_stattest.py`,
 * `z_stattest.py`, `jensenshannon.py`, `psi.py`, `utils.py` `get_binned_data`):
 *
 *   n_values = distinct non-null values of reference ∪ current
 *   reference rows ≤ 1000:  numeric     n_values ≤ 5 → chisquare if n_values > 2 else z;  else ks
 *                           categorical n_values > 2 → chisquare, else z
 *   reference rows > 1000:  numeric     n_values ≤ 5 → jensenshannon;  else wasserstein
 *                           categorical → jensenshannon
 *
 *   ks            p-value of scipy ks_2samp,           drift when p ≤ 0.05
 *   wasserstein   W1 / max(std(reference), 0.001),      drift when ≥ 0.1  (np.std: population)
 *   chisquare     scipy chisquare(f_obs=current counts, f_exp=reference counts · n_cur/n_ref),
 *                 drift when p < 0.05
 *   z             pooled two-proportion z-test (share of values ≠ the smallest key), two-sided,
 *                 p = 1 when both sides hold the same single value, drift when p < 0.05
 *   jensenshannon scipy jensenshannon(ref shares, cur shares) with base=None (natural log),
 *                 no zero filling, drift when ≥ 0.1
 *   psi           Σ (r − c)·ln(r/c) with zero shares filled (min non-zero/10⁶ if ≤ 1e-4, else 1e-4),
 *                 drift when ≥ 0.1
 *   Shares for jensenshannon/psi: numeric columns with > 20 distinct reference values → Sturges
 *   histogram (np.histogram_bin_edges(ref ∪ cur, 'sturges')); otherwise counts per value over the
 *   union of values.
 *   Dataset drift: share of drifted columns ≥ drift_share (default 0.5).
 *   Nulls: `legacy/calculations/data_drift.py` `get_one_column_drift` drops NaN/±inf on both sides
 *   before choosing and running the test (so the row counts above are non-null counts); where
 *   Evidently raises on an empty column, this reports `no_data` (not drifted).
 *
 * Here numeric tests run on the reservoir samples (exact up to `reservoirSize` rows per side);
 * counts, the reference standard deviation, min/max and the row counts that choose the test are exact.
 */
import { DEFAULT_THRESHOLDS, type DriftColumn, type DriftTestName, P_VALUE_TESTS } from '../../drift-config';
import { type CategoricalSketch, type ColumnSketch, type NumericSketch } from './sketch';
import {
  chiSquareTest,
  histogram,
  jensenShannonDistance,
  ksTest,
  populationStabilityIndex,
  sturgesEdges,
  twoProportionZTest,
  wasserstein1,
} from './statistics';

/** Evidently's boundary between "small" and "large" reference data. */
export const SMALL_REFERENCE_ROWS = 1000;
/** Evidently's boundary for "few" distinct values in the default test choice. */
export const FEW_VALUES = 5;
/** Evidently's boundary for value-count (vs. histogram) binning of numeric columns. */
export const BINNING_DISTINCT_VALUES = 20;

export interface SideSummary {
  /** Non-null values of the right type. */
  readonly rows: number;
  readonly nulls: number;
  readonly invalid: number;
}

export interface ColumnDriftResult {
  readonly column: string;
  readonly type: 'numeric' | 'categorical';
  /** `null` when a side has no values (status `no_data`). */
  readonly test: DriftTestName | null;
  /** How the test was chosen. */
  readonly testSource: 'default' | 'config' | null;
  readonly threshold: number | null;
  /** p-value (ks, chisquare, z) or distance (wasserstein, jensenshannon, psi); `null` without data. */
  readonly score: number | null;
  readonly drifted: boolean;
  readonly status: 'ok' | 'no_data';
  readonly reference: SideSummary;
  readonly current: SideSummary;
  /** Distinct non-null values in reference ∪ current (`null`: more than tracked). */
  readonly distinctValues: number | null;
  /** True when a numeric test ran on a sample rather than every value. */
  readonly sampled: boolean;
}

export interface DatasetDriftResult {
  readonly columns: readonly ColumnDriftResult[];
  readonly driftedColumns: number;
  readonly share: number;
  readonly threshold: number;
  readonly datasetDrift: boolean;
}

/** Evidently's default test for a column (see the module comment). */
export function defaultTest(type: 'numeric' | 'categorical', referenceRows: number, distinctValues: number): DriftTestName {
  if (referenceRows <= SMALL_REFERENCE_ROWS) {
    if (type === 'numeric') return distinctValues <= FEW_VALUES ? (distinctValues > 2 ? 'chisquare' : 'z') : 'ks';
    return distinctValues > 2 ? 'chisquare' : 'z';
  }
  if (type === 'numeric') return distinctValues <= FEW_VALUES ? 'jensenshannon' : 'wasserstein';
  return 'jensenshannon';
}

/** Drift decision for a score: p-value tests drift at p ≤ t (ks) or p < t (chisquare, z); distances at ≥ t. */
export function isDrift(test: DriftTestName, score: number, threshold: number): boolean {
  if (Number.isNaN(score)) return false;
  if (test === 'ks') return score <= threshold;
  if (P_VALUE_TESTS.has(test)) return score < threshold;
  return score >= threshold;
}

interface ValueCounts {
  readonly keys: (string | number)[];
  readonly reference: number[];
  readonly current: number[];
}

function numericValueCounts(ref: NumericSketch, cur: NumericSketch): ValueCounts | null {
  if (ref.values === null || cur.values === null) return null;
  const keys = [...new Set([...ref.values.keys(), ...cur.values.keys()])].sort((a, b) => a - b);
  return { keys, reference: keys.map((k) => ref.values?.get(k) ?? 0), current: keys.map((k) => cur.values?.get(k) ?? 0) };
}

function categoricalValueCounts(ref: CategoricalSketch, cur: CategoricalSketch): ValueCounts {
  const rc = ref.counts;
  const cc = cur.counts;
  const keys = [...new Set([...rc.keys(), ...cc.keys()])].sort();
  return { keys, reference: keys.map((k) => rc.get(k) ?? 0), current: keys.map((k) => cc.get(k) ?? 0) };
}

function valueCounts(ref: ColumnSketch, cur: ColumnSketch): ValueCounts | null {
  if (ref.type === 'numeric' && cur.type === 'numeric') return numericValueCounts(ref, cur);
  if (ref.type === 'categorical' && cur.type === 'categorical') return categoricalValueCounts(ref, cur);
  throw new Error('reference and current sketches differ in type');
}

/** Reference and current shares as Evidently's `get_binned_data` (without zero filling). */
function binnedShares(ref: ColumnSketch, cur: ColumnSketch): { reference: number[]; current: number[] } {
  if (binnedFromHistogram(ref, cur) && ref.type === 'numeric' && cur.type === 'numeric') {
    const edges = sturgesEdges(Math.min(ref.min, cur.min), Math.max(ref.max, cur.max), ref.count + cur.count);
    const rs = ref.sortedSample();
    const cs = cur.sortedSample();
    return { reference: histogram(rs, edges).map((c) => c / rs.length), current: histogram(cs, edges).map((c) => c / cs.length) };
  }
  const counts = valueCounts(ref, cur) as ValueCounts;
  return { reference: counts.reference.map((c) => c / ref.count), current: counts.current.map((c) => c / cur.count) };
}

function runTest(test: DriftTestName, ref: ColumnSketch, cur: ColumnSketch): number {
  switch (test) {
    case 'ks':
      return ksTest((ref as NumericSketch).sortedSample(), (cur as NumericSketch).sortedSample()).pValue;
    case 'wasserstein': {
      const r = ref as NumericSketch;
      const norm = Math.max(r.moments.std, 0.001);
      return wasserstein1(r.sortedSample(), (cur as NumericSketch).sortedSample()) / norm;
    }
    case 'chisquare': {
      const counts = valueCounts(ref, cur) as ValueCounts;
      if (counts.keys.length < 2) return 1;
      const k = cur.count / ref.count;
      return chiSquareTest(counts.current, counts.reference.map((c) => c * k)).pValue;
    }
    case 'z': {
      const counts = valueCounts(ref, cur) as ValueCounts;
      if (counts.keys.length < 2) return 1;
      // Evidently maps the smallest key to 0 and every other value to 1.
      return twoProportionZTest(ref.count - counts.reference[0], ref.count, cur.count - counts.current[0], cur.count).pValue;
    }
    case 'jensenshannon': {
      const shares = binnedShares(ref, cur);
      return jensenShannonDistance(shares.reference, shares.current);
    }
    case 'psi': {
      const shares = binnedShares(ref, cur);
      return populationStabilityIndex(shares.reference, shares.current);
    }
  }
}

function distinctValues(ref: ColumnSketch, cur: ColumnSketch): number | null {
  if (ref.type === 'numeric' && cur.type === 'numeric') return numericValueCounts(ref, cur)?.keys.length ?? null;
  return categoricalValueCounts(ref as CategoricalSketch, cur as CategoricalSketch).keys.length;
}

/** Runs the configured (or Evidently's default) test of one column. */
export function evaluateColumn(column: DriftColumn, ref: ColumnSketch, cur: ColumnSketch): ColumnDriftResult {
  const summary = (s: ColumnSketch): SideSummary => ({ rows: s.count, nulls: s.nulls, invalid: s.invalid });
  const distinct = distinctValues(ref, cur);
  const base = { column: column.name, type: column.type, reference: summary(ref), current: summary(cur), distinctValues: distinct };
  if (ref.count === 0 || cur.count === 0) {
    return { ...base, test: null, testSource: null, threshold: null, score: null, drifted: false, status: 'no_data', sampled: false };
  }
  const test: DriftTestName = column.test ?? defaultTest(column.type, ref.count, distinct ?? Infinity);
  const threshold = column.threshold ?? DEFAULT_THRESHOLDS[test];
  const score = runTest(test, ref, cur);
  const numericSampled = ref.type === 'numeric' && cur.type === 'numeric' && !(ref.exact && cur.exact);
  const usesSample = test === 'ks' || test === 'wasserstein' || ((test === 'psi' || test === 'jensenshannon') && ref.type === 'numeric' && binnedFromHistogram(ref, cur));
  return {
    ...base,
    test,
    testSource: column.test ? 'config' : 'default',
    threshold,
    score: Number.isNaN(score) ? null : score,
    drifted: isDrift(test, score, threshold),
    status: 'ok',
    sampled: numericSampled && usesSample,
  };
}

function binnedFromHistogram(ref: ColumnSketch, cur: ColumnSketch): boolean {
  if (ref.type !== 'numeric' || cur.type !== 'numeric') return false;
  return ref.values === null || ref.values.size > BINNING_DISTINCT_VALUES || numericValueCounts(ref, cur) === null;
}

/** Dataset drift over column results: share of drifted columns ≥ `driftShare`. */
export function datasetDrift(columns: readonly ColumnDriftResult[], driftShare: number): DatasetDriftResult {
  const drifted = columns.filter((c) => c.drifted).length;
  const share = columns.length === 0 ? 0 : drifted / columns.length;
  return { columns, driftedColumns: drifted, share, threshold: driftShare, datasetDrift: columns.length > 0 && share >= driftShare };
}
