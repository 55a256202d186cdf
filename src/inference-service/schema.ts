import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { z } from 'zod';
import { ContainerImage } from '../core/container-image';
import { ClusterReferenceSchema } from '../core/k8s/http-workload';
import { DEFAULT_RUN_AS_USER } from '../core/k8s/pod-security';
import { containerResourcesSchema, GPU_WORKLOAD_QUANTITY_EXAMPLES, quantitySchema } from '../core/k8s/quantity';
import { instanceOf, isToken } from '../core/props';
import { GPU_TAINT, GpuNodePools } from '../gpu-training-cluster/node-pools';
import { ModelRegistry } from '../model-registry/model-registry';
import { VLLM_METRICS } from '../monitoring-stack/metric-names';
import { GatewayConfigSchema, PublicModelIdSchema, VariantNameSchema } from './gateway-config';

/**
 * The default model server: vLLM's OpenAI-compatible server, an exact released tag (v0.11.0, the
 * tag vLLM's own Docker deployment docs build `FROM`). Bump deliberately, after testing.
 */
export const DEFAULT_VLLM_IMAGE = 'docker.io/vllm/vllm-openai:v0.11.0';

/** The Prometheus KEDA queries by default: kube-prometheus-stack's service in the `monitoring` namespace. */
export const DEFAULT_PROMETHEUS_SERVER_ADDRESS = 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090';

/** The ALB TLS policy by default: TLS 1.3 with TLS 1.2 fallback, restricted to forward-secret AEAD ciphers. */
export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06';

/** The UID/GID every container of the service runs as (any non-root id works: HOME and caches point at /tmp). */
export { DEFAULT_RUN_AS_USER };

/** Model servers the construct knows: each fixes the port, arguments, probe paths and queue metric. */
export const SERVER_KINDS = ['vllm', 'tgi', 'triton', 'custom'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** What a server kind implies (overridable per variant where the schema says so). */
export interface ServerKindDefaults {
  readonly port: number;
  /** Port serving `/metrics` (Triton serves metrics on its own port). */
  readonly metricsPort: number;
  readonly readinessPath: string;
  readonly livenessPath: string;
  /** The gauge of requests waiting in the server's queue (the KEDA scaling signal). */
  readonly queueMetric?: string;
}

export const SERVER_KIND_DEFAULTS: Readonly<Record<ServerKind, ServerKindDefaults>> = {
  vllm: { port: 8000, metricsPort: 8000, readinessPath: '/health', livenessPath: '/health', queueMetric: VLLM_METRICS.requestsWaiting },
  tgi: { port: 8000, metricsPort: 8000, readinessPath: '/health', livenessPath: '/health', queueMetric: 'tgi_queue_size' },
  triton: { port: 8000, metricsPort: 8002, readinessPath: '/v2/health/ready', livenessPath: '/v2/health/live', queueMetric: 'nv_inference_pending_request_count' },
  custom: { port: 8000, metricsPort: 8000, readinessPath: '/health', livenessPath: '/health' },
};

/** An image URI with a registry and an exact tag or digest; `latest` and untagged URIs are refused. */
const IMAGE_URI = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]{1,128}|@sha256:[a-f0-9]{64})$/;

export const PinnedImageUriSchema = z.string().superRefine((uri, ctx) => {
  if (isToken(uri)) return;
  if (/:latest$/.test(uri)) ctx.addIssue({ code: 'custom', message: 'must pin an exact tag or digest, not latest' });
  else if (!IMAGE_URI.test(uri)) ctx.addIssue({ code: 'custom', message: 'must be an image URI with a registry and an exact tag or digest (registry/repository:tag or @sha256:…)' });
});

/** A ContainerImage construct (its `imageUri`) or a pinned image URI string. */
export const ImageSchema = z.union([instanceOf(ContainerImage, 'ContainerImage'), PinnedImageUriSchema], {
  error: 'must be a ContainerImage or a pinned image URI (registry/repository:tag)',
});
export type ImageInput = z.input<typeof ImageSchema>;

