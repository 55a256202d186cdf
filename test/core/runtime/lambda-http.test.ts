import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { HttpApp, parseBody } from '../../../src/core/runtime/http-app';
import { type HttpApiEvent, toLambdaHandler } from '../../../src/core/runtime/lambda-http';

/** A payload-v2 event as API Gateway HTTP APIs send it (shape from the AWS documentation). */
function httpApiEvent(overrides: {
  method?: string;
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  stage?: string;
  requestId?: string;
}): HttpApiEvent {
  const method = overrides.method ?? 'GET';
  const rawPath = overrides.rawPath ?? '/';
  const stage = overrides.stage ?? '$default';
  const event: HttpApiEvent = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: overrides.rawQueryString ?? '',
    cookies: ['session=should-not-matter'],
    headers: {
      accept: '*/*',
      'content-length': String(overrides.body?.length ?? 0),
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-65f1e2a3-0123456789abcdef01234567',
      'x-forwarded-for': '203.0.113.10',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...overrides.headers,
    },
    queryStringParameters: undefined,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'curl/8.5.0' },
      requestId: overrides.requestId ?? 'JKJaXmPLvHcESHA=',
      routeKey: '$default',
      stage,
      time: '10/Mar/2024:10:00:00 +0000',
      timeEpoch: 1710064800000,
    },
    isBase64Encoded: overrides.isBase64Encoded ?? false,
  };
  if (overrides.body !== undefined) event.body = overrides.body;
  return event;
}

function buildHandler() {
  const app = new HttpApp({ name: 'lambda-test' });
  app.route('GET', '/healthz', () => ({ status: 200, body: { status: 'ok' } }));
  app.route('GET', '/items/:id', (request) => ({ status: 200, body: { id: request.params.id, query: request.query } }));
  app.route('POST', '/items', (request) => ({
    status: 201,
    headers: { location: '/items/1' },
    body: { item: parseBody(z.strictObject({ name: z.string() }), request), requestId: request.requestId },
  }));
  return toLambdaHandler(app);
}

function parse(body: string | undefined): unknown {
  return JSON.parse(body ?? 'null');
}

describe('toLambdaHandler', () => {
  const handler = buildHandler();

  it('maps a GET with path params and query string', async () => {
    const res = await handler(
      httpApiEvent({ rawPath: '/items/a%2Fb', rawQueryString: 'limit=10&tag=x&tag=y&q=two%20words' }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(false);
    expect(res.headers?.['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers?.['x-request-id']).toBe('JKJaXmPLvHcESHA=');
    expect(parse(res.body)).toEqual({ id: 'a/b', query: { limit: '10', tag: 'x', q: 'two words' } });
  });

  it('parses a plain JSON body and passes the API Gateway request id', async () => {
    const res = await handler(
      httpApiEvent({
        method: 'POST',
        rawPath: '/items',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'plain' }),
        requestId: 'req-plain',
      }),
    );
    expect(res.statusCode).toBe(201);
    expect(res.headers?.location).toBe('/items/1');
    expect(parse(res.body)).toEqual({ item: { name: 'plain' }, requestId: 'req-plain' });
  });

  it('decodes a base64 body (UTF-8)', async () => {
    const body = Buffer.from(JSON.stringify({ name: 'bäse64 ✓' }), 'utf8').toString('base64');
    const res = await handler(
      httpApiEvent({
        method: 'POST',
        rawPath: '/items',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        isBase64Encoded: true,
      }),
    );
    expect(res.statusCode).toBe(201);
    expect(parse(res.body)).toMatchObject({ item: { name: 'bäse64 ✓' } });
  });

  it('maps invalid JSON, wrong content type and validation failures to 4xx JSON errors', async () => {
    const post = (body: string, contentType = 'application/json', isBase64Encoded = false) =>
      handler(httpApiEvent({ method: 'POST', rawPath: '/items', headers: { 'content-type': contentType }, body, isBase64Encoded }));

    const invalid = await post(Buffer.from('{"name":').toString('base64'), 'application/json', true);
    expect(invalid.statusCode).toBe(400);
    expect(parse(invalid.body)).toMatchObject({ error: { code: 'invalid_json' } });

    const unsupported = await post('name=x', 'application/x-www-form-urlencoded');
    expect(unsupported.statusCode).toBe(415);

    const validation = await post(JSON.stringify({ name: 1, extra: true }));
    expect(validation.statusCode).toBe(400);
    const body = parse(validation.body) as { error: { code: string; details: { issues: { path: string }[] } } };
    expect(body.error.code).toBe('invalid_body');
    expect(body.error.details.issues.map((i) => i.path).sort()).toEqual(['(root)', 'name']);
  });

  it('maps 404 and 405', async () => {
    const notFound = await handler(httpApiEvent({ rawPath: '/missing' }));
    expect(notFound.statusCode).toBe(404);
    expect(parse(notFound.body)).toMatchObject({ error: { code: 'not_found' } });

    const wrongMethod = await handler(httpApiEvent({ method: 'DELETE', rawPath: '/healthz' }));
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers?.allow).toBe('GET');
  });

  it('removes the stage prefix of a named stage', async () => {
    const res = await handler(httpApiEvent({ rawPath: '/prod/healthz', stage: 'prod' }));
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toEqual({ status: 'ok' });
    // The $default stage has no prefix to remove.
    const untouched = await handler(httpApiEvent({ rawPath: '/prod/healthz' }));
    expect(untouched.statusCode).toBe(404);
  });

  it('generates a request id when the event has none', async () => {
    const event = httpApiEvent({ rawPath: '/healthz' });
    event.requestContext.requestId = '';
    const res = await handler(event);
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
