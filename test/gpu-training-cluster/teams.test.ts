import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, PlatformStack } from '../../src';
import { GaiConfigError } from '../../src/core/errors';
import type { FeatureGroupInput } from '../../src/feature-store/feature-group';
import { FeatureStore } from '../../src/feature-store/feature-store';
import { ModelRegistry } from '../../src/model-registry/model-registry';
import { GpuTrainingCluster } from '../../src/gpu-training-cluster/cluster';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import { POD_IDENTITY_AGENT, TEAM_LABEL, TrainingTeams } from '../../src/gpu-training-cluster/teams';
import { parseTrainingTeamsProps, TrainingTeamsPropsSchema, type TrainingTeamsProps } from '../../src/gpu-training-cluster/teams-schema';
import { parseProps } from '../../src/core/props';
import { byPath, platformStack, policy, resources, SETTINGS, type TfJson } from '../support/synth';
import { TEST_CLUSTER } from '../support/cluster-reference';

const GROUPS: FeatureGroupInput[] = [
  { name: 'customers', entityKeys: [{ name: 'customer_id' }], eventTimeColumn: 'ts', features: [{ name: 'age', type: 'int', min: 0 }] },
  { name: 'purchases', entityKeys: [{ name: 'customer_id' }], eventTimeColumn: 'ts', features: [{ name: 'amount', type: 'float' }], online: false },
  { name: 'sessions', entityKeys: [{ name: 'session_id' }], eventTimeColumn: 'ts', features: [{ name: 'clicks', type: 'int' }], offline: false },
];

const CLUSTER = TEST_CLUSTER;

interface Built {
  app: App;
  teams: TrainingTeams;
  json: Record<'cluster' | 'data' | 'workloads', TfJson>;
  manifest: { stacks: Record<string, { dependencies: string[] }> };
}

