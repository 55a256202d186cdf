/**
 * The sweep spec: what one hyperparameter sweep (or one training job of the training-job API)
 * runs. Construct-free (zod only): the training-job API Lambda validates requests with these very
 * schemas, and its bundle must not pull cdktf in. The construct props (`HyperparameterSweepPropsSchema`,
 * with the Helm provider) live in ./sweep-schema.
 */
import { z } from 'zod';

/** Hyperparameter keys the sweep adds to every trial's TRAINER_PARAMS (they identify the trial in the registry's lineage). */
export const SWEEP_PARAM = 'gaiops_sweep';
export const TRIAL_PARAM = 'gaiops_trial';

/** A hyperparameter name the trainer accepts (`TRAINER_PARAMS`): an identifier of at most 128 characters. */
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** DNS-1123 label, at most 40 characters: trial objects are `<sweepId>-t<NNN>`, PyTorchJob pods add `-worker-<i>`, TrainJob pods `-node-0-<i>-<suffix>`. */
const SWEEP_ID = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** `<registry>/<repository>:<tag>` and/or `@sha256:<64 hex>`. */
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The image's digest when it names one (`…@sha256:<hex>`). */
export function imageDigestOf(image: string): string | undefined {
  const at = image.lastIndexOf('@');
  return at < 0 ? undefined : image.slice(at + 1);
}

function tagOf(image: string): string | undefined {
  const name = image.split('@')[0];
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(colon + 1) : undefined;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const IntParamSchema = z
  .strictObject({
    type: z.literal('int'),
    min: z.number().int('must be an integer').describe('Smallest value (inclusive).'),
    max: z.number().int('must be an integer').describe('Largest value (inclusive).'),
    step: z.number().int('must be an integer').positive('must be at least 1').default(1).describe('Distance between values: the space is min, min+step, … ≤ max. Default 1.'),
  })
  .superRefine((p, ctx) => {
    if (p.min > p.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `must be at most max (${p.max})` });
  });

export const FloatParamSchema = z
  .strictObject({
    type: z.literal('float'),
    min: finite.describe('Lower bound (inclusive).'),
    max: finite.describe('Upper bound (inclusive).'),
    scale: z.enum(['linear', 'log']).default('linear').describe('`linear` (uniform) or `log` (uniform in log space; min must be > 0). Default `linear`.'),
    gridPoints: z.number().int().min(2, 'must be at least 2').max(100, 'must be at most 100').default(5).describe('Values in a grid sweep: evenly spaced from min to max (geometrically with `log`), both included. Default 5.'),
  })
  .superRefine((p, ctx) => {
    if (p.min > p.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `must be at most max (${p.max})` });
    if (p.scale === 'log' && p.min <= 0) ctx.addIssue({ code: 'custom', path: ['min'], message: 'must be greater than 0 with the log scale' });
  });

export const CategoricalParamSchema = z.strictObject({
  type: z.literal('categorical'),
  values: z
    .array(z.union([z.string().max(5000), finite, z.boolean()], { error: 'must be a string, finite number or boolean' }))
    .min(1, 'must list at least one value')
    .max(1000, 'must list at most 1000 values')
    .refine((a) => new Set(a.map((v) => JSON.stringify(v))).size === a.length, 'lists a value twice')
    .describe('The values, in grid order.'),
});

export const ParamSpaceSchema = z.discriminatedUnion('type', [IntParamSchema, FloatParamSchema, CategoricalParamSchema], {
  error: 'must be an int, float or categorical space (type)',
});
export type ParamSpace = z.output<typeof ParamSpaceSchema>;

export const ObjectiveSchema = z.strictObject({
  metric: z.string().min(1).max(250).describe('Evaluation metric the trainer records (a key of the metrics file `metrics`).'),
  goal: z.enum(['maximize', 'minimize']).describe('Whether larger (`maximize`) or smaller (`minimize`) is better.'),
});
export type SweepObjective = z.output<typeof ObjectiveSchema>;

/** Defaults of the settings TrainJob trials cannot carry (with a TrainJob only these values are accepted). */
export const DEFAULT_BACKOFF_LIMIT = 2;
export const DEFAULT_TTL_SECONDS_AFTER_FINISHED = 604_800;
export const DEFAULT_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN = false;
/** Kubeflow Trainer's ClusterTrainingRuntime for torchrun jobs (installed by the `kubeflowTrainer` add-on). */
export const DEFAULT_TRAINING_RUNTIME = 'torch-distributed';
/** TrainJob `spec.trainer.args` holds at most 128 items: `--` and the command. */
const TRAINJOB_MAX_ARGS = 128;

