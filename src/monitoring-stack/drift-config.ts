/**
 * The contract between the MonitoringStack construct and its drift runtime
 * (`src/monitoring-stack/runtime/drift`): the JSON config the construct passes in the
 * `DRIFT_CONFIG` environment variable (or, for the container/CronJob form, a file named by
 * `DRIFT_CONFIG_FILE`). Dependency-free apart from zod, so the runtime bundles it.
 *
 * Test names and default thresholds follow Evidently (see `runtime/drift/README.md`).
 */
import { z } from 'zod';

/** Environment variables of the drift runtime. */
export const DRIFT_ENV = {
  /** The config as JSON. */
  config: 'DRIFT_CONFIG',
  /** Path of a JSON file holding the config (container form); used when `DRIFT_CONFIG` is unset. */
  configFile: 'DRIFT_CONFIG_FILE',
} as const;

/** Where a DriftDetector's analysis runs: a scheduled Lambda, or a Kubernetes CronJob (`DriftJob`) for windows beyond Lambda's 15 minutes / 10 GB. */
export const DRIFT_RUN_FORMS = ['lambda', 'kubernetes'] as const;
export type DriftRunForm = (typeof DRIFT_RUN_FORMS)[number];

/**
 * The environment both forms of the runtime get (the Lambda's `environment.variables`, the
 * CronJob container's `env`): the one source, so the two forms cannot drift apart.
 */
export function driftEnvironment(config: DriftConfigInput): Record<string, string> {
  return { [DRIFT_ENV.config]: JSON.stringify(config) };
}

/** Drift tests that can be chosen per column. `z` is only ever chosen by default (binary columns), as in Evidently. */
export const DRIFT_TEST_NAMES = ['ks', 'wasserstein', 'chisquare', 'jensenshannon', 'psi'] as const;
export type DriftTestOverride = (typeof DRIFT_TEST_NAMES)[number];
/** Every test the detector may report. */
export type DriftTestName = DriftTestOverride | 'z';

/** Tests whose score is a p-value (drift when small); the others are distances (drift when large). */
export const P_VALUE_TESTS: ReadonlySet<DriftTestName> = new Set(['ks', 'chisquare', 'z']);

/** Evidently's default thresholds per test. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTestName, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'must be 1-128 characters: letters, digits, . _ : / - (starting with a letter or digit)');
const Bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');
/** An S3 key prefix: no leading `/`; a trailing `/` is optional. */
const Prefix = z.string().max(512).refine((p) => !p.startsWith('/'), 'must not start with /');
const ColumnName = z.string().min(1).max(256);

export const DriftColumnSchema = z
  .strictObject({
    name: ColumnName.describe('Field name in the JSON Lines records.'),
    type: z.enum(['numeric', 'categorical']).describe('`numeric`: finite JSON numbers; `categorical`: strings, numbers or booleans compared as strings.'),
    test: z.enum(DRIFT_TEST_NAMES).optional().describe('Override of the default test choice (see README). Default: Evidently\'s choice by reference size and distinct values.'),
    threshold: z.number().positive().optional().describe('Override of the test\'s threshold: p-value tests drift below it, distances at or above it. Default: Evidently\'s per test.'),
  })
  .superRefine((c, ctx) => {
    if (c.type === 'categorical' && (c.test === 'ks' || c.test === 'wasserstein')) {
      ctx.addIssue({ code: 'custom', path: ['test'], message: `${c.test} applies to numeric columns only` });
    }
    if (c.type === 'numeric' && c.test === 'chisquare') {
      ctx.addIssue({ code: 'custom', path: ['test'], message: 'chisquare applies to categorical columns only (as in Evidently)' });
    }
    const test = c.test;
    if (c.threshold !== undefined && test !== undefined && P_VALUE_TESTS.has(test) && c.threshold >= 1) {
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: `${test} compares a p-value: the threshold must be below 1` });
    }
  });
export type DriftColumn = z.output<typeof DriftColumnSchema>;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const FairnessConfigSchema = z.strictObject({
  sensitiveAttributes: z.array(ColumnName).min(1).max(20).describe('Fields whose values define the groups compared.'),
  predictionColumn: ColumnName.describe('Field holding the model\'s prediction.'),
  positiveValue: Scalar.describe('Prediction value that counts as a positive (selected) outcome; compared as a string.'),
  labelColumn: ColumnName.optional().describe('Field holding the true label; enables the equalized-odds difference. Default none.'),
  positiveLabel: Scalar.optional().describe('Label value that counts as positive. Default `positiveValue`.'),
  disparateImpactThreshold: z.number().gt(0).max(1).default(0.8).describe('Flag when min/max selection rate is below this (four-fifths rule). Default 0.8.'),
  maxDemographicParityDifference: z.number().gt(0).max(1).optional().describe('Also flag when max − min selection rate exceeds this. Default: no flag.'),
  maxEqualizedOddsDifference: z.number().gt(0).max(1).optional().describe('Also flag when the equalized-odds difference exceeds this. Default: no flag.'),
  minGroupSize: z.number().int().min(1).default(30).describe('Groups with fewer rows are reported but left out of the metrics. Default 30.'),
});

