import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import type { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { GaiConfigError } from '../core/errors';
import { Grant, type IGrantable } from '../core/iam/grant';
import { namespacedGroupRole, type RbacRule } from '../core/k8s/rbac';
import { LambdaCode } from '../core/lambda-code';
import { NodeFunction } from '../core/node-function';
import { PlatformContext } from '../core/platform-context';
import { instanceOfLater, parseProps } from '../core/props';
import { SecureTable } from '../core/secure-table';
import { REGISTRY_EVENTS } from '../model-registry/registry-config';
import { InferenceService } from './inference-service';
import { RolloutControllerPropsSchema, type RolloutControllerConfig, type RolloutControllerProps, type RolloutService } from './rollout-controller-schema';
import { serviceProxyName } from './runtime/rollout/candidate-health';
import {
  ROLLOUT_ENV,
  ROLLOUT_EVENT_SOURCE,
  type PrometheusSource,
  type RolloutConfigInput,
  type RolloutVariant,
} from './runtime/rollout/rollout-config';
import { ROLLOUT_TABLE_KEY } from './runtime/rollout/rollout-store';

/** How often the schedule wakes the controller to advance or roll back rollouts. */
export const ROLLOUT_SCHEDULE = 'rate(1 minute)';

/** The alias-following variants of an InferenceService (non-shadow, model `{ name, alias }`), as the controller sees them. */
function serviceOf(svc: InferenceService): RolloutService {
  const c = svc.config;
  return {
    namespace: c.namespace ?? c.name,
    configMap: `${c.name}-gateway`,
    variants: c.variants.flatMap((v, i) =>
      'alias' in v.model && v.shadowPercent === 0 ? [{ name: v.name, deployment: svc.variants[i].resourceName, model: { name: v.model.name, alias: v.model.alias } }] : [],
    ),
  };
}

/**
 * Progressive delivery for an InferenceService: a Lambda subscribed to the ModelRegistry's
 * `AliasChanged` events (for the aliases its variants follow) and woken every minute. When an alias
 * moves, the variant following it is the candidate: the controller restarts its pods (pod-template
 * annotation `gaiops.io/model-version`, so the model-fetcher resolves the alias again), shifts the
 * gateway's A/B weights to it in steps with bake times, checks its error ratio and p99 latency in
 * Prometheus between steps, and rolls back (start weights, `RolloutRolledBack` event) when a step
 * fails. State lives in a DynamoDB table with conditional writes. The function runs in the
 * cluster VPC and reaches the private EKS endpoint through an access entry whose Kubernetes group
 * `RolloutControllerAccess` binds to a Role limited to the gateway ConfigMap and the candidate
 * Deployments.
 */
export class RolloutController extends Construct {
  readonly config: RolloutControllerConfig;
  /** The service as the controller sees it (namespace, ConfigMap, candidate variants). */
  readonly service: RolloutService;
  readonly encryptionKey: EncryptionKey;
  readonly stateTable: SecureTable;
  readonly function: NodeFunction;
  readonly securityGroupIds: readonly string[];
  readonly securityGroup?: SecurityGroup;
  readonly accessEntry: EksAccessEntry;
  /** Kubernetes group of the function's access entry. */
  readonly kubernetesGroup: string;
  /** The rule on the registry bus forwarding `AliasChanged` events of the followed aliases. */
  readonly aliasRule: CloudwatchEventRule;
  /** The one-minute schedule. */
  readonly scheduleRule: CloudwatchEventRule;
  /** `ROLLOUT_CONFIG` as written (tokens unresolved). */
  readonly runtimeConfig: RolloutConfigInput;
  readonly prometheus: PrometheusSource;

  constructor(scope: Construct, id: string, props: RolloutControllerProps) {
    super(scope, id);
    const p = parseProps(this, RolloutControllerPropsSchema, props);
    this.config = p;
    const ctx = PlatformContext.of(this);
    const all = p.service instanceof InferenceService ? serviceOf(p.service) : p.service;
    const problems = p.variants
      ? p.variants.flatMap((name, i) => (all.variants.some((v) => v.name === name) ? [] : [{ fieldPath: `variants[${i}]`, message: `${name} is not a non-shadow variant following a registry alias (candidates: ${all.variants.map((v) => v.name).join(', ') || 'none'})` }]))
      : all.variants.length === 0
        ? [{ fieldPath: 'service', message: 'has no non-shadow variant whose model follows a registry alias ({ name, alias }): nothing to roll out' }]
        : [];
    const followed = new Map<string, string>();
    all.variants.forEach((v, i) => {
      const key = `${v.model.name}@${v.model.alias}`;
      if (followed.has(key)) problems.push({ fieldPath: `service.variants[${i}]`, message: `${v.name} and ${followed.get(key)} both follow ${key}: the candidate of an alias change must be one variant` });
      followed.set(key, v.name);
    });
    if (problems.length > 0) throw new GaiConfigError(problems.map((pr) => ({ constructPath: this.node.path, ...pr })));
    this.service = { ...all, variants: p.variants ? all.variants.filter((v) => p.variants?.includes(v.name)) : all.variants };
    this.prometheus = p.prometheus;
    this.kubernetesGroup = p.kubernetesGroup ?? `gaiops:rollout:${this.service.namespace}`;

    this.encryptionKey = p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: ['events', 'logs'], description: `gaiops rollout controller ${this.node.path}` });
    this.stateTable = new SecureTable(this, 'State', { partitionKey: { name: ROLLOUT_TABLE_KEY, type: 'S' }, encryptionKey: this.encryptionKey, dataClassification: 'internal' });

    // Network: private subnets, egress HTTPS (EKS endpoint, DynamoDB, EventBridge) and the Prometheus port.
    if (p.vpc.securityGroupIds) {
      this.securityGroupIds = [...p.vpc.securityGroupIds];
    } else {
      const sg = new SecurityGroup(this, 'SecurityGroup', {
        name: ctx.physicalName('lambda', this, 'sg'),
        description: 'gaiops rollout controller: egress HTTPS only',
        vpcId: p.vpc.vpcId,
        tags: { Name: ctx.physicalName('lambda', this, 'sg') },
      });
      const egress = (egressId: string, port: number, description: string) =>
        new VpcSecurityGroupEgressRule(this, egressId, { securityGroupId: sg.id, description, ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIpv4: '0.0.0.0/0' });
      egress('EgressHttps', 443, 'HTTPS: EKS API endpoint, DynamoDB, EventBridge');
      const promPort = prometheusPort(p.prometheus);
      if (promPort !== undefined && promPort !== 443) egress('EgressPrometheus', promPort, 'Prometheus query API');
      this.securityGroup = sg;
      this.securityGroupIds = [sg.id];
    }
    if (p.allowClusterApiAccess) {
      this.securityGroupIds.forEach((sgId, i) => {
        new VpcSecurityGroupIngressRule(this, `ClusterApiFromFunction${i + 1}`, {
          securityGroupId: p.cluster.securityGroupId,
          description: `EKS API from the rollout controller ${this.node.path}`,
          ipProtocol: 'tcp',
          fromPort: 443,
          toPort: 443,
          referencedSecurityGroupId: sgId,
        });
      });
    }

    this.runtimeConfig = {
      version: 1,
      namespace: this.service.namespace,
      configMap: this.service.configMap,
      variants: this.service.variants.map((v): RolloutVariant => ({ name: v.name, deployment: v.deployment, modelName: v.model.name, alias: v.model.alias })),
      steps: [...p.steps],
      bakeMinutes: p.bakeMinutes,
      thresholds: p.thresholds,
      maxNoDataChecks: p.maxNoDataChecks,
      prometheus: p.prometheus,
      table: this.stateTable.tableName,
      eventBus: p.registry.eventBusName,
      cluster: { name: p.cluster.clusterName, endpoint: p.cluster.endpoint, caData: p.cluster.certificateAuthority },
    };
    this.function = new NodeFunction(this, 'Function', {
      code: LambdaCode.fromRuntime('inference-rollout'),
      description: `Progressive delivery of InferenceService ${this.service.namespace}/${this.service.configMap}`,
      memorySize: p.memorySize,
      timeoutSeconds: p.timeoutSeconds,
      // One invocation at a time: state writes are conditional anyway, this avoids needless conflicts.
      reservedConcurrency: 1,
      encryptionKey: this.encryptionKey,
      logRetentionDays: p.logRetentionDays,
      environment: { [ROLLOUT_ENV.config]: JSON.stringify(this.runtimeConfig) },
      vpc: { subnetIds: [...p.vpc.subnetIds], securityGroupIds: [...this.securityGroupIds] },
    });
    const fn = this.function;

    // Exactly what the runtime calls: its state item, PutEvents of its own source on the registry bus.
    this.encryptionKey.grantEncryptDecrypt(fn, { viaService: 'dynamodb' });
    Grant.addTo(fn, [
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [this.stateTable.tableArn] },
      { actions: ['events:PutEvents'], resources: [p.registry.eventBusArn], conditions: { StringEquals: { 'events:source': ROLLOUT_EVENT_SOURCE } } },
    ]);
    this.accessEntry = new EksAccessEntry(this, 'AccessEntry', {
      clusterName: p.cluster.clusterName,
      principalArn: fn.role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: [this.kubernetesGroup],
    });

    const models = [...new Set(this.service.variants.map((v) => v.model.name))].sort();
    const aliases = [...new Set(this.service.variants.map((v) => v.model.alias))].sort();
    this.aliasRule = this.invokeOn('AliasChanged', {
      name: ctx.physicalName('eventbridge-rule', this, 'alias-changed'),
      description: `AliasChanged of ${models.join(', ')} (${aliases.join(', ')}) to the rollout controller`,
      eventBusName: p.registry.eventBusName,
      eventPattern: JSON.stringify({ source: [REGISTRY_EVENTS.source], 'detail-type': ['AliasChanged'], detail: { model_name: models, alias: aliases } }),
      // Alias changes must not be lost: EventBridge's maxima before dead-lettering.
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
    });
    this.scheduleRule = this.invokeOn('Schedule', {
      name: ctx.physicalName('eventbridge-rule', this, 'schedule'),
      description: `Advances or rolls back rollouts of ${this.service.namespace}/${this.service.configMap}`,
      scheduleExpression: ROLLOUT_SCHEDULE,
      // A missed tick is replaced by the next one.
      retryPolicy: { maximumEventAgeInSeconds: 60, maximumRetryAttempts: 0 },
    });
  }

  /**
   * The Kubernetes side, for the workloads stack: a Role on exactly the gateway ConfigMap (get,
   * update) and the candidate Deployments (patch), a RoleBinding to the controller's group, and —
   * with the `service-proxy` Prometheus source — get on that one Service's proxy in its namespace.
   */
  addKubernetesAccess(scope: Construct, id: string, props: { kubernetesProvider?: KubernetesProvider } = {}): RolloutControllerAccess {
    return new RolloutControllerAccess(scope, id, { controller: this, ...props });
  }

  private invokeOn(
    ruleId: string,
    o: { name: string; description: string; eventBusName?: string; eventPattern?: string; scheduleExpression?: string; retryPolicy: { maximumEventAgeInSeconds: number; maximumRetryAttempts: number } },
  ): CloudwatchEventRule {
    const fn = this.function;
    const rule = new CloudwatchEventRule(this, `${ruleId}Rule`, {
      name: o.name,
      description: o.description,
      ...(o.eventBusName ? { eventBusName: o.eventBusName } : {}),
      ...(o.eventPattern ? { eventPattern: o.eventPattern } : {}),
      ...(o.scheduleExpression ? { scheduleExpression: o.scheduleExpression } : {}),
      state: 'ENABLED',
    });
    const permission = new LambdaPermission(this, `InvokeBy${ruleId}`, {
      action: 'lambda:InvokeFunction',
      functionName: fn.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: rule.arn,
    });
    new CloudwatchEventTarget(this, `${ruleId}Target`, {
      rule: rule.name,
      ...(o.eventBusName ? { eventBusName: o.eventBusName } : {}),
      targetId: 'rollout-controller',
      arn: fn.functionArn,
      retryPolicy: o.retryPolicy,
      deadLetterConfig: { arn: fn.deadLetterQueue.queueArn },
      dependsOn: [permission],
    });
    fn.deadLetterQueue.addToResourcePolicy({
      sid: `EventBridge${ruleId}DeadLetters`,
      principals: { Service: ['events.amazonaws.com'] },
      actions: ['sqs:SendMessage'],
      resources: [fn.deadLetterQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': rule.arn } },
    });
    return rule;
  }

  /** Lets a grantee invoke the controller (e.g. to replay an event by hand). */
  grantInvoke(grantee: IGrantable): Grant {
    return this.function.grantInvoke(grantee);
  }
}

