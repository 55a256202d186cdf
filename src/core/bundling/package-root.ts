import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest directory at or above `from` holding a package.json (optionally with a given name). */
export function findPackageRoot(from: string, name?: string): string | undefined {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      if (!name) return dir;
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
      } catch {
        // not a readable package.json: keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The gaiops package root (where `dist/runtimes` lives), whether running from `src/` or compiled `lib/`. */
export function gaiopsRoot(): string {
  const root = findPackageRoot(__dirname, 'gaiops');
  if (!root) throw new Error(`gaiops: cannot find the gaiops package root above ${__dirname}`);
  return root;
}
