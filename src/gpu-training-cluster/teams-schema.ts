import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { z } from 'zod';
import { FeatureStore } from '../feature-store/feature-store';
import { ModelRegistry } from '../model-registry/model-registry';
import type { IConstruct } from 'constructs';
import { GaiConfigError, type ConfigProblem } from '../core/errors';
import { GPU_WORKLOAD_QUANTITY_EXAMPLES, quantitySchema, quantityValue } from '../core/k8s/quantity';
import { instanceOf, parseProps } from '../core/props';
import type { ClusterReference } from './cluster';

/** A team name: a DNS-1123 label (it names the namespace), at most 40 characters so derived names stay within limits. */
export const TEAM_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

// Quantities live in core (construct-free, shared with runtimes and other constructs); re-exported here.
export { QUANTITY_PATTERN, quantityValue } from '../core/k8s/quantity';

const quantity = (what: 'CPU' | 'memory') => quantitySchema(what, GPU_WORKLOAD_QUANTITY_EXAMPLES);

/** Pod Security Standards levels a team namespace may enforce. */
export const POD_SECURITY_LEVELS = ['restricted', 'baseline'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

export const DEFAULT_CONTAINER_DEFAULTS = {
  cpuRequest: '500m',
  cpuLimit: '2',
  memoryRequest: '1Gi',
  memoryLimit: '4Gi',
} as const;

export const ContainerDefaultsSchema = z
  .strictObject({
    cpuRequest: quantity('CPU').default(DEFAULT_CONTAINER_DEFAULTS.cpuRequest).describe('LimitRange `defaultRequest.cpu` for containers that set none. Default `500m`.'),
    cpuLimit: quantity('CPU').default(DEFAULT_CONTAINER_DEFAULTS.cpuLimit).describe('LimitRange `default.cpu` (the limit) for containers that set none. Default `2`.'),
    memoryRequest: quantity('memory').default(DEFAULT_CONTAINER_DEFAULTS.memoryRequest).describe('LimitRange `defaultRequest.memory` for containers that set none. Default `1Gi`.'),
    memoryLimit: quantity('memory').default(DEFAULT_CONTAINER_DEFAULTS.memoryLimit).describe('LimitRange `default.memory` (the limit) for containers that set none. Default `4Gi`.'),
  })
  .superRefine((d, ctx) => {
    for (const [request, limit] of [
      ['cpuRequest', 'cpuLimit'],
      ['memoryRequest', 'memoryLimit'],
    ] as const) {
      const r = typeof d[request] === 'string' ? quantityValue(d[request]) : undefined;
      const l = typeof d[limit] === 'string' ? quantityValue(d[limit]) : undefined;
      if (r !== undefined && l !== undefined && r > l) {
        ctx.addIssue({ code: 'custom', path: [request], message: `must not exceed ${limit} (${d[limit]})` });
      }
    }
  });

export const TeamSchema = z
  .strictObject({
    name: z
      .string()
      .regex(TEAM_NAME_PATTERN, 'must be a DNS-1123 label of at most 40 characters (lower-case letters, digits and -, starting and ending with a letter or digit)')
      .describe('Team name: the namespace name and the `gaiops.io/team` label. A DNS-1123 label of at most 40 characters; names must be unique.'),
    gpuQuota: z
      .number({ error: (issue) => (issue.input === undefined ? 'is required: the most GPUs the team may request at once (the cost guard)' : 'must be a number') })
      .int('must be a whole number of GPUs')
      .min(0, 'must be 0 or more')
      .describe('Required: GPUs the namespace may request and limit in total (ResourceQuota `requests.nvidia.com/gpu` and `limits.nvidia.com/gpu`). 0 makes a CPU-only team.'),
    cpuQuota: quantity('CPU').default('64').describe('ResourceQuota `requests.cpu` and `limits.cpu`: total CPU of the namespace. Default `64` cores.'),
    memoryQuota: quantity('memory').default('512Gi').describe('ResourceQuota `requests.memory` and `limits.memory`: total memory of the namespace. Default `512Gi`.'),
    podQuota: z.number().int().min(1).max(10000).default(100).describe('ResourceQuota `pods`: most pods in the namespace at once. Default 100.'),
    containerDefaults: ContainerDefaultsSchema.default(ContainerDefaultsSchema.parse({})).describe(
      'LimitRange defaults for containers that declare no requests/limits (the quota requires both). Default requests `500m` CPU and `1Gi` memory, limits `2` CPU and `4Gi` memory.',
    ),
    podSecurity: z
      .enum(POD_SECURITY_LEVELS)
      .default('restricted')
      .describe(
        'Pod Security Standard enforced on the namespace (`pod-security.kubernetes.io/enforce`; `warn` and `audit` are always `restricted`). Default `restricted`: GPU pods need only the `nvidia.com/gpu` resource. `baseline` for workloads adding capabilities such as `IPC_LOCK`.',
      ),
    datasetGroups: z
      .array(z.string().min(1))
      .refine((a) => new Set(a).size === a.length, 'lists a group twice')
      .optional()
      .describe('FeatureStore groups whose datasets the team may read (`grantDatasetRead(role, group)` each). Default every group of the FeatureStore that has an offline store.'),
    allowIntraNamespace: z
      .boolean()
      .default(true)
      .describe('A NetworkPolicy allowing all traffic between pods of the namespace (distributed training: NCCL, rendezvous). Default `true`.'),
  });
export type Team = z.input<typeof TeamSchema>;
export type TeamConfig = z.output<typeof TeamSchema>;

const ClusterReferenceSchema = z.custom<ClusterReference>(
  (v) => v !== null && typeof v === 'object' && typeof (v as ClusterReference).clusterName === 'string',
  'must be a ClusterReference (GpuTrainingCluster.reference())',
);

const CidrSchema = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 10.0.0.0/16');

export const TrainingTeamsPropsSchema = z
  .strictObject({
    cluster: ClusterReferenceSchema.describe('The cluster (GpuTrainingCluster `reference()`): Pod Identity associations are created in it and the role trust is limited to it.'),
    teams: z.array(TeamSchema).min(1, 'must define at least one team').describe('The teams: one namespace, quota, limit range, network policies, service account and IAM role each.'),
    featureStore: instanceOf(FeatureStore, 'FeatureStore')
      .optional()
      .describe("FeatureStore whose datasets the teams' roles may read (per team `datasetGroups`). Default none (no feature store access)."),
    modelRegistry: instanceOf(ModelRegistry, 'ModelRegistry')
      .optional()
      .describe("ModelRegistry the teams' roles may register models in (`grantRegister`). Default none (no registry access)."),
    httpsEgressCidrs: z
      .array(CidrSchema)
      .min(1)
      .default(['0.0.0.0/0'])
      .describe(
        'Destinations of the HTTPS (TCP 443) egress policy: AWS APIs through VPC interface endpoints, and S3 (gateway endpoint) and execute-api (FeatureStore, ModelRegistry APIs) at public addresses. Default `0.0.0.0/0`; narrow it to the VPC CIDR when every AWS API used has an interface endpoint.',
      ),
    serviceAccountName: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes service account name')
      .default('trainer')
      .describe('Name of the service account created in every team namespace (the Pod Identity subject). Default `trainer`.'),
    kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider')
      .optional()
      .describe("Kubernetes provider that creates the objects, e.g. `ClusterProviders.configure(…).kubernetes`. Default the stack's default `kubernetes` provider."),
  });
export type TrainingTeamsProps = z.input<typeof TrainingTeamsPropsSchema>;
export type TrainingTeamsConfig = z.output<typeof TrainingTeamsPropsSchema>;

/**
 * Checks across teams and against the FeatureStore — unique names, `datasetGroups` that exist and
 * have an offline store — read from the raw props, so they are reported even when other fields
 * fail (zod skips object-level refinements after a type error inside).
 */
export function teamsCrossChecks(input: unknown): { fieldPath: string; message: string }[] {
  const problems: { fieldPath: string; message: string }[] = [];
  if (input === null || typeof input !== 'object') return problems;
  const { teams, featureStore } = input as { teams?: unknown; featureStore?: unknown };
  if (!Array.isArray(teams)) return problems;
  const store = featureStore instanceof FeatureStore ? featureStore : undefined;
  const seen = new Map<string, number>();
  teams.forEach((team: unknown, i) => {
    if (team === null || typeof team !== 'object') return;
    const { name, datasetGroups } = team as { name?: unknown; datasetGroups?: unknown };
    if (typeof name === 'string') {
      const first = seen.get(name);
      if (first !== undefined) problems.push({ fieldPath: `teams[${i}].name`, message: `"${name}" is already used by teams[${first}]` });
      else seen.set(name, i);
    }
    if (!Array.isArray(datasetGroups)) return;
    if (!store) {
      if (datasetGroups.length > 0) problems.push({ fieldPath: `teams[${i}].datasetGroups`, message: 'needs a featureStore' });
      return;
    }
    datasetGroups.forEach((group: unknown, j) => {
      const g = store.groups.find((x) => x.name === group);
      if (!g) {
        problems.push({ fieldPath: `teams[${i}].datasetGroups[${j}]`, message: `is not a group of the FeatureStore (${store.groups.map((x) => x.name).join(', ')})` });
      } else if (!g.offline) {
        problems.push({ fieldPath: `teams[${i}].datasetGroups[${j}]`, message: 'has no offline store, so no datasets (offline: false)' });
      }
    });
  });
  return problems;
}

/** Parses TrainingTeams props: the schema plus {@link teamsCrossChecks}, every problem in one GaiConfigError. */
export function parseTrainingTeamsProps(scope: IConstruct | string, input: unknown): TrainingTeamsConfig {
  const constructPath = typeof scope === 'string' ? scope : scope.node.path || '<app>';
  const cross: ConfigProblem[] = teamsCrossChecks(input).map((pr) => ({ constructPath, ...pr }));
  try {
    const parsed = parseProps(scope, TrainingTeamsPropsSchema, input);
    if (cross.length > 0) throw new GaiConfigError(cross);
    return parsed;
  } catch (e) {
    if (!(e instanceof GaiConfigError) || cross.length === 0 || e.problems === cross) throw e;
    const known = new Set(e.problems.map((pr) => `${pr.fieldPath}\n${pr.message}`));
    throw new GaiConfigError([...e.problems, ...cross.filter((pr) => !known.has(`${pr.fieldPath}\n${pr.message}`))]);
  }
}
