/**
 * MLflow search support: the filter language (a subset of SQL: conditions joined by AND), order_by
 * clauses, and keyset pagination tokens.
 *
 * Filters: `name = 'm'`, `name != 'm'`, `name LIKE 'fraud%'`, `name ILIKE '%FRAUD%'`,
 * `tags.team = 'risk'` (also `tag.`, and quoted keys `tags.\`my key\``), and for model versions also
 * `run_id = 'r'` / `run_id IN ('a', 'b')`, `source_path LIKE 's3://b/%'`, `version_number >= 3`.
 * Strings are single- or double-quoted (`''` or `\'` escape a quote). LIKE uses `%` and `_`;
 * `\%` and `\_` match literally.
 *
 * Page tokens encode the sort key of the last returned item (keyset pagination), plus a
 * fingerprint of the filter and order so a token cannot be replayed against another query.
 */
import { createHash } from 'node:crypto';
import { invalidParameter } from './errors';

export type FilterOperator = '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | '<' | '<=' | '>' | '>=';

export interface FilterCondition {
  /** `attribute` (name, run_id, ...) or `tag`. */
  readonly kind: 'attribute' | 'tag';
  readonly key: string;
  readonly op: FilterOperator;
  readonly value: string | number | readonly string[];
}

type Token =
  | { readonly t: 'word'; readonly v: string }
  | { readonly t: 'key'; readonly v: string; readonly tag: string }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly v: number }
  | { readonly t: 'op'; readonly v: string }
  | { readonly t: '(' | ')' | ',' };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const readQuoted = (quote: string): string => {
    let out = '';
    i++; // opening quote
    for (;;) {
      if (i >= input.length) throw invalidParameter(`Invalid filter '${truncate(input)}': unterminated quoted string.`);
      const c = input[i];
      if (c === '\\' && i + 1 < input.length) {
        out += input[i + 1];
        i += 2;
        continue;
      }
      if (c === quote) {
        if (input[i + 1] === quote && quote !== '`') {
          out += quote;
          i += 2;
          continue;
        }
        i++;
        return out;
      }
      out += c;
      i++;
    }
  };
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      tokens.push({ t: 'string', v: readQuoted(c) });
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: c });
      i++;
    } else if (/[<>=!]/.test(c)) {
      const two = input.slice(i, i + 2);
      if (['!=', '<>', '<=', '>='].includes(two)) {
        tokens.push({ t: 'op', v: two === '<>' ? '!=' : two });
        i += 2;
      } else if (c === '!') {
        throw invalidParameter(`Invalid filter '${truncate(input)}': unexpected '!'.`);
      } else {
        tokens.push({ t: 'op', v: c });
        i++;
      }
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(input.slice(i));
      if (!m) throw invalidParameter(`Invalid filter '${truncate(input)}': unexpected '${c}'.`);
      tokens.push({ t: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(i))!;
      i += m[0].length;
      if (input[i] === '.' && /^(tags?)$/i.test(m[0])) {
        i++;
        let tag: string;
        if (input[i] === '`' || input[i] === '"') tag = readQuoted(input[i]);
        else {
          const part = /^[A-Za-z0-9_.\-:/]+/.exec(input.slice(i));
          if (!part) throw invalidParameter(`Invalid filter '${truncate(input)}': a tag key must follow '${m[0]}.'.`);
          tag = part[0];
          i += tag.length;
        }
        tokens.push({ t: 'key', v: 'tags', tag });
      } else {
        tokens.push({ t: 'word', v: m[0] });
      }
    } else if (c === '`') {
      tokens.push({ t: 'word', v: readQuoted('`') });
    } else {
      throw invalidParameter(`Invalid filter '${truncate(input)}': unexpected '${c}'.`);
    }
  }
  return tokens;
}

