/**
 * Plan guard: reads a Terraform JSON plan (`terraform show -json <planfile>`) and reports every
 * change that destroys, replaces or weakens the protection of a stateful resource (data stores,
 * keys, logs, backups), unless an allow-list names the address with a written reason.
 *
 * Decisions, documented here and in `gaiops plan-guard --help`:
 * - Only managed resources of the types in {@link STATEFUL_RESOURCES} are examined; data sources
 *   and every other type are never reported.
 * - `delete` and replacement (`["delete","create"]` and `["create","delete"]`) of a stateful
 *   resource are violations: a replacement is a new, empty resource.
 * - `update` (and replacement) is compared attribute by attribute with {@link ProtectionCheck}s.
 * - An attribute whose planned value is unknown (`after_unknown`) cannot be proven to keep its
 *   protection: when the value before was protective, that is a violation (the guard fails
 *   closed; allow the address when the value is known to stay).
 * - `forget` (removed from state, not destroyed) loses no data: it is reported as info only.
 * - `create`, `read` and `no-op` are never reported.
 *
 * Pure logic over plain data: the CLI (`gaiops plan-guard`) reads the files and prints.
 */
import { z } from 'zod';

import { GaiError } from '../errors';
import { formatFieldPath } from '../field-path';
import { MIN_JUSTIFICATION_LENGTH } from './engine';

// ---------------------------------------------------------------------------------------------
// What is stateful and what counts as weakening (data, so docs and tests can enumerate it)
// ---------------------------------------------------------------------------------------------

/**
 * Where an attribute sits inside a resource's `before`/`after` object. Numbers index lists
 * (Terraform renders nested blocks as lists); `'*'` stands for every element of a list or set.
 */
export type AttributePath = readonly (string | number)[];

interface CheckBase {
  /** Stable id, e.g. `dynamodb-deletion-protection`. */
  readonly id: string;
  readonly path: AttributePath;
  /** Why a weakening of this attribute matters. */
  readonly why: string;
}

/**
 * How an attribute's protection can be weakened:
 * - `flag-cleared`: protective when `true`; weakened when it stops being `true`.
 * - `flag-set`: protective when not `true`; weakened when it becomes `true` (e.g. `force_destroy`).
 * - `rank-lowered`: `order` lists values weakest → strongest; weakened when the strongest value
 *   after ranks below the strongest value before (a value not in `order` ranks lowest).
 * - `number-lowered`: weakened when the number gets smaller; with `zeroMeansForever`, 0 means
 *   "keep forever" (CloudWatch retention), so 0 → N is lowering and N → 0 is raising.
 * - `value-removed`: protective when set (a non-empty string); weakened when it is removed
 *   (e.g. dropping a customer-managed KMS key).
 */
export type ProtectionCheck =
  | (CheckBase & { readonly kind: 'flag-cleared' })
  | (CheckBase & { readonly kind: 'flag-set' })
  | (CheckBase & { readonly kind: 'rank-lowered'; readonly order: readonly string[] })
  | (CheckBase & { readonly kind: 'number-lowered'; readonly zeroMeansForever?: boolean })
  | (CheckBase & { readonly kind: 'value-removed' });

/** A stateful resource type: what destroying it loses, and how its protection can be weakened. */
export interface StatefulResourceType {
  /** What `delete` or replacement loses. */
  readonly destroyLoses: string;
  readonly checks: readonly ProtectionCheck[];
}

const flagCleared = (id: string, path: AttributePath, why: string): ProtectionCheck => ({ id, kind: 'flag-cleared', path, why });
const flagSet = (id: string, path: AttributePath, why: string): ProtectionCheck => ({ id, kind: 'flag-set', path, why });
const lowered = (id: string, path: AttributePath, why: string, zeroMeansForever = false): ProtectionCheck => ({
  id,
  kind: 'number-lowered',
  path,
  why,
  ...(zeroMeansForever ? { zeroMeansForever } : {}),
});
const ranked = (id: string, path: AttributePath, order: readonly string[], why: string): ProtectionCheck => ({
  id,
  kind: 'rank-lowered',
  path,
  order,
  why,
});
const removed = (id: string, path: AttributePath, why: string): ProtectionCheck => ({ id, kind: 'value-removed', path, why });

