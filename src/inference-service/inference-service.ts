import { Release } from '@cdktf/provider-helm/lib/release';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1, type NetworkPolicyV1Spec } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Grant } from '../core/iam/grant';
import { podIdentityAssociation, podIdentityRole } from '../core/iam/pod-identity-role';
import { Role } from '../core/iam/role';
import { DEFAULT_DENY_SPEC, DNS_EGRESS_SPEC } from '../core/k8s/network-policy';
import { POD_IDENTITY_AGENT } from '../core/k8s/pod-identity-agent';
import { containerSecurity, httpProbe, NAMESPACE_NAME_LABEL, podSecurity, restrictedNamespaceLabels, topologySpread } from '../core/k8s/pod-security';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import { AssetType, TerraformAsset } from '../core/tf';
import { packLocalChart, stageChart } from '../gpu-training-cluster/local-chart';
import { GPU_TAINT, NODE_POOL_LABEL, toHelmTemplate } from '../gpu-training-cluster/node-pools';
import { GPU_RESOURCE } from '../gpu-training-cluster/teams';
import { GATEWAY_METRICS } from '../monitoring-stack/metric-names';
import {
  GATEWAY_CONFIG_FILE,
  GATEWAY_ENV,
  GATEWAY_KEYS_FILE,
  GATEWAY_PORT,
  GatewayConfigSchema,
  type GatewayConfig,
  type GatewayConfigInput,
} from './gateway-config';
import {
  DEFAULT_VLLM_IMAGE,
  imageUri,
  InferenceServicePropsSchema,
  SERVER_KIND_DEFAULTS,
  type InferenceServiceConfig,
  type InferenceServiceProps,
  type InferenceVariantConfig,
} from './schema';

/** Label naming the InferenceService on every object it creates. */
export const INFERENCE_SERVICE_LABEL = 'gaiops.io/inference-service';
/** Label naming the variant on model-server objects. */
export const VARIANT_LABEL = 'gaiops.io/variant';
/** `app.kubernetes.io/component` of the gateway and of model servers (NetworkPolicies select on it). */
export const COMPONENTS = { gateway: 'gateway', modelServer: 'model-server' } as const;
/** Annotation on the gateway ConfigMap carrying the sha256 of `gateway.json` (never on the pod template: see README). */
export const CONFIG_HASH_ANNOTATION = 'gaiops.io/config-sha256';
/** Where the gateway reads its files (directories: ConfigMap and Secret volumes, no subPath, so updates propagate). */
export const GATEWAY_CONFIG_DIR = '/etc/gaiops/gateway';
export const GATEWAY_KEYS_DIR = '/etc/gaiops/keys';
/** Where the model-fetcher writes the model and the server reads it. */
export const MODEL_DIR = '/models';
/** Environment of the model-fetcher init container (its contract with the `model-fetcher` runtime). */
export const MODEL_FETCHER_ENV = {
  registryApiUrl: 'REGISTRY_API_URL',
  modelName: 'MODEL_NAME',
  modelVersion: 'MODEL_VERSION',
  modelAlias: 'MODEL_ALIAS',
  modelDir: 'MODEL_DIR',
  region: 'AWS_REGION',
} as const;
/** Names of the NetworkPolicies in the service namespace. */
export const INFERENCE_NETWORK_POLICIES = {
  defaultDeny: 'default-deny',
  dns: 'allow-dns',
  gatewayIngress: 'gateway-ingress',
  gatewayToServers: 'gateway-to-model-servers',
  serverIngress: 'model-server-ingress',
  serverEgress: 'model-server-egress',
} as const;
/** Threshold of the scale-to-zero traffic trigger: high enough that it only ever asks for one replica (activation). */
export const ACTIVATION_ONLY_THRESHOLD = '1000000';

/** A rendered custom resource before templating. */
export interface InferenceChartObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Record<string, string> };
  readonly spec: Record<string, unknown>;
}

/** The generated chart of custom resources (ScaledObjects, ServiceMonitors). */
export interface InferenceChart {
  readonly files: Readonly<Record<string, string>>;
  readonly hash: string;
  readonly version: string;
  readonly objects: readonly InferenceChartObject[];
}

