/**
 * Canonical JSON and hashing helpers: the basis of schema hashes, ingest ids and dataset version
 * ids. Canonical JSON = `JSON.stringify` with object keys sorted (recursively), `undefined` members
 * left out, and non-finite numbers refused, so equal values always hash equally.
 */
import { createHash } from 'node:crypto';

/** Serialises `value` with sorted object keys; throws on non-finite numbers, functions, bigints. */
export function canonicalJson(value: unknown): string {
  return write(value);
}

function write(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('canonical JSON cannot represent a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : write(v))).join(',')}]`;
      const entries = Object.keys(value as object)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${write((value as Record<string, unknown>)[k])}`);
      return `{${entries.join(',')}}`;
    }
    default:
      throw new Error(`canonical JSON cannot represent a ${typeof value}`);
  }
}

/**
 * Whether `value` nests arrays/objects more than `limit` levels deep — checked iteratively, so a
 * hostile 10,000-level document cannot overflow the stack here (the edge refuses it before
 * anything recursive such as `canonicalJson` sees it).
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Lower-case hex SHA-256 of a UTF-8 string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** 64 lower-case hex characters. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
