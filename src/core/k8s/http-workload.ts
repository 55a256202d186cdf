/**
 * An in-cluster HTTP service built the same secure way every time: the pod pieces every gaiops
 * Deployment shares (restricted security contexts, probes, topology spread, a writable /tmp on a
 * read-only root) as plain functions, and {@link HttpWorkload}, which assembles them with a
 * ServiceAccount bound to an IAM role through EKS Pod Identity, a Service, an HPA, a
 * PodDisruptionBudget and NetworkPolicies admitting only the clients it names.
 */
import type { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1, type NetworkPolicyV1Spec, type NetworkPolicyV1SpecEgress, type NetworkPolicyV1SpecIngressFrom } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { ClusterReference } from '../../gpu-training-cluster/cluster';
import type { IContainerImage } from '../container-image';
import { podIdentityRole } from '../iam/pod-identity-role';
import type { Role } from '../iam/role';
import { imagePinProblem } from '../policy/rules/kubernetes';
import { instanceOf, isToken, parseProps } from '../props';
import { DEFAULT_DENY_SPEC, DNS_EGRESS_SPEC } from './network-policy';
import { POD_IDENTITY_AGENT } from './pod-identity-agent';
import { containerSecurity, DEFAULT_RUN_AS_USER, httpProbe, NAMESPACE_NAME_LABEL, podSecurity, restrictedNamespaceLabels, topologySpread } from './pod-security';
import { containerResourcesSchema, quantitySchema } from './quantity';
import { podIdentityAssociation } from '../iam/pod-identity-role';

// The shared secure pod pieces live in ./pod-security (construct-free); re-exported here.
export {
  containerSecurity,
  DEFAULT_RUN_AS_USER,
  httpProbe,
  NAMESPACE_NAME_LABEL,
  podSecurity,
  podSecurityManifest,
  restrictedNamespaceLabels,
  RESTRICTED_CONTAINER,
  topologySpread,
  type PodSecurityManifest,
} from './pod-security';
export { containerResourcesSchema } from './quantity';

// ───────────────────────────────────────────── props

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const HTTP_PATH = /^\/[A-Za-z0-9._~/-]*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12][0-9]|3[0-2])$/;

/** Environment variables the workload sets itself (a service's `env` may not override them). */
export const RESERVED_WORKLOAD_ENV = ['PORT', 'HOST', 'HOME'] as const;

const quantity = (what: 'CPU' | 'memory') => quantitySchema(what);

/** Defaults of a gaiops Node.js HTTP service container. */
export const DEFAULT_HTTP_WORKLOAD_RESOURCES = { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '256Mi', memoryLimit: '512Mi' } as const;

