import type { PolicyRule, SynthResource } from '../types';
import { blocks, firstBlock, isExpression, isSet, isTrue, numberValue, quoteAll, show, type Block } from './helpers';

/**
 * Where each workload type of the kubernetes provider keeps its pod spec (a path of nested blocks,
 * each synthesized as an object or a one-element list).
 */
export const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  kubernetes_deployment_v1: ['spec', 'template', 'spec'],
  kubernetes_stateful_set_v1: ['spec', 'template', 'spec'],
  kubernetes_daemon_set_v1: ['spec', 'template', 'spec'],
  kubernetes_job_v1: ['spec', 'template', 'spec'],
  kubernetes_cron_job_v1: ['spec', 'job_template', 'spec', 'template', 'spec'],
  kubernetes_pod_v1: ['spec'],
};

/** Every workload type whose pod spec the Kubernetes rules check. */
export const WORKLOAD_TYPES: readonly string[] = Object.keys(POD_SPEC_PATHS);

/** Long-running workloads: their containers serve until replaced, so they need readiness and liveness probes. */
export const LONG_RUNNING_WORKLOAD_TYPES: readonly string[] = ['kubernetes_deployment_v1', 'kubernetes_stateful_set_v1', 'kubernetes_daemon_set_v1'];

/** A container of a pod spec, with how messages name it. */
export interface PodContainer {
  /** `container "server"`, `init container "model-fetcher"` (`container #2` when unnamed). */
  readonly label: string;
  readonly init: boolean;
  readonly config: Block;
}

/** The pod spec of a workload resource; `undefined` when absent (or the type is not a workload). */
export function podSpec(resource: SynthResource): Block | undefined {
  const path = POD_SPEC_PATHS[resource.type];
  if (!path) return undefined;
  let current: Block | undefined = resource.config;
  for (const key of path) {
    current = firstBlock(current[key]);
    if (!current) return undefined;
  }
  return current;
}

/** The init containers and containers of a pod spec, init containers first. */
export function podContainers(spec: Block | undefined): PodContainer[] {
  if (!spec) return [];
  const list = (attribute: string, init: boolean, kind: string): PodContainer[] =>
    blocks(spec[attribute]).map((config, i) => ({
      label: typeof config.name === 'string' && config.name !== '' ? `${kind} ${JSON.stringify(config.name)}` : `${kind} #${i + 1}`,
      init,
      config,
    }));
  return [...list('init_container', true, 'init container'), ...list('container', false, 'container')];
}

/** A boolean attribute that is false (`false` or `"false"`). */
function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}

/** Runs `problemsOf` for each container of the workload's pod spec, prefixing messages with the container's label. */
function eachContainer(resource: SynthResource, problemsOf: (c: PodContainer, pod: Block) => readonly string[], filter?: (c: PodContainer) => boolean): string[] {
  const spec = podSpec(resource);
  if (!spec) return [];
  return podContainers(spec)
    .filter((c) => (filter ? filter(c) : true))
    .flatMap((c) => problemsOf(c, spec).map((p) => `${c.label}: ${p}`));
}

/** The value a container's security context gives an attribute, else the pod's (container settings override the pod's). */
function effective(container: Block, pod: Block, attribute: string): { value: unknown; from: string } {
  const own = firstBlock(container.security_context)?.[attribute];
  if (own !== undefined && own !== null) return { value: own, from: 'container security_context' };
  const inherited = firstBlock(pod.security_context)?.[attribute];
  if (inherited !== undefined && inherited !== null) return { value: inherited, from: 'pod security_context' };
  return { value: undefined, from: 'neither the container nor the pod security_context' };
}

export const k8sRunAsNonRoot: PolicyRule = {
  id: 'GAI-K8S-001',
  severity: 'error',
  title: 'Kubernetes containers run as a non-root user',
  rationale:
    'A process running as root (UID 0) inside a container is root on the node as soon as a kernel or runtime bug, a hostPath mount or a misconfigured capability lets it out; run_as_non_root makes the kubelet refuse to start a container whose user is root.',
  fix: 'Set security_context { run_as_non_root = true, run_as_user = <non-zero UID> } on the pod (spec.template.spec) or on every container and init container, without a container overriding it to false or UID 0 (InferenceService sets both at pod and container level).',
  appliesTo: WORKLOAD_TYPES,
  check: (workload) =>
    eachContainer(workload, ({ config }, pod) => {
      const problems: string[] = [];
      const nonRoot = effective(config, pod, 'run_as_non_root');
      if (!isTrue(nonRoot.value)) {
        problems.push(
          nonRoot.value === undefined
            ? `run_as_non_root is not set (in ${nonRoot.from}), so the container may run as root`
            : `run_as_non_root is ${show(nonRoot.value)} (from the ${nonRoot.from}), so the container may run as root`,
        );
      }
      const user = effective(config, pod, 'run_as_user');
      if (numberValue(user.value) === 0) problems.push(`run_as_user is 0 (root), from the ${user.from}`);
      return problems;
    }),
};

