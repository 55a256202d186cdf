/**
 * Gateway routing and resilience over real HTTP against fake upstreams: A/B split and stickiness,
 * live config/keys reloads (ConfigMap-style `..data` symlink swap), shadow traffic, failover,
 * retries, circuit breakers, timeouts and graceful shutdown.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput, GatewayKeysInput } from '../../src/inference-service/gateway-config';
import { type GatewayOptions, type GatewayServer, startGateway } from '../../src/inference-service/runtime/gateway/gateway';
import { hashApiKey } from '../../src/inference-service/runtime/gateway/key-ring';
import { stickyHash } from '../../src/inference-service/runtime/gateway/sticky-hash';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai';

const KEYS: GatewayKeysInput['keys'] = [{ alias: 'team-a', sha256: hashApiKey('sk-team-a'), requestsPerMinute: 1_000_000, tokensPerMinute: 100_000_000 }];

interface Env {
  gw: GatewayServer;
  fakes: Record<string, FakeOpenAI>;
  dir: string;
  generation: number;
  /** Publishes a new gateway.json the way kubelet updates a ConfigMap volume (atomic `..data` swap). */
  publish(files: Record<string, unknown>): void;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startEnv(
  names: string[],
  config: (urls: Record<string, string>) => GatewayConfigInput,
  options: Partial<GatewayOptions> = {},
  fakeOptions: { record?: boolean } = {},
): Promise<Env> {
  const fakes: Record<string, FakeOpenAI> = {};
  for (const name of names) fakes[name] = await startFakeOpenAI({ name, ...fakeOptions });
  const urls = Object.fromEntries(Object.entries(fakes).map(([n, f]) => [n, f.url]));
  const dir = mkdtempSync(join(tmpdir(), 'gw-routing-'));
  const env: Env = {
    gw: undefined as unknown as GatewayServer,
    fakes,
    dir,
    generation: 0,
    publish(files) {
      env.generation += 1;
      const data = join(dir, `..gen_${env.generation}`);
      mkdirSync(data);
      for (const [file, content] of Object.entries(files)) writeFileSync(join(data, file), typeof content === 'string' ? content : JSON.stringify(content));
      symlinkSync(`..gen_${env.generation}`, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      if (env.generation === 1) {
        symlinkSync('..data/gateway.json', join(dir, 'gateway.json'));
        symlinkSync('..data/keys.json', join(dir, 'keys.json'));
      }
    },
  };
  env.publish({ 'gateway.json': config(urls), 'keys.json': { keys: KEYS } });
  env.gw = await startGateway({ configPath: join(dir, 'gateway.json'), keysPath: join(dir, 'keys.json'), accessLog: null, pollIntervalMs: 200, ...options });
  cleanups.push(async () => {
    await env.gw.close();
    for (const f of Object.values(fakes)) await f.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return env;
}

const client = (env: Env): OpenAI => new OpenAI({ apiKey: 'sk-team-a', baseURL: `${env.gw.url}/v1`, maxRetries: 0, timeout: 10_000 });
const chatBody = (user?: string) => ({ model: 'assistant', messages: [{ role: 'user' as const, content: 'hi' }], ...(user ? { user } : {}) });

async function variantOf(env: Env, user?: string): Promise<string> {
  const { response } = await client(env).chat.completions.create(chatBody(user)).withResponse();
  return response.headers.get('x-gaiops-variant')!;
}

async function metrics(env: Env): Promise<string> {
  return (await fetch(`${env.gw.url}/metrics`)).text();
}

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = new Map([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => set.get(k) === v)) return Number(m[4]);
  }
  return undefined;
}

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('expected an API error');
}

const abConfig =
  (wa: number, wb: number) =>
  (u: Record<string, string>): GatewayConfigInput => ({
    model: 'assistant',
    variants: [
      { name: 'a', upstream: u.a, upstreamModel: 'served-a', weight: wa },
      { name: 'b', upstream: u.b, upstreamModel: 'served-b', weight: wb },
    ],
  });

