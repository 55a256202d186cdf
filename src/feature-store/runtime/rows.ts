/**
 * Row validation, type coercion and PII handling for one feature group. Pure and synchronous: the
 * ingest pipeline, the push API and property tests all use `createRowValidator`.
 *
 * Rules (documented in README.md):
 * - `null`, `undefined` and strings that are empty after trimming are null.
 * - int: integer JSON numbers or numeric strings with an integral value (`"42"`, `"42.0"`, `"4e1"`),
 *   within ±(2^53-1). float: finite JSON numbers or numeric strings. bool: `true`/`false`, `1`/`0`,
 *   and the strings `true`/`false`/`1`/`0`/`yes`/`no` (any case). string: strings (trimmed); JSON
 *   numbers and booleans are converted to their text. timestamp: epoch milliseconds (integer JSON
 *   number or digit string) or ISO-8601 (`YYYY-MM-DD`, optionally `THH:MM[:SS[.fff…]]` with `T` or a
 *   space, optionally `Z` / `±HH[:MM]`; no offset means UTC), years 0001–9999 → canonical
 *   `YYYY-MM-DDTHH:MM:SS.mmmZ`.
 * - Entity keys and the event time are required; string entity keys must not contain `|` (the
 *   online key separator) and are at most 512 characters.
 * - Constraint checks (min/max/allowedValues/regex/maxLength) run on the coerced value before the PII
 *   transform. Messages never quote the offending value.
 * - PII: `hash` → HMAC-SHA256 hex with the store's key; `mask` → all but the last 4 characters `*`;
 *   `drop` → the column is not stored. Rejected rows are reported with the same transforms applied
 *   (`redacted`), so no raw PII reaches the rejected output either.
 */
import { createHmac } from 'node:crypto';
import type { Feature, FeatureGroup } from '../feature-group';

export type ScalarValue = string | number | boolean | null;

/** One reason a row was rejected: the column (or `(row)`) and a message that never quotes the value. */
export interface RowIssue {
  readonly field: string;
  readonly message: string;
}

export type Coerced<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Longest string entity key value. */
export const ENTITY_KEY_MAX_LENGTH = 512;
/** Separator of entity key values in the online partition key. */
export const ENTITY_KEY_SEPARATOR = '|';
/** Smallest and largest accepted timestamps: 0001-01-01T00:00:00.000Z … 9999-12-31T23:59:59.999Z. */
export const MIN_TIMESTAMP_MS = -62135596800000;
export const MAX_TIMESTAMP_MS = 253402300799999;
/** Longest raw text copied into a rejected record for a non-PII column. */
const REJECTED_TEXT_MAX = 256;

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const EPOCH_MS = /^[+-]?\d{1,16}$/;
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const ok = <T>(value: T): Coerced<T> => ({ ok: true, value });
const fail = (message: string): Coerced<never> => ({ ok: false, message });

/** True for `null`, `undefined` and blank strings. */
export function isNullish(raw: unknown): boolean {
  return raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '');
}

export function coerceInt(raw: unknown): Coerced<number | null> {
  if (isNullish(raw)) return ok(null);
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && NUMERIC.test(raw.trim())) n = Number(raw.trim());
  else return fail('must be an integer');
  if (!Number.isInteger(n)) return fail('must be an integer');
  if (!Number.isSafeInteger(n)) return fail('must be between -(2^53-1) and 2^53-1');
  return ok(n === 0 ? 0 : n);
}

export function coerceFloat(raw: unknown): Coerced<number | null> {
  if (isNullish(raw)) return ok(null);
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && NUMERIC.test(raw.trim())) n = Number(raw.trim());
  else return fail('must be a number');
  if (!Number.isFinite(n)) return fail('must be a finite number');
  return ok(n === 0 ? 0 : n);
}

export function coerceBool(raw: unknown): Coerced<boolean | null> {
  if (isNullish(raw)) return ok(null);
  if (typeof raw === 'boolean') return ok(raw);
  if (raw === 1 || raw === 0) return ok(raw === 1);
  if (typeof raw === 'string') {
    switch (raw.trim().toLowerCase()) {
      case 'true':
      case '1':
      case 'yes':
        return ok(true);
      case 'false':
      case '0':
      case 'no':
        return ok(false);
    }
  }
  return fail('must be true or false');
}

