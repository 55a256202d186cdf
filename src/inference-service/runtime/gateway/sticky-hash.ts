/**
 * Sticky routing identity: the sha256 of the end user's id, as a point in [0, 1) (the variant
 * router's input) and a short hex digest (what access logs show instead of the raw user).
 */
import { createHash } from 'node:crypto';

export interface StickyHash {
  /** Uniform in [0, 1): the first 48 bits of the sha256, divided by 2^48. */
  readonly point: number;
  /** First 16 hex characters of the sha256 (64 bits): stable per user, never the raw id. */
  readonly hex: string;
}

const TWO_POW_48 = 2 ** 48;

/** Hashes `identity` (a user id, or a per-request random id when the caller names no user). */
export function stickyHash(identity: string): StickyHash {
  const digest = createHash('sha256').update(identity, 'utf8').digest();
  return { point: digest.readUIntBE(0, 6) / TWO_POW_48, hex: digest.toString('hex', 0, 8) };
}

/**
 * `stickyHash` memoised for recurring identities (end users), bounded to `maxEntries` (cleared when
 * full, so memory stays bounded whatever the callers send). Not for per-request random identities.
 */
export class StickyHashCache {
  private readonly entries = new Map<string, StickyHash>();

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(identity: string): StickyHash {
    let hash = this.entries.get(identity);
    if (!hash) {
      hash = stickyHash(identity);
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(identity, hash);
    }
    return hash;
  }
}
