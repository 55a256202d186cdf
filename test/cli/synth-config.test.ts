import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main, type CliIo } from '../../src/cli/main';

const dir = mkdtempSync(join(tmpdir(), 'gaiops-synth-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function gaiops(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir };
  return { code: await main(argv, io), stdout, stderr };
}

const CONFIG = {
  preset: 'dev',
  settings: { prefix: 'demo', environment: 'try', region: 'us-east-1', owner: 'ml', costCenter: 'cc-1' },
  cluster: { adminRoleArns: ['arn:aws:iam::111122223333:role/Admin'], gpuPools: [{ name: 'gpu', gpuLimit: 2 }] },
  data: { featureGroups: [{ name: 'users', entityKeys: [{ name: 'user_id', type: 'string' }], eventTimeColumn: 'ts', features: [{ name: 'score', type: 'float' }] }] },
  teams: [{ name: 'science', gpuQuota: 2 }],
  observability: { monitoringCluster: false },
};

describe('gaiops synth --config', () => {
  it('synthesizes a platform from a YAML config, reporting each step', async () => {
    const file = join(dir, 'platform.yaml');
    writeFileSync(file, stringify(CONFIG));
    const out = join(dir, 'out');
    const r = await gaiops(['synth', '--config', 'platform.yaml', '--output', 'out']);
    expect(r.stderr).toMatch(/validating .*platform\.yaml/);
    expect(r.stderr).toMatch(/building the dev platform demo-try/);
    expect(r.stderr).toMatch(/synthesizing 5 stacks \(policy pack included\): try-data → try-cluster → try-addons → try-workloads → try-observability/);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.stacks).sort()).toEqual(['try-addons', 'try-cluster', 'try-data', 'try-observability', 'try-workloads']);
    expect(existsSync(join(out, 'stacks/try-data/cdk.tf.json'))).toBe(true);
    // validate reads what synth wrote.
    const v = await gaiops(['validate', '--dir', 'out', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).summary.errors).toBe(0);
  });

  it('lists every config problem with the file and field, exit 2', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...CONFIG, preset: 'qa', teams: [{ name: 'science' }] }));
    const r = await gaiops(['synth', '--config', file, '--output', join(dir, 'bad-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: preset: `);
    expect(r.stderr).toContain(`${file}: teams[0].gpuQuota: is required`);
    expect(existsSync(join(dir, 'bad-out', 'manifest.json'))).toBe(false);
  });

  it('takes --out as the issue and the other commands spell it', async () => {
    const file = join(dir, 'out-alias.yaml');
    writeFileSync(file, stringify(CONFIG));
    const r = await gaiops(['synth', '--config', 'out-alias.yaml', '--out', 'out-alias']);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'out-alias', 'manifest.json'))).toBe(true);
    const both = await gaiops(['synth', '--config', 'out-alias.yaml', '--out', 'a', '--output', 'b']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --output or --out, not both');
  });

  it('refuses --config together with --app', async () => {
    const r = await gaiops(['synth', '--config', 'x.yaml', '--app', 'node app.js']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--config and --app exclude each other');
  });
});
