import { Release } from '@cdktf/provider-helm/lib/release';
import { Construct } from 'constructs';
import { packLocalChart, stageChart } from './local-chart';
import { stringify } from 'yaml';
import { parseProps } from '../core/props';
import { GaiConfigError, type ConfigProblem } from '../core/errors';
import { formatFieldPath } from '../core/field-path';
import { AssetType, TerraformAsset, Token } from '../core/tf';
import type { LineageRecord, ModelVersion, RegistryClient } from '../model-registry/client/registry-client';
import { toHelmTemplate, type KubernetesObject } from './node-pools';
import {
  HyperparameterSweepPropsSchema,
  SweepSpecSchema,
  SWEEP_PARAM,
  TRIAL_PARAM,
  type HyperparameterSweepProps,
  type SweepConfig,
  type SweepObjective,
  type SweepSpec,
} from './sweep-schema';
import {
  expandTrials as expandSweepTrials,
  renderTrialObject,
  SWEEP_LABEL,
  SWEEP_SCOPE,
  sweepPriorityClassName,
  sweepProblem,
  type ParamValue,
  type SweepObject,
  type SweepSpecParser,
  type Trial,
} from './training-manifests';

export { SWEEP_PARAM, TRIAL_PARAM } from './sweep-schema';
export type { HyperparameterSweepProps, SweepSpec, SweepObjective } from './sweep-schema';
export {
  gridValues,
  renderTrialObject,
  SWEEP_LABEL,
  sweepPriorityClassName,
  TRAINER_WORKDIR,
  TRAINJOB_PATCH_MANAGER,
  TRIAL_LABEL,
} from './training-manifests';
export type { ParamValue, SweepObject, SweepSpecParser, Trial, TrialObjectOptions } from './training-manifests';

/**
 * Parses a sweep spec as every construct prop is parsed ({@link parseProps}): values that are cdktf
 * tokens (known only at apply time, e.g. a registry URL from another stack) pass unchecked.
 */
export const parseSweepSpecProps: SweepSpecParser = (spec, scope) => parseProps(scope, SweepSpecSchema, spec);

/**
 * The trials of a sweep, deterministically (grid or seeded random; see the README), the spec parsed
 * as construct props are ({@link parseSweepSpecProps}: cdktf tokens pass). The training-job API
 * runtime uses the construct-free form in ./training-manifests.
 */
export function expandTrials(spec: SweepSpec | SweepConfig, scope: string = SWEEP_SCOPE): Trial[] {
  return expandSweepTrials(spec, scope, parseSweepSpecProps);
}

function checkParallelism(c: SweepConfig, trials: readonly Trial[], scope: string): void {
  if (c.job.kind !== 'Job' && c.parallelism < trials.length) {
    throw sweepProblem(
      scope,
      'parallelism',
      `${c.job.kind} trials cannot be throttled without gang scheduling (a GPU quota admitting only some pods of several trials deadlocks them); set parallelism ≥ the ${trials.length} trials and bound concurrency with the team's GPU quota and the NodePool gpuLimit, or use kind Job`,
    );
  }
}

/**
 * One Kubernetes object per trial ({@link renderTrialObject}): Jobs, TrainJobs or PyTorchJobs as
 * `job.kind` says; Job trial pods carry the sweep's PriorityClass (its GPU quota enforces
 * `parallelism`).
 */
export function renderTrialJobs(spec: SweepSpec | SweepConfig, scope: string = SWEEP_SCOPE): SweepObject[] {
  const c = parseSweepSpecProps(spec, scope);
  const trials = expandTrials(c, scope);
  checkParallelism(c, trials, scope);
  const priorityClassName = sweepPriorityClassName(c.namespace, c.sweepId);
  return trials.map((trial) => renderTrialObject(c, trial, { priorityClassName }));
}

/**
 * Everything the sweep's chart installs: for Job trials a PriorityClass (value 0, never preempts)
 * and a ResourceQuota scoped to it capping `requests.nvidia.com/gpu` at parallelism × GPUs per
 * replica — Kubernetes then creates at most `parallelism` trial pods at once and the Job
 * controller creates the next when one finishes — followed by the trial objects.
 */
