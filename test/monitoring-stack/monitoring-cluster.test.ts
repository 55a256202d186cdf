import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { App, PlatformStack } from '../../src';
import { EncryptionKey } from '../../src/core/encryption-key';
import { GaiConfigError, GaiError } from '../../src/core/errors';
import { SecureTopic } from '../../src/core/secure-topic';
import { GpuTrainingCluster } from '../../src/gpu-training-cluster/cluster';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import { unknownValueKeys } from '../../src/core/helm/pinned-chart';
import { activeFindings, evaluatePolicies } from '../../src/core/policy/engine';
import { CORE_RULES } from '../../src/core/policy/rules';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { stageChart } from '../../src/gpu-training-cluster/local-chart';
import { dashboardJson } from '../../src/monitoring-stack/dashboards/model';
import { platformDashboards } from '../../src/monitoring-stack/dashboards/platform-dashboards';
import {
  GRAFANA_DASHBOARD_LABEL,
  KUBE_PROMETHEUS_STACK_CHART,
  MonitoringCluster,
  PLATFORM_RULES_NAME,
  renderRulesChart,
} from '../../src/monitoring-stack/monitoring-cluster';
import { byteSize, type MonitoringClusterProps } from '../../src/monitoring-stack/monitoring-cluster-schema';
import { platformRuleGroups } from '../../src/monitoring-stack/rules/platform-rules';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { byPath, only, platformStack, policy, resources, SETTINGS, synth, type TfJson } from '../support/synth';
import { podIdentityTrustStatement } from '../support/pod-identity';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:gai-test-alerts';
const TOPIC_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/abcd1234-12ab-34cd-56ef-1234567890ab';

const BASE: MonitoringClusterProps = {
  cluster: TEST_CLUSTER,
  volumeKmsKeyArn: KEY,
  alertmanager: { receiver: { type: 'sns', topicArn: TOPIC, topicKmsKeyArn: TOPIC_KEY } },
  grafana: { adminSecretName: 'grafana-admin' },
};

