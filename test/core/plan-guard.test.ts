import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  ACTION_LISTS,
  PlanGuardInputError,
  STATEFUL_RESOURCES,
  addressMatches,
  guardPlan,
  parseAllowList,
  type PlanAction,
} from '../../src/core/policy/plan-guard';

const FIXTURES = join(__dirname, '..', 'fixtures', 'plans');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ACTIONS: Record<PlanAction, readonly string[]> = ACTION_LISTS;

/** A one-change plan. */
function plan(
  type: string,
  action: PlanAction,
  before: unknown,
  after: unknown,
  extra: { address?: string; mode?: 'managed' | 'data'; afterUnknown?: unknown } = {},
): unknown {
  return {
    format_version: '1.2',
    resource_changes: [
      {
        address: extra.address ?? `${type}.r`,
        mode: extra.mode ?? 'managed',
        type,
        name: 'r',
        provider_name: 'registry.terraform.io/hashicorp/aws',
        change: { actions: ACTIONS[action], before, after, after_unknown: extra.afterUnknown ?? {} },
      },
    ],
  };
}

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234';
const sse = (algorithm: string, key?: string) => ({
  rule: [{ bucket_key_enabled: true, apply_server_side_encryption_by_default: [{ sse_algorithm: algorithm, ...(key ? { kms_master_key_id: key } : {}) }] }],
});
const lock = (mode: string, days?: number, years?: number) => ({
  rule: [{ default_retention: [{ mode, ...(days !== undefined ? { days } : {}), ...(years !== undefined ? { years } : {}) }] }],
});
const pab = (overrides: Record<string, boolean>) => ({
  block_public_acls: true,
  block_public_policy: true,
  ignore_public_acls: true,
  restrict_public_buckets: true,
  ...overrides,
});

/**
 * Every protection check with a weakening update and a harmless one (before, after). The test
 * below fails when a check is added to STATEFUL_RESOURCES without a case here.
 */
