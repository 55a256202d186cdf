import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { TrainingTeams } from '../../src/gpu-training-cluster/teams';
import { TrainingTeamsPropsSchema, type TrainingTeamsProps } from '../../src/gpu-training-cluster/teams-schema';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty } from './support';

const cpu = fc.constantFrom('250m', '500m', '1', '2', '4');
const memory = fc.constantFrom('256Mi', '1Gi', '4Gi', '8Gi');

describe('TrainingTeams props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: TrainingTeamsPropsSchema,
      seed: 10_005,
      constructPath: 'teststack/Teams',
      minSynthesized: 100,
      weights: { valid: 12, mutated: 35, random: 53 },
      overrides: {
        cluster: fc.constant(TEST_CLUSTER),
        kubernetesProvider: fc.constant(dep('kubernetes')),
        'teams[].datasetGroups': fc.constant(undefined),
        'teams[].cpuQuota': fc.constantFrom('16', '64', '128'),
        'teams[].memoryQuota': fc.constantFrom('64Gi', '512Gi', '1Ti'),
        'teams[].containerDefaults': fc.oneof(
          fc.constant({}),
          fc.record({ cpuRequest: cpu, memoryRequest: memory }, { requiredKeys: [] }),
          fc.record({ cpuLimit: fc.constantFrom('2', '4', '8'), memoryLimit: fc.constantFrom('4Gi', '16Gi') }, { requiredKeys: [] }),
        ),
        httpsEgressCidrs: fc.array(fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 8, max: 32 })).map(([a, p]) => `${a}.0.0.0/${p}`), { minLength: 1, maxLength: 2 }),
      },
      build(stack, props) {
        const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
        new TrainingTeams(stack, 'Teams', resolveDeps(props, { kubernetes }) as TrainingTeamsProps);
      },
    });
  });
});
