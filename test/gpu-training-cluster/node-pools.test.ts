import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { TerraformOutput } from '../../src/core/tf';
import { GpuTrainingCluster } from '../../src/gpu-training-cluster/cluster';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { GPU_TAINT, GpuNodePools, toHelmTemplate, type KubernetesObject } from '../../src/gpu-training-cluster/node-pools';
import { GpuNodePoolsPropsSchema, type GpuNodePoolsProps } from '../../src/gpu-training-cluster/node-pools-schema';
import { App, PlatformStack } from '../../src';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { only, platformStack, SETTINGS, synth } from '../support/synth';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { configError } from '../support/config-error';

const CLUSTER = TEST_CLUSTER;
const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0d6c1f3a-1111-2222-3333-444455556666';

const BASE: GpuNodePoolsProps = {
  cluster: CLUSTER,
  gpuPools: [
    { name: 'gpu-train', instanceFamilies: ['p5', 'p4d'], gpuLimit: 16, capacityTypes: ['on-demand'], disk: { sizeGiB: 500, iops: 6000, throughputMiBps: 500 } },
    { name: 'gpu-dev', instanceFamilies: ['g6e', 'g5', 'g4dn'], gpuLimit: 4, labels: { team: 'research' }, consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '10m', expireAfter: '168h' },
  ],
  kmsKeyArn: KEY,
  tags: { project: 'llm' },
};

function pools(props: Partial<GpuNodePoolsProps> = {}) {
  const stack = platformStack();
  ClusterProviders.configure(stack, CLUSTER);
  const construct = new GpuNodePools(stack, 'NodePools', { ...BASE, ...props });
  return { stack, construct, json: synth(stack) };
}

