import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import type { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { Construct } from 'constructs';
import { z } from 'zod';
import { namespacedGroupRole, rbacRules, type RbacRule } from '../core/k8s/rbac';
import { instanceOf, parseProps } from '../core/props';
import { TrainingTeams } from '../gpu-training-cluster/teams';
import { TeamAccess } from './team-access';
import { personaGroup, type Persona } from './team-access-schema';

export type { RbacRule } from '../core/k8s/rbac';

/** The label on every TeamRbac object. */
export const TEAM_RBAC_LABELS = { 'app.kubernetes.io/managed-by': 'gaiops', 'app.kubernetes.io/part-of': 'gaiops-team-access' } as const;

/**
 * Role `gaiops:training-jobs` in each team namespace, bound to the data-scientist and ml-engineer
 * groups of that namespace: batch Jobs and Kubeflow TrainJobs (which the EKS View policy does not
 * allow to create, and the Edit policy does not cover for the TrainJob CRD). No Secrets, no exec.
 */
export const TRAINING_JOB_RULES: readonly RbacRule[] = [
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'] },
  { apiGroups: ['trainer.kubeflow.org'], resources: ['trainjobs'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'] },
  { apiGroups: ['trainer.kubeflow.org'], resources: ['trainingruntimes'], verbs: ['get', 'list', 'watch'] },
];

/**
 * ClusterRole `gaiops:mlops-engineer`: what operating the GPU capacity needs beyond namespace
 * admin and cluster view — reading and cordoning nodes, reading Karpenter's NodePools, NodeClaims
 * and EC2NodeClasses (cluster-scoped; changing them is Terraform's job).
 */
export const MLOPS_CLUSTER_RULES: readonly RbacRule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch', 'watch'] },
  { apiGroups: ['karpenter.sh'], resources: ['nodeclaims', 'nodepools'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['karpenter.k8s.aws'], resources: ['ec2nodeclasses'], verbs: ['get', 'list', 'watch'] },
];

/**
 * ClusterRole `gaiops:auditor`: reads the EKS View policy leaves out and an audit needs — who may
 * do what (RBAC objects) and the nodes. Still no Secrets.
 */
export const AUDITOR_CLUSTER_RULES: readonly RbacRule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles'],
    verbs: ['get', 'list', 'watch'],
  },
];

/** The names of the TeamRbac roles. */
export const TEAM_RBAC_ROLES = {
  trainingJobs: 'gaiops:training-jobs',
  mlopsEngineer: 'gaiops:mlops-engineer',
  auditor: 'gaiops:auditor',
} as const;

export const TeamRbacPropsSchema = z.strictObject({
  access: instanceOf(TeamAccess, 'TeamAccess').describe('The TeamAccess whose persona groups are bound (its enabled personas and team namespaces).'),
  kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider')
    .optional()
    .describe("Kubernetes provider that creates the objects, e.g. `ClusterProviders.configure(…).kubernetes`. Default the stack's default `kubernetes` provider."),
});
export type TeamRbacProps = z.input<typeof TeamRbacPropsSchema>;

/**
 * The Kubernetes side of TeamAccess, in the workloads stack (after the team namespaces exist):
 * typed Roles, ClusterRoles and bindings for the persona groups where the EKS access policies do
 * not fit. It reads only literal configuration from TeamAccess (group names, namespaces) — no
 * reference to TeamAccess's stack — and, when TeamAccess was given the TrainingTeams, names each
 * team namespace through its namespace resource so the Roles are created after it.
 */
export class TeamRbac extends Construct {
  readonly roles: readonly RoleV1[];
  readonly roleBindings: readonly RoleBindingV1[];
  readonly clusterRoles: readonly ClusterRoleV1[];
  readonly clusterRoleBindings: readonly ClusterRoleBindingV1[];

  constructor(scope: Construct, id: string, props: TeamRbacProps) {
    super(scope, id);
    const p = parseProps(this, TeamRbacPropsSchema, props);
    const provider = p.kubernetesProvider;
    const access = p.access;
    const roles: RoleV1[] = [];
    const roleBindings: RoleBindingV1[] = [];
    const clusterRoles: ClusterRoleV1[] = [];
    const clusterRoleBindings: ClusterRoleBindingV1[] = [];

    // Training jobs: per team namespace, bound to the team personas working in it.
    const teamPersonas: Persona[] = ['data-scientist', 'ml-engineer'];
    const namespaces = [...new Set(teamPersonas.flatMap((persona) => access.personas[persona]?.teamNamespaces ?? []))].sort();
    // The namespace as a reference to the TrainingTeams namespace when there is one, so the Role waits for it.
    const teams = access.config.teams instanceof TrainingTeams ? access.config.teams.teams : [];
    for (const ns of namespaces) {
      const namespace = teams.find((t) => t.name === ns)?.namespace ?? ns;
      const groups = teamPersonas.filter((persona) => access.personas[persona]?.teamNamespaces.includes(ns)).map(personaGroup);
      const { role, binding } = namespacedGroupRole(this, {
        ids: { role: `${ns}-training-jobs`, binding: `${ns}-training-jobs-binding` },
        name: TEAM_RBAC_ROLES.trainingJobs,
        namespace,
        labels: TEAM_RBAC_LABELS,
        rules: TRAINING_JOB_RULES,
        groups,
        provider,
      });
      roles.push(role);
      roleBindings.push(binding);
    }

    const clusterWide: { persona: Persona; name: string; rules: readonly RbacRule[] }[] = [
      { persona: 'mlops-engineer', name: TEAM_RBAC_ROLES.mlopsEngineer, rules: MLOPS_CLUSTER_RULES },
      { persona: 'auditor', name: TEAM_RBAC_ROLES.auditor, rules: AUDITOR_CLUSTER_RULES },
    ];
    for (const { persona, name, rules } of clusterWide) {
      if (!access.personas[persona]) continue;
      const role = new ClusterRoleV1(this, persona, { provider, metadata: { name, labels: { ...TEAM_RBAC_LABELS } }, rule: rbacRules(rules) });
      clusterRoles.push(role);
      clusterRoleBindings.push(
        new ClusterRoleBindingV1(this, `${persona}-binding`, {
          provider,
          metadata: { name, labels: { ...TEAM_RBAC_LABELS } },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
          subject: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: personaGroup(persona) }],
        }),
      );
    }
    this.roles = roles;
    this.roleBindings = roleBindings;
    this.clusterRoles = clusterRoles;
    this.clusterRoleBindings = clusterRoleBindings;
  }
}
