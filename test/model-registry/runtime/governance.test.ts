/**
 * Governance end to end: lineage, four-eyes approvals, the gates guarding the protected alias
 * `production` and the stage Production (each unmet condition named), per-model gate overrides,
 * and the append-only audit trail.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  ALICE_AS_APPROVER,
  ARTIFACT_BUCKET,
  BOB,
  CAROL,
  DEV_CONFIG,
  MALLORY,
  type RegistryFixture,
  goodLineage,
  startRegistry,
  uniqueName,
} from './support/registry-fixture';

let r: RegistryFixture;
let artifact: string;
const RELAXED = 'relaxed-model';

beforeAll(async () => {
  r = await startRegistry({
    config: {
      ...DEV_CONFIG,
      // Only these two fields are overridden; requiredMetrics etc. still come from defaultGates.
      modelGates: { [RELAXED]: { requireApproval: false, requireModelCard: false } },
    },
  });
  artifact = await r.putArtifact('governed model artifact');
});

afterAll(async () => {
  await r?.close();
});

const M = '/api/2.0/mlflow/registered-models';
const V = '/api/2.0/mlflow/model-versions';
const G = '/api/2.0/gaiops/model-versions';

async function newVersion(name: string, source = `sha256:${artifact}`): Promise<string> {
  const model = await r.call('GET', `${M}/get`, { query: { name } });
  if (model.status === 404) expect((await r.call('POST', `${M}/create`, { body: { name }, principal: ALICE })).status).toBe(200);
  const res = await r.call('POST', `${V}/create`, { body: { name, source }, principal: ALICE });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.model_version.version;
}

async function setLineage(name: string, version: string, lineage: Record<string, unknown>, principal = ALICE) {
  const res = await r.call('POST', `${G}/lineage`, { body: { name, version, ...lineage }, principal });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.lineage;
}

async function review(kind: 'approve' | 'reject', name: string, version: string, principal: string, comment?: string) {
  return r.call('POST', `${G}/${kind}`, { body: { name, version, ...(comment ? { comment } : {}) }, principal });
}

async function promote(name: string, version: string, alias = 'production') {
  return r.call('POST', `${M}/alias`, { body: { name, alias, version }, principal: ALICE });
}

function unmetConditions(res: { json: { details?: { unmet_conditions?: { condition: string }[] } } }): string[] {
  return (res.json.details?.unmet_conditions ?? []).map((u) => u.condition);
}

describe('lineage', () => {
  it('validates with zod and names every invalid field', async () => {
    const name = uniqueName('lin');
    const version = await newVersion(name);
    const res = await r.call('POST', `${G}/lineage`, {
      body: {
        name,
        version,
        code_commit: 'xyz',
        training_image_digest: 'latest',
        dataset_versions: [],
        fairness_metrics: { gender: { demographic_parity_difference: 0.1, disparate_impact_ratio: -1, equalized_odds_difference: 0.1 } },
        model_card: { intended_use: 'x', limitations: 'y', evaluation_data: 'z' },
        evaluation_metrics: { auc: 'high' },
        artifact_digest: 'abc',
        surprise: true,
      },
    });
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe('INVALID_PARAMETER_VALUE');
    const paths = res.json.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'code_commit',
        'training_image_digest',
        'dataset_versions',
        'fairness_metrics.gender.disparate_impact_ratio',
        'model_card.ethical_considerations',
        'evaluation_metrics.auc',
        'artifact_digest',
      ]),
    );
    for (const p of ['code_commit', 'model_card.ethical_considerations', 'fairness_metrics.gender.disparate_impact_ratio']) expect(res.json.message).toContain(`'${p}'`);
    expect(res.json.message).toMatch(/surprise/);
  });

  it('merges updates, removes fields given as null, bumps the revision and reads back', async () => {
    const name = uniqueName('lin');
    const version = await newVersion(name);
    expect((await r.call('GET', `${G}/lineage`, { query: { name, version } })).status).toBe(404);
    const first = await setLineage(name, version, { code_commit: 'c'.repeat(40), evaluation_metrics: { auc: 0.9 } });
    expect(first).toMatchObject({ name, version, revision: 1, code_commit: 'c'.repeat(40), evaluation_metrics: { auc: 0.9 }, updated_by: ALICE });
    const second = await setLineage(name, version, { hyperparameters: { depth: 4 }, code_commit: null });
    expect(second.revision).toBe(2);
    expect(second.code_commit).toBeUndefined();
    expect(second.hyperparameters).toEqual({ depth: 4 });
    expect(second.evaluation_metrics).toEqual({ auc: 0.9 });
    // Same content again: no new revision.
    expect((await setLineage(name, version, { hyperparameters: { depth: 4 } })).revision).toBe(2);
    const read = await r.call('GET', `${G}/lineage`, { query: { name, version } });
    expect(read.json.lineage).toEqual(second);
  });
});

describe('approvals', () => {
  it('refuses self-approval (also through an approver role) and non-approvers with 403 PERMISSION_DENIED', async () => {
    const name = uniqueName('appr');
    const version = await newVersion(name);
    const self = await review('approve', name, version, ALICE_AS_APPROVER);
    expect(self.status).toBe(403);
    expect(self.json.error_code).toBe('PERMISSION_DENIED');
    expect(self.json.message).toMatch(/Self-approval is not allowed/);
    for (const principal of [ALICE, MALLORY, 'arn:aws:iam::111122223333:user/bob', 'arn:aws:sts::999999999999:assumed-role/ModelApprover/eve']) {
      const res = await review('approve', name, version, principal);
      expect(res.status, principal).toBe(403);
      expect(res.json.error_code).toBe('PERMISSION_DENIED');
      expect(res.json.message).toMatch(/does not hold an approver role/);
    }
    const ok = await review('approve', name, version, BOB, 'looks good');
    expect(ok.status).toBe(200);
    expect(ok.json.review).toEqual({ decision: 'approved', principal: BOB, comment: 'looks good', timestamp: expect.any(Number), lineage_revision: 0 });
    // The creator may reject their own version.
    expect((await review('reject', name, version, ALICE_AS_APPROVER, 'found a bug')).status).toBe(200);
  });
});

describe('governance gates', () => {
  it('refuses production with every unmet condition named, for the alias and the stage', async () => {
    const name = uniqueName('gate');
    const version = await newVersion(name);
    const refused = await promote(name, version);
    expect(refused.status).toBe(400);
    expect(refused.json.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(unmetConditions(refused)).toEqual(['evaluation_metrics', 'model_card', 'artifact_digest', 'approval']);
    expect(refused.json.message).toContain(`Cannot promote model '${name}' version ${version} to protected alias 'production'`);
    expect(refused.json.message).toContain("required evaluation metric 'auc' is not recorded");
    expect(refused.json.message).toContain('no model card is attached');
    expect(refused.json.message).toContain('no artifact_digest');
    expect(refused.json.message).toContain('no approval has been recorded');

    const stage = await r.call('POST', `${V}/transition-stage`, { body: { name, version, stage: 'production', archive_existing_versions: true } });
    expect(stage.status).toBe(400);
    expect(stage.json.message).toContain('to stage Production');
    expect(unmetConditions(stage)).toEqual(['evaluation_metrics', 'model_card', 'artifact_digest', 'approval']);

    // Protected aliases match case-insensitively; other aliases are not gated.
    expect((await promote(name, version, 'Production')).status).toBe(400);
    expect((await promote(name, version, 'candidate')).status).toBe(200);

    const status = await r.call('GET', `${G}/governance`, { query: { name, version } });
    expect(status.json).toMatchObject({ name, version, eligible: false, protected_aliases: ['production'] });
    expect(status.json.unmet_conditions.map((u: { condition: string }) => u.condition)).toEqual(unmetConditions(refused));
    // Nothing changed.
    const model = (await r.call('GET', `${M}/get`, { query: { name } })).json.registered_model;
    expect(model.aliases).toEqual([{ alias: 'candidate', version }]);
    expect((await r.call('GET', `${V}/get`, { query: { name, version } })).json.model_version.current_stage).toBe('None');
  });

  const good = () => goodLineage(artifact);
  const cases: { title: string; lineage: () => Record<string, unknown>; source?: () => Promise<string>; condition: string; message: RegExp[] }[] = [
    { title: 'a required metric below its minimum', lineage: () => ({ ...good(), evaluation_metrics: { auc: 0.7 } }), condition: 'evaluation_metrics', message: [/evaluation metric 'auc' = 0\.7 is below the minimum 0\.8/] },
    { title: 'a required metric missing', lineage: () => ({ ...good(), evaluation_metrics: { accuracy: 0.99 } }), condition: 'evaluation_metrics', message: [/required evaluation metric 'auc' is not recorded/] },
    {
      title: 'fairness thresholds violated',
      lineage: () => ({
        ...good(),
        fairness_metrics: {
          gender: { demographic_parity_difference: -0.2, disparate_impact_ratio: 0.9, equalized_odds_difference: 0.05 },
          age_band: { demographic_parity_difference: 0.02, disparate_impact_ratio: 0.7, equalized_odds_difference: 0.15 },
        },
      }),
      condition: 'fairness',
      message: [
        /fairness for 'gender': \|demographic parity difference\| 0\.2 exceeds 0\.1/,
        /fairness for 'age_band': disparate impact ratio 0\.7 is below 0\.8/,
        /fairness for 'age_band': equalized odds difference 0\.15 exceeds 0\.1/,
      ],
    },
    { title: 'no model card', lineage: () => ({ ...good(), model_card: undefined }), condition: 'model_card', message: [/no model card is attached/] },
    {
      title: 'a lineage digest that differs from the content address',
      lineage: () => ({ ...good(), artifact_digest: 'f'.repeat(64) }),
      condition: 'artifact_digest',
      message: [/addressed by digest .* but the lineage records artifact_digest f{64}/],
    },
    {
      title: 'an s3 object whose content does not match the digest',
      source: async () => {
        await r.s3Client.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: 'uploads/tampered.bin', Body: 'tampered bytes' }));
        return `s3://${ARTIFACT_BUCKET}/uploads/tampered.bin`;
      },
      lineage: good,
      condition: 'artifact_digest',
      message: [new RegExp(`stored artifact hashes to sha256 ${createHash('sha256').update('tampered bytes').digest('hex')}, not the recorded artifact_digest ${'[0-9a-f]{64}'}`)],
    },
    {
      title: 'a missing s3 object',
      source: async () => `s3://${ARTIFACT_BUCKET}/uploads/never-uploaded.bin`,
      lineage: good,
      condition: 'artifact_digest',
      message: [/does not exist/],
    },
  ];

  for (const c of cases) {
    it(`refuses production for ${c.title}, naming only that condition`, async () => {
      const name = uniqueName('gate');
      const version = await newVersion(name, c.source ? await c.source() : undefined);
      const lineage = Object.fromEntries(Object.entries(c.lineage()).filter(([, v]) => v !== undefined));
      await setLineage(name, version, lineage);
      expect((await review('approve', name, version, BOB)).status).toBe(200);
      const res = await promote(name, version);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(unmetConditions(res).every((u) => u === c.condition), JSON.stringify(res.json)).toBe(true);
      for (const m of c.message) expect(res.json.message).toMatch(m);
      expect((await r.call('GET', `${M}/alias`, { query: { name, alias: 'production' } })).status).toBe(404);
    });
  }

  it('requires a current, non-superseded approval by someone other than the creator, then allows production', async () => {
    const name = uniqueName('gate');
    const version = await newVersion(name);
    await setLineage(name, version, good());

    let res = await promote(name, version);
    expect(unmetConditions(res)).toEqual(['approval']);
    expect(res.json.message).toMatch(/no approval has been recorded/);

    // An approval is bound to the lineage revision it saw.
    expect((await review('approve', name, version, BOB)).status).toBe(200);
    await setLineage(name, version, { hyperparameters: { learning_rate: 0.01 } });
    res = await promote(name, version);
    expect(unmetConditions(res)).toEqual(['approval']);
    expect(res.json.message).toMatch(/lineage has since changed \(revision 2\)/);

    // A later rejection supersedes an approval.
    expect((await review('approve', name, version, BOB)).status).toBe(200);
    expect((await review('reject', name, version, CAROL, 'fairness report incomplete')).status).toBe(200);
    res = await promote(name, version);
    expect(unmetConditions(res)).toEqual(['approval']);
    expect(res.json.message).toContain(`the latest review is a rejection by ${CAROL}`);

    expect((await review('approve', name, version, CAROL, 'report added')).status).toBe(200);
    const status = await r.call('GET', `${G}/governance`, { query: { name, version } });
    expect(status.json).toMatchObject({ eligible: true, unmet_conditions: [], review: { decision: 'approved', principal: CAROL } });
    expect(status.json.checked_conditions).toEqual(['evaluation_metrics', 'fairness', 'model_card', 'artifact_digest', 'approval']);

    res = await promote(name, version);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect((await r.call('GET', `${M}/alias`, { query: { name, alias: 'production' } })).json.model_version).toMatchObject({ version, aliases: ['production'] });

    const staged = await r.call('POST', `${V}/transition-stage`, { body: { name, version, stage: 'Production', archive_existing_versions: true } });
    expect(staged.status, JSON.stringify(staged.json)).toBe(200);
    expect(staged.json.model_version.current_stage).toBe('Production');

    // The lineage of a promoted version is frozen (it would silently invalidate what was approved).
    const frozen = await r.call('POST', `${G}/lineage`, { body: { name, version, evaluation_metrics: { auc: 0.99 } } });
    expect(frozen.status).toBe(400);
    expect(frozen.json.message).toMatch(/frozen/);
  });

  it('applies per-model gates field by field over the defaults', async () => {
    const version = await newVersion(RELAXED);
    // No approval and no model card needed, but the default required metric still applies.
    await setLineage(RELAXED, version, { ...good(), model_card: undefined, evaluation_metrics: { auc: 0.5 } });
    let res = await promote(RELAXED, version);
    expect(unmetConditions(res)).toEqual(['evaluation_metrics']);
    await setLineage(RELAXED, version, { evaluation_metrics: { auc: 0.95 } });
    res = await promote(RELAXED, version);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  });
});

describe('audit trail', () => {
  it('records who, what, when, before and after for every mutating call, readable page by page', async () => {
    const name = uniqueName('aud');
    const started = Date.now();
    await r.call('POST', `${M}/create`, { body: { name, description: 'audited' }, principal: ALICE });
    await r.call('POST', `${M}/set-tag`, { body: { name, key: 'team', value: 'risk' }, principal: ALICE });
    await r.call('POST', `${M}/set-tag`, { body: { name, key: 'team', value: 'fraud' }, principal: MALLORY });
    const version = (await r.call('POST', `${V}/create`, { body: { name, source: `sha256:${artifact}` }, principal: ALICE })).json.model_version.version;
    await r.call('PATCH', `${V}/update`, { body: { name, version, description: 'v1' }, principal: ALICE });
    await setLineage(name, version, goodLineage(artifact));
    await review('approve', name, version, BOB, 'ok');
    await promote(name, version);
    await r.call('POST', `${V}/transition-stage`, { body: { name, version, stage: 'Staging', archive_existing_versions: false }, principal: ALICE });
    await r.call('DELETE', `${M}/delete-tag`, { body: { name, key: 'team' }, principal: ALICE });
    // Refused and read-only calls leave no trace.
    await r.call('POST', `${G}/approve`, { body: { name, version }, principal: MALLORY });
    await r.call('GET', `${M}/get`, { query: { name } });

    const entries: any[] = [];
    let token: string | undefined;
    do {
      const page = await r.call('GET', '/api/2.0/gaiops/audit', { query: { name, max_results: 3, ...(token ? { page_token: token } : {}) } });
      expect(page.status, JSON.stringify(page.json)).toBe(200);
      expect(page.json.audit_entries.length).toBeLessThanOrEqual(3);
      entries.push(...page.json.audit_entries);
      token = page.json.next_page_token;
    } while (token);

    expect(entries.map((e) => [e.action, e.principal])).toEqual([
      ['registered-models/create', ALICE],
      ['registered-models/set-tag', ALICE],
      ['registered-models/set-tag', MALLORY],
      ['model-versions/create', ALICE],
      ['model-versions/update', ALICE],
      ['model-versions/lineage', ALICE],
      ['model-versions/approve', BOB],
      ['registered-models/alias/set', ALICE],
      ['model-versions/transition-stage', ALICE],
      ['registered-models/delete-tag', ALICE],
    ]);
    for (const e of entries) {
      expect(e.model_name).toBe(name);
      expect(e.timestamp).toBeGreaterThanOrEqual(started);
      expect(e.audit_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof e.request_id).toBe('string');
    }
    const [create, tag1, tag2, vcreate, vupdate, lineage, approve, alias, stage, untag] = entries;
    expect(create.before).toBeNull();
    expect(create.after).toEqual({ name, description: 'audited', tags: {}, aliases: {} });
    expect([tag1.before, tag1.after]).toEqual([{ tags: { team: null } }, { tags: { team: 'risk' } }]);
    expect([tag2.before, tag2.after]).toEqual([{ tags: { team: 'risk' } }, { tags: { team: 'fraud' } }]);
    expect(vcreate.version).toBe(version);
    expect(vcreate.after).toMatchObject({ version: Number(version), source: `sha256:${artifact}`, current_stage: 'None' });
    expect(vcreate.events).toEqual([{ detailType: 'ModelVersionCreated', detail: expect.objectContaining({ model_name: name, version, audit_id: vcreate.audit_id }) }]);
    expect([vupdate.before, vupdate.after]).toEqual([{ description: null }, { description: 'v1' }]);
    expect(lineage.before).toBeNull();
    expect(lineage.after).toMatchObject({ revision: 1, artifact_digest: artifact });
    expect(approve.before).toEqual({ review: null });
    expect(approve.after.review).toMatchObject({ decision: 'approved', principal: BOB, comment: 'ok', lineageRevision: 1 });
    expect([alias.before, alias.after]).toEqual([{ aliases: { production: null } }, { aliases: { production: Number(version) } }]);
    expect([stage.before, stage.after]).toEqual([{ current_stage: 'None' }, { current_stage: 'Staging' }]);
    expect([untag.before, untag.after]).toEqual([{ tags: { team: 'fraud' } }, { tags: { team: null } }]);

    // A rename is recorded under both names.
    const renamed = `${name}-v2`;
    await r.call('POST', `${M}/rename`, { body: { name, new_name: renamed } });
    const after = (await r.call('GET', '/api/2.0/gaiops/audit', { query: { name: renamed } })).json.audit_entries;
    expect(after.map((e: { action: string; before: unknown; after: unknown }) => [e.action, e.before, e.after])).toEqual([
      ['registered-models/rename', { name }, { name: renamed }],
    ]);
    const old = (await r.call('GET', '/api/2.0/gaiops/audit', { query: { name, max_results: 1000 } })).json.audit_entries;
    expect(old.at(-1).action).toBe('registered-models/rename');
    expect(old.at(-1).model_id).toBe(create.model_id);
  });

  it('appends exactly one entry per mutating call on every mutating route (two for rename)', async () => {
    const name = uniqueName('every');
    const audit = async (n = name) => (await r.call('GET', '/api/2.0/gaiops/audit', { query: { name: n, max_results: 1000 } })).json.audit_entries as any[];
    const steps: [string, string, Record<string, unknown>, string, string?][] = [
      ['POST', `${M}/create`, { name }, 'registered-models/create'],
      ['PATCH', `${M}/update`, { name, description: 'd1' }, 'registered-models/update'],
      ['POST', `${M}/set-tag`, { name, key: 'k', value: 'v' }, 'registered-models/set-tag'],
      ['DELETE', `${M}/delete-tag`, { name, key: 'k' }, 'registered-models/delete-tag'],
      ['POST', `${V}/create`, { name, source: `sha256:${artifact}` }, 'model-versions/create', '1'],
      ['POST', `${V}/create`, { name, source: `sha256:${artifact}` }, 'model-versions/create', '2'],
      ['PATCH', `${V}/update`, { name, version: '1', description: 'v' }, 'model-versions/update', '1'],
      ['POST', `${V}/set-tag`, { name, version: '1', key: 'k', value: 'v' }, 'model-versions/set-tag', '1'],
      ['DELETE', `${V}/delete-tag`, { name, version: '1', key: 'k' }, 'model-versions/delete-tag', '1'],
      ['POST', `${G}/lineage`, { name, version: '1', code_commit: 'd'.repeat(40) }, 'model-versions/lineage', '1'],
      ['POST', `${G}/approve`, { name, version: '1' }, 'model-versions/approve', '1'],
      ['POST', `${G}/reject`, { name, version: '1', comment: 'no' }, 'model-versions/reject', '1'],
      ['POST', `${M}/alias`, { name, alias: 'canary', version: '1' }, 'registered-models/alias/set', '1'],
      ['DELETE', `${M}/alias`, { name, alias: 'canary' }, 'registered-models/alias/delete', '1'],
      ['POST', `${V}/transition-stage`, { name, version: '1', stage: 'Staging', archive_existing_versions: false }, 'model-versions/transition-stage', '1'],
      ['DELETE', `${V}/delete`, { name, version: '2' }, 'model-versions/delete', '2'],
      ['DELETE', `${M}/delete`, { name }, 'registered-models/delete'],
    ];
    for (const [method, path, body, action, version] of steps) {
      const principal = action.endsWith('approve') || action.endsWith('reject') ? BOB : ALICE;
      const before = (await audit()).length;
      const res = await r.call(method, path, { body, principal });
      expect(res.status, `${method} ${path} ${JSON.stringify(res.json)}`).toBe(200);
      const entries = await audit();
      expect(entries.length, action).toBe(before + 1);
      const entry = entries.at(-1);
      expect(entry, action).toMatchObject({ action, principal, model_name: name, ...(version ? { version } : {}) });
      expect(entry.before === null && entry.after === null, action).toBe(false);
      expect(JSON.stringify(entry.before) === JSON.stringify(entry.after), action).toBe(false);
    }
    expect((await audit()).at(-1).before).toMatchObject({ name, description: 'd1', version_count: 2 });
    expect((await audit()).at(-1).after).toBeNull();
  });

  it('has no route that changes or deletes audit entries', async () => {
    for (const method of ['PUT', 'POST', 'PATCH', 'DELETE']) {
      const res = await r.call(method, '/api/2.0/gaiops/audit', { body: { name: 'x', audit_id: 'y' } });
      expect(res.status, method).toBe(405);
      expect(res.json.error_code).toBe('ENDPOINT_NOT_FOUND');
      expect(res.headers.get('allow')).toBe('GET');
    }
    for (const path of ['/api/2.0/gaiops/audit/entry', '/api/2.0/gaiops/audit/delete', '/api/2.0/gaiops/audit-entries']) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await r.call(method, path, { body: method === 'GET' ? undefined : { name: 'x' } });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
    }
    const badToken = await r.call('GET', '/api/2.0/gaiops/audit', { query: { name: 'x', page_token: Buffer.from('{"v":1,"q":"zz","sk":"0"}').toString('base64url') } });
    expect(badToken.status).toBe(400);
  });
});
