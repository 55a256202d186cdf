/**
 * The typed training request (`POST /training-jobs`) and its translation into the trial objects
 * HyperparameterSweep renders. The field schemas are SweepSpecSchema's own (image pinning, command,
 * commit, quantities, workload kinds, search spaces), so the API accepts exactly what a sweep
 * accepts; the cluster-side settings (namespace, service account, node pool, registry, dataset
 * bucket) come from the API configuration, never from the caller.
 */
import { z } from 'zod';
import { formatIssuePath, HttpError, type ValidationIssue } from '../../../core/runtime/http-app';
import { ParamSpaceSchema, SweepSpecSchema, type SweepConfig, type SweepSpec } from '../../sweep-spec-schema';
import { expandTrials, renderTrialObject, trialId, type SweepObject, type Trial } from '../../training-manifests';
import type { TrainingApiConfig, TrainingApiTeam } from './config';

const spec = SweepSpecSchema.shape;
const dataset = SweepSpecSchema.shape.dataset.shape;

/** A search over hyperparameters: one trial per combination (grid) or `maxTrials` samples (random). */
export const TrainingSweepSchema = z.strictObject({
  parameters: spec.parameters,
  strategy: spec.strategy,
  seed: spec.seed,
  maxTrials: spec.maxTrials,
  objective: spec.objective,
});

/** The body of `POST /training-jobs`. */
export const TrainingRequestSchema = z.strictObject({
  team: z.string().min(1).max(63).describe('Team whose namespace, quota and allowed images apply.'),
  image: spec.image.describe('Training image (built FROM the gaiops trainer image), pinned to a tag or digest, under one of the team\'s allowed prefixes.'),
  imageDigest: spec.imageDigest,
  command: spec.command,
  gitCommit: spec.gitCommit,
  modelName: spec.modelName,
  params: spec.fixedParams.describe('Hyperparameters every trial gets (TRAINER_PARAMS). Default none.'),
  gpus: spec.gpusPerReplica.describe('GPUs per pod (requests = limits). Default 1.'),
  cpu: spec.cpu,
  memory: spec.memory,
  dataset: z.strictObject({ group: dataset.group, version: dataset.version }).describe('Dataset version to train on (feature group and version id, tag:<name> or current).'),
  workload: spec.job.describe('`{ kind: "Job" }` (default), `{ kind: "TrainJob", numNodes, numProcPerNode?, runtime? }` or `{ kind: "PyTorchJob", workers, nprocPerNode? }`.'),
  sweep: TrainingSweepSchema.optional().describe('Hyperparameter sweep; without it one job runs with `params`.'),
  activeDeadlineSeconds: spec.activeDeadlineSeconds,
});
export type TrainingRequest = z.output<typeof TrainingRequestSchema>;
export type TrainingRequestInput = z.input<typeof TrainingRequestSchema>;

/** A single job is a sweep without parameters: SweepSpecSchema with the search space left empty. */
const SingleTrialSpecSchema = SweepSpecSchema.safeExtend({
  parameters: z
    .record(z.string(), ParamSpaceSchema)
    .refine((r) => Object.keys(r).length === 0, 'must be empty without a sweep'),
});

/** Where a SweepSpec field came from in the request, for error messages. */
const REQUEST_FIELD: Readonly<Record<string, string>> = {
  fixedParams: 'params',
  gpusPerReplica: 'gpus',
  job: 'workload',
  parameters: 'sweep.parameters',
  strategy: 'sweep.strategy',
  seed: 'sweep.seed',
  maxTrials: 'sweep.maxTrials',
  objective: 'sweep.objective',
};

function requestPath(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path;
  if (head === 'dataset' && rest[0] === 'versionsTable') return 'dataset.version';
  const mapped = typeof head === 'string' ? REQUEST_FIELD[head] : undefined;
  return mapped ? formatIssuePath([...mapped.split('.'), ...rest]) : formatIssuePath(path);
}

