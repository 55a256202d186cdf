/**
 * Group fairness per sensitive attribute, over the rows of the window.
 *
 * For each group g (a value of the attribute; `(null)` for missing, `(other)` past the cap):
 * selection rate SR_g = rows predicted positive / rows; with a label column also
 * TPR_g = TP/(TP + FN) and FPR_g = FP/(FP + TN). Over the groups with at least `minGroupSize`
 * rows (the others are reported but left out):
 *   demographic parity difference = max SR − min SR
 *   disparate impact ratio        = min SR / max SR (undefined when max SR = 0); flagged below
 *                                   `disparateImpactThreshold` (four-fifths rule: 0.8)
 *   equalized odds difference     = max(max TPR − min TPR, max FPR − min FPR) (fairlearn's
 *                                   definition), over groups where each rate is defined
 * Rows without a prediction are skipped (counted); rows without a label do not enter TPR/FPR.
 */
import type { z } from 'zod';
import type { FairnessConfigSchema } from '../../drift-config';
import type { FieldLayout, Row } from './record-decoder';
import { OTHER_CATEGORY } from './sketch';

export type FairnessConfig = z.output<typeof FairnessConfigSchema>;

export const NULL_GROUP = '(null)';

interface GroupCounts {
  rows: number;
  selected: number;
  truePositive: number;
  falseNegative: number;
  falsePositive: number;
  trueNegative: number;
}

export interface FairnessGroup {
  readonly value: string;
  readonly rows: number;
  readonly selectionRate: number;
  readonly truePositiveRate: number | null;
  readonly falsePositiveRate: number | null;
  /** False when the group is smaller than `minGroupSize`. */
  readonly included: boolean;
}

export interface FairnessAttributeResult {
  readonly attribute: string;
  readonly groups: readonly FairnessGroup[];
  readonly demographicParityDifference: number | null;
  readonly disparateImpactRatio: number | null;
  /** `null` without a label column or fewer than two groups with defined rates. */
  readonly equalizedOddsDifference: number | null;
  readonly flags: { readonly disparateImpact: boolean; readonly demographicParity: boolean; readonly equalizedOdds: boolean };
  readonly flagged: boolean;
}

export interface FairnessResult {
  readonly rows: number;
  readonly skippedRows: number;
  readonly hasLabels: boolean;
  readonly attributes: readonly FairnessAttributeResult[];
  readonly flagged: boolean;
}

function keyOf(raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return undefined;
}

export class FairnessAccumulator {
  private readonly groups: Map<string, GroupCounts>[];
  private readonly positive: string;
  private readonly positiveLabel: string;
  private rows = 0;
  private skipped = 0;
  private readonly attributePositions: number[];
  private readonly predictionPosition: number;
  private readonly labelPosition: number;

  constructor(
    private readonly config: FairnessConfig,
    private readonly maxGroups: number,
    layout: FieldLayout,
  ) {
    this.attributePositions = config.sensitiveAttributes.map((a) => layout.indexOf(a));
    this.predictionPosition = layout.indexOf(config.predictionColumn);
    this.labelPosition = config.labelColumn === undefined ? -1 : layout.indexOf(config.labelColumn);
    this.groups = config.sensitiveAttributes.map(() => new Map());
    this.positive = String(config.positiveValue);
    this.positiveLabel = String(config.positiveLabel ?? config.positiveValue);
  }

  add(row: Row): void {
    const prediction = keyOf(row[this.predictionPosition]);
    if (prediction === undefined) {
      this.skipped++;
      return;
    }
    this.rows++;
    const selected = prediction === this.positive;
    let label: boolean | undefined;
    if (this.labelPosition >= 0) {
      const raw = keyOf(row[this.labelPosition]);
      if (raw !== undefined) label = raw === this.positiveLabel;
    }
    const positions = this.attributePositions;
    for (let i = 0; i < positions.length; i++) {
      const groups = this.groups[i];
      let value = keyOf(row[positions[i]]) ?? NULL_GROUP;
      let counts = groups.get(value);
      if (counts === undefined) {
        if (groups.size >= this.maxGroups) value = OTHER_CATEGORY;
        counts = groups.get(value);
        if (counts === undefined) {
          counts = { rows: 0, selected: 0, truePositive: 0, falseNegative: 0, falsePositive: 0, trueNegative: 0 };
          groups.set(value, counts);
        }
      }
      counts.rows++;
      if (selected) counts.selected++;
      if (label === true) {
        if (selected) counts.truePositive++;
        else counts.falseNegative++;
      } else if (label === false) {
        if (selected) counts.falsePositive++;
        else counts.trueNegative++;
      }
    }
  }

  result(): FairnessResult {
    const attributes = this.config.sensitiveAttributes.map((attribute, i) => fairnessOfGroups(attribute, this.groups[i], this.config));
    return {
      rows: this.rows,
      skippedRows: this.skipped,
      hasLabels: this.config.labelColumn !== undefined,
      attributes,
      flagged: attributes.some((a) => a.flagged),
    };
  }
}

function spread(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  return Math.max(...values) - Math.min(...values);
}

/** The metrics of one attribute from its group counts. */
export function fairnessOfGroups(attribute: string, counts: ReadonlyMap<string, GroupCounts>, config: FairnessConfig): FairnessAttributeResult {
  const labels = config.labelColumn !== undefined;
  const groups: FairnessGroup[] = [...counts.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([value, c]) => {
      const positives = c.truePositive + c.falseNegative;
      const negatives = c.falsePositive + c.trueNegative;
      return {
        value,
        rows: c.rows,
        selectionRate: c.selected / c.rows,
        truePositiveRate: labels && positives > 0 ? c.truePositive / positives : null,
        falsePositiveRate: labels && negatives > 0 ? c.falsePositive / negatives : null,
        included: c.rows >= config.minGroupSize,
      };
    });
  const included = groups.filter((g) => g.included);
  const rates = included.map((g) => g.selectionRate);
  const dpd = spread(rates);
  const maxRate = rates.length >= 2 ? Math.max(...rates) : 0;
  const dir = rates.length >= 2 && maxRate > 0 ? Math.min(...rates) / maxRate : null;
  let eod: number | null = null;
  if (labels) {
    const tpr = spread(included.flatMap((g) => (g.truePositiveRate === null ? [] : [g.truePositiveRate])));
    const fpr = spread(included.flatMap((g) => (g.falsePositiveRate === null ? [] : [g.falsePositiveRate])));
    if (tpr !== null || fpr !== null) eod = Math.max(tpr ?? 0, fpr ?? 0);
  }
  const flags = {
    disparateImpact: dir !== null && dir < config.disparateImpactThreshold,
    demographicParity: dpd !== null && config.maxDemographicParityDifference !== undefined && dpd > config.maxDemographicParityDifference,
    equalizedOdds: eod !== null && config.maxEqualizedOddsDifference !== undefined && eod > config.maxEqualizedOddsDifference,
  };
  return {
    attribute,
    groups,
    demographicParityDifference: dpd,
    disparateImpactRatio: dir,
    equalizedOddsDifference: eod,
    flags,
    flagged: flags.disparateImpact || flags.demographicParity || flags.equalizedOdds,
  };
}
