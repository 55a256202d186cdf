import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { z } from 'zod';
import { type AppLogger, HttpApp, parseBody } from '../../../src/core/runtime/http-app';
import { type HttpServerHandle, runServerFromEnv, serveHttp } from '../../../src/core/runtime/node-http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LIMIT = 1024;

function captureLogger(): { logger: AppLogger; lines: { message: string; attributes: Record<string, unknown> }[] } {
  const lines: { message: string; attributes: Record<string, unknown> }[] = [];
  const at = (message: string, ...attributes: Record<string, unknown>[]) =>
    lines.push({ message, attributes: Object.assign({}, ...attributes) });
  return { logger: { debug: at, info: at, warn: at, error: at }, lines };
}

function buildApp(logger?: AppLogger): HttpApp {
  const app = new HttpApp({ name: 'node-http-test', logger });
  app.route('GET', '/healthz', () => ({ status: 200, body: { status: 'ok' } }));
  app.route('POST', '/echo', (request) => ({
    status: 200,
    body: { body: parseBody(z.object({ text: z.string() }), request), query: request.query, requestId: request.requestId },
  }));
  app.route('GET', '/slow', async () => {
    await new Promise((r) => setTimeout(r, 300));
    return { status: 200, body: { slow: true } };
  });
  return app;
}

/** Sends a POST whose body arrives in chunks without content-length (chunked transfer encoding). */
function postChunked(url: string, chunks: Buffer[]): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('serveHttp (real server on port 0)', () => {
  let server: HttpServerHandle;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    server = await serveHttp(buildApp(logger), { port: 0, bodyLimitBytes: LIMIT });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('reports the real port and serves JSON', async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('echoes a well-formed x-request-id and generates a UUID otherwise', async () => {
    const given = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const generated = await fetch(`${server.url}/healthz`);
    expect(generated.headers.get('x-request-id')).toMatch(UUID);
    const unsafe = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'a b {"x":1}' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(UUID);
    expect(lines.some((l) => l.attributes.requestId === 'trace-abc.123')).toBe(true);
  });

  it('passes the body, query and request id to the handler', async () => {
    const res = await fetch(`${server.url}/echo?a=1&b=two%20words`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'rid-echo' },
      body: JSON.stringify({ text: 'héllo' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: { text: 'héllo' }, query: { a: '1', b: 'two words' }, requestId: 'rid-echo' });
  });

  it('answers 404 not_found for unknown paths', async () => {
    const res = await fetch(`${server.url}/nope?x=1`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route matches this path' } });
  });

  it('answers 405 with an allow header for a wrong method', async () => {
    const res = await fetch(`${server.url}/echo`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
  });

  it('answers 415 for a body that is not declared JSON', async () => {
    const res = await fetch(`${server.url}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"text":"x"}' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });

  it('answers 400 invalid_json for malformed JSON', async () => {
    const res = await fetch(`${server.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid_json', message: 'request body is not valid JSON' } });
  });

  it('answers 400 with field paths for a body that fails validation', async () => {
    const res = await fetch(`${server.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":3}' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { issues: { path: string }[] } } };
    expect(body.error.code).toBe('invalid_body');
    expect(body.error.details.issues.map((i) => i.path)).toEqual(['text']);
  });

  it('answers 413 when content-length announces too many bytes', async () => {
    const res = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(LIMIT * 4) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('x-request-id')).toMatch(UUID);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large', details: { limitBytes: LIMIT } } });
  });

  it('answers 413 when a chunked body grows past the limit while streaming', async () => {
    const chunk = Buffer.alloc(400, 'a');
    const res = await postChunked(server.url, [Buffer.from('{"text":"'), chunk, chunk, chunk, Buffer.from('"}')]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('accepts a chunked body within the limit', async () => {
    const res = await postChunked(server.url, [Buffer.from('{"text":"'), Buffer.alloc(500, 'b'), Buffer.from('"}')]);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { body: { text: string } }).body.text).toHaveLength(500);
  });

  it('still serves requests after rejecting oversized bodies', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('serveHttp close()', () => {
  it('lets in-flight requests finish, then refuses new connections', async () => {
    const server = await serveHttp(buildApp(), { port: 0 });
    await fetch(`${server.url}/healthz`); // leaves an idle keep-alive connection behind
    const inFlight = fetch(`${server.url}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closed = server.close();
    expect(server.close()).toBe(closed); // idempotent
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slow: true });
    await closed;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    const first = await serveHttp(buildApp(), { port: 0 });
    try {
      await expect(serveHttp(buildApp(), { port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});

describe('runServerFromEnv (child process)', () => {
  it('logs a JSON listening line, serves, and exits 0 after draining on SIGTERM', async () => {
    const root = resolve(__dirname, '../../..');
    const script = `
      const { HttpApp } = require('./src/core/runtime/http-app.ts');
      const { runServerFromEnv } = require('./src/core/runtime/node-http.ts');
      const app = new HttpApp({ name: 'fixture' });
      app.route('GET', '/slow', async () => { await new Promise((r) => setTimeout(r, 300)); return { status: 200, body: { slow: true } }; });
      runServerFromEnv(app).catch((e) => { console.error(e); process.exit(2); });
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', POWERTOOLS_LOG_LEVEL: 'INFO' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const stdoutLines: string[] = [];
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const listening = await new Promise<Record<string, unknown>>((resolveLine, reject) => {
        let buffer = '';
        child.stdout.on('data', (c: Buffer) => {
          buffer += c.toString();
          let nl;
          while ((nl = buffer.indexOf('\n')) !== -1) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            stdoutLines.push(line);
            const parsed = JSON.parse(line) as Record<string, unknown>;
            if (parsed.message === 'listening') resolveLine(parsed);
          }
        });
        void exited.then((code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
      });
      expect(listening).toMatchObject({ level: 'INFO', service: 'fixture', host: '127.0.0.1' });
      const url = listening.url as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const inFlight = fetch(`${url}/slow`);
      await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await exited).toBe(0);
      const messages = stdoutLines.map((l) => (JSON.parse(l) as { message: string }).message);
      expect(messages).toEqual(expect.arrayContaining(['listening', 'shutting down', 'stopped']));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 15_000);

  it('rejects an invalid PORT', async () => {
    await expect(runServerFromEnv(buildApp(), { env: { PORT: 'http' }, exit: () => undefined })).rejects.toThrow(/PORT must be/);
  });
});