/** Parses a filter string; `allowed` maps attribute names to the operators they support. */
export function parseFilter(filter: string | undefined, allowed: Readonly<Record<string, readonly FilterOperator[]>>): FilterCondition[] {
  if (filter === undefined || filter.trim() === '') return [];
  const tokens = tokenize(filter);
  const conditions: FilterCondition[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw invalidParameter(`Invalid filter '${truncate(filter)}': ${why}`);
  };
  const validKeys = [...Object.keys(allowed), 'tags.<key>'].join(', ');
  while (i < tokens.length) {
    const keyToken = tokens[i++];
    let kind: FilterCondition['kind'];
    let key: string;
    if (keyToken.t === 'key') {
      kind = 'tag';
      key = keyToken.tag;
    } else if (keyToken.t === 'word') {
      kind = 'attribute';
      key = keyToken.v.toLowerCase();
      if (!(key in allowed)) fail(`invalid attribute key '${keyToken.v}'; valid keys are ${validKeys}.`);
    } else {
      return fail('expected an attribute or tag key.');
    }
    const opToken = tokens[i++];
    let op: FilterOperator | undefined;
    if (opToken?.t === 'op') op = opToken.v as FilterOperator;
    else if (opToken?.t === 'word') {
      const word = opToken.v.toUpperCase();
      if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') op = word;
      else if (word === 'NOT' && tokens[i]?.t === 'word' && (tokens[i] as { v: string }).v.toUpperCase() === 'IN') {
        i++;
        op = 'NOT IN';
      }
    }
    if (!op) return fail(`expected a comparison operator after '${key}'.`);
    const ops: readonly FilterOperator[] = kind === 'tag' ? ['=', '!=', 'LIKE', 'ILIKE'] : allowed[key];
    if (!ops.includes(op)) fail(`operator '${op}' is not supported for '${kind === 'tag' ? `tags.${key}` : key}'; use ${ops.join(', ')}.`);
    let value: FilterCondition['value'];
    if (op === 'IN' || op === 'NOT IN') {
      if (tokens[i++]?.t !== '(') fail(`expected '(' after ${op}.`);
      const list: string[] = [];
      for (;;) {
        const v = tokens[i++];
        if (v?.t !== 'string') return fail(`${op} takes a list of quoted strings.`);
        list.push(v.v);
        const sep = tokens[i++];
        if (sep?.t === ')') break;
        if (sep?.t !== ',') return fail(`expected ',' or ')' in the ${op} list.`);
      }
      value = list;
    } else {
      const v = tokens[i++];
      if (v?.t === 'string') value = v.v;
      else if (v?.t === 'number') value = v.v;
      else return fail(`expected a value after '${key} ${op}'.`);
      if ((op === 'LIKE' || op === 'ILIKE') && typeof value === 'string' && [...value].length > MAX_LIKE_PATTERN) {
        fail(`${op} patterns may have at most ${MAX_LIKE_PATTERN} characters.`);
      }
      const numeric = ['<', '<=', '>', '>='].includes(op) || key === 'version_number';
      if (numeric && kind === 'attribute') {
        const n = typeof value === 'number' ? value : /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
        if (Number.isNaN(n)) fail(`'${key}' must be compared with a number.`);
        value = n;
      } else if (typeof value === 'number') {
        fail(`'${kind === 'tag' ? `tags.${key}` : key}' must be compared with a quoted string.`);
      }
    }
    conditions.push({ kind, key, op, value });
    if (i < tokens.length) {
      const and = tokens[i++];
      if (and.t !== 'word' || and.v.toUpperCase() !== 'AND') fail("conditions must be joined with AND (OR is not supported).");
      if (i >= tokens.length) fail("a condition must follow 'AND'.");
    }
  }
  return conditions;
}

/** Longest LIKE pattern accepted (names are at most 256 characters; tag values 5000 bytes). */
export const MAX_LIKE_PATTERN = 500;

type LikeToken = { readonly t: 'any' } | { readonly t: 'one' } | { readonly t: 'lit'; readonly c: string };

function likeTokens(pattern: string, caseInsensitive: boolean): LikeToken[] {
  const out: LikeToken[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\' && i + 1 < chars.length) out.push({ t: 'lit', c: fold(chars[++i], caseInsensitive) });
    else if (c === '%') {
      if (out.at(-1)?.t !== 'any') out.push({ t: 'any' }); // '%%' ≡ '%'
    } else if (c === '_') out.push({ t: 'one' });
    else out.push({ t: 'lit', c: fold(c, caseInsensitive) });
  }
  return out;
}

function fold(c: string, caseInsensitive: boolean): string {
  return caseInsensitive ? c.toLowerCase() : c;
}

/**
 * SQL LIKE (`%` any run, `_` one character, backslash escapes), matched over code points without
 * regular expressions: the classic greedy wildcard algorithm, O(text × pattern) in the worst case
 * and linear in practice, so hostile patterns cannot cause catastrophic backtracking.
 */
export function likeMatch(pattern: string, text: string, caseInsensitive: boolean): boolean {
  const p = likeTokens(pattern, caseInsensitive);
  const s = [...text].map((c) => fold(c, caseInsensitive));
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (i < s.length) {
    const tok = p[j];
    if (tok && (tok.t === 'one' || (tok.t === 'lit' && tok.c === s[i]))) {
      i++;
      j++;
    } else if (tok?.t === 'any') {
      star = j++;
      resume = i;
    } else if (star !== -1) {
      j = star + 1;
      i = ++resume;
    } else {
      return false;
    }
  }
  while (p[j]?.t === 'any') j++;
  return j === p.length;
}