/** One variant as built. */
export interface InferenceVariant {
  readonly name: string;
  /** Deployment and Service name: `<service>-<variant>`. */
  readonly resourceName: string;
  readonly deployment: DeploymentV1;
  readonly service: ServiceV1;
  readonly serviceAccount: ServiceAccountV1;
  readonly role: Role;
  /** What the registry granted the role (read only). */
  readonly grant: Grant;
  /** Base URL the gateway calls. */
  readonly upstream: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writable locations for the server process (the root filesystem is read-only). */
function cacheEnv(): { name: string; value: string }[] {
  return [
    ['HOME', '/tmp'],
    ['XDG_CACHE_HOME', '/tmp/.cache'],
    ['XDG_CONFIG_HOME', '/tmp/.config'],
    ['HF_HOME', '/tmp/huggingface'],
    ['HF_HUB_OFFLINE', '1'],
    ['TRANSFORMERS_OFFLINE', '1'],
    ['VLLM_CACHE_ROOT', '/tmp/vllm'],
    ['VLLM_CONFIG_ROOT', '/tmp/vllm-config'],
    ['VLLM_NO_USAGE_STATS', '1'],
    ['DO_NOT_TRACK', '1'],
    ['TRITON_CACHE_DIR', '/tmp/triton'],
    ['TORCHINDUCTOR_CACHE_DIR', '/tmp/torchinductor'],
    ['NUMBA_CACHE_DIR', '/tmp/numba'],
    ['OUTLINES_CACHE_DIR', '/tmp/outlines'],
  ].map(([name, value]) => ({ name, value }));
}

/** Command and arguments per server kind: model from /models, served name, port, parallelism; then the variant's args. */
function serverCommand(v: InferenceVariantConfig): { command?: string[]; args: string[] } {
  const name = v.model.name;
  switch (v.server.kind) {
    case 'vllm':
      return {
        command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
        args: ['--model', MODEL_DIR, '--served-model-name', name, '--host', '0.0.0.0', '--port', '8000', '--tensor-parallel-size', String(v.gpusPerReplica), ...v.server.args],
      };
    case 'tgi':
      return { args: ['--model-id', MODEL_DIR, '--hostname', '0.0.0.0', '--port', '8000', '--num-shard', String(v.gpusPerReplica), ...v.server.args] };
    case 'triton':
      return { command: ['tritonserver'], args: [`--model-repository=${MODEL_DIR}`, '--http-port=8000', '--metrics-port=8002', ...v.server.args] };
    case 'custom':
      return { args: [...v.server.args] };
  }
}

/** Port, metrics port, probe paths and queue metric of a variant (kind defaults, overridden where allowed). */
export function serverSettings(v: InferenceVariantConfig): { port: number; metricsPort: number; readinessPath: string; livenessPath: string; queueMetric?: string } {
  const d = SERVER_KIND_DEFAULTS[v.server.kind];
  const port = v.server.port ?? d.port;
  return {
    port,
    metricsPort: v.server.kind === 'custom' ? port : d.metricsPort,
    readinessPath: v.server.readinessPath ?? d.readinessPath,
    livenessPath: v.server.livenessPath ?? d.livenessPath,
    queueMetric: v.server.queueMetric ?? d.queueMetric,
  };
}

/** Renders the chart (Chart.yaml, values.yaml, one template per object) deterministically. */
export function renderInferenceChart(chartName: string, objects: readonly InferenceChartObject[]): InferenceChart {
  const content: Record<string, string> = { 'values.yaml': stringify({}) };
  for (const o of objects) content[`templates/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`] = toHelmTemplate(o);
  const { files, hash, version } = packLocalChart(chartName, 'KEDA ScaledObjects and Prometheus ServiceMonitors generated by gaiops InferenceService', content);
  return { files, hash, version, objects };
}

/**
 * An inference service on the GPU cluster, in a workloads stack (after the cluster and add-on
 * stacks): a namespace with default-deny NetworkPolicies; per variant a model-server Deployment
 * (model-fetcher init container pulling the registered model into an emptyDir, then vLLM/TGI/Triton
 * or a custom server on a GPU pool), Service, PodDisruptionBudget, ServiceAccount bound by EKS Pod
 * Identity to a role with registry read only, a KEDA ScaledObject on the server queue and a
 * ServiceMonitor; the OpenAI-compatible gateway (Deployment, Service, HPA, PDB, live-reloaded
 * `gateway.json` ConfigMap, API key hashes from a platform-managed Secret, ServiceMonitor); and an
 * internal HTTPS ALB Ingress. Custom resources ship in a local Helm chart generated at synth.
 */
export class InferenceService extends Construct {
  readonly config: InferenceServiceConfig;
  readonly namespace: NamespaceV1;
  /** The namespace name (a reference to the namespace resource). */
  readonly namespaceName: string;
  readonly variants: readonly InferenceVariant[];
  /** The gateway.json written to the ConfigMap (already validated by GatewayConfigSchema). */
  readonly gatewayConfig: GatewayConfig;
  /** sha256 (hex) of the gateway.json text: the ConfigMap's `gaiops.io/config-sha256` annotation. */
  readonly gatewayConfigHash: string;
  readonly gateway: {
    readonly deployment: DeploymentV1;
    readonly service: ServiceV1;
    readonly configMap: ConfigMapV1;
    readonly autoscaler: HorizontalPodAutoscalerV2;
    readonly serviceAccount: ServiceAccountV1;
    readonly keysSecretName: string;
  };
  readonly ingress?: IngressV1;
  /** In-cluster base URL of the gateway (`http://<name>-gateway.<namespace>.svc:8080`); clients add `/v1/…`. */
  readonly gatewayServiceUrl: string;
  readonly chart: InferenceChart;
  readonly chartAsset: TerraformAsset;
  readonly release: Release;

