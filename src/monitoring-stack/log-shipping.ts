/**
 * Ships InferenceService gateway request logs to the telemetry bucket, where the DriftDetectors of
 * GaiPlatform read them (`gateway/<service>/`, JSON Lines, gzip).
 *
 * The gateway writes one JSON access-log line per request to stdout (inference-service
 * runtime/gateway/access-log.ts); the container runtime stores it in
 * `/var/log/pods/…/gateway/0.log` in the CRI format (`<time> stdout F <line>`), linked from
 * `/var/log/containers/<pod>_<namespace>_gateway-<container id>.log`. Fluent Bit, as a DaemonSet
 * (upstream `fluent-bit` chart), tails only those files per service, rejoins CRI partial lines,
 * keeps only stdout lines that are access-log records, and uploads the bare JSON lines (`log_key
 * log`, no Fluent Bit metadata) gzip-compressed with PutObject to
 * `<keyPrefix><service>/%Y/%m/%d/%H/<uuid>.jsonl.gz`. Objects are encrypted by the bucket's default
 * SSE-KMS with its key (Fluent Bit's S3 output sends no SSE headers); the role may only PutObject
 * under each service's prefix and generate data keys through S3 for that bucket.
 */
import type { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1, type NetworkPolicyV1Spec } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { Construct } from 'constructs';
import { PinnedHelmRelease, type PinnedChart } from '../core/helm/pinned-chart';
import { Grant } from '../core/iam/grant';
import { podIdentityAssociation, podIdentityRole } from '../core/iam/pod-identity-role';
import type { Role } from '../core/iam/role';
import { DEFAULT_DENY_SPEC, DNS_EGRESS_SPEC } from '../core/k8s/network-policy';
import { POD_IDENTITY_AGENT } from '../core/k8s/pod-identity-agent';
import { NAMESPACE_NAME_LABEL } from '../core/k8s/pod-security';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import type { SecureBucket } from '../core/secure-bucket';
import { type GatewayLogShippingConfig, type GatewayLogShippingProps, GatewayLogShippingPropsSchema } from './log-shipping-schema';

/**
 * fluent-bit chart 0.58.1 (Fluent Bit 5.1.1) from fluent/helm-charts.
 *
 * Verified (2026-11-26): fluent/helm-charts tag `fluent-bit-0.58.1` (commit 22a564dc, identical
 * chart at the repository head 5b81bf7a), charts/fluent-bit/values.yaml — every path below is a key
 * there (checked with `missingValuePaths` of scripts/verify-chart-keys.ts against that file). The
 * templates were read too: `config.{service,inputs,filters,outputs,customParsers}` are rendered
 * through `tpl` into the ConfigMap's `fluent-bit.conf` (no `{{` in gaiops' config);
 * `rbac.create: false` drops the ClusterRole (only the kubernetes filter needs it; this pipeline
 * has none); `serviceAccount.automountServiceAccountToken` goes to both the ServiceAccount and the
 * pod; `daemonSetVolumes`/`daemonSetVolumeMounts` replace the chart's hostPath defaults (writable
 * `/var/log`, Docker's directory, `/etc/machine-id`); the ServiceMonitor is rendered only when the
 * cluster serves `monitoring.coreos.com/v1`. The S3 output options were read in fluent/fluent-bit
 * tag `v5.1.1` plugins/out_s3/s3.c (`log_key` writes the value and a newline; `s3_key_format` must
 * start with `/`; PutObject up to 1 GB; no server-side-encryption option).
 *
 * Why not aws/eks-charts `aws-for-fluent-bit` (0.2.0, AWS for Fluent Bit 3.2.1): its templates
 * always create a ClusterRole with get/list/watch on `nodes/proxy` (kubelet API access) and mount
 * the service-account token, with no value to turn either off; a pipeline that needs no Kubernetes
 * API access should not carry them.
 */
