import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNTIMES } from '../../src';
import { bundleRuntime } from '../../src/core/bundling/bundle';
import { gaiopsRoot } from '../../src/core/bundling/package-root';

const root = gaiopsRoot();

/** The sources a bundle was built from (its source map's `sources`, relative to the project). */
function bundleSources(entry: string, name: string): string[] {
  const bundle = bundleRuntime({ entry: join(root, entry), projectRoot: root, target: 'lambda', outDir: `dist/runtimes/${name}` });
  const map = JSON.parse(Buffer.from(bundle.files.get('index.js.map') as Uint8Array).toString('utf8')) as { sources: string[] };
  return map.sources.map((s) => s.replace(/^(\.\.\/)+/, ''));
}

/** Modules no runtime may bundle: cdktf and its providers, constructs, and the library's cdktf entry points. */
const CONSTRUCT_MODULE = /(^|\/)node_modules\/(cdktf|@cdktf\/[^/]+|constructs)\/|^src\/core\/(tf|props)\.ts$/;

const lambdas = RUNTIMES.flatMap((r) => ('lambda' in r && r.lambda ? [{ name: r.name, entry: r.lambda.entry }] : []));

describe('Lambda runtime bundles', () => {
  it('covers every Lambda runtime, the training-job API among them', () => {
    expect(lambdas.map((l) => l.name)).toContain('training-job-api');
  });

  it.each(lambdas)('$name bundles no cdktf, provider or constructs module', ({ name, entry }) => {
    const sources = bundleSources(entry, name);
    expect(sources.length).toBeGreaterThan(1);
    expect(sources.filter((s) => CONSTRUCT_MODULE.test(s))).toEqual([]);
  });

  it('recognizes a construct module in a bundle (the check can fail)', () => {
    // The construct side of the sweep imports cdktf: its bundle must trip the check.
    const sources = bundleSources('src/gpu-training-cluster/sweep.ts', 'sweep-check');
    expect(sources.filter((s) => CONSTRUCT_MODULE.test(s)).length).toBeGreaterThan(0);
  });
});
