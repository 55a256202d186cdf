import { beforeAll, describe, expect, it } from 'vitest';
import { CORE_RULES, evaluatePolicies } from '../../src';
import { ContainerImage } from '../../src/core/container-image';
import { GaiConfigError } from '../../src/core/errors';
import { Grant } from '../../src/core/iam/grant';
import { HttpWorkload, type HttpWorkloadProps, RESTRICTED_CONTAINER, WORKLOAD_NETWORK_POLICIES } from '../../src/core/k8s/http-workload';
import { KUBERNETES_RULES } from '../../src/core/policy/rules/kubernetes';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { POD_IDENTITY_AGENT } from '../../src/gpu-training-cluster/teams';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { podIdentityTrustStatement } from '../support/pod-identity';
import { byPath, platformStack, policy, resources, synth, type TfJson } from '../support/synth';

const IMAGE = ContainerImage.fromUri('111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-service:sha256-0123456789abcdef');

function build(overrides: Partial<HttpWorkloadProps> = {}) {
  const stack = platformStack();
  const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
  const workload = new HttpWorkload(stack, 'Service', {
    name: 'echo',
    component: 'echo-server',
    namespace: 'echo',
    cluster: TEST_CLUSTER,
    image: IMAGE,
    env: { ZED: 'last', ALPHA: 'first' },
    clients: [{ namespace: 'chat' }, { namespaceLabels: { 'gaiops.io/team': 'vision' }, podLabels: { app: 'trainer' } }],
    kubernetesProvider: kubernetes,
    ...overrides,
  });
  return { stack, workload };
}

function problems(overrides: Record<string, unknown>): string[] {
  try {
    build(overrides as Partial<HttpWorkloadProps>);
  } catch (error) {
    if (error instanceof GaiConfigError) return error.problems.map((p) => `${p.fieldPath}: ${p.message}`);
    throw error;
  }
  throw new Error('expected a GaiConfigError');
}

