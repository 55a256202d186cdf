import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { GaiConfigError, type ConfigProblem } from './errors';
import { formatFieldPath } from './field-path';

export { formatFieldPath };
import { Token } from './tf';

/**
 * Parses props with a zod schema, applying the schema's defaults.
 *
 * On failure it throws one {@link GaiConfigError} listing every problem as
 * `<construct path>: <field path>: <message>`. Values that are unresolved cdktf tokens (references
 * to attributes known only at apply time) cannot be checked at synth, so problems reported on a
 * token — or inside a value reached through a token — are not problems: the token passes through
 * unchanged and the other fields still get their defaults.
 */
export function parseProps<S extends z.ZodType>(
  scope: IConstruct | string,
  schema: S,
  input: unknown,
): z.output<S> {
  const first = schema.safeParse(input);
  if (first.success) return first.data;

  const constructPath = typeof scope === 'string' ? scope : scope.node.path || '<app>';
  const problems: ConfigProblem[] = first.error.issues
    .filter((issue) => !reachesToken(input, issue.path))
    .map((issue) => ({
      constructPath,
      fieldPath: formatFieldPath(issue.path),
      message: issue.message,
    }));
  if (problems.length > 0) throw new GaiConfigError(problems);

  // Every issue sits on a token. zod 4 still computes the output (defaults applied, tokens left
  // in place) when a check fails; read it from the schema's run, which is what safeParse calls.
  const result = (schema as unknown as ZodRunnable)._zod.run({ value: input, issues: [] }, { async: false });
  if (result instanceof Promise) throw new Error('gaiops: props schemas must be synchronous');
  return result.value as z.output<S>;
}

interface ZodRunnable {
  _zod: { run(payload: { value: unknown; issues: unknown[] }, ctx: { async: boolean }): { value: unknown } | Promise<unknown> };
}

/** True when the value at `path`, or any value on the way to it, is an unresolved token. */
export function reachesToken(input: unknown, path: readonly PropertyKey[]): boolean {
  let current: unknown = input;
  if (isToken(current)) return true;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return false;
    current = (current as Record<PropertyKey, unknown>)[key];
    if (isToken(current)) return true;
  }
  return false;
}

/** An unresolved cdktf token: a string, number or list standing for a value known at apply time. */
export function isToken(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value !== 'string' && typeof value !== 'number' && !Array.isArray(value) && typeof value !== 'object') {
    return false;
  }
  return Token.isUnresolved(value);
}

/**
 * A zod schema for an instance of a class — constructs such as EncryptionKey passed as props, and
 * classes with private constructors such as LambdaCode.
 */
export function instanceOf<T>(cls: { prototype: T }, name: string): z.ZodType<T> {
  return z.custom<T>((v) => v instanceof (cls as unknown as new () => T), `must be a ${name}`);
}

/** {@link instanceOf} for a class declared later in the same module (resolved when validating). */
export function instanceOfLater<T>(cls: () => { prototype: T }, name: string): z.ZodType<T> {
  return z.custom<T>((v) => v instanceof (cls() as unknown as new () => T), `must be a ${name}`);
}
