import { LimitRangeV1 } from '@cdktf/provider-kubernetes/lib/limit-range-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1, type NetworkPolicyV1Spec } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ResourceQuotaV1 } from '@cdktf/provider-kubernetes/lib/resource-quota-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { Construct } from 'constructs';
import { DEFAULT_DENY_SPEC, DNS_EGRESS_SPEC } from '../core/k8s/network-policy';
import { POD_IDENTITY_AGENT } from '../core/k8s/pod-identity-agent';
import { GaiError } from '../core/errors';
import type { Grant } from '../core/iam/grant';
import type { FeatureStore } from '../feature-store/feature-store';
import type { ModelRegistry } from '../model-registry/model-registry';
import { podIdentityAssociation, podIdentityRole } from '../core/iam/pod-identity-role';
import type { Role } from '../core/iam/role';
import type { ClusterReference } from './cluster';
import { parseTrainingTeamsProps, type TeamConfig, type TrainingTeamsProps } from './teams-schema';

/** The label carrying the team name on every object of a team. */
export const TEAM_LABEL = 'gaiops.io/team';

/** The GPU resource the NVIDIA device plugin advertises. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

export { POD_IDENTITY_AGENT } from '../core/k8s/pod-identity-agent';

export { POD_IDENTITY_SESSION_TAGS } from '../core/iam/pod-identity-role';

/** Names of the NetworkPolicies in every team namespace. */
export const TEAM_NETWORK_POLICIES = {
  defaultDeny: 'default-deny',
  dns: 'allow-dns',
  https: 'allow-https-egress',
  podIdentityAgent: 'allow-pod-identity-agent',
  sameNamespace: 'allow-same-namespace',
} as const;

/** One team as built: its namespace, service account and IAM role, plus what was granted. */
export interface TrainingTeam {
  readonly name: string;
  /** The namespace name (a reference to the namespace resource, so users depend on it). */
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** The role pods of the service account get through EKS Pod Identity. */
  readonly roleArn: string;
  readonly role: Role;
  /** What the FeatureStore and ModelRegistry granted the role. */
  readonly grants: readonly Grant[];
  /** The FeatureStore groups whose datasets the team may read. */
  readonly datasetGroups: readonly string[];
}

/**
 * Team namespaces on the GPU training cluster, built in a stack after the cluster's: per team a
 * namespace (Pod Security Standards labels), a ResourceQuota with a required GPU quota, a
 * LimitRange with container defaults, default-deny NetworkPolicies with DNS, HTTPS, Pod Identity
 * agent and (optionally) same-namespace exceptions, a `trainer` service account without a mounted
 * token, and an IAM role bound to it through EKS Pod Identity — trusted only for this cluster,
 * namespace and service account — with FeatureStore dataset read and ModelRegistry register grants.
 */
export class TrainingTeams extends Construct {
  readonly teams: readonly TrainingTeam[];
  readonly cluster: ClusterReference;

  constructor(scope: Construct, id: string, props: TrainingTeamsProps) {
    super(scope, id);
    const p = parseTrainingTeamsProps(this, props);
    this.cluster = p.cluster;
    this.teams = p.teams.map((team) =>
      new TeamResources(this, team.name, {
        team,
        cluster: p.cluster,
        serviceAccountName: p.serviceAccountName,
        httpsEgressCidrs: p.httpsEgressCidrs,
        provider: p.kubernetesProvider,
        featureStore: p.featureStore,
        modelRegistry: p.modelRegistry,
      }).team,
    );
  }

  /** The team of that name (throws when there is none). */
  team(name: string): TrainingTeam {
    const t = this.teams.find((x) => x.name === name);
    if (!t) throw new GaiError('gaiops:training-teams:unknown-team', `${this.node.path}: no team ${name} (teams: ${this.teams.map((x) => x.name).join(', ')})`);
    return t;
  }
}

interface TeamResourcesProps {
  readonly team: TeamConfig;
  readonly cluster: ClusterReference;
  readonly serviceAccountName: string;
  readonly httpsEgressCidrs: readonly string[];
  readonly provider?: KubernetesProvider;
  readonly featureStore?: FeatureStore;
  readonly modelRegistry?: ModelRegistry;
}

