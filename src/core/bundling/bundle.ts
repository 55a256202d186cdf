import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { GaiError } from '../errors';

export type BundleTarget = 'lambda' | 'container';

export interface BundleOptions {
  /** Absolute path of the TypeScript (or JavaScript) entry point. */
  readonly entry: string;
  /**
   * The project root: esbuild's working directory and the base of every path recorded in the
   * bundle and its source map, so two checkouts of one commit produce identical bytes.
   */
  readonly projectRoot: string;
  /** `lambda`: `@aws-sdk/*` left external (the nodejs22.x runtime provides it). `container`: everything bundled. */
  readonly target: BundleTarget;
  /**
   * Where the bundle nominally lives, relative to `projectRoot` (source-map paths are relative to
   * it). Nothing is written there.
   */
  readonly outDir: string;
}

export interface Bundle {
  /** `index.js` and `index.js.map`. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Source files of the project (outside node_modules) that went into the bundle, with their sha256. */
  readonly inputs: readonly { path: string; sha256: string }[];
}

/**
 * Bundles a runtime with esbuild: platform node, target node22, CommonJS, minified, linked source
 * map with sources relative to the project, `@aws-sdk/*` external for Lambda. Deterministic: the
 * same sources give the same bytes wherever the project is checked out.
 */
export function bundleRuntime(options: BundleOptions): Bundle {
  if (!isAbsolute(options.entry) || !isAbsolute(options.projectRoot)) {
    throw new GaiError('gaiops:bundling:relative-path', 'entry and projectRoot must be absolute paths');
  }
  // esbuild is needed only when bundling (build time, or fromEntry at synth), so it is loaded lazily.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  let result: import('esbuild').BuildResult<{ write: false; metafile: true }>;
  try {
    result = esbuild.buildSync({
      entryPoints: [options.entry],
      absWorkingDir: options.projectRoot,
      outfile: join(options.projectRoot, options.outDir, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      sourcemap: 'linked',
      sourcesContent: true,
      legalComments: 'eof',
      charset: 'utf8',
      mainFields: ['module', 'main'],
      external: options.target === 'lambda' ? ['@aws-sdk/*'] : [],
      define: { 'process.env.NODE_ENV': '"production"' },
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
  } catch (error) {
    throw new GaiError('gaiops:bundling:failed', `bundling ${relative(options.projectRoot, options.entry)} failed: ${(error as Error).message}`);
  }
  const files = new Map<string, Uint8Array>();
  for (const out of result.outputFiles) {
    const name = relative(join(options.projectRoot, options.outDir), out.path).split(sep).join('/');
    files.set(name, out.contents);
  }
  const leaked = [...files.entries()].find(([, bytes]) => Buffer.from(bytes).includes(options.projectRoot));
  if (leaked) {
    throw new GaiError('gaiops:bundling:absolute-path', `${leaked[0]} contains the absolute project path; bundles must be location-independent`);
  }
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => !p.split('/').includes('node_modules'))
    .sort()
    .map((p) => ({ path: p, sha256: createHash('sha256').update(readFileSync(join(options.projectRoot, p))).digest('hex') }));
  return { files, inputs };
}