/** The URI of an image prop. */
export function imageUri(image: ContainerImage | string): string {
  return typeof image === 'string' ? image : image.imageUri;
}

const quantity = (what: 'CPU' | 'memory') => quantitySchema(what, GPU_WORKLOAD_QUANTITY_EXAMPLES);

export const DEFAULT_SERVER_RESOURCES = { cpuRequest: '4', cpuLimit: '8', memoryRequest: '24Gi', memoryLimit: '24Gi' } as const;
export const DEFAULT_GATEWAY_RESOURCES = { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '256Mi', memoryLimit: '512Mi' } as const;
export const DEFAULT_FETCHER_RESOURCES = { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '512Mi', memoryLimit: '2Gi' } as const;

export const ServerResourcesSchema = containerResourcesSchema(DEFAULT_SERVER_RESOURCES, { container: 'model-server container', examples: GPU_WORKLOAD_QUANTITY_EXAMPLES });
export const GatewayResourcesSchema = containerResourcesSchema(DEFAULT_GATEWAY_RESOURCES, { container: 'gateway container', examples: GPU_WORKLOAD_QUANTITY_EXAMPLES });
export const FetcherResourcesSchema = containerResourcesSchema(DEFAULT_FETCHER_RESOURCES, { container: 'model-fetcher init container', examples: GPU_WORKLOAD_QUANTITY_EXAMPLES });

const MODEL_NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a registry model name: 1-128 letters, digits, . _ -');

export const ModelRefSchema = z.union(
  [
    z.strictObject({
      name: MODEL_NAME.describe('Registered model name.'),
      version: z
        .union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,9}$/, 'must be a registry version number such as 3')])
        .describe('Exact registered version.'),
    }),
    z.strictObject({
      name: MODEL_NAME.describe('Registered model name.'),
      alias: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a registry alias such as production').describe('Alias resolved by the model-fetcher at pod start (e.g. `production`).'),
    }),
  ],
  { error: 'must be { name, version } or { name, alias }' },
);

const PROMETHEUS_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const HTTP_PATH = /^\/[A-Za-z0-9._~\/-]*$/;

/** Environment variables the construct sets on model-server containers (a variant's `env` may not override them). */
export const RESERVED_SERVER_ENV = [
  'HOME',
  'XDG_CACHE_HOME',
  'XDG_CONFIG_HOME',
  'HF_HOME',
  'HF_HUB_OFFLINE',
  'TRANSFORMERS_OFFLINE',
  'VLLM_CACHE_ROOT',
  'VLLM_CONFIG_ROOT',
  'VLLM_NO_USAGE_STATS',
  'DO_NOT_TRACK',
  'TRITON_CACHE_DIR',
  'TORCHINDUCTOR_CACHE_DIR',
  'NUMBA_CACHE_DIR',
  'OUTLINES_CACHE_DIR',
] as const;

export const InferenceServerSchema = z.strictObject({
  kind: z
    .enum(SERVER_KINDS)
    .default('vllm')
    .describe(
      'Model server: `vllm` (OpenAI-compatible server, port 8000, `/health`, queue `vllm:num_requests_waiting`), `tgi` (port 8000, `/health`, `tgi_queue_size`), `triton` (HTTP 8000, metrics 8002, `/v2/health/ready`, `nv_inference_pending_request_count`) or `custom` (your image, port, paths and queue metric). Default `vllm`.',
    ),
  image: ImageSchema.optional().describe(`Server image (ContainerImage or pinned URI). Default \`${DEFAULT_VLLM_IMAGE}\` for \`vllm\`; required for the other kinds.`),
  args: z.array(z.string().max(1024)).max(64).default([]).describe('Extra server arguments, appended after the ones the kind sets (model path, served name, port, parallelism). Default none.'),
  env: z
    .record(z.string().regex(ENV_NAME, 'must be an environment variable name (A-Z, 0-9, _)'), z.string().max(4096))
    .default({})
    .describe('Extra environment variables of the server container (never secrets; the cache and offline variables the construct sets are refused). Default none.'),
  port: z.number().int().min(1024).max(65535).optional().describe('Port the server listens on (not for `vllm`/`tgi`/`triton`, which use 8000). Default 8000.'),
  readinessPath: z.string().regex(HTTP_PATH, 'must be an HTTP path such as /health').optional().describe('Readiness (and startup) probe path. Default per kind (`/health`; Triton `/v2/health/ready`).'),
  livenessPath: z.string().regex(HTTP_PATH, 'must be an HTTP path such as /health').optional().describe('Liveness probe path. Default per kind (`/health`; Triton `/v2/health/live`).'),
  queueMetric: z
    .string()
    .regex(PROMETHEUS_METRIC, 'must be a Prometheus metric name')
    .optional()
    .describe('Gauge of waiting requests KEDA scales on. Default per kind; required for `custom` when KEDA is enabled.'),
});
export type InferenceServerInput = z.input<typeof InferenceServerSchema>;

