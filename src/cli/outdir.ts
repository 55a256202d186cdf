/**
 * Reading a synthesized cdktf output directory (`cdktf.out/`): its `manifest.json`, the stacks it
 * lists and their `cdk.tf.json`. Shared by `gaiops validate`, `gaiops cost` and `gaiops diagram`;
 * every problem is a {@link UsageError} (exit 2) naming the command and the file.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

import { UsageError, defaultOutdir, type CliIo } from './args';

/** One stack of the manifest. */
export interface ManifestStack {
  readonly name: string;
  /** Construct path of the stack (`data`, or `dev/dev-data` under a parent construct); the prefix of its resources' metadata paths. */
  readonly constructPath: string;
  /** Absolute path of the stack's cdk.tf.json. */
  readonly file: string;
  /** Absolute path of the stack's working directory (where its relative asset paths resolve). */
  readonly workingDirectory: string;
  /**
   * Names of the stacks this one depends on, in manifest order. The manifest lists construct paths
   * (`dev/dev-data`); they are mapped to stack names here (unknown entries are kept as they are).
   */
  readonly dependencies: readonly string[];
}

/** A synthesized stack: its manifest entry and its parsed cdk.tf.json. */
export interface SynthesizedStack extends ManifestStack {
  readonly json: Record<string, unknown>;
}

/** `--dir` resolved against the working directory, defaulting like `cdktf` (`output` of cdktf.json, else cdktf.out). */
export function resolveOutdir(io: CliIo, dir: string | undefined): string {
  return resolve(io.cwd, dir ?? defaultOutdir(io.cwd));
}

