import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EncryptionKey } from '../../src/core/encryption-key';
import { GpuTrainingCluster } from '../../src/gpu-training-cluster/cluster';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import { ClusterNetworkPropsSchema, GpuTrainingClusterPropsSchema, type ClusterNetworkProps, type GpuTrainingClusterProps } from '../../src/gpu-training-cluster/schema';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty } from './support';

const NAME = 'gai-test-training';
/** `10.<n>.0.0/<16-20>`: always a network address. */
const vpcCidr = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 20 })).map(([n, p]) => `10.${n}.0.0/${p}`);
const az = fc.constantFrom('eu-west-1a', 'eu-west-1b', 'eu-west-1c');

describe('ClusterNetwork props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: ClusterNetworkPropsSchema,
      seed: 10_002,
      constructPath: 'teststack/Network',
      minSynthesized: 100,
      weights: { valid: 8, mutated: 46, random: 46 },
      overrides: {
        cidr: vpcCidr,
        availabilityZones: fc.uniqueArray(az, { minLength: 2, maxLength: 3 }),
        azCount: fc.integer({ min: 2, max: 3 }),
        interfaceEndpoints: fc.subarray(['ecr.api', 'ecr.dkr', 'sts', 'logs', 'ec2', 'ssm'] as const, { minLength: 0, maxLength: 3 }),
        encryptionKey: fc.constant(dep('key')),
      },
      build(stack, props) {
        const key = new EncryptionKey(stack, 'Key', { services: ['logs'] });
        new ClusterNetwork(stack, 'Network', resolveDeps(props, { key }) as ClusterNetworkProps);
      },
    });
  });
});

describe('GpuTrainingCluster props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: GpuTrainingClusterPropsSchema,
      seed: 10_003,
      constructPath: 'teststack/Training',
      weights: { valid: 8, mutated: 35, random: 57 },
      minSynthesized: 100,
      overrides: {
        network: fc.constant(dep('network')),
        clusterName: fc.constant(NAME),
        encryptionKey: fc.constant(dep('key')),
        adminRoleArns: fc.uniqueArray(fc.stringMatching(/^arn:aws:iam::111122223333:role\/[A-Za-z][\w+=,.@-]{0,12}$/), { minLength: 1, maxLength: 2 }),
        publicAccessCidrs: fc.constant([]),
        endpointPublicAccess: fc.constant(false),
        'systemNodeGroup.minSize': fc.integer({ min: 1, max: 2 }),
        'systemNodeGroup.desiredSize': fc.integer({ min: 2, max: 3 }),
        'systemNodeGroup.maxSize': fc.integer({ min: 3, max: 10 }),
        'systemNodeGroup.instanceTypes': fc.subarray(['m7g.large', 'm7g.xlarge', 'c7g.large'], { minLength: 1 }),
        'systemNodeGroup.labels': fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{1,8}$/), { maxKeys: 2, noNullPrototype: true }),
      },
      build(stack, props) {
        const key = new EncryptionKey(stack, 'Key', { services: ['logs', 'events'] });
        const network = ClusterNetwork.fromExisting(stack, 'Network', {
          vpcId: 'vpc-0123456789abcdef0',
          vpcCidr: '10.0.0.0/16',
          privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
        });
        new GpuTrainingCluster(stack, 'Training', resolveDeps(props, { key, network }) as GpuTrainingClusterProps);
      },
    });
  });
});