  constructor(scope: Construct, id: string, props: InferenceServiceProps) {
    super(scope, id);
    const p = parseProps(this, InferenceServicePropsSchema, props);
    this.config = p;
    const ctx = PlatformContext.of(this);
    const provider: KubernetesProvider | undefined = p.kubernetesProvider;
    const nsName = p.namespace ?? p.name;
    const base = { [INFERENCE_SERVICE_LABEL]: p.name, 'app.kubernetes.io/part-of': p.name, 'app.kubernetes.io/managed-by': 'gaiops' };

    this.namespace = new NamespaceV1(this, 'Namespace', {
      provider,
      metadata: {
        name: nsName,
        labels: {
          ...base,
          ...restrictedNamespaceLabels(),
        },
      },
    });
    const ns = this.namespace.metadata.name;
    this.namespaceName = ns;
    const meta = (name: string, labels: Record<string, string> = base) => ({ name, namespace: ns, labels });
    const uid = p.runAsUser;

    // ---- model-server variants ----
    const gatewaySelector = { [INFERENCE_SERVICE_LABEL]: p.name, 'app.kubernetes.io/component': COMPONENTS.gateway };
    const chartObjects: InferenceChartObject[] = [];
    const monitorLabels = (labels: Record<string, string>) => ({ ...p.monitoring.serviceMonitorLabels, ...labels });
    const serviceMonitor = (name: string, labels: Record<string, string>, selector: Record<string, string>, port: string): InferenceChartObject => ({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name, namespace: nsName, labels: monitorLabels(labels) },
      spec: {
        selector: { matchLabels: selector },
        namespaceSelector: { matchNames: [nsName] },
        endpoints: [{ port, path: '/metrics', scheme: 'http', interval: p.monitoring.scrapeInterval }],
      },
    });

