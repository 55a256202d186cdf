import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayConfigSchema, GatewayKeysSchema } from '../../src/inference-service/gateway-config';
import { CircuitBreaker } from '../../src/inference-service/runtime/gateway/circuit-breaker';
import { diffGatewayConfig } from '../../src/inference-service/runtime/gateway/config-diff';
import { JsonUsageScanner } from '../../src/inference-service/runtime/gateway/json-usage-scanner';
import { KeyLimits } from '../../src/inference-service/runtime/gateway/key-limits';
import { KeyRing, bearerToken, hashApiKey } from '../../src/inference-service/runtime/gateway/key-ring';
import { redactPii } from '../../src/inference-service/runtime/gateway/pii-redaction';
import { validateRequestBody } from '../../src/inference-service/runtime/gateway/request-schemas';
import { SseUsageFilter } from '../../src/inference-service/runtime/gateway/sse-usage-filter';
import { stickyHash } from '../../src/inference-service/runtime/gateway/sticky-hash';
import { TokenBucket } from '../../src/inference-service/runtime/gateway/token-bucket';
import { pickWeighted, planAttempts } from '../../src/inference-service/runtime/gateway/variant-router';

const config = (overrides: Record<string, unknown> = {}) =>
  GatewayConfigSchema.parse({
    model: 'assistant',
    variants: [
      { name: 'a', upstream: 'http://a:8000', upstreamModel: 'model-a', weight: 70 },
      { name: 'b', upstream: 'http://b:8000', upstreamModel: 'model-b', weight: 30 },
      { name: 'shadow', upstream: 'http://s:8000', upstreamModel: 'model-s', weight: 0, shadowPercent: 10 },
      { name: 'fb', upstream: 'http://fb:8000', upstreamModel: 'model-fb', weight: 0 },
    ],
    fallbackVariant: 'fb',
    ...overrides,
  });

describe('stickyHash', () => {
  it('is deterministic, in [0, 1), and never contains the raw id', () => {
    const h = stickyHash('alice@example.com');
    expect(stickyHash('alice@example.com')).toEqual(h);
    expect(h.point).toBeGreaterThanOrEqual(0);
    expect(h.point).toBeLessThan(1);
    expect(h.hex).toMatch(/^[0-9a-f]{16}$/);
    expect(stickyHash('bob').hex).not.toBe(h.hex);
  });
});

describe('pickWeighted', () => {
  const variants = [
    { name: 'a', weight: 70 },
    { name: 'z', weight: 0 },
    { name: 'b', weight: 30 },
  ];
  it('maps cumulative ranges in config order and skips zero weights', () => {
    expect(pickWeighted(variants, 0)?.name).toBe('a');
    expect(pickWeighted(variants, 0.6999)?.name).toBe('a');
    expect(pickWeighted(variants, 0.7)?.name).toBe('b');
    expect(pickWeighted(variants, 0.99999)?.name).toBe('b');
    expect(pickWeighted(variants, 1)?.name).toBe('b');
    expect(pickWeighted([{ weight: 0 }], 0.5)).toBeUndefined();
  });
  it('splits uniformly distributed points in proportion to the weights (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 6 }), (weights) => {
        fc.pre(weights.some((w) => w > 0));
        const vs = weights.map((weight, i) => ({ name: `v${i}`, weight }));
        const total = weights.reduce((a, b) => a + b, 0);
        const counts = new Map<string, number>();
        const n = 2000;
        for (let i = 0; i < n; i++) {
          const v = pickWeighted(vs, (i + 0.5) / n)!;
          counts.set(v.name, (counts.get(v.name) ?? 0) + 1);
        }
        vs.forEach((v) => expect(Math.abs((counts.get(v.name) ?? 0) / n - v.weight / total)).toBeLessThanOrEqual(1.5 / n));
      }),
      { numRuns: 50 },
    );
  });
  it('moves only the users in the changed range when weights change', () => {
    const before = [
      { name: 'a', weight: 50 },
      { name: 'b', weight: 50 },
    ];
    const after = [
      { name: 'a', weight: 60 },
      { name: 'b', weight: 40 },
    ];
    for (let i = 0; i < 500; i++) {
      const p = stickyHash(`user-${i}`).point;
      if (pickWeighted(before, p)?.name === 'a') expect(pickWeighted(after, p)?.name).toBe('a');
    }
  });
});

