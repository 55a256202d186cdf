/** `gaiops diagram`: a Mermaid flowchart of a synthesized app (stacks, constructs, services, flows). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { buildAppDiagram } from '../diagram/app-diagram';
import { renderMarkdown, renderMermaid } from '../diagram/mermaid';
import { EXIT, UsageError, parseCommandArgs, type CliIo } from '../args';
import { dependencyOrder, readSynthesizedStacks, resolveOutdir } from '../outdir';

export const DIAGRAM_HELP = `Usage: gaiops diagram [--dir <dir>] [--stack <name>]... [--out <file>]

Draws the synthesized app as a Mermaid flowchart (flowchart LR): every stack as a subgraph in
dependency order, the gaiops constructs in it (top-level construct ids, with their kind where
recognizable: FeatureStore, ModelRegistry, GpuTrainingCluster, InferenceService, …) and their main
services (API Gateway, Lambda, DynamoDB, S3, EKS, Helm releases, …), the stack dependencies of
the manifest, and the lifecycle flows (features → training → registry → inference → monitoring)
between the constructs that exist, drawn solid where a reference in the JSON links them and
dotted "(inferred)" where only their stages do. Reads <dir>/manifest.json and every stack's
cdk.tf.json. Run 'gaiops synth' first.

Options:
  --dir <dir>       synthesized output directory (default: "output" of ./cdktf.json, else cdktf.out)
  --stack <name>    only this stack; repeat for several (default: every stack)
  --out <file>      write a Markdown file with a \`\`\`mermaid block (default: the Mermaid source on stdout)
  -h, --help        show this help

Exit codes:
  0  the diagram was printed or written
  2  usage error, unreadable input (missing or invalid manifest.json / cdk.tf.json), or --out not writable`;

/** Runs `gaiops diagram`; usage errors and unreadable input are reported on stderr with exit 2 (also when called directly). */
export async function diagramCommand(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return runDiagram(argv, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`${err.message}\n`);
    return EXIT.USAGE;
  }
}

function runDiagram(argv: readonly string[], io: CliIo): number {
  const { values } = parseCommandArgs('diagram', argv, {
    dir: { type: 'string', short: 'd' },
    stack: { type: 'string', multiple: true },
    out: { type: 'string', short: 'o' },
  });
  if (values.help) {
    io.stdout.write(`${DIAGRAM_HELP}\n`);
    return EXIT.OK;
  }
  const dir = resolveOutdir(io, values.dir);
  const stacks = dependencyOrder(readSynthesizedStacks(dir, 'diagram', values.stack ?? []), 'diagram');
  const diagram = buildAppDiagram(stacks.map((s) => ({ name: s.name, constructPath: s.constructPath, dependencies: s.dependencies, json: s.json })));
  if (values.out === undefined) {
    io.stdout.write(renderMermaid(diagram));
    return EXIT.OK;
  }
  const file = resolve(io.cwd, values.out);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, renderMarkdown(diagram));
  } catch (err) {
    throw new UsageError(`gaiops diagram: cannot write ${file}: ${(err as Error).message}`);
  }
  io.stderr.write(`wrote ${file}\n`);
  return EXIT.OK;
}