const CASES: Record<string, { type: string; weakened: [unknown, unknown]; kept: [unknown, unknown] }> = {
  's3-force-destroy': { type: 'aws_s3_bucket', weakened: [{ force_destroy: false }, { force_destroy: true }], kept: [{ force_destroy: true }, { force_destroy: false }] },
  's3-object-lock-enabled': { type: 'aws_s3_bucket', weakened: [{ object_lock_enabled: true }, { object_lock_enabled: false }], kept: [{ object_lock_enabled: false }, { object_lock_enabled: true }] },
  's3-versioning-status': {
    type: 'aws_s3_bucket_versioning',
    weakened: [{ versioning_configuration: [{ status: 'Enabled' }] }, { versioning_configuration: [{ status: 'Suspended' }] }],
    kept: [{ versioning_configuration: [{ status: 'Suspended' }] }, { versioning_configuration: [{ status: 'Enabled' }] }],
  },
  's3-versioning-mfa-delete': {
    type: 'aws_s3_bucket_versioning',
    weakened: [{ versioning_configuration: [{ status: 'Enabled', mfa_delete: 'Enabled' }] }, { versioning_configuration: [{ status: 'Enabled', mfa_delete: 'Disabled' }] }],
    kept: [{ versioning_configuration: [{ status: 'Enabled', mfa_delete: 'Disabled' }] }, { versioning_configuration: [{ status: 'Enabled', mfa_delete: 'Enabled' }] }],
  },
  's3-sse-algorithm': { type: 'aws_s3_bucket_server_side_encryption_configuration', weakened: [sse('aws:kms'), sse('AES256')], kept: [sse('aws:kms'), sse('aws:kms:dsse')] },
  's3-sse-kms-key': { type: 'aws_s3_bucket_server_side_encryption_configuration', weakened: [sse('aws:kms', KEY), sse('aws:kms')], kept: [sse('aws:kms', KEY), sse('aws:kms', `${KEY}-new`)] },
  's3-object-lock-mode': { type: 'aws_s3_bucket_object_lock_configuration', weakened: [lock('COMPLIANCE', 30), lock('GOVERNANCE', 30)], kept: [lock('GOVERNANCE', 30), lock('COMPLIANCE', 30)] },
  's3-object-lock-days': { type: 'aws_s3_bucket_object_lock_configuration', weakened: [lock('COMPLIANCE', 30), lock('COMPLIANCE', 7)], kept: [lock('COMPLIANCE', 7), lock('COMPLIANCE', 30)] },
  's3-object-lock-years': { type: 'aws_s3_bucket_object_lock_configuration', weakened: [lock('COMPLIANCE', undefined, 5), lock('COMPLIANCE', undefined, 1)], kept: [lock('COMPLIANCE', undefined, 1), lock('COMPLIANCE', undefined, 5)] },
  's3-public-access-block-public-acls': { type: 'aws_s3_bucket_public_access_block', weakened: [pab({}), pab({ block_public_acls: false })], kept: [pab({ block_public_acls: false }), pab({})] },
  's3-public-access-block-public-policy': { type: 'aws_s3_bucket_public_access_block', weakened: [pab({}), pab({ block_public_policy: false })], kept: [pab({}), pab({})] },
  's3-public-access-ignore-public-acls': { type: 'aws_s3_bucket_public_access_block', weakened: [pab({}), pab({ ignore_public_acls: false })], kept: [pab({ ignore_public_acls: false }), pab({ ignore_public_acls: false })] },
  's3-public-access-restrict-public-buckets': { type: 'aws_s3_bucket_public_access_block', weakened: [pab({}), pab({ restrict_public_buckets: false })], kept: [pab({ restrict_public_buckets: false }), pab({})] },
  'dynamodb-deletion-protection': { type: 'aws_dynamodb_table', weakened: [{ deletion_protection_enabled: true }, { deletion_protection_enabled: false }], kept: [{ deletion_protection_enabled: false }, { deletion_protection_enabled: true }] },
  'dynamodb-point-in-time-recovery': {
    type: 'aws_dynamodb_table',
    weakened: [{ point_in_time_recovery: [{ enabled: true }] }, { point_in_time_recovery: [{ enabled: false }] }],
    kept: [{ point_in_time_recovery: [{ enabled: false }] }, { point_in_time_recovery: [{ enabled: true }] }],
  },
  'dynamodb-pitr-period': {
    type: 'aws_dynamodb_table',
    weakened: [{ point_in_time_recovery: [{ enabled: true, recovery_period_in_days: 35 }] }, { point_in_time_recovery: [{ enabled: true, recovery_period_in_days: 7 }] }],
    kept: [{ point_in_time_recovery: [{ enabled: true, recovery_period_in_days: 7 }] }, { point_in_time_recovery: [{ enabled: true, recovery_period_in_days: 35 }] }],
  },
  'dynamodb-sse': {
    type: 'aws_dynamodb_table',
    // Removing the block is as weakening as disabling it.
    weakened: [{ server_side_encryption: [{ enabled: true }] }, { server_side_encryption: [] }],
    kept: [{ server_side_encryption: [] }, { server_side_encryption: [{ enabled: true }] }],
  },
  'dynamodb-sse-kms-key': {
    type: 'aws_dynamodb_table',
    weakened: [{ server_side_encryption: [{ enabled: true, kms_key_arn: KEY }] }, { server_side_encryption: [{ enabled: true, kms_key_arn: '' }] }],
    kept: [{ server_side_encryption: [{ enabled: true, kms_key_arn: KEY }] }, { server_side_encryption: [{ enabled: true, kms_key_arn: `${KEY}-b` }] }],
  },
  'kms-deletion-window': { type: 'aws_kms_key', weakened: [{ deletion_window_in_days: 30 }, { deletion_window_in_days: 7 }], kept: [{ deletion_window_in_days: 7 }, { deletion_window_in_days: 30 }] },
  'kms-enabled': { type: 'aws_kms_key', weakened: [{ is_enabled: true }, { is_enabled: false }], kept: [{ is_enabled: false }, { is_enabled: true }] },
  'kms-rotation': { type: 'aws_kms_key', weakened: [{ enable_key_rotation: true }, { enable_key_rotation: false }], kept: [{ enable_key_rotation: true }, { enable_key_rotation: true }] },
  'rds-deletion-protection': { type: 'aws_db_instance', weakened: [{ deletion_protection: true }, { deletion_protection: false }], kept: [{ deletion_protection: false }, { deletion_protection: true }] },
  'rds-backup-retention': { type: 'aws_rds_cluster', weakened: [{ backup_retention_period: 14 }, { backup_retention_period: 0 }], kept: [{ backup_retention_period: 7 }, { backup_retention_period: 14 }] },
  'rds-storage-encrypted': { type: 'aws_rds_cluster', weakened: [{ storage_encrypted: true }, { storage_encrypted: false }], kept: [{ storage_encrypted: true }, { storage_encrypted: true }] },
  'rds-skip-final-snapshot': { type: 'aws_db_instance', weakened: [{ skip_final_snapshot: false }, { skip_final_snapshot: true }], kept: [{ skip_final_snapshot: true }, { skip_final_snapshot: false }] },
  'efs-encrypted': { type: 'aws_efs_file_system', weakened: [{ encrypted: true }, { encrypted: false }], kept: [{ encrypted: false }, { encrypted: true }] },
  'fsx-backup-retention': { type: 'aws_fsx_lustre_file_system', weakened: [{ automatic_backup_retention_days: 7 }, { automatic_backup_retention_days: 0 }], kept: [{ automatic_backup_retention_days: 0 }, { automatic_backup_retention_days: 7 }] },
  'ecr-force-delete': { type: 'aws_ecr_repository', weakened: [{ force_delete: false }, { force_delete: true }], kept: [{ force_delete: true }, { force_delete: false }] },
  'ecr-tag-immutability': { type: 'aws_ecr_repository', weakened: [{ image_tag_mutability: 'IMMUTABLE' }, { image_tag_mutability: 'MUTABLE' }], kept: [{ image_tag_mutability: 'MUTABLE' }, { image_tag_mutability: 'IMMUTABLE' }] },
  'logs-retention': {
    type: 'aws_cloudwatch_log_group',
    // 0 = never expire: 0 → 365 lowers, 365 → 0 raises.
    weakened: [{ retention_in_days: 0 }, { retention_in_days: 365 }],
    kept: [{ retention_in_days: 365 }, { retention_in_days: 0 }],
  },
  'logs-kms-key': { type: 'aws_cloudwatch_log_group', weakened: [{ kms_key_id: KEY }, { kms_key_id: null }], kept: [{ kms_key_id: null }, { kms_key_id: KEY }] },
  'secret-recovery-window': { type: 'aws_secretsmanager_secret', weakened: [{ recovery_window_in_days: 30 }, { recovery_window_in_days: 0 }], kept: [{ recovery_window_in_days: 7 }, { recovery_window_in_days: 30 }] },
  'backup-vault-force-destroy': { type: 'aws_backup_vault', weakened: [{ force_destroy: false }, { force_destroy: true }], kept: [{ force_destroy: true }, { force_destroy: false }] },
  'backup-vault-lock-min-retention': { type: 'aws_backup_vault_lock_configuration', weakened: [{ min_retention_days: 30 }, { min_retention_days: 1 }], kept: [{ min_retention_days: 1 }, { min_retention_days: 30 }] },
};

