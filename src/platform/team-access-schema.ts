import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { GaiConfigError, type ConfigProblem } from '../core/errors';
import { instanceOf, isToken, parseProps } from '../core/props';
import { FeatureStore } from '../feature-store/feature-store';
import { ADDON_NAMESPACES } from '../gpu-training-cluster/addons';
import type { ClusterReference } from '../gpu-training-cluster/cluster';
import { TrainingTeams } from '../gpu-training-cluster/teams';
import { ModelRegistry } from '../model-registry/model-registry';
import { PlatformAlarms } from '../monitoring-stack/platform-alarms';

/** The personas of the MLOps team, each one IAM role, one EKS access entry and one Kubernetes group. */
export const PERSONAS = ['data-scientist', 'ml-engineer', 'mlops-engineer', 'domain-expert', 'auditor'] as const;
export type Persona = (typeof PERSONAS)[number];

/** The Kubernetes group of a persona's access entry (`kubernetes_groups`), bound by TeamRbac. */
export function personaGroup(persona: Persona): string {
  return `gaiops:${persona}`;
}

/** The audience AWS sign-in puts in SAML assertions for the console and `AssumeRoleWithSAML`. */
export const AWS_SAML_AUDIENCE = 'https://signin.aws.amazon.com/saml';

/** Add-on namespaces the mlops-engineer administers by default: every add-on namespace except `kube-system`. */
export const DEFAULT_ADDON_NAMESPACES: readonly string[] = [...new Set(Object.values(ADDON_NAMESPACES))].filter((ns) => ns !== 'kube-system').sort();

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NamespaceSchema = z.string().regex(NAMESPACE, 'must be a Kubernetes namespace name');

/** An IAM role or user ARN, without wildcards: the principals a persona role trusts. */
export const TrustedPrincipalArnSchema = z
  .string()
  .refine((v) => isToken(v) || !/[*?]/.test(v), 'must not contain a wildcard: name exact IAM roles or users')
  .refine(
    (v) => isToken(v) || /[*?]/.test(v) || /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/.test(v),
    'must be an IAM role or user ARN (arn:<partition>:iam::<account>:role/<name> or :user/<name>)',
  );

const SamlProviderArnSchema = z
  .string()
  .refine((v) => isToken(v) || /^arn:aws[a-z-]*:iam::\d{12}:saml-provider\/[\w.-]+$/.test(v), 'must be an IAM SAML provider ARN (arn:<partition>:iam::<account>:saml-provider/<name>)');

const SessionSeconds = z.number().int().min(3600).max(43200);

const personaBase = {
  enabled: z.boolean().default(true).describe('Create the persona: its role, access entry and Kubernetes group. Default `true`.'),
  trustedPrincipalArns: z
    .array(TrustedPrincipalArnSchema)
    .default([])
    .describe(
      'IAM roles and users of the account that may assume the role (`sts:AssumeRole`, with MFA unless `requireMfa` is false). Default none: an enabled persona needs these or `saml`.',
    ),
  maxSessionDurationSeconds: SessionSeconds.optional().describe("The role's maximum session duration. Default the TeamAccess `maxSessionDurationSeconds`."),
};

const teamPersona = {
  ...personaBase,
  teamNamespaces: z
    .array(NamespaceSchema)
    .min(1)
    .optional()
    .describe('Team namespaces the persona works in (EKS access scope and TeamRbac bindings); each must be a team of `teams`. Default every team.'),
  datasetGroups: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('FeatureStore groups whose datasets the persona may read (`grantDatasetRead(role, group)` each). Default every group (the store-wide grant).'),
};

export const DataScientistSchema = z.strictObject(teamPersona);
export const MlEngineerSchema = z.strictObject({
  ...teamPersona,
  ingestGroups: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('FeatureStore groups the persona may ingest into (`grantIngest(role, group)` each). Default every group (`grantIngest(role)`).'),
});
export const PlainPersonaSchema = z.strictObject(personaBase);

export const PersonasSchema = z.strictObject({
  'data-scientist': DataScientistSchema.prefault({}).describe('Reads online features and datasets, registers models; EKS view plus training Jobs/TrainJobs in team namespaces.'),
  'ml-engineer': MlEngineerSchema.prefault({}).describe('Data scientist plus feature ingestion; EKS edit in team namespaces.'),
  'mlops-engineer': PlainPersonaSchema.prefault({}).describe('Registry admin, CloudWatch alarm and metric reads; EKS admin in the operations namespaces, view cluster-wide.'),
  'domain-expert': PlainPersonaSchema.prefault({}).describe('Registry read and approve (a registry approver, four-eyes); EKS view in the monitoring namespace.'),
  auditor: PlainPersonaSchema.prefault({}).describe('Read-only: registry and its audit log, dataset manifests, CloudWatch alarms and metrics; EKS view cluster-wide and RBAC reads.'),
});

const ClusterReferenceSchema = z.custom<ClusterReference>(
  (v) => v !== null && typeof v === 'object' && typeof (v as ClusterReference).clusterName === 'string',
  'must be a ClusterReference (GpuTrainingCluster.reference())',
);

const TeamNamesSchema = z.union([
  instanceOf(TrainingTeams, 'TrainingTeams'),
  z.array(z.string().regex(NAMESPACE, 'must be a team name (a namespace name)')).min(1, 'must name at least one team'),
]);

