/**
 * The contract between the RolloutController construct and its Lambda runtime: the JSON the
 * construct writes to `ROLLOUT_CONFIG` and the runtime validates on its first invocation.
 *
 * Dependency-free apart from zod (and the gateway contract), so the construct can import it.
 */
import { z } from 'zod';
import { VariantNameSchema } from '../../gateway-config';

/** Environment variables of the rollout controller Lambda. */
export const ROLLOUT_ENV = {
  /** The JSON {@link RolloutConfigSchema}. */
  config: 'ROLLOUT_CONFIG',
} as const;

/** `source` of the events the controller publishes. */
export const ROLLOUT_EVENT_SOURCE = 'gaiops.inference-rollout';
/** `detail-type`s of the events the controller publishes (to the registry bus). */
export const ROLLOUT_EVENT_TYPES = ['RolloutStarted', 'RolloutCompleted', 'RolloutRolledBack'] as const;
export type RolloutEventType = (typeof ROLLOUT_EVENT_TYPES)[number];

/** Pod-template annotation the controller sets on the candidate Deployment: its pods restart and the model-fetcher resolves the alias again. */
export const MODEL_VERSION_ANNOTATION = 'gaiops.io/model-version';
/** Annotation on the gateway ConfigMap naming the rollout that last wrote its weights. */
export const ROLLOUT_ANNOTATION = 'gaiops.io/rollout';

const NAMESPACE = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name');
const OBJECT_NAME = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name');
const MODEL_NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a registry model name');
const ALIAS = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a registry alias such as production');

/** A variant whose model follows a registry alias: the candidate of a rollout when that alias moves. */
export const RolloutVariantSchema = z.strictObject({
  name: VariantNameSchema.describe('Variant name in `gateway.json`.'),
  deployment: OBJECT_NAME.describe('Its model-server Deployment (`<service>-<variant>`).'),
  modelName: MODEL_NAME,
  alias: ALIAS,
});
export type RolloutVariant = z.output<typeof RolloutVariantSchema>;

export const RolloutThresholdsSchema = z.strictObject({
  maxErrorRatio: z.number().min(0).max(1).default(0.02).describe('Largest error ratio of the candidate over the window (5xx answers and retries away from it, per attempt). Default 0.02.'),
  maxP99LatencyMs: z.number().positive().max(3_600_000).default(30_000).describe('Largest p99 whole-request latency of the candidate, in ms. Default 30,000 (LLM requests include generation).'),
  minRequests: z.number().int().min(1).default(20).describe('Requests the candidate must have served in the window before its health is judged; fewer is "no data". Default 20.'),
});
export type RolloutThresholds = z.output<typeof RolloutThresholdsSchema>;

export const PrometheusSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('service-proxy'),
    namespace: NAMESPACE.default('monitoring'),
    service: OBJECT_NAME.default('kube-prometheus-stack-prometheus'),
    port: z.number().int().min(1).max(65535).default(9090),
  }),
  z.strictObject({
    kind: z.literal('url'),
    url: z.string().regex(/^https?:\/\/[^\s"]+$/, 'must be an http(s) URL'),
  }),
]);
export type PrometheusSource = z.output<typeof PrometheusSourceSchema>;

/** Steps: strictly increasing percentages, the last one the final share of the candidate. */
export const RolloutStepsSchema = z
  .array(z.number().gt(0).max(100))
  .min(1)
  .max(20)
  .superRefine((steps, ctx) => {
    steps.forEach((s, i) => {
      if (i > 0 && s <= steps[i - 1]) ctx.addIssue({ code: 'custom', path: [i], message: `must be greater than the previous step (${steps[i - 1]})` });
    });
  });

export const RolloutConfigSchema = z
  .strictObject({
    version: z.literal(1),
    /** Namespace of the InferenceService (ConfigMap and Deployments). */
    namespace: NAMESPACE,
    /** The gateway ConfigMap holding `gateway.json`. */
    configMap: OBJECT_NAME,
    variants: z.array(RolloutVariantSchema).min(1).max(16),
    steps: RolloutStepsSchema,
    bakeMinutes: z.number().int().min(1).max(1440),
    thresholds: RolloutThresholdsSchema,
    /** Consecutive "no data" checks after a step's bake time before the rollout is rolled back; 0 holds forever. */
    maxNoDataChecks: z.number().int().min(0).max(10_000),
    prometheus: PrometheusSourceSchema,
    /** DynamoDB table of rollout state. */
    table: z.string().min(3),
    /** EventBridge bus receiving `RolloutStarted/Completed/RolledBack` (the registry bus). */
    eventBus: z.string().min(1),
    cluster: z.strictObject({
      name: z.string().min(1),
      endpoint: z.string().regex(/^https:\/\//, 'must be an https URL'),
      /** Base64 PEM of the cluster CA. */
      caData: z.string().min(1),
    }),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    const aliases = new Set<string>();
    c.variants.forEach((v, i) => {
      if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant "${v.name}"` });
      const key = `${v.modelName}@${v.alias}`;
      if (aliases.has(key)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'alias'], message: `another variant already follows ${key}` });
      names.add(v.name);
      aliases.add(key);
    });
  });
export type RolloutConfigInput = z.input<typeof RolloutConfigSchema>;
export type RolloutConfig = z.output<typeof RolloutConfigSchema>;
