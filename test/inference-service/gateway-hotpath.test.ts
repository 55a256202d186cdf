/**
 * The gateway's per-request fast paths (issue #6): each must give exactly what the general path it
 * short-cuts gives — access-log text, Prometheus output, validation verdicts, authentication,
 * sticky hashes, SSE/JSON usage reading — and the undici dispatch handler must keep the response
 * lifecycle (buffer, pipe, discard, abort, backpressure).
 */
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GatewayKeysSchema } from '../../src/inference-service/gateway-config';
import { type AccessLogEntry, IsoClock, formatAccessLine } from '../../src/inference-service/runtime/gateway/access-log';
import { FastCounter, FastHistogram, GatewayMetrics, SeriesKeyCache, seriesKey } from '../../src/inference-service/runtime/gateway/gateway-metrics';
import { JsonUsageScanner } from '../../src/inference-service/runtime/gateway/json-usage-scanner';
import { KeyRing, bearerToken, hashApiKey } from '../../src/inference-service/runtime/gateway/key-ring';
import { RequestAbort } from '../../src/inference-service/runtime/gateway/request-abort';
import { ROUTE_SCHEMAS, type GatewayRoute, acceptsQuickly, validateRequestBody } from '../../src/inference-service/runtime/gateway/request-schemas';
import { SseUsageFilter } from '../../src/inference-service/runtime/gateway/sse-usage-filter';
import { StickyHashCache, stickyHash } from '../../src/inference-service/runtime/gateway/sticky-hash';
import { EXCHANGE_HOLD_BYTES, type ExchangeSink, UpstreamExchange } from '../../src/inference-service/runtime/gateway/upstream-exchange';

const entry = (overrides: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  requestId: 'req-1',
  keyAlias: 'team-a',
  team: 'search',
  variant: 'a',
  model: 'assistant',
  route: 'chat',
  status: 200,
  errorCode: null,
  stream: true,
  attempts: 1,
  latencyMs: 812.4,
  ttftMs: 95.1,
  usageInput: 11,
  usageOutput: 7,
  costUsd: 0.000025,
  userHash: '3f1c00aa11bb22cc',
  ...overrides,
});

const viaStringify = (e: AccessLogEntry, timestamp: string): string =>
  JSON.stringify({ level: 'INFO', message: 'access', timestamp, service: 'inference-gateway', ...e });

describe('formatAccessLine', () => {
  it('is the JSON.stringify line, field for field (nulls, omitted prompt/completion, escapes)', () => {
    const ts = '2026-01-01T00:00:00.000Z';
    for (const e of [
      entry(),
      entry({ keyAlias: null, team: null, variant: null, model: null, errorCode: 'invalid_api_key', status: 401, attempts: 0, ttftMs: null, usageInput: null, usageOutput: null, costUsd: null, userHash: null, stream: false }),
      entry({ prompt: 'user: "hi"\n\u2028 \\ ✓', completion: 'a\tb\u0001' }),
      entry({ model: 'm"odel\\', costUsd: 1e-9, latencyMs: 0 }),
    ]) {
      expect(formatAccessLine(e, ts)).toBe(viaStringify(e, ts));
      expect(JSON.parse(formatAccessLine(e, ts))).toEqual(JSON.parse(viaStringify(e, ts)));
    }
  });
  it('matches for arbitrary strings and numbers (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string()), fc.double(), fc.option(fc.integer()), fc.option(fc.string(), { nil: undefined }), (id, alias, latency, input, prompt) => {
        const e = entry({ requestId: id, keyAlias: alias, latencyMs: latency, usageInput: input, prompt });
        expect(formatAccessLine(e, 'T')).toBe(viaStringify(e, 'T'));
      }),
    );
  });
  it('IsoClock formats once per millisecond', () => {
    let now = 1_767_225_600_000;
    const clock = new IsoClock(() => now);
    expect(clock.now()).toBe('2026-01-01T00:00:00.000Z');
    now += 1;
    expect(clock.now()).toBe('2026-01-01T00:00:00.001Z');
    expect(clock.now()).toBe(new Date(now).toISOString());
  });
  it('IsoClock is toISOString for any time, across second boundaries and fractional clocks (property)', () => {
    let now = 0;
    const clock = new IsoClock(() => now);
    const time = fc.oneof(fc.integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 }), fc.double({ min: 0, max: 4e12, noNaN: true }), fc.integer({ min: 1_767_225_599_990, max: 1_767_225_600_010 }));
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 8 }), (times) => {
        for (const t of times) {
          now = t;
          expect(clock.now()).toBe(new Date(t).toISOString());
        }
      }),
      { numRuns: 2000, seed: 6 },
    );
  });
});

