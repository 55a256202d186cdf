/**
 * Props of the FeatureStore construct. The feature groups themselves use the shared
 * `FeatureGroupSchema` (feature-group.ts), which the runtimes re-validate from the config object.
 */
import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { DataClassificationSchema } from '../core/platform-settings';
import { instanceOf } from '../core/props';
import { FeatureGroupSchema } from './feature-group';

/** The offline tables' partition column (`offline/<group>/date=YYYY-MM-DD/`). */
export const PARTITION_COLUMN = 'date';

/** Where the serving API runs: the Lambda function behind the HTTP API, the FeatureServer container on EKS, or both. */
export const SERVING_FORMS = ['lambda', 'kubernetes', 'both'] as const;
export type ServingForm = (typeof SERVING_FORMS)[number];

/** 10 GiB: the default per-query scan limit of the Athena workgroup. */
export const DEFAULT_BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;

/** One end of a partition-projection date range: `yyyy-MM-dd`, `NOW`, or `NOW±<n><unit>`. */
const ProjectionDate = z
  .string()
  .regex(
    /^(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])|NOW([+-]\d{1,4}(YEARS|MONTHS|WEEKS|DAYS))?)$/,
    'must be a date (yyyy-MM-dd), NOW, or NOW±<n><YEARS|MONTHS|WEEKS|DAYS> such as NOW-3YEARS',
  );

const RETENTION_DEFAULTS = { rawDays: 30, rejectedDays: 90, offlineDays: null, manifestsDays: null, queryResultsDays: 30 };
const INGEST_DEFAULTS = { memorySize: 2048, timeoutSeconds: 900, maxConcurrency: 5, batchSize: 1 };
const SERVING_DEFAULTS = { memorySize: 1024, timeoutSeconds: 29 };
const THROTTLING_DEFAULTS = { burstLimit: 100, rateLimit: 50 };
const QUERY_DEFAULTS = {
  bytesScannedCutoffPerQuery: DEFAULT_BYTES_SCANNED_CUTOFF,
  partitionRange: { start: '2000-01-01', end: 'NOW+1DAYS' },
};

