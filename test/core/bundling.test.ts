import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRuntime, contentHash, deterministicZip, GaiError, LambdaCode, loadRuntimeManifest, RUNTIMES } from '../../src';
import { gaiopsRoot } from '../../src/core/bundling/package-root';

const root = gaiopsRoot();
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gaiops-bundle-'));
  temps.push(dir);
  return dir;
}

/** A second checkout of the project at another absolute path: sources plus the packages the Lambda bundle uses. */
function checkout(): string {
  const dir = temp();
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) cpSync(join(root, f), join(dir, f));
  for (const pkg of ['zod', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/commons', '@aws/lambda-invoke-store']) {
    cpSync(join(root, 'node_modules', pkg), join(dir, 'node_modules', pkg), { recursive: true });
  }
  return dir;
}

const digest = RUNTIMES.find((r) => r.name === 'object-digest')!;

describe('runtime bundling', () => {
  it('gives byte-identical Lambda zips and the same hash from two checkouts at different paths', () => {
    const [a, b] = [checkout(), checkout()];
    const lambdaOnly = { name: digest.name, lambda: digest.lambda };
    const ma = buildRuntime(lambdaOnly, a);
    const mb = buildRuntime(lambdaOnly, b);
    expect(ma.lambda!.sha256).toBe(mb.lambda!.sha256);
    const za = readFileSync(join(a, 'dist/runtimes/object-digest', ma.lambda!.zip));
    const zb = readFileSync(join(b, 'dist/runtimes/object-digest', mb.lambda!.zip));
    expect(Buffer.compare(za, zb)).toBe(0);
    expect(za.includes(a)).toBe(false);
    expect(ma.inputs).toEqual(mb.inputs);
    // …and the same bytes as the artifact built in this checkout.
    expect(ma.lambda!.sha256).toBe(loadRuntimeManifest('object-digest').lambda!.sha256);
  });

  it('zips deterministically: sorted entries, fixed DOS timestamp, regular-file mode', () => {
    const zip = readFileSync(join(root, 'dist/runtimes/object-digest', loadRuntimeManifest('object-digest').lambda!.zip));
    const entries = unzipSync(zip);
    expect(Object.keys(entries)).toEqual(['index.js', 'index.js.map']);
    const js = Buffer.from(entries['index.js']).toString('utf8');
    expect(js).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
    expect(js).not.toContain('node_modules/@aws-sdk');
    expect(js).toContain('@aws-sdk/client-s3'); // left external: the nodejs22.x runtime provides it
    const map = JSON.parse(Buffer.from(entries['index.js.map']).toString('utf8'));
    expect(map.sources.every((s: string) => !s.startsWith('/'))).toBe(true);
    // Central directory: DOS time 0, date 1980-01-01 (0x0021) for every entry, whatever the time zone.
    const view = Buffer.from(zip);
    let offset = view.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    let seen = 0;
    while (offset >= 0) {
      expect(view.readUInt16LE(offset + 12)).toBe(0);
      expect(view.readUInt16LE(offset + 14)).toBe(0x0021);
      expect(view.readUInt32LE(offset + 38) >>> 16).toBe(0o100644);
      seen++;
      offset = view.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), offset + 4);
    }
    expect(seen).toBe(2);
    const again = deterministicZip(new Map([['index.js.map', entries['index.js.map']], ['index.js', entries['index.js']]]));
    expect(Buffer.compare(Buffer.from(again), view)).toBe(0);
  });

  it('hashes content, not names order or location', () => {
    const files = new Map([
      ['b.js', new TextEncoder().encode('b')],
      ['a.js', new TextEncoder().encode('a')],
    ]);
    const reordered = new Map([...files.entries()].reverse());
    expect(contentHash(files)).toBe(contentHash(reordered));
    expect(contentHash(new Map([['a.js', files.get('b.js')!], ['b.js', files.get('a.js')!]]))).not.toBe(contentHash(files));
  });

  it('refuses a stale artifact after a source changed, naming the file', () => {
    const dir = checkout();
    buildRuntime({ name: digest.name, lambda: digest.lambda }, dir);
    const source = join(dir, 'src/core/object-digest/runtime/digest.ts');
    writeFileSync(source, `${readFileSync(source, 'utf8')}\n// changed\n`);
    expect(() => loadRuntimeManifest('object-digest', dir)).toThrow(/gaiops:runtime:stale.*src\/core\/object-digest\/runtime\/digest\.ts/);
    expect(() => loadRuntimeManifest('nope', dir)).toThrow(/unknown runtime nope/);
  });

  it('bundles a user entry with LambdaCode.fromEntry, reproducibly', () => {
    const dir = temp();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-handlers', version: '1.0.0' }));
    mkdirSync(join(dir, 'handlers'));
    const entry = join(dir, 'handlers', 'hello.ts');
    writeFileSync(entry, "import { S3Client } from '@aws-sdk/client-s3';\nexport const handler = async (e: { name: string }) => ({ hello: e.name, sdk: typeof S3Client });\n");
    const first = LambdaCode.fromEntry(entry);
    const second = LambdaCode.fromEntry(entry);
    expect(first.sha256).toBe(second.sha256);
    expect(first.zipPath.startsWith(join(dir, '.gaiops-bundle'))).toBe(true);
    const js = Buffer.from(unzipSync(readFileSync(first.zipPath))['index.js']).toString('utf8');
    expect(js).toContain('require("@aws-sdk/client-s3")');
    expect(() => LambdaCode.fromEntry(join(dir, 'missing.ts'))).toThrow(GaiError);
  });
});
