import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { GpuNodePools } from '../../src/gpu-training-cluster/node-pools';
import { InferenceService } from '../../src/inference-service/inference-service';
import { InferenceServicePropsSchema, type InferenceServiceProps } from '../../src/inference-service/schema';
import { ModelRegistry } from '../../src/model-registry/model-registry';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty, lazyDeps, siblingStack } from './support';

const GATEWAY_IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-gateway:sha256-0123456789abcdef';
const FETCHER_IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-model-fetcher:sha256-fedcba9876543210';
const CERT = 'arn:aws:acm:eu-west-1:111122223333:certificate/0d6c1f3a-1111-2222-3333-444455556666';

const variant = fc
  .record(
    {
      name: fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/),
      model: fc.oneof(
        fc.record({ name: fc.constantFrom('assistant-llm', 'm.2'), version: fc.oneof(fc.integer({ min: 1, max: 99 }), fc.constantFrom('3', '12')) }),
        fc.record({ name: fc.constant('assistant-llm'), alias: fc.constantFrom('production', 'staging') }),
      ),
      pool: fc.constantFrom('gpu-inference', 'gpu-large'),
      gpusPerReplica: fc.integer({ min: 1, max: 8 }),
      replicas: fc.integer({ min: 1, max: 4 }).chain((min) => fc.record({ min: fc.constant(min), max: fc.integer({ min, max: 8 }) })),
      targetQueueLength: fc.integer({ min: 1, max: 50 }),
      startupTimeoutSeconds: fc.integer({ min: 60, max: 7200 }),
      weight: fc.integer({ min: 1, max: 100 }),
      costPerMillionOutputTokensUsd: fc.double({ min: 0, max: 100, noNaN: true }),
      server: fc.oneof(
        fc.constant({}),
        fc.record({ kind: fc.constant('vllm'), args: fc.array(fc.constantFrom('--max-model-len=8192', '--enforce-eager'), { maxLength: 2 }) }),
        fc.record({ kind: fc.constant('tgi'), image: fc.constant('ghcr.io/huggingface/text-generation-inference:3.3.6') }),
      ),
    },
    { requiredKeys: ['name', 'model', 'pool'] },
  );

/** Registry and pools as an earlier stack provides them; the service with providers in the stack under test. */
const valid = fc
  .record(
    {
      name: fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/),
      namespace: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
      variants: fc.uniqueArray(variant, { minLength: 1, maxLength: 2, selector: (v) => v.name }),
      ingress: fc.oneof(
        fc.record({ certificateArn: fc.constant(CERT), vpcCidr: fc.constantFrom('10.42.0.0/16', '10.0.0.0/8') }),
        fc.record({ certificateArn: fc.constant(CERT), vpcCidr: fc.constant('10.42.0.0/16'), scheme: fc.constant('internet-facing'), allowedCidrs: fc.constant(['203.0.113.0/24']) }),
        fc.constant({ enabled: false }),
      ),
      keda: fc.oneof(fc.constant({}), fc.record({ pollingIntervalSeconds: fc.integer({ min: 5, max: 600 }), cooldownPeriodSeconds: fc.integer({ min: 30, max: 86400 }) })),
      clientNamespaces: fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/), { maxLength: 2 }),
      runAsUser: fc.integer({ min: 1000, max: 2147483647 }),
      gateway: fc.oneof(fc.constant({}), fc.record({ replicas: fc.integer({ min: 1, max: 5 }).chain((min) => fc.record({ min: fc.constant(min), max: fc.integer({ min, max: 10 }) })), targetCpuUtilization: fc.integer({ min: 10, max: 100 }) })),
    },
    { requiredKeys: ['name', 'variants', 'ingress'] },
  )
  .map((v) => ({
    ...v,
    cluster: TEST_CLUSTER,
    nodePools: dep('nodePools'),
    registry: dep('registry'),
    kubernetesProvider: dep('kubernetes'),
    helmProvider: dep('helm'),
    gatewayImage: GATEWAY_IMAGE,
    modelFetcherImage: FETCHER_IMAGE,
  }));

describe('InferenceService props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: InferenceServicePropsSchema,
      seed: 10_007,
      constructPath: 'teststack/Assistant',
      minSynthesized: 70,
      weights: { valid: 5, mutated: 30, random: 65 },
      valid,
      build(stack, props) {
        const { kubernetes, helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
        const deps = lazyDeps({
          kubernetes: () => kubernetes,
          helm: () => helm,
          registry: () => new ModelRegistry(siblingStack(stack, 'data'), 'Registry'),
          nodePools: () => {
            const pools = siblingStack(stack, 'pools');
            return new GpuNodePools(pools, 'NodePools', {
              cluster: TEST_CLUSTER,
              gpuPools: [
                { name: 'gpu-inference', instanceFamilies: ['g6e', 'g6'], gpuLimit: 16 },
                { name: 'gpu-large', instanceFamilies: ['p5'], gpuLimit: 8, capacityTypes: ['on-demand'] },
              ],
              helmProvider: ClusterProviders.configure(pools, TEST_CLUSTER).helm,
            });
          },
        });
        new InferenceService(stack, 'Assistant', resolveDeps(props, deps) as InferenceServiceProps);
      },
    });
  });
});
