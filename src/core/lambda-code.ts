import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { bundleRuntime } from './bundling/bundle';
import { sha256Base64, sha256Hex } from './bundling/content-hash';
import { deterministicZip } from './bundling/deterministic-zip';
import { findPackageRoot } from './bundling/package-root';
import { loadRuntimeManifest, runtimeDir } from './bundling/runtime-artifact';
import { GaiError } from './errors';
import type { RuntimeName } from '../runtimes';

/** A Lambda deployment package: a deterministic zip and its hashes. */
export class LambdaCode {
  /**
   * A runtime gaiops ships, prebuilt by `npm run build:runtimes` (shipped in the package): synth
   * only reads the zip, so it needs neither TypeScript sources nor esbuild.
   */
  static fromRuntime(name: RuntimeName): LambdaCode {
    const manifest = loadRuntimeManifest(name);
    if (!manifest.lambda) throw new GaiError('gaiops:runtime:no-lambda', `runtime ${name} has no Lambda form`);
    return new LambdaCode(join(runtimeDir(name), manifest.lambda.zip), manifest.lambda.sha256, manifest.lambda.sha256Base64);
  }

  /**
   * Your own handler, bundled now with the same settings gaiops uses for its runtimes (esbuild,
   * node22, `@aws-sdk/*` external, deterministic zip). The zip is written under
   * `<your package root>/.gaiops-bundle/`. Needs esbuild installed.
   */
  static fromEntry(entry: string): LambdaCode {
    if (!existsSync(entry)) throw new GaiError('gaiops:bundling:entry-missing', `Lambda entry ${entry} does not exist`);
    const projectRoot = findPackageRoot(dirname(entry));
    if (!projectRoot) throw new GaiError('gaiops:bundling:no-package', `no package.json above ${entry}`);
    const name = basename(entry, extname(entry));
    const bundle = bundleRuntime({ entry, projectRoot, target: 'lambda', outDir: `.gaiops-bundle/${name}` });
    const zip = deterministicZip(bundle.files);
    const sha256 = sha256Hex(zip);
    const file = join(projectRoot, '.gaiops-bundle', `${name}-${sha256.slice(0, 16)}.zip`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, zip);
    return new LambdaCode(file, sha256, sha256Base64(zip));
  }

  private constructor(
    /** Absolute path of the zip. */
    readonly zipPath: string,
    /** sha256 of the zip, hex: names the artifact. */
    readonly sha256: string,
    /** sha256 of the zip, base64: Lambda `source_code_hash`. */
    readonly sha256Base64: string,
  ) {}
}
