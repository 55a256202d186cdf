import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { EncryptionKey } from '../../src/core/encryption-key';
import { GaiConfigError } from '../../src/core/errors';
import { unknownValueKeys } from '../../src/core/helm/pinned-chart';
import { activeFindings, evaluatePolicies } from '../../src/core/policy/engine';
import { CORE_RULES } from '../../src/core/policy/rules';
import { KUBERNETES_RULES } from '../../src/core/policy/rules/kubernetes';
import { SecureBucket } from '../../src/core/secure-bucket';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { GPU_TAINT } from '../../src/gpu-training-cluster/node-pools';
import { type AccessLogEntry, formatAccessLine } from '../../src/inference-service/runtime/gateway/access-log';
import {
  ACCESS_LOG_LINE_REGEX,
  FLUENT_BIT_CHART,
  FLUENT_BIT_HTTP_PORT,
  GatewayLogShipping,
  gatewayLogKeyFormat,
  gatewayLogPath,
  LOG_SHIPPING_STATE_DIR,
  renderFluentBitPipeline,
} from '../../src/monitoring-stack/log-shipping';
import type { GatewayLogShippingProps } from '../../src/monitoring-stack/log-shipping-schema';
import { readJsonRows } from '../../src/monitoring-stack/runtime/drift/json-lines';
import { FieldLayout } from '../../src/monitoring-stack/runtime/drift/record-decoder';
import { TELEMETRY_PREFIXES } from '../../src/platform/gai-platform';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { podIdentityTrustStatement } from '../support/pod-identity';
import { byPath, only, platformStack, policy, resources, synth, type TfJson } from '../support/synth';

type Values = Record<string, any>;

/** A stack with the telemetry bucket (own key) and the construct, as GaiPlatform's observability layer holds them. */
function build(props: Partial<GatewayLogShippingProps> = {}): { construct: GatewayLogShipping; json: TfJson; bucket: SecureBucket } {
  const stack = platformStack({}, 'observability');
  const { kubernetes, helm } = ClusterProviders.configure(stack, TEST_CLUSTER);
  const bucket = new SecureBucket(stack, 'Telemetry', { encryptionKey: new EncryptionKey(stack, 'TelemetryKey', { services: ['logs'] }) });
  const construct = new GatewayLogShipping(stack, 'LogShipping', {
    cluster: TEST_CLUSTER,
    bucket,
    services: [{ name: 'chat' }, { name: 'summarize', namespace: 'nlp' }],
    kubernetesProvider: kubernetes,
    helmProvider: helm,
    ...props,
  });
  return { construct, json: synth(stack), bucket };
}

/** `[name, [[key, value], …]]` per section of a classic-format Fluent Bit configuration. */
function sections(text: string): [string, [string, string][]][] {
  const out: [string, [string, string][]][] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const header = /^\[([A-Z]+)\]$/.exec(line);
    if (header) {
      out.push([header[1], []]);
      continue;
    }
    const entry = /^ {4}(\S+)\s+(.+)$/.exec(line);
    if (!entry || out.length === 0) throw new Error(`not a classic-format line: ${JSON.stringify(line)}`);
    out[out.length - 1][1].push([entry[1], entry[2]]);
  }
  return out;
}

const entry = (over: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  requestId: 'req-1',
  keyAlias: 'team-a',
  team: 'vision',
  variant: 'blue',
  model: 'chat',
  route: 'chat',
  status: 200,
  errorCode: null,
  stream: false,
  attempts: 1,
  latencyMs: 42,
  ttftMs: null,
  usageInput: 12,
  usageOutput: 30,
  costUsd: 0.0001,
  userHash: 'abcdef0123456789',
  ...over,
});

