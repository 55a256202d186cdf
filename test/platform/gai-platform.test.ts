import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { App, GaiPlatform, loadPlatformConfig, parsePlatformConfig, platformConfigJsonSchema, type GaiPlatformConfigInput } from '../../src';
import { gaiopsRoot } from '../../src/core/bundling/package-root';
import { PLATFORM_SCHEMA_FILE } from '../../scripts/props-docs';
import { configError } from '../support/config-error';

const dir = mkdtempSync(join(tmpdir(), 'gaiops-platform-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small platform: no inference, no access stack. */
const MINIMAL: GaiPlatformConfigInput = {
  preset: 'dev',
  settings: { prefix: 'acme', environment: 'sbx', region: 'eu-central-1', owner: 'ml-team', costCenter: 'cc-9' },
  cluster: { adminRoleArns: ['arn:aws:iam::111122223333:role/Admin'], gpuPools: [{ name: 'gpu', gpuLimit: 4 }] },
  data: {
    featureGroups: [
      { name: 'users', entityKeys: [{ name: 'user_id', type: 'string' }], eventTimeColumn: 'ts', features: [{ name: 'score', type: 'float' }] },
    ],
  },
  teams: [{ name: 'science', gpuQuota: 4 }],
};

describe('platform config', () => {
  it('fills the preset defaults and keeps explicit fields', () => {
    const c = parsePlatformConfig(MINIMAL);
    expect(c.state).toEqual({ backend: 'local', directory: 'terraform.state' });
    expect(c.inference).toEqual([]);
    expect(c.access).toBeUndefined();
    expect(c.settings.ephemeral).toBeUndefined();
  });

  it('reports every problem at once with its field path', () => {
    const err = configError(() =>
      parsePlatformConfig(
        {
          ...MINIMAL,
          preset: 'staging',
          cluster: { adminRoleArns: [], gpuPools: [{ name: 'gpu', gpuLimit: 4 }] },
          inference: [
            { name: 'chat', variants: [{ name: 'a', model: { name: 'm', alias: 'production' }, pool: 'nope', weight: 1 }] },
            { name: 'chat', variants: [{ name: 'a', model: { name: 'm', alias: 'production' }, pool: 'gpu', weight: 1 }] },
          ],
          observability: { gpuBudget: { monthlyLimitUsd: 10, nodePoolNames: ['other'] } },
          extra: true,
        },
        'platform.yaml',
      ),
    );
    const fields = err.problems.map((p) => `${p.constructPath}: ${p.fieldPath}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        'platform.yaml: preset',
        'platform.yaml: cluster.adminRoleArns',
        'platform.yaml: inference[0].variants[0].pool',
        'platform.yaml: inference[1].name',
        'platform.yaml: observability.gpuBudget.nodePoolNames[0]',
        'platform.yaml: <props>',
      ]),
    );
    expect(err.message).toContain('platform.yaml: inference[0].variants[0].pool: unknown GPU pool "nope" (cluster.gpuPools: gpu)');
  });

  it('loads YAML and JSON files, naming the file in errors', () => {
    const yamlFile = join(dir, 'platform.yaml');
    writeFileSync(yamlFile, `# yaml-language-server: $schema=../schemas/gaiops-platform.schema.json\n${stringify(MINIMAL)}`);
    expect(loadPlatformConfig(yamlFile).settings.prefix).toBe('acme');
    const jsonFile = join(dir, 'platform.json');
    writeFileSync(jsonFile, JSON.stringify(MINIMAL));
    expect(loadPlatformConfig(jsonFile).teams[0].name).toBe('science');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ ...MINIMAL, teams: [{ name: 'Science!', gpuQuota: -1 }] }));
    const err = configError(() => loadPlatformConfig(bad));
    expect(err.problems.map((p) => `${p.constructPath}: ${p.fieldPath}`)).toEqual([`${bad}: teams[0].name`, `${bad}: teams[0].gpuQuota`]);

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'preset: [dev\n');
    expect(configError(() => loadPlatformConfig(broken)).message).toContain(`${broken}: (file): is not valid YAML`);
    expect(configError(() => loadPlatformConfig(join(dir, 'missing.yaml'))).message).toContain('cannot be read');
    const txt = join(dir, 'platform.txt');
    writeFileSync(txt, '{}');
    expect(configError(() => loadPlatformConfig(txt)).message).toContain('must end in .yaml, .yml or .json');
  });

  it('exports its JSON Schema for editors, committed in schemas/', () => {
    const schema = platformConfigJsonSchema() as { required: string[]; properties: Record<string, { enum?: string[] }> };
    expect([...schema.required].sort()).toEqual(['cluster', 'data', 'preset', 'settings', 'teams']);
    expect(schema.properties.preset.enum).toEqual(['dev', 'prod']);
    const committed = JSON.parse(readFileSync(join(gaiopsRoot(), PLATFORM_SCHEMA_FILE), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(schema)));
  });
});

