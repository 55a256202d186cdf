import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EncryptionKey } from '../../src/core/encryption-key';
import { SecureBucket } from '../../src/core/secure-bucket';
import { DriftDetector, DriftDetectorPropsSchema, type DriftDetectorProps } from '../../src/monitoring-stack/drift-detector';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty, lazyDeps } from './support';

const prefix = fc.stringMatching(/^([a-z0-9_.-]{1,8}\/){1,2}$/);
const column = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);

describe('DriftDetector props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: DriftDetectorPropsSchema,
      seed: 10_009,
      constructPath: 'teststack/Drift',
      weights: { valid: 8, mutated: 35, random: 57 },
      minSynthesized: 60,
      overrides: {
        baseline: fc.record({ bucket: fc.constant(dep('bucket')), prefix }),
        'window.bucket': fc.constant(dep('bucket')),
        'window.prefix': prefix,
        columns: fc.uniqueArray(
          fc.oneof(
            fc.record({ name: column, type: fc.constant('numeric'), test: fc.constantFrom('ks', 'wasserstein', 'psi'), threshold: fc.double({ min: 0.01, max: 0.5, noNaN: true }) }, { requiredKeys: ['name', 'type'] }),
            fc.record({ name: column, type: fc.constant('categorical'), test: fc.constantFrom('chisquare', 'psi', 'jensenshannon') }, { requiredKeys: ['name', 'type'] }),
          ),
          { minLength: 1, maxLength: 3, selector: (c) => c.name },
        ),
        encryptionKey: fc.constant(dep('key')),
        schedule: fc.constantFrom('rate(1 hour)', 'rate(15 minutes)', 'rate(2 days)', 'cron(0 6 * * ? *)'),
      },
      build(stack, props) {
        const deps = lazyDeps({
          key: () => new EncryptionKey(stack, 'Key', { services: ['events', 'logs'] }),
          bucket: () => new SecureBucket(stack, 'Logs', { encryptionKey: new EncryptionKey(stack, 'LogsKey') }),
        });
        new DriftDetector(stack, 'Drift', resolveDeps(props, deps) as DriftDetectorProps);
      },
    });
  });
});
