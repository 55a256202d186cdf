/** An IAM policy statement as gaiops writes it: exact actions, scoped resources. */
export interface PolicyStatement {
  readonly sid?: string;
  /** @default 'Allow' */
  readonly effect?: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** `{ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } }` */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  /** Only for resource and trust policies: `{ Service: ['lambda.amazonaws.com'] }`, `{ AWS: [arn] }`. */
  readonly principals?: Readonly<Record<string, readonly string[]>>;
}

/** Renders statements as IAM policy JSON (tokens inside strings are resolved by cdktf to references). */
export function renderPolicy(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements.map(renderStatement) });
}

function renderStatement(s: PolicyStatement): Record<string, unknown> {
  return {
    ...(s.sid ? { Sid: s.sid } : {}),
    Effect: s.effect ?? 'Allow',
    ...(s.principals ? { Principal: Object.fromEntries(Object.entries(s.principals).map(([k, v]) => [k, one(v)])) } : {}),
    Action: one(s.actions),
    // Trust policies name no resource.
    ...(s.resources.length > 0 ? { Resource: one(s.resources) } : {}),
    ...(s.conditions && Object.keys(s.conditions).length > 0
      ? {
          Condition: Object.fromEntries(
            Object.entries(s.conditions).map(([test, vars]) => [
              test,
              Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : one(v)])),
            ]),
          ),
        }
      : {}),
  };
}

function one(values: readonly string[]): string | string[] {
  const unique = [...new Set(values)];
  return unique.length === 1 ? unique[0] : unique;
}

/** Statements with identical effect, principals, resources and conditions merged (actions unioned), duplicates dropped. */
export function mergeStatements(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const byShape = new Map<string, PolicyStatement>();
  for (const s of statements) {
    const key = JSON.stringify([s.sid ?? '', s.effect ?? 'Allow', s.principals ?? {}, [...s.resources].sort(), s.conditions ?? {}]);
    const prev = byShape.get(key);
    byShape.set(key, prev ? { ...prev, actions: [...new Set([...prev.actions, ...s.actions])] } : { ...s, actions: [...new Set(s.actions)] });
  }
  return [...byShape.values()].map((s) => ({ ...s, actions: [...s.actions].sort() }));
}
