/**
 * End-to-end environment for the trainer: the real model registry app served over HTTP (dynalite
 * behind the transaction proxy, s3rver, EventBridge fake), a feature-store bucket on the same
 * s3rver, a versions table on its own dynalite, dataset versions committed with the feature
 * store's real `VersionStore`, and a small real training script run with `node -e`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { versionsTableDefinition } from '../../../src/feature-store/runtime/table-definitions';
import { sha256Hex } from '../../../src/feature-store/runtime/canonical';
import type { OutputFile } from '../../../src/feature-store/runtime/outputs';
import { VersionStore } from '../../../src/feature-store/runtime/versions';
import { RegistryClient } from '../../../src/model-registry/client/registry-client';
import { parseTrainerConfig, type TrainerConfig } from '../../../src/gpu-training-cluster/runtime/trainer/config';
import type { TrainerDeps, TrainerLogger } from '../../../src/gpu-training-cluster/runtime/trainer/trainer';
import { ALICE, ARTIFACT_BUCKET, type RegistryFixture, startRegistry } from '../../model-registry/runtime/support/registry-fixture';
import { type EmbeddedDynamo, startDynamo } from '../../support/embedded-aws';

export const DATASET_BUCKET = 'feature-store-data';
export const VERSIONS_TABLE = 'feature-versions';
export const GIT_COMMIT = 'c0ffee'.padEnd(40, '0');
export const IMAGE_DIGEST = `sha256:${'d'.repeat(64)}`;

/**
 * The training command: reads every file under DATA_DIR (counting JSON lines), writes a model
 * (depending only on the data and hyperparameters, so re-runs give identical bytes) and metrics.
 * `argv[1]` selects a failure mode: `fail` (exit 3), `bad-metrics`, `no-metrics`, `wait` (until SIGTERM).
 */
export const TRAIN_SCRIPT = `
const fs = require('fs'), path = require('path');
const mode = process.argv[1] || 'ok';
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
const files = walk(process.env.DATA_DIR).map((f) => path.relative(process.env.DATA_DIR, f)).sort();
const rows = files.reduce((n, f) => n + fs.readFileSync(path.join(process.env.DATA_DIR, f), 'utf8').split('\\n').filter(Boolean).length, 0);
console.log('training on ' + rows + ' rows from ' + files.length + ' files');
console.error('lr=' + process.env.HP_LEARNING_RATE);
if (mode === 'fail') { console.error('diverged'); process.exit(3); }
if (mode === 'wait') { process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(143); }); setInterval(() => {}, 1000); console.log('waiting'); } else train();
function train() {
fs.mkdirSync(path.join(process.env.OUTPUT_DIR, 'tokenizer'), { recursive: true });
fs.writeFileSync(path.join(process.env.OUTPUT_DIR, 'model.json'), JSON.stringify({ rows, files, params: JSON.parse(process.env.TRAINER_PARAMS_JSON), depth: process.env.HP_MAX_DEPTH }));
fs.writeFileSync(path.join(process.env.OUTPUT_DIR, 'tokenizer', 'vocab.txt'), 'a\\nb\\nc\\n');
if (mode === 'no-metrics') return;
const metrics = mode === 'bad-metrics'
  ? { metrics: { auc: 'high' }, fairness: { gender: { demographic_parity_difference: 3 } } }
  : { metrics: { auc: 0.91, rows }, fairness: { gender: { demographic_parity_difference: -0.03, disparate_impact_ratio: 0.93, equalized_odds_difference: 0.04 } } };
fs.writeFileSync(process.env.METRICS_FILE, JSON.stringify(metrics));
}
`;

export const trainCommand = (mode = 'ok') => [process.execPath, '-e', TRAIN_SCRIPT, mode];

export interface DatasetVersion {
  readonly versionId: string;
  readonly files: readonly OutputFile[];
}

export interface TrainerFixture {
  readonly registry: RegistryFixture;
  readonly versionsDynamo: EmbeddedDynamo;
  readonly doc: DynamoDBDocumentClient;
  readonly store: VersionStore;
  readonly client: RegistryClient;
  /** Commits a dataset version of `group` with one offline file per entry (rows of JSON Lines). */
  commitVersion(group: string, files: readonly { readonly date: string; readonly rows: readonly object[] }[], tag?: string): Promise<DatasetVersion>;
  /** A validated config (own temp workdir) for `env` overrides and a command. */
  config(env: Record<string, string | undefined>, command?: readonly string[]): TrainerConfig;
  /** Deps with captured command output. */
  deps(overrides?: Partial<TrainerDeps>): TrainerDeps & { readonly output: () => string; readonly logs: string[] };
  close(): Promise<void>;
}

