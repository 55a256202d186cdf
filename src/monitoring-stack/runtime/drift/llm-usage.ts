/**
 * LLM usage from gateway access-log records: requests, input/output tokens and estimated cost
 * (as logged by the gateway) per model, per variant and per team/key. A missing dimension value is
 * `(none)`; past `maxGroups` distinct values per dimension, new ones pool under `(other)`.
 * Token and cost fields that are not non-negative finite numbers count as 0 and are counted as invalid.
 */
import type { z } from 'zod';
import type { LlmUsageConfigSchema } from '../../drift-config';
import type { FieldLayout, Row } from './record-decoder';
import { OTHER_CATEGORY } from './sketch';

export type LlmUsageConfig = z.output<typeof LlmUsageConfigSchema>;

export const NONE_GROUP = '(none)';

export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface UsageRow extends UsageTotals {
  readonly key: string;
}

export interface LlmUsageResult {
  readonly total: UsageTotals;
  readonly byModel: readonly UsageRow[];
  readonly byVariant: readonly UsageRow[];
  readonly byTeam: readonly UsageRow[];
  readonly invalidValues: number;
}

const DIMENSIONS = ['model', 'variant', 'team'] as const;

export class LlmUsageAccumulator {
  private readonly groups = { model: new Map<string, UsageTotals>(), variant: new Map<string, UsageTotals>(), team: new Map<string, UsageTotals>() };
  private readonly total: UsageTotals = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  private invalid = 0;
  private readonly positions: { readonly model: number; readonly variant: number; readonly team: number; readonly input: number; readonly output: number; readonly cost: number };

  constructor(
    config: LlmUsageConfig,
    private readonly maxGroups: number,
    layout: FieldLayout,
  ) {
    this.positions = {
      model: layout.indexOf(config.modelField),
      variant: layout.indexOf(config.variantField),
      team: layout.indexOf(config.teamField),
      input: layout.indexOf(config.inputTokensField),
      output: layout.indexOf(config.outputTokensField),
      cost: layout.indexOf(config.costField),
    };
  }

  private amount(raw: unknown): number {
    if (raw === null || raw === undefined) return 0;
    if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
    this.invalid++;
    return 0;
  }

  add(row: Row): void {
    const p = this.positions;
    const input = this.amount(row[p.input]);
    const output = this.amount(row[p.output]);
    const cost = this.amount(row[p.cost]);
    for (const dimension of DIMENSIONS) {
      const raw = row[p[dimension]];
      let key = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : NONE_GROUP;
      const map = this.groups[dimension];
      let totals = map.get(key);
      if (totals === undefined) {
        if (map.size >= this.maxGroups) key = OTHER_CATEGORY;
        totals = map.get(key);
        if (totals === undefined) {
          totals = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
          map.set(key, totals);
        }
      }
      totals.requests++;
      totals.inputTokens += input;
      totals.outputTokens += output;
      totals.costUsd += cost;
    }
    this.total.requests++;
    this.total.inputTokens += input;
    this.total.outputTokens += output;
    this.total.costUsd += cost;
  }

  result(): LlmUsageResult {
    const rows = (map: Map<string, UsageTotals>): UsageRow[] =>
      [...map.entries()].sort((a, b) => b[1].costUsd - a[1].costUsd || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([key, t]) => ({ key, ...t }));
    return {
      total: { ...this.total },
      byModel: rows(this.groups.model),
      byVariant: rows(this.groups.variant),
      byTeam: rows(this.groups.team),
      invalidValues: this.invalid,
    };
  }
}
