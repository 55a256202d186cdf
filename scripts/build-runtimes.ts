/**
 * `npm run build:runtimes`: bundles every runtime in src/runtimes.ts into dist/runtimes/<name>/.
 * Runs before synth and tests, and as part of `npm run build`, so a published package ships
 * prebuilt runtimes and a consumer's synth needs neither TypeScript sources nor esbuild.
 */
import { buildAllRuntimes, buildStaleRuntimes, loadRuntimeManifest } from '../src/core/bundling/runtime-artifact';
import { RUNTIMES } from '../src/runtimes';

// `--if-stale` (used by `npm run synth`): rebuild only what is missing or older than its sources.
const started = performance.now();
const manifests = process.argv.includes('--if-stale')
  ? (buildStaleRuntimes(), RUNTIMES.map((r) => loadRuntimeManifest(r.name)))
  : buildAllRuntimes();
for (const m of manifests) {
  const parts = [
    m.lambda ? `lambda ${m.lambda.zip} (${(m.lambda.bytes / 1024).toFixed(1)} KiB)` : undefined,
    m.container ? `container ${m.container.tag}` : undefined,
  ].filter(Boolean);
  console.log(`runtime ${m.name}: ${parts.join(', ')}`);
}
console.log(`built ${manifests.length} runtime(s) in ${Math.round(performance.now() - started)} ms`);
