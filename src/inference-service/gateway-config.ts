/**
 * The contract between the InferenceService construct and its gateway runtime: the two JSON files
 * the construct mounts into the gateway pod and the runtime (re)loads at run time.
 *
 * - `gateway.json` (ConfigMap, reloaded live when it changes): the public model, its variants with
 *   A/B weights or shadow percentages, resilience and logging settings. No secrets.
 * - `keys.json` (Secret): API keys, stored only as sha256 hashes, with per-key limits.
 *
 * Dependency-free apart from zod, so it can be bundled into the gateway runtime.
 */
import { z } from 'zod';

/** Kubernetes-style name: lowercase letters, digits and `-`, starting with a letter (max 40). */
export const VariantNameSchema = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/, 'must be a lowercase name: a letter, then letters, digits or -, max 40, not ending in -');

/** The public model id clients send as `model` (OpenAI-style ids such as `assistant` or `org/model-v1`). */
export const PublicModelIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'must be 1-128 characters: letters, digits, . _ : / -');

export const GatewayVariantSchema = z
  .strictObject({
    name: VariantNameSchema.describe('Variant name: metrics label, sticky-routing target, override header value.'),
    upstream: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
      .describe('Base URL of the variant\'s OpenAI-compatible server, without `/v1` (e.g. `http://assistant-a.inference.svc:8000`).'),
    upstreamModel: z.string().min(1).describe('The `model` value the upstream server expects (what vLLM serves as `--served-model-name`).'),
    weight: z.number().min(0).max(100).describe('A/B share: requests are split in proportion to the weights of the non-shadow variants.'),
    shadowPercent: z
      .number()
      .min(0)
      .max(100)
      .default(0)
      .describe('Percent of live requests mirrored to this variant asynchronously (response discarded). A shadow variant has weight 0. Default 0.'),
    costPerMillionInputTokensUsd: z.number().min(0).default(0).describe('Estimated cost per million input tokens (USD), for logs and metrics. Default 0.'),
    costPerMillionOutputTokensUsd: z.number().min(0).default(0).describe('Estimated cost per million output tokens (USD). Default 0.'),
  })
  .superRefine((v, ctx) => {
    if (v.shadowPercent > 0 && v.weight > 0) {
      ctx.addIssue({ code: 'custom', path: ['shadowPercent'], message: 'a shadow variant must have weight 0' });
    }
  });
export type GatewayVariant = z.output<typeof GatewayVariantSchema>;

