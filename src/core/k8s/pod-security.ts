/**
 * The pod pieces every gaiops workload shares: restricted security contexts (non-root, no
 * privilege escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root), zone and
 * node spread, HTTP probes and Pod Security Standard namespace labels. Two forms where Kubernetes
 * objects are written two ways: the typed kubernetes-provider blocks (`podSecurity`,
 * `containerSecurity`: IDs as strings) and raw manifests for charts and the API server
 * (`podSecurityManifest`: IDs as numbers). Construct-free (types only from the provider), so
 * runtimes that render manifests can import it.
 */
import type {
  DeploymentV1SpecTemplateSpecContainerSecurityContext,
  DeploymentV1SpecTemplateSpecSecurityContext,
  DeploymentV1SpecTemplateSpecTopologySpreadConstraint,
} from '@cdktf/provider-kubernetes/lib/deployment-v1';

/** The UID/GID gaiops service pods run as by default (any non-root id works: HOME points at /tmp). */
export const DEFAULT_RUN_AS_USER = 65532;

/** Container security context of every gaiops container: no privileges, no capabilities, read-only root. */
export const RESTRICTED_CONTAINER: DeploymentV1SpecTemplateSpecContainerSecurityContext = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Pod security context: non-root `uid` (user, group and fsGroup), RuntimeDefault seccomp. */
export function podSecurity(uid: number): DeploymentV1SpecTemplateSpecSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: String(uid),
    runAsGroup: String(uid),
    fsGroup: String(uid),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** {@link RESTRICTED_CONTAINER} running as `uid`. */
export function containerSecurity(uid: number): DeploymentV1SpecTemplateSpecContainerSecurityContext {
  return { ...RESTRICTED_CONTAINER, runAsUser: String(uid), runAsGroup: String(uid) };
}

/** A raw-manifest pod `securityContext` (IDs as numbers, as in YAML and Helm values). */
export interface PodSecurityManifest {
  readonly runAsNonRoot: true;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup: number;
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}

/** {@link podSecurity} for raw manifests and Helm values: non-root `uid` (user, group, fsGroup), RuntimeDefault seccomp. */
export function podSecurityManifest(uid: number): PodSecurityManifest {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Spread replicas over zones, then nodes, without blocking scheduling when that is impossible. */
export function topologySpread(selector: Readonly<Record<string, string>>): DeploymentV1SpecTemplateSpecTopologySpreadConstraint[] {
  return ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: [{ matchLabels: { ...selector } }],
  }));
}

/** An HTTP GET probe on the container's `port`. */
export function httpProbe(path: string, port: number, periodSeconds: number, failureThreshold: number, timeoutSeconds = 2) {
  return { httpGet: { path, port: String(port), scheme: 'HTTP' }, periodSeconds, failureThreshold, timeoutSeconds };
}

/** Labels of a namespace enforcing (and warning and auditing) the Pod Security Standard `restricted`. */
export function restrictedNamespaceLabels(): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'warn', 'audit']) {
    labels[`pod-security.kubernetes.io/${mode}`] = 'restricted';
    labels[`pod-security.kubernetes.io/${mode}-version`] = 'latest';
  }
  return labels;
}

/** The label Kubernetes sets on every namespace with its name (what a NetworkPolicy selects a namespace by). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
