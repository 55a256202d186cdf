/**
 * Trainer configuration: environment variables validated with zod at start, plus the training
 * command (argv after `--`). Every problem is reported at once, each naming its variable.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { TAG_NAME } from '../../../feature-store/runtime/versions';
import { LineageFieldsSchema } from '../../../model-registry/runtime/lineage';
import { modelNameSchema } from '../../../model-registry/runtime/validation';
import { TrainerError } from './errors';

/** Which dataset version to train on. */
export type DatasetVersionRef = { readonly kind: 'id'; readonly id: string } | { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'current' };

export type HyperparameterValue = string | number | boolean;

export interface TrainerConfig {
  readonly dataset: {
    readonly bucket: string;
    readonly group: string;
    readonly version: DatasetVersionRef;
    /** Versions table; needed for `tag:` and `current` (and then also used to check that an id is a committed version). */
    readonly versionsTable?: string;
  };
  readonly registry: {
    readonly url: string;
    readonly region: string;
    readonly modelName: string;
    readonly artifactBucket: string;
  };
  readonly gitCommit: string;
  readonly imageDigest: string;
  readonly params: Readonly<Record<string, HyperparameterValue>>;
  readonly workdir: string;
  readonly dataDir: string;
  readonly outputDir: string;
  readonly metricsFile: string;
  /** `<workdir>/artifact.tar`: the packed output directory before upload. */
  readonly artifactFile: string;
  /** The training command and its arguments. */
  readonly command: readonly string[];
  /**
   * This pod's node rank in a distributed job (see {@link nodeRankFromEnv}); 0 for a single-pod job.
   * Every rank verifies the dataset and runs the command; only rank 0 reads the metrics, uploads
   * the artifact and registers the version, so an N-node job registers exactly one version.
   */
  readonly nodeRank: number;
}

/**
 * The node rank set by the training operators, first found wins:
 * - `PET_NODE_RANK` — torchrun's node rank, set by the Kubeflow Training Operator (PyTorchJob with
 *   `nprocPerNode`/elastic policy) and by Kubeflow Trainer's torch runtime (TrainJob);
 * - `RANK` when `WORLD_SIZE` is also set — PyTorchJob's per-pod rank (Master 0, Workers 1…n-1);
 * - `JOB_COMPLETION_INDEX` is NOT a rank: indexed batch Jobs are independent trials.
 * Absent → 0. A value that is not a non-negative integer is a configuration error.
 */
export function nodeRankFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const candidates: [string, string | undefined][] = [
    ['PET_NODE_RANK', env.PET_NODE_RANK],
    ['RANK', env.WORLD_SIZE !== undefined && env.WORLD_SIZE.trim() !== '' ? env.RANK : undefined],
  ];
  for (const [name, raw] of candidates) {
    if (raw === undefined || raw.trim() === '') continue;
    if (!/^\d{1,6}$/.test(raw.trim())) throw new TrainerError('config', `invalid configuration: ${name} must be a non-negative integer (got "${raw}")`);
    return Number(raw.trim());
  }
  return 0;
}

const nonEmpty = z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') }).trim().min(1, 'must not be empty');

// S3 bucket names (general purpose): 3–63 of lower-case letters, digits, `.` and `-`.
const bucket = nonEmpty.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');
const group = nonEmpty.regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a feature group name (lowercase identifier)');
const datasetVersion = nonEmpty.refine(
  (v) => v === 'current' || /^[0-9a-f]{64}$/.test(v) || (v.startsWith('tag:') && TAG_NAME.test(v.slice(4))),
  "must be a dataset version id (64 hex), 'tag:<name>' or 'current'",
);
const absolutePath = nonEmpty.refine((p) => posix.isAbsolute(p), 'must be an absolute path');
/** Hyperparameter names become `HP_<NAME>` environment variables, so they must be identifiers. */
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const ParamsSchema = z
  .record(
    z.string(),
    z.union([z.string().max(5000), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()], { error: 'must be a string, number or boolean' }),
  )
  .refine((r) => Object.keys(r).length <= 500, 'must have at most 500 entries')
  .superRefine((r, ctx) => {
    const seen = new Map<string, string>();
    for (const name of Object.keys(r)) {
      if (!PARAM_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid hyperparameter name (letters, digits and _, not starting with a digit; at most 128)' });
        continue;
      }
      const upper = name.toUpperCase();
      const other = seen.get(upper);
      if (other !== undefined) ctx.addIssue({ code: 'custom', message: `'${name}' and '${other}' both become HP_${upper}` });
      seen.set(upper, name);
    }
  });

const EnvSchema = z
  .object({
    TRAINER_DATASET_BUCKET: bucket,
    TRAINER_DATASET_GROUP: group,
    TRAINER_DATASET_VERSION: datasetVersion,
    TRAINER_VERSIONS_TABLE: nonEmpty.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name').optional(),
    TRAINER_REGISTRY_URL: nonEmpty.url('must be an http(s) URL').refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
    TRAINER_REGISTRY_REGION: nonEmpty.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region, e.g. eu-west-1'),
    TRAINER_MODEL_NAME: modelNameSchema,
    TRAINER_ARTIFACT_BUCKET: bucket,
    TRAINER_GIT_COMMIT: LineageFieldsSchema.shape.code_commit,
    TRAINER_IMAGE_DIGEST: LineageFieldsSchema.shape.training_image_digest,
    TRAINER_PARAMS: nonEmpty.optional(),
    TRAINER_WORKDIR: absolutePath.optional(),
    TRAINER_METRICS_FILE: absolutePath.optional(),
    TRAINER_OUTPUT_DIR: absolutePath.optional(),
  })
  .superRefine((env, ctx) => {
    const v = env.TRAINER_DATASET_VERSION;
    if ((v === 'current' || v.startsWith('tag:')) && env.TRAINER_VERSIONS_TABLE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['TRAINER_VERSIONS_TABLE'], message: `is required to resolve TRAINER_DATASET_VERSION '${v}'` });
    }
  });