const ALL_CHECKS = Object.entries(STATEFUL_RESOURCES).flatMap(([type, r]) => r.checks.map((c) => ({ type, ...c })));

describe('STATEFUL_RESOURCES', () => {
  it('covers the stateful types of the platform', () => {
    expect(Object.keys(STATEFUL_RESOURCES)).toEqual(
      expect.arrayContaining([
        'aws_s3_bucket',
        'aws_s3_bucket_versioning',
        'aws_s3_bucket_server_side_encryption_configuration',
        'aws_s3_bucket_object_lock_configuration',
        'aws_s3_bucket_public_access_block',
        'aws_dynamodb_table',
        'aws_kms_key',
        'aws_db_instance',
        'aws_rds_cluster',
        'aws_efs_file_system',
        'aws_fsx_lustre_file_system',
        'aws_ecr_repository',
        'aws_cloudwatch_log_group',
        'aws_secretsmanager_secret',
        'aws_sqs_queue',
        'aws_backup_vault',
      ]),
    );
  });

  it('gives every check an id that names one check (RDS instance and cluster share theirs) and a test case here', () => {
    for (const r of Object.values(STATEFUL_RESOURCES)) expect(new Set(r.checks.map((c) => c.id)).size).toBe(r.checks.length);
    for (const c of ALL_CHECKS) {
      const { type: _type, ...check } = c;
      expect(ALL_CHECKS.filter((o) => o.id === c.id).map(({ type: _t, ...o }) => o)).toEqual(ALL_CHECKS.filter((o) => o.id === c.id).map(() => check));
      expect(STATEFUL_RESOURCES[CASES[c.id].type].checks.some((x) => x.id === c.id), c.id).toBe(true);
    }
    expect(Object.keys(CASES).sort()).toEqual([...new Set(ALL_CHECKS.map((c) => c.id))].sort());
  });
});