describe('FastCounter / FastHistogram', () => {
  const make = () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['variant', 'code'] as const, registers: [registry] });
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['variant', 'route'] as const, buckets: [0.01, 0.1, 1], registers: [registry] });
    return { registry, counter, histogram };
  };
  it('renders exactly what prom-client renders for the same updates, and survives reset()', async () => {
    const slow = make();
    const fast = make();
    const fc1 = new FastCounter(fast.counter);
    const fh = new FastHistogram(fast.histogram);
    const values = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2, 0];
    for (let i = 0; i < 40; i++) {
      const labels = { variant: i % 3 === 0 ? 'a' : 'b', code: String(200 + (i % 2)) };
      slow.counter.inc(labels, i % 5);
      fc1.inc(labels, i % 5);
      const h = { variant: labels.variant, route: i % 4 === 0 ? 'chat' : 'embeddings' };
      slow.histogram.observe(h, values[i % values.length]);
      fh.observe(h, values[i % values.length]);
    }
    expect(await fast.registry.metrics()).toBe(await slow.registry.metrics());
    fast.histogram.reset();
    slow.histogram.reset();
    fh.observe({ variant: 'a', route: 'chat' }, 0.2);
    slow.histogram.observe({ variant: 'a', route: 'chat' }, 0.2);
    expect(await fast.registry.metrics()).toBe(await slow.registry.metrics());
  });
  it('keys series the way prom-client does, and rejects what prom-client rejects', () => {
    const { counter, histogram } = make();
    counter.inc({ variant: 'a', code: '200' });
    expect(Object.keys((counter as unknown as { hashMap: object }).hashMap)).toEqual([seriesKey(['code', 'variant'], { variant: 'a', code: '200' })]);
    expect(() => new FastCounter(counter).inc({ variant: 'a', code: '200' }, -1)).toThrow();
    expect(() => new FastHistogram(histogram).observe({ variant: 'a', route: 'x' }, Number.NaN)).toThrow();
  });
  it('SeriesKeyCache gives seriesKey for any labels, from few or many combinations', () => {
    const names = ['code', 'key', 'variant'];
    const value = fc.oneof(fc.constantFrom('a', 'b', '200', 'x:y,'), fc.constantFrom(200, 0), fc.constant(undefined));
    const labels = fc.record({ code: value, key: value, variant: value, other: value });
    const cache = new SeriesKeyCache(names);
    fc.assert(
      fc.property(labels, (l) => {
        expect(cache.key(l)).toBe(seriesKey(names, l));
        expect(cache.key(l)).toBe(seriesKey(names, l)); // the memoised leaf
      }),
      { numRuns: 2000, seed: 6 },
    );
    // Past its limit the cache starts over instead of growing; keys stay right.
    const big = new SeriesKeyCache(['n']);
    for (let i = 0; i < 25_000; i++) expect(big.key({ n: String(i) })).toBe(`n:${i},`);
    expect(big.size).toBe(25_000 % 10_000);
    expect(big.key({ n: '7' })).toBe('n:7,');
    expect(new SeriesKeyCache([]).key({ a: '1' })).toBe('');
  });
  it('GatewayMetrics reads in-flight requests at scrape time', async () => {
    const m = new GatewayMetrics();
    let n = 3;
    m.readInFlightFrom(() => n);
    expect((await m.render()).body).toMatch(/gaiops_gateway_in_flight_requests 3\n/);
    n = 0;
    expect((await m.render()).body).toMatch(/gaiops_gateway_in_flight_requests 0\n/);
  });
});

