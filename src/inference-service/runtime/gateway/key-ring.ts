/**
 * API key authentication. `keys.json` holds only sha256 hashes; the bearer key is hashed and the
 * hash compared with `crypto.timingSafeEqual` against the stored one. The map lookup by hash reveals
 * nothing about the key (an attacker would need a sha256 preimage), and the final comparison is
 * constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayKey, GatewayKeys } from '../../gateway-config';

export class KeyRing {
  private readonly byHash = new Map<string, { readonly key: GatewayKey; readonly hash: Buffer }>();

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
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    const entry = this.byHash.get(digest.toString('hex'));
    if (!entry) return undefined;
    return timingSafeEqual(digest, entry.hash) ? entry.key : undefined;
  }
}

/** The key of `Bearer <key>` (scheme case-insensitive), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ ]+(\S{1,512})\s*$/i.exec(authorization);
  return match ? match[1] : undefined;
}

/** Lowercase hex sha256 of an API key: what `keys.json` stores. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
