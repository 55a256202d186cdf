import type { IamStatement } from './types';

/**
 * Normalises IAM policy JSON (identity, resource or trust policy) into {@link IamStatement}s.
 * Returns `undefined` when the text is not a readable policy document.
 */
export function parsePolicyJson(text: string): IamStatement[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object') return undefined;
  const raw = (doc as { Statement?: unknown }).Statement;
  if (raw === undefined) return [];
  const statements = Array.isArray(raw) ? raw : [raw];
  return statements.map((s) => fromJsonStatement((s ?? {}) as Record<string, unknown>));
}

function fromJsonStatement(s: Record<string, unknown>): IamStatement {
  return {
    sid: typeof s.Sid === 'string' ? s.Sid : undefined,
    effect: s.Effect === 'Deny' ? 'Deny' : 'Allow',
    actions: list(s.Action),
    notActions: list(s.NotAction),
    resources: list(s.Resource),
    notResources: list(s.NotResource),
    principals: principalsOf(s.Principal),
    conditions: conditionsOf(s.Condition),
  };
}

/**
 * Normalises the configuration of a `data.aws_iam_policy_document` (its `statement` blocks) into
 * statements. Documents merged in through `source_policy_documents` / `override_policy_documents`
 * are read when they are literal JSON.
 */
export function parsePolicyDocumentData(config: Readonly<Record<string, unknown>>): IamStatement[] | undefined {
  const out: IamStatement[] = [];
  for (const key of ['source_policy_documents', 'override_policy_documents']) {
    for (const text of list(config[key])) {
      const parsed = parsePolicyJson(text);
      if (!parsed) return undefined;
      out.push(...parsed);
    }
  }
  const blocks = config.statement;
  for (const b of (Array.isArray(blocks) ? blocks : blocks ? [blocks] : []) as Record<string, unknown>[]) {
    const principals: Record<string, string[]> = {};
    for (const p of asBlocks(b.principals)) {
      const type = String(p.type ?? '');
      principals[type] = [...(principals[type] ?? []), ...list(p.identifiers)];
    }
    const conditions: Record<string, Record<string, string[]>> = {};
    for (const c of asBlocks(b.condition)) {
      const test = String(c.test ?? '');
      conditions[test] = { ...(conditions[test] ?? {}), [String(c.variable ?? '')]: list(c.values) };
    }
    out.push({
      sid: typeof b.sid === 'string' ? b.sid : undefined,
      effect: b.effect === 'Deny' ? 'Deny' : 'Allow',
      actions: list(b.actions),
      notActions: list(b.not_actions),
      resources: list(b.resources),
      notResources: list(b.not_resources),
      principals,
      conditions,
    });
  }
  return out;
}

function asBlocks(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value as Record<string, unknown>[];
  return value && typeof value === 'object' ? [value as Record<string, unknown>] : [];
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => String(v));
  return [String(value)];
}

function principalsOf(value: unknown): Record<string, string[]> {
  if (value === undefined || value === null) return {};
  if (value === '*') return { '*': ['*'] };
  if (typeof value !== 'object') return { '*': [String(value)] };
  const out: Record<string, string[]> = {};
  for (const [type, ids] of Object.entries(value as Record<string, unknown>)) out[type] = list(ids);
  return out;
}

function conditionsOf(value: unknown): Record<string, Record<string, string[]>> {
  if (!value || typeof value !== 'object') return {};
  const out: Record<string, Record<string, string[]>> = {};
  for (const [test, vars] of Object.entries(value as Record<string, unknown>)) {
    out[test] = {};
    for (const [variable, values] of Object.entries((vars ?? {}) as Record<string, unknown>)) {
      out[test][variable] = list(values);
    }
  }
  return out;
}
