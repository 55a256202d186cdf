import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { main, type CliIo } from '../../src/cli/main';
import { evaluatePolicies } from '../../src/core/policy/engine';
import { CORE_RULES } from '../../src/core/policy/rules';
import pkg from '../../package.json';

const ROOT = resolve(__dirname, '..', '..');

/** Runs `gaiops <argv>` in-process; collects stdout and stderr. */
async function gaiops(argv: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const tempDirs: string[] = [];
afterEach(() => {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gaiops-cli-test-'));
  tempDirs.push(dir);
  return dir;
}

/** Writes a cdktf.out by hand: manifest.json plus stacks/<name>/cdk.tf.json for each stack. */
function writeOutdir(stacks: Record<string, Record<string, unknown>>, root = tempDir()): string {
  const outdir = join(root, 'cdktf.out');
  const manifest: { version: string; stacks: Record<string, unknown> } = { version: '0.21.0', stacks: {} };
  for (const [name, json] of Object.entries(stacks)) {
    mkdirSync(join(outdir, 'stacks', name), { recursive: true });
    writeFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), JSON.stringify(json, null, 2));
    manifest.stacks[name] = {
      name,
      constructPath: name,
      workingDirectory: `stacks/${name}`,
      synthesizedStackPath: `stacks/${name}/cdk.tf.json`,
      stackMetadataPath: `stacks/${name}/metadata.json`,
      annotations: [],
      dependencies: [],
    };
  }
  writeFileSync(join(outdir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return outdir;
}

function stackJson(resource: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return {
    '//': { metadata: { backend: 'local', stackName: 'test', version: '0.21.0' }, outputs: {} },
    provider: { aws: [{ region: 'eu-west-1' }] },
    resource,
    terraform: { required_providers: { aws: { source: 'aws', version: '6.25.0' } } },
  };
}

/** A bare S3 bucket: no encryption, no public access block, no versioning, no TLS-only policy. */
function bareBucket(suppressions: { ruleId: string; justification: string }[] = []): Record<string, Record<string, unknown>> {
  return {
    aws_s3_bucket: {
      Data_Bucket_ABC123: {
        '//': { metadata: { path: 'data/Data/Bucket', uniqueId: 'Data_Bucket_ABC123' }, gaiops: { suppressions } },
        bucket: 'gaiops-test-data',
      },
    },
  };
}

/** Only a resource type no gaiops rule looks at. */
const COMPLIANT = stackJson({ terraform_data: { Marker: { input: 'hello' } } });

/** Rule ids of unsuppressed error findings CORE_RULES reports for a bare bucket. */
const bareBucketErrorIds = [
  ...new Set(
    evaluatePolicies(stackJson(bareBucket()), CORE_RULES)
      .filter((f) => f.severity === 'error')
      .map((f) => f.ruleId),
  ),
];

describe('gaiops help and version', () => {
  it('--help prints the usage, the commands and the exit codes on stdout', async () => {
    const r = await gaiops(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Usage: gaiops <command>');
    expect(r.stdout).toMatch(/synth\s+run the cdktf app/);
    expect(r.stdout).toMatch(/validate\s+check synthesized stacks/);
    expect(r.stdout).toContain('Exit codes:');
  });

  it('<command> --help and help <command> print the command help', async () => {
    for (const argv of [['validate', '--help'], ['validate', '-h'], ['help', 'validate']]) {
      const r = await gaiops(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: gaiops validate');
      expect(r.stdout).toContain('--json');
      expect(r.stdout).toContain('Exit codes:');
    }
    const synth = await gaiops(['synth', '--help']);
    expect(synth.code).toBe(0);
    expect(synth.stdout).toContain('Usage: gaiops synth');
    expect(synth.stdout).toContain('CDKTF_OUTDIR');
  });

  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await gaiops([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });

  it('an unknown command prints the usage on stderr and exits 2', async () => {
    const r = await gaiops(['deploy']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown command 'deploy'");
    expect(r.stderr).toContain('Usage: gaiops <command>');
  });

  it('no command prints the usage on stderr and exits 2', async () => {
    const r = await gaiops([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: gaiops <command>');
  });

  it('an unknown option exits 2 and names the command', async () => {
    const r = await gaiops(['validate', '--nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gaiops validate:');
    expect(r.stderr).toContain('--nope');
  });
});

describe('gaiops validate', () => {
  it('a bare S3 bucket violates error rules of the policy pack (fixture sanity)', () => {
    expect(bareBucketErrorIds).toContain('GAI-S3-001');
  });

  it('exits 1 and names the rule when a stack has an unsuppressed error', async () => {
    const dir = writeOutdir({ data: stackJson(bareBucket()), app: COMPLIANT });
    const r = await gaiops(['validate', '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error\s+GAI-S3-001\s+aws_s3_bucket\.Data_Bucket_ABC123/); // versioning off
    for (const id of bareBucketErrorIds) expect(r.stdout).toContain(id);
    expect(r.stdout).toContain('aws_s3_bucket.Data_Bucket_ABC123');
    expect(r.stdout).toContain('data/Data/Bucket');
    expect(r.stdout).toContain('fix: ');
    expect(r.stdout).toMatch(/app \(.*\): no findings/);
    expect(r.stdout).toMatch(/^FAILED: \d+ errors?, /m);
  });

  it('exits 0 on a compliant app', async () => {
    const dir = writeOutdir({ app: COMPLIANT });
    const r = await gaiops(['validate', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('passed: 0 errors, 0 warnings, 0 suppressed in 1 stack');
  });

  it('exits 0 when every violation is suppressed, and shows why', async () => {
    const all = [...new Set(evaluatePolicies(stackJson(bareBucket()), CORE_RULES).map((f) => f.ruleId))];
    const because = 'test fixture: this bucket stands in for an externally managed one';
    const dir = writeOutdir({ data: stackJson(bareBucket(all.map((ruleId) => ({ ruleId, justification: because })))) });
    const r = await gaiops(['validate', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('suppressed because: ' + because);
    expect(r.stdout).toMatch(/^passed: 0 errors, 0 warnings, [1-9]\d* suppressed/m);
  });

  it('--json prints one parseable document with stacks and summary', async () => {
    const dir = writeOutdir({ data: stackJson(bareBucket()), app: COMPLIANT });
    const r = await gaiops(['validate', '--dir', dir, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      stacks: { name: string; findings: { ruleId: string; severity: string; address: string }[] }[];
      summary: { errors: number; warnings: number; suppressed: number };
    };
    expect(doc.stacks.map((s) => s.name)).toEqual(['data', 'app']);
    expect(doc.stacks[1].findings).toEqual([]);
    const ids = doc.stacks[0].findings.map((f) => f.ruleId);
    for (const id of bareBucketErrorIds) expect(ids).toContain(id);
    expect(doc.summary.errors).toBe(doc.stacks[0].findings.filter((f) => f.severity === 'error').length);
    expect(doc.summary.errors).toBeGreaterThan(0);
    expect(doc.summary.suppressed).toBe(0);
    expect(typeof doc.summary.warnings).toBe('number');
  });

  it('--stack limits validation to the named stack', async () => {
    const dir = writeOutdir({ data: stackJson(bareBucket()), app: COMPLIANT });
    const r = await gaiops(['validate', '--dir', dir, '--stack', 'app', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { stacks: { name: string }[]; summary: { errors: number } };
    expect(doc.stacks.map((s) => s.name)).toEqual(['app']);
    expect(doc.summary.errors).toBe(0);
  });

  it('an unknown --stack exits 2 and lists the stacks', async () => {
    const dir = writeOutdir({ data: stackJson(bareBucket()), app: COMPLIANT });
    const r = await gaiops(['validate', '--dir', dir, '--stack', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no stack "nope"');
    expect(r.stderr).toContain('stacks: data, app');
  });

  it('a missing output directory exits 2 with a clear message', async () => {
    const missing = join(tempDir(), 'does-not-exist');
    const r = await gaiops(['validate', '--dir', missing, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no manifest at ${join(missing, 'manifest.json')}`);
    expect(r.stderr).toContain('gaiops synth');
  });

  it('defaults --dir to cdktf.json "output" in the working directory', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'cdktf.json'), JSON.stringify({ app: 'true', output: 'cdktf.out' }));
    writeOutdir({ app: COMPLIANT }, root);
    const r = await gaiops(['validate'], root);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('in 1 stack');
  });

  it('invalid JSON in a stack file exits 2 and names the file', async () => {
    const dir = writeOutdir({ app: COMPLIANT });
    const file = join(dir, 'stacks', 'app', 'cdk.tf.json');
    writeFileSync(file, '{ not json');
    const r = await gaiops(['validate', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('not valid JSON');
  });
});

describe('gaiops synth', () => {
  it('runs the app with CDKTF_OUTDIR set and passes its failure code through', async () => {
    const root = tempDir();
    const app = `node -e "require('fs').writeFileSync(process.env.CDKTF_OUTDIR + '/manifest.json', '{}')"`;
    const ok = await gaiops(['synth', '--output', 'out/nested', '--app', app], root);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`wrote ${join(root, 'out', 'nested', 'manifest.json')}`);
    const silent = await gaiops(['synth', '--output', 'elsewhere', '--app', 'true'], root);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toContain('wrote no new');
    const failing = await gaiops(['synth', '--app', 'exit 3'], root);
    expect(failing.code).toBe(3);
  });

  it('exits 2 without an app command', async () => {
    const r = await gaiops(['synth'], tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no --app given and no cdktf.json');
  });
});

describe('bin/gaiops.js', () => {
  it('node bin/gaiops.js --help prints the usage and exits 0; validate runs the policy pack', () => {
    const bin = join(ROOT, 'bin', 'gaiops.js');
    const help = spawnSync(process.execPath, [bin, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: gaiops <command>');

    // The rules load lazily: check that path works outside vitest's module loader too.
    const dir = writeOutdir({ data: stackJson(bareBucket()) });
    const validate = spawnSync(process.execPath, [bin, 'validate', '--dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(validate.stderr).toBe('');
    expect(validate.status).toBe(1);
    expect(validate.stdout).toContain('GAI-S3-001');
  });
});
