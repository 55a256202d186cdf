import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activeFindings, CORE_RULES, evaluatePolicies } from '../../src';
import { buildReferenceApp } from '../../stacks/main';

const outdir = mkdtempSync(join(tmpdir(), 'gaiops-ref-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const LAYERS = ['access', 'addons', 'cluster', 'data', 'observability', 'workloads'];
const ENVIRONMENTS = ['dev', 'prod'] as const;

describe('reference deployment (stacks/main.ts)', () => {
  buildReferenceApp({ outdir }).synth();
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  const STACKS = ENVIRONMENTS.flatMap((env) => LAYERS.map((layer) => `${env}-${layer}`)).sort();
  const all = Object.fromEntries(STACKS.map((name) => [name, JSON.parse(readFileSync(join(outdir, `stacks/${name}/cdk.tf.json`), 'utf8'))]));
  /** The dev platform's stacks by layer. */
  const json = Object.fromEntries(LAYERS.map((layer) => [layer, all[`dev-${layer}`]]));
  const prod = Object.fromEntries(LAYERS.map((layer) => [layer, all[`prod-${layer}`]]));
  const dataJson = json.data;
  const clusterJson = json.cluster;
  /** Outputs a stack declares itself (cdktf adds `cross-stack-output-*` for references from later stacks). */
  const ownOutputs = (stack: { output: Record<string, unknown> }) => Object.keys(stack.output).filter((name) => !name.startsWith('cross-stack-output-')).sort();
  const types = (stack: { resource: Record<string, unknown> }) => Object.keys(stack.resource).sort();

  it('synthesizes every stack with no policy errors or warnings', () => {
    expect(Object.keys(manifest.stacks).sort()).toEqual(STACKS);
    for (const [name, stack] of Object.entries(manifest.stacks) as [string, { annotations: unknown[] }][]) {
      expect(stack.annotations, name).toEqual([]);
    }
    for (const name of STACKS) expect(activeFindings(evaluatePolicies(all[name], CORE_RULES)), name).toEqual([]);
  });

  it('orders the layers in the manifest: data → cluster → addons → workloads and observability', () => {
    const dependencies = Object.fromEntries(Object.entries(manifest.stacks as Record<string, { dependencies: string[] }>).map(([name, s]) => [name, [...s.dependencies].sort()]));
    for (const env of ENVIRONMENTS) {
      const at = (...layers: string[]) => layers.map((l) => `${env}/${env}-${l}`);
      expect(Object.fromEntries(LAYERS.map((l) => [l, dependencies[`${env}-${l}`]]))).toEqual({
        data: [],
        cluster: at('data'),
        addons: at('cluster'),
        workloads: at('addons', 'cluster', 'data'),
        observability: at('addons', 'cluster', 'data', 'workloads'),
        access: at('cluster', 'data', 'observability'),
      });
    }
  });

  it('keeps each layer to its providers: AWS only below the add-ons, Helm add-ons in addons, Kubernetes objects in workloads', () => {
    for (const name of ['data', 'cluster', 'access']) {
      expect(types(json[name]).filter((t) => !t.startsWith('aws_') && t !== 'terraform_data'), name).toEqual([]);
    }
    expect(types(json.addons)).toEqual(['helm_release']);
    const releases = Object.values(json.addons.resource.helm_release as Record<string, { chart: string; version: string }>).map((r) => r.chart).sort();
    expect(releases).toEqual(expect.arrayContaining(['karpenter', 'karpenter-crd', 'nvidia-device-plugin', 'dcgm-exporter', 'kubeflow-trainer', 'keda', 'prometheus-operator-crds']));
    for (const r of Object.values(json.addons.resource.helm_release as Record<string, { version: string }>)) expect(r.version).toMatch(/^v?\d+\.\d+\.\d+$/);
    expect(types(json.workloads)).toEqual(expect.arrayContaining(['helm_release', 'kubernetes_namespace_v1', 'kubernetes_resource_quota_v1', 'kubernetes_persistent_volume_v1', 'aws_eks_pod_identity_association']));
    // The cluster's Karpenter pools arrive through the generated chart; teams get GPU quotas.
    const quotas = Object.values(json.workloads.resource.kubernetes_resource_quota_v1 as Record<string, { spec: { hard: Record<string, string> } }>).map((q) => q.spec.hard['requests.nvidia.com/gpu']);
    expect(quotas.sort()).toEqual(['16', '8']);
    // Every Lambda of the platform has error and throttle alarms.
    const functions = ['data', 'workloads', 'observability'].reduce((n, name) => n + Object.keys(json[name].resource.aws_lambda_function ?? {}).length, 0);
    const lambdaAlarms = Object.values(json.observability.resource.aws_cloudwatch_metric_alarm as Record<string, { namespace?: string }>).filter((a) => a.namespace === 'AWS/Lambda');
    expect(lambdaAlarms).toHaveLength(2 * functions);
    expect(Object.keys(json.observability.resource.aws_budgets_budget)).toHaveLength(1);
    // Monitoring: kube-prometheus-stack and the rules chart, the drift analysis on a schedule.
    const charts = Object.values(json.observability.resource.helm_release as Record<string, { chart: string }>).map((r) => r.chart);
    expect(charts).toContain('kube-prometheus-stack');
    // The assistant's gateway request logs are shipped to where its drift analysis reads them.
    expect(charts).toContain('fluent-bit');
    const shipping = Object.values(json.observability.resource.helm_release as Record<string, { chart: string; values: string[] }>).find((r) => r.chart === 'fluent-bit')!;
    expect(shipping.values[0]).toContain('gateway/assistant/');
    // The preset's schedule: every 6 hours in dev, hourly in prod.
    expect(Object.values(json.observability.resource.aws_cloudwatch_event_rule as Record<string, { schedule_expression: string }>).map((r) => r.schedule_expression)).toEqual(['rate(6 hours)']);
    expect(Object.values(prod.observability.resource.aws_cloudwatch_event_rule as Record<string, { schedule_expression: string }>).map((r) => r.schedule_expression)).toEqual(['rate(1 hour)']);
    const driftFn = Object.values(json.observability.resource.aws_lambda_function as Record<string, { environment: { variables: Record<string, string> } }>)[0];
    expect(JSON.parse(driftFn.environment.variables.DRIFT_CONFIG)).toMatchObject({ model: 'assistant-llm', abTest: { variantColumn: 'variant' } });
  });

  it('gives each persona one SSO-federated role with scoped EKS access', () => {
    const roles = Object.values(json.access.resource.aws_iam_role as Record<string, { assume_role_policy: string }>);
    expect(roles).toHaveLength(5);
    for (const role of roles) {
      const trust = JSON.parse(role.assume_role_policy).Statement;
      expect(trust).toContainEqual(expect.objectContaining({ Action: 'sts:AssumeRoleWithSAML', Principal: { Federated: expect.stringContaining('saml-provider/IdentityCenter') } }));
    }
    const entries = Object.values(json.access.resource.aws_eks_access_entry as Record<string, { kubernetes_groups: string[] }>).map((e) => e.kubernetes_groups).flat().sort();
    expect(entries).toEqual(['gaiops:auditor', 'gaiops:data-scientist', 'gaiops:domain-expert', 'gaiops:ml-engineer', 'gaiops:mlops-engineer']);
    const scopes = Object.values(json.access.resource.aws_eks_access_policy_association as Record<string, { policy_arn: string }>).map((a) => a.policy_arn);
    expect(scopes.some((arn) => arn.endsWith('AmazonEKSClusterAdminPolicy'))).toBe(false);
    expect(Object.keys(json.workloads.resource.kubernetes_role_binding_v1 ?? {}).length).toBeGreaterThan(0);
  });

  it('serves the assistant: two vLLM variants (90/10) behind the gateway, images from the gaiops runtimes', () => {
    const deployments = Object.values(json.workloads.resource.kubernetes_deployment_v1 as Record<string, { metadata: { name: string } }>).map((d) => d.metadata.name).sort();
    expect(deployments).toEqual(['assistant-challenger', 'assistant-champion', 'assistant-gateway']);
    const configMap = Object.values(json.workloads.resource.kubernetes_config_map_v1 as Record<string, { data: Record<string, string> }>).find((c) => 'gateway.json' in c.data)!;
    const gateway = JSON.parse(configMap.data['gateway.json']);
    expect(gateway.variants.map((v: { name: string; weight: number }) => [v.name, v.weight])).toEqual([
      ['champion', 90],
      ['challenger', 10],
    ]);
    expect(Object.keys(json.workloads.resource.aws_ecr_repository)).toHaveLength(2);
  });

  it('puts the network, the private EKS cluster and Karpenter IAM in the cluster stack', () => {
    const eks = Object.values(clusterJson.resource.aws_eks_cluster as Record<string, { name: string; vpc_config: { endpoint_public_access: boolean } }>);
    expect(eks).toHaveLength(1);
    expect(eks[0].name).toBe('gai-dev-training');
    expect(eks[0].vpc_config.endpoint_public_access).toBe(false);
    expect(Object.keys(clusterJson.resource.aws_nat_gateway)).toHaveLength(1);
    expect(ownOutputs(clusterJson)).toEqual(['cluster_endpoint', 'cluster_name']);
    expect(Object.values(clusterJson.resource.aws_eks_addon as Record<string, { addon_name: string }>).map((a) => a.addon_name)).toContain('aws-mountpoint-s3-csi-driver');
  });

  it('puts the FeatureStore and the ModelRegistry in the data stack', () => {
    const paths = Object.values(dataJson.resource as Record<string, Record<string, { '//': { metadata: { path: string } } }>>)
      .flatMap((byName) => Object.values(byName))
      .map((r) => r['//'].metadata.path);
    expect(paths.some((p) => p.startsWith('dev/dev-data/Features/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('dev/dev-data/Registry/'))).toBe(true);
    expect(Object.keys(dataJson.resource.aws_glue_catalog_table)).toHaveLength(2);
    expect(Object.keys(dataJson.resource.aws_cloudwatch_event_bus)).toHaveLength(1);
    expect(ownOutputs(dataJson)).toEqual([
      'feature_api_url',
      'feature_bucket',
      'registry_api_url',
      'registry_artifact_bucket',
      'registry_event_bus',
    ]);
  });

  it('ships the Lambda zips and container contexts as assets beside their stacks', () => {
    for (const fn of Object.values(json.data.resource.aws_lambda_function) as { filename: string }[]) {
      expect(existsSync(join(outdir, 'stacks/dev-data', fn.filename)), fn.filename).toBe(true);
    }
    const publish = Object.values(json.workloads.resource.terraform_data) as { provisioner: { 'local-exec': { environment: { CONTEXT: string } } }[] }[];
    expect(publish).toHaveLength(2);
    for (const p of publish) {
      const context = join(outdir, 'stacks/dev-workloads', p.provisioner[0]['local-exec'].environment.CONTEXT);
      expect(existsSync(join(context, 'Dockerfile'))).toBe(true);
      expect(existsSync(join(context, 'index.js'))).toBe(true);
    }
  });

  it('applies the presets: dev is ephemeral and cheap, prod is protected, redundant and on S3 state', () => {
    expect(json.data['//'].gaiops).toEqual({ platform: 'gai', environment: 'dev', ephemeral: true });
    expect(prod.data['//'].gaiops).toEqual({ platform: 'gai', environment: 'prod', ephemeral: false });
    expect(Object.keys(json.cluster.resource.aws_nat_gateway)).toHaveLength(1);
    expect(Object.keys(prod.cluster.resource.aws_nat_gateway)).toHaveLength(3);
    const tables = (stack: any) => Object.values(stack.resource.aws_dynamodb_table) as any[];
    expect(tables(prod.data).every((t) => t.deletion_protection_enabled === true && t.lifecycle?.prevent_destroy === true)).toBe(true);
    expect(tables(json.data).every((t) => t.deletion_protection_enabled === false && t.lifecycle?.prevent_destroy !== true)).toBe(true);
    const retention = (stack: any) => new Set((Object.values(stack.resource.aws_cloudwatch_log_group) as any[]).map((g) => g.retention_in_days));
    expect([...retention(json.data)]).toEqual([30]);
    expect([...retention(prod.data)]).toEqual([731]);
    const alarmPeriods = (stack: any) => new Set((Object.values(stack.resource.aws_cloudwatch_metric_alarm) as any[]).filter((a) => a.namespace === 'AWS/Lambda').map((a) => a.period));
    expect([...alarmPeriods(prod.observability)]).toEqual([60]);
    expect([...alarmPeriods(json.observability)]).toEqual([300]);
    // State: dev in local files beside cdktf.out (no absolute paths); prod in S3 with encryption and lockfile locking.
    for (const layer of LAYERS) expect(json[layer].terraform.backend, layer).toEqual({ local: { path: `../../../terraform.state/dev-${layer}.tfstate` } });
    const devRemote = Object.values(json.workloads.data.terraform_remote_state) as any[];
    for (const r of devRemote) expect(r.config.path).toMatch(/^\.\.\/\.\.\/\.\.\/terraform\.state\/dev-(data|cluster|addons)\.tfstate$/);
    for (const layer of LAYERS) {
      expect(prod[layer].terraform.backend.s3, layer).toMatchObject({ bucket: 'acme-terraform-state-111122223333', key: `gaiops/gai-prod/prod-${layer}.tfstate`, encrypt: true, use_lockfile: true });
    }
    // Cross-stack references in prod read the producer's S3 state.
    const remote = Object.values(prod.workloads.data.terraform_remote_state) as any[];
    expect(remote.length).toBeGreaterThan(0);
    for (const r of remote) expect(r.backend).toBe('s3');
  });

  it('shows both runtime forms in prod: in-cluster feature and registry servers, the training-job API, rollouts on registry events', () => {
    const deployments = (stack: any) => (Object.values(stack.resource.kubernetes_deployment_v1 ?? {}) as any[]).map((d) => d.metadata.name).sort();
    expect(deployments(prod.workloads)).toEqual(['assistant-challenger', 'assistant-champion', 'assistant-gateway', 'feature-server', 'model-registry']);
    expect(deployments(json.workloads)).toEqual(['assistant-challenger', 'assistant-champion', 'assistant-gateway']);
    // prod keeps the feature API for callers outside the cluster (servingForm both).
    expect(Object.keys(prod.data.output)).toContain('feature_api_url');
    const fnPaths = (stack: any) => (Object.values(stack.resource.aws_lambda_function ?? {}) as any[]).map((f) => f['//'].metadata.path as string);
    expect(fnPaths(prod.cluster).some((p) => p.includes('/TrainingJobApi/'))).toBe(true);
    expect(fnPaths(json.cluster)).toEqual([]);
    // The deployment hook: an EventBridge rule on the registry bus for AliasChanged, in both environments.
    for (const env of [json, prod]) {
      const rules = Object.values(env.workloads.resource.aws_cloudwatch_event_rule) as any[];
      expect(rules.some((r) => r.event_pattern && JSON.parse(r.event_pattern)['detail-type']?.includes('AliasChanged'))).toBe(true);
    }
  });

  it('gives each data domain its own key: features, models, telemetry, cluster', () => {
    const keyPaths = (stack: any) => (Object.values(stack.resource.aws_kms_key) as any[]).map((k) => k['//'].metadata.path as string);
    expect(keyPaths(json.data)).toEqual(expect.arrayContaining(['dev/dev-data/FeatureDataKey/Resource', 'dev/dev-data/ModelDataKey/Resource']));
    expect(keyPaths(json.observability).some((p) => p.startsWith('dev/dev-observability/TelemetryKey/'))).toBe(true);
  });

  it('is reproducible: a second synth gives the same stack JSON', () => {
    const again = mkdtempSync(join(tmpdir(), 'gaiops-ref-'));
    try {
      buildReferenceApp({ outdir: again, platforms: ['dev'] }).synth();
      for (const stack of STACKS.filter((s) => s.startsWith('dev-'))) {
        expect(readFileSync(join(again, `stacks/${stack}/cdk.tf.json`), 'utf8')).toBe(readFileSync(join(outdir, `stacks/${stack}/cdk.tf.json`), 'utf8'));
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
});
