import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { GaiConfigError, GaiError } from '../../src/core/errors';
import * as MetricNames from '../../src/monitoring-stack/metric-names';
import { burnRateRules, errorBudget, leMatcher, ratioRecordName } from '../../src/monitoring-stack/rules/burn-rate';
import { isAlertRule, renderPrometheusRule, renderRuleFile, ruleGroupProblems, type AlertRule, type RuleGroup } from '../../src/monitoring-stack/rules/model';
import { PLATFORM_RULE_GROUPS, platformRuleGroups, PlatformRulesOptionsSchema, type PlatformRulesOptions } from '../../src/monitoring-stack/rules/platform-rules';
import { checkRules, metricNamesIn, promtoolPath, testRules } from '../support/promtool';

/** Every metric name gaiops knows (metric-names.ts), histogram series included. */
const KNOWN_METRICS = new Set(
  (Object.values(MetricNames) as unknown[])
    .filter((v): v is Record<string, string> => typeof v === 'object' && v !== null && !Array.isArray(v))
    .flatMap((group) => Object.values(group))
    .flatMap((name) => [name, `${name}_bucket`, `${name}_count`, `${name}_sum`]),
);

/** Every alert, the optional training-operator v1 one included. */
const GROUPS = platformRuleGroups({ kubeflowTrainingOperatorV1: true });
const byName = (name: string): RuleGroup => {
  const g = GROUPS.find((x) => x.name === name);
  if (!g) throw new Error(`no group ${name}`);
  return g;
};
const alertRule = (name: string): { rule: AlertRule; group: RuleGroup } => {
  for (const group of GROUPS) for (const rule of group.rules) if (isAlertRule(rule) && rule.alert === name) return { rule, group };
  throw new Error(`no alert ${name}`);
};

/** Expands `{{ $labels.x }}` the way Prometheus does for the labels gaiops' templates use. */
function expand(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}/g, (_m, name: string) => {
    if (!(name in labels)) throw new Error(`template reads label ${name}, absent from the expected alert`);
    return labels[name];
  });
}

interface Series {
  readonly series: string;
  readonly values: string;
}

interface Scenario {
  /** What the scenario shows. */
  readonly name: string;
  readonly series: readonly Series[];
  readonly evalTime: string;
  /** Result labels of each expected alert (before severity and static labels); empty = silent. */
  readonly firing: readonly Record<string, string>[];
  readonly interval?: string;
}

/** One promtool unit-test file for an alert: each scenario a test, each asserting exactly the alerts expected. */
function unitTestFile(alert: string, ruleFile: string, scenarios: readonly Scenario[], evaluationInterval = '1m'): string {
  const { rule } = alertRule(alert);
  return stringify(
    {
      rule_files: [ruleFile],
      evaluation_interval: evaluationInterval,
      tests: scenarios.map((s) => ({
        name: s.name,
        interval: s.interval ?? '1m',
        input_series: s.series.map((x) => ({ series: x.series, values: x.values })),
        alert_rule_test: [
          {
            eval_time: s.evalTime,
            alertname: alert,
            exp_alerts: s.firing.map((labels) => {
              const all = { ...labels, ...rule.labels, severity: rule.severity };
              return {
                exp_labels: all,
                exp_annotations: {
                  summary: expand(rule.summary, all),
                  description: expand(rule.description, all),
                  ...(rule.runbook ? { runbook_url: rule.runbook } : {}),
                },
              };
            }),
          },
        ],
      })),
    },
    { lineWidth: 0 },
  );
}

/** Runs promtool test rules for an alert against its own group only (fast: no unrelated rules evaluated). */
function expectScenarios(alert: string, scenarios: readonly Scenario[], evaluationInterval?: string): void {
  const { group } = alertRule(alert);
  expect(scenarios.some((s) => s.firing.length > 0), `${alert}: needs a firing scenario`).toBe(true);
  expect(scenarios.some((s) => s.firing.length === 0), `${alert}: needs a silent scenario`).toBe(true);
  const files = { 'rules.yaml': renderRuleFile([group]), 'test.yaml': unitTestFile(alert, 'rules.yaml', scenarios, evaluationInterval) };
  const result = testRules(files, ['test.yaml']);
  expect(result.output).toContain('SUCCESS');
  expect(result.status, result.output).toBe(0);
}

