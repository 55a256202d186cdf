/**
 * Namespaced RBAC for a Kubernetes group: one Role with exact rules and one RoleBinding of it to
 * the group(s) — the shape of every gaiops grant inside a namespace (team personas, the rollout
 * controller, the training-job API).
 */
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import type { Construct } from 'constructs';

/** One RBAC rule: exact API groups, resources and verbs (never `*`), optionally narrowed to named objects. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  /** Only these objects (`resourceNames`). Default every object of the resources. */
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** What {@link namespacedGroupRole} creates. */
export interface NamespacedGroupRoleProps {
  /** Construct ids of the Role and the RoleBinding (part of the Terraform addresses: keep them stable). */
  readonly ids: { readonly role: string; readonly binding: string };
  /** Name of the Role and of the RoleBinding. */
  readonly name: string;
  /** The namespace (a name, or a reference to a namespace resource so the Role waits for it). */
  readonly namespace: string;
  /** Labels of both objects. */
  readonly labels: Readonly<Record<string, string>>;
  readonly rules: readonly RbacRule[];
  /** The Kubernetes groups bound (e.g. an EKS access entry's group). */
  readonly groups: readonly string[];
  /** Default the stack's default `kubernetes` provider. */
  readonly provider?: KubernetesProvider;
}

/** The Role and its RoleBinding. */
export interface NamespacedGroupRole {
  readonly role: RoleV1;
  readonly binding: RoleBindingV1;
}

/** The rules as the provider takes them (fresh arrays; `resourceNames` only where set). */
export function rbacRules(rules: readonly RbacRule[]): { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[] {
  return rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    ...(r.resourceNames !== undefined ? { resourceNames: [...r.resourceNames] } : {}),
    verbs: [...r.verbs],
  }));
}

/** A Role in `namespace` with exactly `rules`, bound by a RoleBinding of the same name to `groups`. */
export function namespacedGroupRole(scope: Construct, props: NamespacedGroupRoleProps): NamespacedGroupRole {
  const metadata = { name: props.name, namespace: props.namespace, labels: { ...props.labels } };
  const role = new RoleV1(scope, props.ids.role, { provider: props.provider, metadata, rule: rbacRules(props.rules) });
  const binding = new RoleBindingV1(scope, props.ids.binding, {
    provider: props.provider,
    metadata: { ...metadata, labels: { ...props.labels } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
    subject: props.groups.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
  });
  return { role, binding };
}
