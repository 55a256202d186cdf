import { describe, expect, it } from 'vitest';
import { namespacedGroupRole, rbacRules } from '../../src/core/k8s/rbac';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { platformStack, resources, synth } from '../support/synth';

describe('namespacedGroupRole', () => {
  it('creates a Role with exactly the rules and a RoleBinding of the same name to the groups', () => {
    const stack = platformStack();
    const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
    const { role, binding } = namespacedGroupRole(stack, {
      ids: { role: 'Reader', binding: 'ReaderBinding' },
      name: 'gaiops:reader',
      namespace: 'team-a',
      labels: { 'app.kubernetes.io/managed-by': 'gaiops' },
      rules: [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] },
      ],
      groups: ['readers', 'auditors'],
      provider: kubernetes,
    });
    expect(role.node.id).toBe('Reader');
    expect(binding.node.id).toBe('ReaderBinding');
    const json = synth(stack);
    const [[, r]] = resources(json, 'kubernetes_role_v1');
    const [[, b]] = resources(json, 'kubernetes_role_binding_v1');
    expect(r.metadata).toEqual({ name: 'gaiops:reader', namespace: 'team-a', labels: { 'app.kubernetes.io/managed-by': 'gaiops' } });
    expect(r.rule).toEqual([
      { api_groups: ['batch'], resources: ['jobs'], verbs: ['get', 'list'] },
      { api_groups: [''], resources: ['configmaps'], resource_names: ['settings'], verbs: ['get'] },
    ]);
    expect(b.metadata).toEqual(r.metadata);
    expect(r.provider).toBe(b.provider);
    expect(r.provider).toBe('kubernetes');
    expect(b.role_ref).toEqual({ api_group: 'rbac.authorization.k8s.io', kind: 'Role', name: '${kubernetes_role_v1.Reader.metadata[0].name}' });
    expect(b.subject).toEqual([
      { api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: 'readers' },
      { api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: 'auditors' },
    ]);
  });

  it('copies rules so a caller cannot change them afterwards', () => {
    const verbs = ['get'];
    const [rule] = rbacRules([{ apiGroups: [''], resources: ['pods'], verbs }]);
    verbs.push('delete');
    expect(rule).toEqual({ apiGroups: [''], resources: ['pods'], verbs: ['get'] });
    expect('resourceNames' in rule).toBe(false);
  });
});