export const FLUENT_BIT_CHART: PinnedChart = {
  repository: 'https://fluent.github.io/helm-charts',
  chart: 'fluent-bit',
  version: '0.58.1',
  appVersion: '5.1.1',
  source: 'https://github.com/fluent/helm-charts/blob/fluent-bit-0.58.1/charts/fluent-bit/values.yaml',
  valueKeys: [
    'config.customParsers',
    'config.filters',
    'config.inputs',
    'config.outputs',
    'config.service',
    'daemonSetVolumeMounts',
    'daemonSetVolumes',
    'fullnameOverride',
    'image.repository',
    'image.tag',
    'kind',
    'livenessProbe',
    'nodeSelector',
    'podLabels',
    'podSecurityContext',
    'rbac.create',
    'readinessProbe',
    'resources',
    'securityContext',
    'serviceAccount.automountServiceAccountToken',
    'serviceAccount.create',
    'serviceAccount.name',
    'serviceMonitor.enabled',
    'terminationGracePeriodSeconds',
    'testFramework.enabled',
    'tolerations',
    'updateStrategy',
  ],
};

/** Fluent Bit's HTTP server (health, metrics): the chart's `metricsPort` default, container port `http`. */
export const FLUENT_BIT_HTTP_PORT = 2020;

/** Where the tail offsets (SQLite) and the S3 upload buffer live in the container: a hostPath, so both survive pod replacement. */
export const LOG_SHIPPING_STATE_DIR = '/var/lib/fluent-bit';

/** Root of the per-release state directories on the node (`<root>/<release name>`). */
export const LOG_SHIPPING_HOST_STATE_ROOT = '/var/lib/gaiops/log-shipping';

/**
 * Matches a gateway access-log line and nothing else the gateway prints: `formatAccessLine` always
 * starts the record with `{"level":"INFO","message":"access",` (Fluent Bit regex, Onigmo syntax).
 * Written without `"` and `\` (`.` for each quote, `[{]` for the brace): the values reach Helm
 * through Terraform's `jsonencode` of an HCL object, whose string literals cdktf 0.21 does not
 * escape, so a quote or backslash there would make the configuration invalid.
 */
export const ACCESS_LOG_LINE_REGEX = '^[{].level.:.INFO.,.message.:.access.,';

/** `app.kubernetes.io/component` of the Fluent Bit pods (NetworkPolicies select on it). */
export const LOG_SHIPPING_COMPONENT = 'gateway-log-shipping';

/** Names of the NetworkPolicies in the logging namespace. */
export const LOG_SHIPPING_NETWORK_POLICIES = { defaultDeny: 'default-deny', dns: 'allow-dns', egress: 'log-shipping-egress', metrics: 'log-shipping-metrics' } as const;

/** The node log files of one service's gateway containers (pod `<service>-gateway-…`, container `gateway`). */
export function gatewayLogPath(service: string, namespace: string): string {
  return `/var/log/containers/${service}-gateway-*_${namespace}_gateway-*.log`;
}

/** The Fluent Bit `s3_key_format` of one service: `/<keyPrefix><service>/%Y/%m/%d/%H/$UUID.jsonl.gz` (UTC). */
export function gatewayLogKeyFormat(keyPrefix: string, service: string): string {
  return `/${keyPrefix}${service}/%Y/%m/%d/%H/$UUID.jsonl.gz`;
}

/** What the pipeline needs to know (literal service names; bucket and region may be tokens). */
export interface FluentBitPipelineOptions {
  readonly services: readonly { readonly name: string; readonly namespace: string }[];
  readonly bucket: string;
  readonly region: string;
  readonly keyPrefix: string;
  readonly uploadTimeoutMinutes: number;
  readonly totalFileSizeMB: number;
  readonly bufferLimitMB: number;
}

/** The four sections of `fluent-bit.conf` (classic format), as the chart's `config.*` values. */
export interface FluentBitPipeline {
  readonly service: string;
  readonly inputs: string;
  readonly filters: string;
  readonly outputs: string;
}