    this.variants = p.variants.map((v) => {
      const scope = new Construct(this, `Variant-${v.name}`);
      const resourceName = `${p.name}-${v.name}`;
      const selector = { [INFERENCE_SERVICE_LABEL]: p.name, 'app.kubernetes.io/component': COMPONENTS.modelServer, [VARIANT_LABEL]: v.name };
      const labels = { ...base, ...selector, 'app.kubernetes.io/name': resourceName };
      const s = serverSettings(v);

      const serviceAccount = new ServiceAccountV1(scope, 'ServiceAccount', { provider, metadata: meta(resourceName, labels), automountServiceAccountToken: false });
      const role = podIdentityRole(scope, 'Role', {
        clusterName: p.cluster.clusterName,
        namespace: nsName,
        serviceAccount: resourceName,
        description: `InferenceService ${p.name} variant ${v.name}: ${nsName}/${resourceName} through EKS Pod Identity (registry read)`,
      });
      const grant = p.registry.grantRead(role);
      const association = podIdentityAssociation(scope, 'PodIdentity', {
        clusterName: p.cluster.clusterName,
        namespace: ns,
        serviceAccount: serviceAccount.metadata.name,
        role,
      });

      const { command, args } = serverCommand(v);
      const modelEnv = 'version' in v.model ? { name: MODEL_FETCHER_ENV.modelVersion, value: String(v.model.version) } : { name: MODEL_FETCHER_ENV.modelAlias, value: v.model.alias };
      const ports = [{ name: 'http', containerPort: s.port, protocol: 'TCP' }];
      if (s.metricsPort !== s.port) ports.push({ name: 'metrics', containerPort: s.metricsPort, protocol: 'TCP' });
      const probe = (path: string, periodSeconds: number, failureThreshold: number) => httpProbe(path, s.port, periodSeconds, failureThreshold, 5);
      const autoscaled = p.keda.enabled;
      const deployment = new DeploymentV1(scope, 'Deployment', {
        provider,
        metadata: meta(resourceName, labels),
        // A GPU server may wait for a node and a model download far longer than an apply should.
        waitForRollout: false,
        spec: {
          // KEDA owns the replica count when it scales the variant.
          ...(autoscaled ? {} : { replicas: String(v.replicas.min) }),
          revisionHistoryLimit: 5,
          selector: { matchLabels: selector },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '0' } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: 60,
              securityContext: podSecurity(uid),
              nodeSelector: { [NODE_POOL_LABEL]: v.pool },
              toleration: [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }],
              topologySpreadConstraint: topologySpread(selector),
              initContainer: [
                {
                  name: 'model-fetcher',
                  image: imageUri(p.modelFetcherImage),
                  imagePullPolicy: 'IfNotPresent',
                  env: [
                    { name: MODEL_FETCHER_ENV.registryApiUrl, value: p.registry.apiUrl },
                    { name: MODEL_FETCHER_ENV.modelName, value: v.model.name },
                    modelEnv,
                    { name: MODEL_FETCHER_ENV.modelDir, value: MODEL_DIR },
                    { name: MODEL_FETCHER_ENV.region, value: ctx.region },
                    { name: 'HOME', value: '/tmp' },
                  ],
                  resources: {
                    requests: { cpu: p.modelFetcherResources.cpuRequest, memory: p.modelFetcherResources.memoryRequest },
                    limits: { cpu: p.modelFetcherResources.cpuLimit, memory: p.modelFetcherResources.memoryLimit },
                  },
                  securityContext: containerSecurity(uid),
                  volumeMount: [
                    { name: 'models', mountPath: MODEL_DIR },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              container: [
                {
                  name: 'server',
                  image: v.server.image === undefined ? DEFAULT_VLLM_IMAGE : imageUri(v.server.image),
                  imagePullPolicy: 'IfNotPresent',
                  ...(command ? { command } : {}),
                  args,
                  env: [...cacheEnv(), ...Object.entries(v.server.env).map(([name, value]) => ({ name, value }))],
                  port: ports,
                  resources: {
                    requests: { cpu: v.resources.cpuRequest, memory: v.resources.memoryRequest, [GPU_RESOURCE]: String(v.gpusPerReplica) },
                    limits: { cpu: v.resources.cpuLimit, memory: v.resources.memoryLimit, [GPU_RESOURCE]: String(v.gpusPerReplica) },
                  },
                  securityContext: containerSecurity(uid),
                  startupProbe: probe(s.readinessPath, 10, Math.ceil(v.startupTimeoutSeconds / 10)),
                  readinessProbe: probe(s.readinessPath, 10, 3),
                  livenessProbe: probe(s.livenessPath, 20, 3),
                  volumeMount: [
                    { name: 'models', mountPath: MODEL_DIR, readOnly: true },
                    { name: 'shm', mountPath: '/dev/shm' },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volume: [
                { name: 'models', emptyDir: { sizeLimit: v.modelStorageSize } },
                { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: v.shmSize } },
                { name: 'tmp', emptyDir: { sizeLimit: v.tmpSize } },
              ],
            },
          },
        },
        // The model-fetcher needs its credentials before the first pod starts.
        dependsOn: [association],
      });

      const service = new ServiceV1(scope, 'Service', {
        provider,
        metadata: meta(resourceName, labels),
        spec: {
          type: 'ClusterIP',
          selector,
          port: ports.map((pt) => ({ name: pt.name, port: pt.containerPort, targetPort: pt.name, protocol: 'TCP' })),
        },
      });
      new PodDisruptionBudgetV1(scope, 'Pdb', { provider, metadata: meta(resourceName, labels), spec: { maxUnavailable: '1', selector: { matchLabels: selector } } });

      chartObjects.push(serviceMonitor(resourceName, labels, selector, s.metricsPort === s.port ? 'http' : 'metrics'));
      if (autoscaled) {
        const queueQuery = `sum(${s.queueMetric}{namespace="${nsName}",service="${resourceName}"})`;
        const triggers: Record<string, unknown>[] = [
          {
            type: 'prometheus',
            name: 'queue',
            metadata: { serverAddress: p.keda.prometheusServerAddress, query: queueQuery, threshold: String(v.targetQueueLength), ignoreNullValues: 'true' },
          },
        ];
        if (v.scaleToZero) {
          // No replica, no queue metric: the gateway's traffic for the variant (served, failed and mirrored requests) wakes it.
          const sel = `{namespace="${nsName}",variant="${v.name}"}`;
          triggers.push({
            type: 'prometheus',
            name: 'traffic',
            metadata: {
              serverAddress: p.keda.prometheusServerAddress,
              query: [GATEWAY_METRICS.requests, GATEWAY_METRICS.upstreamErrors, GATEWAY_METRICS.shadowRequests].map((m) => `(sum(rate(${m}${sel}[2m])) or vector(0))`).join(' + '),
              threshold: ACTIVATION_ONLY_THRESHOLD,
              activationThreshold: '0',
            },
          });
        }
        chartObjects.push({
          apiVersion: 'keda.sh/v1alpha1',
          kind: 'ScaledObject',
          metadata: { name: resourceName, namespace: nsName, labels },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: resourceName },
            // scaleToZero with min ≥ 1: idle (no trigger active) → 0, active → at least min.
            minReplicaCount: v.replicas.min,
            ...(v.scaleToZero && v.replicas.min > 0 ? { idleReplicaCount: 0 } : {}),
            maxReplicaCount: v.replicas.max,
            pollingInterval: p.keda.pollingIntervalSeconds,
            cooldownPeriod: p.keda.cooldownPeriodSeconds,
            fallback: { failureThreshold: 3, replicas: Math.max(v.replicas.min, 1) },
            triggers,
          },
        });
      }
      return { name: v.name, resourceName, deployment, service, serviceAccount, role, grant, upstream: `http://${resourceName}.${nsName}.svc:${s.port}` };
    });

