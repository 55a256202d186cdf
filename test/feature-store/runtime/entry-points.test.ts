/**
 * The bundled entry points load without touching AWS and answer requests that need no AWS call;
 * everything else they do is covered through the factories they call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApiEvent } from '../../../src/core/runtime/lambda-http';

const ENV = {
  FS_BUCKET: 'entry-point-bucket',
  FS_ONLINE_TABLE: 'online',
  FS_VERSIONS_TABLE: 'versions',
  FS_CONFIG_KEY: 'config/feature-groups.json',
  FS_PII_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pii-AbCdEf',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'entry-point-test',
  AWS_SECRET_ACCESS_KEY: 'entry-point-test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function event(method: string, path: string, body?: unknown): HttpApiEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '20/Feb/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

describe('entry points', () => {
  it('serving-lambda exports a handler built from FS_* at load', async () => {
    const { handler } = await import('../../../src/feature-store/runtime/serving-lambda');
    const health = await handler(event('GET', '/healthz'));
    expect(health.statusCode).toBe(200);
    const bad = await handler(event('POST', '/get-online-features', { entities: {} }));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body ?? '{}').error.details.issues[0].path).toBe('features');
  });

  it('ingest-lambda exports an SQS handler that builds lazily', async () => {
    const { handler } = await import('../../../src/feature-store/runtime/ingest-lambda');
    expect(typeof handler).toBe('function');
    const result = await handler({ Records: [] });
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('serving-server main() serves on HOST:PORT', async () => {
    const { main } = await import('../../../src/feature-store/runtime/serving-server');
    const server = await main({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
    try {
      const res = await fetch(`${server.url}/healthz`);
      expect(await res.json()).toEqual({ status: 'ok' });
    } finally {
      await server.close();
    }
  });
});