/** One classic-format section, keys aligned. */
function section(name: string, entries: readonly (readonly [string, string | number])[]): string {
  const width = Math.max(...entries.map(([k]) => k.length)) + 1;
  return [`[${name}]`, ...entries.map(([k, v]) => `    ${k.padEnd(width)}${v}`)].join('\n');
}

/**
 * The Fluent Bit pipeline: per service a `tail` input (CRI multiline parser, own offset database)
 * tagged `gateway.<service>`, one `grep` filter keeping stdout access-log lines, and per service an
 * `s3` output (own buffer directory: outputs sharing a bucket must not share one).
 */
export function renderFluentBitPipeline(o: FluentBitPipelineOptions): FluentBitPipeline {
  const service = section('SERVICE', [
    ['Daemon', 'Off'],
    ['Flush', 1],
    // Time for the S3 outputs to upload their buffers on shutdown (the pod's grace period is longer).
    ['Grace', 30],
    ['Log_Level', 'info'],
    ['HTTP_Server', 'On'],
    ['HTTP_Listen', '0.0.0.0'],
    ['HTTP_Port', FLUENT_BIT_HTTP_PORT],
    ['Health_Check', 'On'],
  ]);
  const inputs = o.services.map((s) =>
    section('INPUT', [
      ['Name', 'tail'],
      ['Alias', `gateway-${s.name}`],
      ['Tag', `gateway.${s.name}`],
      ['Path', gatewayLogPath(s.name, s.namespace)],
      ['multiline.parser', 'cri'],
      ['DB', `${LOG_SHIPPING_STATE_DIR}/tail-${s.name}.db`],
      ['DB.locking', 'true'],
      // A file first seen is read from its start (new pods); known files resume at the stored offset.
      ['Read_from_Head', 'On'],
      ['Refresh_Interval', 10],
      ['Rotate_Wait', 30],
      ['Mem_Buf_Limit', '5MB'],
      ['Skip_Long_Lines', 'On'],
    ]),
  );
  const filters = section('FILTER', [
    ['Name', 'grep'],
    ['Alias', 'gateway-access-lines'],
    ['Match', 'gateway.*'],
    ['Regex', 'stream ^stdout$'],
    ['Regex', `log ${ACCESS_LOG_LINE_REGEX}`],
  ]);
  const outputs = o.services.map((s) =>
    section('OUTPUT', [
      ['Name', 's3'],
      ['Alias', `gateway-${s.name}`],
      ['Match', `gateway.${s.name}`],
      ['bucket', o.bucket],
      ['region', o.region],
      ['s3_key_format', gatewayLogKeyFormat(o.keyPrefix, s.name)],
      ['log_key', 'log'],
      ['compression', 'gzip'],
      ['content_type', 'application/x-ndjson'],
      ['use_put_object', 'On'],
      ['total_file_size', `${o.totalFileSizeMB}M`],
      ['upload_timeout', `${o.uploadTimeoutMinutes}m`],
      ['store_dir', `${LOG_SHIPPING_STATE_DIR}/s3/${s.name}`],
      ['store_dir_limit_size', `${o.bufferLimitMB}M`],
      ['quarantine_dir_limit_size', `${o.bufferLimitMB}M`],
    ]),
  );
  return { service, inputs: inputs.join('\n\n'), filters, outputs: outputs.join('\n\n') };
}

/**
 * Fluent Bit on every node gateways can run on, shipping their access logs to the telemetry bucket
 * (see the module comment and the README's GatewayLogShipping section). A cluster-side construct:
 * it belongs in a stack after the cluster (the observability layer), with that stack's Helm and
 * Kubernetes providers. Construct ids — `Namespace`, `Role`, `PodIdentity`, `Release`,
 * `DefaultDeny`, `AllowDns`, `Egress`, `MetricsIngress` — are Terraform addresses: treat them as API.
 */
