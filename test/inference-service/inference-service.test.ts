import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { propsTable } from '../../scripts/props-docs';
import { App, PlatformStack } from '../../src';
import { ContainerImage } from '../../src/core/container-image';
import { GaiConfigError } from '../../src/core/errors';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { GPU_TAINT, GpuNodePools, NODE_POOL_LABEL } from '../../src/gpu-training-cluster/node-pools';
import { POD_IDENTITY_AGENT } from '../../src/gpu-training-cluster/teams';
import { GATEWAY_PORT, GatewayConfigSchema } from '../../src/inference-service/gateway-config';
import {
  ACTIVATION_ONLY_THRESHOLD,
  CONFIG_HASH_ANNOTATION,
  InferenceService,
  type InferenceChartObject,
} from '../../src/inference-service/inference-service';
import {
  DEFAULT_PROMETHEUS_SERVER_ADDRESS,
  DEFAULT_SSL_POLICY,
  DEFAULT_VLLM_IMAGE,
  InferenceGatewaySchema,
  InferenceIngressSchema,
  InferenceServicePropsSchema,
  InferenceKedaSchema,
  InferenceMonitoringSchema,
  InferenceServerSchema,
  InferenceVariantSchema,
  type InferenceServiceProps,
} from '../../src/inference-service/schema';
import { ModelRegistry, REGISTRY_GRANT_KINDS } from '../../src/model-registry/model-registry';
import { GATEWAY_METRICS, VLLM_METRICS } from '../../src/monitoring-stack/metric-names';
import { byPath, platformStack, policy, resources, SETTINGS, synth, type TfJson } from '../support/synth';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { podIdentityTrustStatement } from '../support/pod-identity';
import { configError } from '../support/config-error';

const GATEWAY_IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-gateway:sha256-0123456789abcdef';
const FETCHER_IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-model-fetcher:sha256-fedcba9876543210';
const CERT = 'arn:aws:acm:eu-west-1:111122223333:certificate/0d6c1f3a-1111-2222-3333-444455556666';
const WAF = 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/gai-inference/0d6c1f3a-1111-2222-3333-444455556666';
const VPC_CIDR = '10.42.0.0/16';

type Deps = { registry: ModelRegistry; nodePools: GpuNodePools; kubernetes: any; helm: any };

function nodePools(stack: PlatformStack, helm: any): GpuNodePools {
  return new GpuNodePools(stack, 'NodePools', {
    cluster: TEST_CLUSTER,
    gpuPools: [
      { name: 'gpu-inference', instanceFamilies: ['g6e', 'g6'], gpuLimit: 16 },
      { name: 'gpu-large', instanceFamilies: ['p5'], gpuLimit: 8, capacityTypes: ['on-demand'] },
    ],
    helmProvider: helm,
  });
}

function baseProps(d: Deps): InferenceServiceProps {
  return {
    name: 'assistant',
    cluster: TEST_CLUSTER,
    nodePools: d.nodePools,
    registry: d.registry,
    kubernetesProvider: d.kubernetes,
    helmProvider: d.helm,
    gatewayImage: GATEWAY_IMAGE,
    modelFetcherImage: FETCHER_IMAGE,
    ingress: { certificateArn: CERT, vpcCidr: VPC_CIDR },
    variants: [
      { name: 'champion', model: { name: 'assistant-llm', alias: 'production' }, pool: 'gpu-inference', weight: 90, replicas: { min: 1, max: 4 }, costPerMillionOutputTokensUsd: 2 },
      { name: 'challenger', model: { name: 'assistant-llm', version: 7 }, pool: 'gpu-inference', weight: 10, replicas: { min: 0, max: 2 }, scaleToZero: true, gpusPerReplica: 2 },
      { name: 'shadow', model: { name: 'assistant-llm', version: '8' }, pool: 'gpu-large', weight: 0, shadowPercent: 5, replicas: { min: 0, max: 1 }, scaleToZero: true },
    ],
  };
}

