/**
 * Step 5: register the model version with its complete lineage, idempotently.
 *
 * Run key: `trainer-<sha256(canonical {model, artifact digest, dataset group, dataset version})>`,
 * stored as the version's `run_id`. A re-run with the same inputs finds its version by run key
 * (`run_id = '<key>'`) and creates nothing; the registry client's own per-call idempotency key
 * makes each call's retries safe.
 *
 * Order (so that a failure leaves nothing or a complete version — see the README):
 * 1. build and validate the lineage locally with the registry's own schema and size limit, so the
 *    lineage call cannot be refused for its content after the version exists;
 * 2. create the registered model (RESOURCE_ALREADY_EXISTS is fine);
 * 3. look the run key up: a version with complete lineage → `existing`; one with missing or
 *    incomplete lineage (an earlier run that died half-way) → its lineage is merged → `completed`;
 * 4. otherwise create the version (`source` `sha256:<digest>`) and set its lineage, retrying;
 *    if the lineage still cannot be set, the version is withdrawn again (nothing registered) —
 *    `gaiops/model-versions/withdraw`, the creator's delete that `grantRegister` allows (the
 *    MLflow delete is admin-only). Only when that withdraw fails too is a version without lineage
 *    left behind: the error says so
 *    (exit 8), and a re-run with the same inputs completes it (step 3). A version without lineage
 *    cannot pass the registry's promotion gates in the meantime (no evaluation metrics).
 */
import { canonicalJson, sha256Hex } from '../../../feature-store/runtime/canonical';
import { type LineageInput, type LineageRecord, type ModelVersion, RegistryApiError, type RegistryClient } from '../../../model-registry/client/registry-client';
import { LineageFieldsSchema, MAX_LINEAGE_BYTES } from '../../../model-registry/runtime/lineage';
import type { HyperparameterValue } from './config';
import { TrainerError, messageOf } from './errors';
import type { MetricsFile } from './metrics';

export interface RegisterInput {
  readonly modelName: string;
  readonly artifactDigest: string;
  readonly dataset: { readonly group: string; readonly versionId: string };
  readonly gitCommit: string;
  readonly imageDigest: string;
  readonly params: Readonly<Record<string, HyperparameterValue>>;
  readonly metrics: MetricsFile;
}

export interface RegisterOptions {
  /** Rounds of `setLineage` (each already retried by the client). Default 3. */
  readonly lineageAttempts?: number;
  /** Pause between rounds. Default 1 s, then 2 s, … */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger?: { warn(message: string, extra?: Record<string, unknown>): void };
}

export interface RegistrationResult {
  readonly modelName: string;
  readonly version: string;
  /** `created`: new version; `existing`: this run was already registered; `completed`: an earlier half-registered version of this run got its lineage. */
  readonly status: 'created' | 'existing' | 'completed';
  readonly runKey: string;
  readonly source: string;
  readonly lineage: LineageRecord;
}

/** The run key of a training result: the same model, artifact and dataset version give the same key. */
export function runKeyOf(modelName: string, artifactDigest: string, dataset: { readonly group: string; readonly versionId: string }): string {
  return `trainer-${sha256Hex(canonicalJson({ artifactDigest, datasetGroup: dataset.group, datasetVersionId: dataset.versionId, modelName }))}`;
}

type LineageFieldName = Exclude<keyof LineageInput, 'model_card'>;

/** The lineage the trainer records (everything except the model card, which people write). */
export function lineageOf(input: RegisterInput): LineageInput {
  return {
    dataset_versions: [{ dataset_version_id: input.dataset.versionId, feature_group: input.dataset.group, role: 'training' }],
    code_commit: input.gitCommit,
    training_image_digest: input.imageDigest,
    hyperparameters: { ...input.params },
    evaluation_metrics: { ...input.metrics.metrics },
    ...(input.metrics.fairness ? { fairness_metrics: input.metrics.fairness } : {}),
    artifact_digest: input.artifactDigest,
  };
}

const registerError = (message: string, cause?: unknown) => new TrainerError('register', message, cause === undefined ? undefined : { cause });

/** MLflow filter string literal (`\` and `'` escaped). */
const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

const retryable = (error: unknown) => !(error instanceof RegistryApiError) || error.status === 0 || error.status === 429 || error.status >= 500;