export const GatewayConfigSchema = z
  .strictObject({
    model: PublicModelIdSchema.describe('The public model id served (`GET /v1/models`, `model` in requests).'),
    variants: z.array(GatewayVariantSchema).min(1).max(16),
    fallbackVariant: VariantNameSchema.optional().describe('Variant tried last when the chosen one fails or its breaker is open. Default none.'),
    routing: z
      .strictObject({
        userHeader: z.string().regex(/^[a-z0-9-]+$/).default('x-gaiops-user').describe('Header naming the end user when the body has no `user` field; hashed for sticky routing. Default `x-gaiops-user`.'),
        overrideHeader: z.string().regex(/^[a-z0-9-]+$/).default('x-gaiops-variant').describe('Header forcing a variant, honoured only for keys with `allowVariantOverride`. Default `x-gaiops-variant`.'),
      })
      .prefault({}),
    resilience: z
      .strictObject({
        requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000).describe('Per-request timeout, upstream included. Default 120 s.'),
        maxRetries: z.number().int().min(0).max(5).default(2).describe('Retries on connect errors, 429 and 5xx, each to another healthy variant; never after a stream started. Default 2.'),
        retryBackoffMs: z.number().int().min(0).max(10_000).default(50).describe('Base of the exponential backoff between retries (with full jitter). Default 50 ms.'),
        breakerFailureThreshold: z.number().int().min(1).max(1000).default(5).describe('Consecutive failures that open a variant\'s circuit breaker. Default 5.'),
        breakerOpenMs: z.number().int().min(100).max(600_000).default(30_000).describe('How long an open breaker rejects before one half-open probe. Default 30 s.'),
        maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('Largest request body (413 beyond). Default 1 MiB.'),
        shutdownGraceMs: z.number().int().min(0).max(600_000).default(30_000).describe('How long shutdown waits for in-flight requests and streams. Default 30 s.'),
      })
      .prefault({}),
    logging: z
      .strictObject({
        prompts: z
          .enum(['off', 'redacted'])
          .default('off')
          .describe('`off` (default): prompts and completions never logged. `redacted`: logged with e-mail addresses, phone numbers, card and IBAN-like numbers replaced.'),
      })
      .prefault({}),
    metrics: z
      .strictObject({
        genAiSemconv: z
          .boolean()
          .default(false)
          .describe('Also export the OpenTelemetry gen_ai-style histograms (`gen_ai_client_token_usage`, `gen_ai_client_operation_duration_seconds`, `gen_ai_server_time_to_first_token_seconds`). Default false.'),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.variants.forEach((v, i) => {
      if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant name "${v.name}"` });
      names.add(v.name);
    });
    if (!c.variants.some((v) => v.weight > 0)) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'at least one variant needs a weight greater than 0' });
    }
    if (c.fallbackVariant !== undefined && !names.has(c.fallbackVariant)) {
      ctx.addIssue({ code: 'custom', path: ['fallbackVariant'], message: `unknown variant "${c.fallbackVariant}"` });
    }
  });
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;
export type GatewayConfig = z.output<typeof GatewayConfigSchema>;

/** Key alias: a name for metrics and logs (never the key itself). */
export const KeyAliasSchema = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a lowercase alias: a letter, then letters, digits or - (max 63)');

export const GatewayKeySchema = z.strictObject({
  alias: KeyAliasSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the lowercase hex sha256 of the key'),
  team: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/).optional().describe('Team the key belongs to (usage reports). Default none.'),
  requestsPerMinute: z.number().int().min(1).default(600).describe('Requests per minute (token bucket). Default 600.'),
  tokensPerMinute: z.number().int().min(1).default(200_000).describe('Input + output tokens per minute. Default 200,000.'),
  tokenBudget: z.number().int().min(1).optional().describe('Total tokens this key may use while the gateway runs; 429 `budget_exhausted` beyond. Default unlimited.'),
  allowVariantOverride: z.boolean().default(false).describe('May force a variant with the override header. Default false.'),
});
export type GatewayKey = z.output<typeof GatewayKeySchema>;

export const GatewayKeysSchema = z
  .strictObject({ keys: z.array(GatewayKeySchema).max(10_000) })
  .superRefine((k, ctx) => {
    const aliases = new Set<string>();
    const hashes = new Set<string>();
    k.keys.forEach((key, i) => {
      if (aliases.has(key.alias)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'alias'], message: `duplicate alias "${key.alias}"` });
      if (hashes.has(key.sha256)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'sha256'], message: 'duplicate key hash' });
      aliases.add(key.alias);
      hashes.add(key.sha256);
    });
  });
export type GatewayKeysInput = z.input<typeof GatewayKeysSchema>;
export type GatewayKeys = z.output<typeof GatewayKeysSchema>;

/** File names inside the mounted directories. */
export const GATEWAY_CONFIG_FILE = 'gateway.json';
export const GATEWAY_KEYS_FILE = 'keys.json';

/** Environment variables of the gateway container. */
export const GATEWAY_ENV = {
  /** Path of `gateway.json`. */
  configPath: 'GATEWAY_CONFIG_PATH',
  /** Path of `keys.json`. */
  keysPath: 'GATEWAY_KEYS_PATH',
  /** Listening port (default 8080). */
  port: 'PORT',
} as const;

/** Port the gateway listens on in the cluster. */
export const GATEWAY_PORT = 8080;