/** One stack holding registry, pools and the service (the policy pack runs in `synth`). */
function single(overrides: (d: Deps) => Partial<InferenceServiceProps> = () => ({})) {
  const stack = platformStack();
  const { kubernetes, helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
  const d: Deps = { registry: new ModelRegistry(stack, 'Registry'), nodePools: undefined as unknown as GpuNodePools, kubernetes, helm };
  d.nodePools = nodePools(stack, helm);
  const service = new InferenceService(stack, 'Assistant', { ...baseProps(d), ...overrides(d) });
  return { stack, service, json: synth(stack) };
}

/** Props validation only (no synth), with real pools and registry for the construct-typed props. */
function badProps(overrides: (d: Deps) => Partial<InferenceServiceProps>): GaiConfigError {
  const stack = platformStack();
  const { kubernetes, helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
  const d: Deps = { registry: new ModelRegistry(stack, 'Registry'), nodePools: undefined as unknown as GpuNodePools, kubernetes, helm };
  d.nodePools = nodePools(stack, helm);
  return configError(() => new InferenceService(stack, 'Assistant', { ...baseProps(d), ...overrides(d) }));
}

const deploymentOf = (json: TfJson, suffix: string) => byPath(json, 'kubernetes_deployment_v1', suffix);
const templateSpec = (deployment: Record<string, any>) => deployment.spec.template.spec;

/** Parses a chart template back to the object (the chart has no Helm actions except escaped braces). */
function chartObjects(files: Readonly<Record<string, string>>): any[] {
  return Object.keys(files)
    .filter((f) => f.startsWith('templates/'))
    .sort()
    .map((f) => {
      const actions = (files[f].match(/\{\{.*?\}\}/g) ?? []).filter((a) => a !== '{{ "{{" }}');
      expect(actions, f).toEqual([]);
      return parse(files[f].replace(/\{\{ "\{\{" \}\}/g, '{{'));
    });
}

describe('InferenceService across stacks (registry in a data stack, service in a workloads stack)', () => {
  let json: TfJson;
  let manifest: { stacks: Record<string, { dependencies: string[] }> };
  let service: InferenceService;
  let registry: ModelRegistry;

  beforeAll(() => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const data = new PlatformStack(app, 'data', { settings: SETTINGS });
    registry = new ModelRegistry(data, 'Registry');
    const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
    const { kubernetes, helm } = ClusterProviders.configure(workloads, TEST_CLUSTER);
    const pools = nodePools(workloads, helm);
    service = new InferenceService(workloads, 'Assistant', baseProps({ registry, nodePools: pools, kubernetes, helm }));
    app.synth(); // resolves cross-stack references and runs every validation (the policy pack among them)
    json = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'workloads', 'cdk.tf.json'), 'utf8'));
    manifest = JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8'));
  });

  it('synthesizes with the policy pack passing, after the data stack, through the configured providers', () => {
    expect(manifest.stacks.workloads.dependencies).toEqual(['data']);
    for (const type of [
      'kubernetes_namespace_v1',
      'kubernetes_deployment_v1',
      'kubernetes_service_v1',
      'kubernetes_service_account_v1',
      'kubernetes_config_map_v1',
      'kubernetes_horizontal_pod_autoscaler_v2',
      'kubernetes_pod_disruption_budget_v1',
      'kubernetes_network_policy_v1',
      'kubernetes_ingress_v1',
    ]) {
      expect(resources(json, type).length, type).toBeGreaterThan(0);
      for (const [, r] of resources(json, type)) expect(r.provider, type).toBe('kubernetes');
    }
    const release = byPath(json, 'helm_release', 'Assistant/Release');
    expect(release.provider).toBe('helm');
    expect(release.namespace).toMatch(/kubernetes_namespace_v1\.Assistant_Namespace.*\.metadata\[0\]\.name/);
    expect(release).toMatchObject({ name: 'assistant-inference', atomic: true, wait: true, cleanup_on_fail: true, create_namespace: false });
    expect(release.chart).toBe(`./${service.chartAsset.path}`);
    for (const path of ['Variant-champion_Deployment', 'Variant-shadow_Deployment', 'Gateway_Deployment', 'Gateway_Service']) {
      expect(release.depends_on.some((d: string) => d.startsWith(`kubernetes_`) && d.includes(`Assistant_${path}`)), path).toBe(true);
    }
  });

  it('creates the namespace with Pod Security Standards restricted', () => {
    const ns = byPath(json, 'kubernetes_namespace_v1', 'Assistant/Namespace');
    expect(ns.metadata.name).toBe('assistant');
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'gaiops.io/inference-service': 'assistant',
    });
  });

  it('runs every container non-root, without privilege escalation or capabilities, read-only root, seccomp RuntimeDefault, with requests and limits', () => {
    const deployments = resources(json, 'kubernetes_deployment_v1');
    expect(deployments.map(([, d]) => d.metadata.name).sort()).toEqual(['assistant-challenger', 'assistant-champion', 'assistant-gateway', 'assistant-shadow']);
    for (const [, d] of deployments) {
      const spec = templateSpec(d);
      expect(spec.security_context, d.metadata.name).toEqual({ run_as_non_root: true, run_as_user: '65532', run_as_group: '65532', fs_group: '65532', seccomp_profile: { type: 'RuntimeDefault' } });
      expect(spec.automount_service_account_token).toBe(false);
      const containers = [...(spec.init_container ?? []), ...spec.container];
      for (const c of containers) {
        expect(c.security_context, `${d.metadata.name}/${c.name}`).toEqual({
          allow_privilege_escalation: false,
          privileged: false,
          read_only_root_filesystem: true,
          run_as_non_root: true,
          run_as_user: '65532',
          run_as_group: '65532',
          capabilities: { drop: ['ALL'] },
          seccomp_profile: { type: 'RuntimeDefault' },
        });
        expect(Object.keys(c.resources.requests).sort()).toEqual(expect.arrayContaining(['cpu', 'memory']));
        expect(Object.keys(c.resources.limits).sort()).toEqual(expect.arrayContaining(['cpu', 'memory']));
        // a writable /tmp for every container
        expect(c.volume_mount.find((m: any) => m.mount_path === '/tmp')?.name).toBe('tmp');
      }
      expect(spec.volume.find((v: any) => v.name === 'tmp').empty_dir).toBeDefined();
    }
  });

  it('pins every image (no latest, always a tag or digest); the default server is the pinned vLLM image', () => {
    const images = resources(json, 'kubernetes_deployment_v1').flatMap(([, d]) => [...(templateSpec(d).init_container ?? []), ...templateSpec(d).container].map((c: any) => c.image as string));
    expect(images.length).toBe(7);
    for (const image of images) {
      expect(image).not.toMatch(/:latest$/);
      expect(image).toMatch(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/);
    }
    expect(DEFAULT_VLLM_IMAGE).toBe('docker.io/vllm/vllm-openai:v0.11.0');
    expect(templateSpec(deploymentOf(json, 'Variant-champion/Deployment')).container[0].image).toBe(DEFAULT_VLLM_IMAGE);
    expect(templateSpec(deploymentOf(json, 'Gateway/Deployment')).container[0].image).toBe(GATEWAY_IMAGE);
  });

  it('fetches the model in an init container into an emptyDir the server mounts read-only', () => {
    const champion = templateSpec(deploymentOf(json, 'Variant-champion/Deployment'));
    const [fetcher] = champion.init_container;
    expect(fetcher.name).toBe('model-fetcher');
    expect(fetcher.image).toBe(FETCHER_IMAGE);
    const env = Object.fromEntries(fetcher.env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ MODEL_NAME: 'assistant-llm', MODEL_ALIAS: 'production', MODEL_DIR: '/models', AWS_REGION: 'eu-west-1' });
    expect(env.MODEL_VERSION).toBeUndefined();
    // the registry URL crosses stacks (remote state of the data stack)
    expect(env.REGISTRY_API_URL).toMatch(/data\.terraform_remote_state\.cross-stack-reference-input-data/);
    expect(fetcher.volume_mount).toEqual([
      { name: 'models', mount_path: '/models' },
      { name: 'tmp', mount_path: '/tmp' },
    ]);
    const challenger = templateSpec(deploymentOf(json, 'Variant-challenger/Deployment'));
    const cenv = Object.fromEntries(challenger.init_container[0].env.map((e: any) => [e.name, e.value]));
    expect(cenv.MODEL_VERSION).toBe('7');
    expect(cenv.MODEL_ALIAS).toBeUndefined();

    const server = champion.container[0];
    expect(server.volume_mount).toEqual([
      { name: 'models', mount_path: '/models', read_only: true },
      { name: 'shm', mount_path: '/dev/shm' },
      { name: 'tmp', mount_path: '/tmp' },
    ]);
    expect(champion.volume).toEqual([
      { name: 'models', empty_dir: { size_limit: '60Gi' } },
      { name: 'shm', empty_dir: { medium: 'Memory', size_limit: '8Gi' } },
      { name: 'tmp', empty_dir: { size_limit: '10Gi' } },
    ]);
    const senv = Object.fromEntries(server.env.map((e: any) => [e.name, e.value]));
    for (const name of ['HOME', 'XDG_CACHE_HOME', 'HF_HOME', 'VLLM_CACHE_ROOT', 'TRITON_CACHE_DIR', 'NUMBA_CACHE_DIR']) expect(senv[name], name).toMatch(/^\/tmp/);
    expect(senv.HF_HUB_OFFLINE).toBe('1');
  });

  it('runs vLLM on the named GPU pool with GPUs requested = limited, long startup probe and /health probes', () => {
    const challenger = deploymentOf(json, 'Variant-challenger/Deployment');
    const spec = templateSpec(challenger);
    expect(challenger.wait_for_rollout).toBe(false);
    // KEDA owns the replica count
    expect(challenger.spec.replicas).toBeUndefined();
    expect(spec.node_selector).toEqual({ [NODE_POOL_LABEL]: 'gpu-inference' });
    expect(spec.toleration).toEqual([{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }]);
    expect(spec.topology_spread_constraint[0]).toMatchObject({ topology_key: 'topology.kubernetes.io/zone', max_skew: 1 });
    const server = spec.container[0];
    expect(server.command).toEqual(['python3', '-m', 'vllm.entrypoints.openai.api_server']);
    expect(server.args).toEqual(['--model', '/models', '--served-model-name', 'assistant-llm', '--host', '0.0.0.0', '--port', '8000', '--tensor-parallel-size', '2']);
    expect(server.resources).toEqual({ requests: { cpu: '4', memory: '24Gi', 'nvidia.com/gpu': '2' }, limits: { cpu: '8', memory: '24Gi', 'nvidia.com/gpu': '2' } });
    expect(server.startup_probe).toEqual({ http_get: { path: '/health', port: '8000', scheme: 'HTTP' }, period_seconds: 10, failure_threshold: 180, timeout_seconds: 5 });
    expect(server.readiness_probe.http_get.path).toBe('/health');
    expect(server.liveness_probe.http_get.path).toBe('/health');
    expect(templateSpec(deploymentOf(json, 'Variant-shadow/Deployment')).node_selector).toEqual({ [NODE_POOL_LABEL]: 'gpu-large' });
  });

  it('binds each variant service account through EKS Pod Identity to a role with registry read only', () => {
    const associations = resources(json, 'aws_eks_pod_identity_association');
    expect(associations).toHaveLength(3);
    const assoc = byPath(json, 'aws_eks_pod_identity_association', 'Variant-champion/PodIdentity');
    expect(assoc).toMatchObject({ cluster_name: TEST_CLUSTER.clusterName, disable_session_tags: false });
    expect(assoc.service_account).toMatch(/kubernetes_service_account_v1\.Assistant_Variant-champion_ServiceAccount/);
    const role = byPath(json, 'aws_iam_role', 'Variant-champion/Role/Resource');
    expect(policy(role.assume_role_policy).Statement).toEqual([
      podIdentityTrustStatement(TEST_CLUSTER.clusterName, 'assistant', 'assistant-champion'),
    ]);
    const inline = byPath(json, 'aws_iam_role_policy', 'Variant-champion/Role/Policy/Resource');
    const statements = policy(inline.policy).Statement;
    const actions = new Set(statements.flatMap((s: any) => [s.Action].flat()));
    expect([...actions].sort()).toEqual(['execute-api:Invoke', 'kms:Decrypt', 'kms:DescribeKey', 's3:GetBucketLocation', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
    for (const s of statements) expect(s.Resource, JSON.stringify(s)).not.toBe('*');
    // the role holds what the registry's grantRead gave (routes and artifacts, with the artifact key), nothing else
    const v = service.variants.find((x) => x.name === 'champion')!;
    expect([...new Set(v.role.statements.flatMap((s) => s.actions))].sort()).toEqual([...actions].sort());
    expect(v.grant.actions).toEqual(expect.arrayContaining(['execute-api:Invoke', 's3:GetObject']));
    const invoke = statements.find((s: any) => s.Action === 'execute-api:Invoke');
    const readRoutes = registry.routesOf(REGISTRY_GRANT_KINDS.read).map((r) => `/$default/${r.method}/${r.path.replace(/\{[^}]+\}/g, '*').replace(/^\//, '')}`);
    const arns = [invoke.Resource].flat() as string[];
    expect(arns.map((a) => a.slice(a.indexOf('/$default/'))).sort()).toEqual([...readRoutes].sort());
    // the gateway has no AWS identity
    expect(byPath(json, 'kubernetes_service_account_v1', 'Gateway/ServiceAccount').automount_service_account_token).toBe(false);
    expect(resources(json, 'aws_iam_role').map(([, r]) => r['//'].metadata.path).filter((p: string) => p.includes('Gateway'))).toEqual([]);
  });

  it('writes gateway.json with weights, shadows and upstreams into a ConfigMap annotated with its hash, mounted as directories', () => {
    const cm = byPath(json, 'kubernetes_config_map_v1', 'Gateway/Config');
    const text = cm.data['gateway.json'];
    const config = GatewayConfigSchema.parse(JSON.parse(text));
    expect(config.model).toBe('assistant');
    expect(config.variants.map((v) => [v.name, v.weight, v.shadowPercent])).toEqual([
      ['champion', 90, 0],
      ['challenger', 10, 0],
      ['shadow', 0, 5],
    ]);
    expect(config.variants[0]).toMatchObject({ upstream: 'http://assistant-champion.assistant.svc:8000', upstreamModel: 'assistant-llm', costPerMillionOutputTokensUsd: 2 });
    expect(config.logging.prompts).toBe('off');
    expect(cm.metadata.annotations).toEqual({ [CONFIG_HASH_ANNOTATION]: createHash('sha256').update(text).digest('hex') });
    expect(service.gatewayConfigHash).toBe(cm.metadata.annotations[CONFIG_HASH_ANNOTATION]);
    expect(service.gatewayServiceUrl).toBe('http://assistant-gateway.assistant.svc:8080');

    const gateway = deploymentOf(json, 'Gateway/Deployment');
    const spec = templateSpec(gateway);
    expect(gateway.spec.template.metadata.annotations).toBeUndefined();
    const [c] = spec.container;
    expect(Object.fromEntries(c.env.map((e: any) => [e.name, e.value]))).toMatchObject({
      GATEWAY_CONFIG_PATH: '/etc/gaiops/gateway/gateway.json',
      GATEWAY_KEYS_PATH: '/etc/gaiops/keys/keys.json',
      PORT: String(GATEWAY_PORT),
    });
    expect(c.volume_mount).toEqual([
      { name: 'config', mount_path: '/etc/gaiops/gateway', read_only: true },
      { name: 'keys', mount_path: '/etc/gaiops/keys', read_only: true },
      { name: 'tmp', mount_path: '/tmp' },
    ]);
    for (const m of c.volume_mount) expect(m.sub_path).toBeUndefined();
    const keys = spec.volume.find((v: any) => v.name === 'keys');
    expect(keys.secret).toEqual({ secret_name: 'assistant-gateway-keys', default_mode: '0440', optional: false });
    expect(spec.volume.find((v: any) => v.name === 'config').config_map.name).toMatch(/kubernetes_config_map_v1\.Assistant_Gateway_Config/);
    expect(c.startup_probe.http_get.path).toBe('/healthz');
    expect(c.liveness_probe.http_get.path).toBe('/healthz');
    expect(c.readiness_probe.http_get.path).toBe('/readyz');
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
  });

  it('scales the gateway with an HPA on CPU and protects every workload with a PDB', () => {
    const hpa = byPath(json, 'kubernetes_horizontal_pod_autoscaler_v2', 'Gateway/Autoscaler');
    expect(hpa.spec).toMatchObject({
      min_replicas: 2,
      max_replicas: 10,
      metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', average_utilization: 70 } } }],
      scale_target_ref: { api_version: 'apps/v1', kind: 'Deployment' },
    });
    expect(deploymentOf(json, 'Gateway/Deployment').spec.replicas).toBeUndefined();
    const pdbs = resources(json, 'kubernetes_pod_disruption_budget_v1');
    expect(pdbs.map(([, r]) => r.metadata.name).sort()).toEqual(['assistant-challenger', 'assistant-champion', 'assistant-gateway', 'assistant-shadow']);
    for (const [, r] of pdbs) expect(r.spec.max_unavailable).toBe('1');
    expect(byPath(json, 'kubernetes_pod_disruption_budget_v1', 'Gateway/Pdb').spec.selector.match_labels).toEqual({ 'gaiops.io/inference-service': 'assistant', 'app.kubernetes.io/component': 'gateway' });
    const svc = byPath(json, 'kubernetes_service_v1', 'Variant-champion/Service');
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', port: [{ name: 'http', port: 8000, target_port: 'http', protocol: 'TCP' }] });
  });

  it('denies all traffic by default and opens only gateway→servers, VPC/monitoring→gateway, DNS and HTTPS egress for servers', () => {
    const np = (suffix: string) => byPath(json, 'kubernetes_network_policy_v1', `Assistant/${suffix}`).spec;
    expect(resources(json, 'kubernetes_network_policy_v1').map(([, r]) => r.metadata.name).sort()).toEqual([
      'allow-dns',
      'default-deny',
      'gateway-ingress',
      'gateway-to-model-servers',
      'model-server-egress',
      'model-server-ingress',
    ]);
    expect(np('DefaultDeny')).toEqual({ pod_selector: {}, policy_types: ['Ingress', 'Egress'] });
    expect(np('AllowDns').egress[0].ports).toEqual([
      { port: '53', protocol: 'UDP' },
      { port: '53', protocol: 'TCP' },
    ]);
    const gatewaySel = { match_labels: { 'gaiops.io/inference-service': 'assistant', 'app.kubernetes.io/component': 'gateway' } };
    const serverSel = { match_labels: { 'gaiops.io/inference-service': 'assistant', 'app.kubernetes.io/component': 'model-server' } };
    expect(np('GatewayIngress')).toEqual({
      pod_selector: gatewaySel,
      policy_types: ['Ingress'],
      ingress: [
        {
          from: [{ ip_block: { cidr: VPC_CIDR } }, { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ port: String(GATEWAY_PORT), protocol: 'TCP' }],
        },
      ],
    });
    expect(np('GatewayToServers')).toEqual({ pod_selector: gatewaySel, policy_types: ['Egress'], egress: [{ to: [{ pod_selector: serverSel }], ports: [{ port: '8000', protocol: 'TCP' }] }] });
    expect(np('ServerIngress')).toEqual({
      pod_selector: serverSel,
      policy_types: ['Ingress'],
      ingress: [
        { from: [{ pod_selector: gatewaySel }], ports: [{ port: '8000', protocol: 'TCP' }] },
        { from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: '8000', protocol: 'TCP' }] },
      ],
    });
    expect(np('ServerEgress')).toEqual({
      pod_selector: serverSel,
      policy_types: ['Egress'],
      egress: [
        { to: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }] },
        { to: [{ ip_block: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ port: POD_IDENTITY_AGENT.port, protocol: 'TCP' }] },
      ],
    });
  });

  it('exposes the gateway through an internal HTTPS-only ALB Ingress by default', () => {
    const ing = byPath(json, 'kubernetes_ingress_v1', 'Assistant/Ingress');
    expect(ing.spec.ingress_class_name).toBe('alb');
    expect(ing.metadata.annotations).toEqual({
      'alb.ingress.kubernetes.io/scheme': 'internal',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
      'alb.ingress.kubernetes.io/certificate-arn': CERT,
      'alb.ingress.kubernetes.io/ssl-policy': DEFAULT_SSL_POLICY,
      'alb.ingress.kubernetes.io/backend-protocol': 'HTTP',
      'alb.ingress.kubernetes.io/healthcheck-path': '/readyz',
      'alb.ingress.kubernetes.io/inbound-cidrs': VPC_CIDR,
      'alb.ingress.kubernetes.io/load-balancer-attributes': 'routing.http.drop_invalid_header_fields.enabled=true,idle_timeout.timeout_seconds=125',
    });
    expect(DEFAULT_SSL_POLICY).toMatch(/^ELBSecurityPolicy-TLS13-/);
    expect(ing.spec.rule[0].http.path[0]).toMatchObject({ path: '/', path_type: 'Prefix', backend: { service: { port: { number: GATEWAY_PORT } } } });
    expect(byPath(json, 'kubernetes_service_v1', 'Gateway/Service').spec.type).toBe('ClusterIP');
  });

  describe('the generated chart', () => {
    let objects: any[];
    let ServiceMonitor: new (o: unknown) => { validate(): void };
    beforeAll(async () => {
      objects = chartObjects(service.chart.files);
      ({ ServiceMonitor } = (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor')) as any);
    });

    it('is content-addressed and staged as the release chart', () => {
      expect(parse(service.chart.files['Chart.yaml'])).toMatchObject({ apiVersion: 'v2', name: 'gaiops-inference-assistant', version: `0.0.0-sha256-${service.chart.hash.slice(0, 16)}` });
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'ScaledObject/assistant-challenger',
        'ScaledObject/assistant-champion',
        'ScaledObject/assistant-shadow',
        'ServiceMonitor/assistant-challenger',
        'ServiceMonitor/assistant-champion',
        'ServiceMonitor/assistant-gateway',
        'ServiceMonitor/assistant-shadow',
      ]);
      for (const o of objects) expect(o.metadata.namespace).toBe('assistant');
    });

    it('ServiceMonitors validate against the prometheus-operator model and scrape /metrics on the named port', () => {
      const monitors = objects.filter((o) => o.kind === 'ServiceMonitor');
      for (const m of monitors) expect(() => new ServiceMonitor(m).validate(), m.metadata.name).not.toThrow();
      expect(() => new ServiceMonitor({ ...monitors[0], spec: { ...monitors[0].spec, endpoints: 'http' } }).validate()).toThrow();
      const gw = monitors.find((m) => m.metadata.name === 'assistant-gateway');
      expect(gw.metadata.labels.release).toBe('kube-prometheus-stack');
      expect(gw.spec).toEqual({
        selector: { matchLabels: { 'gaiops.io/inference-service': 'assistant', 'app.kubernetes.io/component': 'gateway' } },
        namespaceSelector: { matchNames: ['assistant'] },
        endpoints: [{ port: 'http', path: '/metrics', scheme: 'http', interval: '30s' }],
      });
    });

    it('ScaledObjects carry the fields KEDA’s CRD requires and scale on the vLLM queue; scale-to-zero variants wake on gateway traffic', () => {
      const scaled = objects.filter((o: InferenceChartObject) => o.kind === 'ScaledObject');
      for (const so of scaled) {
        // keda.sh_scaledobjects.yaml (v1alpha1): spec requires scaleTargetRef (name) and triggers (type, metadata: string map)
        expect(so.apiVersion).toBe('keda.sh/v1alpha1');
        expect(typeof so.spec.scaleTargetRef.name).toBe('string');
        expect(so.spec.triggers.length).toBeGreaterThan(0);
        for (const t of so.spec.triggers) {
          expect(typeof t.type).toBe('string');
          for (const value of Object.values(t.metadata)) expect(typeof value).toBe('string');
        }
        for (const k of ['minReplicaCount', 'maxReplicaCount', 'pollingInterval', 'cooldownPeriod']) expect(Number.isInteger(so.spec[k]), k).toBe(true);
      }
      const champion = scaled.find((o) => o.metadata.name === 'assistant-champion');
      expect(champion.spec).toMatchObject({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'assistant-champion' }, minReplicaCount: 1, maxReplicaCount: 4 });
      expect(champion.spec.triggers).toEqual([
        {
          type: 'prometheus',
          name: 'queue',
          metadata: {
            serverAddress: DEFAULT_PROMETHEUS_SERVER_ADDRESS,
            query: `sum(${VLLM_METRICS.requestsWaiting}{namespace="assistant",service="assistant-champion"})`,
            threshold: '5',
            ignoreNullValues: 'true',
          },
        },
      ]);
      const challenger = scaled.find((o) => o.metadata.name === 'assistant-challenger');
      expect(challenger.spec.minReplicaCount).toBe(0);
      expect(challenger.spec.triggers[1]).toMatchObject({ type: 'prometheus', name: 'traffic', metadata: { threshold: ACTIVATION_ONLY_THRESHOLD, activationThreshold: '0' } });
      const sel = '{namespace="assistant",variant="challenger"}';
      expect(challenger.spec.triggers[1].metadata.query).toBe(
        `(sum(rate(${GATEWAY_METRICS.requests}${sel}[2m])) or vector(0)) + (sum(rate(${GATEWAY_METRICS.upstreamErrors}${sel}[2m])) or vector(0)) + (sum(rate(${GATEWAY_METRICS.shadowRequests}${sel}[2m])) or vector(0))`,
      );
      expect(challenger.spec.fallback).toEqual({ failureThreshold: 3, replicas: 1 });
      expect(challenger.spec.idleReplicaCount).toBeUndefined();
      expect(champion.spec.idleReplicaCount).toBeUndefined();
    });
  });
});