export const SweepJobSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('Job'),
    }),
    z.strictObject({
      kind: z.literal('PyTorchJob'),
      workers: z.number().int().min(0).max(255).default(1).describe('Worker replicas besides the master. Default 1.'),
      nprocPerNode: z.number().int().min(1).max(64).optional().describe('Processes per replica (`spec.nprocPerNode`). Default the GPUs per replica.'),
    }),
    z.strictObject({
      kind: z.literal('TrainJob'),
      numNodes: z
        .number()
        .int('must be an integer')
        .min(1, 'must be at least 1')
        .max(256, 'must be at most 256')
        .describe('Training nodes (pods) per trial, each with `gpusPerReplica` GPUs (`spec.trainer.numNodes`; torchrun `PET_NNODES`).'),
      numProcPerNode: z
        .number()
        .int('must be an integer')
        .min(1, 'must be at least 1')
        .max(64, 'must be at most 64')
        .optional()
        .describe('Processes per node (`spec.trainer.numProcPerNode`; torchrun `PET_NPROC_PER_NODE`). Default the GPUs per replica.'),
      runtime: z
        .string()
        .regex(DNS_SUBDOMAIN, 'must be a ClusterTrainingRuntime name (DNS-1123 subdomain)')
        .default(DEFAULT_TRAINING_RUNTIME)
        .describe(
          'ClusterTrainingRuntime the trials reference (`spec.runtimeRef`). It must have a replicatedJob `node` whose container `node` sets no command (the image entrypoint runs the trainer), as Kubeflow Trainer\'s `torch-distributed` does. Default `torch-distributed`.',
        ),
    }),
  ],
  { error: 'must be a Job, PyTorchJob or TrainJob (kind)' },
);

