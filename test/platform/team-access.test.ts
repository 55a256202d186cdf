import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, PlatformStack } from '../../src';
import { GaiConfigError } from '../../src/core/errors';
import { activeFindings, evaluatePolicies } from '../../src/core/policy/engine';
import { CORE_RULES } from '../../src/core/policy/rules';
import type { FeatureGroupInput } from '../../src/feature-store/feature-group';
import { FeatureStore } from '../../src/feature-store/feature-store';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { GpuTrainingCluster } from '../../src/gpu-training-cluster/cluster';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import { TrainingTeams } from '../../src/gpu-training-cluster/teams';
import { ModelRegistry, REGISTRY_ROUTES, type RegistryRouteKind } from '../../src/model-registry/model-registry';
import { PlatformAlarms } from '../../src/monitoring-stack/platform-alarms';
import { TeamAccess } from '../../src/platform/team-access';
import {
  DataScientistSchema,
  DEFAULT_ADDON_NAMESPACES,
  MlEngineerSchema,
  PERSONAS,
  PlainPersonaSchema,
  TeamAccessPropsSchema,
  type Persona,
  type TeamAccessProps,
} from '../../src/platform/team-access-schema';
import { AUDITOR_CLUSTER_RULES, MLOPS_CLUSTER_RULES, TeamRbac, TeamRbacPropsSchema, TRAINING_JOB_RULES } from '../../src/platform/team-rbac';
import { propsTable } from '../../scripts/props-docs';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { platformStack, policy, resources, synth, SETTINGS, type TfJson } from '../support/synth';

const GROUPS: FeatureGroupInput[] = [
  { name: 'customers', entityKeys: [{ name: 'customer_id' }], eventTimeColumn: 'ts', features: [{ name: 'age', type: 'int', min: 0 }] },
  { name: 'purchases', entityKeys: [{ name: 'customer_id' }], eventTimeColumn: 'ts', features: [{ name: 'amount', type: 'float' }], online: false },
  { name: 'sessions', entityKeys: [{ name: 'session_id' }], eventTimeColumn: 'ts', features: [{ name: 'clicks', type: 'int' }], offline: false },
];
const TEAMS = ['research', 'platform'];
const ACCOUNT = '111122223333';
const PRINCIPALS: Record<Persona, string[]> = {
  'data-scientist': [`arn:aws:iam::${ACCOUNT}:role/DataScientists`, `arn:aws:iam::${ACCOUNT}:user/alice`],
  'ml-engineer': [`arn:aws:iam::${ACCOUNT}:role/MlEngineers`],
  'mlops-engineer': [`arn:aws:iam::${ACCOUNT}:role/MlopsEngineers`],
  'domain-expert': [`arn:aws:iam::${ACCOUNT}:role/DomainExperts`],
  auditor: [`arn:aws:iam::${ACCOUNT}:role/Auditors`],
};
const personasWith = (extra: Partial<Record<Persona, object>> = {}) =>
  Object.fromEntries(PERSONAS.map((p) => [p, { trustedPrincipalArns: PRINCIPALS[p], ...(extra[p] ?? {}) }]));

type Stacks = 'data' | 'cluster' | 'observability' | 'access' | 'workloads';
interface Built {
  access: TeamAccess;
  registry: ModelRegistry;
  json: Record<Stacks, TfJson>;
  manifest: { stacks: Record<string, { dependencies: string[] }> };
}

/**
 * The layered app: data (FeatureStore, ModelRegistry) → cluster (EKS) → observability (alarms) →
 * access (TeamAccess) and workloads (TrainingTeams, TeamRbac). `app.synth()` resolves the
 * cross-stack references and runs every validation, the policy pack among them.
 */
