import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { App, PlatformStack } from '../../src';
import { GaiConfigError } from '../../src/core/errors';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { register } from '../../src/gpu-training-cluster/runtime/trainer/register';
import {
  expandTrials,
  HyperparameterSweep,
  pickBestTrial,
  renderSweepObjects,
  renderTrialJobs,
  SWEEP_LABEL,
  TRAINJOB_PATCH_MANAGER,
  TRIAL_LABEL,
  type SweepObject,
  type SweepSpec,
} from '../../src/gpu-training-cluster/sweep';
import { RegistryClient } from '../../src/model-registry/client/registry-client';
import { ALICE, type RegistryFixture, startRegistry, uniqueName } from '../model-registry/runtime/support/registry-fixture';
import { only, platformStack, SETTINGS, synth } from '../support/synth';
import { TEST_CLUSTER } from '../support/cluster-reference';

const DIGEST = `sha256:${'e'.repeat(64)}`;
const DATASET_VERSION = 'a'.repeat(64);

const BASE: SweepSpec = {
  sweepId: 'churn-lr',
  parameters: {
    learning_rate: { type: 'float', min: 0.001, max: 0.1, scale: 'log', gridPoints: 3 },
    max_depth: { type: 'int', min: 4, max: 8, step: 2 },
    booster: { type: 'categorical', values: ['gbtree', 'dart'] },
  },
  fixedParams: { epochs: 20 },
  strategy: 'grid',
  maxTrials: 18,
  parallelism: 4,
  objective: { metric: 'auc', goal: 'maximize' },
  image: `111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn-training@${DIGEST}`,
  command: ['python', '-m', 'churn.train'],
  gitCommit: 'c'.repeat(40),
  gpusPerReplica: 2,
  namespace: 'team-risk',
  serviceAccountName: 'trainer',
  nodePool: 'gpu-train',
  dataset: { bucket: 'gai-prod-feature-store', group: 'customers', version: DATASET_VERSION },
  registry: { url: 'https://abc123.execute-api.eu-west-1.amazonaws.com', region: 'eu-west-1', artifactBucket: 'gai-prod-model-registry-artifacts' },
  modelName: 'churn',
};

function configError(fn: () => unknown): GaiConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GaiConfigError);
    return error as GaiConfigError;
  }
  throw new Error('expected a GaiConfigError');
}

