import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeatureGroupSchema } from '../../../src/feature-store/feature-group';
import { canonicalJson } from '../../../src/feature-store/runtime/canonical';
import { FingerprintSet } from '../../../src/feature-store/runtime/fingerprints';
import { type SourceRecord, SourceReadError, detectSourceFormat, readRecords } from '../../../src/feature-store/runtime/records';
import { createRowValidator } from '../../../src/feature-store/runtime/rows';
import { DatasetStats, Reservoir, TopValues } from '../../../src/feature-store/runtime/stats';

/** Feeds `text` in chunks of `size` bytes (to split lines and multi-byte characters). */
function chunked(data: string | Buffer, size: number): Readable {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function collect(source: AsyncIterable<SourceRecord>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of source) out.push(r);
  return out;
}

describe('detectSourceFormat', () => {
  it('maps extensions, optionally gzipped', () => {
    expect(detectSourceFormat('raw/g/a.jsonl')).toEqual({ format: 'jsonl', gzip: false });
    expect(detectSourceFormat('raw/g/a.NDJSON.gz')).toEqual({ format: 'jsonl', gzip: true });
    expect(detectSourceFormat('raw/g/a.csv.gz')).toEqual({ format: 'csv', gzip: true });
    expect(detectSourceFormat('raw/g/a.parquet')).toBeUndefined();
    expect(detectSourceFormat('raw/g/a.gz')).toBeUndefined();
  });
});

