/** `gaiops validate`: evaluates the policy pack over a synthesized cdktf output directory. */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

import { activeFindings, evaluatePolicies } from '../../core/policy/engine';
import { CORE_RULES } from '../../core/policy/rules';
import type { Finding, PolicyRule } from '../../core/policy/types';
import { EXIT, EXIT_CODES_HELP, UsageError, defaultOutdir, parseCommandArgs, type CliIo } from '../args';

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

  const dir = resolve(io.cwd, values.dir ?? defaultOutdir(io.cwd));
  const stacks = readManifest(dir);
  const selected = selectStacks(stacks, values.stack ?? [], dir);

  const stackJsons = selected.map((s) => readStackJson(s.file, s.name));
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

interface ManifestStack {
  readonly name: string;
  /** Absolute path of the stack's cdk.tf.json. */
  readonly file: string;
}

function readManifest(dir: string): ManifestStack[] {
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `gaiops validate: no manifest at ${file} — run 'gaiops synth' (or 'npm run synth') first, or pass --dir <dir>`
        : `gaiops validate: cannot read ${file}: ${(err as Error).message}`,
    );
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`gaiops validate: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const stacks = (manifest as { stacks?: unknown } | null)?.stacks;
  if (stacks === null || typeof stacks !== 'object' || Array.isArray(stacks)) {
    throw new UsageError(`gaiops validate: ${file} has no "stacks" object — is it a cdktf manifest?`);
  }
  return Object.entries(stacks as Record<string, unknown>).map(([key, entry]) => {
    const e = (entry ?? {}) as { name?: unknown; synthesizedStackPath?: unknown };
    if (typeof e.synthesizedStackPath !== 'string' || e.synthesizedStackPath === '') {
      throw new UsageError(`gaiops validate: stack "${key}" in ${file} has no "synthesizedStackPath"`);
    }
    const stackFile = isAbsolute(e.synthesizedStackPath) ? e.synthesizedStackPath : join(dir, e.synthesizedStackPath);
    return { name: typeof e.name === 'string' ? e.name : key, file: stackFile };
  });
}

function selectStacks(stacks: readonly ManifestStack[], wanted: readonly string[], dir: string): ManifestStack[] {
  if (wanted.length === 0) return [...stacks];
  const unknown = wanted.filter((w) => !stacks.some((s) => s.name === w));
  if (unknown.length > 0) {
    const available = stacks.map((s) => s.name).join(', ') || '(none)';
    throw new UsageError(
      `gaiops validate: no stack ${unknown.map((u) => `"${u}"`).join(', ')} in ${join(dir, 'manifest.json')}; stacks: ${available}`,
    );
  }
  return stacks.filter((s) => wanted.includes(s.name));
}

function readStackJson(file: string, name: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`gaiops validate: cannot read stack "${name}" at ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`gaiops validate: stack "${name}" at ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(`gaiops validate: stack "${name}" at ${file} is not a JSON object`);
  }
  return json as Record<string, unknown>;
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
