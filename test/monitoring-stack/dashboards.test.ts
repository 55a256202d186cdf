import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GaiError } from '../../src/core/errors';
import { dashboard, dashboardJson, DASHBOARD_SCHEMA_VERSION, DATASOURCE_VARIABLE, type Dashboard } from '../../src/monitoring-stack/dashboards/model';
import { gpuFleetDashboard, inferenceDashboard, platformDashboards } from '../../src/monitoring-stack/dashboards/platform-dashboards';
import * as MetricNames from '../../src/monitoring-stack/metric-names';
import { checkRules, metricNamesIn } from '../support/promtool';

const KNOWN_METRICS = new Set(
  (Object.values(MetricNames) as unknown[])
    .filter((v): v is Record<string, string> => typeof v === 'object' && v !== null && !Array.isArray(v))
    .flatMap((group) => Object.values(group))
    .flatMap((name) => [name, `${name}_bucket`, `${name}_count`, `${name}_sum`]),
);

const DASHBOARDS = platformDashboards();

/** Grafana's built-in interval variables, replaced by a value PromQL accepts. */
const BUILTINS: Record<string, string> = { __rate_interval: '5m', __interval: '1m', __range: '1h' };

/** The expression with Grafana variables substituted: built-ins by durations, dashboard variables by `.*` (the "All" value). */
function substitute(expr: string, d: Dashboard): string {
  const variables = new Set(d.templating.list.map((v) => v.name));
  return expr.replace(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?/g, (m, name: string) => {
    if (name in BUILTINS) return BUILTINS[name];
    if (variables.has(name)) return '.*';
    throw new Error(`${d.uid}: expression uses undeclared variable ${m}: ${expr}`);
  });
}

const allTargets = (d: Dashboard) => d.panels.flatMap((p) => p.targets.map((t) => ({ panel: p, target: t })));

