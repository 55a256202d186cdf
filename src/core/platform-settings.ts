import { z } from 'zod';

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const LogRetentionDaysSchema = z
  .number()
  .int()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
  });

/** Data classification carried as the `data-classification` tag on data stores. */
export const DataClassificationSchema = z.enum(['public', 'internal', 'confidential', 'restricted']);
export type DataClassification = z.infer<typeof DataClassificationSchema>;

const TagKey = z.string().min(1).max(128).regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, 'not a valid AWS tag key').refine(
  (k) => !k.toLowerCase().startsWith('aws:'),
  'tag keys starting with aws: are reserved',
);
const TagValue = z.string().max(256).regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, 'not a valid AWS tag value');

/**
 * Platform-wide settings every gaiops construct reads from its stack (see `PlatformContext`).
 */
export const PlatformSettingsSchema = z.strictObject({
  prefix: z
    .string()
    .regex(/^[a-z][a-z0-9]{1,9}$/, 'must be 2-10 lowercase letters or digits, starting with a letter')
    .describe('Platform prefix that starts every physical name and the `platform` tag, e.g. `gai`.'),
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,9}$/, 'must be 1-10 lowercase letters or digits, starting with a letter')
    .describe('Environment name (`dev`, `staging`, `prod`, …): second part of every physical name and the `environment` tag.'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1')
    .describe('AWS region of the stack; configures the AWS provider.'),
  owner: z.string().min(1).max(256).pipe(TagValue).describe('Owning team or contact, carried as the `owner` tag.'),
  costCenter: z.string().min(1).max(256).pipe(TagValue).describe('Cost center for charge-back, carried as the `cost-center` tag.'),
  ephemeral: z
    .boolean()
    .default(false)
    .describe(
      'Marks a throw-away environment: stateful resources drop `prevent_destroy` and deletion protection so the environment can be destroyed. Default `false` — everything stateful is protected.',
    ),
  logRetentionDays: LogRetentionDaysSchema.default(365).describe(
    'Default retention of every log group the platform creates, in days. Default 365.',
  ),
  tags: z
    .record(TagKey, TagValue)
    .default({})
    .describe('Extra tags for every taggable AWS resource, merged under the platform tags. Default none.'),
});

export type PlatformSettingsInput = z.input<typeof PlatformSettingsSchema>;
export type PlatformSettings = z.output<typeof PlatformSettingsSchema>;

/** The platform tags every taggable AWS resource carries (through the provider's `default_tags`). */
export function platformTags(settings: PlatformSettings): Record<string, string> {
  return {
    ...settings.tags,
    platform: settings.prefix,
    environment: settings.environment,
    owner: settings.owner,
    'cost-center': settings.costCenter,
    'managed-by': 'gaiops',
  };
}
