import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Where promtool is: `$PROMTOOL` when set (it must then be executable), else the first `promtool`
 * on PATH, else /usr/bin/promtool (Debian's `prometheus` package; CI installs it). Missing promtool
 * is a failure, never a skip: the alert-rule tests are the only proof the rules fire.
 */
export function promtoolPath(env: NodeJS.ProcessEnv = process.env): string {
  const executable = (path: string): boolean => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const install = "install Debian's `prometheus` package (apt-get install prometheus), or set PROMTOOL to the promtool binary";
  if (env.PROMTOOL) {
    if (executable(env.PROMTOOL)) return env.PROMTOOL;
    throw new Error(`promtool not found: PROMTOOL=${env.PROMTOOL} is not an executable file. The alert-rule tests need promtool: ${install}.`);
  }
  const candidates = [...(env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'promtool')), '/usr/bin/promtool'];
  const found = candidates.find(executable);
  if (found) return found;
  throw new Error(`promtool not found (looked on PATH and at /usr/bin/promtool). The alert-rule tests need promtool: ${install}.`);
}

export interface PromtoolResult {
  readonly status: number | null;
  readonly output: string;
}

/** Runs promtool with arguments in `cwd` and returns its exit status and combined output. */
export function promtool(args: readonly string[], cwd: string): PromtoolResult {
  const r = spawnSync(promtoolPath(), [...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A fresh temp directory with the given files (name → text). */
export function tempFiles(files: Readonly<Record<string, string>>, prefix = 'gaiops-promtool-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** `promtool check rules` over rule files (name → YAML); throws with promtool's output unless it passes. */
export function checkRules(files: Readonly<Record<string, string>>): string {
  const dir = tempFiles(files);
  const r = promtool(['check', 'rules', ...Object.keys(files)], dir);
  if (r.status !== 0) throw new Error(`promtool check rules failed:\n${r.output}`);
  return r.output;
}

/** `promtool test rules` over unit-test files whose `rule_files` are among `files`; returns the result (status 0 = every test passed). */
export function testRules(files: Readonly<Record<string, string>>, testFiles: readonly string[]): PromtoolResult {
  const dir = tempFiles(files);
  return promtool(['test', 'rules', ...testFiles], dir);
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: identifiers left once strings, label matchers,
 * grouping clauses, ranges and function calls are removed. Good enough for the expressions gaiops
 * writes (checked against promtool for syntax separately).
 */
export function metricNamesIn(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = new Set<string>();
  for (const m of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2]) continue; // a function call
    if (PROMQL_KEYWORDS.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return [...names].sort();
}