describe('expandTrials', () => {
  it('grid: the exact cartesian product, declaration order, last parameter fastest, fixed params added', () => {
    const trials = expandTrials(BASE);
    expect(trials).toHaveLength(18);
    expect(trials.map((t) => t.id)).toEqual(Array.from({ length: 18 }, (_, i) => `churn-lr-t${String(i).padStart(3, '0')}`));
    const lrs = [0.001, 0.01, 0.1];
    const expected = lrs.flatMap((learning_rate) => [4, 6, 8].flatMap((max_depth) => ['gbtree', 'dart'].map((booster) => ({ epochs: 20, learning_rate, max_depth, booster }))));
    expect(trials.map((t) => t.params)).toEqual(expected);
    expect(trials.map((t) => t.index)).toEqual([...Array(18).keys()]);
  });

  it('grid: linear floats are evenly spaced with exact ends', () => {
    const trials = expandTrials({ ...BASE, parameters: { dropout: { type: 'float', min: 0.1, max: 0.5, gridPoints: 5 } }, maxTrials: 5 });
    expect(trials.map((t) => t.params.dropout)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  it('grid: a product larger than maxTrials is an error naming maxTrials (never truncated)', () => {
    const e = configError(() => expandTrials({ ...BASE, maxTrials: 17 }));
    expect(e.problems).toEqual([expect.objectContaining({ fieldPath: 'maxTrials', message: expect.stringContaining('18 combinations (learning_rate: 3 × max_depth: 3 × booster: 2)') })]);
  });

  it('grid and random: huge int spaces are sized arithmetically, never enumerated', () => {
    const huge = { ...BASE, parameters: { seed_offset: { type: 'int' as const, min: -1e12, max: 1e12 } } };
    expect(configError(() => expandTrials({ ...huge, maxTrials: 500 })).message).toContain('the grid has 2000000000001 combinations');
    const trials = expandTrials({ ...huge, strategy: 'random', seed: 7, maxTrials: 3 });
    expect(trials).toHaveLength(3);
    for (const t of trials) expect(Number.isInteger(t.params.seed_offset)).toBe(true);
  });

  it('random: same seed gives the same trials, another seed other trials; maxTrials respected; trials distinct', () => {
    const spec: SweepSpec = { ...BASE, strategy: 'random', seed: 42, maxTrials: 12 };
    const a = expandTrials(spec);
    expect(a).toHaveLength(12);
    expect(expandTrials(spec)).toEqual(a);
    expect(expandTrials({ ...spec, seed: 43 })).not.toEqual(a);
    expect(new Set(a.map((t) => JSON.stringify(t.params))).size).toBe(12);
  });

  it('random: a finite space smaller than maxTrials is an error', () => {
    const e = configError(() => expandTrials({ ...BASE, strategy: 'random', parameters: { max_depth: { type: 'int', min: 1, max: 3 } }, maxTrials: 4 }));
    expect(e.problems[0]).toMatchObject({ fieldPath: 'maxTrials' });
    expect(e.message).toContain('only 3 distinct combinations');
  });

  it('random (property): every sampled value lies in its space, the count is maxTrials, and the result depends only on the seed', () => {
    const space = fc.oneof(
      // at least 10 values, so 10 distinct trials always exist; max need not be on the step grid
      fc
        .record({ min: fc.integer({ min: -1000, max: 1000 }), count: fc.integer({ min: 10, max: 500 }), step: fc.integer({ min: 1, max: 7 }), extra: fc.integer({ min: 0, max: 6 }) })
        .map((s) => ({ type: 'int' as const, min: s.min, max: s.min + s.step * (s.count - 1) + (s.extra % s.step), step: s.step })),
      fc
        .record({ min: fc.double({ min: -1e6, max: 1e6, noNaN: true }), span: fc.double({ min: 1e-3, max: 1e6, noNaN: true }) })
        .map((s) => ({ type: 'float' as const, min: s.min, max: s.min + s.span, scale: 'linear' as const })),
      fc
        .record({ min: fc.double({ min: 1e-8, max: 10, noNaN: true }), factor: fc.double({ min: 1.5, max: 1e6, noNaN: true }) })
        .map((s) => ({ type: 'float' as const, min: s.min, max: s.min * s.factor, scale: 'log' as const })),
      fc.uniqueArray(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()), { minLength: 10, maxLength: 20, selector: (v) => JSON.stringify(v) }).map((values) => ({ type: 'categorical' as const, values })),
    );
    fc.assert(
      fc.property(fc.array(space, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 10 }), (spaces, seed, maxTrials) => {
        const parameters = Object.fromEntries(spaces.map((s, i) => [`p${i}`, s]));
        const spec: SweepSpec = { ...BASE, parameters, fixedParams: {}, strategy: 'random', seed, maxTrials };
        const trials = expandTrials(spec);
        expect(trials).toHaveLength(maxTrials);
        expect(expandTrials(spec)).toEqual(trials);
        for (const t of trials) {
          spaces.forEach((s, i) => {
            const v = t.params[`p${i}`];
            if (s.type === 'categorical') expect(s.values).toContainEqual(v);
            else {
              expect(typeof v).toBe('number');
              expect(v as number).toBeGreaterThanOrEqual(s.min);
              expect(v as number).toBeLessThanOrEqual(s.max);
              if (s.type === 'int') expect(((v as number) - s.min) % s.step).toBe(0);
            }
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('random: log-scale samples are spread uniformly over the decades', () => {
    const trials = expandTrials({ ...BASE, strategy: 'random', parameters: { lr: { type: 'float', min: 1e-6, max: 1, scale: 'log' } }, maxTrials: 500 });
    const decades = [0, 0, 0, 0, 0, 0];
    for (const t of trials) decades[Math.min(5, Math.floor(-Math.log10(t.params.lr as number)))]++;
    // 500 samples over 6 decades: about 83 each; linear sampling would put ~450 in the top decade.
    for (const n of decades) expect(n).toBeGreaterThan(50);
  });

  it('bad specs: one GaiConfigError naming every field', () => {
    const e = configError(() =>
      expandTrials({
        ...BASE,
        parameters: {
          a: { type: 'int', min: 5, max: 1 },
          b: { type: 'float', min: 0, max: 1, scale: 'log' },
          c: { type: 'categorical', values: [] },
        },
        maxTrials: 0,
        image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn-training:latest',
      }),
    );
    const fields = e.problems.map((p) => p.fieldPath).sort();
    expect(fields).toEqual(['imageDigest', 'image', 'maxTrials', 'parameters.a.min', 'parameters.b.min', 'parameters.c.values'].sort());
    expect(e.message).toContain('parameters.b.min: must be greater than 0 with the log scale');
    expect(e.message).toContain('image: must not use the latest tag');
    expect(e.problems.every((p) => p.constructPath === 'HyperparameterSweep')).toBe(true);
  });

  it('bad specs: an empty space, an untagged image, reserved and clashing names', () => {
    expect(configError(() => expandTrials({ ...BASE, parameters: {} })).problems).toEqual([expect.objectContaining({ fieldPath: 'parameters', message: 'must define at least one parameter' })]);
    expect(configError(() => expandTrials({ ...BASE, image: 'registry.example.com/team/trainer' })).message).toContain('image: must pin an exact tag or a digest');
    const e = configError(() => expandTrials({ ...BASE, parameters: { gaiops_sweep: { type: 'int', min: 1, max: 2 }, lr: { type: 'int', min: 1, max: 2 }, LR: { type: 'int', min: 1, max: 2 } }, fixedParams: { lr: 1 } }));
    expect(e.problems.map((p) => p.fieldPath).sort()).toEqual(['fixedParams.lr', 'parameters.LR', 'parameters.gaiops_sweep']);
  });
});

describe('renderTrialJobs', () => {
  it('batch/v1 Jobs: one per trial with labels, TRAINER_* env, GPU resources, hardened pod, toleration, nodeSelector', () => {
    const objects = renderTrialJobs(BASE);
    expect(objects).toHaveLength(18);
    const trials = expandTrials(BASE);
    const job = objects[5] as any;
    const labels = { 'app.kubernetes.io/managed-by': 'gaiops', [SWEEP_LABEL]: 'churn-lr', [TRIAL_LABEL]: 'churn-lr-t005' };
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.metadata).toEqual({ name: 'churn-lr-t005', namespace: 'team-risk', labels });
    expect(job.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 2, activeDeadlineSeconds: 86400, ttlSecondsAfterFinished: 604800 });
    expect(job.spec.podFailurePolicy.rules[0]).toEqual({ action: 'FailJob', onExitCodes: { containerName: 'trainer', operator: 'In', values: [2, 3, 5] } });
    const pod = job.spec.template;
    expect(pod.metadata.labels).toEqual(labels);
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Never',
      serviceAccountName: 'trainer',
      automountServiceAccountToken: false,
      priorityClassName: 'gaiops-sweep-team-risk-churn-lr',
      nodeSelector: { 'gaiops.io/node-pool': 'gpu-train' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [
        { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'workdir', emptyDir: { sizeLimit: '200Gi' } },
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } },
      ],
    });
    expect(pod.spec.containers).toHaveLength(1);
    const c = pod.spec.containers[0];
    expect(c.name).toBe('trainer');
    expect(c.image).toBe(BASE.image);
    expect(c.args).toEqual(['--', 'python', '-m', 'churn.train']);
    expect(c.resources).toEqual({ requests: { cpu: '4', memory: '32Gi', 'nvidia.com/gpu': '2' }, limits: { cpu: '4', memory: '32Gi', 'nvidia.com/gpu': '2' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'workdir', mountPath: '/tmp/trainer' },
      { name: 'shm', mountPath: '/dev/shm' },
    ]);
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toEqual({
      TRAINER_DATASET_BUCKET: 'gai-prod-feature-store',
      TRAINER_DATASET_GROUP: 'customers',
      TRAINER_DATASET_VERSION: DATASET_VERSION,
      TRAINER_REGISTRY_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      TRAINER_REGISTRY_REGION: 'eu-west-1',
      TRAINER_MODEL_NAME: 'churn',
      TRAINER_ARTIFACT_BUCKET: 'gai-prod-model-registry-artifacts',
      TRAINER_GIT_COMMIT: 'c'.repeat(40),
      TRAINER_IMAGE_DIGEST: DIGEST,
      TRAINER_PARAMS: JSON.stringify({ ...trials[5].params, gaiops_sweep: 'churn-lr', gaiops_trial: 'churn-lr-t005' }),
      TRAINER_WORKDIR: '/tmp/trainer',
    });
    expect(JSON.parse(env.TRAINER_PARAMS)).toEqual({ epochs: 20, learning_rate: 0.001, max_depth: 8, booster: 'dart', gaiops_sweep: 'churn-lr', gaiops_trial: 'churn-lr-t005' });
  });

  it('Jobs: a tag-only image takes imageDigest, a tag: dataset version needs the versions table', () => {
    const image = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn-training:2026.11.1';
    const e = configError(() => renderTrialJobs({ ...BASE, image, dataset: { ...BASE.dataset, version: 'tag:q4' } }));
    expect(e.problems.map((p) => p.fieldPath).sort()).toEqual(['dataset.versionsTable', 'imageDigest']);
    const job = renderTrialJobs({ ...BASE, image, imageDigest: DIGEST, dataset: { ...BASE.dataset, version: 'tag:q4', versionsTable: 'gai-prod-feature-versions' }, automountServiceAccountToken: true })[0] as any;
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((x: { name: string; value: string }) => [x.name, x.value]));
    expect(env).toMatchObject({ TRAINER_IMAGE_DIGEST: DIGEST, TRAINER_DATASET_VERSION: 'tag:q4', TRAINER_VERSIONS_TABLE: 'gai-prod-feature-versions' });
    expect(job.spec.template.spec.containers[0].image).toBe(image);
    expect(job.spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  it('parallelism of Jobs: a PriorityClass and a ResourceQuota scoped to it capping the sweep GPUs', () => {
    const objects = renderSweepObjects(BASE) as any[];
    expect(objects).toHaveLength(20);
    expect(objects[0]).toEqual({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'gaiops-sweep-team-risk-churn-lr', labels: { 'app.kubernetes.io/managed-by': 'gaiops', [SWEEP_LABEL]: 'churn-lr' } },
      value: 0,
      globalDefault: false,
      preemptionPolicy: 'Never',
      description: expect.any(String),
    });
    expect(objects[1]).toMatchObject({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'churn-lr-parallelism', namespace: 'team-risk' },
      spec: { hard: { 'requests.nvidia.com/gpu': '8' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['gaiops-sweep-team-risk-churn-lr'] }] } },
    });
    expect(objects.slice(2).every((o) => o.kind === 'Job' && o.spec.template.spec.priorityClassName === objects[0].metadata.name)).toBe(true);
  });

  it('PyTorchJob: master + workers, nprocPerNode, runPolicy, container pytorch, same hardening', () => {
    const spec: SweepSpec = { ...BASE, parallelism: 18, job: { kind: 'PyTorchJob', workers: 3, nprocPerNode: 2 } };
    const objects = renderSweepObjects(spec) as any[];
    expect(objects).toHaveLength(18);
    const job = objects[0];
    expect(job.apiVersion).toBe('kubeflow.org/v1');
    expect(job.kind).toBe('PyTorchJob');
    expect(job.metadata).toMatchObject({ name: 'churn-lr-t000', namespace: 'team-risk', labels: { [SWEEP_LABEL]: 'churn-lr', [TRIAL_LABEL]: 'churn-lr-t000' } });
    expect(job.spec.runPolicy).toEqual({ backoffLimit: 2, activeDeadlineSeconds: 86400, ttlSecondsAfterFinished: 604800, cleanPodPolicy: 'None' });
    expect(job.spec.nprocPerNode).toBe('2');
    expect(Object.keys(job.spec.pytorchReplicaSpecs)).toEqual(['Master', 'Worker']);
    expect(job.spec.pytorchReplicaSpecs.Master.replicas).toBe(1);
    expect(job.spec.pytorchReplicaSpecs.Worker.replicas).toBe(3);
    for (const r of Object.values(job.spec.pytorchReplicaSpecs) as any[]) {
      expect(r.restartPolicy).toBe('OnFailure');
      const pod = r.template.spec;
      expect(pod.restartPolicy).toBe('OnFailure');
      expect(pod.priorityClassName).toBeUndefined();
      expect(pod.containers[0].name).toBe('pytorch');
      expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBe('2');
      expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
      expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
      expect(pod.nodeSelector).toEqual({ 'gaiops.io/node-pool': 'gpu-train' });
      expect(r.template.metadata.labels[TRIAL_LABEL]).toBe('churn-lr-t000');
    }
    const noWorkers = renderTrialJobs({ ...spec, job: { kind: 'PyTorchJob', workers: 0 } })[0] as any;
    expect(Object.keys(noWorkers.spec.pytorchReplicaSpecs)).toEqual(['Master']);
    expect(noWorkers.spec.nprocPerNode).toBe('2'); // default: the GPUs per replica
  });

  it('PyTorchJob: parallelism below the trial count is refused (no gang scheduling)', () => {
    const e = configError(() => renderTrialJobs({ ...BASE, job: { kind: 'PyTorchJob' } }));
    expect(e.problems).toEqual([expect.objectContaining({ fieldPath: 'parallelism', message: expect.stringContaining('gang scheduling') })]);
  });
});

/**
 * The TrainJob fields the sweep emits, with the constraints the TrainJob CRD declares for them:
 * verified against the openAPIV3Schema of kubeflow/trainer tag v2.3.0,
 * `manifests/base/crds/trainer.kubeflow.org_trainjobs.yaml` (trainer.kubeflow.org/v1alpha1; Go
 * types in `pkg/apis/trainer/v1alpha1/trainjob_types.go`). Only emitted fields are listed: any
 * other name is reported. For reference, the CRD declares
 * - spec: activeDeadlineSeconds, initializer, managedBy, runtimePatches, runtimeRef (required), suspend, trainer;
 * - spec.trainer: args, command, env, image, numNodes, numProcPerNode, resourcesPerNode;
 * - the patched pod spec: affinity, containers, imagePullSecrets, initContainers, nodeSelector,
 *   schedulingGates, securityContext, serviceAccountName, terminationGracePeriodSeconds,
 *   tolerations, volumes — no automountServiceAccountToken, restartPolicy or priorityClassName;
 * - a patched container: env (refused for container `node` by the Trainer webhook), name, securityContext, volumeMounts.
 */
type Shape =
  | { readonly type: 'string'; readonly minLength?: number; readonly maxLength?: number; readonly pattern?: RegExp }
  | { readonly type: 'integer'; readonly minimum?: number }
  | { readonly type: 'boolean' }
  | { readonly type: 'object'; readonly properties: Readonly<Record<string, Shape>>; readonly required?: readonly string[] }
  | { readonly type: 'map'; readonly values: Shape }
  | { readonly type: 'array'; readonly items: Shape; readonly maxItems?: number; readonly mapKeys?: readonly string[] };

const str = (c: { minLength?: number; maxLength?: number; pattern?: RegExp } = {}): Shape => ({ type: 'string', ...c });
const int = (minimum?: number): Shape => ({ type: 'integer', ...(minimum !== undefined ? { minimum } : {}) });
const bool: Shape = { type: 'boolean' };
const obj = (properties: Record<string, Shape>, required: readonly string[] = []): Shape => ({ type: 'object', properties, required });
const map = (values: Shape): Shape => ({ type: 'map', values });
const list = (items: Shape, maxItems?: number, mapKeys?: readonly string[]): Shape => ({ type: 'array', items, ...(maxItems !== undefined ? { maxItems } : {}), ...(mapKeys ? { mapKeys } : {}) });
/** The CRD's resource.Quantity pattern (int-or-string; the sweep emits strings). */
const QUANTITY = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
const quantities = map(str({ pattern: QUANTITY }));
const labelsMeta = obj({ labels: map(str()) });
const seccomp = obj({ type: str() }, ['type']);
const envVar = obj({ name: str(), value: str() }, ['name']);

const TRAINJOB_SHAPE: Shape = obj(
  {
    apiVersion: str(),
    kind: str(),
    metadata: obj({ name: str(), namespace: str(), labels: map(str()) }),
    spec: obj(
      {
        activeDeadlineSeconds: int(1),
        runtimeRef: obj({ name: str({ minLength: 1, maxLength: 253 }), apiGroup: str({ maxLength: 253 }), kind: str({ maxLength: 253 }) }, ['name']),
        trainer: obj({
          image: str({ maxLength: 500 }),
          args: list(str({ maxLength: 1048576 }), 128),
          env: list(envVar, 128, ['name']),
          numNodes: int(),
          numProcPerNode: int(),
          resourcesPerNode: obj({ requests: quantities, limits: quantities }),
        }),
        runtimePatches: list(
          obj(
            {
              manager: str({ minLength: 1, maxLength: 253 }),
              trainingRuntimeSpec: obj({
                template: obj({
                  spec: obj({
                    replicatedJobs: list(
                      obj(
                        {
                          name: str({ minLength: 1, maxLength: 253 }),
                          template: obj({
                            spec: obj({
                              template: obj({
                                metadata: labelsMeta,
                                spec: obj({
                                  serviceAccountName: str({ maxLength: 253 }),
                                  nodeSelector: map(str()),
                                  tolerations: list(obj({ key: str(), operator: str(), effect: str() }), 128),
                                  securityContext: obj({ runAsNonRoot: bool, runAsUser: int(), runAsGroup: int(), fsGroup: int(), seccompProfile: seccomp }),
                                  containers: list(
                                    obj(
                                      {
                                        name: str({ minLength: 1, maxLength: 253 }),
                                        securityContext: obj({
                                          allowPrivilegeEscalation: bool,
                                          privileged: bool,
                                          readOnlyRootFilesystem: bool,
                                          runAsNonRoot: bool,
                                          capabilities: obj({ drop: list(str()) }),
                                        }),
                                        volumeMounts: list(obj({ name: str(), mountPath: str() }, ['mountPath', 'name']), 128, ['name']),
                                      },
                                      ['name'],
                                    ),
                                    64,
                                    ['name'],
                                  ),
                                  volumes: list(obj({ name: str(), emptyDir: obj({ medium: str(), sizeLimit: str({ pattern: QUANTITY }) }) }, ['name']), 128, ['name']),
                                }),
                              }),
                            }),
                          }),
                        },
                        ['name'],
                      ),
                      100,
                      ['name'],
                    ),
                  }),
                }),
              }),
            },
            ['manager'],
          ),
          16,
          ['manager'],
        ),
      },
      ['runtimeRef'],
    ),
  },
  [],
);

/** Problems of `value` against `shape` (empty: conforms). */
function conform(value: unknown, shape: Shape, path = ''): string[] {
  const at = path || '<root>';
  switch (shape.type) {
    case 'string': {
      if (typeof value !== 'string') return [`${at}: must be a string`];
      const out: string[] = [];
      if (shape.minLength !== undefined && value.length < shape.minLength) out.push(`${at}: shorter than ${shape.minLength}`);
      if (shape.maxLength !== undefined && value.length > shape.maxLength) out.push(`${at}: longer than ${shape.maxLength}`);
      if (shape.pattern && !shape.pattern.test(value)) out.push(`${at}: does not match ${shape.pattern}`);
      return out;
    }
    case 'integer':
      if (!Number.isInteger(value)) return [`${at}: must be an integer`];
      return shape.minimum !== undefined && (value as number) < shape.minimum ? [`${at}: below ${shape.minimum}`] : [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: must be a boolean`];
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: must be an object`];
      return Object.entries(value).flatMap(([k, v]) => conform(v, shape.values, `${path}.${k}`));
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: must be an object`];
      const record = value as Record<string, unknown>;
      return [
        ...(shape.required ?? []).filter((k) => record[k] === undefined).map((k) => `${path}.${k}: is required`),
        ...Object.entries(record).flatMap(([k, v]) => (k in shape.properties ? conform(v, shape.properties[k], `${path}.${k}`) : [`${path}.${k}: is not a field of the TrainJob CRD here`])),
      ];
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: must be an array`];
      const out = value.flatMap((v, i) => conform(v, shape.items, `${path}[${i}]`));
      if (shape.maxItems !== undefined && value.length > shape.maxItems) out.push(`${at}: more than ${shape.maxItems} items`);
      if (shape.mapKeys) {
        const keys = value.map((v) => JSON.stringify(shape.mapKeys!.map((k) => (v as Record<string, unknown>)[k])));
        if (new Set(keys).size !== keys.length) out.push(`${at}: duplicate list-map key (${shape.mapKeys.join(', ')})`);
      }
      return out;
    }
  }
}

