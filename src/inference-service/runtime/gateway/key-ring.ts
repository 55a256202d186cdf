/**
 * API key authentication. `keys.json` holds only sha256 hashes; the bearer key is hashed and the
 * hash compared with `crypto.timingSafeEqual` against the stored one. The map lookup by hash reveals
 * nothing about the key (an attacker would need a sha256 preimage), and the final comparison is
 * constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayKey, GatewayKeys } from '../../gateway-config';

/** Authenticated bearer keys remembered per ring (keys.json reload = new ring = empty cache). */
const AUTHENTICATED_CACHE_SIZE = 1024;

export class KeyRing {
  private readonly byHash = new Map<string, { readonly key: GatewayKey; readonly hash: Buffer }>();
  /**
   * Bearer keys that authenticated → their key, so a known key is hashed once, not per request. Only
   * keys that passed the hash comparison enter it (an unknown key always takes the sha256 +
   * `timingSafeEqual` path, so a caller cannot fill it); bounded (cleared when full).
   */
  private readonly authenticated = new Map<string, GatewayKey>();

  constructor(keys: GatewayKeys) {
    for (const key of keys.keys) this.byHash.set(key.sha256, { key, hash: Buffer.from(key.sha256, 'hex') });
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The key for an `Authorization` header value (`Bearer <key>`), or undefined. */
  authenticate(authorization: string | undefined): GatewayKey | undefined {
    const presented = bearerToken(authorization);
    if (presented === undefined) return undefined;
    const known = this.authenticated.get(presented);
    if (known) return known;
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    const entry = this.byHash.get(digest.toString('hex'));
    if (!entry || !timingSafeEqual(digest, entry.hash)) return undefined;
    if (this.authenticated.size >= AUTHENTICATED_CACHE_SIZE) this.authenticated.clear();
    this.authenticated.set(presented, entry.key);
    return entry.key;
  }
}

/** The key of `Bearer <key>` (scheme case-insensitive), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  // Common shape first (`Bearer <key>`, one space, no trailing blanks), without a regex.
  if (authorization.length > 7 && authorization.length <= 519 && authorization.startsWith('Bearer ') && isVisibleAscii(authorization, 7)) return authorization.slice(7);
  const match = /^Bearer[ ]+(\S{1,512})\s*$/i.exec(authorization);
  return match ? match[1] : undefined;
}

/** Lowercase hex sha256 of an API key: what `keys.json` stores. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True when every character from `from` on is printable ASCII other than space (a `\S` subset). */
function isVisibleAscii(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
