import { buildStaleRuntimes } from '../../src/core/bundling/runtime-artifact';

/**
 * Runtimes are bundled before the tests, so constructs find fresh artifacts in dist/runtimes. Only
 * missing or stale ones are rebuilt: concurrent test runs then never replace an artifact another
 * run is reading, and an up-to-date checkout starts at once.
 */
export default function setup(): void {
  buildStaleRuntimes();
}
