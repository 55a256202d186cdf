/**
 * Governance configuration shared by the ModelRegistry construct (props) and its runtime (which
 * reads it from the `MR_CONFIG` environment variable and re-validates it). Dependency-free apart
 * from zod, so it can be bundled into the runtime.
 */
import { z } from 'zod';

export const MetricGateSchema = z
  .strictObject({
    metric: z.string().min(1).max(250),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((g) => g.min !== undefined || g.max !== undefined, { message: 'a metric gate needs min, max or both' });
export type MetricGate = z.output<typeof MetricGateSchema>;

export const FairnessThresholdsSchema = z.strictObject({
  maxDemographicParityDifference: z.number().min(0).max(1).default(0.1).describe('|DPD| must not exceed this. Default 0.1.'),
  minDisparateImpactRatio: z.number().min(0).max(1).default(0.8).describe('DI must be at least this (the four-fifths rule). Default 0.8.'),
  maxEqualizedOddsDifference: z.number().min(0).max(1).default(0.1).describe('EOD must not exceed this. Default 0.1.'),
});

export const GovernanceGatesSchema = z.strictObject({
  requiredMetrics: z.array(MetricGateSchema).default([]).describe('Evaluation metrics that must be recorded and within bounds. Default none.'),
  fairness: FairnessThresholdsSchema.default({
    maxDemographicParityDifference: 0.1,
    minDisparateImpactRatio: 0.8,
    maxEqualizedOddsDifference: 0.1,
  }).describe('Fairness thresholds, checked for every reported sensitive attribute.'),
  requireModelCard: z.boolean().default(true).describe('A model card must be attached. Default `true`.'),
  requireArtifactDigest: z
    .boolean()
    .default(true)
    .describe('The recorded artifact digest must match the stored object. Default `true`.'),
  requireApproval: z
    .boolean()
    .default(true)
    .describe('An approval by an approver other than the version creator (four-eyes). Default `true`.'),
  protectedAliases: z
    .array(z.string().min(1).max(256))
    .default(['production'])
    .describe('Aliases (and the stage `Production`) guarded by these gates. Default `["production"]`.'),
});
export type GovernanceGates = z.output<typeof GovernanceGatesSchema>;
export type GovernanceGatesInput = z.input<typeof GovernanceGatesSchema>;

const F = FairnessThresholdsSchema.shape;
const G = GovernanceGatesSchema.shape;

/** Fairness thresholds of a per-model override: each one given replaces the default's. */
export const FairnessOverrideSchema = z.strictObject({
  maxDemographicParityDifference: F.maxDemographicParityDifference.unwrap().optional(),
  minDisparateImpactRatio: F.minDisparateImpactRatio.unwrap().optional(),
  maxEqualizedOddsDifference: F.maxEqualizedOddsDifference.unwrap().optional(),
});

/**
 * A per-model override of the gates: every field optional and WITHOUT defaults (a `.partial()`
 * of GovernanceGatesSchema would fill them in and silently reset the defaults it does not name).
 */
export const GatesOverrideSchema = z.strictObject({
  requiredMetrics: G.requiredMetrics.unwrap().optional(),
  fairness: FairnessOverrideSchema.optional(),
  requireModelCard: G.requireModelCard.unwrap().optional(),
  requireArtifactDigest: G.requireArtifactDigest.unwrap().optional(),
  requireApproval: G.requireApproval.unwrap().optional(),
  protectedAliases: G.protectedAliases.unwrap().optional(),
});
export type GatesOverride = z.output<typeof GatesOverrideSchema>;

/** The gates of one model: the defaults, with each field the override sets replacing the default's (fairness threshold by threshold). */
export function mergeGates(defaults: GovernanceGates, override: GatesOverride | undefined): GovernanceGates {
  if (!override) return defaults;
  const { fairness, ...rest } = override;
  return GovernanceGatesSchema.parse({ ...defaults, ...definedOnly(rest), fairness: { ...defaults.fairness, ...definedOnly(fairness ?? {}) } });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const RegistryConfigSchema = z.strictObject({
  version: z.literal(1),
  defaultGates: GovernanceGatesSchema,
  /** Per registered model, replacing the defaults field by field. */
  modelGates: z.record(z.string().min(1), GatesOverrideSchema).default({}),
  /** IAM role ARNs whose sessions may approve (matched against the caller's assumed role). */
  approverRoleArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/)).default([]),
  /** Dev/local only: take the caller identity from the `x-gaiops-principal` header. */
  trustPrincipalHeader: z.boolean().default(false),
});
export type RegistryConfig = z.output<typeof RegistryConfigSchema>;

/** Environment variables the construct gives the runtime. */
export const MODEL_REGISTRY_ENV = {
  metadataTable: 'MR_METADATA_TABLE',
  auditTable: 'MR_AUDIT_TABLE',
  artifactBucket: 'MR_ARTIFACT_BUCKET',
  eventBus: 'MR_EVENT_BUS_NAME',
  config: 'MR_CONFIG',
} as const;

/** Table key design: both tables have partition key `pk` and sort key `sk` (strings). */
export const REGISTRY_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** EventBridge `source` and `detail-type`s the registry publishes. */
export const REGISTRY_EVENTS = {
  source: 'gaiops.model-registry',
  detailTypes: ['ModelVersionCreated', 'AliasChanged', 'StageTransitioned', 'ApprovalRecorded'],
} as const;
