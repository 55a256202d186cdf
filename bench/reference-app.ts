/**
 * The reference app for `npm run bench`: the full gaiops reference platform from stacks/main.ts.
 *
 * Standalone: `tsx bench/reference-app.ts [outdir]` (else `CDKTF_OUTDIR`, else a fresh temp dir).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildReferenceApp } from '../stacks/main';

/** Builds and synthesizes the reference app into `outdir`. */
export function run(outdir: string): void {
  buildReferenceApp({ outdir }).synth();
}

if (require.main === module) {
  const outdir = process.argv[2] ?? process.env.CDKTF_OUTDIR ?? mkdtempSync(join(tmpdir(), 'gaiops-bench-reference-'));
  run(outdir);
  process.stdout.write(`synthesized reference app into ${outdir}\n`);
}