export const k8sNoPrivilegeEscalation: PolicyRule = {
  id: 'GAI-K8S-002',
  severity: 'error',
  title: 'Kubernetes workloads allow no privilege escalation: no privileged containers, no host namespaces',
  rationale:
    'A privileged container, or one allowed to gain privileges (setuid binaries, file capabilities), can take over the node; sharing the host network, PID or IPC namespace lets a pod sniff node traffic, signal or inspect host processes and read host shared memory.',
  fix: 'Set security_context { allow_privilege_escalation = false } on every container and init container, leave privileged unset or false, and leave host_network, host_pid and host_ipc unset or false on the pod spec (InferenceService does this).',
  appliesTo: WORKLOAD_TYPES,
  check: (workload) => {
    const spec = podSpec(workload);
    if (!spec) return [];
    const hostNamespaces = ['host_network', 'host_pid', 'host_ipc']
      .filter((a) => isTrue(spec[a]))
      .map((a) => `the pod spec sets ${a} = true, sharing the node's ${a.slice('host_'.length).toUpperCase()} namespace`);
    const containers = eachContainer(workload, ({ config }) => {
      const sc = firstBlock(config.security_context);
      const problems: string[] = [];
      if (isTrue(sc?.privileged)) problems.push('security_context.privileged is true');
      if (!isFalse(sc?.allow_privilege_escalation)) {
        problems.push(`security_context.allow_privilege_escalation is ${show(sc?.allow_privilege_escalation)}, not false (Kubernetes defaults it to true)`);
      }
      return problems;
    });
    return [...hostNamespaces, ...containers];
  },
};

export const k8sReadOnlyRootFilesystem: PolicyRule = {
  id: 'GAI-K8S-003',
  severity: 'error',
  title: 'Kubernetes containers have a read-only root filesystem',
  rationale:
    'A writable root filesystem lets an intruder drop tools, tamper with binaries or persist inside a running container; with a read-only root, writes go only to the volumes mounted for them (an emptyDir for /tmp, a cache volume).',
  fix: 'Set security_context { read_only_root_filesystem = true } on every container and init container, and mount an empty_dir volume where the process needs to write (InferenceService mounts /tmp and the model cache).',
  appliesTo: WORKLOAD_TYPES,
  check: (workload) =>
    eachContainer(workload, ({ config }) => {
      const value = firstBlock(config.security_context)?.read_only_root_filesystem;
      return isTrue(value) ? [] : [`security_context.read_only_root_filesystem is ${show(value)}, not true`];
    }),
};

const RESOURCE_KINDS = ['cpu', 'memory'] as const;

export const k8sResourceRequestsAndLimits: PolicyRule = {
  id: 'GAI-K8S-004',
  severity: 'error',
  title: 'Kubernetes containers (init containers too) set cpu and memory requests and limits',
  rationale:
    'Without requests the scheduler places pods blind and they are evicted first under pressure; without limits one container can starve its node neighbours of CPU or memory (an init container that runs away blocks the pod just the same). Namespace quotas also refuse pods that do not state them.',
  fix: 'Set resources { requests = { cpu = …, memory = … }, limits = { cpu = …, memory = … } } on every container and init container (InferenceService variant and gateway `resources` props).',
  appliesTo: WORKLOAD_TYPES,
  check: (workload) =>
    eachContainer(workload, ({ config }) => {
      const resources = firstBlock(config.resources);
      const missing: string[] = [];
      for (const section of ['requests', 'limits'] as const) {
        const values = firstBlock(resources?.[section]);
        for (const kind of RESOURCE_KINDS) if (!isSet(values?.[kind])) missing.push(`resources.${section}.${kind}`);
      }
      return missing.length > 0 ? [`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`] : [];
    }),
};

export const k8sProbes: PolicyRule = {
  id: 'GAI-K8S-005',
  severity: 'warning',
  title: 'Long-running Kubernetes workloads have readiness and liveness probes on every container',
  rationale:
    'Without a readiness probe a pod receives traffic before it can serve (and during a rollout, while it is still loading); without a liveness probe a hung process is never restarted. Deployments, StatefulSets and DaemonSets run until replaced, so both matter.',
  fix: 'Add readiness_probe and liveness_probe (http_get, tcp_socket, grpc or exec) to every container of the Deployment, StatefulSet or DaemonSet, and a startup_probe for slow starters (InferenceService probes its variants and gateway).',
  appliesTo: LONG_RUNNING_WORKLOAD_TYPES,
  check: (workload) =>
    eachContainer(
      workload,
      ({ config }) => {
        const missing = ['readiness_probe', 'liveness_probe'].filter((p) => !isSet(firstBlock(config[p])));
        return missing.length > 0 ? [`has no ${missing.join(' and no ')}`] : [];
      },
      (c) => !c.init,
    ),
};

/**
 * Splits an image string around its last `${…}` Terraform expression: the text before it, the
 * expression, and the literal text after it. Without an expression, all of it is `after`.
 */
