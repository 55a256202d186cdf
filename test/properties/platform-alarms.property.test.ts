import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EncryptionKey } from '../../src/core/encryption-key';
import { SecureQueue } from '../../src/core/secure-queue';
import { SecureTable } from '../../src/core/secure-table';
import { PlatformAlarms, PlatformAlarmsPropsSchema, type PlatformAlarmsProps } from '../../src/monitoring-stack/platform-alarms';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty, lazyDeps } from './support';

describe('PlatformAlarms props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: PlatformAlarmsPropsSchema,
      seed: 10_008,
      constructPath: 'teststack/Alarms',
      minSynthesized: 120,
      weights: { valid: 10, mutated: 35, random: 55 },
      overrides: {
        watch: fc.subarray([dep('table'), dep('queueKey')]),
        deadLetterQueues: fc.subarray([dep('queue')]),
        encryptionKey: fc.constant(dep('key')),
        alertEmails: fc.uniqueArray(fc.constantFrom('oncall@example.com', 'ml-team@example.org', 'a.b+c@example.net'), { maxLength: 2 }),
        'thresholds.periodSeconds': fc.constantFrom(60, 300, 900, 3600),
        'gpuBudget.nodePoolNames': fc.uniqueArray(fc.stringMatching(/^gpu-[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 2 }),
      },
      build(stack, props) {
        const deps = lazyDeps({
          table: () => new SecureTable(stack, 'Table', { partitionKey: { name: 'pk' } }),
          queueKey: () => new EncryptionKey(stack, 'QueueKey'),
          queue: () => new SecureQueue(stack, 'Failures', { encryptionKey: deps.queueKey as EncryptionKey }),
          key: () => new EncryptionKey(stack, 'Key', { services: ['cloudwatch', 'budgets'] }),
        });
        new PlatformAlarms(stack, 'Alarms', resolveDeps(props, deps) as PlatformAlarmsProps);
      },
    });
  });
});
