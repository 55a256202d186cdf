/** The `gaiops` command: `main()` is called by bin/gaiops.js and, in-process, by tests. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { EXIT, EXIT_CODES_HELP, UsageError, type CliIo } from './args';
import { COST_HELP, costCommand } from './commands/cost';
import { DEV_HELP, devCommand } from './commands/dev';
import { DIAGRAM_HELP, diagramCommand } from './commands/diagram';
import { PLAN_GUARD_HELP, planGuardCommand } from './commands/plan-guard';
import { SYNTH_HELP, synthCommand } from './commands/synth';
import { VALIDATE_HELP, validateCommand } from './commands/validate';

export type { CliIo } from './args';
export { EXIT } from './args';

interface Command {
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  synth: { summary: 'run the cdktf app, writing cdktf.out/ (manifest + stacks)', help: SYNTH_HELP, run: synthCommand },
  validate: { summary: 'check synthesized stacks against the gaiops policy rules', help: VALIDATE_HELP, run: validateCommand },
  'plan-guard': { summary: 'fail a Terraform plan that destroys, replaces or weakens a stateful resource', help: PLAN_GUARD_HELP, run: planGuardCommand },
  cost: { summary: 'estimate monthly on-demand cost per stack (dated list prices)', help: COST_HELP, run: costCommand },
  diagram: { summary: 'draw stacks, constructs and data flows as a Mermaid flowchart', help: DIAGRAM_HELP, run: diagramCommand },
  dev: { summary: 'run the local playground (registry, features, gateway) on 127.0.0.1', help: DEV_HELP, run: (argv, io) => devCommand(argv, io) },
};

export const MAIN_HELP = `Usage: gaiops <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`)
  .join('\n')}

Options:
  -h, --help     show this help ('gaiops <command> --help' for a command's options)
  -v, --version  print the gaiops version

Typical use:
  gaiops synth && gaiops validate

${EXIT_CODES_HELP}`;

/**
 * Runs the `gaiops` command line (`argv` without node and script) and returns the exit code.
 * Never calls `process.exit`; all output goes to `io`, except the app that `synth` runs, whose
 * output goes to the process's own stdout/stderr.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      io.stderr.write(`${MAIN_HELP}\n`);
      return EXIT.USAGE;
    }
    if (first === '--help' || first === '-h') {
      io.stdout.write(`${MAIN_HELP}\n`);
      return EXIT.OK;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`${version()}\n`);
      return EXIT.OK;
    }
    if (first === 'help') {
      const topic = rest[0];
      if (topic === undefined) {
        io.stdout.write(`${MAIN_HELP}\n`);
        return EXIT.OK;
      }
      const command = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
      if (!command) throw new UsageError(`gaiops: unknown command '${topic}'\n\n${MAIN_HELP}`);
      io.stdout.write(`${command.help}\n`);
      return EXIT.OK;
    }
    const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (!command) {
      const what = first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`;
      throw new UsageError(`gaiops: ${what}\n\n${MAIN_HELP}`);
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
}

/** The version in gaiops's package.json (found upwards from this file: works from src/ and from lib/src/). */
export function version(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gaiops' && typeof pkg.version === 'string') return pkg.version;
    }
    if (dirname(dir) === dir) return '0.0.0-unknown';
  }
}
