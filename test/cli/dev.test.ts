/**
 * `gaiops dev`: the real command (`node bin/gaiops.js dev`, as users run it) with official clients
 * against it — the `openai` SDK on the gateway, `RegistryClient` on the registry, fetch on the
 * feature API — plus its shutdown, errors and help; and the fake model on its own.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main, type CliIo } from '../../src/cli/main';
import { fakeEmbedding, startFakeModel, type FakeModelServer } from '../../src/cli/dev/fake-model';
import { EVENT_SINK_CAPACITY, InMemoryEventSink } from '../../src/cli/dev/in-memory-event-sink';
import { DEV_APPROVER_PRINCIPAL, DEV_DEFAULT_PORT, DEV_PRINCIPAL } from '../../src/cli/dev/playground-settings';
import { RegistryApiError, RegistryClient } from '../../src/model-registry/client/registry-client';

const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'gaiops.js');
const START_TIMEOUT_MS = 20_000;
const STOP_BOUND_MS = 10_000;

interface Ready {
  ready: true;
  registry: string;
  features: string;
  gateway: string;
  apiKey: string;
}

interface DevProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The children's TMPDIR (shared, so tsx's compile cache in it is reused; the spawns run one at a time). */
const TMP = mkdtempSync(join(tmpdir(), 'gaiops-dev-test-'));
const children: ChildProcessWithoutNullStreams[] = [];

/** The playground temp dirs in the children's TMPDIR. */
function playgroundDirs(): string[] {
  return readdirSync(TMP).filter((d) => d.startsWith('gaiops-dev-'));
}

/** Spawns `node bin/gaiops.js dev <args>` with TMPDIR=TMP. */
function spawnDev(args: string[]): DevProcess {
  const child = spawn(process.execPath, [BIN, 'dev', ...args], { cwd: ROOT, env: { ...process.env, TMPDIR: TMP } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for the first stdout line and parses it. */
async function readyLine(dev: DevProcess): Promise<{ line: string; ready: Ready }> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!dev.stdout().includes('\n')) {
    if (dev.child.exitCode !== null) throw new Error(`gaiops dev exited ${dev.child.exitCode}: ${dev.stderr()}`);
    if (Date.now() > deadline) throw new Error(`gaiops dev not ready after ${START_TIMEOUT_MS} ms: ${dev.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const line = dev.stdout().split('\n')[0];
  return { line, ready: JSON.parse(line) as Ready };
}

async function stopWithin(dev: DevProcess, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const started = Date.now();
  dev.child.kill(signal);
  const result = await Promise.race([
    dev.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within ${STOP_BOUND_MS} ms after ${signal}`)), STOP_BOUND_MS)),
  ]);
  return { ...result, ms: Date.now() - started };
}

async function gaiops(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: ROOT };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(TMP, { recursive: true, force: true });
});