/** What Helm renders from a template for the given values (the only template actions gaiops emits). */
function helmRender(template: string, values: Record<string, string>): string {
  const actions = template.match(/\{\{.*?\}\}/g) ?? [];
  for (const a of actions) {
    if (a !== '{{ "{{" }}' && !/^\{\{ required "[^"]*" \.Values\.\w+ \| quote \}\}$/.test(a)) throw new Error(`unexpected template action ${a}`);
  }
  return template
    .replace(/\{\{ required "[^"]*" \.Values\.(\w+) \| quote \}\}/g, (_m, name: string) => {
      if (!(name in values)) throw new Error(`required value ${name} missing`);
      return JSON.stringify(values[name]);
    })
    .replace(/\{\{ "\{\{" \}\}/g, '{{');
}

const VALUES = { clusterName: CLUSTER.clusterName, nodeRoleName: CLUSTER.nodeRoleName, kmsKeyArn: KEY };

function renderedObjects(files: Readonly<Record<string, string>>, values: Record<string, string> = VALUES): any[] {
  return Object.keys(files)
    .filter((f) => f.startsWith('templates/'))
    .sort()
    .map((f) => parse(helmRender(files[f], values)));
}

function byKind(objects: any[], kind: string, name: string): any {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('GpuNodePools', () => {
  const { json, construct } = pools();
  const objects = renderedObjects(construct.chart.files);

  let NodePool: new (o: unknown) => { validate(): void };
  let EC2NodeClass: new (o: unknown) => { validate(): void };
  beforeAll(async () => {
    ({ NodePool } = (await import('@kubernetes-models/karpenter/karpenter.sh/v1')) as any);
    ({ EC2NodeClass } = (await import('@kubernetes-models/karpenter/karpenter.k8s.aws/v1')) as any);
  });

  it('renders an EC2NodeClass and a NodePool per pool (GPU pools and the default CPU pool), one template file each', () => {
    expect(Object.keys(construct.chart.files).sort()).toEqual([
      'Chart.yaml',
      'templates/ec2nodeclass-cpu.yaml',
      'templates/ec2nodeclass-gpu-dev.yaml',
      'templates/ec2nodeclass-gpu-train.yaml',
      'templates/nodepool-cpu.yaml',
      'templates/nodepool-gpu-dev.yaml',
      'templates/nodepool-gpu-train.yaml',
      'values.yaml',
    ]);
    expect(objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'karpenter.k8s.aws/v1/EC2NodeClass/cpu',
      'karpenter.k8s.aws/v1/EC2NodeClass/gpu-dev',
      'karpenter.k8s.aws/v1/EC2NodeClass/gpu-train',
      'karpenter.sh/v1/NodePool/cpu',
      'karpenter.sh/v1/NodePool/gpu-dev',
      'karpenter.sh/v1/NodePool/gpu-train',
    ]);
    for (const f of Object.keys(construct.chart.files).filter((f) => f.startsWith('templates/'))) {
      expect(parseAllDocuments(helmRender(construct.chart.files[f], VALUES))).toHaveLength(1);
    }
    expect(construct.poolNames).toEqual(['gpu-train', 'gpu-dev', 'cpu']);
  });

  it('every rendered object is valid against the Karpenter v1 models', () => {
    for (const o of objects) {
      const Model = o.kind === 'NodePool' ? NodePool : EC2NodeClass;
      expect(() => new Model(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it('the validator runs: broken objects fail', () => {
    const pool = structuredClone(byKind(objects, 'NodePool', 'gpu-train'));
    pool.spec.disruption.consolidationPolicy = 'Always';
    expect(() => new NodePool(pool).validate()).toThrow();
    const missing = structuredClone(byKind(objects, 'NodePool', 'gpu-train'));
    delete missing.spec.disruption.consolidateAfter;
    expect(() => new NodePool(missing).validate()).toThrow();
    const nodeClass = structuredClone(byKind(objects, 'EC2NodeClass', 'gpu-train'));
    nodeClass.spec.metadataOptions.httpTokens = 'sometimes';
    expect(() => new EC2NodeClass(nodeClass).validate()).toThrow();
  });

  it('GPU pools: limit, taint, families, capacity types, NVIDIA only, labels', () => {
    const train = byKind(objects, 'NodePool', 'gpu-train');
    expect(train.spec.limits).toEqual({ 'nvidia.com/gpu': 16 });
    expect(train.spec.template.spec.taints).toEqual([{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }]);
    expect(train.spec.template.spec.nodeClassRef).toEqual({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'gpu-train' });
    expect(train.spec.template.spec.requirements).toEqual([
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['p5', 'p4d'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
      { key: 'karpenter.k8s.aws/instance-gpu-manufacturer', operator: 'In', values: ['nvidia'] },
    ]);
    expect(train.spec.template.metadata.labels).toEqual({ 'gaiops.io/node-pool': 'gpu-train' });
    const dev = byKind(objects, 'NodePool', 'gpu-dev');
    expect(dev.spec.limits).toEqual({ 'nvidia.com/gpu': 4 });
    expect(dev.spec.template.spec.taints).toEqual([GPU_TAINT]);
    expect(dev.spec.template.spec.requirements[1].values).toEqual(['spot', 'on-demand']);
    expect(dev.spec.template.metadata.labels).toEqual({ 'gaiops.io/node-pool': 'gpu-dev', team: 'research' });
  });

  it('maps consolidation and expiry (GPU default WhenEmpty after 5m, 720h)', () => {
    const train = byKind(objects, 'NodePool', 'gpu-train');
    expect(train.spec.disruption).toEqual({ consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m' });
    expect(train.spec.template.spec.expireAfter).toBe('720h');
    const dev = byKind(objects, 'NodePool', 'gpu-dev');
    expect(dev.spec.disruption).toEqual({ consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '10m' });
    expect(dev.spec.template.spec.expireAfter).toBe('168h');
  });

  it('CPU pool by default: Graviton families, cpu limit, no GPU taint, consolidation when underutilized', () => {
    const cpu = byKind(objects, 'NodePool', 'cpu');
    expect(cpu.spec.limits).toEqual({ cpu: 256 });
    expect(cpu.spec.template.spec.taints).toBeUndefined();
    expect(cpu.spec.template.spec.requirements).toEqual([
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m7g', 'c7g', 'r7g'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] },
      { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
      { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
    ]);
    expect(cpu.spec.disruption).toEqual({ consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '1m' });
  });

  it('EC2NodeClass: IMDSv2 with hop limit 1, encrypted gp3 with the key, throughput and IOPS', () => {
    const nc = byKind(objects, 'EC2NodeClass', 'gpu-train');
    expect(nc.spec.metadataOptions).toEqual({ httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' });
    expect(nc.spec.blockDeviceMappings).toEqual([
      {
        deviceName: '/dev/xvda',
        rootVolume: true,
        ebs: { volumeSize: '500Gi', volumeType: 'gp3', iops: 6000, throughput: 500, encrypted: true, kmsKeyID: KEY, deleteOnTermination: true },
      },
    ]);
    const dev = byKind(objects, 'EC2NodeClass', 'gpu-dev');
    expect(dev.spec.blockDeviceMappings[0].ebs).toMatchObject({ volumeSize: '200Gi', iops: 3000, throughput: 250, encrypted: true });
  });

  it('EC2NodeClass: discovery selectors, node role, pinned AMI alias, tags', () => {
    for (const name of ['gpu-train', 'gpu-dev', 'cpu']) {
      const nc = byKind(objects, 'EC2NodeClass', name);
      expect(nc.spec.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': CLUSTER.clusterName } }]);
      expect(nc.spec.securityGroupSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': CLUSTER.clusterName } }]);
      expect(nc.spec.role).toBe(CLUSTER.nodeRoleName);
      expect(nc.spec.amiSelectorTerms).toEqual([{ alias: 'al2023@v20260930' }]);
      expect(nc.spec.tags).toMatchObject({ project: 'llm', 'gaiops.io/node-pool': name, environment: 'test', 'managed-by': 'gaiops' });
    }
  });

  it('cluster values come from Helm values (never baked in): templates use required … | quote, nothing else', () => {
    const text = construct.chart.files['templates/ec2nodeclass-gpu-train.yaml'];
    expect(text).toContain('role: {{ required "gaiops: the nodeRoleName value is required" .Values.nodeRoleName | quote }}');
    expect(text).toContain('karpenter.sh/discovery: {{ required "gaiops: the clusterName value is required" .Values.clusterName | quote }}');
    expect(text).not.toContain(CLUSTER.clusterName);
    for (const f of Object.values(construct.chart.files)) expect(f).not.toMatch(/[&*]a\d+/); // no YAML anchors/aliases
    expect(parse(construct.chart.files['values.yaml'])).toEqual({ clusterName: '', nodeRoleName: '', kmsKeyArn: '' });
    // the fake renderer refuses missing values, as Helm's `required` does
    expect(() => helmRender(text, { clusterName: 'x' })).toThrow(/nodeRoleName/);
  });

  it('escapes {{ in data so Helm prints it literally', () => {
    const obj: KubernetesObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: { text: 'a {{ .Values.secret }} b' } };
    const template = toHelmTemplate(obj);
    expect(template).toContain('a {{ "{{" }} .Values.secret }} b');
    expect(parse(helmRender(template, {})).spec.text).toBe('a {{ .Values.secret }} b');
  });

  it('Chart.yaml: apiVersion v2, version and annotation from the content hash', () => {
    const chart = parse(construct.chart.files['Chart.yaml']);
    expect(chart).toEqual({
      apiVersion: 'v2',
      name: 'gaiops-node-pools',
      description: expect.any(String),
      type: 'application',
      version: `0.0.0-sha256-${construct.chart.hash.slice(0, 16)}`,
      annotations: { 'gaiops.io/content-hash': construct.chart.hash },
    });
    expect(construct.chart.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('chart is deterministic: same props, same bytes and hash; any change, a new hash', () => {
    const again = pools().construct.chart;
    expect(again.files).toEqual(construct.chart.files);
    expect(again.hash).toBe(construct.chart.hash);
    // key order of maps does not matter
    const ab = pools({ tags: { a: '1', project: 'llm' }, gpuPools: [BASE.gpuPools[0], { ...BASE.gpuPools[1], labels: { team: 'research', z: 'x' } }] }).construct.chart;
    const ba = pools({ tags: { project: 'llm', a: '1' }, gpuPools: [BASE.gpuPools[0], { ...BASE.gpuPools[1], labels: { z: 'x', team: 'research' } }] }).construct.chart;
    expect(ba.files).toEqual(ab.files);
    expect(ba.hash).toBe(ab.hash);
    expect(ab.hash).not.toBe(construct.chart.hash);
    const changed = pools({ gpuPools: [{ ...BASE.gpuPools[0], gpuLimit: 32 }, BASE.gpuPools[1]] }).construct.chart;
    expect(changed.hash).not.toBe(construct.chart.hash);
    expect(renderedObjects(changed.files).find((o) => o.metadata.name === 'gpu-train' && o.kind === 'NodePool').spec.limits).toEqual({ 'nvidia.com/gpu': 32 });
  });

  it('stages the chart as a directory asset named by the hash and installs it with an atomic helm_release', () => {
    const release = only(json, 'helm_release');
    expect(release).toMatchObject({
      name: 'gaiops-node-pools',
      namespace: 'kube-system',
      create_namespace: false,
      atomic: true,
      wait: true,
      cleanup_on_fail: true,
      max_history: 10,
      timeout: 300,
    });
    expect(release.chart).toMatch(new RegExp(`^\\./assets/.+/${construct.chart.hash}$`));
    expect(release.values).toHaveLength(1);
    expect(release.values[0]).toContain('jsonencode');
    expect(release.values[0]).toContain(CLUSTER.nodeRoleName);
    expect(release.depends_on).toBeUndefined();
    expect(release.set).toBeUndefined();
    expect(construct.chartAsset.assetHash).toBe(construct.chart.hash);
  });

  it('writes the staged chart files with exactly the rendered bytes', () => {
    const stack = platformStack();
    ClusterProviders.configure(stack, CLUSTER);
    const c = new GpuNodePools(stack, 'NodePools', BASE);
    const app = stack.node.root as App;
    app.synth();
    const base = join(app.outdir, 'stacks', 'teststack', c.chartAsset.path);
    expect(existsSync(base)).toBe(true);
    for (const [file, text] of Object.entries(c.chart.files)) expect(readFileSync(join(base, file), 'utf8')).toBe(text);
    expect(readdirSync(join(base, 'templates')).sort()).toEqual(Object.keys(c.chart.files).filter((f) => f.startsWith('templates/')).map((f) => f.slice(10)).sort());
  });

  it('bottlerocket: pinned alias, small OS volume and the encrypted data volume as root for ephemeral storage', () => {
    const c = pools({ ami: { family: 'bottlerocket', version: 'v1.50.0' } }).construct;
    const nc = byKind(renderedObjects(c.chart.files), 'EC2NodeClass', 'gpu-train');
    expect(nc.spec.amiSelectorTerms).toEqual([{ alias: 'bottlerocket@v1.50.0' }]);
    expect(nc.spec.blockDeviceMappings.map((b: any) => [b.deviceName, b.rootVolume ?? false, b.ebs.volumeSize, b.ebs.encrypted])).toEqual([
      ['/dev/xvda', false, '4Gi', true],
      ['/dev/xvdb', true, '500Gi', true],
    ]);
    expect(() => new EC2NodeClass(nc).validate()).not.toThrow();
  });

  it('without a key: volumes still encrypted (account default key), no kmsKeyArn value', () => {
    const { construct: c, json: j } = pools({ kmsKeyArn: undefined, cpuPool: { enabled: false } });
    const objs = renderedObjects(c.chart.files, { clusterName: 'c', nodeRoleName: 'r' });
    expect(objs.map((o) => o.metadata.name)).not.toContain('cpu');
    for (const nc of objs.filter((o) => o.kind === 'EC2NodeClass')) {
      expect(nc.spec.blockDeviceMappings[0].ebs.encrypted).toBe(true);
      expect(nc.spec.blockDeviceMappings[0].ebs.kmsKeyID).toBeUndefined();
    }
    expect(parse(c.chart.files['values.yaml'])).toEqual({ clusterName: '', nodeRoleName: '' });
    expect(only(j, 'helm_release').values[0]).not.toContain('kmsKeyArn');
  });

  it('reserved capacity: capacity reservation selector terms', () => {
    const c = pools({ gpuPools: [{ name: 'gpu-block', instanceFamilies: ['p5'], gpuLimit: 8, capacityTypes: ['reserved'], capacityReservationIds: ['cr-0123456789abcdef0'] }] }).construct;
    const objs = renderedObjects(c.chart.files);
    expect(byKind(objs, 'EC2NodeClass', 'gpu-block').spec.capacityReservationSelectorTerms).toEqual([{ id: 'cr-0123456789abcdef0' }]);
    for (const o of objs) expect(() => new (o.kind === 'NodePool' ? NodePool : EC2NodeClass)(o).validate()).not.toThrow();
  });
});

describe('GpuNodePools props', () => {
  const parseErr = (props: unknown) => configError(() => new GpuNodePools(platformStack(), 'NodePools', props as GpuNodePoolsProps));

  it('gpuLimit is required (the cost guard)', () => {
    const err = parseErr({ cluster: CLUSTER, gpuPools: [{ name: 'gpu', instanceFamilies: ['g6'] }] });
    expect(err.problems).toEqual([{ constructPath: 'teststack/NodePools', fieldPath: 'gpuPools[0].gpuLimit', message: expect.stringMatching(/required.*cost guard/) }]);
    expect(parseErr({ cluster: CLUSTER, gpuPools: [{ name: 'gpu', gpuLimit: 0 }] }).problems.map((p) => p.fieldPath)).toEqual(['gpuPools[0].gpuLimit']);
    expect(parseErr({ cluster: CLUSTER, gpuPools: [{ name: 'gpu', gpuLimit: 2.5 }] }).problems.map((p) => p.fieldPath)).toEqual(['gpuPools[0].gpuLimit']);
  });

  it('instance families: EC2 family format, GPU families only in GPU pools', () => {
    const err = parseErr({ cluster: CLUSTER, gpuPools: [{ name: 'gpu', gpuLimit: 1, instanceFamilies: ['g5', 'g5.xlarge', 'GPU', 'nvidia', 'm7g'] }] });
    expect(err.problems.map((p) => [p.fieldPath, p.message])).toEqual([
      ['gpuPools[0].instanceFamilies[1]', expect.stringMatching(/EC2 instance family/)],
      ['gpuPools[0].instanceFamilies[2]', expect.stringMatching(/EC2 instance family/)],
      ['gpuPools[0].instanceFamilies[3]', expect.stringMatching(/EC2 instance family/)],
      ['gpuPools[0].instanceFamilies[4]', expect.stringMatching(/NVIDIA GPU family/)],
    ]);
    const ok = GpuNodePoolsPropsSchema.safeParse({ cluster: CLUSTER, gpuPools: [{ name: 'gpu', gpuLimit: 1, instanceFamilies: ['g5', 'g6', 'g6e', 'p4d', 'p5', 'p5e', 'p5en', 'g4dn'] }] });
    expect(ok.success).toBe(true);
    expect(parseErr({ cluster: CLUSTER, gpuPools: [{ name: 'g', gpuLimit: 1 }], cpuPool: { instanceFamilies: ['m7g.large'] } }).problems.map((p) => p.fieldPath)).toEqual([
      'cpuPool.instanceFamilies[0]',
    ]);
  });

  it('lists every problem in one error: AMI latest, durations, disk ratio, duplicate names, reserved without reservations, reserved labels and tags', () => {
    const err = parseErr({
      cluster: CLUSTER,
      gpuPools: [
        { name: 'gpu', gpuLimit: 1, consolidateAfter: '5 minutes', expireAfter: '30d', disk: { sizeGiB: 100, iops: 3000, throughputMiBps: 1000 }, labels: { 'karpenter.sh/foo': 'x' } },
        { name: 'gpu', gpuLimit: 1, capacityTypes: ['reserved'] },
      ],
      cpuPool: { name: 'cpu', capacityTypes: ['spot', 'spot'] },
      ami: { family: 'al2023', version: 'latest' },
      tags: { 'kubernetes.io/cluster/x': 'owned' },
    });
    expect(err.problems.map((p) => p.fieldPath).sort()).toEqual(
      [
        'ami.version',
        'cpuPool.capacityTypes',
        'gpuPools[0].consolidateAfter',
        'gpuPools[0].disk.throughputMiBps',
        'gpuPools[0].expireAfter',
        'gpuPools[0].labels.karpenter.sh/foo',
        'gpuPools[1].capacityReservationIds',
        'gpuPools[1].name',
        'tags.kubernetes.io/cluster/x',
      ].sort(),
    );
    expect(parseErr({ cluster: CLUSTER, gpuPools: [{ name: 'g', gpuLimit: 1 }], ami: { family: 'bottlerocket', version: 'v20260930' } }).problems.map((p) => p.fieldPath)).toEqual(['ami.version']);
    expect(parseErr({ cluster: {}, gpuPools: [] }).problems.map((p) => p.fieldPath)).toEqual(['cluster', 'gpuPools']);
  });
});

describe('GpuNodePools in a stack after the cluster', () => {
  it('takes the cluster reference across stacks, uses the configured helm provider, and passes the policy pack', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const clusterStack = new PlatformStack(app, 'cluster', { settings: SETTINGS });
    const network = new ClusterNetwork(clusterStack, 'Network', { clusterName: 'gai-test-training' });
    const training = new GpuTrainingCluster(clusterStack, 'Training', { network, clusterName: 'gai-test-training', adminRoleArns: ['arn:aws:iam::111122223333:role/PlatformAdmin'] });
    const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
    const reference = training.reference();
    const providers = ClusterProviders.configure(workloads, reference);
    const nodePools = new GpuNodePools(workloads, 'NodePools', { cluster: reference, gpuPools: [{ name: 'gpu', gpuLimit: 8 }], helmProvider: providers.helm });
    new TerraformOutput(workloads, 'PoolNames', { value: nodePools.poolNames });
    app.synth(); // resolves cross-stack references and runs every validation (the policy pack among them)
    const json = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'workloads', 'cdk.tf.json'), 'utf8'));
    const release = only(json, 'helm_release');
    expect(release.provider).toBe('helm');
    expect(release.values[0]).toMatch(/data\.terraform_remote_state\.cross-stack-reference-input-cluster/);
    // every value is read from the cluster stack's remote state, never a resource of this stack
    expect(release.values[0]).not.toMatch(/[=(]\s*aws_/);
    expect(JSON.stringify(json)).not.toMatch(/"token"/);
    const manifest = JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8'));
    expect(manifest.stacks.workloads.dependencies).toEqual(['cluster']);
  });
});
