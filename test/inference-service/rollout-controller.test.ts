import { beforeAll, describe, expect, it } from 'vitest';
import { activeFindings, evaluatePolicies } from '../../src/core/policy/engine';
import { CORE_RULES } from '../../src/core/policy/rules';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { GpuNodePools } from '../../src/gpu-training-cluster/node-pools';
import { InferenceService } from '../../src/inference-service/inference-service';
import { ROLLOUT_SCHEDULE, RolloutController, RolloutControllerAccess } from '../../src/inference-service/rollout-controller';
import { RolloutControllerPropsSchema, type RolloutControllerProps } from '../../src/inference-service/rollout-controller-schema';
import { RolloutConfigSchema } from '../../src/inference-service/runtime/rollout/rollout-config';
import { ModelRegistry } from '../../src/model-registry/model-registry';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { byPath, only, platformStack, policy, resources, synth, type TfJson } from '../support/synth';
import { configError } from '../support/config-error';

const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-gateway:sha256-0123456789abcdef';
const VPC = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'] };

function fixture(overrides: (d: { service: InferenceService; registry: ModelRegistry }) => Partial<RolloutControllerProps> = () => ({})) {
  const stack = platformStack();
  const { kubernetes, helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
  const registry = new ModelRegistry(stack, 'Registry');
  const nodePools = new GpuNodePools(stack, 'NodePools', { cluster: TEST_CLUSTER, gpuPools: [{ name: 'gpu-inference', instanceFamilies: ['g6e'], gpuLimit: 8 }], helmProvider: helm });
  const service = new InferenceService(stack, 'Assistant', {
    name: 'assistant',
    cluster: TEST_CLUSTER,
    nodePools,
    registry,
    kubernetesProvider: kubernetes,
    helmProvider: helm,
    gatewayImage: IMAGE,
    modelFetcherImage: IMAGE,
    ingress: { enabled: false },
    variants: [
      { name: 'champion', model: { name: 'assistant-llm', alias: 'production' }, pool: 'gpu-inference', weight: 100, replicas: { min: 1, max: 2 } },
      { name: 'challenger', model: { name: 'assistant-llm', alias: 'canary' }, pool: 'gpu-inference', weight: 0, replicas: { min: 0, max: 1 }, scaleToZero: true },
      { name: 'pinned', model: { name: 'assistant-llm', version: 7 }, pool: 'gpu-inference', weight: 0, replicas: { min: 0, max: 1 }, scaleToZero: true },
      { name: 'shadow', model: { name: 'assistant-llm', alias: 'shadow' }, pool: 'gpu-inference', weight: 0, shadowPercent: 5, replicas: { min: 0, max: 1 }, scaleToZero: true },
    ],
  });
  const build = () => {
    const controller = new RolloutController(stack, 'Rollout', { service, registry, cluster: TEST_CLUSTER, vpc: VPC, ...overrides({ service, registry }) });
    const access = controller.addKubernetesAccess(stack, 'RolloutAccess', { kubernetesProvider: kubernetes });
    return { controller, access };
  };
  return { stack, service, registry, build };
}

describe('RolloutController', () => {
  let json: TfJson;
  let controller: RolloutController;
  let access: RolloutControllerAccess;

  beforeAll(() => {
    const f = fixture();
    ({ controller, access } = f.build());
    json = synth(f.stack); // the policy pack runs here
  });

  it('passes the policy pack with no active finding', () => {
    expect(activeFindings(evaluatePolicies(json as never, CORE_RULES))).toEqual([]);
  });

  it('runs the inference-rollout runtime in the VPC, one invocation at a time, with the documented defaults', () => {
    const fn = byPath(json, 'aws_lambda_function', 'Rollout/Function/Resource');
    expect(fn.runtime).toBe('nodejs22.x');
    expect(fn.reserved_concurrent_executions).toBe(1);
    expect(fn.memory_size).toBe(256);
    expect(fn.timeout).toBe(60);
    expect(fn.vpc_config.subnet_ids).toEqual(VPC.subnetIds);
    expect(fn.vpc_config.security_group_ids).toHaveLength(1);
    const config = JSON.parse(fn.environment.variables.ROLLOUT_CONFIG);
    expect(RolloutConfigSchema.safeParse({ ...config, table: 'resolved-at-apply' }).success).toBe(true);
    expect(config).toMatchObject({
      namespace: 'assistant',
      configMap: 'assistant-gateway',
      // Alias-following, non-shadow variants only.
      variants: [
        { name: 'champion', deployment: 'assistant-champion', modelName: 'assistant-llm', alias: 'production' },
        { name: 'challenger', deployment: 'assistant-challenger', modelName: 'assistant-llm', alias: 'canary' },
      ],
      steps: [5, 25, 50, 100],
      bakeMinutes: 10,
      thresholds: { maxErrorRatio: 0.02, maxP99LatencyMs: 30_000, minRequests: 20 },
      maxNoDataChecks: 30,
      prometheus: { kind: 'service-proxy', namespace: 'monitoring', service: 'kube-prometheus-stack-prometheus', port: 9090 },
      cluster: { name: TEST_CLUSTER.clusterName, endpoint: TEST_CLUSTER.endpoint, caData: TEST_CLUSTER.certificateAuthority },
    });
    expect(config.variants).toHaveLength(2);
  });

  it('grants exactly the state item reads/writes and PutEvents of its own source on the registry bus', () => {
    const policies = resources(json, 'aws_iam_role_policy').filter(([, c]) => String(c['//']?.metadata?.path ?? '').includes('Rollout/Function'));
    const statements = policies.flatMap(([, c]) => policy(c.policy).Statement);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'events:PutEvents']));
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions.some((a) => a.startsWith('eks:'))).toBe(false);
    const putEvents = statements.find((s) => [s.Action].flat().includes('events:PutEvents'));
    expect(putEvents.Condition).toEqual({ StringEquals: { 'events:source': 'gaiops.inference-rollout' } });
    expect(putEvents.Resource).toEqual(expect.stringContaining('aws_cloudwatch_event_bus'));
  });

  it('subscribes to AliasChanged of the followed models and aliases on the registry bus, and ticks every minute', () => {
    const aliasRule = byPath(json, 'aws_cloudwatch_event_rule', 'Rollout/AliasChangedRule');
    expect(aliasRule.event_bus_name).toContain('aws_cloudwatch_event_bus');
    expect(JSON.parse(aliasRule.event_pattern)).toEqual({
      source: ['gaiops.model-registry'],
      'detail-type': ['AliasChanged'],
      detail: { model_name: ['assistant-llm'], alias: ['canary', 'production'] },
    });
    expect(byPath(json, 'aws_cloudwatch_event_rule', 'Rollout/ScheduleRule').schedule_expression).toBe(ROLLOUT_SCHEDULE);
    expect(ROLLOUT_SCHEDULE).toBe('rate(1 minute)');
    for (const id of ['AliasChanged', 'Schedule']) {
      const target = byPath(json, 'aws_cloudwatch_event_target', `Rollout/${id}Target`);
      expect(target.arn).toContain('aws_lambda_function');
      expect(target.dead_letter_config.arn).toContain('aws_sqs_queue');
      const permission = byPath(json, 'aws_lambda_permission', `Rollout/InvokeBy${id}`);
      expect(permission.principal).toBe('events.amazonaws.com');
      expect(permission.source_arn).toContain(`${id === 'Schedule' ? 'Schedule' : 'AliasChanged'}Rule`);
    }
  });

  it('has an encrypted state table keyed by pk and an access entry in the controller group', () => {
    const table = byPath(json, 'aws_dynamodb_table', 'Rollout/State/Resource');
    expect(table.hash_key).toBe('pk');
    expect(table.server_side_encryption.enabled).toBe(true);
    const entry = only(json, 'aws_eks_access_entry');
    expect(entry.kubernetes_groups).toEqual(['gaiops:rollout:assistant']);
    expect(entry.type).toBe('STANDARD');
    expect(controller.kubernetesGroup).toBe('gaiops:rollout:assistant');
  });

  it('allows egress on 443 only and opens the cluster API to the function security group', () => {
    const egress = resources(json, 'aws_vpc_security_group_egress_rule').map(([, c]) => c);
    expect(egress.map((e) => [e.from_port, e.to_port])).toEqual([[443, 443]]);
    const ingress = byPath(json, 'aws_vpc_security_group_ingress_rule', 'Rollout/ClusterApiFromFunction1');
    expect(ingress).toMatchObject({ security_group_id: TEST_CLUSTER.securityGroupId, from_port: 443, to_port: 443 });
    expect(ingress.referenced_security_group_id).toContain('aws_security_group');
  });

  it('binds a Role limited to the gateway ConfigMap and the candidate Deployments, and the Prometheus service proxy', () => {
    const roles = resources(json, 'kubernetes_role_v1').map(([, c]) => c);
    const service = roles.find((r) => r.metadata.namespace === 'assistant');
    expect(service?.rule).toEqual([
      { api_groups: [''], resources: ['configmaps'], resource_names: ['assistant-gateway'], verbs: ['get', 'update'] },
      { api_groups: ['apps'], resources: ['deployments'], resource_names: ['assistant-champion', 'assistant-challenger'], verbs: ['patch'] },
    ]);
    const prom = roles.find((r) => r.metadata.namespace === 'monitoring');
    expect(prom?.rule).toEqual([{ api_groups: [''], resources: ['services/proxy'], resource_names: ['http:kube-prometheus-stack-prometheus:9090'], verbs: ['get'] }]);
    const bindings = resources(json, 'kubernetes_role_binding_v1').map(([, c]) => c);
    expect(bindings).toHaveLength(2);
    for (const b of bindings) expect(b.subject).toEqual([{ api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: 'gaiops:rollout:assistant' }]);
    expect(access.roles).toHaveLength(2);
  });
});

