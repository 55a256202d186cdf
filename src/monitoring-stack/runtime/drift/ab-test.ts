/**
 * A/B analysis of conversions per variant.
 *
 * Every non-control variant is compared with the control: conversion rates p_c and p_v, the
 * difference d = p_v − p_c, the pooled two-proportion z-test (two-sided p-value), the
 * (1 − α) Wald confidence interval d ± z_{1−α/2}·√(p_c(1−p_c)/n_c + p_v(1−p_v)/n_v), and the
 * sample size per arm needed to detect an absolute change of `minimumDetectableEffect` from p_c
 * at α and `power` (Fleiss' formula, see `requiredSampleSizePerArm`). A comparison is
 * `significant` when p < α; it raises an alert only when both arms also reached the required
 * size (otherwise it carries an `underpowered` warning, the usual guard against peeking).
 */
import type { z } from 'zod';
import type { AbTestConfigSchema } from '../../drift-config';
import type { FieldLayout, Row } from './record-decoder';
import { OTHER_CATEGORY } from './sketch';
import { normalQuantile, requiredSampleSizePerArm, twoProportionZTest } from './statistics';

export type AbTestConfig = z.output<typeof AbTestConfigSchema>;

const CONVERTED = new Set(['true', '1', 'yes']);

/** true, 1, "true", "1", "yes" (any case) → conversion. */
export function isConversion(raw: unknown): boolean {
  if (raw === true) return true;
  if (typeof raw === 'number') return raw === 1;
  return typeof raw === 'string' && CONVERTED.has(raw.trim().toLowerCase());
}

export interface VariantStats {
  readonly variant: string;
  readonly rows: number;
  readonly conversions: number;
  readonly conversionRate: number;
}

export interface VariantComparison {
  readonly variant: string;
  readonly control: string;
  readonly difference: number;
  readonly z: number;
  readonly pValue: number;
  readonly confidenceInterval: readonly [number, number];
  readonly confidenceLevel: number;
  readonly requiredSamplePerArm: number;
  readonly underpowered: boolean;
  readonly significant: boolean;
  /** significant and not underpowered. */
  readonly alert: boolean;
  readonly warnings: readonly string[];
}

export interface AbTestResult {
  readonly status: 'ok' | 'no_data' | 'control_missing' | 'single_variant';
  readonly control: string | null;
  readonly variants: readonly VariantStats[];
  readonly comparisons: readonly VariantComparison[];
  readonly skippedRows: number;
  readonly alert: boolean;
}

export class AbTestAccumulator {
  private readonly variants = new Map<string, { rows: number; conversions: number }>();
  private skipped = 0;
  private readonly variantPosition: number;
  private readonly conversionPosition: number;

  constructor(
    private readonly config: AbTestConfig,
    private readonly maxVariants: number,
    layout: FieldLayout,
  ) {
    this.variantPosition = layout.indexOf(config.variantColumn);
    this.conversionPosition = layout.indexOf(config.conversionColumn);
  }

  add(row: Row): void {
    const raw = row[this.variantPosition];
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      this.skipped++;
      return;
    }
    let variant = String(raw);
    let counts = this.variants.get(variant);
    if (counts === undefined) {
      if (this.variants.size >= this.maxVariants) variant = OTHER_CATEGORY;
      counts = this.variants.get(variant);
      if (counts === undefined) {
        counts = { rows: 0, conversions: 0 };
        this.variants.set(variant, counts);
      }
    }
    counts.rows++;
    if (isConversion(row[this.conversionPosition])) counts.conversions++;
  }

  result(): AbTestResult {
    return analyzeVariants(
      [...this.variants.entries()].map(([variant, c]) => ({ variant, rows: c.rows, conversions: c.conversions })),
      this.config,
      this.skipped,
    );
  }
}

/** Compares every variant with the control (see the module comment). */
export function analyzeVariants(
  counts: readonly { variant: string; rows: number; conversions: number }[],
  config: AbTestConfig,
  skippedRows = 0,
): AbTestResult {
  const variants: VariantStats[] = [...counts]
    .sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0))
    .map((c) => ({ ...c, conversionRate: c.rows === 0 ? 0 : c.conversions / c.rows }));
  const empty = { variants, comparisons: [], skippedRows, alert: false };
  if (variants.length === 0) return { status: 'no_data', control: config.control ?? null, ...empty };
  const control = config.control
    ? variants.find((v) => v.variant === config.control)
    : [...variants].filter((v) => v.variant !== OTHER_CATEGORY).sort((a, b) => b.rows - a.rows || (a.variant < b.variant ? -1 : 1))[0];
  if (!control) return { status: 'control_missing', control: config.control ?? null, ...empty };
  const others = variants.filter((v) => v.variant !== control.variant && v.variant !== OTHER_CATEGORY);
  if (others.length === 0) return { status: 'single_variant', control: control.variant, ...empty };
  const zCrit = normalQuantile(1 - config.alpha / 2);
  const pc = control.conversionRate;
  const target = pc + config.minimumDetectableEffect <= 1 ? pc + config.minimumDetectableEffect : pc - config.minimumDetectableEffect;
  const required = requiredSampleSizePerArm(pc, target, config.alpha, config.power);
  const comparisons = others.map((v): VariantComparison => {
    const test = twoProportionZTest(v.conversions, v.rows, control.conversions, control.rows);
    const pv = v.conversionRate;
    const difference = pv - pc;
    const se = Math.sqrt((pc * (1 - pc)) / control.rows + (pv * (1 - pv)) / v.rows);
    const underpowered = Math.min(v.rows, control.rows) < required;
    const significant = test.pValue < config.alpha;
    const warnings = underpowered
      ? [`below the minimum sample size: ${required} rows per arm are needed to detect ±${config.minimumDetectableEffect} at alpha ${config.alpha} and power ${config.power} (have ${v.rows} and ${control.rows})`]
      : [];
    return {
      variant: v.variant,
      control: control.variant,
      difference,
      z: test.z,
      pValue: test.pValue,
      confidenceInterval: [difference - zCrit * se, difference + zCrit * se],
      confidenceLevel: 1 - config.alpha,
      requiredSamplePerArm: required,
      underpowered,
      significant,
      alert: significant && !underpowered,
      warnings,
    };
  });
  return { status: 'ok', control: control.variant, variants, comparisons, skippedRows, alert: comparisons.some((c) => c.alert) };
}
