import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePolicies } from '../../../src/core/policy/engine';
import { CORE_RULES } from '../../../src/core/policy/rules';
import { CLOUDWATCH_RULES } from '../../../src/core/policy/rules/cloudwatch';
import { EXACT_CHART_VERSION, HELM_RULES } from '../../../src/core/policy/rules/helm';
import { imagePinProblem, KUBERNETES_RULES, POD_SPEC_PATHS, splitAtLastExpression } from '../../../src/core/policy/rules/kubernetes';
import { SNS_RULES } from '../../../src/core/policy/rules/sns';
import type { PolicyRule } from '../../../src/core/policy/types';
import { buildReferenceApp } from '../../../stacks/main';
import { add, compliantStack, patch, policyJson, ref, remove, type Config, type TfJson } from './fixtures';

const WORKLOAD_RULES: readonly PolicyRule[] = [...KUBERNETES_RULES, ...HELM_RULES, ...SNS_RULES, ...CLOUDWATCH_RULES];
// The core pack includes the workload rules (checked below), so evaluating CORE_RULES runs them once.
const RULES: readonly PolicyRule[] = CORE_RULES;

const DEPLOYMENT = 'kubernetes_deployment_v1.Server';
const STATEFUL_SET = 'kubernetes_stateful_set_v1.Store';
const DAEMON_SET = 'kubernetes_daemon_set_v1.Agent';
const JOB = 'kubernetes_job_v1.Migrate';
const CRON_JOB = 'kubernetes_cron_job_v1.Compact';
const POD = 'kubernetes_pod_v1.Debug';
const REMOTE_RELEASE = 'helm_release.Karpenter';
const LOCAL_RELEASE = 'helm_release.NodePools';
const TOPIC = 'aws_sns_topic.Alerts';
const TOPIC_POLICY = 'aws_sns_topic_policy.Alerts_Policy';
const ALARM = 'aws_cloudwatch_metric_alarm.Errors';
const KEY_ARN = ref('aws_kms_key.Key', 'arn');
const ECR_IMAGE = `${ref('aws_ecr_repository.Repo', 'repository_url')}:sha256-b61f6b9a84938e12919efca1fee33159`;
const DIGEST = 'a'.repeat(64);

/** A compliant container: non-root, no escalation, read-only root, requests and limits, probes, pinned image, ALL dropped. */
function container(name: string, probes = true): Config {
  const probe = (path: string) => ({ http_get: { path, port: '8080', scheme: 'HTTP' }, period_seconds: 10 });
  return {
    name,
    image: ECR_IMAGE,
    resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '250m', memory: '256Mi' } },
    security_context: {
      allow_privilege_escalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      read_only_root_filesystem: true,
      run_as_non_root: true,
      run_as_user: '65532',
    },
    ...(probes ? { readiness_probe: probe('/readyz'), liveness_probe: probe('/healthz') } : {}),
  };
}

/** A compliant pod spec: a pod security context, an init container and a container. */
function podSpec(probes = true): Config {
  return {
    automount_service_account_token: false,
    security_context: { run_as_non_root: true, run_as_user: '65532', fs_group: '65532', seccomp_profile: { type: 'RuntimeDefault' } },
    init_container: [container('fetcher', false)],
    container: [container('server', probes)],
  };
}

/** Wraps a pod spec in the blocks leading to it for the workload type. */
function workload(type: string, spec: Config): Config {
  const path = POD_SPEC_PATHS[type];
  let config: Config = spec;
  for (const key of [...path].reverse()) config = { [key]: config };
  return { metadata: { name: type.replace(/^kubernetes_|_v1$/g, ''), namespace: 'apps' }, ...config };
}