describe('A/B routing', () => {
  it('splits 10,000 requests from distinct users within 1.5 points of the weights', async () => {
    const env = await startEnv(['a', 'b'], abConfig(70, 30), {}, { record: false });
    // 10,000 real HTTP round trips, 64 at a time over keep-alive connections.
    const pool = new Pool(env.gw.url, { connections: 64 });
    try {
      const total = 10_000;
      let next = 0;
      const statuses = new Map<number, number>();
      const worker = async (): Promise<void> => {
        while (next < total) {
          const i = next++;
          const res = await pool.request({
            path: '/v1/chat/completions',
            method: 'POST',
            headers: { authorization: 'Bearer sk-team-a', 'content-type': 'application/json' },
            body: JSON.stringify(chatBody(`user-${i}`)),
          });
          await res.body.dump();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 64 }, worker));
      expect(statuses).toEqual(new Map([[200, total]]));
      const a = env.fakes.a.completed;
      const b = env.fakes.b.completed;
      expect(a + b).toBe(total);
      expect(Math.abs((100 * a) / total - 70)).toBeLessThanOrEqual(1.5);
      expect(Math.abs((100 * b) / total - 30)).toBeLessThanOrEqual(1.5);
      const text = await metrics(env);
      expect(metricValue(text, 'gaiops_gateway_requests_total', { variant: 'a', code: '200', route: 'chat' })).toBe(a);
      expect(metricValue(text, 'gaiops_gateway_requests_total', { variant: 'b', code: '200', route: 'chat' })).toBe(b);
    } finally {
      await pool.close();
    }
  });

  it('keeps a user on one variant (body `user`, else the user header) and rewrites the model per variant', async () => {
    const env = await startEnv(['a', 'b'], abConfig(50, 50));
    const seen = new Set<string>();
    for (let u = 0; u < 8; u++) {
      const first = await variantOf(env, `sticky-${u}`);
      seen.add(first);
      for (let i = 0; i < 5; i++) expect(await variantOf(env, `sticky-${u}`)).toBe(first);
    }
    expect(seen).toEqual(new Set(['a', 'b']));
    const viaHeader = async (): Promise<string> => {
      const { response } = await client(env).chat.completions.create(chatBody(), { headers: { 'x-gaiops-user': 'header-user' } }).withResponse();
      return response.headers.get('x-gaiops-variant')!;
    };
    const v = await viaHeader();
    for (let i = 0; i < 5; i++) expect(await viaHeader()).toBe(v);
    expect(env.fakes.a.requests.every((r) => r.body?.model === 'served-a')).toBe(true);
    expect(env.fakes.b.requests.every((r) => r.body?.model === 'served-b')).toBe(true);
  });
});

