/**
 * The pure renderers behind HyperparameterSweep and the training-job API: trial expansion and the
 * Kubernetes objects of one trial (batch/v1 Job, Kubeflow Trainer v2 TrainJob, kubeflow.org/v1
 * PyTorchJob) with the trainer's TRAINER_* environment. No constructs here, and nothing that
 * imports cdktf (a check in test/core/runtime-bundles.test.ts keeps it so): the training-job API
 * Lambda renders the same objects at request time that a sweep's chart ships at synth.
 */
import { GaiConfigError } from '../core/errors';
import { formatFieldPath } from '../core/field-path';
import { podSecurityManifest } from '../core/k8s/pod-security';
import { GPU_TAINT, NODE_POOL_LABEL } from './labels';
import { imageDigestOf, SWEEP_PARAM, SweepSpecSchema, TRIAL_PARAM, type ParamSpace, type SweepConfig, type SweepSpec } from './sweep-spec-schema';

/** Labels on every trial object and pod. */
export const SWEEP_LABEL = 'gaiops.io/sweep';
export const TRIAL_LABEL = 'gaiops.io/trial';

/** Where the trainer works (its `TRAINER_WORKDIR` default) — an emptyDir, the root filesystem is read-only. */
export const TRAINER_WORKDIR = '/tmp/trainer';

/** Exit codes of the trainer that retrying cannot fix (configuration, dataset verification, metrics). */
const NON_RETRYABLE_EXIT_CODES = [2, 3, 5];

export type ParamValue = string | number | boolean;

/** One trial: its position, object name and hyperparameters (the swept ones and `fixedParams`). */
export interface Trial {
  readonly index: number;
  /** `<sweepId>-t<NNN>`: the trial object name, `gaiops.io/trial` label and `gaiops_trial` hyperparameter. */
  readonly id: string;
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** Construct path used in errors when none is given. */
export const SWEEP_SCOPE = 'HyperparameterSweep';

/** A sweep spec parser: the spec (or an already parsed config) to its config, defaults applied; problems throw one GaiConfigError naming `scope`. */
export type SweepSpecParser = (spec: SweepSpec | SweepConfig, scope: string) => SweepConfig;

/**
 * Parses (or re-parses) a sweep spec with zod alone; problems throw one GaiConfigError naming
 * `scope`, as `parseProps` does. Literal values only: HyperparameterSweep parses with `parseProps`,
 * which lets cdktf tokens (values known at apply time) through.
 */
export const parseSweepSpec: SweepSpecParser = (spec, scope) => {
  const parsed = SweepSpecSchema.safeParse(spec);
  if (parsed.success) return parsed.data;
  throw new GaiConfigError(parsed.error.issues.map((issue) => ({ constructPath: scope, fieldPath: formatFieldPath(issue.path), message: issue.message })));
};

/** A GaiConfigError with one problem. */
export function sweepProblem(scope: string, fieldPath: string, message: string): GaiConfigError {
  return new GaiConfigError([{ constructPath: scope, fieldPath, message }]);
}

/** Rounds away binary noise (0.30000000000000004) while keeping 12 significant digits. */
const tidy = (x: number): number => Number(x.toPrecision(12));
const clamp = (x: number, min: number, max: number): number => Math.min(max, Math.max(min, x));

/** The values of a space in a grid sweep, in order. */
export function gridValues(space: ParamSpace): ParamValue[] {
  switch (space.type) {
    case 'int': {
      const out: number[] = [];
      for (let v = space.min; v <= space.max; v += space.step) out.push(v);
      return out;
    }
    case 'float': {
      if (space.min === space.max) return [space.min];
      const n = space.gridPoints;
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = i / (n - 1);
        const v = space.scale === 'log' ? Math.exp(Math.log(space.min) + (Math.log(space.max) - Math.log(space.min)) * t) : space.min + (space.max - space.min) * t;
        out.push(i === 0 ? space.min : i === n - 1 ? space.max : clamp(tidy(v), space.min, space.max));
      }
      return out;
    }
    case 'categorical':
      return [...space.values];
  }
}

