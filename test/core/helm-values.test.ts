import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { SecureBucket, EncryptionKey } from '../../src';
import { escapeHclString } from '../../src/core/helm/values';
import { PinnedHelmRelease } from '../../src/core/helm/pinned-chart';
import { buildReferenceApp } from '../../stacks/main';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { platformStack, synth } from '../support/synth';

/** Parses `${expr}` (a Terraform JSON template holding one expression) with the real HCL parser. */
async function parseExpression(template: string): Promise<unknown> {
  expect(template.startsWith('${') && template.endsWith('}')).toBe(true);
  const hcl = `locals {\n  v = ${template.slice(2, -1)}\n}\n`;
  return parse('values.tf', hcl);
}

const CHART = { chart: 'demo', repository: 'https://charts.example.com', version: '1.2.3', appVersion: '1.2.3', valueKeys: ['a', 'b', 'c', 'd', 'e', 'f'], source: 'test' } as const;

describe('helm values', () => {
  it('escapes quotes, backslashes, newlines and template sequences, keeping tokens', async () => {
    expect(escapeHclString('alertname = "Watchdog"')).toBe('alertname = \\"Watchdog\\"');
    expect(escapeHclString('a\\d+\n${x} %{if}')).toBe('a\\\\d+\\n$${x} %%{if}');
    expect(escapeHclString('arn:${TfToken[TOKEN.7]}/x"')).toBe('arn:${TfToken[TOKEN.7]}/x\\"');

    const stack = platformStack();
    const key = new EncryptionKey(stack, 'Key');
    const bucket = new SecureBucket(stack, 'Bucket', { encryptionKey: key });
    new PinnedHelmRelease(stack, 'Release', {
      provider: ClusterProviders.configure(stack, TEST_CLUSTER).helm,
      name: 'demo',
      namespace: 'demo',
      chart: { ...CHART, valueKeys: [...CHART.valueKeys] },
      values: { a: 'alertname = "Watchdog"', b: ['^\\d+$', 'line1\nline2'], c: { d: '${not-interpolated}', e: bucket.bucketArn }, f: 3 },
    });
    const release = Object.values(synth(stack).resource.helm_release)[0] as { values: string[] };
    const parsed = (await parseExpression(release.values[0])) as { locals: { v: string }[] };
    // The parser accepted it; the bucket reference is still an interpolation of the bucket resource.
    expect(parsed.locals[0].v).toContain('aws_s3_bucket.');
    expect(release.values[0]).toContain('\\"Watchdog\\"');
    expect(release.values[0]).toContain('$${not-interpolated}');
  });

  it('every helm_release of the reference deployment has values the HCL parser accepts', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'gaiops-helm-values-'));
    try {
      buildReferenceApp({ outdir, platforms: ['dev'] }).synth();
      let checked = 0;
      for (const stack of ['dev-addons', 'dev-workloads', 'dev-observability']) {
        const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
        for (const [name, release] of Object.entries(json.resource.helm_release ?? {}) as [string, { values?: string[] }][]) {
          for (const v of release.values ?? []) {
            if (!v.startsWith('${')) continue;
            await expect(parseExpression(v), `${stack} ${name}`).resolves.toBeDefined();
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(8);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