describe('live reload', () => {
  it('follows new weights after a ConfigMap-style swap, and keeps the old config when the new one is invalid', async () => {
    const env = await startEnv(['a', 'b'], abConfig(100, 0));
    const keys = { keys: KEYS };
    for (let u = 0; u < 10; u++) expect(await variantOf(env, `r-${u}`)).toBe('a');

    const reloaded = once(env.gw.gateway.events, 'config');
    env.publish({ 'gateway.json': abConfig(0, 100)({ a: env.fakes.a.url, b: env.fakes.b.url }), 'keys.json': keys });
    const [event] = (await reloaded) as [{ changes: string[] }];
    expect(event.changes).toEqual(['variant a: weight 100 -> 0', 'variant b: weight 0 -> 100']);
    for (let u = 0; u < 10; u++) expect(await variantOf(env, `r-${u}`)).toBe('b');

    const rejected = once(env.gw.gateway.events, 'config-rejected');
    env.publish({ 'gateway.json': { model: 'assistant', variants: [{ name: 'a', upstream: env.fakes.a.url, upstreamModel: 'x', weight: 0 }] }, 'keys.json': keys });
    const [error] = (await rejected) as [{ error: string }];
    expect(error.error).toContain('at least one variant needs a weight greater than 0');
    for (let u = 0; u < 10; u++) expect(await variantOf(env, `r-${u}`)).toBe('b');
    expect((await fetch(`${env.gw.url}/readyz`)).status).toBe(200);

    const notJson = once(env.gw.gateway.events, 'config-rejected');
    env.publish({ 'gateway.json': '{ truncated', 'keys.json': keys });
    await notJson;
    expect(await variantOf(env, 'r-0')).toBe('b');
  });

  it('lets a request in flight finish on its variant while a reload moves new requests away', async () => {
    const env = await startEnv(['a', 'b'], abConfig(100, 0));
    env.fakes.a.behavior = { kind: 'ok', holdStream: true };
    const stream = await client(env).chat.completions.create({ ...chatBody('inflight'), stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0].delta.content).toBe('Hello');
    const reloaded = once(env.gw.gateway.events, 'config');
    env.publish({ 'gateway.json': abConfig(0, 100)({ a: env.fakes.a.url, b: env.fakes.b.url }), 'keys.json': { keys: KEYS } });
    await reloaded;
    expect(await variantOf(env, 'inflight')).toBe('b');
    env.fakes.a.release();
    let rest = '';
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest += r.value.choices[0]?.delta.content ?? '';
    expect(rest).toBe(' from a');
  });

  it('reloads keys live: a new key works, a removed key is refused', async () => {
    const env = await startEnv(['a', 'b'], abConfig(1, 1));
    const config = abConfig(1, 1)({ a: env.fakes.a.url, b: env.fakes.b.url });
    const reloaded = once(env.gw.gateway.events, 'keys');
    env.publish({ 'gateway.json': config, 'keys.json': { keys: [{ alias: 'newcomer', sha256: hashApiKey('sk-new') }] } });
    await reloaded;
    const fresh = new OpenAI({ apiKey: 'sk-new', baseURL: `${env.gw.url}/v1`, maxRetries: 0 });
    expect((await fresh.models.list()).data[0].id).toBe('assistant');
    expect((await apiError(client(env).models.list())).status).toBe(401);
  });
});

describe('shadow traffic', () => {
  const shadowConfig = (u: Record<string, string>): GatewayConfigInput => ({
    model: 'assistant',
    variants: [
      { name: 'a', upstream: u.a, upstreamModel: 'served-a', weight: 100 },
      { name: 'shadow', upstream: u.shadow, upstreamModel: 'served-shadow', weight: 0, shadowPercent: 100 },
    ],
  });

  it('mirrors a copy without delaying the caller, drains it, and drops copies when saturated', async () => {
    const env = await startEnv(['a', 'shadow'], shadowConfig, { maxShadowConcurrency: 1 });
    env.fakes.shadow.behavior = { kind: 'hang' };
    const shadowArrived = once(env.fakes.shadow.events, 'request');
    const answer = await client(env).chat.completions.create(chatBody('u1'));
    expect(answer.choices[0].message.content).toBe('Hello from a');
    const [copy] = await shadowArrived;
    expect(copy.body).toMatchObject({ model: 'served-shadow', messages: [{ role: 'user', content: 'hi' }] });
    // The caller has its full answer while the shadow upstream still holds its copy unanswered.
    expect(env.fakes.shadow.completed).toBe(0);

    const dropped = once(env.gw.gateway.events, 'shadow');
    await client(env).chat.completions.create(chatBody('u2'));
    expect(await dropped).toEqual([{ variant: 'shadow', outcome: 'dropped' }]);
    expect(env.fakes.shadow.requests).toHaveLength(1);
    expect(metricValue(await metrics(env), 'gaiops_gateway_shadow_requests_total', { variant: 'shadow', outcome: 'dropped' })).toBe(1);
  });

  it('counts completed shadow copies as ok', async () => {
    const env = await startEnv(['a', 'shadow'], shadowConfig);
    const done = once(env.gw.gateway.events, 'shadow');
    await client(env).chat.completions.create(chatBody('u1'));
    expect(await done).toEqual([{ variant: 'shadow', outcome: 'ok' }]);
    expect(env.fakes.a.requests).toHaveLength(1);
    expect(env.fakes.shadow.completed).toBe(1);
    expect(metricValue(await metrics(env), 'gaiops_gateway_shadow_requests_total', { variant: 'shadow', outcome: 'ok' })).toBe(1);
  });
});

