/**
 * Step 3: the metrics file the training command writes (`METRICS_FILE`):
 *
 * ```json
 * { "metrics": { "auc": 0.91 }, "fairness": { "gender": { "demographic_parity_difference": -0.03, "disparate_impact_ratio": 0.93, "equalized_odds_difference": 0.04 } } }
 * ```
 *
 * Validated with the registry's own lineage schemas (`evaluation_metrics`, `fairness_metrics`), so
 * whatever passes here is accepted by the registry. Unknown top-level keys are refused (a typo such
 * as `fairnes` must not silently drop the fairness report).
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { LineageFieldsSchema } from '../../../model-registry/runtime/lineage';
import { TrainerError, messageOf } from './errors';

export const MAX_METRICS_FILE_BYTES = 1024 * 1024;

export const MetricsFileSchema = z.strictObject({
  metrics: LineageFieldsSchema.shape.evaluation_metrics.refine((m) => Object.keys(m).length > 0, 'must contain at least one metric'),
  fairness: LineageFieldsSchema.shape.fairness_metrics.optional(),
});
export type MetricsFile = z.output<typeof MetricsFileSchema>;

/** Reads and validates the metrics file; throws `TrainerError('metrics')` naming each problem. */
export async function readMetrics(path: string): Promise<MetricsFile> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TrainerError('metrics', `the metrics file ${path} is not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof TrainerError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new TrainerError('metrics', `the training command wrote no metrics file at ${path}`);
    throw new TrainerError('metrics', `could not read the metrics file ${path}: ${messageOf(error)}`, { cause: error });
  }
  if (size > MAX_METRICS_FILE_BYTES) throw new TrainerError('metrics', `the metrics file ${path} is larger than ${MAX_METRICS_FILE_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new TrainerError('metrics', `the metrics file ${path} is not valid JSON: ${messageOf(error)}`);
  }
  const parsed = MetricsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'} ${i.message}`).join('; ');
    throw new TrainerError('metrics', `the metrics file ${path} is invalid: ${issues}`);
  }
  return parsed.data;
}
