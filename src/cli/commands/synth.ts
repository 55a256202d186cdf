/** `gaiops synth`: runs the cdktf app command with the output directory set, like `cdktf synth`. */
import { spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';

import { buildStaleRuntimes } from '../../core/bundling/runtime-artifact';
import { GaiConfigError } from '../../core/errors';
import { App } from '../../core/tf';
import { GaiPlatform } from '../../platform/gai-platform';
import { loadPlatformConfig, type GaiPlatformConfig } from '../../platform/platform-config';
import { EXIT, EXIT_CODES_HELP, UsageError, parseCommandArgs, readCdktfJson, type CliIo } from '../args';

export const SYNTH_HELP = `Usage: gaiops synth [--config <file>] [--app <command>] [--output|--out <dir>]

With --config: builds a GaiPlatform from a YAML or JSON platform config (see
schemas/gaiops-platform.schema.json) in this process — validating the config, bundling the
runtimes when they are missing or stale, building and synthesizing the stacks — and reports
each step on stderr. Config problems are listed as <file>: <field path>: <message> (exit 2).

Without --config: runs the cdktf app so it writes <dir>/manifest.json and <dir>/stacks/<stack>/cdk.tf.json.
The command runs through the shell in the current directory, with CDKTF_OUTDIR=<dir>
(the absolute path; cdktf's App reads it when no outdir is passed in code) and, when
cdktf.json has a "context", CDKTF_CONTEXT_JSON. Its output goes straight to the terminal.

Options:
  --config <file>   platform config (.yaml, .yml or .json) to synthesize instead of the app
  --app <command>   command that synthesizes the app (default: "app" of ./cdktf.json)
  --output, --out <dir>
                    output directory (default: "output" of ./cdktf.json, else cdktf.out)
  -h, --help        show this help

${EXIT_CODES_HELP}`;

export async function synthCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('synth', argv, {
    app: { type: 'string' },
    output: { type: 'string', short: 'o' },
    out: { type: 'string' },
    config: { type: 'string', short: 'c' },
  });
  if (values.out !== undefined && values.output !== undefined) throw new UsageError('gaiops synth: give --output or --out, not both');
  values.output ??= values.out;
  if (values.help) {
    io.stdout.write(`${SYNTH_HELP}\n`);
    return EXIT.OK;
  }
  if (values.config !== undefined) {
    if (values.app !== undefined) throw new UsageError('gaiops synth: --config and --app exclude each other');
    const cdktf = readCdktfJson(io.cwd);
    const output = values.output ?? (typeof cdktf?.output === 'string' && cdktf.output !== '' ? cdktf.output : 'cdktf.out');
    return synthPlatform(resolve(io.cwd, values.config), resolve(io.cwd, output), io);
  }

  const config = readCdktfJson(io.cwd);
  const app = values.app ?? config?.app;
  if (typeof app !== 'string' || app.trim() === '') {
    throw new UsageError(
      config === undefined
        ? `gaiops synth: no --app given and no cdktf.json in ${io.cwd}`
        : `gaiops synth: no --app given and cdktf.json in ${io.cwd} has no "app" command`,
    );
  }
  const output = values.output ?? (typeof config?.output === 'string' && config.output !== '' ? config.output : 'cdktf.out');
  const outdir = resolve(io.cwd, output);

  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir };
  const context = config?.context;
  if (context !== null && typeof context === 'object' && Object.keys(context).length > 0) {
    // As the cdktf CLI does: cdktf.json context, overridden by context already in the environment.
    let inherited: Record<string, unknown> = {};
    try {
      inherited = process.env.CDKTF_CONTEXT_JSON ? (JSON.parse(process.env.CDKTF_CONTEXT_JSON) as Record<string, unknown>) : {};
    } catch {
      throw new UsageError('gaiops synth: CDKTF_CONTEXT_JSON in the environment is not valid JSON');
    }
    env.CDKTF_CONTEXT_JSON = JSON.stringify({ ...context, ...inherited });
  }

  try {
    // cdktf's App creates only the last path segment; create the whole path so nested outputs work.
    mkdirSync(outdir, { recursive: true });
  } catch (err) {
    throw new UsageError(`gaiops synth: cannot create output directory ${outdir}: ${(err as Error).message}`);
  }

  io.stderr.write(`gaiops synth: running \`${app}\` → ${outdir}\n`);
  const started = Date.now();
  const code = await run(app, io.cwd, env);
  if (code !== 0) {
    io.stderr.write(`gaiops synth: \`${app}\` failed (exit code ${code})\n`);
    return code;
  }

  const manifest = join(outdir, 'manifest.json');
  let mtime: number | undefined;
  try {
    mtime = statSync(manifest).mtimeMs;
  } catch {
    mtime = undefined;
  }
  // Filesystem timestamps can be coarser than Date.now(): allow a little slack.
  if (mtime === undefined || mtime < started - 2000) {
    io.stderr.write(
      `gaiops synth: \`${app}\` exited 0 but wrote no new ${manifest}; ` +
        'does it call app.synth() and leave App\'s outdir unset (so CDKTF_OUTDIR applies)?\n',
    );
    return EXIT.FAILED;
  }
  io.stderr.write(`gaiops synth: wrote ${manifest}\n`);
  return EXIT.OK;
}

/** `--config`: validate, bundle what is missing, build the GaiPlatform and synthesize, with progress on stderr. */
function synthPlatform(file: string, outdir: string, io: CliIo): number {
  const started = Date.now();
  const step = (what: string) => io.stderr.write(`gaiops synth: [${((Date.now() - started) / 1000).toFixed(1)}s] ${what}\n`);
  step(`validating ${file}`);
  let config: GaiPlatformConfig;
  try {
    config = loadPlatformConfig(file);
  } catch (err) {
    if (err instanceof GaiConfigError) {
      io.stderr.write(`${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
  step('bundling the runtimes that are missing or older than their sources');
  const rebuilt = buildStaleRuntimes();
  step(rebuilt.length > 0 ? `bundled ${rebuilt.join(', ')}` : 'runtimes up to date');
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir });
  step(`building the ${config.preset} platform ${config.settings.prefix}-${config.settings.environment}`);
  let platform: GaiPlatform;
  try {
    platform = new GaiPlatform(app, config.settings.environment, config);
  } catch (err) {
    if (err instanceof GaiConfigError) {
      io.stderr.write(`${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
  const names = platform.orderedStacks.map((s) => s.node.id);
  step(`synthesizing ${names.length} stacks (policy pack included): ${names.join(' → ')}`);
  app.synth();
  step(`wrote ${join(outdir, 'manifest.json')}`);
  return EXIT.OK;
}

/** Runs `command` through the shell with inherited stdio; resolves to its exit code (128 + n when killed by a signal). */
function run(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: 'inherit' });
    child.on('error', (err) => reject(new UsageError(`gaiops synth: cannot start \`${command}\`: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code !== null) resolvePromise(code);
      else resolvePromise(128 + ((signal && constants.signals[signal]) || 1));
    });
  });
}

