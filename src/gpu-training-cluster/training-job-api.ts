import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import type { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import type { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { Construct } from 'constructs';
import { GaiConfigError, GaiError } from '../core/errors';
import type { Grant, IGrantable } from '../core/iam/grant';
import { HttpApi, type HttpRoute } from '../core/http-api';
import { namespacedGroupRole, type RbacRule } from '../core/k8s/rbac';
import { LambdaCode } from '../core/lambda-code';
import { NodeFunction } from '../core/node-function';
import { PlatformContext } from '../core/platform-context';
import { isToken, parseProps } from '../core/props';
import { Lazy } from '../core/tf';
import type { GpuTrainingCluster } from './cluster';
import { TRAINING_API_ENV, TrainingApiSettingsSchema, type TrainingApiSettingsInput } from './runtime/training-api/config';
import { TrainingJobApiPropsSchema, TrainingJobApiRbacPropsSchema, type TrainingJobApiConfig, type TrainingJobApiProps, type TrainingJobApiRbacProps } from './training-job-api-schema';

export { DEFAULT_TRAINING_API_GROUP } from './training-job-api-schema';
export type { TrainingJobApiProps, TrainingJobApiRbacProps, TrainingJobApiTeam } from './training-job-api-schema';

/** The API's routes, each AWS_IAM-authorised. */
export const TRAINING_JOB_API_ROUTES: readonly HttpRoute[] = [
  { method: 'POST', path: '/training-jobs' },
  { method: 'GET', path: '/training-jobs/{team}/{id}' },
  { method: 'GET', path: '/training-jobs/{team}' },
];

/**
 * What the API does in a team namespace: create training objects, read one (an idempotent retry
 * that races its first attempt) and list them (quota, status). No update, patch, delete, watch,
 * pods, logs or secrets.
 */
export const TRAINING_JOB_API_RULES: readonly RbacRule[] = [
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list'] },
  { apiGroups: ['kubeflow.org'], resources: ['pytorchjobs'], verbs: ['create', 'get', 'list'] },
  { apiGroups: ['trainer.kubeflow.org'], resources: ['trainjobs'], verbs: ['create', 'get', 'list'] },
];

/** The name of the Role and RoleBinding TrainingJobApiRbac creates in each team namespace. */
export const TRAINING_JOB_API_ROLE = 'gaiops:training-job-api';

/** Lambda allows 4 KB of environment variables in total. */
const LAMBDA_ENV_LIMIT = 4096;
/** Sizes assumed for values known only at apply time. */
const TOKEN_SIZES = { clusterName: 100, endpoint: 80, certificateAuthority: 1600, other: 128 } as const;
/** The variables NodeFunction adds (`NODE_OPTIONS`, `POWERTOOLS_SERVICE_NAME`) and the names of ours. */
const RESERVED_ENV_BYTES = 200;

/**
 * The training-job API, in an AWS-side stack: a Lambda behind an HTTP API with AWS_IAM routes
 * (`POST /training-jobs`, `GET /training-jobs/{team}/{id}`, `GET /training-jobs/{team}`) that
 * validates a typed training request against the team's allowed images and GPU quota and creates
 * the job(s) — batch Jobs, Kubeflow TrainJobs or PyTorchJobs, one per sweep trial, rendered as
 * HyperparameterSweep renders them — in the team namespace through the EKS API.
 *
 * The function runs in the cluster's private subnets with its own security group, allowed to the
 * cluster security group on 443 only (the API endpoint is private). Its role has no IAM
 * permission on EKS: an access entry maps it to the Kubernetes group `kubernetesGroup`, which the
 * companion TrainingJobApiRbac (workloads stack) binds to a Role allowing create/get/list on jobs,
 * pytorchjobs and trainjobs in each team namespace — nothing else.
 */
export class TrainingJobApi extends Construct {
  readonly handler: NodeFunction;
  readonly api: HttpApi;
  readonly apiUrl: string;
  readonly securityGroup: SecurityGroup;
  readonly accessEntry: EksAccessEntry;
  /** The validated props (literal team settings are read by TrainingJobApiRbac). */
  readonly config: TrainingJobApiConfig;
  /** The Kubernetes group of the access entry. */
  readonly kubernetesGroup: string;
  /** Team name → namespace, as literals. */
  readonly teamNamespaces: Readonly<Record<string, string>>;
  readonly routes: readonly HttpRoute[] = TRAINING_JOB_API_ROUTES;
  private readonly submitters = new Map<string, string[]>();
  private readonly region: string;

  constructor(scope: Construct, id: string, props: TrainingJobApiProps) {
    super(scope, id);
    const p = (this.config = parseProps(this, TrainingJobApiPropsSchema, props));
    const ctx = PlatformContext.of(this);
    this.region = ctx.region;
    const cluster: GpuTrainingCluster = p.cluster;
    this.kubernetesGroup = p.kubernetesGroup;
    this.teamNamespaces = Object.fromEntries(p.teams.map((t) => [t.name, t.namespace ?? t.name]));
    for (const t of p.teams) this.submitters.set(t.name, [...t.submitterArns]);

    const clusterSecurityGroupId = cluster.resource.vpcConfig.clusterSecurityGroupId;
    const sgName = ctx.physicalName('eks', this, 'training-api');
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      name: sgName,
      description: 'Training-job API function: HTTPS to the EKS cluster API only',
      vpcId: cluster.network.vpcId,
      tags: { Name: sgName },
    });
    new VpcSecurityGroupEgressRule(this, 'HttpsToCluster', {
      securityGroupId: this.securityGroup.id,
      description: 'HTTPS to the EKS cluster API endpoint',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: clusterSecurityGroupId,
    });
    new VpcSecurityGroupIngressRule(this, 'ClusterHttpsFromApi', {
      securityGroupId: clusterSecurityGroupId,
      description: `HTTPS to the cluster API from the training-job API function ${sgName}`,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: this.securityGroup.id,
    });

    this.handler = new NodeFunction(this, 'Handler', {
      code: LambdaCode.fromRuntime('training-job-api'),
      description: 'gaiops training-job API: validated training requests become Jobs/TrainJobs/PyTorchJobs in team namespaces',
      memorySize: p.memorySize,
      timeoutSeconds: p.timeoutSeconds,
      logRetentionDays: p.logRetentionDays,
      vpc: { subnetIds: cluster.network.privateSubnetIds, securityGroupIds: [this.securityGroup.id] },
      environment: {
        [TRAINING_API_ENV.clusterName]: cluster.resource.name,
        [TRAINING_API_ENV.clusterEndpoint]: cluster.resource.endpoint,
        [TRAINING_API_ENV.clusterCa]: cluster.resource.certificateAuthority.get(0).data,
        // Rendered at synth, so submitters added by grantSubmit after construction are included.
        [TRAINING_API_ENV.config]: Lazy.stringValue({ produce: () => this.renderConfig() }),
      },
    });

    // Kubernetes identity: the function's role as a member of the API's group (RBAC in TrainingJobApiRbac).
    this.accessEntry = new EksAccessEntry(this, 'AccessEntry', {
      clusterName: cluster.resource.name,
      principalArn: this.handler.role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: [p.kubernetesGroup],
    });

    this.api = new HttpApi(this, 'Api', {
      handler: this.handler,
      routes: TRAINING_JOB_API_ROUTES.map((r) => ({ ...r })),
      throttling: p.throttling,
      accessLogRetentionDays: p.logRetentionDays,
    });
    this.apiUrl = this.api.url;
  }

  /**
   * Lets `grantee` submit and read jobs of `teams`: `execute-api:Invoke` on the three routes, and
   * its role becomes a submitter of each team in the function's configuration (the runtime refuses
   * callers that are not, whatever IAM allows).
   */
  grantSubmit(grantee: IGrantable, teams: readonly string[]): Grant {
    const unknown = teams.filter((t) => !this.submitters.has(t));
    if (teams.length === 0 || unknown.length > 0) {
      throw new GaiError(
        'gaiops:training-job-api:unknown-team',
        `${this.node.path}.grantSubmit: ${teams.length === 0 ? 'name at least one team' : `no team ${unknown.join(', ')}`} (teams: ${[...this.submitters.keys()].join(', ')})`,
      );
    }
    for (const t of teams) {
      const list = this.submitters.get(t)!;
      if (!list.includes(grantee.grantPrincipal.roleArn)) list.push(grantee.grantPrincipal.roleArn);
    }
    return this.api.grantInvoke(grantee);
  }

  /** The submitters of a team: `submitterArns` plus the roles given `grantSubmit` (tokens included). */
  submittersOf(team: string): readonly string[] {
    return [...(this.submitters.get(team) ?? [])];
  }

  /** The runtime configuration (`TJ_CONFIG`), as the function will read it. */
  settings(): TrainingApiSettingsInput {
    const p = this.config;
    return {
      serviceAccountName: p.serviceAccountName,
      registry: { url: p.registry.url, region: p.registry.region ?? this.region, artifactBucket: p.registry.artifactBucket },
      dataset: { bucket: p.dataset.bucket, ...(p.dataset.versionsTable !== undefined ? { versionsTable: p.dataset.versionsTable } : {}) },
      maxTrialsPerRequest: p.maxTrialsPerRequest,
      teams: p.teams.map((t) => ({
        name: t.name,
        namespace: t.namespace ?? t.name,
        gpuQuota: t.gpuQuota,
        nodePool: t.nodePool,
        allowedImages: [...t.allowedImages],
        submitters: this.submittersOf(t.name) as string[],
      })),
    };
  }

  private renderConfig(): string {
    const settings = this.settings();
    // Tokens stand for values known at apply time: check the rest with the runtime's own schema.
    const literal = (v: string) => (isToken(v) ? undefined : v);
    const checked = TrainingApiSettingsSchema.safeParse({
      ...settings,
      registry: { ...settings.registry, url: literal(settings.registry.url) ?? 'https://token.invalid', region: literal(settings.registry.region) ?? 'token', artifactBucket: literal(settings.registry.artifactBucket) ?? 'token' },
      dataset: { ...settings.dataset, bucket: literal(settings.dataset.bucket) ?? 'token' },
      teams: settings.teams.map((t) => ({ ...t, submitters: t.submitters.filter((s) => !isToken(s)) })),
    });
    if (!checked.success) throw new GaiError('gaiops:training-job-api:config', `${this.node.path}: the runtime configuration is invalid: ${checked.error.message}`);
    const json = JSON.stringify(settings);
    const estimate =
      RESERVED_ENV_BYTES +
      TOKEN_SIZES.clusterName +
      TOKEN_SIZES.endpoint +
      TOKEN_SIZES.certificateAuthority +
      Buffer.byteLength(
        JSON.stringify(settings, (_k, v: unknown) => (typeof v === 'string' && isToken(v) ? 'x'.repeat(TOKEN_SIZES.other) : v)),
      );
    if (estimate > LAMBDA_ENV_LIMIT) {
      throw new GaiConfigError([
        {
          constructPath: this.node.path,
          fieldPath: 'teams',
          message: `the function environment would be about ${estimate} bytes (the cluster CA takes ~${TOKEN_SIZES.certificateAuthority}); Lambda allows ${LAMBDA_ENV_LIMIT}: serve fewer teams per API, or shorten image prefixes and submitter lists`,
        },
      ]);
    }
    return json;
  }
}

