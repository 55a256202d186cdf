/**
 * The numerical core of the drift detector: special functions and two-sample statistics, pure and
 * dependency-free. Formulas and their sources are listed in README.md ("Formulas").
 *
 * - `logGamma`: Lanczos approximation (g = 7, 9 coefficients), |relative error| < 1e-14.
 * - `gammaP` / `gammaQ`: regularized incomplete gamma functions, by the power series for
 *   x < a + 1 and by the modified-Lentz continued fraction otherwise (Numerical Recipes §6.2),
 *   iterated to double precision.
 * - `normalCdf` / `normalSf` through erfc(x) = Q(1/2, x²) (full double precision in the tails);
 *   `normalQuantile`: Acklam's rational approximation refined by one Halley step.
 * - `kolmogorovSf`: survival function of the Kolmogorov distribution,
 *   Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²} (λ ≥ 1.18), or 1 − (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (reflection for x < 0.5). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

function gammaSeries(a: number, x: number): number {
  let sum = 1 / a;
  let term = sum;
  let ap = a;
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x)/Γ(a), a > 0, x ≥ 0. */
export function gammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError('gammaP needs a > 0 and x >= 0');
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), computed directly in the upper tail. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError('gammaQ needs a > 0 and x >= 0');
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

/** Survival function of the chi-square distribution with `df` degrees of freedom: P(X ≥ x). */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError('chi-square needs df > 0');
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/** Complementary error function. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? gammaQ(0.5, x * x) : 1 + gammaP(0.5, x * x);
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal survival function 1 − Φ(z), accurate in the upper tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Φ⁻¹(p) for 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('normalQuantile needs 0 < p < 1');
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((ACKLAM_C[0] * q + ACKLAM_C[1]) * q + ACKLAM_C[2]) * q + ACKLAM_C[3]) * q + ACKLAM_C[4]) * q + ACKLAM_C[5]) /
      ((((ACKLAM_D[0] * q + ACKLAM_D[1]) * q + ACKLAM_D[2]) * q + ACKLAM_D[3]) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((ACKLAM_A[0] * r + ACKLAM_A[1]) * r + ACKLAM_A[2]) * r + ACKLAM_A[3]) * r + ACKLAM_A[4]) * r + ACKLAM_A[5]) * q) /
      (((((ACKLAM_B[0] * r + ACKLAM_B[1]) * r + ACKLAM_B[2]) * r + ACKLAM_B[3]) * r + ACKLAM_B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((ACKLAM_C[0] * q + ACKLAM_C[1]) * q + ACKLAM_C[2]) * q + ACKLAM_C[3]) * q + ACKLAM_C[4]) * q + ACKLAM_C[5]) /
      ((((ACKLAM_D[0] * q + ACKLAM_D[1]) * q + ACKLAM_D[2]) * q + ACKLAM_D[3]) * q + 1);
  }
  // One Halley step against the exact CDF brings the error to ~1e-15.
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Survival function of the Kolmogorov distribution, Q_KS(λ) = P(K > λ). */
export function kolmogorovSf(lambda: number): number {
  if (Number.isNaN(lambda)) return NaN;
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    // P(K ≤ λ) = √(2π)/λ · Σ exp(−(2k−1)²π²/(8λ²)): converges fast for small λ.
    const w = (Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k <= 20; k++) {
      const term = Math.exp(-(2 * k - 1) * (2 * k - 1) * w);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** Ascending numeric sort of a copy (typed arrays sort numerically). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Two-sample Kolmogorov–Smirnov statistic D = sup |F_a − F_b| of two ascending samples (ties handled). */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('ksStatistic needs two non-empty samples');
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = a[i] <= b[j] ? a[i] : b[j];
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Two-sided two-sample KS test on ascending samples. p-value: the asymptotic Kolmogorov
 * distribution with Stephens' small-sample correction, Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D) with
 * nₑ = nm/(n+m) (Stephens 1970; Numerical Recipes `kstwo`). scipy's `ks_2samp` default
 * (`method='auto'`) computes the exact distribution when max(n, m) ≤ 10 000 and otherwise
 * `kstwo.sf(D, round(nₑ))`; near p = 0.05 the two differ by < 5e-4 (n = 800, m = 900; see the tests).
 */
export function ksTest(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const statistic = ksStatistic(a, b);
  const ne = (a.length * b.length) / (a.length + b.length);
  const sq = Math.sqrt(ne);
  const pValue = kolmogorovSf((sq + 0.12 + 0.11 / sq) * statistic);
  return { statistic, pValue };
}

/** First Wasserstein distance ∫|F_a − F_b| dx between the empirical distributions of two ascending samples. */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('wasserstein1 needs two non-empty samples');
  let i = 0;
  let j = 0;
  let total = 0;
  let x = Math.min(a[0], b[0]);
  while (i < n || j < m) {
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    if (i === n && j === m) break;
    const next = i < n && (j === m || a[i] <= b[j]) ? a[i] : b[j];
    total += Math.abs(i / n - j / m) * (next - x);
    x = next;
  }
  return total;
}

/** Population standard deviation helper state (Welford). */
export class RunningMoments {
  count = 0;
  mean = 0;
  private m2 = 0;

  add(x: number): void {
    this.count++;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
  }

  /** Population standard deviation (numpy's `np.std` default, ddof = 0). */
  get std(): number {
    return this.count === 0 ? NaN : Math.sqrt(this.m2 / this.count);
  }
}

/**
 * Jensen–Shannon distance of two (not necessarily normalised) non-negative vectors, natural
 * logarithm — what `scipy.spatial.distance.jensenshannon(p, q)` returns with `base=None`, the call
 * Evidently makes: √((KL(p‖m) + KL(q‖m))/2), m = (p + q)/2. Range 0..√ln 2 ≈ 0.8326.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length || p.length === 0) throw new RangeError('jensenShannonDistance needs two vectors of the same non-zero length');
  const sp = p.reduce((s, v) => s + v, 0);
  const sq = q.reduce((s, v) => s + v, 0);
  if (!(sp > 0) || !(sq > 0)) throw new RangeError('jensenShannonDistance needs vectors with a positive sum');
  let js = 0;
  for (let k = 0; k < p.length; k++) {
    const pk = p[k] / sp;
    const qk = q[k] / sq;
    const mk = (pk + qk) / 2;
    if (pk > 0) js += pk * Math.log(pk / mk);
    if (qk > 0) js += qk * Math.log(qk / mk);
  }
  return Math.sqrt(Math.max(0, js) / 2);
}

/**
 * Evidently's zero filling for PSI (`get_binned_data(..., feel_zeroes=True)`): zero shares become
 * min(non-zero)/10⁶ when the smallest non-zero share is ≤ 0.0001, else 0.0001.
 */
export function fillZeroes(shares: readonly number[]): number[] {
  const nonZero = shares.filter((s) => s !== 0);
  if (nonZero.length === 0) return [...shares];
  const min = Math.min(...nonZero);
  const fill = min <= 0.0001 ? min / 1e6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

/** Population Stability Index Σ (r − c)·ln(r/c) of two share vectors (zero-filled as Evidently does). */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length || reference.length === 0) throw new RangeError('PSI needs two share vectors of the same non-zero length');
  const r = fillZeroes(reference);
  const c = fillZeroes(current);
  let psi = 0;
  for (let k = 0; k < r.length; k++) psi += (r[k] - c[k]) * Math.log(r[k] / c[k]);
  return psi;
}