export function renderSweepObjects(spec: SweepSpec | SweepConfig, scope: string = SWEEP_SCOPE): SweepObject[] {
  const c = parseSweepSpecProps(spec, scope);
  const trials = renderTrialJobs(c, scope);
  if (c.job.kind !== 'Job') return trials;
  const priorityClass = sweepPriorityClassName(c.namespace, c.sweepId);
  const labels = { 'app.kubernetes.io/managed-by': 'gaiops', [SWEEP_LABEL]: c.sweepId };
  return [
    {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: priorityClass, labels },
      value: 0,
      globalDefault: false,
      preemptionPolicy: 'Never',
      description: `Marks the pods of gaiops sweep ${c.namespace}/${c.sweepId} so their GPU quota applies to them only.`,
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: `${c.sweepId}-parallelism`, namespace: c.namespace, labels },
      spec: {
        hard: { 'requests.nvidia.com/gpu': String(c.parallelism * c.gpusPerReplica) },
        scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [priorityClass] }] },
      },
    },
    ...trials,
  ];
}

/** A rendered local chart: files by chart-relative path, the content hash, the version. */
export interface LocalChart {
  readonly files: Readonly<Record<string, string>>;
  readonly hash: string;
  readonly version: string;
}

/**
 * A chart templating `objects` (no values): one template per object, a Chart.yaml carrying the
 * sha256 of the other files (as GpuNodePools' chart does) and version `0.0.0-sha256-<16 hex>`.
 */
export function renderLocalChart(name: string, description: string, objects: readonly SweepObject[]): LocalChart {
  const content: Record<string, string> = { 'values.yaml': stringify({}) };
  objects.forEach((o, i) => {
    content[`templates/${String(i).padStart(4, '0')}-${o.kind.toLowerCase()}-${o.metadata.name}.yaml`] = toHelmTemplate(o as unknown as KubernetesObject);
  });
  return packLocalChart(name, description, content);
}


/**
 * A hyperparameter sweep: the trials of {@link expandTrials} as Jobs, TrainJobs or PyTorchJobs (plus, for
 * Jobs, the per-sweep GPU quota that enforces `parallelism`), shipped as a content-hashed local
 * Helm chart installed by one `helm_release` in the team namespace. The release does not wait for
 * the trials to finish; read the result with {@link pickBestTrial}.
 */
export class HyperparameterSweep extends Construct {
  readonly release: Release;
  readonly chartAsset: TerraformAsset;
  readonly chart: LocalChart;
  readonly trials: readonly Trial[];
  readonly objects: readonly SweepObject[];

  constructor(scope: Construct, id: string, props: HyperparameterSweepProps) {
    super(scope, id);
    const p = parseProps(this, HyperparameterSweepPropsSchema, props);
    const { releaseName, helmProvider, maxHistory, timeoutSeconds, ...spec } = p;
    const path = this.node.path;
    this.trials = expandTrials(spec, path);
    this.objects = renderSweepObjects(spec, path);
    this.chart = renderLocalChart('gaiops-sweep', `Trials of gaiops hyperparameter sweep ${spec.sweepId}`, this.objects);
    refuseTokensInChart(path, spec, this.chart.files);
    this.chartAsset = new TerraformAsset(this, 'Chart', { path: stageChart(this.chart), type: AssetType.DIRECTORY, assetHash: this.chart.hash });
    this.release = new Release(this, 'Release', {
      name: releaseName ?? `sweep-${spec.sweepId}`,
      chart: `./${this.chartAsset.path}`,
      namespace: spec.namespace,
      createNamespace: false,
      atomic: true,
      wait: true,
      waitForJobs: false,
      cleanupOnFail: true,
      maxHistory,
      timeout: timeoutSeconds,
      provider: helmProvider,
    });
  }
}

/** One registered version of a sweep trial. */
export interface TrialResult {
  readonly version: string;
  readonly trialId: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The objective metric; undefined when the version's lineage lacks it. */
  readonly value?: number;
  readonly modelVersion: ModelVersion;
  readonly lineage: LineageRecord;
}

