import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, PlatformStack } from '../../src';
import { GaiConfigError, GaiError } from '../../src/core/errors';
import { Role } from '../../src/core/iam/role';
import { GpuTrainingCluster } from '../../src/gpu-training-cluster/cluster';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import { TrainingApiSettingsSchema } from '../../src/gpu-training-cluster/runtime/training-api/config';
import { TrainingTeams } from '../../src/gpu-training-cluster/teams';
import {
  DEFAULT_TRAINING_API_GROUP,
  TRAINING_JOB_API_ROLE,
  TRAINING_JOB_API_ROUTES,
  TRAINING_JOB_API_RULES,
  TrainingJobApi,
  TrainingJobApiRbac,
  type TrainingJobApiProps,
} from '../../src/gpu-training-cluster/training-job-api';
import { byPath, platformStack, policy, resources, SETTINGS, type TfJson } from '../support/synth';

const ECR = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';
const TEAMS: TrainingJobApiProps['teams'] = [
  { name: 'research', gpuQuota: 8, nodePool: 'gpu-a100', allowedImages: [`${ECR}/research/`], submitterArns: ['arn:aws:iam::111122223333:role/ResearchScientist'] },
  { name: 'platform', namespace: 'platform-training', gpuQuota: 2, nodePool: 'gpu-l4', allowedImages: [`${ECR}/platform/`, `${ECR}/shared/base`] },
];

interface Built {
  json: Record<'cluster' | 'workloads', TfJson>;
  api: TrainingJobApi;
  manifest: { stacks: Record<string, { dependencies: string[] }> };
}