export const InferenceVariantSchema = z.strictObject({
  name: VariantNameSchema.describe('Variant name: part of the Deployment and Service names, the `variant` label of gateway metrics, the A/B arm.'),
  model: ModelRefSchema.describe('The registry model the model-fetcher downloads before the server starts: `{ name, version }` (exact) or `{ name, alias }` (resolved at pod start).'),
  server: InferenceServerSchema.prefault({}).describe('Model server kind, image and arguments. Default vLLM with the pinned image.'),
  gpusPerReplica: z.number().int().min(1).max(8).default(1).describe('GPUs per replica (`nvidia.com/gpu` requests = limits; vLLM/TGI tensor parallelism). Default 1.'),
  pool: z.string().min(1).describe('Name of the GpuNodePools GPU pool the replicas run on (node selector on `gaiops.io/node-pool`, toleration of the GPU taint).'),
  replicas: z
    .strictObject({
      min: z.number().int().min(0).max(100).default(1).describe('Fewest replicas (0 only with `scaleToZero`). Default 1.'),
      max: z.number().int().min(1).max(100).default(1).describe('Most replicas KEDA may run. Default 1.'),
    })
    .prefault({})
    .describe('Replica range. Default `{ min: 1, max: 1 }`.'),
  scaleToZero: z
    .boolean()
    .default(false)
    .describe(
      'Let KEDA remove every replica after `keda.cooldownPeriodSeconds` without traffic (requires KEDA; `replicas.min` 0, or ≥ 1 as the floor while active via `idleReplicaCount: 0`; the first requests after that wait for a GPU node and the model load). Default false.',
    ),
  targetQueueLength: z.number().positive().max(10000).default(5).describe('Waiting requests per replica KEDA aims for (the trigger threshold). Default 5.'),
  resources: ServerResourcesSchema.prefault({}).describe('CPU and memory of the server container (GPUs come from `gpusPerReplica`). Default 4/8 CPU, 24Gi/24Gi.'),
  shmSize: quantity('memory').default('8Gi').describe('Size limit of the memory-backed `/dev/shm` (counts against the memory limit). Default `8Gi`.'),
  modelStorageSize: quantity('memory').default('60Gi').describe('Size limit of the `/models` emptyDir the model-fetcher fills (node disk). Default `60Gi`.'),
  tmpSize: quantity('memory').default('10Gi').describe('Size limit of the `/tmp` emptyDir (caches, compiled kernels). Default `10Gi`.'),
  startupTimeoutSeconds: z.number().int().min(60).max(7200).default(1800).describe('How long the startup probe allows for the model load before restarting the container. Default 1800.'),
  weight: z.number().min(0).max(100).default(1).describe('A/B share: requests split in proportion to the weights of non-shadow variants. Default 1 (equal shares).'),
  shadowPercent: z.number().min(0).max(100).default(0).describe('Percent of live requests mirrored to this variant (responses discarded); requires `weight: 0`. Default 0.'),
  costPerMillionInputTokensUsd: z.number().min(0).default(0).describe('Estimated USD per million input tokens (gateway logs and cost metric). Default 0.'),
  costPerMillionOutputTokensUsd: z.number().min(0).default(0).describe('Estimated USD per million output tokens. Default 0.'),
});
export type InferenceVariantInput = z.input<typeof InferenceVariantSchema>;
export type InferenceVariantConfig = z.output<typeof InferenceVariantSchema>;

