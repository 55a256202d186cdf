/**
 * Lineage of a model version: where it came from (datasets, code, training image), how it was
 * trained (hyperparameters) and evaluated (metrics, fairness), its model card and the digest of the
 * artifact. `POST .../lineage` merges the given top-level fields into the stored lineage (a field
 * given as `null` is removed); every change bumps `revision`, which invalidates earlier approvals.
 */
import { z } from 'zod';
import { modelNameSchema, str, versionSchema } from './validation';

export const MAX_LINEAGE_BYTES = 200_000;

const finite = (what: string) =>
  z.number({ error: (i) => (i.input === undefined ? 'is required' : `must be a finite number (${what})`) }).refine(Number.isFinite, 'must be finite');

const shortText = (max: number) =>
  str()
    .min(1, { error: 'must not be empty', abort: true })
    .max(max, `must be at most ${max} characters`);

const key = str()
  .min(1, { error: 'must not be empty', abort: true })
  .max(250, 'must be at most 250 characters');

export const FairnessMetricsSchema = z.strictObject({
  demographic_parity_difference: finite('between -1 and 1').refine((n) => n >= -1 && n <= 1, 'must be between -1 and 1'),
  disparate_impact_ratio: finite('0 or more').refine((n) => n >= 0, 'must be at least 0'),
  equalized_odds_difference: finite('between -1 and 1').refine((n) => n >= -1 && n <= 1, 'must be between -1 and 1'),
});

export const ModelCardSchema = z.strictObject({
  intended_use: shortText(20_000),
  limitations: shortText(20_000),
  evaluation_data: shortText(20_000),
  ethical_considerations: shortText(20_000),
});

/** One dataset version the model was trained or evaluated on (FeatureStore dataset version ids). */
export const DatasetVersionSchema = z.strictObject({
  dataset_version_id: shortText(512),
  feature_group: shortText(256).optional(),
  role: z.enum(['training', 'validation', 'evaluation', 'test'], { error: 'must be training, validation, evaluation or test' }).optional(),
});

export const LineageFieldsSchema = z.strictObject({
  dataset_versions: z.array(DatasetVersionSchema).min(1, 'must list at least one dataset version').max(100, 'must list at most 100 dataset versions'),
  code_commit: str().regex(/^[0-9a-f]{40}$|^[0-9a-f]{64}$/, 'must be a full git commit id (40 or 64 lower-case hex characters)'),
  training_image_digest: str().regex(/^sha256:[0-9a-f]{64}$/, "must be an OCI image digest 'sha256:<64 hex>'"),
  hyperparameters: z
    .record(key, z.union([z.string().max(5000), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }))
    .refine((r) => Object.keys(r).length <= 500, 'must have at most 500 entries'),
  evaluation_metrics: z.record(key, finite('metric value')).refine((r) => Object.keys(r).length <= 500, 'must have at most 500 entries'),
  fairness_metrics: z
    .record(key, FairnessMetricsSchema)
    .refine((r) => Object.keys(r).length <= 100, 'must have at most 100 sensitive attributes'),
  model_card: ModelCardSchema,
  artifact_digest: str().regex(/^[0-9a-f]{64}$/, 'must be a sha256 digest (64 lower-case hex characters)'),
});
export type LineageFields = z.output<typeof LineageFieldsSchema>;

/** Request body of `POST /api/2.0/gaiops/model-versions/lineage`: every field optional, `null` removes it. */
const F = LineageFieldsSchema.shape;
export const LineageUpdateSchema = z.strictObject({
  name: modelNameSchema,
  version: versionSchema,
  dataset_versions: F.dataset_versions.nullable().optional(),
  code_commit: F.code_commit.nullable().optional(),
  training_image_digest: F.training_image_digest.nullable().optional(),
  hyperparameters: F.hyperparameters.nullable().optional(),
  evaluation_metrics: F.evaluation_metrics.nullable().optional(),
  fairness_metrics: F.fairness_metrics.nullable().optional(),
  model_card: F.model_card.nullable().optional(),
  artifact_digest: F.artifact_digest.nullable().optional(),
});
export type LineageUpdate = z.output<typeof LineageUpdateSchema>;

/** Stored lineage (as returned by the API). */
export interface Lineage extends Partial<LineageFields> {
  /** Increases with every change; approvals are bound to a revision. */
  readonly revision: number;
  readonly updated_timestamp: number;
  readonly updated_by: string;
}

/** Merges an update into the current fields (`null` deletes a field). */
export function mergeLineage(current: Partial<LineageFields>, update: LineageUpdate): Partial<LineageFields> {
  const out: Record<string, unknown> = { ...current };
  for (const name of Object.keys(LineageFieldsSchema.shape) as (keyof LineageFields)[]) {
    if (!(name in update)) continue;
    const value = update[name];
    if (value === undefined) continue;
    if (value === null) delete out[name];
    else out[name] = value;
  }
  return out as Partial<LineageFields>;
}
