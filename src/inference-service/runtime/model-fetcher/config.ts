/**
 * The model fetcher's configuration, from the init container's environment (set by the
 * InferenceService construct). Invalid or missing variables fail with one message naming each.
 */
import { posix } from 'node:path';
import { z } from 'zod';

export interface ModelFetcherConfig {
  /** Base URL of the ModelRegistry API (its `apiUrl`). */
  readonly registryUrl: string;
  readonly region: string;
  readonly modelName: string;
  /** Exactly one of version and alias. */
  readonly selector: { readonly kind: 'version'; readonly version: string } | { readonly kind: 'alias'; readonly alias: string };
  /** Where the model files go (an emptyDir shared read-only with the server container). */
  readonly modelDir: string;
  /** Refuse a version whose governance status is not eligible (gates met and approved). Default true. */
  readonly requireEligible: boolean;
}

export class ModelFetcherError extends Error {
  constructor(
    /** `config` (exit 2), `registry` (3), `governance` (4), `artifact` (5). */
    readonly stage: 'config' | 'registry' | 'governance' | 'artifact',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelFetcherError';
  }

  get exitCode(): number {
    return { config: 2, registry: 3, governance: 4, artifact: 5 }[this.stage];
  }
}

const required = z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') }).trim().min(1, 'must not be empty');

const EnvSchema = z
  .object({
    REGISTRY_API_URL: required.refine((u) => /^https?:\/\/[^\s]+$/.test(u), 'must be an http(s) URL'),
    AWS_REGION: required.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
    MODEL_NAME: required.max(256),
    MODEL_VERSION: z.string().trim().regex(/^[1-9]\d{0,9}$/, 'must be a positive version number').optional(),
    MODEL_ALIAS: z.string().trim().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be an alias (lowercase letters, digits, _ or -)').optional(),
    MODEL_DIR: required.refine((p) => posix.isAbsolute(p) && posix.normalize(p) !== '/', 'must be an absolute path other than /').default('/models'),
    MODEL_REQUIRE_ELIGIBLE: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  })
  .superRefine((e, ctx) => {
    if ((e.MODEL_VERSION === undefined) === (e.MODEL_ALIAS === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['MODEL_VERSION'], message: 'set exactly one of MODEL_VERSION and MODEL_ALIAS' });
    }
  });

/** Parses the environment; empty values count as unset. */
export function parseModelFetcherConfig(env: Readonly<Record<string, string | undefined>>): ModelFetcherConfig {
  const names = ['REGISTRY_API_URL', 'AWS_REGION', 'MODEL_NAME', 'MODEL_VERSION', 'MODEL_ALIAS', 'MODEL_DIR', 'MODEL_REQUIRE_ELIGIBLE'];
  const present = Object.fromEntries(names.map((n) => [n, env[n]]).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`);
    throw new ModelFetcherError('config', `invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    registryUrl: e.REGISTRY_API_URL.replace(/\/+$/, ''),
    region: e.AWS_REGION,
    modelName: e.MODEL_NAME,
    selector: e.MODEL_VERSION !== undefined ? { kind: 'version', version: e.MODEL_VERSION } : { kind: 'alias', alias: e.MODEL_ALIAS as string },
    modelDir: posix.normalize(e.MODEL_DIR),
    requireEligible: e.MODEL_REQUIRE_ELIGIBLE === 'true',
  };
}
