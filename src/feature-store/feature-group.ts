/**
 * The feature-group definition: one zod schema shared by the FeatureStore construct (props) and
 * its runtimes (which re-validate the JSON config the construct writes). Dependency-free apart
 * from zod, so it can be bundled into runtimes.
 */
import { z } from 'zod';

const Identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a lowercase identifier: a letter, then letters, digits or _ (max 63)');

export const FeatureTypeSchema = z.enum(['int', 'float', 'string', 'bool', 'timestamp']);
export type FeatureType = z.infer<typeof FeatureTypeSchema>;

export const PiiHandlingSchema = z
  .enum(['hash', 'drop', 'mask'])
  .describe('`hash`: keyed HMAC-SHA256 (hex) with the store\'s secret key; `drop`: removed before storage; `mask`: all but the last 4 characters replaced by `*`.');

export const FeatureSchema = z
  .strictObject({
    name: Identifier,
    type: FeatureTypeSchema,
    nullable: z.boolean().default(true).describe('Null/missing values allowed. Default `true`.'),
    min: z.number().optional().describe('Minimum (int, float). Default none.'),
    max: z.number().optional().describe('Maximum (int, float). Default none.'),
    allowedValues: z.array(z.string()).min(1).optional().describe('Allowed values (string). Default any.'),
    regex: z.string().optional().describe('Pattern the whole value must match (string). Default none.'),
    maxLength: z.number().int().min(1).optional().describe('Maximum length (string). Default none.'),
    pii: PiiHandlingSchema.optional().describe('PII handling for this column. Default none (not PII).'),
  })
  .superRefine((f, ctx) => {
    const numeric = f.type === 'int' || f.type === 'float';
    if (!numeric && (f.min !== undefined || f.max !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [f.min !== undefined ? 'min' : 'max'], message: 'min/max apply to int and float features only' });
    }
    if (f.min !== undefined && f.max !== undefined && f.min > f.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'must be greater than or equal to min' });
    }
    if (f.type !== 'string' && (f.allowedValues || f.regex !== undefined || f.maxLength !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'allowedValues, regex and maxLength apply to string features only' });
    }
    if (f.regex !== undefined) {
      try {
        new RegExp(f.regex);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['regex'], message: 'is not a valid regular expression' });
      }
    }
    if (f.pii && f.type !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['pii'], message: 'PII handling applies to string features only' });
    }
  });
export type Feature = z.output<typeof FeatureSchema>;

export const EntityKeySchema = z.strictObject({ name: Identifier, type: z.enum(['string', 'int']).default('string') });

export const FeatureGroupSchema = z
  .strictObject({
    name: Identifier.describe('Group name: S3 prefixes, the Glue table and the serving API (`<group>:<feature>`) use it.'),
    entityKeys: z.array(EntityKeySchema).min(1).max(4).describe('Entity key columns (name + type `string` | `int`).'),
    eventTimeColumn: Identifier.describe('Column holding the event time (ISO-8601 or epoch milliseconds).'),
    features: z.array(FeatureSchema).min(1).max(500),
    sensitiveAttributes: z
      .array(Identifier)
      .default([])
      .describe('Feature columns (e.g. gender, age band) whose group shares are reported for bias checks. Default none.'),
    onlineTtlSeconds: z.number().int().min(1).optional().describe('Online values older than this are OUTSIDE_MAX_AGE and expire. Default: never.'),
    online: z.boolean().default(true).describe('Keep latest values in the online store. Default `true`.'),
    offline: z.boolean().default(true).describe('Keep history in the offline store. Default `true`.'),
  })
  .superRefine((g, ctx) => {
    const columns = [...g.entityKeys.map((k) => k.name), g.eventTimeColumn, ...g.features.map((f) => f.name)];
    columns.forEach((c, i) => {
      if (columns.indexOf(c) !== i) ctx.addIssue({ code: 'custom', path: ['features'], message: `column ${c} is declared twice` });
    });
    const features = new Map(g.features.map((f) => [f.name, f]));
    g.sensitiveAttributes.forEach((a, i) => {
      if (!features.has(a)) ctx.addIssue({ code: 'custom', path: ['sensitiveAttributes', i], message: `${a} is not a feature of group ${g.name}` });
      else if (features.get(a)!.pii === 'drop') {
        ctx.addIssue({ code: 'custom', path: ['sensitiveAttributes', i], message: `${a} is dropped as PII, so no bias report can use it` });
      }
    });
    if (!g.online && !g.offline) ctx.addIssue({ code: 'custom', path: ['online'], message: 'a group needs the online store, the offline store, or both' });
  });
export type FeatureGroup = z.output<typeof FeatureGroupSchema>;
export type FeatureGroupInput = z.input<typeof FeatureGroupSchema>;

/** The JSON config the construct writes to S3 and the runtimes read (`config/feature-groups.json`). */
export const FeatureStoreConfigSchema = z
  .strictObject({
    version: z.literal(1),
    groups: z.array(FeatureGroupSchema).min(1),
  })
  .superRefine((c, ctx) => {
    const names = c.groups.map((g) => g.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: `duplicate feature group ${n}` });
    });
  });
export type FeatureStoreConfig = z.output<typeof FeatureStoreConfigSchema>;

/** S3 layout of the offline store. */
export const OFFLINE_LAYOUT = {
  raw: (group: string) => `raw/${group}/`,
  offline: (group: string, date: string) => `offline/${group}/date=${date}/`,
  rejected: (group: string) => `rejected/${group}/`,
  manifests: (group: string) => `manifests/${group}/`,
  config: 'config/feature-groups.json',
} as const;

/** Environment variables the construct gives the runtimes. */
export const FEATURE_STORE_ENV = {
  bucket: 'FS_BUCKET',
  onlineTable: 'FS_ONLINE_TABLE',
  versionsTable: 'FS_VERSIONS_TABLE',
  configKey: 'FS_CONFIG_KEY',
  piiSecretArn: 'FS_PII_SECRET_ARN',
} as const;

/**
 * DynamoDB key design. Online table: partition key `pk` = `<group>#<entity key values joined by |>`,
 * TTL attribute `expires_at` (epoch seconds). Versions table: partition key `group`, sort key `sk`.
 */
export const TABLE_KEYS = {
  online: { partitionKey: 'pk', ttlAttribute: 'expires_at' },
  versions: { partitionKey: 'group', sortKey: 'sk' },
} as const;
