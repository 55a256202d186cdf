import type { PolicyRule } from '../types';
import { isSet, isTrue, show } from './helpers';

const RELEASE = ['helm_release'] as const;

/** An exact chart version: semver with an optional leading `v`, pre-release and build metadata; no ranges. */
export const EXACT_CHART_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Repository schemes whose charts are fetched over an authenticated, encrypted transport. */
const SECURE_REPOSITORY = /^(https|oci):\/\//;

/** True for a chart given as a local directory (the generated charts gaiops stages as assets). */
function isLocalChart(chart: unknown): boolean {
  return typeof chart === 'string' && chart.startsWith('./');
}

export const helmPinnedChart: PolicyRule = {
  id: 'GAI-HELM-001',
  severity: 'error',
  title: 'Helm releases install a chart pinned to an exact version from an https:// or oci:// repository, or a local chart',
  rationale:
    'Without an exact version, every plan can pick up a new chart release: templates, defaults and value keys change under an unchanged configuration, and a renamed key silently drops a security setting. A version range behaves the same; a plain-http repository lets anyone on the path substitute the chart.',
  fix: 'Set repository to an https:// or oci:// URL and version to an exact chart version such as "1.14.1" (gaiops PinnedChartRelease checks both and the value keys), or install a chart generated into a local directory (chart = "./…").',
  appliesTo: RELEASE,
  check: (release) => {
    const { chart, repository, version } = release.config;
    if (!isSet(repository) && isLocalChart(chart)) return [];
    const problems: string[] = [];
    // A chart URL (`oci://registry/chart`) stands in for repository + chart name.
    const source = isSet(repository) ? repository : typeof chart === 'string' && SECURE_REPOSITORY.test(chart) ? chart : undefined;
    if (source === undefined) {
      problems.push(`repository is not set and chart ${show(chart)} is not a local chart (./…), so the chart source is not pinned`);
    } else if (typeof source !== 'string' || !SECURE_REPOSITORY.test(source)) {
      problems.push(`repository ${show(source)} is not an https:// or oci:// URL`);
    }
    if (!isSet(version)) problems.push('version is not set, so the latest chart release is installed');
    else if (typeof version !== 'string' || !EXACT_CHART_VERSION.test(version.trim())) {
      problems.push(`version ${show(version)} is not an exact chart version (expected e.g. "1.2.3"; no ranges)`);
    }
    return problems;
  },
};

export const helmAtomic: PolicyRule = {
  id: 'GAI-HELM-002',
  severity: 'warning',
  title: 'Helm releases are atomic: a failed install or upgrade rolls back',
  rationale:
    'A non-atomic release that fails half-way stays in a failed state with some objects upgraded and others not; the next apply then fights a broken release. With atomic, Helm waits for the release and rolls it back when it does not become ready.',
  fix: 'Set atomic = true (with cleanup_on_fail = true) on the helm_release; gaiops PinnedChartRelease and the generated-chart releases do.',
  appliesTo: RELEASE,
  check: (release) => (isTrue(release.config.atomic) ? [] : [`atomic is ${show(release.config.atomic)}, not true, so a failed install or upgrade is not rolled back`]),
};

/** The Helm rules of the policy pack. */
export const HELM_RULES: readonly PolicyRule[] = [helmPinnedChart, helmAtomic];
