/**
 * RegistryClient against the real registry app (serveHttp, dynalite, s3rver) behind a gateway that
 * verifies every SigV4 signature by re-signing it, and injects failures to exercise timeouts,
 * retries with backoff, and idempotent retries of mutating calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryApiError, RegistryClient, type RegistryClientOptions } from '../../../src/model-registry/client/registry-client';
import { ALICE, BOB, type RegistryFixture, goodLineage, startRegistry, uniqueName } from '../runtime/support/registry-fixture';
import { type Gateway, startGateway } from './sigv4-gateway';

const REGION = 'eu-west-1';
let r: RegistryFixture;
let gateway: Gateway;
let artifact: string;

beforeAll(async () => {
  r = await startRegistry();
  artifact = await r.putArtifact('client model');
  gateway = await startGateway(r.server.url, {
    AKIDALICE: { secretAccessKey: 'alice-secret', principal: ALICE },
    ASIABOB: { secretAccessKey: 'bob-secret', principal: BOB },
  });
});

afterAll(async () => {
  await gateway?.close();
  await r?.close();
});

const sleeps: number[] = [];
function client(options: Partial<RegistryClientOptions> = {}): RegistryClient {
  return new RegistryClient({
    baseUrl: gateway.url,
    region: REGION,
    credentials: { accessKeyId: 'AKIDALICE', secretAccessKey: 'alice-secret' },
    timeoutMs: 5_000,
    maxRetries: 3,
    baseDelayMs: 10,
    maxDelayMs: 80,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
}
// An approver whose temporary credentials come from a provider (with a session token).
const approver = () =>
  client({ credentials: async () => ({ accessKeyId: 'ASIABOB', secretAccessKey: 'bob-secret', sessionToken: 'FwoGZXIvYXdzEBY-session-token' }) });

describe('RegistryClient', () => {
  it('runs the main operations with typed results, every request signed and verified', async () => {
    const alice = client();
    const bob = approver();
    const before = { ...gateway.stats };
    const name = uniqueName('cli');

    const model = await alice.createRegisteredModel(name, { description: 'client test', tags: { team: 'risk' } });
    expect(model).toMatchObject({ name, description: 'client test', tags: [{ key: 'team', value: 'risk' }], user_id: ALICE });
    expect((await alice.getRegisteredModel(name)).name).toBe(name);

    const v1 = await alice.createModelVersion({ name, source: `sha256:${artifact}`, runId: 'run-1', tags: [{ key: 'k', value: 'v' }] });
    expect(v1).toMatchObject({ name, version: '1', current_stage: 'None', status: 'READY', run_id: 'run-1' });
    const v2 = await alice.createModelVersion({ name, source: `sha256:${artifact}` });
    expect((await alice.getModelVersion(name, 1)).tags).toEqual([{ key: 'k', value: 'v' }]);
    expect(await alice.getDownloadUri(name, v2.version)).toBe(`s3://registry-artifacts/artifacts/sha256/${artifact}`);

    const lineage = await alice.setLineage(name, v2.version, goodLineage(artifact) as never);
    expect(lineage).toMatchObject({ name, version: '2', revision: 1, artifact_digest: artifact });
    expect((await alice.getLineage(name, 2)).model_card?.intended_use).toMatch(/credit/);

    const refused = await alice.setAlias(name, 'production', v2.version).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistryApiError);
    expect(refused).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE', status: 400 });
    expect((refused as RegistryApiError).message).toMatch(/approval/);
    expect((await alice.getGovernanceStatus(name, 2)).unmet_conditions.map((u) => u.condition)).toEqual(['approval']);

    await expect(alice.approve(name, 2)).rejects.toMatchObject({ errorCode: 'PERMISSION_DENIED', status: 403 });
    const review = await bob.approve(name, 2, 'approved by client');
    expect(review).toMatchObject({ decision: 'approved', principal: BOB, comment: 'approved by client', lineage_revision: 1 });

    await alice.setAlias(name, 'production', 2);
    expect(await alice.getByAlias(name, 'production')).toMatchObject({ version: '2', aliases: ['production'] });
    expect(await alice.transitionStage(name, 2, 'Production', { archiveExistingVersions: true })).toMatchObject({ current_stage: 'Production' });

    const page1 = await alice.searchModelVersions({ filter: `name='${name}'`, maxResults: 1, orderBy: ['version_number ASC'] });
    expect(page1.modelVersions.map((v) => v.version)).toEqual(['1']);
    const page2 = await alice.searchModelVersions({ filter: `name='${name}'`, maxResults: 1, orderBy: ['version_number ASC'], pageToken: page1.nextPageToken });
    expect(page2.modelVersions.map((v) => v.version)).toEqual(['2']);
    expect(page2.nextPageToken).toBeUndefined();
    expect((await alice.searchRegisteredModels({ filter: `name = '${name}'` })).registeredModels.map((m) => m.name)).toEqual([name]);

    const rejection = await bob.reject(name, 1, 'not this one');
    expect(rejection.decision).toBe('rejected');
    const audit = await alice.listAudit(name, { maxResults: 100 });
    expect(audit.entries.map((e) => e.action)).toContain('model-versions/approve');

    const requests = gateway.stats.requests - before.requests;
    expect(gateway.stats.verified - before.verified).toBe(requests);
    expect(gateway.stats.rejected - before.rejected).toBe(0);
  });

  it('throws RegistryApiError with the MLflow code and status, without retrying client errors', async () => {
    const alice = client();
    const before = gateway.stats.requests;
    const missing = await alice.getRegisteredModel('no-such-model').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RegistryApiError);
    expect(missing).toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST', status: 404, message: 'Registered Model with name=no-such-model not found' });
    expect((missing as RegistryApiError).requestId).toBeTruthy();
    const name = uniqueName('dup');
    await alice.createRegisteredModel(name);
    await expect(alice.createRegisteredModel(name)).rejects.toMatchObject({ errorCode: 'RESOURCE_ALREADY_EXISTS', status: 400 });
    expect(gateway.stats.requests - before).toBe(3);

    // A wrong secret fails the gateway's signature check (API Gateway style body, no error_code).
    const forger = client({ credentials: { accessKeyId: 'AKIDALICE', secretAccessKey: 'guessed' } });
    const forged = await forger.getRegisteredModel(name).catch((e: unknown) => e);
    expect(forged).toMatchObject({ errorCode: 'PERMISSION_DENIED', status: 403, message: 'The request signature we calculated does not match the signature you provided.' });
    const unknownKey = client({ credentials: { accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' } });
    await expect(unknownKey.getRegisteredModel(name)).rejects.toMatchObject({ status: 403 });
  });

  it('retries 503 and 429 with exponential backoff and jitter, honouring Retry-After', async () => {
    const alice = client({ random: () => 0.5 });
    const name = uniqueName('retry');
    await alice.createRegisteredModel(name);
    sleeps.length = 0;
    const before = gateway.stats.requests;
    gateway.inject({ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    expect((await alice.getRegisteredModel(name)).name).toBe(name);
    expect(gateway.stats.requests - before).toBe(4);
    expect(sleeps).toEqual([5, 10, 20]); // 0.5 × min(80, 10 × 2^n)

    sleeps.length = 0;
    gateway.inject({ kind: 'status', status: 429, retryAfter: '0.06' });
    await alice.getRegisteredModel(name);
    expect(sleeps).toEqual([60]);

    // Exhausted: the last error is thrown.
    gateway.inject(...Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 503 })));
    const error = await alice.getRegisteredModel(name).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE', status: 503 });
  });

  it('retries network errors and per-attempt timeouts; a caller abort stops at once', async () => {
    const name = uniqueName('net');
    await client().createRegisteredModel(name);
    gateway.inject({ kind: 'reset' });
    expect((await client().getRegisteredModel(name)).name).toBe(name);

    const quick = client({ timeoutMs: 150 });
    gateway.inject({ kind: 'delay', ms: 600 });
    const started = Date.now();
    expect((await quick.getRegisteredModel(name)).name).toBe(name);
    expect(Date.now() - started).toBeLessThan(550);

    gateway.inject(...Array.from({ length: 2 }, () => ({ kind: 'reset' as const })));
    const failing = client({ maxRetries: 1 });
    await expect(failing.getRegisteredModel(name)).rejects.toMatchObject({ errorCode: 'NETWORK_ERROR', status: 0 });

    const controller = new AbortController();
    const before = gateway.stats.requests;
    gateway.inject({ kind: 'delay', ms: 300 });
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await expect(client().getRegisteredModel(name, { signal: controller.signal })).rejects.toThrow('caller gave up');
    expect(gateway.stats.requests - before).toBe(1);
  });

  it('withdraws a version its caller created (audited with the reason, retried idempotently) and reports refusals', async () => {
    const alice = client();
    const bob = approver();
    const name = uniqueName('withdraw');
    await alice.createRegisteredModel(name);
    const v1 = await alice.createModelVersion({ name, source: `sha256:${artifact}` });
    const v2 = await alice.createModelVersion({ name, source: `sha256:${artifact}` });

    // Another caller: 403, not retried.
    const before = gateway.stats.requests;
    await expect(bob.withdrawModelVersion(name, v1.version)).rejects.toMatchObject({ errorCode: 'PERMISSION_DENIED', status: 403 });
    expect(gateway.stats.requests - before).toBe(1);

    // An aliased version: 400 naming the alias.
    await alice.setAlias(name, 'canary', v1.version);
    const refused = await alice.withdrawModelVersion(name, v1.version).catch((e: unknown) => e);
    expect(refused).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE', status: 400, details: { withdraw_refusals: [{ condition: 'alias' }] } });
    expect((refused as RegistryApiError).message).toMatch(/holds alias 'canary'/);

    // The creator's withdraw is applied once even when its first response is lost.
    gateway.inject({ kind: 'drop-response' });
    await alice.withdrawModelVersion(name, v2.version, { reason: 'registration could not be completed' });
    await expect(alice.getModelVersion(name, v2.version)).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST', status: 404 });
    expect((await alice.getModelVersion(name, v1.version)).aliases).toEqual(['canary']);
    const withdrawals = (await alice.listAudit(name)).entries.filter((e) => e.action === 'model-versions/withdraw');
    expect(withdrawals).toEqual([expect.objectContaining({ principal: ALICE, version: '2', after: null, reason: 'registration could not be completed' })]);

    await expect(alice.withdrawModelVersion(name, 9)).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST', status: 404 });
  });

  it('retries mutating calls safely: a lost response does not create a second version', async () => {
    const alice = client();
    const name = uniqueName('idem');
    // The first create is applied but its response is lost; the retry returns the original result.
    gateway.inject({ kind: 'drop-response' });
    const model = await alice.createRegisteredModel(name);
    expect(model.name).toBe(name);

    const keysBefore = gateway.idempotencyKeys.length;
    gateway.inject({ kind: 'drop-response' }, { kind: 'drop-response' });
    const version = await alice.createModelVersion({ name, source: `sha256:${artifact}` });
    expect(version.version).toBe('1');
    const keys = gateway.idempotencyKeys.slice(keysBefore);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);

    // A timed-out attempt that still completes on the server is not applied twice either.
    gateway.inject({ kind: 'delay', ms: 400 });
    const second = await client({ timeoutMs: 150 }).createModelVersion({ name, source: `sha256:${artifact}` });
    expect(second.version).toBe('2');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const all = await alice.searchModelVersions({ filter: `name='${name}'` });
    expect(all.modelVersions.map((v) => v.version)).toEqual(['2', '1']);
    const audit = await alice.listAudit(name);
    expect(audit.entries.filter((e) => e.action === 'model-versions/create')).toHaveLength(2);

    // The same key with a different request is refused by the registry.
    const reused = await r.call('POST', '/api/2.0/mlflow/registered-models/set-tag', {
      body: { name, key: 'a', value: '1' },
      headers: { 'idempotency-key': 'fixed-key-1' },
    });
    expect(reused.status).toBe(200);
    const replayed = await r.call('POST', '/api/2.0/mlflow/registered-models/set-tag', {
      body: { name, key: 'a', value: '1' },
      headers: { 'idempotency-key': 'fixed-key-1' },
    });
    expect(replayed.headers.get('x-gaiops-idempotent-replay')).toBe('true');
    const conflict = await r.call('POST', '/api/2.0/mlflow/registered-models/set-tag', {
      body: { name, key: 'a', value: '2' },
      headers: { 'idempotency-key': 'fixed-key-1' },
    });
    expect(conflict.status).toBe(400);
    expect(conflict.json.message).toMatch(/idempotency key was already used/);
  });

  it('works with a base path and rejects non-http base URLs', async () => {
    const based = await startRegistry({ basePath: '/registry' });
    try {
      const c = new RegistryClient({
        baseUrl: `${based.server.url}/registry/`,
        region: REGION,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
        headers: { 'x-gaiops-principal': ALICE },
      });
      const name = uniqueName('bp');
      expect((await c.createRegisteredModel(name)).user_id).toBe(ALICE);
      expect((await c.getRegisteredModel(name)).name).toBe(name);
    } finally {
      await based.close();
    }
    expect(() => new RegistryClient({ baseUrl: 'ftp://x', region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } })).toThrow(/http/);
  });
});