function workloadStack(): TfJson {
  let json = compliantStack();
  const entries: [string, Config][] = [
    [DEPLOYMENT, { ...workload('kubernetes_deployment_v1', podSpec()), '//': { metadata: { path: 'test/Server/Deployment' } } }],
    [STATEFUL_SET, workload('kubernetes_stateful_set_v1', podSpec())],
    [DAEMON_SET, workload('kubernetes_daemon_set_v1', podSpec())],
    [JOB, workload('kubernetes_job_v1', podSpec(false))],
    [CRON_JOB, workload('kubernetes_cron_job_v1', podSpec(false))],
    [POD, workload('kubernetes_pod_v1', podSpec(false))],
    [
      REMOTE_RELEASE,
      { name: 'karpenter', chart: 'karpenter', repository: 'oci://public.ecr.aws/karpenter', version: '1.14.1', atomic: true, cleanup_on_fail: true, namespace: 'kube-system' },
    ],
    [LOCAL_RELEASE, { name: 'gaiops-node-pools', chart: './assets/NodePools_Chart_AAA5B5A3/caddd766', atomic: true, namespace: 'kube-system' }],
    [TOPIC, { name: 'gai-dev-alerts', kms_master_key_id: KEY_ARN }],
    [
      TOPIC_POLICY,
      {
        arn: ref(TOPIC, 'arn'),
        policy: policyJson({
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['sns:Publish', 'sns:Subscribe'],
          Resource: ref(TOPIC, 'arn'),
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      },
    ],
    [
      ALARM,
      {
        alarm_name: 'gai-dev-fn-errors',
        namespace: 'AWS/Lambda',
        metric_name: 'Errors',
        dimensions: { FunctionName: ref('aws_lambda_function.Fn', 'function_name') },
        statistic: 'Sum',
        period: 300,
        evaluation_periods: 1,
        threshold: 1,
        comparison_operator: 'GreaterThanOrEqualToThreshold',
        alarm_actions: [ref(TOPIC, 'arn')],
      },
    ],
  ];
  for (const [address, config] of entries) json = add(json, address, config);
  return json;
}

const base = workloadStack();

/** A copy with the resource's configuration changed in place by `change`. */
function mutate(json: TfJson, address: string, change: (config: Config) => void): TfJson {
  const out = structuredClone(json);
  const [type, name] = address.split('.');
  change(out.resource[type][name]);
  return out;
}

/** The pod spec inside a workload configuration written by `workload()` (object form). */
function podOf(config: Config, type = 'kubernetes_deployment_v1'): Config {
  let current = config;
  for (const key of POD_SPEC_PATHS[type]) current = current[key] as Config;
  return current;
}

/** The n-th container (`container`, or `init_container`) of the deployment fixture's pod spec. */
function containerOf(config: Config, list: 'container' | 'init_container' = 'container', type = 'kubernetes_deployment_v1'): Config {
  return (podOf(config, type)[list] as Config[])[0];
}

function securityOf(c: Config): Config {
  return c.security_context as Config;
}

/** Each nested block of a configuration rewritten as a one-element list, as the provider sometimes synthesizes them. */
function asLists(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => asLists(v));
  if (value === null || typeof value !== 'object') return value;
  // Maps (not blocks) stay maps: labels, resource quantities.
  const MAPS = ['metadata', 'limits', 'requests', 'labels', '//'];
  const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asLists(v, k)]));
  return key === '' || MAPS.includes(key) ? out : [out];
}

function findings(json: TfJson, ruleId: string): { address: string; message: string; severity: string }[] {
  return evaluatePolicies(json, RULES)
    .filter((f) => f.ruleId === ruleId)
    .map(({ address, message, severity }) => ({ address, message, severity }));
}

type FailCase = [name: string, json: TfJson, address: string, messages: RegExp[]];

/** Asserts the rule reports exactly the expected messages (in order) on the address, with its severity. */
function expectFindings(ruleId: string, severity: string, json: TfJson, address: string, messages: RegExp[]): void {
  const found = findings(json, ruleId);
  expect(found.map((f) => f.address)).toEqual(messages.map(() => address));
  expect(found.every((f) => f.severity === severity)).toBe(true);
  messages.forEach((m, i) => expect(found[i].message).toMatch(m));
}

describe('the core policy pack', () => {
  it('includes every Kubernetes, Helm, SNS and CloudWatch rule', () => {
    const ids = new Set(CORE_RULES.map((r) => r.id));
    for (const rule of WORKLOAD_RULES) expect(ids.has(rule.id), rule.id).toBe(true);
    expect(CORE_RULES.length).toBeGreaterThanOrEqual(45);
  });
});