export const AbTestConfigSchema = z.strictObject({
  variantColumn: ColumnName.describe('Field naming the variant that served the request.'),
  conversionColumn: ColumnName.describe('Field that is true/1/"true"/"1"/"yes" for a conversion; anything else (or missing) is no conversion.'),
  control: z.string().min(1).optional().describe('The control variant. Default: the variant with the most rows (ties: by name).'),
  alpha: z.number().gt(0).lt(0.5).default(0.05).describe('Significance level (two-sided). Default 0.05.'),
  power: z.number().gt(0.5).lt(1).default(0.8).describe('Power for the minimum sample size. Default 0.8.'),
  minimumDetectableEffect: z.number().gt(0).lt(1).describe('Smallest absolute difference in conversion rate worth detecting (0.02 = 2 percentage points).'),
});

export const LlmUsageConfigSchema = z.strictObject({
  bucket: Bucket.optional().describe('Bucket of the gateway access logs. Default: the window bucket.'),
  prefix: Prefix.optional().describe('Prefix of the gateway access logs. Default: the window prefix (the window rows are the logs).'),
  variantField: ColumnName.default('variant'),
  modelField: ColumnName.default('model'),
  teamField: ColumnName.default('team').describe('Key alias or team field. Default `team`.'),
  inputTokensField: ColumnName.default('input_tokens'),
  outputTokensField: ColumnName.default('output_tokens'),
  costField: ColumnName.default('cost_usd').describe('Estimated cost (USD) logged by the gateway. Default `cost_usd`.'),
});

export const DriftConfigSchema = z
  .strictObject({
    model: Name.describe('Model name (metric dimension `model`, report key).'),
    dataset: Name.describe('Dataset name (metric dimension `dataset`).'),
    baseline: z
      .discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('datasetVersion'),
          bucket: Bucket,
          manifestKey: z.string().regex(/^manifests\/[^/]+\/[0-9a-f]{64}\.json$/, 'must be a FeatureStore manifest key manifests/<group>/<version id>.json'),
        }),
        z.strictObject({ kind: z.literal('sample'), bucket: Bucket, prefix: Prefix }),
      ])
      .describe('Reference data: a FeatureStore dataset version (files verified by sha256) or JSON Lines under a prefix.'),
    window: z
      .strictObject({
        bucket: Bucket,
        prefix: Prefix,
        lookbackHours: z.number().gt(0).max(24 * 366).default(24).describe('Objects whose LastModified is in (event time − lookback, event time]. Default 24.'),
      })
      .describe('Current data: JSON Lines objects (gzip detected by magic bytes) under a prefix.'),
    columns: z.array(DriftColumnSchema).min(1).max(500),
    driftShare: z.number().gt(0).max(1).default(0.5).describe('Dataset drift when the share of drifted columns is ≥ this. Default 0.5 (Evidently).'),
    fairness: FairnessConfigSchema.optional(),
    abTest: AbTestConfigSchema.optional(),
    llmUsage: LlmUsageConfigSchema.optional(),
    outputs: z.strictObject({
      reportBucket: Bucket,
      reportPrefix: Prefix.default('drift-reports').describe('Reports go to `<prefix>/<model>/<iso time>.json`. Default `drift-reports`.'),
      topicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'must be an SNS topic ARN').optional().describe('Alerts topic. Default: no alerts.'),
      namespace: z.string().min(1).max(255).default('gaiops/drift').describe('CloudWatch namespace of the EMF metrics. Default `gaiops/drift`.'),
    }),
    sketch: z
      .strictObject({
        reservoirSize: z.number().int().min(1000).max(1_000_000).default(10_000).describe('Values sampled per numeric column and side (uniform reservoir). Default 10,000.'),
        maxCategories: z.number().int().min(2).max(100_000).default(1000).describe('Distinct values counted per categorical column; the rest pool under `(other)`. Default 1,000.'),
        seed: z.string().min(1).max(128).default('gaiops-drift').describe('Seed of the sampling PRNG (runs are reproducible). Default `gaiops-drift`.'),
      })
      .prefault({}),
    maxLineBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('Longer lines are counted as corrupt and skipped. Default 1 MiB.'),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.columns.forEach((col, i) => {
      if (names.has(col.name)) ctx.addIssue({ code: 'custom', path: ['columns', i, 'name'], message: `duplicate column "${col.name}"` });
      names.add(col.name);
    });
  });

export type DriftConfigInput = z.input<typeof DriftConfigSchema>;
export type DriftConfig = z.output<typeof DriftConfigSchema>;
