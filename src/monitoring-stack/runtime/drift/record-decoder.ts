/**
 * The hot path of the detector: a decoder for flat JSON objects that works on the raw UTF-8 bytes
 * of a line and extracts only the fields the run needs. `JSON.parse` on a decoded string allocates
 * every key and value of every line; on 300-byte lines that is most of a run's time.
 *
 * It accepts the common shape `{"key": scalar, ...}` — keys without escapes; values that are
 * strings, numbers, `true`, `false` or `null` — and validates it strictly against the JSON grammar,
 * so a line it accepts is valid JSON and every extracted value equals what `JSON.parse` returns
 * for the UTF-8-decoded line: strings with escapes are decoded by `JSON.parse`; numbers with
 * ≤ 15 significant digits and no exponent are an exact integer divided by an exact power of ten
 * (one correctly rounded division — Clinger's fast path), all other numbers go through `Number`.
 * For anything else (nested values, escaped keys, invalid JSON) it returns `undefined` and the
 * caller falls back to `JSON.parse`, which also decides whether the line is corrupt.
 *
 * A decoded row is an array of the layout's field values by position (`undefined` when absent, as on
 * a parsed object): consumers read `row[i]` instead of looking names up, which matters at 20+ fields
 * per row. The array is reused: valid until the next call. Short unescaped strings are interned in a
 * fixed 4,096-slot table (categorical values repeat), so most rows allocate nothing. Key order is
 * predicted from the previous line, so a stable layout costs one short byte comparison per key.
 */

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const INTERN_SLOTS = 4096;
const INTERN_MAX_BYTES = 64;

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function bytesEqual(b: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at + expected.length > b.length) return false;
  for (let k = 0; k < expected.length; k++) if (b[at + k] !== expected[k]) return false;
  return true;
}

/** A decoded row: values by field position in its `FieldLayout`. */
export type Row = readonly unknown[];

/** The fields a run reads, each with a fixed position in every `Row`. */
export class FieldLayout {
  readonly names: readonly string[];
  private readonly positions = new Map<string, number>();

  constructor(fields: Iterable<string>) {
    this.names = [...new Set(fields)];
    this.names.forEach((name, i) => this.positions.set(name, i));
  }

  /** Position of `name`, or -1. */
  positionOf(name: string): number {
    return this.positions.get(name) ?? -1;
  }

  /** Position of a field the caller declared; throws when the layout lacks it. */
  indexOf(name: string): number {
    const i = this.positions.get(name);
    if (i === undefined) throw new Error(`field ${JSON.stringify(name)} is not part of the row layout`);
    return i;
  }

  /** The row of a parsed record (own properties only), into `into` when given. */
  rowOf(record: Readonly<Record<string, unknown>>, into: unknown[] = new Array<unknown>(this.names.length)): unknown[] {
    const names = this.names;
    for (let i = 0; i < names.length; i++) into[i] = Object.prototype.hasOwnProperty.call(record, names[i]) ? record[names[i]] : undefined;
    return into;
  }
}

export class FlatRecordDecoder {
  private readonly values: unknown[];
  /** Line number at which each field was last assigned (fields not assigned on a line are reset). */
  private readonly stamps: Int32Array;
  private line = 0;
  private readonly predictedKeys: Uint8Array[] = [];
  private readonly predictedFields: number[] = [];
  private readonly internBytes: (Uint8Array | undefined)[] = new Array(INTERN_SLOTS);
  private readonly internStrings: string[] = new Array(INTERN_SLOTS);

  constructor(readonly layout: FieldLayout) {
    this.values = new Array<unknown>(layout.names.length).fill(undefined);
    this.stamps = new Int32Array(layout.names.length).fill(-1);
  }

  /** The row of a record parsed by `JSON.parse` (the fallback), in the same reused array. */
  fromObject(record: Readonly<Record<string, unknown>>): Row {
    return this.layout.rowOf(record, this.values);
  }

