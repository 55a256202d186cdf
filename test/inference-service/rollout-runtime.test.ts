/**
 * The rollout controller end to end: the real Lambda handler with an injected clock, against
 * dynalite (state), a fake Kubernetes API (gateway ConfigMap, Deployments), a fake Prometheus query
 * API (healthy, degrading, no data) and a local EventBridge PutEvents endpoint. Plus the pure parts.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/core/runtime/kube-client';
import { LOCAL_AWS } from '../../src/cli/dev/embedded-dynamo';
import { GATEWAY_CONFIG_FILE, GatewayConfigSchema, type GatewayConfigInput } from '../../src/inference-service/gateway-config';
import { CONFIG_HASH_ANNOTATION } from '../../src/inference-service/inference-service';
import { healthQueries, judgeHealth, serviceProxyBase } from '../../src/inference-service/runtime/rollout/candidate-health';
import { GATEWAY_CONFIG_HASH_ANNOTATION, withWeights } from '../../src/inference-service/runtime/rollout/gateway-weights';
import { createRolloutLambdaHandler, eventBridgeSink, prometheusTransport } from '../../src/inference-service/runtime/rollout/lambda';
import { MODEL_VERSION_ANNOTATION, ROLLOUT_EVENT_SOURCE, RolloutConfigSchema, type RolloutConfigInput } from '../../src/inference-service/runtime/rollout/rollout-config';
import { parseRolloutInput } from '../../src/inference-service/runtime/rollout/rollout-input';
import { RolloutStore } from '../../src/inference-service/runtime/rollout/rollout-store';
import { rollbackWeights, stepWeights } from '../../src/inference-service/runtime/rollout/step-weights';
import { startDynamo, type EmbeddedDynamo } from '../support/embedded-aws';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api';
import { startFakePrometheus, trafficAnswer, type FakePrometheus } from '../support/fake-prometheus';

const NS = 'assistant';
const CM = 'assistant-gateway';
const CM_PATH = `/api/v1/namespaces/${NS}/configmaps/${CM}`;
const deploymentPath = (name: string) => `/apis/apps/v1/namespaces/${NS}/deployments/${name}`;
const TOKEN = 'test-token';
const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const minutes = (m: number) => new Date(T0 + m * 60_000);

const HEALTHY = { requests: 1000, serverErrors: 2, retries: 1, p99Seconds: 2.5 };
const DEGRADED = { requests: 1000, serverErrors: 80, retries: 20, p99Seconds: 2.5 };
const SLOW = { requests: 1000, serverErrors: 0, retries: 0, p99Seconds: 45 };

const GATEWAY: GatewayConfigInput = {
  model: 'assistant',
  variants: [
    { name: 'champion', upstream: 'http://assistant-champion.assistant.svc:8000', upstreamModel: 'assistant-llm', weight: 100 },
    { name: 'challenger', upstream: 'http://assistant-challenger.assistant.svc:8000', upstreamModel: 'assistant-llm', weight: 0 },
    { name: 'shadow', upstream: 'http://assistant-shadow.assistant.svc:8000', upstreamModel: 'assistant-llm', weight: 0, shadowPercent: 5 },
  ],
  fallbackVariant: 'champion',
};

/** A PutEvents endpoint (AWS JSON 1.1) recording the entries; `failNext` makes the next call fail. */
async function startEventBridge(): Promise<{ url: string; entries: any[]; close(): Promise<void> }> {
  const entries: any[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (target !== 'AWSEvents.PutEvents') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        return res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
      }
      entries.push(...body.Entries);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: body.Entries.map((_: unknown, i: number) => ({ EventId: `evt-${entries.length + i}` })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    entries,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const aliasEvent = (id: string, version: string | null, o: { alias?: string; model?: string; time?: Date; action?: 'set' | 'deleted'; previous?: string | null } = {}) => ({
  version: '0',
  id,
  'detail-type': 'AliasChanged',
  source: 'gaiops.model-registry',
  account: '111122223333',
  time: (o.time ?? minutes(0)).toISOString(),
  region: 'eu-west-1',
  resources: [],
  detail: {
    model_name: o.model ?? 'assistant-llm',
    model_id: '5f3c2a56-0000-4000-8000-000000000001',
    alias: o.alias ?? 'canary',
    action: o.action ?? 'set',
    version,
    previous_version: o.previous === undefined ? '7' : o.previous,
  },
});
let tickCount = 0;
const tick = () => ({ version: '0', id: `tick-${++tickCount}`, 'detail-type': 'Scheduled Event', source: 'aws.events', account: '111122223333', time: new Date().toISOString(), region: 'eu-west-1', resources: [], detail: {} });

let dynamo: EmbeddedDynamo;
let kube: FakeKubeApi;
let prom: FakePrometheus;
let bus: Awaited<ReturnType<typeof startEventBridge>>;
let tableCounter = 0;
let table: string;
let clock: Date;
let logs: { level: string; message: string; fields?: Record<string, unknown> }[];
let clients: KubeClient[];

function configInput(overrides: Partial<RolloutConfigInput> = {}): RolloutConfigInput {
  return {
    version: 1,
    namespace: NS,
    configMap: CM,
    variants: [
      { name: 'champion', deployment: 'assistant-champion', modelName: 'assistant-llm', alias: 'production' },
      { name: 'challenger', deployment: 'assistant-challenger', modelName: 'assistant-llm', alias: 'canary' },
    ],
    steps: [5, 25, 50, 100],
    bakeMinutes: 10,
    thresholds: { maxErrorRatio: 0.02, maxP99LatencyMs: 30_000, minRequests: 20 },
    maxNoDataChecks: 3,
    prometheus: { kind: 'url', url: prom.url },
    table,
    eventBus: 'gai-test-registry-events',
    cluster: { name: 'gai-test-training', endpoint: 'https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com', caData: 'LS0tLS1CRUdJTi0tLS0t' },
    ...overrides,
  };
}

function kubeClient(): KubeClient {
  const c = new KubeClient({ endpoint: kube.url, token: async () => TOKEN });
  clients.push(c);
  return c;
}

/** A fresh handler instance (a new Lambda execution environment) sharing the table and servers. */
function newHandler(o: { config?: Partial<RolloutConfigInput>; kube?: KubeClient } = {}) {
  return createRolloutLambdaHandler({
    env: { ROLLOUT_CONFIG: JSON.stringify(configInput(o.config)), AWS_REGION: 'eu-west-1' },
    dynamo: dynamo.client(),
    kube: o.kube ?? kubeClient(),
    events: eventBridgeSink(new EventBridgeClient({ endpoint: bus.url, ...LOCAL_AWS }), 'gai-test-registry-events'),
    logger: {
      info: (message, fields) => logs.push({ level: 'info', message, fields }),
      warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
      error: (message, fields) => logs.push({ level: 'error', message, fields }),
    },
    now: () => clock,
  });
}

function gatewayJson(): any {
  return JSON.parse(kube.objects.get(CM_PATH).data[GATEWAY_CONFIG_FILE]);
}
function weights(): Record<string, number> {
  return Object.fromEntries(gatewayJson().variants.map((v: any) => [v.name, v.weight]));
}
function annotation(deployment: string): string | undefined {
  return kube.objects.get(deploymentPath(deployment)).spec.template.metadata.annotations?.[MODEL_VERSION_ANNOTATION];
}
const writes = () => kube.requests.filter((r) => r.method !== 'GET');
const published = () => bus.entries.map((e) => ({ type: e.DetailType, source: e.Source, detail: JSON.parse(e.Detail) }));

function deployment(name: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/name': name } },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: { containers: [{ name: 'server', image: 'vllm/vllm-openai:v0.11.0' }] } },
    },
  };
}

