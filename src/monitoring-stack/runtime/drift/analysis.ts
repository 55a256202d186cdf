/**
 * The pure core: profiles that absorb rows one by one (bounded memory), and the report built from a
 * reference profile and a window analysis. No I/O here; `detector.ts` feeds the rows.
 */
import type { DriftConfig, DriftColumn } from '../../drift-config';
import { type AbTestResult, AbTestAccumulator } from './ab-test';
import { type DatasetDriftResult, datasetDrift, evaluateColumn } from './drift-test';
import { type FairnessResult, FairnessAccumulator } from './fairness';
import type { LineCounts } from './json-lines';
import { type LlmUsageResult, LlmUsageAccumulator } from './llm-usage';
import { FieldLayout, type Row } from './record-decoder';
import { type ColumnSketch, type SketchOptions, createSketch } from './sketch';

export const REPORT_FORMAT_VERSION = 1;

/** Sketches of the configured columns on one side. */
export class ColumnProfile {
  /** The row layout `add` expects (default: the column names in order). */
  readonly layout: FieldLayout;
  private readonly positions: number[];
  readonly sketches: ColumnSketch[];

  constructor(
    readonly columns: readonly DriftColumn[],
    options: { readonly reservoirSize: number; readonly maxCategories: number; readonly seed: string },
    side: 'reference' | 'current',
    layout?: FieldLayout,
  ) {
    this.layout = layout ?? new FieldLayout(columns.map((c) => c.name));
    this.positions = columns.map((c) => this.layout.indexOf(c.name));
    this.sketches = columns.map((c) => {
      const sketchOptions: SketchOptions = { ...options, seed: `${options.seed}:${side}:${c.name}` };
      return createSketch(c.type, sketchOptions);
    });
  }

  add(row: Row): void {
    const positions = this.positions;
    const sketches = this.sketches;
    for (let i = 0; i < positions.length; i++) sketches[i].add(row[positions[i]]);
  }
}

/** Everything computed over the window rows: current sketches, fairness, A/B and (optionally) LLM usage. */
export class WindowAnalysis {
  /** The row layout `add` expects: `windowFields(config, usageFromWindow)`. */
  readonly layout: FieldLayout;
  readonly current: ColumnProfile;
  readonly fairness?: FairnessAccumulator;
  readonly abTest?: AbTestAccumulator;
  readonly usage?: LlmUsageAccumulator;

  constructor(config: DriftConfig, options: { readonly usageFromWindow: boolean }) {
    this.layout = new FieldLayout(windowFields(config, options.usageFromWindow));
    this.current = new ColumnProfile(config.columns, config.sketch, 'current', this.layout);
    const cap = config.sketch.maxCategories;
    if (config.fairness) this.fairness = new FairnessAccumulator(config.fairness, cap, this.layout);
    if (config.abTest) this.abTest = new AbTestAccumulator(config.abTest, cap, this.layout);
    if (config.llmUsage && options.usageFromWindow) this.usage = new LlmUsageAccumulator(config.llmUsage, cap, this.layout);
  }

  add(row: Row): void {
    this.current.add(row);
    this.fairness?.add(row);
    this.abTest?.add(row);
    this.usage?.add(row);
  }
}

/** Every record field a window analysis reads (drift columns, fairness, A/B and, when read from the window, LLM usage). */
export function windowFields(config: DriftConfig, usageFromWindow: boolean): string[] {
  const fields = config.columns.map((c) => c.name);
  const f = config.fairness;
  if (f) fields.push(...f.sensitiveAttributes, f.predictionColumn, ...(f.labelColumn === undefined ? [] : [f.labelColumn]));
  if (config.abTest) fields.push(config.abTest.variantColumn, config.abTest.conversionColumn);
  const u = config.llmUsage;
  if (u && usageFromWindow) fields.push(...usageFields(u));
  return [...new Set(fields)];
}

/** The gateway access-log fields LLM usage reads. */
export function usageFields(u: NonNullable<DriftConfig['llmUsage']>): string[] {
  return [u.variantField, u.modelField, u.teamField, u.inputTokensField, u.outputTokensField, u.costField];
}

export interface SourceSummary {
  readonly bucket: string;
  readonly prefix: string;
  readonly objects: number;
  readonly bytes: number;
  readonly lines: number;
  readonly records: number;
  /** Lines skipped as invalid JSON, non-objects or oversized. */
  readonly corruptLines: number;
  readonly oversizedLines: number;
}

export function sourceSummary(bucket: string, prefix: string, objects: number, counts: LineCounts): SourceSummary {
  return {
    bucket,
    prefix,
    objects,
    bytes: counts.bytes,
    lines: counts.lines,
    records: counts.records,
    corruptLines: counts.corrupt,
    oversizedLines: counts.oversized,
  };
}