describe('RolloutController options', () => {
  it('takes a service described by hand, a Prometheus URL (its port opened) and custom steps', () => {
    const f = fixture(() => ({
      service: { namespace: 'chat', configMap: 'chat-gateway', variants: [{ name: 'blue', deployment: 'chat-blue', model: { name: 'chat-llm', alias: 'production' } }] },
      prometheus: { kind: 'url', url: 'http://prometheus.internal.example:9090' },
      steps: [10, 50],
      bakeMinutes: 30,
      thresholds: { maxErrorRatio: 0.05 },
    }));
    const { access } = f.build();
    const json = synth(f.stack);
    expect(activeFindings(evaluatePolicies(json as never, CORE_RULES))).toEqual([]);
    const config = JSON.parse(byPath(json, 'aws_lambda_function', 'Rollout/Function/Resource').environment.variables.ROLLOUT_CONFIG);
    expect(config).toMatchObject({ namespace: 'chat', steps: [10, 50], bakeMinutes: 30, thresholds: { maxErrorRatio: 0.05, maxP99LatencyMs: 30_000 }, prometheus: { kind: 'url' } });
    const egressPorts = resources(json, 'aws_vpc_security_group_egress_rule').map(([, c]) => c.from_port).sort();
    expect(egressPorts).toEqual([443, 9090]);
    expect(access.roles).toHaveLength(1);
  });

  it('uses given security groups and can leave the cluster security group alone', () => {
    const f = fixture(() => ({ vpc: { ...VPC, securityGroupIds: ['sg-0fedcba9876543210'] }, allowClusterApiAccess: false, variants: ['challenger'] }));
    f.build();
    const json = synth(f.stack);
    expect(resources(json, 'aws_security_group').filter(([, c]) => String(c['//']?.metadata?.path).includes('Rollout'))).toEqual([]);
    expect(resources(json, 'aws_vpc_security_group_ingress_rule').filter(([, c]) => String(c['//']?.metadata?.path).includes('Rollout'))).toEqual([]);
    const fn = byPath(json, 'aws_lambda_function', 'Rollout/Function/Resource');
    expect(fn.vpc_config.security_group_ids).toEqual(['sg-0fedcba9876543210']);
    expect(JSON.parse(fn.environment.variables.ROLLOUT_CONFIG).variants.map((v: { name: string }) => v.name)).toEqual(['challenger']);
  });

  it('documents its defaults in the schema', () => {
    const shape = RolloutControllerPropsSchema.shape as Record<string, { description?: string }>;
    for (const key of ['steps', 'bakeMinutes', 'thresholds', 'maxNoDataChecks', 'prometheus', 'memorySize', 'timeoutSeconds', 'allowClusterApiAccess']) expect(shape[key]?.description, key).toMatch(/Default/);
  });
});

