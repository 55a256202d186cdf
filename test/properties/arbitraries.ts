/**
 * fast-check arbitraries for construct props, derived from the zod schemas themselves:
 *
 * - {@link validProps}: values drawn from a schema's domain (types, bounds, regexes, enums, array
 *   lengths). Cross-field refinements and construct-level checks are not modelled, so a share of
 *   these still fails validation — which is a legal outcome. Fields the schema cannot describe
 *   (construct instances, tokens) come from per-field overrides, with {@link dep} placeholders for
 *   objects that only exist once the test's stack does.
 * - {@link junk}: hostile JSON-ish values (wrong types, NaN/±Infinity, huge/empty/unicode strings,
 *   nested garbage, duplicates, over-long arrays).
 * - {@link randomProps}: an object with the schema's keys (and unknown ones), each missing or junk.
 * - {@link mutated}: a valid value with 1–3 random mutations (replace with junk, delete a key, add
 *   an unknown key, empty/duplicate/flood an array).
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { LOG_RETENTION_DAYS, LogRetentionDaysSchema } from '../../src/core/platform-settings';

/** A placeholder for an object built inside the test's stack (a construct, a provider); see {@link resolveDeps}. */
export class Dep {
  constructor(readonly name: string) {}
}

/** A placeholder the test's `build` replaces with the real object named `name`. */
export const dep = (name: string): Dep => new Dep(name);

/**
 * Per-field arbitraries replacing the schema-derived ones. Keys are field paths: `a.b` for object
 * fields, `a[]` for array elements, `a{}` for record values (e.g. `featureGroups[]`, `variants[].model`).
 */
export type Overrides = Readonly<Record<string, fc.Arbitrary<unknown>>>;

type Def = Record<string, any> & { type: string };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const checksOf = (def: Def): Record<string, any>[] => (def.checks ?? []).map((c: any) => c._zod.def);

/** Keys of an object schema (through optional/default/pipe wrappers); empty for other schemas. */
export function schemaKeys(schema: z.ZodType): string[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return Object.keys(def.shape);
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return schemaKeys(def.innerType);
    case 'pipe':
      return schemaKeys(def.in);
    case 'lazy':
      return schemaKeys(def.getter());
    case 'union':
      return [...new Set((def.options as z.ZodType[]).flatMap(schemaKeys))];
    case 'intersection':
      return [...schemaKeys(def.left), ...schemaKeys(def.right)];
    default:
      return [];
  }
}

/** True when a field may be left out (optional, or defaulted). */
function omittable(schema: z.ZodType): boolean {
  const def = defOf(schema);
  if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault') return true;
  if (def.type === 'pipe') return omittable(def.in);
  if (def.type === 'readonly' || def.type === 'catch') return omittable(def.innerType);
  return false;
}

/** Values from a schema's domain. Throws at construction for a required field it cannot generate and no override covers. */
export function validProps(schema: z.ZodType, overrides: Overrides = {}): fc.Arbitrary<unknown> {
  return gen(schema, '', overrides);
}

/**
 * Shared schemas whose domain is a refinement (a list of allowed values), recognised by their check
 * objects (zod clones made by `.describe()`/`.optional()` share them).
 */
const KNOWN: [z.ZodType, fc.Arbitrary<unknown>][] = [[LogRetentionDaysSchema, fc.constantFrom(...LOG_RETENTION_DAYS)]];

function known(def: Def): fc.Arbitrary<unknown> | undefined {
  const own = new Set(def.checks ?? []);
  if (own.size === 0) return undefined;
  return KNOWN.find(([s]) => (defOf(s).checks ?? []).some((c: unknown) => own.has(c)))?.[1];
}