/** cluster stack (network + EKS + the API) → workloads stack (providers + teams + the API's RBAC). */
function build(): Built {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
  const clusterStack = new PlatformStack(app, 'cluster', { settings: SETTINGS });
  const network = new ClusterNetwork(clusterStack, 'Network', { clusterName: 'gai-test-training' });
  const training = new GpuTrainingCluster(clusterStack, 'Training', { network, clusterName: 'gai-test-training', adminRoleArns: ['arn:aws:iam::111122223333:role/PlatformAdmin'] });
  const api = new TrainingJobApi(clusterStack, 'TrainingApi', {
    cluster: training,
    teams: TEAMS,
    registry: { url: 'https://registry.example.com', artifactBucket: 'gai-test-artifacts' },
    dataset: { bucket: 'gai-test-offline', versionsTable: 'gai-test-dataset-versions' },
  });
  const pipeline = new Role(clusterStack, 'PipelineRole', { assumedBy: ['codebuild.amazonaws.com'] });
  api.grantSubmit(pipeline, ['platform']);

  const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
  const { kubernetes } = ClusterProviders.configure(workloads, training.reference());
  const teams = new TrainingTeams(workloads, 'Teams', {
    cluster: training.reference(),
    kubernetesProvider: kubernetes,
    teams: [
      { name: 'research', gpuQuota: 8 },
      { name: 'platform-training', gpuQuota: 2 },
    ],
  });
  new TrainingJobApiRbac(workloads, 'TrainingApiRbac', { api, trainingTeams: teams, kubernetesProvider: kubernetes });
  app.synth(); // every validation, the policy pack among them, in both stacks
  const read = (stack: string) => JSON.parse(readFileSync(join(app.outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as TfJson;
  return { json: { cluster: read('cluster'), workloads: read('workloads') }, api, manifest: JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8')) };
}

describe('TrainingJobApi', () => {
  let b: Built;
  let c: TfJson;
  beforeAll(() => {
    b = build();
    c = b.json.cluster;
  });

  it('runs the training-job-api Lambda in the private subnets with its own security group', () => {
    const fn = byPath(c, 'aws_lambda_function', 'TrainingApi/Handler/Resource');
    expect(fn.vpc_config.security_group_ids).toEqual([expect.stringMatching(/^\$\{aws_security_group\.TrainingApi_SecurityGroup_[A-Z0-9]+\.id\}$/)]);
    expect(String(fn.vpc_config.subnet_ids)).toMatch(/aws_subnet\.Network_Private1_/);
    expect(fn.filename).toMatch(/training-job-api/);
    expect(fn.memory_size).toBe(512);
    expect(fn.timeout).toBe(29);
    const env = fn.environment.variables;
    expect(env.TJ_CLUSTER_NAME).toMatch(/^\$\{aws_eks_cluster\.Training_[A-Za-z0-9_]+\.name\}$/);
    expect(env.TJ_CLUSTER_ENDPOINT).toMatch(/\.endpoint\}$/);
    expect(env.TJ_CLUSTER_CA).toMatch(/certificate_authority\[0\]\.data\}$/);
  });

  it('renders the runtime configuration the function validates at cold start, with granted submitters', () => {
    const config = JSON.parse(byPath(c, 'aws_lambda_function', 'TrainingApi/Handler/Resource').environment.variables.TJ_CONFIG);
    expect(config).toEqual({
      serviceAccountName: 'trainer',
      registry: { url: 'https://registry.example.com', region: 'eu-west-1', artifactBucket: 'gai-test-artifacts' },
      dataset: { bucket: 'gai-test-offline', versionsTable: 'gai-test-dataset-versions' },
      maxTrialsPerRequest: 50,
      teams: [
        { name: 'research', namespace: 'research', gpuQuota: 8, nodePool: 'gpu-a100', allowedImages: [`${ECR}/research/`], submitters: ['arn:aws:iam::111122223333:role/ResearchScientist'] },
        {
          name: 'platform',
          namespace: 'platform-training',
          gpuQuota: 2,
          nodePool: 'gpu-l4',
          allowedImages: [`${ECR}/platform/`, `${ECR}/shared/base`],
          submitters: [expect.stringMatching(/^\$\{aws_iam_role\.PipelineRole_[A-Za-z0-9_]+\.arn\}$/)],
        },
      ],
    });
    // With the role ARN resolved, the runtime's own schema accepts it.
    config.teams[1].submitters = ['arn:aws:iam::111122223333:role/pipeline'];
    expect(TrainingApiSettingsSchema.safeParse(config).success).toBe(true);
  });

  it('allows HTTPS from its security group to the cluster security group, and nothing else', () => {
    const sg = byPath(c, 'aws_security_group', 'TrainingApi/SecurityGroup');
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    const egress = resources(c, 'aws_vpc_security_group_egress_rule').filter(([, r]) => r['//'].metadata.path.includes('TrainingApi/'));
    expect(egress.map(([, r]) => ({ from: r.from_port, to: r.to_port, proto: r.ip_protocol, ref: r.referenced_security_group_id, cidr: r.cidr_ipv4 }))).toEqual([
      { from: 443, to: 443, proto: 'tcp', ref: expect.stringMatching(/vpc_config\[0\]\.cluster_security_group_id\}$/), cidr: undefined },
    ]);
    const ingress = byPath(c, 'aws_vpc_security_group_ingress_rule', 'TrainingApi/ClusterHttpsFromApi');
    expect(ingress).toMatchObject({ from_port: 443, to_port: 443, ip_protocol: 'tcp' });
    expect(ingress.security_group_id).toMatch(/cluster_security_group_id\}$/);
    expect(ingress.referenced_security_group_id).toMatch(/aws_security_group\.TrainingApi_SecurityGroup_[A-Z0-9]+\.id/);
  });

  it('maps the function role to the Kubernetes group through an access entry, with no access policy and no eks IAM actions', () => {
    const entry = byPath(c, 'aws_eks_access_entry', 'TrainingApi/AccessEntry');
    expect(entry).toMatchObject({ type: 'STANDARD', kubernetes_groups: [DEFAULT_TRAINING_API_GROUP] });
    expect(entry.principal_arn).toMatch(/aws_iam_role\.TrainingApi_Handler_ServiceRole_[A-Za-z0-9_]+\.arn/);
    expect(resources(c, 'aws_eks_access_policy_association').filter(([, r]) => r['//'].metadata.path.includes('TrainingApi'))).toEqual([]);
    const fnPolicy = resources(c, 'aws_iam_role_policy').find(([, r]) => r['//'].metadata.path.includes('TrainingApi/Handler/ServiceRole'))![1];
    const actions = policy(fnPolicy.policy).Statement.flatMap((s: any) => [].concat(s.Action));
    expect(actions.filter((a: string) => a.startsWith('eks:'))).toEqual([]);
    expect(actions).toContain('ec2:CreateNetworkInterface');
  });

  it('serves exactly three AWS_IAM routes and grants them to submitters', () => {
    const routes = resources(c, 'aws_apigatewayv2_route').filter(([, r]) => r['//'].metadata.path.includes('TrainingApi/'));
    expect(routes.map(([, r]) => r.route_key).sort()).toEqual(['GET /training-jobs/{team}', 'GET /training-jobs/{team}/{id}', 'POST /training-jobs']);
    for (const [, r] of routes) expect(r.authorization_type).toBe('AWS_IAM');
    const stage = resources(c, 'aws_apigatewayv2_stage').filter(([, r]) => r['//'].metadata.path.includes('TrainingApi/'));
    expect(stage).toHaveLength(1);
    expect(stage[0]![1].default_route_settings).toMatchObject({ throttling_burst_limit: 20, throttling_rate_limit: 10 });
    const granted = policy(resources(c, 'aws_iam_role_policy').find(([, r]) => r['//'].metadata.path.includes('PipelineRole/'))![1].policy);
    expect(granted.Statement).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'execute-api:Invoke' })]);
    expect([].concat(granted.Statement[0].Resource)).toHaveLength(TRAINING_JOB_API_ROUTES.length);
    expect(b.api.submittersOf('platform')).toHaveLength(1);
  });

  it('binds the group in each team namespace to a Role with create/get/list on the three training kinds only', () => {
    const w = b.json.workloads;
    const roles = resources(w, 'kubernetes_role_v1');
    expect(roles).toHaveLength(2);
    for (const [, role] of roles) {
      expect(role.metadata.name).toBe(TRAINING_JOB_API_ROLE);
      expect(role.rule).toEqual([
        { api_groups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list'] },
        { api_groups: ['kubeflow.org'], resources: ['pytorchjobs'], verbs: ['create', 'get', 'list'] },
        { api_groups: ['trainer.kubeflow.org'], resources: ['trainjobs'], verbs: ['create', 'get', 'list'] },
      ]);
    }
    expect(TRAINING_JOB_API_RULES.flatMap((r) => r.verbs).every((v) => ['create', 'get', 'list'].includes(v))).toBe(true);
    // The namespaces are the TrainingTeams namespace resources, so the Roles wait for them.
    expect(roles.map(([, r]) => r.metadata.namespace).sort()).toEqual([
      expect.stringMatching(/kubernetes_namespace_v1\.Teams_platform-training_Namespace_[A-Z0-9]+\.metadata\[0\]\.name/),
      expect.stringMatching(/kubernetes_namespace_v1\.Teams_research_Namespace_[A-Z0-9]+\.metadata\[0\]\.name/),
    ]);
    const bindings = resources(w, 'kubernetes_role_binding_v1');
    expect(bindings).toHaveLength(2);
    for (const [, binding] of bindings) {
      expect(binding.role_ref).toMatchObject({ kind: 'Role', name: expect.stringContaining('kubernetes_role_v1.') });
      expect(binding.subject).toEqual([{ api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: DEFAULT_TRAINING_API_GROUP }]);
    }
    // Only literal settings cross from the API's stack: no remote state in workloads for them.
    expect(JSON.stringify(w.resource.kubernetes_role_binding_v1)).not.toContain('terraform_remote_state');
    expect(b.manifest.stacks.workloads.dependencies).toContain('cluster');
  });
});

