/**
 * The GaiPlatform configuration: one validated document (TypeScript object, YAML or JSON file)
 * from which `GaiPlatform` builds every layered stack. Construct references (clusters, stores,
 * providers) never appear here — the platform wires them — so the whole document is plain data,
 * loadable from a file and exported as JSON Schema for editors (`platformConfigJsonSchema()`).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { GaiConfigError, type ConfigProblem } from '../core/errors';
import { LogRetentionDaysSchema, PlatformSettingsSchema } from '../core/platform-settings';
import { formatFieldPath } from '../core/field-path';
import { FeatureGroupSchema } from '../feature-store/feature-group';
import { INTERFACE_ENDPOINT_SERVICES } from '../gpu-training-cluster/schema';
import { CpuPoolSchema, GpuPoolSchema } from '../gpu-training-cluster/node-pools-schema';
import { FsxSchema } from '../gpu-training-cluster/storage-schema';
import { TeamSchema } from '../gpu-training-cluster/teams-schema';
import { InferenceGatewaySchema, InferenceVariantSchema } from '../inference-service/schema';
import { GovernanceGatesSchema } from '../model-registry/registry-config';
import { AbTestConfigSchema, DriftColumnSchema, FairnessConfigSchema, LlmUsageConfigSchema } from '../monitoring-stack/drift-config';
import { AlarmThresholdsSchema, GpuBudgetSchema } from '../monitoring-stack/platform-alarms';
import { RolloutStepsSchema, RolloutThresholdsSchema } from '../inference-service/runtime/rollout/rollout-config';
import { PersonasSchema } from './team-access-schema';

/** The environment presets: `dev` is cheap and destroyable, `prod` is protected and redundant. */
export const PRESETS = ['dev', 'prod'] as const;
export type Preset = (typeof PRESETS)[number];

/** What each preset sets when the config leaves the field out (documented in the README). */
export const PRESET_DEFAULTS: Readonly<
  Record<
    Preset,
    {
      readonly ephemeral: boolean;
      readonly logRetentionDays: number;
      readonly natGateways: 'single' | 'perAz';
      readonly azCount: number;
      readonly gatewayReplicas: { readonly min: number; readonly max: number };
      readonly alarmThresholds: z.input<typeof AlarmThresholdsSchema>;
      readonly driftSchedule: string;
    }
  >
> = {
  dev: {
    ephemeral: true,
    logRetentionDays: 30,
    natGateways: 'single',
    azCount: 2,
    gatewayReplicas: { min: 1, max: 3 },
    // Looser and slower: a dev platform pages nobody for a single failed call.
    alarmThresholds: { periodSeconds: 300, evaluationPeriods: 3, lambdaErrors: 5, apiServerErrorPercent: 10, apiLatencyP99Ms: 5000 },
    driftSchedule: 'rate(6 hours)',
  },
  prod: {
    ephemeral: false,
    logRetentionDays: 731,
    natGateways: 'perAz',
    azCount: 3,
    gatewayReplicas: { min: 3, max: 20 },
    // Stricter and faster: one-minute periods, 1 % 5xx, 1.5 s p99.
    alarmThresholds: { periodSeconds: 60, evaluationPeriods: 3, lambdaErrors: 1, apiServerErrorPercent: 1, apiLatencyP99Ms: 1500 },
    driftSchedule: 'rate(1 hour)',
  },
};

/** The object's fields made optional *without* their defaults, so an override names only what it changes. */
function withoutDefaults<T extends z.ZodRawShape>(schema: z.ZodObject<T>) {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : (v as z.ZodType)).optional()]),
  );
  return z.strictObject(shape);
}

const Arn = (service: string, what: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `must be ${what}`);
const RoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN');
const BucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');
const Name = z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be a lowercase name of at most 20 characters: a letter, then letters, digits or -');

