/**
 * The trainer pipeline: resolve and verify the dataset, train, read the metrics, pack and upload
 * the artifact, register the version. Every client is injected, so tests run it in-process
 * against embedded services; `main.ts` wires real clients from the environment.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RegistryClient } from '../../../model-registry/client/registry-client';
import { type PackedArtifact, packArtifacts, uploadArtifact } from './artifacts';
import { type SignalSource, assertSucceeded, runCommand, trainingEnv } from './command';
import type { TrainerConfig } from './config';
import { resolveDataset, verifyAndDownload } from './dataset';
import { TrainerError } from './errors';
import { type MetricsFile, readMetrics } from './metrics';
import { type RegistrationResult, type RegisterOptions, register } from './register';

/** The logging the trainer needs (a Powertools `Logger` fits). */
export interface TrainerLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

export interface TrainerDeps {
  /** Reads the dataset bucket and writes the artifact bucket. */
  readonly s3: S3Client;
  /** Needed when the config names a versions table. */
  readonly dynamo?: DynamoDBDocumentClient;
  readonly registry: RegistryClient;
  readonly logger: TrainerLogger;
  /** Where the training command's output goes. Default: the trainer's own stdout / stderr. */
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  /** Signals to forward to the training command (`process` in `main.ts`). */
  readonly signals?: SignalSource;
  /** The training command's base environment. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Registration tuning (lineage retry rounds, sleep). */
  readonly registerOptions?: Omit<RegisterOptions, 'logger'>;
  /** Multipart part size for large artifacts. */
  readonly partSize?: number;
  /** Parallel dataset downloads. Default 4. */
  readonly downloadConcurrency?: number;
}

interface TrainerRunSummary {
  readonly dataset: { readonly group: string; readonly versionId: string; readonly requested: string; readonly files: number; readonly bytes: number };
  readonly command: { readonly durationMs: number };
}

/** Rank 0 (or a single-pod job): trained, uploaded and registered. */
export interface LeaderTrainerResult extends TrainerRunSummary {
  readonly role: 'leader';
  readonly metrics: MetricsFile;
  readonly artifact: { readonly digest: string; readonly size: number; readonly key: string; readonly uploaded: boolean };
  readonly registration: RegistrationResult;
}

/** A rank above 0 of a distributed job: verified the data and trained; rank 0 registers. */
export interface WorkerTrainerResult extends TrainerRunSummary {
  readonly role: 'worker';
  readonly nodeRank: number;
}

export type TrainerResult = LeaderTrainerResult | WorkerTrainerResult;

/**
 * Runs the whole pipeline. Rank 0 (and single-pod jobs) do all five steps; higher ranks of a
 * distributed job stop after a successful training command (see `TrainerConfig.nodeRank`).
 */
export async function runTrainer(config: TrainerConfig, deps: TrainerDeps): Promise<TrainerResult> {
  const { logger } = deps;
  const { dataset: ds } = config;
  if (ds.versionsTable !== undefined && deps.dynamo === undefined) throw new TrainerError('config', 'a versions table is configured but no DynamoDB client was given');

  // 1. Dataset.
  const resolved = await resolveDataset({
    s3: deps.s3,
    bucket: ds.bucket,
    group: ds.group,
    version: ds.version,
    ...(ds.versionsTable !== undefined && deps.dynamo ? { versions: { doc: deps.dynamo, table: ds.versionsTable } } : {}),
  });
  logger.info('dataset version resolved', {
    group: resolved.group,
    requested: resolved.requested,
    versionId: resolved.versionId,
    chain: resolved.chain.length,
    files: resolved.files.length,
    bytes: resolved.totalBytes,
  });
  await verifyAndDownload({ s3: deps.s3, bucket: ds.bucket, files: resolved.files, dataDir: config.dataDir, concurrency: deps.downloadConcurrency });
  logger.info('dataset downloaded and verified', { dataDir: config.dataDir, files: resolved.files.length, bytes: resolved.totalBytes });

  // 2. Training: fresh output directory and no stale metrics file from an earlier attempt.
  await rm(config.outputDir, { recursive: true, force: true });
  await mkdir(config.outputDir, { recursive: true });
  await rm(config.metricsFile, { force: true });
  await mkdir(dirname(config.metricsFile), { recursive: true });
  logger.info('training command starting', { command: config.command[0], args: config.command.length - 1 });
  const result = await runCommand({
    command: config.command,
    env: trainingEnv(deps.env ?? process.env, config.params, { dataDir: config.dataDir, outputDir: config.outputDir, metricsFile: config.metricsFile }),
    stdout: deps.stdout ?? process.stdout,
    stderr: deps.stderr ?? process.stderr,
    signals: deps.signals,
  });
  assertSucceeded(config.command, result);
  logger.info('training command succeeded', { durationMs: result.durationMs });
  const summary: TrainerRunSummary = {
    dataset: { group: resolved.group, versionId: resolved.versionId, requested: resolved.requested, files: resolved.files.length, bytes: resolved.totalBytes },
    command: { durationMs: result.durationMs },
  };
  if (config.nodeRank > 0) {
    // One version per job: the other ranks' outputs are rank 0's concern (the training code
    // gathers or checkpoints through the shared storage); registering here would duplicate it.
    logger.info('worker rank finished; rank 0 registers the model', { nodeRank: config.nodeRank });
    return { ...summary, role: 'worker', nodeRank: config.nodeRank };
  }

  // 3. Metrics.
  const metrics = await readMetrics(config.metricsFile);
  logger.info('metrics read', { metrics: Object.keys(metrics.metrics).length, fairnessAttributes: Object.keys(metrics.fairness ?? {}).length });

  // 4. Artifact.
  let packed: PackedArtifact;
  let upload;
  await mkdir(dirname(config.artifactFile), { recursive: true });
  try {
    packed = await packArtifacts(config.outputDir, config.artifactFile);
    logger.info('model artifact packed', { digest: packed.digest, bytes: packed.size, files: packed.files });
    upload = await uploadArtifact({ s3: deps.s3, bucket: config.registry.artifactBucket, artifact: packed, partSize: deps.partSize });
  } finally {
    await rm(config.artifactFile, { force: true });
  }
  logger.info(upload.uploaded ? 'model artifact uploaded' : 'model artifact already stored', { bucket: config.registry.artifactBucket, key: upload.key });

  // 5. Registration.
  const registration = await register(
    deps.registry,
    {
      modelName: config.registry.modelName,
      artifactDigest: packed.digest,
      dataset: { group: resolved.group, versionId: resolved.versionId },
      gitCommit: config.gitCommit,
      imageDigest: config.imageDigest,
      params: config.params,
      metrics,
    },
    { ...deps.registerOptions, logger },
  );
  logger.info('model version registered', {
    model: registration.modelName,
    version: registration.version,
    status: registration.status,
    runKey: registration.runKey,
    lineageRevision: registration.lineage.revision,
  });

  return {
    ...summary,
    role: 'leader',
    metrics,
    artifact: { digest: packed.digest, size: packed.size, key: upload.key, uploaded: upload.uploaded },
    registration,
  };
}
