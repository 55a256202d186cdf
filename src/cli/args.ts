/** Shared plumbing of the `gaiops` command: I/O, exit codes, argument parsing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes and which directory it works in (injected so tests run in-process). */
export interface CliIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  /** Working directory: relative paths and `cdktf.json` are resolved against it. */
  readonly cwd: string;
}

/** Exit codes of every `gaiops` command. */
export const EXIT = {
  /** Success (validate: no unsuppressed error findings). */
  OK: 0,
  /** validate: unsuppressed error findings; synth: the app wrote no manifest (its own failures pass their code through); dev: could not start or stop cleanly. */
  FAILED: 1,
  /** Usage error, or input that cannot be read. */
  USAGE: 2,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success (validate: no unsuppressed error findings; warnings never fail)
  1  validate: unsuppressed error findings
     plan-guard: the plan deletes, replaces or weakens a stateful resource not in the allow-list
     synth: the app exited 0 but wrote no new <dir>/manifest.json
     dev: the playground could not start (port in use, an embedded service failed) or stop cleanly
  2  usage error (unknown command or option, missing value) or unreadable input
     (no app command, missing or invalid manifest.json / cdk.tf.json / cdktf.json;
     synth --config: an invalid platform config; cost: a region the price table does not
     cover; diagram: --out not writable)
  n  synth: the app's own non-zero exit code, passed through (128+s when killed by signal s)`;

/** A problem with how gaiops was called or with its input: reported on stderr, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type CommandConfig<T extends OptionsConfig> = {
  args: string[];
  options: T & { help: { type: 'boolean'; short: 'h' } };
  strict: true;
  allowPositionals: false;
};

/**
 * `util.parseArgs` in strict mode, no positionals; its errors become {@link UsageError}s that name
 * the command. Every command gets `-h/--help`.
 */
export function parseCommandArgs<T extends OptionsConfig>(
  command: string,
  argv: readonly string[],
  options: T,
): ReturnType<typeof parseArgs<CommandConfig<T>>> {
  const config: CommandConfig<T> = {
    args: [...argv],
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  };
  try {
    return parseArgs(config);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`gaiops ${command}: ${message}\nRun 'gaiops ${command} --help' for usage.`);
  }
}

/** The `cdktf.json` of `cwd`, or `undefined` when there is none. Unreadable or invalid JSON is a {@link UsageError}. */
export function readCdktfJson(cwd: string): { app?: unknown; output?: unknown; context?: unknown } | undefined {
  const file = join(cwd, 'cdktf.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('expected a JSON object');
    }
    return parsed as { app?: unknown; output?: unknown; context?: unknown };
  } catch (err) {
    throw new UsageError(`invalid ${file}: ${(err as Error).message}`);
  }
}

/** The output directory configured in `cwd`'s `cdktf.json` (`output`), else `cdktf.out`. */
export function defaultOutdir(cwd: string): string {
  const output = readCdktfJson(cwd)?.output;
  return typeof output === 'string' && output.length > 0 ? output : 'cdktf.out';
}
