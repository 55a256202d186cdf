/**
 * Multi-window, multi-burn-rate SLO alerts (Google SRE workbook, "Alerting on SLOs", recommendation
 * 6): a recording rule per window for the ratio of bad events, and alerts that need both a long and
 * a short window over the burn-rate threshold — the long window proves the budget is really being
 * spent, the short one that it still is (so the alert resets quickly once fixed).
 */
import type { AlertRule, RecordingRule, Severity } from './model';

/** One long/short window pair and the burn rate both must exceed. */
export interface BurnRateWindow {
  readonly long: string;
  readonly short: string;
  /** Burn-rate factor: 1 spends exactly the budget over the SLO period. */
  readonly factor: number;
  /** `critical` pages, `warning` opens a ticket. */
  readonly severity: Extract<Severity, 'critical' | 'warning'>;
}

/**
 * The workbook's table for a 30-day SLO: page at 14.4× over 1h/5m (2 % of the budget in an hour)
 * and 6× over 6h/30m (5 % in six hours); ticket at 3× over 1d/2h (10 % in a day) and 1× over 3d/6h.
 */
export const SRE_WORKBOOK_WINDOWS: readonly BurnRateWindow[] = [
  { long: '1h', short: '5m', factor: 14.4, severity: 'critical' },
  { long: '6h', short: '30m', factor: 6, severity: 'critical' },
  { long: '1d', short: '2h', factor: 3, severity: 'warning' },
  { long: '3d', short: '6h', factor: 1, severity: 'warning' },
];

/** `for` of the page and ticket alerts: the windows already smooth the signal, `for` rides out one evaluation blip. */
export const BURN_RATE_FOR: Readonly<Record<BurnRateWindow['severity'], string>> = { critical: '2m', warning: '15m' };

/** A ratio SLI: bad events over all events per second, aggregated by `by`. */
export interface RatioSli {
  /** The middle part of the recording rule names, e.g. `gaiops_gateway_errors`. */
  readonly name: string;
  /** Labels the ratio is kept per (e.g. `["variant"]`). */
  readonly by: readonly string[];
  /** PromQL of the bad-event ratio over `window` (a duration such as `5m`), aggregated by {@link by}. */
  ratio(window: string): string;
}

export interface BurnRateSlo {
  /** Alert-name prefix, e.g. `GatewayAvailability` (→ `GatewayAvailabilityBudgetBurnPage`). */
  readonly alertPrefix: string;
  /** Value of the `slo` label on the alerts. */
  readonly slo: string;
  /** Objective as a fraction, e.g. 0.995. */
  readonly objective: number;
  readonly sli: RatioSli;
  /** What the SLO promises, for the alert text (`99.5 % of requests succeed`). */
  readonly promise: string;
  readonly runbook?: string;
  readonly windows?: readonly BurnRateWindow[];
}

/** `1 - objective` without floating-point noise (0.995 → 0.005). */
export function errorBudget(objective: number): number {
  return Number((1 - objective).toPrecision(10));
}

/** The recording rule name of the ratio over a window: `variant:gaiops_gateway_errors:ratio_rate5m`. */
export function ratioRecordName(sli: RatioSli, window: string): string {
  return `${sli.by.join('_')}:${sli.name}:ratio_rate${window}`;
}

/** Every window the alerts read, ordered by duration. */
function windowsOf(windows: readonly BurnRateWindow[]): string[] {
  const seconds = (d: string): number => {
    const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
    let total = 0;
    for (const m of d.matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * unit[m[2]];
    return total;
  };
  return [...new Set(windows.flatMap((w) => [w.short, w.long]))].sort((a, b) => seconds(a) - seconds(b));
}

/** Recording rules (one per window) and the page and ticket alerts of one SLO. */
export function burnRateRules(slo: BurnRateSlo): { recording: RecordingRule[]; alerts: AlertRule[] } {
  const windows = slo.windows ?? SRE_WORKBOOK_WINDOWS;
  const budget = errorBudget(slo.objective);
  const recording: RecordingRule[] = windowsOf(windows).map((w) => ({ record: ratioRecordName(slo.sli, w), expr: slo.sli.ratio(w) }));
  const byLabels = slo.sli.by.map((l) => `{{ $labels.${l} }}`).join('/');
  const alerts: AlertRule[] = [];
  for (const severity of ['critical', 'warning'] as const) {
    const pairs = windows.filter((w) => w.severity === severity);
    if (pairs.length === 0) continue;
    const expr = pairs
      .map((w) => {
        const threshold = `(${w.factor} * ${budget})`;
        return `(\n  ${ratioRecordName(slo.sli, w.long)} > ${threshold}\nand\n  ${ratioRecordName(slo.sli, w.short)} > ${threshold}\n)`;
      })
      .join('\nor\n');
    const text = pairs.map((w) => `${w.factor}× over ${w.long} and ${w.short}`).join(', or ');
    const page = severity === 'critical';
    alerts.push({
      alert: `${slo.alertPrefix}BudgetBurn${page ? 'Page' : 'Ticket'}`,
      expr,
      for: BURN_RATE_FOR[severity],
      severity,
      summary: `${byLabels} is burning its ${slo.slo} error budget ${page ? 'fast' : 'steadily'}`,
      description:
        `The SLO "${slo.promise}" (objective ${slo.objective}) spends its error budget at ${text} the sustainable rate` +
        (page ? ': at this pace the 30-day budget is gone within days. Act now.' : ': the budget will run out before the period ends if this continues.'),
      ...(slo.runbook ? { runbook: slo.runbook } : {}),
      labels: { slo: slo.slo },
    });
  }
  return { recording, alerts };
}

/** A `le` matcher for a bucket bound, matching both `1` and Prometheus 3's normalized `1.0`. */
export function leMatcher(bound: number): string {
  const text = String(bound).replace(/\./g, '\\\\.');
  return Number.isInteger(bound) ? `le=~"${text}(\\\\.0)?"` : `le=~"${text}"`;
}
