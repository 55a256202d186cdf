/**
 * Deterministic e-commerce test data for the feature store: customers (with PII: email, phone,
 * full name), purchases (card numbers) and products. Every generated file comes with the exact
 * expected outcome (valid / rejected with the failing fields / duplicates, latest row per entity)
 * and the list of raw PII values that must never appear in any output.
 */
import { gzipSync } from 'node:zlib';
import type { FeatureStoreConfigInput } from '../../../src/feature-store/runtime/deps';

export const DAY_MS = 86_400_000;
/** 2026-01-01T00:00:00Z */
export const JAN_1_2026 = Date.UTC(2026, 0, 1);

export const ECOMMERCE_CONFIG: FeatureStoreConfigInput = {
  version: 1,
  groups: [
    {
      name: 'customers',
      entityKeys: [{ name: 'customer_id', type: 'string' }],
      eventTimeColumn: 'updated_at',
      features: [
        { name: 'email', type: 'string', pii: 'hash', nullable: false, regex: '[^@\\s]+@[^@\\s]+\\.[a-z]{2,}', maxLength: 254 },
        { name: 'phone', type: 'string', pii: 'mask', regex: '\\+[0-9][0-9 -]{7,20}' },
        { name: 'full_name', type: 'string', pii: 'drop' },
        { name: 'country', type: 'string', allowedValues: ['DE', 'FR', 'GB', 'US', 'JP', 'BR'] },
        { name: 'gender', type: 'string', allowedValues: ['female', 'male', 'nonbinary', 'undisclosed'] },
        { name: 'age_band', type: 'string', allowedValues: ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] },
        { name: 'lifetime_value', type: 'float', min: 0 },
        { name: 'orders_count', type: 'int', min: 0, nullable: false },
        { name: 'is_premium', type: 'bool' },
        { name: 'signup_at', type: 'timestamp' },
        { name: 'segment', type: 'string', maxLength: 16 },
      ],
      sensitiveAttributes: ['gender', 'age_band'],
      onlineTtlSeconds: 30 * 86_400,
    },
    {
      name: 'purchases',
      entityKeys: [
        { name: 'customer_id', type: 'string' },
        { name: 'product_id', type: 'int' },
      ],
      eventTimeColumn: 'purchased_at',
      features: [
        { name: 'quantity', type: 'int', min: 1, max: 100, nullable: false },
        { name: 'amount', type: 'float', min: 0, nullable: false },
        { name: 'currency', type: 'string', allowedValues: ['EUR', 'USD', 'GBP', 'JPY', 'BRL'] },
        { name: 'channel', type: 'string', allowedValues: ['web', 'app', 'store'] },
        { name: 'coupon_code', type: 'string', regex: '[A-Z0-9]{4,12}' },
        { name: 'card_number', type: 'string', pii: 'mask' },
        { name: 'gift', type: 'bool' },
      ],
      online: false,
    },
    {
      name: 'products',
      entityKeys: [{ name: 'product_id', type: 'int' }],
      eventTimeColumn: 'as_of',
      features: [
        { name: 'title', type: 'string', maxLength: 80 },
        { name: 'category', type: 'string', allowedValues: ['books', 'electronics', 'garden', 'toys', 'fashion'] },
        { name: 'price', type: 'float', min: 0 },
        { name: 'in_stock', type: 'bool' },
        { name: 'rating', type: 'float', min: 0, max: 5 },
        { name: 'launched_at', type: 'timestamp' },
      ],
      offline: false,
      onlineTtlSeconds: 7 * 86_400,
    },
  ],
};

/** mulberry32: tiny deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Cell = string | number | boolean | null;
export type RawRow = Record<string, Cell>;

export interface ExpectedRejection {
  /** Index of the row in `rows`. */
  readonly index: number;
  /** Fields the validator must name (at least these). */
  readonly fields: readonly string[];
}

export interface GeneratedFile {
  readonly group: string;
  readonly columns: readonly string[];
  /** Rows in file order, with the raw values written to the file. */
  readonly rows: readonly RawRow[];
  readonly expected: {
    readonly input: number;
    readonly valid: number;
    readonly rejected: number;
    readonly duplicatesExact: number;
    readonly duplicatesEntityEventTime: number;
    readonly rejections: readonly ExpectedRejection[];
    /** Entity key (values joined by |) → index in `rows` of the latest valid row. */
    readonly latest: ReadonlyMap<string, number>;
  };
  /** Raw PII values of this file (valid and invalid rows). */
  readonly pii: readonly string[];
}