const gatewayShape = GatewayConfigSchema.shape;

export const InferenceGatewaySchema = z.strictObject({
  replicas: z
    .strictObject({
      min: z.number().int().min(1).max(100).default(2).describe('HPA minimum. Default 2.'),
      max: z.number().int().min(1).max(100).default(10).describe('HPA maximum. Default 10.'),
    })
    .prefault({})
    .describe('Gateway replica range (HPA on CPU). Default `{ min: 2, max: 10 }`.'),
  targetCpuUtilization: z.number().int().min(10).max(100).default(70).describe('HPA target average CPU utilization (percent of the request). Default 70.'),
  keysSecretName: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes Secret name')
    .optional()
    .describe('Secret (created by the platform team, never by gaiops) holding `keys.json`: API key hashes and limits. Default `<name>-gateway-keys`.'),
  resources: GatewayResourcesSchema.prefault({}).describe('Gateway container CPU and memory. Default 250m/1 CPU, 256Mi/512Mi.'),
  resilience: gatewayShape.resilience.describe('Timeouts, retries, circuit breaker, body limit, shutdown grace (gateway.json `resilience`). Default the gateway defaults.'),
  routing: gatewayShape.routing.describe('Sticky-routing and override headers (gateway.json `routing`). Default the gateway defaults.'),
  logging: gatewayShape.logging.describe('Prompt logging (gateway.json `logging`): `off` or `redacted`. Default `off`.'),
  metrics: gatewayShape.metrics.describe('Extra gen_ai metrics (gateway.json `metrics`). Default off.'),
});
export type InferenceGatewayInput = z.input<typeof InferenceGatewaySchema>;

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12][0-9]|3[0-2])$/;
const CidrSchema = z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR such as 10.0.0.0/16');

const ACM_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;
const WAF_ARN = /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[A-Za-z0-9_-]+\/[0-9a-f-]+$/;

export const InferenceIngressSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Create an ALB Ingress for the gateway. `false`: ClusterIP Service only (in-cluster clients from `clientNamespaces`). Default true.'),
  scheme: z.enum(['internal', 'internet-facing']).default('internal').describe('ALB scheme. `internet-facing` requires `allowedCidrs`. Default `internal`.'),
  certificateArn: z
    .string()
    .refine((v) => isToken(v) || ACM_ARN.test(v), 'must be an ACM certificate ARN')
    .optional()
    .describe('ACM certificate of the HTTPS 443 listener. Default none: required while `enabled`.'),
  sslPolicy: z
    .string()
    .regex(/^ELBSecurityPolicy-TLS13-[A-Za-z0-9-]+$/, 'must be a TLS 1.3 ELB security policy (ELBSecurityPolicy-TLS13-…)')
    .default(DEFAULT_SSL_POLICY)
    .describe(`ALB TLS policy (a TLS 1.3 policy). Default \`${DEFAULT_SSL_POLICY}\`.`),
  wafAclArn: z
    .string()
    .refine((v) => isToken(v) || WAF_ARN.test(v), 'must be a regional WAFv2 web ACL ARN')
    .optional()
    .describe('WAFv2 web ACL associated with the ALB. Default none.'),
  allowedCidrs: z
    .array(CidrSchema.refine((c) => !c.endsWith('/0'), 'must not be /0: list the client networks'))
    .max(50)
    .default([])
    .describe('Client CIDRs the ALB accepts (`inbound-cidrs`); required for `internet-facing`, never /0. Default none (internal: the VPC CIDR).'),
  vpcCidr: CidrSchema.optional().describe('CIDR of the cluster VPC: the ALB (target-type ip) reaches gateway pods from it, so the gateway NetworkPolicy admits it. Default none: required while `enabled`.'),
  host: z
    .string()
    .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, 'must be a DNS host name')
    .optional()
    .describe('Host the Ingress rule matches. Default any host.'),
});
export type InferenceIngressInput = z.input<typeof InferenceIngressSchema>;