describe('promtool', () => {
  it('is installed (a missing promtool fails the suite, it is never skipped)', () => {
    expect(promtoolPath()).toMatch(/promtool$/);
  });

  it('a missing promtool is a clear error, not a skip', () => {
    expect(() => promtoolPath({ PROMTOOL: '/nonexistent/promtool' })).toThrow(/promtool not found: PROMTOOL=\/nonexistent\/promtool .*apt-get install prometheus/);
  });
});

describe('rule model', () => {
  it('renders alerts with severity, static labels and annotations, and recording rules, sorted', () => {
    const file = parse(renderRuleFile(GROUPS)) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    expect(file.groups.map((g) => g.name)).toEqual(Object.values(PLATFORM_RULE_GROUPS));
    const idle = file.groups.find((g) => g.name === PLATFORM_RULE_GROUPS.gpu)!.rules.find((r) => r.alert === 'GpuIdle')!;
    expect(idle.for).toBe('1h');
    expect(idle.labels).toEqual({ category: 'cost', severity: 'warning' });
    expect(Object.keys(idle.annotations as object)).toEqual(['description', 'summary']);
    const record = file.groups[0].rules[0];
    expect(record).toEqual({ record: 'variant:gaiops_gateway_errors:ratio_rate5m', expr: expect.stringContaining('[5m]') });
  });

  it('refuses invalid groups with every problem listed', () => {
    const bad: RuleGroup[] = [
      {
        name: 'g',
        interval: 'soon',
        rules: [
          { alert: 'lowercase', expr: 'up == 0', for: '5 minutes', severity: 'critical', summary: 's', description: 'd', labels: { severity: 'x' } },
          { alert: 'Dup', expr: 'up == 0', for: '5m', severity: 'warning', summary: 's', description: 'd', labels: {} },
          { alert: 'Dup', expr: ' ', for: '5m', severity: 'warning', summary: 's', description: 'd', labels: { 'bad-label': 'x' } },
          { record: 'not a name', expr: 'up' },
        ],
      },
      { name: 'g', rules: [] },
    ];
    const problems = ruleGroupProblems(bad);
    expect(problems).toEqual([
      'group "g": interval "soon" is not a Prometheus duration',
      'group "g", alert "lowercase": the alert name must be CamelCase letters and digits',
      'group "g", alert "lowercase": for "5 minutes" is not a Prometheus duration',
      'group "g", alert "lowercase": set the severity with "severity", not in labels',
      'group "g", alert "Dup": empty expr',
      'group "g", alert "Dup": label "bad-label" is not a label name',
      'group "g", alert "Dup": alert defined twice',
      'group "g", record "not a name": not a metric name',
      'group "g" is defined twice',
      'group "g" has no rules',
    ]);
    expect(() => renderRuleFile(bad)).toThrow(GaiError);
    expect(() => renderRuleFile(bad)).toThrow(/gaiops:monitoring:invalid-rules/);
  });

  it('renders a monitoring.coreos.com/v1 PrometheusRule that validates against the operator schema', async () => {
    const { PrometheusRule } = (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule')) as unknown as {
      PrometheusRule: new (o: unknown) => { validate(): void };
    };
    const object = renderPrometheusRule(GROUPS, { name: 'gaiops-platform', namespace: 'monitoring', labels: { team: 'ml' } });
    expect(object.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'gaiops', team: 'ml' });
    expect(() => new PrometheusRule(object).validate()).not.toThrow();
    // A broken object is caught by the same validation (the test can fail).
    const broken = { ...object, spec: { groups: [{ name: 'x', rules: [{ alert: 'A', expr: 1234, for: 'soon' }] }] } };
    expect(() => new PrometheusRule(broken).validate()).toThrow();
    expect(() => renderPrometheusRule(GROUPS, { name: 'Not_DNS' })).toThrow(/DNS-1123/);
  });

  it('reads only metric names listed in metric-names.ts', () => {
    const used = new Set<string>();
    for (const g of GROUPS) for (const r of g.rules) for (const n of metricNamesIn(r.expr)) used.add(n);
    const recorded = new Set(GROUPS.flatMap((g) => g.rules.filter((r) => !isAlertRule(r)).map((r) => (r as { record: string }).record)));
    const unknown = [...used].filter((n) => !KNOWN_METRICS.has(n) && !recorded.has(n));
    expect(unknown).toEqual([]);
    expect(used.has('DCGM_FI_DEV_GPU_UTIL')).toBe(true);
    expect(metricNamesIn('sum by (variant) (rate(foo_total{code=~"5.."}[5m])) / on (x) bar > 0.5')).toEqual(['bar', 'foo_total']);
  });
});