describe('GatewayLogShipping (defaults, two services)', () => {
  let construct: GatewayLogShipping;
  let json: TfJson;
  let values: Values;
  beforeAll(() => {
    ({ construct, json } = build());
    values = construct.release.values as Values;
  });

  it('installs the fluent-bit chart at the exact pinned version, atomically, with verified value keys only', () => {
    const release = only(json, 'helm_release');
    expect(release).toMatchObject({
      name: 'gateway-log-shipping',
      repository: 'https://fluent.github.io/helm-charts',
      chart: 'fluent-bit',
      version: '0.58.1',
      atomic: true,
      cleanup_on_fail: true,
      wait: true,
      create_namespace: false,
      timeout: 600,
      provider: 'helm',
    });
    expect(release.namespace).toMatch(/^\$\{kubernetes_namespace_v1\.LogShipping_Namespace_[A-Z0-9]+\.metadata\[0\]\.name\}$/);
    expect(release.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_eks_pod_identity_association\./), expect.stringMatching(/^kubernetes_namespace_v1\./), expect.stringMatching(/^kubernetes_network_policy_v1\./)]),
    );
    expect(unknownValueKeys(FLUENT_BIT_CHART, values)).toEqual([]);
    expect(values.image).toEqual({ repository: 'cr.fluentbit.io/fluent/fluent-bit', tag: '5.1.1' });
  });

  it('runs a DaemonSet without Kubernetes API access: no ClusterRole, no service-account token, no test pod', () => {
    expect(values.kind).toBe('DaemonSet');
    expect(values.fullnameOverride).toBe('gateway-log-shipping');
    expect(values.rbac).toEqual({ create: false });
    expect(values.serviceAccount).toEqual({ create: true, name: 'gateway-log-shipping', automountServiceAccountToken: false });
    expect(values.testFramework).toEqual({ enabled: false });
    expect(values.serviceMonitor).toEqual({ enabled: true });
  });

  it('locks the container down as far as a node log tailer allows: no capability, no escalation, read-only root, /var/log read-only', () => {
    expect(values.podSecurityContext).toEqual({ runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(values.daemonSetVolumes).toEqual([
      { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'state', hostPath: { path: '/var/lib/gaiops/log-shipping/gateway-log-shipping', type: 'DirectoryOrCreate' } },
    ]);
    expect(values.daemonSetVolumeMounts).toEqual([
      { name: 'varlog', mountPath: '/var/log', readOnly: true },
      { name: 'state', mountPath: LOG_SHIPPING_STATE_DIR },
    ]);
    expect(values.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '128Mi' } });
    expect(values.livenessProbe.httpGet).toEqual({ path: '/', port: 'http' });
    expect(values.readinessProbe.httpGet).toEqual({ path: '/api/v2/health', port: 'http' });
    expect(values.terminationGracePeriodSeconds).toBeGreaterThan(30);
  });

  it('schedules where gateways run: Linux nodes without taints, so neither GPU nor system nodes', () => {
    expect(values.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(values.tolerations).toEqual([]);
  });

  it('tails only each service’s gateway container logs with the CRI parser, one offset database each', () => {
    const inputs = sections(values.config.inputs);
    expect(inputs.map(([name]) => name)).toEqual(['INPUT', 'INPUT']);
    expect(Object.fromEntries(inputs[0][1])).toEqual({
      Name: 'tail',
      Alias: 'gateway-chat',
      Tag: 'gateway.chat',
      Path: '/var/log/containers/chat-gateway-*_chat_gateway-*.log',
      'multiline.parser': 'cri',
      DB: '/var/lib/fluent-bit/tail-chat.db',
      'DB.locking': 'true',
      Read_from_Head: 'On',
      Refresh_Interval: '10',
      Rotate_Wait: '30',
      Mem_Buf_Limit: '5MB',
      Skip_Long_Lines: 'On',
    });
    expect(Object.fromEntries(inputs[1][1])).toMatchObject({ Tag: 'gateway.summarize', Path: '/var/log/containers/summarize-gateway-*_nlp_gateway-*.log', DB: '/var/lib/fluent-bit/tail-summarize.db' });
  });

  it('keeps only stdout access-log records', () => {
    const filters = sections(values.config.filters);
    expect(filters).toEqual([
      [
        'FILTER',
        [
          ['Name', 'grep'],
          ['Alias', 'gateway-access-lines'],
          ['Match', 'gateway.*'],
          ['Regex', 'stream ^stdout$'],
          ['Regex', 'log ^[{].level.:.INFO.,.message.:.access.,'],
        ],
      ],
    ]);
  });

  it('uploads the bare JSON lines, gzip, with PutObject, under gateway/<service>/ (the DriftDetector window prefix)', () => {
    const outputs = sections(values.config.outputs).map(([, e]) => Object.fromEntries(e));
    expect(outputs).toHaveLength(2);
    expect(outputs[0]).toEqual({
      Name: 's3',
      Alias: 'gateway-chat',
      Match: 'gateway.chat',
      bucket: expect.stringMatching(/^\$\{TfToken\[TOKEN\.\d+\]\}$/),
      region: 'eu-west-1',
      s3_key_format: '/gateway/chat/%Y/%m/%d/%H/$UUID.jsonl.gz',
      log_key: 'log',
      compression: 'gzip',
      content_type: 'application/x-ndjson',
      use_put_object: 'On',
      total_file_size: '10M',
      upload_timeout: '10m',
      store_dir: '/var/lib/fluent-bit/s3/chat',
      store_dir_limit_size: '500M',
      quarantine_dir_limit_size: '500M',
    });
    expect(outputs[1]).toMatchObject({ Match: 'gateway.summarize', s3_key_format: '/gateway/summarize/%Y/%m/%d/%H/$UUID.jsonl.gz', store_dir: '/var/lib/fluent-bit/s3/summarize' });
    // Fluent Bit drops the leading `/` of the key format (path-style URI /<bucket><key>).
    for (const service of ['chat', 'summarize']) {
      expect(gatewayLogKeyFormat('gateway/', service).slice(1).startsWith(TELEMETRY_PREFIXES.gateway(service))).toBe(true);
      expect(construct.prefixes[service]).toBe(TELEMETRY_PREFIXES.gateway(service));
    }
  });

  it('has no quote, backslash or template sequence in any value string (cdktf writes them into an HCL jsonencode unescaped)', () => {
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(values);
    expect(strings.length).toBeGreaterThan(20);
    for (const s of strings) expect(s.replace(/\$\{TfToken\[TOKEN\.\d+\]\}/g, '')).not.toMatch(/["\\]|\$\{|%\{/);
  });

  it('puts the bucket name (a reference) and Fluent Bit’s HTTP server into the synthesized values', () => {
    const release = only(json, 'helm_release');
    expect(release.values).toHaveLength(1);
    const text: string = release.values[0];
    expect(text).toMatch(/bucket +\$\{aws_s3_bucket\.Telemetry_[A-Za-z0-9_]+\.bucket\}/);
    expect(text).toContain('/gateway/chat/%Y/%m/%d/%H/$UUID.jsonl.gz');
    const service = Object.fromEntries(sections(values.config.service)[0][1]);
    expect(service).toMatchObject({ HTTP_Server: 'On', HTTP_Port: String(FLUENT_BIT_HTTP_PORT), Health_Check: 'On', Grace: '30' });
  });

  it('grants exactly PutObject under each service prefix and GenerateDataKey through S3 for this bucket', () => {
    const role = only(json, 'aws_iam_role');
    expect(policy(role.assume_role_policy).Statement).toEqual([podIdentityTrustStatement('gai-test-training', 'gaiops-logging', 'gateway-log-shipping')]);
    const inline = resources(json, 'aws_iam_role_policy');
    expect(inline).toHaveLength(1);
    const statements = policy(inline[0][1].policy).Statement;
    expect(statements).toHaveLength(2);
    const [put, kms] = statements;
    expect(put).toMatchObject({ Sid: 'PutGatewayLogs', Effect: 'Allow', Action: 's3:PutObject' });
    expect(put.Resource).toHaveLength(2);
    expect(put.Resource[0]).toMatch(/^\$\{aws_s3_bucket\.Telemetry_[A-Za-z0-9_]+\.arn\}\/gateway\/chat\/\*$/);
    expect(put.Resource[1]).toMatch(/\/gateway\/summarize\/\*$/);
    expect(kms).toMatchObject({ Effect: 'Allow', Action: 'kms:GenerateDataKey' });
    expect(kms.Resource).toMatch(/^\$\{aws_kms_key\.TelemetryKey_[A-Za-z0-9_]+\.arn\}$/);
    expect(kms.Condition.StringEquals['kms:ViaService']).toBe('s3.eu-west-1.amazonaws.com');
    expect(kms.Condition.StringEquals['kms:EncryptionContext:aws:s3:arn']).toMatch(/^\$\{aws_s3_bucket\.Telemetry_[A-Za-z0-9_]+\.arn\}$/);
    expect(construct.grants.flatMap((g) => g.actions).sort()).toEqual(['kms:GenerateDataKey', 's3:PutObject']);
    expect(only(json, 'aws_eks_pod_identity_association')).toMatchObject({
      cluster_name: 'gai-test-training',
      service_account: 'gateway-log-shipping',
      disable_session_tags: false,
    });
  });

  it('creates its own namespace (privileged: hostPath) with default-deny and only DNS, HTTPS, Pod Identity and metrics traffic', () => {
    expect(only(json, 'kubernetes_namespace_v1').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'app.kubernetes.io/managed-by': 'gaiops',
    });
    const policies = resources(json, 'kubernetes_network_policy_v1').map(([, c]) => c);
    expect(policies.map((c) => c.metadata.name).sort()).toEqual(['allow-dns', 'default-deny', 'log-shipping-egress', 'log-shipping-metrics']);
    const egress = byPath(json, 'kubernetes_network_policy_v1', 'LogShipping/Egress');
    expect(egress.spec.pod_selector.match_labels).toEqual({ 'app.kubernetes.io/component': 'gateway-log-shipping', 'app.kubernetes.io/instance': 'gateway-log-shipping' });
    expect(egress.spec.egress).toEqual([
      { to: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }] },
      { to: [{ ip_block: { cidr: '169.254.170.23/32' } }], ports: [{ port: '80', protocol: 'TCP' }] },
    ]);
    const metrics = byPath(json, 'kubernetes_network_policy_v1', 'LogShipping/MetricsIngress');
    expect(metrics.spec.ingress).toEqual([
      { from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: '2020', protocol: 'TCP' }] },
    ]);
    expect(values.podLabels).toEqual({ 'app.kubernetes.io/component': 'gateway-log-shipping' });
  });

  it('passes the core policy pack with zero findings', () => {
    expect(activeFindings(evaluatePolicies(json as never, [...CORE_RULES]))).toEqual([]);
  });

  it('fails only the non-root rule (GAI-K8S-001) when the chart’s pod is checked by the Kubernetes rules', () => {
    // The policy pack reads Terraform resources, not a chart's rendered pods: check the pod the
    // chart renders from these values (_pod.tpl) as if it were a kubernetes_daemon_set_v1.
    const snake = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(snake)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(x)]))
          : v;
    const pod = snake({
      securityContext: values.podSecurityContext,
      hostNetwork: false,
      container: [
        {
          name: 'fluent-bit',
          image: `${values.image.repository}:${values.image.tag}`,
          securityContext: values.securityContext,
          resources: values.resources,
          livenessProbe: values.livenessProbe,
          readinessProbe: values.readinessProbe,
        },
      ],
    });
    const stackJson = { resource: { kubernetes_daemon_set_v1: { chart_pod: { spec: { template: { spec: pod } } } } } };
    const findings = activeFindings(evaluatePolicies(stackJson, KUBERNETES_RULES));
    expect(findings.map((f) => f.ruleId)).toEqual(['GAI-K8S-001', 'GAI-K8S-001']);
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining('run_as_non_root is false'), expect.stringContaining('run_as_user is 0 (root)')]);
  });
});