/** A ContainerImage (or `ContainerImage.fromUri(…)`): its URI must be pinned to a tag other than latest, or a digest. */
export const PinnedContainerImageSchema = z
  .custom<IContainerImage>((v) => v !== null && typeof v === 'object' && typeof (v as IContainerImage).imageUri === 'string', 'must be a ContainerImage or ContainerImage.fromUri(…)')
  .superRefine((image, ctx) => {
    const problem = isToken(image.imageUri) && !image.imageUri.includes(':') ? undefined : imagePinProblem(image.imageUri);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A cluster reference (`GpuTrainingCluster.reference()`, or literal values in a later stack). */
export const ClusterReferenceSchema = z.custom<ClusterReference>(
  (v) => v !== null && typeof v === 'object' && typeof (v as ClusterReference).clusterName === 'string',
  'must be a ClusterReference (GpuTrainingCluster.reference())',
);

const LabelsSchema = z.record(z.string().regex(LABEL_KEY, 'must be a label key'), z.string().regex(LABEL_VALUE, 'must be a label value'));

/** Who may call the service: pods in a namespace (by name or labels), optionally only those with `podLabels`. */
export const WorkloadClientSchema = z
  .strictObject({
    namespace: z.string().regex(NAMESPACE, 'must be a namespace name').optional().describe('Client namespace by name. Default none.'),
    namespaceLabels: LabelsSchema.optional().describe('Client namespaces by labels (all must match), e.g. `{ "gaiops.io/team": "vision" }`. Default none.'),
    podLabels: LabelsSchema.optional().describe('Only pods with these labels. Default every pod of the selected namespaces.'),
  })
  .refine((c) => c.namespace !== undefined || c.namespaceLabels !== undefined, 'must name a namespace or namespaceLabels: a client from any namespace is not allowed');
export type WorkloadClient = z.output<typeof WorkloadClientSchema>;

export const HttpWorkloadPropsSchema = z
  .strictObject({
    name: z.string().regex(NAME, 'must be a lowercase name of at most 40 characters: a letter, then letters, digits or -').describe('Name of the Deployment, Service, ServiceAccount and HPA.'),
    component: z.string().regex(LABEL_VALUE, 'must be a label value').min(1).describe('`app.kubernetes.io/component` label (part of the selector).'),
    partOf: z.string().regex(LABEL_VALUE, 'must be a label value').optional().describe('`app.kubernetes.io/part-of` label. Default `name`.'),
    namespace: z.string().regex(NAMESPACE, 'must be a Kubernetes namespace name').describe('Namespace of every object.'),
    createNamespace: z
      .boolean()
      .default(true)
      .describe('Create the namespace (Pod Security `restricted`, default-deny and DNS NetworkPolicies). `false`: the namespace exists; only the workload\'s own policies are added. Default true.'),
    cluster: ClusterReferenceSchema.describe('The cluster: the Pod Identity association is created in it and the role trust is limited to it.'),
    image: PinnedContainerImageSchema.describe('The service image: a ContainerImage of a gaiops runtime, or `ContainerImage.fromUri` with a pinned tag or digest.'),
    env: z
      .record(z.string().regex(ENV_NAME, 'must be an environment variable name (A-Z, 0-9, _)'), z.string().max(32768))
      .default({})
      .describe('Environment of the container (never secrets). `PORT`, `HOST` and `HOME` are set by the workload. Default none.'),
    port: z.number().int().min(1024).max(65535).default(8080).describe('Port the server listens on (`PORT`) and the Service exposes. Default 8080.'),
    livenessPath: z.string().regex(HTTP_PATH, 'must be an HTTP path').default('/healthz').describe('Startup and liveness probe path. Default `/healthz`.'),
    readinessPath: z.string().regex(HTTP_PATH, 'must be an HTTP path').default('/readyz').describe('Readiness probe path. Default `/readyz`.'),
    resources: containerResourcesSchema(DEFAULT_HTTP_WORKLOAD_RESOURCES).prefault({}).describe('Container CPU and memory. Default 250m/1 CPU, 256Mi/512Mi.'),
    replicas: z
      .strictObject({
        min: z.number().int().min(1).max(100).default(2).describe('HPA minimum. Default 2.'),
        max: z.number().int().min(1).max(100).default(6).describe('HPA maximum. Default 6.'),
      })
      .prefault({})
      .describe('Replica range (HPA on CPU). Default `{ min: 2, max: 6 }`.'),
    targetCpuUtilization: z.number().int().min(10).max(100).default(70).describe('HPA target average CPU utilization (percent of the request). Default 70.'),
    clients: z.array(WorkloadClientSchema).min(1, 'must name at least one client').max(50).describe('Who may connect (NetworkPolicy ingress); nobody else can.'),
    clientEgressPolicies: z
      .boolean()
      .default(true)
      .describe('In each client namespace given by name, add a NetworkPolicy allowing egress to exactly this service (client namespaces with default-deny egress need it). Default true.'),
    httpsEgressCidrs: z
      .array(z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR such as 10.0.0.0/16'))
      .min(1)
      .default(['0.0.0.0/0'])
      .describe('Destinations of the pods\' HTTPS (443) egress: AWS APIs. Default `0.0.0.0/0`; narrow it when every endpoint is a VPC endpoint.'),
    runAsUser: z.number().int().min(1000).max(2147483647).default(DEFAULT_RUN_AS_USER).describe(`Non-root UID/GID/fsGroup of the pods. Default ${DEFAULT_RUN_AS_USER}.`),
    tmpSize: quantity('memory').default('256Mi').describe('Size limit of the `/tmp` emptyDir. Default `256Mi`.'),
    terminationGracePeriodSeconds: z.number().int().min(5).max(600).default(30).describe('Time for in-flight requests to finish on shutdown. Default 30.'),
    roleDescription: z.string().max(1000).optional().describe('Description of the IAM role. Default `<namespace>/<name> of <cluster> through EKS Pod Identity`.'),
    kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider').optional().describe('Kubernetes provider (`ClusterProviders.configure(…).kubernetes`). Default the stack default.'),
  })
  .superRefine((p, ctx) => {
    if (p === null || typeof p !== 'object') return;
    if (p.env !== null && typeof p.env === 'object') {
      for (const key of Object.keys(p.env)) {
        if ((RESERVED_WORKLOAD_ENV as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: ['env', key], message: 'is set by the workload' });
      }
    }
    const r = p.replicas as { min?: unknown; max?: unknown } | undefined;
    if (r && typeof r.min === 'number' && typeof r.max === 'number' && r.min > r.max) {
      ctx.addIssue({ code: 'custom', path: ['replicas', 'min'], message: `must not exceed replicas.max (${r.max})` });
    }
  }, { when: () => true });
/**
 * The props every construct that deploys one gaiops HTTP service in the cluster shares (FeatureServer,
 * RegistryServer): the HttpWorkload fields a user sets, with that service's name, image runtime
 * and client wording. Spread it into the construct's own schema.
 */
export function serviceWorkloadShape(o: { readonly name: string; readonly runtime: string; readonly clients: string }) {
  const w = HttpWorkloadPropsSchema.shape;
  return {
    cluster: w.cluster,
    image: w.image.describe(`The server image: a ContainerImage of runtime \`${o.runtime}\`, or \`ContainerImage.fromUri\` with a pinned tag or digest.`),
    name: w.name.default(o.name).describe(`Name of the Deployment, Service, ServiceAccount and HPA. Default \`${o.name}\`.`),
    namespace: w.namespace.optional().describe('Namespace. Default `name`.'),
    createNamespace: w.createNamespace,
    clients: w.clients.describe(o.clients),
    clientEgressPolicies: w.clientEgressPolicies,
    replicas: w.replicas,
    targetCpuUtilization: w.targetCpuUtilization,
    resources: w.resources,
    httpsEgressCidrs: w.httpsEgressCidrs,
    runAsUser: w.runAsUser,
    kubernetesProvider: w.kubernetesProvider,
  };
}

export type HttpWorkloadProps = z.input<typeof HttpWorkloadPropsSchema>;
export type HttpWorkloadConfig = z.output<typeof HttpWorkloadPropsSchema>;

// ───────────────────────────────────────────── the workload

/** Names of the NetworkPolicies a workload creates (`<name>` is the workload's name). */
export const WORKLOAD_NETWORK_POLICIES = {
  /** Only in a namespace the workload creates. */
  defaultDeny: 'default-deny',
  /** Only in a namespace the workload creates. */
  dns: 'allow-dns',
  ingress: (name: string) => `${name}-ingress`,
  egress: (name: string) => `${name}-egress`,
  /** In each client namespace given by name. */
  clientEgress: (name: string, namespace: string) => `allow-egress-to-${name}-${namespace}`.slice(0, 253),
} as const;

/**
 * An HTTP service on EKS: a ServiceAccount (no token mounted) bound through EKS Pod Identity to
 * its own IAM role (trusted only for this cluster, namespace and service account; grant to
 * `role`), a Deployment of one container (non-root, no privilege escalation, all capabilities
 * dropped, RuntimeDefault seccomp, read-only root with an emptyDir at /tmp, requests and limits,
 * startup/readiness/liveness probes, zone and node spread, replicas left to the HPA), a ClusterIP
 * Service, a CPU HorizontalPodAutoscaler, a PodDisruptionBudget and NetworkPolicies: ingress only
 * from `clients` on the service port, egress only to DNS, HTTPS and the Pod Identity agent.
 */
export class HttpWorkload extends Construct {
  readonly config: HttpWorkloadConfig;
  /** The namespace, when the workload created it. */
  readonly namespace?: NamespaceV1;
  /** The namespace name (a reference to the namespace resource when created here). */
  readonly namespaceName: string;
  readonly serviceAccount: ServiceAccountV1;
  /** The pods' IAM role: grant to it. */
  readonly role: Role;
  readonly podIdentity: EksPodIdentityAssociation;
  readonly deployment: DeploymentV1;
  readonly service: ServiceV1;
  readonly autoscaler: HorizontalPodAutoscalerV2;
  readonly disruptionBudget: PodDisruptionBudgetV1;
  readonly networkPolicies: readonly NetworkPolicyV1[];
  /** The pod selector (`app.kubernetes.io/name` and `component`). */
  readonly selector: Readonly<Record<string, string>>;
  /** `http://<name>.<namespace>.svc:<port>`. */
  readonly serviceUrl: string;

  constructor(scope: Construct, id: string, props: HttpWorkloadProps) {
    super(scope, id);
    const p = parseProps(this, HttpWorkloadPropsSchema, props);
    this.config = p;
    const provider = p.kubernetesProvider;
    this.selector = { 'app.kubernetes.io/name': p.name, 'app.kubernetes.io/component': p.component };
    const labels = { ...this.selector, 'app.kubernetes.io/part-of': p.partOf ?? p.name, 'app.kubernetes.io/managed-by': 'gaiops' };

    if (p.createNamespace) {
      this.namespace = new NamespaceV1(this, 'Namespace', { provider, metadata: { name: p.namespace, labels: { ...labels, ...restrictedNamespaceLabels() } } });
    }
    const ns = this.namespace?.metadata.name ?? p.namespace;
    this.namespaceName = ns;
    const meta = (name: string, namespace: string = ns) => ({ name, namespace, labels });

    this.serviceAccount = new ServiceAccountV1(this, 'ServiceAccount', { provider, metadata: meta(p.name), automountServiceAccountToken: false });
    this.role = podIdentityRole(this, 'Role', {
      clusterName: p.cluster.clusterName,
      namespace: p.namespace,
      serviceAccount: p.name,
      description: p.roleDescription,
    });
    this.podIdentity = podIdentityAssociation(this, 'PodIdentity', {
      clusterName: p.cluster.clusterName,
      namespace: ns,
      serviceAccount: this.serviceAccount.metadata.name,
      role: this.role,
    });

    const uid = p.runAsUser;
    const res = p.resources;
    this.deployment = new DeploymentV1(this, 'Deployment', {
      provider,
      metadata: meta(p.name),
      spec: {
        // The HPA owns the replica count.
        revisionHistoryLimit: 5,
        selector: { matchLabels: { ...this.selector } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '0' } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: this.serviceAccount.metadata.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: p.terminationGracePeriodSeconds,
            securityContext: podSecurity(uid),
            topologySpreadConstraint: topologySpread(this.selector),
            container: [
              {
                name: 'server',
                image: p.image.imageUri,
                imagePullPolicy: 'IfNotPresent',
                env: [
                  ...Object.entries(p.env)
                    .sort(([a], [b]) => a.localeCompare(b))
                    .map(([name, value]) => ({ name, value })),
                  { name: 'PORT', value: String(p.port) },
                  { name: 'HOST', value: '0.0.0.0' },
                  { name: 'HOME', value: '/tmp' },
                ],
                port: [{ name: 'http', containerPort: p.port, protocol: 'TCP' }],
                resources: { requests: { cpu: res.cpuRequest, memory: res.memoryRequest }, limits: { cpu: res.cpuLimit, memory: res.memoryLimit } },
                securityContext: containerSecurity(uid),
                startupProbe: httpProbe(p.livenessPath, p.port, 2, 30),
                livenessProbe: httpProbe(p.livenessPath, p.port, 10, 3),
                readinessProbe: httpProbe(p.readinessPath, p.port, 5, 2),
                volumeMount: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volume: [{ name: 'tmp', emptyDir: { sizeLimit: p.tmpSize } }],
          },
        },
      },
      // The pods need their credentials before the first one starts.
      dependsOn: [this.podIdentity],
    });

    this.service = new ServiceV1(this, 'Service', {
      provider,
      metadata: meta(p.name),
      spec: { type: 'ClusterIP', selector: { ...this.selector }, port: [{ name: 'http', port: p.port, targetPort: 'http', protocol: 'TCP' }] },
    });
    this.autoscaler = new HorizontalPodAutoscalerV2(this, 'Autoscaler', {
      provider,
      metadata: meta(p.name),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.metadata.name },
        minReplicas: p.replicas.min,
        maxReplicas: p.replicas.max,
        metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: p.targetCpuUtilization } } }],
      },
    });
    this.disruptionBudget = new PodDisruptionBudgetV1(this, 'Pdb', { provider, metadata: meta(p.name), spec: { maxUnavailable: '1', selector: { matchLabels: { ...this.selector } } } });

    // ---- network policies ----
    const policies: NetworkPolicyV1[] = [];
    const policy = (policyId: string, name: string, spec: NetworkPolicyV1Spec, namespace: string = ns) =>
      policies.push(new NetworkPolicyV1(this, policyId, { provider, metadata: meta(name, namespace), spec }));
    if (p.createNamespace) {
      policy('DefaultDeny', WORKLOAD_NETWORK_POLICIES.defaultDeny, DEFAULT_DENY_SPEC);
      policy('AllowDns', WORKLOAD_NETWORK_POLICIES.dns, DNS_EGRESS_SPEC);
    }
    const tcp = { port: String(p.port), protocol: 'TCP' };
    policy('Ingress', WORKLOAD_NETWORK_POLICIES.ingress(p.name), {
      podSelector: { matchLabels: { ...this.selector } },
      policyTypes: ['Ingress'],
      ingress: [{ from: p.clients.map(clientPeer), ports: [tcp] }],
    });
    policy('Egress', WORKLOAD_NETWORK_POLICIES.egress(p.name), {
      podSelector: { matchLabels: { ...this.selector } },
      policyTypes: ['Egress'],
      egress: [
        // DNS is repeated here so the workload's egress stays complete in a namespace it does not own.
        ...(DNS_EGRESS_SPEC.egress as NetworkPolicyV1SpecEgress[]),
        { to: p.httpsEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: '443', protocol: 'TCP' }] },
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ port: POD_IDENTITY_AGENT.port, protocol: 'TCP' }] },
      ],
    });
    if (p.clientEgressPolicies) {
      const server = [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: p.namespace } }, podSelector: { matchLabels: { ...this.selector } } }];
      for (const clientNs of [...new Set(p.clients.flatMap((c) => (c.namespace === undefined ? [] : [c.namespace])))]) {
        const entries = p.clients.filter((c) => c.namespace === clientNs);
        // One policy for the whole namespace when any entry admits all its pods, else one per pod selector.
        const podSelectors = entries.some((c) => c.podLabels === undefined) ? [{}] : entries.map((c) => c.podLabels as Record<string, string>);
        podSelectors.forEach((podSelector, i) => {
          const suffix = podSelectors.length > 1 ? `-${i + 1}` : '';
          const spec: NetworkPolicyV1Spec = { podSelector: Object.keys(podSelector).length > 0 ? { matchLabels: { ...podSelector } } : {}, policyTypes: ['Egress'], egress: [{ to: server, ports: [tcp] }] };
          policy(`ClientEgress-${clientNs}${suffix}`, `${WORKLOAD_NETWORK_POLICIES.clientEgress(p.name, p.namespace)}${suffix}`, spec, clientNs);
        });
      }
    }
    this.networkPolicies = policies;
    this.serviceUrl = `http://${p.name}.${p.namespace}.svc:${p.port}`;
  }
}

/** A client as a NetworkPolicy peer: its namespace (by name or labels), narrowed to `podLabels` when given. */
export function clientPeer(c: WorkloadClient): NetworkPolicyV1SpecIngressFrom {
  const namespaceLabels = { ...(c.namespaceLabels ?? {}), ...(c.namespace !== undefined ? { [NAMESPACE_NAME_LABEL]: c.namespace } : {}) };
  return {
    namespaceSelector: { matchLabels: namespaceLabels },
    ...(c.podLabels !== undefined ? { podSelector: { matchLabels: { ...c.podLabels } } } : {}),
  };
}