/** Where Terraform keeps the state of every stack. */
export const StateBackendSchema = z
  .discriminatedUnion('backend', [
    z.strictObject({
      backend: z.literal('local'),
      directory: z
        .string()
        .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a relative directory path without ..')
        .refine((d) => !d.split('/').includes('..'), 'must not contain ..')
        .default('terraform.state')
        .describe('Directory beside the synth output directory (`<outdir>/../<directory>`, i.e. the project root with the default `cdktf.out`) holding `<stack>.tfstate`; outside cdktf.out so a re-synth never touches state. Default `terraform.state`.'),
    }),
    z.strictObject({
      backend: z.literal('s3'),
      bucket: BucketName.describe('Existing, versioned, encrypted state bucket (bootstrap it once, outside the platform).'),
      keyPrefix: z
        .string()
        .regex(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, 'must be an S3 key prefix without leading or trailing /')
        .default('gaiops')
        .describe('State object key: `<keyPrefix>/<prefix>-<environment>/<stack>.tfstate`. Default `gaiops`.'),
      region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region').optional().describe('Region of the state bucket. Default the platform region.'),
      kmsKeyArn: Arn('kms', 'a KMS key ARN').optional().describe('CMK encrypting the state objects (`kms_key_id`). Default the bucket\'s default encryption (SSE-S3 unless the bucket sets a key).'),
      roleArn: RoleArn.optional().describe('Role Terraform assumes to read and write state (`assume_role.role_arn`). Default the caller\'s credentials.'),
    }),
  ])
  .describe(
    '`{ backend: "local" }` (default: `terraform.state/<stack>.tfstate` beside cdktf.out; cross-stack references read it) or `{ backend: "s3", bucket, … }`: S3 state with server-side encryption (`encrypt: true`) and S3 native lockfile locking (`use_lockfile: true`, Terraform ≥ 1.10; no DynamoDB lock table).',
  );
export type StateBackend = z.output<typeof StateBackendSchema>;

