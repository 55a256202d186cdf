/** `gaiops plan-guard`: fails a Terraform plan that destroys, replaces or weakens a stateful resource. */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';

import { parse as parseYaml } from 'yaml';

import {
  PlanGuardInputError,
  guardPlan,
  parseAllowList,
  type AllowEntry,
  type PlanFinding,
  type PlanGuardReport,
} from '../../core/policy/plan-guard';
import { EXIT, UsageError, parseCommandArgs, type CliIo } from '../args';

export const PLAN_GUARD_HELP = `Usage: gaiops plan-guard <plan.json> [--allow <file>] [--json]
       gaiops plan-guard --plan <plan.json> [--allow <file>] [--json]

Reads a Terraform JSON plan and fails when it destroys or replaces a stateful resource (S3
buckets and their versioning/encryption/object lock/public access block, DynamoDB tables, KMS
keys, RDS, EFS, FSx for Lustre, ECR, CloudWatch log groups, Secrets Manager secrets, SQS queues,
Backup vaults) or weakens its protection (deletion protection off, force_destroy on, versioning
suspended, KMS key dropped, retention or backup windows lowered, ...). A protective attribute
whose new value is unknown until apply counts as weakened: the guard fails closed.

  terraform -chdir=cdktf.out/stacks/<stack> plan -out=tfplan
  terraform -chdir=cdktf.out/stacks/<stack> show -json tfplan > plan.json
  gaiops plan-guard plan.json --allow plan-allow.yaml

Options:
  --plan <file>     the plan (instead of the positional argument)
  --allow <file>    allow-list, JSON or YAML (.yaml/.yml): a list of
                      { "address": "<plan address>", "reason": "<at least 20 characters>" }
                    an address is exact, or ends in [*] to match every count index / for_each
                    key (module.data.aws_dynamodb_table.x[*]); entries that match nothing are
                    reported as stale warnings
  --json            print one JSON document instead of the table:
                    { "violations": [...], "allowed": [...], "warnings": [...], "info": [...],
                      "summary": { "changes", "statefulChanges", "violations", "allowed",
                                   "warnings", "info" } }
  -h, --help        show this help

Never reported: data sources, non-stateful types, create, read, no-op. "forget" (removed from
state, not destroyed) is reported as info. Warnings and info never fail.

Exit codes:
  0  no violations outside the allow-list
  1  the plan destroys, replaces or weakens a stateful resource the allow-list does not name
  2  usage error, unreadable or invalid plan (not 'terraform show -json' output), or invalid
     allow-list (the problem is named on stderr)`;

/** Options of `plan-guard` that take a value (needed to tell their values from the positional). */
const VALUE_OPTIONS = new Set(['--plan', '--allow']);

