import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EncryptionKey } from '../../src/core/encryption-key';
import { ModelRegistry } from '../../src/model-registry/model-registry';
import { ModelRegistryPropsSchema, type ModelRegistryProps } from '../../src/model-registry/schema';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty, lazyDeps } from './support';

const metricGate = fc
  .tuple(fc.constantFrom('auc', 'f1', 'rmse', 'latency_p99'), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }))
  .map(([metric, a, b]) => ({ metric, min: Math.min(a, b), max: Math.max(a, b) }));
const metricGates = fc.uniqueArray(metricGate, { maxLength: 2, selector: (g) => g.metric });

describe('ModelRegistry props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: ModelRegistryPropsSchema,
      seed: 10_012,
      constructPath: 'teststack/Registry',
      minSynthesized: 80,
      weights: { valid: 3, mutated: 30, random: 67 },
      overrides: {
        'gates.requiredMetrics': metricGates,
        'modelGates{}.requiredMetrics': metricGates,
        modelGates: fc.dictionary(fc.constantFrom('fraud-scorer', 'churn', 'llm v2'), fc.record({ requiredMetrics: metricGates, requireModelCard: fc.boolean() }, { requiredKeys: [] }), { maxKeys: 2, noNullPrototype: true }),
        approverRoleArns: fc.uniqueArray(fc.stringMatching(/^arn:aws:iam::111122223333:role\/[A-Za-z][\w+=,.@-]{0,10}$/), { maxLength: 2 }),
        encryptionKey: fc.constant(dep('key')),
        eventBusName: fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/).filter((n) => n !== 'default'),
      },
      build(stack, props) {
        const deps = lazyDeps({ key: () => new EncryptionKey(stack, 'Key', { services: ['logs', 'events'] }) });
        new ModelRegistry(stack, 'Registry', resolveDeps(props, deps) as ModelRegistryProps);
      },
    });
  });
});
