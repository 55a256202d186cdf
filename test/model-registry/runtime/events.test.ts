/**
 * Events: the real EventBridgeClient against a local server speaking the EventBridge JSON protocol.
 * Also: what happens when publishing fails after the DynamoDB write (the write stands, the call
 * succeeds, the failure is logged and reported, the audit item keeps the event for replay).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppLogger } from '../../../src/core/runtime/http-app';
import { REGISTRY_EVENTS } from '../../../src/model-registry/registry-config';
import { EventBridgePublisher, EventPublishError, type RegistryEvent } from '../../../src/model-registry/runtime/events';
import { ALICE, BOB, type RegistryFixture, goodLineage, startRegistry, uniqueName } from './support/registry-fixture';

const logged: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
const captureLogger: AppLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, ...a) => logged.push({ level: 'warn', message, attributes: Object.assign({}, ...a) }),
  error: (message, ...a) => logged.push({ level: 'error', message, attributes: Object.assign({}, ...a) }),
};

let r: RegistryFixture;
let artifact: string;

beforeAll(async () => {
  r = await startRegistry({ logger: captureLogger });
  artifact = await r.putArtifact('event model');
});

afterAll(async () => {
  await r?.close();
});

describe('EventBridgePublisher', () => {
  it('sends PutEvents signed for service events, in batches of at most 10', async () => {
    r.eventBridge.clear();
    const publisher = new EventBridgePublisher(r.eventBridge.client(), 'bus-a');
    const events: RegistryEvent[] = Array.from({ length: 23 }, (_, i) => ({ detailType: 'AliasChanged', detail: { n: i } }));
    await publisher.publish(events);
    expect(r.eventBridge.calls.map((c) => c.entries)).toEqual([10, 10, 3]);
    expect(r.eventBridge.events.map((e) => e.detail.n)).toEqual(events.map((e) => e.detail.n));
    expect(r.eventBridge.events.every((e) => e.source === 'gaiops.model-registry' && e.eventBusName === 'bus-a')).toBe(true);
    expect(r.eventBridge.authorizations[0]).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/events\/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$/);
  });

  it('throws EventPublishError when EventBridge reports failed entries', async () => {
    r.eventBridge.clear();
    r.eventBridge.failNext('failed-entries');
    const publisher = new EventBridgePublisher(r.eventBridge.client(), 'bus-a');
    const error = await publisher.publish([{ detailType: 'ApprovalRecorded', detail: {} }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as EventPublishError).failures).toEqual([{ detailType: 'ApprovalRecorded', errorCode: 'InternalFailure', errorMessage: 'injected entry failure' }]);
  });
});

describe('registry events', () => {
  it('publishes ModelVersionCreated, ApprovalRecorded, AliasChanged and StageTransitioned', async () => {
    r.eventBridge.clear();
    const name = uniqueName('ev');
    await r.call('POST', '/api/2.0/mlflow/registered-models/create', { body: { name } });
    const created = await r.call('POST', '/api/2.0/mlflow/model-versions/create', { body: { name, source: `sha256:${artifact}`, run_id: 'r1' } });
    expect(created.headers.get('x-gaiops-events')).toBe('published');
    await r.call('POST', '/api/2.0/gaiops/model-versions/lineage', { body: { name, version: '1', ...goodLineage(artifact) } });
    await r.call('POST', '/api/2.0/gaiops/model-versions/approve', { body: { name, version: '1', comment: 'ship it' }, principal: BOB });
    await r.call('POST', '/api/2.0/mlflow/registered-models/alias', { body: { name, alias: 'production', version: '1' } });
    await r.call('POST', '/api/2.0/mlflow/model-versions/transition-stage', { body: { name, version: '1', stage: 'Production', archive_existing_versions: false } });
    await r.call('DELETE', '/api/2.0/mlflow/registered-models/alias', { body: { name, alias: 'production' } });

    const events = r.eventBridge.events.filter((e) => e.detail.model_name === name);
    expect(events.map((e) => e.detailType)).toEqual(['ModelVersionCreated', 'ApprovalRecorded', 'AliasChanged', 'StageTransitioned', 'AliasChanged']);
    expect(new Set(events.map((e) => e.source))).toEqual(new Set([REGISTRY_EVENTS.source]));
    expect(events.every((e) => e.eventBusName === 'gaiops-registry-bus')).toBe(true);
    const common = { model_name: name, model_id: expect.any(String), timestamp: expect.any(Number), audit_id: expect.any(String), request_id: expect.any(String) };
    expect(events[0].detail).toEqual({
      ...common,
      version: '1',
      source: `sha256:${artifact}`,
      artifact_uri: `s3://registry-artifacts/artifacts/sha256/${artifact}`,
      run_id: 'r1',
      principal: ALICE,
    });
    expect(events[1].detail).toEqual({ ...common, version: '1', decision: 'approved', reviewer: BOB, comment: 'ship it', lineage_revision: 1, principal: BOB });
    expect(events[2].detail).toEqual({ ...common, alias: 'production', action: 'set', version: '1', previous_version: null, principal: ALICE });
    expect(events[3].detail).toEqual({ ...common, version: '1', from_stage: 'None', to_stage: 'Production', archived_versions: [], principal: ALICE });
    expect(events[4].detail).toMatchObject({ alias: 'production', action: 'deleted', version: null, previous_version: '1' });
  });

  it('keeps the committed change when publishing fails: the call succeeds, reports it, logs it, and the audit keeps the event', async () => {
    const name = uniqueName('evfail');
    await r.call('POST', '/api/2.0/mlflow/registered-models/create', { body: { name } });
    logged.length = 0;
    r.eventBridge.failNext('failed-entries');
    const created = await r.call('POST', '/api/2.0/mlflow/model-versions/create', { body: { name, source: `sha256:${artifact}` } });
    expect(created.status).toBe(200);
    expect(created.headers.get('x-gaiops-events')).toBe('failed');
    expect((await r.call('GET', '/api/2.0/mlflow/model-versions/get', { query: { name, version: '1' } })).status).toBe(200);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'event publishing failed after commit; replay from the audit table',
        attributes: expect.objectContaining({ detailTypes: ['ModelVersionCreated'] }),
      }),
    ]);

    // Transport failure (HTTP 500) behaves the same.
    r.eventBridge.failNext('http-500');
    const alias = await r.call('POST', '/api/2.0/mlflow/registered-models/alias', { body: { name, alias: 'shadow', version: '1' } });
    expect(alias.status).toBe(200);
    expect(alias.headers.get('x-gaiops-events')).toBe('failed');
    expect((await r.call('GET', '/api/2.0/mlflow/registered-models/alias', { query: { name, alias: 'shadow' } })).status).toBe(200);

    const audit = (await r.call('GET', '/api/2.0/gaiops/audit', { query: { name } })).json.audit_entries;
    const versionEntry = audit.find((e: { action: string }) => e.action === 'model-versions/create');
    expect(versionEntry.events).toEqual([{ detailType: 'ModelVersionCreated', detail: expect.objectContaining({ model_name: name, version: '1' }) }]);
    // Mutations without events report none.
    const tag = await r.call('POST', '/api/2.0/mlflow/registered-models/set-tag', { body: { name, key: 'a', value: 'b' } });
    expect(tag.headers.get('x-gaiops-events')).toBe('none');
  });
});
