import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliIo } from '../../src/cli/args';
import { DIAGRAM_HELP, diagramCommand } from '../../src/cli/commands/diagram';
import { buildAppDiagram, type AppDiagram } from '../../src/cli/diagram/app-diagram';
import { CONSTRUCT_KIND_RULES } from '../../src/cli/diagram/construct-kinds';
import { MERMAID_ID, MermaidIds, mermaidLabel, renderMermaid } from '../../src/cli/diagram/mermaid';
import { NODE_POOLS_CHART_NAME } from '../../src/gpu-training-cluster/node-pools';
import { buildReferenceApp } from '../../stacks/main';

const temp: string[] = [];
afterAll(() => {
  for (const d of temp.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gaiops-diagram-test-'));
  temp.push(d);
  return d;
}

async function diagram(argv: string[], cwd = tempDir()): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd };
  const code = await diagramCommand(argv, io);
  return { code, stdout, stderr };
}

/** A manifest (in the given order, with dependencies) and the stacks' cdk.tf.json. */
function writeApp(stacks: { name: string; dependencies?: string[]; json: Record<string, unknown> }[]): string {
  const outdir = join(tempDir(), 'cdktf.out');
  const manifest: Record<string, unknown> = {};
  for (const s of stacks) {
    mkdirSync(join(outdir, 'stacks', s.name), { recursive: true });
    writeFileSync(join(outdir, 'stacks', s.name, 'cdk.tf.json'), JSON.stringify(s.json));
    manifest[s.name] = { name: s.name, synthesizedStackPath: `stacks/${s.name}/cdk.tf.json`, dependencies: s.dependencies ?? [] };
  }
  writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ version: '0.21.0', stacks: manifest }));
  return outdir;
}

const meta = (path: string) => ({ '//': { metadata: { path } } });

/** Parsed Mermaid source: defined ids (subgraphs and nodes), edges, subgraph labels. */
function parse(source: string) {
  const defined: string[] = [];
  const subgraphs = new Map<string, string>();
  const labels = new Map<string, string>();
  /** The stack (outermost subgraph label without 'stack: ') every id is drawn in. */
  const stackOf = new Map<string, string>();
  const open: string[] = [];
  const edges: { from: string; arrow: string; label: string; to: string }[] = [];
  for (const line of source.split('\n').map((l) => l.trim())) {
    let m: RegExpExecArray | null;
    if ((m = /^subgraph (\S+)\["([^"]*)"\]$/.exec(line))) {
      defined.push(m[1]);
      subgraphs.set(m[1], m[2]);
      labels.set(m[1], m[2]);
      if (open.length === 0) open.push(m[2].replace(/^stack: /, ''));
      else {
        stackOf.set(m[1], open[0]);
        open.push(m[1]);
      }
    } else if ((m = /^(\S+) (-\.->|==>)\|"([^"]*)"\| (\S+)$/.exec(line))) {
      edges.push({ from: m[1], arrow: m[2], label: m[3], to: m[4] });
    } else if ((m = /^(\S+)\["([^"]*)"\]$/.exec(line))) {
      defined.push(m[1]);
      labels.set(m[1], m[2]);
      if (open.length > 0) stackOf.set(m[1], open[0]);
    } else if (line === 'end') {
      open.pop();
    } else {
      expect(['flowchart LR', 'direction TB'].includes(line) || line.startsWith('%%') || line === '', `unexpected line: ${line}`).toBe(true);
    }
  }
  return { defined, subgraphs, labels, stackOf, edges };
}