describe('RolloutController failures', () => {
  it('names every bad field in one GaiConfigError', () => {
    const f = fixture(() => ({
      steps: [50, 25, 0],
      bakeMinutes: 0,
      thresholds: { maxErrorRatio: 2 },
      prometheus: { kind: 'url', url: 'ftp://x' },
      vpc: { vpcId: 'vpc-1', subnetIds: [] },
    }));
    const err = configError(() => f.build());
    const fields = err.problems.map((p) => p.fieldPath);
    expect(fields).toEqual(expect.arrayContaining(['steps[1]', 'steps[2]', 'bakeMinutes', 'thresholds.maxErrorRatio', 'prometheus.url', 'vpc.subnetIds']));
    expect(err.problems.every((p) => p.constructPath.endsWith('Rollout'))).toBe(true);
  });

  it('refuses variants that are not alias-following candidates', () => {
    const f = fixture(() => ({ variants: ['pinned', 'shadow', 'champion'] }));
    const err = configError(() => f.build());
    expect(err.problems.map((p) => p.fieldPath)).toEqual(['variants[0]', 'variants[1]']);
    expect(err.message).toMatch(/pinned is not a non-shadow variant following a registry alias/);
  });

  it('refuses two variants following the same alias, and a service without candidates', () => {
    const two = fixture(() => ({
      service: {
        namespace: 'chat',
        configMap: 'chat-gateway',
        variants: [
          { name: 'blue', deployment: 'chat-blue', model: { name: 'chat-llm', alias: 'production' } },
          { name: 'green', deployment: 'chat-green', model: { name: 'chat-llm', alias: 'production' } },
        ],
      },
    }));
    expect(configError(() => two.build()).problems[0]).toMatchObject({ fieldPath: 'service.variants[1]', message: expect.stringMatching(/both follow chat-llm@production/) });
    const none = fixture(() => ({ service: { namespace: 'chat', configMap: 'chat-gateway', variants: [] } }));
    expect(configError(() => none.build()).problems.map((p) => p.fieldPath)).toEqual(['service.variants']);
  });

  it('rejects a registry that is not a ModelRegistry and a bad cluster reference', () => {
    const f = fixture(() => ({ registry: {} as ModelRegistry, cluster: { clusterName: 'x' } as never }));
    expect(configError(() => f.build()).problems.map((p) => p.fieldPath).sort()).toEqual(['cluster', 'registry']);
  });
});
