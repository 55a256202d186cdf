/**
 * Version numbers are allocated atomically: a conditional update of the counter on the model item
 * and the version item are written in one transaction, retried on conflict. Concurrent creates
 * (real HTTP requests, in parallel) get exactly 1..N with no gap and no duplicate.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_TABLE, type RegistryFixture, startRegistry, uniqueName } from './support/registry-fixture';

let r: RegistryFixture;
let artifact: string;

beforeAll(async () => {
  r = await startRegistry();
  artifact = await r.putArtifact('concurrent model');
});

afterAll(async () => {
  await r?.close();
});

describe('concurrent version creation', () => {
  it('50 parallel creates on one model yield versions 1..50 exactly once', async () => {
    const name = uniqueName('hot');
    expect((await r.call('POST', '/api/2.0/mlflow/registered-models/create', { body: { name } })).status).toBe(200);
    const cancelledBefore = r.dynamo.stats.cancelled;

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        r.call('POST', '/api/2.0/mlflow/model-versions/create', { body: { name, source: `sha256:${artifact}`, run_id: `run-${i}` } }),
      ),
    );
    for (const res of results) expect(res.status, JSON.stringify(res.json)).toBe(200);
    const versions = results.map((res) => Number(res.json.model_version.version)).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Each run id got its own version.
    expect(new Set(results.map((res) => res.json.model_version.run_id)).size).toBe(50);
    // The requests really raced (some transactions were cancelled and retried).
    expect(r.dynamo.stats.cancelled).toBeGreaterThan(cancelledBefore);

    // The stored state agrees: 50 versions, latest None is 50, one audit entry per version.
    const search = await r.call('GET', '/api/2.0/mlflow/model-versions/search', { query: { filter: `name='${name}'`, max_results: 100 } });
    expect(search.json.model_versions.map((v: { version: string }) => Number(v.version))).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
    const model = await r.call('GET', '/api/2.0/mlflow/registered-models/get', { query: { name } });
    expect(model.json.registered_model.latest_versions.map((v: { version: string }) => v.version)).toEqual(['50']);
    const audit = await r.dynamo.client().send(
      new QueryCommand({ TableName: AUDIT_TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `NAME#${name}` } } }),
    );
    const created = (audit.Items ?? []).filter((i) => i.action?.S === 'model-versions/create').map((i) => Number(i.version?.N));
    expect(created.sort((a, b) => a - b)).toEqual(versions);
  });
});