export async function startTrainerFixture(): Promise<TrainerFixture> {
  const [registry, versionsDynamo] = await Promise.all([startRegistry(), startDynamo()]);
  await Promise.all([
    registry.s3.createBucket(DATASET_BUCKET),
    versionsDynamo.createTable(versionsTableDefinition(VERSIONS_TABLE)),
  ]);
  const doc = DynamoDBDocumentClient.from(versionsDynamo.client());
  const s3 = registry.s3Client;
  const store = new VersionStore({ doc, table: VERSIONS_TABLE, s3, bucket: DATASET_BUCKET, now: () => new Date() });
  const client = new RegistryClient({
    baseUrl: registry.server.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTRAINER', secretAccessKey: 'trainer-secret' },
    headers: { 'x-gaiops-principal': ALICE },
    baseDelayMs: 5,
    maxDelayMs: 20,
  });
  const workdirs: string[] = [];
  let counter = 0;

  return {
    registry,
    versionsDynamo,
    doc,
    store,
    client,
    async commitVersion(group, files, tag) {
      const stem = sha256Hex(`${group}-${counter++}-${Date.now()}`).slice(0, 32);
      const outputs: OutputFile[] = [];
      for (const [i, file] of files.entries()) {
        const body = Buffer.from(file.rows.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
        const path = `offline/${group}/date=${file.date}/${stem}-${String(i).padStart(5, '0')}.jsonl`;
        await s3.send(new PutObjectCommand({ Bucket: DATASET_BUCKET, Key: path, Body: body }));
        outputs.push({ path, kind: 'offline', date: file.date, sha256: sha256Hex(body), size: body.length, rows: file.rows.length });
      }
      outputs.sort((a, b) => (a.path < b.path ? -1 : 1));
      const rows = outputs.reduce((n, f) => n + f.rows, 0);
      const committed = await store.commit({
        group,
        ingestId: sha256Hex(stem),
        creator: 'trainer-test',
        sourceKey: `raw/${group}/${stem}.jsonl`,
        sourceEtag: null,
        content: (parentVersion) => ({
          formatVersion: 1,
          group,
          schemaHash: sha256Hex(`schema-${group}`),
          ingestId: sha256Hex(stem),
          parentVersion,
          source: { kind: 's3', sha256: sha256Hex(stem), size: 1, format: 'jsonl', compression: 'none' },
          counts: { input: rows, valid: rows, rejected: 0, duplicates: 0, duplicatesExact: 0, duplicatesEntityEventTime: 0 },
          files: outputs,
          stats: {},
          bias: {},
          ignoredColumns: [],
        }),
      });
      if (tag) await store.tag(group, committed.version.versionId, tag, 'trainer-test');
      return { versionId: committed.version.versionId, files: outputs };
    },
    config(env, command = trainCommand()) {
      const workdir = mkdtempSync(join(tmpdir(), 'gaiops-trainer-'));
      workdirs.push(workdir);
      return parseTrainerConfig(
        {
          TRAINER_DATASET_BUCKET: DATASET_BUCKET,
          TRAINER_VERSIONS_TABLE: VERSIONS_TABLE,
          TRAINER_REGISTRY_URL: registry.server.url,
          TRAINER_REGISTRY_REGION: 'eu-west-1',
          TRAINER_ARTIFACT_BUCKET: ARTIFACT_BUCKET,
          TRAINER_GIT_COMMIT: GIT_COMMIT,
          TRAINER_IMAGE_DIGEST: IMAGE_DIGEST,
          TRAINER_PARAMS: JSON.stringify({ learning_rate: 0.05, max_depth: 6, objective: 'binary:logistic', early_stopping: true }),
          TRAINER_WORKDIR: workdir,
          ...env,
        },
        command,
      );
    },
    deps(overrides = {}) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const logs: string[] = [];
      const logger: TrainerLogger = {
        info: (message) => logs.push(message),
        warn: (message) => logs.push(`WARN ${message}`),
      };
      return {
        s3,
        dynamo: doc,
        registry: client,
        logger,
        stdout: out,
        stderr: out,
        env: { PATH: process.env.PATH },
        registerOptions: { sleep: async () => undefined },
        ...overrides,
        output: () => Buffer.concat(chunks).toString('utf8'),
        logs,
      };
    },
    async close() {
      for (const dir of workdirs) rmSync(dir, { recursive: true, force: true });
      await Promise.all([registry.close(), versionsDynamo.close()]);
    },
  };
}
