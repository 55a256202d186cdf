/**
 * Example: privacy-preserving synthetic training data (see README.md).
 *
 * The platform comes from `platform.yaml` (prod preset, restricted data, patient-level groups with
 * PII hashed/masked/dropped, the synthesis team, privacy gates, a PII-free synthetic group); this
 * app adds the check a config file cannot express: a drift analysis of the generated data
 * (`offline/synthetic_patients/` in the FeatureStore bucket) against the real dataset version the
 * generator was trained on, run in the cluster as a Kubernetes CronJob (`DriftJob`).
 *
 *   npx gaiops synth                # runs `npx tsx main.ts` (cdktf.json) → cdktf.out/
 *
 * In this repository the example imports from `../../src`; in your project import from `gaiops`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

import { App, ClusterProviders, DriftDetector, DriftJob, GaiConfigError, GaiPlatform, loadPlatformConfig, parseProps } from '../../src';

/** The registered generative tabular model (the synthesis team's trainer registers it). */
export const GENERATOR_MODEL = 'tabular-generator';

/** The clinical columns both groups share: compared real vs synthetic. */
export const COMPARED_COLUMNS = [
  { name: 'sex', type: 'categorical' },
  { name: 'age_band', type: 'categorical' },
  { name: 'diagnosis_code', type: 'categorical' },
  { name: 'hba1c', type: 'numeric' },
  { name: 'bmi', type: 'numeric' },
  { name: 'systolic_bp', type: 'numeric' },
  { name: 'smoker', type: 'categorical' },
  { name: 'readmitted_30d', type: 'categorical' },
] as const;

/** The real `patients` dataset version the current generator was trained on (from its lineage). */
export const DriftInputsSchema = z.strictObject({
  realDatasetVersion: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be a dataset version id (64 lowercase hex, from the generator version\'s lineage)')
    .describe('Dataset version id of `patients` the generator was trained on.'),
});
export type DriftInputs = z.output<typeof DriftInputsSchema>;

/** Reads and validates `drift-inputs.json` (errors name the file and field). */
export function loadDriftInputs(file: string): DriftInputs {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GaiConfigError([{ constructPath: file, fieldPath: '(file)', message: `cannot be read as JSON: ${(err as Error).message}` }]);
  }
  return parseProps(file, DriftInputsSchema, data);
}

export interface SyntheticDataAppOptions {
  /** Output directory. Default `CDKTF_OUTDIR` (set by `gaiops synth`), else `cdktf.out`. */
  readonly outdir?: string;
  /** Platform config. Default `platform.yaml` beside this file. */
  readonly configFile?: string;
  /** Drift inputs. Default `drift-inputs.json` beside this file. */
  readonly driftInputsFile?: string;
}

export interface SyntheticDataApp {
  readonly app: App;
  readonly platform: GaiPlatform;
  readonly detector: DriftDetector;
  readonly job: DriftJob;
}

/** Builds the app (not synthesized: call `app.synth()`). */
export function buildSyntheticDataApp(options: SyntheticDataAppOptions = {}): SyntheticDataApp {
  const config = loadPlatformConfig(options.configFile ?? join(__dirname, 'platform.yaml'));
  const inputs = loadDriftInputs(options.driftInputsFile ?? join(__dirname, 'drift-inputs.json'));
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const platform = new GaiPlatform(app, config.settings.environment, config);
  const observability = platform.stacks.observability!;

  // Real (a verified FeatureStore dataset version) vs synthetic (what the generator's output
  // ingest wrote to the offline store in the last week). Drift here means the generator no
  // longer reproduces the real distributions — a utility problem to alert on. The analysis reads
  // patient-level data, so it runs inside the cluster (VPC, Pod Identity) rather than in Lambda,
  // and windows of millions of rows fit its memory limit.
  const detector = new DriftDetector(observability, 'SyntheticVsReal', {
    model: GENERATOR_MODEL,
    dataset: 'synthetic_patients',
    baseline: { featureStore: platform.featureStore, group: 'patients', versionId: inputs.realDatasetVersion },
    window: { bucket: platform.featureStore.bucket, prefix: 'offline/synthetic_patients/', lookbackHours: 168 },
    columns: [...COMPARED_COLUMNS],
    driftShare: 0.25,
    alertTopic: platform.alarms.topic,
    schedule: 'cron(0 5 * * ? *)',
    runAs: 'kubernetes',
  });
  platform.alarms.watch(detector);

  // The observability stack already has default kubernetes/helm providers when the config keeps
  // `monitoringCluster` on (ClusterProviders ids `Kubernetes`, `Helm`); configure them otherwise.
  const providers = observability.node.tryFindChild('Kubernetes') ? undefined : ClusterProviders.configure(observability, platform.clusterReference);
  const job = new DriftJob(observability, 'SyntheticVsRealJob', {
    detector,
    cluster: platform.clusterReference,
    ...(providers ? { kubernetesProvider: providers.kubernetes } : {}),
    resources: { cpuRequest: '2', cpuLimit: '2', memoryRequest: '16Gi', memoryLimit: '16Gi' },
  });
  return { app, platform, detector, job };
}

if (require.main === module) {
  buildSyntheticDataApp().app.synth();
}
