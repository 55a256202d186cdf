import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { EXIT, UsageError, type CliIo } from '../../src/cli/args';
import { PLAN_GUARD_HELP, planGuardCommand } from '../../src/cli/commands/plan-guard';
import type { PlanGuardReport } from '../../src/core/policy/plan-guard';

const PLANS = resolve(__dirname, '..', 'fixtures', 'plans');

/**
 * Runs `gaiops plan-guard <argv>` in-process the way `main` does: a UsageError is printed on
 * stderr with exit code 2.
 */
async function planGuard(argv: string[], cwd = PLANS): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd };
  try {
    const code = await planGuardCommand(argv, io);
    return { code, stdout, stderr };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { code: EXIT.USAGE, stdout, stderr: `${stderr}${err.message}\n` };
  }
}

const tempDirs: string[] = [];
afterEach(() => {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeTemp(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gaiops-plan-guard-'));
  tempDirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

const REASON = 'the orders table moved to the new data stack (CHG-1234)';

describe('gaiops plan-guard', () => {
  it('--help documents usage, the allow-list and the exit codes', async () => {
    const { code, stdout } = await planGuard(['--help']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${PLAN_GUARD_HELP}\n`);
    expect(stdout).toContain('Usage: gaiops plan-guard <plan.json> [--allow <file>] [--json]');
    expect(stdout).toMatch(/^ {2}1 {2}the plan destroys/m);
    expect(stdout).toMatch(/^ {2}2 {2}usage error/m);
    expect(stdout).toContain('[*]');
  });

  it('fails (exit 1) on a plan that destroys or replaces stateful resources, with a table and a summary', async () => {
    const { code, stdout, stderr } = await planGuard(['all-actions.json']);
    expect(code).toBe(EXIT.FAILED);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Violations:\n {2}ADDRESS +ACTION +WHAT +WHY IT MATTERS$/m);
    expect(stdout).toMatch(/^ {2}module\.data\.aws_dynamodb_table\.items\["orders"\] +delete +destroyed \(delete_because_each_key\) +loses every item in the table/m);
    expect(stdout).toMatch(/^ {2}module\.a\.module\.b\.aws_s3_bucket\.x +delete-before-create +replaced/m);
    expect(stdout).toMatch(/^Info:\n.*\n {2}aws_sqs_queue\.jobs +forget/m);
    expect(stdout).not.toContain('aws_iam_role.old');
    expect(stdout).not.toContain('aws_s3_bucket.created');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe(
      'FAILED: 4 violations, 0 allowed, 0 warnings, 1 info (5 stateful changes among 7 resource changes)',
    );
  });

  it('passes (exit 0) on harmless changes and on a plan without resource_changes', async () => {
    const safe = await planGuard(['safe.json']);
    expect(safe.code).toBe(EXIT.OK);
    expect(safe.stdout).toBe('passed: 0 violations, 0 allowed, 0 warnings, 0 info (2 stateful changes among 4 resource changes)\n');
    const none = await planGuard(['--plan', 'no-changes.json']);
    expect(none.code).toBe(EXIT.OK);
  });

  it('--json prints the report', async () => {
    const { code, stdout } = await planGuard(['unknown-after.json', '--json']);
    expect(code).toBe(EXIT.FAILED);
    const report = JSON.parse(stdout) as PlanGuardReport;
    expect(Object.keys(report)).toEqual(['violations', 'allowed', 'warnings', 'info', 'summary']);
    expect(report.violations.map((v) => v.check)).toEqual(['dynamodb-deletion-protection', 'dynamodb-sse-kms-key']);
    expect(report.summary).toEqual({ changes: 2, statefulChanges: 2, violations: 2, allowed: 0, warnings: 0, info: 0 });
  });

  it('an allow-list (JSON) accepts named violations and reports stale entries as warnings', async () => {
    const allow = writeTemp(
      'allow.json',
      JSON.stringify([
        { address: 'module.data.aws_dynamodb_table.items["orders"]', reason: REASON },
        { address: 'module.a.module.b.aws_s3_bucket.x', reason: 'bucket renamed; objects copied by the migration job' },
        { address: 'aws_kms_key.data[*]', reason: 'HMAC key replaces the symmetric data key' },
        { address: 'aws_s3_bucket.retired', reason: 'retired bucket, emptied before this change' },
      ]),
    );
    const { code, stdout } = await planGuard(['all-actions.json', '--allow', allow]);
    expect(code).toBe(EXIT.OK);
    expect(stdout).not.toContain('Violations:');
    expect(stdout).toMatch(/^Allowed:\n/m);
    expect(stdout).toContain(`allowed by module.data.aws_dynamodb_table.items["orders"]: ${REASON}`);
    expect(stdout).toContain('allowed by aws_kms_key.data[*]: HMAC key replaces the symmetric data key');
    expect(stdout).toMatch(/^Warnings:\n.*\n {2}aws_s3_bucket\.retired +- +allow entry matches no violation in this plan/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('passed: 0 violations, 4 allowed, 1 warning, 1 info (5 stateful changes among 7 resource changes)');
  });

  it('an allow-list (YAML) works the same, with --allow=<file>', async () => {
    const allow = writeTemp('allow.yaml', `- address: module.data.aws_dynamodb_table.items["orders"]\n  reason: ${REASON}\n`);
    const { code, stdout } = await planGuard([`--allow=${allow}`, '--json', 'all-actions.json']);
    expect(code).toBe(EXIT.FAILED);
    const report = JSON.parse(stdout) as PlanGuardReport;
    expect(report.allowed.map((a) => a.address)).toEqual(['module.data.aws_dynamodb_table.items["orders"]']);
    expect(report.violations.map((v) => v.address)).toEqual([
      'module.a.module.b.aws_s3_bucket.x',
      'aws_kms_key.data[0]',
      'aws_kms_key.data[0]',
    ]);
  });

  it('an invalid allow-list exits 2 naming the problem', async () => {
    const short = writeTemp('allow.json', JSON.stringify([{ address: 'aws_s3_bucket.x', reason: 'ok' }]));
    const r1 = await planGuard(['all-actions.json', '--allow', short]);
    expect(r1.code).toBe(EXIT.USAGE);
    expect(r1.stdout).toBe('');
    expect(r1.stderr).toContain(`invalid allow-list ${short}`);
    expect(r1.stderr).toContain('[0].reason: reason must explain the change in at least 20 characters');

    const yaml = writeTemp('allow.yml', '- address: [unclosed\n');
    const r2 = await planGuard(['all-actions.json', '--allow', yaml]);
    expect(r2.code).toBe(EXIT.USAGE);
    expect(r2.stderr).toContain(`allow-list ${yaml} is not valid YAML`);

    const r3 = await planGuard(['all-actions.json', '--allow', join(PLANS, 'nope.json')]);
    expect(r3.code).toBe(EXIT.USAGE);
    expect(r3.stderr).toContain('cannot read allow-list');
  });

  it('an unreadable or invalid plan exits 2 naming the problem', async () => {
    const missing = await planGuard(['missing.json']);
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.stderr).toContain(`cannot read plan ${join(PLANS, 'missing.json')}`);

    const binary = await planGuard(['malformed/binary-plan.tfplan']);
    expect(binary.code).toBe(EXIT.USAGE);
    expect(binary.stderr).toContain('is not valid JSON');
    expect(binary.stderr).toContain("pass 'terraform show -json <planfile>' output, not the binary plan");

    const actions = await planGuard(['malformed/bad-actions.json']);
    expect(actions.code).toBe(EXIT.USAGE);
    expect(actions.stderr).toContain('is not a Terraform JSON plan');
    expect(actions.stderr).toContain('resource_changes[0].change.actions: unknown action list ["update","delete"] (aws_s3_bucket.x)');

    const version = await planGuard(['malformed/old-format.json', '--json']);
    expect(version.code).toBe(EXIT.USAGE);
    expect(version.stdout).toBe('');
    expect(version.stderr).toContain('format_version: expected a Terraform JSON plan format version 1.x');
  });

  it('usage errors exit 2: no plan, two plans, unknown option', async () => {
    const none = await planGuard([]);
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.stderr).toContain('gaiops plan-guard: no plan file given');
    const two = await planGuard(['safe.json', '--plan', 'no-changes.json']);
    expect(two.code).toBe(EXIT.USAGE);
    expect(two.stderr).toContain('expected one plan file, got 2: no-changes.json, safe.json');
    const unknown = await planGuard(['safe.json', '--strict']);
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toContain("gaiops plan-guard: Unknown option '--strict'");
    const noValue = await planGuard(['safe.json', '--allow']);
    expect(noValue.code).toBe(EXIT.USAGE);
    expect(noValue.stderr).toContain("--allow");
  });

  it('takes a plan path after --, even one that starts with a dash', async () => {
    const file = writeTemp('-plan.json', JSON.stringify({ format_version: '1.2' }));
    const { code, stdout } = await planGuard(['--json', '--', file]);
    expect(code).toBe(EXIT.OK);
    expect((JSON.parse(stdout) as PlanGuardReport).summary.changes).toBe(0);
  });
});
