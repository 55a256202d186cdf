import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';
import { GaiError } from '../core/errors';
import { Grant, type IGrantable, type IPrincipal } from '../core/iam/grant';
import { PolicyDocument } from '../core/iam/policy-document';
import { renderPolicy, type PolicyStatement } from '../core/iam/policy-statement';
import { PlatformContext } from '../core/platform-context';
import { FEATURE_STORE_ROUTES, type FeatureStore } from '../feature-store/feature-store';
import { OFFLINE_LAYOUT } from '../feature-store/feature-group';
import { ARTIFACT_UPLOAD_PREFIX, type ModelRegistry } from '../model-registry/model-registry';
import {
  parseTeamAccessProps,
  PERSONAS,
  personaGroup,
  teamNames,
  type Persona,
  type PersonaConfig,
  type TeamAccessConfig,
  type TeamAccessProps,
} from './team-access-schema';

/** The AWS-managed EKS access policies the personas are given. */
export const EKS_ACCESS_POLICIES = {
  view: 'AmazonEKSViewPolicy',
  edit: 'AmazonEKSEditPolicy',
  admin: 'AmazonEKSAdminPolicy',
  clusterAdmin: 'AmazonEKSClusterAdminPolicy',
} as const;
export type EksAccessLevel = keyof typeof EKS_ACCESS_POLICIES;

/** One EKS access policy association: the policy and its scope (`cluster`, or these namespaces). */
export interface EksAccessGrant {
  readonly level: EksAccessLevel;
  readonly scope: 'cluster' | readonly string[];
}

/** CloudWatch reads that support no resource-level permissions (Resource `*`, on the policy pack's unscopable list). */
export const CLOUDWATCH_METRIC_READ_ACTIONS = ['cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics'] as const;
/** CloudWatch alarm reads, scoped to the alarms' ARNs. */
export const CLOUDWATCH_ALARM_READ_ACTIONS = ['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms'] as const;

/**
 * A role people assume: trusted by named IAM roles/users (with MFA) and/or a SAML provider, with
 * one inline policy built from the grants. Its name is fixed at synth (not a token), so its ARN can
 * be written in another stack without a reference to this one.
 */
export class PersonaRole extends Construct implements IGrantable, IPrincipal {
  readonly resource: IamRole;
  readonly roleArn: string;
  readonly roleName: string;
  /** The role name as a literal string. */
  readonly physicalName: string;
  readonly grantPrincipal: IPrincipal = this;
  private readonly document = new PolicyDocument('identity');
  private policy?: IamRolePolicy;

  constructor(scope: Construct, id: string, props: { description: string; maxSessionDurationSeconds: number; trust: readonly PolicyStatement[] }) {
    super(scope, id);
    const ctx = PlatformContext.of(this);
    this.physicalName = ctx.physicalName('iam-role', this);
    this.resource = new IamRole(this, 'Resource', {
      name: this.physicalName,
      description: props.description,
      maxSessionDuration: props.maxSessionDurationSeconds,
      assumeRolePolicy: renderPolicy(props.trust),
    });
    this.roleArn = this.resource.arn;
    this.roleName = this.resource.name;
  }

  addToPrincipalPolicy(statement: PolicyStatement): void {
    this.policy ??= new IamRolePolicy(this, 'Policy', { name: 'gaiops-grants', role: this.roleName, policy: this.document.toJsonLazy() });
    this.document.add(statement);
  }

  /** The statements granted so far (merged). */
  get statements(): readonly PolicyStatement[] {
    return this.document.statements;
  }

  /**
   * This role's ARN written in the context of `scope`'s stack — `arn:<partition>:iam::<account>:role/<name>`
   * from that stack's own partition and account — so a construct there can name the role without a
   * cross-stack reference (the roles live in the same account).
   */
  arnIn(scope: Construct): string {
    const ctx = PlatformContext.of(scope);
    return `arn:${ctx.partition}:iam::${ctx.accountId}:role/${this.physicalName}`;
  }
}

/** One persona as built. */
export interface PersonaAccess {
  readonly persona: Persona;
  readonly role: PersonaRole;
  /** The Kubernetes group of the access entry (`gaiops:<persona>`). */
  readonly kubernetesGroup: string;
  readonly accessEntry: EksAccessEntry;
  readonly eksAccess: readonly EksAccessGrant[];
  readonly policyAssociations: readonly EksAccessPolicyAssociation[];
  /** Namespaces the persona works in as a team member (data-scientist, ml-engineer), else empty. */
  readonly teamNamespaces: readonly string[];
  /** What the component grants added. */
  readonly grants: readonly Grant[];
}