describe('gaiops dev (spawned)', () => {
  let dev: DevProcess;
  let ready: Ready;
  let line: string;
  let openai: OpenAI;

  beforeAll(async () => {
    dev = spawnDev(['--port', '0']);
    ({ line, ready } = await readyLine(dev));
    openai = new OpenAI({ baseURL: ready.gateway, apiKey: ready.apiKey, maxRetries: 0 });
  }, START_TIMEOUT_MS + 5_000);

  it('prints exactly one ready line with the base URLs on one 127.0.0.1 port and a fresh key', async () => {
    const port = /^http:\/\/127\.0\.0\.1:(\d+)\/registry$/.exec(ready.registry)?.[1];
    expect(port).toBeDefined();
    expect(Object.keys(ready)).toEqual(['ready', 'registry', 'features', 'gateway', 'apiKey']);
    expect(ready).toEqual({
      ready: true,
      registry: `http://127.0.0.1:${port}/registry`,
      features: `http://127.0.0.1:${port}/features`,
      gateway: `http://127.0.0.1:${port}/gateway/v1`,
      apiKey: expect.stringMatching(/^gaiops-dev-[A-Za-z0-9_-]{32}$/),
    });
    expect(dev.stdout()).toBe(`${line}\n`);
    expect(playgroundDirs()).toHaveLength(1);
    // The key is printed once (stdout); logs never carry it.
    expect(dev.stderr()).not.toContain(ready.apiKey);
    const index = await fetch(`http://127.0.0.1:${port}/`);
    expect(await index.json()).toMatchObject({ registry: ready.registry, features: ready.features, gateway: ready.gateway, model: 'gaiops-dev' });
  });

  it('gateway: a chat completion from the fake model through the real gateway', async () => {
    const request = { model: 'gaiops-dev', messages: [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'hello dev playground' }] };
    const { data, response } = await openai.chat.completions.create(request).withResponse();
    const variant = response.headers.get('x-gaiops-variant');
    expect(['champion', 'challenger']).toContain(variant);
    expect(data.model).toBe(`fake-${variant}`);
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0].message).toMatchObject({ role: 'assistant', content: `fake-${variant} says: hello dev playground` });
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.usage).toEqual({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });

    // The dev key may pick the variant; the answer is deterministic.
    const forced = await openai.chat.completions.create({ ...request, max_tokens: 2 }, { headers: { 'x-gaiops-variant': 'challenger' } });
    expect(forced.model).toBe('fake-challenger');
    expect(forced.choices[0]).toMatchObject({ message: { content: 'fake-challenger says:' }, finish_reason: 'length' });
  });

  it('gateway: a streamed chat completion, with the usage chunk last when asked for', async () => {
    const stream = await openai.chat.completions.create(
      { model: 'gaiops-dev', messages: [{ role: 'user', content: 'stream me' }], stream: true, stream_options: { include_usage: true } },
      { headers: { 'x-gaiops-variant': 'champion' } },
    );
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('fake-champion says: stream me');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 });

    // Without include_usage the gateway strips the usage chunk it asked the model for.
    const plain = await openai.chat.completions.create({ model: 'gaiops-dev', messages: [{ role: 'user', content: 'again' }], stream: true });
    const plainChunks = [];
    for await (const chunk of plain) plainChunks.push(chunk);
    expect(plainChunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true);
  });

  it('gateway: completions', async () => {
    const out = await openai.completions.create({ model: 'gaiops-dev', prompt: ['one two', 'three'] }, { headers: { 'x-gaiops-variant': 'champion' } });
    expect(out.choices.map((c) => c.text)).toEqual(['fake-champion says: one two', 'fake-champion says: three']);
    expect(out.usage).toEqual({ prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 });
  });

  it('gateway: deterministic embeddings (the client asks for base64 and decodes it)', async () => {
    const out = await openai.embeddings.create({ model: 'gaiops-dev', input: ['the same text', 'other text', 'the same text'] });
    expect(out.data.map((d) => d.index)).toEqual([0, 1, 2]);
    const [a, b, c] = out.data.map((d) => d.embedding);
    expect(a).toHaveLength(64);
    expect(a).toEqual(c);
    expect(a).not.toEqual(b);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    expect(a).toEqual(fakeEmbedding('the same text'));

    const floats = await openai.embeddings.create({ model: 'gaiops-dev', input: 'the same text', encoding_format: 'float', dimensions: 8 });
    expect(floats.data[0].embedding).toEqual(fakeEmbedding('the same text', 8));
    expect(floats.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });

  it('gateway: models', async () => {
    const list = await openai.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['gaiops-dev']);
    expect((await openai.models.retrieve('gaiops-dev')).id).toBe('gaiops-dev');
  });

  it('gateway: a wrong key gets 401', async () => {
    const wrong = new OpenAI({ baseURL: ready.gateway, apiKey: `${ready.apiKey}x`, maxRetries: 0 });
    const error = await wrong.chat.completions.create({ model: 'gaiops-dev', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('registry: RegistryClient creates a model and a version as the header principal; the dev approver approves', async () => {
    const creator = 'arn:aws:sts::000000000000:assumed-role/gaiops-dev/alice';
    const credentials = { accessKeyId: 'dev', secretAccessKey: 'dev' };
    const alice = new RegistryClient({ baseUrl: ready.registry, region: 'us-east-1', credentials, maxRetries: 0, headers: { 'x-gaiops-principal': creator } });
    const model = await alice.createRegisteredModel('churn-classifier', { description: 'dev playground model', tags: { team: 'ml' } });
    expect(model).toMatchObject({ name: 'churn-classifier', user_id: creator, description: 'dev playground model' });
    const version = await alice.createModelVersion({ name: 'churn-classifier', source: 's3://training-output/churn/model.tar.gz', runId: 'run-1' });
    expect(version).toMatchObject({ name: 'churn-classifier', version: '1', user_id: creator, source: 's3://training-output/churn/model.tar.gz', current_stage: 'None' });
    expect(await alice.getModelVersion('churn-classifier', 1)).toMatchObject({ version: '1', run_id: 'run-1' });

    // Approvals: the creator is no approver; a session of the dev approver role is.
    const denied = await alice.approve('churn-classifier', 1).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(RegistryApiError);
    expect((denied as RegistryApiError).errorCode).toBe('PERMISSION_DENIED');
    const reviewer = new RegistryClient({ baseUrl: ready.registry, region: 'us-east-1', credentials, maxRetries: 0, headers: { 'x-gaiops-principal': DEV_APPROVER_PRINCIPAL } });
    expect(await reviewer.approve('churn-classifier', 1, 'looks good')).toMatchObject({ decision: 'approved', principal: DEV_APPROVER_PRINCIPAL, comment: 'looks good' });

    // Events go to the in-memory sink, which logs them (to stderr, never stdout).
    expect(dev.stderr()).toMatch(/"message":"registry event"[^\n]*"detailType":"ModelVersionCreated","modelName":"churn-classifier","version":"1"/);

    // Without the header the caller is the dev principal.
    const anonymous = new RegistryClient({ baseUrl: ready.registry, region: 'us-east-1', credentials, maxRetries: 0 });
    expect(await anonymous.createRegisteredModel('anonymous-model')).toMatchObject({ user_id: DEV_PRINCIPAL });
  });

  it('features: push, then get-online-features (PII hashed / masked as deployed)', async () => {
    const principal = 'arn:aws:sts::000000000000:assumed-role/gaiops-dev/feature-pusher';
    const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    const push = await fetch(`${ready.features}/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gaiops-principal': principal },
      body: JSON.stringify({
        group: 'customers',
        to: 'online_and_offline',
        rows: [
          { customer_id: 'c-1', updated_at: now, email: 'ada@example.com', phone: '+44 20 7946 0018', gender: 'female', age_band: '35-44', lifetime_value: 1234.5, orders_90d: 7 },
          { customer_id: 'c-2', updated_at: now, orders_90d: -1 },
        ],
      }),
    });
    expect(push.status).toBe(200);
    const pushed = (await push.json()) as { counts: { valid: number; rejected: number }; rejected: { index: number }[]; version: { versionId: string; status: string } };
    expect(pushed.counts).toMatchObject({ valid: 1, rejected: 1 });
    expect(pushed.rejected.map((r) => r.index)).toEqual([1]);
    expect(pushed.version).toEqual({ versionId: expect.stringMatching(/^[0-9a-f]{64}$/), status: 'created' });

    const read = await fetch(`${ready.features}/get-online-features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: ['customers:orders_90d', 'customers:email', 'customers:phone', 'customers:lifetime_value'], entities: { customer_id: ['c-1', 'c-404'] } }),
    });
    expect(read.status).toBe(200);
    const online = (await read.json()) as { metadata: { feature_names: string[] }; results: { values: unknown[]; statuses: string[] }[] };
    expect(online.metadata.feature_names).toEqual(['customer_id', 'orders_90d', 'email', 'phone', 'lifetime_value']);
    expect(online.results[0].values).toEqual(['c-1', 'c-404']);
    expect(online.results[1]).toMatchObject({ values: [7, null], statuses: ['PRESENT', 'NOT_FOUND'] });
    expect(online.results[2].values[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(online.results[3].values[0]).toBe('************0018');
    expect(online.results[4].values[0]).toBe(1234.5);

    const versions = await fetch(`${ready.features}/datasets/customers/versions`);
    const list = (await versions.json()) as { current: string; versions: { versionId: string; creator: string }[] };
    expect(list.current).toBe(pushed.version.versionId);
    expect(list.versions[0].creator).toBe(principal);
  });

  it('routing edges: unknown paths 404, registry errors in MLflow shape, 413 over 1 MiB, a malformed principal 403', async () => {
    const base = ready.registry.replace(/\/registry$/, '');
    const unknown = await fetch(`${base}/nowhere`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
    const missing = await fetch(`${ready.registry}/api/2.0/mlflow/registered-models/get?name=no-such-model`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    const json = { 'content-type': 'application/json' };
    const big = await fetch(`${ready.features}/push`, { method: 'POST', headers: json, body: JSON.stringify({ group: 'customers', rows: ['x'.repeat(1024 * 1024)] }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    const body = JSON.stringify({ group: 'customers', rows: [{ customer_id: 'c-9', updated_at: new Date().toISOString(), orders_90d: 1 }] });
    const forged = await fetch(`${ready.features}/push`, { method: 'POST', headers: { ...json, 'x-gaiops-principal': 'a'.repeat(3000) }, body });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: 'permission_denied' } });
    const featuresRoot = await fetch(`${ready.features}/healthz`);
    expect(await featuresRoot.json()).toEqual({ status: 'ok' });
  });

  it('stops on SIGTERM: exit 0 within the bound, temp dir deleted', async () => {
    const stopped = await stopWithin(dev, 'SIGTERM');
    expect(stopped).toMatchObject({ code: 0, signal: null });
    expect(stopped.ms).toBeLessThan(STOP_BOUND_MS);
    expect(playgroundDirs()).toEqual([]);
    expect(dev.stderr()).toContain('"message":"gaiops dev stopped"');
    expect(dev.stdout()).toBe(`${line}\n`);
    await expect(fetch(`${ready.gateway}/models`)).rejects.toThrow();
  });
});

describe('gaiops dev: signals and errors (spawned)', () => {
  let busy: Server;
  let busyPort: number;

  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => busy.close(() => r()));
  });

  it('stops on SIGINT with exit 0 and leaves no temp dir', async () => {
    const dev = spawnDev(['--port', '0']);
    await readyLine(dev);
    const stopped = await stopWithin(dev, 'SIGINT');
    expect(stopped).toMatchObject({ code: 0, signal: null });
    expect(playgroundDirs()).toEqual([]);
  }, START_TIMEOUT_MS + STOP_BOUND_MS);

  it('a port in use: exit 1, one clear stderr line, nothing on stdout, no temp dir', async () => {
    const dev = spawnDev(['--port', String(busyPort)]);
    const result = await Promise.race([dev.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit')), START_TIMEOUT_MS))]);
    expect(result.code).toBe(1);
    expect(dev.stdout()).toBe('');
    const lines = dev.stderr().split('\n').filter((l) => l.startsWith('gaiops dev:'));
    expect(lines).toEqual([`gaiops dev: port ${busyPort} on 127.0.0.1 is already in use; pick another with --port <n> (0 picks a free one)`]);
    expect(playgroundDirs()).toEqual([]);
  }, START_TIMEOUT_MS + 5_000);
});

describe('gaiops dev: help and usage (in-process)', () => {
  it('--help documents the routes, the ready line, auth, the default port and the exit codes', async () => {
    const r = await gaiops(['dev', '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Usage: gaiops dev [--port <n>]');
    for (const text of [
      '/registry/api/2.0/mlflow/...',
      '/registry/api/2.0/gaiops/...',
      '/features/get-online-features',
      '/features/push',
      '/features/datasets/...',
      '/gateway/v1/...',
      '{"ready":true,"registry":',
      'x-gaiops-principal',
      'Authorization: Bearer <apiKey>',
      'GET http://127.0.0.1:<n>/ lists these URLs',
      `default ${DEV_DEFAULT_PORT}; 0 picks a free one`,
      'Exit codes:',
      '0  stopped by SIGINT or SIGTERM',
      '1  could not start (port in use',
      '2  usage error',
    ]) {
      expect(r.stdout).toContain(text);
    }
    expect((await gaiops(['help', 'dev'])).stdout).toBe(r.stdout);
    expect((await gaiops(['--help'])).stdout).toMatch(/dev\s+run the local playground/);
  });

  it.each([
    [['--port', 'abc'], "gaiops dev: --port must be an integer from 0 to 65535, got 'abc'"],
    [['--port', '65536'], "gaiops dev: --port must be an integer from 0 to 65535, got '65536'"],
    [['--port', '-1'], 'gaiops dev:'],
    [['--host', '0.0.0.0'], "gaiops dev: Unknown option '--host'"],
    [['extra'], 'gaiops dev:'],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const r = await gaiops(['dev', ...argv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("Run 'gaiops dev --help' for usage.");
  });
});

describe('InMemoryEventSink', () => {
  it('keeps the latest EVENT_SINK_CAPACITY events, oldest first', async () => {
    const sink = new InMemoryEventSink();
    const event = (i: number) => ({ detailType: 'AliasChanged' as const, detail: { model_name: `m${i}` } });
    await sink.publish(Array.from({ length: EVENT_SINK_CAPACITY + 5 }, (_, i) => event(i)));
    expect(sink.events).toHaveLength(EVENT_SINK_CAPACITY);
    expect(sink.events[0].detail.model_name).toBe('m5');
    expect(sink.events.at(-1)?.detail.model_name).toBe(`m${EVENT_SINK_CAPACITY + 4}`);
  });
});

describe('fake model', () => {
  let model: FakeModelServer;
  beforeAll(async () => {
    model = await startFakeModel({ models: ['m-a', 'm-b'] });
  });
  afterAll(async () => {
    await model.close();
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${model.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };

  it('answers the same request with the same bytes', async () => {
    const body = { model: 'm-a', messages: [{ role: 'user', content: [{ type: 'text', text: 'multi' }, { type: 'text', text: 'part' }] }] };
    const [a, b] = await Promise.all([post('/v1/chat/completions', body), post('/v1/chat/completions', body)]);
    expect(a).toEqual(b);
    expect(a.json.choices[0].message.content).toBe('m-a says: multi part');
    expect(a.json.id).toMatch(/^chatcmpl-[0-9a-f]{24}$/);
  });

  it('errors in OpenAI shape: unknown model, bad JSON, unknown route, wrong method', async () => {
    expect(await post('/v1/chat/completions', { model: 'nope', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({
      status: 404,
      json: { error: { code: 'model_not_found', param: 'model' } },
    });
    expect(await post('/v1/embeddings', { model: 'm-a', input: [] })).toMatchObject({ status: 400, json: { error: { param: 'input' } } });
    expect(await post('/v1/embeddings', { model: 'm-a', input: 'x', dimensions: 0 })).toMatchObject({ status: 400, json: { error: { param: 'dimensions' } } });
    const bad = await fetch(`${model.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${model.url}/v2/whatever`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${model.url}/v1/chat/completions`)).status).toBe(405);
    const models = await fetch(`${model.url}/v1/models`);
    expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['m-a', 'm-b']);
    expect((await fetch(`${model.url}/v1/models/m-c`)).status).toBe(404);
  });

  it('embeddings are unit vectors of the asked size; token-id inputs work too', async () => {
    const out = await post('/v1/embeddings', { model: 'm-b', input: [[1, 2, 3], [4]], dimensions: 300 });
    expect(out.status).toBe(200);
    expect(out.json.data).toHaveLength(2);
    for (const d of out.json.data) {
      expect(d.embedding).toHaveLength(300);
      expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5);
    }
    expect(out.json.data[0].embedding).not.toEqual(out.json.data[1].embedding);
  });
});
