import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, ClusterNetwork, GpuTrainingCluster, PlatformStack, SecureBucket, TrainingStorage } from '../../src';
import { REFERENCE_CLUSTER_ADMINS, REFERENCE_SETTINGS } from '../../stacks/main';
import type { TfJson } from './synth';

/** A synthesized app: the manifest and every stack's `cdk.tf.json`, by stack name. */
export interface SynthesizedApp {
  readonly outdir: string;
  readonly manifest: { stacks: Record<string, { dependencies: string[]; annotations: unknown[] }> };
  readonly stacks: Readonly<Record<string, TfJson>>;
  /** Removes the output directory. */
  dispose(): void;
}

/**
 * Builds an app into a fresh temp directory (`build(outdir)` must pass `outdir` to its `App`),
 * synthesizes it as `cdktf synth` would, and loads every stack's JSON from disk.
 */
export function synthesizeApp(build: (outdir: string) => App, label = 'app'): SynthesizedApp {
  const outdir = mkdtempSync(join(tmpdir(), `gaiops-${label}-`));
  build(outdir).synth();
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  const names = readdirSync(join(outdir, 'stacks')).sort();
  const stacks = Object.fromEntries(names.map((name) => [name, JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as TfJson]));
  return { outdir, manifest, stacks, dispose: () => rmSync(outdir, { recursive: true, force: true }) };
}

/**
 * A cluster layer with the options the reference deployment leaves off (FSx for Lustre with its
 * data repository associations, CSI driver role, backups and log group), in two stacks: `fsx-dev`
 * (ephemeral) and `fsx-prod` (protected), so checks over whole apps also see what those options create.
 */
export function buildFsxClusterApp(outdir: string): App {
  const app = new App({ outdir });
  for (const [environment, ephemeral] of [['dev', true], ['prod', false]] as const) {
    const stack = new PlatformStack(app, `fsx-${environment}`, { settings: { ...REFERENCE_SETTINGS, environment, ephemeral } });
    const clusterName = `${REFERENCE_SETTINGS.prefix}-${environment}-fsx`;
    const network = new ClusterNetwork(stack, 'Network', { clusterName, natGateways: 'single' });
    const cluster = new GpuTrainingCluster(stack, 'Training', { network, clusterName, adminRoleArns: REFERENCE_CLUSTER_ADMINS });
    const datasets = new SecureBucket(stack, 'Datasets');
    new TrainingStorage(stack, 'Storage', {
      cluster,
      datasets: { bucketName: datasets.bucketName, bucketArn: datasets.bucketArn, keyArn: datasets.encryptionKey.keyArn, prefix: 'offline/' },
      fsx: { enabled: true, storageCapacityGiB: 1200, automaticBackupRetentionDays: 7 },
    });
  }
  return app;
}