/**
 * The MLOps team's personas as least-privilege access, AWS side: per enabled persona an IAM role
 * trusted by named IAM principals (MFA required by default) and/or a SAML provider, permissions
 * granted only through the components' grant methods, and an EKS access entry (type STANDARD, the
 * persona's Kubernetes group) with AWS-managed access policies scoped to namespaces or the cluster.
 * Put it in a stack after the data and cluster stacks; TeamRbac (workloads stack) adds the
 * Kubernetes RBAC for the persona groups.
 *
 * The domain-expert role is made a ModelRegistry approver through `grantApprove` with the role's
 * ARN written in the registry's stack (see `PersonaRole.arnIn`): the registry's configuration names
 * the role by its fixed name, never through a reference to this stack, so there is no cycle.
 */
export class TeamAccess extends Construct {
  readonly config: TeamAccessConfig;
  readonly personas: Readonly<Partial<Record<Persona, PersonaAccess>>>;
  /** The team names (namespaces) the team personas may be scoped to. */
  readonly teamNames: readonly string[];

  constructor(scope: Construct, id: string, props: TeamAccessProps) {
    super(scope, id);
    const p = (this.config = parseTeamAccessProps(this, props));
    this.teamNames = teamNames(p.teams);
    const built: Partial<Record<Persona, PersonaAccess>> = {};
    for (const persona of PERSONAS) {
      const c: PersonaConfig = p.personas[persona];
      if (c.enabled) built[persona] = this.buildPersona(persona, c, p);
    }
    this.personas = built;
  }

  /** The persona (throws when it is disabled). */
  persona(persona: Persona): PersonaAccess {
    const found = this.personas[persona];
    if (!found) throw new GaiError('gaiops:team-access:persona-disabled', `${this.node.path}: persona ${persona} is not enabled`);
    return found;
  }

  private buildPersona(persona: Persona, c: PersonaConfig, p: TeamAccessConfig): PersonaAccess {
    const ctx = PlatformContext.of(this);
    const role = new PersonaRole(this, persona, {
      description: `gaiops ${persona} (${this.node.path})`,
      maxSessionDurationSeconds: c.maxSessionDurationSeconds ?? p.maxSessionDurationSeconds,
      trust: trustStatements(c.trustedPrincipalArns, p),
    });
    const teamNamespaces = persona === 'data-scientist' || persona === 'ml-engineer' ? [...(c.teamNamespaces ?? this.teamNames)] : [];
    const grants = this.grant(persona, role, c, p);
    // Every persona may read the cluster's endpoint and CA (`aws eks update-kubeconfig`).
    grants.push(Grant.addTo(role, [{ actions: ['eks:DescribeCluster'], resources: [ctx.arn('eks', `cluster/${p.cluster.clusterName}`)] }]));

    const kubernetesGroup = personaGroup(persona);
    const accessEntry = new EksAccessEntry(this, `${persona}-access-entry`, {
      clusterName: p.cluster.clusterName,
      principalArn: role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: [kubernetesGroup],
    });
    const eksAccess = eksAccessOf(persona, teamNamespaces, p);
    const policyAssociations = eksAccess.map(
      (a) =>
        new EksAccessPolicyAssociation(this, `${persona}-${a.level}`, {
          clusterName: p.cluster.clusterName,
          principalArn: accessEntry.principalArn,
          policyArn: `arn:${ctx.partition}:eks::aws:cluster-access-policy/${EKS_ACCESS_POLICIES[a.level]}`,
          accessScope: a.scope === 'cluster' ? { type: 'cluster' } : { type: 'namespace', namespaces: [...a.scope] },
        }),
    );
    return { persona, role, kubernetesGroup, accessEntry, eksAccess, policyAssociations, teamNamespaces, grants };
  }

  /** The component grants of a persona. */
  private grant(persona: Persona, role: PersonaRole, c: PersonaConfig, p: TeamAccessConfig): Grant[] {
    const features = p.featureStore;
    const registry = p.modelRegistry;
    const datasets = () => (c.datasetGroups ? c.datasetGroups.map((g) => features.grantDatasetRead(role, g)) : [features.grantDatasetRead(role)]);
    switch (persona) {
      case 'data-scientist':
        return [features.grantRead(role), ...datasets(), ...grantRegisterWithoutDeploy(registry, role)];
      case 'ml-engineer':
        return [
          features.grantRead(role),
          ...datasets(),
          ...(c.ingestGroups ? c.ingestGroups.map((g) => features.grantIngest(role, g)) : [features.grantIngest(role)]),
          registry.grantRegister(role),
        ];
      case 'mlops-engineer':
        return [registry.grantAdmin(role), ...this.grantCloudWatchRead(role, p)];
      case 'domain-expert':
        return [registry.grantApprove(approverIn(registry, role))];
      case 'auditor':
        return [registry.grantRead(role), ...grantManifestRead(features, role), ...this.grantCloudWatchRead(role, p)];
    }
  }

