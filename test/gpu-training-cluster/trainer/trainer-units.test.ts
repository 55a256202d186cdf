/**
 * Trainer building blocks: configuration, command environment, the deterministic tar, multipart
 * upload, and the entry point (from source and as the esbuild bundle the container runs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleRuntime } from '../../../src/core/bundling/bundle';
import { gaiopsRoot } from '../../../src/core/bundling/package-root';
import { packArtifacts, uploadArtifact } from '../../../src/gpu-training-cluster/runtime/trainer/artifacts';
import { trainingEnv } from '../../../src/gpu-training-cluster/runtime/trainer/command';
import { nodeRankFromEnv, parseCommand, parseTrainerConfig } from '../../../src/gpu-training-cluster/runtime/trainer/config';
import { EXIT_CODES, TrainerError, failureLine } from '../../../src/gpu-training-cluster/runtime/trainer/errors';
import { type EmbeddedS3, startS3 } from '../../support/embedded-aws';

const ENV = {
  TRAINER_DATASET_BUCKET: 'fs-data',
  TRAINER_DATASET_GROUP: 'customers',
  TRAINER_DATASET_VERSION: 'a'.repeat(64),
  TRAINER_REGISTRY_URL: 'https://abc.execute-api.eu-west-1.amazonaws.com',
  TRAINER_REGISTRY_REGION: 'eu-west-1',
  TRAINER_MODEL_NAME: 'churn',
  TRAINER_ARTIFACT_BUCKET: 'registry-artifacts',
  TRAINER_GIT_COMMIT: '0123456789abcdef0123456789abcdef01234567',
  TRAINER_IMAGE_DIGEST: `sha256:${'b'.repeat(64)}`,
};

const tmp: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'gaiops-trainer-unit-'));
  tmp.push(dir);
  return dir;
};
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

const configError = (env: Record<string, string | undefined>, command = ['python', 'train.py']) => {
  try {
    parseTrainerConfig(env, command);
  } catch (error) {
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).exitCode).toBe(EXIT_CODES.config);
    return (error as TrainerError).message;
  }
  throw new Error('expected a configuration error');
};

describe('configuration', () => {
  it('parses a minimal environment with defaults', () => {
    const config = parseTrainerConfig(ENV, ['python', 'train.py']);
    expect(config).toMatchObject({
      dataset: { bucket: 'fs-data', group: 'customers', version: { kind: 'id', id: 'a'.repeat(64) } },
      registry: { url: ENV.TRAINER_REGISTRY_URL, region: 'eu-west-1', modelName: 'churn', artifactBucket: 'registry-artifacts' },
      params: {},
      workdir: '/tmp/trainer',
      dataDir: '/tmp/trainer/data',
      outputDir: '/tmp/trainer/model',
      metricsFile: '/tmp/trainer/metrics.json',
      command: ['python', 'train.py'],
    });
    expect(config.dataset.versionsTable).toBeUndefined();
    const tagged = parseTrainerConfig({ ...ENV, TRAINER_DATASET_VERSION: 'tag:release-1.2', TRAINER_VERSIONS_TABLE: 'fs-versions', TRAINER_PARAMS: '{"lr":0.1,"Layers":4,"name":"x","flag":false}' }, ['x']);
    expect(tagged.dataset).toMatchObject({ version: { kind: 'tag', tag: 'release-1.2' }, versionsTable: 'fs-versions' });
    expect(tagged.params).toEqual({ lr: 0.1, Layers: 4, name: 'x', flag: false });
    expect(parseTrainerConfig({ ...ENV, TRAINER_DATASET_VERSION: 'current', TRAINER_VERSIONS_TABLE: 't-v' }, ['x']).dataset.version).toEqual({ kind: 'current' });
    // Empty optional variables count as unset.
    expect(parseTrainerConfig({ ...ENV, TRAINER_VERSIONS_TABLE: '', TRAINER_PARAMS: ' ', TRAINER_WORKDIR: '' }, ['x'])).toMatchObject({ params: {}, workdir: '/tmp/trainer' });
  });

  it('names every bad variable in one message', () => {
    const message = configError({ ...ENV, TRAINER_DATASET_BUCKET: undefined, TRAINER_GIT_COMMIT: 'main', TRAINER_IMAGE_DIGEST: 'latest', TRAINER_REGISTRY_URL: 'ftp://x', TRAINER_WORKDIR: 'relative' });
    expect(message).toMatch(/TRAINER_DATASET_BUCKET is required/);
    expect(message).toMatch(/TRAINER_GIT_COMMIT must be a full git commit id/);
    expect(message).toMatch(/TRAINER_IMAGE_DIGEST must be an OCI image digest/);
    expect(message).toMatch(/TRAINER_REGISTRY_URL must be an http\(s\) URL/);
    expect(message).toMatch(/TRAINER_WORKDIR must be an absolute path/);
    expect(configError({ ...ENV, TRAINER_DATASET_VERSION: 'tag:release' })).toMatch(/TRAINER_VERSIONS_TABLE is required to resolve TRAINER_DATASET_VERSION 'tag:release'/);
    expect(configError({ ...ENV, TRAINER_DATASET_VERSION: 'v1' })).toMatch(/TRAINER_DATASET_VERSION must be a dataset version id/);
    expect(configError({ ...ENV, TRAINER_PARAMS: '[1,2]' })).toMatch(/TRAINER_PARAMS must be a JSON object/);
    expect(configError({ ...ENV, TRAINER_PARAMS: '{"lr":' })).toMatch(/TRAINER_PARAMS must be a JSON object/);
    expect(configError({ ...ENV, TRAINER_PARAMS: '{"lr":{"a":1}}' })).toMatch(/TRAINER_PARAMS\.lr must be a string, number or boolean/);
    expect(configError({ ...ENV, TRAINER_PARAMS: '{"lr":1,"LR":2}' })).toMatch(/'LR' and 'lr' both become HP_LR/);
    expect(configError({ ...ENV, TRAINER_PARAMS: '{"learning-rate":1}' })).toMatch(/TRAINER_PARAMS.learning-rate is not a valid hyperparameter name/);
    expect(configError({ ...ENV, TRAINER_WORKDIR: '/w', TRAINER_OUTPUT_DIR: '/w' })).toMatch(/TRAINER_OUTPUT_DIR must not overlap the data directory \/w\/data/);
    expect(configError({ ...ENV, TRAINER_OUTPUT_DIR: '/out', TRAINER_METRICS_FILE: '/out/metrics.json' })).toMatch(/must not be inside TRAINER_OUTPUT_DIR/);
  });

  it('takes the training command after --', () => {
    expect(parseCommand(['--', 'python', '-m', 'train', '--epochs', '3'])).toEqual(['python', '-m', 'train', '--epochs', '3']);
    expect(() => parseCommand(['python', 'train.py'])).toThrow(/the `--` is required/);
    expect(() => parseCommand(['--'])).toThrow(/no training command/);
    expect(() => parseCommand(['-x', '--', 'python'])).toThrow(/unexpected arguments before '--': -x/);
  });

  it('gives the command its hyperparameters and paths', () => {
    const env = trainingEnv({ PATH: '/bin', HP_STALE: '1', DATA_DIR: '/elsewhere' }, { learning_rate: 0.05, Depth: 6, early: true, name: 'x y' }, { dataDir: '/w/data', outputDir: '/w/model', metricsFile: '/w/metrics.json' });
    expect(env).toEqual({
      PATH: '/bin',
      HP_LEARNING_RATE: '0.05',
      HP_DEPTH: '6',
      HP_EARLY: 'true',
      HP_NAME: 'x y',
      TRAINER_PARAMS_JSON: '{"learning_rate":0.05,"Depth":6,"early":true,"name":"x y"}',
      DATA_DIR: '/w/data',
      OUTPUT_DIR: '/w/model',
      METRICS_FILE: '/w/metrics.json',
    });
  });

  it('prints failures as one line', () => {
    expect(failureLine(new TrainerError('dataset', 'file a\nis bad'))).toBe('trainer failed [dataset]: file a is bad');
    expect(failureLine(new Error('boom'))).toBe('trainer failed [unexpected]: boom');
  });
});

describe('packArtifacts', () => {
  const LONG_DIR = `${'layer'.repeat(25)}/${'shard'.repeat(12)}`; // > 100 bytes: ustar prefix
  const VERY_LONG = `${'x'.repeat(120)}/${'y'.repeat(120)}/${'z'.repeat(120)}.bin`; // > 255 bytes: PAX path

  function writeModel(dir: string, order: 'forward' | 'reverse', mtime: number): void {
    const files: [string, string][] = [
      ['model.safetensors', 'weights'.repeat(1000)],
      ['config.json', '{"hidden":64}'],
      ['tokenizer/vocab.txt', 'a\nb\n'],
      ['tokenizer/merges-ü.txt', 'ä ö\n'],
      [`${LONG_DIR}/part-0.bin`, 'long'],
      [VERY_LONG, 'very long'],
      ['empty.txt', ''],
      ['run.sh', '#!/bin/sh\n'],
    ];
    for (const [name, content] of order === 'forward' ? files : [...files].reverse()) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), content);
      utimesSync(join(dir, name), mtime, mtime);
    }
    chmodSync(join(dir, 'run.sh'), order === 'forward' ? 0o755 : 0o700);
    mkdirSync(join(dir, 'checkpoints'), { recursive: true }); // an empty directory is kept
  }

  it('is deterministic whatever the timestamps, creation order and exact modes, and readable by tar', async () => {
    const a = tempDir();
    const b = tempDir();
    writeModel(join(a, 'out'), 'forward', 1_700_000_000);
    writeModel(join(b, 'out'), 'reverse', 1_800_000_000);
    const packedA = await packArtifacts(join(a, 'out'), join(a, 'artifact.tar'));
    const packedB = await packArtifacts(join(b, 'out'), join(b, 'artifact.tar'));
    expect(packedA.digest).toBe(packedB.digest);
    expect(packedA.files).toBe(8);
    const bytes = readFileSync(join(a, 'artifact.tar'));
    expect(bytes.length).toBe(packedA.size);
    expect(bytes.length % 512).toBe(0);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(packedA.digest);

    const listing = execFileSync('tar', ['-tvf', join(a, 'artifact.tar'), '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.every((line) => / 0\/0 /.test(line) && /1970-01-01/.test(line))).toBe(true);
    const names = execFileSync('tar', ['-tf', join(a, 'artifact.tar')], { encoding: 'utf8' }).trim().split('\n');
    expect(names).toContain(VERY_LONG);
    expect(names).toContain(`${LONG_DIR}/part-0.bin`);
    expect(names).toContain('checkpoints/');
    expect(names).toContain('tokenizer/merges-ü.txt');
    expect(listing.find((l) => l.endsWith(' run.sh'))).toMatch(/^-rwxr-xr-x/);
    expect(listing.find((l) => l.endsWith(' config.json'))).toMatch(/^-rw-r--r--/);

    const extracted = tempDir();
    execFileSync('tar', ['-xf', join(a, 'artifact.tar'), '-C', extracted]);
    expect(readFileSync(join(extracted, VERY_LONG), 'utf8')).toBe('very long');
    expect(readFileSync(join(extracted, 'model.safetensors'), 'utf8')).toBe('weights'.repeat(1000));
    expect(readFileSync(join(extracted, 'tokenizer/merges-ü.txt'), 'utf8')).toBe('ä ö\n');
  });

  it('refuses symlinks and an output directory without files', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out', 'sub'), { recursive: true });
    await expect(packArtifacts(join(dir, 'out'), join(dir, 'a.tar'))).rejects.toMatchObject({ stage: 'artifact', message: expect.stringMatching(/wrote no files/) });
    writeFileSync(join(dir, 'out', 'model.bin'), 'x');
    symlinkSync('/etc/passwd', join(dir, 'out', 'sub', 'leak'));
    await expect(packArtifacts(join(dir, 'out'), join(dir, 'a.tar'))).rejects.toMatchObject({ stage: 'artifact', message: expect.stringMatching(/sub\/leak, which is not a regular file/) });
  });
});

describe('uploadArtifact', () => {
  let s3: EmbeddedS3;
  beforeAll(async () => {
    s3 = await startS3();
    await s3.createBucket('registry-artifacts');
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('uploads large archives in parts, content-addressed, and skips an address that already exists', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'out', 'weights.bin'), Buffer.alloc(11 * 1024 * 1024, 7));
    const packed = await packArtifacts(join(dir, 'out'), join(dir, 'artifact.tar'));
    const client = s3.client();
    const first = await uploadArtifact({ s3: client, bucket: 'registry-artifacts', artifact: packed, partSize: 5 * 1024 * 1024 });
    expect(first).toEqual({ key: `artifacts/sha256/${packed.digest}`, uploaded: true });
    const stored = await client.send(new GetObjectCommand({ Bucket: 'registry-artifacts', Key: first.key }));
    const hash = createHash('sha256');
    for await (const chunk of stored.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(hash.digest('hex')).toBe(packed.digest);
    expect(await uploadArtifact({ s3: client, bucket: 'registry-artifacts', artifact: packed })).toEqual({ key: first.key, uploaded: false });
  });
});

describe('main', () => {
  const root = gaiopsRoot();
  const entry = join(root, 'src/gpu-training-cluster/runtime/trainer/main.ts');
  let bundle: ReturnType<typeof bundleRuntime>;
  beforeAll(() => {
    bundle = bundleRuntime({ entry, projectRoot: root, target: 'container', outDir: 'dist/runtimes/trainer/container' });
  });

  it('runs as the esbuild container bundle: bad configuration exits 2 with one stderr line; requiring it starts nothing', () => {
    const map = JSON.parse(Buffer.from(bundle.files.get('index.js.map')!).toString('utf8')) as { sources: string[] };
    expect(map.sources.filter((s) => /node_modules\/(cdktf|constructs|@cdktf)\//.test(s))).toEqual([]);
    const dir = tempDir();
    writeFileSync(join(dir, 'index.js'), bundle.files.get('index.js')!);

    const usage = spawnSync(process.execPath, ['index.js', 'python', 'train.py'], { cwd: dir, env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(usage.status).toBe(EXIT_CODES.config);
    expect(usage.stderr).toMatch(/^trainer failed \[config\]: usage: node index\.js -- <training command>/);

    const bad = spawnSync(process.execPath, ['index.js', '--', 'python', 'train.py'], { cwd: dir, env: { PATH: process.env.PATH, TRAINER_DATASET_GROUP: 'Bad-Group' }, encoding: 'utf8' });
    expect(bad.status).toBe(EXIT_CODES.config);
    const lines = bad.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^trainer failed \[config\]: invalid configuration: TRAINER_DATASET_BUCKET is required; TRAINER_DATASET_GROUP must be a feature group name/);
    expect(bad.stdout).toBe('');

    const required = spawnSync(process.execPath, ['-e', "require('./index.js'); console.log('loaded')"], { cwd: dir, env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(required.status).toBe(0);
    expect(required.stdout.trim()).toBe('loaded');
    expect(required.stderr).toBe('');
  });

  it('reports an unreachable dataset store as a dataset failure (exit 3)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'index.js'), bundle.files.get('index.js')!);
    const run = spawnSync(process.execPath, ['index.js', '--', process.execPath, '-e', '0'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        ...ENV,
        TRAINER_WORKDIR: join(dir, 'work'),
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'example',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        // The AWS SDK warns on Node 20 (this test runner); the container runs Node 22.
        NODE_NO_WARNINGS: '1',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(EXIT_CODES.dataset);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^trainer failed \[dataset\]: could not read the manifest manifests\/customers\/a{64}\.json/);
  });
});

describe('nodeRankFromEnv', () => {
  it('reads torchrun\'s PET_NODE_RANK first, then RANK only alongside WORLD_SIZE, else 0', () => {
    expect(nodeRankFromEnv({})).toBe(0);
    expect(nodeRankFromEnv({ PET_NODE_RANK: '3', RANK: '1', WORLD_SIZE: '4' })).toBe(3);
    expect(nodeRankFromEnv({ RANK: '2', WORLD_SIZE: '4' })).toBe(2);
    // RANK without WORLD_SIZE is not a distributed-job rank (and an indexed Job's index is not one).
    expect(nodeRankFromEnv({ RANK: '2' })).toBe(0);
    expect(nodeRankFromEnv({ JOB_COMPLETION_INDEX: '5' })).toBe(0);
    expect(nodeRankFromEnv({ PET_NODE_RANK: ' ', RANK: '1', WORLD_SIZE: '2' })).toBe(1);
  });

  it('refuses a rank that is not a non-negative integer', () => {
    expect(() => nodeRankFromEnv({ PET_NODE_RANK: '-1' })).toThrow(/PET_NODE_RANK must be a non-negative integer/);
    expect(() => nodeRankFromEnv({ RANK: 'one', WORLD_SIZE: '2' })).toThrow(/RANK must be a non-negative integer/);
  });
});
