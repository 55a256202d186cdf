import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliIo } from '../../src/cli/args';
import { COST_HELP, costCommand } from '../../src/cli/commands/cost';
import { estimateCost, parseChartTemplates, type CostLine, type CostReport } from '../../src/cli/cost/estimate';
import { FAMILY_REPRESENTATIVE, HOURS_PER_MONTH, INSTANCE_SPECS, PRICE_TABLE, PRICE_TABLE_DATE } from '../../src/cli/cost/prices';
import { buildReferenceApp } from '../../stacks/main';

const temp: string[] = [];
afterAll(() => {
  for (const d of temp.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gaiops-cost-test-'));
  temp.push(d);
  return d;
}

async function cost(argv: string[], cwd = tempDir()): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd };
  const code = await costCommand(argv, io);
  return { code, stdout, stderr };
}

/** Files of a local chart by stack, written under stacks/<stack>/assets/<dir>/templates. */
type Charts = Record<string, { dir: string; templates: Record<string, string> }>;

/** A hand-written cdktf.out: manifest + stacks/<name>/cdk.tf.json (+ chart templates). */
function writeOutdir(stacks: Record<string, Record<string, unknown>>, charts: Charts = {}): string {
  const outdir = join(tempDir(), 'cdktf.out');
  const manifest: { version: string; stacks: Record<string, unknown> } = { version: '0.21.0', stacks: {} };
  for (const [name, json] of Object.entries(stacks)) {
    mkdirSync(join(outdir, 'stacks', name), { recursive: true });
    writeFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), JSON.stringify(json));
    manifest.stacks[name] = { name, workingDirectory: `stacks/${name}`, synthesizedStackPath: `stacks/${name}/cdk.tf.json`, dependencies: [] };
    const chart = charts[name];
    if (chart) {
      const dir = join(outdir, 'stacks', name, chart.dir, 'templates');
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(chart.templates)) writeFileSync(join(dir, file), text);
    }
  }
  writeFileSync(join(outdir, 'manifest.json'), JSON.stringify(manifest));
  return outdir;
}

const meta = (path: string) => ({ '//': { metadata: { path } } });

function stack(region: string, resource: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return { provider: { aws: [{ region }] }, resource };
}

const NODE_POOL = `apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: gpu-a10g
spec:
  template:
    spec:
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: gpu-a10g
      requirements:
        - key: karpenter.k8s.aws/instance-family
          operator: In
          values: [g5]
        - key: karpenter.sh/capacity-type
          operator: In
          values: [on-demand]
  limits:
    nvidia.com/gpu: 4
`;

const NODE_CLASS = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: gpu-a10g
spec:
  role: {{ required "gaiops: the nodeRoleName value is required" .Values.nodeRoleName | quote }}
  blockDeviceMappings:
    - deviceName: /dev/xvda
      rootVolume: true
      ebs:
        volumeSize: 200Gi
        volumeType: gp3
        iops: 3000
        throughput: 250
