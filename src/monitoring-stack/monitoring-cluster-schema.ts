import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { z } from 'zod';
import { instanceOf, isToken } from '../core/props';
import type { ClusterReference } from '../gpu-training-cluster/cluster';
import { PlatformRulesOptionsSchema } from './rules/platform-rules';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
/** Prometheus durations as the Prometheus CRD's `retention` accepts them. */
const RETENTION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/;
/** The CRD's `retentionSize` (`50GB`, `512MB`, `1TiB`, …). */
const BYTE_SIZE = /^(0|([0-9]+(\.[0-9]+)?(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB)))$/;

const arn = (service: string, example: string) =>
  z
    .string()
    .refine((v) => isToken(v) || new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:.+$`).test(v), `must be an ${service.toUpperCase()} ARN such as ${example}`);

const KmsKeyArn = arn('kms', 'arn:aws:kms:eu-west-1:111122223333:key/…');

const ClusterReferenceSchema = z.custom<ClusterReference>(
  (v) => v !== null && typeof v === 'object' && typeof (v as ClusterReference).clusterName === 'string' && typeof (v as ClusterReference).endpoint === 'string',
  'must be a ClusterReference (GpuTrainingCluster.reference())',
);

const SnsReceiverSchema = z.strictObject({
  type: z.literal('sns'),
  topicArn: arn('sns', 'arn:aws:sns:eu-west-1:111122223333:alerts').describe('SNS topic Alertmanager publishes to (`sns_configs[].topic_arn`).'),
  topicKmsKeyArn: KmsKeyArn.describe("The topic's customer-managed KMS key; Alertmanager's role may use it (`kms:GenerateDataKey`, `kms:Decrypt`) only through SNS."),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
    .optional()
    .describe("Region of the topic (`sigv4.region`). Default the stack's platform region."),
});

const WebhookReceiverSchema = z
  .strictObject({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https$/ }).optional().describe('HTTPS URL Alertmanager posts to (`webhook_configs[].url`); only for URLs that hold no credential. Default none (use `urlSecret`).'),
    urlSecret: z
      .strictObject({
        name: z.string().regex(DNS_SUBDOMAIN, 'must be a Kubernetes Secret name').describe('Secret in the monitoring namespace holding the URL.'),
        key: z.string().regex(SECRET_KEY, 'must be a Secret data key').describe('Key of the URL in the Secret.'),
      })
      .optional()
      .describe('Existing Secret holding the webhook URL (mounted into Alertmanager, read with `url_file`, never in values or state). Default none (use `url`).'),
  })
  .refine((w) => (w.url === undefined) !== (w.urlSecret === undefined), { message: 'set exactly one of url and urlSecret', path: ['url'] });

/** Bytes of a `retentionSize` such as `45GB` or `40GiB`. */
export function byteSize(size: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMGTPE]?i?B)?$/.exec(size);
  if (!m) return Number.NaN;
  const unit = m[2] ?? 'B';
  const power = 'BKMGTPE'.indexOf(unit[0]);
  return Number(m[1]) * (unit.includes('i') ? 1024 : 1000) ** (unit === 'B' ? 0 : power);
}

export const MonitoringClusterPropsSchema = z.strictObject({
  cluster: ClusterReferenceSchema.describe('The cluster (GpuTrainingCluster `reference()`): its name scopes the Alertmanager Pod Identity association.'),
  helmProvider: instanceOf(HelmProvider, 'HelmProvider')
    .optional()
    .describe("Helm provider installing the charts, e.g. `ClusterProviders.configure(stack, cluster).helm`. Default the stack's default `helm` provider."),
  kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider')
    .optional()
    .describe("Kubernetes provider for the namespace, StorageClass and dashboard ConfigMaps. Default the stack's default `kubernetes` provider."),
  namespace: z.string().regex(DNS_LABEL, 'must be a Kubernetes namespace name').default('monitoring').describe('Namespace created for the stack. Default `monitoring`.'),
  releaseName: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/, 'must be a Helm release name (DNS-1123 label, ≤ 53 characters)')
    .default('kube-prometheus-stack')
    .describe('Helm release name of kube-prometheus-stack. Default `kube-prometheus-stack`.'),
  volumeKmsKeyArn: KmsKeyArn.describe("KMS key encrypting the Prometheus and Alertmanager volumes (StorageClass `kmsKeyId`); the EBS CSI driver's role must be allowed to use it (GpuTrainingCluster grants it on the cluster key)."),
  storageClassName: z.string().regex(DNS_SUBDOMAIN, 'must be a Kubernetes object name').default('gp3-encrypted').describe('Name of the encrypted gp3 StorageClass created for the volumes. Default `gp3-encrypted`.'),
  prometheus: z
    .strictObject({
      retention: z.string().regex(RETENTION, 'must be a Prometheus duration such as 15d or 12h').default('15d').describe('How long samples are kept. Default `15d`.'),
      retentionSize: z.string().regex(BYTE_SIZE, 'must be a size such as 45GB').default('45GB').describe('Oldest blocks are dropped beyond this size (keep it under the volume). Default `45GB`.'),
      storageGiB: z.number().int().min(10).max(16384).default(50).describe('Persistent volume size per replica (GiB). Default 50.'),
      replicas: z.number().int().min(1).max(5).default(1).describe('Prometheus replicas (each scrapes everything). Default 1.'),
    })
    .refine((v) => !(byteSize(v.retentionSize) > 0.95 * v.storageGiB * 1024 ** 3), {
      message: 'must leave room on the volume: at most 95 % of storageGiB (Prometheus needs headroom for compaction and the WAL)',
      path: ['retentionSize'],
    })
    .default({ retention: '15d', retentionSize: '45GB', storageGiB: 50, replicas: 1 })
    .describe('Prometheus retention, storage and replicas. Default 15 days, 45 GB, 50 GiB volume, one replica.'),
  alertmanager: z
    .strictObject({
      storageGiB: z.number().int().min(1).max(1024).default(10).describe('Persistent volume per replica (silences, notification log), GiB. Default 10.'),
      replicas: z.number().int().min(1).max(5).default(1).describe('Alertmanager replicas (they gossip to deduplicate). Default 1.'),
      receiver: z
        .discriminatedUnion('type', [SnsReceiverSchema, WebhookReceiverSchema])
        .describe('Where alerts go: `{ type: "sns", topicArn, topicKmsKeyArn }` (through an IAM role bound to Alertmanager by EKS Pod Identity) or `{ type: "webhook", url | urlSecret }`.'),
      serviceAccountName: z.string().regex(DNS_SUBDOMAIN, 'must be a service account name').default('alertmanager').describe('Service account of Alertmanager (bound to the SNS role). Default `alertmanager`.'),
    })
    .describe('Alertmanager storage, replicas and receiver. The receiver is required.'),
  grafana: z
    .strictObject({
      adminSecretName: z
        .string()
        .regex(DNS_SUBDOMAIN, 'must be a Kubernetes Secret name')
        .describe('Existing Secret in the monitoring namespace with the Grafana admin user and password (`grafana.admin.existingSecret`); the password never appears in values or Terraform state.'),
      userKey: z.string().regex(SECRET_KEY, 'must be a Secret data key').default('admin-user').describe('Key of the admin user name in the Secret. Default `admin-user`.'),
      passwordKey: z.string().regex(SECRET_KEY, 'must be a Secret data key').default('admin-password').describe('Key of the admin password in the Secret. Default `admin-password`.'),
    })
    .describe('Grafana admin credentials, from an existing Secret.'),
  rules: PlatformRulesOptionsSchema.default(PlatformRulesOptionsSchema.parse({})).describe('Thresholds of the platform alert rules (see the rules README section). Default every documented default.'),
  dashboards: z.boolean().default(true).describe('Install the platform Grafana dashboards as ConfigMaps. Default true.'),
  systemNodePool: z.string().regex(DNS_LABEL, 'must be a node pool name').default('system').describe('Value of `gaiops.io/node-pool` of the nodes running the monitoring components (node-exporter runs everywhere). Default `system`.'),
  timeoutSeconds: z.number().int().min(60).max(3600).default(900).describe('Helm install/upgrade timeout of kube-prometheus-stack. Default 900 seconds.'),
});

export type MonitoringClusterProps = z.input<typeof MonitoringClusterPropsSchema>;
export type MonitoringClusterConfig = z.output<typeof MonitoringClusterPropsSchema>;
