/**
 * The byte-level flat-record decoder (the detector's hot path) must agree with `JSON.parse`:
 * whenever it accepts a line, the line is valid JSON and every extracted field equals the parsed
 * value (same number bits, `-0` included); lines it cannot take are left to `JSON.parse`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJsonRows } from '../../src/monitoring-stack/runtime/drift/json-lines';
import { FieldLayout, FlatRecordDecoder } from '../../src/monitoring-stack/runtime/drift/record-decoder';

function decodeText(decoder: FlatRecordDecoder, text: string): unknown[] | undefined {
  const buf = Buffer.from(`xx${text}yy`, 'utf8');
  const row = decoder.decode(buf, 2, buf.length - 2);
  return row === undefined ? undefined : [...row];
}

function expectSame(actual: unknown[], layout: FieldLayout, parsed: Record<string, unknown>): void {
  layout.names.forEach((name, i) => {
    const expected = Object.prototype.hasOwnProperty.call(parsed, name) ? parsed[name] : undefined;
    expect(Object.is(actual[i], expected) || actual[i] === expected).toBe(true);
  });
}

const key = fc.oneof(fc.constantFrom('a', 'b', 'n', 'value', 'é', 'x y', '__proto__', 'constructor'), fc.string({ maxLength: 6 }));
const scalar = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 1000),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(true, false, null, -0, 0, 1e21, 5e-324, 123456789012345680000, 0.1, '\u2028', '"', '\\'),
);

describe('FlatRecordDecoder', () => {
  it('agrees with JSON.parse on serialized flat records (with random whitespace)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, scalar), { maxLength: 10 }), fc.array(key, { minLength: 1, maxLength: 5 }), fc.constantFrom('', ' ', '\t', ' \r '), (entries, wanted, ws) => {
        const body = entries.map(([k, v]) => `${ws}${JSON.stringify(k)}${ws}:${ws}${JSON.stringify(v)}${ws}`).join(',');
        const text = `${ws}{${body}}${ws}`;
        const layout = new FieldLayout([...wanted, ...entries.slice(0, 2).map(([k]) => k)]);
        const decoder = new FlatRecordDecoder(layout);
        const row = decodeText(decoder, text);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const escapedKey = entries.some(([k]) => JSON.stringify(k).includes('\\'));
        if (!escapedKey) expect(row).toBeDefined();
        if (row) expectSame(row, layout, parsed);
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts a line JSON.parse rejects, and agrees when it accepts a mutated line', () => {
    const base = '{"a": -12.5e3, "b": "x\\"y", "n": null, "c": true, "d": 0.25}';
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length - 1 }), fc.constantFrom('', ',', '}', '{', '"', '0', '-', '.', 'e', ' ', '\\', 'x', '\u0001', ':'), fc.boolean(), (at, insert, replace) => {
        const text = base.slice(0, at) + insert + base.slice(replace ? at + 1 : at);
        const layout = new FieldLayout(['a', 'b', 'c', 'n']);
        const row = decodeText(new FlatRecordDecoder(layout), text);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (row !== undefined) {
          accepted++;
          expect(parsed).toBeTypeOf('object');
          expectSame(row, layout, parsed as Record<string, unknown>);
        } else refused++;
      }),
      { numRuns: 1000 },
    );
    // Both outcomes were exercised.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it('leaves nested values, escaped keys and invalid JSON to JSON.parse', () => {
    const decoder = new FlatRecordDecoder(new FieldLayout(['a']));
    for (const text of ['{"a":{"b":1}}', '{"a":[1]}', '{"\\u0061":1}', '{"a":01}', '{"a":1,}', '{"a":1} x', '{"a":.5}', '{"a":"\\x"}', '[1]', '"a"', '{"a":tru}']) {
      expect(decodeText(decoder, text)).toBeUndefined();
    }
    expect(decodeText(decoder, '{}')).toEqual([undefined]);
    expect(decodeText(decoder, '{"a":"\\u00e9\\n"}')).toEqual(['é\n']);
    expect(decodeText(decoder, '{"b":1,"a":-0}')).toEqual([-0]);
  });

  it('resets fields absent from the next line and reuses interned strings', () => {
    const decoder = new FlatRecordDecoder(new FieldLayout(['a', 'b']));
    expect(decodeText(decoder, '{"a":"cat","b":2}')).toEqual(['cat', 2]);
    expect(decodeText(decoder, '{"a":"cat"}')).toEqual(['cat', undefined]);
    expect(decodeText(decoder, '{"b":3,"a":"dog"}')).toEqual(['dog', 3]);
  });

  it('readJsonRows falls back to JSON.parse for lines the decoder does not take', async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"a":1,"b":{"nested":true}}\n{"a":2}\n{"a":\n{"b":"\\u0041"}\n');
    }
    const rows: unknown[][] = [];
    const counts = await readJsonRows(source(), new FieldLayout(['a', 'b']), (row) => rows.push([...row]), { maxLineBytes: 1024 });
    expect(rows).toEqual([
      [1, { nested: true }],
      [2, undefined],
      [undefined, 'A'],
    ]);
    expect(counts).toMatchObject({ lines: 4, records: 3, corrupt: 1 });
  });
});
