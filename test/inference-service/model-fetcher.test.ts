/**
 * The model fetcher end to end: the real registry app (serveHttp, dynalite, s3rver) with governance
 * gates, artifacts packed and uploaded by the trainer's own code, and the fetcher resolving,
 * checking eligibility, streaming, verifying and unpacking them.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { pack as tarPack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/model-registry/client/registry-client';
import { packArtifacts, uploadArtifact } from '../../src/gpu-training-cluster/runtime/trainer/artifacts';
import { type ModelFetcherConfig, ModelFetcherError, parseModelFetcherConfig } from '../../src/inference-service/runtime/model-fetcher/config';
import { MARKER_FILE, fetchModel } from '../../src/inference-service/runtime/model-fetcher/fetch-model';
import { safeEntryPath } from '../../src/inference-service/runtime/model-fetcher/unpack';
import { main } from '../../src/inference-service/runtime/model-fetcher/main';
import { ALICE, ARTIFACT_BUCKET, BOB, type RegistryFixture, goodLineage, startRegistry, uniqueName } from '../model-registry/runtime/support/registry-fixture';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { gaiopsRoot } from '../../src/core/bundling/package-root';

let r: RegistryFixture;
let alice: RegistryClient;
let bob: RegistryClient;
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

const clientAs = (principal: string) =>
  new RegistryClient({
    baseUrl: r.server.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDFETCHER', secretAccessKey: 'fetcher-secret' },
    headers: { 'x-gaiops-principal': principal },
    baseDelayMs: 5,
    maxDelayMs: 20,
  });

beforeAll(async () => {
  r = await startRegistry();
  alice = clientAs(ALICE);
  bob = clientAs(BOB);
});

afterAll(async () => {
  await r?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Packs `files` with the trainer's archiver, uploads it and registers a version with good lineage. */
async function registerModel(name: string, files: Record<string, string>, options: { approve?: boolean; alias?: string } = {}) {
  const out = tempDir('gaiops-model-out-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(out, path, '..'), { recursive: true });
    writeFileSync(join(out, path), text);
  }
  const packed = await packArtifacts(out, join(tempDir('gaiops-model-tar-'), 'artifact.tar'));
  await uploadArtifact({ s3: r.s3Client, bucket: ARTIFACT_BUCKET, artifact: packed });
  await alice.getRegisteredModel(name).catch(() => alice.createRegisteredModel(name));
  const version = await alice.createModelVersion({ name, source: `sha256:${packed.digest}` });
  await alice.setLineage(name, version.version, goodLineage(packed.digest) as never);
  if (options.approve) await bob.approve(name, version.version, 'fit for serving');
  if (options.alias) await alice.setAlias(name, options.alias, version.version);
  return { version: version.version, digest: packed.digest };
}

function config(overrides: Partial<ModelFetcherConfig> & Pick<ModelFetcherConfig, 'modelName' | 'selector'>): ModelFetcherConfig {
  return { registryUrl: r.server.url, region: 'eu-west-1', modelDir: join(tempDir('gaiops-models-'), 'models'), requireEligible: true, ...overrides };
}

const deps = () => ({ registry: alice, s3: r.s3Client });