describe('acceptsQuickly', () => {
  const valid: Array<[GatewayRoute, unknown]> = [
    ['chat', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }],
    ['chat', { model: 'm', messages: [{ role: 'user' }], stream: null, stream_options: null, user: 'u', extra: [1] }],
    ['chat', { model: 'm', messages: [{ role: 'system', content: [] }], stream: true, stream_options: { include_usage: false, other: 1 } }],
    ['completions', { model: 'm', prompt: 'x' }],
    ['completions', { model: 'm', prompt: [] }],
    ['completions', { model: 'm', prompt: [1, 2] }],
    ['completions', { model: 'm', prompt: [[1], []] }],
    ['completions', { model: 'm', prompt: ['a', 'b'], stream: false }],
    ['embeddings', { model: 'm', input: 'x', stream: 'whatever' }],
    ['embeddings', { model: 'm', input: [[]] }],
  ];
  const invalid: Array<[GatewayRoute, unknown]> = [
    ['chat', []],
    ['chat', null],
    ['chat', { model: '', messages: [{ role: 'user' }] }],
    ['chat', { model: 'm', messages: [] }],
    ['chat', { model: 'm', messages: [{ role: '' }] }],
    ['chat', { model: 'm', messages: [[]] }],
    ['chat', { model: 'm', messages: [{ role: 'user' }], user: null }],
    ['chat', { model: 'm', messages: [{ role: 'user' }], stream: 'yes' }],
    ['chat', { model: 'm', messages: [{ role: 'user' }], stream_options: [] }],
    ['chat', { model: 'm', messages: [{ role: 'user' }], stream_options: { include_usage: 1 } }],
    ['completions', { model: 'm', prompt: [1.5] }],
    ['completions', { model: 'm', prompt: ['a', 1] }],
    ['completions', { model: 'm' }],
    ['embeddings', { model: 'm', input: [] }],
    ['embeddings', { model: 'm', input: 5 }],
  ];
  it('accepts only bodies zod accepts; what it refuses, zod judges (and names the field)', () => {
    for (const [route, body] of valid) {
      expect(acceptsQuickly(route, body)).toBe(true);
      expect(ROUTE_SCHEMAS[route].safeParse(body).success).toBe(true);
      expect(validateRequestBody(route, body)).toEqual({ ok: true, body });
    }
    for (const [route, body] of invalid) {
      expect(acceptsQuickly(route, body)).toBe(false);
      expect(validateRequestBody(route, body).ok).toBe(ROUTE_SCHEMAS[route].safeParse(body).success);
    }
    expect(validateRequestBody('chat', { model: 'm', messages: [{ role: 'user' }], user: null })).toMatchObject({ ok: false, param: 'user' });
  });
  it('never accepts a body zod refuses (property)', () => {
    const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.array(fc.array(fc.integer(), { maxLength: 2 }), { maxLength: 2 }), fc.dictionary(fc.constantFrom('role', 'include_usage', 'x'), scalar));
    const body = fc.record(
      { model: value, messages: fc.oneof(value, fc.array(fc.dictionary(fc.constantFrom('role', 'content'), scalar), { maxLength: 3 })), prompt: value, input: value, stream: value, stream_options: value, user: value },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.constantFrom<GatewayRoute>('chat', 'completions', 'embeddings'), body, (route, b) => {
        if (acceptsQuickly(route, b)) expect(ROUTE_SCHEMAS[route].safeParse(b).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('KeyRing cache and bearerToken', () => {
  const keys = GatewayKeysSchema.parse({ keys: [{ alias: 'team-a', sha256: hashApiKey('sk-secret-a') }] });
  it('answers repeated keys from the cache, never caches unknown keys, and a new ring starts empty', () => {
    const ring = new KeyRing(keys);
    for (let i = 0; i < 3; i++) expect(ring.authenticate('Bearer sk-secret-a')?.alias).toBe('team-a');
    for (let i = 0; i < 3; i++) expect(ring.authenticate('Bearer sk-secret-b')).toBeUndefined();
    const cache = (ring as unknown as { authenticated: Map<string, unknown> }).authenticated;
    expect([...cache.keys()]).toEqual(['sk-secret-a']);
    const reloaded = new KeyRing(GatewayKeysSchema.parse({ keys: [{ alias: 'team-b', sha256: hashApiKey('sk-secret-b') }] }));
    expect(reloaded.authenticate('Bearer sk-secret-a')).toBeUndefined();
    expect(reloaded.authenticate('Bearer sk-secret-b')?.alias).toBe('team-b');
  });
  it('the regex-free common case agrees with the general rule (property)', () => {
    const general = (h: string): string | undefined => /^Bearer[ ]+(\S{1,512})\s*$/i.exec(h)?.[1];
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.string({ maxLength: 600 }).map((s) => `Bearer ${s}`), fc.constantFrom('Bearer ', 'Bearer  x', 'bearer x', 'Bearer x ', `Bearer ${'k'.repeat(512)}`, `Bearer ${'k'.repeat(513)}`, 'Bearer é')), (h) => {
        expect(bearerToken(h)).toBe(general(h));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('StickyHashCache', () => {
  it('gives stickyHash, and stays bounded', () => {
    const cache = new StickyHashCache(3);
    for (const id of ['a', 'b', 'a', 'c', 'd', 'e', 'a']) expect(cache.get(id)).toEqual(stickyHash(id));
    expect(cache.size).toBeLessThanOrEqual(3);
  });
});

describe('RequestAbort', () => {
  it('calls listeners once, supports removal, and keeps the reason', () => {
    const a = new RequestAbort();
    const calls: string[] = [];
    const one = (): void => void calls.push('one');
    const two = (): void => void calls.push('two');
    a.once('abort', one).on('abort', two).on('other', one);
    a.removeListener('abort', two);
    const reason = new Error('x');
    a.abort(reason);
    a.abort(new Error('again'));
    expect(calls).toEqual(['one']);
    expect(a.aborted).toBe(true);
    expect(a.reason).toBe(reason);
  });
});

describe('SseUsageFilter fast path', () => {
  const chunk = (text: string): unknown => ({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text } }], usage: null });
  const usage = { id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } };
  const events = (...items: unknown[]): string => items.map((i) => `data: ${typeof i === 'string' ? i : JSON.stringify(i)}\n\n`).join('');
  it('strips the usage chunk and reads usage without text capture, whatever the chunk boundaries (property)', () => {
    const bytes = Buffer.from(events(chunk('a "usage": {'), chunk('b'), usage, '[DONE]'));
    const expected = events(chunk('a "usage": {'), chunk('b'), '[DONE]');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), fc.boolean(), (cuts, strip) => {
        const points = [0, ...cuts.sort((x, y) => x - y), bytes.length];
        const f = new SseUsageFilter({ stripUsageChunk: strip });
        const out: Buffer[] = [];
        for (let i = 0; i < points.length - 1; i++) out.push(f.push(bytes.subarray(points[i], points[i + 1])));
        out.push(f.flush());
        if (strip) expect(Buffer.concat(out).toString()).toBe(expected);
        expect(f.usage).toEqual({ input: 3, output: 4 });
      }),
      { numRuns: 200 },
    );
  });
  it('forwards event-aligned chunks as they are', () => {
    const f = new SseUsageFilter({ stripUsageChunk: true });
    const a = Buffer.from(events(chunk('x')));
    const b = Buffer.from(events(chunk('y')).replace(/\n\n$/, '\r\n\r\n'));
    expect(f.push(a)).toBe(a);
    expect(f.push(b)).toBe(b);
  });
});

describe('JsonUsageScanner with escapes', () => {
  it('finds the top-level usage whatever strings, escapes and chunk boundaries (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '"', '\\', 'usage', ':', '{', '}', 'é', ' ') , maxLength: 12 });
    fc.assert(
      fc.property(text, text, fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 8 }), (k, v, cuts) => {
        const body = Buffer.from(JSON.stringify({ [k]: v, usag: 1, choices: [{ message: { content: v, [k]: { usage: { prompt_tokens: 9 } } } }], usage: { prompt_tokens: 5, completion_tokens: 6 }, tail: v }));
        const points = [0, ...cuts.filter((c) => c < body.length).sort((x, y) => x - y), body.length];
        const s = new JsonUsageScanner();
        for (let i = 0; i < points.length - 1; i++) s.push(body.subarray(points[i], points[i + 1]));
        expect(s.usage).toEqual({ input: 5, output: 6 });
      }),
      { numRuns: 500 },
    );
  });
});

