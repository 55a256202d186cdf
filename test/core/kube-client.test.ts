import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eksKubeClient, KubeApiError, KubeClient, resourcePath } from '../../src/core/runtime/kube-client';
import { verifyEksToken } from '../../src/core/runtime/sts-identity';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api';
import { startFakeSts, TEST_ROLE_IDENTITY } from '../support/fake-sts';

type Validator = (obj: unknown) => string[];
let validators: Record<string, Validator>;

beforeAll(async () => {
  const { Job } = (await import('kubernetes-models/batch/v1/Job')) as unknown as { Job: new (o: unknown) => { validate(): void } };
  const { ConfigMap } = (await import('kubernetes-models/v1/ConfigMap')) as unknown as { ConfigMap: new (o: unknown) => { validate(): void } };
  const check =
    (Model: new (o: unknown) => { validate(): void }): Validator =>
    (obj) => {
      try {
        new Model(obj).validate();
        return [];
      } catch (error) {
        return [error instanceof Error ? error.message : String(error)];
      }
    };
  validators = { 'batch/v1/Job': check(Job), 'v1/ConfigMap': check(ConfigMap) };
});

const NS = 'team-a';
const JOBS = resourcePath('batch/v1', 'jobs', NS);
const CONFIGMAPS = resourcePath('v1', 'configmaps', NS);

function job(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'train', image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/t:1', command: ['python', 'train.py'] }] } },
    },
  };
}

async function apiError(promise: Promise<unknown>): Promise<KubeApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubeApiError);
  return error as KubeApiError;
}

describe('resourcePath', () => {
  it('builds core, group, namespaced and cluster-scoped paths with encoded segments', () => {
    expect(resourcePath('v1', 'configmaps', 'ns', 'a')).toBe('/api/v1/namespaces/ns/configmaps/a');
    expect(resourcePath('kubeflow.org/v1', 'pytorchjobs', 'ns')).toBe('/apis/kubeflow.org/v1/namespaces/ns/pytorchjobs');
    expect(resourcePath('v1', 'namespaces', undefined, 'team-a')).toBe('/api/v1/namespaces/team-a');
    expect(resourcePath('v1', 'configmaps', 'ns', 'a/b')).toBe('/api/v1/namespaces/ns/configmaps/a%2Fb');
  });
});