function issuesText(error: z.ZodError, prefix?: string): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
      return `${path || '(root)'} ${issue.message}`;
    })
    .join('; ');
}

/** The training command from the trainer's arguments: everything after the first `--`. */
export function parseCommand(argv: readonly string[]): string[] {
  const separator = argv.indexOf('--');
  if (separator === -1) throw new TrainerError('config', 'usage: node index.js -- <training command> [args...] (the `--` is required)');
  if (separator !== 0) throw new TrainerError('config', `unexpected arguments before '--': ${argv.slice(0, separator).join(' ')}`);
  const command = argv.slice(separator + 1);
  if (command.length === 0 || command[0] === '') throw new TrainerError('config', 'no training command given after `--`');
  return command;
}

/** Validates the environment; throws `TrainerError('config')` naming every bad variable. */
export function parseTrainerConfig(env: Readonly<Record<string, string | undefined>>, command: readonly string[]): TrainerConfig {
  // An empty value counts as unset (Kubernetes manifests often template optional variables as "").
  const present = Object.fromEntries(Object.entries(env).filter(([name, value]) => name.startsWith('TRAINER_') && value !== undefined && value.trim() !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) throw new TrainerError('config', `invalid configuration: ${issuesText(parsed.error)}`);
  const e = parsed.data;

  let params: Record<string, HyperparameterValue> = {};
  if (e.TRAINER_PARAMS !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(e.TRAINER_PARAMS);
    } catch {
      throw new TrainerError('config', 'invalid configuration: TRAINER_PARAMS must be a JSON object');
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TrainerError('config', 'invalid configuration: TRAINER_PARAMS must be a JSON object');
    const checked = ParamsSchema.safeParse(raw);
    if (!checked.success) throw new TrainerError('config', `invalid configuration: ${issuesText(checked.error, 'TRAINER_PARAMS')}`);
    params = checked.data;
  }

  const v = e.TRAINER_DATASET_VERSION;
  const version: DatasetVersionRef = v === 'current' ? { kind: 'current' } : v.startsWith('tag:') ? { kind: 'tag', tag: v.slice(4) } : { kind: 'id', id: v };
  const workdir = posix.normalize(e.TRAINER_WORKDIR ?? '/tmp/trainer');
  const config: TrainerConfig = {
    dataset: { bucket: e.TRAINER_DATASET_BUCKET, group: e.TRAINER_DATASET_GROUP, version, ...(e.TRAINER_VERSIONS_TABLE ? { versionsTable: e.TRAINER_VERSIONS_TABLE } : {}) },
    registry: { url: e.TRAINER_REGISTRY_URL, region: e.TRAINER_REGISTRY_REGION, modelName: e.TRAINER_MODEL_NAME, artifactBucket: e.TRAINER_ARTIFACT_BUCKET },
    gitCommit: e.TRAINER_GIT_COMMIT,
    imageDigest: e.TRAINER_IMAGE_DIGEST,
    params,
    workdir,
    dataDir: posix.join(workdir, 'data'),
    outputDir: posix.normalize(e.TRAINER_OUTPUT_DIR ?? posix.join(workdir, 'model')),
    metricsFile: posix.normalize(e.TRAINER_METRICS_FILE ?? posix.join(workdir, 'metrics.json')),
    artifactFile: posix.join(workdir, 'artifact.tar'),
    command: [...command],
    nodeRank: nodeRankFromEnv(env),
  };
  checkLayout(config);
  return config;
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);

/** The trainer deletes and recreates the data and output directories: they must not overlap each other or hold the metrics file. */
function checkLayout(c: TrainerConfig): void {
  const problems: string[] = [];
  if (c.outputDir === '/' || c.workdir === '/') problems.push('TRAINER_WORKDIR and TRAINER_OUTPUT_DIR must not be /');
  if (inside(c.outputDir, c.dataDir) || inside(c.dataDir, c.outputDir)) problems.push(`TRAINER_OUTPUT_DIR must not overlap the data directory ${c.dataDir}`);
  if (inside(c.metricsFile, c.outputDir)) problems.push('TRAINER_METRICS_FILE must not be inside TRAINER_OUTPUT_DIR (it would be packed into the model artifact)');
  if (inside(c.metricsFile, c.dataDir)) problems.push(`TRAINER_METRICS_FILE must not be inside the data directory ${c.dataDir}`);
  if (inside(c.artifactFile, c.outputDir)) problems.push(`TRAINER_OUTPUT_DIR must not contain ${c.artifactFile}`);
  if (problems.length > 0) throw new TrainerError('config', `invalid configuration: ${problems.join('; ')}`);
}