describe('planAttempts', () => {
  it('tries the sticky pick, then the other live variants, then the fallback; never shadows', () => {
    expect(planAttempts(config(), 0.1).map((v) => v.name)).toEqual(['a', 'b', 'fb']);
    expect(planAttempts(config(), 0.9).map((v) => v.name)).toEqual(['b', 'a', 'fb']);
  });
  it('with an override, tries only that variant', () => {
    expect(planAttempts(config(), 0.1, 'b').map((v) => v.name)).toEqual(['b']);
    expect(planAttempts(config(), 0.1, 'nope')).toEqual([]);
  });
});

describe('TokenBucket', () => {
  it('takes, refills continuously and reports the wait', () => {
    const b = new TokenBucket(60, 60_000, 0);
    for (let i = 0; i < 60; i++) expect(b.tryTake(1, 0)).toBe(true);
    expect(b.tryTake(1, 0)).toBe(false);
    expect(b.msUntil(1, 0)).toBe(1000);
    expect(b.tryTake(1, 999)).toBe(false);
    expect(b.tryTake(1, 1000)).toBe(true);
    expect(b.available(1_000_000)).toBe(60);
  });
  it('can go into debt and clamps on resize', () => {
    const b = new TokenBucket(100, 60_000, 0);
    b.debit(150, 0);
    expect(b.available(0)).toBe(-50);
    expect(b.msUntil(1, 0)).toBe(Math.ceil((51 * 60_000) / 100));
    expect(b.msUntil(101, 0)).toBe(Number.POSITIVE_INFINITY);
    const c = new TokenBucket(100, 60_000, 0);
    c.resize(10, 0);
    expect(c.available(0)).toBe(10);
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, lets one half-open probe through, closes on success', () => {
    const states: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 3, openMs: 1000 }, (s) => states.push(s));
    b.onFailure(0);
    b.onFailure(0);
    b.onSuccess();
    b.onFailure(0);
    b.onFailure(0);
    expect(b.state).toBe('closed');
    b.onFailure(10);
    expect(b.state).toBe('open');
    expect(b.tryAcquire(500)).toBe(false);
    expect(b.tryAcquire(1010)).toBe(true);
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire(1011)).toBe(false);
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });
  it('reopens when the probe fails, and frees the probe slot when it is abandoned', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 100 });
    b.onFailure(0);
    expect(b.tryAcquire(100)).toBe(true);
    b.onFailure(100);
    expect(b.state).toBe('open');
    expect(b.tryAcquire(150)).toBe(false);
    expect(b.tryAcquire(200)).toBe(true);
    b.onAbandon();
    expect(b.tryAcquire(201)).toBe(true);
  });
});