export function coerceString(raw: unknown): Coerced<string | null> {
  if (isNullish(raw)) return ok(null);
  if (typeof raw === 'string') return ok(raw.trim());
  if (typeof raw === 'number' && Number.isFinite(raw)) return ok(String(raw));
  if (typeof raw === 'boolean') return ok(String(raw));
  return fail('must be a string');
}

/** Epoch milliseconds of an ISO-8601 / epoch-ms value (see the module comment), or an error. */
export function coerceTimestampMs(raw: unknown): Coerced<number | null> {
  if (isNullish(raw)) return ok(null);
  const message = 'must be an ISO-8601 timestamp or epoch milliseconds';
  let ms: number | undefined;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return fail('must be whole epoch milliseconds');
    ms = raw;
  } else if (typeof raw === 'string') {
    const text = raw.trim();
    if (EPOCH_MS.test(text)) ms = Number(text);
    else ms = parseIso(text);
    if (ms === undefined) return fail(message);
  } else {
    return fail(message);
  }
  if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) return fail('must be between years 0001 and 9999');
  return ok(ms === 0 ? 0 : ms);
}

function parseIso(text: string): number | undefined {
  const m = ISO_TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zulu, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zulu === undefined && sign !== undefined) {
    const offH = Number(oh);
    const offM = om === undefined ? 0 : Number(om);
    if (offH > 23 || offM > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  let ms: number;
  if (year >= 100) {
    ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  } else {
    // Date.UTC maps years 0-99 to 1900-1999.
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, millis);
    ms = date.getTime();
  }
  return ms - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** `2026-01-05T10:00:00.000Z` for epoch milliseconds. */
export function toIsoTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** HMAC-SHA256 (hex) of `value` with `key`: the `hash` PII transform. */
export function hashPii(value: string, key: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/** The `mask` PII transform: every character but the last 4 becomes `*` (code points, not UTF-16 units). */
export function maskPii(value: string): string {
  const chars = Array.from(value);
  if (chars.length <= 4) return value;
  return '*'.repeat(chars.length - 4) + chars.slice(-4).join('');
}

/** A short, non-secret identifier of a PII key (so that rotating the key changes ingest ids). */
export function piiKeyId(key: string | undefined): string {
  return key === undefined ? 'none' : hashPii('gaiops/feature-store/pii-key-id', key).slice(0, 16);
}

export interface ValidRow {
  /** Entity key values joined by `|`, in the group's `entityKeys` order. */
  readonly entityKey: string;
  readonly entities: Readonly<Record<string, string | number>>;
  readonly eventTimeMs: number;
  /** Canonical ISO-8601 UTC. */
  readonly eventTime: string;
  /** `YYYY-MM-DD` (UTC) of the event time: the offline partition. */
  readonly date: string;
  /** Stored feature values after PII transforms; `drop` columns are absent. */
  readonly features: Readonly<Record<string, ScalarValue>>;
}

export type RowOutcome =
  | { readonly ok: true; readonly row: ValidRow }
  | {
      readonly ok: false;
      readonly issues: readonly RowIssue[];
      /** The row's declared columns with PII transforms applied (safe to store or return). */
      readonly redacted: Readonly<Record<string, ScalarValue>>;
    };

export interface RowValidator {
  readonly group: FeatureGroup;
  /** Features that are stored (every feature except `pii: drop`), in declaration order. */
  readonly storedFeatures: readonly Feature[];
  /** Every declared column: entity keys, event time column, features. */
  readonly columns: ReadonlySet<string>;
  /** `piiKeyId` of the key in use, or `none` when the group hashes no PII. */
  readonly piiKeyId: string;
  validate(record: Readonly<Record<string, unknown>>): RowOutcome;
  /** The offline (and push) representation: entity keys, event time, stored features, in order. */
  toRecord(row: ValidRow): Record<string, ScalarValue>;
}

interface CompiledFeature {
  /** Validates and coerces the column; sets `out[name]` when valid (not for `drop`). */
  check(record: Readonly<Record<string, unknown>>, issues: RowIssue[], out: Record<string, ScalarValue>): void;
  /** The column as it may appear in a rejected record (PII transformed, `drop` omitted). */
  redact(record: Readonly<Record<string, unknown>>, redacted: Record<string, ScalarValue>): void;
}

/** Entries kept per hashed column before the cache is cleared (HMAC is the costliest per-row step). */
const HASH_CACHE_SIZE = 10_000;

export function createRowValidator(group: FeatureGroup, piiKey: string | undefined): RowValidator {
  if (piiKey === undefined && group.features.some((f) => f.pii === 'hash')) {
    throw new Error(`feature group ${group.name} hashes PII but no PII key was provided`);
  }
  const storedFeatures = group.features.filter((f) => f.pii !== 'drop');
  const columns = new Set([...group.entityKeys.map((k) => k.name), group.eventTimeColumn, ...group.features.map((f) => f.name)]);
  const compiled = group.features.map((f) => compileFeature(f, piiKey));

  const redact = (record: Readonly<Record<string, unknown>>): Record<string, ScalarValue> => {
    const redacted: Record<string, ScalarValue> = {};
    for (const key of group.entityKeys) {
      const raw = record[key.name];
      const coerced = key.type === 'int' ? coerceInt(raw) : coerceString(raw);
      redacted[key.name] = coerced.ok ? (typeof coerced.value === 'string' ? truncate(coerced.value) : coerced.value) : safeRaw(raw);
    }
    const rawTime = record[group.eventTimeColumn];
    const time = coerceTimestampMs(rawTime);
    redacted[group.eventTimeColumn] = time.ok ? (time.value === null ? null : toIsoTimestamp(time.value)) : safeRaw(rawTime);
    for (const feature of compiled) feature.redact(record, redacted);
    return redacted;
  };

  const validate = (record: Readonly<Record<string, unknown>>): RowOutcome => {
    const issues: RowIssue[] = [];
    const entities: Record<string, string | number> = {};
    let entityKey = '';
    for (let i = 0; i < group.entityKeys.length; i++) {
      const key = group.entityKeys[i];
      const coerced = key.type === 'int' ? coerceInt(record[key.name]) : coerceString(record[key.name]);
      if (!coerced.ok) {
        issues.push({ field: key.name, message: coerced.message });
        continue;
      }
      const value = coerced.value;
      if (value === null) {
        issues.push({ field: key.name, message: 'is required (entity key)' });
      } else if (typeof value === 'string' && value.length > ENTITY_KEY_MAX_LENGTH) {
        issues.push({ field: key.name, message: `must be at most ${ENTITY_KEY_MAX_LENGTH} characters` });
      } else if (typeof value === 'string' && value.includes(ENTITY_KEY_SEPARATOR)) {
        issues.push({ field: key.name, message: `must not contain '${ENTITY_KEY_SEPARATOR}'` });
      } else {
        entities[key.name] = value;
        entityKey = i === 0 ? String(value) : `${entityKey}${ENTITY_KEY_SEPARATOR}${value}`;
      }
    }
    const time = coerceTimestampMs(record[group.eventTimeColumn]);
    let eventTimeMs: number | undefined;
    if (!time.ok) issues.push({ field: group.eventTimeColumn, message: time.message });
    else if (time.value === null) issues.push({ field: group.eventTimeColumn, message: 'is required (event time)' });
    else eventTimeMs = time.value;
    const features: Record<string, ScalarValue> = {};
    for (const feature of compiled) feature.check(record, issues, features);
    if (issues.length > 0 || eventTimeMs === undefined) return { ok: false, issues, redacted: redact(record) };
    const eventTime = toIsoTimestamp(eventTimeMs);
    return { ok: true, row: { entityKey, entities, eventTimeMs, eventTime, date: eventTime.slice(0, 10), features } };
  };

  const toRecord = (row: ValidRow): Record<string, ScalarValue> => {
    const out: Record<string, ScalarValue> = {};
    for (const key of group.entityKeys) out[key.name] = row.entities[key.name];
    out[group.eventTimeColumn] = row.eventTime;
    for (const f of storedFeatures) out[f.name] = row.features[f.name] ?? null;
    return out;
  };

  const keyId = group.features.some((f) => f.pii === 'hash') ? piiKeyId(piiKey) : 'none';
  return { group, storedFeatures, columns, piiKeyId: keyId, validate, toRecord };
}

function compileFeature(feature: Feature, piiKey: string | undefined): CompiledFeature {
  const name = feature.name;
  const regex = feature.regex === undefined ? undefined : new RegExp(`^(?:${feature.regex})$`);
  const allowed = feature.allowedValues === undefined ? undefined : new Set(feature.allowedValues);
  const allowedText = feature.allowedValues === undefined ? '' : describeAllowed(feature.allowedValues);
  const hashCache = new Map<string, string>();
  const transform = (value: string): string | undefined => {
    switch (feature.pii) {
      case 'hash': {
        let hashed = hashCache.get(value);
        if (hashed === undefined) {
          if (hashCache.size >= HASH_CACHE_SIZE) hashCache.clear();
          hashed = hashPii(value, piiKey as string);
          hashCache.set(value, hashed);
        }
        return hashed;
      }
      case 'mask':
        return maskPii(value);
      case 'drop':
        return undefined;
      default:
        return value;
    }
  };
  const coerce = (raw: unknown): Coerced<ScalarValue> => {
    switch (feature.type) {
      case 'int':
        return coerceInt(raw);
      case 'float':
        return coerceFloat(raw);
      case 'bool':
        return coerceBool(raw);
      case 'string':
        return coerceString(raw);
      case 'timestamp': {
        const t = coerceTimestampMs(raw);
        return t.ok ? ok(t.value === null ? null : toIsoTimestamp(t.value)) : t;
      }
    }
  };

  const check: CompiledFeature['check'] = (record, issues, out) => {
    const coerced = coerce(record[name]);
    if (!coerced.ok) {
      issues.push({ field: name, message: coerced.message });
      return;
    }
    const value = coerced.value;
    let valid = true;
    if (value === null) {
      if (!feature.nullable) {
        issues.push({ field: name, message: 'is required (not nullable)' });
        valid = false;
      }
    } else if (typeof value === 'number') {
      if (feature.min !== undefined && value < feature.min) {
        issues.push({ field: name, message: `must be at least ${feature.min}` });
        valid = false;
      }
      if (feature.max !== undefined && value > feature.max) {
        issues.push({ field: name, message: `must be at most ${feature.max}` });
        valid = false;
      }
    } else if (typeof value === 'string' && feature.type === 'string') {
      if (feature.maxLength !== undefined && value.length > feature.maxLength && Array.from(value).length > feature.maxLength) {
        issues.push({ field: name, message: `must be at most ${feature.maxLength} characters` });
        valid = false;
      }
      if (allowed && !allowed.has(value)) {
        issues.push({ field: name, message: `must be one of ${allowedText}` });
        valid = false;
      }
      if (regex && !regex.test(value)) {
        issues.push({ field: name, message: `must match the pattern ${feature.regex}` });
        valid = false;
      }
    }
    if (!valid || feature.pii === 'drop') return;
    out[name] = typeof value === 'string' && feature.pii ? (transform(value) as string) : value;
  };

  const redact: CompiledFeature['redact'] = (record, redacted) => {
    const raw = record[name];
    if (feature.pii) {
      // Only primitives can be transformed; anything else is left out of the rejected record.
      if (feature.pii === 'drop') return;
      if (isNullish(raw)) redacted[name] = null;
      else if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') redacted[name] = transform(String(raw).trim()) as string;
      return;
    }
    const coerced = coerce(raw);
    if (!coerced.ok) redacted[name] = safeRaw(raw);
    else redacted[name] = typeof coerced.value === 'string' ? truncate(coerced.value) : coerced.value;
  };

  return { check, redact };
}

function describeAllowed(values: readonly string[]): string {
  const shown = values.slice(0, 20).map((v) => JSON.stringify(v));
  return values.length > 20 ? `${shown.join(', ')}, … (${values.length} values)` : shown.join(', ');
}

function truncate(text: string): string {
  return text.length > REJECTED_TEXT_MAX ? `${text.slice(0, REJECTED_TEXT_MAX)}…` : text;
}

/** A raw non-PII value as it may appear in a rejected record: primitives only, long text cut. */
function safeRaw(raw: unknown): ScalarValue {
  if (typeof raw === 'string') return truncate(raw.trim());
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'boolean') return raw;
  return null;
}
