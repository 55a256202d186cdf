import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NAME_HASH_LENGTH, NAME_RULES, physicalName, type NamedService } from '../../src';

const LIMITS: Record<string, number> = { s3: 63, 'iam-role': 64, lambda: 64, sqs: 80, dynamodb: 255, eks: 100, 'log-group': 512 };

describe('physicalName', () => {
  it('joins prefix, environment and construct ids in kebab case', () => {
    expect(physicalName('lambda', { prefix: 'gai', environment: 'dev', parts: ['ModelRegistry', 'ApiHandler'] })).toBe(
      'gai-dev-model-registry-api-handler',
    );
    expect(physicalName('s3', { prefix: 'gai', environment: 'dev', parts: ['Feature_Store', 'OFFLINE data'] })).toBe(
      'gai-dev-feature-store-offline-data',
    );
  });

  it('uses each service limit from the issue', () => {
    for (const [service, limit] of Object.entries(LIMITS)) {
      expect(NAME_RULES[service as NamedService].maxLength).toBe(limit);
    }
  });

  it('cuts long names to the limit with a stable hash of the full name', () => {
    const long = { prefix: 'gai', environment: 'prod', parts: ['AVeryLongConstructIdThatKeepsGoing', 'AndAnotherVeryLongChildId', 'Leaf'] };
    const a = physicalName('lambda', long);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(new RegExp(`-[0-9a-f]{${NAME_HASH_LENGTH}}$`));
    expect(physicalName('lambda', long)).toBe(a);
    // Same beginning, different end → different names.
    const b = physicalName('lambda', { ...long, parts: [...long.parts.slice(0, 2), 'Other'] });
    expect(b).not.toBe(a);
    expect(b.slice(0, -NAME_HASH_LENGTH)).toBe(a.slice(0, -NAME_HASH_LENGTH));
  });

  it('keeps names within limits and character sets for any construct ids (property)', () => {
    const services = Object.keys(LIMITS) as NamedService[];
    fc.assert(
      fc.property(
        fc.constantFrom(...services),
        fc.array(fc.string({ minLength: 1, maxLength: 90 }).filter((s) => /[A-Za-z0-9]/.test(s)), { minLength: 1, maxLength: 6 }),
        (service, parts) => {
          const name = physicalName(service, { prefix: 'gai', environment: 'dev', parts });
          const rule = NAME_RULES[service];
          expect(name.length).toBeLessThanOrEqual(rule.maxLength);
          expect(name.length).toBeGreaterThanOrEqual(rule.minLength);
          expect(name).toMatch(/^gai-dev/);
          expect(name.replace(rule.invalid, '')).toBe(name);
          if (service === 's3') expect(name).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
          expect(physicalName(service, { prefix: 'gai', environment: 'dev', parts })).toBe(name);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reserves room for suffixes such as an account id', () => {
    const name = physicalName('s3', { prefix: 'gai', environment: 'dev', parts: ['x'.repeat(80)] }, { reserve: 13 });
    expect(name.length).toBe(50);
  });
});