export const InferenceKedaSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Scale model servers with KEDA ScaledObjects (KEDA must be installed). `false`: fixed replica counts (`min` = `max`). Default true.'),
  prometheusServerAddress: z
    .string()
    .regex(/^https?:\/\/[^\s"]+$/, 'must be an http(s) URL')
    .default(DEFAULT_PROMETHEUS_SERVER_ADDRESS)
    .describe(`Prometheus the KEDA triggers query. Default \`${DEFAULT_PROMETHEUS_SERVER_ADDRESS}\`.`),
  pollingIntervalSeconds: z.number().int().min(5).max(600).default(15).describe('How often KEDA evaluates the triggers. Default 15.'),
  cooldownPeriodSeconds: z.number().int().min(30).max(86400).default(600).describe('Idle time before a scale-to-zero variant drops to 0 replicas. Default 600.'),
});

export const InferenceMonitoringSchema = z.strictObject({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a namespace name').default('monitoring').describe('Namespace of Prometheus: the NetworkPolicies let it scrape. Default `monitoring`.'),
  serviceMonitorLabels: z
    .record(z.string(), z.string())
    .default({ release: 'kube-prometheus-stack' })
    .describe("Labels on the ServiceMonitors (Prometheus' `serviceMonitorSelector`). Default `{ release: \"kube-prometheus-stack\" }`."),
  scrapeInterval: z.string().regex(/^[0-9]+(s|m)$/, 'must be a duration such as 30s').default('30s').describe('Scrape interval. Default `30s`.'),
});

const NAME = /^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** GPU pools of a GpuNodePools: the NodePools carrying the GPU taint. */
export function gpuPoolNames(pools: GpuNodePools): string[] {
  return pools.chart.objects
    .filter((o) => o.kind === 'NodePool')
    .filter((o) => {
      const taints = ((o.spec.template as { spec?: { taints?: { key: string }[] } } | undefined)?.spec?.taints ?? []) as { key: string }[];
      return taints.some((t) => t.key === GPU_TAINT.key);
    })
    .map((o) => o.metadata.name);
}