export class GatewayLogShipping extends Construct {
  readonly config: GatewayLogShippingConfig;
  /** The fluent-bit release (`release.release` is the helm_release, `release.values` the values). */
  readonly release: PinnedHelmRelease;
  readonly namespace: NamespaceV1;
  /** The role Fluent Bit gets through EKS Pod Identity. */
  readonly role: Role;
  readonly podIdentity: EksPodIdentityAssociation;
  /** Exactly what the role was granted: PutObject under each service's prefix, GenerateDataKey through S3. */
  readonly grants: readonly Grant[];
  /** The rendered Fluent Bit configuration sections. */
  readonly pipeline: FluentBitPipeline;
  /** S3 key prefix per service (`gateway/<service>/`): the DriftDetector window prefix. */
  readonly prefixes: Readonly<Record<string, string>>;
  /** Service account (and DaemonSet, ConfigMap) name. */
  readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, props: GatewayLogShippingProps) {
    super(scope, id);
    const p = parseProps(this, GatewayLogShippingPropsSchema, props);
    this.config = p;
    const ctx = PlatformContext.of(this);
    const provider = p.kubernetesProvider;
    const bucket: SecureBucket = p.bucket;
    const services = p.services.map((s) => ({ name: s.name, namespace: s.namespace ?? s.name }));
    this.prefixes = Object.fromEntries(services.map((s) => [s.name, `${p.keyPrefix}${s.name}/`]));
    this.serviceAccountName = p.name;
    const labels = { 'app.kubernetes.io/managed-by': 'gaiops', 'app.kubernetes.io/part-of': 'gaiops' };
    const podSelector = { 'app.kubernetes.io/component': LOG_SHIPPING_COMPONENT, 'app.kubernetes.io/instance': p.name };

    this.namespace = new NamespaceV1(this, 'Namespace', {
      provider,
      metadata: {
        name: p.namespace,
        labels: {
          ...labels,
          // hostPath volumes (the node's /var/log and the state directory) are outside `baseline`.
          'pod-security.kubernetes.io/enforce': 'privileged',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });
    const ns = this.namespace.metadata.name;

    // ---- identity: PutObject under the services' prefixes, data keys through S3 ----
    this.role = podIdentityRole(this, 'Role', {
      clusterName: p.cluster.clusterName,
      namespace: p.namespace,
      serviceAccount: p.name,
      description: `Gateway log shipping (Fluent Bit): ${p.namespace}/${p.name} of ${p.cluster.clusterName} through EKS Pod Identity (PutObject under ${p.keyPrefix})`,
    });
    this.grants = [
      Grant.addTo(this.role, [
        { sid: 'PutGatewayLogs', actions: ['s3:PutObject'], resources: services.map((s) => `${bucket.bucketArn}/${this.prefixes[s.name]}*`) },
      ]),
      // SSE-KMS with an S3 bucket key: S3 asks for a data key on the caller's behalf, in the bucket's context.
      bucket.encryptionKey.grant(this.role, ['kms:GenerateDataKey'], { viaService: 's3', encryptionContext: { 'aws:s3:arn': bucket.bucketArn } }),
    ];
    this.podIdentity = podIdentityAssociation(this, 'PodIdentity', {
      clusterName: p.cluster.clusterName,
      namespace: ns,
      serviceAccount: p.name,
      role: this.role,
    });

    // ---- network policies: nothing in; DNS, HTTPS (S3) and the Pod Identity agent out; metrics from monitoring ----
    const policy = (policyId: string, name: string, spec: NetworkPolicyV1Spec) =>
      new NetworkPolicyV1(this, policyId, { provider, metadata: { name, namespace: ns, labels }, spec });
    const policies = [
      policy('DefaultDeny', LOG_SHIPPING_NETWORK_POLICIES.defaultDeny, DEFAULT_DENY_SPEC),
      policy('AllowDns', LOG_SHIPPING_NETWORK_POLICIES.dns, DNS_EGRESS_SPEC),
      policy('Egress', LOG_SHIPPING_NETWORK_POLICIES.egress, {
        podSelector: { matchLabels: podSelector },
        policyTypes: ['Egress'],
        egress: [
          { to: p.httpsEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: '443', protocol: 'TCP' }] },
          { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ port: POD_IDENTITY_AGENT.port, protocol: 'TCP' }] },
        ],
      }),
      policy('MetricsIngress', LOG_SHIPPING_NETWORK_POLICIES.metrics, {
        podSelector: { matchLabels: podSelector },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: p.monitoringNamespace } } }],
            ports: [{ port: String(FLUENT_BIT_HTTP_PORT), protocol: 'TCP' }],
          },
        ],
      }),
    ];

    // ---- Fluent Bit ----
    this.pipeline = renderFluentBitPipeline({
      services,
      bucket: bucket.bucketName,
      region: p.region ?? ctx.region,
      keyPrefix: p.keyPrefix,
      uploadTimeoutMinutes: p.uploadTimeoutMinutes,
      totalFileSizeMB: p.totalFileSizeMB,
      bufferLimitMB: p.bufferLimitMB,
    });
    this.release = new PinnedHelmRelease(this, 'Release', {
      chart: FLUENT_BIT_CHART,
      name: p.name,
      namespace: ns,
      values: this.chartValues(p),
      provider: p.helmProvider,
      timeoutSeconds: p.timeoutSeconds,
      // Pods get their credentials at creation: the association first; the policies before any traffic.
      dependsOn: [this.namespace, this.podIdentity, ...policies],
    });
  }

  /** The chart values (every path verified for the pinned version). */
  private chartValues(p: GatewayLogShippingConfig): Record<string, unknown> {
    const r = p.resources;
    return {
      kind: 'DaemonSet',
      fullnameOverride: p.name,
      ...(p.image ? { image: { repository: p.image.repository, tag: p.image.tag } } : { image: { repository: 'cr.fluentbit.io/fluent/fluent-bit', tag: FLUENT_BIT_CHART.appVersion } }),
      testFramework: { enabled: false },
      serviceAccount: { create: true, name: p.name, automountServiceAccountToken: false },
      // No ClusterRole: the pipeline reads files and writes S3, never the Kubernetes API.
      rbac: { create: false },
      // The chart sets app.kubernetes.io/{name,instance}; a repeated key would break its YAML.
      podLabels: { 'app.kubernetes.io/component': LOG_SHIPPING_COMPONENT },
      // UID 0 (see README): the tail offsets and the S3 buffer live on a hostPath the kubelet creates
      // root:root 0755, which only the owner may write. No capability: root reads the 0640 root-owned
      // log files as their owner, writes its own directory as its owner, and can do nothing else a
      // capability would allow (no DAC override, no chown, no raw sockets).
      podSecurityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
      securityContext: {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      resources: { requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } },
      livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
      readinessProbe: { httpGet: { path: '/api/v2/health', port: 'http' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
      // Longer than Fluent Bit's Grace (30 s): the last buffers are uploaded before the kill.
      terminationGracePeriodSeconds: 45,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      nodeSelector: p.nodeSelector,
      tolerations: p.tolerations,
      daemonSetVolumes: [
        { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } },
        { name: 'state', hostPath: { path: `${LOG_SHIPPING_HOST_STATE_ROOT}/${p.name}`, type: 'DirectoryOrCreate' } },
      ],
      daemonSetVolumeMounts: [
        { name: 'varlog', mountPath: '/var/log', readOnly: true },
        { name: 'state', mountPath: LOG_SHIPPING_STATE_DIR },
      ],
      config: { ...this.pipeline, customParsers: '' },
      serviceMonitor: { enabled: p.serviceMonitor },
    };
  }
}