function build(props: Partial<MonitoringClusterProps> = {}, settings: Parameters<typeof platformStack>[0] = {}): { construct: MonitoringCluster; json: TfJson } {
  const stack = platformStack(settings, 'observability');
  const { kubernetes, helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
  const construct = new MonitoringCluster(stack, 'Monitoring', { ...BASE, kubernetesProvider: kubernetes, helmProvider: helm, ...props });
  return { construct, json: synth(stack) };
}

/** Undoes the Helm escaping of `{{` in a generated template. */
const unescapeHelm = (text: string): string => text.replace(/\{\{ "\{\{" \}\}/g, '{{');

type Values = Record<string, any>;

describe('MonitoringCluster (SNS receiver, defaults)', () => {
  let construct: MonitoringCluster;
  let json: TfJson;
  let values: Values;
  beforeAll(() => {
    ({ construct, json } = build());
    values = construct.release.values as Values;
  });

  it('installs kube-prometheus-stack at the exact pinned version from the upstream repository, without CRDs', () => {
    const release = byPath(json, 'helm_release', 'Monitoring/KubePrometheusStack/Release');
    expect(release).toMatchObject({
      name: 'kube-prometheus-stack',
      repository: 'https://prometheus-community.github.io/helm-charts',
      chart: 'kube-prometheus-stack',
      version: '88.5.3',
      namespace: 'monitoring',
      atomic: true,
      wait: true,
      skip_crds: true,
      timeout: 900,
    });
    expect(release.provider).toBe('helm');
    expect(values.crds).toEqual({ enabled: false });
    expect(KUBE_PROMETHEUS_STACK_CHART.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(unknownValueKeys(KUBE_PROMETHEUS_STACK_CHART, values)).toEqual([]);
  });

  it('lets Prometheus select every ServiceMonitor, PodMonitor, Probe, ScrapeConfig and PrometheusRule', () => {
    const spec = values.prometheus.prometheusSpec;
    for (const key of ['rule', 'serviceMonitor', 'podMonitor', 'probe', 'scrapeConfig']) expect(spec[`${key}SelectorNilUsesHelmValues`]).toBe(false);
  });

  it('keeps 15 days / 45 GB of metrics on a 50 GiB encrypted gp3 volume; Alertmanager gets 10 GiB', () => {
    const spec = values.prometheus.prometheusSpec;
    expect(spec).toMatchObject({ retention: '15d', retentionSize: '45GB', replicas: 1 });
    expect(spec.storageSpec).toEqual({
      volumeClaimTemplate: { spec: { storageClassName: 'gp3-encrypted', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } },
    });
    expect(values.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec).toMatchObject({ storageClassName: 'gp3-encrypted', resources: { requests: { storage: '10Gi' } } });
    const sc = only(json, 'kubernetes_storage_class_v1');
    expect(sc).toMatchObject({
      metadata: { name: 'gp3-encrypted' },
      storage_provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true', kmsKeyId: KEY },
      reclaim_policy: 'Retain',
      volume_binding_mode: 'WaitForFirstConsumer',
      allow_volume_expansion: true,
    });
  });

  it('an ephemeral environment lets volumes be deleted with their claims', () => {
    const { json: eph } = build({}, { ephemeral: true });
    expect(only(eph, 'kubernetes_storage_class_v1').reclaim_policy).toBe('Delete');
  });

  it('routes alerts to the SNS topic with SigV4 in the platform region; the heartbeat goes nowhere', () => {
    const config = values.alertmanager.config;
    expect(config.route.receiver).toBe('platform');
    expect(config.route.routes[0]).toEqual({ receiver: 'null', matchers: ['alertname = "Watchdog"'] });
    expect(config.receivers).toEqual([{ name: 'null' }, { name: 'platform', sns_configs: [{ topic_arn: TOPIC, sigv4: { region: 'eu-west-1' }, send_resolved: true }] }]);
    expect(values.alertmanager.serviceAccount).toEqual({ create: true, name: 'alertmanager' });
  });

  it("binds Alertmanager's service account to a role allowed only sns:Publish on the topic and the topic key through SNS", () => {
    const assoc = only(json, 'aws_eks_pod_identity_association');
    // Alertmanager starts after its credentials exist.
    expect(byPath(json, 'helm_release', 'Monitoring/KubePrometheusStack/Release').depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_eks_pod_identity_association\.Monitoring_AlertmanagerPodIdentity_/)]),
    );
    expect(assoc).toMatchObject({ cluster_name: TEST_CLUSTER.clusterName, namespace: 'monitoring', service_account: 'alertmanager', disable_session_tags: false });
    const role = byPath(json, 'aws_iam_role', 'Monitoring/AlertmanagerRole/Resource');
    expect(policy(role.assume_role_policy).Statement).toEqual([
      podIdentityTrustStatement(TEST_CLUSTER.clusterName, 'monitoring', 'alertmanager'),
    ]);
    const inline = resources(json, 'aws_iam_role_policy');
    expect(inline).toHaveLength(1);
    const statements = policy(inline[0][1].policy).Statement;
    expect(statements).toHaveLength(2);
    expect(statements).toEqual(
      expect.arrayContaining([
        { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: TOPIC },
        {
          Sid: 'EncryptAlerts',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: TOPIC_KEY,
          Condition: { StringEquals: { 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' } },
        },
      ]),
    );
    expect(resources(json, 'aws_iam_role_policy_attachment')).toEqual([]);
  });

  it('takes the Grafana admin from an existing Secret: no password in values or the synthesized stack', () => {
    expect(values.grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
    expect(JSON.stringify(values)).not.toMatch(/adminPassword/);
    expect(JSON.stringify(json)).not.toMatch(/adminPassword|prom-operator/);
  });

  it('loads dashboards from ConfigMaps labelled grafana_dashboard, in every namespace', () => {
    expect(values.grafana.sidecar.dashboards).toEqual({ enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: 'ALL' });
    const maps = resources(json, 'kubernetes_config_map_v1');
    expect(maps).toHaveLength(5);
    const dashboards = platformDashboards();
    for (const d of dashboards) {
      const map = maps.map(([, c]) => c).find((c) => c.metadata.name === `${d.uid}-dashboard`)!;
      expect(map.metadata.labels).toEqual({ [GRAFANA_DASHBOARD_LABEL.key]: GRAFANA_DASHBOARD_LABEL.value, 'app.kubernetes.io/managed-by': 'gaiops' });
      const text: string = map.data[`${d.uid}.json`];
      // Terraform would interpolate ${datasource}: escaped as $${datasource}, which Terraform turns back into ${datasource}.
      expect(text).not.toMatch(/(^|[^$])\$\{datasource\}/);
      expect(JSON.parse(text.replace(/\$\$\{/g, '${'))).toEqual(JSON.parse(dashboardJson(d)));
    }
  });

  it('schedules every component on the system node pool, and node-exporter on every node (GPU nodes included)', () => {
    const system = { nodeSelector: { 'gaiops.io/node-pool': 'system' }, tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists', effect: 'NoSchedule' }] };
    for (const component of [values.prometheus.prometheusSpec, values.alertmanager.alertmanagerSpec, values.prometheusOperator, values.prometheusOperator.admissionWebhooks.patch, values.grafana, values['kube-state-metrics']]) {
      expect(component).toMatchObject(system);
    }
    const exporter = values['prometheus-node-exporter'];
    expect(exporter.nodeSelector).toBeUndefined();
    expect(exporter.tolerations).toEqual(expect.arrayContaining([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]));
  });

  it('runs the components as non-root with RuntimeDefault seccomp (as the chart exposes it)', () => {
    for (const ctx of [values.prometheus.prometheusSpec.securityContext, values.alertmanager.alertmanagerSpec.securityContext, values.prometheusOperator.securityContext, values.grafana.securityContext, values['kube-state-metrics'].securityContext]) {
      expect(ctx).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(ctx.runAsUser).toBeGreaterThan(0);
    }
    for (const c of [values.prometheusOperator.containerSecurityContext, values['kube-state-metrics'].containerSecurityContext, values.grafana.containerSecurityContext]) {
      expect(c).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
  });

  it('installs the platform rules as one PrometheusRule in a generated local chart, after the stack', async () => {
    const release = byPath(json, 'helm_release', 'Monitoring/RulesRelease');
    expect(release).toMatchObject({ name: PLATFORM_RULES_NAME, namespace: 'monitoring', atomic: true });
    expect(release.chart).toMatch(/^\.\/assets\//);
    expect(release.depends_on).toEqual([expect.stringMatching(/^helm_release\.Monitoring_KubePrometheusStack_Release_/)]);
    expect(Object.keys(construct.rulesChart.files)).toEqual(['Chart.yaml', 'templates/prometheusrule.yaml', 'values.yaml']);
    const staged = stageChart(construct.rulesChart);
    for (const [file, text] of Object.entries(construct.rulesChart.files)) expect(readFileSync(join(staged, file), 'utf8')).toBe(text);
    const template = construct.rulesChart.files['templates/prometheusrule.yaml'];
    expect(template).toContain('{{ "{{" }} $labels.variant }}');
    const object = parse(unescapeHelm(template));
    expect(object).toEqual(JSON.parse(JSON.stringify(construct.rulesChart.rule)));
    const { PrometheusRule } = (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule')) as unknown as {
      PrometheusRule: new (o: unknown) => { validate(): void };
    };
    expect(() => new PrometheusRule(object).validate()).not.toThrow();
    expect(object.spec.groups.map((g: { name: string }) => g.name)).toContain('gaiops-gateway-slo');
  });

  it('renders the rules chart deterministically, named by its content hash', () => {
    const a = renderRulesChart(platformRuleGroups());
    const b = renderRulesChart(platformRuleGroups());
    expect(a.files).toEqual(b.files);
    expect(a.version).toBe(`0.0.0-sha256-${a.hash.slice(0, 16)}`);
    expect(renderRulesChart(platformRuleGroups({ queueDepth: 50 })).hash).not.toBe(a.hash);
    expect(construct.rulesChart.hash).toBe(a.hash);
  });

  it('passes the core policy pack with zero findings', () => {
    const findings = evaluatePolicies(json as never, [...CORE_RULES]);
    expect(activeFindings(findings)).toEqual([]);
  });
});

describe('MonitoringCluster (webhook receiver, options)', () => {
  it('reads a webhook URL from a mounted Secret and creates no AWS identity', () => {
    const { construct, json } = build({
      alertmanager: { receiver: { type: 'webhook', urlSecret: { name: 'alert-webhook', key: 'url' } }, replicas: 2 },
      prometheus: { retention: '30d', retentionSize: '90GB', storageGiB: 100, replicas: 2 },
      dashboards: false,
      rules: { queueDepth: 50 },
    });
    const values = construct.release.values as Values;
    expect(values.alertmanager.config.receivers[1]).toEqual({ name: 'platform', webhook_configs: [{ url_file: '/etc/alertmanager/secrets/alert-webhook/url', send_resolved: true }] });
    expect(values.alertmanager.alertmanagerSpec).toMatchObject({ secrets: ['alert-webhook'], replicas: 2 });
    expect(values.prometheus.prometheusSpec).toMatchObject({ retention: '30d', retentionSize: '90GB', replicas: 2 });
    expect(values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe('100Gi');
    expect(resources(json, 'aws_iam_role')).toEqual([]);
    expect(resources(json, 'aws_eks_pod_identity_association')).toEqual([]);
    expect(resources(json, 'kubernetes_config_map_v1')).toEqual([]);
    expect(construct.alertmanagerRole).toBeUndefined();
    expect(construct.rulesChart.files['templates/prometheusrule.yaml']).toContain('sum by (namespace, model_name) (vllm:num_requests_waiting) > 50');
    expect(unknownValueKeys(KUBE_PROMETHEUS_STACK_CHART, values)).toEqual([]);
  });

  it('accepts a plain HTTPS webhook URL', () => {
    const { construct } = build({ alertmanager: { receiver: { type: 'webhook', url: 'https://hooks.internal.example.com/alerts' } } });
    expect((construct.release.values as Values).alertmanager.config.receivers[1].webhook_configs).toEqual([{ url: 'https://hooks.internal.example.com/alerts', send_resolved: true }]);
  });

  it('refuses a value key the pinned chart version does not have', () => {
    expect(unknownValueKeys(KUBE_PROMETHEUS_STACK_CHART, { grafana: { adminPassword: 'x' }, prometheus: { prometheusSpec: { retension: '1d' } } })).toEqual([
      'grafana.adminPassword',
      'prometheus.prometheusSpec.retension',
    ]);
  });
});

describe('MonitoringCluster props', () => {
  const errorOf = (props: unknown): GaiConfigError => {
    const stack = platformStack({}, 'bad');
    try {
      new MonitoringCluster(stack, 'Monitoring', props as MonitoringClusterProps);
    } catch (e) {
      expect(e).toBeInstanceOf(GaiConfigError);
      return e as GaiConfigError;
    }
    throw new Error('expected a GaiConfigError');
  };

  it('bad props fail with one GaiConfigError naming every field', () => {
    const e = errorOf({
      ...BASE,
      volumeKmsKeyArn: 'alias/aws/ebs',
      namespace: 'Monitoring',
      prometheus: { retention: 'two weeks' },
      alertmanager: { receiver: { type: 'sns', topicArn: 'not-an-arn', topicKmsKeyArn: TOPIC_KEY, region: 'Ireland' } },
      grafana: {},
      rules: { gpuTemperatureCelsius: 500 },
      adminPassword: 'hunter2',
    });
    const fields = e.problems.map((p) => p.fieldPath);
    expect(e.problems.every((p) => p.constructPath === 'bad/Monitoring')).toBe(true);
    expect(fields).toEqual(
      expect.arrayContaining([
        'volumeKmsKeyArn',
        'namespace',
        'prometheus.retention',
        'alertmanager.receiver.topicArn',
        'alertmanager.receiver.region',
        'grafana.adminSecretName',
        'rules.gpuTemperatureCelsius',
      ]),
    );
    expect(e.message).toMatch(/adminPassword/);
  });

  it('a webhook receiver needs exactly one of url and urlSecret; unknown receiver types are refused', () => {
    expect(errorOf({ ...BASE, alertmanager: { receiver: { type: 'webhook' } } }).problems.map((p) => p.fieldPath)).toEqual(['alertmanager.receiver.url']);
    expect(errorOf({ ...BASE, alertmanager: { receiver: { type: 'webhook', url: 'http://insecure.example.com' } } }).problems.map((p) => p.fieldPath)).toEqual([
      'alertmanager.receiver.url',
    ]);
    expect(errorOf({ ...BASE, alertmanager: { receiver: { type: 'email', to: 'x@example.com' } } }).problems.map((p) => p.fieldPath)).toEqual(['alertmanager.receiver.type']);
  });

  it('retentionSize must fit the volume with headroom', () => {
    expect(errorOf({ ...BASE, prometheus: { retentionSize: '60GB', storageGiB: 50 } }).problems.map((p) => `${p.fieldPath}: ${p.message}`)).toEqual([
      expect.stringMatching(/^prometheus\.retentionSize: must leave room on the volume/),
    ]);
    expect(byteSize('45GB')).toBe(45e9);
    expect(byteSize('40GiB')).toBe(40 * 1024 ** 3);
    expect(byteSize('0')).toBe(0);
  });

  it('the receiver and the Grafana secret are required', () => {
    const e = errorOf({ cluster: TEST_CLUSTER, volumeKmsKeyArn: KEY });
    expect(e.problems.map((p) => p.fieldPath).sort()).toEqual(['alertmanager', 'grafana']);
    expect(e).toBeInstanceOf(GaiError);
  });
});

describe('MonitoringCluster across stacks', () => {
  it('takes the cluster reference, the cluster key and an alert topic from earlier stacks, and passes the policy pack', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const clusterStack = new PlatformStack(app, 'cluster', { settings: SETTINGS });
    const network = new ClusterNetwork(clusterStack, 'Network', { clusterName: 'gai-test-training' });
    const training = new GpuTrainingCluster(clusterStack, 'Training', { network, clusterName: 'gai-test-training', adminRoleArns: ['arn:aws:iam::111122223333:role/PlatformAdmin'] });
    const addons = new PlatformStack(app, 'addons', { settings: SETTINGS });
    const observability = new PlatformStack(app, 'observability', { settings: SETTINGS });
    observability.addDependency(addons);
    const key = new EncryptionKey(observability, 'AlertKey', { services: ['cloudwatch'] });
    const topic = new SecureTopic(observability, 'Alerts', { encryptionKey: key, publishers: ['cloudwatch'] });
    const cluster = training.reference();
    const { kubernetes, helm } = ClusterProviders.configure(observability, cluster);
    const monitoring = new MonitoringCluster(observability, 'Monitoring', {
      cluster,
      helmProvider: helm,
      kubernetesProvider: kubernetes,
      volumeKmsKeyArn: training.encryptionKey.keyArn,
      alertmanager: { receiver: { type: 'sns', topicArn: topic.topicArn, topicKmsKeyArn: key.keyArn } },
      grafana: { adminSecretName: 'grafana-admin' },
    });
    app.synth(); // resolves cross-stack references and runs every validation (the policy pack among them)
    const json = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'observability', 'cdk.tf.json'), 'utf8')) as TfJson;
    const manifest = JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { dependencies: string[] }> };
    expect(manifest.stacks.observability.dependencies.sort()).toEqual(['addons', 'cluster']);
    expect(only(json, 'kubernetes_storage_class_v1').parameters.kmsKeyId).toMatch(/^\$\{data\.terraform_remote_state/);
    expect(only(json, 'aws_eks_pod_identity_association').cluster_name).toMatch(/^\$\{data\.terraform_remote_state/);
    expect(monitoring.alertmanagerRole).toBeDefined();
    expect(activeFindings(evaluatePolicies(json as never, [...CORE_RULES]))).toEqual([]);
  });
});
