import fc from 'fast-check';
import { describe, it } from 'vitest';
import { FeatureStore } from '../../src/feature-store/feature-store';
import { ModelRegistry } from '../../src/model-registry/model-registry';
import { TeamAccess } from '../../src/platform/team-access';
import { PERSONAS, TeamAccessPropsSchema, type TeamAccessProps } from '../../src/platform/team-access-schema';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty, lazyDeps, siblingStack } from './support';

const TEAMS = ['research', 'fraud'];
const principal = fc.stringMatching(/^arn:aws:iam::111122223333:(role|user)\/[A-Za-z][\w+=,.@-]{0,10}$/);
const persona = (team: boolean) =>
  fc.record(
    {
      enabled: fc.boolean(),
      trustedPrincipalArns: fc.uniqueArray(principal, { minLength: 1, maxLength: 2 }),
      maxSessionDurationSeconds: fc.integer({ min: 3600, max: 43200 }),
      ...(team ? { teamNamespaces: fc.subarray(TEAMS, { minLength: 1 }), datasetGroups: fc.constant(['customers']) } : {}),
    },
    { requiredKeys: ['trustedPrincipalArns'] },
  );

/** The FeatureStore and ModelRegistry come from an earlier (data) stack, as in a layered deployment. */
const valid = fc
  .record(
    {
      teams: fc.constant(TEAMS),
      personas: fc.record(
        {
          'data-scientist': persona(true),
          'ml-engineer': persona(true).map((p) => ({ ...p, ingestGroups: ['customers'] })),
          'mlops-engineer': persona(false),
          'domain-expert': persona(false),
          auditor: persona(false),
        },
        { requiredKeys: [...PERSONAS] },
      ),
      requireMfa: fc.boolean(),
      maxSessionDurationSeconds: fc.integer({ min: 3600, max: 43200 }),
      monitoringNamespace: fc.constantFrom('monitoring', 'observability'),
      inferenceNamespaces: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/), { maxLength: 2 }),
    },
    { requiredKeys: ['teams', 'personas'] },
  )
  .map((v) => ({ ...v, cluster: TEST_CLUSTER, featureStore: dep('featureStore'), modelRegistry: dep('modelRegistry') }));

describe('TeamAccess props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: TeamAccessPropsSchema,
      seed: 10_011,
      constructPath: 'teststack/TeamAccess',
      weights: { valid: 4, mutated: 18, random: 78 },
      minSynthesized: 60,
      valid,
      build(stack, props) {
        const deps = lazyDeps({
          data: () => siblingStack(stack, 'data'),
          featureStore: () =>
            new FeatureStore(deps.data as never, 'Features', {
              featureGroups: [{ name: 'customers', entityKeys: [{ name: 'customer_id' }], eventTimeColumn: 'ts', features: [{ name: 'age', type: 'int' }] }],
            }),
          modelRegistry: () => new ModelRegistry(deps.data as never, 'Registry'),
        });
        new TeamAccess(stack, 'TeamAccess', resolveDeps(props, deps) as TeamAccessProps);
      },
    });
  });
});
