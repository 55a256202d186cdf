import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EncryptionKey } from '../../src/core/encryption-key';
import { FeatureStore } from '../../src/feature-store/feature-store';
import { FeatureStorePropsSchema, type FeatureStoreProps } from '../../src/feature-store/schema';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty } from './support';

const identifier = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);

/** A feature whose optional checks fit its type (the schema's refinements), so most generated groups are valid. */
const feature = fc.oneof(
  fc.record(
    { name: identifier, type: fc.constantFrom('int', 'float'), nullable: fc.boolean(), min: fc.integer({ min: -100, max: 0 }), max: fc.integer({ min: 0, max: 100 }) },
    { requiredKeys: ['name', 'type'] },
  ),
  fc.record(
    {
      name: identifier,
      type: fc.constant('string'),
      allowedValues: fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 3 }),
      regex: fc.constantFrom('^[a-z]+$', '\\d{4}'),
      maxLength: fc.integer({ min: 1, max: 256 }),
      pii: fc.constantFrom('hash', 'drop', 'mask'),
    },
    { requiredKeys: ['name', 'type'] },
  ),
  fc.record({ name: identifier, type: fc.constantFrom('bool', 'timestamp') }),
);

describe('FeatureStore props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: FeatureStorePropsSchema,
      seed: 10_001,
      constructPath: 'teststack/Features',
      weights: { valid: 4, mutated: 35, random: 61 },
      minSynthesized: 30,
      overrides: {
        'featureGroups[].features[]': feature,
        'featureGroups[].features': fc.array(feature, { minLength: 1, maxLength: 3 }),
        'featureGroups[].sensitiveAttributes': fc.constant([]),
        'featureGroups': fc.array(
          fc.record(
            {
              name: identifier,
              entityKeys: fc.array(fc.record({ name: identifier.map((n) => `k_${n}`), type: fc.constantFrom('string', 'int') }, { requiredKeys: ['name'] }), { minLength: 1, maxLength: 2 }),
              eventTimeColumn: fc.constant('event_time'),
              features: fc.uniqueArray(feature, { minLength: 1, maxLength: 3, selector: (f) => f.name }),
              onlineTtlSeconds: fc.integer({ min: 1, max: 10_000_000 }),
              online: fc.constant(true),
              offline: fc.boolean(),
            },
            { requiredKeys: ['name', 'entityKeys', 'eventTimeColumn', 'features'] },
          ),
          { minLength: 1, maxLength: 2 },
        ),
        encryptionKey: fc.constant(dep('key')),
        piiKeySecretKeyArn: fc.constant(undefined), // only with piiKeySecretArn (a cross-field rule)
        retention: fc.oneof(
          fc.constant({}),
          fc.record({ rawDays: fc.integer({ min: 1, max: 400 }), offlineDays: fc.integer({ min: 30, max: 400 }), manifestsDays: fc.integer({ min: 400, max: 4000 }) }, { requiredKeys: [] }),
        ),
      },
      build(stack, props) {
        const key = new EncryptionKey(stack, 'Key', { services: ['logs', 's3'] });
        new FeatureStore(stack, 'Features', resolveDeps(props, { key }) as FeatureStoreProps);
      },
    });
  });
});
