/**
 * The numerical core of the drift detector against known values. Sources of the expected values:
 * - "scipy docs": examples printed in the SciPy reference documentation of the function named;
 * - "table": standard statistical tables (critical values);
 * - "hand": worked out by hand from the formula stated next to the assertion;
 * - "scipy 1.17.1": computed with SciPy 1.17.1 (`python3 -c ...`, call shown in the comment).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RunningMoments,
  chiSquareSf,
  chiSquareTest,
  fillZeroes,
  gammaP,
  gammaQ,
  histogram,
  jensenShannonDistance,
  kolmogorovSf,
  ksStatistic,
  ksTest,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSf,
  populationStabilityIndex,
  requiredSampleSizePerArm,
  sortedCopy,
  sturgesEdges,
  twoProportionZTest,
  wasserstein1,
} from '../../src/monitoring-stack/runtime/drift/statistics';

describe('special functions', () => {
  it('logGamma matches factorials and Γ(1/2) = √π (hand)', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9); // ln(100!)
  });

  it('chi-square survival function at tabulated 5 % critical values (table)', () => {
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareSf(5.991464547107979, 2)).toBeCloseTo(0.05, 12);
    expect(chiSquareSf(11.070497693516351, 5)).toBeCloseTo(0.05, 12);
    // scipy 1.17.1: chi2.sf(50, 10), chi2.sf(0.5, 3)
    expect(chiSquareSf(50, 10)).toBeCloseTo(2.669083424904495e-7, 18);
    expect(chiSquareSf(0.5, 3)).toBeCloseTo(0.9188914116546758, 12);
    expect(chiSquareSf(0, 4)).toBe(1);
  });

  it('gammaP + gammaQ = 1 and both lie in [0, 1]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 200, noNaN: true }), fc.double({ min: 0, max: 400, noNaN: true }), (a, x) => {
        const p = gammaP(a, x);
        const q = gammaQ(a, x);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(q).toBeLessThanOrEqual(1 + 1e-12);
        expect(p + q).toBeCloseTo(1, 9);
      }),
    );
  });

  it('normal CDF, survival and quantile (table; scipy 1.17.1 norm.sf(5), norm.cdf(-1.5))', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 10);
    expect(normalSf(5)).toBeCloseTo(2.866515718791933e-7, 18);
    expect(normalCdf(-1.5)).toBeCloseTo(0.06680720126885807, 14);
    expect(normalCdf(0)).toBeCloseTo(0.5, 15);
  });

  it('the Kolmogorov survival function at tabulated critical values (table: 1.36 → 5 %, 1.22 → 10 %)', () => {
    // scipy 1.17.1: kstwobign.sf(1.36), .sf(1.22), .sf(1.0), .sf(0.5)
    expect(kolmogorovSf(1.36)).toBeCloseTo(0.049485876755377876, 12);
    expect(kolmogorovSf(1.22)).toBeCloseTo(0.10189777916606356, 12);
    expect(kolmogorovSf(1.0)).toBeCloseTo(0.26999967167735456, 12);
    expect(kolmogorovSf(0.5)).toBeCloseTo(0.9639452436648751, 12);
    expect(kolmogorovSf(0)).toBe(1);
  });
});

describe('two-sample tests', () => {
  it('KS statistic and Stephens-corrected p-value on a small example', () => {
    const a = [0.1, 0.5, 0.9, 1.3, 2.0];
    const b = [0.3, 0.6, 1.5, 2.5, 3.0, 3.5];
    // hand: F_a − F_b reaches 4/5 − 2/6 at x = 1.3 … max |·| = 0.5 at x = 2.0 (1 − 3/6); scipy ks_2samp gives D = 0.5 too.
    expect(ksStatistic(a, b)).toBeCloseTo(0.5, 15);
    // hand/scipy 1.17.1: nₑ = 30/11, p = kstwobign.sf((√nₑ + 0.12 + 0.11/√nₑ)·0.5) = 0.3670013850902251
    expect(ksTest(a, b).pValue).toBeCloseTo(0.3670013850902251, 12);
  });

  it('KS p-value stays close to scipy\'s exact mode on moderate samples', () => {
    // scipy 1.17.1: two normal samples (n = 800, m = 900, rng seed 1) give D = 0.08388888888888889 and, in ks_2samp's
    // default exact mode, p = 0.004812437313232501. The Stephens-corrected asymptotic p for that D is within 1e-4.
    const ne = (800 * 900) / 1700;
    const lambda = (Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * 0.08388888888888889;
    expect(Math.abs(kolmogorovSf(lambda) - 0.004812437313232501)).toBeLessThan(1e-4);
    // scipy 1.17.1, rng seed 23 (shift 0.05): D = 0.06513888888888889, exact p = 0.05223351190443606 (near the 0.05 decision).
    const lambda2 = (Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * 0.06513888888888889;
    expect(Math.abs(kolmogorovSf(lambda2) - 0.05223351190443606)).toBeLessThan(5e-4);
  });

  it('KS handles ties like scipy (right-continuous ECDFs)', () => {
    // hand: a = [1,1,2], b = [1,2,2]: after x = 1, F_a = 2/3, F_b = 1/3 → D = 1/3.
    expect(ksStatistic([1, 1, 2], [1, 2, 2])).toBeCloseTo(1 / 3, 15);
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
  });

  it('Wasserstein-1 (scipy docs: wasserstein_distance([0, 1, 3], [5, 6, 8]) = 5.0)', () => {
    expect(wasserstein1([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 14);
    // scipy 1.17.1: wasserstein_distance([1,2,3,4], [1,2,2,6]) = 0.75
    expect(wasserstein1([1, 2, 3, 4], [1, 2, 2, 6])).toBeCloseTo(0.75, 14);
  });

  it('Jensen–Shannon distance uses the natural logarithm (scipy docs examples, base=None)', () => {
    expect(jensenShannonDistance([1, 0], [0.5, 0.5])).toBeCloseTo(0.46450140402245893, 14);
    // Disjoint supports: √ln 2.
    expect(jensenShannonDistance([1, 0, 0], [0, 1, 0])).toBeCloseTo(Math.sqrt(Math.LN2), 14);
    // Unnormalised inputs are normalised first (scipy 1.17.1: jensenshannon([3,1,0],[1,1,2]))
    expect(jensenShannonDistance([3, 1, 0], [1, 1, 2])).toBeCloseTo(0.48856198492162156, 14);
  });

  it('PSI with Evidently\'s zero filling (hand)', () => {
    // Σ (r − c) ln(r/c) = (0.25 − 0.5) ln(0.5) + 0 + (0.5 − 0.25) ln 2 = 0.5 ln 2
    expect(populationStabilityIndex([0.25, 0.25, 0.5], [0.5, 0.25, 0.25])).toBeCloseTo(0.5 * Math.LN2, 14);
    // Zero share: min non-zero (0.5) > 1e-4 → filled with 1e-4.
    expect(fillZeroes([0.5, 0.5, 0])).toEqual([0.5, 0.5, 0.0001]);
    // Min non-zero ≤ 1e-4 → min/1e6.
    expect(fillZeroes([0.99995, 0.00005, 0])).toEqual([0.99995, 0.00005, 0.00005 / 1e6]);
    const expected = (0.5 - 0.4) * Math.log(0.5 / 0.4) * 2 + (0.0001 - 0.2) * Math.log(0.0001 / 0.2);
    expect(populationStabilityIndex([0.5, 0.5, 0], [0.4, 0.4, 0.2])).toBeCloseTo(expected, 14);
  });

  it('chi-square goodness of fit (scipy docs: chisquare([16,18,16,14,12,12], f_exp=[16,16,16,16,16,8]))', () => {
    const r = chiSquareTest([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]);
    expect(r.statistic).toBeCloseTo(3.5, 14);
    expect(r.df).toBe(5);
    expect(r.pValue).toBeCloseTo(0.6233876277495822, 12);
    expect(chiSquareTest([5, 1], [6, 0]).pValue).toBe(0);
  });

  it('Sturges bins as numpy.histogram_bin_edges (scipy 1.17.1/numpy: 0..9 → [0, 1.8, …, 9])', () => {
    const edges = sturgesEdges(0, 9, 10);
    expect(edges).toHaveLength(6);
    [0, 1.8, 3.6, 5.4, 7.2, 9].forEach((e, i) => expect(edges[i]).toBeCloseTo(e, 12));
    expect(histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], edges)).toEqual([2, 2, 2, 2, 2]);
    expect(sturgesEdges(3, 3, 10)).toEqual([2.5, 3.5]);
  });

  it('population standard deviation as np.std (hand: [2,4,4,4,5,5,7,9] → 2)', () => {
    const m = new RunningMoments();
    [2, 4, 4, 4, 5, 5, 7, 9].forEach((x) => m.add(x));
    expect(m.std).toBeCloseTo(2, 14);
  });
});

describe('proportions', () => {
  it('pooled two-proportion z-test (hand: 45/100 vs 30/100 → p̂ = 0.375, z = 0.15/√(0.375·0.625·0.02))', () => {
    const r = twoProportionZTest(45, 100, 30, 100);
    expect(r.z).toBeCloseTo(2.1908902300206647, 12);
    expect(r.pValue).toBeCloseTo(0.02845973691631055, 12);
    expect(twoProportionZTest(0, 10, 0, 20)).toEqual({ z: 0, pValue: 1 });
  });

  it('sample size per arm (Fleiss; hand: p1 = 0.10, p2 = 0.12, α = 0.05, power 0.8 → 3841)', () => {
    // (1.959964·√(2·0.11·0.89) + 0.841621·√(0.1·0.9 + 0.12·0.88))² / 0.02² = 3840.86 → 3841
    expect(requiredSampleSizePerArm(0.1, 0.12, 0.05, 0.8)).toBe(3841);
  });
});

describe('properties', () => {
  const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 60 });
  const shares = fc.array(fc.nat({ max: 1000 }), { minLength: 2, maxLength: 12 });

  it('KS statistic and Wasserstein-1 are symmetric and bounded; identical samples show no difference', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const a = sortedCopy(x);
        const b = sortedCopy(y);
        const d = ksStatistic(a, b);
        expect(d).toBe(ksStatistic(b, a));
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
        const w = wasserstein1(a, b);
        expect(w).toBeGreaterThanOrEqual(0);
        expect(Math.abs(w - wasserstein1(b, a))).toBeLessThanOrEqual(1e-9 * Math.max(1, w));
        const p = ksTest(a, b).pValue;
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(ksStatistic(a, a)).toBe(0);
        expect(wasserstein1(a, a)).toBe(0);
        expect(ksTest(a, a).pValue).toBe(1);
      }),
    );
  });

  it('Jensen–Shannon distance is symmetric, in [0, √ln 2], and 0 for identical distributions; PSI ≥ 0', () => {
    fc.assert(
      fc.property(shares, (counts) => {
        const half = Math.floor(counts.length / 2);
        const p = counts.slice(0, half).concat([1]);
        const q = counts.slice(half, half + p.length);
        while (q.length < p.length) q.push(1);
        if (!q.some((v) => v > 0)) q[0] = 1;
        const js = jensenShannonDistance(p, q);
        expect(js).toBeCloseTo(jensenShannonDistance(q, p), 12);
        expect(js).toBeGreaterThanOrEqual(0);
        expect(js).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
        expect(jensenShannonDistance(p, p)).toBeCloseTo(0, 7);
        const sp = p.reduce((s, v) => s + v, 0);
        const sq = q.reduce((s, v) => s + v, 0);
        expect(populationStabilityIndex(p.map((v) => v / sp), q.map((v) => v / sq))).toBeGreaterThanOrEqual(-1e-12);
        expect(populationStabilityIndex(p.map((v) => v / sp), p.map((v) => v / sp))).toBeCloseTo(0, 12);
      }),
    );
  });

  it('z-test p-values lie in [0, 1] and are symmetric in the two groups', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (n1, n2, r1, r2) => {
        const x1 = Math.round(r1 * n1);
        const x2 = Math.round(r2 * n2);
        const a = twoProportionZTest(x1, n1, x2, n2);
        const b = twoProportionZTest(x2, n2, x1, n1);
        expect(a.pValue).toBeGreaterThanOrEqual(0);
        expect(a.pValue).toBeLessThanOrEqual(1);
        expect(a.pValue).toBeCloseTo(b.pValue, 12);
      }),
    );
  });
});