/**
 * The Kubernetes side of TrainingJobApi, in the workloads stack: in each team namespace a Role
 * `gaiops:training-job-api` (create/get/list on batch jobs, kubeflow.org pytorchjobs and
 * trainer.kubeflow.org trainjobs) and a RoleBinding to the API's Kubernetes group. It reads only
 * literal settings of the API (group, team namespaces); with `trainingTeams` each Role references
 * its namespace resource so it is created after it.
 */
export class TrainingJobApiRbac extends Construct {
  readonly roles: readonly RoleV1[];
  readonly roleBindings: readonly RoleBindingV1[];

  constructor(scope: Construct, id: string, props: TrainingJobApiRbacProps) {
    super(scope, id);
    const p = parseProps(this, TrainingJobApiRbacPropsSchema, props);
    const labels = { 'app.kubernetes.io/managed-by': 'gaiops', 'app.kubernetes.io/part-of': 'gaiops-training-job-api' };
    const teams = p.trainingTeams?.teams ?? [];
    const roles: RoleV1[] = [];
    const roleBindings: RoleBindingV1[] = [];
    for (const [team, ns] of Object.entries(p.api.teamNamespaces)) {
      const namespace = teams.find((t) => t.name === ns)?.namespace ?? ns;
      const { role, binding } = namespacedGroupRole(this, {
        ids: { role: `${team}-role`, binding: `${team}-binding` },
        name: TRAINING_JOB_API_ROLE,
        namespace,
        labels,
        rules: TRAINING_JOB_API_RULES,
        groups: [p.api.kubernetesGroup],
        provider: p.kubernetesProvider,
      });
      roles.push(role);
      roleBindings.push(binding);
    }
    this.roles = roles;
    this.roleBindings = roleBindings;
  }
}
