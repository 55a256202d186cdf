/**
 * The detector's gauges (`DRIFT_METRICS`), as CloudWatch Embedded Metric Format lines (Lambda) and
 * as Prometheus text exposition (CronJob form). Both are pure functions of a report, so the two
 * forms always publish the same numbers. Scores that are undefined (no data, fewer than two
 * groups) are left out rather than published as 0.
 *
 * EMF: one JSON line per dimension set — dataset level (`dataset`, `model`), per column
 * (`dataset`, `model`, `column`, `test`) and per fairness attribute (`model`, `attribute`) — with
 * `_aws.CloudWatchMetrics[].Dimensions` naming exactly the metric's labels.
 */
import { DRIFT_METRICS } from '../../metric-names';
import type { DriftReport } from './analysis';

export interface Gauge {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const HELP: Readonly<Record<string, string>> = {
  [DRIFT_METRICS.driftShare]: 'Share of drifted columns (0..1).',
  [DRIFT_METRICS.datasetDrift]: 'Dataset drift: 1 when the share of drifted columns reaches the dataset threshold.',
  [DRIFT_METRICS.columnScore]: 'Per-column score of the chosen drift test (p-value or distance).',
  [DRIFT_METRICS.columnDrift]: 'Per-column drift (0/1).',
  [DRIFT_METRICS.disparateImpact]: 'Minimum over maximum selection rate across groups (four-fifths rule: < 0.8).',
  [DRIFT_METRICS.demographicParityDifference]: 'Maximum minus minimum selection rate across groups.',
  [DRIFT_METRICS.equalizedOddsDifference]: 'Equalized-odds difference: max of the TPR and FPR spreads across groups.',
  [DRIFT_METRICS.lastRun]: 'Unix time of the last completed drift run.',
};

/** Every gauge of a report, grouped by dimension set in a stable order. */
export function gaugesOf(report: DriftReport): Gauge[][] {
  const ds = { dataset: report.dataset, model: report.model };
  const groups: Gauge[][] = [
    [
      { name: DRIFT_METRICS.driftShare, labels: ds, value: report.drift.share },
      { name: DRIFT_METRICS.datasetDrift, labels: ds, value: report.drift.datasetDrift ? 1 : 0 },
      { name: DRIFT_METRICS.lastRun, labels: ds, value: Math.floor(Date.parse(report.completedAt) / 1000) },
    ],
  ];
  for (const c of report.drift.columns) {
    if (c.test === null || c.score === null) continue;
    const labels = { ...ds, column: c.column, test: c.test };
    groups.push([
      { name: DRIFT_METRICS.columnScore, labels, value: c.score },
      { name: DRIFT_METRICS.columnDrift, labels, value: c.drifted ? 1 : 0 },
    ]);
  }
  for (const a of report.fairness?.attributes ?? []) {
    const labels = { model: report.model, attribute: a.attribute };
    const gauges: Gauge[] = [];
    if (a.disparateImpactRatio !== null) gauges.push({ name: DRIFT_METRICS.disparateImpact, labels, value: a.disparateImpactRatio });
    if (a.demographicParityDifference !== null) gauges.push({ name: DRIFT_METRICS.demographicParityDifference, labels, value: a.demographicParityDifference });
    if (a.equalizedOddsDifference !== null) gauges.push({ name: DRIFT_METRICS.equalizedOddsDifference, labels, value: a.equalizedOddsDifference });
    if (gauges.length > 0) groups.push(gauges);
  }
  return groups.map((g) => g.filter((gauge) => Number.isFinite(gauge.value))).filter((g) => g.length > 0);
}

/** EMF JSON lines (without trailing newlines), timestamped `timestampMs`. */
export function emfLines(report: DriftReport, namespace: string, timestampMs: number): string[] {
  return gaugesOf(report).map((gauges) => {
    const labels = gauges[0].labels;
    const line: Record<string, unknown> = {
      _aws: {
        Timestamp: timestampMs,
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [Object.keys(labels)],
            Metrics: gauges.map((g) => ({ Name: g.name, Unit: 'None' })),
          },
        ],
      },
      ...labels,
    };
    for (const g of gauges) line[g.name] = g.value;
    return JSON.stringify(line);
  });
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Prometheus text exposition (format 0.0.4) of the report's gauges, one family per metric name. */
export function prometheusText(report: DriftReport): string {
  const byName = new Map<string, Gauge[]>();
  for (const gauge of gaugesOf(report).flat()) {
    const list = byName.get(gauge.name) ?? [];
    list.push(gauge);
    byName.set(gauge.name, list);
  }
  const lines: string[] = [];
  for (const name of Object.values(DRIFT_METRICS)) {
    const gauges = byName.get(name);
    if (!gauges) continue;
    lines.push(`# HELP ${name} ${HELP[name]}`, `# TYPE ${name} gauge`);
    for (const g of gauges) {
      const labels = Object.entries(g.labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      lines.push(`${name}{${labels}} ${formatValue(g.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