const InferenceServiceConfigSchema = z.strictObject({
  name: Name.describe('Service name: namespace, object names and the public model id.'),
  publicModel: z.string().min(1).max(128).optional().describe('Model id clients send. Default `name`.'),
  variants: z.array(InferenceVariantSchema).min(1).max(16).describe('Model-server variants (InferenceVariantSchema: model name + alias or version, pool, weight or shadow, replicas, server).'),
  fallbackVariant: z.string().optional().describe('Variant tried last when the chosen one fails. Default none.'),
  gateway: InferenceGatewaySchema.extend({
    replicas: z
      .strictObject({ min: z.number().int().min(1).max(100), max: z.number().int().min(1).max(100) })
      .optional()
      .describe('Gateway HPA range. Default the preset\'s (`dev` 1–3, `prod` 3–20).'),
  })
    .optional()
    .describe('Gateway settings (InferenceGatewaySchema). Default the InferenceService defaults, with the preset\'s replica range.'),
  ingress: z
    .strictObject({
      certificateArn: Arn('acm', 'an ACM certificate ARN').describe('ACM certificate of the internal ALB\'s HTTPS listener.'),
      host: z.string().optional().describe('Host the Ingress rule matches. Default any host.'),
      wafAclArn: Arn('wafv2', 'a WAFv2 web ACL ARN').optional().describe('WAF web ACL on the ALB. Default none.'),
    })
    .optional()
    .describe('Internal HTTPS ALB in front of the gateway. Default none (in-cluster clients only, from `clientNamespaces`).'),
  clientNamespaces: z.array(z.string()).default([]).describe('Namespaces whose pods may call the gateway directly. Default none.'),
  rollout: z
    .strictObject({
      steps: RolloutStepsSchema.optional().describe('Candidate share per step. Default [5, 25, 50, 100].'),
      bakeMinutes: z.number().int().min(1).max(1440).optional().describe('Healthy minutes per step. Default 10.'),
      thresholds: RolloutThresholdsSchema.optional().describe('Health thresholds of the candidate. Default the RolloutController defaults.'),
    })
    .optional()
    .describe('Progressive delivery from registry events: when a variant\'s alias moves to a new version, a RolloutController shifts gateway weights in steps, checks health and rolls back on failure. Default none (weights change only by config).'),
  drift: z
    .strictObject({
      columns: z.array(DriftColumnSchema).min(1).describe('Columns of the gateway request logs to test.'),
      baselinePrefix: z
        .string()
        .regex(/^([A-Za-z0-9!_.*'()=-]+\/)+$/, 'must be a key prefix ending with /')
        .optional()
        .describe('Prefix of the reference sample in the telemetry bucket. Default `baselines/<service>/`.'),
      abTest: AbTestConfigSchema.optional(),
      fairness: FairnessConfigSchema.optional(),
      llmUsage: LlmUsageConfigSchema.omit({ bucket: true, prefix: true }).optional(),
      schedule: z.string().optional().describe('EventBridge schedule. Default the preset\'s (`dev` every 6 hours, `prod` hourly).'),
      runAs: z.enum(['lambda', 'kubernetes']).default('lambda').describe('Where the analysis runs: `lambda` (scheduled function, ≤ 15 min / 10 GB) or `kubernetes` (a CronJob in the cluster, for big windows). Default `lambda`.'),
    })
    .optional()
    .describe('Drift, A/B and LLM-usage analysis of this service\'s gateway logs (shipped to the telemetry bucket under `gateway/<service>/`). Default none.'),
});
export type InferenceServiceConfigInput = z.input<typeof InferenceServiceConfigSchema>;

const DatasetDriftSchema = z.strictObject({
  model: z.string().min(1).max(128).describe('Registered model whose inputs are watched.'),
  group: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a feature group name').describe('Feature group of the baseline dataset.'),
  versionId: z.string().regex(/^[0-9a-f]{64}$/, 'must be a dataset version id (64 hex)').describe('Dataset version the model was trained on (the baseline, verified by sha256).'),
  windowPrefix: z
    .string()
    .regex(/^([A-Za-z0-9!_.*'()=-]+\/)+$/, 'must be a key prefix ending with /')
    .describe('Prefix of the prediction logs in the telemetry bucket, e.g. `predictions/recommender/`.'),
  columns: z.array(DriftColumnSchema).min(1),
  fairness: FairnessConfigSchema.optional(),
  abTest: AbTestConfigSchema.optional(),
  schedule: z.string().optional().describe('EventBridge schedule. Default the preset\'s.'),
  runAs: z.enum(['lambda', 'kubernetes']).default('lambda').describe('Where the analysis runs: `lambda` (scheduled function, ≤ 15 min / 10 GB) or `kubernetes` (a CronJob in the cluster, for big windows). Default `lambda`.'),
});

export const GaiPlatformConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored.'),
    preset: z.enum(PRESETS).describe('Environment preset: `dev` (ephemeral, single NAT, 2 AZs, 30-day logs, loose alarms) or `prod` (protected, NAT per AZ, 3 AZs, 2-year logs, strict alarms). Fields set explicitly win.'),
    settings: PlatformSettingsSchema.omit({ ephemeral: true, logRetentionDays: true })
      .extend({
        ephemeral: z.boolean().optional().describe('Override the preset\'s `ephemeral`.'),
        logRetentionDays: LogRetentionDaysSchema.optional().describe('Override the preset\'s log retention.'),
      })
      .describe('Prefix, environment, region, owner, cost center and extra tags (PlatformSettingsSchema).'),
    state: StateBackendSchema.default({ backend: 'local', directory: 'terraform.state' }),
    network: z
      .strictObject({
        cidr: z.string().default('10.0.0.0/16').describe('VPC CIDR. Default `10.0.0.0/16`.'),
        natGateways: z.enum(['perAz', 'single']).optional().describe('Default the preset\'s (`dev` single, `prod` perAz).'),
        azCount: z.number().int().min(2).max(6).optional().describe('Default the preset\'s (`dev` 2, `prod` 3).'),
        interfaceEndpoints: z.array(z.enum(INTERFACE_ENDPOINT_SERVICES)).optional().describe('Interface endpoints. Default the ClusterNetwork default.'),
      })
      .prefault({})
      .describe('The cluster VPC (ClusterNetwork). Default `10.0.0.0/16` with the preset\'s NAT gateways and AZ count.'),
    cluster: z
      .strictObject({
        adminRoleArns: z.array(RoleArn).min(1).describe('Roles with cluster-admin access (at least one).'),
        kubernetesVersion: z.string().regex(/^1\.\d{2}$/).default('1.35').describe('Default `1.35`.'),
        gpuPools: z.array(GpuPoolSchema).min(1).describe('Karpenter GPU NodePools (GpuPoolSchema).'),
        cpuPool: CpuPoolSchema.optional().describe('The CPU NodePool. Default the GpuNodePools default (Graviton m7g/c7g/r7g, 256 vCPU).'),
        fsx: FsxSchema.omit({ enabled: true, encryptionKey: true, subnetId: true, csiDriver: true })
          .extend({ team: z.string().describe('The team whose namespace gets the FSx volume (one PersistentVolume per file system).') })
          .optional()
          .describe('FSx for Lustre PERSISTENT_2 (linked to the dataset and checkpoint buckets, encrypted with the cluster key) for one team. Default none (S3 Mountpoint only).'),
      })
      .describe('The EKS GPU training cluster.'),
    data: z
      .strictObject({
        featureGroups: z.array(FeatureGroupSchema).min(1).describe('FeatureStore groups (FeatureGroupSchema).'),
        dataClassification: z.enum(['public', 'internal', 'confidential', 'restricted']).default('confidential'),
        gates: GovernanceGatesSchema.optional().describe('Registry governance gates. Default the ModelRegistry defaults (fairness, model card, digest, four-eyes approval).'),
        featureServing: z
          .enum(['lambda', 'kubernetes', 'both'])
          .default('lambda')
          .describe('Where online features are served: `lambda` (API Gateway + Lambda), `kubernetes` (a FeatureServer container next to the model servers, reachable from the inference namespaces only) or `both`. Default `lambda`.'),
        registryServer: z
          .boolean()
          .default(false)
          .describe('Also run the registry API in the cluster (RegistryServer), reachable from the team namespaces, so training jobs register models without leaving the VPC (STS identity tokens; team roles may register). Default `false`.'),
      })
      .describe('The data layer: one FeatureStore and one ModelRegistry, each with its own KMS key.'),
    teams: z.array(TeamSchema).min(1).describe('Training teams (TeamSchema): namespaces, GPU quotas, dataset groups.'),
    trainingJobApi: z
      .strictObject({
        teams: z
          .array(
            z.strictObject({
              team: z.string().describe('A team of `teams`.'),
              nodePool: z.string().describe('GPU pool (cluster.gpuPools) its jobs run on.'),
              allowedImages: z.array(z.string().min(1)).min(1).describe('Registry/repository prefixes training images must start with.'),
              submitterArns: z.array(RoleArn).default([]).describe('Roles that may submit, besides the team role. Default none.'),
            }),
          )
          .min(1),
      })
      .optional()
      .describe('The training-job API (API Gateway with IAM auth → Lambda → EKS API): validated training requests checked against the team\'s GPU quota and allowed images become jobs in the team namespace. Default none.'),
    inference: z.array(InferenceServiceConfigSchema).default([]).describe('InferenceServices on the GPU pools. Default none.'),
    observability: z
      .strictObject({
        alertEmails: z.array(z.email()).default([]),
        gpuBudget: GpuBudgetSchema.optional(),
        thresholds: withoutDefaults(AlarmThresholdsSchema.unwrap())
          .optional()
          .describe('Alarm thresholds, each overriding the preset\'s (`dev`: 5-minute periods, 10 % 5xx, 5 s p99; `prod`: 1-minute periods, 1 % 5xx, 1.5 s p99). Default the preset\'s.'),
        datasetDrift: z.array(DatasetDriftSchema).default([]).describe('Drift of model inputs against FeatureStore dataset versions. Default none.'),
        monitoringCluster: z.boolean().default(true).describe('Install kube-prometheus-stack with the platform rules and dashboards. Default true.'),
      })
      .prefault({})
      .describe('Alert e-mails, GPU budget, alarm thresholds, dataset drift, in-cluster monitoring. Default alarms with the preset\'s thresholds, no e-mails, no budget, kube-prometheus-stack on.'),
    access: z
      .strictObject({
        samlProviderArn: Arn('iam', 'an IAM SAML provider ARN').optional(),
        personas: PersonasSchema.optional(),
        requireMfa: z.boolean().default(true),
      })
      .optional()
      .describe('TeamAccess personas (data scientists, ML/MLOps engineers, domain experts, auditors). Default none (no access stack).'),
  })
  .superRefine((c, ctx) => {
    if (c === null || typeof c !== 'object') return;
    const pools = new Set((Array.isArray(c.cluster?.gpuPools) ? c.cluster.gpuPools : []).map((p) => p?.name));
    const groups = new Set((Array.isArray(c.data?.featureGroups) ? c.data.featureGroups : []).map((g) => g?.name));
    const teams = new Set((Array.isArray(c.teams) ? c.teams : []).map((t) => t?.name));
    (Array.isArray(c.inference) ? c.inference : []).forEach((s, i) => {
      (Array.isArray(s?.variants) ? s.variants : []).forEach((v, j) => {
        if (typeof v?.pool === 'string' && !pools.has(v.pool)) {
          ctx.addIssue({ code: 'custom', path: ['inference', i, 'variants', j, 'pool'], message: `unknown GPU pool "${v.pool}" (cluster.gpuPools: ${[...pools].join(', ')})` });
        }
      });
    });
    const names = (Array.isArray(c.inference) ? c.inference : []).map((s) => s?.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['inference', i, 'name'], message: `duplicate service name "${String(n)}"` });
    });
    (Array.isArray(c.observability?.datasetDrift) ? c.observability.datasetDrift : []).forEach((d, i) => {
      if (typeof d?.group === 'string' && !groups.has(d.group)) {
        ctx.addIssue({ code: 'custom', path: ['observability', 'datasetDrift', i, 'group'], message: `unknown feature group "${d.group}"` });
      }
    });
    (Array.isArray(c.trainingJobApi?.teams) ? c.trainingJobApi.teams : []).forEach((t, i) => {
      if (typeof t?.team === 'string' && !teams.has(t.team)) ctx.addIssue({ code: 'custom', path: ['trainingJobApi', 'teams', i, 'team'], message: `unknown team "${t.team}"` });
      if (typeof t?.nodePool === 'string' && !pools.has(t.nodePool)) ctx.addIssue({ code: 'custom', path: ['trainingJobApi', 'teams', i, 'nodePool'], message: `unknown GPU pool "${t.nodePool}"` });
    });
    if (c.access && c.data?.featureServing === 'kubernetes') {
      ctx.addIssue({ code: 'custom', path: ['data', 'featureServing'], message: 'must be `lambda` or `both` with `access`: the personas read online features through the IAM-authorized API' });
    }
    if (c.cluster?.fsx && !teams.has(c.cluster.fsx.team)) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'fsx', 'team'], message: `unknown team "${c.cluster.fsx.team}"` });
    }
    const budgetPools = c.observability?.gpuBudget?.nodePoolNames;
    (Array.isArray(budgetPools) ? budgetPools : []).forEach((p, i) => {
      if (!pools.has(p)) ctx.addIssue({ code: 'custom', path: ['observability', 'gpuBudget', 'nodePoolNames', i], message: `unknown GPU pool "${p}"` });
    });
  }, { when: () => true });