/** cluster stack (network + EKS) → data stack (FeatureStore + ModelRegistry) → workloads stack (providers + teams). */
function build(): Built {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
  const clusterStack = new PlatformStack(app, 'cluster', { settings: SETTINGS });
  const network = new ClusterNetwork(clusterStack, 'Network', { clusterName: 'gai-test-training' });
  const training = new GpuTrainingCluster(clusterStack, 'Training', {
    network,
    clusterName: 'gai-test-training',
    adminRoleArns: ['arn:aws:iam::111122223333:role/PlatformAdmin'],
  });
  const dataStack = new PlatformStack(app, 'data', { settings: SETTINGS });
  const featureStore = new FeatureStore(dataStack, 'Features', { featureGroups: GROUPS });
  const modelRegistry = new ModelRegistry(dataStack, 'Registry');
  const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
  const cluster = training.reference();
  const { kubernetes } = ClusterProviders.configure(workloads, cluster);
  const teams = new TrainingTeams(workloads, 'Teams', {
    cluster,
    kubernetesProvider: kubernetes,
    featureStore,
    modelRegistry,
    teams: [
      { name: 'research', gpuQuota: 8, datasetGroups: ['customers'], containerDefaults: { cpuRequest: '250m', memoryLimit: '8Gi' } },
      { name: 'platform', gpuQuota: 0, cpuQuota: '16', memoryQuota: '64Gi', podQuota: 20, podSecurity: 'baseline', allowIntraNamespace: false },
    ],
  });
  app.synth(); // resolves cross-stack references and runs every validation (the policy pack among them)
  const read = (stack: string) => JSON.parse(readFileSync(join(app.outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as TfJson;
  return {
    app,
    teams,
    json: { cluster: read('cluster'), data: read('data'), workloads: read('workloads') },
    manifest: JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8')),
  };
}

function parseErr(props: unknown): GaiConfigError {
  try {
    parseTrainingTeamsProps('Teams', props);
  } catch (e) {
    expect(e).toBeInstanceOf(GaiConfigError);
    return e as GaiConfigError;
  }
  throw new Error('expected a GaiConfigError');
}

describe('TrainingTeams in a workloads stack', () => {
  let b: Built;
  let w: TfJson;
  beforeAll(() => {
    b = build();
    w = b.json.workloads;
  });

  it('synthesizes every stack with the policy pack passing, and orders workloads after cluster and data', () => {
    // app.synth() threw on any unsuppressed policy error; the stacks exist and the manifest records the order.
    expect(Object.keys(b.manifest.stacks).sort()).toEqual(['cluster', 'data', 'workloads']);
    expect([...b.manifest.stacks.workloads.dependencies].sort()).toEqual(['cluster', 'data']);
    expect(b.manifest.stacks.cluster.dependencies).toEqual([]);
    expect(b.manifest.stacks.data.dependencies).toEqual([]);
    // every Kubernetes object goes through the configured provider
    for (const type of ['kubernetes_namespace_v1', 'kubernetes_resource_quota_v1', 'kubernetes_limit_range_v1', 'kubernetes_network_policy_v1', 'kubernetes_service_account_v1']) {
      for (const [, r] of resources(w, type)) expect(r.provider).toBe('kubernetes');
    }
  });

  it('labels each namespace with the team and Pod Security Standards', () => {
    const research = byPath(w, 'kubernetes_namespace_v1', 'Teams/research/Namespace');
    expect(research.metadata.name).toBe('research');
    expect(research.metadata.labels).toEqual({
      [TEAM_LABEL]: 'research',
      'app.kubernetes.io/managed-by': 'gaiops',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'latest',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'latest',
    });
    const platform = byPath(w, 'kubernetes_namespace_v1', 'Teams/platform/Namespace');
    expect(platform.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(platform.metadata.labels['pod-security.kubernetes.io/warn']).toBe('restricted');
  });

  it('sets quotas (GPU requests and limits) and LimitRange container defaults', () => {
    const quota = byPath(w, 'kubernetes_resource_quota_v1', 'Teams/research/ResourceQuota');
    expect(quota.metadata.namespace).toMatch(/kubernetes_namespace_v1\.Teams_research_Namespace.*\.metadata\[0\]\.name/);
    expect(quota.spec.hard).toEqual({
      'requests.nvidia.com/gpu': '8',
      'limits.nvidia.com/gpu': '8',
      'requests.cpu': '64',
      'limits.cpu': '64',
      'requests.memory': '512Gi',
      'limits.memory': '512Gi',
      pods: '100',
    });
    expect(byPath(w, 'kubernetes_resource_quota_v1', 'Teams/platform/ResourceQuota').spec.hard).toMatchObject({
      'requests.nvidia.com/gpu': '0',
      'limits.nvidia.com/gpu': '0',
      'requests.cpu': '16',
      'limits.memory': '64Gi',
      pods: '20',
    });
    const limits = byPath(w, 'kubernetes_limit_range_v1', 'Teams/research/LimitRange');
    expect(limits.spec.limit).toEqual([{ type: 'Container', default_request: { cpu: '250m', memory: '1Gi' }, default: { cpu: '2', memory: '8Gi' } }]);
  });

  it('denies all ingress and egress by default, allowing DNS to kube-system only, HTTPS, the Pod Identity agent and (optionally) the namespace itself', () => {
    const research = resources(w, 'kubernetes_network_policy_v1').filter(([, r]) => r['//'].metadata.path.includes('Teams/research/'));
    expect(research.map(([, r]) => r.metadata.name).sort()).toEqual(['allow-dns', 'allow-https-egress', 'allow-pod-identity-agent', 'allow-same-namespace', 'default-deny']);
    const deny = byPath(w, 'kubernetes_network_policy_v1', 'Teams/research/DefaultDeny');
    expect(deny.spec).toEqual({ pod_selector: {}, policy_types: ['Ingress', 'Egress'] });
    const dns = byPath(w, 'kubernetes_network_policy_v1', 'Teams/research/AllowDns');
    expect(dns.spec.policy_types).toEqual(['Egress']);
    expect(dns.spec.ingress).toBeUndefined();
    expect(dns.spec.egress).toEqual([
      {
        to: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'kube-system' } }, pod_selector: { match_labels: { 'k8s-app': 'kube-dns' } } }],
        ports: [
          { port: '53', protocol: 'UDP' },
          { port: '53', protocol: 'TCP' },
        ],
      },
    ]);
    const https = byPath(w, 'kubernetes_network_policy_v1', 'Teams/research/AllowHttpsEgress');
    expect(https.spec.egress).toEqual([{ to: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }] }]);
    const agent = byPath(w, 'kubernetes_network_policy_v1', 'Teams/research/AllowPodIdentityAgent');
    expect(agent.spec.egress).toEqual([{ to: [{ ip_block: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ port: '80', protocol: 'TCP' }] }]);
    const same = byPath(w, 'kubernetes_network_policy_v1', 'Teams/research/AllowSameNamespace');
    expect(same.spec).toEqual({ pod_selector: {}, policy_types: ['Ingress', 'Egress'], ingress: [{ from: [{ pod_selector: {} }] }], egress: [{ to: [{ pod_selector: {} }] }] });
    // no policy but the namespace-internal one allows ingress
    for (const [, r] of research) if (r.metadata.name !== 'allow-same-namespace') expect(r.spec.ingress).toBeUndefined();
    const platform = resources(w, 'kubernetes_network_policy_v1').filter(([, r]) => r['//'].metadata.path.includes('Teams/platform/'));
    expect(platform.map(([, r]) => r.metadata.name)).not.toContain('allow-same-namespace');
  });

  it('creates the trainer service account without a mounted token', () => {
    const sa = byPath(w, 'kubernetes_service_account_v1', 'Teams/research/ServiceAccount');
    expect(sa.metadata.name).toBe('trainer');
    expect(sa.automount_service_account_token).toBe(false);
    expect(sa.metadata.labels[TEAM_LABEL]).toBe('research');
  });

  it('trusts only EKS Pod Identity (AssumeRole + TagSession) for this cluster, namespace and service account', () => {
    const role = byPath(w, 'aws_iam_role', 'Teams/research/Role/Resource');
    const trust = policy(role.assume_role_policy);
    expect(trust.Statement).toHaveLength(1);
    const [s] = trust.Statement;
    expect(s).toMatchObject({ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] });
    expect(s.Resource).toBeUndefined();
    expect(s.Condition.StringEquals['aws:RequestTag/kubernetes-namespace']).toBe('research');
    expect(s.Condition.StringEquals['aws:RequestTag/kubernetes-service-account']).toBe('trainer');
    expect(s.Condition.StringEquals['aws:RequestTag/eks-cluster-name']).toMatch(/data\.terraform_remote_state\.cross-stack-reference-input-cluster/);
  });

  it('associates the role with the service account through Pod Identity', () => {
    const assoc = byPath(w, 'aws_eks_pod_identity_association', 'Teams/research/PodIdentity');
    expect(assoc.namespace).toBe('research');
    expect(assoc.service_account).toBe('trainer');
    expect(assoc.disable_session_tags).toBe(false);
    expect(assoc.cluster_name).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-cluster\.outputs\./);
    expect(assoc.role_arn).toMatch(/aws_iam_role\.Teams_research_Role_.*\.arn/);
  });

  it('grants exactly the FeatureStore dataset-read (the team groups only) and ModelRegistry register actions', () => {
    const research = b.teams.team('research');
    const platform = b.teams.team('platform');
    expect(research.datasetGroups).toEqual(['customers']);
    expect(platform.datasetGroups).toEqual(['customers', 'purchases']); // default: every group with an offline store
    const featureActions = research.grants[0].actions;
    expect(featureActions).toEqual(
      expect.arrayContaining(['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution', 'execute-api:Invoke', 'glue:GetTable', 's3:GetObject', 's3:ListBucket']),
    );
    const registryActions = research.grants[1].actions;
    expect(registryActions).toEqual(expect.arrayContaining(['execute-api:Invoke', 's3:GetObject', 's3:PutObject']));
    // the role's policy holds exactly what the grants returned
    const granted = [...new Set(research.grants.flatMap((g) => g.actions))].sort();
    const onRole = [...new Set(research.role.statements.flatMap((s) => s.actions))].sort();
    expect(onRole).toEqual(granted);

    const doc = (team: string) => {
      const found = resources(w, 'aws_iam_role_policy').filter(([, r]) => r['//'].metadata.path.endsWith(`Teams/${team}/Role/Policy/Resource`));
      expect(found).toHaveLength(1);
      return found[0][1].policy as string;
    };
    const researchPolicy = doc('research');
    const statements = policy(researchPolicy).Statement;
    const actions = [...new Set(statements.flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
    expect(actions).toEqual(granted);
    for (const s of statements) {
      expect(s.Resource).not.toBe('*');
      for (const a of [s.Action].flat()) expect(a).not.toMatch(/\*/);
    }
    expect(researchPolicy).toContain('offline/customers/');
    expect(researchPolicy).toContain('manifests/customers/');
    expect(researchPolicy).not.toContain('purchases');
    expect(researchPolicy).not.toContain('sessions');
    expect(researchPolicy).toContain('artifacts/');
    const platformPolicy = doc('platform');
    expect(platformPolicy).toContain('offline/customers/');
    expect(platformPolicy).toContain('offline/purchases/');
    expect(platformPolicy).not.toContain('sessions');
  });

  it('exposes namespace, service account and role ARN per team', () => {
    const research = b.teams.team('research');
    expect(research.name).toBe('research');
    for (const value of [research.namespace, research.serviceAccountName, research.roleArn]) expect(typeof value).toBe('string');
    expect(() => b.teams.team('nobody')).toThrow(/no team nobody/);
  });
});