export const InferenceServicePropsSchema = z
  .strictObject({
    name: z.string().regex(NAME, 'must be a lowercase name of at most 20 characters: a letter, then letters, digits or -').describe('Service name: prefix of every object name, default namespace and public model id.'),
    namespace: z.string().regex(NAMESPACE, 'must be a Kubernetes namespace name').optional().describe('Namespace the construct creates (Pod Security `restricted`, default-deny NetworkPolicies). Default `name`.'),
    publicModel: PublicModelIdSchema.optional().describe('Model id clients send (`model`) and `GET /v1/models` lists. Default `name`.'),
    cluster: ClusterReferenceSchema.describe('The cluster (GpuTrainingCluster `reference()`): Pod Identity associations are created in it and role trust is limited to it.'),
    nodePools: instanceOf(GpuNodePools, 'GpuNodePools').describe('The GpuNodePools whose GPU pools the variants name.'),
    registry: instanceOf(ModelRegistry, 'ModelRegistry').describe('The ModelRegistry the model-fetcher reads (API URL, `grantRead` on each variant role); may live in another stack.'),
    variants: z.array(InferenceVariantSchema).min(1, 'must define at least one variant').max(16).describe('Model-server variants (A/B arms and shadows).'),
    fallbackVariant: VariantNameSchema.optional().describe('Variant the gateway tries last when the chosen one fails. Default none.'),
    gatewayImage: ImageSchema.describe('Gateway image: a ContainerImage (runtime `inference-gateway`) or a pinned URI.'),
    modelFetcherImage: ImageSchema.describe('Model-fetcher init-container image: a ContainerImage (runtime `model-fetcher`) or a pinned URI.'),
    modelFetcherResources: FetcherResourcesSchema.prefault({}).describe('Model-fetcher init container CPU and memory. Default 500m/2 CPU, 512Mi/2Gi.'),
    gateway: InferenceGatewaySchema.prefault({}).describe('Gateway replicas, keys Secret, resources and gateway.json settings. Default the defaults below (2–10 replicas, `<name>-gateway-keys`).'),
    ingress: InferenceIngressSchema.prefault({}).describe('ALB Ingress in front of the gateway. Default enabled, internal, HTTPS 443 only (`certificateArn` and `vpcCidr` are then required).'),
    keda: InferenceKedaSchema.prefault({}).describe('KEDA autoscaling of model servers on their queue metric. Default enabled, kube-prometheus-stack Prometheus.'),
    monitoring: InferenceMonitoringSchema.prefault({}).describe('Prometheus namespace, ServiceMonitor labels and scrape interval. Default `monitoring`, `release: kube-prometheus-stack`, 30s.'),
    clientNamespaces: z.array(z.string().regex(NAMESPACE, 'must be a namespace name')).max(50).default([]).describe('Namespaces whose pods may call the gateway directly (in-cluster clients). Default none.'),
    httpsEgressCidrs: z
      .array(CidrSchema)
      .min(1)
      .default(['0.0.0.0/0'])
      .describe('Destinations of model-server pods’ HTTPS egress (registry API, S3, STS). Default `0.0.0.0/0` (S3 and execute-api have public addresses); narrow it when every endpoint is private.'),
    runAsUser: z.number().int().min(1000).max(2147483647).default(DEFAULT_RUN_AS_USER).describe(`Non-root UID/GID/fsGroup of every pod. Default ${DEFAULT_RUN_AS_USER}.`),
    kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider').optional().describe('Kubernetes provider (`ClusterProviders.configure(…).kubernetes`). Default the stack default.'),
    helmProvider: instanceOf(HelmProvider, 'HelmProvider').optional().describe('Helm provider installing the ScaledObjects/ServiceMonitors chart. Default the stack default.'),
    releaseName: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/, 'must be a Helm release name (DNS-1123 label, ≤ 53 characters)')
      .optional()
      .describe('Helm release of the generated chart. Default `<name>-inference`.'),
  })
  .superRefine((p, ctx) => {
    // Runs even when fields failed (one error lists every problem), so it reads defensively.
    if (p === null || typeof p !== 'object') return;
    const variants = Array.isArray(p.variants) ? p.variants : [];
    const keda = (p.keda as { enabled?: unknown } | undefined)?.enabled !== false;
    const pools = p.nodePools instanceof GpuNodePools ? p.nodePools : undefined;
    const gpuPools = pools ? gpuPoolNames(pools) : [];
    const names = new Set<string>();
    variants.forEach((v, i) => {
      if (v === null || typeof v !== 'object') return;
      const at = (...rest: (string | number)[]) => ['variants', i, ...rest];
      if (typeof v.name === 'string') {
        if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicate variant name "${v.name}"` });
        names.add(v.name);
      }
      if (pools && typeof v.pool === 'string' && !gpuPools.includes(v.pool)) {
        const known = pools.poolNames.includes(v.pool);
        ctx.addIssue({
          code: 'custom',
          path: at('pool'),
          message: known ? `"${v.pool}" is not a GPU pool (GPU pools: ${gpuPools.join(', ')})` : `unknown pool "${v.pool}" (GPU pools: ${gpuPools.join(', ')})`,
        });
      }
      const r = v.replicas as { min?: unknown; max?: unknown } | undefined;
      if (r && typeof r.min === 'number' && typeof r.max === 'number') {
        if (r.min > r.max) ctx.addIssue({ code: 'custom', path: at('replicas', 'min'), message: `must not exceed replicas.max (${r.max})` });
        if (r.min === 0 && v.scaleToZero !== true) ctx.addIssue({ code: 'custom', path: at('replicas', 'min'), message: 'may be 0 only with scaleToZero: true' });
        if (!keda && r.min !== r.max) ctx.addIssue({ code: 'custom', path: at('replicas', 'max'), message: `must equal replicas.min (${r.min}) when keda.enabled is false (fixed replica count)` });
      }
      if (v.scaleToZero === true && !keda) ctx.addIssue({ code: 'custom', path: at('scaleToZero'), message: 'requires KEDA (keda.enabled: true)' });
      if (typeof v.shadowPercent === 'number' && v.shadowPercent > 0 && typeof v.weight === 'number' && v.weight > 0) {
        ctx.addIssue({ code: 'custom', path: at('weight'), message: 'must be 0 for a shadow variant (shadowPercent > 0)' });
      }
      const server = (v.server ?? {}) as { kind?: unknown; image?: unknown; port?: unknown; queueMetric?: unknown; env?: unknown };
      const kind = server.kind ?? 'vllm';
      if (kind !== 'vllm' && server.image === undefined) ctx.addIssue({ code: 'custom', path: at('server', 'image'), message: `is required for a ${String(kind)} server (only vllm has a default image)` });
      if (kind !== 'custom' && server.port !== undefined) ctx.addIssue({ code: 'custom', path: at('server', 'port'), message: `is fixed at 8000 for a ${String(kind)} server (set it only for custom)` });
      if (kind === 'custom' && keda && server.queueMetric === undefined) ctx.addIssue({ code: 'custom', path: at('server', 'queueMetric'), message: 'is required for a custom server when KEDA scales it' });
      if (server.env !== null && typeof server.env === 'object') {
        for (const key of Object.keys(server.env)) {
          if ((RESERVED_SERVER_ENV as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: at('server', 'env', key), message: 'is set by the construct (caches on /tmp, offline model)' });
        }
      }
    });
    if (variants.length > 0 && variants.every((v) => v !== null && typeof v === 'object') && !variants.some((v) => (typeof v.weight === 'number' ? v.weight : 1) > 0)) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'at least one variant needs a weight greater than 0' });
    }
    if (typeof p.fallbackVariant === 'string' && !names.has(p.fallbackVariant)) {
      ctx.addIssue({ code: 'custom', path: ['fallbackVariant'], message: `unknown variant "${p.fallbackVariant}"` });
    }
    const ing = (p.ingress ?? {}) as { enabled?: unknown; scheme?: unknown; certificateArn?: unknown; vpcCidr?: unknown; allowedCidrs?: unknown };
    if (ing.enabled !== false) {
      if (ing.certificateArn === undefined) ctx.addIssue({ code: 'custom', path: ['ingress', 'certificateArn'], message: 'is required while the ingress is enabled (HTTPS only)' });
      if (ing.vpcCidr === undefined) ctx.addIssue({ code: 'custom', path: ['ingress', 'vpcCidr'], message: 'is required while the ingress is enabled (the ALB reaches the gateway from the VPC)' });
      if (ing.scheme === 'internet-facing' && !(Array.isArray(ing.allowedCidrs) && ing.allowedCidrs.length > 0)) {
        ctx.addIssue({ code: 'custom', path: ['ingress', 'allowedCidrs'], message: 'must list the client CIDRs for an internet-facing ingress' });
      }
    }
    const g = (p.gateway ?? {}) as { replicas?: { min?: unknown; max?: unknown } };
    if (g.replicas && typeof g.replicas.min === 'number' && typeof g.replicas.max === 'number' && g.replicas.min > g.replicas.max) {
      ctx.addIssue({ code: 'custom', path: ['gateway', 'replicas', 'min'], message: `must not exceed gateway.replicas.max (${g.replicas.max})` });
    }
  }, { when: () => true });
export type InferenceServiceProps = z.input<typeof InferenceServicePropsSchema>;
export type InferenceServiceConfig = z.output<typeof InferenceServicePropsSchema>;
