import { buildAllRuntimes } from '../../src/core/bundling/runtime-artifact';

/** Runtimes are bundled once per test run, so constructs find fresh artifacts in dist/runtimes. */
export default function setup(): void {
  buildAllRuntimes();
}