/** mulberry32: a small, well-distributed 32-bit PRNG; the same seed gives the same sequence on every platform. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(space: ParamSpace, u: number): ParamValue {
  switch (space.type) {
    case 'int': {
      const count = intCount(space);
      return space.min + Math.min(count - 1, Math.floor(u * count)) * space.step;
    }
    case 'float':
      if (space.scale === 'log') return clamp(tidy(Math.exp(Math.log(space.min) + (Math.log(space.max) - Math.log(space.min)) * u)), space.min, space.max);
      return clamp(tidy(space.min + (space.max - space.min) * u), space.min, space.max);
    case 'categorical':
      return space.values[Math.min(space.values.length - 1, Math.floor(u * space.values.length))];
  }
}

/** Number of values of an int space, computed (a space may hold billions; it is never enumerated to count it). */
const intCount = (space: { min: number; max: number; step: number }): number => Math.floor((space.max - space.min) / space.step) + 1;

/** Number of distinct values of a space; Infinity for a non-degenerate float range. */
function spaceSize(space: ParamSpace): number {
  if (space.type === 'float') return space.min === space.max ? 1 : Infinity;
  return space.type === 'int' ? intCount(space) : space.values.length;
}

/** Number of values of a space in a grid. */
function gridSize(space: ParamSpace): number {
  if (space.type === 'float') return space.min === space.max ? 1 : space.gridPoints;
  return spaceSize(space);
}

/** `<sweepId>-t<NNN>`. */
export const trialId = (sweepId: string, index: number): string => `${sweepId}-t${String(index).padStart(3, '0')}`;

/**
 * The trials of a sweep, deterministically.
 *
 * - `grid`: the cartesian product of every space's grid values, parameters in declaration order,
 *   the last one varying fastest. A product larger than `maxTrials` is a GaiConfigError (no silent
 *   truncation: which corner of the grid to drop is never obvious).
 * - `random`: `maxTrials` distinct trials sampled with a seeded PRNG (mulberry32 of `seed`), each
 *   parameter drawn in declaration order: int uniform over min, min+step, …; float uniform in
 *   [min, max] or, with `log`, uniform in log space; categorical uniform. A finite space with fewer
 *   than `maxTrials` combinations is a GaiConfigError (use `grid`).
 *
 * `parse` parses the spec first: {@link parseSweepSpec} by default (literal values).
 */
export function expandTrials(spec: SweepSpec | SweepConfig, scope: string = SWEEP_SCOPE, parse: SweepSpecParser = parseSweepSpec): Trial[] {
  const c = parse(spec, scope);
  const names = Object.keys(c.parameters);
  const spaces = names.map((n) => c.parameters[n]);
  const make = (index: number, values: readonly ParamValue[]): Trial => {
    const params: Record<string, ParamValue> = { ...c.fixedParams };
    names.forEach((n, i) => (params[n] = values[i]));
    return { index, id: trialId(c.sweepId, index), params };
  };

  if (c.strategy === 'grid') {
    const sizes = spaces.map(gridSize);
    const total = sizes.reduce((n, k) => n * k, 1);
    if (total > c.maxTrials) {
      throw sweepProblem(scope, 'maxTrials', `the grid has ${total} combinations (${names.map((n, i) => `${n}: ${sizes[i]}`).join(' × ')}), more than maxTrials ${c.maxTrials}; raise maxTrials, shrink the spaces or use the random strategy`);
    }
    const grids = spaces.map(gridValues);
    const trials: Trial[] = [];
    for (let index = 0; index < total; index++) {
      const values: ParamValue[] = new Array<ParamValue>(grids.length);
      let rest = index;
      for (let i = grids.length - 1; i >= 0; i--) {
        values[i] = grids[i][rest % grids[i].length];
        rest = Math.floor(rest / grids[i].length);
      }
      trials.push(make(index, values));
    }
    return trials;
  }

  const size = spaces.reduce((n, s) => n * spaceSize(s), 1);
  if (size < c.maxTrials) {
    throw sweepProblem(scope, 'maxTrials', `the space has only ${size} distinct combinations, fewer than maxTrials ${c.maxTrials}; use the grid strategy or lower maxTrials`);
  }
  const random = prng(c.seed);
  const seen = new Set<string>();
  const trials: Trial[] = [];
  const maxDraws = c.maxTrials * 1000;
  for (let draws = 0; trials.length < c.maxTrials; draws++) {
    if (draws >= maxDraws) throw sweepProblem(scope, 'maxTrials', `could not draw ${c.maxTrials} distinct trials from the space; use the grid strategy or lower maxTrials`);
    const values = spaces.map((s) => sample(s, random()));
    const key = JSON.stringify(values);
    if (seen.has(key)) continue;
    seen.add(key);
    trials.push(make(trials.length, values));
  }
  return trials;
}

