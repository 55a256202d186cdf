import { describe, expect, it } from 'vitest';
import { GaiError } from '../../src/core/errors';
import { PinnedHelmRelease, unknownValueKeys, type PinnedChart } from '../../src/core/helm/pinned-chart';
import { Token } from '../../src/core/tf';
import { hasValuePath, missingValuePaths } from '../../scripts/verify-chart-keys';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { platformStack, synth } from '../support/synth';
import { TEST_CLUSTER } from '../support/cluster-reference';

const CHART: PinnedChart = {
  repository: 'https://charts.example.com',
  chart: 'demo',
  version: '1.2.3',
  appVersion: 'v1.2.3',
  source: 'https://github.com/example/demo/blob/v1.2.3/values.yaml',
  valueKeys: ['tolerations', 'nodeSelector', 'controller.resources', 'settings.clusterName', 'serviceMonitor.enabled', 'serviceMonitor.additionalLabels'],
};

describe('unknownValueKeys', () => {
  it('accepts listed leaves, whatever is below them (free-form maps and lists)', () => {
    expect(
      unknownValueKeys(CHART, {
        tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
        nodeSelector: { 'kubernetes.io/os': 'linux', 'gaiops.io/node-pool': 'system' },
        serviceMonitor: { additionalLabels: { release: 'x', anything: 'goes' } },
      }),
    ).toEqual([]);
  });

  it('walks unlisted parents of listed paths down to the listed leaves', () => {
    expect(unknownValueKeys(CHART, { controller: { resources: { requests: { cpu: '1' } } }, settings: { clusterName: 'c' } })).toEqual([]);
  });

  it('catches a misspelt key at the top level and under a walked parent, sorted', () => {
    expect(
      unknownValueKeys(CHART, {
        toleration: [],
        settings: { clusterName: 'c', interuptionQueue: 'q' },
        serviceMonitor: { enabeld: true },
      }),
    ).toEqual(['serviceMonitor.enabeld', 'settings.interuptionQueue', 'toleration']);
  });

  it('refuses a scalar, a list or a token where a listed parent expects a map', () => {
    expect(unknownValueKeys(CHART, { settings: 'clusterName=c' })).toEqual(['settings']);
    expect(unknownValueKeys(CHART, { controller: [{ resources: {} }] })).toEqual(['controller']);
    expect(unknownValueKeys(CHART, { settings: Token.asAny('${var.settings}') as unknown as Record<string, unknown> })).toEqual(['settings']);
  });

  it('accepts a token as the value of a listed leaf', () => {
    expect(unknownValueKeys(CHART, { settings: { clusterName: Token.asString('${aws_eks_cluster.c.name}') } })).toEqual([]);
  });

  it('refuses every key when nothing is listed', () => {
    expect(unknownValueKeys({ valueKeys: [] }, { a: 1 })).toEqual(['a']);
    expect(unknownValueKeys({ valueKeys: [] }, {})).toEqual([]);
  });
});

describe('PinnedHelmRelease', () => {
  function release(chart: PinnedChart, values: Record<string, unknown>) {
    const stack = platformStack();
    const { helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
    const r = new PinnedHelmRelease(stack, 'Demo', { chart, name: 'demo', namespace: 'demo-system', values, provider: helm });
    return { stack, r };
  }

  it('a misspelt value key fails synth with the chart, version and path', () => {
    expect(() => release(CHART, { nodeSelecter: { a: 'b' } })).toThrow(GaiError);
    expect(() => release(CHART, { nodeSelecter: { a: 'b' } })).toThrow(/value keys not verified for demo 1\.2\.3.*nodeSelecter/);
  });

  it('refuses a version range and a non-https repository', () => {
    expect(() => release({ ...CHART, version: '^1.2.0' }, {})).toThrow(/is not an exact version/);
    expect(() => release({ ...CHART, version: '1.2' }, {})).toThrow(/is not an exact version/);
    expect(() => release({ ...CHART, repository: 'http://charts.example.com' }, {})).toThrow(/must be https:\/\/ or oci:\/\//);
  });

  it('renders an atomic, waiting, exact-version helm_release with the values as one document', () => {
    const { stack } = release(CHART, { tolerations: [] });
    const json = synth(stack);
    const [config] = Object.values(json.resource.helm_release);
    expect(config).toMatchObject({
      name: 'demo',
      chart: 'demo',
      repository: 'https://charts.example.com',
      version: '1.2.3',
      namespace: 'demo-system',
      create_namespace: false,
      atomic: true,
      cleanup_on_fail: true,
      wait: true,
      max_history: 5,
      timeout: 600,
      skip_crds: false,
      provider: 'helm',
    });
    expect(config.values).toEqual(['${jsonencode({"tolerations" = []})}']);
  });
});

describe('verify-chart-keys', () => {
  const doc = { a: { b: { c: null }, list: [1, 2], empty: {} }, top: 'x' };

  it('finds paths whose value is a map, a list, a scalar or null', () => {
    for (const path of ['a', 'a.b', 'a.b.c', 'a.list', 'a.empty', 'top']) expect(hasValuePath(doc, path)).toBe(true);
  });

  it('does not find missing keys, keys below scalars or lists, or inherited properties', () => {
    for (const path of ['b', 'a.c', 'a.b.c.d', 'top.x', 'a.list.0', 'toString', 'a.constructor']) expect(hasValuePath(doc, path)).toBe(false);
  });

  it('lists the missing declared paths, looking subchart aliases up in the subchart values', () => {
    const parent = { nfd: { enabled: true }, 'node-feature-discovery': { worker: {} } };
    const subchart = { master: { tolerations: [] }, gc: { nodeSelector: {} } };
    const keys = ['nfd.enabled', 'node-feature-discovery.worker', 'node-feature-discovery.master.tolerations', 'node-feature-discovery.gc.nodeSelector', 'node-feature-discovery.master.tolerashuns', 'nfd.enabeld'];
    expect(missingValuePaths(keys, parent, { 'node-feature-discovery': subchart })).toEqual(['node-feature-discovery.master.tolerashuns', 'nfd.enabeld']);
    expect(missingValuePaths(keys, parent)).toEqual([
      'node-feature-discovery.master.tolerations',
      'node-feature-discovery.gc.nodeSelector',
      'node-feature-discovery.master.tolerashuns',
      'nfd.enabeld',
    ]);
  });
});
