/** `gaiops validate`: evaluates the policy pack over a synthesized cdktf output directory. */
import { relative } from 'node:path';

import { activeFindings, evaluatePolicies } from '../../core/policy/engine';
import { CORE_RULES } from '../../core/policy/rules';
import type { Finding, PolicyRule } from '../../core/policy/types';
import { EXIT, EXIT_CODES_HELP, parseCommandArgs, type CliIo } from '../args';
import { readManifest, readStackJson, resolveOutdir, selectStacks, type ManifestStack } from '../outdir';

export const VALIDATE_HELP = `Usage: gaiops validate [--dir <dir>] [--stack <name>]... [--json]

Evaluates the gaiops policy rules over a synthesized app: reads <dir>/manifest.json and
every stack's cdk.tf.json (its synthesizedStackPath). Run 'gaiops synth' first.

Options:
  --dir <dir>       synthesized output directory (default: "output" of ./cdktf.json, else cdktf.out)
  --stack <name>    only this stack; repeat for several (default: every stack in the manifest)
  --json            print one JSON document instead of the table:
                    { "stacks": [{ "name", "findings": [...] }],
                      "summary": { "errors", "warnings", "suppressed" } }
                    (errors and warnings count unsuppressed findings only)
  -h, --help        show this help

${EXIT_CODES_HELP}`;

/** One validated stack. */
export interface StackReport {
  readonly name: string;
  /** Every finding, suppressed ones included (with `suppressedBecause`). */
  readonly findings: readonly Finding[];
}

/** The `--json` document. */
export interface ValidateReport {
  readonly stacks: readonly StackReport[];
  readonly summary: { readonly errors: number; readonly warnings: number; readonly suppressed: number };
}

/** `rules` defaults to the policy pack's `CORE_RULES`. */
export async function validateCommand(argv: readonly string[], io: CliIo, rules?: readonly PolicyRule[]): Promise<number> {
  const { values } = parseCommandArgs('validate', argv, {
    dir: { type: 'string', short: 'd' },
    stack: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${VALIDATE_HELP}\n`);
    return EXIT.OK;
  }

  const dir = resolveOutdir(io, values.dir);
  const selected = selectStacks(readManifest(dir, 'validate'), values.stack ?? [], dir, 'validate');

  const stackJsons = selected.map((s) => readStackJson(s.file, s.name, 'validate'));
  const ruleList = rules ?? CORE_RULES;
  const reports: StackReport[] = selected.map((s, i) => ({
    name: s.name,
    findings: evaluatePolicies(stackJsons[i], ruleList),
  }));
  const report: ValidateReport = { stacks: reports, summary: summarize(reports.flatMap((r) => r.findings)) };

  if (values.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout.write(renderTable(report, selected, io.cwd));
  }
  return report.summary.errors > 0 ? EXIT.FAILED : EXIT.OK;
}

function summarize(findings: readonly Finding[]): ValidateReport['summary'] {
  const active = activeFindings(findings);
  return {
    errors: active.filter((f) => f.severity === 'error').length,
    warnings: active.filter((f) => f.severity === 'warning').length,
    suppressed: findings.length - active.length,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function counts(s: ValidateReport['summary']): string {
  return `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${s.suppressed} suppressed`;
}

/** The human report: per stack a table (severity, rule, resource) with message and fix under each row. */
function renderTable(report: ValidateReport, stacks: readonly ManifestStack[], cwd: string): string {
  const lines: string[] = [];
  const severityOrder = { error: 0, warning: 1 } as const;
  for (const [i, stack] of report.stacks.entries()) {
    const file = relative(cwd, stacks[i].file) || stacks[i].file;
    if (stack.findings.length === 0) {
      lines.push(`${stack.name} (${file}): no findings`, '');
      continue;
    }
    lines.push(`${stack.name} (${file}): ${counts(summarize(stack.findings))}`);
    // Unsuppressed first (errors, then warnings), suppressed last; engine order (address, rule) within.
    const rank = (f: Finding) => (f.suppressedBecause !== undefined ? 2 : severityOrder[f.severity]);
    const rows = [...stack.findings].sort((a, b) => rank(a) - rank(b));
    const label = (f: Finding) => (f.suppressedBecause !== undefined ? 'suppressed' : f.severity);
    const sevWidth = Math.max('SEVERITY'.length, ...rows.map((f) => label(f).length));
    const ruleWidth = Math.max('RULE'.length, ...rows.map((f) => f.ruleId.length));
    const indent = ' '.repeat(2 + sevWidth + 2 + ruleWidth + 2);
    lines.push(`  ${'SEVERITY'.padEnd(sevWidth)}  ${'RULE'.padEnd(ruleWidth)}  RESOURCE`);
    for (const f of rows) {
      const where = f.path !== f.address ? `${f.address} (${f.path})` : f.address;
      lines.push(`  ${label(f).padEnd(sevWidth)}  ${f.ruleId.padEnd(ruleWidth)}  ${where}`);
      lines.push(`${indent}${f.message}`);
      lines.push(
        f.suppressedBecause !== undefined ? `${indent}suppressed because: ${f.suppressedBecause}` : `${indent}fix: ${f.fix}`,
      );
    }
    lines.push('');
  }
  const verdict = report.summary.errors > 0 ? 'FAILED' : 'passed';
  lines.push(`${verdict}: ${counts(report.summary)} in ${plural(report.stacks.length, 'stack')}`);
  return `${lines.join('\n')}\n`;
}