function gen(schema: z.ZodType, path: string, overrides: Overrides): fc.Arbitrary<unknown> {
  if (path in overrides) return overrides[path];
  const def = defOf(schema);
  const checks = checksOf(def);
  const fromKnown = known(def);
  if (fromKnown) return fromKnown;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return gen(def.innerType, path, overrides);
    case 'nullable':
      return fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: gen(def.innerType, path, overrides) });
    case 'pipe':
      return gen(def.in, path, overrides);
    case 'lazy':
      return gen(def.getter(), path, overrides);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, unknown>));
    case 'string':
      return stringArb(checks);
    case 'number':
      return numberArb(checks);
    case 'array': {
      const min = checks.find((c) => c.check === 'min_length')?.minimum ?? checks.find((c) => c.check === 'length_equals')?.length ?? 0;
      const max = checks.find((c) => c.check === 'max_length')?.maximum ?? checks.find((c) => c.check === 'length_equals')?.length ?? Infinity;
      return fc.array(gen(def.element, `${path}[]`, overrides), { minLength: min, maxLength: Math.min(max, min + 2) });
    }
    case 'tuple':
      return fc.tuple(...(def.items as z.ZodType[]).map((s, i) => gen(s, `${path}[${i}]`, overrides)));
    case 'record': {
      const keys = gen(def.keyType, `${path}<key>`, overrides) as fc.Arbitrary<string>;
      return fc.dictionary(keys, gen(def.valueType, `${path}{}`, overrides), { maxKeys: 2, noNullPrototype: true });
    }
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map((s) => gen(s, path, overrides)));
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [key, field] of Object.entries(shape)) {
        const fieldPath = path === '' ? key : `${path}.${key}`;
        const optional = omittable(field);
        if (!(fieldPath in overrides) && optional && !canGenerate(field)) continue;
        model[key] = gen(field, fieldPath, overrides);
        if (!optional) required.push(key);
      }
      return fc.record(model, { requiredKeys: required, noNullPrototype: true });
    }
    default:
      throw new Error(`arbitraries: cannot generate a ${def.type} at "${path || '<props>'}"; add an override`);
  }
}

/** False for schemas only overrides can fill (custom instances, unknown). */
function canGenerate(schema: z.ZodType): boolean {
  const def = defOf(schema);
  if (def.type === 'custom' || def.type === 'any' || def.type === 'unknown') return false;
  if (def.innerType) return canGenerate(def.innerType);
  if (def.type === 'pipe') return canGenerate(def.in);
  return true;
}

function stringArb(checks: Record<string, any>[]): fc.Arbitrary<string> {
  const min: number = checks.find((c) => c.check === 'min_length')?.minimum ?? checks.find((c) => c.check === 'length_equals')?.length ?? 0;
  const max: number = checks.find((c) => c.check === 'max_length')?.maximum ?? checks.find((c) => c.check === 'length_equals')?.length ?? Infinity;
  const formats = checks.filter((c) => c.check === 'string_format');
  const fits = (s: string) => s.length >= min && s.length <= max && formats.every((f) => !f.pattern || f.pattern.test(s));
  const regex = formats.find((f) => f.pattern)?.pattern as RegExp | undefined;
  let base: fc.Arbitrary<string>;
  if (formats.some((f) => f.format === 'url')) base = fc.webUrl();
  else if (formats.some((f) => f.format === 'email')) base = fc.emailAddress();
  else if (regex) base = fc.stringMatching(regex, { size: 'xsmall' });
  else base = fc.string({ minLength: min, maxLength: Math.min(max, min + 12), unit: 'grapheme-ascii' });
  return base.filter(fits);
}

function numberArb(checks: Record<string, any>[]): fc.Arbitrary<number> {
  const int = checks.some((c) => c.check === 'number_format' && /int/.test(c.format));
  let min: number | undefined;
  let max: number | undefined;
  let minInclusive = true;
  let maxInclusive = true;
  for (const c of checks) {
    if (c.check === 'greater_than' && (min === undefined || c.value >= min)) [min, minInclusive] = [c.value, c.inclusive];
    if (c.check === 'less_than' && (max === undefined || c.value <= max)) [max, maxInclusive] = [c.value, c.inclusive];
  }
  // Unbounded sides: a million either way of the other bound (or of zero).
  if (min === undefined) min = Math.min(-1e6, (max ?? 0) - 1e6);
  if (max === undefined) max = Math.max(1e6, min + 1e6);
  const step = checks.find((c) => c.check === 'multiple_of')?.value as number | undefined;
  if (int || step !== undefined) {
    const unit = step ?? 1;
    const lo = Math.ceil(min / unit) + (!minInclusive && Number.isInteger(min / unit) ? 1 : 0);
    const hi = Math.floor(max / unit) - (!maxInclusive && Number.isInteger(max / unit) ? 1 : 0);
    return fc.integer({ min: lo, max: hi }).map((n) => n * unit);
  }
  return fc.double({ min, max, minExcluded: !minInclusive, maxExcluded: !maxInclusive, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n));
}