`;

/** Every priced kind once, in us-east-1. */
const PLATFORM = stack('us-east-1', {
  aws_eks_cluster: { Cluster: { ...meta('platform/Training/Resource'), name: 'c', upgrade_policy: { support_type: 'STANDARD' } } },
  aws_launch_template: {
    Lt: { ...meta('platform/Training/SystemLaunchTemplate'), block_device_mappings: [{ device_name: '/dev/xvda', ebs: { volume_size: 50, volume_type: 'gp3' } }] },
  },
  aws_eks_node_group: {
    System: {
      ...meta('platform/Training/SystemNodeGroup'),
      node_group_name: 'system',
      instance_types: ['m7g.large'],
      scaling_config: { min_size: 2, desired_size: 2, max_size: 3 },
      launch_template: { id: '${aws_launch_template.Lt.id}', version: '${aws_launch_template.Lt.latest_version}' },
    },
  },
  aws_nat_gateway: { Nat: { ...meta('platform/Network/Nat1') } },
  aws_eip: { Ip: { ...meta('platform/Network/NatIp1') } },
  aws_vpc_endpoint: {
    Sts: { ...meta('platform/Network/Sts'), vpc_endpoint_type: 'Interface', subnet_ids: ['${aws_subnet.A.id}', '${aws_subnet.B.id}', '${aws_subnet.C.id}'] },
    S3: { ...meta('platform/Network/S3'), vpc_endpoint_type: 'Gateway' },
  },
  aws_kms_key: { K1: { ...meta('platform/K1/Resource') }, K2: { ...meta('platform/K2/Resource') } },
  aws_secretsmanager_secret: { S: { ...meta('platform/Features/PiiKey') } },
  aws_cloudwatch_metric_alarm: {
    Single: { ...meta('platform/Alarms/a'), metric_name: 'Errors', period: 300 },
    Math: {
      ...meta('platform/Alarms/b'),
      metric_query: [
        { id: 'e', metric: { metric_name: '5xx', period: 300 } },
        { id: 'r', metric: { metric_name: 'Count', period: 300 } },
        { id: 'p', expression: '100 * e / r' },
      ],
    },
  },
  aws_fsx_lustre_file_system: {
    Fs: { ...meta('platform/Storage/FileSystem'), deployment_type: 'PERSISTENT_2', storage_type: 'SSD', storage_capacity: 1200, per_unit_storage_throughput: 125 },
  },
  aws_dynamodb_table: { T: { ...meta('platform/Table/Resource'), billing_mode: 'PAY_PER_REQUEST' } },
  aws_s3_bucket: { B: { ...meta('platform/Bucket/Resource') } },
  aws_lambda_function: { F: { ...meta('platform/Fn/Resource') } },
  aws_apigatewayv2_api: { Api: { ...meta('platform/Api/Resource') } },
  aws_budgets_budget: { Budget: { ...meta('platform/Alarms/GpuBudget') } },
  helm_release: { Pools: { ...meta('platform/NodePools/Release'), name: 'gaiops-node-pools', chart: './assets/NodePools_Chart/abc' } },
});
const PLATFORM_CHART: Charts = { platform: { dir: 'assets/NodePools_Chart/abc', templates: { 'ec2nodeclass-gpu-a10g.yaml': NODE_CLASS, 'nodepool-gpu-a10g.yaml': NODE_POOL } } };

function line(report: CostReport, stackName: string, kind: string): CostLine {
  const found = report.stacks.find((s) => s.name === stackName)?.lines.filter((l) => l.kind === kind) ?? [];
  if (found.length !== 1) throw new Error(`expected one "${kind}" line in ${stackName}, found ${found.length}`);
  return found[0];
}

describe('gaiops cost on a hand-written app (exact figures, us-east-1)', () => {
  it('prices every kind from the table at 730 hours a month', async () => {
    const r = await cost(['--dir', writeOutdir({ platform: PLATFORM }, PLATFORM_CHART), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CostReport;
    expect(report.priceTableDate).toBe(PRICE_TABLE_DATE);
    expect(report.hoursPerMonth).toBe(730);
    expect(report.regions).toEqual(['us-east-1']);
    const figures = (kind: string) => {
      const l = line(report, 'platform', kind);
      return [l.count, l.unitPrice, l.monthlyMin, l.monthlyMax];
    };
    expect(figures('EKS control plane (standard support)')).toEqual([1, 0.1, 73, 73]);
    expect(figures('EKS node group system (m7g.large)')).toEqual([3, 0.0816, 119.14, 178.7]);
    expect(figures('EBS root volumes, node group system')).toEqual([3, 4, 8, 12]);
    expect(figures('NAT gateways')).toEqual([1, 0.045, 32.85, 32.85]);
    expect(figures('Public IPv4 addresses (Elastic IPs)')).toEqual([1, 0.005, 3.65, 3.65]);
    expect(figures('VPC interface endpoints (endpoint-AZs)')).toEqual([3, 0.01, 21.9, 21.9]);
    expect(figures('VPC gateway endpoints')).toEqual([1, 0, 0, 0]);
    expect(figures('KMS customer-managed keys')).toEqual([2, 1, 2, 2]);
    expect(figures('Secrets Manager secrets')).toEqual([1, 0.4, 0.4, 0.4]);
    // One single-metric alarm + one metric-math alarm over two metrics = three alarm metrics.
    expect(figures('CloudWatch alarms (standard resolution)')).toEqual([2, 0.1, 0.3, 0.3]);
    expect(figures('FSx for Lustre PERSISTENT_2 SSD 125 MB/s/TiB')).toEqual([1, 148.48, 174, 174]);
    // Karpenter pool: 0 nodes at min, 4 GPUs × g5.xlarge (1 A10G) at the limit.
    expect(figures('Karpenter pool gpu-a10g (g5)')).toEqual([4, 1.006, 0, 2937.52]);
    // 200 GiB gp3 ($16) + 125 MiB/s above the baseline ($5) per node, 4 nodes at the limit.
    expect(figures('EBS root volumes, Karpenter pool gpu-a10g')).toEqual([4, 21, 0, 84]);
    expect(figures('AWS Budgets')).toEqual([1, 0, 0, 0]);
    const platform = report.stacks[0];
    expect(platform.monthlyMin).toBe(435.24);
    expect(platform.monthlyMax).toBe(3520.32);
    expect(report.total).toEqual({ monthlyMin: 435.24, monthlyMax: 3520.32 });
  });

  it('shows usage-based services as rows without a number', async () => {
    const r = await cost(['--dir', writeOutdir({ platform: PLATFORM }, PLATFORM_CHART), '--json']);
    const report = JSON.parse(r.stdout) as CostReport;
    for (const kind of [
      'DynamoDB tables (on-demand requests, storage)',
      'S3 buckets (storage, requests, transfer)',
      'Lambda functions (requests, GB-seconds)',
      'API Gateway HTTP APIs (requests)',
    ]) {
      const l = line(report, 'platform', kind);
      expect(l.basis).toBe('usage-based');
      expect(l.count).toBe(1);
      expect([l.unitPrice, l.monthlyMin, l.monthlyMax]).toEqual([null, null, null]);
    }
    expect(report.excluded.usageBased).toBe(4);
  });

  it('prints the header, a table per stack and the totals', async () => {
    const r = await cost(['--dir', writeOutdir({ platform: PLATFORM }, PLATFORM_CHART)]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`ESTIMATE — on-demand list prices as of ${PRICE_TABLE_DATE}, region us-east-1; excludes usage-based charges, taxes, discounts`);
    expect(r.stdout).toMatch(/^platform \(us-east-1\)$/m);
    expect(r.stdout).toMatch(/KIND\s+COUNT\s+UNIT PRICE\s+MONTHLY MIN\s+MONTHLY MAX\s+NOTE/);
    expect(r.stdout).toMatch(/EKS control plane \(standard support\)\s+1\s+\$0\.10\/cluster-hour\s+\$73\.00\s+\$73\.00/);
    expect(r.stdout).toMatch(/Karpenter pool gpu-a10g \(g5\)\s+4\s+\$1\.006\/GPU-hour\s+\$0\.00\s+\$2,937\.52\s+g5\.xlarge \(A10G\)/);
    expect(r.stdout).toMatch(/S3 buckets \(storage, requests, transfer\)\s+1\s+usage-based, not estimated/);
    expect(r.stdout).toMatch(/NAT gateways.*data processing per GB not included/);
    expect(r.stdout).toMatch(/^\s+total\s+\$435\.24\s+\$3,520\.32$/m);
    expect(r.stdout).toContain('TOTAL (1 stack): $435.24 per month at min, $3,520.32 at max');
  });

  it('--region prices the stacks in another region', async () => {
    const r = await cost(['--dir', writeOutdir({ platform: PLATFORM }, PLATFORM_CHART), '--json', '--region', 'eu-central-1']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CostReport;
    expect(report.regions).toEqual(['eu-central-1']);
    expect(line(report, 'platform', 'NAT gateways').monthlyMax).toBe(37.96); // 0.052 × 730
    expect(line(report, 'platform', 'Karpenter pool gpu-a10g (g5)').monthlyMax).toBe(3673.36); // 4 × 1.258 × 730
  });

  it('shows what the table has no price for as "unpriced", never a number', () => {
    const report = estimateCost([{ name: 'p', json: PLATFORM, charts: { 'helm_release.Pools': [NODE_CLASS, NODE_POOL.replace('values: [g5]', 'values: [p5]')] } }], { region: 'eu-west-1' });
    const fsx = line(report, 'p', 'FSx for Lustre PERSISTENT_2 SSD 125 MB/s/TiB');
    expect(fsx.basis).toBe('unpriced');
    expect([fsx.monthlyMin, fsx.monthlyMax]).toEqual([null, null]);
    const pool = line(report, 'p', 'Karpenter pool gpu-a10g (p5)');
    expect(pool).toMatchObject({ basis: 'unpriced', count: 4, monthlyMin: null, monthlyMax: null });
    expect(pool.note).toContain('no recorded price');
    expect(report.excluded.unpriced).toBe(2);
  });

  it('prices spot-capable node groups at the on-demand ceiling and unknown instance types as unpriced', () => {
    const json = stack('us-east-1', {
      aws_eks_node_group: {
        A: { node_group_name: 'a', instance_types: ['g5.xlarge', 'g4dn.xlarge'], capacity_type: 'SPOT', scaling_config: { min_size: 0, max_size: 2 } },
        B: { node_group_name: 'b', instance_types: ['x9z.huge'], scaling_config: { min_size: 1, max_size: 1 } },
      },
    });
    const report = estimateCost([{ name: 's', json }]);
    const a = line(report, 's', 'EKS node group a (g5.xlarge)');
    expect([a.monthlyMin, a.monthlyMax, a.basis]).toEqual([0, 1468.76, 'scaling']);
    expect(a.note).toContain('SPOT');
    expect(a.note).toContain('first of g5.xlarge, g4dn.xlarge');
    expect(line(report, 's', 'EKS node group b (x9z.huge)').basis).toBe('unpriced');
  });

  it('reports a pool without limits as unbounded at max', () => {
    const pool = NODE_POOL.replace(/ {2}limits:\n {4}nvidia.com\/gpu: 4\n/, '');
    expect(pool).not.toContain('limits');
    const report = estimateCost([{ name: 'p', json: stack('us-east-1', { helm_release: { Pools: { chart: './c' } } }), charts: { 'helm_release.Pools': [pool] } }]);
    const l = line(report, 'p', 'Karpenter pool gpu-a10g (g5)');
    expect([l.monthlyMin, l.monthlyMax, l.basis]).toEqual([0, null, 'scaling']);
    expect(l.note).toContain('no limit: unbounded');
    expect(report.stacks[0].monthlyMax).toBeNull();
    expect(report.total).toEqual({ monthlyMin: 0, monthlyMax: null });
  });
});

describe('gaiops cost errors', () => {
  it('an unknown --region exits 2 and lists the priced regions', async () => {
    const r = await cost(['--dir', writeOutdir({ platform: PLATFORM }), '--region', 'mars-north-1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no prices recorded for region "mars-north-1"');
    expect(r.stderr).toContain('eu-central-1, eu-west-1, us-east-1');
  });

  it('a stack in a region the table does not cover exits 2 unless --region is given', async () => {
    const dir = writeOutdir({ platform: stack('ap-south-1', { aws_nat_gateway: { Nat: {} } }) });
    const r = await cost(['--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stack "platform" is in region "ap-south-1"');
    expect(r.stderr).toContain('--region');
    const priced = await cost(['--dir', dir, '--region', 'us-east-1', '--json']);
    expect(priced.code).toBe(0);
    expect((JSON.parse(priced.stdout) as CostReport).total.monthlyMin).toBe(32.85);
  });

  it('a provider region that is an expression needs --region', async () => {
    const dir = writeOutdir({ platform: { provider: { aws: [{ region: '${var.region}' }] }, resource: { aws_kms_key: { K: {} } } } });
    const r = await cost(['--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stack "platform" has no literal AWS provider region; pass --region');
    const ok = await cost(['--dir', dir, '--region', 'eu-west-1']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/KMS customer-managed keys\s+1\s+\$1\.00\/key-month\s+\$1\.00\s+\$1\.00/);
  });

  it('a missing manifest or invalid stack JSON exits 2', async () => {
    const missing = join(tempDir(), 'nowhere');
    const r = await cost(['--dir', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`gaiops cost: no manifest at ${join(missing, 'manifest.json')}`);
    const dir = writeOutdir({ platform: PLATFORM });
    writeFileSync(join(dir, 'stacks', 'platform', 'cdk.tf.json'), '{ nope');
    const bad = await cost(['--dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not valid JSON');
  });

  it('--help prints the usage and exit codes; an unknown option exits 2', async () => {
    const help = await cost(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(`${COST_HELP}\n`);
    expect(COST_HELP).toContain('Usage: gaiops cost');
    expect(COST_HELP).toContain('Exit codes:');
    const bad = await cost(['--nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('gaiops cost:');
  });
});

describe('the price table', () => {
  it('covers the same items in every region, with specs for every priced instance', () => {
    expect(PRICE_TABLE_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(HOURS_PER_MONTH).toBe(730);
    expect(Object.keys(PRICE_TABLE).sort()).toEqual(expect.arrayContaining(['eu-central-1', 'eu-west-1', 'us-east-1']));
    const keys = (r: object) => Object.keys(r).filter((k) => k !== 'lustrePersistent2GbMonth').sort();
    for (const prices of Object.values(PRICE_TABLE)) {
      expect(keys(prices)).toEqual(keys(PRICE_TABLE['us-east-1']));
      for (const [instance, price] of Object.entries(prices.instances)) {
        expect(INSTANCE_SPECS[instance], instance).toBeDefined();
        expect(price).toBeGreaterThan(0);
      }
    }
    for (const [family, instance] of Object.entries(FAMILY_REPRESENTATIVE)) {
      expect(instance.startsWith(`${family}.`)).toBe(true);
      expect(INSTANCE_SPECS[instance]).toBeDefined();
      if (family.startsWith('g')) expect(INSTANCE_SPECS[instance].gpus).toBe(1);
    }
  });
});

describe('gaiops cost on the reference app', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = join(tempDir(), 'cdktf.out');
    buildReferenceApp({ outdir }).synth();
  });

  it('estimates every stack, with the EKS control plane and every Karpenter NodePool of the generated chart', async () => {
    const r = await cost(['--dir', outdir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CostReport;
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, unknown> };
    expect(report.stacks.map((s) => s.name).sort()).toEqual(Object.keys(manifest.stacks).sort());
    const lines = report.stacks.flatMap((s) => s.lines);
    const eks = lines.filter((l) => l.kind === 'EKS control plane (standard support)');
    expect(eks.length).toBeGreaterThan(0);
    for (const l of eks) expect(l.monthlyMax).toBe(l.count * 73);

    // Every NodePool in the GpuNodePools chart has a line, 0 at min.
    const chartDirs = readdirSync(join(outdir, 'stacks'), { recursive: true, encoding: 'utf8' }).filter((p) => /NodePools_Chart_[^/]*\/[0-9a-f]+\/templates\/nodepool-[^/]+\.yaml$/.test(p));
    expect(chartDirs.length).toBeGreaterThan(0);
    const pools = parseChartTemplates(chartDirs.map((p) => readFileSync(join(outdir, 'stacks', p), 'utf8'))).map((d) => d.metadata?.name);
    for (const pool of pools) {
      const l = lines.find((x) => x.kind.startsWith(`Karpenter pool ${pool} (`));
      expect(l, `line for pool ${pool}`).toBeDefined();
      expect(l!.monthlyMin === 0 || l!.monthlyMin === null).toBe(true);
    }
    for (const l of lines.filter((x) => x.basis === 'usage-based' || x.basis === 'unpriced')) {
      expect([l.monthlyMin, l.monthlyMax]).toEqual([null, null]);
    }
    const sum = (xs: number[]) => Math.round(xs.reduce((a, x) => a + x, 0) * 100) / 100;
    expect(report.total.monthlyMin).toBe(sum(report.stacks.map((s) => s.monthlyMin)));
    for (const s of report.stacks) expect(s.monthlyMin).toBe(sum(s.lines.map((l) => l.monthlyMin ?? 0)));
  });

  it('lists the stacks in dependency order in the table', async () => {
    const r = await cost(['--dir', outdir]);
    expect(r.code).toBe(0);
    const titles = [...r.stdout.matchAll(/^([a-z][\w-]*) \([a-z0-9-]+\)(: no priced resources)?$/gm)].map((m) => m[1]);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { constructPath?: string; dependencies: string[] }> };
    const entries = Object.entries(manifest.stacks);
    expect([...titles].sort()).toEqual(entries.map(([name]) => name).sort());
    // The manifest names dependencies by construct path (e.g. dev/dev-data).
    const nameOf = new Map(entries.flatMap(([name, e]) => [[name, name], [e.constructPath ?? name, name]] as [string, string][]));
    const pairs = entries.flatMap(([name, e]) => e.dependencies.map((d) => [nameOf.get(d)!, name]));
    expect(pairs.length).toBeGreaterThan(0);
    for (const [dep, name] of pairs) expect(titles.indexOf(dep), `${dep} before ${name}`).toBeLessThan(titles.indexOf(name));
    for (const [dep] of pairs) expect(titles).toContain(dep);
  });
});