beforeAll(async () => {
  dynamo = await startDynamo();
  prom = await startFakePrometheus();
  bus = await startEventBridge();
});
afterAll(async () => {
  await Promise.all([dynamo.close(), prom.close(), bus.close()]);
});

beforeEach(async () => {
  table = `rollout-state-${++tableCounter}`;
  await dynamo.createTable({ TableName: table, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' });
  const { Deployment } = (await import('kubernetes-models/apps/v1/Deployment')) as unknown as { Deployment: new (o: unknown) => { validate(): void } };
  kube = await startFakeKubeApi({
    token: TOKEN,
    validators: {
      'v1/ConfigMap': (obj: any) => {
        const r = GatewayConfigSchema.safeParse(JSON.parse(obj.data?.[GATEWAY_CONFIG_FILE] ?? 'null'));
        return r.success ? [] : r.error.issues.map((i) => i.message);
      },
      'apps/v1/Deployment': (obj) => {
        new Deployment(obj).validate();
        return [];
      },
    },
  });
  const config = GatewayConfigSchema.parse(GATEWAY);
  kube.put(CM_PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CM, namespace: NS, annotations: { [CONFIG_HASH_ANNOTATION]: 'terraform' } }, data: { [GATEWAY_CONFIG_FILE]: `${JSON.stringify(config, null, 2)}\n` } });
  for (const name of ['assistant-champion', 'assistant-challenger']) kube.put(deploymentPath(name), deployment(name));
  prom.answer(trafficAnswer(HEALTHY));
  bus.entries.length = 0;
  logs = [];
  clients = [];
  clock = minutes(0);
});
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await kube.close();
});