const RDS_CHECKS: readonly ProtectionCheck[] = [
  flagCleared('rds-deletion-protection', ['deletion_protection'], 'the database can then be deleted by any apply or API call'),
  lowered('rds-backup-retention', ['backup_retention_period'], 'fewer days of automated backups to restore from (0 disables them)'),
  flagCleared('rds-storage-encrypted', ['storage_encrypted'], 'data at rest is no longer encrypted'),
  flagSet('rds-skip-final-snapshot', ['skip_final_snapshot'], 'deleting the database then keeps no final snapshot'),
];

const PUBLIC_ACCESS_FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'] as const;

/**
 * Every resource type the guard examines. Destroying or replacing one is a violation; its
 * `checks` find updates that weaken its protection.
 */
export const STATEFUL_RESOURCES: Readonly<Record<string, StatefulResourceType>> = {
  aws_s3_bucket: {
    destroyLoses: 'every object in the bucket',
    checks: [
      flagSet('s3-force-destroy', ['force_destroy'], 'a later destroy then deletes the bucket with every object in it'),
      flagCleared('s3-object-lock-enabled', ['object_lock_enabled'], 'objects lose their write-once protection'),
    ],
  },
  aws_s3_bucket_versioning: {
    destroyLoses: 'versioning of the bucket: overwritten and deleted objects can no longer be recovered',
    checks: [
      ranked('s3-versioning-status', ['versioning_configuration', 0, 'status'], ['Disabled', 'Suspended', 'Enabled'], 'overwritten and deleted objects can no longer be recovered'),
      ranked('s3-versioning-mfa-delete', ['versioning_configuration', 0, 'mfa_delete'], ['Disabled', 'Enabled'], 'versions can then be deleted without MFA'),
    ],
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    destroyLoses: 'the bucket default encryption with the customer-managed key',
    checks: [
      ranked('s3-sse-algorithm', ['rule', '*', 'apply_server_side_encryption_by_default', '*', 'sse_algorithm'], ['AES256', 'aws:kms', 'aws:kms:dsse'], 'new objects are no longer encrypted with a KMS key whose policy controls access'),
      removed('s3-sse-kms-key', ['rule', '*', 'apply_server_side_encryption_by_default', '*', 'kms_master_key_id'], 'new objects fall back from the customer-managed key to an AWS-managed key'),
    ],
  },
  aws_s3_bucket_object_lock_configuration: {
    destroyLoses: 'the default object lock retention: new objects can be deleted or overwritten',
    checks: [
      ranked('s3-object-lock-mode', ['rule', 0, 'default_retention', 0, 'mode'], ['GOVERNANCE', 'COMPLIANCE'], 'locked objects can be deleted by privileged users, or not locked at all'),
      lowered('s3-object-lock-days', ['rule', 0, 'default_retention', 0, 'days'], 'new objects are locked for a shorter time'),
      lowered('s3-object-lock-years', ['rule', 0, 'default_retention', 0, 'years'], 'new objects are locked for a shorter time'),
    ],
  },
  aws_s3_bucket_public_access_block: {
    destroyLoses: 'the public access block: bucket policies and ACLs can make data public',
    checks: PUBLIC_ACCESS_FLAGS.map((flag) =>
      flagCleared(`s3-public-access-${flag.replaceAll('_', '-')}`, [flag], 'bucket policies or ACLs can then make data public'),
    ),
  },
  aws_dynamodb_table: {
    destroyLoses: 'every item in the table (and its point-in-time backups)',
    checks: [
      flagCleared('dynamodb-deletion-protection', ['deletion_protection_enabled'], 'the table can then be deleted by any apply or API call'),
      flagCleared('dynamodb-point-in-time-recovery', ['point_in_time_recovery', 0, 'enabled'], 'the table can no longer be restored to an earlier point in time'),
      lowered('dynamodb-pitr-period', ['point_in_time_recovery', 0, 'recovery_period_in_days'], 'fewer days of point-in-time recovery'),
      flagCleared('dynamodb-sse', ['server_side_encryption', 0, 'enabled'], 'items fall back from the customer-managed key to an AWS-owned key'),
      removed('dynamodb-sse-kms-key', ['server_side_encryption', 0, 'kms_key_arn'], 'items fall back from the customer-managed key to an AWS-managed key'),
    ],
  },
  aws_kms_key: {
    destroyLoses: 'the key material after the deletion window: everything encrypted with it becomes unreadable',
    checks: [
      lowered('kms-deletion-window', ['deletion_window_in_days'], 'less time to cancel a scheduled deletion of the key'),
      flagCleared('kms-enabled', ['is_enabled'], 'everything encrypted with the key becomes unreadable while it is disabled'),
      flagCleared('kms-rotation', ['enable_key_rotation'], 'the key material is no longer rotated'),
    ],
  },
  aws_db_instance: { destroyLoses: 'the database and, unless a final snapshot is taken, its data', checks: RDS_CHECKS },
  aws_rds_cluster: { destroyLoses: 'the database cluster and, unless a final snapshot is taken, its data', checks: RDS_CHECKS },
  aws_efs_file_system: {
    destroyLoses: 'every file on the file system',
    checks: [flagCleared('efs-encrypted', ['encrypted'], 'files at rest are no longer encrypted')],
  },
  aws_fsx_lustre_file_system: {
    destroyLoses: 'every file on the file system not exported to its S3 repository',
    checks: [lowered('fsx-backup-retention', ['automatic_backup_retention_days'], 'fewer days of automatic backups (0 disables them)')],
  },
  aws_ecr_repository: {
    destroyLoses: 'every image in the repository (running workloads can no longer pull them)',
    checks: [
      flagSet('ecr-force-delete', ['force_delete'], 'a later destroy then deletes the repository with every image in it'),
      ranked('ecr-tag-immutability', ['image_tag_mutability'], ['MUTABLE', 'MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION', 'IMMUTABLE'], 'a pushed tag can then be overwritten: the same tag may run different code'),
    ],
  },
  aws_cloudwatch_log_group: {
    destroyLoses: 'every log event in the group (audit and incident evidence)',
    checks: [
      lowered('logs-retention', ['retention_in_days'], 'log events expire sooner (0 means never expire)', true),
      removed('logs-kms-key', ['kms_key_id'], 'log events fall back from the customer-managed key to service encryption'),
    ],
  },
  aws_secretsmanager_secret: {
    destroyLoses: 'the secret value (recoverable only within its recovery window)',
    checks: [lowered('secret-recovery-window', ['recovery_window_in_days'], 'less time to restore a deleted secret (0 deletes it immediately)')],
  },
  aws_sqs_queue: { destroyLoses: 'every message waiting in the queue', checks: [] },
  aws_backup_vault: {
    destroyLoses: 'the backup vault (it must be empty, or force_destroy deletes its recovery points)',
    checks: [flagSet('backup-vault-force-destroy', ['force_destroy'], 'a later destroy then deletes every recovery point in the vault')],
  },
  aws_backup_vault_lock_configuration: {
    destroyLoses: 'the vault lock: recovery points can be deleted before their retention ends',
    checks: [lowered('backup-vault-lock-min-retention', ['min_retention_days'], 'recovery points can be deleted sooner')],
  },
};

