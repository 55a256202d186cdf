/**
 * The trainer end to end, in-process: s3rver + dynalite + the real registry app over HTTP, the
 * feature store's real VersionStore for datasets, and a real `node -e` training command.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryApiError } from '../../../src/model-registry/client/registry-client';
import { EXIT_CODES, TrainerError } from '../../../src/gpu-training-cluster/runtime/trainer/errors';
import { runKeyOf } from '../../../src/gpu-training-cluster/runtime/trainer/register';
import { type LeaderTrainerResult, runTrainer } from '../../../src/gpu-training-cluster/runtime/trainer/trainer';
import { ALICE, ARTIFACT_BUCKET, uniqueName } from '../../model-registry/runtime/support/registry-fixture';
import { DATASET_BUCKET, type DatasetVersion, GIT_COMMIT, IMAGE_DIGEST, type TrainerFixture, startTrainerFixture, trainCommand } from './trainer-fixture';

let f: TrainerFixture;
const GROUP = 'customers';
let v1: DatasetVersion;
let v2: DatasetVersion;

beforeAll(async () => {
  f = await startTrainerFixture();
  v1 = await f.commitVersion(GROUP, [
    { date: '2026-01-01', rows: [{ id: 'C1', spend: 10 }, { id: 'C2', spend: 12 }] },
    { date: '2026-01-02', rows: [{ id: 'C3', spend: 7 }] },
  ], 'baseline');
  v2 = await f.commitVersion(GROUP, [{ date: '2026-01-03', rows: [{ id: 'C4', spend: 3 }, { id: 'C5', spend: 4 }, { id: 'C6', spend: 5 }] }]);
});

afterAll(async () => {
  await f?.close();
});

async function versionsOf(model: string) {
  return (await f.client.searchModelVersions({ filter: `name = '${model}'` })).modelVersions;
}

async function expectNothingRegistered(model: string) {
  const error = await f.client.getRegisteredModel(model).catch((e: unknown) => e);
  if (error instanceof RegistryApiError) {
    expect(error.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    return;
  }
  expect(await versionsOf(model)).toEqual([]);
}

/** Runs the trainer expecting the rank-0 (leader) result: trained, uploaded, registered. */
async function runLeader(...args: Parameters<typeof runTrainer>): Promise<LeaderTrainerResult> {
  const result = await runTrainer(...args);
  if (result.role !== 'leader') throw new Error(`expected the leader result, got rank ${result.nodeRank}`);
  return result;
}

const failureOf = async (promise: Promise<unknown>): Promise<TrainerError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrainerError);
  return error as TrainerError;
};

