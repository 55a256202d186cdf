/**
 * Props of `GatewayLogShipping`: which InferenceService gateways' request logs Fluent Bit ships to
 * which telemetry bucket, how often, and how the DaemonSet is sized and placed.
 */
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { z } from 'zod';
import { instanceOf, isToken } from '../core/props';
import { S3PrefixSchema, SecureBucket } from '../core/secure-bucket';
import { ClusterReferenceSchema } from '../core/k8s/http-workload';
import { containerResourcesSchema } from '../core/k8s/quantity';
import { NodeSelectorSchema, TolerationsSchema } from '../core/k8s/scheduling';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Helm release names (DNS-1123 label of at most 53 characters). */
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
/** An image repository without tag or digest (`registry/path`). */
const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Default container resources: one tail input per service (5 MB memory buffer each), gzip on upload. */
export const LOG_SHIPPING_DEFAULT_RESOURCES = { cpuRequest: '50m', cpuLimit: '250m', memoryRequest: '64Mi', memoryLimit: '128Mi' } as const;

/** One InferenceService whose gateway logs are shipped. */
export const ShippedServiceSchema = z.strictObject({
  name: z
    .string()
    .regex(DNS_LABEL, 'must be an InferenceService name (DNS-1123 label)')
    .describe('The InferenceService `name`: its gateway pods are `<name>-gateway-…`, its logs go under `<keyPrefix><name>/`.'),
  namespace: z
    .string()
    .regex(DNS_LABEL, 'must be a Kubernetes namespace name')
    .optional()
    .describe("The service's namespace. Default the name (InferenceService's own default)."),
});
export type ShippedService = z.input<typeof ShippedServiceSchema>;

export const GatewayLogShippingPropsSchema = z
  .strictObject({
    cluster: ClusterReferenceSchema.describe('The cluster (GpuTrainingCluster `reference()`): its name scopes the Pod Identity association and the role trust.'),
    bucket: instanceOf(SecureBucket, 'SecureBucket').describe(
      "The telemetry bucket (SSE-KMS by default with its key): logs land under `<keyPrefix><service>/`, where GaiPlatform's DriftDetectors read their window.",
    ),
    services: z
      .array(ShippedServiceSchema)
      .min(1)
      .max(50)
      .superRefine((list, ctx) => {
        list.forEach((s, i) => {
          if (list.findIndex((o) => o.name === s.name) !== i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate service ${s.name}` });
        });
      })
      .describe('The InferenceServices whose gateway access logs are shipped (one tail input and one S3 output each).'),
    keyPrefix: S3PrefixSchema.default('gateway/').describe('Root of the S3 keys: `<keyPrefix><service>/%Y/%m/%d/%H/<uuid>.jsonl.gz`. Default `gateway/` (GaiPlatform `TELEMETRY_PREFIXES.gateway`).'),
    helmProvider: instanceOf(HelmProvider, 'HelmProvider').optional().describe("Helm provider installing the chart. Default the stack's default `helm` provider."),
    kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider')
      .optional()
      .describe("Kubernetes provider for the namespace and NetworkPolicies. Default the stack's default `kubernetes` provider."),
    namespace: z.string().regex(DNS_LABEL, 'must be a Kubernetes namespace name').default('gaiops-logging').describe('Namespace created for Fluent Bit. Default `gaiops-logging`.'),
    name: z
      .string()
      .regex(RELEASE_NAME, 'must be a Helm release name (DNS-1123 label, ≤ 53 characters)')
      .default('gateway-log-shipping')
      .describe('Helm release name, and name of the DaemonSet, ServiceAccount and ConfigMap. Default `gateway-log-shipping`.'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
      .optional()
      .describe("Region of the bucket. Default the stack's platform region."),
    uploadTimeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(10)
      .describe('Each node uploads a service\'s buffered logs at least this often (`upload_timeout`): objects reach S3 within this delay, so an hourly analysis sees all but the last minutes. Default 10.'),
    totalFileSizeMB: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(10)
      .describe('An object is uploaded earlier when its uncompressed data reaches this many megabytes (`total_file_size`, PutObject). Default 10.'),
    bufferLimitMB: z
      .number()
      .int()
      .min(10)
      .max(10_000)
      .default(500)
      .describe('Per service, buffered data on the node\'s disk awaiting upload is capped at this many megabytes (`store_dir_limit_size`; beyond it new data is dropped, counted in Fluent Bit\'s metrics). Default 500.'),
    image: z
      .strictObject({
        repository: z.string().regex(IMAGE_REPOSITORY, 'must be an image repository such as cr.fluentbit.io/fluent/fluent-bit').describe('Image repository (a mirror for private clusters).'),
        tag: z.string().regex(IMAGE_TAG, 'must be an image tag').refine((t) => t !== 'latest', 'must be a pinned tag, not latest').describe('Image tag.'),
      })
      .optional()
      .describe("Fluent Bit image. Default the chart's `cr.fluentbit.io/fluent/fluent-bit` at its appVersion."),
    resources: containerResourcesSchema(LOG_SHIPPING_DEFAULT_RESOURCES, { container: 'Fluent Bit container' }).prefault({}).describe('Container resources. Default requests 50m CPU / 64Mi, limits 250m CPU / 128Mi.'),
    nodeSelector: NodeSelectorSchema
      .default({ 'kubernetes.io/os': 'linux' })
      .describe('Node selector of the DaemonSet. Default `kubernetes.io/os: linux` (every Linux node the gateways can run on).'),
    tolerations: TolerationsSchema
      .default([])
      .describe(
        'Tolerations of the DaemonSet. Default none: gateways tolerate no taint, so they never run on GPU (`nvidia.com/gpu`) or system (`CriticalAddonsOnly`) nodes, and a Fluent Bit pod there would tail nothing. Add the taints your gateways tolerate, if any.',
      ),
    monitoringNamespace: z
      .string()
      .regex(DNS_LABEL, 'must be a Kubernetes namespace name')
      .default('monitoring')
      .describe('Namespace allowed to scrape Fluent Bit\'s metrics port (2020). Default `monitoring` (MonitoringCluster).'),
    serviceMonitor: z.boolean().default(true).describe('Create a ServiceMonitor for Fluent Bit\'s metrics (only when the cluster serves monitoring.coreos.com/v1). Default true.'),
    httpsEgressCidrs: z
      .array(z.string().refine((c) => isToken(c) || CIDR.test(c), 'must be an IPv4 CIDR such as 10.0.0.0/16'))
      .min(1)
      .default(['0.0.0.0/0'])
      .describe('Where Fluent Bit may open HTTPS (S3: its VPC endpoint or the NAT). Default `0.0.0.0/0` (S3 has public addresses).'),
    timeoutSeconds: z.number().int().min(60).max(3600).default(600).describe('Helm install/upgrade timeout. Default 600 seconds.'),
  });

export type GatewayLogShippingProps = z.input<typeof GatewayLogShippingPropsSchema>;
export type GatewayLogShippingConfig = z.output<typeof GatewayLogShippingPropsSchema>;