// ---------------------------------------------------------------------------------------------
// Input: the parts of Terraform's JSON plan the guard reads, and the allow-list
// ---------------------------------------------------------------------------------------------

/** Action lists Terraform writes in `change.actions`. */
export const ACTION_LISTS = {
  'no-op': ['no-op'],
  create: ['create'],
  read: ['read'],
  update: ['update'],
  delete: ['delete'],
  'delete-before-create': ['delete', 'create'],
  'create-before-delete': ['create', 'delete'],
  forget: ['forget'],
  'create-then-forget': ['create', 'forget'],
} as const;

/** What a resource change does, named after its `change.actions`. */
export type PlanAction = keyof typeof ACTION_LISTS;

const resourceChangeSchema = z.object({
  address: z.string().min(1),
  module_address: z.string().optional(),
  mode: z.enum(['managed', 'data']),
  type: z.string().min(1),
  name: z.string(),
  index: z.union([z.number(), z.string()]).optional(),
  deposed: z.string().optional(),
  change: z.object({
    actions: z.array(z.enum(['no-op', 'create', 'read', 'update', 'delete', 'forget'])).min(1),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    after_unknown: z.unknown().optional(),
    replace_paths: z.array(z.array(z.union([z.string(), z.number()]))).optional(),
  }),
  action_reason: z.string().optional(),
});

/** The parts of `terraform show -json` output the guard reads (everything else is ignored). */
export const TerraformPlanSchema = z.object({
  format_version: z
    .string()
    .regex(/^1\.\d+$/, 'expected a Terraform JSON plan format version 1.x (from `terraform show -json <planfile>`)'),
  resource_changes: z.array(resourceChangeSchema).optional(),
});

