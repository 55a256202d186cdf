/**
 * Helm charts from upstream repositories, pinned to an exact version, with the value keys gaiops
 * sets checked against the keys verified in that chart version's `values.yaml`.
 *
 * Helm silently ignores a value key the chart does not read, so a misspelt `tolerations` or a key
 * renamed between chart versions would quietly drop a security or scheduling setting. Every chart
 * gaiops installs is described by a {@link PinnedChart}: repository, chart, exact version, and the
 * list of value paths that were read in the upstream `values.yaml` of that version (the `source`
 * says where). {@link PinnedHelmRelease} refuses, at synth, any value path not on that list — so a
 * typo fails the build, and bumping `version` means re-verifying the list
 * (`scripts/verify-chart-keys.ts` does it against a downloaded chart).
 */
import { Release, type ReleaseConfig } from '@cdktf/provider-helm/lib/release';
import type { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Construct } from 'constructs';
import { GaiError } from '../errors';
import { isToken } from '../props';
import { helmValues } from './values';

/** An upstream chart at one exact version, with the value paths verified in its values.yaml. */
export interface PinnedChart {
  /** Helm repository URL (`https://…`) or OCI registry (`oci://…`, then `chart` is the last path segment). */
  readonly repository: string;
  readonly chart: string;
  /** Exact chart version (no ranges). */
  readonly version: string;
  /** The application version the chart ships, for docs. */
  readonly appVersion: string;
  /** Where the keys were verified: the upstream file at the tag of `version`. */
  readonly source: string;
  /**
   * Dotted value paths that exist in the chart's values.yaml (or are documented as read by its
   * templates). A listed path is a leaf for the check: whatever is set below it (a toleration list,
   * a free-form label map) is the chart's business. Unlisted parents of listed paths are walked.
   */
  readonly valueKeys: readonly string[];
}

const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** Value paths in `values` that are neither listed in `chart.valueKeys` nor parents of listed ones. */
export function unknownValueKeys(chart: Pick<PinnedChart, 'valueKeys'>, values: Record<string, unknown>): string[] {
  const listed = new Set(chart.valueKeys);
  const parents = new Set<string>();
  for (const key of chart.valueKeys) {
    const parts = key.split('.');
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('.'));
  }
  const unknown: string[] = [];
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (listed.has(path)) continue;
      if (parents.has(path) && isPlainObject(value)) walk(value, path);
      else unknown.push(path);
    }
  };
  walk(values, '');
  return unknown.sort();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isToken(value);
}

export interface PinnedHelmReleaseProps {
  readonly chart: PinnedChart;
  /** Release name. */
  readonly name: string;
  readonly namespace: string;
  readonly createNamespace?: boolean;
  /** Values (may contain Terraform tokens); every path must be verified for the chart. */
  readonly values: Record<string, unknown>;
  readonly provider?: HelmProvider;
  /** Seconds Helm waits for resources to be ready. Default 600. */
  readonly timeoutSeconds?: number;
  /** Skip the chart's `crds/` directory (when a separate CRD chart manages them). Default false. */
  readonly skipCrds?: boolean;
  readonly dependsOn?: ReleaseConfig['dependsOn'];
}

/**
 * A `helm_release` of a {@link PinnedChart}: exact version and repository, atomic with cleanup on
 * failure, waiting for readiness, bounded history, values as one JSON document.
 */
export class PinnedHelmRelease extends Construct {
  readonly release: Release;
  readonly chart: PinnedChart;
  /** The values passed to the chart (tokens unresolved), for tests and docs. */
  readonly values: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: PinnedHelmReleaseProps) {
    super(scope, id);
    const { chart } = props;
    if (!EXACT_VERSION.test(chart.version)) {
      throw new GaiError('gaiops:helm:version-not-exact', `${this.node.path}: chart ${chart.chart} version "${chart.version}" is not an exact version`);
    }
    if (!/^(https|oci):\/\//.test(chart.repository)) {
      throw new GaiError('gaiops:helm:repository', `${this.node.path}: chart ${chart.chart} repository "${chart.repository}" must be https:// or oci://`);
    }
    const unknown = unknownValueKeys(chart, props.values);
    if (unknown.length > 0) {
      throw new GaiError(
        'gaiops:helm:unknown-value-keys',
        `${this.node.path}: value keys not verified for ${chart.chart} ${chart.version} (Helm would ignore them silently): ${unknown.join(', ')}`,
      );
    }
    this.chart = chart;
    this.values = props.values;
    this.release = new Release(this, 'Release', {
      name: props.name,
      repository: chart.repository,
      chart: chart.chart,
      version: chart.version,
      namespace: props.namespace,
      createNamespace: props.createNamespace ?? false,
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      maxHistory: 5,
      timeout: props.timeoutSeconds ?? 600,
      skipCrds: props.skipCrds ?? false,
      values: [helmValues(props.values)],
      ...(props.provider ? { provider: props.provider } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
  }
}
