/**
 * MLflow Model Registry REST API end to end: real HTTP (serveHttp) against dynalite (behind the
 * transaction proxy) and s3rver, with MLflow-shaped requests (GET with query parameters, other
 * methods with JSON bodies) and MLflow-shaped responses and errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, ARTIFACT_BUCKET, type RegistryFixture, startRegistry, uniqueName } from './support/registry-fixture';

let r: RegistryFixture;
let artifact: string;

beforeAll(async () => {
  r = await startRegistry();
  artifact = await r.putArtifact('model weights v1');
});

afterAll(async () => {
  await r?.close();
});

const M = '/api/2.0/mlflow/registered-models';
const V = '/api/2.0/mlflow/model-versions';

async function createModel(name: string, extra: Record<string, unknown> = {}) {
  const res = await r.call('POST', `${M}/create`, { body: { name, ...extra } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.registered_model;
}

async function createVersion(name: string, extra: Record<string, unknown> = {}) {
  const res = await r.call('POST', `${V}/create`, { body: { name, source: `sha256:${artifact}`, ...extra } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.model_version;
}

describe('registered models', () => {
  it('creates, gets, updates, tags and deletes a model with MLflow shapes', async () => {
    const name = uniqueName('churn');
    const before = Date.now();
    const created = await createModel(name, { description: 'Churn model', tags: [{ key: 'team', value: 'risk' }] });
    expect(created).toEqual({
      name,
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      user_id: ALICE,
      description: 'Churn model',
      latest_versions: [],
      tags: [{ key: 'team', value: 'risk' }],
      aliases: [],
    });
    expect(created.creation_timestamp).toBeGreaterThanOrEqual(before);
    expect(created.creation_timestamp).toBeLessThanOrEqual(Date.now());

    const got = await r.call('GET', `${M}/get`, { query: { name } });
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ registered_model: created });

    const updated = await r.call('PATCH', `${M}/update`, { body: { name, description: 'Churn v2' } });
    expect(updated.status).toBe(200);
    expect(updated.json.registered_model.description).toBe('Churn v2');

    expect((await r.call('POST', `${M}/set-tag`, { body: { name, key: 'owner', value: 'ml-team' } })).json).toEqual({});
    expect((await r.call('DELETE', `${M}/delete-tag`, { body: { name, key: 'team' } })).json).toEqual({});
    // Deleting an absent tag is a no-op, as in MLflow.
    expect((await r.call('DELETE', `${M}/delete-tag`, { body: { name, key: 'team' } })).status).toBe(200);
    const tagged = await r.call('GET', `${M}/get`, { query: { name } });
    expect(tagged.json.registered_model.tags).toEqual([{ key: 'owner', value: 'ml-team' }]);

    const deleted = await r.call('DELETE', `${M}/delete`, { body: { name } });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({});
    const gone = await r.call('GET', `${M}/get`, { query: { name } });
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Registered Model with name=${name} not found` });
  });

  it('refuses duplicates with RESOURCE_ALREADY_EXISTS (400) and unknown names with RESOURCE_DOES_NOT_EXIST (404)', async () => {
    const name = uniqueName('dup');
    await createModel(name);
    const dup = await r.call('POST', `${M}/create`, { body: { name } });
    expect(dup.status).toBe(400);
    expect(dup.json).toEqual({ error_code: 'RESOURCE_ALREADY_EXISTS', message: `Registered Model (name=${name}) already exists.` });

    const missing = 'does-not-exist';
    for (const [method, path, options] of [
      ['GET', `${M}/get`, { query: { name: missing } }],
      ['PATCH', `${M}/update`, { body: { name: missing, description: 'x' } }],
      ['POST', `${M}/rename`, { body: { name: missing, new_name: 'x' } }],
      ['DELETE', `${M}/delete`, { body: { name: missing } }],
      ['POST', `${M}/set-tag`, { body: { name: missing, key: 'k', value: 'v' } }],
      ['POST', `${M}/get-latest-versions`, { body: { name: missing } }],
      ['POST', `${V}/create`, { body: { name: missing, source: `sha256:${artifact}` } }],
      ['GET', `${V}/get`, { query: { name, version: '1' } }],
      ['GET', `${V}/get-download-uri`, { query: { name, version: '7' } }],
      ['GET', `${M}/alias`, { query: { name, alias: 'champion' } }],
      ['POST', `${M}/alias`, { body: { name, alias: 'champion', version: '3' } }],
    ] as const) {
      const res = await r.call(method, path, options);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error_code, `${method} ${path}`).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(typeof res.json.message).toBe('string');
    }
  });

  it('validates parameters with INVALID_PARAMETER_VALUE naming the fields, including tag and alias limits', async () => {
    const name = uniqueName('limits');
    await createModel(name);
    await createVersion(name);
    const cases: [string, string, Record<string, unknown>, RegExp][] = [
      ['POST', `${M}/create`, { body: {} }, /'name' is required/],
      ['POST', `${M}/create`, { body: { name: '' } }, /'name' must not be empty/],
      ['POST', `${M}/create`, { body: { name: 'x', tags: [{ key: 'k'.repeat(251), value: 'v' }] } }, /'tags\[0\]\.key' must be at most 250 bytes/],
      ['POST', `${M}/create`, { body: { name: 'x', tags: [{ key: 'k', value: 'v'.repeat(5001) }] } }, /'tags\[0\]\.value' must be at most 5000 bytes/],
      // 2-byte characters: 126 × 2 = 252 bytes > 250 although only 126 characters.
      ['POST', `${M}/set-tag`, { body: { name, key: 'é'.repeat(126), value: 'v' } }, /'key' must be at most 250 bytes/],
      ['POST', `${V}/set-tag`, { body: { name, version: '1', key: 'k', value: 'é'.repeat(2501) } }, /'value' must be at most 5000 bytes/],
      ['POST', `${M}/alias`, { body: { name, alias: 'a'.repeat(257), version: '1' } }, /'alias' must be at most 256 bytes/],
      ['POST', `${M}/alias`, { body: { name, alias: 'latest', version: '1' } }, /'latest' \(case insensitive\) is reserved/],
      ['POST', `${M}/alias`, { body: { name, alias: 'v2', version: '1' } }, /reserved/],
      ['POST', `${M}/alias`, { body: { name, alias: 'has space', version: '1' } }, /alphanumerics/],
      ['GET', `${V}/get`, { query: { name, version: 'one' } }, /'version' must be a positive integer/],
      ['GET', `${V}/get`, { query: { name } }, /'version' is required/],
      ['POST', `${V}/create`, { body: { name, source: 'file:///etc/passwd' } }, /'source' must be an 's3:\/\/<bucket>\/<key>' URI/],
      ['POST', `${V}/create`, { body: { name, source: `sha256:${'0'.repeat(64)}` } }, /does not exist in the artifact store/],
      ['POST', `${V}/transition-stage`, { body: { name, version: '1', stage: 'Prod' } }, /'stage' must be one of None, Staging, Production, Archived/],
      [
        'POST',
        `${V}/transition-stage`,
        { body: { name, version: '1', stage: 'Archived', archive_existing_versions: true } },
        /archive_existing_versions can only be true/,
      ],
      ['GET', `${M}/search`, { query: { max_results: 1001 } }, /'max_results' must be an integer between 1 and 1000/],
      ['GET', `${M}/search`, { query: { max_results: 0 } }, /'max_results' must be an integer between 1 and 1000/],
      ['GET', `${M}/search`, { query: { filter: "owner = 'x'" } }, /invalid attribute key 'owner'/],
      ['GET', `${M}/search`, { query: { filter: "name = 'x' OR name = 'y'" } }, /joined with AND/],
      ['GET', `${M}/search`, { query: { order_by: 'size DESC' } }, /Invalid order_by clause/],
      ['GET', `${M}/search`, { query: { page_token: 'bm9wZQ' } }, /Invalid page_token/],
      ['GET', `${V}/search`, { query: { filter: "version_number > 'abc'" } }, /must be compared with a number/],
    ];
    for (const [method, path, options, message] of cases) {
      const res = await r.call(method, path, options);
      expect(res.status, `${method} ${path} ${JSON.stringify(options)}`).toBe(400);
      expect(res.json.error_code, `${method} ${path}`).toBe('INVALID_PARAMETER_VALUE');
      expect(res.json.message, `${method} ${path}`).toMatch(message);
    }
    // Several problems are reported together.
    const many = await r.call('POST', `${V}/create`, { body: { tags: 'x' } });
    expect(many.json.message).toMatch(/'name' is required/);
    expect(many.json.message).toMatch(/'source' is required/);
    expect(many.json.message).toMatch(/'tags' must be a list/);
    expect(many.json.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(['name', 'source', 'tags']);
  });

  it('maps transport errors to MLflow codes: ENDPOINT_NOT_FOUND, MALFORMED_REQUEST, BAD_REQUEST', async () => {
    const unknown = await r.call('GET', '/api/2.0/mlflow/experiments/list');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error_code: 'ENDPOINT_NOT_FOUND', message: 'no route matches this path' });
    const wrongMethod = await r.call('PUT', `${M}/create`, { body: { name: 'x' } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json.error_code).toBe('ENDPOINT_NOT_FOUND');
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const badJson = await r.call('POST', `${M}/create`, { raw: '{"name":' });
    expect(badJson.status).toBe(400);
    expect(badJson.json.error_code).toBe('MALFORMED_REQUEST');
    const notJson = await r.call('POST', `${M}/create`, { raw: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(notJson.status).toBe(415);
    expect(notJson.json.error_code).toBe('BAD_REQUEST');
  });

  it('searches with name filters, order_by and pagination', async () => {
    const prefix = uniqueName('srch');
    const names = ['alpha', 'Beta', 'gamma', 'delta', 'alphabet'].map((n) => `${prefix}-${n}`);
    for (const n of names) {
      await createModel(n, { tags: [{ key: 'kind', value: n.endsWith('a') ? 'a-ending' : 'other' }] });
    }
    const search = async (query: Record<string, string | number>) => {
      const res = await r.call('GET', `${M}/search`, { query });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return res.json as { registered_models: { name: string }[]; next_page_token?: string };
    };
    const all = await search({ filter: `name LIKE '${prefix}-%'` });
    expect(all.registered_models.map((m) => m.name)).toEqual([...names].sort());
    expect(all.next_page_token).toBeUndefined();

    expect((await search({ filter: `name LIKE '%-alpha%'` })).registered_models.map((m) => m.name).filter((n) => n.startsWith(prefix))).toEqual([
      `${prefix}-alpha`,
      `${prefix}-alphabet`,
    ]);
    // LIKE is case-sensitive, ILIKE is not.
    expect((await search({ filter: `name LIKE '${prefix}-beta'` })).registered_models).toEqual([]);
    expect((await search({ filter: `name ILIKE '${prefix.toUpperCase()}-BETA'` })).registered_models.map((m) => m.name)).toEqual([`${prefix}-Beta`]);
    expect((await search({ filter: `name='${prefix}-gamma'` })).registered_models.map((m) => m.name)).toEqual([`${prefix}-gamma`]);
    expect(
      (await search({ filter: `name LIKE '${prefix}-%' AND tags.kind = 'a-ending'` })).registered_models.map((m) => m.name),
    ).toEqual([`${prefix}-Beta`, `${prefix}-alpha`, `${prefix}-delta`, `${prefix}-gamma`]);

    const desc = await search({ filter: `name LIKE '${prefix}-%'`, order_by: 'name DESC' });
    expect(desc.registered_models.map((m) => m.name)).toEqual([...names].sort().reverse());
    const byTime = await search({ filter: `name LIKE '${prefix}-%'`, order_by: 'last_updated_timestamp DESC' });
    expect(byTime.registered_models).toHaveLength(5);

    // Pages of 2: every model exactly once, in order.
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await search({ filter: `name LIKE '${prefix}-%'`, max_results: 2, ...(token ? { page_token: token } : {}) });
      expect(page.registered_models.length).toBeLessThanOrEqual(2);
      seen.push(...page.registered_models.map((m) => m.name));
      token = page.next_page_token;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual([...names].sort());

    // A token is bound to its query.
    const first = await search({ filter: `name LIKE '${prefix}-%'`, max_results: 2 });
    const replay = await r.call('GET', `${M}/search`, { query: { filter: `name LIKE '%'`, max_results: 2, page_token: first.next_page_token! } });
    expect(replay.status).toBe(400);
    expect(replay.json.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('model versions and aliases', () => {
  it('runs the full lifecycle: versions, search, aliases, download-uri, stages, rename, delete', async () => {
    const name = uniqueName('fraud');
    await createModel(name);
    const v1 = await createVersion(name, { run_id: 'run-1', description: 'first', tags: [{ key: 'framework', value: 'xgboost' }] });
    expect(v1).toEqual({
      name,
      version: '1',
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      user_id: ALICE,
      current_stage: 'None',
      description: 'first',
      source: `sha256:${artifact}`,
      run_id: 'run-1',
      status: 'READY',
      tags: [{ key: 'framework', value: 'xgboost' }],
      aliases: [],
    });
    const v2 = await createVersion(name, { source: `s3://${ARTIFACT_BUCKET}/external/model.tar.gz`, run_id: 'run-2', run_link: 'https://ci.example/runs/2' });
    expect(v2.version).toBe('2');
    expect(v2.run_link).toBe('https://ci.example/runs/2');
    const v3 = await createVersion(name, { run_id: 'run-3' });
    expect(v3.version).toBe('3');

    const got = await r.call('GET', `${V}/get`, { query: { name, version: '2' } });
    expect(got.json.model_version).toEqual(v2);

    // search: by model name, run ids, version numbers; ordering and pages
    const search = async (query: Record<string, string | number>) => (await r.call('GET', `${V}/search`, { query })).json;
    expect((await search({ filter: `name='${name}'` })).model_versions.map((v: { version: string }) => v.version)).toEqual(['3', '2', '1']);
    expect((await search({ filter: `name='${name}' AND run_id IN ('run-1', 'run-3')` })).model_versions.map((v: { version: string }) => v.version)).toEqual([
      '3',
      '1',
    ]);
    expect((await search({ filter: `name='${name}' AND version_number >= 2`, order_by: 'version_number ASC' })).model_versions.map((v: { version: string }) => v.version)).toEqual([
      '2',
      '3',
    ]);
    expect((await search({ filter: `name='${name}' AND source_path LIKE 's3://%'` })).model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expect((await search({ filter: `name='${name}' AND tags.framework = 'xgboost'` })).model_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
    const page1 = await search({ filter: `name='${name}'`, max_results: 2 });
    expect(page1.model_versions.map((v: { version: string }) => v.version)).toEqual(['3', '2']);
    const page2 = await search({ filter: `name='${name}'`, max_results: 2, page_token: page1.next_page_token });
    expect(page2.model_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
    expect(page2.next_page_token).toBeUndefined();

    // update, version tags
    const upd = await r.call('PATCH', `${V}/update`, { body: { name, version: '3', description: 'third' } });
    expect(upd.json.model_version.description).toBe('third');
    await r.call('POST', `${V}/set-tag`, { body: { name, version: '3', key: 'validated', value: 'yes' } });
    await r.call('POST', `${V}/set-tag`, { body: { name, version: '3', key: 'tmp', value: '1' } });
    await r.call('DELETE', `${V}/delete-tag`, { body: { name, version: '3', key: 'tmp' } });
    expect((await r.call('GET', `${V}/get`, { query: { name, version: 3 } })).json.model_version.tags).toEqual([{ key: 'validated', value: 'yes' }]);

    // aliases (non-protected)
    expect((await r.call('POST', `${M}/alias`, { body: { name, alias: 'champion', version: '2' } })).json).toEqual({});
    await r.call('POST', `${M}/alias`, { body: { name, alias: 'challenger', version: '3' } });
    const byAlias = await r.call('GET', `${M}/alias`, { query: { name, alias: 'champion' } });
    expect(byAlias.status).toBe(200);
    expect(byAlias.json.model_version).toMatchObject({ name, version: '2', aliases: ['champion'] });
    const model = (await r.call('GET', `${M}/get`, { query: { name } })).json.registered_model;
    expect(model.aliases).toEqual([
      { alias: 'challenger', version: '3' },
      { alias: 'champion', version: '2' },
    ]);
    // moving an alias
    await r.call('POST', `${M}/alias`, { body: { name, alias: 'champion', version: '3' } });
    expect((await r.call('GET', `${M}/alias`, { query: { name, alias: 'champion' } })).json.model_version.version).toBe('3');
    expect((await r.call('GET', `${V}/get`, { query: { name, version: '3' } })).json.model_version.aliases).toEqual(['challenger', 'champion']);
    expect((await r.call('DELETE', `${M}/alias`, { body: { name, alias: 'challenger' } })).json).toEqual({});
    const noAlias = await r.call('GET', `${M}/alias`, { query: { name, alias: 'challenger' } });
    expect(noAlias.status).toBe(404);
    expect(noAlias.json).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered model alias challenger not found.' });

    // download uri
    expect((await r.call('GET', `${V}/get-download-uri`, { query: { name, version: '1' } })).json).toEqual({
      artifact_uri: `s3://${ARTIFACT_BUCKET}/artifacts/sha256/${artifact}`,
    });
    expect((await r.call('GET', `${V}/get-download-uri`, { query: { name, version: '2' } })).json).toEqual({
      artifact_uri: `s3://${ARTIFACT_BUCKET}/external/model.tar.gz`,
    });

    // stages (Staging is not gated) and latest versions
    const staged = await r.call('POST', `${V}/transition-stage`, { body: { name, version: '1', stage: 'staging', archive_existing_versions: false } });
    expect(staged.status).toBe(200);
    expect(staged.json.model_version.current_stage).toBe('Staging');
    const staged2 = await r.call('POST', `${V}/transition-stage`, { body: { name, version: '2', stage: 'Staging', archive_existing_versions: true } });
    expect(staged2.json.model_version.current_stage).toBe('Staging');
    expect((await r.call('GET', `${V}/get`, { query: { name, version: '1' } })).json.model_version.current_stage).toBe('Archived');
    const latest = await r.call('POST', `${M}/get-latest-versions`, { body: { name } });
    expect(latest.json.model_versions.map((v: { version: string; current_stage: string }) => [v.current_stage, v.version])).toEqual([
      ['None', '3'],
      ['Staging', '2'],
      ['Archived', '1'],
    ]);
    const latestStaging = await r.call('GET', `${M}/get-latest-versions`, { query: { name, stages: 'Staging' } });
    expect(latestStaging.json.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expect((await r.call('GET', `${M}/get`, { query: { name } })).json.registered_model.latest_versions.map((v: { version: string }) => v.version)).toEqual([
      '3',
      '2',
      '1',
    ]);

    // rename: versions and aliases follow
    const newName = `${name}-renamed`;
    const renamed = await r.call('POST', `${M}/rename`, { body: { name, new_name: newName } });
    expect(renamed.status).toBe(200);
    expect(renamed.json.registered_model).toMatchObject({ name: newName, aliases: [{ alias: 'champion', version: '3' }] });
    expect((await r.call('GET', `${M}/get`, { query: { name } })).status).toBe(404);
    expect((await r.call('GET', `${V}/get`, { query: { name: newName, version: '2' } })).json.model_version).toMatchObject({
      name: newName,
      current_stage: 'Staging',
    });
    expect((await r.call('GET', `${M}/alias`, { query: { name: newName, alias: 'champion' } })).json.model_version).toMatchObject({ name: newName, version: '3' });
    expect((await r.call('GET', `${V}/search`, { query: { filter: `name='${newName}'` } })).json.model_versions).toHaveLength(3);
    // The old name is free again; the new one is taken.
    const other = uniqueName('other');
    await createModel(other);
    const clash = await r.call('POST', `${M}/rename`, { body: { name: other, new_name: newName } });
    expect(clash.status).toBe(400);
    expect(clash.json.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    await createModel(name);
    expect((await r.call('GET', `${V}/search`, { query: { filter: `name='${name}'` } })).json.model_versions).toEqual([]);

    // delete a version: its aliases go with it; the counter never reuses numbers
    expect((await r.call('DELETE', `${V}/delete`, { body: { name: newName, version: '3' } })).json).toEqual({});
    expect((await r.call('GET', `${V}/get`, { query: { name: newName, version: '3' } })).status).toBe(404);
    expect((await r.call('GET', `${M}/alias`, { query: { name: newName, alias: 'champion' } })).status).toBe(404);
    expect((await createVersion(newName)).version).toBe('4');

    // delete the model: everything is gone
    expect((await r.call('DELETE', `${M}/delete`, { body: { name: newName } })).status).toBe(200);
    expect((await r.call('GET', `${V}/get`, { query: { name: newName, version: '1' } })).status).toBe(404);
    expect((await r.call('GET', `${V}/search`, { query: { filter: `name='${newName}'` } })).json.model_versions).toEqual([]);
  });

  it('serves the same API under a base path', async () => {
    const based = await startRegistry({ basePath: '/registry' });
    try {
      const name = uniqueName('based');
      const created = await based.call('POST', `${M}/create`, { body: { name } });
      expect(created.status).toBe(200);
      expect((await based.call('GET', `${M}/get`, { query: { name } })).json.registered_model.name).toBe(name);
      const outside = await fetch(`${based.server.url}${M}/get?name=${name}`);
      expect(outside.status).toBe(404);
      expect(await outside.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
      expect((await fetch(`${based.server.url}/registry/healthz`)).status).toBe(200);
    } finally {
      await based.close();
    }
  });
});
