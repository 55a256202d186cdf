import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FeatureGroup, FeatureGroupSchema } from '../../../src/feature-store/feature-group';
import {
  coerceBool,
  coerceFloat,
  coerceInt,
  coerceString,
  coerceTimestampMs,
  createRowValidator,
  hashPii,
  maskPii,
} from '../../../src/feature-store/runtime/rows';

const KEY = 'unit-test-key';

const group: FeatureGroup = FeatureGroupSchema.parse({
  name: 'customers',
  entityKeys: [{ name: 'customer_id' }, { name: 'store', type: 'int' }],
  eventTimeColumn: 'ts',
  features: [
    { name: 'email', type: 'string', pii: 'hash', nullable: false, regex: '[^@]+@[^@]+' },
    { name: 'phone', type: 'string', pii: 'mask' },
    { name: 'full_name', type: 'string', pii: 'drop' },
    { name: 'age', type: 'int', min: 18, max: 120 },
    { name: 'score', type: 'float', min: 0, max: 1 },
    { name: 'tier', type: 'string', allowedValues: ['gold', 'silver'] },
    { name: 'code', type: 'string', maxLength: 4 },
    { name: 'active', type: 'bool' },
    { name: 'seen_at', type: 'timestamp' },
  ],
});

const validator = createRowValidator(group, KEY);

const base = {
  customer_id: ' c-1 ',
  store: '7',
  ts: '2026-01-05T10:00:00Z',
  email: ' ada@example.com ',
  phone: '+44 20 7946 0958',
  full_name: 'Ada Lovelace',
  age: '36',
  score: '0.5',
  tier: 'gold',
  code: 'AB1',
  active: 'TRUE',
  seen_at: '1767607200000',
};

describe('coercion', () => {
  it('coerces CSV text to typed values', () => {
    expect(coerceInt('42')).toEqual({ ok: true, value: 42 });
    expect(coerceInt(' -7 ')).toEqual({ ok: true, value: -7 });
    expect(coerceInt('42.0')).toEqual({ ok: true, value: 42 });
    expect(coerceInt('4.5').ok).toBe(false);
    expect(coerceInt('9007199254740993').ok).toBe(false);
    expect(coerceInt('')).toEqual({ ok: true, value: null });
    expect(coerceFloat('1e3')).toEqual({ ok: true, value: 1000 });
    expect(coerceFloat('NaN').ok).toBe(false);
    expect(coerceFloat('1e999').ok).toBe(false);
    expect(coerceFloat(Infinity).ok).toBe(false);
    expect(coerceBool('true')).toEqual({ ok: true, value: true });
    expect(coerceBool('No')).toEqual({ ok: true, value: false });
    expect(coerceBool(0)).toEqual({ ok: true, value: false });
    expect(coerceBool('maybe').ok).toBe(false);
    expect(coerceString('  x  ')).toEqual({ ok: true, value: 'x' });
    expect(coerceString(12)).toEqual({ ok: true, value: '12' });
    expect(coerceString({}).ok).toBe(false);
  });

  it('accepts ISO-8601 and epoch milliseconds, rejecting impossible dates', () => {
    const t = Date.UTC(2026, 0, 5, 10, 0, 0);
    for (const text of [
      '2026-01-05T10:00:00Z',
      '2026-01-05T10:00:00.000Z',
      '2026-01-05 10:00:00',
      '2026-01-05T10:00',
      '2026-01-05T12:00:00+02:00',
      '2026-01-05T05:30:00-0430',
      String(t),
      t,
    ]) {
      expect(coerceTimestampMs(text), String(text)).toEqual({ ok: true, value: t });
    }
    expect(coerceTimestampMs('2026-01-05')).toEqual({ ok: true, value: Date.UTC(2026, 0, 5) });
    expect(coerceTimestampMs('2026-01-05T10:00:00.123456Z')).toEqual({ ok: true, value: t + 123 });
    for (const bad of ['2026-02-30', '2025-02-29T00:00:00Z', '2026-13-01', '2026-01-05T24:00:00Z', 'yesterday', '10/01/2026', 1.5, true]) {
      expect(coerceTimestampMs(bad).ok, String(bad)).toBe(false);
    }
    expect(coerceTimestampMs('2024-02-29').ok).toBe(true);
    expect(coerceTimestampMs(String(253402300800000)).ok).toBe(false);
  });
});

