/**
 * The drift, fairness and A/B analysis of a DriftDetector (`runAs: 'kubernetes'`) as a Kubernetes
 * CronJob, for windows beyond Lambda's 15 minutes / 10 GB: the same `monitoring-drift` runtime
 * (container entry `main.ts`) with the same environment, writing the same report, alert and
 * metrics. A companion construct for a cluster-side stack: the detector keeps the AWS side (report
 * bucket, key, config, grants); this adds the namespace, ServiceAccount, EKS Pod Identity role with
 * the detector's grants, the CronJob and its NetworkPolicies.
 */
import { CronJobV1 } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1, type NetworkPolicyV1Spec } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { Construct } from 'constructs';
import { ContainerImage } from '../core/container-image';
import type { Grant } from '../core/iam/grant';
import { podIdentityAssociation, podIdentityRole } from '../core/iam/pod-identity-role';
import type { Role } from '../core/iam/role';
import { DEFAULT_DENY_SPEC, DNS_EGRESS_SPEC } from '../core/k8s/network-policy';
import { POD_IDENTITY_AGENT } from '../core/k8s/pod-identity-agent';
import { containerSecurity, podSecurity, restrictedNamespaceLabels } from '../core/k8s/pod-security';
import { quantityValue } from '../core/k8s/quantity';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import { imageUri } from '../inference-service/schema';
import type { DriftDetector } from './drift-detector';
import { type DriftJobConfig, type DriftJobProps, DriftJobPropsSchema, kubernetesSchedule } from './drift-job-schema';

/** Exit codes of the container (`runtime/drift/main.ts`) that no retry can fix: bad config (2), baseline or window refused (3). */
export const DRIFT_JOB_FINAL_EXIT_CODES: readonly number[] = [2, 3];

/** Names of the NetworkPolicies a DriftJob creates in a namespace it creates. */
export const DRIFT_JOB_NETWORK_POLICIES = { defaultDeny: 'default-deny', dns: 'allow-dns' } as const;

/** `drift-<model>` as a DNS-1123 label of at most 52 characters. */
export function defaultDriftJobName(model: string): string {
  const slug = model
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-');
  return `drift-${slug}`.slice(0, 52).replace(/-+$/, '');
}

/**
 * A DriftDetector's analysis as a CronJob on an EKS cluster (see the module comment and the
 * README's DriftJob section). Construct ids — `Namespace`, `ServiceAccount`, `Role`,
 * `PodIdentity`, `Image`, `Resource` (the CronJob), `DefaultDeny`, `AllowDns`, `Egress` — are
 * Terraform addresses: treat them as API.
 */
export class DriftJob extends Construct {
  readonly config: DriftJobConfig;
  /** The CronJob (`node.defaultChild`). */
  readonly resource: CronJobV1;
  readonly namespace?: NamespaceV1;
  /** The namespace name (a reference to the namespace resource when created). */
  readonly namespaceName: string;
  readonly serviceAccount: ServiceAccountV1;
  /** The role the pods get through EKS Pod Identity. */
  readonly role: Role;
  /** What the role was granted: the detector's analysis grants (as its Lambda) and PutMetricData in its namespace. */
  readonly grants: readonly Grant[];
  /** The Kubernetes schedule the CronJob runs on (UTC). */
  readonly schedule: string;
  readonly imageUri: string;

