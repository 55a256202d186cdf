import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStaleRuntimes } from '../../src/core/bundling/runtime-artifact';

/**
 * Runtimes are bundled before the tests, so constructs find fresh artifacts in dist/runtimes. Only
 * missing or stale ones are rebuilt: concurrent test runs then never replace an artifact another
 * run is reading, and an up-to-date checkout starts at once.
 *
 * The run gets its own temp directory (TMPDIR, inherited by the test workers and the processes they
 * start), removed at the end: synth output directories, promtool rule files and bundles that tests
 * create and do not clean up one by one (~380 directories per run) do not pile up in /tmp.
 */
export default function setup(): () => void {
  buildStaleRuntimes();
  const dir = mkdtempSync(join(tmpdir(), 'gaiops-vitest-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