describe('rollout controller end to end', () => {
  it('rolls a new canary version out 5 → 25 → 50 → 100 % with bake times, then completes', async () => {
    const handler = newHandler();
    expect(await handler(aliasEvent('e-1', '8'))).toEqual({ status: 'updated', active: { variant: 'challenger', version: '8', step: 0 } });
    expect(weights()).toEqual({ champion: 95, challenger: 5, shadow: 0 });
    expect(annotation('assistant-challenger')).toBe('8');
    expect(annotation('assistant-champion')).toBeUndefined();
    // The ConfigMap stays a valid gateway.json with the hash of its text.
    const cm = kube.objects.get(CM_PATH);
    expect(cm.metadata.annotations[CONFIG_HASH_ANNOTATION]).toBe(createHash('sha256').update(cm.data[GATEWAY_CONFIG_FILE]).digest('hex'));
    expect(cm.metadata.annotations['gaiops.io/rollout']).toBe('e-1');
    expect(published()).toEqual([
      expect.objectContaining({ type: 'RolloutStarted', source: ROLLOUT_EVENT_SOURCE, detail: expect.objectContaining({ rollout_id: 'e-1', variant: 'challenger', version: '8', previous_version: '7', percent: 5 }) }),
    ]);

    clock = minutes(5);
    expect((await handler(tick())).status).toBe('unchanged'); // baking
    expect(weights().challenger).toBe(5);
    clock = minutes(10);
    await handler(tick());
    expect(weights()).toEqual({ champion: 75, challenger: 25, shadow: 0 });
    clock = minutes(20);
    await handler(tick());
    expect(weights()).toEqual({ champion: 50, challenger: 50, shadow: 0 });
    clock = minutes(30);
    await handler(tick());
    expect(weights()).toEqual({ champion: 0, challenger: 100, shadow: 0 });
    clock = minutes(40);
    expect(await handler(tick())).toEqual({ status: 'updated', active: null });
    expect(weights()).toEqual({ champion: 0, challenger: 100, shadow: 0 });
    expect(published().map((e) => e.type)).toEqual(['RolloutStarted', 'RolloutCompleted']);
    // Health queries were scoped to the candidate and the step's window.
    expect(prom.queries.some((q) => q.query === healthQueries(NS, 'challenger', 600).requests)).toBe(true);
    // Nothing more happens afterwards.
    const before = writes().length;
    clock = minutes(50);
    expect((await handler(tick())).status).toBe('unchanged');
    expect(writes().length).toBe(before);
    expect(GatewayConfigSchema.safeParse(gatewayJson()).success).toBe(true);
  });

  it('rolls back when the candidate degrades mid-way, restoring the start weights exactly', async () => {
    const handler = newHandler();
    const start = weights();
    await handler(aliasEvent('e-1', '8'));
    clock = minutes(10);
    await handler(tick());
    expect(weights().challenger).toBe(25);
    prom.answer(trafficAnswer(DEGRADED));
    clock = minutes(12);
    expect(await handler(tick())).toEqual({ status: 'updated', active: null });
    expect(weights()).toEqual(start);
    const rolledBack = published().find((e) => e.type === 'RolloutRolledBack');
    expect(rolledBack?.detail).toMatchObject({ rollout_id: 'e-1', variant: 'challenger', version: '8', step: 1, percent: 25, weights: start, errorRatio: 0.098 });
    expect(String(rolledBack?.detail.reason)).toContain('error ratio 0.098 above 0.02');
    expect(logs.find((l) => l.message === 'rollout rolled back')?.fields).toMatchObject({ variant: 'challenger', version: '8' });
    // Later ticks leave the restored weights alone.
    clock = minutes(30);
    expect((await handler(tick())).status).toBe('unchanged');
    expect(weights()).toEqual(start);
    // A replay of the change (new event id, same version) does not restart the failed version…
    const writesBefore = writes().length;
    await handler(aliasEvent('e-replay', '8', { time: minutes(30) }));
    expect(writes().length).toBe(writesBefore);
    expect(logs.some((l) => l.message.startsWith('version was rolled back'))).toBe(true);
    // …deleting the alias and setting it again does.
    await handler(aliasEvent('e-del', null, { action: 'deleted', time: minutes(31) }));
    prom.answer(trafficAnswer(HEALTHY));
    expect(await handler(aliasEvent('e-retry', '8', { time: minutes(32) }))).toEqual({ status: 'updated', active: { variant: 'challenger', version: '8', step: 0 } });
    expect(weights().challenger).toBe(5);
  });

  it('rolls back on latency above the threshold', async () => {
    const handler = newHandler();
    await handler(aliasEvent('e-1', '8'));
    prom.answer(trafficAnswer(SLOW));
    clock = minutes(3);
    await handler(tick());
    expect(weights()).toEqual({ champion: 100, challenger: 0, shadow: 0 });
    expect(String(published().at(-1)?.detail.reason)).toContain('p99 latency 45000 ms above 30000 ms');
  });

  it('holds without traffic, then rolls back after maxNoDataChecks checks past the bake time', async () => {
    const handler = newHandler();
    await handler(aliasEvent('e-1', '8'));
    prom.answer(trafficAnswer(null));
    clock = minutes(10);
    await handler(tick());
    clock = minutes(11);
    await handler(tick());
    expect(weights().challenger).toBe(5);
    expect(logs.filter((l) => l.message.startsWith('not enough traffic'))).toHaveLength(2);
    clock = minutes(12);
    await handler(tick());
    expect(weights()).toEqual({ champion: 100, challenger: 0, shadow: 0 });
    expect(String(published().at(-1)?.detail.reason)).toContain('no data for 3 checks');
  });

  it('ignores duplicate events (same event id, or the same target version)', async () => {
    const handler = newHandler();
    await handler(aliasEvent('e-1', '8'));
    const afterFirst = writes().length;
    expect((await handler(aliasEvent('e-1', '8'))).status).toBe('unchanged');
    expect((await newHandler()(aliasEvent('e-1', '8'))).status).toBe('unchanged');
    // A re-delivery with another id but the same version marks the id seen and changes nothing in the cluster.
    expect(await handler(aliasEvent('e-2', '8'))).toEqual({ status: 'updated', active: { variant: 'challenger', version: '8', step: 0 } });
    expect(writes().length).toBe(afterFirst);
    expect(published().filter((e) => e.type === 'RolloutStarted')).toHaveLength(1);
    expect(logs.filter((l) => l.message === 'duplicate event ignored')).toHaveLength(2);
  });

  it('continues a rollout from the table after a restart, and applies effects a crashed invocation left', async () => {
    await newHandler()(aliasEvent('e-1', '8'));
    clock = minutes(10);
    await newHandler()(tick());
    expect(weights().challenger).toBe(25);

    // The next step's write fails (API server unavailable): the invocation fails after saving its decision.
    const crashing = newHandler();
    kube.failNext(503, 1);
    clock = minutes(20);
    // The first request (reading gateway.json) fails: nothing decided, nothing saved.
    await expect(crashing(tick())).rejects.toThrow(/503/);
    const store = new RolloutStore(dynamo.client(), table, { namespace: NS, configMap: CM });
    expect((await store.load()).active?.step).toBe(1);

    // Now fail the PUT of the weights: the decision (step 2) is saved with its effects, then the write fails.
    const failingPut = new (class extends KubeClient {
      override replace<T>(): Promise<T> {
        return Promise.reject(new Error('connection reset'));
      }
    })({ endpoint: kube.url, token: async () => TOKEN });
    clients.push(failingPut);
    await expect(newHandler({ kube: failingPut })(tick())).rejects.toThrow(/connection reset/);
    const saved = await store.load();
    expect(saved.active?.step).toBe(2);
    expect(saved.effects?.weights).toEqual({ champion: 50, challenger: 50, shadow: 0 });
    expect(weights().challenger).toBe(25);

    // A new execution environment applies the pending effects first, then carries on.
    clock = minutes(21);
    const fresh = newHandler();
    expect(await fresh(tick())).toEqual({ status: 'unchanged', active: { variant: 'challenger', version: '8', step: 2 } });
    expect(weights()).toEqual({ champion: 50, challenger: 50, shadow: 0 });
    expect((await store.load()).effects).toBeNull();
    expect(logs.some((l) => l.message === 'applying effects a previous invocation left')).toBe(true);
    clock = minutes(31);
    await fresh(tick());
    expect(weights().challenger).toBe(100);
  });

  it('re-reads and retries when the ConfigMap changed between its read and the write (409)', async () => {
    let injected = false;
    const racing = new (class extends KubeClient {
      override replace<T>(path: string, body: object): Promise<T> {
        if (!injected && path === CM_PATH) {
          injected = true;
          // Another writer updates the ConfigMap after the controller read it.
          const current = kube.objects.get(CM_PATH);
          kube.put(CM_PATH, { ...current, metadata: { ...current.metadata, labels: { touched: 'by-terraform' } } });
        }
        return super.replace<T>(path, body);
      }
    })({ endpoint: kube.url, token: async () => TOKEN });
    clients.push(racing);
    await newHandler({ kube: racing })(aliasEvent('e-1', '8'));
    const puts = kube.requests.filter((r) => r.method === 'PUT' && r.path === CM_PATH);
    expect(puts).toHaveLength(2);
    expect(weights()).toEqual({ champion: 95, challenger: 5, shadow: 0 });
    expect(kube.objects.get(CM_PATH).metadata.labels).toEqual({ touched: 'by-terraform' });
    expect(logs.find((l) => l.message === 'gateway weights written')?.fields).toMatchObject({ conflicts: 1 });
  });

  it('rejects events of the wrong shape: logged, nothing written', async () => {
    const handler = newHandler();
    const bad = [
      { foo: 1 },
      null,
      { ...aliasEvent('e-1', '8'), detail: { model_name: 'assistant-llm' } },
      aliasEvent('e-2', null),
      { ...aliasEvent('e-3', '8'), source: 'evil.source' },
      { ...aliasEvent('e-4', 'latest') },
      { 'detail-type': 'Scheduled Event', source: 'aws.events' },
    ];
    for (const event of bad) expect((await handler(event)).status).toBe('rejected');
    expect(logs.filter((l) => l.level === 'error' && l.message === 'event rejected')).toHaveLength(bad.length);
    expect(kube.requests).toHaveLength(0);
    expect(bus.entries).toHaveLength(0);
    expect((await new RolloutStore(dynamo.client(), table, { namespace: NS, configMap: CM }).load()).rev).toBe(0);
  });

  it('queues an alias change of another variant until the active rollout ends, then starts it', async () => {
    const handler = newHandler();
    await handler(aliasEvent('e-1', '8'));
    await handler(aliasEvent('e-2', '9', { alias: 'production', time: minutes(1) }));
    expect(annotation('assistant-champion')).toBeUndefined();
    prom.answer(trafficAnswer(DEGRADED));
    clock = minutes(2);
    await handler(tick()); // canary rolled back
    expect(weights()).toEqual({ champion: 100, challenger: 0, shadow: 0 });
    prom.answer(trafficAnswer(HEALTHY));
    clock = minutes(3);
    expect(await handler(tick())).toEqual({ status: 'updated', active: { variant: 'champion', version: '9', step: 0 } });
    expect(annotation('assistant-champion')).toBe('9');
    // The champion was the only weighted variant: nothing to shift from, it keeps 100 while it bakes.
    expect(weights()).toEqual({ champion: 100, challenger: 0, shadow: 0 });
  });

  it('supersedes an active rollout with a newer version and ignores older, late events', async () => {
    const handler = newHandler();
    await handler(aliasEvent('e-1', '8', { time: minutes(0) }));
    clock = minutes(10);
    await handler(tick());
    await handler(aliasEvent('e-2', '9', { time: minutes(11), previous: '8' }));
    expect(weights()).toEqual({ champion: 95, challenger: 5, shadow: 0 });
    expect(annotation('assistant-challenger')).toBe('9');
    expect(await handler(aliasEvent('e-0', '7', { time: minutes(-5) }))).toMatchObject({ active: { version: '9' } });
    expect(logs.some((l) => l.message.startsWith('alias change older than'))).toBe(true);
    // Deleting the alias mid-rollout rolls back.
    await handler(aliasEvent('e-3', null, { action: 'deleted', time: minutes(12) }));
    expect(weights()).toEqual({ champion: 100, challenger: 0, shadow: 0 });
    expect(published().at(-1)).toMatchObject({ type: 'RolloutRolledBack', detail: { version: '9', reason: 'alias canary deleted' } });
  });

  it('holds the step when Prometheus fails', async () => {
    const handler = newHandler();
    await handler(aliasEvent('e-1', '8'));
    prom.answer(() => ({ httpStatus: 503 }));
    clock = minutes(15);
    expect((await handler(tick())).status).toBe('unchanged');
    expect(weights().challenger).toBe(5);
    expect(logs.find((l) => l.message === 'health check failed; holding the step')?.fields?.error).toContain('503');
  });
});

