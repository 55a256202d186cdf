import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import {
  type AppLogger,
  HttpApp,
  HttpError,
  type RawHttpRequest,
  formatIssuePath,
  isJsonContentType,
  parseBody,
  parseQuery,
  parseQueryString,
  sanitizeRequestId,
} from '../../../src/core/runtime/http-app';

interface LogLine {
  level: string;
  message: string;
  attributes: Record<string, unknown>;
}

function captureLogger(): { logger: AppLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, ...attributes: Record<string, unknown>[]) =>
      lines.push({ level, message, attributes: Object.assign({}, ...attributes) });
  return { logger: { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') }, lines };
}

function req(overrides: Partial<RawHttpRequest> = {}): RawHttpRequest {
  return { method: 'GET', path: '/', requestId: 'req-1', ...overrides };
}

function json(body: string): unknown {
  return JSON.parse(body);
}

const itemSchema = z.strictObject({
  name: z.string().min(1),
  tags: z.array(z.string().max(3)).optional(),
});

function buildApp(logger?: AppLogger): HttpApp {
  const app = new HttpApp({ name: 'test', logger });
  app.route('GET', '/healthz', () => ({ status: 200, body: { status: 'ok' } }));
  app.route('GET', '/items/:id', (request) => ({ status: 200, body: { id: request.params.id, q: request.query } }));
  app.route('DELETE', '/items/:id', () => ({ status: 204 }));
  app.route('GET', '/items/:id/parts/:part', (request) => ({
    status: 200,
    headers: { 'X-Custom': 'yes' },
    body: { id: request.params.id, part: request.params.part },
  }));
  app.route('POST', '/items', (request) => {
    const item = parseBody(itemSchema, request);
    return { status: 201, body: { created: item, requestId: request.requestId } };
  });
  app.route('GET', '/search', (request) => {
    const q = parseQuery(z.object({ limit: z.coerce.number().int().min(1).max(100), q: z.string() }), request);
    return { status: 200, body: q };
  });
  app.route('GET', '/teapot', () => {
    throw new HttpError(418, 'teapot', 'I am a teapot', { hint: 'coffee elsewhere' });
  });
  app.route('GET', '/boom', () => {
    throw new Error('database password=hunter2 leaked in message');
  });
  app.route('GET', '/bigint', () => ({ status: 200, body: { n: 1n } }));
  app.route('GET', '/echo-headers', (request) => ({ status: 200, body: request.headers }));
  return app;
}

describe('HttpApp routing', () => {
  const app = buildApp();

  it('routes static paths and always answers JSON', async () => {
    const res = await app.handle(req({ path: '/healthz' }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(json(res.body)).toEqual({ status: 'ok' });
  });

  it('matches methods case-insensitively and tolerates a trailing slash', async () => {
    expect((await app.handle(req({ method: 'get', path: '/healthz/' }))).status).toBe(200);
  });

  it('extracts and decodes path parameters', async () => {
    const res = await app.handle(req({ path: '/items/a%2Fb%20c', query: { x: '1' } }));
    expect(json(res.body)).toEqual({ id: 'a/b c', q: { x: '1' } });
    const nested = await app.handle(req({ path: '/items/7/parts/wheel' }));
    expect(json(nested.body)).toEqual({ id: '7', part: 'wheel' });
    expect(nested.headers['x-custom']).toBe('yes');
  });

  it('returns 404 not_found for unknown paths (and undecodable params)', async () => {
    for (const path of ['/nope', '/items/1/2', '/items/%E0%A4%A', '']) {
      const res = await app.handle(req({ path }));
      expect(res.status, path).toBe(404);
      expect(json(res.body)).toEqual({ error: { code: 'not_found', message: 'no route matches this path' } });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    }
  });

  it('returns 405 with an allow header for a known path and another method', async () => {
    const res = await app.handle(req({ method: 'PUT', path: '/items/1' }));
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, DELETE');
    expect(json(res.body)).toMatchObject({ error: { code: 'method_not_allowed' } });
  });

  it('serialises an empty body for handlers that return none', async () => {
    const res = await app.handle(req({ method: 'DELETE', path: '/items/1' }));
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
  });

  it('lower-cases request headers', async () => {
    const res = await app.handle(req({ path: '/echo-headers', headers: { 'X-Thing': 'A', Accept: 'b' } }));
    expect(json(res.body)).toEqual({ 'x-thing': 'A', accept: 'b' });
  });

  it('rejects bad route definitions', () => {
    const bad = new HttpApp();
    expect(() => bad.route('GET', 'nope', () => ({ status: 200 }))).toThrow(/must start with/);
    expect(() => bad.route('GET', '/a/:x/:x', () => ({ status: 200 }))).toThrow(/repeats/);
    bad.route('GET', '/a/:x', () => ({ status: 200 }));
    expect(() => bad.route('GET', '/a/:y', () => ({ status: 200 }))).toThrow(/already registered/);
    expect(() => bad.route('TRACE' as never, '/t', () => ({ status: 200 }))).toThrow(/unsupported/);
  });
});

describe('HttpApp bodies and validation', () => {
  const app = buildApp();
  const post = (rawBody: string | undefined, contentType: string | null = 'application/json') =>
    app.handle(
      req({ method: 'POST', path: '/items', rawBody, headers: contentType ? { 'Content-Type': contentType } : {} }),
    );

  it('parses and validates a JSON body', async () => {
    const res = await post(JSON.stringify({ name: 'x', tags: ['a'] }), 'application/json; charset=utf-8');
    expect(res.status).toBe(201);
    expect(json(res.body)).toEqual({ created: { name: 'x', tags: ['a'] }, requestId: 'req-1' });
  });

  it('accepts application/*+json', async () => {
    expect((await post('{"name":"x"}', 'application/merge-patch+json')).status).toBe(201);
  });

  it('returns 400 invalid_json without echoing the input', async () => {
    const res = await post('{"name": "secret-value"');
    expect(res.status).toBe(400);
    expect(json(res.body)).toEqual({ error: { code: 'invalid_json', message: 'request body is not valid JSON' } });
    expect(res.body).not.toContain('secret-value');
  });

  it('returns 415 for a non-empty body that is not declared JSON', async () => {
    for (const ct of [null, 'text/plain', 'application/jsonx']) {
      const res = await post('{"name":"x"}', ct);
      expect(res.status, String(ct)).toBe(415);
      expect(json(res.body)).toMatchObject({ error: { code: 'unsupported_media_type' } });
    }
  });

  it('lists zod issues with field paths', async () => {
    const res = await post(JSON.stringify({ name: '', tags: ['ok', 'toolong'], extra: 1 }));
    expect(res.status).toBe(400);
    const body = json(res.body) as { error: { code: string; details: { issues: { path: string; message: string }[] } } };
    expect(body.error.code).toBe('invalid_body');
    const paths = body.error.details.issues.map((i) => i.path).sort();
    expect(paths).toEqual(['(root)', 'name', 'tags[1]']);
    for (const issue of body.error.details.issues) expect(issue.message).toEqual(expect.any(String));
  });

  it('treats a missing body as undefined (validation error, not invalid_json)', async () => {
    const res = await post(undefined, null);
    expect(res.status).toBe(400);
    const body = json(res.body) as { error: { code: string; details: { issues: { path: string }[] } } };
    expect(body.error.code).toBe('invalid_body');
    expect(body.error.details.issues[0].path).toBe('(root)');
  });

  it('validates the query string', async () => {
    const ok = await app.handle(req({ path: '/search', query: { limit: '5', q: 'cats' } }));
    expect(json(ok.body)).toEqual({ limit: 5, q: 'cats' });
    const bad = await app.handle(req({ path: '/search', query: { limit: '500' } }));
    expect(bad.status).toBe(400);
    const body = json(bad.body) as { error: { code: string; details: { issues: { path: string }[] } } };
    expect(body.error.code).toBe('invalid_query');
    expect(body.error.details.issues.map((i) => i.path).sort()).toEqual(['limit', 'q']);
  });
});

describe('HttpApp error mapping and logging', () => {
  it('maps HttpError to its status, code, message and details', async () => {
    const res = await buildApp().handle(req({ path: '/teapot' }));
    expect(res.status).toBe(418);
    expect(json(res.body)).toEqual({
      error: { code: 'teapot', message: 'I am a teapot', details: { hint: 'coffee elsewhere' } },
    });
  });

  it('hides unexpected errors behind a generic 500 and logs the cause with the request id', async () => {
    const { logger, lines } = captureLogger();
    const res = await buildApp(logger).handle(req({ path: '/boom', requestId: 'abc-123' }));
    expect(res.status).toBe(500);
    expect(json(res.body)).toEqual({ error: { code: 'internal_error', message: 'internal server error' } });
    expect(res.body).not.toContain('hunter2');
    const errorLine = lines.find((l) => l.level === 'ERROR');
    expect(errorLine?.attributes.requestId).toBe('abc-123');
    expect(JSON.stringify(errorLine?.attributes.error)).toContain('database password');
  });

  it('turns unserialisable handler results into a 500', async () => {
    const res = await buildApp().handle(req({ path: '/bigint' }));
    expect(res.status).toBe(500);
    expect(json(res.body)).toMatchObject({ error: { code: 'internal_error' } });
  });

  it('logs one line per request with the route pattern, never the concrete path, query or body', async () => {
    const { logger, lines } = captureLogger();
    const app = buildApp(logger);
    await app.handle(
      req({
        method: 'POST',
        path: '/items',
        query: { token: 'q-secret' },
        headers: { 'content-type': 'application/json', authorization: 'Bearer h-secret' },
        rawBody: JSON.stringify({ name: 'jane.doe@example.com' }),
        requestId: 'rid-1',
      }),
    );
    await app.handle(req({ path: '/items/jane.doe@example.com', requestId: 'rid-2' }));
    expect(lines.map((l) => [l.level, l.message, l.attributes.requestId])).toEqual([
      ['INFO', 'request completed', 'rid-1'],
      ['INFO', 'request completed', 'rid-2'],
    ]);
    expect(lines[0].attributes).toMatchObject({ method: 'POST', route: '/items', status: 201 });
    expect(lines[1].attributes).toMatchObject({ method: 'GET', route: '/items/:id', status: 200 });
    const all = JSON.stringify(lines);
    for (const secret of ['q-secret', 'h-secret', 'jane.doe']) expect(all).not.toContain(secret);
  });
});

describe('helpers', () => {
  it('formats issue paths', () => {
    expect(formatIssuePath([])).toBe('(root)');
    expect(formatIssuePath(['a', 0, 'b'])).toBe('a[0].b');
    expect(formatIssuePath([2])).toBe('[2]');
  });

  it('parses query strings (first value wins)', () => {
    expect(parseQueryString('a=1&b=x%20y&a=2&c')).toEqual({ a: '1', b: 'x y', c: '' });
    expect(parseQueryString(undefined)).toEqual({});
  });

  it('recognises JSON content types', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=UTF-8')).toBe(true);
    expect(isJsonContentType('application/vnd.api+json')).toBe(true);
    expect(isJsonContentType('text/json')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it('only accepts safe client request ids', () => {
    expect(sanitizeRequestId('abc-123_X.y:z')).toBe('abc-123_X.y:z');
    expect(sanitizeRequestId('bad id\n{"injected":1}')).toBeUndefined();
    expect(sanitizeRequestId('x'.repeat(129))).toBeUndefined();
    expect(sanitizeRequestId(undefined)).toBeUndefined();
  });
});
