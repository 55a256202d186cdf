/**
 * `POST /api/2.0/gaiops/model-versions/withdraw`: the creator's narrow delete (kind `write`) of a
 * version that holds no alias, is in stage None and has no review — transactional and audited like
 * `model-versions/delete`, publishing no events; refused (403 / 400 naming why) otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, MALLORY, type RegistryFixture, sts, startRegistry, uniqueName } from './support/registry-fixture';

let r: RegistryFixture;
let artifact: string;

beforeAll(async () => {
  r = await startRegistry();
  artifact = await r.putArtifact('withdrawn model artifact');
});

afterAll(async () => {
  await r?.close();
});

const M = '/api/2.0/mlflow/registered-models';
const V = '/api/2.0/mlflow/model-versions';
const G = '/api/2.0/gaiops/model-versions';

async function newVersion(name: string, principal = ALICE): Promise<string> {
  const model = await r.call('GET', `${M}/get`, { query: { name } });
  if (model.status === 404) expect((await r.call('POST', `${M}/create`, { body: { name }, principal })).status).toBe(200);
  const res = await r.call('POST', `${V}/create`, { body: { name, source: `sha256:${artifact}` }, principal });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.model_version.version;
}

const withdraw = (name: string, version: string, principal = ALICE, reason?: string) =>
  r.call('POST', `${G}/withdraw`, { body: { name, version, ...(reason !== undefined ? { reason } : {}) }, principal });
const audit = async (name: string) => (await r.call('GET', '/api/2.0/gaiops/audit', { query: { name, max_results: 1000 } })).json.audit_entries as any[];
const exists = async (name: string, version: string) => (await r.call('GET', `${V}/get`, { query: { name, version } })).status;

describe('withdrawing a model version', () => {
  it('lets the creator withdraw an unaliased, unreviewed version in stage None: deleted with its lineage, audited like a delete, no events', async () => {
    const name = uniqueName('wd');
    const v1 = await newVersion(name);
    const v2 = await newVersion(name);
    expect((await r.call('POST', `${G}/lineage`, { body: { name, version: v2, code_commit: 'e'.repeat(40) } })).status).toBe(200);
    r.eventBridge.clear();

    const res = await withdraw(name, v2, ALICE, 'lineage could not be set');
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toEqual({});
    expect(res.headers.get('x-gaiops-events')).toBe('none');
    expect(r.eventBridge.events.filter((e) => e.detail.model_name === name)).toEqual([]);

    expect(await exists(name, v2)).toBe(404);
    expect(await exists(name, v1)).toBe(200);
    expect((await r.call('GET', `${G}/lineage`, { query: { name, version: v2 } })).status).toBe(404);
    const model = (await r.call('GET', `${M}/get`, { query: { name } })).json.registered_model;
    expect(model.latest_versions.map((v: { version: string }) => v.version)).toEqual([v1]);

    const entry = (await audit(name)).at(-1);
    expect(entry).toMatchObject({ action: 'model-versions/withdraw', principal: ALICE, model_name: name, version: v2, after: null, reason: 'lineage could not be set' });
    expect(entry.before).toMatchObject({ version: 2, source: `sha256:${artifact}`, current_stage: 'None', review: null });
    expect(entry.events).toBeUndefined();

    // The number is never reused; a second withdraw finds nothing.
    expect(await newVersion(name)).toBe('3');
    expect((await withdraw(name, v2)).json).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    // Without a reason the audit entry has none.
    expect((await withdraw(name, '3')).status).toBe(200);
    expect((await audit(name)).at(-1)).not.toHaveProperty('reason');
  });

  it('refuses any other principal with 403, even another session or role of the same person, and changes nothing', async () => {
    const name = uniqueName('wd-other');
    const version = await newVersion(name);
    const before = (await audit(name)).length;
    for (const principal of [MALLORY, BOB, sts('OtherRole', 'alice')]) {
      const res = await withdraw(name, version, principal);
      expect(res.status, principal).toBe(403);
      expect(res.json.error_code).toBe('PERMISSION_DENIED');
      expect(res.json.message).toContain(`Only the creator of model '${name}' version ${version} (${ALICE}) may withdraw it`);
    }
    expect(await exists(name, version)).toBe(200);
    expect((await audit(name)).length).toBe(before);
  });

  it('refuses a version holding an alias, in a stage, or with a review, naming every reason (400)', async () => {
    const name = uniqueName('wd-state');
    const aliased = await newVersion(name);
    const staged = await newVersion(name);
    const approved = await newVersion(name);
    const rejected = await newVersion(name);
    const everything = await newVersion(name);
    const ok = (res: { status: number; json: unknown }) => expect(res.status, JSON.stringify(res.json)).toBe(200);
    ok(await r.call('POST', `${M}/alias`, { body: { name, alias: 'canary', version: aliased } }));
    ok(await r.call('POST', `${V}/transition-stage`, { body: { name, version: staged, stage: 'Staging', archive_existing_versions: false } }));
    ok(await r.call('POST', `${G}/approve`, { body: { name, version: approved }, principal: BOB }));
    ok(await r.call('POST', `${G}/reject`, { body: { name, version: rejected, comment: 'no' }, principal: BOB }));
    ok(await r.call('POST', `${M}/alias`, { body: { name, alias: 'shadow', version: everything } }));
    ok(await r.call('POST', `${M}/alias`, { body: { name, alias: 'ab', version: everything } }));
    ok(await r.call('POST', `${V}/transition-stage`, { body: { name, version: everything, stage: 'Archived', archive_existing_versions: false } }));
    ok(await r.call('POST', `${G}/approve`, { body: { name, version: everything }, principal: BOB }));
    const before = (await audit(name)).length;

    const cases: [string, string[], RegExp][] = [
      [aliased, ['alias'], /it holds alias 'canary'/],
      [staged, ['stage'], /it is in stage Staging/],
      [approved, ['review'], new RegExp(`it has a review recorded \\(approved by ${BOB.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')}\\)`)],
      [rejected, ['review'], /it has a review recorded \(rejected by /],
      [everything, ['alias', 'stage', 'review'], /it holds aliases 'ab', 'shadow'; it is in stage Archived; it has a review recorded/],
    ];
    for (const [version, conditions, message] of cases) {
      const res = await withdraw(name, version);
      expect(res.status, version).toBe(400);
      expect(res.json.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.json.message).toMatch(new RegExp(`^model '${name}' version ${version} cannot be withdrawn: `));
      expect(res.json.message).toMatch(message);
      expect(res.json.details.withdraw_refusals.map((c: { condition: string }) => c.condition)).toEqual(conditions);
      expect(await exists(name, version)).toBe(200);
    }
    expect((await audit(name)).length).toBe(before);
    // The admin-only MLflow delete still removes such a version (and its aliases).
    ok(await r.call('DELETE', `${V}/delete`, { body: { name, version: aliased } }));
    expect(await exists(name, aliased)).toBe(404);
  });

  it('answers 404 for an unknown model or version, and validates its body strictly', async () => {
    const name = uniqueName('wd-missing');
    expect((await withdraw(name, '1')).json).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await withdraw(name, '1')).status).toBe(404);
    await newVersion(name);
    const missing = await withdraw(name, '7');
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe(`Model Version (name=${name}, version=7) not found`);
    const extra = await r.call('POST', `${G}/withdraw`, { body: { name, version: '1', force: true } });
    expect(extra.status).toBe(400);
    expect(extra.json.error_code).toBe('INVALID_PARAMETER_VALUE');
    const long = await withdraw(name, '1', ALICE, 'x'.repeat(5001));
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.json)).toMatch(/reason/);
    expect(await exists(name, '1')).toBe(200);
  });

  it('replays an idempotent retry without a second change', async () => {
    const name = uniqueName('wd-idem');
    const version = await newVersion(name);
    const headers = { 'idempotency-key': 'withdraw-once' };
    const first = await r.call('POST', `${G}/withdraw`, { body: { name, version }, headers });
    expect(first.status).toBe(200);
    const again = await r.call('POST', `${G}/withdraw`, { body: { name, version }, headers });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-gaiops-idempotent-replay')).toBe('true');
    expect((await audit(name)).filter((e) => e.action === 'model-versions/withdraw')).toHaveLength(1);
  });
});