export const SweepSpecSchema = z
  .strictObject({
    sweepId: z.string().regex(SWEEP_ID, 'must be a DNS-1123 label of at most 40 characters (lower-case letters, digits, -)').describe('Sweep id: names the trial objects (`<sweepId>-t<NNN>`), the `gaiops.io/sweep` label and the `gaiops_sweep` hyperparameter recorded in the lineage.'),
    parameters: z
      .record(z.string().regex(PARAM_NAME, 'must be a hyperparameter name ([A-Za-z_][A-Za-z0-9_]*, ≤ 128)'), ParamSpaceSchema)
      .superRefine((r, ctx) => {
        const keys = Object.keys(r);
        if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'must define at least one parameter' });
        const upper = new Map<string, string>();
        for (const k of keys) {
          if (k.toUpperCase() === SWEEP_PARAM.toUpperCase() || k.toUpperCase() === TRIAL_PARAM.toUpperCase()) ctx.addIssue({ code: 'custom', path: [k], message: 'is reserved for the sweep' });
          const seen = upper.get(k.toUpperCase());
          if (seen) ctx.addIssue({ code: 'custom', path: [k], message: `clashes with ${seen} (HP_ variables are upper-cased)` });
          upper.set(k.toUpperCase(), k);
        }
      })
      .describe('The search space: per hyperparameter an `int` (min, max, step), `float` (min, max, scale, gridPoints) or `categorical` (values) space.'),
    fixedParams: z
      .record(z.string().regex(PARAM_NAME, 'must be a hyperparameter name'), z.union([z.string().max(5000), finite, z.boolean()]))
      .default({})
      .describe('Hyperparameters every trial gets unchanged (a name also in `parameters` is refused). Default none.'),
    strategy: z.enum(['grid', 'random']).default('grid').describe('`grid` (cartesian product, in declaration order, last parameter varying fastest) or `random` (seeded sampling). Default `grid`.'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0).describe('Seed of the `random` strategy: the same seed and space give the same trials. Default 0.'),
    maxTrials: z.number().int().min(1, 'must be at least 1').max(500, 'must be at most 500').describe('Number of trials (random) or the most a grid may have: a larger grid is an error, never silently cut.'),
    parallelism: z.number().int().min(1, 'must be at least 1').describe('Most trials running at once (see the README: a per-sweep GPU ResourceQuota for Job trials; TrainJob and PyTorchJob trials, without gang scheduling, need it ≥ the number of trials).'),
    objective: ObjectiveSchema.describe('What pickBestTrial optimises.'),
    job: SweepJobSchema.default({ kind: 'Job' }).describe(
      'Trial workload: `{ kind: "Job" }` (batch/v1, one pod); `{ kind: "TrainJob", numNodes, numProcPerNode, runtime }` (Kubeflow Trainer v2, `trainer.kubeflow.org/v1alpha1`, installed by the gaiops `kubeflowTrainer` add-on: the way to run distributed trials on a gaiops cluster); or `{ kind: "PyTorchJob", workers, nprocPerNode }` (kubeflow.org/v1, only for clusters that run the v1 Kubeflow Training Operator themselves: gaiops does not install it). Default `Job`.',
    ),
    image: z
      .string()
      .regex(IMAGE, 'must be an image reference <registry>/<repository>:<tag> or …@sha256:<digest>')
      .refine((i) => tagOf(i) !== undefined || imageDigestOf(i) !== undefined, 'must pin an exact tag or a digest')
      .refine((i) => tagOf(i) !== 'latest', 'must not use the latest tag: pin an exact tag or a digest')
      .describe('Trainer image (built FROM the gaiops trainer image): an exact tag or a digest.'),
    imageDigest: z.string().regex(DIGEST, 'must be sha256:<64 hex>').optional().describe('`TRAINER_IMAGE_DIGEST` recorded in the lineage. Default the digest of `image` (required when `image` has only a tag).'),
    command: z.array(z.string().min(1)).min(1, 'must have at least one element').describe('Training command the trainer runs (`node index.js -- <command>`).'),
    gitCommit: z.string().regex(/^[0-9a-f]{40}$|^[0-9a-f]{64}$/, 'must be a full commit id (40 or 64 lower-case hex)').describe('`TRAINER_GIT_COMMIT`: commit of the training code.'),
    gpusPerReplica: z.number().int().min(1).max(16).default(1).describe('`nvidia.com/gpu` requested and limited per pod. Default 1.'),
    cpu: z.string().regex(QUANTITY, 'must be a Kubernetes quantity').default('4').describe('CPU request and limit per pod. Default `4`.'),
    memory: z.string().regex(QUANTITY, 'must be a Kubernetes quantity').default('32Gi').describe('Memory request and limit per pod. Default `32Gi`.'),
    namespace: z.string().regex(DNS_LABEL, 'must be a Kubernetes namespace name').describe('Team namespace the trials run in.'),
    serviceAccountName: z.string().regex(DNS_LABEL, 'must be a service account name').describe('Service account of the trial pods (its Pod Identity association reaches the dataset, registry and artifact bucket).'),
    automountServiceAccountToken: z
      .boolean()
      .default(DEFAULT_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN)
      .describe(
        "Mount a Kubernetes API token (the trainer does not need one; Pod Identity mounts its own). TrainJob trials cannot set it (runtimePatches have no such field; `true` is refused): the service account's own `automountServiceAccountToken` applies, `false` for a TrainingTeam's. Default `false`.",
      ),
    nodePool: z.string().regex(LABEL_VALUE, 'must be a label value').min(1).describe('GPU NodePool name: nodeSelector `gaiops.io/node-pool=<nodePool>`, toleration for `nvidia.com/gpu:NoSchedule`.'),
    dataset: z
      .strictObject({
        bucket: z.string().min(3).max(63).describe('`TRAINER_DATASET_BUCKET`.'),
        group: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a feature group name').describe('`TRAINER_DATASET_GROUP`.'),
        version: z
          .string()
          .regex(/^([0-9a-f]{64}|tag:.+|current)$/, 'must be a version id (64 hex), tag:<name> or current')
          .describe('`TRAINER_DATASET_VERSION`: pin an id or a tag so every trial trains on the same data.'),
        versionsTable: z.string().min(3).max(255).optional().describe('`TRAINER_VERSIONS_TABLE` (needed for `tag:` and `current`).'),
      })
      .superRefine((d, ctx) => {
        if (!/^[0-9a-f]{64}$/.test(d.version) && d.versionsTable === undefined) ctx.addIssue({ code: 'custom', path: ['versionsTable'], message: 'is required for a tag: or current dataset version' });
      })
      .describe('Dataset version every trial trains on.'),
    registry: z
      .strictObject({
        url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL').describe('`TRAINER_REGISTRY_URL`.'),
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region').describe('`TRAINER_REGISTRY_REGION`.'),
        artifactBucket: z.string().min(3).max(63).describe('`TRAINER_ARTIFACT_BUCKET`.'),
      })
      .describe('Model registry the trials register into.'),
    modelName: z.string().min(1).max(256).describe('`TRAINER_MODEL_NAME`: the registered model every trial adds a version to.'),
    backoffLimit: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(DEFAULT_BACKOFF_LIMIT)
      .describe(
        "Retries of a failed trial (Job `backoffLimit`, PyTorchJob `runPolicy.backoffLimit`). TrainJob has no such field (another value is refused): the runtime bounds retries — `torch-distributed` leaves its child Job at Kubernetes' default backoffLimit (6 container restarts) and has no JobSet failurePolicy, so the TrainJob fails when that Job fails. Default 2.",
      ),
    activeDeadlineSeconds: z.number().int().positive().default(86_400).describe('Longest a trial may run, counted from its start (including time pending for capacity). Default 86400 (24 h).'),
    ttlSecondsAfterFinished: z
      .number()
      .int()
      .min(0)
      .default(DEFAULT_TTL_SECONDS_AFTER_FINISHED)
      .describe('Finished trial objects are deleted after this long. TrainJob has no such field (another value is refused): finished TrainJobs stay until the release is uninstalled or they are deleted. Default 604800 (7 days).'),
    workdirSizeLimit: z.string().regex(QUANTITY, 'must be a Kubernetes quantity').default('200Gi').describe('Size limit of the emptyDir at `/tmp/trainer` (dataset, model, archive). Default `200Gi`.'),
    shmSizeLimit: z
      .string()
      .regex(QUANTITY, 'must be a Kubernetes quantity')
      .default('8Gi')
      .describe('Size limit of the memory-backed emptyDir at `/dev/shm` (NCCL and DataLoader workers need more than the 64 MiB default; it counts against `memory`). Default `8Gi`.'),
    tmpSizeLimit: z.string().regex(QUANTITY, 'must be a Kubernetes quantity').default('1Gi').describe('Size limit of the emptyDir at `/tmp`. Default `1Gi`.'),
  })
  .superRefine(
    (s, ctx) => {
      // Runs even when fields failed (one error lists every problem), so it reads defensively.
      if (s === null || typeof s !== 'object') return;
      if (typeof s.image === 'string' && imageDigestOf(s.image) === undefined && s.imageDigest === undefined) {
        ctx.addIssue({ code: 'custom', path: ['imageDigest'], message: 'is required when image has no @sha256 digest (the trainer records it)' });
      }
      if (s.job?.kind === 'TrainJob') {
        const unsupported = (field: string, why: string) => ctx.addIssue({ code: 'custom', path: [field], message: `cannot be changed with a TrainJob trial: ${why}` });
        if (s.backoffLimit !== undefined && s.backoffLimit !== DEFAULT_BACKOFF_LIMIT) {
          unsupported('backoffLimit', 'TrainJob has no backoffLimit; the runtime bounds retries (torch-distributed: the child Job default of 6 container restarts, then the TrainJob fails)');
        }
        if (s.ttlSecondsAfterFinished !== undefined && s.ttlSecondsAfterFinished !== DEFAULT_TTL_SECONDS_AFTER_FINISHED) unsupported('ttlSecondsAfterFinished', 'TrainJob has no TTL; finished TrainJobs stay until deleted');
        if (s.automountServiceAccountToken === true) unsupported('automountServiceAccountToken', "TrainJob runtimePatches cannot set it; the service account's own setting applies");
        if (typeof s.sweepId === 'string' && !/^[a-z]/.test(s.sweepId)) ctx.addIssue({ code: 'custom', path: ['sweepId'], message: 'must start with a letter with a TrainJob trial (TrainJob names are RFC 1035 labels)' });
        if (Array.isArray(s.command) && s.command.length > TRAINJOB_MAX_ARGS - 1) ctx.addIssue({ code: 'custom', path: ['command'], message: `must have at most ${TRAINJOB_MAX_ARGS - 1} elements with a TrainJob trial (spec.trainer.args holds at most ${TRAINJOB_MAX_ARGS}, "--" included)` });
      }
      if (s.parameters && s.fixedParams && typeof s.parameters === 'object') {
        for (const k of Object.keys(s.fixedParams)) {
          if (k in s.parameters || k.toUpperCase() === SWEEP_PARAM.toUpperCase() || k.toUpperCase() === TRIAL_PARAM.toUpperCase()) {
            ctx.addIssue({ code: 'custom', path: ['fixedParams', k], message: 'is a swept or reserved parameter' });
          }
        }
      }
    },
    { when: () => true },
  );
export type SweepSpec = z.input<typeof SweepSpecSchema>;
export type SweepConfig = z.output<typeof SweepSpecSchema>;