function build(): Built {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
  const dataStack = new PlatformStack(app, 'data', { settings: SETTINGS });
  const features = new FeatureStore(dataStack, 'Features', { featureGroups: GROUPS });
  const registry = new ModelRegistry(dataStack, 'Registry');
  const clusterStack = new PlatformStack(app, 'cluster', { settings: SETTINGS });
  const network = new ClusterNetwork(clusterStack, 'Network', { clusterName: 'gai-test-training' });
  const training = new GpuTrainingCluster(clusterStack, 'Training', {
    network,
    clusterName: 'gai-test-training',
    adminRoleArns: [`arn:aws:iam::${ACCOUNT}:role/PlatformAdmin`],
  });
  const cluster = training.reference();
  const observability = new PlatformStack(app, 'observability', { settings: SETTINGS });
  const alarms = new PlatformAlarms(observability, 'Alarms', { watch: [registry] });
  const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
  const { kubernetes } = ClusterProviders.configure(workloads, cluster);
  const teams = new TrainingTeams(workloads, 'Teams', {
    cluster,
    kubernetesProvider: kubernetes,
    teams: TEAMS.map((name) => ({ name, gpuQuota: 4 })),
  });
  const accessStack = new PlatformStack(app, 'access', { settings: SETTINGS });
  const access = new TeamAccess(accessStack, 'TeamAccess', {
    cluster,
    featureStore: features,
    modelRegistry: registry,
    teams,
    alarms,
    inferenceNamespaces: ['assistant'],
    personas: personasWith(),
  });
  new TeamRbac(workloads, 'TeamRbac', { access, kubernetesProvider: kubernetes });
  app.synth();
  const read = (stack: string) => JSON.parse(readFileSync(join(app.outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as TfJson;
  return {
    access,
    registry,
    json: { data: read('data'), cluster: read('cluster'), observability: read('observability'), access: read('access'), workloads: read('workloads') },
    manifest: JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8')),
  };
}

const path = (c: Record<string, any>): string => String(c['//']?.metadata?.path ?? '');
function at(json: TfJson, type: string, suffix: string): [string, Record<string, any>] {
  const found = resources(json, type).filter(([, c]) => path(c).endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${type} at …${suffix}, found ${found.length}`);
  return found[0];
}

/** Allowed (action, resource) pairs of a persona's inline policy. */
function permissions(json: TfJson, persona: Persona): { action: string; resource: string; conditions?: any }[] {
  const doc = policy(at(json, 'aws_iam_role_policy', `TeamAccess/${persona}/Policy`)[1].policy);
  return doc.Statement.flatMap((s: any) => {
    expect(s.Effect).toBe('Allow');
    const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
    return list(s.Action).flatMap((action: string) => list(s.Resource).map((resource: string) => ({ action, resource, conditions: s.Condition })));
  });
}
const actionsOf = (json: TfJson, persona: Persona) => [...new Set(permissions(json, persona).map((p) => p.action))].sort();
const invoked = (json: TfJson, persona: Persona) => permissions(json, persona).filter((p) => p.action === 'execute-api:Invoke').map((p) => p.resource);
const routeSuffix = (method: string, p: string) => `/$default/${method}/${p.replace(/\{[^}]+\}/g, '*').replace(/^\//, '')}`;

/** The README's access matrix, parsed: persona → column → sorted cell entries. */
function documentedMatrix(): Record<string, Record<string, string[]>> {
  const text = readFileSync(join(__dirname, '../../src/platform/README.md'), 'utf8');
  const section = text.split('<!-- access-matrix:start -->')[1].split('<!-- access-matrix:end -->')[0];
  const rows = section
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
  const [header, , ...body] = rows;
  return Object.fromEntries(
    body.map((cells) => [
      cells[0].replace(/`/g, ''),
      Object.fromEntries(header.slice(1).map((h, i) => [h, cells[i + 1] === '—' ? [] : cells[i + 1].split(/;\s*|,\s*(?![^()]*\))/).map((x) => x.trim().replace(/`/g, '')).sort()])),
    ]),
  );
}

const COLUMNS = ['Feature store', 'Model registry', 'EKS access policies', 'Kubernetes RBAC', 'CloudWatch'] as const;

/** The matrix as the synthesized stacks grant it: IAM policies, registry config, access entries, RBAC bindings. */
function derivedMatrix(b: Built): Record<string, Record<string, string[]>> {
  const { access: acc, data, workloads } = b.json;
  const mrConfig: string = at(data, 'aws_lambda_function', 'Registry/Handler/Resource')[1].environment.variables.MR_CONFIG;
  const entries = resources(acc, 'aws_eks_access_entry');
  const associations = resources(acc, 'aws_eks_access_policy_association');
  const opsNamespaces = [...new Set([...DEFAULT_ADDON_NAMESPACES, 'assistant', 'monitoring'])].sort();
  const scopeLabel = (scope: any): string => {
    if (scope.type === 'cluster') return 'cluster';
    const ns = [...scope.namespaces].sort().join(',');
    if (ns === [...TEAMS].sort().join(',')) return 'team namespaces';
    if (ns === 'monitoring') return 'monitoring';
    if (ns === opsNamespaces.join(',')) return 'operations namespaces';
    return ns;
  };
  const matrix: Record<string, Record<string, string[]>> = {};
  for (const persona of PERSONAS) {
    const perms = permissions(acc, persona);
    const has = (action: string, resourceIncludes: string) => perms.some((p) => p.action === action && p.resource.includes(resourceIncludes));
    const invokes = (method: string, p: string) => perms.some((x) => x.action === 'execute-api:Invoke' && x.resource.endsWith(routeSuffix(method, p)));
    const features = [
      ...(invokes('POST', '/get-online-features') ? ['read-online'] : []),
      ...(invokes('POST', '/push') && has('s3:PutObject', '/raw/') ? ['ingest'] : []),
      ...(has('s3:GetObject', '/offline/') && has('athena:StartQueryExecution', 'workgroup') ? ['read-datasets'] : []),
      ...(has('s3:GetObject', '/manifests/') && invokes('GET', '/datasets/{group}/versions') ? ['read-manifests'] : []),
    ];
    const kinds = new Set<string>();
    for (const kind of ['read', 'write', 'deploy', 'approve', 'admin'] as RegistryRouteKind[]) {
      const routes = REGISTRY_ROUTES.filter((r) => r.kind === kind);
      const n = routes.filter((r) => invokes(r.method, r.path)).length;
      if (n === routes.length) kinds.add(kind);
      else if (n > 0) kinds.add(`some ${kind}`);
    }
    const roleName = at(acc, 'aws_iam_role', `TeamAccess/${persona}/Resource`)[1].name;
    if (mrConfig.includes(`:role/${roleName}"`)) kinds.add('approver');
    const [entryKey] = entries.find(([, c]) => path(c).endsWith(`TeamAccess/${persona}-access-entry`))!;
    const eks = associations
      .filter(([, c]) => c.principal_arn === `\${aws_eks_access_entry.${entryKey}.principal_arn}`)
      .map(([, c]) => `${/AmazonEKS(\w+)Policy$/.exec(c.policy_arn)![1]}: ${scopeLabel(c.access_scope)}`);
    const group = `gaiops:${persona}`;
    const bound = (c: any) => (c.subject as any[]).some((s) => s.kind === 'Group' && s.name === group);
    // role_ref.name references the role's metadata.name: resolve it to the role's name.
    const rbacRoleName = (ref: string) => {
      const m = /^\$\{(kubernetes_(?:cluster_)?role_v1)\.([^.]+)\.metadata\[0\]\.name\}$/.exec(ref);
      return m ? workloads.resource[m[1]][m[2]].metadata.name : ref;
    };
    const roleBindings = resources(workloads, 'kubernetes_role_binding_v1').filter(([, c]) => bound(c));
    const rbac = [
      ...[...new Set(roleBindings.map(([, c]) => rbacRoleName(c.role_ref.name)))].map((name) => {
        const ns = roleBindings.filter(([, c]) => rbacRoleName(c.role_ref.name) === name).length;
        return `${name} (${ns === TEAMS.length ? 'team namespaces' : `${ns} namespaces`})`;
      }),
      ...resources(workloads, 'kubernetes_cluster_role_binding_v1')
        .filter(([, c]) => bound(c))
        .map(([, c]) => `${rbacRoleName(c.role_ref.name)} (cluster)`),
    ];
    const cloudwatch = [
      ...(has('cloudwatch:DescribeAlarms', 'aws_cloudwatch_metric_alarm') ? ['read-alarms'] : []),
      ...(has('cloudwatch:GetMetricData', '*') ? ['read-metrics'] : []),
    ];
    matrix[persona] = Object.fromEntries([features, [...kinds], eks, rbac, cloudwatch].map((cell, i) => [COLUMNS[i], cell.sort()]));
  }
  return matrix;
}

describe('TeamAccess in a layered app', () => {
  let b: Built;
  beforeAll(() => {
    b = build();
  }, 240_000);

  it('derives the access matrix from the synthesized stacks and it equals the README table', () => {
    const documented = documentedMatrix();
    expect(Object.keys(documented)).toEqual([...PERSONAS]);
    expect(derivedMatrix(b)).toEqual(documented);
  });

  it('passes the policy pack with no finding and no suppression', () => {
    for (const stack of ['access', 'workloads'] as const) {
      const json = b.json[stack];
      expect(activeFindings(evaluatePolicies(json as never, CORE_RULES))).toEqual([]);
      expect(JSON.stringify(json)).not.toContain('suppressions');
    }
  });

  it('creates one role per persona with a literal name and the default one-hour session', () => {
    const roles = resources(b.json.access, 'aws_iam_role');
    expect(roles.map(([, c]) => c.name).sort()).toEqual(PERSONAS.map((p) => `gai-test-team-access-${p}`).sort());
    for (const [, c] of roles) expect(c.max_session_duration).toBe(3600);
  });

  it('trusts exactly the given principals, with MFA required', () => {
    for (const persona of PERSONAS) {
      const trust = policy(at(b.json.access, 'aws_iam_role', `TeamAccess/${persona}/Resource`)[1].assume_role_policy);
      const expected = PRINCIPALS[persona].length === 1 ? PRINCIPALS[persona][0] : [...PRINCIPALS[persona]].sort();
      expect(trust.Statement).toEqual([
        {
          Sid: 'TrustedPrincipals',
          Effect: 'Allow',
          Principal: { AWS: expected },
          Action: 'sts:AssumeRole',
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        },
      ]);
    }
  });

  it('gives each persona exactly its actions', () => {
    const s3Read = ['s3:GetBucketLocation', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'];
    const s3Write = ['s3:AbortMultipartUpload', 's3:PutObject'];
    const athena = ['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution', 'glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable'];
    const kms = (acts: string[]) => acts.filter((a) => a.startsWith('kms:'));
    const actual = Object.fromEntries(PERSONAS.map((p) => [p, actionsOf(b.json.access, p)]));
    const nonKms = (p: Persona) => actual[p].filter((a) => !a.startsWith('kms:') && !a.startsWith('s3:'));
    expect(nonKms('data-scientist')).toEqual([...athena, 'eks:DescribeCluster', 'execute-api:Invoke'].sort());
    expect(nonKms('ml-engineer')).toEqual([...athena, 'eks:DescribeCluster', 'execute-api:Invoke'].sort());
    expect(nonKms('mlops-engineer')).toEqual(
      ['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics', 'eks:DescribeCluster', 'execute-api:Invoke'].sort(),
    );
    expect(nonKms('domain-expert')).toEqual(['eks:DescribeCluster', 'execute-api:Invoke']);
    expect(nonKms('auditor')).toEqual(nonKms('mlops-engineer'));
    // Writers upload (registry artifacts, feature landing objects); readers only read.
    for (const p of ['data-scientist', 'ml-engineer', 'mlops-engineer'] as Persona[]) {
      expect(actual[p].filter((a) => a.startsWith('s3:'))).toEqual(expect.arrayContaining([...s3Read, 's3:PutObject']));
    }
    for (const p of ['domain-expert', 'auditor'] as Persona[]) {
      expect(actual[p].filter((a) => a.startsWith('s3:'))).toEqual(s3Read);
      expect(kms(actual[p])).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    }
    expect(s3Write.every((a) => !actual['auditor'].includes(a))).toBe(true);
  });

  it('keeps data scientists off the deploy, approve and admin routes of the registry and off dataset writes', () => {
    const registryRoute = (kind: RegistryRouteKind) => REGISTRY_ROUTES.filter((r) => r.kind === kind).map((r) => routeSuffix(r.method, r.path));
    const ds = invoked(b.json.access, 'data-scientist');
    const hits = (routes: string[]) => routes.filter((suffix) => ds.some((r) => r.endsWith(suffix)));
    expect(hits(registryRoute('read'))).toEqual(registryRoute('read'));
    expect(hits(registryRoute('write'))).toEqual(registryRoute('write'));
    expect(hits(registryRoute('deploy'))).toEqual([]);
    expect(hits(registryRoute('approve'))).toEqual([]);
    expect(hits(registryRoute('admin'))).toEqual([]);
    // Exactly: online features, dataset versions, registry read and write routes.
    const suffixes = (persona: Persona) => invoked(b.json.access, persona).map((r) => r.slice(r.indexOf('/$default/'))).sort();
    const datasetRoutes = [routeSuffix('GET', '/datasets/{group}/versions'), routeSuffix('GET', '/datasets/{group}/versions/{id}')];
    expect(suffixes('data-scientist')).toEqual([routeSuffix('POST', '/get-online-features'), ...datasetRoutes, ...registryRoute('read'), ...registryRoute('write')].sort());
    expect(suffixes('domain-expert')).toEqual([...registryRoute('read'), ...registryRoute('approve')].sort());
    expect(suffixes('auditor')).toEqual([...datasetRoutes, ...registryRoute('read')].sort());
    const dsPerms = permissions(b.json.access, 'data-scientist');
    const writes = dsPerms.filter((p) => ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'].includes(p.action));
    // Only registry artifact uploads and Athena query results: no feature store prefix.
    for (const w of writes) expect(w.resource).toMatch(/Registry_Artifacts_[0-9A-F]{8}arn\}\/artifacts\/sha256\/\*$|Features_QueryResults_[0-9A-F]{8}arn\}\/\*$/);
    expect(writes.some((w) => /\/(raw|offline|manifests|rejected)\//.test(w.resource))).toBe(false);
    expect(ds.some((r) => r.endsWith('/POST/push'))).toBe(false);
  });

  it('makes the domain expert a registry approver without a reference from the data stack to the access stack', () => {
    expect(b.registry.approvers).toHaveLength(1);
    const mrConfig: string = at(b.json.data, 'aws_lambda_function', 'Registry/Handler/Resource')[1].environment.variables.MR_CONFIG;
    expect(mrConfig).toContain(':role/gai-test-team-access-domain-expert"');
    expect(mrConfig).not.toContain('terraform_remote_state');
    expect(b.manifest.stacks.data.dependencies).toEqual([]);
    expect(b.manifest.stacks.access.dependencies.sort()).toEqual(['cluster', 'data', 'observability']);
    // The workloads stack reads only literals from TeamAccess.
    expect(b.manifest.stacks.workloads.dependencies).not.toContain('access');
    const de = invoked(b.json.access, 'domain-expert');
    const approve = REGISTRY_ROUTES.filter((r) => r.kind === 'approve').map((r) => routeSuffix(r.method, r.path));
    expect(approve.every((s) => de.some((r) => r.endsWith(s)))).toBe(true);
    expect(REGISTRY_ROUTES.filter((r) => r.kind === 'write' || r.kind === 'deploy' || r.kind === 'admin').some((r) => de.some((x) => x.endsWith(routeSuffix(r.method, r.path))))).toBe(false);
  });

  it('creates one STANDARD access entry per persona with its Kubernetes group and scoped policies', () => {
    const entries = resources(b.json.access, 'aws_eks_access_entry');
    expect(entries).toHaveLength(PERSONAS.length);
    for (const persona of PERSONAS) {
      const [, entry] = at(b.json.access, 'aws_eks_access_entry', `TeamAccess/${persona}-access-entry`);
      expect(entry.type).toBe('STANDARD');
      expect(entry.kubernetes_groups).toEqual([`gaiops:${persona}`]);
      expect(entry.principal_arn).toMatch(new RegExp(`^\\$\\{aws_iam_role\\.TeamAccess_${persona}_[0-9A-F]{8}\\.arn\\}$`));
      expect(entry.cluster_name).toContain('terraform_remote_state');
    }
    const assoc = (persona: Persona, level: string) => at(b.json.access, 'aws_eks_access_policy_association', `TeamAccess/${persona}-${level}`)[1];
    expect(assoc('data-scientist', 'view').access_scope).toEqual({ type: 'namespace', namespaces: TEAMS });
    expect(assoc('data-scientist', 'view').policy_arn).toMatch(/:eks::aws:cluster-access-policy\/AmazonEKSViewPolicy$/);
    expect(assoc('ml-engineer', 'edit').access_scope).toEqual({ type: 'namespace', namespaces: TEAMS });
    expect(assoc('ml-engineer', 'edit').policy_arn).toMatch(/\/AmazonEKSEditPolicy$/);
    expect(assoc('mlops-engineer', 'admin').access_scope).toEqual({
      type: 'namespace',
      namespaces: ['assistant', 'gpu-operator', 'keda', 'kubeflow-system', 'kuberay-system', 'monitoring'],
    });
    expect(assoc('mlops-engineer', 'admin').policy_arn).toMatch(/\/AmazonEKSAdminPolicy$/);
    expect(assoc('mlops-engineer', 'view').access_scope).toEqual({ type: 'cluster' });
    expect(assoc('domain-expert', 'view').access_scope).toEqual({ type: 'namespace', namespaces: ['monitoring'] });
    expect(assoc('auditor', 'view').access_scope).toEqual({ type: 'cluster' });
    expect(resources(b.json.access, 'aws_eks_access_policy_association')).toHaveLength(6);
    expect(resources(b.json.access, 'aws_eks_access_policy_association').some(([, c]) => /ClusterAdmin/.test(c.policy_arn))).toBe(false);
  });

  it('binds the persona groups to exact RBAC rules in the workloads stack', () => {
    const w = b.json.workloads;
    const rules = (c: any) => c.rule.map((r: any) => ({ apiGroups: r.api_groups, resources: r.resources, verbs: r.verbs }));
    const roles = resources(w, 'kubernetes_role_v1');
    // Each Role names its team namespace through the TrainingTeams namespace resource (created first).
    const namespaceOf = (ref: string) => {
      const m = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(ref);
      if (!m) throw new Error(`not a namespace reference: ${ref}`);
      return w.resource.kubernetes_namespace_v1[m[1]].metadata.name;
    };
    expect(roles.map(([, c]) => namespaceOf(c.metadata.namespace)).sort()).toEqual([...TEAMS].sort());
    for (const [, c] of roles) {
      expect(c.metadata.name).toBe('gaiops:training-jobs');
      expect(rules(c)).toEqual(TRAINING_JOB_RULES);
      expect(JSON.stringify(rules(c))).not.toMatch(/secrets|"\*"/);
    }
    for (const [, c] of resources(w, 'kubernetes_role_binding_v1')) {
      expect(c.role_ref).toEqual({ api_group: 'rbac.authorization.k8s.io', kind: 'Role', name: expect.any(String) });
      expect(c.subject.map((s: any) => s.name)).toEqual(['gaiops:data-scientist', 'gaiops:ml-engineer']);
    }
    const clusterRoles = Object.fromEntries(resources(w, 'kubernetes_cluster_role_v1').map(([, c]) => [c.metadata.name, rules(c)]));
    expect(clusterRoles).toEqual({ 'gaiops:mlops-engineer': MLOPS_CLUSTER_RULES, 'gaiops:auditor': AUDITOR_CLUSTER_RULES });
    const auditorVerbs = new Set(AUDITOR_CLUSTER_RULES.flatMap((r) => r.verbs));
    expect([...auditorVerbs].sort()).toEqual(['get', 'list', 'watch']);
  });

  it('scopes CloudWatch alarm reads to the PlatformAlarms alarms and metric reads to the unscopable actions', () => {
    for (const persona of ['mlops-engineer', 'auditor'] as Persona[]) {
      const perms = permissions(b.json.access, persona);
      const alarms = perms.filter((p) => p.action === 'cloudwatch:DescribeAlarms');
      expect(alarms.length).toBeGreaterThan(0);
      for (const a of alarms) expect(a.resource).toMatch(/cloudwatch_metric_alarm/);
      for (const m of perms.filter((p) => p.resource === '*')) expect(['cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics']).toContain(m.action);
    }
  });
});

/** One stack with the real constructs (policy pack through `synth`). */
function singleStack(props: Partial<TeamAccessProps> = {}) {
  const stack = platformStack();
  const featureStore = new FeatureStore(stack, 'Features', { featureGroups: GROUPS });
  const modelRegistry = new ModelRegistry(stack, 'Registry');
  const access = new TeamAccess(stack, 'TeamAccess', {
    cluster: TEST_CLUSTER,
    featureStore,
    modelRegistry,
    teams: TEAMS,
    personas: personasWith(),
    ...props,
  });
  return { stack, access, modelRegistry };
}

describe('TeamAccess options', () => {
  it('adds the SAML variant and relaxes MFA on request', () => {
    const provider = `arn:aws:iam::${ACCOUNT}:saml-provider/IdentityCenter`;
    const { stack } = singleStack({ saml: { providerArn: provider }, requireMfa: false, personas: { ...personasWith(), auditor: { trustedPrincipalArns: [] } } });
    const json = synth(stack);
    const trust = (p: Persona) => policy(at(json, 'aws_iam_role', `TeamAccess/${p}/Resource`)[1].assume_role_policy).Statement;
    expect(trust('auditor')).toEqual([
      { Sid: 'SamlFederation', Effect: 'Allow', Principal: { Federated: provider }, Action: 'sts:AssumeRoleWithSAML', Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } } },
    ]);
    expect(trust('ml-engineer')).toEqual([
      { Sid: 'TrustedPrincipals', Effect: 'Allow', Principal: { AWS: PRINCIPALS['ml-engineer'][0] }, Action: 'sts:AssumeRole' },
      { Sid: 'SamlFederation', Effect: 'Allow', Principal: { Federated: provider }, Action: 'sts:AssumeRoleWithSAML', Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } } },
    ]);
  });

  it('limits datasets, ingest and namespaces to the listed groups and teams, and skips disabled personas', () => {
    const { stack, access, modelRegistry } = singleStack({
      personas: personasWith({
        'data-scientist': { datasetGroups: ['customers'], teamNamespaces: ['research'], maxSessionDurationSeconds: 7200 },
        'ml-engineer': { ingestGroups: ['purchases'] },
        'domain-expert': { enabled: false },
      }),
    });
    const json = synth(stack);
    expect(access.personas['domain-expert']).toBeUndefined();
    expect(modelRegistry.approvers).toEqual([]);
    expect(resources(json, 'aws_eks_access_entry')).toHaveLength(4);
    expect(at(json, 'aws_iam_role', 'TeamAccess/data-scientist/Resource')[1].max_session_duration).toBe(7200);
    const ds = permissions(json, 'data-scientist');
    const gets = ds.filter((p) => p.action === 's3:GetObject').map((p) => p.resource.replace(/^.*\}\//, ''));
    expect(gets.filter((r) => /^(offline|manifests|raw|rejected)\//.test(r)).sort()).toEqual(['manifests/customers/*', 'offline/customers/*']);
    expect(at(json, 'aws_eks_access_policy_association', 'TeamAccess/data-scientist-view')[1].access_scope).toEqual({ type: 'namespace', namespaces: ['research'] });
    const puts = permissions(json, 'ml-engineer')
      .filter((p) => p.action === 's3:PutObject')
      .map((p) => p.resource.replace(/^.*\}\//, ''));
    expect(puts.filter((r) => r.startsWith('raw/'))).toEqual(['raw/purchases/*']);
    expect(access.persona('data-scientist').teamNamespaces).toEqual(['research']);
  });

  it('adds the domain expert to the registry approvers in the same stack too', () => {
    const { stack, modelRegistry } = singleStack();
    const json = synth(stack);
    expect(modelRegistry.approvers).toHaveLength(1);
    const mrConfig: string = at(json, 'aws_lambda_function', 'Registry/Handler/Resource')[1].environment.variables.MR_CONFIG;
    expect(mrConfig).toMatch(/"approverRoleArns":\["arn:\$\{data\.aws_partition\.[^}]+\}:iam::\$\{data\.aws_caller_identity\.[^}]+\}:role\/gai-test-team-access-domain-expert"\]/);
  });

  it('binds RBAC in a stack of its own from the TEST_CLUSTER reference', () => {
    const { access } = singleStack({ teams: TEAMS });
    const workloads = platformStack({}, 'workloads');
    const { kubernetes } = ClusterProviders.configure(workloads, TEST_CLUSTER);
    new TeamRbac(workloads, 'TeamRbac', { access, kubernetesProvider: kubernetes });
    const json = synth(workloads);
    expect(resources(json, 'kubernetes_role_v1').map(([, c]) => c.metadata.namespace).sort()).toEqual(['platform', 'research']);
    expect(resources(json, 'kubernetes_cluster_role_binding_v1').map(([, c]) => c.subject)).toEqual([
      [{ api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: 'gaiops:mlops-engineer' }],
      [{ api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: 'gaiops:auditor' }],
    ]);
  });
});

describe('TeamAccess props validation', () => {
  const failure = (props: Partial<TeamAccessProps>): GaiConfigError => {
    try {
      singleStack(props);
    } catch (e) {
      expect(e).toBeInstanceOf(GaiConfigError);
      return e as GaiConfigError;
    }
    throw new Error('expected a GaiConfigError');
  };
  const fields = (e: GaiConfigError) => e.problems.map((p) => p.fieldPath);

  it('rejects an unknown persona', () => {
    const e = failure({ personas: { ...personasWith(), 'data-engineer': {} } as never });
    expect(fields(e)).toEqual(['personas']);
    expect(e.message).toMatch(/data-engineer/);
  });

  it('rejects an enabled persona without principals', () => {
    const e = failure({ personas: { ...personasWith(), auditor: {} } });
    expect(fields(e)).toEqual(['personas.auditor.trustedPrincipalArns']);
  });

  it('rejects wildcard and non-IAM principals', () => {
    const e = failure({
      personas: personasWith({ 'ml-engineer': { trustedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/*`, '*', `arn:aws:iam::${ACCOUNT}:root`] } }),
    });
    expect(fields(e)).toEqual([
      'personas.ml-engineer.trustedPrincipalArns[0]',
      'personas.ml-engineer.trustedPrincipalArns[1]',
      'personas.ml-engineer.trustedPrincipalArns[2]',
    ]);
    expect(e.problems[0].message).toMatch(/wildcard/);
    expect(e.problems[2].message).toMatch(/IAM role or user ARN/);
  });

  it('rejects team namespaces that are not TrainingTeams teams, and unknown feature groups', () => {
    const e = failure({
      personas: personasWith({
        'data-scientist': { teamNamespaces: ['research', 'marketing'], datasetGroups: ['sessions', 'nope'] },
        'ml-engineer': { ingestGroups: ['nope'] },
      }),
    });
    expect(fields(e)).toEqual([
      'personas.data-scientist.teamNamespaces[1]',
      'personas.data-scientist.datasetGroups[0]',
      'personas.data-scientist.datasetGroups[1]',
      'personas.ml-engineer.ingestGroups[0]',
    ]);
    expect(e.message).toMatch(/marketing is not a team/);
  });

  it('checks team namespaces against a TrainingTeams instance too', () => {
    const workloads = platformStack({}, 'workloads');
    const { kubernetes } = ClusterProviders.configure(workloads, TEST_CLUSTER);
    const teams = new TrainingTeams(workloads, 'Teams', { cluster: TEST_CLUSTER, kubernetesProvider: kubernetes, teams: [{ name: 'research', gpuQuota: 2 }] });
    const e = failure({ teams, personas: personasWith({ 'ml-engineer': { teamNamespaces: ['platform'] } }) });
    expect(fields(e)).toEqual(['personas.ml-engineer.teamNamespaces[0]']);
    expect(e.message).toMatch(/platform is not a team of `teams` \(research\)/);
  });

  it('rejects persona options that do not apply to the persona and a bad SAML provider', () => {
    const e = failure({
      saml: { providerArn: 'arn:aws:iam::123:oidc-provider/x' },
      personas: personasWith({ auditor: { teamNamespaces: ['research'] } }),
    });
    expect(fields(e).sort()).toEqual(['personas.auditor', 'saml.providerArn']);
  });
});

describe('TeamAccess README', () => {
  it('documents the props exactly as the schemas define them', () => {
    const readme = readFileSync(join(__dirname, '../../src/platform/README.md'), 'utf8');
    const tables = { TeamAccess: TeamAccessPropsSchema, DataScientistPersona: DataScientistSchema, MlEngineerPersona: MlEngineerSchema, Persona: PlainPersonaSchema, TeamRbac: TeamRbacPropsSchema };
    for (const [name, schema] of Object.entries(tables)) {
      const block = readme.split(`<!-- props:${name}:start -->\n`)[1]?.split(`\n<!-- props:${name}:end -->`)[0];
      expect(block, name).toBe(propsTable(schema));
    }
  });
});