  private intern(b: Buffer, start: number, end: number, hash: number): string {
    const slot = hash & (INTERN_SLOTS - 1);
    const cached = this.internBytes[slot];
    const length = end - start;
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let k = 0; k < length; k++) {
        if (cached[k] !== b[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return this.internStrings[slot];
    }
    const text = b.toString('utf8', start, end);
    this.internBytes[slot] = Uint8Array.prototype.slice.call(b, start, end);
    this.internStrings[slot] = text;
    return text;
  }

  /** The row of the line `b[start, end)` (reused between calls), or `undefined` when `JSON.parse` must decide. */
  decode(b: Buffer, start: number, end: number): Row | undefined {
    const n = end;
    const values = this.values;
    const stamps = this.stamps;
    const line = (this.line = (this.line + 1) | 0);
    let assigned = 0;
    let i = start;
    while (i < n && isWhitespace(b[i])) i++;
    if (i >= n || b[i] !== OPEN_BRACE) return undefined;
    i++;
    while (i < n && isWhitespace(b[i])) i++;
    if (i < n && b[i] === CLOSE_BRACE) {
      i++;
    } else {
      for (let k = 0; ; k++) {
        // Key.
        if (i >= n || b[i] !== QUOTE) return undefined;
        const keyStart = i + 1;
        let j = keyStart;
        for (;;) {
          if (j >= n) return undefined;
          const c = b[j];
          if (c === QUOTE) break;
          if (c === BACKSLASH || c < 0x20) return undefined;
          j++;
        }
        const keyLength = j - keyStart;
        let field: number;
        const predicted = this.predictedKeys[k];
        let hit = predicted !== undefined && predicted.length === keyLength;
        if (hit) {
          for (let q = 0; q < keyLength; q++) {
            if (predicted[q] !== b[keyStart + q]) {
              hit = false;
              break;
            }
          }
        }
        if (hit) field = this.predictedFields[k];
        else {
          field = this.layout.positionOf(b.toString('utf8', keyStart, j));
          this.predictedKeys[k] = Uint8Array.prototype.slice.call(b, keyStart, j);
          this.predictedFields[k] = field;
        }
        i = j + 1;
        while (i < n && isWhitespace(b[i])) i++;
        if (i >= n || b[i] !== COLON) return undefined;
        i++;
        while (i < n && isWhitespace(b[i])) i++;
        if (i >= n) return undefined;
        // Value.
        const c0 = b[i];
        let value: unknown;
        if (c0 === QUOTE) {
          let e = i + 1;
          let escaped = false;
          let hash = 0x811c9dc5;
          for (;;) {
            if (e >= n) return undefined;
            const c = b[e];
            if (c === QUOTE) break;
            if (c < 0x20) return undefined;
            if (c === BACKSLASH) {
              escaped = true;
              e += 2;
              continue;
            }
            hash = Math.imul(hash ^ c, 0x01000193);
            e++;
          }
          if (escaped) {
            try {
              value = JSON.parse(b.toString('utf8', i, e + 1));
            } catch {
              return undefined;
            }
          } else if (field >= 0) {
            value = e - i - 1 <= INTERN_MAX_BYTES ? this.intern(b, i + 1, e, hash >>> 0) : b.toString('utf8', i + 1, e);
          }
          i = e + 1;
        } else if (c0 === MINUS || (c0 >= ZERO && c0 <= NINE)) {
          const numberStart = i;
          const negative = c0 === MINUS;
          if (negative) i++;
          let mantissa = 0;
          let digits = 0;
          let fraction = 0;
          let slow = false;
          let c = i < n ? b[i] : -1;
          if (c === ZERO) {
            i++;
            digits = 1;
          } else if (c > ZERO && c <= NINE) {
            while (c >= ZERO && c <= NINE) {
              mantissa = mantissa * 10 + (c - ZERO);
              digits++;
              c = ++i < n ? b[i] : -1;
            }
          } else return undefined;
          c = i < n ? b[i] : -1;
          if (c === DOT) {
            c = ++i < n ? b[i] : -1;
            if (!(c >= ZERO && c <= NINE)) return undefined;
            while (c >= ZERO && c <= NINE) {
              mantissa = mantissa * 10 + (c - ZERO);
              digits++;
              fraction++;
              c = ++i < n ? b[i] : -1;
            }
          }
          if (c === 0x65 || c === 0x45) {
            slow = true;
            c = ++i < n ? b[i] : -1;
            if (c === PLUS || c === MINUS) c = ++i < n ? b[i] : -1;
            if (!(c >= ZERO && c <= NINE)) return undefined;
            while (c >= ZERO && c <= NINE) c = ++i < n ? b[i] : -1;
          }
          if (field >= 0) {
            if (slow || digits > 15) value = Number(b.toString('latin1', numberStart, i));
            else {
              const magnitude = fraction === 0 ? mantissa : mantissa / POW10[fraction];
              value = negative ? -magnitude : magnitude;
            }
          }
        } else if (c0 === 0x74 && bytesEqual(b, i, TRUE) && i + 4 <= n) {
          value = true;
          i += 4;
        } else if (c0 === 0x66 && bytesEqual(b, i, FALSE) && i + 5 <= n) {
          value = false;
          i += 5;
        } else if (c0 === 0x6e && bytesEqual(b, i, NULL) && i + 4 <= n) {
          value = null;
          i += 4;
        } else return undefined;
        if (field >= 0) {
          values[field] = value;
          if (stamps[field] !== line) {
            stamps[field] = line;
            assigned++;
          }
        }
        while (i < n && isWhitespace(b[i])) i++;
        if (i >= n) return undefined;
        const separator = b[i];
        if (separator === COMMA) {
          i++;
          while (i < n && isWhitespace(b[i])) i++;
          continue;
        }
        if (separator !== CLOSE_BRACE) return undefined;
        i++;
        break;
      }
    }
    while (i < n && isWhitespace(b[i])) i++;
    if (i !== n) return undefined;
    if (assigned !== values.length) {
      for (let f = 0; f < values.length; f++) if (stamps[f] !== line) values[f] = undefined;
    }
    return values;
  }
}