export const FeatureStorePropsSchema = z
  .strictObject({
    featureGroups: z
      .array(FeatureGroupSchema)
      .min(1)
      .describe(
        'The feature groups (FeatureGroupSchema: entity keys, event-time column, typed features with validation and PII handling, sensitive attributes, online TTL, online/offline stores). Names must be unique.',
      ),
    encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
      .optional()
      .describe(
        "One key for the buckets, tables, queues, function environments and logs, the PII secret and the query results; must allow the `logs` and `s3` services (S3 sends encrypted event notifications to the ingest queue). Default a new EncryptionKey (`services: ['logs', 's3']`).",
      ),
    dataClassification: DataClassificationSchema.default('confidential').describe(
      '`data-classification` tag of the buckets and tables. Default `confidential`.',
    ),
    retention: z
      .strictObject({
        rawDays: z.number().int().min(1).default(RETENTION_DEFAULTS.rawDays),
        rejectedDays: z.number().int().min(1).default(RETENTION_DEFAULTS.rejectedDays),
        offlineDays: z.number().int().min(1).nullable().default(RETENTION_DEFAULTS.offlineDays),
        manifestsDays: z.number().int().min(1).nullable().default(RETENTION_DEFAULTS.manifestsDays),
        queryResultsDays: z.number().int().min(1).default(RETENTION_DEFAULTS.queryResultsDays),
      })
      .default(RETENTION_DEFAULTS)
      .superRefine((r, ctx) => {
        if (r.offlineDays !== null && r.manifestsDays !== null && r.manifestsDays < r.offlineDays) {
          ctx.addIssue({
            code: 'custom',
            path: ['manifestsDays'],
            message: `must be at least offlineDays (${r.offlineDays}): a dataset version whose manifest expired first can no longer be verified`,
          });
        }
      })
      .describe(
        'Expiry in days. Default: landing objects under `raw/` after 30 (`rawDays`), rejected rows under `rejected/` after 90 (`rejectedDays`), Athena query results after 30 (`queryResultsDays`); offline history (`offlineDays`) and manifests (`manifestsDays`) never (`null`). Expired objects become noncurrent versions, deleted a day later.',
      ),
    piiKeySecretArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
        'must be the full ARN of a Secrets Manager secret (ending in the 6-character suffix Secrets Manager appends)',
      )
      .optional()
      .describe(
        'Bring your own HMAC key for `pii: hash` columns: the full ARN of a Secrets Manager secret whose SecretString is the key. Keeps the key out of Terraform state. Default a new secret with a random 64-character initial value.',
      ),
    piiKeySecretKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'must be a KMS key ARN (arn:…:kms:<region>:<account>:key/<id>)')
      .optional()
      .describe(
        'With `piiKeySecretArn`: the customer-managed KMS key encrypting that secret; the runtimes are granted kms:Decrypt on it through Secrets Manager for that secret only. Default none (the secret\'s key policy must allow the runtimes).',
      ),
    ingest: z
      .strictObject({
        memorySize: z.number().int().min(128).max(10240).default(INGEST_DEFAULTS.memorySize),
        timeoutSeconds: z.number().int().min(1).max(900).default(INGEST_DEFAULTS.timeoutSeconds),
        reservedConcurrency: z.number().int().min(0).optional(),
        maxConcurrency: z.number().int().min(2).max(1000).default(INGEST_DEFAULTS.maxConcurrency),
        batchSize: z.number().int().min(1).max(10).default(INGEST_DEFAULTS.batchSize),
      })
      .default(INGEST_DEFAULTS)
      .superRefine((i, ctx) => {
        if (i.reservedConcurrency !== undefined && i.maxConcurrency > i.reservedConcurrency) {
          ctx.addIssue({
            code: 'custom',
            path: ['maxConcurrency'],
            message: `must not exceed reservedConcurrency (${i.reservedConcurrency}), or the queue poller is throttled and messages go to the dead-letter queue`,
          });
        }
      })
      .describe(
        'Ingest function. Default 2048 MB (`memorySize`), 900 s (`timeoutSeconds`; the queue visibility timeout is 6 times this), unreserved concurrency (`reservedConcurrency`; must be at least `maxConcurrency` when set), at most 5 concurrent invocations from the queue (`maxConcurrency`, 2-1000), 1 S3 event per invocation (`batchSize`, 1-10).',
      ),
    serving: z
      .strictObject({
        memorySize: z.number().int().min(128).max(10240).default(SERVING_DEFAULTS.memorySize),
        timeoutSeconds: z.number().int().min(1).max(30).default(SERVING_DEFAULTS.timeoutSeconds),
        reservedConcurrency: z.number().int().min(0).optional(),
      })
      .default(SERVING_DEFAULTS)
      .describe(
        'Serving function behind the API. Default 1024 MB (`memorySize`), 29 s (`timeoutSeconds`, at most the API\'s 30-second integration timeout), unreserved concurrency (`reservedConcurrency`).',
      ),
    servingForm: z
      .enum(SERVING_FORMS)
      .default('lambda')
      .describe(
        'Where the serving API runs: `lambda` (the serving function behind the AWS_IAM-authorised HTTP API), `kubernetes` (no function, no API: add a FeatureServer — the same handler as a container on EKS, online reads only — in a workloads stack), or `both`. Default `lambda`.',
      ),
    apiThrottling: z
      .strictObject({
        burstLimit: z.number().int().min(1).default(THROTTLING_DEFAULTS.burstLimit),
        rateLimit: z.number().min(1).default(THROTTLING_DEFAULTS.rateLimit),
      })
      .default(THROTTLING_DEFAULTS)
      .describe('Stage-wide API throttling. Default burst 100 requests (`burstLimit`), 50 requests per second (`rateLimit`).'),
    query: z
      .strictObject({
        bytesScannedCutoffPerQuery: z.number().int().min(10_000_000).default(QUERY_DEFAULTS.bytesScannedCutoffPerQuery),
        partitionRange: z
          .strictObject({ start: ProjectionDate, end: ProjectionDate })
          .default(QUERY_DEFAULTS.partitionRange),
      })
      .default(QUERY_DEFAULTS)
      .describe(
        'Athena. Default: cancel any query scanning more than 10 GiB (`bytesScannedCutoffPerQuery`, at least 10 MB); project `date` partitions (the UTC day of the event time) from 2000-01-01 to NOW+1DAYS (`partitionRange`, each end `yyyy-MM-dd` or `NOW[±<n><YEARS|MONTHS|WEEKS|DAYS>]`; rows dated outside it are invisible to queries, so start it at your earliest event date).',
      ),
  })
  .superRefine((p, ctx) => {
    // Defensive: refinements also run when earlier parts of the props failed.
    const groups = Array.isArray(p.featureGroups) ? p.featureGroups : [];
    const first = new Map<string, number>();
    groups.forEach((g, i) => {
      if (!g || typeof g.name !== 'string') return;
      const seen = first.get(g.name);
      if (seen === undefined) first.set(g.name, i);
      else ctx.addIssue({ code: 'custom', path: ['featureGroups', i, 'name'], message: `duplicate feature group name ${g.name} (also featureGroups[${seen}])` });
    });
    groups.forEach((g, i) => {
      if (!g || g.offline === false) return;
      const columns: { path: (string | number)[]; name: unknown }[] = [
        ...(g.entityKeys ?? []).map((k, j) => ({ path: ['entityKeys', j, 'name'], name: k?.name })),
        { path: ['eventTimeColumn'], name: g.eventTimeColumn },
        ...(g.features ?? []).map((f, j) => ({ path: ['features', j, 'name'], name: f?.name })),
      ];
      for (const c of columns.filter((c) => c.name === PARTITION_COLUMN)) {
        ctx.addIssue({
          code: 'custom',
          path: ['featureGroups', i, ...c.path],
          message: `\`${PARTITION_COLUMN}\` is the partition column of the offline table; rename the column or set offline: false`,
        });
      }
    });
    if (p.piiKeySecretKeyArn !== undefined && p.piiKeySecretArn === undefined) {
      ctx.addIssue({ code: 'custom', path: ['piiKeySecretKeyArn'], message: 'only applies together with piiKeySecretArn' });
    }
  });

export type FeatureStoreProps = z.input<typeof FeatureStorePropsSchema>;
export type FeatureStorePropsParsed = z.output<typeof FeatureStorePropsSchema>;