describe('UpstreamExchange', () => {
  const sink = (pauseAfter = Number.POSITIVE_INFINITY): ExchangeSink & { chunks: string[]; ended: boolean; failure?: Error } => {
    const s = {
      chunks: [] as string[],
      ended: false,
      failure: undefined as Error | undefined,
      data(c: Buffer) {
        s.chunks.push(c.toString());
        return s.chunks.length < pauseAfter;
      },
      end() {
        s.ended = true;
      },
      error(e: Error) {
        s.failure = e;
      },
    };
    return s;
  };
  const raw = (pairs: Array<[string, string]>): Buffer[] => pairs.flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]);

  it('resolves on the final head, joins repeated headers, replays what arrived before pipe', async () => {
    const x = new UpstreamExchange();
    let resumed = 0;
    x.onConnect(() => undefined);
    expect(x.onHeaders(100, null, () => undefined)).toBe(true);
    x.onHeaders(200, raw([['Content-Type', 'application/json'], ['X-A', '1'], ['x-a', '2']]), () => void (resumed += 1));
    await x.head;
    expect(x.statusCode).toBe(200);
    expect(x.headers).toEqual({ 'content-type': 'application/json', 'x-a': '1, 2' });
    x.onData(Buffer.from('ab'));
    x.onComplete();
    const s = sink();
    x.pipe(s);
    expect(s).toMatchObject({ chunks: ['ab'], ended: true });
    expect(resumed).toBe(0);
  });
  it('records only the kept headers when given a set (case-insensitive names, repeats joined)', async () => {
    const x = new UpstreamExchange(undefined, new Set(['content-type', 'retry-after']));
    x.onConnect(() => undefined);
    x.onHeaders(
      429,
      raw([['Content-Type', 'application/json'], ['Date', 'now'], ['RETRY-AFTER', '3'], ['x-retry-after', '9'], ['Retry-After', '4'], ['Connection', 'keep-alive']]),
      () => undefined,
    );
    await x.head;
    expect(x.headers).toEqual({ 'content-type': 'application/json', 'retry-after': '3, 4' });
  });
  it('rejects the head on an error before it, and aborts through the request signal (also before connect)', async () => {
    const failed = new UpstreamExchange();
    failed.onError(new Error('ECONNREFUSED'));
    await expect(failed.head).rejects.toThrow('ECONNREFUSED');

    const signal = new RequestAbort();
    const x = new UpstreamExchange(signal);
    signal.abort(new Error('client gone'));
    const reasons: string[] = [];
    x.onConnect((r) => void reasons.push(String(r?.message)));
    expect(reasons).toEqual(['client gone']);
  });
  it('passes backpressure both ways: a full sink pauses, resume() resumes', async () => {
    const x = new UpstreamExchange();
    let resumed = 0;
    x.onConnect(() => undefined);
    x.onHeaders(200, [], () => void (resumed += 1));
    await x.head;
    const s = sink(1);
    x.pipe(s);
    expect(resumed).toBe(0);
    expect(x.onData(Buffer.from('1'))).toBe(false);
    x.resume();
    x.resume();
    expect(resumed).toBe(1);
    x.onError(new Error('reset'));
    expect(s.failure?.message).toBe('reset');
  });
  it('holds at most 64 KiB of an unconsumed answer, then discards (small: read to the end; large: aborted)', async () => {
    const held = new UpstreamExchange();
    let aborted: Error | undefined;
    held.onConnect((r) => (aborted = r));
    held.onHeaders(503, [], () => undefined);
    expect(held.onData(Buffer.alloc(EXCHANGE_HOLD_BYTES))).toBe(true);
    expect(held.onData(Buffer.alloc(1))).toBe(false);
    held.discard();
    expect(aborted?.message).toMatch(/discarded/);

    const small = new UpstreamExchange();
    small.onConnect((r) => (aborted = r));
    aborted = undefined;
    small.onHeaders(429, [], () => undefined);
    small.onData(Buffer.from('{"error":{}}'));
    small.discard();
    expect(small.onData(Buffer.from('more'))).toBe(true);
    small.onComplete();
    expect(aborted).toBeUndefined();
  });
});