export type GaiPlatformConfigInput = z.input<typeof GaiPlatformConfigSchema>;
export type GaiPlatformConfig = z.output<typeof GaiPlatformConfigSchema>;

/**
 * Validates a platform config: every problem in one `GaiConfigError`, each as
 * `<source>: <field path>: <message>` (source is the file name or `GaiPlatform`).
 */
export function parsePlatformConfig(input: unknown, source = 'GaiPlatform'): GaiPlatformConfig {
  const result = GaiPlatformConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => ({
    constructPath: source,
    fieldPath: formatFieldPath(issue.path),
    message: issue.message,
  }));
  throw new GaiConfigError(problems);
}

/** Reads a `.yaml`/`.yml`/`.json` platform config file and validates it (errors name the file). */
export function loadPlatformConfig(file: string): GaiPlatformConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GaiConfigError([{ constructPath: file, fieldPath: '(file)', message: `cannot be read: ${(err as Error).message}` }]);
  }
  const ext = extname(file).toLowerCase();
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new GaiConfigError([{ constructPath: file, fieldPath: '(file)', message: `is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}` }]);
  }
  if (!['.json', '.yaml', '.yml'].includes(ext)) {
    throw new GaiConfigError([{ constructPath: file, fieldPath: '(file)', message: 'must end in .yaml, .yml or .json' }]);
  }
  return parsePlatformConfig(data, file);
}

/**
 * The JSON Schema (draft 2020-12) of the config *input* (defaults are optional), for editors:
 * `# yaml-language-server: $schema=./gaiops-platform.schema.json` in a YAML config.
 */
export function platformConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(GaiPlatformConfigSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // Construct-typed alternatives (e.g. a ContainerImage in a variant's server image) cannot be
    // written in a file: they appear as unconstrained and the string alternative documents the rest.
    unrepresentable: 'any',
  }) as Record<string, unknown>;
}
