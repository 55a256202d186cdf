/**
 * Request validation. MLflow routes accept unknown fields (newer MLflow clients send extra ones)
 * but validate every field they use; gaiops routes are strict. Failures become 400
 * INVALID_PARAMETER_VALUE whose message names every offending field, with
 * `details.issues: [{ path, message }]`. Input values are never echoed.
 */
import { displayNameProblem } from '../../core/runtime/unicode';
import { z } from 'zod';
import { formatIssuePath } from '../../core/runtime/http-app';
import { invalidParameter } from './errors';

/** MLflow limits (bytes of UTF-8). */
export const LIMITS = {
  modelNameChars: 256,
  tagKeyBytes: 250,
  tagValueBytes: 5000,
  aliasBytes: 256,
  descriptionBytes: 20_000,
  tagsPerEntity: 50,
  aliasesPerModel: 100,
  sourceBytes: 1200,
  runIdChars: 256,
  runLinkBytes: 2048,
  commentBytes: 5000,
  filterChars: 4096,
  pageTokenChars: 4096,
} as const;

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const CONTROL = /[\u0000-\u001f\u007f]/;

function requiredString(issue: { input?: unknown }): string {
  return issue.input === undefined || issue.input === null ? 'is required' : 'must be a string';
}

/** Names people read: well-formed, no bidi controls, something visible. */
function displayName(s: string, ctx: z.RefinementCtx): void {
  const problem = displayNameProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

export const str = () => z.string({ error: requiredString });

export const modelNameSchema = str()
  .min(1, { error: 'must not be empty', abort: true })
  .max(LIMITS.modelNameChars, { error: `must be at most ${LIMITS.modelNameChars} characters`, abort: true })
  .refine((s) => !CONTROL.test(s), 'must not contain control characters')
  .superRefine(displayName);

export const tagKeySchema = str()
  .min(1, { error: 'must not be empty', abort: true })
  .refine((s) => bytes(s) <= LIMITS.tagKeyBytes, `must be at most ${LIMITS.tagKeyBytes} bytes`)
  .refine((s) => !CONTROL.test(s), 'must not contain control characters')
  .superRefine(displayName);

export const tagValueSchema = str().refine((s) => bytes(s) <= LIMITS.tagValueBytes, `must be at most ${LIMITS.tagValueBytes} bytes`);

export const tagsSchema = z
  .array(z.object({ key: tagKeySchema, value: tagValueSchema }), { error: 'must be a list of {key, value}' })
  .max(LIMITS.tagsPerEntity, `must have at most ${LIMITS.tagsPerEntity} tags`)
  .optional();

export const descriptionSchema = str()
  .refine((s) => bytes(s) <= LIMITS.descriptionBytes, `must be at most ${LIMITS.descriptionBytes} bytes`)
  .optional();

/** MLflow alias rules plus the 256-byte limit: `[A-Za-z0-9_-]+`, not `latest`, not `v<digits>`. */
export const aliasSchema = str()
  .min(1, { error: 'must not be empty', abort: true })
  .refine((s) => bytes(s) <= LIMITS.aliasBytes, { error: `must be at most ${LIMITS.aliasBytes} bytes`, abort: true })
  .refine((s) => /^[\w-]+$/.test(s), { error: 'may only contain alphanumerics, underscores (_) and dashes (-)', abort: true })
  .refine((s) => s.toLowerCase() !== 'latest', "'latest' (case insensitive) is reserved")
  .refine((s) => !/^[vV]\d+$/.test(s), "version aliases 'v<number>' are reserved");

/** A version number given as a JSON string (MLflow) or number; output is the number. */
export const versionSchema = z.unknown().optional().transform((value, ctx) => {
  if (value === undefined || value === null || value === '') {
    ctx.addIssue({ code: 'custom', message: 'is required' });
    return z.NEVER;
  }
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || !/^[1-9]\d{0,9}$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive integer version number' });
    return z.NEVER;
  }
  return Number(text);
});

/** Stage names are case-insensitive (as in MLflow); the output is the canonical spelling. */
export const stageSchema = str().transform((value, ctx) => {
  const stage = STAGES.find((s) => s.toLowerCase() === value.trim().toLowerCase());
  if (!stage) {
    ctx.addIssue({ code: 'custom', message: `must be one of ${STAGES.join(', ')}` });
    return z.NEVER;
  }
  return stage;
});

/** `"A, B"`, `["A", "B"]` or absent → canonical stage list (empty = all). */
export const stagesSchema = z
  .union([z.array(str()), str()], { error: 'must be a list of stage names' })
  .optional()
  .transform((value, ctx) => {
    const list = value === undefined ? [] : Array.isArray(value) ? value : value.split(',');
    const out: Stage[] = [];
    for (const raw of list.map((s) => s.trim()).filter((s) => s !== '')) {
      const stage = STAGES.find((s) => s.toLowerCase() === raw.toLowerCase());
      if (!stage) {
        ctx.addIssue({ code: 'custom', message: `must contain only ${STAGES.join(', ')}` });
        return z.NEVER;
      }
      if (!out.includes(stage)) out.push(stage);
    }
    return out;
  });

export const sourceSchema = str()
  .min(1, { error: 'must not be empty', abort: true })
  .refine((s) => bytes(s) <= LIMITS.sourceBytes, { error: `must be at most ${LIMITS.sourceBytes} bytes`, abort: true })
  .refine(
    (s) => /^sha256:[0-9a-f]{64}$/.test(s) || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^\u0000-\u001f]+$/.test(s),
    "must be an 's3://<bucket>/<key>' URI or an artifact digest reference 'sha256:<64 hex>'",
  );

export const runIdSchema = str().max(LIMITS.runIdChars, `must be at most ${LIMITS.runIdChars} characters`).optional();
export const runLinkSchema = str()
  .refine((s) => bytes(s) <= LIMITS.runLinkBytes, `must be at most ${LIMITS.runLinkBytes} bytes`)
  .optional();
export const commentSchema = str()
  .refine((s) => bytes(s) <= LIMITS.commentBytes, `must be at most ${LIMITS.commentBytes} bytes`)
  .optional();

/** `max_results` from a query string or JSON: integer within [1, max], default `fallback`. */
export function maxResultsSchema(fallback: number, max: number) {
  return z.unknown().optional().transform((value, ctx) => {
    if (value === undefined || value === null || value === '') return fallback;
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
    const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer between 1 and ${max}` });
      return z.NEVER;
    }
    return n;
  });
}

export const filterSchema = str().max(LIMITS.filterChars, `must be at most ${LIMITS.filterChars} characters`).optional();
export const pageTokenSchema = str().max(LIMITS.pageTokenChars, `must be at most ${LIMITS.pageTokenChars} characters`).optional();
/** One clause, a comma-separated list, or a JSON list of clauses. */
export const orderBySchema = z
  .union([z.array(str()), str()], { error: 'must be a list of order_by clauses' })
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter((s) => s !== ''));

export const booleanSchema = z.unknown().optional().transform((value, ctx) => {
  if (value === undefined || value === null || value === '') return false;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  ctx.addIssue({ code: 'custom', message: 'must be a boolean' });
  return z.NEVER;
});

/** Validates `input` (a JSON body or query object) or throws 400 INVALID_PARAMETER_VALUE naming every field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input === undefined || input === null ? {} : input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
  const summary = issues.map((i) => `'${i.path}' ${i.message}`).join('; ');
  throw invalidParameter(`Invalid parameters: ${summary}.`, { issues });
}