/**
 * Bin edges as `numpy.histogram_bin_edges(data, bins='sturges')`: ⌈log₂ n + 1⌉ equal-width bins
 * over [min, max] (n = number of values); a zero range becomes [min − 0.5, max + 0.5] with one bin.
 */
export function sturgesEdges(min: number, max: number, n: number): number[] {
  if (!(n > 0) || !Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new RangeError('sturgesEdges needs n > 0 and a finite range');
  if (min === max) return [min - 0.5, max + 0.5];
  const bins = Math.ceil(Math.log2(n) + 1);
  const edges: number[] = [];
  for (let k = 0; k <= bins; k++) edges.push(min + ((max - min) * k) / bins);
  edges[bins] = max;
  return edges;
}

/** Counts per bin of `edges` (numpy semantics: [e_k, e_{k+1}) and the last bin closed); values outside are ignored. */
export function histogram(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  const first = edges[0];
  const last = edges[bins];
  const scale = bins / (last - first);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!(x >= first && x <= last)) continue;
    let k = x === last ? bins - 1 : Math.floor((x - first) * scale);
    // Correct floating-point misplacement near an edge.
    if (k > 0 && x < edges[k]) k--;
    else if (k < bins - 1 && x >= edges[k + 1]) k++;
    counts[k]++;
  }
  return counts;
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
}

/**
 * Pearson's goodness-of-fit test as `scipy.stats.chisquare(f_obs, f_exp)`: Σ (o − e)²/e with
 * k − 1 degrees of freedom. An expected count of 0 with a positive observation gives ∞ and p = 0.
 */
export function chiSquareTest(observed: readonly number[], expected: readonly number[]): ChiSquareResult {
  if (observed.length !== expected.length || observed.length < 2) throw new RangeError('chiSquareTest needs at least two categories');
  let statistic = 0;
  for (let k = 0; k < observed.length; k++) {
    const o = observed[k];
    const e = expected[k];
    if (e === 0) {
      if (o !== 0) statistic = Infinity;
      continue;
    }
    statistic += ((o - e) * (o - e)) / e;
  }
  const df = observed.length - 1;
  return { statistic, df, pValue: statistic === Infinity ? 0 : chiSquareSf(statistic, df) };
}

export interface TwoProportionResult {
  readonly z: number;
  /** Two-sided p-value 2·(1 − Φ(|z|)). */
  readonly pValue: number;
}

/** Pooled two-proportion z-test of x1/n1 against x2/n2; z = (p1 − p2)/√(p(1−p)(1/n1 + 1/n2)). */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): TwoProportionResult {
  if (!(n1 > 0) || !(n2 > 0)) throw new RangeError('twoProportionZTest needs two non-empty groups');
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (p1 - p2) / se;
  return { z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}

/**
 * Required sample size per arm to detect p1 → p2 with a two-sided test at `alpha` and `power`
 * (Fleiss, "Statistical Methods for Rates and Proportions", unpooled/pooled normal approximation):
 * n = (z_{1−α/2}·√(2p̄(1−p̄)) + z_{power}·√(p1(1−p1) + p2(1−p2)))² / (p1 − p2)², p̄ = (p1 + p2)/2.
 */
export function requiredSampleSizePerArm(p1: number, p2: number, alpha: number, power: number): number {
  if (p1 === p2) throw new RangeError('the two proportions must differ');
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const pBar = (p1 + p2) / 2;
  const root = za * Math.sqrt(2 * pBar * (1 - pBar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((root * root) / ((p1 - p2) * (p1 - p2)));
}
