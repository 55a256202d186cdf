import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gaiopsRoot } from '../src/core/bundling/package-root';

const root = gaiopsRoot();
const PROVIDER_ROOT = /(?:from\s+|require\(\s*|import\(\s*)['"](@cdktf\/provider-[a-z0-9-]+)(?:\/lib)?\/?['"]/g;
const CDKTF_CORE = /(?:from\s+|require\(\s*|import\(\s*)['"]cdktf['"]/;

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(name)) out.push(path);
  }
  return out;
}

// This file names root imports on purpose (to test the pattern), so it is not scanned.
const files = ['src', 'stacks', 'examples', 'bench', 'scripts', 'test'].flatMap((d) => sourceFiles(join(root, d))).filter((f) => f !== __filename);

describe('imports', () => {
  it('never imports a provider package root (deep imports only)', () => {
    const offenders = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(PROVIDER_ROOT)].map((m) => `${relative(root, f)}: ${m[1]}`));
    expect(offenders).toEqual([]);
  });

  it('detects a root import when there is one', () => {
    expect("import { S3Bucket } from '@cdktf/provider-aws';").toMatch(PROVIDER_ROOT);
    expect('const aws = require("@cdktf/provider-aws/lib");').toMatch(PROVIDER_ROOT);
    expect("import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';").not.toMatch(PROVIDER_ROOT);
  });

  it('imports cdktf core only through src/core/tf.ts (and the deliberately plain bench baseline)', () => {
    const allowed = new Set(['src/core/tf.ts', 'bench/minimal-app.ts']);
    const offenders = files.map((f) => relative(root, f)).filter((f) => !allowed.has(f) && CDKTF_CORE.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