/** Labels the API adds to every object it creates (and lists by). */
export const SUBMITTED_VIA_LABEL = 'gaiops.io/submitted-via';
export const SUBMITTED_VIA = 'training-job-api';
export const TEAM_LABEL = 'gaiops.io/team';
/** Annotations: the caller and the request's hash (idempotent retries compare it). */
export const SUBMITTED_BY_ANNOTATION = 'gaiops.io/submitted-by';
export const REQUEST_HASH_ANNOTATION = 'gaiops.io/request-sha256';

/** What a request renders to. */
export interface RenderedTrainingJob {
  readonly config: SweepConfig;
  readonly trials: readonly Trial[];
  readonly objects: readonly SweepObject[];
}

/**
 * The trial objects of a validated request for `team`, named after `jobId` (`<jobId>-t<NNN>`),
 * labelled with the team and `gaiops.io/submitted-via=training-job-api`, annotated with the
 * caller and the request hash. Problems of the combined spec (e.g. a tag-only image without
 * `imageDigest`, a grid larger than `sweep.maxTrials`) → 400 `invalid_body` naming request fields.
 */
export function renderTrainingJob(
  request: TrainingRequest,
  team: TrainingApiTeam,
  config: Pick<TrainingApiConfig, 'serviceAccountName' | 'registry' | 'dataset' | 'maxTrialsPerRequest'>,
  jobId: string,
  annotations: Readonly<Record<string, string>>,
): RenderedTrainingJob {
  if (request.sweep && request.sweep.maxTrials > config.maxTrialsPerRequest) {
    throw invalid([{ path: 'sweep.maxTrials', message: `must be at most ${config.maxTrialsPerRequest} (the API's limit per request)` }]);
  }
  const input: SweepSpec = {
    sweepId: jobId,
    parameters: request.sweep?.parameters ?? {},
    fixedParams: request.params,
    strategy: request.sweep?.strategy,
    seed: request.sweep?.seed,
    maxTrials: request.sweep?.maxTrials ?? 1,
    // Every trial may run at once: the team's GPU quota (checked before creation) bounds them.
    parallelism: request.sweep?.maxTrials ?? 1,
    objective: request.sweep?.objective ?? { metric: 'loss', goal: 'minimize' },
    job: request.workload,
    image: request.image,
    imageDigest: request.imageDigest,
    command: request.command,
    gitCommit: request.gitCommit,
    gpusPerReplica: request.gpus,
    cpu: request.cpu,
    memory: request.memory,
    namespace: team.namespace,
    serviceAccountName: config.serviceAccountName,
    nodePool: team.nodePool,
    dataset: { bucket: config.dataset.bucket, group: request.dataset.group, version: request.dataset.version, versionsTable: config.dataset.versionsTable },
    registry: config.registry,
    modelName: request.modelName,
    activeDeadlineSeconds: request.activeDeadlineSeconds,
  };
  const parsed = (request.sweep ? SweepSpecSchema : SingleTrialSpecSchema).safeParse(input);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((issue) => ({ path: requestPath(issue.path), message: issue.message })));
  }
  const c = parsed.data as SweepConfig;
  let trials: Trial[];
  if (request.sweep) {
    try {
      trials = expandTrials(c);
    } catch (error) {
      const problems = (error as { problems?: readonly { fieldPath: string; message: string }[] }).problems;
      if (!problems) throw error;
      throw invalid(problems.map((p) => ({ path: requestPath(p.fieldPath.split('.')), message: p.message })));
    }
  } else {
    trials = [{ index: 0, id: trialId(jobId, 0), params: { ...c.fixedParams } }];
  }
  const extraLabels = { [TEAM_LABEL]: team.name, [SUBMITTED_VIA_LABEL]: SUBMITTED_VIA };
  const objects = trials.map((trial) => {
    const object = renderTrialObject(c, trial, { extraLabels });
    return { ...object, metadata: { ...object.metadata, annotations: { ...annotations } } };
  });
  return { config: c, trials, objects };
}

function invalid(issues: readonly ValidationIssue[]): HttpError {
  return new HttpError(400, 'invalid_body', 'request body failed validation', { issues });
}