interface Builder {
  rows: RawRow[];
  rejections: ExpectedRejection[];
  exact: number;
  conflicts: number;
  validIndexes: number[];
  pii: Set<string>;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Linus', 'Frances', 'Ken', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Torvalds', 'Allen', 'Thompson', 'Perlman', 'Lee'];
const pick = <T>(random: () => number, values: readonly T[]): T => values[Math.floor(random() * values.length)];
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function newBuilder(): Builder {
  return { rows: [], rejections: [], exact: 0, conflicts: 0, validIndexes: [], pii: new Set() };
}

/** A timestamp written as ISO-8601 (various shapes) or epoch milliseconds. */
function timestampText(random: () => number, ms: number): string {
  const r = random();
  if (r < 0.25) return String(ms);
  if (r < 0.5) return new Date(ms).toISOString();
  if (r < 0.75) return new Date(ms).toISOString().replace('T', ' ').replace('.000Z', '');
  // Same instant with a +02:00 offset.
  const shifted = new Date(ms + 2 * 3_600_000).toISOString().replace('.000Z', '').replace('Z', '');
  return `${shifted.replace(/\.\d{3}$/, '')}+02:00`;
}

export interface CustomerOptions {
  readonly customers: number;
  /** Updates per customer (distinct event times). */
  readonly updatesPerCustomer: number;
  readonly seed: number;
  /** Day offset of the first event from 2026-01-01. */
  readonly startDay?: number;
  /** Spread of event times, in days. Default 31. */
  readonly days?: number;
  readonly invalidEvery?: number;
  readonly duplicateEvery?: number;
  /** First customer number. Default 1. */
  readonly firstCustomer?: number;
}

export function customerId(n: number): string {
  return `C${pad(n, 6)}`;
}

export function customerEmail(n: number): string {
  return `${FIRST[n % FIRST.length].toLowerCase()}.${LAST[(n * 7) % LAST.length].toLowerCase()}${n}@mail.example.com`;
}