describe('gaiops diagram on the reference app', () => {
  let outdir: string;
  let manifest: { stacks: Record<string, { dependencies: string[] }> };
  /** Each stack's dependencies by stack name (the manifest lists construct paths such as dev/dev-data). */
  let dependsOn: Map<string, string[]>;
  let source: string;
  beforeAll(async () => {
    outdir = join(tempDir(), 'cdktf.out');
    buildReferenceApp({ outdir }).synth();
    manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
    const entries = Object.entries(manifest.stacks as Record<string, { constructPath?: string; dependencies: string[] }>);
    const nameOf = new Map(entries.flatMap(([name, e]) => [[name, name], [e.constructPath ?? name, name]] as [string, string][]));
    dependsOn = new Map(entries.map(([name, e]) => [name, e.dependencies.map((d) => nameOf.get(d)!)]));
    expect([...dependsOn.values()].flat().every((d) => d !== undefined)).toBe(true);
    const r = await diagram(['--dir', outdir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    source = r.stdout;
  });

  it('draws every stack as a subgraph, in dependency order, and every manifest dependency as an edge', () => {
    expect(source.startsWith('flowchart LR\n')).toBe(true);
    const { subgraphs, edges } = parse(source);
    const stackIds = [...subgraphs].filter(([, label]) => label.startsWith('stack: '));
    const order = stackIds.map(([, label]) => label.slice('stack: '.length));
    expect([...order].sort()).toEqual(Object.keys(manifest.stacks).sort());
    const idOf = new Map(stackIds.map(([id, label]) => [label.slice('stack: '.length), id]));
    expect([...dependsOn.values()].flat().length).toBeGreaterThan(0);
    for (const [name, deps] of dependsOn) {
      for (const dep of deps) {
        expect(order.indexOf(dep), `${dep} before ${name}`).toBeLessThan(order.indexOf(name));
        expect(edges).toContainEqual({ from: idOf.get(name), arrow: '-.->', label: 'depends on', to: idOf.get(dep) });
      }
    }
  });

  it('uses unique, valid ids and only edges between defined ids', () => {
    const { defined, edges } = parse(source);
    expect(new Set(defined).size).toBe(defined.length);
    for (const id of defined) expect(id).toMatch(MERMAID_ID);
    for (const e of edges) {
      expect(defined).toContain(e.from);
      expect(defined).toContain(e.to);
    }
  });

  it('recognizes the gaiops constructs and shows their main services', () => {
    const { labels } = parse(source);
    const kinds = new Set([...labels.values()].map((l) => / · (\w+)$/.exec(l)?.[1]).filter(Boolean));
    for (const kind of ['FeatureStore', 'ModelRegistry', 'GpuTrainingCluster', 'ClusterNetwork', 'ClusterAddons', 'GpuNodePools', 'InferenceService', 'TrainingStorage', 'PlatformAlarms', 'DriftDetector', 'MonitoringCluster']) {
      expect(kinds, kind).toContain(kind);
    }
    expect(source).toMatch(/\["EKS: [^"]+"\]/);
    expect(source).toMatch(/\["Lambda: [^"]+"\]/);
    expect(source).toMatch(/\["API Gateway: [^"]+"\]/);
    expect(source).toMatch(/\["DynamoDB: [^"]+"\]/);
    expect(source).toMatch(/\["S3: [^"]+"\]/);
    expect(source).toMatch(/\["Helm: karpenter \(\d+\.\d+\.\d+\)"\]/);
    expect(source).toContain('["Helm: gaiops-node-pools (local chart)"]');
  });

  it('draws the lifecycle from references: features → training → registry → inference, then monitoring', () => {
    const { labels, edges } = parse(source);
    const kindOf = (id: string) => / · (\w+)$/.exec(labels.get(id) ?? '')?.[1] ?? '';
    const flow = (from: readonly string[], label: string, to: readonly string[], arrow = '==>') =>
      edges.some((e) => e.arrow === arrow && e.label === label && from.includes(kindOf(e.from)) && to.includes(kindOf(e.to)));
    const training = ['GpuTrainingCluster', 'TrainingTeams', 'TrainingStorage', 'TrainingVolumes'];
    const monitoring = ['DriftDetector', 'MonitoringCluster', 'PlatformAlarms'];
    // The cluster's storage mounts the feature bucket; team roles read features and write models;
    // the inference service resolves registry aliases: all references in the synthesized JSON.
    expect(flow(['FeatureStore'], 'dataset versions', training)).toBe(true);
    expect(flow(training, 'model versions', ['ModelRegistry'])).toBe(true);
    expect(flow(['ModelRegistry'], 'production alias', ['InferenceService'])).toBe(true);
    expect(flow(['InferenceService'], 'logs and metrics', monitoring) || flow(['InferenceService'], 'logs and metrics (inferred)', monitoring, '-.->')).toBe(true);
    // Flows stay inside one group of stacks linked by manifest dependencies (one environment).
    const { stackOf } = parse(source);
    const linked = new Map(Object.keys(manifest.stacks).map((n) => [n, new Set([n])]));
    for (const [n, deps] of dependsOn) for (const d of deps) linked.get(n)!.add(d), linked.get(d)!.add(n);
    const reach = (start: string) => {
      const seen = new Set([start]);
      for (const queue = [start]; queue.length > 0; ) for (const next of linked.get(queue.pop()!) ?? []) if (!seen.has(next)) seen.add(next), queue.push(next);
      return seen;
    };
    const lifecycle = edges.filter((e) => e.from.startsWith('c_'));
    expect(lifecycle.length).toBeGreaterThan(0);
    for (const e of lifecycle) expect(reach(stackOf.get(e.from)!).has(stackOf.get(e.to)!), `${e.from} → ${e.to}`).toBe(true);
  });

  it('is deterministic and --out writes a Markdown file with a mermaid block', async () => {
    const again = await diagram(['--dir', outdir]);
    expect(again.stdout).toBe(source);
    const file = join(tempDir(), 'docs', 'diagram.md');
    const r = await diagram(['--dir', outdir, '--out', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`wrote ${file}`);
    const md = readFileSync(file, 'utf8');
    expect(md).toContain(`\`\`\`mermaid\n${source.trimEnd()}\n\`\`\`\n`);
    expect(md.startsWith('# ')).toBe(true);
  });
});

describe('gaiops diagram on hand-written apps', () => {
  it('escapes odd names and keeps ids valid and unique when names clash after sanitizing', async () => {
    const odd = 'My "Quoted" <Construct> #1 & `x`';
    const dir = writeApp([
      { name: 'a-b', json: { resource: { aws_s3_bucket: { B: { ...meta(`a-b/${odd}/Resource`) } } } } },
      { name: 'a_b', json: { resource: { aws_s3_bucket: { B: { ...meta('a_b/end/Resource') } } } } },
      { name: 'end', dependencies: ['a-b', 'a_b'], json: { resource: { terraform_data: { T: { ...meta('end/o-x/Marker') } } } } },
    ]);
    const r = await diagram(['--dir', dir]);
    expect(r.code).toBe(0);
    const { defined, subgraphs, edges } = parse(r.stdout);
    expect(new Set(defined).size).toBe(defined.length);
    for (const id of defined) expect(id).toMatch(MERMAID_ID);
    expect(r.stdout).toContain('"My #quot;Quoted#quot; #lt;Construct#gt; #35;1 #amp; #96;x#96; · SecureBucket"');
    expect(r.stdout).not.toContain('<Construct>');
    expect([...subgraphs.values()].filter((l) => l.startsWith('stack: '))).toEqual(['stack: a-b', 'stack: a_b', 'stack: end']);
    const ids = [...subgraphs.keys()].filter((id) => id.startsWith('st_'));
    expect(ids).toEqual(['st_a_b', 'st_a_b_2', 'st_end']);
    expect(edges.filter((e) => e.label === 'depends on').map((e) => [e.from, e.to])).toEqual([
      ['st_end', 'st_a_b'],
      ['st_end', 'st_a_b_2'],
    ]);
  });

  it('escapes labels and allocates ids independently of input quirks', () => {
    expect(mermaidLabel('a"b#c\nd')).toBe('"a#quot;b#35;c d"');
    const ids = new MermaidIds();
    expect(ids.id('k1', 'c', 'x.y', '')).toBe('c_x_y___');
    expect(ids.id('k2', 'c', 'x-y', '')).toBe('c_x_y____2');
    expect(ids.id('k1', 'c', 'ignored')).toBe('c_x_y___');
  });

  it('draws flows from cross-stack references, infers missing ones, and orders stacks by dependency', async () => {
    const features = {
      resource: {
        aws_lambda_function: { Ingest: { ...meta('data/Features/Ingest/Resource'), filename: 'assets/x/feature-store-ingest-0123456789abcdef.zip' } },
        aws_s3_bucket: { Features_Bucket_1: { ...meta('data/Features/Offline/Resource') } },
      },
      output: { 'cross-stack-output-aws_s3_bucketFeatures_Bucket_1bucket': { value: '${aws_s3_bucket.Features_Bucket_1.bucket}', sensitive: true } },
    };
    const training = {
      resource: {
        aws_fsx_lustre_file_system: {
          Fs: { ...meta('train/Storage/FileSystem'), tags: { source: '${data.terraform_remote_state.cross-stack-reference-input-data.outputs.cross-stack-output-aws_s3_bucketFeatures_Bucket_1bucket}' } },
        },
      },
      data: { terraform_remote_state: { 'cross-stack-reference-input-data': { backend: 'local' } } },
    };
    const registry = { resource: { aws_lambda_function: { Handler: { ...meta('models/Registry/Handler/Resource'), filename: 'model-registry-fedcba9876543210.zip' } } } };
    // Manifest order puts the dependents first: the diagram must still draw data first.
    const dir = writeApp([
      { name: 'models', dependencies: ['train'], json: registry },
      { name: 'train', dependencies: ['data'], json: training },
      { name: 'data', json: features },
    ]);
    const r = await diagram(['--dir', dir]);
    expect(r.code).toBe(0);
    const { subgraphs, edges } = parse(r.stdout);
    expect([...subgraphs.values()].filter((l) => l.startsWith('stack: '))).toEqual(['stack: data', 'stack: train', 'stack: models']);
    expect(edges).toContainEqual({ from: 'c_data__Features', arrow: '==>', label: 'dataset versions', to: 'c_train__Storage' });
    expect(edges).toContainEqual({ from: 'c_train__Storage', arrow: '-.->', label: 'model versions (inferred)', to: 'c_models__Registry' });
    expect(r.stdout).toContain('c_train__Storage["Storage · TrainingStorage"]');
  });

  it('finds references inside a stack too (addresses and depends_on)', () => {
    const json = {
      resource: {
        aws_lambda_function: { R: { ...meta('s/Registry/Handler/Resource'), filename: 'model-registry-fedcba9876543210.zip' } },
        kubernetes_deployment_v1: {
          D: { ...meta('s/Svc/Gateway/Deployment'), metadata: { labels: { 'gaiops.io/inference-service': 'svc' } }, depends_on: ['aws_lambda_function.R'] },
        },
      },
    };
    const model: AppDiagram = buildAppDiagram([{ name: 's', dependencies: [], json }]);
    expect(model.references).toEqual([{ from: 's/Svc', to: 's/Registry' }]);
    expect(model.flows).toEqual([{ from: 's/Registry', to: 's/Svc', label: 'production alias', evidence: 'reference' }]);
    expect(renderMermaid(model)).toContain('c_s__Registry ==>|"production alias"| c_s__Svc');
  });

  it('takes construct ids after the stack construct path of nested stacks (GaiPlatform)', () => {
    const json = {
      resource: {
        aws_s3_bucket: { B: { ...meta('env/env-data/Features/Offline/Resource'), bucket: '${var.name}' } },
        aws_dynamodb_table: { T: { ...meta('env/env-data/Features/Online/Resource'), name: 'env-online' } },
      },
    };
    const model = buildAppDiagram([{ name: 'env-data', constructPath: 'env/env-data', dependencies: [], json }]);
    expect(model.stacks[0].constructs.map((c) => [c.id, c.services.map((v) => v.label)])).toEqual([['Features', ['DynamoDB: env-online', 'S3: Offline']]]);
  });

  it('recognizes the generated NodePool chart by the name GpuNodePools gives it', () => {
    const rule = CONSTRUCT_KIND_RULES.find((r) => r.kind === 'GpuNodePools')!;
    expect(rule.evidence).toContain(NODE_POOLS_CHART_NAME);
  });

  it('exits 2 on a missing manifest, a dependency cycle, an unknown --stack and an unknown option', async () => {
    const missing = await diagram(['--dir', join(tempDir(), 'none')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('gaiops diagram: no manifest at');
    const cycle = writeApp([
      { name: 'x', dependencies: ['y'], json: {} },
      { name: 'y', dependencies: ['x'], json: {} },
    ]);
    const c = await diagram(['--dir', cycle]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('cycle');
    const unknown = await diagram(['--dir', cycle, '--stack', 'z']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no stack "z"');
    const opt = await diagram(['--bogus']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain('gaiops diagram:');
  });

  it('--help prints the usage', async () => {
    const r = await diagram(['-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${DIAGRAM_HELP}\n`);
    expect(DIAGRAM_HELP).toContain('--out <file>');
  });
});