/** A Kubernetes object as rendered (any shape; `spec` absent for e.g. PriorityClass). */
export interface SweepObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

/** Name of the per-sweep PriorityClass that scopes the sweep's GPU ResourceQuota (Job trials). */
export const sweepPriorityClassName = (namespace: string, sweepId: string): string => `gaiops-sweep-${namespace}-${sweepId}`;

/** Trial pods' UID/GID: the trainer image's unprivileged `node` user. */
const TRAINER_UID = 1000;
const CONTAINER_SECURITY_CONTEXT = { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };

/** The TRAINER_* environment of a trial: the trial's TRAINER_PARAMS plus `gaiops_sweep`/`gaiops_trial`. */
function trialEnv(c: SweepConfig, trial: Trial): { name: string; value: string }[] {
  const params: Record<string, ParamValue> = { ...trial.params, [SWEEP_PARAM]: c.sweepId, [TRIAL_PARAM]: trial.id };
  return [
    { name: 'TRAINER_DATASET_BUCKET', value: c.dataset.bucket },
    { name: 'TRAINER_DATASET_GROUP', value: c.dataset.group },
    { name: 'TRAINER_DATASET_VERSION', value: c.dataset.version },
    ...(c.dataset.versionsTable !== undefined ? [{ name: 'TRAINER_VERSIONS_TABLE', value: c.dataset.versionsTable }] : []),
    { name: 'TRAINER_REGISTRY_URL', value: c.registry.url },
    { name: 'TRAINER_REGISTRY_REGION', value: c.registry.region },
    { name: 'TRAINER_MODEL_NAME', value: c.modelName },
    { name: 'TRAINER_ARTIFACT_BUCKET', value: c.registry.artifactBucket },
    { name: 'TRAINER_GIT_COMMIT', value: c.gitCommit },
    { name: 'TRAINER_IMAGE_DIGEST', value: (c.imageDigest ?? imageDigestOf(c.image)) as string },
    { name: 'TRAINER_PARAMS', value: JSON.stringify(params) },
    { name: 'TRAINER_WORKDIR', value: TRAINER_WORKDIR },
  ];
}

/** Per pod: GPUs, CPU and memory, requests = limits. */
function trialResources(c: SweepConfig): { requests: Record<string, string>; limits: Record<string, string> } {
  const limits = { cpu: c.cpu, memory: c.memory, 'nvidia.com/gpu': String(c.gpusPerReplica) };
  return { requests: { ...limits }, limits };
}

