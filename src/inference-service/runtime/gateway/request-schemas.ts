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
  const result = ROUTE_SCHEMAS[route].safeParse(body, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : undefined),
  });
  if (result.success) return { ok: true, body: result.data as ValidatedRequestBody };
  const issue = result.error.issues[0];
  const param = issue.path.length === 0 ? '(body)' : issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
  return { ok: false, param, message: `${param}: ${issue.message}` };
}