type ResourceChange = z.output<typeof resourceChangeSchema>;

/** One allow-list entry: a plan address (exact, or ending in `[*]` for every index) and why the change is accepted. */
export interface AllowEntry {
  readonly address: string;
  readonly reason: string;
}

/** The allow-list file's content: a list of `{ address, reason }`. */
export const AllowListSchema = z
  .array(
    z.strictObject({
      address: z.string().trim().min(1, 'address must not be empty'),
      reason: z
        .string()
        .trim()
        .min(MIN_JUSTIFICATION_LENGTH, `reason must explain the change in at least ${MIN_JUSTIFICATION_LENGTH} characters`),
    }),
  )
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      if (seen.has(e.address)) ctx.addIssue({ code: 'custom', path: [i, 'address'], message: `duplicate address ${e.address}` });
      seen.add(e.address);
    });
  });

/** The plan or the allow-list is not what the guard can read: `problems` lists every problem. */
export class PlanGuardInputError extends GaiError {
  constructor(
    /** `plan` or `allow-list`. */
    public readonly input: 'plan' | 'allow-list',
    public readonly problems: readonly string[],
  ) {
    super(`gaiops:plan-guard:invalid-${input}`, `invalid ${input}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'PlanGuardInputError';
  }
}

function zodProblems(error: z.ZodError, root: string): string[] {
  return error.issues.map((issue) => `${formatFieldPath(issue.path, root)}: ${issue.message}`);
}

/** Validates allow-list content (already parsed from JSON or YAML). Throws {@link PlanGuardInputError}. */
export function parseAllowList(value: unknown): AllowEntry[] {
  const parsed = AllowListSchema.safeParse(value);
  if (!parsed.success) throw new PlanGuardInputError('allow-list', zodProblems(parsed.error, '<allow-list>'));
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/** One reported change of one resource instance. */
export interface PlanFinding {
  /** Terraform address, e.g. `module.data.aws_dynamodb_table.items["orders"]`. */
  readonly address: string;
  /** The deposed object's key, when the change is to a deposed object. */
  readonly deposed?: string;
  readonly type: string;
  readonly action: PlanAction;
  /** `destroy`, `forget`, or a {@link ProtectionCheck} id. */
  readonly check: string;
  /** What the plan does, e.g. `deletion_protection_enabled: true → false`. */
  readonly what: string;
  /** Why it matters. */
  readonly why: string;
}

/** A violation that the allow-list accepts. */
export interface AllowedFinding extends PlanFinding {
  /** The allow entry that matched (its address, possibly a `[*]` pattern). */
  readonly allowedBy: string;
  readonly reason: string;
}

/** Something to look at that does not fail the guard. */
export interface PlanGuardWarning {
  /** The address the warning is about (for a stale entry: the allow entry's address). */
  readonly address: string;
  /** `stale-allow-entry`. */
  readonly check: 'stale-allow-entry';
  readonly what: string;
  readonly why: string;
}

/** The guard's verdict over one plan. */
export interface PlanGuardReport {
  /** Violations no allow entry names: any of them fails the guard. */
  readonly violations: readonly PlanFinding[];
  /** Violations accepted by the allow-list, with its reason. */
  readonly allowed: readonly AllowedFinding[];
  /** Never fail the guard: allow entries that matched nothing (stale). */
  readonly warnings: readonly PlanGuardWarning[];
  /** Never fail the guard: stateful resources removed from state without being destroyed (`forget`). */
  readonly info: readonly PlanFinding[];
  readonly summary: {
    /** Managed resource changes in the plan other than `no-op`/`read`. */
    readonly changes: number;
    /** Of those, changes to stateful resources. */
    readonly statefulChanges: number;
    readonly violations: number;
    readonly allowed: number;
    readonly warnings: number;
    readonly info: number;
  };
}

// ---------------------------------------------------------------------------------------------
// The guard
// ---------------------------------------------------------------------------------------------

/**
 * Checks a Terraform JSON plan against the stateful-resource rules. `allow` entries move matching
 * violations to `allowed`; entries matching nothing become warnings. Throws
 * {@link PlanGuardInputError} when `plan` is not a Terraform JSON plan.
 */
export function guardPlan(plan: unknown, allow: readonly AllowEntry[] = []): PlanGuardReport {
  const parsed = TerraformPlanSchema.safeParse(plan);
  if (!parsed.success) throw new PlanGuardInputError('plan', zodProblems(parsed.error, '<plan>'));

  const changes = parsed.data.resource_changes ?? [];
  const actionProblems: string[] = [];
  const found: PlanFinding[] = [];
  const info: PlanFinding[] = [];
  let changeCount = 0;
  let statefulChanges = 0;

  changes.forEach((rc, i) => {
    const action = actionOf(rc.change.actions);
    if (action === undefined) {
      actionProblems.push(`resource_changes[${i}].change.actions: unknown action list ${JSON.stringify(rc.change.actions)} (${rc.address})`);
      return;
    }
    if (rc.mode !== 'managed' || action === 'no-op' || action === 'read') return;
    changeCount++;
    const stateful = Object.hasOwn(STATEFUL_RESOURCES, rc.type) ? STATEFUL_RESOURCES[rc.type] : undefined;
    if (!stateful || action === 'create') return;
    statefulChanges++;
    const base = { address: rc.address, ...(rc.deposed !== undefined ? { deposed: rc.deposed } : {}), type: rc.type, action };
    switch (action) {
      case 'forget':
      case 'create-then-forget':
        info.push({
          ...base,
          check: 'forget',
          what: 'removed from Terraform state without being destroyed',
          why: 'no data is lost, but Terraform no longer manages or protects the resource',
        });
        return;
      case 'delete':
        found.push({ ...base, check: 'destroy', what: `destroyed${reasonSuffix(rc)}`, why: `loses ${stateful.destroyLoses}` });
        return;
      case 'delete-before-create':
      case 'create-before-delete':
        found.push({
          ...base,
          check: 'destroy',
          what: `replaced${replacedBecause(rc)}`,
          why: `a new, empty resource takes its place: loses ${stateful.destroyLoses}`,
        });
        found.push(...weakenings(rc, stateful, base));
        return;
      case 'update':
        found.push(...weakenings(rc, stateful, base));
        return;
    }
  });
  if (actionProblems.length > 0) throw new PlanGuardInputError('plan', actionProblems);

  const violations: PlanFinding[] = [];
  const allowed: AllowedFinding[] = [];
  const used = new Set<string>();
  for (const f of found) {
    const entry = allow.find((e) => addressMatches(e.address, f.address));
    if (entry) {
      used.add(entry.address);
      allowed.push({ ...f, allowedBy: entry.address, reason: entry.reason });
    } else {
      violations.push(f);
    }
  }
  const warnings: PlanGuardWarning[] = allow
    .filter((e) => !used.has(e.address))
    .map((e) => ({
      address: e.address,
      check: 'stale-allow-entry',
      what: 'allow entry matches no violation in this plan',
      why: `stale: remove it so it cannot hide a future change (reason given: ${e.reason})`,
    }));

  return {
    violations,
    allowed,
    warnings,
    info,
    summary: {
      changes: changeCount,
      statefulChanges,
      violations: violations.length,
      allowed: allowed.length,
      warnings: warnings.length,
      info: info.length,
    },
  };
}

/**
 * True when an allow-list address names a plan address: equal, or a pattern ending in `[*]`
 * that matches every index (`aws_s3_bucket.x[*]` matches `aws_s3_bucket.x[0]` and
 * `aws_s3_bucket.x["k"]`, not `aws_s3_bucket.x` or `aws_s3_bucket.xy[0]`).
 */
export function addressMatches(pattern: string, address: string): boolean {
  if (!pattern.endsWith('[*]')) return pattern === address;
  const base = pattern.slice(0, -'[*]'.length);
  if (!address.startsWith(`${base}[`) || !address.endsWith(']')) return false;
  // The rest must be exactly one index: a number or a quoted key, nothing after it.
  const index = address.slice(base.length);
  return /^\[\d+\]$/.test(index) || /^\["(?:[^"\\]|\\.)*"\]$/.test(index);
}

function actionOf(actions: readonly string[]): PlanAction | undefined {
  const key = actions.join(',');
  return (Object.keys(ACTION_LISTS) as PlanAction[]).find((k) => ACTION_LISTS[k].join(',') === key);
}

function reasonSuffix(rc: ResourceChange): string {
  return rc.action_reason ? ` (${rc.action_reason})` : '';
}

function replacedBecause(rc: ResourceChange): string {
  const paths = (rc.change.replace_paths ?? []).map((p) => formatFieldPath(p, '<resource>'));
  const parts = [...(paths.length > 0 ? [`change to ${paths.join(', ')} forces replacement`] : []), ...(rc.action_reason ? [rc.action_reason] : [])];
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

type FindingBase = Pick<PlanFinding, 'address' | 'deposed' | 'type' | 'action'>;

/** The protection checks that an update (or replacement) fails. */
function weakenings(rc: ResourceChange, stateful: StatefulResourceType, base: FindingBase): PlanFinding[] {
  const out: PlanFinding[] = [];
  for (const check of stateful.checks) {
    const before = valuesAt(rc.change.before, check.path);
    const after = valuesAt(rc.change.after, check.path);
    const attribute = formatFieldPath(check.path, '').replaceAll('.*', '[*]');
    const verdict = judge(check, before, after, isUnknownAt(rc.change.after_unknown, check.path));
    if (verdict === 'kept') continue;
    const from = show(before);
    out.push({
      ...base,
      check: check.id,
      what: verdict === 'unknown' ? `${attribute}: ${from} → (known after apply): cannot prove it stays` : `${attribute}: ${from} → ${show(after)}`,
      why: check.why,
    });
  }
  return out;
}

/** `kept`, `weakened`, or `unknown` (protective before, unknown after). */
function judge(check: ProtectionCheck, before: unknown[], after: unknown[], unknown: boolean): 'kept' | 'weakened' | 'unknown' {
  const protectiveBefore = strength(check, before);
  if (protectiveBefore === undefined) return 'kept';
  if (unknown) return 'unknown';
  const protectiveAfter = strength(check, after) ?? -Infinity;
  return protectiveAfter < protectiveBefore ? 'weakened' : 'kept';
}

/**
 * How strongly the values protect, as a number to compare before with after; `undefined` when
 * they do not protect at all before (nothing to weaken).
 */
function strength(check: ProtectionCheck, values: unknown[]): number | undefined {
  switch (check.kind) {
    case 'flag-cleared':
      return values.some((v) => v === true) ? 1 : undefined;
    case 'flag-set':
      return values.some((v) => v === true) ? undefined : 1;
    case 'value-removed':
      return values.some((v) => typeof v === 'string' && v.length > 0) ? 1 : undefined;
    case 'rank-lowered': {
      const ranks = values.map((v) => (typeof v === 'string' ? check.order.indexOf(v) : -1)).filter((r) => r >= 0);
      return ranks.length > 0 ? Math.max(...ranks) : undefined;
    }
    case 'number-lowered': {
      const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (numbers.length === 0) return undefined;
      const n = Math.max(...numbers);
      return check.zeroMeansForever && n === 0 ? Infinity : n;
    }
  }
}

/** Every value at `path` (`'*'` fans out over list elements); absent paths give no values. */
function valuesAt(value: unknown, path: AttributePath): unknown[] {
  let current: unknown[] = [value];
  for (const key of path) {
    const next: unknown[] = [];
    for (const v of current) {
      if (key === '*') {
        if (Array.isArray(v)) next.push(...v);
      } else if (typeof key === 'number') {
        if (Array.isArray(v) && key < v.length) next.push(v[key]);
      } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, key)) {
        next.push((v as Record<string, unknown>)[key]);
      }
    }
    current = next;
  }
  return current.filter((v) => v !== null && v !== undefined);
}

/** True when `after_unknown` marks the value at `path` (or a value containing it) unknown. */
function isUnknownAt(afterUnknown: unknown, path: AttributePath): boolean {
  let current: unknown[] = [afterUnknown];
  for (const key of path) {
    if (current.some((v) => v === true)) return true;
    const next: unknown[] = [];
    for (const v of current) {
      if (key === '*' || typeof key === 'number') {
        if (Array.isArray(v)) next.push(...(key === '*' ? v : key < v.length ? [v[key]] : []));
      } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, key)) {
        next.push((v as Record<string, unknown>)[key]);
      }
    }
    current = next;
  }
  return current.some((v) => v === true);
}

function show(values: unknown[]): string {
  if (values.length === 0) return '(unset)';
  return values.map((v) => JSON.stringify(v)).join(', ');
}