describe('options', () => {
  it('bad options fail with one GaiConfigError naming every field', () => {
    const bad = {
      availabilityObjective: 99.5,
      latencyThresholdSeconds: 3,
      gpuIdleFor: 'an hour',
      runbookBaseUrl: 'not a url',
      extra: true,
    } as unknown as PlatformRulesOptions;
    let error: unknown;
    try {
      platformRuleGroups(bad, 'Monitoring/Rules');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GaiConfigError);
    const fields = (error as GaiConfigError).problems.map((p) => `${p.constructPath}: ${p.fieldPath}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        'Monitoring/Rules: availabilityObjective',
        'Monitoring/Rules: latencyThresholdSeconds',
        'Monitoring/Rules: gpuIdleFor',
        'Monitoring/Rules: runbookBaseUrl',
      ]),
    );
    expect((error as GaiConfigError).message).toMatch(/latencyThresholdSeconds: must be a bucket bound/);
    expect((error as GaiConfigError).message).toMatch(/extra/);
  });

  it('thresholds follow the options and the objective sets the burn thresholds', () => {
    const groups = platformRuleGroups({ availabilityObjective: 0.999, gpuTemperatureCelsius: 80, runbookBaseUrl: 'https://runbooks.example.com/gaiops/' });
    const rules = groups.flatMap((g) => g.rules).filter(isAlertRule);
    const page = rules.find((r) => r.alert === 'GatewayAvailabilityBudgetBurnPage')!;
    expect(page.expr).toContain('variant:gaiops_gateway_errors:ratio_rate1h > (14.4 * 0.001)');
    expect(page.expr).toContain('variant:gaiops_gateway_errors:ratio_rate30m > (6 * 0.001)');
    expect(rules.find((r) => r.alert === 'GpuTemperatureHigh')!.expr).toBe('DCGM_FI_DEV_GPU_TEMP > 80');
    expect(rules.find((r) => r.alert === 'GpuTemperatureHigh')!.runbook).toBe('https://runbooks.example.com/gaiops/GpuTemperatureHigh');
    expect(errorBudget(0.995)).toBe(0.005);
    expect(checkRules({ 'custom.yaml': renderRuleFile(groups) })).toMatch(/SUCCESS/);
  });

  it('matches integer latency buckets both as Prometheus 2 (`1`) and 3 (`1.0`) print them', () => {
    expect(leMatcher(2.5)).toBe('le=~"2\\\\.5"');
    expect(leMatcher(1)).toBe('le=~"1(\\\\.0)?"');
  });
});

describe('promtool check rules', () => {
  it('accepts every rendered group, each in its own file', () => {
    const files = Object.fromEntries(GROUPS.map((g) => [`${g.name}.yaml`, renderRuleFile([g])]));
    const output = checkRules(files);
    for (const g of GROUPS) expect(output).toContain(`Checking ${g.name}.yaml`);
    expect(output).not.toMatch(/FAILED/);
  });

  it('rejects a broken expression (the check can fail)', () => {
    const broken: RuleGroup = { name: 'broken', rules: [{ alert: 'Broken', expr: 'sum by (x (up)', for: '1m', severity: 'info', summary: 's', description: 'd', labels: {} }] };
    expect(() => checkRules({ 'broken.yaml': renderRuleFile([broken]) })).toThrow(/promtool check rules failed/);
  });
});

describe('multi-window multi-burn-rate SLO alerts (promtool test rules)', () => {
  const slo = byName(PLATFORM_RULE_GROUPS.gatewaySlo);

  it('records the ratio over each workbook window (5m, 30m, 1h, 2h, 6h, 1d, 3d) for both SLOs', () => {
    const records = slo.rules.filter((r) => !isAlertRule(r)).map((r) => (r as { record: string }).record);
    const windows = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];
    expect(records).toEqual([
      ...windows.map((w) => `variant:gaiops_gateway_errors:ratio_rate${w}`),
      ...windows.map((w) => `variant:gaiops_gateway_slow_requests:ratio_rate${w}`),
    ]);
    const { alerts } = burnRateRules({ alertPrefix: 'X', slo: 'x', objective: 0.99, promise: 'p', sli: { name: 'n', by: ['a', 'b'], ratio: (w) => `r${w}` } });
    expect(alerts.map((a) => [a.alert, a.severity, a.for])).toEqual([
      ['XBudgetBurnPage', 'critical', '2m'],
      ['XBudgetBurnTicket', 'warning', '15m'],
    ]);
    expect(ratioRecordName({ name: 'n', by: ['a', 'b'], ratio: () => '' }, '1h')).toBe('a_b:n:ratio_rate1h');
  });

  /** Requests per minute for variant "a": ok and error counters growing linearly. */
  const availabilitySeries = (okPerMin: number, errPerMin: number, minutes: number): Series[] => [
    { series: 'gaiops_gateway_requests_total{variant="a",code="200",route="chat"}', values: `0+${okPerMin}x${minutes}` },
    { series: 'gaiops_gateway_requests_total{variant="a",code="500",route="chat"}', values: `0+${errPerMin}x${minutes}` },
  ];
  const variantA = [{ variant: 'a', slo: 'gateway-availability' }];

  it('availability: fast burn (10 % errors, 20× budget) pages (and tickets); healthy is silent', () => {
    const fast = availabilitySeries(54, 6, 120);
    const healthy = availabilitySeries(999, 1, 240);
    expectScenarios('GatewayAvailabilityBudgetBurnPage', [
      { name: 'fast burn pages', series: fast, evalTime: '90m', firing: variantA },
      { name: 'healthy (0.1 % errors) does not page', series: healthy, evalTime: '3h', firing: [] },
    ]);
    expectScenarios('GatewayAvailabilityBudgetBurnTicket', [
      { name: 'fast burn also opens a ticket', series: fast, evalTime: '90m', firing: variantA },
      { name: 'healthy opens no ticket', series: healthy, evalTime: '3h', firing: [] },
    ]);
  });

  it('availability: slow burn (2 % errors, 4× budget) opens a ticket only; 4 % (8×) pages through the 6h/30m pair', () => {
    const slow = availabilitySeries(98, 2, 200);
    expectScenarios('GatewayAvailabilityBudgetBurnTicket', [
      { name: 'slow burn opens a ticket', series: slow, evalTime: '3h', firing: variantA },
      { name: 'budget-neutral (0.4 % errors) opens no ticket', series: availabilitySeries(996, 4, 200), evalTime: '3h', firing: [] },
    ]);
    expectScenarios('GatewayAvailabilityBudgetBurnPage', [
      { name: 'slow burn does not page', series: slow, evalTime: '3h', firing: [] },
      { name: '8× burn pages (6h and 30m over 6×, 1h under 14.4×)', series: availabilitySeries(96, 4, 200), evalTime: '3h', firing: variantA },
    ]);
  });

  /** Requests per minute for variant "b": within 2.5 s and in total. */
  const latencySeries = (fastPerMin: number, totalPerMin: number, minutes: number): Series[] => [
    { series: 'gaiops_gateway_request_duration_seconds_bucket{variant="b",route="chat",le="2.5"}', values: `0+${fastPerMin}x${minutes}` },
    { series: 'gaiops_gateway_request_duration_seconds_bucket{variant="b",route="chat",le="+Inf"}', values: `0+${totalPerMin}x${minutes}` },
    { series: 'gaiops_gateway_request_duration_seconds_count{variant="b",route="chat"}', values: `0+${totalPerMin}x${minutes}` },
  ];
  const variantB = [{ variant: 'b', slo: 'gateway-latency' }];

  it('latency: 20 % slow pages, 5 % slow only tickets, 0.5 % slow is silent', () => {
    expectScenarios('GatewayLatencyBudgetBurnPage', [
      { name: 'fast burn pages', series: latencySeries(80, 100, 120), evalTime: '90m', firing: variantB },
      { name: 'slow burn does not page', series: latencySeries(95, 100, 200), evalTime: '3h', firing: [] },
      { name: 'healthy does not page', series: latencySeries(995, 1000, 200), evalTime: '3h', firing: [] },
    ]);
    expectScenarios('GatewayLatencyBudgetBurnTicket', [
      { name: 'slow burn opens a ticket', series: latencySeries(95, 100, 200), evalTime: '3h', firing: variantB },
      { name: 'healthy opens no ticket', series: latencySeries(995, 1000, 200), evalTime: '3h', firing: [] },
    ]);
  });

  it('latency with an integer threshold matches Prometheus 3 `le="1.0"` buckets', () => {
    const groups = platformRuleGroups({ latencyThresholdSeconds: 1 });
    const group = groups.find((g) => g.name === PLATFORM_RULE_GROUPS.gatewaySlo)!;
    const rule = group.rules.find((r) => isAlertRule(r) && r.alert === 'GatewayLatencyBudgetBurnPage') as AlertRule;
    const series = (le: string): Series[] => [
      { series: `gaiops_gateway_request_duration_seconds_bucket{variant="b",le="${le}"}`, values: '0+80x120' },
      { series: 'gaiops_gateway_request_duration_seconds_count{variant="b"}', values: '0+100x120' },
    ];
    const expected = { variant: 'b', slo: 'gateway-latency', severity: 'critical' };
    const test = stringify({
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: ['1', '1.0'].map((le) => ({
        interval: '1m',
        input_series: series(le),
        alert_rule_test: [
          {
            eval_time: '90m',
            alertname: rule.alert,
            exp_alerts: [{ exp_labels: expected, exp_annotations: { summary: expand(rule.summary, expected), description: expand(rule.description, expected) } }],
          },
        ],
      })),
    });
    const result = testRules({ 'rules.yaml': renderRuleFile([group]), 'test.yaml': test }, ['test.yaml']);
    expect(result.status, result.output).toBe(0);
  });
});

describe('inference alerts (promtool test rules)', () => {
  it('GatewayTimeToFirstTokenHigh: fires when p95 TTFT stays above 2 s, silent when requests are fast', () => {
    const ttft = (perBucket: Record<string, number>): Series[] =>
      Object.entries(perBucket).map(([le, perMin]) => ({ series: `gaiops_gateway_time_to_first_token_seconds_bucket{variant="a",model="m",le="${le}"}`, values: `0+${perMin}x30` }));
    expectScenarios('GatewayTimeToFirstTokenHigh', [
      { name: 'every first token between 2.5 and 5 s', series: ttft({ '1': 0, '2.5': 0, '5': 10, '+Inf': 10 }), evalTime: '20m', firing: [{ variant: 'a' }] },
      { name: 'every first token under 1 s', series: ttft({ '1': 10, '2.5': 10, '5': 10, '+Inf': 10 }), evalTime: '20m', firing: [] },
      { name: 'slow for only 5 minutes (under the 10 minute for)', series: ttft({ '1': 0, '2.5': 0, '5': 10, '+Inf': 10 }), evalTime: '8m', firing: [] },
    ]);
  });

  it('ModelServerQueueDepthHigh: fires on more than 20 waiting requests summed over replicas', () => {
    const waiting = (a: number, b: number): Series[] => [
      { series: 'vllm:num_requests_waiting{namespace="inference",model_name="llama",pod="p1"}', values: `${a}x30` },
      { series: 'vllm:num_requests_waiting{namespace="inference",model_name="llama",pod="p2"}', values: `${b}x30` },
    ];
    expectScenarios('ModelServerQueueDepthHigh', [
      { name: '15 + 10 waiting', series: waiting(15, 10), evalTime: '15m', firing: [{ namespace: 'inference', model_name: 'llama' }] },
      { name: '10 + 5 waiting', series: waiting(10, 5), evalTime: '15m', firing: [] },
    ]);
  });

  it('GatewayRateLimitSurge: fires above 5 rejections per second for a key', () => {
    const limited = (perMin: number): Series[] => [{ series: 'gaiops_gateway_rate_limited_total{key="team-a",limit="requests"}', values: `0+${perMin}x40` }];
    expectScenarios('GatewayRateLimitSurge', [
      { name: '10 per second', series: limited(600), evalTime: '20m', firing: [{ key: 'team-a', limit: 'requests' }] },
      { name: '1 per second', series: limited(60), evalTime: '20m', firing: [] },
    ]);
  });

  it('GatewayCircuitBreakerOpen: fires when a breaker stays open, not when half-open', () => {
    const breaker = (state: number): Series[] => [{ series: 'gaiops_gateway_breaker_state{variant="canary",pod="gw-1"}', values: `${state}x10` }];
    expectScenarios('GatewayCircuitBreakerOpen', [
      { name: 'open', series: breaker(2), evalTime: '5m', firing: [{ variant: 'canary' }] },
      { name: 'half-open', series: breaker(1), evalTime: '5m', firing: [] },
    ]);
  });
});

describe('GPU alerts (promtool test rules)', () => {
  const gpu = 'gpu="0",UUID="GPU-1",modelName="NVIDIA L4",Hostname="ip-10-0-1-2"';
  const gpuLabels = { gpu: '0', UUID: 'GPU-1', modelName: 'NVIDIA L4', Hostname: 'ip-10-0-1-2' };

  it('GpuIdle: fires after an hour under 10 %, not for a busy GPU or one idle for only 30 minutes', () => {
    const util = (values: string): Series[] => [{ series: `DCGM_FI_DEV_GPU_UTIL{${gpu}}`, values }];
    expectScenarios('GpuIdle', [
      { name: 'idle for 75 minutes', series: util('5x80'), evalTime: '75m', firing: [gpuLabels] },
      { name: 'busy', series: util('50x80'), evalTime: '75m', firing: [] },
      { name: 'busy, then idle for 30 minutes', series: util('50x45 5x35'), evalTime: '75m', firing: [] },
    ]);
  });

  it('GpuMemoryNearlyFull: fires above 95 % framebuffer use', () => {
    const mem = (used: number, free: number): Series[] => [
      { series: `DCGM_FI_DEV_FB_USED{${gpu}}`, values: `${used}x30` },
      { series: `DCGM_FI_DEV_FB_FREE{${gpu}}`, values: `${free}x30` },
    ];
    expectScenarios('GpuMemoryNearlyFull', [
      { name: '98 % used', series: mem(23000, 500), evalTime: '20m', firing: [gpuLabels] },
      { name: '87 % used', series: mem(20000, 3000), evalTime: '20m', firing: [] },
    ]);
  });

  it('GpuTemperatureHigh: fires above 85 °C for 10 minutes', () => {
    const temp = (c: number): Series[] => [{ series: `DCGM_FI_DEV_GPU_TEMP{${gpu}}`, values: `${c}x20` }];
    expectScenarios('GpuTemperatureHigh', [
      { name: '90 °C', series: temp(90), evalTime: '15m', firing: [gpuLabels] },
      { name: '70 °C', series: temp(70), evalTime: '15m', firing: [] },
    ]);
  });

  it('GpuXidError: fires when an XID is reported', () => {
    const xid = (values: string): Series[] => [{ series: `DCGM_FI_DEV_XID_ERRORS{${gpu}}`, values }];
    expectScenarios('GpuXidError', [
      { name: 'XID 79', series: xid('0x5 79x5'), evalTime: '8m', firing: [gpuLabels] },
      { name: 'no XID', series: xid('0x10'), evalTime: '8m', firing: [] },
    ]);
  });
});

describe('cluster alerts (promtool test rules)', () => {
  it('NodeNotReady: fires when Ready=true is 0 for 5 minutes', () => {
    const node = (ready: number): Series[] => [
      { series: 'kube_node_status_condition{node="n1",condition="Ready",status="true"}', values: `${ready}x10` },
      { series: 'kube_node_status_condition{node="n1",condition="Ready",status="false"}', values: `${1 - ready}x10` },
    ];
    expectScenarios('NodeNotReady', [
      { name: 'not ready', series: node(0), evalTime: '8m', firing: [{ node: 'n1', condition: 'Ready', status: 'true' }] },
      { name: 'ready', series: node(1), evalTime: '8m', firing: [] },
    ]);
  });

  it('KarpenterProvisioningFailures: fires on repeated Create errors, not on other methods or a few errors', () => {
    const errors = (method: string, perMin: string): Series[] => [
      { series: `karpenter_cloudprovider_errors_total{controller="nodeclaim.lifecycle",method="${method}",provider="aws",error="InsufficientCapacityError"}`, values: perMin },
    ];
    expectScenarios('KarpenterProvisioningFailures', [
      { name: 'one Create error a minute', series: errors('Create', '0+1x40'), evalTime: '30m', firing: [{ error: 'InsufficientCapacityError' }] },
      { name: 'Delete errors only', series: errors('Delete', '0+1x40'), evalTime: '30m', firing: [] },
      { name: 'two Create errors', series: errors('Create', '0x10 1x10 2x20'), evalTime: '30m', firing: [] },
    ]);
  });
});

describe('training alerts (promtool test rules)', () => {
  it('TrainingJobFailed: fires when a batch Job has failed pods', () => {
    const failed = (n: number): Series[] => [{ series: 'kube_job_status_failed{namespace="research",job_name="train-1",reason="BackoffLimitExceeded"}', values: `${n}x10` }];
    expectScenarios('TrainingJobFailed', [
      { name: 'failed', series: failed(1), evalTime: '5m', firing: [{ namespace: 'research', job_name: 'train-1' }] },
      { name: 'no failure', series: failed(0), evalTime: '5m', firing: [] },
    ]);
  });

  it('KubeflowTrainingJobFailed is only there for training-operator v1 (Kubeflow Trainer v2 exports no job metrics)', () => {
    const names = (groups: RuleGroup[]) => groups.flatMap((g) => g.rules.filter(isAlertRule).map((r) => r.alert));
    expect(names(platformRuleGroups())).not.toContain('KubeflowTrainingJobFailed');
    expect(names(platformRuleGroups({ kubeflowTrainingOperatorV1: true }))).toContain('KubeflowTrainingJobFailed');
  });

  it('KubeflowTrainingJobFailed: fires when the training operator counts a failed job', () => {
    const failed = (values: string): Series[] => [{ series: 'training_operator_jobs_failed_total{job_namespace="research",framework="pytorch"}', values }];
    expectScenarios('KubeflowTrainingJobFailed', [
      { name: 'a PyTorchJob failed', series: failed('0x5 1x20'), evalTime: '8m', firing: [{ job_namespace: 'research', framework: 'pytorch' }] },
      { name: 'none failed', series: failed('0x25'), evalTime: '8m', firing: [] },
      { name: 'failed long ago', series: failed('0x5 1x40'), evalTime: '30m', firing: [] },
    ]);
  });

  it('RayJobFailed: fires for a Failed RayJob, not a Running one', () => {
    const status = (s: string): Series[] => [{ series: `kuberay_job_deployment_status{name="r1",namespace="research",uid="u-1",deployment_status="${s}"}`, values: '1x10' }];
    expectScenarios('RayJobFailed', [
      { name: 'failed', series: status('Failed'), evalTime: '5m', firing: [{ name: 'r1', namespace: 'research' }] },
      { name: 'running', series: status('Running'), evalTime: '5m', firing: [] },
    ]);
  });
});

describe('model quality alerts (promtool test rules)', () => {
  it('ModelDriftDetected: fires when the detector flags dataset drift', () => {
    const drift = (v: number): Series[] => [{ series: 'gaiops_drift_detected{dataset="customers",model="churn"}', values: `${v}x5` }];
    expectScenarios('ModelDriftDetected', [
      { name: 'drift', series: drift(1), evalTime: '2m', firing: [{ dataset: 'customers', model: 'churn' }] },
      { name: 'no drift', series: drift(0), evalTime: '2m', firing: [] },
    ]);
  });

  it('ModelFairnessDisparateImpact: fires below the four-fifths rule', () => {
    const ratio = (v: number): Series[] => [{ series: 'gaiops_fairness_disparate_impact_ratio{model="churn",attribute="gender"}', values: `${v}x5` }];
    expectScenarios('ModelFairnessDisparateImpact', [
      { name: 'ratio 0.6', series: ratio(0.6), evalTime: '2m', firing: [{ model: 'churn', attribute: 'gender' }] },
      { name: 'ratio 0.9', series: ratio(0.9), evalTime: '2m', firing: [] },
    ]);
  });

  it('DriftDetectorStale: fires when the last run is over 26 h old, silent while runs keep coming', () => {
    const lastRun = (values: string): Series[] => [{ series: 'gaiops_drift_last_run_timestamp_seconds{dataset="customers",model="churn"}', values }];
    expectScenarios(
      'DriftDetectorStale',
      [
        // promtool's clock starts at Unix time 0: a run at t=0 is 27 h old at eval time 27h.
        { name: 'last run 27 h ago', series: lastRun('0x30'), evalTime: '27h', interval: '1h', firing: [{ dataset: 'customers', model: 'churn' }] },
        { name: 'runs every hour', series: lastRun('0+3600x30'), evalTime: '27h', interval: '1h', firing: [] },
      ],
      '5m',
    );
  });
});

describe('coverage', () => {
  it('every alert has a promtool scenario above', () => {
    // Keep this list in sync with the scenarios: an alert without one fails here.
    const tested = [
      'GatewayAvailabilityBudgetBurnPage',
      'GatewayAvailabilityBudgetBurnTicket',
      'GatewayLatencyBudgetBurnPage',
      'GatewayLatencyBudgetBurnTicket',
      'GatewayTimeToFirstTokenHigh',
      'ModelServerQueueDepthHigh',
      'GatewayRateLimitSurge',
      'GatewayCircuitBreakerOpen',
      'GpuIdle',
      'GpuMemoryNearlyFull',
      'GpuTemperatureHigh',
      'GpuXidError',
      'NodeNotReady',
      'KarpenterProvisioningFailures',
      'TrainingJobFailed',
      'KubeflowTrainingJobFailed',
      'RayJobFailed',
      'ModelDriftDetected',
      'ModelFairnessDisparateImpact',
      'DriftDetectorStale',
    ];
    const alerts = GROUPS.flatMap((g) => g.rules.filter(isAlertRule).map((r) => r.alert));
    expect([...alerts].sort()).toEqual([...tested].sort());
  });
});

describe('README', () => {
  const readme = readFileSync(join(__dirname, '../../src/monitoring-stack/README.md'), 'utf8');

  it('lists every alert', () => {
    for (const g of GROUPS) {
      for (const r of g.rules.filter(isAlertRule)) {
        const listed = readme.includes(`\`${r.alert}\``) || (r.alert.endsWith('Ticket') && readme.includes(`\`${r.alert.replace(/Ticket$/, 'Page')}\` / \`…Ticket\``));
        expect(listed, r.alert).toBe(true);
      }
    }
  });

  it('states the default of every option in its alert row', () => {
    const defaults = PlatformRulesOptionsSchema.parse({}) as Record<string, unknown>;
    const rows = readme.split('\n').filter((l) => l.startsWith('| `'));
    for (const [option, value] of Object.entries(defaults)) {
      if (option === 'runbookBaseUrl' || option === 'trainingNamespaceRegex' || option === 'kubeflowTrainingOperatorV1') continue;
      const row = rows.find((l) => l.split('|').at(-2)!.includes(`\`${option}\``));
      expect(row, option).toBeDefined();
      const forms = typeof value === 'number' ? [String(value), `${Number((value * 100).toPrecision(10))} %`] : [String(value)];
      expect(forms.some((f) => row!.includes(f)), `${option}: ${forms.join(' or ')} in ${row}`).toBe(true);
    }
  });
});