describe('createRowValidator', () => {
  it('coerces, trims and applies the PII transforms', () => {
    const outcome = validator.validate(base);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.row.entityKey).toBe('c-1|7');
    expect(outcome.row.date).toBe('2026-01-05');
    expect(validator.toRecord(outcome.row)).toEqual({
      customer_id: 'c-1',
      store: 7,
      ts: '2026-01-05T10:00:00.000Z',
      email: hashPii('ada@example.com', KEY),
      phone: '************0958',
      age: 36,
      score: 0.5,
      tier: 'gold',
      code: 'AB1',
      active: true,
      seen_at: '2026-01-05T10:00:00.000Z',
    });
    expect(Object.keys(validator.toRecord(outcome.row))).not.toContain('full_name');
  });

  it('names every failing field and never echoes the offending value', () => {
    const outcome = validator.validate({
      ...base,
      customer_id: '',
      store: 'x',
      ts: 'soon',
      email: 'not-an-email',
      age: '12',
      score: '2',
      tier: 'bronze',
      code: 'TOOLONG',
      active: 'perhaps',
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.issues.map((i) => i.field).sort()).toEqual(['active', 'age', 'code', 'customer_id', 'email', 'score', 'store', 'tier', 'ts']);
    const text = JSON.stringify(outcome.issues);
    expect(text).not.toContain('not-an-email');
    expect(text).not.toContain('bronze');
    // The rejected record carries transformed PII only.
    expect(outcome.redacted.email).toBe(hashPii('not-an-email', KEY));
    expect(outcome.redacted.phone).toBe('************0958');
    expect(outcome.redacted).not.toHaveProperty('full_name');
    expect(JSON.stringify(outcome.redacted)).not.toContain('Ada Lovelace');
  });

  it('rejects rows without entity key or event time, and separators in keys', () => {
    const missing = validator.validate({ email: 'a@b' });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.issues.map((i) => i.field)).toEqual(['customer_id', 'store', 'ts']);
    const pipe = validator.validate({ ...base, customer_id: 'a|b' });
    expect(pipe.ok).toBe(false);
    const nullable = validator.validate({ ...base, email: null });
    expect(nullable.ok).toBe(false);
  });

  it('requires the PII key only when a feature hashes', () => {
    expect(() => createRowValidator(group, undefined)).toThrow(/PII key/);
    const noHash = FeatureGroupSchema.parse({ ...group, features: group.features.filter((f) => f.pii !== 'hash') });
    expect(createRowValidator(noHash, undefined).piiKeyId).toBe('none');
    expect(validator.piiKeyId).not.toBe(createRowValidator(group, 'another-key').piiKeyId);
  });

  it('masks by code points and leaves short values', () => {
    expect(maskPii('abcdef')).toBe('**cdef');
    expect(maskPii('😀😀😀😀😀')).toBe('*😀😀😀😀');
    expect(maskPii('abc')).toBe('abc');
  });
});

describe('properties', () => {
  it('int coercion round-trips every safe integer, as number or text', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.constantFrom('', ' ', '  '), (n, pad) => {
        expect(coerceInt(n)).toEqual({ ok: true, value: n === 0 ? 0 : n });
        expect(coerceInt(`${pad}${n}${pad}`)).toEqual({ ok: true, value: n === 0 ? 0 : n });
      }),
    );
  });

  it('float coercion round-trips every finite double through its text', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const r = coerceFloat(String(x));
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.value).toBe(x === 0 ? 0 : x);
      }),
    );
  });

  it('timestamps: ISO and epoch-ms forms of an instant coerce to the same value', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1, 0, 1) + 86_400_000, max: Date.UTC(9999, 11, 30) }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(coerceTimestampMs(iso)).toEqual({ ok: true, value: ms });
        expect(coerceTimestampMs(String(ms))).toEqual({ ok: true, value: ms === 0 ? 0 : ms });
        expect(coerceTimestampMs(ms)).toEqual({ ok: true, value: ms === 0 ? 0 : ms });
      }),
    );
  });

  it('never throws, always names a declared column, and never leaks raw PII, on arbitrary records', () => {
    const columns = ['customer_id', 'store', 'ts', ...group.features.map((f) => f.name), 'extra'];
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
    );
    fc.assert(
      fc.property(fc.record(Object.fromEntries(columns.map((c) => [c, value])), { requiredKeys: [] }), (record) => {
        const outcome = validator.validate(record as Record<string, unknown>);
        if (outcome.ok) {
          expect(outcome.row.entityKey.split('|')).toHaveLength(2);
          expect(Number.isInteger(outcome.row.eventTimeMs)).toBe(true);
          return;
        }
        expect(outcome.issues.length).toBeGreaterThan(0);
        for (const issue of outcome.issues) expect(validator.columns.has(issue.field)).toBe(true);
        expect(outcome.redacted).not.toHaveProperty('full_name');
        const email = (record as Record<string, unknown>).email;
        if (typeof email === 'string' && email.trim().length > 8) expect(JSON.stringify(outcome.redacted)).not.toContain(JSON.stringify(email.trim()));
      }),
      { numRuns: 300 },
    );
  });

  it('valid rows are stable: validating the stored record again gives the same record', () => {
    const plain = createRowValidator(
      FeatureGroupSchema.parse({
        name: 'plain',
        entityKeys: [{ name: 'id', type: 'int' }],
        eventTimeColumn: 'ts',
        features: [
          { name: 'n', type: 'int' },
          { name: 'x', type: 'float' },
          { name: 's', type: 'string' },
          { name: 'b', type: 'bool' },
          { name: 't', type: 'timestamp' },
        ],
      }),
      undefined,
    );
    const row = fc.record({
      id: fc.maxSafeInteger(),
      ts: fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }),
      n: fc.option(fc.maxSafeInteger()),
      x: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
      s: fc.option(fc.string({ maxLength: 20 })),
      b: fc.option(fc.boolean()),
      t: fc.option(fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) })),
    });
    fc.assert(
      fc.property(row, (r) => {
        const first = plain.validate(r);
        expect(first.ok).toBe(true);
        if (!first.ok) return;
        const stored = plain.toRecord(first.row);
        const second = plain.validate(stored);
        expect(second.ok).toBe(true);
        if (second.ok) expect(plain.toRecord(second.row)).toEqual(stored);
      }),
    );
  });
});