/** Hostile values for any field. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    undefined,
    null,
    NaN,
    Infinity,
    -Infinity,
    -0,
    0,
    -1,
    1.5,
    2 ** 53,
    1e308,
    '',
    ' ',
    'x'.repeat(5000),
    'ünïcødé-✓-🚀',
    '../../etc/passwd',
    '${aws_iam_role.x.arn}',
    '*',
    true,
    false,
    [],
    {},
    [null],
    ['a', 'a'],
    Array.from({ length: 200 }, (_, i) => `item-${i}`),
    { __proto__: null },
    { constructor: 'x' },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }).map((a) => [...a, ...a]),
);

/** Keys no schema uses. */
const unknownKey = fc.constantFrom('extra', 'Name', 'unknownField', '__proto__x', 'ä');

/** An object with the schema's keys, each left out or junk, sometimes with unknown keys; sometimes not an object at all. */
export function randomProps(schema: z.ZodType): fc.Arbitrary<unknown> {
  const keys = schemaKeys(schema);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const k of keys) model[k] = junk;
  return fc.oneof(
    { weight: 1, arbitrary: junk },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.record(model, { requiredKeys: [], noNullPrototype: true }), fc.array(fc.tuple(unknownKey, junk), { maxLength: 2 }))
        .map(([o, extra]) => {
          const out: Record<string, unknown> = { ...o };
          for (const [k, v] of extra) out[k] = v;
          return out;
        }),
    },
  );
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** Deep copy of plain objects and arrays; anything else (constructs, placeholders) by reference. */
export function clonePlain<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clonePlain) as T;
  if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clonePlain(x)])) as T;
  return v;
}

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every slot (object field, array element) of a value, depth-first. */
function slots(v: unknown, out: Slot[] = []): Slot[] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i }), slots(x, out)));
  else if (isPlain(v)) for (const [k, x] of Object.entries(v)) out.push({ parent: v, key: k }), slots(x, out);
  return out;
}

/** Containers (the root included) of a value. */
function containers(v: unknown, out: (Record<string, unknown> | unknown[])[] = []): (Record<string, unknown> | unknown[])[] {
  if (Array.isArray(v)) (out.push(v), v.forEach((x) => containers(x, out)));
  else if (isPlain(v)) (out.push(v), Object.values(v).forEach((x) => containers(x, out)));
  return out;
}

type Mutation = { kind: 'replace' | 'delete' | 'addKey' | 'emptyArray' | 'duplicate' | 'flood'; at: number; value: unknown; key: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('replace', 'replace', 'replace', 'delete', 'addKey', 'emptyArray', 'duplicate', 'flood'),
  at: fc.nat(),
  value: junk,
  key: unknownKey,
});

function applyMutation(root: unknown, m: Mutation): unknown {
  if (m.kind === 'addKey' || m.kind === 'emptyArray' || m.kind === 'duplicate' || m.kind === 'flood') {
    const all = containers(root);
    const pool = m.kind === 'addKey' ? all.filter(isPlain) : all.filter(Array.isArray);
    if (pool.length === 0) return m.kind === 'addKey' ? root : applyMutation(root, { ...m, kind: 'replace' });
    const target = pool[m.at % pool.length];
    if (m.kind === 'addKey') (target as Record<string, unknown>)[m.key] = clonePlain(m.value);
    else {
      const list = target as unknown[];
      if (m.kind === 'emptyArray') list.length = 0;
      else if (m.kind === 'duplicate' && list.length > 0) list.push(clonePlain(list[m.at % list.length]));
      else if (list.length > 0) list.push(...Array.from({ length: 60 }, () => clonePlain(list[0])));
    }
    return root;
  }
  const all = slots(root);
  if (all.length === 0) return clonePlain(m.value);
  const { parent, key } = all[m.at % all.length];
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else (parent as Record<string | number, unknown>)[key] = clonePlain(m.value);
  return root;
}

/** A valid value with 1–3 random mutations. */
export function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([v, ms]) => ms.reduce(applyMutation, clonePlain(v)));
}

/** Replaces {@link Dep} placeholders (anywhere in plain objects/arrays) with the named objects. */
export function resolveDeps(v: unknown, deps: Readonly<Record<string, unknown>>): unknown {
  if (v instanceof Dep) {
    if (!(v.name in deps)) throw new Error(`test bug: no dependency named ${v.name}`);
    return deps[v.name];
  }
  if (Array.isArray(v)) return v.map((x) => resolveDeps(x, deps));
  if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveDeps(x, deps)]));
  return v;
}