/** The CRD's root rules (x-kubernetes-validations on metadata.name) and the schema of the emitted fields. */
function trainJobProblems(o: SweepObject): string[] {
  const out = conform(o, TRAINJOB_SHAPE);
  if (o.apiVersion !== 'trainer.kubeflow.org/v1alpha1' || o.kind !== 'TrainJob') out.push('apiVersion/kind: not trainer.kubeflow.org/v1alpha1 TrainJob');
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(o.metadata.name)) out.push('metadata.name: must match RFC 1035 DNS label format');
  if (o.metadata.name.length > 63) out.push('metadata.name: must be no more than 63 characters');
  return out;
}

const TRAINJOB: SweepSpec = { ...BASE, parallelism: 18, job: { kind: 'TrainJob', numNodes: 4 } };
const envOf = (env: { name: string; value: string }[]): Record<string, string> => Object.fromEntries(env.map((e) => [e.name, e.value]));

describe('renderTrialJobs: Kubeflow Trainer v2 TrainJob', () => {
  it('every trial conforms to the TrainJob CRD fields (kubeflow/trainer v2.3.0), and the check catches fields the CRD lacks', () => {
    const objects = renderSweepObjects(TRAINJOB);
    expect(objects).toHaveLength(18);
    for (const o of objects) expect(trainJobProblems(o)).toEqual([]);
    for (const o of renderSweepObjects({ ...TRAINJOB, sweepId: 'x'.repeat(40), job: { kind: 'TrainJob', numNodes: 256, numProcPerNode: 64, runtime: 'team.torch-distributed-v2' } })) {
      expect(trainJobProblems(o)).toEqual([]);
    }

    // The check is not vacuous: the pod fields a Job trial sets but the runtime patch cannot carry are reported.
    const t = JSON.parse(JSON.stringify(objects[0]));
    const podSpec = t.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec;
    Object.assign(podSpec, { automountServiceAccountToken: false, restartPolicy: 'OnFailure', priorityClassName: 'p' });
    podSpec.containers[0].imagePullPolicy = 'IfNotPresent';
    Object.assign(t.spec, { backoffLimit: 2, ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 0 });
    t.spec.trainer.resourcesPerNode.limits.cpu = 'four';
    t.spec.trainer.env.push({ name: 'TRAINER_PARAMS', value: '{}' });
    t.metadata.name = '1-t000';
    expect(trainJobProblems(t).sort()).toEqual(
      [
        '.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.automountServiceAccountToken: is not a field of the TrainJob CRD here',
        '.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.restartPolicy: is not a field of the TrainJob CRD here',
        '.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.priorityClassName: is not a field of the TrainJob CRD here',
        '.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.containers[0].imagePullPolicy: is not a field of the TrainJob CRD here',
        '.spec.backoffLimit: is not a field of the TrainJob CRD here',
        '.spec.ttlSecondsAfterFinished: is not a field of the TrainJob CRD here',
        '.spec.activeDeadlineSeconds: below 1',
        `.spec.trainer.resourcesPerNode.limits.cpu: does not match ${QUANTITY}`,
        '.spec.trainer.env: duplicate list-map key (name)',
        'metadata.name: must match RFC 1035 DNS label format',
      ].sort(),
    );
  });

  it('TrainJob: runtimeRef, trainer image/args/env (TRAINER_PARAMS per trial)/numNodes/numProcPerNode/resources, deadline', () => {
    const objects = renderTrialJobs(TRAINJOB) as any[];
    const trials = expandTrials(TRAINJOB);
    const batch = renderTrialJobs({ ...BASE, parallelism: 18 }) as any[];
    objects.forEach((job, i) => {
      const labels = { 'app.kubernetes.io/managed-by': 'gaiops', [SWEEP_LABEL]: 'churn-lr', [TRIAL_LABEL]: trials[i].id };
      expect(job.apiVersion).toBe('trainer.kubeflow.org/v1alpha1');
      expect(job.kind).toBe('TrainJob');
      expect(job.metadata).toEqual({ name: trials[i].id, namespace: 'team-risk', labels });
      expect(Object.keys(job.spec).sort()).toEqual(['activeDeadlineSeconds', 'runtimePatches', 'runtimeRef', 'trainer']);
      expect(job.spec.runtimeRef).toEqual({ name: 'torch-distributed', apiGroup: 'trainer.kubeflow.org', kind: 'ClusterTrainingRuntime' });
      expect(job.spec.activeDeadlineSeconds).toBe(86400);
      const trainer = job.spec.trainer;
      expect(Object.keys(trainer).sort()).toEqual(['args', 'env', 'image', 'numNodes', 'numProcPerNode', 'resourcesPerNode']);
      expect(trainer.image).toBe(BASE.image);
      expect(trainer.args).toEqual(['--', 'python', '-m', 'churn.train']);
      expect(trainer.numNodes).toBe(4);
      expect(trainer.numProcPerNode).toBe(2); // default: the GPUs per replica
      expect(trainer.resourcesPerNode).toEqual({ requests: { cpu: '4', memory: '32Gi', 'nvidia.com/gpu': '2' }, limits: { cpu: '4', memory: '32Gi', 'nvidia.com/gpu': '2' } });
      // the same TRAINER_* environment as the Job trial, with this trial's TRAINER_PARAMS
      const env = envOf(trainer.env);
      expect(env).toEqual(envOf(batch[i].spec.template.spec.containers[0].env));
      expect(JSON.parse(env.TRAINER_PARAMS)).toEqual({ ...trials[i].params, gaiops_sweep: 'churn-lr', gaiops_trial: trials[i].id });
      expect(env.TRAINER_WORKDIR).toBe('/tmp/trainer');
      // torchrun's variables are the runtime's (the Trainer refuses them in spec.trainer.env); PET_NODE_RANK picks the registering rank
      expect(Object.keys(env).filter((n) => n.startsWith('PET_'))).toEqual([]);
    });
    expect(new Set(objects.map((j) => envOf(j.spec.trainer.env).TRAINER_PARAMS)).size).toBe(18);

    const custom = renderTrialJobs({ ...TRAINJOB, activeDeadlineSeconds: 3600, job: { kind: 'TrainJob', numNodes: 1, numProcPerNode: 8, runtime: 'torch-distributed-efa' } })[0] as any;
    expect(custom.spec.runtimeRef).toEqual({ name: 'torch-distributed-efa', apiGroup: 'trainer.kubeflow.org', kind: 'ClusterTrainingRuntime' });
    expect(custom.spec.trainer).toMatchObject({ numNodes: 1, numProcPerNode: 8 });
    expect(custom.spec.activeDeadlineSeconds).toBe(3600);
  });

  it('TrainJob: one runtimePatches entry (manager gaiops.io/hyperparameter-sweep) with labels, service account, GPU placement, security contexts and volumes', () => {
    const job = renderTrialJobs(TRAINJOB)[7] as any;
    expect(TRAINJOB_PATCH_MANAGER).toBe('gaiops.io/hyperparameter-sweep');
    expect(job.spec.runtimePatches).toEqual([
      {
        manager: 'gaiops.io/hyperparameter-sweep',
        trainingRuntimeSpec: {
          template: {
            spec: {
              replicatedJobs: [
                {
                  name: 'node',
                  template: {
                    spec: {
                      template: {
                        metadata: { labels: { 'app.kubernetes.io/managed-by': 'gaiops', [SWEEP_LABEL]: 'churn-lr', [TRIAL_LABEL]: 'churn-lr-t007' } },
                        spec: {
                          serviceAccountName: 'trainer',
                          nodeSelector: { 'gaiops.io/node-pool': 'gpu-train' },
                          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
                          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
                          containers: [
                            {
                              name: 'node',
                              securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
                              volumeMounts: [
                                { name: 'tmp', mountPath: '/tmp' },
                                { name: 'workdir', mountPath: '/tmp/trainer' },
                                { name: 'shm', mountPath: '/dev/shm' },
                              ],
                            },
                          ],
                          volumes: [
                            { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
                            { name: 'workdir', emptyDir: { sizeLimit: '200Gi' } },
                            { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } },
                          ],
                        },
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      },
    ]);
    // the pod settings are exactly the Job trial's (where the patch can carry them)
    const pod = (renderTrialJobs({ ...BASE, parallelism: 18 })[7] as any).spec.template.spec;
    const patched = job.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec;
    for (const key of ['serviceAccountName', 'nodeSelector', 'tolerations', 'securityContext', 'volumes'] as const) expect(patched[key]).toEqual(pod[key]);
    expect(patched.containers[0].securityContext).toEqual(pod.containers[0].securityContext);
    expect(patched.containers[0].volumeMounts).toEqual(pod.containers[0].volumeMounts);
  });

  it('TrainJob: the chart holds only the trials (no PriorityClass or ResourceQuota: parallelism must cover every trial)', () => {
    const objects = renderSweepObjects(TRAINJOB);
    expect(objects.map((o) => o.kind)).toEqual(Array(18).fill('TrainJob'));
  });

  it('TrainJob: bad props are GaiConfigErrors naming the field', () => {
    expect(configError(() => renderTrialJobs({ ...TRAINJOB, job: { kind: 'TrainJob', numNodes: 0 } })).problems).toEqual([expect.objectContaining({ fieldPath: 'job.numNodes', message: 'must be at least 1' })]);
    expect(configError(() => renderTrialJobs({ ...TRAINJOB, job: { kind: 'TrainJob', numNodes: 1.5 } })).problems).toEqual([expect.objectContaining({ fieldPath: 'job.numNodes', message: 'must be an integer' })]);
    expect(configError(() => renderTrialJobs({ ...TRAINJOB, job: { kind: 'TrainJob' } as never })).problems).toEqual([expect.objectContaining({ fieldPath: 'job.numNodes' })]);
    expect(configError(() => renderTrialJobs({ ...TRAINJOB, job: { kind: 'TrainJob', numNodes: 2, numProcPerNode: 0 } })).problems).toEqual([expect.objectContaining({ fieldPath: 'job.numProcPerNode', message: 'must be at least 1' })]);
    expect(configError(() => renderTrialJobs({ ...TRAINJOB, job: { kind: 'TrainJob', numNodes: 2, runtime: 'Torch_Distributed' } })).problems).toEqual([expect.objectContaining({ fieldPath: 'job.runtime' })]);

    const throttled = configError(() => renderTrialJobs({ ...TRAINJOB, parallelism: 17 }));
    expect(throttled.problems).toEqual([expect.objectContaining({ fieldPath: 'parallelism', message: expect.stringMatching(/^TrainJob trials cannot be throttled without gang scheduling.*parallelism ≥ the 18 trials/) })]);

    // TrainJob has no backoffLimit, TTL or automountServiceAccountToken: only the defaults (not rendered) are accepted
    const unsupported = configError(() => renderTrialJobs({ ...TRAINJOB, backoffLimit: 3, ttlSecondsAfterFinished: 60, automountServiceAccountToken: true }));
    expect(unsupported.problems.map((p) => p.fieldPath).sort()).toEqual(['automountServiceAccountToken', 'backoffLimit', 'ttlSecondsAfterFinished']);
    expect(unsupported.message).toContain('backoffLimit: cannot be changed with a TrainJob trial');
    expect(unsupported.message).toContain("automountServiceAccountToken: cannot be changed with a TrainJob trial: TrainJob runtimePatches cannot set it; the service account's own setting applies");
    expect(renderTrialJobs({ ...TRAINJOB, backoffLimit: 2, ttlSecondsAfterFinished: 604_800, automountServiceAccountToken: false })).toEqual(renderTrialJobs(TRAINJOB));

    expect(configError(() => renderTrialJobs({ ...TRAINJOB, sweepId: '2026-lr' })).problems).toEqual([expect.objectContaining({ fieldPath: 'sweepId', message: expect.stringContaining('RFC 1035') })]);
    expect(renderTrialJobs({ ...BASE, sweepId: '2026-lr' })[0].metadata.name).toBe('2026-lr-t000'); // Job names may start with a digit
    const longCommand = ['python', ...Array.from({ length: 127 }, (_, i) => `--a${i}`)];
    expect(configError(() => renderTrialJobs({ ...TRAINJOB, command: longCommand })).problems).toEqual([expect.objectContaining({ fieldPath: 'command', message: expect.stringContaining('at most 127 elements') })]);
    const longest = renderTrialJobs({ ...TRAINJOB, command: longCommand.slice(0, 127) })[0] as any;
    expect(longest.spec.trainer.args).toEqual(['--', ...longCommand.slice(0, 127)]);
    expect(trainJobProblems(longest)).toEqual([]);
  });

  it('Job and PyTorchJob still default backoffLimit 2, ttlSecondsAfterFinished 7 days and no service-account token', () => {
    const job = renderTrialJobs(BASE)[0] as any;
    expect(job.spec).toMatchObject({ backoffLimit: 2, ttlSecondsAfterFinished: 604800 });
    expect(job.spec.template.spec.automountServiceAccountToken).toBe(false);
    const pt = renderTrialJobs({ ...BASE, parallelism: 18, job: { kind: 'PyTorchJob' }, backoffLimit: 0, ttlSecondsAfterFinished: 60 })[0] as any;
    expect(pt.spec.runPolicy).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 60 });
    expect(pt.spec.pytorchReplicaSpecs.Master.template.spec.automountServiceAccountToken).toBe(false);
  });
});

const CLUSTER = TEST_CLUSTER;

describe('HyperparameterSweep construct', () => {
  it('synthesizes a helm_release of a content-hashed chart templating every object, and passes the policy pack', () => {
    const stack = platformStack();
    const providers = ClusterProviders.configure(stack, CLUSTER);
    const sweep = new HyperparameterSweep(stack, 'Sweep', { ...BASE, helmProvider: providers.helm });
    const json = synth(stack); // runs the policy pack (errors fail synth)
    const release = only(json, 'helm_release');
    expect(release).toMatchObject({ name: 'sweep-churn-lr', namespace: 'team-risk', create_namespace: false, atomic: true, wait: true, wait_for_jobs: false, max_history: 10, timeout: 300 });
    expect(release.chart).toMatch(new RegExp(`^\\./assets/.+/${sweep.chart.hash}$`));
    expect(sweep.chartAsset.assetHash).toBe(sweep.chart.hash);
    expect(sweep.chart.version).toBe(`0.0.0-sha256-${sweep.chart.hash.slice(0, 16)}`);
    expect(sweep.chart.files['Chart.yaml']).toContain(`gaiops.io/content-hash: ${sweep.chart.hash}`);
    const templates = Object.keys(sweep.chart.files).filter((f) => f.startsWith('templates/'));
    expect(templates).toHaveLength(20);
    const rendered = templates.map((f) => parseAllDocuments(sweep.chart.files[f])[0].toJS());
    expect(rendered).toEqual(JSON.parse(JSON.stringify(sweep.objects)));
    expect(sweep.trials).toHaveLength(18);

    // same props → same hash; a changed trial → another hash
    const other = new HyperparameterSweep(platformStack(), 'Sweep', { ...BASE });
    expect(other.chart.hash).toBe(sweep.chart.hash);
    const changed = new HyperparameterSweep(platformStack(), 'Sweep', { ...BASE, fixedParams: { epochs: 21 } });
    expect(changed.chart.hash).not.toBe(sweep.chart.hash);
  });

  it('TrainJob trials synthesize (policy pack included) into a chart of TrainJob templates only', () => {
    const stack = platformStack();
    const providers = ClusterProviders.configure(stack, CLUSTER);
    const sweep = new HyperparameterSweep(stack, 'Sweep', { ...TRAINJOB, helmProvider: providers.helm });
    const json = synth(stack);
    expect(only(json, 'helm_release')).toMatchObject({ name: 'sweep-churn-lr', namespace: 'team-risk' });
    const templates = Object.keys(sweep.chart.files).filter((f) => f.startsWith('templates/'));
    expect(templates).toHaveLength(18);
    expect(templates.every((f) => /^templates\/\d{4}-trainjob-churn-lr-t\d{3}\.yaml$/.test(f))).toBe(true);
    const rendered = templates.map((f) => parseAllDocuments(sweep.chart.files[f])[0].toJS());
    expect(rendered).toEqual(JSON.parse(JSON.stringify(sweep.objects)));
    for (const o of rendered) expect(trainJobProblems(o)).toEqual([]);
  });

  it('escapes template braces in user values', () => {
    const sweep = new HyperparameterSweep(platformStack(), 'Sweep', { ...BASE, command: ['python', '-c', 'print("{{x}}")'] });
    const job = Object.entries(sweep.chart.files).find(([f]) => f.includes('-job-churn-lr-t000'))![1];
    expect(job).toContain('{{ "{{" }}x}}');
  });

  it('props errors carry the construct path', () => {
    const e = configError(() => new HyperparameterSweep(platformStack(), 'Sweep', { ...BASE, maxTrials: 0, releaseName: 'Bad_Name' }));
    expect(e.problems.map((p) => `${p.constructPath}: ${p.fieldPath}`).sort()).toEqual(['teststack/Sweep: maxTrials', 'teststack/Sweep: releaseName']);
    const grid = configError(() => new HyperparameterSweep(platformStack(), 'Sweep', { ...BASE, maxTrials: 10 }));
    expect(grid.problems[0]).toMatchObject({ constructPath: 'teststack/Sweep', fieldPath: 'maxTrials' });
  });

  it('synthesizes in an app with a workload stack (full app.synth, policy pack included)', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const stack = new PlatformStack(app, 'workloads', { settings: SETTINGS });
    const providers = ClusterProviders.configure(stack, CLUSTER);
    new HyperparameterSweep(stack, 'Sweep', { ...BASE, releaseName: 'churn-lr-sweep', helmProvider: providers.helm });
    app.synth();
    const json = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'workloads', 'cdk.tf.json'), 'utf8'));
    expect(only(json, 'helm_release')).toMatchObject({ name: 'churn-lr-sweep', provider: 'helm' });
  });
});

describe('pickBestTrial against the registry over HTTP', () => {
  let r: RegistryFixture;
  let client: RegistryClient;
  beforeAll(async () => {
    r = await startRegistry();
    client = new RegistryClient({
      baseUrl: r.server.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDSWEEP', secretAccessKey: 'sweep-secret' },
      headers: { 'x-gaiops-principal': ALICE },
      baseDelayMs: 5,
      maxDelayMs: 20,
    });
  }, 60_000);
  afterAll(async () => {
    await r?.close();
  });

  /** Registers a trial result exactly as the trainer does (run key, lineage with the TRAINER_PARAMS it got). */
  async function registerTrial(modelName: string, params: Record<string, string | number | boolean>, metrics: Record<string, number>): Promise<string> {
    const digest = await r.putArtifact(`model ${modelName} ${JSON.stringify(params)}`);
    const result = await register(client, {
      modelName,
      artifactDigest: digest,
      dataset: { group: 'customers', versionId: DATASET_VERSION },
      gitCommit: 'c'.repeat(40),
      imageDigest: DIGEST,
      params,
      metrics: { metrics },
    });
    return result.version;
  }

  it('ranks the sweep versions by the objective, ignores other sweeps, reports missing metrics and ties', async () => {
    const modelName = uniqueName('sweep');
    const trials = expandTrials({ ...BASE, sweepId: 'lr', parameters: { lr: { type: 'categorical', values: [0.1, 0.2, 0.3, 0.4] } }, maxTrials: 4 });
    const withIds = trials.map((t) => ({ ...t.params, gaiops_sweep: 'lr', gaiops_trial: t.id }));
    const v0 = await registerTrial(modelName, withIds[0], { auc: 0.81, loss: 0.4 });
    const v1 = await registerTrial(modelName, withIds[1], { auc: 0.93, loss: 0.2 });
    const other = await registerTrial(modelName, { lr: 0.9, gaiops_sweep: 'other', gaiops_trial: 'other-t000' }, { auc: 0.99 });
    const unrelated = await registerTrial(modelName, { lr: 0.5 }, { auc: 0.995 });
    const v2 = await registerTrial(modelName, withIds[2], { loss: 0.1 }); // no auc
    const v3 = await registerTrial(modelName, withIds[3], { auc: 0.93, loss: 0.3 }); // ties with v1

    const best = await pickBestTrial({ client, modelName, sweepId: 'lr', objective: { metric: 'auc', goal: 'maximize' }, concurrency: 3 });
    expect(best.best).toMatchObject({ version: v1, trialId: 'lr-t001', value: 0.93, params: { ...trials[1].params } });
    expect(best.best?.params).not.toHaveProperty('gaiops_sweep');
    expect(best.tied.map((t) => t.version)).toEqual([v1, v3]);
    expect(best.ranked.map((t) => t.version)).toEqual([v1, v3, v0]);
    expect(best.missingMetric.map((t) => [t.version, t.trialId])).toEqual([[v2, 'lr-t002']]);
    expect([other, unrelated].some((v) => best.ranked.some((t) => t.version === v))).toBe(false);
    expect(best.best?.lineage.hyperparameters).toMatchObject({ gaiops_sweep: 'lr', gaiops_trial: 'lr-t001' });

    const lowest = await pickBestTrial({ client, modelName, sweepId: 'lr', objective: { metric: 'loss', goal: 'minimize' } });
    expect(lowest.best).toMatchObject({ version: v2, trialId: 'lr-t002', value: 0.1 });
    expect(lowest.tied.map((t) => t.version)).toEqual([v2]);
    expect(lowest.missingMetric).toEqual([]);

    const none = await pickBestTrial({ client, modelName, sweepId: 'lr', objective: { metric: 'f1', goal: 'maximize' } });
    expect(none.best).toBeUndefined();
    expect(none.tied).toEqual([]);
    expect(none.missingMetric.map((t) => t.version)).toEqual([v0, v1, v2, v3]);

    const empty = await pickBestTrial({ client, modelName, sweepId: 'nope', objective: { metric: 'auc', goal: 'maximize' } });
    expect(empty).toEqual({ tied: [], ranked: [], missingMetric: [] });
  }, 60_000);
});

describe('HyperparameterSweep with Terraform references', () => {
  it('refuses a reference that would be written literally into the chart, naming the field', async () => {
    const { SecureBucket, EncryptionKey } = await import('../../src');
    const { platformStack } = await import('../support/synth');
    const stack = platformStack();
    const bucket = new SecureBucket(stack, 'Bucket', { encryptionKey: new EncryptionKey(stack, 'Key') });
    const err = configError(() => new HyperparameterSweep(stack, 'Sweep', { ...BASE, dataset: { ...BASE.dataset, bucket: bucket.bucketName } }));
    expect(err.problems.map((p) => `${p.fieldPath}: ${p.message}`)).toEqual([
      'dataset.bucket: must be a literal value: it is written into the generated chart at synth, where a Terraform reference cannot be resolved',
    ]);
  });
});
