/**
 * Per-key admission: requests/min and tokens/min token buckets and the optional total token budget.
 * State is kept per key alias across keys.json reloads (limits are resized, usage is kept). Tokens
 * are known only when a response ends, so they are debited afterwards (a bucket may go negative and
 * then blocks until refilled); admission needs at least one token available.
 */
import type { GatewayKey } from '../../gateway-config';
import { TokenBucket } from './token-bucket';

const MINUTE_MS = 60_000;

export type LimitKind = 'requests' | 'tokens' | 'budget';

export interface Admission {
  readonly ok: boolean;
  /** Which limit refused the request (when `ok` is false). */
  readonly limit?: LimitKind;
  /** Seconds to wait (when refused by a rate limit). */
  readonly retryAfterSeconds?: number;
  /**
   * `x-ratelimit-*` response headers as a flat `[name, value, name, value, …]` list, the form
   * `ServerResponse.writeHead` takes without building an object per response.
   */
  readonly headers: readonly string[];
}

interface KeyState {
  readonly requests: TokenBucket;
  readonly tokens: TokenBucket;
  used: number;
}

export class KeyLimits {
  private readonly states = new Map<string, KeyState>();

  /** Checks and takes one request for `key`. */
  admit(key: GatewayKey, now: number): Admission {
    const state = this.state(key, now);
    if (key.tokenBudget !== undefined && state.used >= key.tokenBudget) {
      return { ok: false, limit: 'budget', headers: this.headers(key, state, now) };
    }
    if (state.tokens.available(now) < 1) {
      return { ok: false, limit: 'tokens', retryAfterSeconds: seconds(state.tokens.msUntil(1, now)), headers: this.headers(key, state, now) };
    }
    if (!state.requests.tryTake(1, now)) {
      return { ok: false, limit: 'requests', retryAfterSeconds: seconds(state.requests.msUntil(1, now)), headers: this.headers(key, state, now) };
    }
    return { ok: true, headers: this.headers(key, state, now) };
  }

  /** Records the tokens a finished request used. */
  record(key: GatewayKey, tokens: number, now: number): void {
    if (tokens <= 0) return;
    const state = this.state(key, now);
    state.tokens.debit(tokens, now);
    state.used += tokens;
  }

  /** Tokens used by `alias` since the gateway started. */
  used(alias: string): number {
    return this.states.get(alias)?.used ?? 0;
  }

  /** Drops state of aliases no longer present (keys reloaded). */
  retain(aliases: ReadonlySet<string>): void {
    for (const alias of this.states.keys()) if (!aliases.has(alias)) this.states.delete(alias);
  }

  private state(key: GatewayKey, now: number): KeyState {
    let state = this.states.get(key.alias);
    if (!state) {
      state = { requests: new TokenBucket(key.requestsPerMinute, MINUTE_MS, now), tokens: new TokenBucket(key.tokensPerMinute, MINUTE_MS, now), used: 0 };
      this.states.set(key.alias, state);
    } else {
      if (state.requests.limit !== key.requestsPerMinute) state.requests.resize(key.requestsPerMinute, now);
      if (state.tokens.limit !== key.tokensPerMinute) state.tokens.resize(key.tokensPerMinute, now);
    }
    return state;
  }

  private headers(key: GatewayKey, state: KeyState, now: number): string[] {
    return [
      'x-ratelimit-limit-requests',
      String(key.requestsPerMinute),
      'x-ratelimit-remaining-requests',
      String(Math.max(0, Math.floor(state.requests.available(now)))),
      'x-ratelimit-limit-tokens',
      String(key.tokensPerMinute),
      'x-ratelimit-remaining-tokens',
      String(Math.max(0, Math.floor(state.tokens.available(now)))),
    ];
  }
}

function seconds(ms: number): number {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 60;
}