describe('dashboards', () => {
  it('are the five platform dashboards with stable uids', () => {
    expect(DASHBOARDS.map((d) => d.uid)).toEqual(['gaiops-platform-overview', 'gaiops-inference', 'gaiops-gpu-fleet', 'gaiops-drift-fairness', 'gaiops-training']);
    for (const d of DASHBOARDS) {
      expect(d.uid.length).toBeLessThanOrEqual(40);
      expect(d.schemaVersion).toBe(DASHBOARD_SCHEMA_VERSION);
      expect(d.tags).toContain('gaiops');
    }
  });

  it('render deterministic JSON', () => {
    const a = platformDashboards().map(dashboardJson);
    const b = platformDashboards().map(dashboardJson);
    expect(a).toEqual(b);
    expect(JSON.parse(a[1])).toEqual(JSON.parse(JSON.stringify(DASHBOARDS[1])));
  });

  it.each(DASHBOARDS.map((d) => [d.uid, d] as const))('%s: every panel has id, type, gridPos, datasource and targets with refId and expr', (_uid, d) => {
    expect(d.panels.length).toBeGreaterThan(3);
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      expect(Number.isInteger(p.id) && p.id > 0).toBe(true);
      expect(['timeseries', 'stat', 'gauge', 'table']).toContain(p.type);
      expect(p.title).not.toBe('');
      expect(p.datasource).toEqual({ type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` });
      const { x, y, w, h } = p.gridPos;
      expect(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24).toBe(true);
      expect(p.targets.length).toBeGreaterThan(0);
      const refIds = p.targets.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const t of p.targets) {
        expect(t.refId).toMatch(/^[A-Z]+$/);
        expect(t.expr.trim()).not.toBe('');
      }
    }
    // Panels never overlap.
    const cells = new Set<string>();
    for (const p of d.panels) {
      for (let cx = p.gridPos.x; cx < p.gridPos.x + p.gridPos.w; cx++) {
        for (let cy = p.gridPos.y; cy < p.gridPos.y + p.gridPos.h; cy++) {
          const cell = `${cx},${cy}`;
          expect(cells.has(cell), `${d.uid}: panel ${p.id} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  it('declare a datasource variable first and query variables reading known metrics', () => {
    for (const d of DASHBOARDS) {
      expect(d.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
      for (const v of d.templating.list.slice(1)) {
        expect(v.type).toBe('query');
        const m = /^label_values\(([^,]+), ([a-zA-Z_]+)\)$/.exec(String(v.definition));
        expect(m, `${d.uid}: ${v.name}`).not.toBeNull();
        expect(KNOWN_METRICS.has(m![1])).toBe(true);
        expect(v).toMatchObject({ includeAll: true, allValue: '.*', datasource: { uid: '${datasource}' } });
      }
    }
    expect(inferenceDashboard().templating.list.map((v) => v.name)).toEqual(['datasource', 'variant', 'model']);
    expect(gpuFleetDashboard().templating.list.map((v) => v.name)).toEqual(['datasource', 'node']);
  });

  it('cover the required inference views: RPS, error ratio, latency p50/p95/p99, TTFT, tokens, cost', () => {
    const exprs = allTargets(inferenceDashboard()).map(({ target }) => target.expr);
    const has = (re: RegExp) => expect(exprs.some((e) => re.test(e)), String(re)).toBe(true);
    has(/^sum by \(variant\) \(rate\(gaiops_gateway_requests_total\{variant=~"\$variant", model=~"\$model"\}\[\$__rate_interval\]\)\)$/);
    has(/code=~"5\.\."/);
    for (const q of ['0.5', '0.95', '0.99']) has(new RegExp(`^histogram_quantile\\(${q}, sum by \\(variant, le\\) \\(rate\\(gaiops_gateway_request_duration_seconds_bucket`));
    has(/gaiops_gateway_time_to_first_token_seconds_bucket/);
    has(/gaiops_gateway_tokens_total/);
    has(/gaiops_gateway_cost_usd_total/);
  });

  it('every PromQL expression passes promtool check rules (variables substituted)', () => {
    const rules = DASHBOARDS.flatMap((d) => allTargets(d).map(({ panel, target }) => ({ record: `dashboard:${d.uid.replace(/-/g, '_')}:panel${panel.id}_${target.refId}`, expr: substitute(target.expr, d) })));
    expect(rules.length).toBeGreaterThan(50);
    for (const r of rules) expect(r.expr).not.toContain('$');
    const output = checkRules({ 'dashboards.yaml': stringify({ groups: [{ name: 'dashboard-expressions', rules }] }, { lineWidth: 0 }) });
    expect(output).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('a broken dashboard expression fails the same check', () => {
    const d = dashboard({ slug: 'broken', title: 'b', description: 'b', panels: [{ title: 'x', description: 'x', targets: [{ expr: 'sum(rate(up[$__rate_interval])' }] }] });
    const rules = allTargets(d).map(({ target }) => ({ record: 'dashboard:broken', expr: substitute(target.expr, d) }));
    expect(() => checkRules({ 'broken.yaml': stringify({ groups: [{ name: 'b', rules }] }) })).toThrow(/promtool check rules failed/);
  });

  it('read only metric names from metric-names.ts', () => {
    const unknown = new Set<string>();
    for (const d of DASHBOARDS) for (const { target } of allTargets(d)) for (const n of metricNamesIn(substitute(target.expr, d))) if (!KNOWN_METRICS.has(n)) unknown.add(n);
    expect([...unknown]).toEqual([]);
  });

  it('the builders refuse bad input', () => {
    expect(() => dashboard({ slug: 'Bad Slug', title: 't', description: 'd', panels: [] })).toThrow(GaiError);
    expect(() => dashboard({ slug: 'x', title: 't', description: 'd', panels: [{ title: 'p', description: 'd', targets: [] }] })).toThrow(/no targets/);
    expect(() => dashboard({ slug: 'x', title: 't', description: 'd', panels: [{ title: 'p', description: 'd', width: 30, targets: [{ expr: 'up' }] }] })).toThrow(/width/);
    expect(() =>
      dashboard({ slug: 'x', title: 't', description: 'd', variables: [{ name: 'a', label: 'A', metric: 'up', labelName: 'job' }, { name: 'a', label: 'A', metric: 'up', labelName: 'job' }], panels: [] }),
    ).toThrow(/twice/);
    expect(() => dashboard({ slug: 'x', title: 't', description: 'd', variables: [{ name: 'datasource', label: 'A', metric: 'up', labelName: 'job' }], panels: [] })).toThrow(/reserved/);
  });

  it('lay panels out left to right, wrapping at 24 columns', () => {
    const d = dashboard({
      slug: 'layout',
      title: 't',
      description: 'd',
      panels: [
        { type: 'stat', title: 'a', description: 'd', targets: [{ expr: 'up' }] },
        { type: 'stat', title: 'b', description: 'd', targets: [{ expr: 'up' }] },
        { title: 'c', description: 'd', targets: [{ expr: 'up' }, { expr: 'up' }] },
        { title: 'd', description: 'd', targets: [{ expr: 'up' }] },
      ],
    });
    expect(d.panels.map((p) => p.gridPos)).toEqual([
      { x: 0, y: 0, w: 6, h: 4 },
      { x: 6, y: 0, w: 6, h: 4 },
      { x: 12, y: 0, w: 12, h: 8 },
      { x: 0, y: 8, w: 12, h: 8 },
    ]);
    expect(d.panels[2].targets.map((t) => t.refId)).toEqual(['A', 'B']);
  });
});