describe('TrainingJobApi props', () => {
  function clusterIn(stack: PlatformStack): GpuTrainingCluster {
    const network = new ClusterNetwork(stack, 'Network', { clusterName: 'gai-test-training' });
    return new GpuTrainingCluster(stack, 'Training', { network, clusterName: 'gai-test-training', adminRoleArns: ['arn:aws:iam::111122223333:role/PlatformAdmin'] });
  }
  const base = (cluster: GpuTrainingCluster): TrainingJobApiProps => ({
    cluster,
    teams: TEAMS,
    registry: { url: 'https://registry.example.com', artifactBucket: 'gai-test-artifacts' },
    dataset: { bucket: 'gai-test-offline' },
  });
  function problems(change: (p: TrainingJobApiProps) => unknown): string[] {
    const stack = platformStack();
    const props = base(clusterIn(stack));
    try {
      new TrainingJobApi(stack, 'TrainingApi', change(props) as TrainingJobApiProps);
    } catch (e) {
      expect(e).toBeInstanceOf(GaiConfigError);
      return (e as GaiConfigError).problems.map((p) => `${p.fieldPath}: ${p.message}`);
    }
    throw new Error('expected a GaiConfigError');
  }

  it('reports every problem at once, naming each field', () => {
    const found = problems((p) => ({
      ...p,
      teams: [
        { ...TEAMS[0], allowedImages: [] },
        { ...TEAMS[1], name: 'research', submitterArns: ['not-an-arn'], allowedImages: ['https://docker.io/x'] },
      ],
      kubernetesGroup: 'system:masters',
      maxTrialsPerRequest: 0,
    }));
    expect(found).toEqual(
      expect.arrayContaining([
        'teams[0].allowedImages: must allow at least one image prefix',
        'teams[1].submitterArns[0]: must be an IAM role or user ARN',
        expect.stringMatching(/^teams\[1\]\.allowedImages\[0\]: must be a registry\/repository prefix/),
        'kubernetesGroup: must not start with system: (EKS refuses it)',
        expect.stringMatching(/^maxTrialsPerRequest: /),
        'teams[1].name: team research is defined twice',
      ]),
    );
    expect(problems((p) => ({ ...p, cluster: undefined }))).toEqual(['cluster: must be a GpuTrainingCluster']);
    expect(problems((p) => ({ ...p, teams: [] }))).toEqual(['teams: must define at least one team']);
    expect(problems((p) => ({ ...p, registry: { ...p.registry, url: 'ftp://x' } }))).toEqual(['registry.url: must be an http(s) URL']);
  });

  it('grantSubmit refuses unknown teams', () => {
    const stack = platformStack();
    const api = new TrainingJobApi(stack, 'TrainingApi', base(clusterIn(stack)));
    const role = new Role(stack, 'R', { assumedBy: ['codebuild.amazonaws.com'] });
    expect(() => api.grantSubmit(role, ['nobody'])).toThrow(GaiError);
    expect(() => api.grantSubmit(role, ['nobody'])).toThrow(/gaiops:training-job-api:unknown-team.*no team nobody/);
    expect(() => api.grantSubmit(role, [])).toThrow(/name at least one team/);
  });

  it("refuses at synth a configuration that overflows Lambda's 4 KB environment", () => {
    const stack = platformStack();
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `team-${i}`, gpuQuota: 4, nodePool: 'gpu', allowedImages: [`${ECR}/team-${i}/images/`, `${ECR}/shared/base-images-${i}/`] }));
    new TrainingJobApi(stack, 'TrainingApi', { ...base(clusterIn(stack)), teams: many });
    let error: unknown;
    try {
      stack.toTerraform();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GaiConfigError);
    expect((error as GaiConfigError).problems[0]).toMatchObject({ fieldPath: 'teams', message: expect.stringMatching(/environment would be about \d+ bytes .*Lambda allows 4096/) });
  });
});
