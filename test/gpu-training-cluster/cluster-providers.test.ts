import { describe, expect, it } from 'vitest';
import { GaiConfigError } from '../../src/core/errors';
import { ClusterProviders, EXEC_API_VERSION } from '../../src/gpu-training-cluster/cluster-providers';
import { platformStack, synth } from '../support/synth';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TEST_CLUSTER } from '../support/cluster-reference';

const CLUSTER = TEST_CLUSTER;

const EXEC = {
  api_version: EXEC_API_VERSION,
  command: 'aws',
  args: ['eks', 'get-token', '--cluster-name', 'gai-test-training', '--region', 'eu-central-1', '--output', 'json'],
};

describe('ClusterProviders', () => {
  it('configures kubernetes and helm (3.x kubernetes attribute) with exec auth, the endpoint and the decoded CA — no token', () => {
    const stack = platformStack();
    const providers = ClusterProviders.configure(stack, CLUSTER, { region: 'eu-central-1' });
    expect(providers.kubernetes).toBeInstanceOf(KubernetesProvider);
    expect(providers.helm).toBeInstanceOf(HelmProvider);
    const json = synth(stack);
    const ca = '${base64decode("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t")}';
    expect(json.provider!.kubernetes).toEqual([{ host: CLUSTER.endpoint, cluster_ca_certificate: ca, exec: [EXEC] }]);
    expect(json.provider!.helm).toEqual([{ kubernetes: { host: CLUSTER.endpoint, cluster_ca_certificate: ca, exec: EXEC } }]);
    const text = JSON.stringify(json.provider);
    for (const secret of ['token', 'password', 'client_key', 'client_certificate', 'config_path', 'insecure']) expect(text).not.toContain(`"${secret}"`);
  });

  it("defaults the region to the stack's platform region and supports aliases for several clusters", () => {
    const stack = platformStack();
    ClusterProviders.configure(stack, CLUSTER);
    ClusterProviders.configure(stack, { ...CLUSTER, clusterName: 'other' }, { alias: 'other', idPrefix: 'Other' });
    const json = synth(stack);
    expect(json.provider!.kubernetes).toHaveLength(2);
    expect(json.provider!.kubernetes[0].exec[0].args).toEqual(['eks', 'get-token', '--cluster-name', 'gai-test-training', '--region', 'eu-west-1', '--output', 'json']);
    expect(json.provider!.kubernetes[1]).toMatchObject({ alias: 'other', exec: [{ args: expect.arrayContaining(['other']) }] });
    expect(json.provider!.helm[1]).toMatchObject({ alias: 'other', kubernetes: { exec: { args: expect.arrayContaining(['other']) } } });
  });

  it('refuses bad options in one error', () => {
    const stack = platformStack();
    let err: unknown;
    try {
      ClusterProviders.configure(stack, CLUSTER, { region: 'Europe', alias: '1x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GaiConfigError);
    expect((err as GaiConfigError).problems.map((p) => p.fieldPath)).toEqual(['region', 'alias']);
  });
});