describe('the access-log filter and the uploaded objects', () => {
  it('matches every gateway access-log line and no other gateway log line', () => {
    const regex = new RegExp(ACCESS_LOG_LINE_REGEX);
    const lines = [
      formatAccessLine(entry(), '2026-11-26T10:00:00.000Z'),
      formatAccessLine(entry({ status: 429, errorCode: 'rate_limited', variant: null, attempts: 0 }), '2026-11-26T10:00:01.000Z'),
      formatAccessLine(entry({ prompt: '[REDACTED] hello', completion: 'hi' }), '2026-11-26T10:00:02.000Z'),
    ];
    for (const line of lines) expect(regex.test(line)).toBe(true);
    const others = [
      JSON.stringify({ level: 'INFO', message: 'gateway listening', timestamp: '2026-11-26T10:00:00.000Z', service: 'inference-gateway', port: 8080 }),
      JSON.stringify({ level: 'ERROR', message: 'access', timestamp: '2026-11-26T10:00:00.000Z' }),
      JSON.stringify({ level: 'WARN', message: 'config reloaded' }),
      'plain text from a crashing process',
    ];
    for (const line of others) expect(regex.test(line)).toBe(false);
  });

  it('produces objects the DriftDetector reads: log_key lines joined by newlines, gzip', async () => {
    // What the S3 output uploads with `log_key log`: each record's `log` value and "\n", gzip-compressed.
    const lines = [0, 1, 2].map((i) => formatAccessLine(entry({ requestId: `req-${i}`, latencyMs: 10 * i }), '2026-11-26T10:00:00.000Z'));
    const body = gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
    const layout = new FieldLayout(['requestId', 'message', 'latencyMs', 'usageOutput']);
    const rows: unknown[][] = [];
    const counts = await readJsonRows(Readable.from([body]), layout, (row) => rows.push([...row]), { maxLineBytes: 1 << 20 });
    expect(counts).toMatchObject({ lines: 3, records: 3, corrupt: 0 });
    expect(rows).toEqual([
      ['req-0', 'access', 0, 30],
      ['req-1', 'access', 10, 30],
      ['req-2', 'access', 20, 30],
    ]);
  });

  it('renders the pipeline as a pure function of its options', () => {
    const pipeline = renderFluentBitPipeline({
      services: [{ name: 'a', namespace: 'team-a' }],
      bucket: 'telemetry',
      region: 'us-east-2',
      keyPrefix: 'logs/gw/',
      uploadTimeoutMinutes: 5,
      totalFileSizeMB: 2,
      bufferLimitMB: 100,
    });
    expect(gatewayLogPath('a', 'team-a')).toBe('/var/log/containers/a-gateway-*_team-a_gateway-*.log');
    const out = Object.fromEntries(sections(pipeline.outputs)[0][1]);
    expect(out).toMatchObject({ bucket: 'telemetry', region: 'us-east-2', s3_key_format: '/logs/gw/a/%Y/%m/%d/%H/$UUID.jsonl.gz', total_file_size: '2M', upload_timeout: '5m', store_dir_limit_size: '100M' });
    expect(sections(pipeline.inputs)).toHaveLength(1);
  });
});