const sse = (...events: unknown[]): string => events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`).join('');
const chunk = (content: string) => ({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }], usage: null });
const usageChunk = { id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 } };

describe('SseUsageFilter', () => {
  const stream = sse(chunk('Hel'), chunk('lo'), usageChunk, '[DONE]');

  it('strips the usage-only chunk and reads usage, whatever the chunk boundaries (property)', () => {
    const expected = sse(chunk('Hel'), chunk('lo'), '[DONE]');
    const bytes = Buffer.from(stream);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), (cuts) => {
        const points = [0, ...cuts.sort((x, y) => x - y), bytes.length];
        const f = new SseUsageFilter({ stripUsageChunk: true, captureTextChars: 100 });
        let out = '';
        for (let i = 0; i < points.length - 1; i++) out += f.push(bytes.subarray(points[i], points[i + 1])).toString();
        out += f.flush().toString();
        expect(out).toBe(expected);
        expect(f.usage).toEqual({ input: 12, output: 34 });
        expect(f.text).toBe('Hello');
      }),
      { numRuns: 100 },
    );
  });
  it('passes chunks through unchanged when the client asked for usage', () => {
    const f = new SseUsageFilter({ stripUsageChunk: false });
    const a = Buffer.from(stream.slice(0, 37));
    const b = Buffer.from(stream.slice(37));
    expect(f.push(a)).toBe(a);
    expect(f.push(b)).toBe(b);
    expect(f.flush().length).toBe(0);
    expect(f.usage).toEqual({ input: 12, output: 34 });
  });
  it('handles CRLF event separators and multi-byte characters split across chunks', () => {
    const text = `data: ${JSON.stringify(chunk('héllo ✓'))}\r\n\r\ndata: ${JSON.stringify(usageChunk)}\r\n\r\n`;
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('✓')) + 1;
    const f = new SseUsageFilter({ stripUsageChunk: true, captureTextChars: 50 });
    const out = Buffer.concat([f.push(bytes.subarray(0, cut)), f.push(bytes.subarray(cut)), f.flush()]).toString();
    expect(out).toBe(`data: ${JSON.stringify(chunk('héllo ✓'))}\r\n\r\n`);
    expect(f.text).toBe('héllo ✓');
    expect(f.usage).toEqual({ input: 12, output: 34 });
  });
});

describe('JsonUsageScanner', () => {
  const body = JSON.stringify({
    id: 'x',
    choices: [{ message: { content: 'the word "usage":{"prompt_tokens":999} in text \\" tricky' }, extra: { usage: { prompt_tokens: 5 } } }],
    usage: { prompt_tokens: 21, completion_tokens: 8, total_tokens: 29, details: { cached: [1, 2] } },
  });
  it('finds the top-level usage only, across arbitrary chunk boundaries (property)', () => {
    const bytes = Buffer.from(body);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 10 }), (cuts) => {
        const points = [0, ...cuts.sort((x, y) => x - y), bytes.length];
        const s = new JsonUsageScanner({ captureBodyBytes: 10_000 });
        for (let i = 0; i < points.length - 1; i++) s.push(bytes.subarray(points[i], points[i + 1]));
        expect(s.usage).toEqual({ input: 21, output: 8 });
        expect(s.text()).toContain('tricky');
      }),
      { numRuns: 100 },
    );
  });
  it('reads embeddings usage (no completion tokens) and reports none when absent', () => {
    const s = new JsonUsageScanner();
    s.push(Buffer.from('{"data":[{"embedding":[0.1,0.2]}],"usage":{"prompt_tokens":4,"total_tokens":4}}'));
    expect(s.usage).toEqual({ input: 4, output: 0 });
    const t = new JsonUsageScanner();
    t.push(Buffer.from('{"error":{"message":"x"}}'));
    expect(t.usage).toBeUndefined();
    expect(t.text()).toBe('');
  });
});

describe('redactPii', () => {
  it('replaces e-mails, phone numbers, card and IBAN-like numbers and keeps the rest', () => {
    const out = redactPii('Mail jane.doe+x@mail.example.co.uk or call +1 (415) 555-0100 / 030 1234567; card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00. Order 42 of 2024.');
    expect(out).toBe('Mail [EMAIL] or call [PHONE] / [PHONE]; card [CARD], IBAN [IBAN]. Order 42 of 2024.');
  });
  it('never leaves a 13-digit run or an @-address (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{13,19}$/), fc.emailAddress(), (digits, email) => {
        const out = redactPii(`x ${digits} y ${email} z`);
        expect(out).not.toMatch(/\d{7,}/);
        expect(out).not.toContain('@');
      }),
      { numRuns: 200 },
    );
  });
});

describe('diffGatewayConfig', () => {
  it('lists weight, added/removed variant and nested setting changes', () => {
    const before = config();
    const after = config({
      variants: [
        { name: 'a', upstream: 'http://a:8000', upstreamModel: 'model-a', weight: 50 },
        { name: 'c', upstream: 'http://c:8000', upstreamModel: 'model-c', weight: 50 },
      ],
      fallbackVariant: undefined,
      resilience: { maxRetries: 4 },
    });
    expect(diffGatewayConfig(before, after)).toEqual([
      'fallbackVariant: "fb" -> (unset)',
      'resilience.maxRetries: 2 -> 4',
      'variant a: weight 70 -> 50',
      'variant b: removed',
      'variant shadow: removed',
      'variant fb: removed',
      'variant c: added',
    ]);
    expect(diffGatewayConfig(before, config())).toEqual([]);
  });
});

describe('validateRequestBody', () => {
  it('names the missing or invalid field', () => {
    expect(validateRequestBody('chat', { model: 'm' })).toEqual({ ok: false, param: 'messages', message: 'messages: Required' });
    expect(validateRequestBody('chat', { model: 'm', messages: [{ content: 'x' }] })).toMatchObject({ ok: false, message: 'messages[0].role: Required' });
    expect(validateRequestBody('embeddings', { model: 'm', input: 5 })).toMatchObject({ ok: false, param: 'input' });
    expect(validateRequestBody('completions', [])).toMatchObject({ ok: false, param: '(body)' });
  });
  it('keeps unknown fields for the upstream', () => {
    const r = validateRequestBody('chat', { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, seed: 1 });
    expect(r).toEqual({ ok: true, body: { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, seed: 1 } });
  });
});

describe('KeyRing', () => {
  const keys = GatewayKeysSchema.parse({ keys: [{ alias: 'team-a', sha256: hashApiKey('sk-secret-a') }] });
  it('authenticates by sha256 of the bearer key', () => {
    const ring = new KeyRing(keys);
    expect(ring.authenticate('Bearer sk-secret-a')?.alias).toBe('team-a');
    expect(ring.authenticate('bearer sk-secret-a')?.alias).toBe('team-a');
    expect(ring.authenticate('Bearer sk-secret-b')).toBeUndefined();
    expect(ring.authenticate('Basic abc')).toBeUndefined();
    expect(ring.authenticate(undefined)).toBeUndefined();
    expect(bearerToken('Bearer   k ')).toBe('k');
  });
});

describe('KeyLimits', () => {
  /** `[name, value, …]` → `{ name: value }` (names are distinct). */
  const headerMap = (flat: readonly string[]): Record<string, string> => {
    expect(flat.length % 2).toBe(0);
    const map: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) map[flat[i]] = flat[i + 1];
    expect(Object.keys(map)).toHaveLength(flat.length / 2);
    return map;
  };
  const [key] = GatewayKeysSchema.parse({ keys: [{ alias: 'k', sha256: hashApiKey('x'), requestsPerMinute: 2, tokensPerMinute: 100, tokenBudget: 150 }] }).keys;
  it('limits requests per minute with headers and Retry-After', () => {
    const limits = new KeyLimits();
    expect(limits.admit(key, 0)).toEqual({
      ok: true,
      headers: ['x-ratelimit-limit-requests', '2', 'x-ratelimit-remaining-requests', '1', 'x-ratelimit-limit-tokens', '100', 'x-ratelimit-remaining-tokens', '100'],
    });
    expect(limits.admit(key, 0).ok).toBe(true);
    const refused = limits.admit(key, 0);
    expect(refused).toMatchObject({ ok: false, limit: 'requests', retryAfterSeconds: 30 });
    expect(headerMap(refused.headers)).toEqual({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-limit-tokens': '100', 'x-ratelimit-remaining-tokens': '100' });
    expect(limits.admit(key, 30_000).ok).toBe(true);
  });
  it('limits tokens per minute after usage is recorded, then the budget', () => {
    const limits = new KeyLimits();
    expect(limits.admit(key, 0).ok).toBe(true);
    limits.record(key, 120, 0);
    const refused = limits.admit(key, 0);
    expect(refused).toMatchObject({ ok: false, limit: 'tokens' });
    expect(headerMap(refused.headers)['x-ratelimit-remaining-tokens']).toBe('0');
    expect(limits.admit(key, 60_000).ok).toBe(true);
    limits.record(key, 30, 60_000);
    expect(limits.used('k')).toBe(150);
    expect(limits.admit(key, 600_000)).toMatchObject({ ok: false, limit: 'budget' });
  });
});

describe('SseUsageFilter edge cases', () => {
  it('forwards a whole chunk without copying when nothing is removed, and holds only the partial tail', () => {
    const f = new SseUsageFilter({ stripUsageChunk: true });
    const whole = Buffer.from(sse(chunk('a'), chunk('b')));
    expect(f.push(whole)).toBe(whole);
    const partial = Buffer.from(`${sse(chunk('c'))}data: {"id":`);
    expect(f.push(partial).toString()).toBe(sse(chunk('c')));
    expect(f.flush().toString()).toBe('data: {"id":');
  });
  it('treats "usage" inside text or a null usage as content, and CR-only separators as event ends', () => {
    const tricky = { id: 'c', choices: [{ index: 0, delta: { content: 'the "usage": {x} word' } }], usage: null };
    const text = `data: ${JSON.stringify(tricky)}\r\rdata: ${JSON.stringify(usageChunk)}\r\r`;
    const f = new SseUsageFilter({ stripUsageChunk: true });
    const out = Buffer.concat([f.push(Buffer.from(text)), f.flush()]).toString();
    expect(out).toBe(`data: ${JSON.stringify(tricky)}\r\r`);
    expect(f.usage).toEqual({ input: 12, output: 34 });
  });
});