describe('protection checks on update', () => {
  for (const [id, c] of Object.entries(CASES)) {
    it(`${id}: weakening is a violation, the reverse change is not`, () => {
      const bad = guardPlan(plan(c.type, 'update', c.weakened[0], c.weakened[1]));
      expect(bad.violations.map((v) => v.check)).toEqual([id]);
      expect(bad.violations[0]).toMatchObject({ address: `${c.type}.r`, type: c.type, action: 'update' });
      expect(bad.summary).toMatchObject({ violations: 1, changes: 1, statefulChanges: 1 });

      const good = guardPlan(plan(c.type, 'update', c.kept[0], c.kept[1]));
      expect(good.violations).toEqual([]);
    });
  }

  it('shows the attribute with its values before and after', () => {
    const report = guardPlan(plan('aws_dynamodb_table', 'update', { point_in_time_recovery: [{ enabled: true }] }, { point_in_time_recovery: [{ enabled: false }] }));
    expect(report.violations[0].what).toBe('point_in_time_recovery[0].enabled: true → false');
    const s3 = guardPlan(plan('aws_s3_bucket_server_side_encryption_configuration', 'update', sse('aws:kms', KEY), sse('AES256')));
    expect(s3.violations.map((v) => v.what)).toEqual([
      'rule[*].apply_server_side_encryption_by_default[*].sse_algorithm: "aws:kms" → "AES256"',
      `rule[*].apply_server_side_encryption_by_default[*].kms_master_key_id: "${KEY}" → (unset)`,
    ]);
  });

  it('reports several weakenings of one resource separately', () => {
    const report = guardPlan(
      plan('aws_kms_key', 'update', { is_enabled: true, enable_key_rotation: true, deletion_window_in_days: 30 }, { is_enabled: false, enable_key_rotation: false, deletion_window_in_days: 7 }),
    );
    expect(report.violations.map((v) => v.check).sort()).toEqual(['kms-deletion-window', 'kms-enabled', 'kms-rotation']);
  });

  it('treats an unknown protective value as weakened, but only when it protected before', () => {
    const report = guardPlan(fixture('unknown-after.json'));
    expect(report.violations.map((v) => [v.address, v.check])).toEqual([
      ['aws_dynamodb_table.items', 'dynamodb-deletion-protection'],
      ['aws_dynamodb_table.items', 'dynamodb-sse-kms-key'],
    ]);
    expect(report.violations[0].what).toBe('deletion_protection_enabled: true → (known after apply): cannot prove it stays');
    // force_destroy was already true on aws_s3_bucket.logs: nothing to weaken.
  });

  it('treats a whole unknown block as unknown', () => {
    const report = guardPlan(
      plan('aws_dynamodb_table', 'update', { point_in_time_recovery: [{ enabled: true }] }, { point_in_time_recovery: [] }, { afterUnknown: { point_in_time_recovery: true } }),
    );
    expect(report.violations.map((v) => v.check)).toEqual(['dynamodb-point-in-time-recovery']);
    expect(report.violations[0].what).toContain('known after apply');
  });
});