    // ---- gateway ----
    const gatewayName = `${p.name}-gateway`;
    const gatewayLabels = { ...base, ...gatewaySelector, 'app.kubernetes.io/name': gatewayName };
    const configInput: GatewayConfigInput = {
      model: p.publicModel ?? p.name,
      variants: p.variants.map((v, i) => ({
        name: v.name,
        upstream: this.variants[i].upstream,
        upstreamModel: v.model.name,
        weight: v.weight,
        shadowPercent: v.shadowPercent,
        costPerMillionInputTokensUsd: v.costPerMillionInputTokensUsd,
        costPerMillionOutputTokensUsd: v.costPerMillionOutputTokensUsd,
      })),
      ...(p.fallbackVariant ? { fallbackVariant: p.fallbackVariant } : {}),
      routing: p.gateway.routing,
      resilience: p.gateway.resilience,
      logging: p.gateway.logging,
      metrics: p.gateway.metrics,
    };
    this.gatewayConfig = parseProps(`${this.node.path} (gateway.json)`, GatewayConfigSchema, configInput);
    const configText = `${JSON.stringify(this.gatewayConfig, null, 2)}\n`;
    this.gatewayConfigHash = sha256(configText);
    const keysSecretName = p.gateway.keysSecretName ?? `${p.name}-gateway-keys`;

