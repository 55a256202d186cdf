import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { HyperparameterSweep } from '../../src/gpu-training-cluster/sweep';
import { HyperparameterSweepPropsSchema, type HyperparameterSweepProps } from '../../src/gpu-training-cluster/sweep-schema';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty } from './support';

const DIGEST = `sha256:${'e'.repeat(64)}`;

/** The fixed part of a sweep (as in test/gpu-training-cluster/sweep.test.ts). */
const BASE = {
  objective: { metric: 'auc', goal: 'maximize' },
  image: `111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn-training@${DIGEST}`,
  command: ['python', '-m', 'churn.train'],
  gitCommit: 'c'.repeat(40),
  namespace: 'team-risk',
  serviceAccountName: 'trainer',
  nodePool: 'gpu-train',
  dataset: { bucket: 'gai-prod-feature-store', group: 'customers', version: 'a'.repeat(64) },
  registry: { url: 'https://abc123.execute-api.eu-west-1.amazonaws.com', region: 'eu-west-1', artifactBucket: 'gai-prod-model-registry-artifacts' },
  modelName: 'churn',
};

const paramName = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/).filter((n) => !n.startsWith('gaiops_'));
const space = fc.oneof(
  fc.tuple(fc.integer({ min: -10, max: 10 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 3 })).map(([min, span, step]) => ({ type: 'int', min, max: min + span, step })),
  fc.tuple(fc.double({ min: 0.0001, max: 1, noNaN: true }), fc.double({ min: 1, max: 100, noNaN: true }), fc.constantFrom('linear', 'log'), fc.integer({ min: 2, max: 4 })).map(([min, max, scale, gridPoints]) => ({ type: 'float', min, max, scale, gridPoints })),
  fc.uniqueArray(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean()), { minLength: 1, maxLength: 3, selector: (v) => JSON.stringify(v) }).map((values) => ({ type: 'categorical', values })),
);

/** Small sweeps: 1–2 parameters, random strategy or a grid under maxTrials. */
const valid = fc
  .record(
    {
      sweepId: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
      parameters: fc.dictionary(paramName, space, { minKeys: 1, maxKeys: 2, noNullPrototype: true }),
      fixedParams: fc.dictionary(fc.stringMatching(/^fixed_[a-z]{1,6}$/), fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.boolean()), { maxKeys: 2, noNullPrototype: true }),
      strategy: fc.constantFrom('grid', 'random'),
      seed: fc.nat(),
      parallelism: fc.integer({ min: 1, max: 8 }),
      job: fc.oneof(
        fc.constant({ kind: 'Job' }),
        fc.record({ kind: fc.constant('PyTorchJob'), workers: fc.integer({ min: 0, max: 4 }) }),
        fc.record({ kind: fc.constant('TrainJob'), numNodes: fc.integer({ min: 1, max: 4 }) }),
      ),
      gpusPerReplica: fc.integer({ min: 1, max: 8 }),
      cpu: fc.constantFrom('2', '4', '500m'),
      memory: fc.constantFrom('8Gi', '32Gi'),
      activeDeadlineSeconds: fc.integer({ min: 60, max: 604_800 }),
      helmProvider: fc.constant(dep('helm')),
      maxHistory: fc.integer({ min: 1, max: 100 }),
      timeoutSeconds: fc.integer({ min: 30, max: 3600 }),
    },
    { requiredKeys: ['sweepId', 'parameters', 'parallelism'] },
  )
  .map((v) => ({ ...BASE, ...v, maxTrials: 200 }));

describe('HyperparameterSweep props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: HyperparameterSweepPropsSchema,
      seed: 10_006,
      constructPath: 'teststack/Sweep',
      weights: { valid: 15, mutated: 35, random: 50 },
      minSynthesized: 60,
      valid,
      build(stack, props) {
        const { helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
        new HyperparameterSweep(stack, 'Sweep', resolveDeps(props, { helm }) as HyperparameterSweepProps);
      },
    });
  });
});