describe('the workload fixture', () => {
  it('is compliant with every rule, core and workload', () => {
    expect(evaluatePolicies(base, RULES)).toEqual([]);
  });

  it('stays compliant when every nested block is a one-element list', () => {
    let json = base;
    for (const address of [DEPLOYMENT, STATEFUL_SET, DAEMON_SET, JOB, CRON_JOB, POD]) {
      json = mutate(json, address, (config) => {
        const listed = asLists(config) as Config;
        for (const key of Object.keys(config)) delete config[key];
        Object.assign(config, listed);
      });
    }
    expect(JSON.stringify(json.resource.kubernetes_cron_job_v1)).toContain('"job_template":[{"spec":[{"template":[{"spec":[{');
    expect(evaluatePolicies(json, RULES)).toEqual([]);

    // The list form is read, not skipped: strip a container bare and every rule sees it.
    const bare = mutate(json, CRON_JOB, (c) => {
      const spec = (((((c.spec as Config[])[0].job_template as Config[])[0].spec as Config[])[0].template as Config[])[0].spec as Config[])[0];
      (spec.container as Config[])[0] = { name: 'server', image: 'busybox' };
      (spec.security_context as Config[])[0].run_as_non_root = false;
    });
    expect(evaluatePolicies(bare, RULES).map((f) => `${f.ruleId} ${f.address} ${f.message.split(':')[0]}`)).toEqual([
      `GAI-K8S-001 ${CRON_JOB} container "server"`,
      `GAI-K8S-002 ${CRON_JOB} container "server"`,
      `GAI-K8S-003 ${CRON_JOB} container "server"`,
      `GAI-K8S-004 ${CRON_JOB} container "server"`,
      `GAI-K8S-006 ${CRON_JOB} container "server"`,
      `GAI-K8S-007 ${CRON_JOB} container "server"`,
    ]);
  });

  it('rules have ids, severities, titles, rationales and fixes', () => {
    expect(WORKLOAD_RULES.map((r) => [r.id, r.severity])).toEqual([
      ['GAI-K8S-001', 'error'],
      ['GAI-K8S-002', 'error'],
      ['GAI-K8S-003', 'error'],
      ['GAI-K8S-004', 'error'],
      ['GAI-K8S-005', 'warning'],
      ['GAI-K8S-006', 'error'],
      ['GAI-K8S-007', 'warning'],
      ['GAI-HELM-001', 'error'],
      ['GAI-HELM-002', 'warning'],
      ['GAI-SNS-001', 'error'],
      ['GAI-SNS-002', 'warning'],
      ['GAI-CW-001', 'warning'],
    ]);
    for (const r of WORKLOAD_RULES) {
      expect(r.title.length, r.id).toBeGreaterThan(20);
      expect(r.rationale.length, r.id).toBeGreaterThan(50);
      expect(r.fix.length, r.id).toBeGreaterThan(30);
      expect(r.appliesTo.length, r.id).toBeGreaterThan(0);
    }
    const ids = new Set(RULES.map((r) => r.id));
    expect(ids.size).toBe(RULES.length);
    const workloadTypes = Object.keys(POD_SPEC_PATHS).sort();
    for (const r of KUBERNETES_RULES.filter((r) => r.id !== 'GAI-K8S-005')) expect([...r.appliesTo].sort(), r.id).toEqual(workloadTypes);
    expect(KUBERNETES_RULES.find((r) => r.id === 'GAI-K8S-005')!.appliesTo).toEqual(['kubernetes_deployment_v1', 'kubernetes_stateful_set_v1', 'kubernetes_daemon_set_v1']);
    expect(HELM_RULES.flatMap((r) => r.appliesTo)).toEqual(['helm_release', 'helm_release']);
    expect(SNS_RULES.flatMap((r) => r.appliesTo)).toEqual(['aws_sns_topic', 'aws_sns_topic']);
    expect(CLOUDWATCH_RULES[0].appliesTo).toEqual(['aws_cloudwatch_metric_alarm']);
  });

  it('finds the containers of every workload type at its pod spec path', () => {
    for (const [type, name] of [DEPLOYMENT, STATEFUL_SET, DAEMON_SET, JOB, CRON_JOB, POD].map((a) => a.split('.'))) {
      const json = mutate(base, `${type}.${name}`, (config) => {
        securityOf(containerOf(config, 'container', type)).read_only_root_filesystem = false;
        securityOf(containerOf(config, 'init_container', type)).read_only_root_filesystem = false;
      });
      expectFindings('GAI-K8S-003', 'error', json, `${type}.${name}`, [/^init container "fetcher": /, /^container "server": /]);
    }
  });
});