export interface Alert {
  readonly kind: 'dataset_drift' | 'fairness' | 'ab_test';
  readonly summary: string;
}

export interface DriftReport {
  readonly formatVersion: typeof REPORT_FORMAT_VERSION;
  readonly model: string;
  readonly dataset: string;
  /** The scheduled time the run analyses (window end). */
  readonly eventTime: string;
  readonly completedAt: string;
  readonly window: SourceSummary & { readonly from: string; readonly to: string };
  readonly baseline: SourceSummary & {
    readonly kind: 'datasetVersion' | 'sample';
    /** FeatureStore version id (dataset versions only). */
    readonly versionId: string | null;
    /** The version and its ancestors whose files were read, newest first. */
    readonly versionChain: readonly string[];
  };
  readonly drift: DatasetDriftResult;
  readonly fairness: FairnessResult | null;
  readonly abTest: AbTestResult | null;
  readonly llmUsage: (LlmUsageResult & { readonly bucket: string; readonly prefix: string }) | null;
  readonly alerts: readonly Alert[];
}

export interface BuildReportInput {
  readonly config: DriftConfig;
  readonly eventTime: Date;
  readonly completedAt: Date;
  readonly windowFrom: Date;
  readonly reference: ColumnProfile;
  readonly baseline: DriftReport['baseline'];
  readonly window: SourceSummary;
  readonly analysis: WindowAnalysis;
  /** Usage read from a separate source; otherwise taken from `analysis`. */
  readonly usage?: { readonly result: LlmUsageResult; readonly bucket: string; readonly prefix: string };
}

const LIST_LIMIT = 20;

function listText(items: readonly string[]): string {
  return items.length <= LIST_LIMIT ? items.join(', ') : `${items.slice(0, LIST_LIMIT).join(', ')} and ${items.length - LIST_LIMIT} more`;
}

/** The alerts a report raises: dataset drift, fairness flags, significant and powered A/B results. */
export function alertsOf(drift: DatasetDriftResult, fairness: FairnessResult | null, abTest: AbTestResult | null): Alert[] {
  const alerts: Alert[] = [];
  if (drift.datasetDrift) {
    const names = drift.columns.filter((c) => c.drifted).map((c) => c.column);
    alerts.push({
      kind: 'dataset_drift',
      summary: `dataset drift: ${drift.driftedColumns} of ${drift.columns.length} columns drifted (share ${drift.share.toFixed(3)} >= ${drift.threshold}): ${listText(names)}`,
    });
  }
  for (const a of fairness?.attributes ?? []) {
    if (!a.flagged) continue;
    const parts: string[] = [];
    if (a.flags.disparateImpact) parts.push(`disparate impact ratio ${a.disparateImpactRatio?.toFixed(3)}`);
    if (a.flags.demographicParity) parts.push(`demographic parity difference ${a.demographicParityDifference?.toFixed(3)}`);
    if (a.flags.equalizedOdds) parts.push(`equalized odds difference ${a.equalizedOddsDifference?.toFixed(3)}`);
    alerts.push({ kind: 'fairness', summary: `fairness: attribute ${a.attribute}: ${parts.join(', ')}` });
  }
  for (const c of abTest?.comparisons ?? []) {
    if (!c.alert) continue;
    alerts.push({
      kind: 'ab_test',
      summary: `A/B: variant ${c.variant} vs ${c.control}: difference ${c.difference.toFixed(4)} (p = ${c.pValue.toPrecision(3)}, CI [${c.confidenceInterval[0].toFixed(4)}, ${c.confidenceInterval[1].toFixed(4)}])`,
    });
  }
  return alerts;
}

/** Runs the tests and assembles the report. */
export function buildReport(input: BuildReportInput): DriftReport {
  const { config, analysis } = input;
  const columns = config.columns.map((column, i) => evaluateColumn(column, input.reference.sketches[i], analysis.current.sketches[i]));
  const drift = datasetDrift(columns, config.driftShare);
  const fairness = analysis.fairness?.result() ?? null;
  const abTest = analysis.abTest?.result() ?? null;
  let llmUsage: DriftReport['llmUsage'] = null;
  if (input.usage) llmUsage = { ...input.usage.result, bucket: input.usage.bucket, prefix: input.usage.prefix };
  else if (analysis.usage) llmUsage = { ...analysis.usage.result(), bucket: input.window.bucket, prefix: input.window.prefix };
  return {
    formatVersion: REPORT_FORMAT_VERSION,
    model: config.model,
    dataset: config.dataset,
    eventTime: input.eventTime.toISOString(),
    completedAt: input.completedAt.toISOString(),
    window: { ...input.window, from: input.windowFrom.toISOString(), to: input.eventTime.toISOString() },
    baseline: input.baseline,
    drift,
    fairness,
    abTest,
    llmUsage,
    alerts: alertsOf(drift, fairness, abTest),
  };
}