/** Evaluates one condition against a value (undefined = attribute or tag absent: never matches). */
export function matchCondition(condition: FilterCondition, actual: string | number | undefined): boolean {
  // SQL semantics: a missing attribute or tag (NULL) matches no comparison, not even `!=`.
  if (actual === undefined) return false;
  const { op, value } = condition;
  switch (op) {
    case '=':
      return actual === value || String(actual) === String(value);
    case '!=':
      return String(actual) !== String(value);
    case 'LIKE':
    case 'ILIKE':
      return likeMatch(String(value), String(actual), op === 'ILIKE');
    case 'IN':
      return (value as readonly string[]).includes(String(actual));
    case 'NOT IN':
      return !(value as readonly string[]).includes(String(actual));
    case '<':
      return Number(actual) < Number(value);
    case '<=':
      return Number(actual) <= Number(value);
    case '>':
      return Number(actual) > Number(value);
    case '>=':
      return Number(actual) >= Number(value);
  }
}

export interface OrderClause {
  readonly key: string;
  readonly desc: boolean;
}

/**
 * Parses `order_by` clauses (`name`, `name DESC`, `last_updated_timestamp ASC`); `aliases` maps
 * accepted synonyms to canonical keys.
 */
export function parseOrderBy(clauses: readonly string[], allowed: readonly string[], aliases: Readonly<Record<string, string>> = {}): OrderClause[] {
  const out: OrderClause[] = [];
  for (const clause of clauses) {
    const m = /^`?([A-Za-z_.]+)`?(?:\s+(ASC|DESC))?$/i.exec(clause.trim());
    const raw = m?.[1].toLowerCase();
    const key = raw === undefined ? undefined : (aliases[raw] ?? raw);
    if (!m || key === undefined || !allowed.includes(key)) {
      throw invalidParameter(`Invalid order_by clause '${truncate(clause)}'. Use one of ${allowed.join(', ')}, optionally followed by ASC or DESC.`);
    }
    if (out.some((o) => o.key === key)) throw invalidParameter(`order_by names '${key}' more than once.`);
    out.push({ key, desc: (m[2] ?? 'ASC').toUpperCase() === 'DESC' });
  }
  return out;
}

export type SortValue = string | number;

/** Compares two sort-key tuples under `order` (DESC reverses). */
export function compareKeys(a: readonly SortValue[], b: readonly SortValue[], order: readonly OrderClause[]): number {
  for (let i = 0; i < order.length; i++) {
    const x = a[i];
    const y = b[i];
    let c = 0;
    if (typeof x === 'number' && typeof y === 'number') c = x - y;
    else c = String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
    if (c !== 0) return order[i].desc ? -c : c;
  }
  return 0;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken?: string;
}

/**
 * Sorts `items` by `order` (which must end with a unique key so the order is total), skips up to
 * and including the item a `pageToken` points at, and returns at most `maxResults` items.
 */
export function paginate<T>(
  items: readonly T[],
  sortKey: (item: T) => SortValue[],
  order: readonly OrderClause[],
  maxResults: number,
  pageToken: string | undefined,
  fingerprint: string,
  /** Optional response budget: stop adding items once their estimated size exceeds `maxBytes` (at least one item per page). */
  budget?: { readonly sizeOf: (item: T) => number; readonly maxBytes: number },
): Page<T> {
  const keyed = items.map((item) => ({ item, key: sortKey(item) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key, order));
  let start = 0;
  if (pageToken) {
    const after = decodePageToken(pageToken, fingerprint, order.length);
    start = keyed.findIndex((k) => compareKeys(k.key, after, order) > 0);
    if (start === -1) start = keyed.length;
  }
  let page = keyed.slice(start, start + maxResults);
  if (budget) {
    let used = 0;
    const fits = page.findIndex((k, i) => (used += budget.sizeOf(k.item)) > budget.maxBytes && i > 0);
    if (fits !== -1) page = page.slice(0, fits);
  }
  const more = start + page.length < keyed.length;
  return {
    items: page.map((k) => k.item),
    nextPageToken: more && page.length > 0 ? encodePageToken(page[page.length - 1].key, fingerprint) : undefined,
  };
}

/** A short hash of whatever defines a query (filter, order...), bound into its page tokens. */
export function queryFingerprint(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodePageToken(after: readonly SortValue[], fingerprint: string): string {
  return Buffer.from(JSON.stringify({ v: 1, q: fingerprint, a: after }), 'utf8').toString('base64url');
}

function decodePageToken(token: string, fingerprint: string, length: number): SortValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const p = parsed as { v?: unknown; q?: unknown; a?: unknown } | undefined;
  if (
    !p ||
    p.v !== 1 ||
    p.q !== fingerprint ||
    !Array.isArray(p.a) ||
    p.a.length !== length ||
    !p.a.every((x) => typeof x === 'string' || typeof x === 'number')
  ) {
    throw invalidParameter('Invalid page_token: it is malformed or belongs to a different query (filter and order_by must not change between pages).');
  }
  return p.a as SortValue[];
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