describe('model fetcher', () => {
  it('installs the version behind an alias, verified, with a completion marker; a restart with the same artifact downloads nothing', async () => {
    const name = uniqueName('assistant');
    const files = { 'config.json': '{"architectures":["LlamaForCausalLM"]}', 'weights/model-00001.safetensors': 'w'.repeat(70_000), 'tokenizer.json': '{}' };
    const v = await registerModel(name, files, { approve: true, alias: 'production' });
    const c = config({ modelName: name, selector: { kind: 'alias', alias: 'production' } });

    const installed = await fetchModel(c, deps());
    expect(installed).toMatchObject({ name, version: v.version, digest: v.digest, downloaded: true, files: 3 });
    for (const [path, text] of Object.entries(files)) expect(readFileSync(join(c.modelDir, path), 'utf8')).toBe(text);
    expect(readdirSync(c.modelDir).sort()).toEqual([MARKER_FILE, 'config.json', 'tokenizer.json', 'weights']);
    expect(JSON.parse(readFileSync(join(c.modelDir, MARKER_FILE), 'utf8'))).toMatchObject({ name, version: v.version, digest: v.digest, source: `sha256:${v.digest}` });
    expect(statSync(join(c.modelDir, 'config.json')).mode & 0o777).toBe(0o644);

    const again = await fetchModel(c, deps());
    expect(again).toMatchObject({ version: v.version, downloaded: false });
  });

  it('refuses a version that is not eligible (gates or approval unmet) unless eligibility is not required', async () => {
    const name = uniqueName('unapproved');
    const v = await registerModel(name, { 'model.bin': 'x' });
    const c = config({ modelName: name, selector: { kind: 'version', version: v.version } });
    const error = await fetchModel(c, deps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFetcherError);
    expect(error).toMatchObject({ stage: 'governance', exitCode: 4 });
    expect((error as Error).message).toMatch(/not eligible for serving: approval/);

    const relaxed = await fetchModel({ ...c, requireEligible: false }, deps());
    expect(relaxed).toMatchObject({ version: v.version, downloaded: true, files: 1 });
  });

  it('refuses an artifact whose bytes do not match the registered digest and leaves the model directory empty', async () => {
    const name = uniqueName('tampered');
    const v = await registerModel(name, { 'model.bin': 'original weights' }, { approve: true });
    // Someone overwrites the content-addressed object with another valid archive.
    const otherDir = tempDir('gaiops-other-');
    writeFileSync(join(otherDir, 'model.bin'), 'poisoned weights');
    const other = await packArtifacts(otherDir, join(tempDir('gaiops-other-tar-'), 'a.tar'));
    await r.s3Client.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: `artifacts/sha256/${v.digest}`, Body: readFileSync(other.path) }));
    const c = config({ modelName: name, selector: { kind: 'version', version: v.version } });
    // The registry's own governance check re-hashes the stored artifact and withdraws eligibility…
    const refused = await fetchModel(c, deps()).catch((e: unknown) => e);
    expect(refused).toMatchObject({ stage: 'governance', exitCode: 4 });
    expect((refused as Error).message).toMatch(/artifact_digest \(artifact digest check failed/);
    expect(existsSync(c.modelDir)).toBe(false);
    // …and without that check, the fetcher's streaming digest still refuses the bytes.
    const error = await fetchModel({ ...c, requireEligible: false }, deps()).catch((e: unknown) => e);
    expect(error).toMatchObject({ stage: 'artifact', exitCode: 5 });
    expect((error as Error).message).toContain(`digest mismatch: expected sha256:${v.digest}, got sha256:${other.digest}`);
    expect(readdirSync(c.modelDir)).toEqual([]);
  });

  it('refuses archives with links or paths leaving the model directory, before writing outside it', async () => {
    for (const entry of [
      { name: '../escape.txt', type: 'file' as const, body: 'x', expected: /leaves the archive root/ },
      { name: '/etc/passwd', type: 'file' as const, body: 'x', expected: /is absolute/ },
      { name: 'link', type: 'symlink' as const, linkname: '/etc/shadow', expected: /is a symlink; only files and directories/ },
    ]) {
      const tar = tarPack();
      const chunks: Buffer[] = [];
      tar.on('data', (c: Buffer) => chunks.push(c));
      const done = new Promise((resolve) => tar.on('end', resolve));
      tar.entry({ name: 'ok.txt' }, 'fine');
      if (entry.type === 'symlink') tar.entry({ name: entry.name, type: 'symlink', linkname: entry.linkname });
      else tar.entry({ name: entry.name }, entry.body);
      tar.finalize();
      await done;
      const bytes = Buffer.concat(chunks);
      const digest = createHash('sha256').update(bytes).digest('hex');
      await r.s3Client.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: `artifacts/sha256/${digest}`, Body: bytes }));
      const name = uniqueName('evil');
      await alice.createRegisteredModel(name);
      const version = await alice.createModelVersion({ name, source: `sha256:${digest}` });
      const root = tempDir('gaiops-evil-');
      const c = config({ modelName: name, selector: { kind: 'version', version: version.version }, modelDir: join(root, 'models'), requireEligible: false });
      const error = await fetchModel(c, deps()).catch((e: unknown) => e);
      expect(error).toMatchObject({ stage: 'artifact' });
      expect((error as Error).message).toMatch(entry.expected);
      expect(readdirSync(root)).toEqual(['models']);
      expect(readdirSync(c.modelDir)).toEqual([]);
    }
  });

  it('names an unknown alias or model as a registry failure', async () => {
    const name = uniqueName('aliasless');
    await registerModel(name, { 'model.bin': 'x' }, { approve: true });
    const error = await fetchModel(config({ modelName: name, selector: { kind: 'alias', alias: 'canary' } }), deps()).catch((e: unknown) => e);
    expect(error).toMatchObject({ stage: 'registry', exitCode: 3 });
    expect((error as Error).message).toMatch(new RegExp(`could not resolve model "${name}" alias "canary"`));
  });
});

