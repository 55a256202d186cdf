/**
 * RegistryServer: the registry API as a container on EKS, synthesized across a data stack (the
 * ModelRegistry) and a workloads stack (the server, team roles), with the policy pack; failure cases.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, CORE_RULES, evaluatePolicies, PlatformStack, Role } from '../../src';
import { Grant } from '../../src/core/iam/grant';
import { ContainerImage } from '../../src/core/container-image';
import { KUBERNETES_RULES } from '../../src/core/policy/rules/kubernetes';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { TrainingTeams } from '../../src/gpu-training-cluster/teams';
import { MLFLOW_API_BASE, ModelRegistry, REGISTRY_ROUTES } from '../../src/model-registry/model-registry';
import { MODEL_REGISTRY_ENV } from '../../src/model-registry/registry-config';
import { RegistryServer, type RegistryServerProps } from '../../src/model-registry/registry-server';
import { CALLER_IDENTITY_ENV, RegistryAccessSchema } from '../../src/model-registry/runtime/caller-identity';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { podIdentityTrustStatement } from '../support/pod-identity';
import { byPath, platformStack, policy, resources, SETTINGS, type TfJson } from '../support/synth';
import { configError } from '../support/config-error';

const IMAGE = ContainerImage.fromUri('111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-model-registry:sha256-0123456789abcdef');
const APPROVER = 'arn:aws:iam::111122223333:role/governance/ModelApprover';

describe('RegistryServer across stacks', () => {
  let json: TfJson;
  let data: TfJson;
  let server: RegistryServer;
  let env: Record<string, string>;

  beforeAll(() => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const dataStack = new PlatformStack(app, 'data', { settings: SETTINGS });
    const registry = new ModelRegistry(dataStack, 'Registry', { approverRoleArns: [APPROVER] });
    const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
    const { kubernetes } = ClusterProviders.configure(workloads, TEST_CLUSTER);
    const teams = new TrainingTeams(workloads, 'Teams', { cluster: TEST_CLUSTER, teams: [{ name: 'vision', gpuQuota: 8 }], kubernetesProvider: kubernetes });
    server = new RegistryServer(workloads, 'RegistryServer', {
      registry,
      cluster: TEST_CLUSTER,
      image: IMAGE,
      namespace: 'ml-registry',
      clients: [{ namespace: 'vision' }],
      callers: [
        { principalArn: 'arn:aws:iam::111122223333:role/Dashboards', access: 'read' },
        { principalArn: APPROVER, access: 'approve' },
      ],
      kubernetesProvider: kubernetes,
    });
    server.grantRegister(teams.team('vision').role);
    app.synth(); // cross-stack references and every validation, the policy pack among them
    data = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'data', 'cdk.tf.json'), 'utf8'));
    json = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'workloads', 'cdk.tf.json'), 'utf8'));
    const c = byPath(json, 'kubernetes_deployment_v1', 'RegistryServer/Resource/Deployment').spec.template.spec.container[0];
    env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  });

  it("runs the registry image with the registry function's MR_* environment", () => {
    const lambda = byPath(data, 'aws_lambda_function', 'Registry/Handler/Resource').environment.variables;
    for (const name of [MODEL_REGISTRY_ENV.metadataTable, MODEL_REGISTRY_ENV.auditTable, MODEL_REGISTRY_ENV.artifactBucket, MODEL_REGISTRY_ENV.eventBus]) {
      expect(env[name], name).toMatch(/data\.terraform_remote_state\.cross-stack-reference-input-data/);
      expect(lambda[name], name).toBeTruthy();
    }
    const config = JSON.parse(env[MODEL_REGISTRY_ENV.config]);
    expect(config.trustPrincipalHeader).toBe(false);
    expect(config.approverRoleArns).toEqual([APPROVER]);
    expect(env.AWS_REGION).toBe(SETTINGS.region);
    expect(byPath(json, 'kubernetes_deployment_v1', 'RegistryServer/Resource/Deployment').spec.template.spec.container[0].image).toBe(IMAGE.imageUri);
  });

  it('authenticates callers for its audience and authorizes them from MR_ACCESS, as the IAM route grants do', () => {
    expect(env[CALLER_IDENTITY_ENV.audience]).toBe('model-registry.ml-registry.svc');
    expect(server.audience).toBe('model-registry.ml-registry.svc');
    expect(server.serviceUrl).toBe('http://model-registry.ml-registry.svc:8080');
    const doc = JSON.parse(env[CALLER_IDENTITY_ENV.access]);
    expect(doc.routes).toEqual(REGISTRY_ROUTES.map(({ method, path, kind }) => ({ method, path, kind })));
    expect(doc.routes).toContainEqual({ method: 'POST', path: `${MLFLOW_API_BASE}/model-versions/create`, kind: 'write' });
    expect(doc.callers).toHaveLength(3);
    expect(doc.callers[0]).toEqual({ principalArn: 'arn:aws:iam::111122223333:role/Dashboards', kinds: ['read'] });
    expect(doc.callers[1]).toEqual({ principalArn: APPROVER, kinds: ['approve', 'read'] });
    expect(doc.callers[2].principalArn).toMatch(/^\$\{aws_iam_role\.Teams_vision_Role_[A-F0-9]+\.arn\}$/);
    expect(doc.callers[2].kinds).toEqual(['deploy', 'read', 'write']);
    const literal = { ...doc, callers: doc.callers.map((c: { kinds: string[] }) => ({ ...c, principalArn: 'arn:aws:iam::111122223333:role/X' })) };
    expect(RegistryAccessSchema.safeParse(literal).success).toBe(true);
  });

  it("grants the pod role exactly the registry function's data permissions", () => {
    const role = byPath(json, 'aws_iam_role', 'RegistryServer/Resource/Role/Resource');
    expect(policy(role.assume_role_policy).Statement).toEqual([podIdentityTrustStatement(TEST_CLUSTER.clusterName, 'ml-registry', 'model-registry')]);
    const mine = policy(byPath(json, 'aws_iam_role_policy', 'RegistryServer/Resource/Role/Policy/Resource').policy).Statement;
    const lambdaRole = policy(byPath(data, 'aws_iam_role_policy', 'Registry/Handler/ServiceRole/Policy/Resource').policy).Statement;
    const actions = (statements: { Action: string | string[] }[]) => [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
    // The Lambda additionally writes its logs, traces and dead letters; the data permissions are the same.
    const lambdaOnly = new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(actions(mine)).toEqual(actions(lambdaRole).filter((a) => !lambdaOnly.has(a)));
    expect(actions(mine)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'events:PutEvents', 's3:GetObject', 'kms:Decrypt']));
  });

  it('gives the team role the register grant of the HTTP API and the artifact store too', () => {
    const team = policy(byPath(json, 'aws_iam_role_policy', 'Teams/vision/Role/Policy/Resource').policy).Statement;
    expect(team.flatMap((s: { Action: string | string[] }) => [s.Action].flat())).toEqual(expect.arrayContaining(['execute-api:Invoke', 's3:PutObject']));
  });

  it('admits only the team namespace, opens its egress to the server, and passes the policy pack', () => {
    const ingress = byPath(json, 'kubernetes_network_policy_v1', 'RegistryServer/Resource/Ingress').spec.ingress[0].from;
    expect(ingress).toEqual([{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'vision' } } }]);
    const egress = byPath(json, 'kubernetes_network_policy_v1', 'RegistryServer/Resource/ClientEgress-vision');
    expect(egress.metadata.namespace).toBe('vision');
    expect(egress.spec.egress[0].ports).toEqual([{ port: '8080', protocol: 'TCP' }]);
    expect(byPath(json, 'kubernetes_deployment_v1', 'RegistryServer/Resource/Deployment').spec.template.spec.container[0].readiness_probe.http_get.path).toBe('/healthz');
    expect(evaluatePolicies(json as never, [...new Set([...CORE_RULES, ...KUBERNETES_RULES])])).toEqual([]);
    expect(resources(json, 'kubernetes_namespace_v1').map(([, n]) => n.metadata.name).sort()).toEqual(['ml-registry', 'vision']);
  });
});

describe('RegistryServer props', () => {
  const build = (props: Partial<RegistryServerProps>) => {
    const stack = platformStack();
    const registry = new ModelRegistry(stack, 'Registry');
    return () => new RegistryServer(stack, 'Server', { registry, cluster: TEST_CLUSTER, image: IMAGE, clients: [{ namespace: 'vision' }], ...props });
  };

  it('refuses bad callers, audience and clients, naming each field', () => {
    const error = configError(
      build({
        callers: [{ principalArn: 'alice', access: 'read' }, { principalArn: 'arn:aws:iam::111122223333:role/X', access: 'owner' as never }],
        audience: 'has spaces',
        clients: [],
      }),
    );
    expect(error.problems.map((p) => `${p.fieldPath}: ${p.message}`)).toEqual([
      'clients: must name at least one client',
      'callers[0].principalArn: must be an IAM role or user ARN',
      expect.stringMatching(/^callers\[1\]\.access: /),
      'audience: must be 1-255 letters, digits, . _ : / -',
    ]);
    expect(configError(build({ registry: {} as never })).problems.map((p) => p.fieldPath)).toEqual(['registry']);
  });

  it('grantApprove (same stack) lists the role in MR_ACCESS and as an approver in MR_CONFIG', () => {
    const stack = platformStack();
    const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
    const registry = new ModelRegistry(stack, 'Registry');
    const server = new RegistryServer(stack, 'Server', { registry, cluster: TEST_CLUSTER, image: IMAGE, clients: [{ namespace: 'vision' }], kubernetesProvider: kubernetes });
    const reviewer = new Role(stack, 'Reviewer', { assumedBy: ['lambda.amazonaws.com'] });
    const grant = server.grantApprove(reviewer);
    expect(grant).toBeInstanceOf(Grant);
    expect(grant.actions).toContain('execute-api:Invoke');
    expect(registry.approvers).toEqual([reviewer.roleArn]);
    expect(server.accessDocument().callers).toEqual([{ principalArn: reviewer.roleArn, kinds: ['approve', 'read'] }]);
    server.grantAdmin(reviewer);
    expect(server.accessDocument().callers).toEqual([{ principalArn: reviewer.roleArn, kinds: ['admin', 'approve', 'deploy', 'read', 'write'] }]);
  });

  it('defaults: name and namespace model-registry, audience <name>.<namespace>.svc, no callers', () => {
    const server = build({})() as RegistryServer;
    expect(server.audience).toBe('model-registry.model-registry.svc');
    expect(server.accessDocument().callers).toEqual([]);
    expect(server.config.replicas).toEqual({ min: 2, max: 6 });
  });
});