  constructor(scope: Construct, id: string, props: DriftJobProps) {
    super(scope, id);
    const p = parseProps(this, DriftJobPropsSchema, props);
    this.config = p;
    const ctx = PlatformContext.of(this);
    const detector: DriftDetector = p.detector;
    const provider = p.kubernetesProvider;
    const name = p.name ?? defaultDriftJobName(detector.config.model);
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'drift-detector', 'app.kubernetes.io/managed-by': 'gaiops' };
    const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'drift-detector' };

    if (p.createNamespace) {
      this.namespace = new NamespaceV1(this, 'Namespace', {
        provider,
        metadata: {
          name: p.namespace,
          labels: {
            'app.kubernetes.io/managed-by': 'gaiops',
            ...restrictedNamespaceLabels(),
          },
        },
      });
    }
    const ns = this.namespace ? this.namespace.metadata.name : p.namespace;
    this.namespaceName = ns;
    const meta = (n: string) => ({ name: n, namespace: ns, labels });

    // ---- identity: the detector's grants, through EKS Pod Identity ----
    this.serviceAccount = new ServiceAccountV1(this, 'ServiceAccount', { provider, metadata: meta(name), automountServiceAccountToken: false });
    this.role = podIdentityRole(this, 'Role', {
      clusterName: p.cluster.clusterName,
      namespace: p.namespace,
      serviceAccount: name,
      description: `Drift analysis of ${detector.config.model}: ${p.namespace}/${name} of ${p.cluster.clusterName} through EKS Pod Identity`,
    });
    this.grants = [...detector.grantAnalysis(this.role), detector.grantPutMetrics(this.role)];
    const association = podIdentityAssociation(this, 'PodIdentity', {
      clusterName: p.cluster.clusterName,
      namespace: ns,
      serviceAccount: this.serviceAccount.metadata.name,
      role: this.role,
    });

    // ---- the CronJob ----
    this.imageUri = p.image === undefined ? new ContainerImage(this, 'Image', { runtime: 'monitoring-drift' }).imageUri : imageUri(p.image);
    const converted = kubernetesSchedule(detector.schedule);
    // The schema refused an unconvertible schedule without an explicit one.
    this.schedule = p.schedule ?? ('schedule' in converted ? converted.schedule : '');
    const r = p.resources;
    const heapMiB = Math.floor(((quantityValue(r.memoryLimit) as number) * 0.75) / 2 ** 20);
    const env = [
      ...Object.entries(detector.environment).map(([n, value]) => ({ name: n, value })),
      { name: 'AWS_REGION', value: ctx.region },
      { name: 'HOME', value: '/tmp' },
      { name: 'NODE_OPTIONS', value: `--max-old-space-size=${heapMiB}` },
    ];
    this.resource = new CronJobV1(this, 'Resource', {
      provider,
      metadata: meta(name),
      spec: {
        schedule: this.schedule,
        timezone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: p.startingDeadlineSeconds,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: p.backoffLimit,
            activeDeadlineSeconds: p.activeDeadlineSeconds,
            ttlSecondsAfterFinished: String(p.ttlSecondsAfterFinished),
            podFailurePolicy: {
              rule: [{ action: 'FailJob', onExitCodes: { containerName: 'drift', operator: 'In', values: [...DRIFT_JOB_FINAL_EXIT_CODES] } }],
            },
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: this.serviceAccount.metadata.name,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                restartPolicy: 'Never',
                terminationGracePeriodSeconds: 30,
                securityContext: podSecurity(p.runAsUser),
                ...(p.nodeSelector ? { nodeSelector: p.nodeSelector } : {}),
                ...(p.tolerations ? { toleration: p.tolerations } : {}),
                container: [
                  {
                    name: 'drift',
                    image: this.imageUri,
                    imagePullPolicy: 'IfNotPresent',
                    args: ['--put-metrics'],
                    env,
                    resources: { requests: { cpu: r.cpuRequest, memory: r.memoryRequest }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } },
                    securityContext: containerSecurity(p.runAsUser),
                    volumeMount: [{ name: 'tmp', mountPath: '/tmp' }],
                  },
                ],
                volume: [{ name: 'tmp', emptyDir: { sizeLimit: p.tmpSize } }],
              },
            },
          },
        },
      },
      // The pods need their credentials from the first run.
      dependsOn: [association],
    });

    // ---- network policies ----
    const policy = (policyId: string, policyName: string, spec: NetworkPolicyV1Spec) => new NetworkPolicyV1(this, policyId, { provider, metadata: meta(policyName), spec });
    if (this.namespace) {
      policy('DefaultDeny', DRIFT_JOB_NETWORK_POLICIES.defaultDeny, DEFAULT_DENY_SPEC);
      policy('AllowDns', DRIFT_JOB_NETWORK_POLICIES.dns, DNS_EGRESS_SPEC);
    }
    policy('Egress', `${name}-egress`, {
      podSelector: { matchLabels: selector },
      policyTypes: ['Egress'],
      egress: [
        { to: p.httpsEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: '443', protocol: 'TCP' }] },
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ port: POD_IDENTITY_AGENT.port, protocol: 'TCP' }] },
      ],
    });
  }
}