describe('resilience', () => {
  const threeWay = (u: Record<string, string>): GatewayConfigInput => ({
    model: 'assistant',
    variants: [
      { name: 'a', upstream: u.a, upstreamModel: 'served-a', weight: 100 },
      { name: 'b', upstream: u.b, upstreamModel: 'served-b', weight: 0 },
      { name: 'fb', upstream: u.fb, upstreamModel: 'served-fb', weight: 0 },
    ],
    fallbackVariant: 'fb',
    resilience: { retryBackoffMs: 1, maxRetries: 2, breakerFailureThreshold: 100 },
  });

  it('fails over on 5xx, 429 and connection errors, then to the fallback variant', async () => {
    const env = await startEnv(['a', 'b', 'fb'], (u) => ({
      ...threeWay(u),
      variants: [
        { name: 'a', upstream: u.a, upstreamModel: 'served-a', weight: 50 },
        { name: 'b', upstream: u.b, upstreamModel: 'served-b', weight: 50 },
        { name: 'fb', upstream: u.fb, upstreamModel: 'served-fb', weight: 0 },
      ],
    }));
    env.fakes.a.behavior = { kind: 'status', status: 500 };
    const users = Array.from({ length: 6 }, (_, u) => `f-${u}`);
    const picksA = (user: string): boolean => stickyHash(user).point < 0.5; // a and b weigh 50/50, a first
    const nA = users.filter(picksA).length;
    for (const user of users) expect(await variantOf(env, user)).toBe('b');
    env.fakes.b.behavior = { kind: 'status', status: 429 };
    expect(await variantOf(env, 'f-0')).toBe('fb');
    env.fakes.fb.behavior = { kind: 'reset' };
    const exhausted = await apiError(client(env).chat.completions.create(chatBody('f-0')));
    // All three failed; the last attempt (fb) could not connect: 502.
    expect(exhausted.status).toBe(502);
    expect(exhausted.code).toBe('upstream_unavailable');
    const text = await metrics(env);
    expect(metricValue(text, 'gaiops_gateway_upstream_errors_total', { variant: 'a', reason: 'status_5xx' })).toBe(nA + 2);
    expect(metricValue(text, 'gaiops_gateway_upstream_errors_total', { variant: 'b', reason: 'status_429' })).toBe(2);
    expect(metricValue(text, 'gaiops_gateway_upstream_errors_total', { variant: 'fb', reason: 'connect' })).toBe(1);
    expect(metricValue(text, 'gaiops_gateway_retries_total', { variant: 'a' })).toBe(nA + 2);
    expect(metricValue(text, 'gaiops_gateway_retries_total', { variant: 'b' })).toBe(2);
    expect(env.fakes.fb.requests).toHaveLength(2);
  });

  it('answers 502 when no variant can be reached', async () => {
    const env = await startEnv(['a', 'b', 'fb'], threeWay);
    for (const f of Object.values(env.fakes)) f.behavior = { kind: 'reset' };
    const error = await apiError(client(env).chat.completions.create(chatBody('x')));
    expect(error.status).toBe(502);
    expect(error.code).toBe('upstream_unavailable');
    // b has weight 0: not live, so the plan is a, then the fallback.
    expect([env.fakes.a.requests.length, env.fakes.b.requests.length, env.fakes.fb.requests.length]).toEqual([1, 0, 1]);
  });

  it('passes the last upstream error through when no attempt is left', async () => {
    const env = await startEnv(['a'], (u) => ({ model: 'assistant', variants: [{ name: 'a', upstream: u.a, upstreamModel: 'served-a', weight: 1 }] }));
    env.fakes.a.behavior = { kind: 'status', status: 503 };
    const error = await apiError(client(env).chat.completions.create(chatBody('x')));
    expect(error.status).toBe(503);
    expect(error.code).toBe('fake_failure');
    expect(env.fakes.a.requests).toHaveLength(1);
  });

  it('never retries once response bytes were sent', async () => {
    const env = await startEnv(['a', 'b', 'fb'], threeWay);
    env.fakes.a.behavior = { kind: 'break-stream', afterChunks: 1 };
    const stream = await client(env).chat.completions.create({ ...chatBody('s'), stream: true });
    const received: string[] = [];
    await expect(
      (async () => {
        for await (const c of stream) received.push(c.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow();
    expect(received).toEqual(['Hello']);
    expect(env.fakes.a.requests).toHaveLength(1);
    expect(env.fakes.b.requests).toHaveLength(0);
    expect(env.fakes.fb.requests).toHaveLength(0);
  });

  it('times out with 504 and opens the breaker; half-open lets a single probe through, then closes', async () => {
    const env = await startEnv(['a', 'b', 'fb'], (u) => ({
      ...threeWay(u),
      resilience: { retryBackoffMs: 1, maxRetries: 2, breakerFailureThreshold: 2, breakerOpenMs: 300, requestTimeoutMs: 1000 },
    }));
    env.fakes.a.behavior = { kind: 'status', status: 503 };
    // Two failures of a (each failed over to fallback fb) open a's breaker.
    expect(await variantOf(env, 'u')).toBe('fb');
    expect(await variantOf(env, 'u')).toBe('fb');
    expect(metricValue(await metrics(env), 'gaiops_gateway_breaker_state', { variant: 'a' })).toBe(2);
    // While open, a is not called at all.
    expect(await variantOf(env, 'u')).toBe('fb');
    expect(env.fakes.a.requests).toHaveLength(2);
    expect(metricValue(await metrics(env), 'gaiops_gateway_upstream_errors_total', { variant: 'a', reason: 'breaker_open' })).toBe(1);

    // After breakerOpenMs one probe goes to a; a hangs, so a concurrent request skips a.
    await new Promise((r) => setTimeout(r, 350));
    env.fakes.a.behavior = { kind: 'hang' };
    const probeArrived = once(env.fakes.a.events, 'request');
    const probe = apiError(client(env).chat.completions.create(chatBody('u')));
    await probeArrived;
    expect(metricValue(await metrics(env), 'gaiops_gateway_breaker_state', { variant: 'a' })).toBe(1);
    expect(await variantOf(env, 'u')).toBe('fb');
    const timeout = await probe;
    expect(timeout.status).toBe(504);
    expect(timeout.code).toBe('upstream_timeout');
    expect(metricValue(await metrics(env), 'gaiops_gateway_breaker_state', { variant: 'a' })).toBe(2);
    expect(env.fakes.a.requests).toHaveLength(3);

    // Next window: a recovered; the probe succeeds and the breaker closes.
    await new Promise((r) => setTimeout(r, 350));
    env.fakes.a.behavior = { kind: 'ok' };
    expect(await variantOf(env, 'u')).toBe('a');
    expect(metricValue(await metrics(env), 'gaiops_gateway_breaker_state', { variant: 'a' })).toBe(0);
    expect(await variantOf(env, 'u')).toBe('a');
  });

  it('graceful shutdown finishes an in-flight stream, refuses new connections, then closes', async () => {
    const env = await startEnv(['a', 'b', 'fb'], threeWay);
    env.fakes.a.behavior = { kind: 'ok', holdStream: true };
    const stream = await client(env).chat.completions.create({ ...chatBody('s'), stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.choices[0].delta.content).toBe('Hello');

    const order: string[] = [];
    const closed = env.gw.close().then(() => order.push('closed'));
    expect(env.gw.gateway.ready()).toBe(false);
    await expect(fetch(`${env.gw.url}/healthz`)).rejects.toThrow();
    // The stream is held upstream: shutdown is still waiting for it.
    expect(order).toEqual([]);
    env.fakes.a.release();
    const rest: string[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(r.value.choices[0]?.delta.content ?? '');
    order.push('stream-complete');
    await closed;
    expect(rest.join('')).toBe(' from a');
    expect(order).toContain('closed');
  });
});