describe('actions', () => {
  it('reports each action kind of the fixture as documented', () => {
    const report = guardPlan(fixture('all-actions.json'));
    expect(report.violations.map((v) => [v.address, v.action, v.check])).toEqual([
      ['module.data.aws_dynamodb_table.items["orders"]', 'delete', 'destroy'],
      ['module.a.module.b.aws_s3_bucket.x', 'delete-before-create', 'destroy'],
      ['aws_kms_key.data[0]', 'create-before-delete', 'destroy'],
      ['aws_kms_key.data[0]', 'create-before-delete', 'kms-rotation'],
    ]);
    expect(report.violations[0]).toMatchObject({ what: 'destroyed (delete_because_each_key)', why: 'loses every item in the table (and its point-in-time backups)' });
    expect(report.violations[1].what).toBe('replaced (change to bucket forces replacement; replace_because_cannot_update)');
    expect(report.violations[1].why).toMatch(/^a new, empty resource takes its place: loses every object/);
    expect(report.info).toEqual([
      expect.objectContaining({ address: 'aws_sqs_queue.jobs', action: 'forget', check: 'forget' }),
    ]);
    // create, no-op, read (data source), harmless update, deleted IAM role: not reported.
    expect(report.summary).toEqual({ changes: 7, statefulChanges: 5, violations: 4, allowed: 0, warnings: 0, info: 1 });
  });

  it('never reports create, read or no-op, even of stateful types', () => {
    for (const action of ['create', 'read', 'no-op'] as const) {
      const report = guardPlan(plan('aws_dynamodb_table', action, { deletion_protection_enabled: true }, { deletion_protection_enabled: false }));
      expect(report.violations).toEqual([]);
    }
  });

  it('ignores data sources and non-stateful types', () => {
    expect(guardPlan(plan('aws_s3_bucket', 'delete', {}, null, { mode: 'data', address: 'data.aws_s3_bucket.r' })).violations).toEqual([]);
    expect(guardPlan(plan('aws_iam_role', 'delete', {}, null)).violations).toEqual([]);
    expect(guardPlan(plan('aws_lambda_function', 'delete-before-create', {}, {})).violations).toEqual([]);
  });

  it('destroys every stateful type: delete and both replacement orders are violations', () => {
    for (const type of Object.keys(STATEFUL_RESOURCES)) {
      for (const action of ['delete', 'delete-before-create', 'create-before-delete'] as const) {
        const report = guardPlan(plan(type, action, {}, action === 'delete' ? null : {}));
        expect(report.violations.map((v) => v.check), `${type} ${action}`).toEqual(['destroy']);
        expect(report.violations[0].why).toContain(STATEFUL_RESOURCES[type].destroyLoses);
      }
    }
  });

  it('reports forget and create-then-forget as info, never as violations', () => {
    for (const action of ['forget', 'create-then-forget'] as const) {
      const report = guardPlan(plan('aws_s3_bucket', action, { force_destroy: false }, action === 'forget' ? null : { force_destroy: true }));
      expect(report.violations).toEqual([]);
      expect(report.info.map((i) => i.check)).toEqual(['forget']);
    }
  });

  it('carries the deposed key of a deposed object', () => {
    const report = guardPlan(fixture('deposed.json'));
    expect(report.violations).toEqual([expect.objectContaining({ address: 'aws_ecr_repository.images', deposed: '00000001', check: 'destroy' })]);
  });

  it('passes a plan without resource_changes and a plan of harmless changes', () => {
    expect(guardPlan(fixture('no-changes.json')).summary).toEqual({ changes: 0, statefulChanges: 0, violations: 0, allowed: 0, warnings: 0, info: 0 });
    const safe = guardPlan(fixture('safe.json'));
    expect(safe.violations).toEqual([]);
    expect(safe.summary).toMatchObject({ changes: 4, statefulChanges: 2 });
  });
});