describe('TrainingTeams props', () => {
  const base = (teams: unknown): TrainingTeamsProps => ({ cluster: CLUSTER, teams }) as TrainingTeamsProps;

  it('applies the documented defaults', () => {
    const p = parseProps('Teams', TrainingTeamsPropsSchema, base([{ name: 'a', gpuQuota: 2 }]));
    expect(p.serviceAccountName).toBe('trainer');
    expect(p.httpsEgressCidrs).toEqual(['0.0.0.0/0']);
    expect(p.teams[0]).toEqual({
      name: 'a',
      gpuQuota: 2,
      cpuQuota: '64',
      memoryQuota: '512Gi',
      podQuota: 100,
      containerDefaults: { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '4Gi' },
      podSecurity: 'restricted',
      allowIntraNamespace: true,
    });
  });

  it('requires the GPU quota', () => {
    const err = parseErr(base([{ name: 'research' }]));
    expect(err.problems.map((p) => p.fieldPath)).toEqual(['teams[0].gpuQuota']);
    expect(err.problems[0].message).toMatch(/is required/);
  });

  it('refuses duplicate team names and lists every problem in one error', () => {
    const err = parseErr(
      base([
        { name: 'research', gpuQuota: 1 },
        { name: 'research', gpuQuota: 1.5, cpuQuota: 'lots', containerDefaults: { cpuRequest: '4', cpuLimit: '2' } },
        { name: 'Bad_Name', gpuQuota: -1, datasetGroups: ['customers'] },
      ]),
    );
    expect(err.problems.map((p) => p.fieldPath).sort()).toEqual(
      [
        'teams[1].name',
        'teams[1].gpuQuota',
        'teams[1].cpuQuota',
        'teams[1].containerDefaults.cpuRequest',
        'teams[2].name',
        'teams[2].gpuQuota',
        'teams[2].datasetGroups',
      ].sort(),
    );
    expect(err.problems.find((p) => p.fieldPath === 'teams[1].name')!.message).toMatch(/already used by teams\[0\]/);
    expect(err.problems.find((p) => p.fieldPath === 'teams[2].datasetGroups')!.message).toMatch(/needs a featureStore/);
    expect(parseErr(base([])).problems.map((p) => p.fieldPath)).toEqual(['teams']);
  });

  it('the construct refuses duplicate team names with its path', () => {
    const stack = platformStack();
    let err: unknown;
    try {
      new TrainingTeams(stack, 'Teams', { cluster: CLUSTER, teams: [{ name: 'research', gpuQuota: 1 }, { name: 'research', gpuQuota: 2 }] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GaiConfigError);
    expect((err as GaiConfigError).problems).toEqual([{ constructPath: 'teststack/Teams', fieldPath: 'teams[1].name', message: '"research" is already used by teams[0]' }]);
  });

  it('refuses dataset groups the FeatureStore does not have or that have no offline store', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const data = new PlatformStack(app, 'data', { settings: SETTINGS });
    const featureStore = new FeatureStore(data, 'Features', { featureGroups: GROUPS });
    const err = parseErr({ cluster: CLUSTER, featureStore, teams: [{ name: 'a', gpuQuota: 1, datasetGroups: ['customers', 'nope', 'sessions'] }] });
    expect(err.problems.map((p) => p.fieldPath)).toEqual(['teams[0].datasetGroups[1]', 'teams[0].datasetGroups[2]']);
    expect(err.problems[0].message).toMatch(/not a group/);
    expect(err.problems[1].message).toMatch(/no offline store/);
  });
});
