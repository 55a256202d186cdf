import type { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { Release } from '@cdktf/provider-helm/lib/release';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { Construct } from 'constructs';
import { PinnedHelmRelease, type PinnedChart } from '../core/helm/pinned-chart';
import { Role } from '../core/iam/role';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import { AssetType, TerraformAsset } from '../core/tf';
import { SYSTEM_NODE_TAINT } from '../gpu-training-cluster/cluster';
import { packLocalChart, stageChart } from '../gpu-training-cluster/local-chart';
import { GPU_TAINT, NODE_POOL_LABEL, toHelmTemplate } from '../gpu-training-cluster/node-pools';
import { podIdentityAssociation, podIdentityRole } from '../core/iam/pod-identity-role';
import { podSecurityManifest } from '../core/k8s/pod-security';
import { dashboardJson, type Dashboard } from './dashboards/model';
import { platformDashboards } from './dashboards/platform-dashboards';
import { MonitoringClusterPropsSchema, type MonitoringClusterConfig, type MonitoringClusterProps } from './monitoring-cluster-schema';
import { renderPrometheusRule, type PrometheusRuleObject, type RuleGroup } from './rules/model';
import { platformRuleGroups } from './rules/platform-rules';

/**
 * kube-prometheus-stack 88.5.3 (Prometheus operator v0.93.1; subcharts kube-state-metrics 8.4.0,
 * prometheus-node-exporter 4.56.1, grafana 12.11.1).
 *
 * How the keys were verified: read with the search tools from the upstream repositories at the
 * release tags — prometheus-community/helm-charts `kube-prometheus-stack-88.5.3`
 * (commit ea930baeebeba39f56d6b44e351f23b2a072a600) `charts/kube-prometheus-stack/values.yaml`,
 * `kube-state-metrics-8.4.0` `charts/kube-state-metrics/values.yaml`,
 * `prometheus-node-exporter-4.56.1` `charts/prometheus-node-exporter/values.yaml`, and
 * grafana-community/helm-charts `grafana-12.11.1` `charts/grafana/values.yaml` (the grafana
 * dependency of 88.5.3 comes from https://grafana-community.github.io/helm-charts). Each listed
 * path exists as a key in those files (flattened with a YAML parser and compared).
 */
export const KUBE_PROMETHEUS_STACK_CHART: PinnedChart = {
  repository: 'https://prometheus-community.github.io/helm-charts',
  chart: 'kube-prometheus-stack',
  version: '88.5.3',
  appVersion: 'v0.93.1',
  source:
    'prometheus-community/helm-charts@kube-prometheus-stack-88.5.3 charts/kube-prometheus-stack/values.yaml; kube-state-metrics-8.4.0 and prometheus-node-exporter-4.56.1 values.yaml; grafana-community/helm-charts@grafana-12.11.1 charts/grafana/values.yaml',
  valueKeys: [
    'crds.enabled',
    // Alertmanager (kube-prometheus-stack values.yaml `alertmanager:`)
    'alertmanager.enabled',
    'alertmanager.config',
    'alertmanager.serviceAccount.create',
    'alertmanager.serviceAccount.name',
    'alertmanager.alertmanagerSpec.replicas',
    'alertmanager.alertmanagerSpec.storage',
    'alertmanager.alertmanagerSpec.secrets',
    'alertmanager.alertmanagerSpec.nodeSelector',
    'alertmanager.alertmanagerSpec.tolerations',
    'alertmanager.alertmanagerSpec.securityContext',
    // Prometheus (`prometheus.prometheusSpec:`)
    'prometheus.enabled',
    'prometheus.prometheusSpec.replicas',
    'prometheus.prometheusSpec.retention',
    'prometheus.prometheusSpec.retentionSize',
    'prometheus.prometheusSpec.storageSpec',
    'prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues',
    'prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues',
    'prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues',
    'prometheus.prometheusSpec.probeSelectorNilUsesHelmValues',
    'prometheus.prometheusSpec.scrapeConfigSelectorNilUsesHelmValues',
    'prometheus.prometheusSpec.nodeSelector',
    'prometheus.prometheusSpec.tolerations',
    'prometheus.prometheusSpec.securityContext',
    // Prometheus operator (`prometheusOperator:`)
    'prometheusOperator.nodeSelector',
    'prometheusOperator.tolerations',
    'prometheusOperator.securityContext',
    'prometheusOperator.containerSecurityContext',
    'prometheusOperator.admissionWebhooks.patch.nodeSelector',
    'prometheusOperator.admissionWebhooks.patch.tolerations',
    'prometheusOperator.admissionWebhooks.patch.securityContext',
    // Grafana (kube-prometheus-stack `grafana:` and the grafana 12.11.1 chart's values.yaml)
    'grafana.enabled',
    'grafana.defaultDashboardsEnabled',
    'grafana.admin.existingSecret',
    'grafana.admin.userKey',
    'grafana.admin.passwordKey',
    'grafana.sidecar.dashboards.enabled',
    'grafana.sidecar.dashboards.label',
    'grafana.sidecar.dashboards.labelValue',
    'grafana.sidecar.dashboards.searchNamespace',
    'grafana.testFramework.enabled',
    'grafana.nodeSelector',
    'grafana.tolerations',
    'grafana.securityContext',
    'grafana.containerSecurityContext',
    // kube-state-metrics 8.4.0 values.yaml
    'kube-state-metrics.nodeSelector',
    'kube-state-metrics.tolerations',
    'kube-state-metrics.securityContext',
    'kube-state-metrics.containerSecurityContext',
    // prometheus-node-exporter 4.56.1 values.yaml
    'prometheus-node-exporter.tolerations',
  ],
};

/** The label (and value) Grafana's sidecar loads dashboard ConfigMaps by, in every namespace. */
export const GRAFANA_DASHBOARD_LABEL = { key: 'grafana_dashboard', value: '1' } as const;

/**
 * Prometheus selects every ServiceMonitor, PodMonitor, Probe, ScrapeConfig and PrometheusRule in
 * the cluster (`…SelectorNilUsesHelmValues: false` with empty selectors): no label is required on
 * them. The platform's own objects carry this one, for `kubectl get -l`.
 */
export const MONITORING_MANAGED_BY_LABEL = { key: 'app.kubernetes.io/managed-by', value: 'gaiops' } as const;

/** Name of the PrometheusRule holding the platform rules, and of its generated chart. */
export const PLATFORM_RULES_NAME = 'gaiops-platform-rules';

/** The generated rules chart: files, content hash, version, and the PrometheusRule it templates. */
export interface RulesChart {
  readonly files: Readonly<Record<string, string>>;
  readonly hash: string;
  readonly version: string;
  readonly rule: PrometheusRuleObject;
}

/** Renders the local Helm chart carrying the PrometheusRule (deterministic; `{{` escaped for Helm). */
export function renderRulesChart(groups: readonly RuleGroup[]): RulesChart {
  const rule = renderPrometheusRule(groups, { name: PLATFORM_RULES_NAME, labels: { [MONITORING_MANAGED_BY_LABEL.key]: MONITORING_MANAGED_BY_LABEL.value } });
  const content: Record<string, string> = {
    'templates/prometheusrule.yaml': toHelmTemplate(rule),
    'values.yaml': '{}\n',
  };
  const { files, hash, version } = packLocalChart(PLATFORM_RULES_NAME, 'PrometheusRules generated by gaiops MonitoringCluster', content);
  return { files, hash, version, rule };
}

/** Terraform reads `${…}` and `%{…}` in strings as templates; Grafana's `${datasource}` must stay literal. */
function terraformLiteral(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Container context of the chart components, as Helm values (their pod security contexts set the non-root user). */
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };

/**
 * Cluster monitoring for the platform, in the observability stack (after the add-on stack that
 * installs the `prometheus-operator-crds` chart): kube-prometheus-stack (Prometheus with retention
 * on an encrypted gp3 volume, Alertmanager routing to SNS through EKS Pod Identity or to a webhook,
 * Grafana with admin credentials from an existing Secret and a dashboard sidecar,
 * kube-state-metrics, node-exporter on every node), the platform alert rules as a PrometheusRule in
 * a generated local chart, and the platform dashboards as ConfigMaps.
 */
export class MonitoringCluster extends Construct {
  /** The kube-prometheus-stack release (`release.release` is the helm_release). */
  readonly release: PinnedHelmRelease;
  readonly rulesRelease: Release;
  readonly rulesChart: RulesChart;
  readonly rulesChartAsset: TerraformAsset;
  readonly namespace: NamespaceV1;
  readonly storageClass: StorageClassV1;
  /** Alertmanager's role (SNS receiver only). */
  readonly alertmanagerRole?: Role;
  /** Binds Alertmanager's service account to {@link alertmanagerRole} (SNS receiver only). */
  readonly alertmanagerPodIdentity?: EksPodIdentityAssociation;
  readonly dashboards: readonly Dashboard[];
  readonly dashboardConfigMaps: readonly ConfigMapV1[];
  /** The validated props with defaults. */
  readonly config: MonitoringClusterConfig;

  constructor(scope: Construct, id: string, props: MonitoringClusterProps) {
    super(scope, id);
    const p = parseProps(this, MonitoringClusterPropsSchema, props);
    this.config = p;
    const ctx = PlatformContext.of(this);
    const provider = p.kubernetesProvider;

    this.namespace = new NamespaceV1(this, 'Namespace', {
      provider,
      metadata: {
        name: p.namespace,
        labels: {
          [MONITORING_MANAGED_BY_LABEL.key]: MONITORING_MANAGED_BY_LABEL.value,
          // node-exporter needs the host's network, PID namespace and root filesystem.
          'pod-security.kubernetes.io/enforce': 'privileged',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });

    this.storageClass = new StorageClassV1(this, 'StorageClass', {
      provider,
      metadata: { name: p.storageClassName, labels: { [MONITORING_MANAGED_BY_LABEL.key]: MONITORING_MANAGED_BY_LABEL.value } },
      storageProvisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true', kmsKeyId: p.volumeKmsKeyArn },
      // Metrics history outlives a mistaken `helm uninstall` outside ephemeral environments.
      reclaimPolicy: ctx.ephemeral ? 'Delete' : 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    });

    const receiver = p.alertmanager.receiver;
    let podIdentity: EksPodIdentityAssociation | undefined;
    if (receiver.type === 'sns') {
      this.alertmanagerRole = this.snsRole(p, receiver.topicArn, receiver.topicKmsKeyArn, receiver.region ?? ctx.region);
      podIdentity = podIdentityAssociation(this, 'AlertmanagerPodIdentity', {
        clusterName: p.cluster.clusterName,
        namespace: p.namespace,
        serviceAccount: p.alertmanager.serviceAccountName,
        role: this.alertmanagerRole,
      });
    }

    this.alertmanagerPodIdentity = podIdentity;
    this.release = new PinnedHelmRelease(this, 'KubePrometheusStack', {
      chart: KUBE_PROMETHEUS_STACK_CHART,
      name: p.releaseName,
      namespace: p.namespace,
      values: this.chartValues(p, ctx.region),
      provider: p.helmProvider,
      timeoutSeconds: p.timeoutSeconds,
      // The add-on layer's prometheus-operator-crds chart owns the CRDs.
      skipCrds: true,
      // Alertmanager starts with its credentials in place.
      dependsOn: [this.namespace, this.storageClass, ...(podIdentity ? [podIdentity] : [])],
    });

    // The rules: one PrometheusRule in a content-addressed local chart (the CRD need not exist at plan time).
    this.rulesChart = renderRulesChart(platformRuleGroups(p.rules, `${this.node.path}: rules`));
    this.rulesChartAsset = new TerraformAsset(this, 'RulesChart', { path: stageChart(this.rulesChart), type: AssetType.DIRECTORY, assetHash: this.rulesChart.hash });
    this.rulesRelease = new Release(this, 'RulesRelease', {
      name: PLATFORM_RULES_NAME,
      chart: `./${this.rulesChartAsset.path}`,
      namespace: p.namespace,
      createNamespace: false,
      atomic: true,
      wait: true,
      cleanupOnFail: true,
      maxHistory: 10,
      timeout: 300,
      provider: p.helmProvider,
      // The operator's admission webhook validates PrometheusRules: install after the stack.
      dependsOn: [this.release.release],
    });

    this.dashboards = p.dashboards ? platformDashboards() : [];
    this.dashboardConfigMaps = this.dashboards.map(
      (d) =>
        new ConfigMapV1(this, `Dashboard-${d.uid.replace(/^gaiops-/, '')}`, {
          provider,
          metadata: {
            name: `${d.uid}-dashboard`,
            namespace: this.namespace.metadata.name,
            labels: { [GRAFANA_DASHBOARD_LABEL.key]: GRAFANA_DASHBOARD_LABEL.value, [MONITORING_MANAGED_BY_LABEL.key]: MONITORING_MANAGED_BY_LABEL.value },
          },
          data: { [`${d.uid}.json`]: terraformLiteral(dashboardJson(d)) },
        }),
    );
  }

  /**
   * The IAM role Alertmanager publishes with: trusted by EKS Pod Identity for this cluster's
   * Alertmanager service account only, allowed `sns:Publish` on the topic and the topic key's data
   * key operations through SNS only.
   */
  private snsRole(p: MonitoringClusterConfig, topicArn: string, keyArn: string, region: string): Role {
    const role = podIdentityRole(this, 'AlertmanagerRole', {
      clusterName: p.cluster.clusterName,
      namespace: p.namespace,
      serviceAccount: p.alertmanager.serviceAccountName,
      description: `Alertmanager (${p.namespace}/${p.alertmanager.serviceAccountName}) publishing alerts to SNS through EKS Pod Identity`,
    });
    role.addToPrincipalPolicy({ sid: 'PublishAlerts', actions: ['sns:Publish'], resources: [topicArn] });
    role.addToPrincipalPolicy({
      sid: 'EncryptAlerts',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${region}.amazonaws.com` } },
    });
    return role;
  }

  /** The kube-prometheus-stack values (every path verified for the pinned version). */
  private chartValues(p: MonitoringClusterConfig, defaultRegion: string): Record<string, unknown> {
    const system = {
      nodeSelector: { [NODE_POOL_LABEL]: p.systemNodePool },
      tolerations: [{ key: SYSTEM_NODE_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
    };
    const volume = (gib: number) => ({
      volumeClaimTemplate: { spec: { storageClassName: p.storageClassName, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${gib}Gi` } } } },
    });
    const receiver = p.alertmanager.receiver;
    const webhookSecret = receiver.type === 'webhook' ? receiver.urlSecret : undefined;
    const platformReceiver =
      receiver.type === 'sns'
        ? { name: 'platform', sns_configs: [{ topic_arn: receiver.topicArn, sigv4: { region: receiver.region ?? defaultRegion }, send_resolved: true }] }
        : {
            name: 'platform',
            webhook_configs: [
              webhookSecret
                ? { url_file: `/etc/alertmanager/secrets/${webhookSecret.name}/${webhookSecret.key}`, send_resolved: true }
                : { url: receiver.url, send_resolved: true },
            ],
          };
    return {
      // The add-on layer installs the CRDs (prometheus-operator-crds chart).
      crds: { enabled: false },
      alertmanager: {
        enabled: true,
        serviceAccount: { create: true, name: p.alertmanager.serviceAccountName },
        config: {
          global: { resolve_timeout: '5m' },
          route: {
            receiver: 'platform',
            group_by: ['alertname', 'namespace', 'severity'],
            group_wait: '30s',
            group_interval: '5m',
            repeat_interval: '4h',
            routes: [
              // kube-prometheus' always-firing heartbeat and the info inhibitor are not notifications.
              { receiver: 'null', matchers: ['alertname = "Watchdog"'] },
              { receiver: 'null', matchers: ['alertname = "InfoInhibitor"'] },
              { receiver: 'platform', matchers: ['severity = "critical"'], repeat_interval: '1h' },
            ],
          },
          inhibit_rules: [
            { source_matchers: ['severity = "critical"'], target_matchers: ['severity =~ "warning|info"'], equal: ['namespace', 'alertname'] },
            { source_matchers: ['severity = "warning"'], target_matchers: ['severity = "info"'], equal: ['namespace', 'alertname'] },
          ],
          receivers: [{ name: 'null' }, platformReceiver],
        },
        alertmanagerSpec: {
          replicas: p.alertmanager.replicas,
          storage: volume(p.alertmanager.storageGiB),
          ...(webhookSecret ? { secrets: [webhookSecret.name] } : {}),
          ...system,
          securityContext: podSecurityManifest(1000),
        },
      },
      prometheus: {
        enabled: true,
        prometheusSpec: {
          replicas: p.prometheus.replicas,
          retention: p.prometheus.retention,
          retentionSize: p.prometheus.retentionSize,
          storageSpec: volume(p.prometheus.storageGiB),
          // Select every ServiceMonitor, PodMonitor, Probe, ScrapeConfig and PrometheusRule, not only this release's.
          ruleSelectorNilUsesHelmValues: false,
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelectorNilUsesHelmValues: false,
          probeSelectorNilUsesHelmValues: false,
          scrapeConfigSelectorNilUsesHelmValues: false,
          ...system,
          securityContext: podSecurityManifest(1000),
        },
      },
      prometheusOperator: {
        ...system,
        securityContext: podSecurityManifest(65534),
        containerSecurityContext: RESTRICTED_CONTAINER,
        admissionWebhooks: { patch: { ...system, securityContext: podSecurityManifest(2000) } },
      },
      grafana: {
        enabled: true,
        defaultDashboardsEnabled: true,
        admin: { existingSecret: p.grafana.adminSecretName, userKey: p.grafana.userKey, passwordKey: p.grafana.passwordKey },
        sidecar: { dashboards: { enabled: true, label: GRAFANA_DASHBOARD_LABEL.key, labelValue: GRAFANA_DASHBOARD_LABEL.value, searchNamespace: 'ALL' } },
        testFramework: { enabled: false },
        ...system,
        securityContext: podSecurityManifest(472),
        containerSecurityContext: { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
      },
      'kube-state-metrics': {
        ...system,
        securityContext: { enabled: true, ...podSecurityManifest(65534) },
        containerSecurityContext: RESTRICTED_CONTAINER,
      },
      'prometheus-node-exporter': {
        // Every node: GPU nodes (tainted nvidia.com/gpu), system nodes, and any other NoSchedule taint (the chart's default).
        tolerations: [
          { key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect },
          { key: SYSTEM_NODE_TAINT.key, operator: 'Exists', effect: 'NoSchedule' },
          { operator: 'Exists', effect: 'NoSchedule' },
        ],
      },
    };
  }
}
