/**
 * Props of the ModelRegistry construct. Governance fields reuse the shared schemas of
 * `registry-config.ts` (the runtime re-validates the same shapes from `MR_CONFIG`).
 */
import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { LogRetentionDaysSchema } from '../core/platform-settings';
import { instanceOf } from '../core/props';
import { GatesOverrideSchema, GovernanceGatesSchema, RegistryConfigSchema } from './registry-config';

export { FairnessOverrideSchema, GatesOverrideSchema, type GatesOverride } from './registry-config';

/** An IAM role ARN, as the runtime accepts approvers (`RegistryConfigSchema.approverRoleArns`). */
export const ApproverRoleArnSchema = RegistryConfigSchema.shape.approverRoleArns.unwrap().element;

/** A registered-model name as MLflow accepts it in this registry. */
const ModelNameSchema = z.string().min(1).max(256).regex(/^[^/\s][^/]*$/, 'must be a model name (no "/", not starting with whitespace)');

/** Problems a zod schema cannot state alone: bounds in the right order, one gate per metric. */
function checkMetricGates(
  gates: { requiredMetrics?: readonly { metric: string; min?: number; max?: number }[] },
  ctx: { addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void },
): void {
  const seen = new Set<string>();
  (gates.requiredMetrics ?? []).forEach((g, i) => {
    if (g.min !== undefined && g.max !== undefined && g.min > g.max) {
      ctx.addIssue({ code: 'custom', path: ['requiredMetrics', i, 'max'], message: `must be greater than or equal to min (${g.min})` });
    }
    if (seen.has(g.metric)) ctx.addIssue({ code: 'custom', path: ['requiredMetrics', i, 'metric'], message: `metric ${g.metric} has two gates` });
    seen.add(g.metric);
  });
}

const DEFAULT_GATES = GovernanceGatesSchema.parse({});

export const ModelRegistryPropsSchema = z.strictObject({
  gates: GovernanceGatesSchema.superRefine(checkMetricGates)
    .default(DEFAULT_GATES)
    .describe(
      'Governance gates guarding the protected aliases (and the stage `Production`) of every model: required metrics with bounds, fairness thresholds, model card, artifact digest, four-eyes approval (see GovernanceGatesSchema). Default: no required metrics, fairness DPD ≤ 0.1 / DI ≥ 0.8 / EOD ≤ 0.1, model card, digest and approval required, protected alias `production`.',
    ),
  modelGates: z
    .record(ModelNameSchema, GatesOverrideSchema.superRefine(checkMetricGates))
    .default({})
    .describe(
      'Per registered model: gates replacing the defaults field by field (fairness threshold by threshold), e.g. `{ "fraud-scorer": { "requiredMetrics": [{ "metric": "auc", "min": 0.9 }] } }`. Default none.',
    ),
  approverRoleArns: z
    .array(ApproverRoleArnSchema)
    .default([])
    .describe(
      'IAM role ARNs whose sessions may approve or reject versions. The runtime checks the caller\'s role against this list; IAM (`grantApprove`) decides who may call the routes at all — both must agree. `grantApprove(role)` adds the role here. Default none.',
    ),
  objectLock: z
    .strictObject({
      retentionDays: z.number().int().min(1).max(36500),
      mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
    })
    .optional()
    .describe(
      'S3 Object Lock (WORM) on the artifact bucket: every artifact version is retained `retentionDays` days (mode `GOVERNANCE` by default, `COMPLIANCE` for regulators). Only settable when the bucket is created. Default none.',
    ),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
    .optional()
    .describe(
      'Key for the bucket, tables, event bus, archive, queues, function environment and logs; must allow the `logs` and `events` services. Default a new EncryptionKey (`services: [\'logs\', \'events\']`).',
    ),
  throttling: z
    .strictObject({ burstLimit: z.number().int().min(1).default(100), rateLimit: z.number().min(1).default(50) })
    .default({ burstLimit: 100, rateLimit: 50 })
    .describe('API stage throttling. Default burst 100 requests, 50 requests per second.'),
  memorySize: z
    .number()
    .int()
    .min(256)
    .max(10240)
    .default(1024)
    .describe('Memory of the API function in MB (CPU grows with it: digest verification streams and hashes artifacts). Default 1024.'),
  timeoutSeconds: z
    .number()
    .int()
    .min(3)
    .max(30)
    .default(29)
    .describe('Timeout of the API function in seconds, at most the HTTP API\'s 30-second integration limit. Default 29.'),
  eventBusName: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be 1-256 letters, digits, . _ or - (no /)')
    .refine((n) => n !== 'default', 'must not be the default bus')
    .optional()
    .describe('Name of the registry\'s event bus. Default `<prefix>-<environment>-<construct path>-events`.'),
  eventArchive: z
    .strictObject({
      enabled: z.boolean().default(true),
      retentionDays: z.number().int().min(0).max(36500).default(365),
    })
    .default({ enabled: true, retentionDays: 365 })
    .describe('Archive of every registry event (encrypted with the key) for replay and audit; `retentionDays` 0 keeps events forever. Default on, 365 days.'),
  logRetentionDays: LogRetentionDaysSchema.optional().describe(
    "Retention of the function's and the API's log groups. Default the platform's `logRetentionDays`.",
  ),
});
export type ModelRegistryProps = z.input<typeof ModelRegistryPropsSchema>;
export type ModelRegistryConfig = z.output<typeof ModelRegistryPropsSchema>;