/** The trainer's writable paths (the root filesystem is read-only): /tmp, the workdir and /dev/shm. */
function trialVolumes(c: SweepConfig): { volumes: Record<string, unknown>[]; volumeMounts: { name: string; mountPath: string }[] } {
  return {
    volumes: [
      { name: 'tmp', emptyDir: { sizeLimit: c.tmpSizeLimit } },
      { name: 'workdir', emptyDir: { sizeLimit: c.workdirSizeLimit } },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: c.shmSizeLimit } },
    ],
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'workdir', mountPath: TRAINER_WORKDIR },
      { name: 'shm', mountPath: '/dev/shm' },
    ],
  };
}

/** Pod settings every trial pod gets whatever its kind: the service account, the GPU pool's nodeSelector and toleration, the pod security context. */
function trialPodSettings(c: SweepConfig): Record<string, unknown> {
  return {
    serviceAccountName: c.serviceAccountName,
    nodeSelector: { [NODE_POOL_LABEL]: c.nodePool },
    tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }],
    securityContext: podSecurityManifest(TRAINER_UID),
  };
}

function podTemplate(
  c: SweepConfig,
  trial: Trial,
  role: 'trainer' | 'pytorch',
  labels: Record<string, string>,
  restartPolicy: 'Never' | 'OnFailure',
  priorityClassName?: string,
): Record<string, unknown> {
  const { serviceAccountName, ...placement } = trialPodSettings(c);
  const { volumes, volumeMounts } = trialVolumes(c);
  return {
    metadata: { labels },
    spec: {
      // Job pods are replaced by the Job controller (podFailurePolicy needs Never); PyTorchJob replicas restart in place.
      restartPolicy,
      serviceAccountName,
      automountServiceAccountToken: c.automountServiceAccountToken,
      ...(priorityClassName !== undefined ? { priorityClassName } : {}),
      ...placement,
      containers: [
        {
          name: role,
          image: c.image,
          imagePullPolicy: 'IfNotPresent',
          args: ['--', ...c.command],
          env: trialEnv(c, trial),
          resources: trialResources(c),
          securityContext: { ...CONTAINER_SECURITY_CONTEXT },
          volumeMounts,
        },
      ],
      volumes,
    },
  };
}

/** The `runtimePatches` manager of the sweep's TrainJob pod settings. */
export const TRAINJOB_PATCH_MANAGER = 'gaiops.io/hyperparameter-sweep';
/** The replicatedJob and container of the trainer in Kubeflow Trainer's torch runtimes (`torch-distributed`). */
const TRAINJOB_NODE = 'node';

/**
 * A Kubeflow Trainer v2 TrainJob (`trainer.kubeflow.org/v1alpha1`, verified against kubeflow/trainer
 * v2.3.0). `spec.trainer` carries the image, the args (the image entrypoint runs the trainer, as in
 * the Job form), the TRAINER_* env (the torch plugin merges it into container `node` and adds
 * torchrun's PET_* variables, PET_NODE_RANK from the Job completion index: only rank 0 registers),
 * the nodes, the processes per node and the resources per node. The pod settings TrainJob has no
 * field for go in one `runtimePatches` entry, strategically merged into the runtime's JobSet
 * template: containers, volumes and mounts merge by name, so container `node` gains the security
 * context and mounts. Not expressible there: `automountServiceAccountToken` (the service account's
 * setting applies), `backoffLimit` and `ttlSecondsAfterFinished` (the schema refuses values other than the defaults).
 */
