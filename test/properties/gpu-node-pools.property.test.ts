import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { GpuNodePools } from '../../src/gpu-training-cluster/node-pools';
import { GpuNodePoolsPropsSchema, type GpuNodePoolsProps } from '../../src/gpu-training-cluster/node-pools-schema';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty } from './support';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0d6c1f3a-1111-2222-3333-444455556666';
const duration = fc.constantFrom('30s', '5m', '10m', '1h30m', '720h', 'Never');
const disk = fc
  .tuple(fc.integer({ min: 20, max: 2000 }), fc.integer({ min: 3000, max: 16000 }))
  .chain(([sizeGiB, iops]) => fc.record({ sizeGiB: fc.constant(sizeGiB), iops: fc.constant(iops), throughputMiBps: fc.integer({ min: 125, max: Math.min(2000, Math.floor(iops / 4)) }) }, { requiredKeys: ['sizeGiB', 'iops'] }));
const labels = fc.dictionary(fc.constantFrom('team', 'example.com/tier', 'workload'), fc.stringMatching(/^[a-z0-9]{1,10}$/), { maxKeys: 2, noNullPrototype: true });

describe('GpuNodePools props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: GpuNodePoolsPropsSchema,
      seed: 10_004,
      constructPath: 'teststack/NodePools',
      minSynthesized: 110,
      weights: { valid: 15, mutated: 35, random: 50 },
      overrides: {
        cluster: fc.constant(TEST_CLUSTER),
        kmsKeyArn: fc.constant(KEY),
        helmProvider: fc.constant(dep('helm')),
        gpuPools: fc.uniqueArray(
          fc.record(
            {
              name: fc.stringMatching(/^gpu-[a-z0-9]{1,6}$/),
              instanceFamilies: fc.subarray(['g5', 'g6', 'g6e', 'p4d', 'p5'], { minLength: 1 }),
              gpuLimit: fc.integer({ min: 1, max: 64 }),
              capacityTypes: fc.subarray(['spot', 'on-demand'] as const, { minLength: 1 }),
              architecture: fc.constantFrom('amd64', 'arm64'),
              labels,
              consolidationPolicy: fc.constantFrom('WhenEmpty', 'WhenEmptyOrUnderutilized'),
              consolidateAfter: duration,
              expireAfter: duration,
              disk,
            },
            { requiredKeys: ['name', 'gpuLimit'] },
          ),
          { minLength: 1, maxLength: 2, selector: (p) => p.name },
        ),
        'cpuPool.name': fc.stringMatching(/^cpu-[a-z0-9]{1,6}$/),
        'cpuPool.instanceFamilies': fc.subarray(['m7g', 'c7g', 'r7g', 'm7i-flex'], { minLength: 1 }),
        'cpuPool.capacityTypes': fc.subarray(['spot', 'on-demand'] as const, { minLength: 1 }),
        'cpuPool.capacityReservationIds': fc.constant([]),
        'cpuPool.labels': labels,
        'cpuPool.consolidateAfter': duration,
        'cpuPool.expireAfter': duration,
        'cpuPool.disk': disk,
        ami: fc.oneof(fc.constant({ family: 'al2023', version: 'v20260930' }), fc.constant({ family: 'bottlerocket', version: 'v1.50.0' }), fc.constant({})),
        tags: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,10}$/), fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{0,12}$/), { maxKeys: 2, noNullPrototype: true }),
      },
      build(stack, props) {
        const { helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
        new GpuNodePools(stack, 'NodePools', resolveDeps(props, { helm }) as GpuNodePoolsProps);
      },
    });
  });
});