function prometheusPort(source: PrometheusSource): number | undefined {
  if (source.kind !== 'url') return undefined;
  const url = new URL(source.url);
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

export const RolloutControllerAccessPropsSchema = z.strictObject({
  controller: instanceOfLater(() => RolloutController, 'RolloutController').describe('The controller whose Kubernetes group gets the access.'),
  kubernetesProvider: z
    .custom<KubernetesProvider>((v) => v !== null && typeof v === 'object')
    .optional()
    .describe("Kubernetes provider of the workloads stack (`ClusterProviders.configure(…).kubernetes`). Default the stack's default `kubernetes` provider."),
});
export type RolloutControllerAccessProps = z.input<typeof RolloutControllerAccessPropsSchema>;

/** Label on the RBAC objects. */
const RBAC_LABELS = { 'app.kubernetes.io/managed-by': 'gaiops', 'app.kubernetes.io/component': 'rollout-controller' };

/**
 * The rollout controller's RBAC in the cluster (workloads stack, after the cluster stack): a Role
 * and RoleBinding in the service namespace limited by `resourceNames` to the gateway ConfigMap
 * (`get`, `update`) and the candidate Deployments (`patch`); with the `service-proxy` Prometheus
 * source, a Role and RoleBinding in the Prometheus namespace allowing `get` on `services/proxy` of
 * that one Service and port.
 */
export class RolloutControllerAccess extends Construct {
  readonly roles: readonly RoleV1[];
  readonly roleBindings: readonly RoleBindingV1[];

  constructor(scope: Construct, id: string, props: RolloutControllerAccessProps) {
    super(scope, id);
    const p = parseProps(this, RolloutControllerAccessPropsSchema, props);
    const c = p.controller;
    const provider = p.kubernetesProvider;
    const name = `gaiops-rollout-${c.service.namespace}-${c.service.configMap}`.slice(0, 253);
    const roles: RoleV1[] = [];
    const roleBindings: RoleBindingV1[] = [];
    const bind = (bindId: string, namespace: string, rules: readonly RbacRule[]) => {
      const { role, binding } = namespacedGroupRole(this, { ids: { role: bindId, binding: `${bindId}Binding` }, name, namespace, labels: RBAC_LABELS, rules, groups: [c.kubernetesGroup], provider });
      roles.push(role);
      roleBindings.push(binding);
    };
    bind('Role', c.service.namespace, [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [c.service.configMap], verbs: ['get', 'update'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: c.service.variants.map((v) => v.deployment), verbs: ['patch'] },
    ]);
    if (c.prometheus.kind === 'service-proxy') {
      bind('PrometheusRole', c.prometheus.namespace, [
        { apiGroups: [''], resources: ['services/proxy'], resourceNames: [serviceProxyName(c.prometheus.service, c.prometheus.port)], verbs: ['get'] },
      ]);
    }
    this.roles = roles;
    this.roleBindings = roleBindings;
  }
}