/** Generates the customers file (CSV-friendly raw values). */
export function generateCustomers(options: CustomerOptions): GeneratedFile {
  const random = prng(options.seed);
  const b = newBuilder();
  const first = options.firstCustomer ?? 1;
  const days = options.days ?? 31;
  const start = JAN_1_2026 + (options.startDay ?? 0) * DAY_MS;
  const invalidEvery = options.invalidEvery ?? 17;
  const duplicateEvery = options.duplicateEvery ?? 23;
  const events: { n: number; t: number }[] = [];
  for (let c = 0; c < options.customers; c++) {
    const n = first + c;
    const used = new Set<number>();
    for (let u = 0; u < options.updatesPerCustomer; u++) {
      let t: number;
      do t = start + Math.floor(random() * days * DAY_MS / 1000) * 1000;
      while (used.has(t));
      used.add(t);
      events.push({ n, t });
    }
  }
  // Shuffle (Fisher–Yates) so files are not time-ordered.
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  let invalidKind = 0;
  events.forEach((event, i) => {
    const n = event.n;
    const fullName = `${FIRST[n % FIRST.length]} ${LAST[(n * 7) % LAST.length]} ${n}`;
    const email = customerEmail(n);
    const phone = `+1 555 ${pad(n % 1000, 3)} ${pad((n * 37) % 10000, 4)}`;
    const row: RawRow = {
      customer_id: random() < 0.1 ? `  ${customerId(n)} ` : customerId(n),
      updated_at: timestampText(random, event.t),
      email: random() < 0.1 ? ` ${email.toUpperCase().replace('.EXAMPLE.COM', '.example.com')} ` : email,
      phone: random() < 0.05 ? '' : phone,
      full_name: fullName,
      country: pick(random, ['DE', 'FR', 'GB', 'US', 'JP', 'BR']),
      gender: pick(random, ['female', 'female', 'male', 'male', 'nonbinary', 'undisclosed']),
      age_band: random() < 0.03 ? '' : pick(random, ['18-24', '25-34', '35-44', '45-54', '55-64', '65+']),
      lifetime_value: random() < 0.05 ? '' : (Math.round(random() * 500000) / 100).toFixed(2),
      orders_count: String(Math.floor(random() * 200)),
      is_premium: pick(random, ['true', 'false', 'TRUE', '1', '0', 'no']),
      signup_at: timestampText(random, JAN_1_2026 - Math.floor(random() * 900) * DAY_MS),
      segment: pick(random, ['bargain', 'loyal', 'new', 'vip', 'dormant']),
    };
    b.pii.add(email).add(String(row.email).trim()).add(fullName);
    if (row.phone) b.pii.add(phone);

    if (i % invalidEvery === invalidEvery - 1) {
      const kind = invalidKind++ % 10;
      const fields: string[] = [];
      switch (kind) {
        case 0:
          row.email = '';
          fields.push('email');
          break;
        case 1:
          row.email = `not-an-email-${n}`;
          b.pii.add(row.email);
          fields.push('email');
          break;
        case 2:
          row.lifetime_value = '-12.5';
          fields.push('lifetime_value');
          break;
        case 3:
          row.country = 'XX';
          fields.push('country');
          break;
        case 4:
          row.customer_id = ' ';
          fields.push('customer_id');
          break;
        case 5:
          row.updated_at = 'yesterday';
          fields.push('updated_at');
          break;
        case 6:
          row.orders_count = '3.5';
          row.is_premium = 'maybe';
          fields.push('orders_count', 'is_premium');
          break;
        case 7:
          row.segment = 'an-extremely-long-segment-name';
          fields.push('segment');
          break;
        case 8:
          row.phone = `call-me-maybe-${pad(n, 6)}`;
          b.pii.add(row.phone);
          fields.push('phone');
          break;
        case 9:
          row.updated_at = '';
          row.gender = 'robot';
          fields.push('updated_at', 'gender');
          break;
      }
      b.rejections.push({ index: b.rows.length, fields });
      b.rows.push(row);
      return;
    }
    b.validIndexes.push(b.rows.length);
    b.rows.push(row);
    if (i % duplicateEvery === duplicateEvery - 1) {
      const original = b.rows[b.validIndexes[Math.floor(random() * b.validIndexes.length)]];
      if (random() < 0.5) {
        // Exact duplicate, sometimes written differently (padding, other timestamp shape).
        const copy = { ...original };
        if (random() < 0.5) copy.orders_count = ` ${String(copy.orders_count).trim()} `;
        b.rows.push(copy);
        b.exact++;
      } else {
        const copy = { ...original, lifetime_value: '999999.99', segment: 'conflict' };
        b.rows.push(copy);
        b.conflicts++;
      }
    }
  });
  return finish('customers', b, (row) => String(row.customer_id).trim(), (row) => Number(parseTs(String(row.updated_at))));
}

export interface PurchaseOptions {
  readonly rows: number;
  readonly customers: number;
  readonly products: number;
  readonly seed: number;
  readonly days?: number;
}

export function generatePurchases(options: PurchaseOptions): GeneratedFile {
  const random = prng(options.seed);
  const b = newBuilder();
  const days = options.days ?? 31;
  const used = new Set<string>();
  for (let i = 0; i < options.rows; i++) {
    const n = 1 + Math.floor(random() * options.customers);
    const product = 1 + Math.floor(random() * options.products);
    let t: number;
    let key: string;
    do {
      t = JAN_1_2026 + Math.floor((random() * days * DAY_MS) / 1000) * 1000;
      key = `${customerId(n)}|${product}|${t}`;
    } while (used.has(key));
    used.add(key);
    const card = `4${pad(Math.floor(random() * 1e7), 7)}${pad(Math.floor(random() * 1e8), 8)}`;
    const row: RawRow = {
      customer_id: customerId(n),
      product_id: product,
      purchased_at: random() < 0.5 ? t : new Date(t).toISOString(),
      quantity: 1 + Math.floor(random() * 5),
      amount: Math.round(random() * 30000) / 100,
      currency: pick(random, ['EUR', 'USD', 'GBP']),
      channel: pick(random, ['web', 'app', 'store']),
      coupon_code: random() < 0.7 ? null : `SAVE${Math.floor(random() * 90 + 10)}`,
      card_number: card,
      gift: random() < 0.1,
    };
    b.pii.add(card);
    if (i % 29 === 28) {
      const kind = i % 3;
      const fields: string[] = [];
      if (kind === 0) {
        row.quantity = 0;
        fields.push('quantity');
      } else if (kind === 1) {
        row.currency = 'DOGE';
        row.coupon_code = 'lower-case!';
        fields.push('currency', 'coupon_code');
      } else {
        row.product_id = 'abc';
        fields.push('product_id');
      }
      b.rejections.push({ index: b.rows.length, fields });
      b.rows.push(row);
      continue;
    }
    b.validIndexes.push(b.rows.length);
    b.rows.push(row);
    if (i % 41 === 40) {
      b.rows.push({ ...b.rows[b.validIndexes[Math.floor(random() * b.validIndexes.length)]] });
      b.exact++;
    }
  }
  return finish(
    'purchases',
    b,
    (row) => `${String(row.customer_id).trim()}|${Number(row.product_id)}`,
    (row) => parseTs(String(row.purchased_at)),
  );
}

