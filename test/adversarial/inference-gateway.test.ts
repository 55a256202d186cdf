/**
 * The inference gateway under hostile input and load, on loopback against fake OpenAI-protocol
 * upstreams. Bad requests answer a 4xx OpenAI-style JSON error naming the problem, never 5xx, and
 * never reach an upstream (the gateway stores nothing: "nothing written" means nothing forwarded).
 * Under 500 requests with one variant failing, callers get 200s through failover and the failing
 * variant's circuit opens. Counts only: the gateway's clock is frozen, so the open breaker never
 * half-opens during the test and rate limits never refill.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/inference-service/gateway-config';
import { type GatewayServer, startGateway } from '../../src/inference-service/runtime/gateway/gateway';
import { hashApiKey } from '../../src/inference-service/runtime/gateway/key-ring';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai';
import { INJECTION_FILTERS, UNICODE_EDGE_CASES, deepArrays, deepObjects, expectClientError, hugeJson, rawRequest, type RawResponse } from './support';

const KEY = 'sk-adversarial';
const OPS_KEY = 'sk-ops';
const ONE_MIB = 1024 * 1024;

interface Env {
  readonly gw: GatewayServer;
  readonly fakes: Record<'a' | 'b', FakeOpenAI>;
  readonly dir: string;
}

async function startEnv(config: (u: Record<'a' | 'b', string>) => GatewayConfigInput): Promise<Env> {
  const fakes = { a: await startFakeOpenAI({ name: 'a' }), b: await startFakeOpenAI({ name: 'b' }) };
  const dir = mkdtempSync(join(tmpdir(), 'gw-adversarial-'));
  writeFileSync(join(dir, 'gateway.json'), JSON.stringify(config({ a: fakes.a.url, b: fakes.b.url })));
  writeFileSync(
    join(dir, 'keys.json'),
    JSON.stringify({ keys: [{ alias: 'adversary', sha256: hashApiKey(KEY) }, { alias: 'ops', sha256: hashApiKey(OPS_KEY), allowVariantOverride: true }] }),
  );
  const gw = await startGateway({ configPath: join(dir, 'gateway.json'), keysPath: join(dir, 'keys.json'), accessLog: null, now: () => 1_000_000 });
  return { gw, fakes, dir };
}

async function stopEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.gw.close();
  await Promise.all([env.fakes.a.close(), env.fakes.b.close()]);
  rmSync(env.dir, { recursive: true, force: true });
}

const chat = (env: Env, body: string | Buffer, headers: Record<string, string> = {}, path = '/v1/chat/completions'): Promise<RawResponse> =>
  rawRequest(env.gw.url, { method: 'POST', path, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers } });

const GOOD = JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'hi' }] });
/** The public model served 50/50 by the two fake upstreams. */
const evenSplit = (u: { a: string; b: string }) => ({
  model: 'assistant',
  variants: [
    { name: 'a', upstream: u.a, upstreamModel: 'served-a', weight: 50 },
    { name: 'b', upstream: u.b, upstreamModel: 'served-b', weight: 50 },
  ],
});
const forwarded = (env: Env): number => env.fakes.a.requests.length + env.fakes.b.requests.length;