describe('GaiPlatform', () => {
  it('builds the layers without inference or access, with the config validated against the platform path', () => {
    const app = new App({ outdir: join(dir, 'minimal') });
    const platform = new GaiPlatform(app, 'sbx', MINIMAL);
    expect(platform.orderedStacks.map((s) => s.node.id)).toEqual(['sbx-data', 'sbx-cluster', 'sbx-addons', 'sbx-workloads', 'sbx-observability']);
    expect(platform.teamAccess).toBeUndefined();
    app.synth();
    const manifest = JSON.parse(readFileSync(join(dir, 'minimal', 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.stacks).sort()).toEqual(['sbx-addons', 'sbx-cluster', 'sbx-data', 'sbx-observability', 'sbx-workloads']);
    const workloads = JSON.parse(readFileSync(join(dir, 'minimal', 'stacks/sbx-workloads/cdk.tf.json'), 'utf8'));
    expect(workloads.resource.aws_ecr_repository).toBeUndefined();
    expect(workloads.resource.kubernetes_deployment_v1).toBeUndefined();

    const err = configError(() => new GaiPlatform(new App({ outdir: join(dir, 'bad') }), 'x', { ...MINIMAL, teams: [] }));
    expect(err.message).toContain('x: teams: ');
  });

  it('lets explicit fields override the preset', () => {
    const app = new App({ outdir: join(dir, 'override') });
    const platform = new GaiPlatform(app, 'p', {
      ...MINIMAL,
      preset: 'prod',
      settings: { ...MINIMAL.settings, ephemeral: true, logRetentionDays: 90 },
      network: { natGateways: 'single', azCount: 2 },
      observability: { thresholds: { apiLatencyP99Ms: 900 }, monitoringCluster: false },
      state: { backend: 'local', directory: 'state/prod' },
    });
    expect(platform.settings).toMatchObject({ ephemeral: true, logRetentionDays: 90 });
    app.synth();
    const read = (stack: string) => JSON.parse(readFileSync(join(dir, 'override', `stacks/sbx-${stack}/cdk.tf.json`), 'utf8'));
    expect(Object.keys(read('cluster').resource.aws_nat_gateway)).toHaveLength(1);
    expect(read('data').terraform.backend.local.path).toBe('../../../state/prod/sbx-data.tfstate');
    const obs = read('observability');
    expect(obs.resource.helm_release).toBeUndefined();
    const latency = (Object.values(obs.resource.aws_cloudwatch_metric_alarm) as any[]).filter((a) => a.extended_statistic === 'p99');
    for (const a of latency) expect(a.threshold).toBe(900);
    // The rest of the preset stays: prod's one-minute periods.
    expect(new Set((Object.values(obs.resource.aws_cloudwatch_metric_alarm) as any[]).filter((a) => a.namespace === 'AWS/Lambda').map((a) => a.period))).toEqual(new Set([60]));
  });
});
