/** The MLflow filter language, order_by parsing and keyset pagination. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../src/model-registry/runtime/errors';
import { MAX_LIKE_PATTERN, likeMatch, matchCondition, paginate, parseFilter, parseOrderBy, type OrderClause } from '../../../src/model-registry/runtime/search';

const VERSION_KEYS = {
  name: ['=', '!=', 'LIKE', 'ILIKE'],
  run_id: ['=', '!=', 'IN', 'NOT IN'],
  version_number: ['=', '!=', '<', '<=', '>', '>='],
} as const;

describe('parseFilter', () => {
  it('parses MLflow filters joined by AND', () => {
    expect(parseFilter(`name = 'fraud'`, VERSION_KEYS)).toEqual([{ kind: 'attribute', key: 'name', op: '=', value: 'fraud' }]);
    expect(parseFilter(`name ILIKE '%Fraud%' and run_id IN ('a', "b") AND version_number >= 3`, VERSION_KEYS)).toEqual([
      { kind: 'attribute', key: 'name', op: 'ILIKE', value: '%Fraud%' },
      { kind: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b'] },
      { kind: 'attribute', key: 'version_number', op: '>=', value: 3 },
    ]);
    expect(parseFilter("tags.team = 'risk' AND tag.`cost center` != 'x' AND tags.\"a.b\" LIKE 'v%'", VERSION_KEYS)).toEqual([
      { kind: 'tag', key: 'team', op: '=', value: 'risk' },
      { kind: 'tag', key: 'cost center', op: '!=', value: 'x' },
      { kind: 'tag', key: 'a.b', op: 'LIKE', value: 'v%' },
    ]);
    expect(parseFilter(`name = 'it''s' AND run_id NOT IN ('x')`, VERSION_KEYS)).toEqual([
      { kind: 'attribute', key: 'name', op: '=', value: "it's" },
      { kind: 'attribute', key: 'run_id', op: 'NOT IN', value: ['x'] },
    ]);
    expect(parseFilter('  ', VERSION_KEYS)).toEqual([]);
    expect(parseFilter(undefined, VERSION_KEYS)).toEqual([]);
  });

  it.each([
    [`owner = 'x'`, /invalid attribute key 'owner'/],
    [`name = 'x' OR name = 'y'`, /joined with AND/],
    [`name = 'x' AND`, /a condition must follow 'AND'/],
    [`name IN ('x')`, /operator 'IN' is not supported for 'name'/],
    [`name = 'unterminated`, /unterminated/],
    [`name = 5`, /must be compared with a quoted string/],
    [`version_number > 'x'`, /must be compared with a number/],
    [`run_id IN ('a' 'b')`, /expected ',' or '\)'/],
    [`name 'x'`, /expected a comparison operator/],
    [`= 'x'`, /expected an attribute or tag key/],
    [`name = 'x' ; drop`, /unexpected ';'/],
  ])('rejects %s', (filter, message) => {
    let error: unknown;
    try {
      parseFilter(filter, VERSION_KEYS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((error as Error).message).toMatch(message);
  });

  it('LIKE: % and _ wildcards, escapes, case sensitivity, regex characters taken literally', () => {
    expect(likeMatch('fraud%', 'fraud-v2', false)).toBe(true);
    expect(likeMatch('fraud%', 'Fraud-v2', false)).toBe(false);
    expect(likeMatch('fraud%', 'FRAUD-v2', true)).toBe(true);
    expect(likeMatch('a_c', 'abc', false)).toBe(true);
    expect(likeMatch('a_c', 'abbc', false)).toBe(false);
    expect(likeMatch('%b%d', 'abcd', false)).toBe(true);
    expect(likeMatch('%b%d', 'abcde', false)).toBe(false);
    expect(likeMatch('100\\%', '100%', false)).toBe(true);
    expect(likeMatch('100\\%', '1000', false)).toBe(false);
    expect(likeMatch('a.b(c)*', 'a.b(c)*', false)).toBe(true);
    expect(likeMatch('a.b(c)*', 'axb(c)', false)).toBe(false);
    expect(likeMatch('_', '😀', false)).toBe(true); // one code point
    expect(likeMatch('%', '', false)).toBe(true);
    fc.assert(
      fc.property(fc.string(), fc.string(), (s, t) => {
        const literal = s.replace(/[\\%_]/g, (c) => `\\${c}`);
        expect(likeMatch(literal, s, false)).toBe(true);
        expect(likeMatch(`%${literal}%`, `${t}${s}${t}`, false)).toBe(true);
        expect(likeMatch(`${literal}%`, `${s}${t}`, false)).toBe(true);
      }),
    );
  });

  it('LIKE has no catastrophic backtracking and bounds pattern length', () => {
    const started = performance.now();
    expect(likeMatch(`${'%a'.repeat(200)}%b`, 'a'.repeat(5000), false)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(() => parseFilter(`name LIKE '${'%'.repeat(MAX_LIKE_PATTERN + 1)}'`, VERSION_KEYS)).toThrow(/at most 500 characters/);
  });

  it('missing attributes and tags match nothing (SQL NULL semantics)', () => {
    const [cond] = parseFilter(`tags.team != 'risk'`, VERSION_KEYS);
    expect(matchCondition(cond, undefined)).toBe(false);
    expect(matchCondition(cond, 'fraud')).toBe(true);
  });
});

describe('order_by', () => {
  it('parses clauses with aliases and rejects unknown keys and repeats', () => {
    expect(parseOrderBy(['name DESC', 'version'], ['name', 'version_number'], { version: 'version_number' })).toEqual([
      { key: 'name', desc: true },
      { key: 'version_number', desc: false },
    ]);
    expect(() => parseOrderBy(['size'], ['name'])).toThrow(/Invalid order_by clause 'size'/);
    expect(() => parseOrderBy(['name', 'name DESC'], ['name'])).toThrow(/more than once/);
    expect(() => parseOrderBy(['name SIDEWAYS'], ['name'])).toThrow(/Invalid order_by/);
  });
});

describe('paginate', () => {
  it('walks every item exactly once, in order, for any page size and order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name: fc.string({ maxLength: 4 }), n: fc.integer({ min: 0, max: 5 }) }), { selector: (x) => x.name, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        (items, pageSize, desc) => {
          const order: OrderClause[] = [
            { key: 'n', desc },
            { key: 'name', desc: false },
          ];
          const key = (x: { name: string; n: number }) => [x.n, x.name];
          const seen: string[] = [];
          let token: string | undefined;
          let guard = 0;
          do {
            const page = paginate(items, key, order, pageSize, token, 'fp');
            expect(page.items.length).toBeLessThanOrEqual(pageSize);
            seen.push(...page.items.map((x) => x.name));
            token = page.nextPageToken;
          } while (token && ++guard < 100);
          const expected = [...items]
            .sort((a, b) => (a.n !== b.n ? (desc ? b.n - a.n : a.n - b.n) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map((x) => x.name);
          expect(seen).toEqual(expected);
        },
      ),
    );
  });

  it('ends a page early when the size budget is used up, and continues from there', () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ name: `m${i}`, size: i === 3 ? 500 : 100 }));
    const order: OrderClause[] = [{ key: 'name', desc: false }];
    const budget = { sizeOf: (x: { size: number }) => x.size, maxBytes: 350 };
    const first = paginate(items, (x) => [x.name], order, 10, undefined, 'q', budget);
    expect(first.items.map((x) => x.name)).toEqual(['m0', 'm1', 'm2']);
    const second = paginate(items, (x) => [x.name], order, 10, first.nextPageToken, 'q', budget);
    expect(second.items.map((x) => x.name)).toEqual(['m3']); // always at least one item
    const third = paginate(items, (x) => [x.name], order, 10, second.nextPageToken, 'q', budget);
    expect(third.items.map((x) => x.name)).toEqual(['m4', 'm5', 'm6']);
  });

  it('rejects tokens that are malformed or from another query', () => {
    const items = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    const order: OrderClause[] = [{ key: 'name', desc: false }];
    const first = paginate(items, (x) => [x.name], order, 1, undefined, 'q1');
    expect(first.nextPageToken).toBeDefined();
    expect(() => paginate(items, (x) => [x.name], order, 1, first.nextPageToken, 'q2')).toThrow(/Invalid page_token/);
    expect(() => paginate(items, (x) => [x.name], order, 1, 'garbage', 'q1')).toThrow(/Invalid page_token/);
    // Items added before the cursor do not shift the next page (keyset pagination).
    const next = paginate([{ name: '0' }, ...items], (x) => [x.name], order, 1, first.nextPageToken, 'q1');
    expect(next.items).toEqual([{ name: 'b' }]);
  });
});
