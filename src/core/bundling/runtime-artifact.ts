import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RUNTIMES, type RuntimeDefinition } from '../../runtimes';
import { GaiError } from '../errors';
import { bundleRuntime } from './bundle';
import { contentHash, sha256Base64, sha256Hex } from './content-hash';
import { deterministicZip } from './deterministic-zip';
import { gaiopsRoot } from './package-root';

/** `dist/runtimes/<name>/manifest.json`: what was built, from what. */
export interface RuntimeManifest {
  readonly name: string;
  /** Project sources that went into the artifacts (node_modules excluded), with their sha256. */
  readonly inputs: readonly { path: string; sha256: string }[];
  readonly lambda?: {
    /** Zip file name, beside the manifest: `<name>-<first 16 hex of sha256>.zip`. */
    readonly zip: string;
    /** sha256 of the zip, hex. */
    readonly sha256: string;
    /** sha256 of the zip, base64 (Terraform `filebase64sha256`, Lambda `source_code_hash`). */
    readonly sha256Base64: string;
    readonly bytes: number;
  };
  readonly container?: {
    /** Build-context directory, beside the manifest. */
    readonly dir: string;
    /** Content hash of the build context (Dockerfile + bundle), hex. */
    readonly hash: string;
    /** Image tag derived from the hash. */
    readonly tag: string;
  };
}

/** Where the artifacts of a runtime live. */
export function runtimeDir(name: string, root = gaiopsRoot()): string {
  return join(root, 'dist', 'runtimes', name);
}

/** Bundles one runtime into `dist/runtimes/<name>/` (replacing what was there) and returns its manifest. */
export function buildRuntime(def: RuntimeDefinition, root = gaiopsRoot(), target = runtimeDir(def.name, root)): RuntimeManifest {
  // Built beside the target and swapped in at the end, so a concurrent synth never reads a half-written artifact.
  const outRoot = `${target}.building-${process.pid}`;
  rmSync(outRoot, { recursive: true, force: true });
  mkdirSync(outRoot, { recursive: true });
  const inputs = new Map<string, string>();
  let lambda: RuntimeManifest['lambda'];
  let container: RuntimeManifest['container'];

  if (def.lambda) {
    const bundle = bundleRuntime({ entry: join(root, def.lambda.entry), projectRoot: root, target: 'lambda', outDir: `dist/runtimes/${def.name}/lambda` });
    bundle.inputs.forEach((i) => inputs.set(i.path, i.sha256));
    const zip = deterministicZip(bundle.files);
    const sha256 = sha256Hex(zip);
    const file = `${def.name}-${sha256.slice(0, 16)}.zip`;
    writeFileSync(join(outRoot, file), zip);
    lambda = { zip: file, sha256, sha256Base64: sha256Base64(zip), bytes: zip.byteLength };
  }

  if (def.container) {
    const bundle = bundleRuntime({ entry: join(root, def.container.entry), projectRoot: root, target: 'container', outDir: `dist/runtimes/${def.name}/container` });
    bundle.inputs.forEach((i) => inputs.set(i.path, i.sha256));
    const dockerfile = readFileSync(join(root, def.container.dockerfile));
    inputs.set(def.container.dockerfile, sha256Hex(dockerfile));
    const files = new Map(bundle.files);
    files.set('Dockerfile', dockerfile);
    const dir = join(outRoot, 'container');
    for (const [name, bytes] of files) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
    const hash = contentHash(files);
    container = { dir: 'container', hash, tag: `sha256-${hash.slice(0, 32)}` };
  }

  const manifest: RuntimeManifest = {
    name: def.name,
    inputs: [...inputs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([path, sha256]) => ({ path, sha256 })),
    ...(lambda ? { lambda } : {}),
    ...(container ? { container } : {}),
  };
  writeFileSync(join(outRoot, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(outRoot, target);
  return manifest;
}

/** Bundles every runtime in the catalogue. */
export function buildAllRuntimes(root = gaiopsRoot()): RuntimeManifest[] {
  return RUNTIMES.map((def) => buildRuntime(def, root));
}

/**
 * Builds only the runtimes whose artifact is missing or older than its sources (what
 * `loadRuntimeManifest` refuses), and returns their names. An up-to-date artifact is never
 * replaced, so a concurrent reader (another test run, a synth) never sees it half-written.
 */
export function buildStaleRuntimes(root = gaiopsRoot()): string[] {
  const stale = RUNTIMES.filter((def) => {
    try {
      loadRuntimeManifest(def.name, root);
      return false;
    } catch {
      return true;
    }
  });
  for (const def of stale) buildRuntime(def, root);
  return stale.map((def) => def.name);
}

/**
 * Reads a prebuilt runtime's manifest. In a source checkout (the inputs exist) it also checks that
 * no input changed since the build, so a synth never ships a stale bundle.
 */
export function loadRuntimeManifest(name: string, root = gaiopsRoot()): RuntimeManifest {
  const file = join(runtimeDir(name, root), 'manifest.json');
  if (!existsSync(file)) {
    const known = RUNTIMES.map((r) => r.name).join(', ');
    throw new GaiError(
      'gaiops:runtime:not-built',
      RUNTIMES.some((r) => r.name === name)
        ? `runtime ${name} is not built (${file} is missing): run \`npm run build:runtimes\``
        : `unknown runtime ${name}; known runtimes: ${known}`,
    );
  }
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as RuntimeManifest;
  const changed = manifest.inputs.filter((i) => {
    const source = join(root, i.path);
    return existsSync(source) && createHash('sha256').update(readFileSync(source)).digest('hex') !== i.sha256;
  });
  if (changed.length > 0) {
    throw new GaiError(
      'gaiops:runtime:stale',
      `runtime ${name} was built from older sources (${changed.map((c) => c.path).join(', ')} changed): run \`npm run build:runtimes\``,
    );
  }
  return manifest;
}