describe('GAI-K8S-001 containers run as non-root', () => {
  it.each<FailCase>([
    [
      'a container overriding the pod with run_as_non_root = false',
      mutate(base, DEPLOYMENT, (c) => (securityOf(containerOf(c)).run_as_non_root = false)),
      DEPLOYMENT,
      [/^container "server": run_as_non_root is false \(from the container security_context\)/],
    ],
    [
      'run_as_user 0 on a container',
      mutate(base, DEPLOYMENT, (c) => (securityOf(containerOf(c)).run_as_user = 0)),
      DEPLOYMENT,
      [/^container "server": run_as_user is 0 \(root\), from the container security_context/],
    ],
    [
      'run_as_user "0" inherited from the pod by an init container',
      mutate(base, DEPLOYMENT, (c) => {
        (podOf(c).security_context as Config).run_as_user = '0';
        delete securityOf(containerOf(c, 'init_container')).run_as_user;
      }),
      DEPLOYMENT,
      [/^init container "fetcher": run_as_user is 0 \(root\), from the pod security_context/],
    ],
    [
      'no run_as_non_root anywhere',
      mutate(base, STATEFUL_SET, (c) => {
        delete podOf(c, 'kubernetes_stateful_set_v1').security_context;
        delete securityOf(containerOf(c, 'container', 'kubernetes_stateful_set_v1')).run_as_non_root;
      }),
      STATEFUL_SET,
      [/^container "server": run_as_non_root is not set \(in neither the container nor the pod security_context\)/],
    ],
    [
      'a cron job container without a security context and a pod with run_as_non_root = false',
      mutate(base, CRON_JOB, (c) => {
        (podOf(c, 'kubernetes_cron_job_v1').security_context as Config).run_as_non_root = false;
        delete containerOf(c, 'container', 'kubernetes_cron_job_v1').security_context;
      }),
      CRON_JOB,
      [/^container "server": run_as_non_root is false \(from the pod security_context\)/],
    ],
  ])('fails for %s', (_name, json, address, messages) => expectFindings('GAI-K8S-001', 'error', json, address, messages));

  it.each([
    ['pod and containers both non-root', base],
    ['the pod setting only (containers inherit it)', mutate(base, DEPLOYMENT, (c) => {
      for (const k of ['container', 'init_container'] as const) {
        delete securityOf(containerOf(c, k)).run_as_non_root;
        delete securityOf(containerOf(c, k)).run_as_user;
      }
    })],
    ['the container setting only, overriding a pod false', mutate(base, DEPLOYMENT, (c) => ((podOf(c).security_context as Config).run_as_non_root = false))],
    ['run_as_user left to the image (the kubelet verifies non-root)', mutate(base, POD, (c) => {
      delete (podOf(c, 'kubernetes_pod_v1').security_context as Config).run_as_user;
      for (const k of ['container', 'init_container'] as const) delete securityOf(containerOf(c, k, 'kubernetes_pod_v1')).run_as_user;
    })],
    ['"true" as a string', mutate(base, DEPLOYMENT, (c) => (securityOf(containerOf(c)).run_as_non_root = 'true'))],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-K8S-001')).toEqual([]);
  });
});