export function generateProducts(options: { products: number; seed: number; asOfDay: number }): GeneratedFile {
  const random = prng(options.seed);
  const b = newBuilder();
  for (let p = 1; p <= options.products; p++) {
    const row: RawRow = {
      product_id: p,
      as_of: new Date(JAN_1_2026 + options.asOfDay * DAY_MS + p * 1000).toISOString(),
      title: `Product ${p}`,
      category: pick(random, ['books', 'electronics', 'garden', 'toys', 'fashion']),
      price: Math.round(random() * 100000) / 100,
      in_stock: random() < 0.8,
      rating: random() < 0.2 ? null : Math.round(random() * 50) / 10,
      launched_at: JAN_1_2026 - p * DAY_MS,
    };
    if (p % 50 === 0) {
      row.rating = 7.5;
      b.rejections.push({ index: b.rows.length, fields: ['rating'] });
      b.rows.push(row);
      continue;
    }
    b.validIndexes.push(b.rows.length);
    b.rows.push(row);
  }
  return finish('products', b, (row) => String(row.product_id), (row) => parseTs(String(row.as_of)));
}

function parseTs(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const withZone = /[zZ]|[+-]\d{2}:\d{2}$/.test(t) ? t : `${t.replace(' ', 'T')}Z`;
  return Date.parse(withZone.replace(' ', 'T'));
}

function finish(group: string, b: Builder, keyOf: (row: RawRow) => string, timeOf: (row: RawRow) => number): GeneratedFile {
  const columns = Object.keys(b.rows[0]);
  const latest = new Map<string, number>();
  const seen = new Set<string>();
  const rejected = new Set(b.rejections.map((r) => r.index));
  b.rows.forEach((row, index) => {
    if (rejected.has(index)) return;
    const key = keyOf(row);
    const t = timeOf(row);
    const id = `${key}\u0000${t}`;
    if (seen.has(id)) return;
    seen.add(id);
    const current = latest.get(key);
    if (current === undefined || t > timeOf(b.rows[current])) latest.set(key, index);
  });
  const duplicates = b.exact + b.conflicts;
  return {
    group,
    columns,
    rows: b.rows,
    expected: {
      input: b.rows.length,
      valid: b.rows.length - b.rejections.length - duplicates,
      rejected: b.rejections.length,
      duplicatesExact: b.exact,
      duplicatesEntityEventTime: b.conflicts,
      rejections: b.rejections,
      latest,
    },
    pii: [...b.pii].filter((v) => v.length >= 6),
  };
}

/** RFC 4180 CSV with a header row (null → empty cell). */
export function toCsv(file: Pick<GeneratedFile, 'columns' | 'rows'>): string {
  const cell = (v: Cell): string => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${file.columns.join(',')}\n${file.rows.map((r) => file.columns.map((c) => cell(r[c] ?? null)).join(',')).join('\n')}\n`;
}

/** JSON Lines (one object per row). */
export function toJsonl(file: Pick<GeneratedFile, 'rows'>): string {
  return `${file.rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
}

export function gzip(text: string): Buffer {
  return gzipSync(Buffer.from(text, 'utf8'));
}