    const gw = new Construct(this, 'Gateway');
    const configMap = new ConfigMapV1(gw, 'Config', {
      provider,
      metadata: { ...meta(gatewayName, gatewayLabels), annotations: { [CONFIG_HASH_ANNOTATION]: this.gatewayConfigHash } },
      data: { [GATEWAY_CONFIG_FILE]: configText },
    });
    const gatewaySa = new ServiceAccountV1(gw, 'ServiceAccount', { provider, metadata: meta(gatewayName, gatewayLabels), automountServiceAccountToken: false });
    const gres = p.gateway.resources;
    const deployment = new DeploymentV1(gw, 'Deployment', {
      provider,
      metadata: meta(gatewayName, gatewayLabels),
      spec: {
        // The HPA owns the replica count.
        revisionHistoryLimit: 5,
        selector: { matchLabels: gatewaySelector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '0' } },
        template: {
          // No config hash here: a gateway.json change reaches running pods through the volume and is reloaded live.
          metadata: { labels: gatewayLabels },
          spec: {
            serviceAccountName: gatewaySa.metadata.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: Math.ceil(p.gateway.resilience.shutdownGraceMs / 1000) + 10,
            securityContext: podSecurity(uid),
            topologySpreadConstraint: topologySpread(gatewaySelector),
            container: [
              {
                name: 'gateway',
                image: imageUri(p.gatewayImage),
                imagePullPolicy: 'IfNotPresent',
                env: [
                  { name: GATEWAY_ENV.configPath, value: `${GATEWAY_CONFIG_DIR}/${GATEWAY_CONFIG_FILE}` },
                  { name: GATEWAY_ENV.keysPath, value: `${GATEWAY_KEYS_DIR}/${GATEWAY_KEYS_FILE}` },
                  { name: GATEWAY_ENV.port, value: String(GATEWAY_PORT) },
                  { name: 'HOME', value: '/tmp' },
                ],
                port: [{ name: 'http', containerPort: GATEWAY_PORT, protocol: 'TCP' }],
                resources: { requests: { cpu: gres.cpuRequest, memory: gres.memoryRequest }, limits: { cpu: gres.cpuLimit, memory: gres.memoryLimit } },
                securityContext: containerSecurity(uid),
                startupProbe: httpProbe('/healthz', GATEWAY_PORT, 2, 30),
                livenessProbe: httpProbe('/healthz', GATEWAY_PORT, 10, 3),
                readinessProbe: httpProbe('/readyz', GATEWAY_PORT, 5, 2),
                volumeMount: [
                  { name: 'config', mountPath: GATEWAY_CONFIG_DIR, readOnly: true },
                  { name: 'keys', mountPath: GATEWAY_KEYS_DIR, readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volume: [
              { name: 'config', configMap: { name: configMap.metadata.name, defaultMode: '0444' } },
              { name: 'keys', secret: { secretName: keysSecretName, defaultMode: '0440', optional: false } },
              { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
            ],
          },
        },
      },
    });
    const service = new ServiceV1(gw, 'Service', {
      provider,
      metadata: meta(gatewayName, gatewayLabels),
      spec: { type: 'ClusterIP', selector: gatewaySelector, port: [{ name: 'http', port: GATEWAY_PORT, targetPort: 'http', protocol: 'TCP' }] },
    });
    const autoscaler = new HorizontalPodAutoscalerV2(gw, 'Autoscaler', {
      provider,
      metadata: meta(gatewayName, gatewayLabels),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name },
        minReplicas: p.gateway.replicas.min,
        maxReplicas: p.gateway.replicas.max,
        metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: p.gateway.targetCpuUtilization } } }],
      },
    });
    new PodDisruptionBudgetV1(gw, 'Pdb', { provider, metadata: meta(gatewayName, gatewayLabels), spec: { maxUnavailable: '1', selector: { matchLabels: gatewaySelector } } });
    chartObjects.push(serviceMonitor(gatewayName, gatewayLabels, gatewaySelector, 'http'));
    this.gateway = { deployment, service, configMap, autoscaler, serviceAccount: gatewaySa, keysSecretName };
    this.gatewayServiceUrl = `http://${gatewayName}.${nsName}.svc:${GATEWAY_PORT}`;

    // ---- ingress ----
    const ing = p.ingress;
    if (ing.enabled) {
      const idleTimeout = Math.min(4000, Math.ceil(p.gateway.resilience.requestTimeoutMs / 1000) + 5);
      const inbound = ing.allowedCidrs.length > 0 ? ing.allowedCidrs : [ing.vpcCidr as string];
      const annotations: Record<string, string> = {
        'alb.ingress.kubernetes.io/scheme': ing.scheme,
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
        'alb.ingress.kubernetes.io/certificate-arn': ing.certificateArn as string,
        'alb.ingress.kubernetes.io/ssl-policy': ing.sslPolicy,
        'alb.ingress.kubernetes.io/backend-protocol': 'HTTP',
        'alb.ingress.kubernetes.io/healthcheck-path': '/readyz',
        'alb.ingress.kubernetes.io/inbound-cidrs': inbound.join(','),
        'alb.ingress.kubernetes.io/load-balancer-attributes': `routing.http.drop_invalid_header_fields.enabled=true,idle_timeout.timeout_seconds=${idleTimeout}`,
        ...(ing.wafAclArn ? { 'alb.ingress.kubernetes.io/wafv2-acl-arn': ing.wafAclArn } : {}),
      };
      this.ingress = new IngressV1(this, 'Ingress', {
        provider,
        metadata: { ...meta(gatewayName, gatewayLabels), annotations },
        spec: {
          ingressClassName: 'alb',
          rule: [
            {
              ...(ing.host ? { host: ing.host } : {}),
              http: { path: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service.metadata.name, port: { number: GATEWAY_PORT } } } }] },
            },
          ],
        },
      });
    }

    // ---- network policies ----
    const policy = (policyId: string, name: string, spec: NetworkPolicyV1Spec) => new NetworkPolicyV1(this, policyId, { provider, metadata: meta(name), spec });
    const serverSelector = { [INFERENCE_SERVICE_LABEL]: p.name, 'app.kubernetes.io/component': COMPONENTS.modelServer };
    const monitoringNs = { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: p.monitoring.namespace } } };
    const tcp = (port: number) => ({ port: String(port), protocol: 'TCP' });
    const serverPorts = [...new Set(p.variants.map((v) => serverSettings(v).port))].sort((a, b) => a - b);
    const metricsPorts = [...new Set(p.variants.map((v) => serverSettings(v).metricsPort))].sort((a, b) => a - b);
    policy('DefaultDeny', INFERENCE_NETWORK_POLICIES.defaultDeny, DEFAULT_DENY_SPEC);
    policy('AllowDns', INFERENCE_NETWORK_POLICIES.dns, DNS_EGRESS_SPEC);
    policy('GatewayIngress', INFERENCE_NETWORK_POLICIES.gatewayIngress, {
      podSelector: { matchLabels: gatewaySelector },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            ...(ing.enabled ? [{ ipBlock: { cidr: ing.vpcCidr as string } }] : []),
            ...p.clientNamespaces.map((n) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: n } } })),
            monitoringNs,
          ],
          ports: [tcp(GATEWAY_PORT)],
        },
      ],
    });
    policy('GatewayToServers', INFERENCE_NETWORK_POLICIES.gatewayToServers, {
      podSelector: { matchLabels: gatewaySelector },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: serverSelector } }], ports: serverPorts.map(tcp) }],
    });
    policy('ServerIngress', INFERENCE_NETWORK_POLICIES.serverIngress, {
      podSelector: { matchLabels: serverSelector },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ podSelector: { matchLabels: gatewaySelector } }], ports: serverPorts.map(tcp) },
        { from: [monitoringNs], ports: metricsPorts.map(tcp) },
      ],
    });
    policy('ServerEgress', INFERENCE_NETWORK_POLICIES.serverEgress, {
      podSelector: { matchLabels: serverSelector },
      policyTypes: ['Egress'],
      egress: [
        { to: p.httpsEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(443)] },
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ port: POD_IDENTITY_AGENT.port, protocol: 'TCP' }] },
      ],
    });

    // ---- custom resources: a local chart ----
    this.chart = renderInferenceChart(`gaiops-inference-${p.name}`, chartObjects);
    this.chartAsset = new TerraformAsset(this, 'Chart', { path: stageChart(this.chart), type: AssetType.DIRECTORY, assetHash: this.chart.hash });
    this.release = new Release(this, 'Release', {
      name: p.releaseName ?? `${p.name}-inference`,
      chart: `./${this.chartAsset.path}`,
      namespace: ns,
      createNamespace: false,
      atomic: true,
      wait: true,
      cleanupOnFail: true,
      maxHistory: 10,
      timeout: 300,
      provider: p.helmProvider,
      // ScaledObjects target the Deployments; ServiceMonitors select the Services.
      dependsOn: [...this.variants.flatMap((v) => [v.deployment, v.service]), deployment, service],
    });
  }
}