describe('GAI-K8S-002 no privilege escalation', () => {
  it.each<FailCase>([
    [
      'allow_privilege_escalation unset',
      mutate(base, DEPLOYMENT, (c) => delete securityOf(containerOf(c)).allow_privilege_escalation),
      DEPLOYMENT,
      [/^container "server": security_context\.allow_privilege_escalation is \(unset\), not false/],
    ],
    [
      'a privileged init container',
      mutate(base, DEPLOYMENT, (c) => (securityOf(containerOf(c, 'init_container')).privileged = true)),
      DEPLOYMENT,
      [/^init container "fetcher": security_context\.privileged is true/],
    ],
    [
      'a container without a security context',
      mutate(base, JOB, (c) => delete containerOf(c, 'container', 'kubernetes_job_v1').security_context),
      JOB,
      [/^container "server": security_context\.allow_privilege_escalation is \(unset\)/],
    ],
    [
      'host_network on the pod',
      mutate(base, DAEMON_SET, (c) => (podOf(c, 'kubernetes_daemon_set_v1').host_network = true)),
      DAEMON_SET,
      [/^the pod spec sets host_network = true, sharing the node's NETWORK namespace/],
    ],
    [
      'host_pid and host_ipc on the pod',
      mutate(base, POD, (c) => Object.assign(podOf(c, 'kubernetes_pod_v1'), { host_pid: 'true', host_ipc: true })),
      POD,
      [/host_pid = true.*PID namespace/, /host_ipc = true.*IPC namespace/],
    ],
  ])('fails for %s', (_name, json, address, messages) => expectFindings('GAI-K8S-002', 'error', json, address, messages));

  it.each([
    ['the compliant workloads', base],
    ['host namespaces explicitly false', mutate(base, DEPLOYMENT, (c) => Object.assign(podOf(c), { host_network: false, host_pid: false, host_ipc: false }))],
    ['privileged unset, escalation "false"', mutate(base, DEPLOYMENT, (c) => {
      delete securityOf(containerOf(c)).privileged;
      securityOf(containerOf(c)).allow_privilege_escalation = 'false';
    })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-K8S-002')).toEqual([]);
  });
});

describe('GAI-K8S-003 read-only root filesystem', () => {
  it.each<FailCase>([
    [
      'read_only_root_filesystem unset on an init container',
      mutate(base, DEPLOYMENT, (c) => delete securityOf(containerOf(c, 'init_container')).read_only_root_filesystem),
      DEPLOYMENT,
      [/^init container "fetcher": security_context\.read_only_root_filesystem is \(unset\), not true/],
    ],
    [
      'read_only_root_filesystem false',
      mutate(base, STATEFUL_SET, (c) => (securityOf(containerOf(c, 'container', 'kubernetes_stateful_set_v1')).read_only_root_filesystem = false)),
      STATEFUL_SET,
      [/^container "server": security_context\.read_only_root_filesystem is false, not true/],
    ],
    [
      'an unnamed container without a security context',
      mutate(base, POD, (c) => {
        const ct = containerOf(c, 'container', 'kubernetes_pod_v1');
        delete ct.name;
        delete ct.security_context;
      }),
      POD,
      [/^container #1: security_context\.read_only_root_filesystem is \(unset\)/],
    ],
  ])('fails for %s', (_name, json, address, messages) => expectFindings('GAI-K8S-003', 'error', json, address, messages));

  it.each([
    ['every container read-only', base],
    ['security_context as a one-element list', mutate(base, DEPLOYMENT, (c) => {
      const ct = containerOf(c);
      ct.security_context = [ct.security_context];
    })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-K8S-003')).toEqual([]);
  });
});

describe('GAI-K8S-004 cpu and memory requests and limits', () => {
  it.each<FailCase>([
    [
      'no memory limit',
      mutate(base, DEPLOYMENT, (c) => delete ((containerOf(c).resources as Config).limits as Config).memory),
      DEPLOYMENT,
      [/^container "server": resources\.limits\.memory is not set$/],
    ],
    [
      'an init container without requests',
      mutate(base, DEPLOYMENT, (c) => delete (containerOf(c, 'init_container').resources as Config).requests),
      DEPLOYMENT,
      [/^init container "fetcher": resources\.requests\.cpu, resources\.requests\.memory are not set$/],
    ],
    [
      'a cron job container without resources',
      mutate(base, CRON_JOB, (c) => delete containerOf(c, 'container', 'kubernetes_cron_job_v1').resources),
      CRON_JOB,
      [/^container "server": resources\.requests\.cpu, resources\.requests\.memory, resources\.limits\.cpu, resources\.limits\.memory are not set$/],
    ],
    [
      'a blank cpu request',
      mutate(base, JOB, (c) => (((containerOf(c, 'container', 'kubernetes_job_v1').resources as Config).requests as Config).cpu = ' ')),
      JOB,
      [/^container "server": resources\.requests\.cpu is not set$/],
    ],
  ])('fails for %s', (_name, json, address, messages) => expectFindings('GAI-K8S-004', 'error', json, address, messages));

  it.each([
    ['requests and limits everywhere', base],
    ['resources as a one-element list, with a GPU beside cpu and memory', mutate(base, DEPLOYMENT, (c) => {
      containerOf(c).resources = [{ limits: { cpu: 8, memory: '24Gi', 'nvidia.com/gpu': '1' }, requests: { cpu: 4, memory: '24Gi', 'nvidia.com/gpu': '1' } }];
    })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-K8S-004')).toEqual([]);
  });
});

describe('GAI-K8S-005 readiness and liveness probes on long-running workloads', () => {
  it.each<FailCase>([
    [
      'a Deployment container without a liveness probe',
      mutate(base, DEPLOYMENT, (c) => delete containerOf(c).liveness_probe),
      DEPLOYMENT,
      [/^container "server": has no liveness_probe$/],
    ],
    [
      'a StatefulSet container without a readiness probe (a startup probe does not replace it)',
      mutate(base, STATEFUL_SET, (c) => {
        const ct = containerOf(c, 'container', 'kubernetes_stateful_set_v1');
        ct.startup_probe = ct.readiness_probe;
        delete ct.readiness_probe;
      }),
      STATEFUL_SET,
      [/^container "server": has no readiness_probe$/],
    ],
    [
      'a DaemonSet container with neither (empty blocks)',
      mutate(base, DAEMON_SET, (c) => Object.assign(containerOf(c, 'container', 'kubernetes_daemon_set_v1'), { readiness_probe: [], liveness_probe: {} })),
      DAEMON_SET,
      [/^container "server": has no readiness_probe and no liveness_probe$/],
    ],
  ])('warns for %s', (_name, json, address, messages) => expectFindings('GAI-K8S-005', 'warning', json, address, messages));

  it.each([
    ['probed containers (init containers need none)', base],
    ['probes as one-element lists', mutate(base, DEPLOYMENT, (c) => {
      const ct = containerOf(c);
      ct.readiness_probe = [ct.readiness_probe];
      ct.liveness_probe = [ct.liveness_probe];
    })],
    ['Jobs, CronJobs and bare pods without probes (they run to completion)', base],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-K8S-005')).toEqual([]);
  });
});

describe('GAI-K8S-006 pinned images', () => {
  const withImage = (image: unknown, list: 'container' | 'init_container' = 'container') => mutate(base, DEPLOYMENT, (c) => (containerOf(c, list).image = image));
  const repoUrl = ref('aws_ecr_repository.Repo', 'repository_url');

  it.each<FailCase>([
    ['no tag', withImage('docker.io/vllm/vllm-openai'), DEPLOYMENT, [/^container "server": image "docker.io\/vllm\/vllm-openai" has no tag or @sha256: digest, so it pulls :latest/]],
    ['the latest tag on an init container', withImage('nginx:latest', 'init_container'), DEPLOYMENT, [/^init container "fetcher": image "nginx:latest" uses the mutable :latest tag/]],
    ['a registry port but no tag', withImage('registry.local:5000/team/app'), DEPLOYMENT, [/has no tag or @sha256: digest/]],
    ['an ECR reference without a tag', withImage(repoUrl), DEPLOYMENT, [/ends in a Terraform expression, so a tag or @sha256: digest cannot be confirmed/]],
    ['an ECR reference tagged latest', withImage(`${repoUrl}:latest`), DEPLOYMENT, [/uses the mutable :latest tag/]],
    ['a malformed digest', withImage('app@sha256:abc'), DEPLOYMENT, [/malformed digest/]],
    ['no image at all', withImage(undefined), DEPLOYMENT, [/^container "server": has no image$/]],
    ['an image in a cron job', mutate(base, CRON_JOB, (c) => (containerOf(c, 'container', 'kubernetes_cron_job_v1').image = 'busybox')), CRON_JOB, [/"busybox" has no tag/]],
  ])('fails for %s', (_name, json, address, messages) => expectFindings('GAI-K8S-006', 'error', json, address, messages));

  it.each([
    ['an ECR reference with a content-hash tag', base],
    ['a public image with a version tag', withImage('docker.io/vllm/vllm-openai:v0.11.0')],
    ['a digest', withImage(`public.ecr.aws/karpenter/controller@sha256:${DIGEST}`)],
    ['a tag and a digest (the digest pins it, even beside latest)', withImage(`nginx:latest@sha256:${DIGEST}`)],
    ['a registry port and a tag', withImage('registry.local:5000/team/app:1.2.3')],
    ['a tag from a variable', withImage(`${repoUrl}:${'${var.image_tag}'}`)],
    ['a digest from a reference', withImage(`${repoUrl}@${ref('terraform_data.Build', 'output')}`)],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-K8S-006')).toEqual([]);
  });

  it('judges only the text after the last reference', () => {
    expect(splitAtLastExpression('${a.b}:x${c.d}:v1')).toEqual({ before: '${a.b}:x', expression: '${c.d}', after: ':v1' });
    expect(splitAtLastExpression('${lookup({a = "b"}, "a")}:v1')).toEqual({ before: '', expression: '${lookup({a = "b"}, "a")}', after: ':v1' });
    expect(splitAtLastExpression('nginx:1.27')).toEqual({ before: '', expression: '', after: 'nginx:1.27' });
    expect(imagePinProblem('${a.b}:latest-${c.d}')).toMatch(/ends in a Terraform expression/);
    expect(imagePinProblem('${a.latest}:1.0')).toBeUndefined();
    expect(imagePinProblem('${a.b}:${c.d}')).toBeUndefined();
  });
});

describe('GAI-K8S-007 capabilities drop ALL', () => {
  it.each<FailCase>([
    [
      'no capabilities block',
      mutate(base, DEPLOYMENT, (c) => delete securityOf(containerOf(c)).capabilities),
      DEPLOYMENT,
      [/^container "server": security_context\.capabilities\.drop does not include "ALL", so the runtime's default capabilities are kept/],
    ],
    [
      'dropping only NET_RAW on an init container',
      mutate(base, DEPLOYMENT, (c) => (securityOf(containerOf(c, 'init_container')).capabilities = [{ drop: ['NET_RAW'] }])),
      DEPLOYMENT,
      [/^init container "fetcher": security_context\.capabilities\.drop is \["NET_RAW"\] and does not include "ALL"/],
    ],
    [
      'ALL added instead of dropped',
      mutate(base, JOB, (c) => (securityOf(containerOf(c, 'container', 'kubernetes_job_v1')).capabilities = { add: ['ALL'] })),
      JOB,
      [/^container "server": security_context\.capabilities\.drop does not include "ALL"/],
    ],
  ])('warns for %s', (_name, json, address, messages) => expectFindings('GAI-K8S-007', 'warning', json, address, messages));

  it.each([
    ['ALL dropped everywhere', base],
    ['capabilities as a one-element list, adding back one', mutate(base, DEPLOYMENT, (c) => {
      securityOf(containerOf(c)).capabilities = [{ drop: ['ALL'], add: ['NET_BIND_SERVICE'] }];
    })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-K8S-007')).toEqual([]);
  });
});

describe('GAI-HELM-001 pinned charts', () => {
  it.each<FailCase>([
    ['no version', patch(base, REMOTE_RELEASE, { version: undefined }), REMOTE_RELEASE, [/^version is not set, so the latest chart release is installed/]],
    ['a caret range', patch(base, REMOTE_RELEASE, { version: '^1.2' }), REMOTE_RELEASE, [/^version "\^1\.2" is not an exact chart version/]],
    ['a tilde range', patch(base, REMOTE_RELEASE, { version: '~1.14.0' }), REMOTE_RELEASE, [/^version "~1\.14\.0" is not an exact/]],
    ['a partial version', patch(base, REMOTE_RELEASE, { version: '1.14' }), REMOTE_RELEASE, [/^version "1\.14" is not an exact/]],
    ['a wildcard', patch(base, REMOTE_RELEASE, { version: '1.x' }), REMOTE_RELEASE, [/^version "1\.x" is not an exact/]],
    ['a version from a variable', patch(base, REMOTE_RELEASE, { version: '${var.chart_version}' }), REMOTE_RELEASE, [/is not an exact chart version/]],
    [
      'a plain-http repository',
      patch(base, REMOTE_RELEASE, { repository: 'http://charts.example.com' }),
      REMOTE_RELEASE,
      [/^repository "http:\/\/charts\.example\.com" is not an https:\/\/ or oci:\/\/ URL/],
    ],
    [
      'a chart name with no repository (a local repo cache or helm repo add)',
      patch(base, REMOTE_RELEASE, { repository: undefined }),
      REMOTE_RELEASE,
      [/^repository is not set and chart "karpenter" is not a local chart/],
    ],
    [
      'a local chart path not written as ./',
      patch(base, LOCAL_RELEASE, { chart: 'assets/NodePools_Chart' }),
      LOCAL_RELEASE,
      [/^repository is not set and chart "assets\/NodePools_Chart" is not a local chart/, /^version is not set/],
    ],
  ])('fails for %s', (_name, json, address, messages) => expectFindings('GAI-HELM-001', 'error', json, address, messages));

  it.each([
    ['an oci:// repository with an exact version, and a local chart', base],
    ['an https:// repository with a v-prefixed version', patch(base, REMOTE_RELEASE, { repository: 'https://kedacore.github.io/charts', version: 'v2.20.2' })],
    ['a pre-release version', patch(base, REMOTE_RELEASE, { version: '1.0.0-rc.1' })],
    ['a chart given as an oci:// URL', patch(base, REMOTE_RELEASE, { repository: undefined, chart: 'oci://public.ecr.aws/karpenter/karpenter' })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-HELM-001')).toEqual([]);
  });

  it('accepts exact versions only', () => {
    for (const v of ['1.2.3', 'v0.20.0', '88.5.3', '1.0.0-rc.1', '1.2.3+build.5']) expect(EXACT_CHART_VERSION.test(v), v).toBe(true);
    for (const v of ['1.2', '^1.2.3', '>=1.2.3', '1.2.*', 'latest', '1.2.3 || 1.2.4', '']) expect(EXACT_CHART_VERSION.test(v), v).toBe(false);
  });
});

describe('GAI-HELM-002 atomic releases', () => {
  it.each<FailCase>([
    ['atomic unset', patch(base, REMOTE_RELEASE, { atomic: undefined }), REMOTE_RELEASE, [/^atomic is \(unset\), not true, so a failed install or upgrade is not rolled back/]],
    ['atomic false on a local chart', patch(base, LOCAL_RELEASE, { atomic: false }), LOCAL_RELEASE, [/^atomic is false, not true/]],
  ])('warns for %s', (_name, json, address, messages) => expectFindings('GAI-HELM-002', 'warning', json, address, messages));

  it.each([
    ['atomic true', base],
    ['atomic "true"', patch(base, REMOTE_RELEASE, { atomic: 'true' })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-HELM-002')).toEqual([]);
  });
});

describe('GAI-SNS-001 topics use a customer-managed key', () => {
  it.each<FailCase>([
    ['no key', patch(base, TOPIC, { kms_master_key_id: undefined }), TOPIC, [/^kms_master_key_id is not set, so no server-side encryption is used/]],
    ['the AWS-managed alias', patch(base, TOPIC, { kms_master_key_id: 'alias/aws/sns' }), TOPIC, [/^kms_master_key_id is the AWS-managed key "alias\/aws\/sns"/]],
    [
      'the AWS-managed alias ARN',
      patch(base, TOPIC, { kms_master_key_id: 'arn:aws:kms:eu-west-1:111122223333:alias/aws/sns' }),
      TOPIC,
      [/AWS-managed key "arn:aws:kms:eu-west-1:111122223333:alias\/aws\/sns"/],
    ],
  ])('fails for %s', (_name, json, address, messages) => expectFindings('GAI-SNS-001', 'error', json, address, messages));

  it.each([
    ['a key referenced by ARN', base],
    ['a customer-managed alias', patch(base, TOPIC, { kms_master_key_id: 'alias/gai-dev-alarms' })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-SNS-001')).toEqual([]);
  });
});

describe('GAI-SNS-002 topic policies deny plain HTTP', () => {
  const allowOnly = policyJson({ Sid: 'AllowCloudwatch', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: ref(TOPIC, 'arn') });

  it.each<FailCase>([
    ['no topic policy', remove(base, TOPIC_POLICY), TOPIC, [/^no aws_sns_topic_policy is attached to this topic, so plain-HTTP requests are not refused/]],
    [
      'a policy without the Deny',
      patch(base, TOPIC_POLICY, { policy: allowOnly }),
      TOPIC,
      [/^the policy in aws_sns_topic_policy\.Alerts_Policy has no Deny statement with condition Bool aws:SecureTransport = "false"/],
    ],
    [
      'the TLS policy attached to another topic',
      add(patch(base, TOPIC_POLICY, { arn: ref('aws_sns_topic.Other', 'arn') }), 'aws_sns_topic.Other', { name: 'other', kms_master_key_id: KEY_ARN }),
      TOPIC,
      [/^no aws_sns_topic_policy is attached to this topic/],
    ],
    ['an unreadable policy', patch(base, TOPIC_POLICY, { policy: '${jsonencode(local.policy)}' }), TOPIC, [/cannot be read at synth/]],
  ])('warns for %s', (_name, json, address, messages) => expectFindings('GAI-SNS-002', 'warning', json, address, messages));

  it.each([
    ['an aws_sns_topic_policy with the Deny', base],
    ['the Deny in the topic\'s own policy attribute', patch(remove(base, TOPIC_POLICY), TOPIC, { policy: JSON.parse(JSON.stringify((base.resource.aws_sns_topic_policy.Alerts_Policy as Config).policy)) })],
    [
      'a policy document data source',
      add(
        patch(base, TOPIC_POLICY, { policy: ref('data.aws_iam_policy_document.TopicTls', 'json') }),
        'data.aws_iam_policy_document.TopicTls',
        {
          statement: [
            {
              effect: 'Deny',
              principals: [{ type: 'AWS', identifiers: ['*'] }],
              actions: ['sns:Publish'],
              resources: [ref(TOPIC, 'arn')],
              condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
            },
          ],
        },
      ),
    ],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-SNS-002')).toEqual([]);
  });
});

describe('GAI-CW-001 alarms have actions', () => {
  it.each<FailCase>([
    ['no alarm_actions', patch(base, ALARM, { alarm_actions: undefined }), ALARM, [/^alarm_actions is empty or not set, so nobody is notified when the alarm fires/]],
    ['an empty list', patch(base, ALARM, { alarm_actions: [] }), ALARM, [/^alarm_actions is empty or not set/]],
    ['only blank entries', patch(base, ALARM, { alarm_actions: [''] }), ALARM, [/^alarm_actions is \[""\], so nobody is notified/]],
    ['only ok_actions', patch(base, ALARM, { alarm_actions: undefined, ok_actions: [ref(TOPIC, 'arn')] }), ALARM, [/^alarm_actions is empty or not set/]],
    ['actions disabled', patch(base, ALARM, { actions_enabled: false }), ALARM, [/^actions_enabled is false, so the alarm actions never run/]],
  ])('warns for %s', (_name, json, address, messages) => expectFindings('GAI-CW-001', 'warning', json, address, messages));

  it.each([
    ['a topic as alarm action', base],
    ['actions from a variable', patch(base, ALARM, { alarm_actions: '${var.alarm_actions}' })],
    ['actions_enabled true', patch(base, ALARM, { actions_enabled: true })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-CW-001')).toEqual([]);
  });
});

describe('the reference deployment (stacks/main.ts) under the workload rules', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'gaiops-workload-rules-'));
  const stacks: Record<string, TfJson> = {};
  beforeAll(() => {
    // The dev platform: prod has the same workloads (its presets change sizes and protections).
    buildReferenceApp({ outdir, platforms: ['dev'] }).synth();
    for (const name of readdirSync(join(outdir, 'stacks'))) {
      stacks[name] = JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
    }
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('has workloads, releases, topics and alarms for the rules to check', () => {
    const checked = new Set(WORKLOAD_RULES.flatMap((r) => r.appliesTo));
    const counts: Record<string, number> = {};
    for (const json of Object.values(stacks)) {
      for (const [type, byName] of Object.entries(json.resource ?? {})) if (checked.has(type)) counts[type] = (counts[type] ?? 0) + Object.keys(byName).length;
    }
    expect(counts.kubernetes_deployment_v1).toBeGreaterThanOrEqual(3);
    expect(counts.helm_release).toBeGreaterThanOrEqual(9);
    expect(counts.aws_sns_topic).toBeGreaterThanOrEqual(1);
    expect(counts.aws_cloudwatch_metric_alarm).toBeGreaterThan(10);
  });

  it('raises no finding in any stack', () => {
    expect(Object.keys(stacks).sort()).toEqual(['dev-access', 'dev-addons', 'dev-cluster', 'dev-data', 'dev-observability', 'dev-workloads']);
    for (const [name, json] of Object.entries(stacks)) {
      expect(evaluatePolicies(json, WORKLOAD_RULES).map((f) => `${f.ruleId} ${f.address}: ${f.message}`), name).toEqual([]);
    }
  });
});
