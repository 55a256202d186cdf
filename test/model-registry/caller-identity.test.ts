/**
 * The registry container's caller identity end to end: the real `server.ts` entry configured only
 * through its environment, on dynalite + s3rver, with a fake STS that recomputes SigV4 signatures.
 * Tokens are minted with `identityToken` (and by RegistryClient's `identityToken` option).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformStack } from '../support/synth';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { type FakeSts, type FakeStsIdentity, startFakeSts, TEST_ROLE_IDENTITY, TEST_USER_IDENTITY } from '../support/fake-sts';
import { ContainerImage } from '../../src/core/container-image';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { identityToken, IDENTITY_TOKEN_PREFIX, IdentityTokenError } from '../../src/core/runtime/sts-identity';
import type { HttpServerHandle } from '../../src/core/runtime/node-http';
import { RegistryApiError, RegistryClient } from '../../src/model-registry/client/registry-client';
import { ModelRegistry } from '../../src/model-registry/model-registry';
import { MODEL_REGISTRY_ENV } from '../../src/model-registry/registry-config';
import { RegistryServer } from '../../src/model-registry/registry-server';
import {
  CALLER_IDENTITY_ENV,
  CallerVerifier,
  isAllowed,
  loadCallerIdentityEnv,
  parseRegistryAccess,
  type RegistryAccess,
  tokenExpiresAt,
} from '../../src/model-registry/runtime/caller-identity';
import { main } from '../../src/model-registry/runtime/server';
import { ARTIFACT_BUCKET, AUDIT_TABLE, DEV_CONFIG, METADATA_TABLE, type RegistryFixture, startRegistry, uniqueName } from './runtime/support/registry-fixture';

const REGION = 'us-east-1';
const AUDIENCE = 'model-registry.ml-registry.svc';
/** A role granted read only. */
const READER: FakeStsIdentity = {
  accessKeyId: 'ASIATESTTESTREADER01',
  secretAccessKey: 'reader/secret+key/for+the/fake=sts/0000',
  sessionToken: 'IQoJb3JpZ2luX2VjEPr//////////reader+session==',
  arn: 'arn:aws:sts::111122223333:assumed-role/DashboardReader/dash-1',
  userId: 'AROATESTTESTREADER01:dash-1',
};
/** `TEST_ROLE_IDENTITY` is a session of this role (granted register, with a path the STS ARN does not show). */
const TRAINER_ROLE_ARN = 'arn:aws:iam::111122223333:role/training/TrainingApi';

/** MR_ACCESS as the RegistryServer construct renders it for these callers. */
function accessDocument(): RegistryAccess {
  const stack = platformStack();
  const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
  const server = new RegistryServer(stack, 'RegistryServer', {
    registry: new ModelRegistry(stack, 'Registry'),
    cluster: TEST_CLUSTER,
    image: ContainerImage.fromUri('111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-model-registry:sha256-0123456789abcdef'),
    clients: [{ namespace: 'vision' }],
    callers: [
      { principalArn: TRAINER_ROLE_ARN, access: 'register' },
      { principalArn: 'arn:aws:iam::111122223333:role/DashboardReader', access: 'read' },
    ],
    kubernetesProvider: kubernetes,
  });
  return parseRegistryAccess(JSON.stringify(server.accessDocument()));
}

let r: RegistryFixture;
let sts: FakeSts;
let server: HttpServerHandle;
let access: RegistryAccess;
const saved: Record<string, string | undefined> = {};

const token = (identity: FakeStsIdentity = TEST_ROLE_IDENTITY, o: { audience?: string; now?: Date } = {}) =>
  identityToken({ audience: o.audience ?? AUDIENCE, region: REGION, credentials: identity, stsEndpoint: sts.url, now: o.now });

function serverEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    [MODEL_REGISTRY_ENV.metadataTable]: METADATA_TABLE,
    [MODEL_REGISTRY_ENV.auditTable]: AUDIT_TABLE,
    [MODEL_REGISTRY_ENV.artifactBucket]: ARTIFACT_BUCKET,
    [MODEL_REGISTRY_ENV.eventBus]: 'identity-bus',
    [MODEL_REGISTRY_ENV.config]: JSON.stringify({ ...DEV_CONFIG, trustPrincipalHeader: false }),
    [CALLER_IDENTITY_ENV.audience]: AUDIENCE,
    [CALLER_IDENTITY_ENV.access]: JSON.stringify(access),
    [CALLER_IDENTITY_ENV.stsEndpoints]: sts.url,
    MR_S3_FORCE_PATH_STYLE: 'true',
    PORT: '0',
    HOST: '127.0.0.1',
    ...overrides,
  };
}

