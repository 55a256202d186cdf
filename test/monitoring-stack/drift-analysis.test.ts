/**
 * The pure parts of the drift runtime: Evidently's test choice, column evaluation on sketches,
 * fairness, A/B, LLM usage, the JSON Lines reader, the metric outputs and the config schema.
 * Expected values are worked out by hand from the formulas next to each assertion.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DriftConfigSchema, type DriftConfigInput } from '../../src/monitoring-stack/drift-config';
import { DRIFT_METRICS } from '../../src/monitoring-stack/metric-names';
import { analyzeVariants, isConversion } from '../../src/monitoring-stack/runtime/drift/ab-test';
import { ColumnProfile, WindowAnalysis, buildReport, sourceSummary } from '../../src/monitoring-stack/runtime/drift/analysis';
import { DriftConfigError, driftConfigFromEnv, parseDriftConfig } from '../../src/monitoring-stack/runtime/drift/config';
import { alertSubject, reportKey } from '../../src/monitoring-stack/runtime/drift/detector';
import { datasetDrift, defaultTest, evaluateColumn, isDrift } from '../../src/monitoring-stack/runtime/drift/drift-test';
import { eventTimeOf } from '../../src/monitoring-stack/runtime/drift/lambda';
import { FairnessAccumulator } from '../../src/monitoring-stack/runtime/drift/fairness';
import { StreamReadError, emptyLineCounts, readJsonLines } from '../../src/monitoring-stack/runtime/drift/json-lines';
import { LlmUsageAccumulator } from '../../src/monitoring-stack/runtime/drift/llm-usage';
import { emfLines, gaugesOf, prometheusText } from '../../src/monitoring-stack/runtime/drift/metrics';
import { CategoricalSketch, NumericSketch, OTHER_CATEGORY } from '../../src/monitoring-stack/runtime/drift/sketch';
import { FieldLayout } from '../../src/monitoring-stack/runtime/drift/record-decoder';
import { jensenShannonDistance, ksTest } from '../../src/monitoring-stack/runtime/drift/statistics';

const SKETCH = { reservoirSize: 1000, maxCategories: 1000, seed: 't' };

function numeric(values: readonly (number | null)[], options = SKETCH): NumericSketch {
  const s = new NumericSketch(options);
  values.forEach((v) => s.add(v));
  return s;
}

function categorical(values: readonly (string | null)[], max = 1000): CategoricalSketch {
  const s = new CategoricalSketch(max);
  values.forEach((v) => s.add(v));
  return s;
}

const repeat = <T>(value: T, n: number): T[] => Array.from({ length: n }, () => value);

const BASE_CONFIG: DriftConfigInput = {
  model: 'churn',
  dataset: 'customers',
  baseline: { kind: 'sample', bucket: 'ref-bucket', prefix: 'ref/' },
  window: { bucket: 'win-bucket', prefix: 'win/' },
  columns: [{ name: 'x', type: 'numeric' }],
  outputs: { reportBucket: 'rep-bucket' },
};

describe('Evidently\'s default test choice', () => {
  it('follows _get_default_stattest by reference size and distinct values', () => {
    expect(defaultTest('numeric', 1000, 6)).toBe('ks');
    expect(defaultTest('numeric', 1000, 5)).toBe('chisquare');
    expect(defaultTest('numeric', 1000, 2)).toBe('z');
    expect(defaultTest('numeric', 1001, 6)).toBe('wasserstein');
    expect(defaultTest('numeric', 1001, 5)).toBe('jensenshannon');
    expect(defaultTest('categorical', 1000, 3)).toBe('chisquare');
    expect(defaultTest('categorical', 1000, 2)).toBe('z');
    expect(defaultTest('categorical', 1001, 2)).toBe('jensenshannon');
  });

  it('applies each test\'s comparison: ks p ≤ t, chisquare/z p < t, distances ≥ t', () => {
    expect(isDrift('ks', 0.05, 0.05)).toBe(true);
    expect(isDrift('chisquare', 0.05, 0.05)).toBe(false);
    expect(isDrift('z', 0.0499, 0.05)).toBe(true);
    expect(isDrift('wasserstein', 0.1, 0.1)).toBe(true);
    expect(isDrift('psi', 0.0999, 0.1)).toBe(false);
    expect(isDrift('jensenshannon', NaN, 0.1)).toBe(false);
  });
});

describe('column evaluation', () => {
  const ref = Array.from({ length: 500 }, (_, i) => i / 10);

  it('small numeric reference → KS on exact values; a shift drifts, the same data does not', () => {
    const same = evaluateColumn({ name: 'x', type: 'numeric' }, numeric(ref), numeric(ref));
    expect(same).toMatchObject({ test: 'ks', testSource: 'default', threshold: 0.05, score: 1, drifted: false, status: 'ok', sampled: false });
    const shifted = evaluateColumn({ name: 'x', type: 'numeric' }, numeric(ref), numeric(ref.map((v) => v + 10)));
    expect(shifted.test).toBe('ks');
    // D = 100/500 = 0.2 → the p-value equals ksTest on the same arrays.
    expect(shifted.score).toBeCloseTo(ksTest(ref, ref.map((v) => v + 10)).pValue, 15);
    expect(shifted.drifted).toBe(true);
  });

  it('large numeric reference → normed Wasserstein (W1 / population std)', () => {
    const big = Array.from({ length: 2000 }, (_, i) => i % 100);
    const cur = big.map((v) => v + 5);
    const options = { ...SKETCH, reservoirSize: 5000 };
    const r = evaluateColumn({ name: 'x', type: 'numeric' }, numeric(big, options), numeric(cur, options));
    // W1 of a pure shift = 5; std of 0..99 uniform = √((100² − 1)/12) = 28.866
    expect(r.test).toBe('wasserstein');
    expect(r.score).toBeCloseTo(5 / Math.sqrt((100 * 100 - 1) / 12), 10);
    expect(r.drifted).toBe(true);
  });

  it('numeric with few values uses value counts: chi-square (3..5 values) and the z-test (binary)', () => {
    const three = evaluateColumn({ name: 'x', type: 'numeric' }, numeric([...repeat(1, 50), ...repeat(2, 30), ...repeat(3, 20)]), numeric([...repeat(1, 50), ...repeat(2, 30), ...repeat(3, 20)]));
    expect(three).toMatchObject({ test: 'chisquare', score: 1, drifted: false, distinctValues: 3 });
    // hand: ref 60/100 ones, cur 40/100 ones → z-test on shares of "not the smallest key" (= 1): 0.4 vs 0.6, pooled 0.5,
    // z = −0.2/√(0.25·0.02) = −2√2 → p = 2·(1 − Φ(2√2)) = 0.0046777349810472576 (scipy 1.17.1)
    const binary = evaluateColumn({ name: 'x', type: 'numeric' }, numeric([...repeat(0, 40), ...repeat(1, 60)]), numeric([...repeat(0, 60), ...repeat(1, 40)]));
    expect(binary.test).toBe('z');
    expect(binary.score).toBeCloseTo(0.004677734981047266, 10);
    expect(binary.drifted).toBe(true);
  });

  it('categorical: chi-square with expected = reference counts scaled to the current size', () => {
    // hand: ref a/b/c = 50/30/20 (n 100), cur = 20/20/10 (n 50) → expected 25/15/10,
    // χ² = 25/25 + 25/15 + 0 = 2.6667, df 2 → p = e^(−χ²/2) = 0.263597
    const r = evaluateColumn({ name: 'c', type: 'categorical' }, categorical([...repeat('a', 50), ...repeat('b', 30), ...repeat('c', 20)]), categorical([...repeat('a', 20), ...repeat('b', 20), ...repeat('c', 10)]));
    expect(r.test).toBe('chisquare');
    expect(r.score).toBeCloseTo(Math.exp(-(8 / 3) / 2), 12);
    expect(r.drifted).toBe(false);
  });

  it('categorical with a large reference → Jensen–Shannon distance on shares', () => {
    const refValues = [...repeat('a', 800), ...repeat('b', 400)];
    const curValues = [...repeat('a', 200), ...repeat('b', 600)];
    const r = evaluateColumn({ name: 'c', type: 'categorical' }, categorical(refValues), categorical(curValues));
    expect(r.test).toBe('jensenshannon');
    expect(r.score).toBeCloseTo(jensenShannonDistance([2 / 3, 1 / 3], [0.25, 0.75]), 14);
    expect(r.drifted).toBe(true);
  });

  it('honours a per-column test and threshold override (PSI over value shares)', () => {
    const r = evaluateColumn(
      { name: 'c', type: 'categorical', test: 'psi', threshold: 0.5 },
      categorical([...repeat('a', 25), ...repeat('b', 25), ...repeat('c', 50)]),
      categorical([...repeat('a', 50), ...repeat('b', 25), ...repeat('c', 25)]),
    );
    // hand: PSI([.25,.25,.5], [.5,.25,.25]) = 0.5 ln 2 = 0.3466 < 0.5
    expect(r).toMatchObject({ test: 'psi', testSource: 'config', threshold: 0.5, drifted: false });
    expect(r.score).toBeCloseTo(0.5 * Math.LN2, 14);
  });

  it('numeric PSI/JS on many distinct values use Sturges bins over reference ∪ current', () => {
    const a = Array.from({ length: 100 }, (_, i) => i);
    const r = evaluateColumn({ name: 'x', type: 'numeric', test: 'jensenshannon' }, numeric(a), numeric(a));
    expect(r.score).toBeCloseTo(0, 12);
    const shifted = evaluateColumn({ name: 'x', type: 'numeric', test: 'psi' }, numeric(a), numeric(a.map((v) => v + 100)));
    expect(shifted.drifted).toBe(true);
  });

  it('reports no_data (and no drift) when a side has no values; nulls and invalid values are counted apart', () => {
    const r = evaluateColumn({ name: 'x', type: 'numeric' }, numeric([1, 2, 3]), numeric([null, null]));
    expect(r).toMatchObject({ status: 'no_data', test: null, score: null, drifted: false, current: { rows: 0, nulls: 2, invalid: 0 } });
    const s = new NumericSketch(SKETCH);
    s.add('12');
    s.add({});
    s.add(undefined);
    expect({ count: s.count, nulls: s.nulls, invalid: s.invalid }).toEqual({ count: 0, nulls: 1, invalid: 2 });
  });

  it('dataset drift when the share of drifted columns reaches the threshold', () => {
    const col = (drifted: boolean) => ({ drifted }) as Parameters<typeof datasetDrift>[0][number];
    expect(datasetDrift([col(true), col(false)], 0.5)).toMatchObject({ driftedColumns: 1, share: 0.5, datasetDrift: true });
    expect(datasetDrift([col(true), col(false), col(false)], 0.5)).toMatchObject({ share: 1 / 3, datasetDrift: false });
  });
});

describe('sketches stay bounded', () => {
  it('the numeric reservoir keeps a fixed-size, reproducible uniform sample', () => {
    const options = { reservoirSize: 1000, maxCategories: 10, seed: 's' };
    const a = new NumericSketch(options);
    const b = new NumericSketch(options);
    for (let i = 0; i < 100_000; i++) {
      a.add(i);
      b.add(i);
    }
    const sample = a.sortedSample();
    expect(sample).toHaveLength(1000);
    expect(Array.from(sample)).toEqual(Array.from(b.sortedSample()));
    expect(a.exact).toBe(false);
    expect(a.values).toBeNull();
    // A uniform sample of 0..99999 has a median near 50000 (±5 % is > 6 standard errors).
    expect(Math.abs(sample[500] - 50_000)).toBeLessThan(5_000);
    expect(a.moments.mean).toBeCloseTo(49_999.5, 6);
    expect({ min: a.min, max: a.max, count: a.count }).toEqual({ min: 0, max: 99_999, count: 100_000 });
    // Uniformity (Algorithm L): 1000 sampled values of 0..99999 fall ~100 per tenth; χ² (df 9) stays
    // below 27.88, the 0.1 % critical value (table), for this fixed seed.
    const tenths = new Array<number>(10).fill(0);
    for (const v of sample) tenths[Math.floor(v / 10_000)]++;
    expect(tenths.reduce((chi, o) => chi + ((o - 100) * (o - 100)) / 100, 0)).toBeLessThan(27.88);
    // Late values still enter the sample (the skips do not stall).
    expect(Array.from(sample).filter((v) => v >= 90_000).length).toBeGreaterThan(50);
  });

  it('categorical counts are capped; later new values pool under (other)', () => {
    const s = categorical(['a', 'b', 'c', 'd', 'a', 'e'], 3);
    expect(Object.fromEntries(s.counts)).toEqual({ a: 2, b: 1, c: 1, [OTHER_CATEGORY]: 2 });
    expect(s.pooled).toBe(true);
  });
});

describe('fairness', () => {
  const config = {
    sensitiveAttributes: ['sex'],
    predictionColumn: 'pred',
    positiveValue: 1,
    labelColumn: 'label',
    disparateImpactThreshold: 0.8,
    minGroupSize: 1,
  };

  it('selection rates, demographic parity, disparate impact and equalized odds on a known table', () => {
    const layout = new FieldLayout(['sex', 'pred', 'label']);
    const acc = new FairnessAccumulator(config, 100, layout);
    // Group f: 10 rows, 3 selected; labels: 4 positive (2 selected), 6 negative (1 selected) → TPR 0.5, FPR 1/6.
    // Group m: 10 rows, 6 selected; labels: 5 positive (4 selected), 5 negative (2 selected) → TPR 0.8, FPR 0.4.
    const rows: Record<string, unknown>[] = [
      ...repeat({ sex: 'f', pred: 1, label: 1 }, 2),
      ...repeat({ sex: 'f', pred: 0, label: 1 }, 2),
      ...repeat({ sex: 'f', pred: 1, label: 0 }, 1),
      ...repeat({ sex: 'f', pred: 0, label: 0 }, 5),
      ...repeat({ sex: 'm', pred: 1, label: 1 }, 4),
      ...repeat({ sex: 'm', pred: 0, label: 1 }, 1),
      ...repeat({ sex: 'm', pred: 1, label: 0 }, 2),
      ...repeat({ sex: 'm', pred: 0, label: 0 }, 3),
      { sex: 'm', label: 1 },
    ];
    rows.forEach((r) => acc.add(layout.rowOf(r)));
    const result = acc.result();
    expect(result.skippedRows).toBe(1);
    const sex = result.attributes[0];
    expect(sex.groups.map((g) => [g.value, g.selectionRate])).toEqual([
      ['f', 0.3],
      ['m', 0.6],
    ]);
    expect(sex.demographicParityDifference).toBeCloseTo(0.3, 15);
    expect(sex.disparateImpactRatio).toBeCloseTo(0.5, 15);
    // max(|0.8 − 0.5|, |0.4 − 1/6|) = max(0.3, 0.2333) = 0.3
    expect(sex.equalizedOddsDifference).toBeCloseTo(0.3, 15);
    expect(sex.flags).toEqual({ disparateImpact: true, demographicParity: false, equalizedOdds: false });
    expect(result.flagged).toBe(true);
  });

  it('does not flag balanced groups and leaves small groups out of the metrics', () => {
    const layout = new FieldLayout(['sex', 'pred']);
    const acc = new FairnessAccumulator({ ...config, labelColumn: undefined, minGroupSize: 5, maxDemographicParityDifference: 0.1 }, 100, layout);
    [...repeat({ sex: 'f', pred: 1 }, 5), ...repeat({ sex: 'f', pred: 0 }, 5), ...repeat({ sex: 'm', pred: 1 }, 9), ...repeat({ sex: 'm', pred: 0 }, 11), { sex: 'x', pred: 0 }].forEach((r) => acc.add(layout.rowOf(r)));
    const sex = acc.result().attributes[0];
    // f 0.5, m 0.45 → DI 0.9, DPD 0.05; group x (1 row) excluded.
    expect(sex.groups.find((g) => g.value === 'x')?.included).toBe(false);
    expect(sex.disparateImpactRatio).toBeCloseTo(0.9, 15);
    expect(sex.demographicParityDifference).toBeCloseTo(0.05, 15);
    expect(sex.equalizedOddsDifference).toBeNull();
    expect(sex.flagged).toBe(false);
  });
});

describe('A/B analysis', () => {
  const config = { variantColumn: 'v', conversionColumn: 'c', alpha: 0.05, power: 0.8, minimumDetectableEffect: 0.02 };

  it('z-test, confidence interval and powered significance (hand-computed)', () => {
    const r = analyzeVariants(
      [
        { variant: 'a', rows: 5000, conversions: 500 },
        { variant: 'b', rows: 5000, conversions: 600 },
      ],
      config,
    );
    expect(r.status).toBe('ok');
    expect(r.control).toBe('a'); // most rows, ties by name
    const c = r.comparisons[0];
    // p = 1100/10000 = 0.11; z = 0.02/√(0.11·0.89·(2/5000)) = 3.196014; two-sided p = 2·(1 − Φ(z))
    // (scipy 1.17.1: 2*norm.sf(3.1960138605029655) = 0.0013934041792054706)
    expect(c.z).toBeCloseTo(3.1960138605029655, 12);
    expect(c.pValue).toBeCloseTo(0.0013934041792054706, 14);
    // CI: 0.02 ± 1.959964·√(0.1·0.9/5000 + 0.12·0.88/5000)
    const se = Math.sqrt((0.1 * 0.9) / 5000 + (0.12 * 0.88) / 5000);
    expect(c.confidenceInterval[0]).toBeCloseTo(0.02 - 1.959963984540054 * se, 12);
    expect(c.confidenceInterval[1]).toBeCloseTo(0.02 + 1.959963984540054 * se, 12);
    expect(c.requiredSamplePerArm).toBe(3841);
    expect(c).toMatchObject({ significant: true, underpowered: false, alert: true, warnings: [] });
    expect(r.alert).toBe(true);
  });

  it('warns below the minimum sample size and does not alert', () => {
    const r = analyzeVariants(
      [
        { variant: 'control', rows: 1000, conversions: 100 },
        { variant: 'new', rows: 1000, conversions: 150 },
      ],
      { ...config, control: 'control' },
    );
    const c = r.comparisons[0];
    expect(c.significant).toBe(true);
    expect(c.underpowered).toBe(true);
    expect(c.alert).toBe(false);
    expect(c.warnings[0]).toContain('3841 rows per arm');
  });

  it('reports a missing control and a single variant', () => {
    expect(analyzeVariants([{ variant: 'a', rows: 10, conversions: 1 }], { ...config, control: 'zz' }).status).toBe('control_missing');
    expect(analyzeVariants([{ variant: 'a', rows: 10, conversions: 1 }], config).status).toBe('single_variant');
    expect(analyzeVariants([], config).status).toBe('no_data');
  });

  it('reads conversions leniently', () => {
    expect([true, 1, 'true', ' YES ', '1'].map(isConversion)).toEqual([true, true, true, true, true]);
    expect([false, 0, 2, 'no', null, undefined, {}].map(isConversion)).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('LLM usage', () => {
  it('sums tokens and cost per model, variant and team', () => {
    const layout = new FieldLayout(['model', 'variant', 'team', 'in', 'out', 'cost']);
    const acc = new LlmUsageAccumulator(
      { variantField: 'variant', modelField: 'model', teamField: 'team', inputTokensField: 'in', outputTokensField: 'out', costField: 'cost' },
      10,
      layout,
    );
    acc.add(layout.rowOf({ model: 'm1', variant: 'a', team: 't1', in: 100, out: 50, cost: 0.5 }));
    acc.add(layout.rowOf({ model: 'm1', variant: 'b', team: 't2', in: 10, out: 5, cost: 0.25 }));
    acc.add(layout.rowOf({ model: 'm2', variant: 'a', in: 1, out: -1, cost: 'x' }));
    const r = acc.result();
    expect(r.total).toEqual({ requests: 3, inputTokens: 111, outputTokens: 55, costUsd: 0.75 });
    expect(r.byModel).toEqual([
      { key: 'm1', requests: 2, inputTokens: 110, outputTokens: 55, costUsd: 0.75 },
      { key: 'm2', requests: 1, inputTokens: 1, outputTokens: 0, costUsd: 0 },
    ]);
    expect(r.byTeam.map((t) => t.key)).toEqual(['t1', 't2', '(none)']);
    expect(r.invalidValues).toBe(2);
  });
});

async function* chunks(parts: readonly (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

describe('JSON Lines reader', () => {
  it('splits lines across chunks (also inside a multi-byte character), skips blank lines and a BOM', async () => {
    const text = '\ufeff{"a":"é"}\n\n  \n{"a":2}\r\n{"a":3}';
    const bytes = Buffer.from(text, 'utf8');
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 3) parts.push(bytes.subarray(i, i + 3));
    const seen: unknown[] = [];
    const counts = await readJsonLines(chunks(parts), (r) => seen.push(r.a), { maxLineBytes: 1024 });
    expect(seen).toEqual(['é', 2, 3]);
    expect(counts).toEqual({ ...emptyLineCounts(), lines: 3, records: 3, bytes: bytes.length });
  });

  it('counts and skips corrupt lines (invalid JSON, non-objects) and oversized lines', async () => {
    const long = `{"a":"${'x'.repeat(2000)}"}`;
    const seen: unknown[] = [];
    const counts = await readJsonLines(chunks(['{"a":1}\n{"a":\n[1,2]\n', long.slice(0, 900), long.slice(900), '\n"s"\n{"a":2}\n']), (r) => seen.push(r.a), { maxLineBytes: 1024 });
    expect(seen).toEqual([1, 2]);
    expect(counts).toMatchObject({ lines: 6, records: 2, corrupt: 4, oversized: 1 });
  });

  it('reads an empty object as no lines', async () => {
    expect(await readJsonLines(chunks([]), () => undefined, { maxLineBytes: 1024 })).toEqual(emptyLineCounts());
    expect(await readJsonLines(chunks(['\n \n']), () => undefined, { maxLineBytes: 1024 })).toMatchObject({ lines: 0, records: 0, corrupt: 0, bytes: 3 });
  });

  it('detects gzip by its magic bytes and refuses a broken gzip stream', async () => {
    const gz = gzipSync(Buffer.from('{"a":1}\n{"a":2}\n'));
    const seen: unknown[] = [];
    await readJsonLines(chunks([gz.subarray(0, 1), gz.subarray(1)]), (r) => seen.push(r.a), { maxLineBytes: 1024 });
    expect(seen).toEqual([1, 2]);
    const broken = Buffer.concat([gz.subarray(0, 12), Buffer.from('garbage garbage garbage')]);
    await expect(readJsonLines(chunks([broken]), () => undefined, { maxLineBytes: 1024 })).rejects.toBeInstanceOf(StreamReadError);
  });
});

function sampleReport() {
  const config = DriftConfigSchema.parse({
    ...BASE_CONFIG,
    columns: [
      { name: 'x', type: 'numeric' },
      { name: 'c', type: 'categorical' },
      { name: 'empty', type: 'numeric' },
    ],
    fairness: { sensitiveAttributes: ['g'], predictionColumn: 'p', positiveValue: 1, minGroupSize: 1 },
  });
  const reference = new ColumnProfile(config.columns, config.sketch, 'reference');
  const analysis = new WindowAnalysis(config, { usageFromWindow: false });
  for (let i = 0; i < 200; i++) {
    reference.add(reference.layout.rowOf({ x: i, c: i % 2 === 0 ? 'a' : 'b', empty: 1 }));
    analysis.add(analysis.layout.rowOf({ x: i + 150, c: i % 4 === 0 ? 'a' : 'b', g: i % 2 === 0 ? 'f"1' : 'm', p: i % 3 === 0 ? 1 : 0 }));
  }
  const counts = { ...emptyLineCounts(), lines: 200, records: 200 };
  return buildReport({
    config,
    eventTime: new Date('2026-11-26T10:00:00Z'),
    completedAt: new Date('2026-11-26T10:00:05Z'),
    windowFrom: new Date('2026-11-25T10:00:00Z'),
    reference,
    baseline: { kind: 'sample', ...sourceSummary('ref-bucket', 'ref/', 1, counts), versionId: null, versionChain: [] },
    window: sourceSummary('win-bucket', 'win/', 1, counts),
    analysis,
  });
}

describe('metric outputs', () => {
  it('builds a report whose alerts follow the thresholds', () => {
    const report = sampleReport();
    expect(report.drift.columns.map((c) => [c.column, c.test, c.drifted])).toEqual([
      ['x', 'ks', true],
      ['c', 'z', true],
      ['empty', null, false],
    ]);
    expect(report.drift.share).toBeCloseTo(2 / 3, 15);
    expect(report.alerts.map((a) => a.kind)).toEqual(['dataset_drift']);
  });

  it('EMF lines carry exactly the DRIFT_METRICS names with their documented dimensions', () => {
    const report = sampleReport();
    const lines = emfLines(report, 'gaiops/drift', 1_700_000_000_000).map((l) => JSON.parse(l) as Record<string, unknown>);
    const expectedDimensions: Record<string, string[]> = {
      [DRIFT_METRICS.driftShare]: ['dataset', 'model'],
      [DRIFT_METRICS.datasetDrift]: ['dataset', 'model'],
      [DRIFT_METRICS.lastRun]: ['dataset', 'model'],
      [DRIFT_METRICS.columnScore]: ['dataset', 'model', 'column', 'test'],
      [DRIFT_METRICS.columnDrift]: ['dataset', 'model', 'column', 'test'],
      [DRIFT_METRICS.disparateImpact]: ['model', 'attribute'],
      [DRIFT_METRICS.demographicParityDifference]: ['model', 'attribute'],
    };
    const seen = new Set<string>();
    for (const line of lines) {
      const aws = line._aws as { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
      expect(aws.Timestamp).toBe(1_700_000_000_000);
      const directive = aws.CloudWatchMetrics[0];
      expect(directive.Namespace).toBe('gaiops/drift');
      for (const m of directive.Metrics) {
        seen.add(m.Name);
        expect(directive.Dimensions).toEqual([expectedDimensions[m.Name]]);
        expect(typeof line[m.Name]).toBe('number');
        for (const d of directive.Dimensions[0]) expect(typeof line[d]).toBe('string');
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(expectedDimensions).sort());
    const x = lines.find((l) => l.column === 'x');
    expect(x).toMatchObject({ dataset: 'customers', model: 'churn', column: 'x', test: 'ks', [DRIFT_METRICS.columnDrift]: 1 });
    const top = lines[0];
    expect(top[DRIFT_METRICS.lastRun]).toBe(Date.parse('2026-11-26T10:00:05Z') / 1000);
  });

  it('the Prometheus exposition has the same gauges, escaped labels and one HELP/TYPE per family', () => {
    const report = sampleReport();
    const text = prometheusText(report);
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toHaveLength(gaugesOf(report).flat().length);
    expect(text).toContain(`# TYPE ${DRIFT_METRICS.driftShare} gauge\n${DRIFT_METRICS.driftShare}{dataset="customers",model="churn"} ${2 / 3}\n`);
    expect(text).toContain(`${DRIFT_METRICS.columnDrift}{dataset="customers",model="churn",column="c",test="z"} 1\n`);
    expect(text).toContain('attribute="g"');
    expect(text.match(/# TYPE /g)).toHaveLength(new Set(gaugesOf(report).flat().map((g) => g.name)).size);
    expect(text).not.toContain('column="empty"');
    // Label values escape backslash, double quote and line feed.
    const odd = { ...report, drift: { ...report.drift, columns: report.drift.columns.map((c) => (c.column === 'x' ? { ...c, column: 'we"ird\\\ncol' } : c)) } };
    expect(prometheusText(odd)).toContain('column="we\\"ird\\\\\\ncol"');
  });
});

describe('report key, alert subject, event time', () => {
  it('builds <prefix>/<model>/<iso>.json without doubled or leading slashes', () => {
    const t = new Date('2026-11-26T10:00:00Z');
    expect(reportKey('drift-reports/', 'm', t)).toBe('drift-reports/m/2026-11-26T10:00:00.000Z.json');
    expect(reportKey('a/b//', 'm', t)).toBe('a/b/m/2026-11-26T10:00:00.000Z.json');
    expect(reportKey('', 'm', t)).toBe('m/2026-11-26T10:00:00.000Z.json');
  });

  it('keeps SNS subjects to 100 printable ASCII characters', () => {
    const report = sampleReport();
    expect(alertSubject(report)).toBe('gaiops drift alert: churn (dataset drift)');
    const long = alertSubject({ ...report, model: `modèle-${'x'.repeat(120)}` });
    expect(long).toHaveLength(100);
    expect(long).toMatch(/^[\x20-\x7e]+\.\.\.$/);
  });

  it('takes the window end from the EventBridge event time, else now', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    expect(eventTimeOf({ time: '2026-11-26T10:00:00Z' }, now).toISOString()).toBe('2026-11-26T10:00:00.000Z');
    expect(eventTimeOf({ time: 'not a time' }, now)).toBe(now);
    expect(eventTimeOf(undefined, now)).toBe(now);
  });
});

describe('config', () => {
  it('applies Evidently\'s defaults', () => {
    const c = parseDriftConfig(BASE_CONFIG);
    expect(c.driftShare).toBe(0.5);
    expect(c.window.lookbackHours).toBe(24);
    expect(c.sketch).toEqual({ reservoirSize: 10_000, maxCategories: 1000, seed: 'gaiops-drift' });
    expect(c.outputs).toEqual({ reportBucket: 'rep-bucket', reportPrefix: 'drift-reports', namespace: 'gaiops/drift' });
  });

  it('rejects a bad config with every problem named by path', () => {
    const bad = {
      ...BASE_CONFIG,
      columns: [
        { name: 'x', type: 'categorical', test: 'ks' },
        { name: 'x', type: 'numeric', test: 'ks', threshold: 2 },
      ],
      baseline: { kind: 'datasetVersion', bucket: 'b-1', manifestKey: 'nope.json' },
      surprise: true,
    };
    let message = '';
    try {
      parseDriftConfig(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(DriftConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid drift config: /);
    expect(message).toContain('columns[0].test: ks applies to numeric columns only');
    expect(message).toContain('columns[1].threshold: ks compares a p-value');
    expect(message).toContain('columns[1].name: duplicate column "x"');
    expect(message).toContain('baseline.manifestKey: must be a FeatureStore manifest key');
    expect(message).toContain('surprise');
  });

  it('reads DRIFT_CONFIG, else DRIFT_CONFIG_FILE, and explains what is missing', () => {
    expect(driftConfigFromEnv({ DRIFT_CONFIG: JSON.stringify(BASE_CONFIG) }).model).toBe('churn');
    expect(driftConfigFromEnv({ DRIFT_CONFIG_FILE: '/etc/drift.json' }, () => JSON.stringify(BASE_CONFIG)).dataset).toBe('customers');
    expect(() => driftConfigFromEnv({})).toThrow('missing drift config: set DRIFT_CONFIG (JSON) or DRIFT_CONFIG_FILE (path)');
    expect(() => driftConfigFromEnv({ DRIFT_CONFIG: '{not json' })).toThrow('invalid drift config: DRIFT_CONFIG is not valid JSON');
  });
});