describe('allow-list', () => {
  const reason = 'orders moved to the new table in change CHG-1234';

  it('moves matching violations to allowed with the reason; unused entries are stale warnings', () => {
    const report = guardPlan(fixture('all-actions.json'), [
      { address: 'module.data.aws_dynamodb_table.items["orders"]', reason },
      { address: 'aws_kms_key.data[*]', reason: 'HMAC key replaces the symmetric data key' },
      { address: 'aws_s3_bucket.gone', reason: 'bucket was emptied and retired last quarter' },
    ]);
    expect(report.violations.map((v) => v.address)).toEqual(['module.a.module.b.aws_s3_bucket.x']);
    expect(report.allowed.map((a) => [a.address, a.check, a.allowedBy])).toEqual([
      ['module.data.aws_dynamodb_table.items["orders"]', 'destroy', 'module.data.aws_dynamodb_table.items["orders"]'],
      ['aws_kms_key.data[0]', 'destroy', 'aws_kms_key.data[*]'],
      ['aws_kms_key.data[0]', 'kms-rotation', 'aws_kms_key.data[*]'],
    ]);
    expect(report.allowed[0].reason).toBe(reason);
    expect(report.warnings).toEqual([expect.objectContaining({ address: 'aws_s3_bucket.gone', check: 'stale-allow-entry' })]);
    expect(report.summary).toMatchObject({ violations: 1, allowed: 3, warnings: 1 });
  });

  it('matches [*] against count indexes and for_each keys only', () => {
    expect(addressMatches('aws_s3_bucket.x[*]', 'aws_s3_bucket.x[0]')).toBe(true);
    expect(addressMatches('aws_s3_bucket.x[*]', 'aws_s3_bucket.x[12]')).toBe(true);
    expect(addressMatches('aws_s3_bucket.x[*]', 'aws_s3_bucket.x["a.b"]')).toBe(true);
    expect(addressMatches('aws_s3_bucket.x[*]', 'aws_s3_bucket.x["with \\"quote\\""]')).toBe(true);
    expect(addressMatches('module.m.aws_s3_bucket.x[*]', 'module.m.aws_s3_bucket.x["k"]')).toBe(true);
    expect(addressMatches('aws_s3_bucket.x[*]', 'aws_s3_bucket.x')).toBe(false);
    expect(addressMatches('aws_s3_bucket.x[*]', 'aws_s3_bucket.xy[0]')).toBe(false);
    expect(addressMatches('aws_s3_bucket.x[*]', 'module.m.aws_s3_bucket.x[0]')).toBe(false);
    expect(addressMatches('aws_s3_bucket.x[*]', 'aws_s3_bucket.x[0].y[1]')).toBe(false);
    expect(addressMatches('aws_s3_bucket.x[0]', 'aws_s3_bucket.x[0]')).toBe(true);
    expect(addressMatches('aws_s3_bucket.x', 'aws_s3_bucket.x[0]')).toBe(false);
    expect(addressMatches('module.data.aws_dynamodb_table.items["orders"]', 'module.data.aws_dynamodb_table.items["orders"]')).toBe(true);
  });

  it('rejects entries without an address, with a short reason, unknown keys or duplicates, naming each', () => {
    expect(parseAllowList([{ address: 'aws_s3_bucket.x', reason }])).toEqual([{ address: 'aws_s3_bucket.x', reason }]);
    let error: unknown;
    try {
      parseAllowList([
        { address: '', reason },
        { address: 'aws_s3_bucket.x', reason: 'because' },
        { address: 'aws_s3_bucket.y', reason, expires: 'never' },
        { address: 'aws_s3_bucket.z', reason },
        { address: 'aws_s3_bucket.z', reason },
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlanGuardInputError);
    const problems = (error as PlanGuardInputError).problems.join('\n');
    expect(problems).toContain('[0].address: address must not be empty');
    expect(problems).toContain('[1].reason: reason must explain the change in at least 20 characters');
    expect(problems).toContain('[2]');
    expect(problems).toContain('expires');
    expect(problems).toContain('[4].address: duplicate address aws_s3_bucket.z');
    expect((error as PlanGuardInputError).code).toBe('gaiops:plan-guard:invalid-allow-list');
    expect(() => parseAllowList({ address: 'aws_s3_bucket.x', reason })).toThrow(PlanGuardInputError);
  });
});

describe('invalid plans', () => {
  for (const [file, expected] of [
    ['no-format-version.json', 'format_version: Invalid input: expected string'],
    ['old-format.json', 'format version 1.x'],
    ['bad-actions.json', 'unknown action list ["update","delete"]'],
    ['missing-fields.json', 'resource_changes[0].type'],
    ['array.json', '<plan>'],
  ] as const) {
    it(`${file}: throws PlanGuardInputError naming the problem`, () => {
      let error: unknown;
      try {
        guardPlan(fixture(join('malformed', file)));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(PlanGuardInputError);
      expect((error as PlanGuardInputError).code).toBe('gaiops:plan-guard:invalid-plan');
      expect((error as PlanGuardInputError).problems.join('\n')).toContain(expected);
    });
  }

  it('names every problem of a change at once', () => {
    try {
      guardPlan(fixture(join('malformed', 'missing-fields.json')));
      expect.unreachable();
    } catch (err) {
      const problems = (err as PlanGuardInputError).problems.join('\n');
      expect(problems).toContain('resource_changes[0].type');
      expect(problems).toContain('resource_changes[0].change.actions');
    }
  });
});