export const TeamAccessPropsSchema = z.strictObject({
  cluster: ClusterReferenceSchema.describe('The training cluster (GpuTrainingCluster `reference()`): access entries are created in it.'),
  featureStore: instanceOf(FeatureStore, 'FeatureStore').describe('The FeatureStore the personas read from and ingest into.'),
  modelRegistry: instanceOf(ModelRegistry, 'ModelRegistry').describe('The ModelRegistry; the domain-expert role becomes one of its approvers.'),
  teams: TeamNamesSchema.describe('The TrainingTeams (or their names — the team namespaces): the team personas are scoped to them.'),
  alarms: instanceOf(PlatformAlarms, 'PlatformAlarms')
    .optional()
    .describe('PlatformAlarms whose alarms the mlops-engineer and auditor may read (`cloudwatch:DescribeAlarms`, `DescribeAlarmHistory`). Default none (no alarm reads).'),
  personas: PersonasSchema.prefault({}).describe('Per persona: enabled, trusted principals, session duration and scopes. Default every persona enabled (each still needs principals or `saml`).'),
  saml: z
    .strictObject({
      providerArn: SamlProviderArnSchema.describe('The IAM SAML provider of the identity provider (IAM Identity Center, Entra ID, Okta…).'),
      audience: z.string().min(1).default(AWS_SAML_AUDIENCE).describe(`The required \`SAML:aud\`. Default \`${AWS_SAML_AUDIENCE}\`.`),
    })
    .optional()
    .describe('SSO federation: every enabled persona role also trusts this provider (`sts:AssumeRoleWithSAML` with the `SAML:aud` condition). Default none.'),
  requireMfa: z
    .boolean()
    .default(true)
    .describe('Require `aws:MultiFactorAuthPresent` when IAM principals assume a persona role. Default `true`; set `false` when the trusted principals are roles assumed without MFA (e.g. role chaining from a CI role).'),
  maxSessionDurationSeconds: SessionSeconds.default(3600).describe('Maximum session duration of every persona role. Default 3600 (one hour).'),
  monitoringNamespace: NamespaceSchema.default('monitoring').describe('Namespace of the monitoring stack (Grafana dashboards): domain experts view it, mlops engineers administer it. Default `monitoring`.'),
  addonNamespaces: z
    .array(NamespaceSchema)
    .default([...DEFAULT_ADDON_NAMESPACES])
    .describe(`Add-on namespaces the mlops-engineer administers. Default \`${DEFAULT_ADDON_NAMESPACES.join(', ')}\` (every add-on namespace but \`kube-system\`).`),
  inferenceNamespaces: z.array(NamespaceSchema).default([]).describe('InferenceService namespaces the mlops-engineer administers. Default none.'),
});
export type TeamAccessProps = z.input<typeof TeamAccessPropsSchema>;
export type TeamAccessConfig = z.output<typeof TeamAccessPropsSchema>;
export type PersonaConfig = z.output<typeof PlainPersonaSchema> & {
  readonly teamNamespaces?: readonly string[];
  readonly datasetGroups?: readonly string[];
  readonly ingestGroups?: readonly string[];
};

/** The team names of `teams`: TrainingTeams' team names (literal strings) or the names given. */
export function teamNames(teams: TeamAccessConfig['teams']): string[] {
  return teams instanceof TrainingTeams ? teams.teams.map((t) => t.name) : [...teams];
}

/** Parses the props, then checks principals, team namespaces and feature groups across fields. */
export function parseTeamAccessProps(scope: IConstruct | string, input: unknown): TeamAccessConfig {
  const p = parseProps(scope, TeamAccessPropsSchema, input);
  const constructPath = typeof scope === 'string' ? scope : scope.node.path;
  const problems: ConfigProblem[] = [];
  const add = (fieldPath: string, message: string) => problems.push({ constructPath, fieldPath, message });
  const teams = teamNames(p.teams);
  const groups = p.featureStore.groups;
  for (const persona of PERSONAS) {
    const c: PersonaConfig = p.personas[persona];
    if (!c.enabled) continue;
    const at = `personas.${persona}`;
    if (c.trustedPrincipalArns.length === 0 && !p.saml) {
      add(`${at}.trustedPrincipalArns`, 'an enabled persona needs at least one trusted IAM role or user ARN, or `saml`');
    }
    c.teamNamespaces?.forEach((ns, i) => {
      if (!teams.includes(ns)) add(`${at}.teamNamespaces[${i}]`, `${ns} is not a team of \`teams\` (${teams.join(', ')})`);
    });
    c.datasetGroups?.forEach((g, i) => {
      const group = groups.find((x) => x.name === g);
      if (!group) add(`${at}.datasetGroups[${i}]`, `${g} is not a feature group of the FeatureStore`);
      else if (!group.offline) add(`${at}.datasetGroups[${i}]`, `${g} has no offline store, so no datasets`);
    });
    c.ingestGroups?.forEach((g, i) => {
      if (!groups.some((x) => x.name === g)) add(`${at}.ingestGroups[${i}]`, `${g} is not a feature group of the FeatureStore`);
    });
  }
  if (problems.length > 0) throw new GaiConfigError(problems);
  return p;
}