describe('GatewayLogShipping (options)', () => {
  it('takes tolerations, a mirrored image, a key prefix, a region, upload settings and resources', () => {
    const { construct, json } = build({
      services: [{ name: 'chat' }],
      tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }],
      image: { repository: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/mirror/fluent-bit', tag: '5.1.1' },
      keyPrefix: 'telemetry/gateway/',
      region: 'eu-central-1',
      uploadTimeoutMinutes: 5,
      totalFileSizeMB: 20,
      resources: { memoryLimit: '256Mi' },
      serviceMonitor: false,
      namespace: 'logging',
      name: 'gw-logs',
      monitoringNamespace: 'observability',
    });
    const values = construct.release.values as Values;
    expect(unknownValueKeys(FLUENT_BIT_CHART, values)).toEqual([]);
    expect(values.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(values.image).toEqual({ repository: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/mirror/fluent-bit', tag: '5.1.1' });
    expect(values.resources.limits.memory).toBe('256Mi');
    expect(values.serviceMonitor).toEqual({ enabled: false });
    const out = Object.fromEntries(sections(values.config.outputs)[0][1]);
    expect(out).toMatchObject({ region: 'eu-central-1', s3_key_format: '/telemetry/gateway/chat/%Y/%m/%d/%H/$UUID.jsonl.gz', upload_timeout: '5m', total_file_size: '20M' });
    expect(policy(only(json, 'aws_iam_role_policy').policy).Statement[0].Resource).toMatch(/^\$\{aws_s3_bucket\.Telemetry_[A-Za-z0-9_]+\.arn\}\/telemetry\/gateway\/chat\/\*$/);
    expect(only(json, 'helm_release').name).toBe('gw-logs');
    expect(policy(only(json, 'aws_iam_role').assume_role_policy).Statement).toEqual([podIdentityTrustStatement('gai-test-training', 'logging', 'gw-logs')]);
    expect(byPath(json, 'kubernetes_network_policy_v1', 'LogShipping/MetricsIngress').spec.ingress[0].from[0].namespace_selector.match_labels).toEqual({
      'kubernetes.io/metadata.name': 'observability',
    });
    expect(activeFindings(evaluatePolicies(json as never, [...CORE_RULES]))).toEqual([]);
  });

  it('refuses bad props with one GaiConfigError naming every field', () => {
    const stack = platformStack();
    const bucket = new SecureBucket(stack, 'Telemetry');
    let error: unknown;
    try {
      new GatewayLogShipping(stack, 'LogShipping', {
        cluster: TEST_CLUSTER,
        bucket,
        services: [{ name: 'chat' }, { name: 'chat' }, { name: 'Bad_Name' }],
        keyPrefix: '/gateway',
        totalFileSizeMB: 51,
        uploadTimeoutMinutes: 0,
        resources: { memoryRequest: '1Gi' },
        image: { repository: 'cr.fluentbit.io/fluent/fluent-bit', tag: 'latest' },
        httpsEgressCidrs: ['everywhere'],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GaiConfigError);
    const message = (error as Error).message;
    expect(message).toContain('(8 problems)');
    for (const field of ['services[1].name: duplicate service chat', 'services[2].name: must be an InferenceService name', 'keyPrefix:', 'totalFileSizeMB:', 'uploadTimeoutMinutes:', 'resources.memoryRequest: must not exceed memoryLimit', 'image.tag: must be a pinned tag', 'httpsEgressCidrs[0]:']) {
      expect(message).toContain(`teststack/LogShipping: ${field}`);
    }
    expect(() => new GatewayLogShipping(stack, 'NoServices', { cluster: TEST_CLUSTER, bucket, services: [] })).toThrow(/NoServices: services:/);
    expect(() => new GatewayLogShipping(stack, 'NoBucket', { cluster: TEST_CLUSTER, bucket: { bucketName: 'x' } as never, services: [{ name: 'chat' }] })).toThrow(/NoBucket: bucket: must be a SecureBucket/);
  });

  it('refuses value keys the pinned chart does not read', () => {
    expect(unknownValueKeys(FLUENT_BIT_CHART, { rbac: { create: false, nodeAccess: true }, config: { inputs: '' }, securityContex: {} })).toEqual(['rbac.nodeAccess', 'securityContex']);
  });
});