  /** Metric reads (unscopable) and, with `alarms`, reads of exactly the PlatformAlarms' alarms as they are now. */
  private grantCloudWatchRead(role: PersonaRole, p: TeamAccessConfig): Grant[] {
    const alarmArns = (p.alarms?.alarms ?? []).map((a) => a.alarm.arn);
    return [
      Grant.addTo(role, [{ actions: [...CLOUDWATCH_METRIC_READ_ACTIONS], resources: ['*'] }]),
      ...(alarmArns.length > 0 ? [Grant.addTo(role, [{ actions: [...CLOUDWATCH_ALARM_READ_ACTIONS], resources: alarmArns }])] : []),
    ];
  }
}

/** The trust policy: IAM principals (with MFA unless relaxed) and/or the SAML provider. */
function trustStatements(principalArns: readonly string[], p: TeamAccessConfig): PolicyStatement[] {
  return [
    ...(principalArns.length > 0
      ? [
          {
            sid: 'TrustedPrincipals',
            actions: ['sts:AssumeRole'],
            principals: { AWS: [...new Set(principalArns)].sort() },
            resources: [],
            ...(p.requireMfa ? { conditions: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } } : {}),
          },
        ]
      : []),
    ...(p.saml
      ? [
          {
            sid: 'SamlFederation',
            actions: ['sts:AssumeRoleWithSAML'],
            principals: { Federated: [p.saml.providerArn] },
            resources: [],
            conditions: { StringEquals: { 'SAML:aud': p.saml.audience } },
          },
        ]
      : []),
  ];
}

/**
 * The EKS access of a persona (least privilege; README "EKS access" explains each choice):
 * - data-scientist: View in the team namespaces (no Secrets); TeamRbac adds Jobs and TrainJobs;
 * - ml-engineer: Edit in the team namespaces;
 * - mlops-engineer: Admin in the add-on, inference and monitoring namespaces, View cluster-wide —
 *   never ClusterAdmin (add-ons are installed by Terraform; operating them is namespace work);
 * - domain-expert: View in the monitoring namespace (dashboards);
 * - auditor: View cluster-wide.
 */
function eksAccessOf(persona: Persona, teamNamespaces: readonly string[], p: TeamAccessConfig): EksAccessGrant[] {
  switch (persona) {
    case 'data-scientist':
      return [{ level: 'view', scope: teamNamespaces }];
    case 'ml-engineer':
      return [{ level: 'edit', scope: teamNamespaces }];
    case 'mlops-engineer':
      return [
        { level: 'admin', scope: [...new Set([...p.addonNamespaces, ...p.inferenceNamespaces, p.monitoringNamespace])].sort() },
        { level: 'view', scope: 'cluster' },
      ];
    case 'domain-expert':
      return [{ level: 'view', scope: [p.monitoringNamespace] }];
    case 'auditor':
      return [{ level: 'view', scope: 'cluster' }];
  }
}

/**
 * The grantee `grantApprove` sees: statements go to the role, but the ARN it adds to the
 * registry's approvers is written in the registry's stack from the role's fixed name — a reference
 * to this stack's role there would make the two stacks depend on each other.
 */
function approverIn(registry: ModelRegistry, role: PersonaRole): IGrantable {
  const principal: IPrincipal = { roleArn: role.arnIn(registry), roleName: role.physicalName, addToPrincipalPolicy: (s) => role.addToPrincipalPolicy(s) };
  return { grantPrincipal: principal };
}

/**
 * `grantRegister` without the `deploy` routes (aliases, stage transitions): read, register and
 * annotate models and versions, record lineage, upload artifacts. Data scientists register
 * candidates; moving aliases — even unprotected ones such as a canary — is a deployment decision.
 */
function grantRegisterWithoutDeploy(registry: ModelRegistry, role: PersonaRole): Grant[] {
  return [
    registry.grantRead(role),
    registry.api.grantInvoke(
      role,
      registry.routesOf(['write']).map(({ method, path }) => ({ method, path })),
    ),
    registry.artifactBucket.grantWritePrefix(role, ARTIFACT_UPLOAD_PREFIX),
  ];
}

/** Dataset metadata only: the manifests of every group and the dataset-version routes — no feature data. */
function grantManifestRead(features: FeatureStore, role: PersonaRole): Grant[] {
  return [
    features.bucket.grantReadPrefix(role, OFFLINE_LAYOUT.manifests('').replace(/\/+$/, '/')),
    features.api.grantInvoke(role, [FEATURE_STORE_ROUTES.listVersions, FEATURE_STORE_ROUTES.getVersion]),
  ];
}