/** The stacks of `<dir>/manifest.json`, in manifest order. */
export function readManifest(dir: string, command: string): ManifestStack[] {
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `gaiops ${command}: no manifest at ${file} — run 'gaiops synth' (or 'npm run synth') first, or pass --dir <dir>`
        : `gaiops ${command}: cannot read ${file}: ${(err as Error).message}`,
    );
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`gaiops ${command}: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const stacks = (manifest as { stacks?: unknown } | null)?.stacks;
  if (stacks === null || typeof stacks !== 'object' || Array.isArray(stacks)) {
    throw new UsageError(`gaiops ${command}: ${file} has no "stacks" object — is it a cdktf manifest?`);
  }
  const entries = Object.entries(stacks as Record<string, unknown>).map(([key, entry]) => {
    const e = (entry ?? {}) as { name?: unknown; constructPath?: unknown; synthesizedStackPath?: unknown; workingDirectory?: unknown; dependencies?: unknown };
    if (typeof e.synthesizedStackPath !== 'string' || e.synthesizedStackPath === '') {
      throw new UsageError(`gaiops ${command}: stack "${key}" in ${file} has no "synthesizedStackPath"`);
    }
    const stackFile = isAbsolute(e.synthesizedStackPath) ? e.synthesizedStackPath : join(dir, e.synthesizedStackPath);
    const workDir =
      typeof e.workingDirectory === 'string' && e.workingDirectory !== ''
        ? isAbsolute(e.workingDirectory)
          ? e.workingDirectory
          : join(dir, e.workingDirectory)
        : join(stackFile, '..');
    const deps = e.dependencies === undefined ? [] : e.dependencies;
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) {
      throw new UsageError(`gaiops ${command}: stack "${key}" in ${file} has invalid "dependencies" (expected a list of stack names)`);
    }
    const name = typeof e.name === 'string' ? e.name : key;
    const constructPath = typeof e.constructPath === 'string' && e.constructPath !== '' ? e.constructPath : name;
    return { key, stack: { name, constructPath, file: stackFile, workingDirectory: workDir, dependencies: deps as string[] } };
  });
  const nameOf = new Map<string, string>();
  for (const { key, stack } of entries) for (const alias of [key, stack.name, stack.constructPath]) if (!nameOf.has(alias)) nameOf.set(alias, stack.name);
  return entries.map(({ stack }) => ({ ...stack, dependencies: stack.dependencies.map((d) => nameOf.get(d) ?? d) }));
}

/** The stacks named in `wanted` (all when empty); an unknown name is a {@link UsageError} listing the stacks. */
export function selectStacks<T extends ManifestStack>(stacks: readonly T[], wanted: readonly string[], dir: string, command: string): T[] {
  if (wanted.length === 0) return [...stacks];
  const unknown = wanted.filter((w) => !stacks.some((s) => s.name === w));
  if (unknown.length > 0) {
    const available = stacks.map((s) => s.name).join(', ') || '(none)';
    throw new UsageError(
      `gaiops ${command}: no stack ${unknown.map((u) => `"${u}"`).join(', ')} in ${join(dir, 'manifest.json')}; stacks: ${available}`,
    );
  }
  return stacks.filter((s) => wanted.includes(s.name));
}

/** A stack's cdk.tf.json as an object. */
export function readStackJson(file: string, name: string, command: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`gaiops ${command}: cannot read stack "${name}" at ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`gaiops ${command}: stack "${name}" at ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(`gaiops ${command}: stack "${name}" at ${file} is not a JSON object`);
  }
  return json as Record<string, unknown>;
}

/** Every stack of the manifest (or the `wanted` ones) with its parsed cdk.tf.json. */
export function readSynthesizedStacks(dir: string, command: string, wanted: readonly string[] = []): SynthesizedStack[] {
  const stacks = selectStacks(readManifest(dir, command), wanted, dir, command);
  return stacks.map((s) => ({ ...s, json: readStackJson(s.file, s.name, command) }));
}

/**
 * The stacks in dependency order: a depth-first walk in manifest order that places every stack
 * after the stacks it depends on (so one environment's layers stay together). Dependencies on
 * stacks not in the list are ignored; a cycle is a {@link UsageError}.
 */
export function dependencyOrder<T extends ManifestStack>(stacks: readonly T[], command: string): T[] {
  const byName = new Map(stacks.map((s) => [s.name, s]));
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const out: T[] = [];
  const visit = (s: T): void => {
    if (placed.has(s.name)) return;
    if (visiting.has(s.name)) throw new UsageError(`gaiops ${command}: the manifest's stack dependencies form a cycle through "${s.name}"`);
    visiting.add(s.name);
    for (const dep of s.dependencies) {
      const target = byName.get(dep);
      if (target) visit(target);
    }
    visiting.delete(s.name);
    placed.add(s.name);
    out.push(s);
  };
  for (const s of stacks) visit(s);
  return out;
}

/** One resource (or data source) of a cdk.tf.json. */
export interface StackResource {
  /** Resource or data source type (`aws_s3_bucket`). */
  readonly type: string;
  readonly name: string;
  /** Terraform address: `type.name`, or `data.type.name` for data sources. */
  readonly address: string;
  readonly mode: 'managed' | 'data';
  /** Construct path from `//.metadata.path` (`stack/Construct/Child`), or undefined. */
  readonly path: string | undefined;
  readonly config: Record<string, unknown>;
}

/** The managed resources and data sources of a stack JSON, in file order. */
export function stackResources(json: Record<string, unknown>): StackResource[] {
  const out: StackResource[] = [];
  for (const mode of ['managed', 'data'] as const) {
    const block = json[mode === 'managed' ? 'resource' : 'data'];
    if (block === null || typeof block !== 'object') continue;
    for (const [type, byName] of Object.entries(block as Record<string, unknown>)) {
      if (byName === null || typeof byName !== 'object') continue;
      for (const [name, config] of Object.entries(byName as Record<string, unknown>)) {
        const c = (config !== null && typeof config === 'object' ? config : {}) as Record<string, unknown>;
        const meta = (c['//'] as { metadata?: { path?: unknown } } | undefined)?.metadata;
        out.push({
          type,
          name,
          address: mode === 'managed' ? `${type}.${name}` : `data.${type}.${name}`,
          mode,
          path: typeof meta?.path === 'string' ? meta.path : undefined,
          config: c,
        });
      }
    }
  }
  return out;
}
