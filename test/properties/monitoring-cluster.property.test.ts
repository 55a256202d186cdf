import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { GATEWAY_LATENCY_BUCKETS } from '../../src/monitoring-stack/metric-names';
import { MonitoringCluster } from '../../src/monitoring-stack/monitoring-cluster';
import { MonitoringClusterPropsSchema, type MonitoringClusterProps } from '../../src/monitoring-stack/monitoring-cluster-schema';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { dep, resolveDeps } from './arbitraries';
import { checkPropsProperty } from './support';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:gai-test-alerts';
const TOPIC_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/abcd1234-12ab-34cd-56ef-1234567890ab';

describe('MonitoringCluster props (property)', () => {
  it('1,000 random props: synth passes the policy pack, or a GaiConfigError names the field', { timeout: 120_000 }, () => {
    checkPropsProperty({
      schema: MonitoringClusterPropsSchema,
      seed: 10_010,
      constructPath: 'teststack/Monitoring',
      minSynthesized: 110,
      weights: { valid: 12, mutated: 35, random: 53 },
      overrides: {
        cluster: fc.constant(TEST_CLUSTER),
        helmProvider: fc.constant(dep('helm')),
        kubernetesProvider: fc.constant(dep('kubernetes')),
        volumeKmsKeyArn: fc.constant(KEY),
        'rules.latencyThresholdSeconds': fc.constantFrom(...GATEWAY_LATENCY_BUCKETS),
        'rules.runbookBaseUrl': fc.constantFrom('https://runbooks.example.com/gaiops', 'https://wiki.example.org/runbooks/'),
        prometheus: fc.oneof(
          fc.constant({}),
          fc.record({ retention: fc.constantFrom('15d', '12h', '1w2d'), retentionSize: fc.constantFrom('10GB', '45GB', '8GiB'), storageGiB: fc.integer({ min: 50, max: 500 }), replicas: fc.integer({ min: 1, max: 5 }) }, { requiredKeys: [] }),
        ),
        'alertmanager.receiver': fc.oneof(
          fc.record({ type: fc.constant('sns'), topicArn: fc.constant(TOPIC), topicKmsKeyArn: fc.constant(TOPIC_KEY), region: fc.constantFrom('eu-west-1', 'us-east-2') }, { requiredKeys: ['type', 'topicArn', 'topicKmsKeyArn'] }),
          fc.record({ type: fc.constant('webhook'), url: fc.constantFrom('https://hooks.example.com/alerts', 'https://example.org/a?b=c') }),
          fc.record({ type: fc.constant('webhook'), urlSecret: fc.record({ name: fc.constantFrom('alert-hook', 'hooks.v1'), key: fc.constantFrom('url', 'hook_url') }) }),
        ),
      },
      build(stack, props) {
        const { kubernetes, helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
        new MonitoringCluster(stack, 'Monitoring', resolveDeps(props, { kubernetes, helm }) as MonitoringClusterProps);
      },
    });
  });
});