/** The resources of one team (construct id = the team name). */
class TeamResources extends Construct {
  readonly team: TrainingTeam;

  constructor(scope: Construct, id: string, props: TeamResourcesProps) {
    super(scope, id);
    const { team: t, provider } = props;
    const labels = { [TEAM_LABEL]: t.name, 'app.kubernetes.io/managed-by': 'gaiops' };

    const namespace = new NamespaceV1(this, 'Namespace', {
      provider,
      metadata: {
        name: t.name,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': t.podSecurity,
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': 'latest',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/audit-version': 'latest',
        },
      },
    });
    const ns = namespace.metadata.name;
    const meta = (name: string) => ({ name, namespace: ns, labels });

    new ResourceQuotaV1(this, 'ResourceQuota', {
      provider,
      metadata: meta('team-quota'),
      spec: {
        hard: {
          [`requests.${GPU_RESOURCE}`]: String(t.gpuQuota),
          [`limits.${GPU_RESOURCE}`]: String(t.gpuQuota),
          'requests.cpu': t.cpuQuota,
          'limits.cpu': t.cpuQuota,
          'requests.memory': t.memoryQuota,
          'limits.memory': t.memoryQuota,
          pods: String(t.podQuota),
        },
      },
    });

    new LimitRangeV1(this, 'LimitRange', {
      provider,
      metadata: meta('container-defaults'),
      spec: {
        limit: [
          {
            type: 'Container',
            defaultRequest: { cpu: t.containerDefaults.cpuRequest, memory: t.containerDefaults.memoryRequest },
            default: { cpu: t.containerDefaults.cpuLimit, memory: t.containerDefaults.memoryLimit },
          },
        ],
      },
    });

    const policy = (policyId: string, name: string, spec: NetworkPolicyV1Spec) => new NetworkPolicyV1(this, policyId, { provider, metadata: meta(name), spec });
    policy('DefaultDeny', TEAM_NETWORK_POLICIES.defaultDeny, DEFAULT_DENY_SPEC);
    policy('AllowDns', TEAM_NETWORK_POLICIES.dns, DNS_EGRESS_SPEC);
    policy('AllowHttpsEgress', TEAM_NETWORK_POLICIES.https, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: props.httpsEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: '443', protocol: 'TCP' }] }],
    });
    policy('AllowPodIdentityAgent', TEAM_NETWORK_POLICIES.podIdentityAgent, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ port: POD_IDENTITY_AGENT.port, protocol: 'TCP' }] }],
    });
    if (t.allowIntraNamespace) {
      policy('AllowSameNamespace', TEAM_NETWORK_POLICIES.sameNamespace, {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      });
    }

    const serviceAccount = new ServiceAccountV1(this, 'ServiceAccount', {
      provider,
      metadata: meta(props.serviceAccountName),
      automountServiceAccountToken: false,
    });

    // IAM: a role only EKS Pod Identity may assume, and only for this cluster, namespace and service account.
    const role = podIdentityRole(this, 'Role', {
      clusterName: props.cluster.clusterName,
      namespace: t.name,
      serviceAccount: props.serviceAccountName,
      description: `Training team ${t.name}: ${t.name}/${props.serviceAccountName} through EKS Pod Identity`,
    });

    const grants: Grant[] = [];
    const store = props.featureStore;
    const datasetGroups = store ? (t.datasetGroups ?? store.groups.filter((g) => g.offline).map((g) => g.name)) : [];
    if (store) for (const group of datasetGroups) grants.push(store.grantDatasetRead(role, group));
    if (props.modelRegistry) grants.push(props.modelRegistry.grantRegister(role));

    podIdentityAssociation(this, 'PodIdentity', {
      clusterName: props.cluster.clusterName,
      namespace: t.name,
      serviceAccount: props.serviceAccountName,
      role,
    });

    this.team = {
      name: t.name,
      namespace: ns,
      serviceAccountName: serviceAccount.metadata.name,
      roleArn: role.roleArn,
      role,
      grants,
      datasetGroups,
    };
  }
}