describe('rollout pure parts', () => {
  it('shifts weights proportionally and rolls back by draining the candidate', () => {
    expect(stepWeights({ a: 60, b: 30, c: 10 }, 'c', 25)).toEqual({ a: 50, b: 25, c: 25 });
    expect(stepWeights({ a: 100, s: 0, c: 0 }, 'c', 5)).toEqual({ a: 95, s: 0, c: 5 });
    expect(stepWeights({ a: 0, c: 100 }, 'c', 5)).toEqual({ a: 0, c: 100 });
    expect(rollbackWeights({ a: 90, c: 10 }, 'c')).toEqual({ a: 90, c: 0 });
    expect(rollbackWeights({ a: 0, c: 100 }, 'c')).toEqual({ a: 0, c: 100 });
  });

  it('step weights: the candidate gets the step, the others share the rest in their start proportions', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 100 }), (others, candidateStart, percent) => {
        const start: Record<string, number> = { cand: candidateStart };
        others.forEach((w, i) => (start[`v${i}`] = w));
        const total = others.reduce((a, b) => a + b, 0);
        const w = stepWeights(start, 'cand', percent);
        if (total === 0) return w.cand === 100;
        const sum = Object.values(w).reduce((a, b) => a + b, 0);
        return (
          w.cand === percent &&
          Math.abs(sum - 100) < 0.01 &&
          others.every((o, i) => Math.abs(w[`v${i}`] - ((100 - percent) * o) / total) < 0.001) &&
          rollbackWeights(start, 'cand').cand === 0
        );
      }),
    );
  });

  it('judges health: ratio over attempts (retries count as failures), latency, no data', () => {
    const t = { maxErrorRatio: 0.02, maxP99LatencyMs: 30_000, minRequests: 20 };
    expect(judgeHealth({ requests: 1000, serverErrors: 10, retries: 0, p99Seconds: 1 }, t)).toMatchObject({ status: 'healthy', errorRatio: 0.01, p99LatencyMs: 1000 });
    expect(judgeHealth({ requests: 0, serverErrors: 0, retries: 50, p99Seconds: null }, t)).toMatchObject({ status: 'unhealthy', errorRatio: 1 });
    expect(judgeHealth({ requests: 5, serverErrors: null, retries: null, p99Seconds: null }, t)).toMatchObject({ status: 'no-data', requests: 5 });
    expect(judgeHealth({ requests: null, serverErrors: null, retries: null, p99Seconds: null }, t).status).toBe('no-data');
  });

  it('builds queries on the gateway metrics with escaped labels', () => {
    const q = healthQueries('ns', 'v"1', 90);
    expect(q.requests).toBe('sum(increase(gaiops_gateway_requests_total{namespace="ns",variant="v\\"1"}[90s]))');
    expect(q.p99Seconds).toBe('histogram_quantile(0.99, sum by (le) (rate(gaiops_gateway_request_duration_seconds_bucket{namespace="ns",variant="v\\"1"}[90s])))');
  });

  it('queries Prometheus through the API-server service proxy', async () => {
    const c = new KubeClient({ endpoint: prom.url, token: async () => TOKEN });
    prom.answer(trafficAnswer(HEALTHY));
    const config = RolloutConfigSchema.parse({ ...configInputStatic(), prometheus: { kind: 'service-proxy' } });
    const transport = prometheusTransport(config, c);
    expect(await transport(`/api/v1/query?query=${encodeURIComponent(healthQueries(NS, 'challenger', 60).requests)}`)).toMatchObject({ status: 'success' });
    expect(prom.queries.at(-1)?.path).toBe(`${serviceProxyBase('monitoring', 'kube-prometheus-stack-prometheus', 9090)}/api/v1/query`);
    await c.close();
  });

  it('refuses weights that would make gateway.json invalid', () => {
    const config = GatewayConfigSchema.parse(GATEWAY);
    expect(() => withWeights(config, { champion: 0, challenger: 0, shadow: 0 })).toThrow(/at least one variant/);
    expect(() => withWeights(config, { champion: 100 })).toThrow(/gateway.json has/);
  });

  it('parses registry and schedule events', () => {
    expect(parseRolloutInput(aliasEvent('e-9', '12'))).toMatchObject({ ok: true, input: { kind: 'alias-changed', change: { eventId: 'e-9', version: '12', previousVersion: '7' } } });
    expect(parseRolloutInput(tick())).toEqual({ ok: true, input: { kind: 'tick' } });
    expect(parseRolloutInput({ 'detail-type': 'ModelVersionCreated' })).toMatchObject({ ok: false });
  });

  it('keeps the runtime hash annotation equal to the construct one', () => {
    expect(GATEWAY_CONFIG_HASH_ANNOTATION).toBe(CONFIG_HASH_ANNOTATION);
  });
});

function configInputStatic(): RolloutConfigInput {
  return {
    version: 1,
    namespace: NS,
    configMap: CM,
    variants: [{ name: 'challenger', deployment: 'assistant-challenger', modelName: 'assistant-llm', alias: 'canary' }],
    steps: [5, 100],
    bakeMinutes: 10,
    thresholds: {},
    maxNoDataChecks: 0,
    prometheus: { kind: 'url', url: 'http://127.0.0.1:1' },
    table: 'rollout-state',
    eventBus: 'bus',
    cluster: { name: 'c', endpoint: 'https://x', caData: 'eA==' },
  };
}