describe('readRecords', () => {
  it('reads JSON Lines across chunk boundaries, with CRLF, BOM, blank lines and bad lines', async () => {
    const text = '\uFEFF{"a":1,"s":"ünï"}\r\n\n{"a":2}\nnot json\n[1,2]\n{"a":3}';
    for (const size of [1, 3, 7, 1000]) {
      const records = await collect(readRecords(chunked(text, size), { format: 'jsonl', gzip: false }));
      expect(records).toEqual([
        { line: 1, record: { a: 1, s: 'ünï' } },
        { line: 3, record: { a: 2 } },
        { line: 4, error: 'is not valid JSON' },
        { line: 5, error: 'is not a JSON object' },
        { line: 6, record: { a: 3 } },
      ]);
    }
  });

  it('reports over-long JSON lines as rows and carries on', async () => {
    const text = `{"a":1}\n{"long":"${'x'.repeat(200)}"}\n{"a":2}\n`;
    for (const size of [5, 64, 4096]) {
      const records = await collect(readRecords(chunked(text, size), { format: 'jsonl', gzip: false }, { maxRecordBytes: 100 }));
      expect(records.map((r) => r.record ?? r.error)).toEqual([{ a: 1 }, 'is longer than 100 bytes', { a: 2 }]);
    }
  });

  it('reads gzip-compressed CSV with quoted fields, and reports malformed rows', async () => {
    const csv = 'id, name ,note\n1,"Smith, Ann","line1\nline2"\n2,Bob\n3,"Eve",""\n';
    const records = await collect(readRecords(chunked(gzipSync(csv), 10), { format: 'csv', gzip: true }));
    expect(records.filter((r) => r.record).map((r) => r.record)).toEqual([
      { id: '1', name: 'Smith, Ann', note: 'line1\nline2' },
      { id: '3', name: 'Eve', note: '' },
    ]);
    expect(records.filter((r) => r.error)).toEqual([{ line: 4, error: 'has 2 fields, the header has 3' }]);
  });

  it('reports each malformed CSV record as one row and resynchronises at the next line', async () => {
    const csv = `a,b\r\n1,2\r\n"x"y,5\r\n3,${'y'.repeat(500)}\r\n"multi\nline",4\r\n5,"x""y"\r\n7,8,9\r\n\r\n9,"never closed\n10,11`;
    for (const size of [3, 50, 4096]) {
      const records = await collect(readRecords(chunked(csv, size), { format: 'csv', gzip: false }, { maxRecordBytes: 100 }));
      expect(records).toEqual([
        { line: 2, record: { a: '1', b: '2' } },
        { line: 3, error: 'has an invalid closing quote' },
        { line: 4, error: 'is longer than 100 characters' },
        { line: 5, record: { a: 'multi\nline', b: '4' } },
        { line: 7, record: { a: '5', b: 'x"y' } },
        { line: 8, error: 'has 3 fields, the header has 2' },
        { line: 10, error: 'has a quote that is never closed' },
      ]);
    }
  });

  it('parses well-formed CSV exactly like csv-parse (property)', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', '😀', 'x'), maxLength: 8 });
    const table = fc.integer({ min: 1, max: 4 }).chain((width) =>
      fc.record({
        header: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: width, maxLength: width }),
        rows: fc.array(fc.array(text, { minLength: width, maxLength: width }), { maxLength: 8 }),
        crlf: fc.boolean(),
        quoteAll: fc.boolean(),
        chunk: fc.integer({ min: 1, max: 40 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(table, async ({ header, rows, crlf, quoteAll, chunk }) => {
        const eol = crlf ? '\r\n' : '\n';
        const cell = (v: string): string => (quoteAll || /[",\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v);
        const csv = [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join(eol) + eol;
        const ours = (await collect(readRecords(chunked(csv, chunk), { format: 'csv', gzip: false }))).map((r) => r.record ?? r.error);
        const theirs: unknown[] = [];
        for await (const r of Readable.from([csv]).pipe(parseCsv({ columns: true }))) theirs.push(r);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 300 },
    );
  });

  it('fails the read on corrupt gzip and on an unreadable CSV header', async () => {
    await expect(collect(readRecords(chunked(Buffer.from('not gzip at all'), 4), { format: 'jsonl', gzip: true }))).rejects.toBeInstanceOf(SourceReadError);
    await expect(collect(readRecords(chunked('"a,b\n1,2\n', 4), { format: 'csv', gzip: false }))).rejects.toBeInstanceOf(SourceReadError);
  });
});

describe('statistics', () => {
  it('reservoir quantiles are exact for small inputs and close for large ones, and deterministic', () => {
    const small = new Reservoir(4096, 'x');
    for (let i = 1; i <= 100; i++) small.add(i);
    expect(small.quantiles([0.5, 0.9, 0.99])).toEqual([50, 90, 99]);
    expect(small.exact).toBe(true);
    const run = (): (number | null)[] => {
      const r = new Reservoir(4096, 'col');
      for (let i = 0; i < 200_000; i++) r.add((i * 7919) % 100_000);
      return r.quantiles([0.5, 0.9, 0.99]);
    };
    const [p50, p90, p99] = run();
    expect(Math.abs((p50 as number) - 50_000)).toBeLessThan(3_000);
    expect(Math.abs((p90 as number) - 90_000)).toBeLessThan(3_000);
    expect(Math.abs((p99 as number) - 99_000)).toBeLessThan(1_500);
    expect(run()).toEqual([p50, p90, p99]);
  });

  it('top values are exact while few, and find heavy hitters in a long tail', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 500 }), (values) => {
        const top = new TopValues(10);
        values.forEach((v) => top.add(v));
        const counts = new Map<string, number>();
        values.forEach((v) => counts.set(v, (counts.get(v) ?? 0) + 1));
        expect(new Map(top.top(10).map((t) => [t.value, t.count]))).toEqual(counts);
      }),
    );
    const top = new TopValues(50);
    for (let i = 0; i < 50_000; i++) top.add(i % 5 === 0 ? `hot-${i % 3}` : `cold-${i}`);
    expect(top.top(3).map((t) => t.value).sort()).toEqual(['hot-0', 'hot-1', 'hot-2']);
    expect(top.exact).toBe(false);
  });

  it('dataset stats: numbers, strings, bias shares, PII columns without top values', () => {
    const group = FeatureGroupSchema.parse({
      name: 'g',
      entityKeys: [{ name: 'id' }],
      eventTimeColumn: 'ts',
      features: [
        { name: 'x', type: 'float' },
        { name: 'gender', type: 'string' },
        { name: 'email', type: 'string', pii: 'hash' },
        { name: 'ok', type: 'bool' },
      ],
      sensitiveAttributes: ['gender'],
    });
    const v = createRowValidator(group, 'k');
    const stats = new DatasetStats(group);
    const rows = [
      { id: 'a', ts: 1, x: 1, gender: 'f', email: 'a@x', ok: true },
      { id: 'b', ts: 2, x: 3, gender: 'm', email: 'b@x', ok: false },
      { id: 'c', ts: 3, x: null, gender: 'f', email: null, ok: null },
      { id: 'd', ts: 4, x: 5, gender: null, email: 'd@x', ok: true },
    ];
    for (const r of rows) {
      const o = v.validate(r);
      if (!o.ok) throw new Error('invalid');
      stats.add(o.row);
    }
    const s = stats.columnStats();
    expect(s.x).toMatchObject({ type: 'float', count: 3, nulls: 1, min: 1, max: 5, mean: 3, p50: 3, p99: 5 });
    expect((s.x as { stddev: number }).stddev).toBeCloseTo(Math.sqrt(8 / 3), 10);
    expect(s.gender).toMatchObject({ count: 3, nulls: 1, topValues: [{ value: 'f', count: 2 }, { value: 'm', count: 1 }] });
    expect(s.email).toEqual({ type: 'string', count: 3, nulls: 1, pii: 'hash' });
    expect(s.ok).toEqual({ type: 'bool', count: 3, nulls: 1, trueCount: 2, falseCount: 1 });
    expect(s.ts).toMatchObject({ min: '1970-01-01T00:00:00.001Z', max: '1970-01-01T00:00:00.004Z' });
    expect(stats.biasReport()).toEqual({ gender: { '(null)': 0.25, f: 0.5, m: 0.25 } });
  });
});

describe('FingerprintSet', () => {
  it('classifies first, exact and same-key rows, across growth', () => {
    const set = new FingerprintSet(16);
    for (let i = 0; i < 50_000; i++) expect(set.check(`k${i}`, `row${i}`)).toBe('new');
    for (let i = 0; i < 50_000; i += 997) {
      expect(set.check(`k${i}`, `row${i}`)).toBe('exact');
      expect(set.check(`k${i}`, `other${i}`)).toBe('entity_event_time');
    }
    expect(set.size).toBe(50_000);
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"z":1}]},"b":1}');
    expect(() => canonicalJson({ x: NaN })).toThrow();
  });
});
