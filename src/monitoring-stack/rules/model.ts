/**
 * A small typed model of Prometheus rules: alerting and recording rules in named groups, rendered
 * both as a `monitoring.coreos.com/v1` PrometheusRule (what the Prometheus operator loads) and as a
 * plain Prometheus rule file (what `promtool check rules` and `promtool test rules` read). One model,
 * two renderings, so the rules tested with promtool are byte-for-byte the rules deployed.
 */
import { stringify } from 'yaml';
import { GaiError } from '../../core/errors';

/** Severities, as kube-prometheus-stack's own rules and Alertmanager's default inhibitions use them. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A Prometheus duration: `30s`, `5m`, `1h30m`, `3d`. */
export const PROMETHEUS_DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;
/** A metric name (recording rules: `level:metric:operations`). */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** A label name. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Alert names gaiops writes: CamelCase identifiers. */
export const ALERT_NAME = /^[A-Z][A-Za-z0-9]*$/;

export interface AlertRule {
  /** Alert name (CamelCase). */
  readonly alert: string;
  /** PromQL; every series it returns is an alert. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires (`0s` fires at once). */
  readonly for: string;
  readonly severity: Severity;
  /** One line; may use `{{ $labels.<name> }}`. */
  readonly summary: string;
  /** What it means and what to do; may use `{{ $labels.<name> }}`. */
  readonly description: string;
  /** Runbook URL (annotation `runbook_url`). */
  readonly runbook?: string;
  /** Extra static labels (besides `severity`). */
  readonly labels: Readonly<Record<string, string>>;
}

export interface RecordingRule {
  /** Name of the recorded series (`level:metric:operations`). */
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type Rule = AlertRule | RecordingRule;

export interface RuleGroup {
  /** Unique group name. */
  readonly name: string;
  /** Evaluation interval; default the Prometheus global one. */
  readonly interval?: string;
  /** Rules evaluated in order (a recording rule before the alerts reading it). */
  readonly rules: readonly Rule[];
}

export function isAlertRule(rule: Rule): rule is AlertRule {
  return 'alert' in rule;
}

/** A rule as Prometheus' rule-file format (and the PrometheusRule `spec.groups[].rules[]`) spells it. */
export type RenderedRule =
  | { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }
  | { record: string; expr: string; labels?: Record<string, string> };

export interface RenderedGroup {
  name: string;
  interval?: string;
  rules: RenderedRule[];
}

/** Sorted copy of a string map (stable bytes). */
function sorted(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Problems in a set of groups: names, durations, labels, duplicates. Empty when valid. */
export function ruleGroupProblems(groups: readonly RuleGroup[]): string[] {
  const problems: string[] = [];
  const groupNames = new Set<string>();
  const alertNames = new Set<string>();
  for (const g of groups) {
    if (!g.name) problems.push('a group has an empty name');
    if (groupNames.has(g.name)) problems.push(`group "${g.name}" is defined twice`);
    groupNames.add(g.name);
    if (g.interval !== undefined && !PROMETHEUS_DURATION.test(g.interval)) problems.push(`group "${g.name}": interval "${g.interval}" is not a Prometheus duration`);
    if (g.rules.length === 0) problems.push(`group "${g.name}" has no rules`);
    for (const r of g.rules) {
      const where = `group "${g.name}", ${isAlertRule(r) ? `alert "${r.alert}"` : `record "${r.record}"`}`;
      if (!r.expr.trim()) problems.push(`${where}: empty expr`);
      for (const key of Object.keys(r.labels ?? {})) if (!LABEL_NAME.test(key)) problems.push(`${where}: label "${key}" is not a label name`);
      if (isAlertRule(r)) {
        if (!ALERT_NAME.test(r.alert)) problems.push(`${where}: the alert name must be CamelCase letters and digits`);
        if (alertNames.has(r.alert)) problems.push(`${where}: alert defined twice`);
        alertNames.add(r.alert);
        if (!PROMETHEUS_DURATION.test(r.for)) problems.push(`${where}: for "${r.for}" is not a Prometheus duration`);
        if (!SEVERITIES.includes(r.severity)) problems.push(`${where}: severity "${r.severity}" is not one of ${SEVERITIES.join(', ')}`);
        if ('severity' in r.labels) problems.push(`${where}: set the severity with "severity", not in labels`);
        if (!r.summary.trim() || !r.description.trim()) problems.push(`${where}: summary and description are required`);
      } else if (!METRIC_NAME.test(r.record)) {
        problems.push(`${where}: not a metric name`);
      }
    }
  }
  return problems;
}

function assertValid(groups: readonly RuleGroup[]): void {
  const problems = ruleGroupProblems(groups);
  if (problems.length > 0) throw new GaiError('gaiops:monitoring:invalid-rules', `invalid rule groups:\n  ${problems.join('\n  ')}`);
}

function renderRule(r: Rule): RenderedRule {
  if (isAlertRule(r)) {
    const annotations: Record<string, string> = { description: r.description, summary: r.summary };
    if (r.runbook) annotations.runbook_url = r.runbook;
    return { alert: r.alert, expr: r.expr, for: r.for, labels: sorted({ ...r.labels, severity: r.severity }), annotations: sorted(annotations) };
  }
  return { record: r.record, expr: r.expr, ...(r.labels && Object.keys(r.labels).length > 0 ? { labels: sorted(r.labels) } : {}) };
}

/** The groups in Prometheus' rule-group format (validated first). */
export function renderRuleGroups(groups: readonly RuleGroup[]): RenderedGroup[] {
  assertValid(groups);
  return groups.map((g) => ({ name: g.name, ...(g.interval ? { interval: g.interval } : {}), rules: g.rules.map(renderRule) }));
}

/** A Prometheus rule file (`groups:`), the input of `promtool check rules`. */
export function renderRuleFile(groups: readonly RuleGroup[]): string {
  return stringify({ groups: renderRuleGroups(groups) }, { lineWidth: 0 });
}

/** A PrometheusRule custom resource as a plain object. */
export interface PrometheusRuleObject {
  readonly apiVersion: 'monitoring.coreos.com/v1';
  readonly kind: 'PrometheusRule';
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Record<string, string> };
  readonly spec: { readonly groups: RenderedGroup[] };
}

/** A `monitoring.coreos.com/v1` PrometheusRule carrying the groups. */
export function renderPrometheusRule(
  groups: readonly RuleGroup[],
  metadata: { name: string; namespace?: string; labels?: Readonly<Record<string, string>> },
): PrometheusRuleObject {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(metadata.name)) {
    throw new GaiError('gaiops:monitoring:invalid-rules', `PrometheusRule name "${metadata.name}" is not a DNS-1123 label`);
  }
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: metadata.name,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
      labels: sorted({ 'app.kubernetes.io/managed-by': 'gaiops', ...(metadata.labels ?? {}) }),
    },
    spec: { groups: renderRuleGroups(groups) },
  };
}