export async function register(client: RegistryClient, input: RegisterInput, options: RegisterOptions = {}): Promise<RegistrationResult> {
  const name = input.modelName;
  const lineage = lineageOf(input);
  const checked = LineageFieldsSchema.partial().safeParse(lineage);
  if (!checked.success) {
    throw registerError(`the lineage would be refused by the registry: ${checked.error.issues.map((i) => `${i.path.map(String).join('.')} ${i.message}`).join('; ')}`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(lineage), 'utf8');
  if (bytes > MAX_LINEAGE_BYTES) throw registerError(`the lineage is ${bytes} bytes; the registry accepts at most ${MAX_LINEAGE_BYTES} (fewer hyperparameters or metrics)`);
  const runKey = runKeyOf(name, input.artifactDigest, input.dataset);
  const source = `sha256:${input.artifactDigest}`;

  try {
    await client.createRegisteredModel(name, { description: 'Registered by the gaiops trainer.' });
  } catch (error) {
    if (!(error instanceof RegistryApiError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) {
      throw registerError(`could not create registered model ${name}: ${messageOf(error)}; nothing was registered`, error);
    }
  }

  let found: ModelVersion | undefined;
  try {
    found = await findRun(client, name, runKey);
  } catch (error) {
    throw registerError(`could not look up earlier registrations of this run in model ${name}: ${messageOf(error)}; nothing was registered`, error);
  }
  if (found) return completeExisting(client, found, lineage, runKey, source, options);

  let created: ModelVersion;
  try {
    created = await client.createModelVersion({
      name,
      source,
      runId: runKey,
      description: `Trained by the gaiops trainer on dataset ${input.dataset.group}@${input.dataset.versionId}.`,
      tags: { 'gaiops.dataset.group': input.dataset.group, 'gaiops.dataset.version': input.dataset.versionId },
    });
  } catch (error) {
    if (!retryable(error)) throw registerError(`the registry refused the model version: ${messageOf(error)}; nothing was registered`, error);
    // A lost response: the version may exist after all.
    let late: ModelVersion | undefined;
    try {
      late = await findRun(client, name, runKey);
    } catch (lookupError) {
      throw new TrainerError(
        'register-incomplete',
        `creating the model version failed (${messageOf(error)}) and it cannot be checked whether it exists (${messageOf(lookupError)}); re-run the trainer with the same inputs to complete or skip it (run_id ${runKey})`,
        { cause: error },
      );
    }
    if (!late) throw registerError(`could not create the model version: ${messageOf(error)}; nothing was registered`, error);
    created = late;
  }

  try {
    const record = await setLineageRetrying(client, name, created.version, lineage, options);
    return { modelName: name, version: created.version, status: 'created', runKey, source, lineage: record };
  } catch (lineageError) {
    try {
      await client.withdrawModelVersion(name, created.version, { reason: withdrawReason(runKey, lineageError) });
    } catch (withdrawError) {
      throw new TrainerError(
        'register-incomplete',
        `model ${name} version ${created.version} was created but its lineage could not be set (${messageOf(lineageError)}) and it could not be withdrawn (${messageOf(withdrawError)}); ` +
          `it has no lineage, so it cannot be promoted; re-run the trainer with the same inputs to complete it (run_id ${runKey}), or have an admin delete the version`,
        { cause: lineageError },
      );
    }
    throw registerError(
      `the lineage of model ${name} version ${created.version} could not be set (${messageOf(lineageError)}); the version was withdrawn again, nothing is registered`,
      lineageError,
    );
  }
}

/** The audit reason of a withdrawal (kept well below the registry's 5000-byte limit). */
function withdrawReason(runKey: string, lineageError: unknown): string {
  const text = `gaiops trainer: the lineage could not be set (run_id ${runKey}): ${messageOf(lineageError)}`;
  const chars = Array.from(text);
  return chars.length > 1000 ? `${chars.slice(0, 999).join('')}…` : text;
}

async function findRun(client: RegistryClient, name: string, runKey: string): Promise<ModelVersion | undefined> {
  const out = await client.searchModelVersions({ filter: `name = ${quote(name)} AND run_id = ${quote(runKey)}`, orderBy: ['version_number ASC'], maxResults: 10 });
  return out.modelVersions.find((v) => v.name === name && v.run_id === runKey);
}

async function completeExisting(
  client: RegistryClient,
  version: ModelVersion,
  lineage: LineageInput,
  runKey: string,
  source: string,
  options: RegisterOptions,
): Promise<RegistrationResult> {
  const name = version.name;
  let current: LineageRecord | undefined;
  try {
    current = await client.getLineage(name, version.version);
  } catch (error) {
    if (!(error instanceof RegistryApiError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST')) {
      throw registerError(`could not read the lineage of the earlier registration (model ${name} version ${version.version}): ${messageOf(error)}`, error);
    }
  }
  const missing = (Object.keys(lineage) as LineageFieldName[]).filter((field) => current?.[field] === undefined || current[field] === null);
  if (current && missing.length === 0) {
    const differing = (Object.keys(lineage) as LineageFieldName[]).filter((field) => canonicalJson(current[field]) !== canonicalJson(lineage[field]));
    if (differing.length > 0) {
      options.logger?.warn('this run was already registered; its recorded lineage differs from this run and is kept unchanged', {
        model: name,
        version: version.version,
        differing,
      });
    }
    return { modelName: name, version: version.version, status: 'existing', runKey, source, lineage: current };
  }
  // An earlier run of the same inputs created the version but did not finish its lineage: finish it now.
  const update = Object.fromEntries((current ? missing : (Object.keys(lineage) as LineageFieldName[])).map((field) => [field, lineage[field]])) as LineageInput;
  try {
    const record = await setLineageRetrying(client, name, version.version, update, options);
    return { modelName: name, version: version.version, status: 'completed', runKey, source, lineage: record };
  } catch (error) {
    throw new TrainerError(
      'register-incomplete',
      `model ${name} version ${version.version} (an earlier run of the same inputs) still lacks lineage (${missing.join(', ')}): ${messageOf(error)}; re-run the trainer with the same inputs to complete it (run_id ${runKey})`,
      { cause: error },
    );
  }
}

async function setLineageRetrying(client: RegistryClient, name: string, version: string, lineage: LineageInput, options: RegisterOptions): Promise<LineageRecord> {
  const attempts = Math.max(1, options.lineageAttempts ?? 3);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.setLineage(name, version, lineage);
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      options.logger?.warn('setting the lineage failed; retrying', { model: name, version, attempt, error: messageOf(error) });
      await sleep(1000 * attempt);
    }
  }
}
