/** SecureBucket, SecureTable, EncryptionKey and NodeFunction: the small core blocks, one property each. */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EncryptionKey, EncryptionKeyPropsSchema, type EncryptionKeyProps } from '../../src/core/encryption-key';
import { LambdaCode } from '../../src/core/lambda-code';
import { NodeFunction, NodeFunctionPropsSchema, type NodeFunctionProps } from '../../src/core/node-function';
import { SecureBucket, SecureBucketPropsSchema, type SecureBucketProps } from '../../src/core/secure-bucket';
import { SecureQueue } from '../../src/core/secure-queue';
import { SecureTable, SecureTablePropsSchema, type SecureTableProps } from '../../src/core/secure-table';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty, lazyDeps } from './support';

const s3Prefix = fc.stringMatching(/^[a-z0-9_-]{1,8}\/$/);

describe('SecureBucket props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: SecureBucketPropsSchema,
      seed: 10_013,
      constructPath: 'teststack/Bucket',
      minSynthesized: 120,
      weights: { valid: 12, mutated: 35, random: 53 },
      overrides: {
        bucketName: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/),
        encryptionKey: fc.constant(dep('key')),
        'accessLogs.prefix': s3Prefix,
        forceDestroy: fc.constant(false), // true is refused outside ephemeral environments (a GaiConfigError, not a synth)
        'lifecycle.noncurrentVersionTransitionDays': fc.oneof(fc.constant(null), fc.integer({ min: 30, max: 365 })),
        'lifecycle.noncurrentVersionExpirationDays': fc.integer({ min: 366, max: 3650 }),
        'lifecycle.prefixExpirations': fc.uniqueArray(fc.record({ prefix: s3Prefix, days: fc.integer({ min: 1, max: 3650 }), noncurrentDays: fc.integer({ min: 1, max: 365 }) }, { requiredKeys: ['prefix', 'days'] }), {
          maxLength: 2,
          selector: (e) => e.prefix,
        }),
      },
      build(stack, props) {
        const deps = lazyDeps({ key: () => new EncryptionKey(stack, 'Key') });
        new SecureBucket(stack, 'Bucket', resolveDeps(props, deps) as SecureBucketProps);
      },
    });
  });
});

const attribute = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,8}$/);
const key = fc.record({ name: attribute, type: fc.constantFrom('S', 'N', 'B') }, { requiredKeys: ['name'] });

describe('SecureTable props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: SecureTablePropsSchema,
      seed: 10_014,
      constructPath: 'teststack/Table',
      minSynthesized: 130,
      weights: { valid: 15, mutated: 35, random: 50 },
      overrides: {
        encryptionKey: fc.constant(dep('key')),
        globalSecondaryIndexes: fc.uniqueArray(
          fc.oneof(
            fc.record({ name: fc.stringMatching(/^by-[a-z]{1,6}$/), partitionKey: key, sortKey: key, projection: fc.constantFrom('ALL', 'KEYS_ONLY') }, { requiredKeys: ['name', 'partitionKey'] }),
            fc.record({ name: fc.stringMatching(/^inc-[a-z]{1,6}$/), partitionKey: key, projection: fc.constant('INCLUDE'), nonKeyAttributes: fc.array(attribute, { minLength: 1, maxLength: 2 }) }),
          ),
          { maxLength: 2, selector: (g) => g.name },
        ),
      },
      build(stack, props) {
        const deps = lazyDeps({ key: () => new EncryptionKey(stack, 'Key') });
        new SecureTable(stack, 'Table', resolveDeps(props, deps) as SecureTableProps);
      },
    });
  });
});

describe('EncryptionKey props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: EncryptionKeyPropsSchema,
      seed: 10_015,
      constructPath: 'teststack/Key',
      weights: { valid: 40, mutated: 35, random: 25 },
      minSynthesized: 80,
      build(stack, props) {
        new EncryptionKey(stack, 'Key', props as EncryptionKeyProps);
      },
    });
  });
});

describe('NodeFunction props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    const code = LambdaCode.fromRuntime('object-digest');
    checkPropsProperty({
      schema: NodeFunctionPropsSchema,
      seed: 10_016,
      constructPath: 'teststack/Fn',
      minSynthesized: 120,
      weights: { valid: 13, mutated: 35, random: 52 },
      overrides: {
        code: fc.constant(code),
        encryptionKey: fc.constant(dep('key')),
        deadLetterQueue: fc.constant(dep('queue')),
        environment: fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/).filter((k) => !k.startsWith('AWS') && k !== '_HANDLER'), fc.string({ maxLength: 12 }), { maxKeys: 3, noNullPrototype: true }),
        'vpc.subnetIds': fc.array(fc.constantFrom('subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'), { minLength: 1, maxLength: 2 }),
        'vpc.securityGroupIds': fc.array(fc.constant('sg-0123456789abcdef0'), { minLength: 1, maxLength: 1 }),
      },
      build(stack, props) {
        const deps = lazyDeps({
          key: () => new EncryptionKey(stack, 'Key', { services: ['logs'] }),
          queue: () => new SecureQueue(stack, 'Failures', { encryptionKey: new EncryptionKey(stack, 'QueueKey') }),
        });
        new NodeFunction(stack, 'Fn', resolveDeps(props, deps) as NodeFunctionProps);
      },
    });
  });
});