describe('inference gateway: bad input is refused with a JSON error and never forwarded', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv((u) => ({
      ...evenSplit(u),
    }));
  });
  afterAll(() => stopEnv(env));

  const BAD: [string, (env: Env) => Promise<RawResponse>, RegExp, number][] = [
    ['no API key', (e) => chat(e, GOOD, { authorization: '' }), /invalid_api_key/, 401],
    ['a wrong 8,000-character API key', (e) => chat(e, GOOD, { authorization: `Bearer ${'k'.repeat(8000)}` }), /invalid_api_key/, 401],
    ['malformed JSON', (e) => chat(e, '{"model":"assistant","messages":[{"role":"user",'), /invalid_json/, 400],
    ['invalid UTF-8 that is not JSON', (e) => chat(e, Buffer.from([0xff, 0xfe, 0x7b, 0x00])), /invalid_json/, 400],
    ['messages of the wrong type', (e) => chat(e, '{"model":"assistant","messages":"hi"}'), /invalid_request.*messages/, 400],
    ['model of the wrong type', (e) => chat(e, '{"model":["assistant"],"messages":[{"role":"user","content":"hi"}]}'), /invalid_request.*model/, 400],
    ['stream of the wrong type', (e) => chat(e, '{"model":"assistant","messages":[{"role":"user","content":"hi"}],"stream":"yes"}'), /invalid_request.*stream/, 400],
    ['embedding input of the wrong type', (e) => chat(e, '{"model":"assistant","input":{"$where":"1"}}', {}, '/v1/embeddings'), /invalid_request.*input/, 400],
    ['a body just over 1 MiB', (e) => chat(e, hugeJson(ONE_MIB + 1, 'model')), /payload_too_large/, 413],
    ['an 8 MiB body', (e) => chat(e, hugeJson(8 * ONE_MIB, 'model')), /payload_too_large/, 413],
    ['10,000 nested arrays as the body', (e) => chat(e, deepArrays(10_000)), /invalid_request/, 400],
    ['10,000 nested arrays as messages', (e) => chat(e, `{"model":"assistant","messages":${deepArrays(10_000)}}`), /invalid_request.*messages/, 400],
    ['10,000 nested objects as the model', (e) => chat(e, `{"model":${deepObjects(10_000)},"messages":[{"role":"user"}]}`), /invalid_request.*model/, 400],
    ['a lone surrogate as the model', (e) => chat(e, `{"model":${UNICODE_EDGE_CASES['lone high surrogate']},"messages":[{"role":"user","content":"x"}]}`), /model_not_found/, 404],
    ['NUL in the model', (e) => chat(e, `{"model":"assistant\\u0000","messages":[{"role":"user","content":"x"}]}`), /model_not_found/, 404],
    ['an RTL override in the model', (e) => chat(e, `{"model":"\\u202etnatsissa","messages":[{"role":"user","content":"x"}]}`), /model_not_found/, 404],
    ['an emoji model', (e) => chat(e, '{"model":"assistant-🚀","messages":[{"role":"user","content":"x"}]}'), /model_not_found/, 404],
    ['a traversal model', (e) => chat(e, '{"model":"../../served-a","messages":[{"role":"user","content":"x"}]}'), /model_not_found/, 404],
    ['the upstream model name instead of the public one', (e) => chat(e, '{"model":"served-a","messages":[{"role":"user","content":"x"}]}'), /model_not_found/, 404],
    ['a traversal path', (e) => chat(e, GOOD, {}, '/v1/../v1/chat/completions'), /not_found/, 404],
    ['an encoded-dot-dot path', (e) => chat(e, GOOD, {}, '/v1/%2e%2e/v1/chat/completions'), /not_found/, 404],
    ['an encoded slash in the route', (e) => chat(e, GOOD, {}, '/v1/chat%2fcompletions'), /not_found/, 404],
    ['a variant override without the permission', (e) => chat(e, GOOD, { 'x-gaiops-variant': 'a' }), /variant_override_forbidden/, 403],
    ['a traversal variant override', (e) => chat(e, GOOD, { authorization: `Bearer ${OPS_KEY}`, 'x-gaiops-variant': '../b' }), /unknown_variant/, 400],
    ...INJECTION_FILTERS.slice(0, 3).map((f): [string, (env: Env) => Promise<RawResponse>, RegExp, number] => [
      `an injection-like model: ${f}`,
      (e) => chat(e, JSON.stringify({ model: f, messages: [{ role: 'user', content: 'x' }] })),
      /model_not_found/,
      404,
    ]),
  ];

  for (const [label, send, problem, status] of BAD) {
    it(label, async () => {
      const before = forwarded(env);
      expectClientError(await send(env), problem, status);
      expect(forwarded(env)).toBe(before);
    });
  }

  it('oversized request headers are refused with 431 and never forwarded', async () => {
    const before = forwarded(env);
    const res = await chat(env, GOOD, { 'x-gaiops-user': 'u'.repeat(64 * 1024) });
    expect(res.status).toBe(431);
    expect(forwarded(env)).toBe(before);
  });

  it('odd but valid content is passed through, not mangled into a 5xx', async () => {
    const body = JSON.stringify({ model: 'assistant', user: 'user-\ud800-🚀', messages: [{ role: 'user', content: "'; DROP TABLE x; -- \u202e \u0000 ../../" }] });
    const res = await chat(env, body);
    expect(res.status, res.text).toBe(200);
  });
});

describe('inference gateway under load with one failing variant', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv((u) => ({
      ...evenSplit(u),
      resilience: { maxRetries: 2, retryBackoffMs: 0, breakerFailureThreshold: 5 },
    }));
    env.fakes.a.behavior = { kind: 'status', status: 500 };
  });
  afterAll(() => stopEnv(env));

  it('500 requests (10 % of them malformed): every good one gets 200 from b via failover, bad ones 400, the breaker of a opens', async () => {
    const results: RawResponse[] = [];
    for (let wave = 0; wave < 5; wave++) {
      results.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            i % 10 === 9 ? chat(env, '{"model":"assistant","messages":[') : chat(env, JSON.stringify({ model: 'assistant', user: `user-${wave}-${i}`, messages: [{ role: 'user', content: 'hi' }] })),
          ),
        )),
      );
    }
    const good = results.filter((_, i) => i % 10 !== 9);
    const bad = results.filter((_, i) => i % 10 === 9);
    expect(good).toHaveLength(450);
    expect(results.filter((res) => res.status >= 500).map((res) => `${res.status} ${res.text}`)).toEqual([]);
    for (const res of good) {
      expect(res.status, res.text).toBe(200);
      expect(res.headers['x-gaiops-variant']).toBe('b');
      expect((res.json as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('Hello from b');
    }
    for (const res of bad) expectClientError(res, /invalid_json/, 400);

    // b answered every good request exactly once; a saw only the calls before its breaker opened
    // (at most the threshold plus the requests already in flight), never the malformed ones.
    expect(env.fakes.b.requests).toHaveLength(450);
    expect(env.fakes.a.requests.length).toBeGreaterThanOrEqual(5);
    expect(env.fakes.a.requests.length).toBeLessThan(200);
    const metrics = await (await fetch(`${env.gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^gaiops_gateway_breaker_state\{[^}]*variant="a"[^}]*\} 2$/m);
    expect(metrics).toMatch(/^gaiops_gateway_breaker_state\{[^}]*variant="b"[^}]*\} 0$/m);
    const breakerOpen = /^gaiops_gateway_upstream_errors_total\{[^}]*reason="breaker_open"[^}]*variant="a"[^}]*\} (\d+)$|^gaiops_gateway_upstream_errors_total\{[^}]*variant="a"[^}]*reason="breaker_open"[^}]*\} (\d+)$/m.exec(metrics);
    expect(breakerOpen, metrics).not.toBeNull();
    expect(Number(breakerOpen![1] ?? breakerOpen![2])).toBeGreaterThan(0);
  }, 300_000);
});