describe('model fetcher configuration and entry point', () => {
  const env = { REGISTRY_API_URL: 'https://registry.example.com/', AWS_REGION: 'eu-west-1', MODEL_NAME: 'assistant', MODEL_ALIAS: 'production' };

  it('parses the environment with explicit defaults', () => {
    expect(parseModelFetcherConfig(env)).toEqual({
      registryUrl: 'https://registry.example.com',
      region: 'eu-west-1',
      modelName: 'assistant',
      selector: { kind: 'alias', alias: 'production' },
      modelDir: '/models',
      requireEligible: true,
    });
    expect(parseModelFetcherConfig({ ...env, MODEL_ALIAS: '', MODEL_VERSION: '7', MODEL_REQUIRE_ELIGIBLE: 'false' })).toMatchObject({ selector: { kind: 'version', version: '7' }, requireEligible: false });
  });

  it('names every bad variable at once', () => {
    const error = (() => {
      try {
        parseModelFetcherConfig({ AWS_REGION: 'moon', MODEL_NAME: 'x', MODEL_VERSION: '0', MODEL_ALIAS: 'Prod', MODEL_DIR: '/' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ModelFetcherError);
    const message = (error as Error).message;
    for (const part of ['REGISTRY_API_URL: is required', 'AWS_REGION: must be an AWS region', 'MODEL_VERSION: must be a positive version number', 'MODEL_ALIAS: must be an alias', 'MODEL_DIR: must be an absolute path other than /']) {
      expect(message).toContain(part);
    }
    expect(() => parseModelFetcherConfig({ ...env, MODEL_VERSION: '3' })).toThrow(/set exactly one of MODEL_VERSION and MODEL_ALIAS/);
  });

  it('main exits 2 with one stderr line on bad configuration', async () => {
    let written = '';
    const stderr = { write: (text: string) => ((written += text), true) } as unknown as NodeJS.WritableStream;
    expect(await main({ AWS_REGION: 'eu-west-1' }, stderr)).toBe(2);
    expect(written.split('\n').filter(Boolean)).toHaveLength(1);
    expect(written).toMatch(/^model fetch failed \[config\]: invalid configuration: REGISTRY_API_URL: is required/);
  });

  it('runs as the built container bundle (tar-stream and the AWS SDK inside): bad configuration exits 2', () => {
    const dir = join(gaiopsRoot(), 'dist', 'runtimes', 'model-fetcher', 'container');
    const result = spawnSync(process.execPath, ['index.js'], { cwd: dir, env: { PATH: process.env.PATH, MODEL_NAME: 'm' }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^model fetch failed \[config\]: invalid configuration: REGISTRY_API_URL: is required; AWS_REGION: is required$/m);
    const map = JSON.parse(readFileSync(join(dir, 'index.js.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => /node_modules\/tar-stream\//.test(source))).toBe(true);
  });

  it('accepts only safe relative entry paths', () => {
    expect(safeEntryPath('weights/a.bin')).toBe('weights/a.bin');
    expect(safeEntryPath('./dir/')).toBe('dir');
    expect(safeEntryPath('a/../b')).toBe('b');
    expect(safeEntryPath('a/../../b')).toEqual({ error: 'leaves the archive root' });
    expect(safeEntryPath('')).toEqual({ error: 'is empty' });
    expect(safeEntryPath('C:/x')).toEqual({ error: 'is absolute' });
  });
});