describe('KubeClient against the fake Kubernetes API', () => {
  let api: FakeKubeApi;
  let client: KubeClient;

  beforeEach(async () => {
    api = await startFakeKubeApi({ token: 'good-token', validators });
    client = new KubeClient({ endpoint: api.url, token: async () => 'good-token' });
  });
  afterEach(async () => {
    await client.close();
    await api.close();
  });

  it('creates, reads and lists objects; the server sets metadata', async () => {
    const created = await client.create<any>(JOBS, job('train-1', { team: 'a', kind: 'x' }));
    expect(created.metadata).toMatchObject({ name: 'train-1', namespace: NS, resourceVersion: expect.stringMatching(/^\d+$/), uid: expect.any(String), creationTimestamp: expect.any(String) });
    expect(api.objects.get(`${JOBS}/train-1`)).toEqual(created);
    expect(await client.get<any>(`${JOBS}/train-1`)).toEqual(created);
    await client.create(JOBS, job('train-2', { team: 'b' }));
    await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', labels: { team: 'a' } }, data: { k: 'v' } });

    const all = await client.list<any>(JOBS);
    expect(all.items.map((j) => j.metadata.name)).toEqual(['train-1', 'train-2']);
    expect(all.metadata.resourceVersion).toMatch(/^\d+$/);
    expect((await client.list<any>(JOBS, { labelSelector: 'team=a' })).items.map((j) => j.metadata.name)).toEqual(['train-1']);
    expect((await client.list<any>(JOBS, { labelSelector: 'team!=a' })).items.map((j) => j.metadata.name)).toEqual(['train-2']);
    expect((await client.list<any>(JOBS, { labelSelector: 'team=a,kind' })).items).toHaveLength(1);

    const page1 = await client.list<any>(JOBS, { limit: 1 });
    expect(page1.items.map((j) => j.metadata.name)).toEqual(['train-1']);
    const page2 = await client.list<any>(JOBS, { limit: 1, continue: page1.metadata.continue });
    expect(page2.items.map((j) => j.metadata.name)).toEqual(['train-2']);
    expect(page2.metadata.continue).toBeUndefined();

    const request = api.requests.find((r) => r.method === 'POST')!;
    expect(request.headers.authorization).toBe('Bearer good-token');
    expect(request.headers['content-type']).toBe('application/json');
    expect(api.requests.at(-1)!.query).toEqual({ limit: '1', continue: page1.metadata.continue });
  });

  it('supports generateName', async () => {
    const created = await client.create<any>(JOBS, { ...job(''), metadata: { generateName: 'sweep-' } });
    expect(created.metadata.name).toMatch(/^sweep-[a-z0-9]{5}$/);
    expect(api.objects.has(`${JOBS}/${created.metadata.name}`)).toBe(true);
  });

  it('maps Status answers: 404 NotFound, 409 AlreadyExists, 422 Invalid with causes', async () => {
    const missing = await apiError(client.get(`${JOBS}/nope`));
    expect(missing).toMatchObject({ status: 404, reason: 'NotFound' });
    expect(missing.message).toContain(`GET ${JOBS}/nope: 404 NotFound`);

    await client.create(JOBS, job('dup'));
    expect(await apiError(client.create(JOBS, job('dup')))).toMatchObject({ status: 409, reason: 'AlreadyExists' });

    const invalid = job('bad') as any;
    delete invalid.spec.template.spec.containers;
    const error = await apiError(client.create(JOBS, invalid));
    expect(error).toMatchObject({ status: 422, reason: 'Invalid' });
    expect((error.details as { causes: unknown[] }).causes.length).toBeGreaterThan(0);
    expect(api.objects.has(`${JOBS}/bad`)).toBe(false);

    const badMap = await apiError(client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { k: 1 } }));
    expect(badMap.status).toBe(422);
    const wrongGroup = await apiError(client.create(JOBS, { ...job('x'), apiVersion: 'batch/v2' }));
    expect(wrongGroup).toMatchObject({ status: 400, reason: 'BadRequest' });
    const wrongNs = await apiError(client.create(JOBS, { ...job('x'), metadata: { name: 'x', namespace: 'team-b' } }));
    expect(wrongNs.status).toBe(400);
  });

  it('replaces with optimistic concurrency', async () => {
    const created = await client.create<any>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
    const replaced = await client.replace<any>(`${CONFIGMAPS}/c`, { ...created, data: { a: '2' } });
    expect(replaced.data).toEqual({ a: '2' });
    expect(replaced.metadata.uid).toBe(created.metadata.uid);
    expect(Number(replaced.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const stale = await apiError(client.replace(`${CONFIGMAPS}/c`, { ...created, data: { a: '3' } }));
    expect(stale).toMatchObject({ status: 409, reason: 'Conflict' });
    expect(api.objects.get(`${CONFIGMAPS}/c`).data).toEqual({ a: '2' });
    expect((await apiError(client.replace(`${CONFIGMAPS}/none`, { ...created, metadata: { name: 'none' } }))).status).toBe(404);
  });

  it('merge-patches (RFC 7386) and deletes', async () => {
    await client.create(JOBS, job('p', { team: 'a', drop: 'me' }));
    const patched = await client.mergePatch<any>(`${JOBS}/p`, { metadata: { labels: { drop: null, added: 'yes' }, annotations: { note: 'n' } } });
    expect(patched.metadata.labels).toEqual({ team: 'a', added: 'yes' });
    expect(patched.metadata.annotations).toEqual({ note: 'n' });
    expect(patched.spec.template.spec.containers).toHaveLength(1);
    expect(api.requests.at(-1)!.headers['content-type']).toBe('application/merge-patch+json');
    const invalid = await apiError(client.mergePatch(`${JOBS}/p`, { spec: { template: { spec: { containers: null } } } }));
    expect(invalid.status).toBe(422);

    await client.delete(`${JOBS}/p`);
    expect((await apiError(client.get(`${JOBS}/p`))).status).toBe(404);
    expect((await apiError(client.delete(`${JOBS}/p`))).status).toBe(404);
  });

  it('retries once with a refreshed token after 401, and reports a lasting 401', async () => {
    const calls: (boolean | undefined)[] = [];
    const refreshing = new KubeClient({
      endpoint: api.url,
      token: async (o) => {
        calls.push(o?.refresh);
        return o?.refresh ? 'good-token' : 'stale-token';
      },
    });
    await refreshing.create(JOBS, job('after-refresh'));
    expect(calls).toEqual([undefined, true]);
    expect(api.objects.has(`${JOBS}/after-refresh`)).toBe(true);
    await refreshing.close();

    const wrong = new KubeClient({ endpoint: api.url, token: async () => 'wrong' });
    expect(await apiError(wrong.get(`${JOBS}/x`))).toMatchObject({ status: 401, reason: 'Unauthorized' });
    await wrong.close();
  });

  it('surfaces injected server failures and transport failures', async () => {
    api.failNext(503, 2);
    expect(await apiError(client.list(JOBS))).toMatchObject({ status: 503, reason: 'ServiceUnavailable' });
    expect((await apiError(client.list(JOBS))).status).toBe(503);
    expect((await client.list(JOBS)).items).toEqual([]);

    const down = await startFakeKubeApi();
    const url = down.url;
    await down.close();
    const unreachable = new KubeClient({ endpoint: url, token: async () => 't' });
    expect(await apiError(unreachable.get(`${JOBS}/x`))).toMatchObject({ status: 0, reason: 'NetworkError' });
    await unreachable.close();
  });

  it('rejects paths that could escape the API prefix', async () => {
    await expect(client.get('/api/v1/../../x')).rejects.toThrow(/invalid Kubernetes API path/);
    await expect(client.get('api/v1/x')).rejects.toThrow(/invalid Kubernetes API path/);
  });

  it('eksKubeClient sends a verifiable EKS token, cached for 14 minutes', async () => {
    const sts = await startFakeSts({ region: 'eu-west-1' });
    const open = await startFakeKubeApi({ validators });
    let clock = Date.now();
    const eks = eksKubeClient({
      clusterName: 'gai-prod',
      endpoint: open.url,
      caData: '',
      region: 'eu-west-1',
      credentials: TEST_ROLE_IDENTITY,
      stsEndpoint: sts.url,
      now: () => clock,
    });
    try {
      await eks.create(JOBS, job('e1'));
      await eks.get(`${JOBS}/e1`);
      clock += 14 * 60 * 1000 + 1;
      await eks.list(JOBS);
      const tokens = open.requests.map((r) => r.headers.authorization!.replace(/^Bearer /, ''));
      expect(tokens[0]).toMatch(/^k8s-aws-v1\./);
      expect(tokens[1]).toBe(tokens[0]);
      expect(tokens[2]).not.toBe(tokens[0]);
      const identity = await verifyEksToken(tokens[0]!, { audience: 'gai-prod', region: 'eu-west-1', allowedEndpoints: [sts.url] });
      expect(identity.principalArn).toBe('arn:aws:iam::111122223333:role/TrainingApi');
    } finally {
      await eks.close();
      await open.close();
      await sts.close();
    }
  });
});

describe('KubeClient over TLS', () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trusts the given CA and refuses an untrusted server certificate', async () => {
    const server = createServer({ cert, key }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Namespace', metadata: { name: 'team-a' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const trusting = new KubeClient({ endpoint, caData: Buffer.from(cert).toString('base64'), token: async () => 't' });
    const untrusting = new KubeClient({ endpoint, token: async () => 't' });
    try {
      expect(await trusting.get<any>('/api/v1/namespaces/team-a')).toMatchObject({ metadata: { name: 'team-a' } });
      expect(await apiError(untrusting.get('/api/v1/namespaces/team-a'))).toMatchObject({ status: 0, reason: 'NetworkError' });
    } finally {
      await trusting.close();
      await untrusting.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