describe('InferenceService options', () => {
  it('a weight change rewrites the ConfigMap only: the gateway pod template is unchanged (no restart)', () => {
    const a = single();
    const b = single((d) => ({ variants: baseProps(d).variants.map((v) => (v.name === 'champion' ? { ...v, weight: 50 } : v)) }));
    const templateA = deploymentOf(a.json, 'Gateway/Deployment').spec.template;
    const templateB = deploymentOf(b.json, 'Gateway/Deployment').spec.template;
    expect(templateB).toEqual(templateA);
    const cmA = byPath(a.json, 'kubernetes_config_map_v1', 'Gateway/Config');
    const cmB = byPath(b.json, 'kubernetes_config_map_v1', 'Gateway/Config');
    expect(cmB.metadata.annotations[CONFIG_HASH_ANNOTATION]).not.toBe(cmA.metadata.annotations[CONFIG_HASH_ANNOTATION]);
    expect(JSON.parse(cmB.data['gateway.json']).variants[0].weight).toBe(50);
  });

  it('takes ContainerImage constructs for the gateway and the model-fetcher', () => {
    const { json } = single(() => ({}));
    const stack = platformStack();
    const { kubernetes, helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
    const registry = new ModelRegistry(stack, 'Registry');
    const image = new ContainerImage(stack, 'FetcherImage', { runtime: 'model-fetcher' });
    new InferenceService(stack, 'Assistant', { ...baseProps({ registry, nodePools: nodePools(stack, helm), kubernetes, helm }), gatewayImage: image, modelFetcherImage: image });
    const withImages = synth(stack);
    const spec = templateSpec(deploymentOf(withImages, 'Variant-champion/Deployment'));
    expect(spec.init_container[0].image).toMatch(/^\$\{aws_ecr_repository\.FetcherImage_[A-F0-9]+\.repository_url\}:sha256-[0-9a-f]+$/);
    expect(spec.init_container[0].image.endsWith(`:${image.tag}`)).toBe(true);
    expect(templateSpec(deploymentOf(withImages, 'Gateway/Deployment')).container[0].image).toBe(spec.init_container[0].image);
    expect(image.tag).toMatch(/^sha256-[0-9a-f]+$/);
    expect(templateSpec(deploymentOf(json, 'Gateway/Deployment')).container[0].image).toBe(GATEWAY_IMAGE);
  });

  it('scale-to-zero with a floor: idle → 0 replicas, active → at least min', () => {
    const { service } = single(() => ({
      variants: [{ name: 'main', model: { name: 'm', version: 1 }, pool: 'gpu-inference', replicas: { min: 2, max: 3 }, scaleToZero: true, targetQueueLength: 2.5 }],
    }));
    const so = service.chart.objects.find((o) => o.kind === 'ScaledObject')!;
    expect(so.spec).toMatchObject({ minReplicaCount: 2, idleReplicaCount: 0, maxReplicaCount: 3, fallback: { failureThreshold: 3, replicas: 2 } });
    expect((so.spec.triggers as any[]).map((t) => [t.name, t.metadata.threshold])).toEqual([
      ['queue', '2.5'],
      ['traffic', ACTIVATION_ONLY_THRESHOLD],
    ]);
  });

  it('internet-facing ingress carries the allowed CIDRs and the WAF ACL', () => {
    const { json } = single(() => ({ ingress: { certificateArn: CERT, vpcCidr: VPC_CIDR, scheme: 'internet-facing', allowedCidrs: ['203.0.113.0/24', '198.51.100.0/24'], wafAclArn: WAF } }));
    const ann = byPath(json, 'kubernetes_ingress_v1', 'Assistant/Ingress').metadata.annotations;
    expect(ann['alb.ingress.kubernetes.io/scheme']).toBe('internet-facing');
    expect(ann['alb.ingress.kubernetes.io/inbound-cidrs']).toBe('203.0.113.0/24,198.51.100.0/24');
    expect(ann['alb.ingress.kubernetes.io/wafv2-acl-arn']).toBe(WAF);
    expect(ann['alb.ingress.kubernetes.io/listen-ports']).toBe('[{"HTTPS":443}]');
  });

  it('ingress disabled: ClusterIP only, in-cluster client namespaces admitted, no VPC block', () => {
    const { json } = single(() => ({ ingress: { enabled: false }, clientNamespaces: ['apps'] }));
    expect(resources(json, 'kubernetes_ingress_v1')).toEqual([]);
    const from = byPath(json, 'kubernetes_network_policy_v1', 'Assistant/GatewayIngress').spec.ingress[0].from;
    expect(from).toEqual([
      { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'apps' } } },
      { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
  });

  it('without KEDA: fixed replica counts and no ScaledObjects; a custom server uses its own port, paths and keys secret', () => {
    const { json, service } = single(() => ({
      keda: { enabled: false },
      gateway: { keysSecretName: 'platform-keys', logging: { prompts: 'redacted' }, resilience: { requestTimeoutMs: 30_000 } },
      variants: [
        { name: 'main', model: { name: 'm', version: 1 }, pool: 'gpu-inference', replicas: { min: 2, max: 2 } },
        {
          name: 'custom',
          model: { name: 'm', alias: 'staging' },
          pool: 'gpu-inference',
          weight: 0,
          shadowPercent: 100,
          server: { kind: 'custom', image: 'ghcr.io/example/server@sha256:' + 'a'.repeat(64), port: 9000, readinessPath: '/ready', livenessPath: '/live', args: ['--x'] },
        },
      ],
    }));
    expect(deploymentOf(json, 'Variant-main/Deployment').spec.replicas).toBe('2');
    expect(service.chart.objects.map((o) => o.kind)).toEqual(['ServiceMonitor', 'ServiceMonitor', 'ServiceMonitor']);
    expect(resources(json, 'helm_release').map(([, r]) => r.name)).toContain('assistant-inference');
    const custom = templateSpec(deploymentOf(json, 'Variant-custom/Deployment')).container[0];
    expect(custom.args).toEqual(['--x']);
    expect(custom.command).toBeUndefined();
    expect(custom.readiness_probe.http_get).toEqual({ path: '/ready', port: '9000', scheme: 'HTTP' });
    expect(custom.liveness_probe.http_get.path).toBe('/live');
    expect(byPath(json, 'kubernetes_network_policy_v1', 'Assistant/GatewayToServers').spec.egress[0].ports).toEqual([
      { port: '8000', protocol: 'TCP' },
      { port: '9000', protocol: 'TCP' },
    ]);
    const gspec = templateSpec(deploymentOf(json, 'Gateway/Deployment'));
    expect(gspec.volume.find((v: any) => v.name === 'keys').secret.secret_name).toBe('platform-keys');
    expect(gspec.termination_grace_period_seconds).toBe(40);
    const config = GatewayConfigSchema.parse(JSON.parse(byPath(json, 'kubernetes_config_map_v1', 'Gateway/Config').data['gateway.json']));
    expect(config.logging.prompts).toBe('redacted');
    expect(config.resilience.requestTimeoutMs).toBe(30_000);
    expect(config.variants[1]).toMatchObject({ name: 'custom', weight: 0, shadowPercent: 100, upstream: 'http://assistant-custom.assistant.svc:9000' });
  });
});

describe('InferenceService props validation', () => {
  const fields = (e: GaiConfigError) => e.problems.map((p) => p.fieldPath);

  it('refuses variants with no positive weight, unknown pools, shadow > 100, duplicate names and min > max — naming the fields', () => {
    const e = badProps(() => ({
      variants: [
        { name: 'a', model: { name: 'm', version: 1 }, pool: 'gpu-nope', weight: 0, replicas: { min: 3, max: 1 } },
        { name: 'a', model: { name: 'm', version: 1 }, pool: 'gpu-inference', weight: 0, shadowPercent: 150 },
      ],
    }));
    expect(e.problems.every((p) => p.constructPath.endsWith('Assistant'))).toBe(true);
    expect(fields(e)).toEqual(expect.arrayContaining(['variants', 'variants[0].pool', 'variants[0].replicas.min', 'variants[1].name', 'variants[1].shadowPercent']));
    expect(e.message).toMatch(/variants: at least one variant needs a weight greater than 0/);
    expect(e.message).toMatch(/variants\[0\]\.pool: unknown pool "gpu-nope" \(GPU pools: gpu-inference, gpu-large\)/);
    expect(e.message).toMatch(/variants\[1\]\.name: duplicate variant name "a"/);
    expect(e.message).toMatch(/variants\[0\]\.replicas\.min: must not exceed replicas\.max \(1\)/);
  });

  it('refuses the CPU pool, a weighted shadow, scale-to-zero without KEDA and min 0 without scale-to-zero', () => {
    const e = badProps(() => ({
      keda: { enabled: false },
      variants: [
        { name: 'a', model: { name: 'm', version: 1 }, pool: 'cpu' },
        { name: 'b', model: { name: 'm', version: 1 }, pool: 'gpu-inference', weight: 5, shadowPercent: 10 },
        { name: 'c', model: { name: 'm', version: 1 }, pool: 'gpu-inference', replicas: { min: 0, max: 0 }, scaleToZero: true },
        { name: 'd', model: { name: 'm', version: 1 }, pool: 'gpu-inference', replicas: { min: 0, max: 1 } },
      ],
    }));
    expect(e.message).toMatch(/variants\[0\]\.pool: "cpu" is not a GPU pool/);
    expect(e.message).toMatch(/variants\[1\]\.weight: must be 0 for a shadow variant/);
    expect(e.message).toMatch(/variants\[2\]\.scaleToZero: requires KEDA/);
    expect(e.message).toMatch(/variants\[3\]\.replicas\.min: may be 0 only with scaleToZero: true/);
    expect(e.message).toMatch(/variants\[3\]\.replicas\.max: must equal replicas\.min \(0\) when keda\.enabled is false/);
  });

  it('refuses unpinned images, a public ingress without CIDRs or with 0.0.0.0/0, and a missing certificate', () => {
    const e = badProps(() => ({
      gatewayImage: 'ghcr.io/example/gateway:latest',
      modelFetcherImage: 'ghcr.io/example/fetcher',
      ingress: { scheme: 'internet-facing', vpcCidr: VPC_CIDR },
    }));
    expect(e.message).toMatch(/gatewayImage: .*must pin an exact tag or digest, not latest/);
    expect(e.message).toMatch(/modelFetcherImage: .*exact tag or digest/);
    expect(e.message).toMatch(/ingress\.certificateArn: is required while the ingress is enabled/);
    expect(e.message).toMatch(/ingress\.allowedCidrs: must list the client CIDRs for an internet-facing ingress/);
    const open = badProps(() => ({ ingress: { scheme: 'internet-facing', certificateArn: CERT, vpcCidr: VPC_CIDR, allowedCidrs: ['0.0.0.0/0'] } }));
    expect(fields(open)).toEqual(['ingress.allowedCidrs[0]']);
    const noVpc = badProps(() => ({ ingress: { certificateArn: CERT } }));
    expect(fields(noVpc)).toEqual(['ingress.vpcCidr']);
  });

  it('refuses a non-vLLM server without an image, a custom server without a queue metric, reserved env and an unknown fallback', () => {
    const e = badProps(() => ({
      fallbackVariant: 'nope',
      variants: [
        { name: 'a', model: { name: 'm', version: 1 }, pool: 'gpu-inference', server: { kind: 'tgi' } },
        { name: 'b', model: { name: 'm', version: 1 }, pool: 'gpu-inference', server: { kind: 'custom', image: 'ghcr.io/x/y:1.0', env: { HOME: '/root' } } },
        { name: 'c', model: { name: 'm' } as any, pool: 'gpu-inference' },
      ],
    }));
    expect(fields(e)).toEqual(
      expect.arrayContaining(['variants[0].server.image', 'variants[1].server.queueMetric', 'variants[1].server.env.HOME', 'variants[2].model', 'fallbackVariant']),
    );
  });

  it('reports missing required props as one GaiConfigError, never a TypeError', () => {
    const stack = platformStack();
    for (const props of [undefined, {}, { name: 'x', variants: 'nope' }]) {
      const e = configError(() => new InferenceService(stack, `Empty${JSON.stringify(props)?.length ?? 0}`, props as any));
      expect(fields(e)).toEqual(expect.arrayContaining(props === undefined ? ['<props>'] : ['cluster', 'nodePools', 'registry', 'variants', 'gatewayImage', 'modelFetcherImage']));
    }
  });

  it('documents every prop with its default (the props tables render, with a README block each)', () => {
    const readme = readFileSync(join(__dirname, '../../src/inference-service/README.md'), 'utf8');
    const schemas = { InferenceService: InferenceServicePropsSchema, InferenceVariant: InferenceVariantSchema, InferenceServer: InferenceServerSchema, InferenceGateway: InferenceGatewaySchema, InferenceIngress: InferenceIngressSchema, InferenceKeda: InferenceKedaSchema, InferenceMonitoring: InferenceMonitoringSchema };
    for (const [name, schema] of Object.entries(schemas)) {
      expect(readme).toContain(`<!-- props:${name}:start -->`);
      const rows = propsTable(schema).split('\n').slice(2);
      expect(rows.length, name).toBeGreaterThan(2);
      for (const row of rows) expect(row, `${name}: ${row}`).toMatch(/\| (yes \| — \| .+|no \| .+ \| .*Default.*) \|$/);
    }
    const table = propsTable(InferenceServicePropsSchema);
    for (const prop of ['name', 'variants', 'gatewayImage', 'modelFetcherImage', 'ingress', 'keda', 'monitoring', 'httpsEgressCidrs']) expect(table).toContain(`| \`${prop}\` |`);
    expect(table).toContain('| `httpsEgressCidrs` | string[] | no | `["0.0.0.0/0"]` |');
  });
});
