import { buildRuntime, loadRuntimeManifest } from '../../src/core/bundling/runtime-artifact';
import { RUNTIMES } from '../../src/runtimes';

/**
 * Runtimes are bundled before the tests, so constructs find fresh artifacts in dist/runtimes. Only
 * missing or stale ones are rebuilt: concurrent test runs then never replace an artifact another
 * run is reading, and an up-to-date checkout starts at once.
 */
export default function setup(): void {
  for (const runtime of RUNTIMES) {
    try {
      loadRuntimeManifest(runtime.name);
    } catch {
      buildRuntime(runtime);
    }
  }
}