describe('HttpWorkload defaults', () => {
  let json: TfJson;
  let workload: HttpWorkload;

  beforeAll(() => {
    const built = build();
    workload = built.workload;
    Grant.addTo(workload.role, [{ actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:eu-west-1:111122223333:table/t'] }]);
    json = synth(built.stack); // runs the policy pack: errors fail synth
  });

  it('creates a restricted namespace with default-deny and DNS policies', () => {
    const ns = byPath(json, 'kubernetes_namespace_v1', 'Service/Namespace');
    expect(ns.metadata.name).toBe('echo');
    for (const mode of ['enforce', 'warn', 'audit']) expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
    const inNs = resources(json, 'kubernetes_network_policy_v1').filter(([, c]) => c.metadata.namespace.includes('kubernetes_namespace_v1'));
    expect(inNs.map(([, c]) => c.metadata.name).sort()).toEqual(['allow-dns', 'default-deny', 'echo-egress', 'echo-ingress']);
  });

  it('runs one non-root, read-only container with a writable /tmp, requests, limits and probes', () => {
    const d = byPath(json, 'kubernetes_deployment_v1', 'Service/Deployment');
    expect(d.spec.replicas).toBeUndefined(); // the HPA owns it
    expect(d.spec.selector.match_labels).toEqual({ 'app.kubernetes.io/name': 'echo', 'app.kubernetes.io/component': 'echo-server' });
    const pod = d.spec.template.spec;
    expect(pod.automount_service_account_token).toBe(false);
    expect(pod.security_context).toMatchObject({ run_as_non_root: true, run_as_user: '65532', fs_group: '65532', seccomp_profile: { type: 'RuntimeDefault' } });
    expect(pod.topology_spread_constraint.map((t: any) => t.topology_key)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    const [c] = pod.container;
    expect(c.image).toBe(IMAGE.imageUri);
    expect(c.security_context).toMatchObject({
      allow_privilege_escalation: RESTRICTED_CONTAINER.allowPrivilegeEscalation,
      read_only_root_filesystem: true,
      run_as_non_root: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    expect(c.startup_probe.http_get.path).toBe('/healthz');
    expect(c.liveness_probe.http_get.path).toBe('/healthz');
    expect(c.readiness_probe.http_get).toEqual({ path: '/readyz', port: '8080', scheme: 'HTTP' });
    expect(c.env).toEqual([
      { name: 'ALPHA', value: 'first' },
      { name: 'ZED', value: 'last' },
      { name: 'PORT', value: '8080' },
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'HOME', value: '/tmp' },
    ]);
    expect(c.volume_mount).toEqual([{ name: 'tmp', mount_path: '/tmp' }]);
    expect(pod.volume).toEqual([{ name: 'tmp', empty_dir: { size_limit: '256Mi' } }]);
    expect(d.depends_on).toEqual([expect.stringContaining('aws_eks_pod_identity_association.')]);
  });

  it('binds the service account to its own role through EKS Pod Identity', () => {
    const sa = byPath(json, 'kubernetes_service_account_v1', 'Service/ServiceAccount');
    expect(sa.automount_service_account_token).toBe(false);
    const role = byPath(json, 'aws_iam_role', 'Service/Role/Resource');
    expect(policy(role.assume_role_policy).Statement).toEqual([podIdentityTrustStatement(TEST_CLUSTER.clusterName, 'echo', 'echo')]);
    const association = byPath(json, 'aws_eks_pod_identity_association', 'Service/PodIdentity');
    expect(association).toMatchObject({ cluster_name: TEST_CLUSTER.clusterName, disable_session_tags: false });
    expect(association.service_account).toMatch(/^\$\{kubernetes_service_account_v1\.Service_ServiceAccount_[A-F0-9]+\.metadata\[0\]\.name\}$/);
  });

  it('exposes a ClusterIP Service, a CPU HPA (2-6, 70 %) and a PodDisruptionBudget', () => {
    expect(byPath(json, 'kubernetes_service_v1', 'Service/Service').spec).toMatchObject({ type: 'ClusterIP', port: [{ name: 'http', port: 8080, target_port: 'http' }] });
    const hpa = byPath(json, 'kubernetes_horizontal_pod_autoscaler_v2', 'Service/Autoscaler').spec;
    expect(hpa).toMatchObject({ min_replicas: 2, max_replicas: 6, metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', average_utilization: 70 } } }] });
    expect(byPath(json, 'kubernetes_pod_disruption_budget_v1', 'Service/Pdb').spec.max_unavailable).toBe('1');
    expect(workload.serviceUrl).toBe('http://echo.echo.svc:8080');
  });

  it('admits only the named clients, and lets the pods reach DNS, HTTPS and the Pod Identity agent', () => {
    const ingress = byPath(json, 'kubernetes_network_policy_v1', 'Service/Ingress').spec;
    expect(ingress.policy_types).toEqual(['Ingress']);
    expect(ingress.ingress).toEqual([
      {
        from: [
          { namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'chat' } } },
          { namespace_selector: { match_labels: { 'gaiops.io/team': 'vision' } }, pod_selector: { match_labels: { app: 'trainer' } } },
        ],
        ports: [{ port: '8080', protocol: 'TCP' }],
      },
    ]);
    const egress = byPath(json, 'kubernetes_network_policy_v1', 'Service/Egress').spec;
    expect(egress.policy_types).toEqual(['Egress']);
    expect(egress.egress.map((e: any) => e.ports.map((p: any) => `${p.protocol}/${p.port}`).join(','))).toEqual(['UDP/53,TCP/53', 'TCP/443', `TCP/${POD_IDENTITY_AGENT.port}`]);
    expect(egress.egress[2].to).toEqual([{ ip_block: { cidr: POD_IDENTITY_AGENT.cidr } }]);
  });

  it('opens egress to exactly this service in each client namespace given by name', () => {
    const p = byPath(json, 'kubernetes_network_policy_v1', 'Service/ClientEgress-chat');
    expect(p.metadata).toMatchObject({ namespace: 'chat', name: WORKLOAD_NETWORK_POLICIES.clientEgress('echo', 'echo') });
    expect(p.spec).toEqual({
      pod_selector: {},
      policy_types: ['Egress'],
      egress: [
        {
          to: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'echo' } }, pod_selector: { match_labels: { 'app.kubernetes.io/name': 'echo', 'app.kubernetes.io/component': 'echo-server' } } }],
          ports: [{ port: '8080', protocol: 'TCP' }],
        },
      ],
    });
  });

  it('passes every rule of the policy pack, the Kubernetes workload rules included (warnings too)', () => {
    expect(evaluatePolicies(json as never, CORE_RULES).filter((f) => f.suppressedBecause === undefined)).toEqual([]);
    const k8s = evaluatePolicies(json as never, KUBERNETES_RULES);
    expect(k8s).toEqual([]);
  });
});

describe('HttpWorkload options', () => {
  it('in an existing namespace adds only its own policies, selecting its pods', () => {
    const { stack } = build({ createNamespace: false, clientEgressPolicies: false });
    const json = synth(stack);
    expect(resources(json, 'kubernetes_namespace_v1')).toEqual([]);
    const names = resources(json, 'kubernetes_network_policy_v1').map(([, c]) => `${c.metadata.namespace}/${c.metadata.name}`);
    expect(names.sort()).toEqual(['echo/echo-egress', 'echo/echo-ingress']);
  });

  it('takes resources, replicas, port, probe paths, UID and egress CIDRs from the props', () => {
    const { stack, workload } = build({
      port: 9090,
      readinessPath: '/healthz',
      resources: { cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '128Mi', memoryLimit: '128Mi' },
      replicas: { min: 1, max: 3 },
      targetCpuUtilization: 50,
      runAsUser: 4242,
      httpsEgressCidrs: ['10.0.0.0/8'],
    });
    const json = synth(stack);
    const c = byPath(json, 'kubernetes_deployment_v1', 'Service/Deployment').spec.template.spec.container[0];
    expect(c.port).toEqual([{ name: 'http', container_port: 9090, protocol: 'TCP' }]);
    expect(c.readiness_probe.http_get.path).toBe('/healthz');
    expect(c.security_context.run_as_user).toBe('4242');
    expect(c.resources.limits).toEqual({ cpu: '500m', memory: '128Mi' });
    expect(byPath(json, 'kubernetes_horizontal_pod_autoscaler_v2', 'Service/Autoscaler').spec).toMatchObject({ min_replicas: 1, max_replicas: 3 });
    expect(byPath(json, 'kubernetes_network_policy_v1', 'Service/Egress').spec.egress[1].to).toEqual([{ ip_block: { cidr: '10.0.0.0/8' } }]);
    expect(workload.serviceUrl).toBe('http://echo.echo.svc:9090');
  });

  it('runs a ContainerImage published from a gaiops runtime (repository URL and content-hash tag)', () => {
    const stack = platformStack();
    const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
    const image = new ContainerImage(stack, 'Image', { runtime: 'feature-store-serving' });
    new HttpWorkload(stack, 'Service', { name: 'echo', component: 'echo-server', namespace: 'echo', cluster: TEST_CLUSTER, image, clients: [{ namespace: 'chat' }], kubernetesProvider: kubernetes });
    const json = synth(stack);
    const c = byPath(json, 'kubernetes_deployment_v1', 'Service/Deployment').spec.template.spec.container[0];
    expect(c.image).toMatch(new RegExp(`^\\$\\{aws_ecr_repository\\.Image_[A-F0-9]+\\.repository_url\\}:${image.tag}$`));
    expect(image.tag).toMatch(/^sha256-[0-9a-f]+$/);
  });

  it('one client-egress policy per pod selector when every entry of a namespace names pods', () => {
    const { stack } = build({ clients: [{ namespace: 'chat', podLabels: { app: 'a' } }, { namespace: 'chat', podLabels: { app: 'b' } }] });
    const json = synth(stack);
    expect(byPath(json, 'kubernetes_network_policy_v1', 'ClientEgress-chat-1').spec.pod_selector).toEqual({ match_labels: { app: 'a' } });
    expect(byPath(json, 'kubernetes_network_policy_v1', 'ClientEgress-chat-2').spec.pod_selector).toEqual({ match_labels: { app: 'b' } });
  });

  it('refuses bad props, naming every field', () => {
    expect(
      problems({
        name: 'Echo',
        clients: [{ podLabels: { app: 'x' } }],
        env: { PORT: '1', 'bad-name': 'x' },
        resources: { cpuRequest: '2', cpuLimit: '1' },
        replicas: { min: 5, max: 2 },
        httpsEgressCidrs: ['0.0.0.0'],
      }),
    ).toEqual([
      'name: must be a lowercase name of at most 40 characters: a letter, then letters, digits or -',
      'env.bad-name: Invalid key in record',
      'resources.cpuRequest: must not exceed cpuLimit (1)',
      'clients[0]: must name a namespace or namespaceLabels: a client from any namespace is not allowed',
      'httpsEgressCidrs[0]: must be an IPv4 CIDR such as 10.0.0.0/16',
      'env.PORT: is set by the workload',
      'replicas.min: must not exceed replicas.max (2)',
    ]);
    expect(problems({ clients: [] })).toEqual(['clients: must name at least one client']);
    expect(problems({ image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/x:v1' })).toEqual(['image: must be a ContainerImage or ContainerImage.fromUri(…)']);
    expect(problems({ image: { imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/x:latest' } })).toEqual([
      'image: image "111122223333.dkr.ecr.eu-west-1.amazonaws.com/x:latest" uses the mutable :latest tag',
    ]);
  });
});
