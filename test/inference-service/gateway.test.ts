/**
 * The gateway over real HTTP, driven by the official `openai` client against fake OpenAI-protocol
 * upstreams: the API surface, authentication, limits, validation, logs and metrics.
 * (Routing, resilience, reloads and shutdown: gateway-routing.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigInput, GatewayKeysInput } from '../../src/inference-service/gateway-config';
import { type GatewayServer, startGateway } from '../../src/inference-service/runtime/gateway/gateway';
import { hashApiKey } from '../../src/inference-service/runtime/gateway/key-ring';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai';

interface Env {
  gw: GatewayServer;
  upstream: FakeOpenAI;
  logs: Record<string, unknown>[];
  dir: string;
}

async function startEnv(config: (upstream: string) => GatewayConfigInput, keys: GatewayKeysInput['keys']): Promise<Env> {
  const upstream = await startFakeOpenAI({ name: 'a' });
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  writeFileSync(join(dir, 'gateway.json'), JSON.stringify(config(upstream.url)));
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys }));
  const logs: Record<string, unknown>[] = [];
  const accessLog = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  // A frozen clock for limits: token buckets do not refill while the test runs, so counts are exact.
  const gw = await startGateway({ configPath: join(dir, 'gateway.json'), keysPath: join(dir, 'keys.json'), accessLog, pollIntervalMs: 200, now: () => 1_000_000 });
  return { gw, upstream, logs, dir };
}

async function stopEnv(env: Env): Promise<void> {
  await env.gw.close();
  await env.upstream.close();
  rmSync(env.dir, { recursive: true, force: true });
}

const KEYS: GatewayKeysInput['keys'] = [
  { alias: 'team-a', sha256: hashApiKey('sk-team-a'), team: 'search' },
  { alias: 'tiny', sha256: hashApiKey('sk-tiny'), requestsPerMinute: 2 },
  { alias: 'budget', sha256: hashApiKey('sk-budget'), tokenBudget: 20 },
  { alias: 'ops', sha256: hashApiKey('sk-ops'), allowVariantOverride: true },
];

const client = (env: Env, apiKey = 'sk-team-a'): OpenAI => new OpenAI({ apiKey, baseURL: `${env.gw.url}/v1`, maxRetries: 0, timeout: 10_000 });

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('expected an API error');
}

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = new Map([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => set.get(k) === v)) return Number(m[4]);
  }
  return undefined;
}

describe('gateway API surface', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(
      (upstream) => ({
        model: 'assistant',
        variants: [{ name: 'a', upstream, upstreamModel: 'served-a', weight: 100, costPerMillionInputTokensUsd: 1_000_000, costPerMillionOutputTokensUsd: 2_000_000 }],
        resilience: { maxBodyBytes: 2048 },
        metrics: { genAiSemconv: true },
      }),
      KEYS,
    );
  });
  afterAll(() => stopEnv(env));

  it('chat completion: rewrites the model, propagates the request id, reports usage, logs one access line', async () => {
    const { data, response } = await client(env)
      .chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'hi, I am jane@example.com' }], user: 'user-42' }, { headers: { 'x-request-id': 'req-chat-1' } })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Hello from a');
    expect(data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    expect(response.headers.get('x-request-id')).toBe('req-chat-1');
    expect(response.headers.get('x-gaiops-variant')).toBe('a');
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('600');
    const seen = env.upstream.requests.at(-1)!;
    expect(seen.body).toMatchObject({ model: 'served-a', user: 'user-42' });
    expect(seen.headers['x-request-id']).toBe('req-chat-1');
    expect(seen.headers.authorization).toBeUndefined();
    const line = env.logs.find((l) => l.requestId === 'req-chat-1')!;
    expect(line).toMatchObject({
      message: 'access',
      keyAlias: 'team-a',
      team: 'search',
      variant: 'a',
      model: 'assistant',
      route: 'chat',
      status: 200,
      stream: false,
      attempts: 1,
      usageInput: 11,
      usageOutput: 7,
      costUsd: 11 + 14,
      ttftMs: null,
      errorCode: null,
    });
    expect(line.userHash).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof line.latencyMs).toBe('number');
    const text = JSON.stringify(env.logs);
    expect(text).not.toContain('user-42');
    expect(text).not.toContain('jane@example.com');
    expect(line).not.toHaveProperty('prompt');
  });

  it('replaces a malformed x-request-id with a generated one', async () => {
    const { response } = await client(env)
      .chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'bad id with spaces' } })
      .withResponse();
    const id = response.headers.get('x-request-id')!;
    expect(id).not.toBe('bad id with spaces');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(env.upstream.requests.at(-1)!.headers['x-request-id']).toBe(id);
  });

  it('streams chat chunk by chunk and hides the usage chunk the client did not ask for', async () => {
    const stream = await client(env).chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers: { 'x-request-id': 'req-stream-1' } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from a');
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(env.upstream.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, model: 'served-a' });
    const line = env.logs.find((l) => l.requestId === 'req-stream-1')!;
    expect(line).toMatchObject({ stream: true, usageInput: 11, usageOutput: 7, status: 200 });
    expect(typeof line.ttftMs).toBe('number');
  });

  it('passes the usage chunk through when the client asked for it', async () => {
    const stream = await client(env).chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 7 } });
  });

  it('serves completions (plain and streaming), embeddings and models', async () => {
    const c = client(env);
    const completion = await c.completions.create({ model: 'assistant', prompt: 'Say hello' });
    expect(completion.choices[0].text).toBe('Hello from a');
    expect(env.upstream.requests.at(-1)!.path).toBe('/v1/completions');
    const stream = await c.completions.create({ model: 'assistant', prompt: 'Say hello', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('Hello from a');
    const embeddings = await c.embeddings.create({ model: 'assistant', input: ['one', 'two'], encoding_format: 'float' });
    expect(embeddings.data.map((d) => d.index)).toEqual([0, 1]);
    expect(embeddings.usage.prompt_tokens).toBe(11);
    expect(env.upstream.requests.at(-1)!.body).toMatchObject({ model: 'served-a', input: ['one', 'two'] });
    const models = await c.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['assistant']);
    expect((await c.models.retrieve('assistant')).id).toBe('assistant');
    expect((await apiError(c.models.retrieve('other'))).status).toBe(404);
  });

  it('401 for a missing or unknown key, in the OpenAI error shape', async () => {
    const noKey = await fetch(`${env.gw.url}/v1/chat/completions`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toEqual({ error: { message: expect.stringContaining('API key'), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    const wrong = await apiError(client(env, 'sk-wrong').chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'x' }] }));
    expect(wrong.status).toBe(401);
    expect(wrong.code).toBe('invalid_api_key');
  });

  it('400 naming the invalid field, 404 for another model, 413 beyond the body limit', async () => {
    const missing = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'assistant' }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-team-a' },
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: { message: 'messages: Required', type: 'invalid_request_error', param: 'messages', code: 'invalid_request' } });
    const badJson = await fetch(`${env.gw.url}/v1/embeddings`, { method: 'POST', body: '{nope', headers: { authorization: 'Bearer sk-team-a' } });
    expect(badJson.status).toBe(400);
    const otherModel = await apiError(client(env).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }));
    expect(otherModel.status).toBe(404);
    expect(otherModel.code).toBe('model_not_found');
    const big = await apiError(client(env).chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'x'.repeat(4096) }] }));
    expect(big.status).toBe(413);
    expect(big.code).toBe('payload_too_large');
  });

  it('429 with Retry-After and x-ratelimit headers beyond requests per minute', async () => {
    const c = client(env, 'sk-tiny');
    const body = { model: 'assistant', messages: [{ role: 'user' as const, content: 'x' }] };
    const first = await c.chat.completions.create(body).withResponse();
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await c.chat.completions.create(body);
    const limited = await apiError(c.chat.completions.create(body));
    expect(limited.status).toBe(429);
    expect(limited.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers?.get('x-ratelimit-limit-requests')).toBe('2');
    expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers?.get('x-ratelimit-limit-tokens')).toBe('200000');
    expect(limited.headers?.get('x-ratelimit-remaining-tokens')).toBe(String(200_000 - 2 * 18));
  });

  it('429 budget_exhausted once the key used its token budget', async () => {
    const c = client(env, 'sk-budget');
    const body = { model: 'assistant', messages: [{ role: 'user' as const, content: 'x' }] };
    await c.chat.completions.create(body); // 18 tokens
    await c.chat.completions.create(body); // 36: budget of 20 now used up
    const refused = await apiError(c.chat.completions.create(body));
    expect(refused.status).toBe(429);
    expect(refused.code).toBe('budget_exhausted');
    expect(refused.type).toBe('insufficient_quota');
  });

  it('honours the variant override header only for keys allowed to use it', async () => {
    const body = { model: 'assistant', messages: [{ role: 'user' as const, content: 'x' }] };
    const forbidden = await apiError(client(env).chat.completions.create(body, { headers: { 'x-gaiops-variant': 'a' } }));
    expect(forbidden.status).toBe(403);
    expect(forbidden.code).toBe('variant_override_forbidden');
    const { response } = await client(env, 'sk-ops').chat.completions.create(body, { headers: { 'x-gaiops-variant': 'a' } }).withResponse();
    expect(response.headers.get('x-gaiops-variant')).toBe('a');
    const unknown = await apiError(client(env, 'sk-ops').chat.completions.create(body, { headers: { 'x-gaiops-variant': 'zzz' } }));
    expect(unknown.status).toBe(400);
  });

  it('exports the GATEWAY_METRICS with counts matching the requests, plus gen_ai histograms', async () => {
    const before = await (await fetch(`${env.gw.url}/metrics`)).text();
    const base = metricValue(before, 'gaiops_gateway_requests_total', { variant: 'a', key: 'team-a', route: 'embeddings', code: '200' }) ?? 0;
    const baseTokens = metricValue(before, 'gaiops_gateway_tokens_total', { variant: 'a', key: 'team-a', type: 'input' }) ?? 0;
    for (let i = 0; i < 3; i++) await client(env).embeddings.create({ model: 'assistant', input: 'x' });
    await apiError(client(env, 'sk-nope').embeddings.create({ model: 'assistant', input: 'x' }));
    const res = await fetch(`${env.gw.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(metricValue(text, 'gaiops_gateway_requests_total', { variant: 'a', model: 'assistant', key: 'team-a', route: 'embeddings', code: '200' })).toBe(base + 3);
    expect(metricValue(text, 'gaiops_gateway_requests_total', { variant: 'none', key: 'none', route: 'embeddings', code: '401' })).toBe(1);
    expect(metricValue(text, 'gaiops_gateway_tokens_total', { variant: 'a', key: 'team-a', type: 'input' })).toBe(baseTokens + 33);
    expect(metricValue(text, 'gaiops_gateway_rate_limited_total', { key: 'tiny', limit: 'requests' })).toBe(1);
    expect(metricValue(text, 'gaiops_gateway_rate_limited_total', { key: 'budget', limit: 'budget' })).toBe(1);
    expect(metricValue(text, 'gaiops_gateway_in_flight_requests')).toBe(0);
    expect(metricValue(text, 'gaiops_gateway_breaker_state', { variant: 'a' })).toBe(0);
    expect(metricValue(text, 'gaiops_gateway_config_last_reload_timestamp_seconds')).toBeGreaterThan(1.7e9);
    expect(metricValue(text, 'gaiops_gateway_cost_usd_total', { variant: 'a', key: 'team-a' })).toBeGreaterThan(0);
    expect(metricValue(text, 'gaiops_gateway_time_to_first_token_seconds_count', { variant: 'a', model: 'assistant' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'gaiops_gateway_request_duration_seconds_count', { variant: 'a', route: 'chat' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'gen_ai_client_token_usage_count', { gen_ai_operation_name: 'embeddings', gen_ai_token_type: 'input', gen_ai_response_model: 'served-a' })).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_operation_name: 'chat' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'gen_ai_server_time_to_first_token_seconds_count', { gen_ai_operation_name: 'chat' })).toBeGreaterThanOrEqual(1);
  });

  it('health and readiness endpoints', async () => {
    expect((await fetch(`${env.gw.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${env.gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect((await fetch(`${env.gw.url}/nope`)).status).toBe(404);
    expect((await fetch(`${env.gw.url}/v1/chat/completions`)).status).toBe(405);
  });
});

describe('gateway prompt logging', () => {
  it('logs prompts and completions only when configured, with personal data redacted', async () => {
    const env = await startEnv(
      (upstream) => ({ model: 'assistant', variants: [{ name: 'a', upstream, upstreamModel: 'served-a', weight: 1 }], logging: { prompts: 'redacted' } }),
      KEYS,
    );
    try {
      await client(env).chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'mail me at jane@example.com or +44 20 7946 0958' }] }, { headers: { 'x-request-id': 'p1' } });
      const stream = await client(env).chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'card 4111-1111-1111-1111' }], stream: true }, { headers: { 'x-request-id': 'p2' } });
      for await (const chunk of stream) void chunk;
      expect(env.logs.find((l) => l.requestId === 'p1')).toMatchObject({ prompt: 'user: mail me at [EMAIL] or [PHONE]', completion: 'Hello from a' });
      expect(env.logs.find((l) => l.requestId === 'p2')).toMatchObject({ prompt: 'user: card [CARD]', completion: 'Hello from a' });
      expect(JSON.stringify(env.logs)).not.toContain('jane@example.com');
    } finally {
      await stopEnv(env);
    }
  });

  it('is not ready and answers 503 while the config cannot be loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
    writeFileSync(join(dir, 'gateway.json'), '{"model": 5}');
    writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: KEYS }));
    const gw = await startGateway({ configPath: join(dir, 'gateway.json'), keysPath: join(dir, 'keys.json'), accessLog: null });
    try {
      expect(gw.gateway.ready()).toBe(false);
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
      const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer sk-team-a' } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_ready');
    } finally {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
