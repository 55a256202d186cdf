/**
 * Request bodies of the OpenAI-compatible routes, validated at the edge. Only what the gateway
 * needs or can cheaply check is typed; every other field passes through to the upstream unchanged
 * (loose objects), so new OpenAI parameters need no gateway release.
 */
import { z } from 'zod';

const StreamOptionsSchema = z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional();

const MessageSchema = z.looseObject({
  role: z.string().min(1),
});

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(MessageSchema).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: StreamOptionsSchema,
  user: z.string().optional(),
});

export const CompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()), z.array(z.number().int()), z.array(z.array(z.number().int()))]),
  stream: z.boolean().nullable().optional(),
  stream_options: StreamOptionsSchema,
  user: z.string().optional(),
});

export const EmbeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number().int()).min(1), z.array(z.array(z.number().int())).min(1)]),
  user: z.string().optional(),
});

export type GatewayRoute = 'chat' | 'completions' | 'embeddings';

export const ROUTE_SCHEMAS = {
  chat: ChatCompletionRequestSchema,
  completions: CompletionRequestSchema,
  embeddings: EmbeddingRequestSchema,
} as const;

/** The fields the gateway reads from any of the three bodies. */
export interface ValidatedRequestBody {
  model: string;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean; [k: string]: unknown } | null;
  user?: string;
  [k: string]: unknown;
}

export type ValidationResult = { readonly ok: true; readonly body: ValidatedRequestBody } | { readonly ok: false; readonly message: string; readonly param: string };

/**
 * Validates `body` for `route`. On failure returns the first problem as `field: message`, e.g.
 * `messages: Required` (missing fields say `Required`, like the OpenAI API).
 */
export function validateRequestBody(route: GatewayRoute, body: unknown): ValidationResult {
  // Hot path: a hand-written check of the same rules (never looser than the schemas); only a body it
  // does not accept goes through zod, which decides and names the field.
  if (acceptsQuickly(route, body)) return { ok: true, body: body as ValidatedRequestBody };
  const result = ROUTE_SCHEMAS[route].safeParse(body, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : undefined),
  });
  if (result.success) return { ok: true, body: result.data as ValidatedRequestBody };
  const issue = result.error.issues[0];
  const param = issue.path.length === 0 ? '(body)' : issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
  return { ok: false, param, message: `${param}: ${issue.message}` };
}


/**
 * True when `body` certainly satisfies `ROUTE_SCHEMAS[route]` (it may return false for a body zod
 * accepts; then zod decides). Without allocating, and without walking more than the typed fields.
 */
export function acceptsQuickly(route: GatewayRoute, body: unknown): boolean {
  if (!isPlainObject(body)) return false;
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0) return false;
  if (b.user !== undefined && typeof b.user !== 'string') return false;
  if (route === 'embeddings') return isEmbeddingInput(b.input);
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') return false;
  const so = b.stream_options;
  if (so !== undefined && so !== null) {
    if (!isPlainObject(so)) return false;
    const include = (so as Record<string, unknown>).include_usage;
    if (include !== undefined && typeof include !== 'boolean') return false;
  }
  if (route === 'completions') return isPrompt(b.prompt);
  const messages = b.messages;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as unknown;
    if (!isPlainObject(m)) return false;
    const role = (m as Record<string, unknown>).role;
    if (typeof role !== 'string' || role.length === 0) return false;
  }
  return true;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `string | string[] | int[] | int[][]` (arrays may be empty). */
function isPrompt(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (!Array.isArray(value)) return false;
  if (value.length === 0) return true;
  const first = value[0] as unknown;
  if (typeof first === 'string') return value.every((v) => typeof v === 'string');
  if (typeof first === 'number') return isIntArray(value);
  return value.every((v) => Array.isArray(v) && isIntArray(v));
}

/** `string | string[] | int[] | int[][]`, the arrays non-empty (the inner ones may be empty). */
function isEmbeddingInput(value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return false;
  return isPrompt(value);
}

function isIntArray(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isSafeInteger(values[i])) return false;
  return true;
}