async function call(method: string, path: string, o: { token?: string; authorization?: string; body?: unknown; query?: Record<string, string> } = {}) {
  const url = new URL(`${server.url}${path}`);
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.authorization !== undefined) headers.authorization = o.authorization;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

beforeAll(async () => {
  [r, sts] = await Promise.all([startRegistry(), startFakeSts({ region: REGION, identities: [TEST_ROLE_IDENTITY, TEST_USER_IDENTITY, READER] })]);
  access = accessDocument();
  const sdk = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: r.dynamo.endpoint,
    AWS_ENDPOINT_URL_S3: r.s3.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: r.eventBridge.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  for (const [k, v] of Object.entries(sdk)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  server = await main(serverEnv());
}, 60_000);

afterAll(async () => {
  await server?.close();
  await Promise.all([r?.close(), sts?.close()]);
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('registry container: verified callers', () => {
  it('a valid token registers a model and a version; the STS caller is the recorded principal and in the audit log', async () => {
    const name = uniqueName('sts');
    const t = await token();
    const created = await call('POST', '/api/2.0/mlflow/registered-models/create', { token: t, body: { name } });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json.registered_model.user_id).toBe(TEST_ROLE_IDENTITY.arn);
    const digest = await r.putArtifact(`weights of ${name}`);
    const version = await call('POST', '/api/2.0/mlflow/model-versions/create', { token: t, body: { name, source: `sha256:${digest}` } });
    expect(version.status, JSON.stringify(version.json)).toBe(200);
    expect(version.json.model_version.user_id).toBe(TEST_ROLE_IDENTITY.arn);
    const audit = await call('GET', '/api/2.0/gaiops/audit', { token: t, query: { name } });
    expect(audit.status).toBe(200);
    expect(audit.json.audit_entries.map((e: { principal: string }) => e.principal)).toEqual([TEST_ROLE_IDENTITY.arn, TEST_ROLE_IDENTITY.arn]);
    expect(r.eventBridge.events.filter((e) => e.eventBusName === 'identity-bus').map((e) => e.detailType)).toContain('ModelVersionCreated');
  });

  it('verifies each token with STS once, then answers from the cache', async () => {
    // Tokens are deterministic per second: sign 13 s ago so no earlier test has verified this one.
    const t = await token(TEST_ROLE_IDENTITY, { now: new Date(Date.now() - 13_000) });
    const before = sts.calls.length;
    for (let i = 0; i < 3; i++) expect((await call('GET', '/api/2.0/mlflow/registered-models/search', { token: t })).status).toBe(200);
    expect(sts.calls.length - before).toBe(1);
    expect(sts.calls.at(-1)?.headers['x-gaiops-audience']).toBe(AUDIENCE);
  });

  it('no token, a malformed header, a tampered, an expired or a wrong-audience token → 401 UNAUTHENTICATED', async () => {
    const path = '/api/2.0/mlflow/registered-models/search';
    const none = await call('GET', path);
    expect(none.status).toBe(401);
    expect(none.json.error_code).toBe('UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="gaiops-model-registry"');
    expect((await call('GET', path, { authorization: 'AWS4-HMAC-SHA256 Credential=x' })).status).toBe(401);

    const valid = await token();
    const url = new URL(Buffer.from(valid.slice(IDENTITY_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    const signature = url.searchParams.get('X-Amz-Signature') as string;
    url.searchParams.set('X-Amz-Signature', `${signature[0] === '0' ? '1' : '0'}${signature.slice(1)}`);
    const tampered = IDENTITY_TOKEN_PREFIX + Buffer.from(url.toString(), 'utf8').toString('base64url');
    const refused = await call('GET', path, { token: tampered });
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({ error_code: 'UNAUTHENTICATED', message: 'The identity token was refused (rejected-by-sts).' });
    expect(sts.calls.at(-1)?.outcome).toBe('SignatureDoesNotMatch');

    const expired = await call('GET', path, { token: await token(TEST_ROLE_IDENTITY, { now: new Date(Date.now() - 10 * 60_000) }) });
    expect(expired.json).toEqual({ error_code: 'UNAUTHENTICATED', message: 'The identity token was refused (expired).' });

    const otherAudience = await call('GET', path, { token: await token(TEST_ROLE_IDENTITY, { audience: 'feature-server.features.svc' }) });
    expect(otherAudience.json).toEqual({ error_code: 'UNAUTHENTICATED', message: 'The identity token was refused (rejected-by-sts).' });

    const notAToken = await call('GET', path, { token: 'k8s-aws-v1.abc' });
    expect(notAToken.json.message).toMatch(/wrong-prefix/);
  });

  it('a verified caller without the route kind → 403 PERMISSION_DENIED; with it → served', async () => {
    const user = await call('GET', '/api/2.0/mlflow/registered-models/search', { token: await token(TEST_USER_IDENTITY) });
    expect(user.status).toBe(403);
    expect(user.json).toEqual({ error_code: 'PERMISSION_DENIED', message: `${TEST_USER_IDENTITY.arn} is not granted read access to this registry.` });
    const readerToken = await token(READER);
    expect((await call('GET', '/api/2.0/mlflow/registered-models/search', { token: readerToken })).status).toBe(200);
    const write = await call('POST', '/api/2.0/mlflow/registered-models/create', { token: readerToken, body: { name: uniqueName('nope') } });
    expect(write.status).toBe(403);
    expect(write.json.message).toBe('arn:aws:iam::111122223333:role/DashboardReader is not granted write access to this registry.');
    // Register covers deploy but not admin: a delete is refused before it reaches the registry.
    const del = await call('DELETE', '/api/2.0/mlflow/registered-models/delete', { token: await token(), body: { name: 'anything' } });
    expect(del.status).toBe(403);
  });

  it('/healthz needs no token; unknown routes answer 404 to authenticated callers only', async () => {
    expect((await call('GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await call('GET', '/api/2.0/mlflow/nothing-here')).status).toBe(401);
    const unknown = await call('GET', '/api/2.0/mlflow/nothing-here', { token: await token() });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error_code).toBe('ENDPOINT_NOT_FOUND');
  });

  it('RegistryClient sends identity tokens with the identityToken option', async () => {
    const client = new RegistryClient({
      baseUrl: server.url,
      region: REGION,
      credentials: TEST_ROLE_IDENTITY,
      identityToken: { audience: AUDIENCE, stsEndpoint: sts.url },
      maxRetries: 0,
    });
    const name = uniqueName('client');
    expect((await client.createRegisteredModel(name)).user_id).toBe(TEST_ROLE_IDENTITY.arn);
    expect((await client.getRegisteredModel(name)).name).toBe(name);
    const reader = new RegistryClient({ baseUrl: server.url, region: REGION, credentials: READER, identityToken: { audience: AUDIENCE, stsEndpoint: sts.url }, maxRetries: 0 });
    const error = await reader.createRegisteredModel(uniqueName('denied')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryApiError);
    expect(error).toMatchObject({ errorCode: 'PERMISSION_DENIED', status: 403 });
  });
});

describe('registry container: configuration', () => {
  it('refuses verified callers combined with dev mode, and a missing or invalid MR_ACCESS', async () => {
    await expect(main(serverEnv({ [MODEL_REGISTRY_ENV.config]: JSON.stringify(DEV_CONFIG) }))).rejects.toThrow(/cannot be combined/);
    expect(() => loadCallerIdentityEnv({ [CALLER_IDENTITY_ENV.audience]: AUDIENCE })).toThrow(/AWS_REGION is not set.*; MR_ACCESS is not set/);
    expect(() => loadCallerIdentityEnv({ [CALLER_IDENTITY_ENV.audience]: AUDIENCE, AWS_REGION: REGION, [CALLER_IDENTITY_ENV.access]: '{' })).toThrow(/MR_ACCESS is not valid JSON/);
    expect(() =>
      loadCallerIdentityEnv({ [CALLER_IDENTITY_ENV.audience]: AUDIENCE, AWS_REGION: REGION, [CALLER_IDENTITY_ENV.access]: JSON.stringify({ ...access, callers: [{ principalArn: 'alice', kinds: ['read'] }] }) }),
    ).toThrow(/MR_ACCESS is invalid: callers\.0\.principalArn: must be an IAM role or user ARN/);
    expect(loadCallerIdentityEnv({})).toBeUndefined();
    expect(loadCallerIdentityEnv({ [CALLER_IDENTITY_ENV.audience]: AUDIENCE, AWS_REGION: REGION, [CALLER_IDENTITY_ENV.access]: JSON.stringify(access), [CALLER_IDENTITY_ENV.stsEndpoints]: ' a.example , b.example ' })).toMatchObject({
      audience: AUDIENCE,
      region: REGION,
      allowedEndpoints: ['a.example', 'b.example'],
    });
  });
});

describe('CallerVerifier', () => {
  it('keeps at most maxEntries tokens, least recently used evicted first', async () => {
    const verifier = new CallerVerifier({ audience: AUDIENCE, region: REGION, allowedEndpoints: [sts.url], maxEntries: 2 });
    const base = Date.now();
    const tokens = await Promise.all([0, 1, 2].map((i) => token(TEST_ROLE_IDENTITY, { now: new Date(base - i * 1000) })));
    for (const t of tokens) await verifier.verify(t);
    expect(verifier.size).toBe(2);
    const before = sts.calls.length;
    await verifier.verify(tokens[2]); // still cached
    expect(sts.calls.length).toBe(before);
    await verifier.verify(tokens[0]); // evicted: verified again
    expect(sts.calls.length).toBe(before + 1);
  });

  it('never reuses a verified token past its own expiry, and never caches a refusal', async () => {
    let now = Date.now();
    const verifier = new CallerVerifier({ audience: AUDIENCE, region: REGION, allowedEndpoints: [sts.url], maxAgeMs: 3_600_000, now: () => now });
    const t = await token(TEST_ROLE_IDENTITY, { now: new Date(now) });
    expect(tokenExpiresAt(t)).toBe(Math.floor(now / 1000) * 1000 + 60_000);
    await expect(verifier.verify(t)).resolves.toMatchObject({ arn: TEST_ROLE_IDENTITY.arn, principalArn: 'arn:aws:iam::111122223333:role/TrainingApi' });
    now += 61_000;
    await expect(verifier.verify(t)).rejects.toMatchObject({ reason: 'expired' });
    expect(verifier.size).toBe(0);
    const wrong = await token(TEST_ROLE_IDENTITY, { audience: 'elsewhere', now: new Date(now) });
    await expect(verifier.verify(wrong)).rejects.toBeInstanceOf(IdentityTokenError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(verifier.size).toBe(0);
  });

  it('STS unreachable → 503 TEMPORARILY_UNAVAILABLE, not 401', async () => {
    const down = await startFakeSts({ region: REGION });
    const downUrl = down.url;
    await down.close();
    const unreachable = await main(serverEnv({ [CALLER_IDENTITY_ENV.stsEndpoints]: downUrl }));
    try {
      const t = await identityToken({ audience: AUDIENCE, region: REGION, credentials: TEST_ROLE_IDENTITY, stsEndpoint: downUrl });
      const res = await fetch(`${unreachable.url}/api/2.0/mlflow/registered-models/search`, { headers: { authorization: `Bearer ${t}` } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error_code: string }).error_code).toBe('TEMPORARILY_UNAVAILABLE');
    } finally {
      await unreachable.close();
    }
  });
});

describe('isAllowed', () => {
  it('matches sessions of a listed role by partition, account and name (paths ignored), users exactly', () => {
    const doc: RegistryAccess = {
      version: 1,
      routes: [{ method: 'GET', path: '/x', kind: 'read' }],
      callers: [
        { principalArn: TRAINER_ROLE_ARN, kinds: ['read', 'write'] },
        { principalArn: 'arn:aws:iam::111122223333:user/alice', kinds: ['read'] },
      ],
    };
    const session = { arn: TEST_ROLE_IDENTITY.arn, principalArn: 'arn:aws:iam::111122223333:role/TrainingApi' };
    expect(isAllowed(doc, session, 'write')).toBe(true);
    expect(isAllowed(doc, session, 'approve')).toBe(false);
    expect(isAllowed(doc, { arn: 'arn:aws:sts::999999999999:assumed-role/TrainingApi/s', principalArn: 'arn:aws:iam::999999999999:role/TrainingApi' }, 'read')).toBe(false);
    expect(isAllowed(doc, { arn: TEST_USER_IDENTITY.arn, principalArn: TEST_USER_IDENTITY.arn }, 'read')).toBe(true);
    expect(isAllowed(doc, { arn: TEST_USER_IDENTITY.arn, principalArn: TEST_USER_IDENTITY.arn }, 'write')).toBe(false);
  });
});