function trainJob(c: SweepConfig, job: Extract<SweepConfig['job'], { kind: 'TrainJob' }>, trial: Trial, metadata: SweepObject['metadata'], labels: Record<string, string>): SweepObject {
  const { volumes, volumeMounts } = trialVolumes(c);
  return {
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    kind: 'TrainJob',
    metadata,
    spec: {
      runtimeRef: { name: job.runtime, apiGroup: 'trainer.kubeflow.org', kind: 'ClusterTrainingRuntime' },
      activeDeadlineSeconds: c.activeDeadlineSeconds,
      trainer: {
        image: c.image,
        args: ['--', ...c.command],
        env: trialEnv(c, trial),
        numNodes: job.numNodes,
        numProcPerNode: job.numProcPerNode ?? c.gpusPerReplica,
        resourcesPerNode: trialResources(c),
      },
      runtimePatches: [
        {
          manager: TRAINJOB_PATCH_MANAGER,
          trainingRuntimeSpec: {
            template: {
              spec: {
                replicatedJobs: [
                  {
                    name: TRAINJOB_NODE,
                    template: {
                      spec: {
                        template: {
                          metadata: { labels },
                          spec: {
                            ...trialPodSettings(c),
                            containers: [{ name: TRAINJOB_NODE, securityContext: { ...CONTAINER_SECURITY_CONTEXT }, volumeMounts }],
                            volumes,
                          },
                        },
                      },
                    },
                  },
                ],
              },
            },
          },
        },
      ],
    },
  };
}

/** Options of {@link renderTrialObject}. */
export interface TrialObjectOptions {
  /** `priorityClassName` of Job trial pods (the sweep's GPU-quota PriorityClass). Default none. */
  readonly priorityClassName?: string;
  /** Labels added after the trial labels, on the object and its pods. Default none. */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

/**
 * The Kubernetes object of one trial: a batch/v1 Job (one pod, `podFailurePolicy` failing at once
 * on the trainer's non-retryable exit codes), a Kubeflow Trainer v2 TrainJob (`numNodes` pods of
 * the `torch-distributed` runtime, see {@link trainJob}) or a kubeflow.org/v1 PyTorchJob (a master
 * and `workers` workers), as `c.job` says. Every pod: labels `gaiops.io/sweep`/`gaiops.io/trial`,
 * the TRAINER_* environment with the trial's TRAINER_PARAMS (plus `gaiops_sweep`/`gaiops_trial`),
 * `nvidia.com/gpu` requests = limits, non-root with a read-only root filesystem (emptyDirs at
 * /tmp, /tmp/trainer and /dev/shm), the GPU toleration and the pool's nodeSelector; Job and
 * PyTorchJob pods mount no service-account token unless asked for. `c` must be parsed
 * ({@link parseSweepSpec}).
 */
export function renderTrialObject(c: SweepConfig, trial: Trial, options: TrialObjectOptions = {}): SweepObject {
  const job = c.job;
  const labels = { 'app.kubernetes.io/managed-by': 'gaiops', [SWEEP_LABEL]: c.sweepId, [TRIAL_LABEL]: trial.id, ...options.extraLabels };
  const metadata = { name: trial.id, namespace: c.namespace, labels };
  if (job.kind === 'TrainJob') return trainJob(c, job, trial, metadata, labels);
  if (job.kind === 'Job') {
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata,
      spec: {
        completions: 1,
        parallelism: 1,
        backoffLimit: c.backoffLimit,
        activeDeadlineSeconds: c.activeDeadlineSeconds,
        ttlSecondsAfterFinished: c.ttlSecondsAfterFinished,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'trainer', operator: 'In', values: NON_RETRYABLE_EXIT_CODES } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          ],
        },
        template: podTemplate(c, trial, 'trainer', labels, 'Never', options.priorityClassName),
      },
    };
  }
  // The training operator requires the container to be named `pytorch`.
  const replica = (replicas: number) => ({ replicas, restartPolicy: 'OnFailure', template: podTemplate(c, trial, 'pytorch', labels, 'OnFailure') });
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata,
    spec: {
      runPolicy: {
        backoffLimit: c.backoffLimit,
        activeDeadlineSeconds: c.activeDeadlineSeconds,
        ttlSecondsAfterFinished: c.ttlSecondsAfterFinished,
        cleanPodPolicy: 'None',
      },
      nprocPerNode: String(job.nprocPerNode ?? c.gpusPerReplica),
      pytorchReplicaSpecs: {
        Master: replica(1),
        ...(job.workers > 0 ? { Worker: replica(job.workers) } : {}),
      },
    },
  };
}