export interface PickBestResult {
  /** The best version, or undefined when no trial version reports the metric. */
  readonly best?: TrialResult;
  /** Versions tying with the best value (the best included), lowest version number first. */
  readonly tied: readonly TrialResult[];
  /** Every version of the sweep that reports the metric, best first. */
  readonly ranked: readonly TrialResult[];
  /** Versions of the sweep whose lineage has no (finite) value for the metric. */
  readonly missingMetric: readonly TrialResult[];
}

export interface PickBestTrialInput {
  readonly client: RegistryClient;
  readonly modelName: string;
  readonly sweepId: string;
  readonly objective: SweepObjective;
  /** Lineage reads in flight at once. Default 8. */
  readonly concurrency?: number;
}

const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The best registered version of a sweep. Trial versions are recognised by the `gaiops_sweep`
 * hyperparameter the sweep puts in every trial's TRAINER_PARAMS and the trainer records in the
 * lineage (`hyperparameters`). Ranking uses the lineage's `evaluation_metrics[objective.metric]`;
 * versions without it are listed in `missingMetric`, never picked. Ties go to the lowest version
 * number (the first registered); all tying versions are returned in `tied`.
 */
export async function pickBestTrial(input: PickBestTrialInput): Promise<PickBestResult> {
  const { client, modelName, sweepId, objective } = input;
  const versions: ModelVersion[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.searchModelVersions({ filter: `name = ${quote(modelName)}`, orderBy: ['version_number ASC'], maxResults: 200, ...(pageToken ? { pageToken } : {}) });
    versions.push(...page.modelVersions.filter((v) => v.name === modelName));
    pageToken = page.nextPageToken;
  } while (pageToken);

  const results: TrialResult[] = [];
  const concurrency = Math.max(1, input.concurrency ?? 8);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < versions.length) {
      const mv = versions[next++];
      const lineage = await client.getLineage(modelName, mv.version);
      const hp = lineage.hyperparameters ?? {};
      if (hp[SWEEP_PARAM] !== sweepId) continue;
      const metric = lineage.evaluation_metrics?.[objective.metric];
      const params = Object.fromEntries(Object.entries(hp).filter(([k]) => k !== SWEEP_PARAM && k !== TRIAL_PARAM));
      results.push({
        version: mv.version,
        trialId: typeof hp[TRIAL_PARAM] === 'string' ? (hp[TRIAL_PARAM] as string) : '',
        params,
        ...(typeof metric === 'number' && Number.isFinite(metric) ? { value: metric } : {}),
        modelVersion: mv,
        lineage,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, versions.length) }, worker));

  const byVersion = (a: TrialResult, b: TrialResult): number => Number(a.version) - Number(b.version);
  results.sort(byVersion);
  const scored = results.filter((r) => r.value !== undefined);
  const missingMetric = results.filter((r) => r.value === undefined);
  const sign = objective.goal === 'maximize' ? -1 : 1;
  const ranked = [...scored].sort((a, b) => sign * ((a.value as number) - (b.value as number)) || byVersion(a, b));
  const best = ranked[0];
  const tied = best ? ranked.filter((r) => r.value === best.value) : [];
  return { ...(best ? { best } : {}), tied, ranked, missingMetric };
}

/**
 * The trials are written into a chart at synth, where Terraform references (cdktf tokens) cannot be
 * resolved: a spec value that is a reference and lands in the chart would be shipped as its
 * placeholder text. Refuse it, naming the field (pass the literal value, e.g. from the producing
 * stack's outputs).
 */
function refuseTokensInChart(path: string, spec: object, files: Readonly<Record<string, string>>): void {
  const text = Object.values(files).join('\n');
  const problems: ConfigProblem[] = [];
  const walk = (value: unknown, at: (string | number)[]): void => {
    if (typeof value === 'string') {
      if (Token.isUnresolved(value) && text.includes(value)) {
        problems.push({ constructPath: path, fieldPath: formatFieldPath(at), message: 'must be a literal value: it is written into the generated chart at synth, where a Terraform reference cannot be resolved' });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...at, i]));
    } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
    }
  };
  walk(spec, []);
  if (problems.length > 0) throw new GaiConfigError(problems);
}
