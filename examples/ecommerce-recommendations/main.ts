/**
 * Example: personalized product recommendations (see README.md).
 *
 * The platform comes from `platform.yaml` (loadPlatformConfig: feature groups, governance gates,
 * the A/B-tested recommender behind the gateway, drift and bias monitoring); this app adds what a
 * config file cannot hold — a GPU hyperparameter sweep of the two-tower recommender (Kubeflow
 * TrainJob trials) in the workloads stack, trained on a pinned dataset version.
 *
 * The sweep's chart is rendered at synth, so it needs literal values from the applied data stack
 * (bucket names, registry URL) and the dataset version you created: `sweep-inputs.json`.
 *
 *   npx gaiops synth                # runs `npx tsx main.ts` (cdktf.json) → cdktf.out/
 *
 * In this repository the example imports from `../../src`; in your project import from `gaiops`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

import { App, GaiConfigError, GaiPlatform, HyperparameterSweep, loadPlatformConfig, parseProps } from '../../src';

/** The team that owns the recommender (a team's namespace is its name). */
export const RECOMMENDATIONS_TEAM = 'recommendations';

/** The service account TrainingTeams creates in every team namespace (its default). */
export const TRAINER_SERVICE_ACCOUNT = 'trainer';

/** The registered model every trial adds a version to (the one the inference variants serve). */
export const RECOMMENDER_MODEL = 'two-tower-recommender';

/**
 * What the sweep needs from outside the config: outputs of the applied `<env>-data` stack
 * (`terraform -chdir=cdktf.out/stacks/dev-data output -json`), the dataset version the
 * FeatureStore created for `training_examples`, and the trainer image and commit.
 */
export const SweepInputsSchema = z.strictObject({
  featureBucket: z.string().min(3).describe('`feature_bucket` output of the data stack.'),
  registryApiUrl: z.string().min(8).describe('`registry_api_url` output of the data stack.'),
  registryArtifactBucket: z.string().min(3).describe('`registry_artifact_bucket` output of the data stack.'),
  datasetVersion: z.string().describe('The `training_examples` dataset version id (64 hex) every trial trains on.'),
  trainerImage: z.string().describe('Trainer image built FROM the gaiops trainer image, pinned by digest.'),
  gitCommit: z.string().describe('Full commit id of the training code.'),
});
export type SweepInputs = z.output<typeof SweepInputsSchema>;

/** Reads and validates `sweep-inputs.json` (errors name the file and field). */
export function loadSweepInputs(file: string): SweepInputs {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GaiConfigError([{ constructPath: file, fieldPath: '(file)', message: `cannot be read as JSON: ${(err as Error).message}` }]);
  }
  return parseProps(file, SweepInputsSchema, data);
}

export interface RecommendationsAppOptions {
  /** Output directory. Default `CDKTF_OUTDIR` (set by `gaiops synth`), else `cdktf.out`. */
  readonly outdir?: string;
  /** Platform config. Default `platform.yaml` beside this file. */
  readonly configFile?: string;
  /** Sweep inputs. Default `sweep-inputs.json` beside this file. */
  readonly sweepInputsFile?: string;
}

export interface RecommendationsApp {
  readonly app: App;
  readonly platform: GaiPlatform;
  readonly sweep: HyperparameterSweep;
}

/** Builds the app (not synthesized: call `app.synth()`). */
export function buildRecommendationsApp(options: RecommendationsAppOptions = {}): RecommendationsApp {
  const config = loadPlatformConfig(options.configFile ?? join(__dirname, 'platform.yaml'));
  const inputs = loadSweepInputs(options.sweepInputsFile ?? join(__dirname, 'sweep-inputs.json'));
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const platform = new GaiPlatform(app, config.settings.environment, config);
  const team = platform.teams.team(RECOMMENDATIONS_TEAM);
  const workloads = platform.stacks.workloads!;

  // 8 trials (2 × 2 × 2 grid), each a one-node TrainJob with one GPU on the training pool. TrainJob
  // trials run all at once (parallelism ≥ trials); the team's GPU quota (8) and the pool's
  // gpuLimit (8) bound what actually runs. The release uses the workloads stack's default helm
  // provider, which GaiPlatform configured for the cluster.
  const sweep = new HyperparameterSweep(workloads, 'TwoTowerSweep', {
    sweepId: 'two-tower-2026-11',
    parameters: {
      embedding_dim: { type: 'categorical', values: [64, 128] },
      learning_rate: { type: 'float', min: 0.001, max: 0.01, scale: 'log', gridPoints: 2 },
      temperature: { type: 'categorical', values: [0.05, 0.1] },
    },
    fixedParams: { epochs: 10, batch_size: 4096, top_k: 20, negatives: 'in-batch' },
    strategy: 'grid',
    maxTrials: 8,
    parallelism: 8,
    objective: { metric: 'ndcg_at_20', goal: 'maximize' },
    job: { kind: 'TrainJob', numNodes: 1 },
    image: inputs.trainerImage,
    command: ['python', '-m', 'recsys.train_two_tower'],
    gitCommit: inputs.gitCommit,
    gpusPerReplica: 1,
    cpu: '6',
    memory: '48Gi',
    namespace: RECOMMENDATIONS_TEAM,
    serviceAccountName: TRAINER_SERVICE_ACCOUNT,
    nodePool: 'gpu-train',
    dataset: { bucket: inputs.featureBucket, group: 'training_examples', version: inputs.datasetVersion },
    registry: { url: inputs.registryApiUrl, region: platform.settings.region, artifactBucket: inputs.registryArtifactBucket },
    modelName: RECOMMENDER_MODEL,
  });
  // The chart is rendered with the literal namespace; the release's own namespace attribute refers
  // to the team's namespace resource, so Terraform creates the namespace (and its quota) first.
  sweep.release.namespace = team.namespace;
  return { app, platform, sweep };
}

if (require.main === module) {
  buildRecommendationsApp().app.synth();
}
