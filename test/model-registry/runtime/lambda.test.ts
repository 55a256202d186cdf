/**
 * The registry behind API Gateway (HTTP API, payload v2, IAM authorization): the caller identity
 * comes from `requestContext.authorizer.iam`, never from headers. Also runs the real `lambda.ts`
 * entry module, configured only through environment variables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpApiEvent, principalFromRequestContext, toLambdaHandler } from '../../../src/core/runtime/lambda-http';
import { MODEL_REGISTRY_ENV } from '../../../src/model-registry/registry-config';
import { loadRegistryEnv } from '../../../src/model-registry/runtime/env';
import {
  ACCOUNT,
  ALICE,
  ALICE_AS_APPROVER,
  APPROVER_ROLE_ARN,
  ARTIFACT_BUCKET,
  AUDIT_TABLE,
  BOB,
  DEV_CONFIG,
  METADATA_TABLE,
  type RegistryFixture,
  startRegistry,
  uniqueName,
} from './support/registry-fixture';

const DEPLOYED_CONFIG = { ...DEV_CONFIG, trustPrincipalHeader: false };

/** A payload-v2 event with an IAM authorizer block as API Gateway sends it for SigV4 callers. */
function iamEvent(options: {
  method: string;
  path: string;
  principal?: string;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  stage?: string;
  base64?: boolean;
}): HttpApiEvent {
  const stage = options.stage ?? '$default';
  const rawPath = stage === '$default' ? options.path : `/${stage}${options.path}`;
  const session = options.principal?.split('/').at(-1);
  const text = options.body === undefined ? undefined : JSON.stringify(options.body);
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: {
      accept: 'application/json',
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'mlflow-python-client/2.19.0',
      'x-amz-date': '20260301T120000Z',
      'x-amz-security-token': 'IQoJb3JpZ2luX2VjE...',
      authorization: `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260301/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'abc123',
      ...(options.principal
        ? {
            authorizer: {
              iam: {
                accessKey: 'ASIAEXAMPLE',
                accountId: ACCOUNT,
                callerId: `AROAEXAMPLEID:${session}`,
                cognitoIdentity: null,
                principalOrgId: 'o-exampleorg',
                userArn: options.principal,
                userId: `AROAEXAMPLEID:${session}`,
              },
            },
          }
        : {}),
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: options.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'mlflow-python-client/2.19.0' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: 'ANY /{proxy+}',
      stage,
      time: '01/Mar/2026:12:00:00 +0000',
      timeEpoch: 1772366400000,
    },
    ...(text !== undefined ? { body: options.base64 ? Buffer.from(text).toString('base64') : text, isBase64Encoded: !!options.base64 } : { isBase64Encoded: false }),
  } as HttpApiEvent;
}

let r: RegistryFixture;
let handler: ReturnType<typeof toLambdaHandler>;
let artifact: string;

beforeAll(async () => {
  r = await startRegistry({ config: DEPLOYED_CONFIG });
  handler = toLambdaHandler(r.app);
  artifact = await r.putArtifact('lambda model');
});

afterAll(async () => {
  await r?.close();
});

async function invoke(options: Parameters<typeof iamEvent>[0]) {
  const res = await handler(iamEvent(options));
  return { status: res.statusCode ?? 0, json: JSON.parse(res.body ?? 'null'), headers: res.headers ?? {} };
}

describe('caller identity from the IAM authorizer', () => {
  it('reads userArn (else callerId) from the request context only', () => {
    expect(principalFromRequestContext({ authorizer: { iam: { userArn: ALICE, callerId: 'AROA:alice' } } })).toBe(ALICE);
    expect(principalFromRequestContext({ authorizer: { iam: { callerId: 'AROA:alice' } } })).toBe('AROA:alice');
    expect(principalFromRequestContext({ authorizer: { jwt: { claims: {} } } })).toBeUndefined();
    expect(principalFromRequestContext({})).toBeUndefined();
    expect(principalFromRequestContext(undefined)).toBeUndefined();
  });

  it('runs MLflow calls as the IAM caller and ignores a spoofed x-gaiops-principal header', async () => {
    const name = uniqueName('lam');
    const created = await invoke({ method: 'POST', path: '/api/2.0/mlflow/registered-models/create', principal: ALICE, body: { name }, headers: { 'x-gaiops-principal': BOB } });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json.registered_model.user_id).toBe(ALICE);
    expect(created.headers['x-request-id']).toMatch(/^req-/);

    const version = await invoke({
      method: 'POST',
      path: '/api/2.0/mlflow/model-versions/create',
      principal: ALICE,
      body: { name, source: `sha256:${artifact}` },
      base64: true,
      stage: 'prod',
    });
    expect(version.status, JSON.stringify(version.json)).toBe(200);
    expect(version.json.model_version).toMatchObject({ name, version: '1', user_id: ALICE });

    const got = await invoke({ method: 'GET', path: '/api/2.0/mlflow/model-versions/get', principal: BOB, query: { name, version: '1' } });
    expect(got.json.model_version.user_id).toBe(ALICE);

    // The creator cannot approve, even when spoofing the header as an approver.
    const self = await invoke({ method: 'POST', path: '/api/2.0/gaiops/model-versions/approve', principal: ALICE_AS_APPROVER, body: { name, version: '1' }, headers: { 'x-gaiops-principal': BOB } });
    expect(self.status).toBe(403);
    expect(self.json.error_code).toBe('PERMISSION_DENIED');
    const notApprover = await invoke({ method: 'POST', path: '/api/2.0/gaiops/model-versions/approve', principal: ALICE, body: { name, version: '1' }, headers: { 'x-gaiops-principal': BOB } });
    expect(notApprover.status).toBe(403);
    // An approver whose role has a path (governance/ModelApprover) is matched by role name.
    expect(APPROVER_ROLE_ARN).toContain('/governance/');
    const approved = await invoke({ method: 'POST', path: '/api/2.0/gaiops/model-versions/approve', principal: BOB, body: { name, version: '1' } });
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);
    expect(approved.json.review.principal).toBe(BOB);

    const audit = await invoke({ method: 'GET', path: '/api/2.0/gaiops/audit', principal: BOB, query: { name } });
    expect(audit.json.audit_entries.map((e: { principal: string }) => e.principal)).toEqual([ALICE, ALICE, BOB]);
  });

  it('refuses requests without an authenticated caller with 403 PERMISSION_DENIED, even with the dev header', async () => {
    const res = await invoke({ method: 'GET', path: '/api/2.0/mlflow/registered-models/search', headers: { 'x-gaiops-principal': ALICE } });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error_code: 'PERMISSION_DENIED', message: 'The request carries no authenticated caller identity.' });
    const viaHttp = await r.call('GET', '/api/2.0/mlflow/registered-models/search', { principal: ALICE });
    expect(viaHttp.status).toBe(403);
    // Health checks need no identity.
    expect((await invoke({ method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('uses the dev default principal when the header is trusted but absent', async () => {
    const dev = await startRegistry();
    try {
      const name = uniqueName('dev');
      const res = await dev.call('POST', '/api/2.0/mlflow/registered-models/create', { body: { name }, principal: null });
      expect(res.json.registered_model.user_id).toBe('arn:aws:sts::000000000000:assumed-role/gaiops-dev/local');
    } finally {
      await dev.close();
    }
  });
});

describe('environment', () => {
  const baseEnv = {
    [MODEL_REGISTRY_ENV.metadataTable]: METADATA_TABLE,
    [MODEL_REGISTRY_ENV.auditTable]: AUDIT_TABLE,
    [MODEL_REGISTRY_ENV.artifactBucket]: ARTIFACT_BUCKET,
    [MODEL_REGISTRY_ENV.eventBus]: 'bus',
    [MODEL_REGISTRY_ENV.config]: JSON.stringify(DEPLOYED_CONFIG),
  };

  it('validates every variable and MR_CONFIG against RegistryConfigSchema', () => {
    expect(loadRegistryEnv(baseEnv)).toMatchObject({ metadataTable: METADATA_TABLE, eventBusName: 'bus', config: DEPLOYED_CONFIG });
    expect(() => loadRegistryEnv({})).toThrow(/MR_METADATA_TABLE is not set; MR_AUDIT_TABLE is not set; MR_ARTIFACT_BUCKET is not set; MR_EVENT_BUS_NAME is not set; MR_CONFIG is not set/);
    expect(() => loadRegistryEnv({ ...baseEnv, MR_CONFIG: '{' })).toThrow(/MR_CONFIG is not valid JSON/);
    expect(() => loadRegistryEnv({ ...baseEnv, MR_CONFIG: JSON.stringify({ version: 2, defaultGates: {} }) })).toThrow(/MR_CONFIG is invalid: version/);
    expect(() => loadRegistryEnv({ ...baseEnv, MR_CONFIG: JSON.stringify({ ...DEPLOYED_CONFIG, approverRoleArns: ['arn:aws:iam::1:user/x'] }) })).toThrow(/approverRoleArns/);
    expect(loadRegistryEnv({ ...baseEnv, MR_EVENT_BUS_NAME: '' }, { requireEventBus: false }).eventBusName).toBeUndefined();
  });

  it('the lambda.ts entry module serves requests with clients built from the environment alone', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, baseEnv, {
      AWS_REGION: 'us-east-1',
      // s3rver checks signatures made with these; dynalite and the EventBridge fake accept any.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_DYNAMODB: r.dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: r.s3.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: r.eventBridge.endpoint,
      [MODEL_REGISTRY_ENV.eventBus]: 'entry-bus',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    try {
      const entry = (await import('../../../src/model-registry/runtime/lambda')) as { handler: typeof handler };
      const name = uniqueName('entry');
      const created = await entry.handler(iamEvent({ method: 'POST', path: '/api/2.0/mlflow/registered-models/create', principal: ALICE, body: { name } }));
      expect(created.statusCode, created.body).toBe(200);
      const version = await entry.handler(
        iamEvent({ method: 'POST', path: '/api/2.0/mlflow/model-versions/create', principal: ALICE, body: { name, source: `sha256:${artifact}` } }),
      );
      expect(version.statusCode, version.body).toBe(200);
      expect(version.headers?.['x-gaiops-events']).toBe('published');
      expect(r.eventBridge.events.filter((e) => e.eventBusName === 'entry-bus').map((e) => e.detailType)).toEqual(['ModelVersionCreated']);
      const anonymous = await entry.handler(iamEvent({ method: 'GET', path: '/api/2.0/mlflow/registered-models/get', query: { name } }));
      expect(anonymous.statusCode).toBe(403);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('the server.ts entry starts a container server from the environment (dev mode, base path)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_DYNAMODB: r.dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: r.s3.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    try {
      const { main } = await import('../../../src/model-registry/runtime/server');
      const env = { ...baseEnv, MR_EVENT_BUS_NAME: '', MR_CONFIG: JSON.stringify(DEV_CONFIG), MR_BASE_PATH: '/registry', PORT: '0', HOST: '127.0.0.1' };
      const server = await main(env);
      try {
        const name = uniqueName('srv');
        const res = await fetch(`${server.url}/registry/api/2.0/mlflow/registered-models/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-gaiops-principal': BOB },
          body: JSON.stringify({ name }),
        });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { registered_model: { user_id: string } }).registered_model.user_id).toBe(BOB);
      } finally {
        await server.close();
      }
      await expect(main({ ...env, MR_CONFIG: '{' })).rejects.toThrow(/MR_CONFIG is not valid JSON/);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