describe('trainer end to end', () => {
  it('trains on a pinned version id, uploads the artifact at its digest and registers a version with complete lineage; a re-run creates nothing new', async () => {
    const model = uniqueName('churn');
    const config = f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v2.versionId, TRAINER_MODEL_NAME: model });
    const deps = f.deps();
    const result = await runLeader(config, deps);

    // The dataset as of v2 = v2's file and its parent v1's two files, all downloaded and verified.
    expect(result.dataset).toMatchObject({ group: GROUP, versionId: v2.versionId, requested: v2.versionId, files: 3 });
    expect(deps.output()).toContain('training on 6 rows from 3 files');
    expect(deps.output()).toContain('lr=0.05');
    const local = [...v1.files, ...v2.files].map((file) => join(config.dataDir, ...file.path.split('/')));
    expect(local.every((p) => existsSync(p))).toBe(true);

    // The artifact is stored content-addressed and hashes to its digest.
    const digest = result.artifact.digest;
    expect(result.artifact).toMatchObject({ key: `artifacts/sha256/${digest}`, uploaded: true });
    const stored = await f.registry.s3Client.send(new GetObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: `artifacts/sha256/${digest}` }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(digest);
    expect(bytes.includes(Buffer.from('tokenizer/vocab.txt'))).toBe(true);

    // One version, with the complete lineage, read back through the registry API.
    expect(result.registration).toMatchObject({ modelName: model, version: '1', status: 'created', source: `sha256:${digest}` });
    const [version] = await versionsOf(model);
    expect(version).toMatchObject({ version: '1', source: `sha256:${digest}`, run_id: runKeyOf(model, digest, { group: GROUP, versionId: v2.versionId }) });
    const lineage = await f.client.getLineage(model, 1);
    expect(lineage).toMatchObject({
      revision: 1,
      dataset_versions: [{ dataset_version_id: v2.versionId, feature_group: GROUP, role: 'training' }],
      code_commit: GIT_COMMIT,
      training_image_digest: IMAGE_DIGEST,
      hyperparameters: { learning_rate: 0.05, max_depth: 6, objective: 'binary:logistic', early_stopping: true },
      evaluation_metrics: { auc: 0.91, rows: 6 },
      fairness_metrics: { gender: { demographic_parity_difference: -0.03, disparate_impact_ratio: 0.93, equalized_odds_difference: 0.04 } },
      artifact_digest: digest,
    });
    expect(await f.client.getDownloadUri(model, 1)).toBe(`s3://${ARTIFACT_BUCKET}/artifacts/sha256/${digest}`);
    // The governance gate's artifact check (digest re-hashed by the registry) passes for this version.
    const governance = await f.client.getGovernanceStatus(model, 1);
    expect(governance.unmet_conditions.map((u) => u.condition)).not.toContain('artifact_digest');
    expect(governance.unmet_conditions.map((u) => u.condition)).not.toContain('evaluation_metrics');

    // Re-run with the same inputs (fresh workdir): same artifact, no upload, no second version, lineage untouched.
    const again = await runLeader(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v2.versionId, TRAINER_MODEL_NAME: model }), f.deps());
    expect(again.artifact).toMatchObject({ digest, uploaded: false });
    expect(again.registration).toMatchObject({ version: '1', status: 'existing' });
    expect((await versionsOf(model)).map((v) => v.version)).toEqual(['1']);
    expect((await f.client.getLineage(model, 1)).revision).toBe(1);
  });

  it('resolves tag:<name> and current through the versions table', async () => {
    const byTag = uniqueName('bytag');
    const tagged = await runLeader(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: 'tag:baseline', TRAINER_MODEL_NAME: byTag }), f.deps());
    expect(tagged.dataset).toMatchObject({ versionId: v1.versionId, requested: 'tag:baseline', files: 2 });
    expect(tagged.metrics.metrics.rows).toBe(3);
    expect((await f.client.getLineage(byTag, 1)).dataset_versions).toEqual([{ dataset_version_id: v1.versionId, feature_group: GROUP, role: 'training' }]);

    const byCurrent = uniqueName('bycurrent');
    const current = await runLeader(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: 'current', TRAINER_MODEL_NAME: byCurrent }), f.deps());
    expect(current.dataset).toMatchObject({ versionId: v2.versionId, requested: 'current', files: 3 });
    expect((await f.client.getLineage(byCurrent, 1)).dataset_versions?.[0].dataset_version_id).toBe(v2.versionId);

    // Unknown tag, group without versions, unknown id: refused before training.
    for (const [group, version, pattern] of [
      [GROUP, 'tag:nope', /no dataset version tagged 'nope'/],
      ['empty_group', 'current', /has no current dataset version/],
      [GROUP, 'e'.repeat(64), /is not in the versions table/],
    ] as const) {
      const model = uniqueName('unresolved');
      const error = await failureOf(runTrainer(f.config({ TRAINER_DATASET_GROUP: group, TRAINER_DATASET_VERSION: version, TRAINER_MODEL_NAME: model }), f.deps()));
      expect(error).toMatchObject({ stage: 'dataset', exitCode: EXIT_CODES.dataset });
      expect(error.message).toMatch(pattern);
      await expectNothingRegistered(model);
    }
  });

  it('reads a version id from its manifest alone when no versions table is configured', async () => {
    const model = uniqueName('notable');
    const result = await runLeader(
      f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_VERSIONS_TABLE: undefined, TRAINER_MODEL_NAME: model }),
      f.deps({ dynamo: undefined }),
    );
    expect(result.dataset).toMatchObject({ versionId: v1.versionId, files: 2 });
    expect(result.registration.status).toBe('created');
  });

  it('refuses to train when a dataset object was tampered with: names the file, deletes the downloads, registers nothing', async () => {
    const group = 'tampered';
    const version = await f.commitVersion(group, [
      { date: '2026-02-01', rows: [{ id: 'A' }] },
      { date: '2026-02-02', rows: [{ id: 'B' }, { id: 'C' }] },
    ]);
    const victim = version.files[1];
    // Same size, different bytes: only the hash can tell.
    const original = JSON.stringify({ id: 'B' });
    await f.registry.s3Client.send(
      new PutObjectCommand({ Bucket: DATASET_BUCKET, Key: victim.path, Body: `${JSON.stringify({ id: 'X' })}\n${JSON.stringify({ id: 'C' })}\n` }),
    );
    expect(original.length).toBe(JSON.stringify({ id: 'X' }).length);
    const model = uniqueName('tamper');
    const config = f.config({ TRAINER_DATASET_GROUP: group, TRAINER_DATASET_VERSION: version.versionId, TRAINER_MODEL_NAME: model });
    const deps = f.deps();
    const error = await failureOf(runTrainer(config, deps));
    expect(error).toMatchObject({ stage: 'dataset', exitCode: EXIT_CODES.dataset });
    expect(error.message).toContain(victim.path);
    expect(error.message).toMatch(/sha256 [0-9a-f]{64}, the manifest says/);
    expect(existsSync(config.dataDir)).toBe(false);
    expect(deps.output()).toBe(''); // the command never ran
    await expectNothingRegistered(model);

    // A size change is refused before the body is read.
    await f.registry.s3Client.send(new PutObjectCommand({ Bucket: DATASET_BUCKET, Key: victim.path, Body: 'short\n' }));
    const sized = await failureOf(runTrainer(f.config({ TRAINER_DATASET_GROUP: group, TRAINER_DATASET_VERSION: version.versionId, TRAINER_MODEL_NAME: model }), f.deps()));
    expect(sized.message).toMatch(new RegExp(`${victim.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has size 6, the manifest says`));

    // A manifest edited to match the tampered file no longer hashes to its version id.
    const key = `manifests/${group}/${version.versionId}.json`;
    const manifest = JSON.parse(Buffer.from(await (await f.registry.s3Client.send(new GetObjectCommand({ Bucket: DATASET_BUCKET, Key: key }))).Body!.transformToByteArray()).toString('utf8'));
    manifest.content.files[1].sha256 = createHash('sha256').update('short\n').digest('hex');
    manifest.content.files[1].size = 6;
    await f.registry.s3Client.send(new PutObjectCommand({ Bucket: DATASET_BUCKET, Key: key, Body: JSON.stringify(manifest) }));
    const forged = await failureOf(runTrainer(f.config({ TRAINER_DATASET_GROUP: group, TRAINER_DATASET_VERSION: version.versionId, TRAINER_MODEL_NAME: model }), f.deps()));
    expect(forged.message).toMatch(/does not match its version id/);
    await expectNothingRegistered(model);
  });

  it('a worker rank of a distributed job verifies the data and trains, but uploads and registers nothing (rank 0 does)', async () => {
    const model = uniqueName('distributed');
    for (const env of [{ PET_NODE_RANK: '1' }, { RANK: '2', WORLD_SIZE: '3' }]) {
      const config = f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model, ...env });
      const deps = f.deps();
      const result = await runTrainer(config, deps);
      expect(result).toMatchObject({ role: 'worker', nodeRank: Number(env.PET_NODE_RANK ?? env.RANK), dataset: { versionId: v1.versionId, files: 2 } });
      expect(deps.output()).toContain('training on 3 rows from 2 files');
      expect(deps.logs).not.toContain('model artifact packed');
    }
    await expectNothingRegistered(model);

    // Rank 0 of the same job registers the one version.
    const leader = await runLeader(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model, RANK: '0', WORLD_SIZE: '3' }), f.deps());
    expect(leader.registration.version).toBe('1');
    expect(await versionsOf(model)).toHaveLength(1);
  });

  it('a failing training command exits non-zero and registers and uploads nothing', async () => {
    const model = uniqueName('failing');
    const deps = f.deps();
    const error = await failureOf(
      runTrainer(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model }, trainCommand('fail')), deps),
    );
    expect(error).toMatchObject({ stage: 'train', exitCode: EXIT_CODES.train });
    expect(error.message).toMatch(/exited with code 3; nothing was registered/);
    expect(deps.output()).toContain('diverged');
    expect(deps.logs).not.toContain('model artifact packed');
    await expectNothingRegistered(model);

    const missing = await failureOf(
      runTrainer(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model }, ['/nonexistent/train-binary']), f.deps()),
    );
    expect(missing).toMatchObject({ stage: 'train' });
    expect(missing.message).toMatch(/could not start the training command '\/nonexistent\/train-binary'/);
  });

  it('an invalid or missing metrics file exits non-zero and registers nothing', async () => {
    const model = uniqueName('badmetrics');
    const bad = await failureOf(
      runTrainer(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model }, trainCommand('bad-metrics')), f.deps()),
    );
    expect(bad).toMatchObject({ stage: 'metrics', exitCode: EXIT_CODES.metrics });
    expect(bad.message).toMatch(/metrics\.auc/);
    expect(bad.message).toMatch(/fairness\.gender\.demographic_parity_difference must be between -1 and 1/);
    expect(bad.message).toMatch(/fairness\.gender\.disparate_impact_ratio is required/);
    await expectNothingRegistered(model);

    const none = await failureOf(
      runTrainer(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model }, trainCommand('no-metrics')), f.deps()),
    );
    expect(none).toMatchObject({ stage: 'metrics' });
    expect(none.message).toMatch(/wrote no metrics file/);
    await expectNothingRegistered(model);
  });

  it('forwards SIGTERM to the training command, which then fails the run', async () => {
    const { EventEmitter } = await import('node:events');
    const signals = new EventEmitter();
    const model = uniqueName('sigterm');
    const deps = f.deps({ signals: signals as never });
    const running = runTrainer(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model }, trainCommand('wait')), deps);
    const started = Date.now();
    while (!deps.output().includes('waiting')) {
      if (Date.now() - started > 10_000) throw new Error('the command did not start');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    signals.emit('SIGTERM');
    const error = await failureOf(running);
    expect(error).toMatchObject({ stage: 'train' });
    expect(error.message).toMatch(/exited with code 143 after the trainer forwarded SIGTERM/);
    expect(deps.output()).toContain('got SIGTERM');
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    await expectNothingRegistered(model);
  });

  it('recovers from a lost createModelVersion response through the run key (one version, complete lineage)', async () => {
    const model = uniqueName('lost');
    const lossy = new Proxy(f.client, {
      get(target, prop, receiver) {
        if (prop === 'createModelVersion') {
          return async (...args: Parameters<typeof target.createModelVersion>) => {
            await target.createModelVersion(...args); // applied by the registry…
            throw new RegistryApiError('NETWORK_ERROR', 'the request failed: ECONNRESET', 0); // …but the answer is lost
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const result = await runLeader(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model }), f.deps({ registry: lossy }));
    expect(result.registration).toMatchObject({ version: '1', status: 'created' });
    expect((await versionsOf(model)).map((v) => v.version)).toEqual(['1']);
    expect((await f.client.getLineage(model, 1)).artifact_digest).toBe(result.artifact.digest);
  });

  it('completes a half-registered version of the same run instead of creating a second one', async () => {
    const model = uniqueName('half');
    const config = f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model });
    // First run: lineage writes fail at the registry (503 for every attempt) → the version is withdrawn again,
    // with grantRegister's rights only: the admin-only MLflow delete is refused as in AWS (and must not be used).
    const adminOnly: string[] = [];
    const failing = new Proxy(f.client, {
      get(target, prop, receiver) {
        if (prop === 'setLineage') return async () => Promise.reject(new RegistryApiError('TEMPORARILY_UNAVAILABLE', 'lineage store down', 503));
        if (prop === 'request') {
          return async (method: string, path: string, ...rest: unknown[]) => {
            if (path === '/api/2.0/mlflow/model-versions/delete') {
              adminOnly.push(`${method} ${path}`);
              throw new RegistryApiError('PERMISSION_DENIED', 'User is not authorized to access this resource with an explicit deny', 403);
            }
            return (target.request as Function).call(target, method, path, ...rest);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const error = await failureOf(runTrainer(config, f.deps({ registry: failing })));
    expect(error).toMatchObject({ stage: 'register', exitCode: EXIT_CODES.register });
    expect(error.message).toMatch(/version 1 could not be set \(lineage store down\); the version was withdrawn again, nothing is registered/);
    expect(adminOnly).toEqual([]);
    expect(await versionsOf(model)).toEqual([]);
    const withdrawn = (await f.client.listAudit(model, { maxResults: 100 })).entries.filter((e) => e.action === 'model-versions/withdraw');
    expect(withdrawn).toEqual([expect.objectContaining({ principal: ALICE, version: '1', after: null })]);
    const runId = (withdrawn[0].before as { run_id: string }).run_id;
    expect(runId).toMatch(/^trainer-[0-9a-f]{64}$/);
    expect(withdrawn[0].reason).toBe(`gaiops trainer: the lineage could not be set (run_id ${runId}): lineage store down`);

    // Lineage and withdraw both fail: the version is left without lineage, reported as incomplete (exit 8)…
    const stuck = new Proxy(f.client, {
      get(target, prop, receiver) {
        if (prop === 'setLineage') return async () => Promise.reject(new RegistryApiError('TEMPORARILY_UNAVAILABLE', 'lineage store down', 503));
        if (prop === 'withdrawModelVersion') return async () => Promise.reject(new RegistryApiError('NETWORK_ERROR', 'connection reset', 0));
        return Reflect.get(target, prop, receiver);
      },
    });
    const incomplete = await failureOf(runTrainer(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model }), f.deps({ registry: stuck })));
    expect(incomplete).toMatchObject({ stage: 'register-incomplete', exitCode: EXIT_CODES.registerIncomplete });
    expect(incomplete.message).toMatch(/version 2 was created but its lineage could not be set .* could not be withdrawn \(connection reset\).* re-run the trainer with the same inputs/);
    expect((await versionsOf(model)).map((v) => v.version)).toEqual(['2']);

    // …and the re-run completes exactly that version.
    const repaired = await runLeader(f.config({ TRAINER_DATASET_GROUP: GROUP, TRAINER_DATASET_VERSION: v1.versionId, TRAINER_MODEL_NAME: model }), f.deps());
    expect(repaired.registration).toMatchObject({ version: '2', status: 'completed' });
    expect(await f.client.getLineage(model, 2)).toMatchObject({ artifact_digest: repaired.artifact.digest, code_commit: GIT_COMMIT, evaluation_metrics: { auc: 0.91, rows: 3 } });
    expect((await versionsOf(model)).map((v) => v.version)).toEqual(['2']);
  });
});