export async function planGuardCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = splitPositionals(argv);
  const { values } = parseCommandArgs('plan-guard', options, {
    plan: { type: 'string' },
    allow: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${PLAN_GUARD_HELP}\n`);
    return EXIT.OK;
  }
  const planFiles = [...(values.plan !== undefined ? [values.plan] : []), ...positionals];
  if (planFiles.length !== 1) {
    throw new UsageError(
      `gaiops plan-guard: ${planFiles.length === 0 ? 'no plan file given' : `expected one plan file, got ${planFiles.length}: ${planFiles.join(', ')}`}\n` +
        `Run 'gaiops plan-guard --help' for usage.`,
    );
  }

  const planFile = resolve(io.cwd, planFiles[0]);
  const plan = parseJsonFile(planFile, 'plan');
  const allow = values.allow !== undefined ? readAllowList(resolve(io.cwd, values.allow)) : [];

  let report: PlanGuardReport;
  try {
    report = guardPlan(plan, allow);
  } catch (err) {
    if (err instanceof PlanGuardInputError) {
      throw new UsageError(`gaiops plan-guard: ${planFile} is not a Terraform JSON plan ('terraform show -json <planfile>'):\n${indent(err.problems)}`);
    }
    throw err;
  }

  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return report.summary.violations > 0 ? EXIT.FAILED : EXIT.OK;
}

/**
 * Separates positionals from options for `parseCommandArgs` (which takes none): a token not
 * starting with `-` is positional unless it is the value of `--plan`/`--allow`; after `--` every
 * token is positional.
 */
function splitPositionals(argv: readonly string[]): { positionals: string[]; options: string[] } {
  const positionals: string[] = [];
  const options: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token.startsWith('-') && token !== '-') {
      options.push(token);
      if (VALUE_OPTIONS.has(token) && i + 1 < argv.length) options.push(argv[++i]);
    } else {
      positionals.push(token);
    }
  }
  return { positionals, options };
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`gaiops plan-guard: cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

function parseJsonFile(file: string, what: string): unknown {
  const text = readText(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`gaiops plan-guard: ${what} ${file} is not valid JSON (${(err as Error).message}) — pass 'terraform show -json <planfile>' output, not the binary plan`);
  }
}

function readAllowList(file: string): AllowEntry[] {
  const ext = extname(file).toLowerCase();
  let value: unknown;
  if (ext === '.yaml' || ext === '.yml') {
    const text = readText(file, 'allow-list');
    try {
      value = parseYaml(text) as unknown;
    } catch (err) {
      throw new UsageError(`gaiops plan-guard: allow-list ${file} is not valid YAML: ${(err as Error).message}`);
    }
  } else {
    value = parseJsonFile(file, 'allow-list');
  }
  try {
    return parseAllowList(value);
  } catch (err) {
    if (err instanceof PlanGuardInputError) {
      throw new UsageError(`gaiops plan-guard: invalid allow-list ${file}:\n${indent(err.problems)}`);
    }
    throw err;
  }
}

function indent(lines: readonly string[]): string {
  return lines.map((l) => `  ${l}`).join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

interface Row {
  readonly address: string;
  readonly action: string;
  readonly what: string;
  readonly why: string;
  /** A line under the row. */
  readonly note?: string;
}

function row(f: PlanFinding, note?: string): Row {
  const address = f.deposed !== undefined ? `${f.address} (deposed ${f.deposed})` : f.address;
  return { address, action: f.action, what: f.what, why: f.why, ...(note !== undefined ? { note } : {}) };
}

/** A table (address, action, what, why it matters) per non-empty section, then a summary line. */
function renderReport(report: PlanGuardReport): string {
  const lines: string[] = [];
  const section = (title: string, rows: readonly Row[]) => {
    if (rows.length === 0) return;
    const addrWidth = Math.max('ADDRESS'.length, ...rows.map((r) => r.address.length));
    const actionWidth = Math.max('ACTION'.length, ...rows.map((r) => r.action.length));
    const whatWidth = Math.max('WHAT'.length, ...rows.map((r) => r.what.length));
    lines.push(`${title}:`);
    lines.push(`  ${'ADDRESS'.padEnd(addrWidth)}  ${'ACTION'.padEnd(actionWidth)}  ${'WHAT'.padEnd(whatWidth)}  WHY IT MATTERS`);
    for (const r of rows) {
      lines.push(`  ${r.address.padEnd(addrWidth)}  ${r.action.padEnd(actionWidth)}  ${r.what.padEnd(whatWidth)}  ${r.why}`);
      if (r.note !== undefined) lines.push(`  ${' '.repeat(addrWidth + 2)}${r.note}`);
    }
    lines.push('');
  };
  section('Violations', report.violations.map((f) => row(f)));
  section('Allowed', report.allowed.map((f) => row(f, `allowed by ${f.allowedBy}: ${f.reason}`)));
  section('Warnings', report.warnings.map((w) => ({ address: w.address, action: '-', what: w.what, why: w.why })));
  section('Info', report.info.map((f) => row(f)));
  const s = report.summary;
  const verdict = s.violations > 0 ? 'FAILED' : 'passed';
  lines.push(
    `${verdict}: ${plural(s.violations, 'violation')}, ${s.allowed} allowed, ${plural(s.warnings, 'warning')}, ${s.info} info ` +
      `(${plural(s.statefulChanges, 'stateful change')} among ${plural(s.changes, 'resource change')})`,
  );
  return `${lines.join('\n')}\n`;
}