export function splitAtLastExpression(image: string): { before: string; expression: string; after: string } {
  let start = -1;
  let end = -1;
  let i = 0;
  while (i < image.length) {
    if (image.startsWith('${', i)) {
      let depth = 0;
      let j = i;
      for (; j < image.length; j++) {
        if (image[j] === '{') depth++;
        else if (image[j] === '}' && --depth === 0) break;
      }
      start = i;
      end = Math.min(j, image.length - 1);
      i = end + 1;
    } else i++;
  }
  if (start < 0) return { before: '', expression: '', after: image };
  return { before: image.slice(0, start), expression: image.slice(start, end + 1), after: image.slice(end + 1) };
}

/** A literal sha256 digest suffix `@sha256:<64 hex>`. */
const DIGEST = /@sha256:[0-9a-f]{64}$/i;
/** A valid image tag (Docker grammar). */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Why an image reference is not pinned; `undefined` when it is pinned to a tag (other than latest) or a digest. */
export function imagePinProblem(image: unknown): string | undefined {
  if (!isSet(image)) return 'has no image';
  if (typeof image !== 'string') return `image ${show(image)} is not a string`;
  const value = image.trim();
  const { before, expression, after } = splitAtLastExpression(value);
  if (after === '') {
    // The last expression supplies the tail: a tag or digest when it follows `:` or `@`, else the whole name.
    if (expression !== '' && /[:@]$/.test(before)) return undefined;
    return `image ${show(image)} ends in a Terraform expression, so a tag or @sha256: digest cannot be confirmed`;
  }
  // A digest pins the image whatever tag is written beside it.
  if (DIGEST.test(after)) return undefined;
  if (after.includes('@')) return `image ${show(image)} has a malformed digest (expected @sha256:<64 hex digits>)`;
  // The tag follows the last `:` after the last `/` (a registry port such as `host:5000/` is not a tag).
  const lastSlash = after.lastIndexOf('/');
  const colon = after.indexOf(':', lastSlash + 1);
  if (colon < 0) return `image ${show(image)} has no tag or @sha256: digest, so it pulls :latest`;
  const tag = after.slice(colon + 1);
  if (tag.toLowerCase() === 'latest') return `image ${show(image)} uses the mutable :latest tag`;
  if (!TAG.test(tag)) return `image ${show(image)} has an invalid tag ${show(tag)}`;
  return undefined;
}

export const k8sPinnedImages: PolicyRule = {
  id: 'GAI-K8S-006',
  severity: 'error',
  title: 'Kubernetes container images are pinned to a tag (not latest) or a sha256 digest',
  rationale:
    'An image without a tag pulls :latest, and :latest moves: nodes then run different code for the same pod spec, a restart can pick up an untested build, and a rollback does not roll back. A fixed tag (from an immutable ECR repository) or a digest makes the running code what was reviewed.',
  fix: 'Reference images as <repository>:<version tag> or <repository>@sha256:<digest> on every container and init container (gaiops runtimes are pushed to immutable ECR repositories under a content-hash tag); never :latest.',
  appliesTo: WORKLOAD_TYPES,
  check: (workload) =>
    eachContainer(workload, ({ config }) => {
      const problem = imagePinProblem(config.image);
      return problem ? [problem] : [];
    }),
};

export const k8sDropAllCapabilities: PolicyRule = {
  id: 'GAI-K8S-007',
  severity: 'warning',
  title: 'Kubernetes containers drop all Linux capabilities',
  rationale:
    'Container runtimes grant a default set of capabilities (NET_RAW, CHOWN, SETUID, …) that most workloads never use and that widen what an intrusion can do (ARP spoofing with NET_RAW, for one); dropping ALL and adding back only what is needed keeps the kernel surface minimal.',
  fix: 'Set security_context { capabilities { drop = ["ALL"] } } on every container and init container, adding back only named capabilities a process needs (InferenceService drops ALL).',
  appliesTo: WORKLOAD_TYPES,
  check: (workload) =>
    eachContainer(workload, ({ config }) => {
      const drop = firstBlock(firstBlock(config.security_context)?.capabilities)?.drop;
      if (Array.isArray(drop) && drop.includes('ALL')) return [];
      if (isExpression(drop)) return [`security_context.capabilities.drop is the expression ${show(drop)}, so dropping "ALL" cannot be confirmed`];
      const listed = Array.isArray(drop) ? drop.filter((d): d is string => typeof d === 'string') : [];
      return [
        listed.length > 0
          ? `security_context.capabilities.drop is [${quoteAll(listed)}] and does not include "ALL"`
          : 'security_context.capabilities.drop does not include "ALL", so the runtime\'s default capabilities are kept',
      ];
    }),
};

/** The Kubernetes workload rules of the policy pack. */
export const KUBERNETES_RULES: readonly PolicyRule[] = [
  k8sRunAsNonRoot,
  k8sNoPrivilegeEscalation,
  k8sReadOnlyRootFilesystem,
  k8sResourceRequestsAndLimits,
  k8sProbes,
  k8sPinnedImages,
  k8sDropAllCapabilities,
];
