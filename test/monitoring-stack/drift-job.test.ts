/**
 * DriftJob (the drift analysis as a Kubernetes CronJob) and DriftDetector `runAs`: synth assertions
 * (CronJob spec and security, the environment identical to the Lambda's, Pod Identity and the
 * role's grants = the Lambda's), the policy pack, failure cases, the schedule conversion, and the
 * container entry end to end on s3rver, the fake SNS and a local CloudWatch endpoint, producing the
 * same report as the Lambda handler for the same inputs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, EncryptionKey, FeatureStore, GaiConfigError, PlatformStack, SecureBucket } from '../../src';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { type DriftConfigInput, driftEnvironment } from '../../src/monitoring-stack/drift-config';
import { DriftDetector, type DriftDetectorProps } from '../../src/monitoring-stack/drift-detector';
import { DriftJob, defaultDriftJobName } from '../../src/monitoring-stack/drift-job';
import type { DriftJobProps } from '../../src/monitoring-stack/drift-job-schema';
import { kubernetesSchedule } from '../../src/monitoring-stack/drift-job-schema';
import { DRIFT_METRICS } from '../../src/monitoring-stack/metric-names';
import { PlatformAlarms } from '../../src/monitoring-stack/platform-alarms';
import type { DriftReport } from '../../src/monitoring-stack/runtime/drift/analysis';
import { createDriftLambdaHandler } from '../../src/monitoring-stack/runtime/drift/lambda';
import { EXIT_CODES, main } from '../../src/monitoring-stack/runtime/drift/main';
import { REFERENCE_FEATURE_GROUPS } from '../../stacks/main';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { type EmbeddedS3, startS3 } from '../support/embedded-aws';
import { type FakeSns, startFakeSns } from '../support/fake-sns';
import { podIdentityTrustStatement } from '../support/pod-identity';
import { SETTINGS, type TfJson, byPath, only, platformStack, policy, resources, synth } from '../support/synth';

const VERSION = 'ab'.repeat(32);

function detectorProps(features: FeatureStore, logs: SecureBucket, alarms: PlatformAlarms, overrides: Partial<DriftDetectorProps> = {}): DriftDetectorProps {
  return {
    model: 'churn-model',
    dataset: 'customers',
    baseline: { featureStore: features, group: 'customers', versionId: VERSION },
    window: { bucket: logs, prefix: 'predictions/churn/' },
    columns: [
      { name: 'lifetime_value', type: 'numeric' },
      { name: 'age_band', type: 'categorical' },
    ],
    fairness: { sensitiveAttributes: ['gender'], predictionColumn: 'churn', positiveValue: true },
    alertTopic: alarms.topic,
    ...overrides,
  };
}

/** The same detector (and, for `kubernetes`, a DriftJob) in a fresh stack with the same construct ids. */
function build(runAs: 'lambda' | 'kubernetes', jobProps: Partial<DriftJobProps> = {}, detector: Partial<DriftDetectorProps> = {}) {
  const stack = platformStack();
  const features = new FeatureStore(stack, 'Features', { featureGroups: REFERENCE_FEATURE_GROUPS.slice(0, 1) });
  const logs = new SecureBucket(stack, 'PredictionLogs', { encryptionKey: new EncryptionKey(stack, 'LogsKey') });
  const alarms = new PlatformAlarms(stack, 'Alarms', {});
  const drift = new DriftDetector(stack, 'Drift', detectorProps(features, logs, alarms, { runAs, ...detector }));
  let job: DriftJob | undefined;
  if (runAs === 'kubernetes') {
    const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
    job = new DriftJob(stack, 'DriftJob', { detector: drift, cluster: TEST_CLUSTER, kubernetesProvider: kubernetes, ...jobProps });
  }
  return { stack, drift, job, json: synth(stack) };
}

const actions = (s: { Action: string | string[] }) => [s.Action].flat();

describe('DriftJob', () => {
  const k8s = build('kubernetes');
  const lambda = build('lambda');
  const cron = only(k8s.json, 'kubernetes_cron_job_v1');
  const jobSpec = cron.spec.job_template.spec;
  const pod = jobSpec.template.spec;
  const container = pod.container[0];

  it('runs the drift image on the detector schedule, one run at a time, with deadlines, retries and clean-up', () => {
    expect(cron.metadata.name).toBe('drift-churn-model');
    expect(cron.metadata.namespace).toMatch(/^\$\{kubernetes_namespace_v1\..*\.metadata\[0\]\.name\}$/);
    expect(only(k8s.json, 'kubernetes_namespace_v1').metadata.name).toBe('gaiops-drift');
    expect(cron.spec).toMatchObject({ schedule: '0 * * * *', timezone: 'Etc/UTC', concurrency_policy: 'Forbid', starting_deadline_seconds: 600 });
    expect(jobSpec).toMatchObject({ backoff_limit: 1, active_deadline_seconds: 21_600, ttl_seconds_after_finished: '86400' });
    expect(jobSpec.pod_failure_policy.rule).toEqual([{ action: 'FailJob', on_exit_codes: { container_name: 'drift', operator: 'In', values: [2, 3] } }]);
    expect(pod.restart_policy).toBe('Never');
    expect(container.image).toMatch(/^\$\{aws_ecr_repository\..*\.repository_url\}:sha256-[0-9a-f]+$/);
    expect(container.args).toEqual(['--put-metrics']);
    expect(k8s.job!.schedule).toBe('0 * * * *');
  });

  it('runs restricted: non-root, no privilege escalation, read-only root with a sized /tmp, no capabilities, RuntimeDefault seccomp, no token', () => {
    expect(pod.security_context).toEqual({ run_as_non_root: true, run_as_user: '1000', run_as_group: '1000', fs_group: '1000', seccomp_profile: { type: 'RuntimeDefault' } });
    expect(container.security_context).toEqual({
      allow_privilege_escalation: false,
      privileged: false,
      read_only_root_filesystem: true,
      run_as_non_root: true,
      run_as_user: '1000',
      run_as_group: '1000',
      capabilities: { drop: ['ALL'] },
      seccomp_profile: { type: 'RuntimeDefault' },
    });
    expect(pod.automount_service_account_token).toBe(false);
    expect(container.volume_mount).toEqual([{ name: 'tmp', mount_path: '/tmp' }]);
    expect(pod.volume).toEqual([{ name: 'tmp', empty_dir: { size_limit: '1Gi' } }]);
    expect(container.resources).toEqual({ requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '2', memory: '8Gi' } });
    const namespace = only(k8s.json, 'kubernetes_namespace_v1');
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('gets exactly the environment of the Lambda form, plus region, HOME and a heap cap', () => {
    const lambdaEnv = byPath(lambda.json, 'aws_lambda_function', 'Drift/Function/Resource').environment.variables;
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    // The Lambda's own extras come from NodeFunction (source maps, the Powertools service name); the image's entrypoint enables source maps.
    expect(Object.keys(lambdaEnv).sort()).toEqual(['DRIFT_CONFIG', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME']);
    expect(env.DRIFT_CONFIG).toBe(lambdaEnv.DRIFT_CONFIG);
    expect(env).toEqual({ DRIFT_CONFIG: lambdaEnv.DRIFT_CONFIG, AWS_REGION: 'eu-west-1', HOME: '/tmp', NODE_OPTIONS: '--max-old-space-size=6144' });
    expect(k8s.drift.environment).toEqual(driftEnvironment(k8s.drift.config));
  });

  it('binds the ServiceAccount to a Pod Identity role holding the Lambda\'s grants, plus PutMetricData in the namespace', () => {
    const sa = only(k8s.json, 'kubernetes_service_account_v1');
    expect(sa.metadata.name).toBe('drift-churn-model');
    expect(sa.automount_service_account_token).toBe(false);
    const association = only(k8s.json, 'aws_eks_pod_identity_association');
    expect(association).toMatchObject({ cluster_name: TEST_CLUSTER.clusterName, disable_session_tags: false });
    expect(association.service_account).toMatch(/^\$\{kubernetes_service_account_v1\..*\.metadata\[0\]\.name\}$/);
    expect(association.role_arn).toMatch(/^\$\{aws_iam_role\..*DriftJob_Role.*\.arn\}$/);
    const role = byPath(k8s.json, 'aws_iam_role', 'DriftJob/Role/Resource');
    expect(policy(role.assume_role_policy).Statement).toEqual([podIdentityTrustStatement(TEST_CLUSTER.clusterName, 'gaiops-drift', 'drift-churn-model')]);
    const statementsOf = (json: typeof k8s.json, roleFragment: string) =>
      resources(json, 'aws_iam_role_policy')
        .filter(([, p]) => String(p.role).includes(roleFragment))
        .flatMap(([, p]) => policy(p.policy).Statement)
        .map(({ Sid: _sid, ...s }) => JSON.stringify(s));
    const jobStatements = statementsOf(k8s.json, 'DriftJob_Role');
    const lambdaStatements = statementsOf(lambda.json, 'Drift_Function');
    expect(jobStatements.length).toBeGreaterThan(0);
    const putMetrics = jobStatements.filter((s) => s.includes('cloudwatch:PutMetricData'));
    expect(putMetrics.map((s) => JSON.parse(s))).toEqual([
      { Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'gaiops/drift' } } },
    ]);
    // Every other statement of the job's role is one the Lambda has …
    for (const s of jobStatements.filter((x) => !putMetrics.includes(x))) expect(lambdaStatements).toContain(s);
    // … and every data grant of the Lambda (S3, SNS, their keys through the service) is the job's too.
    const dataGrants = lambdaStatements.filter((s) => /"(s3|sns):|kms:ViaService":"(s3|sns)\./.test(s));
    expect(dataGrants.length).toBeGreaterThanOrEqual(5);
    for (const s of dataGrants) expect(jobStatements).toContain(s);
    expect(k8s.job!.grants.flatMap((g) => g.actions)).toContain('sns:Publish');
  });

  it('denies all traffic but DNS, HTTPS and the Pod Identity agent', () => {
    const policies = resources(k8s.json, 'kubernetes_network_policy_v1').map(([, p]) => p);
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(['allow-dns', 'default-deny', 'drift-churn-model-egress']);
    const egress = policies.find((p) => p.metadata.name === 'drift-churn-model-egress')!;
    expect(egress.spec.pod_selector.match_labels).toEqual({ 'app.kubernetes.io/name': 'drift-churn-model', 'app.kubernetes.io/component': 'drift-detector' });
    expect(pod).toBeDefined();
    expect(cron.spec.job_template.spec.template.metadata.labels).toMatchObject(egress.spec.pod_selector.match_labels);
    expect(egress.spec.egress).toEqual([
      { to: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }] },
      { to: [{ ip_block: { cidr: '169.254.170.23/32' } }], ports: [{ port: '80', protocol: 'TCP' }] },
    ]);
  });

  it('passes the policy pack with no finding at all (errors and warnings) on the detector and the job', () => {
    const findings = k8s.stack.policyPack.evaluate(k8s.stack).filter((f) => /\/(Drift|DriftJob)\//.test(`${f.path}/`));
    expect(findings).toEqual([]);
    // The Kubernetes workload rules did look at the CronJob (they know where its pod spec is).
    expect(k8s.stack.policyPack.rules.filter((r) => r.appliesTo.includes('kubernetes_cron_job_v1')).map((r) => r.id)).toEqual(
      expect.arrayContaining(['GAI-K8S-001', 'GAI-K8S-002', 'GAI-K8S-003', 'GAI-K8S-004', 'GAI-K8S-006', 'GAI-K8S-007']),
    );
  });

  it('splits across layered stacks: the detector in a data stack, the job in a cluster-side stack', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const data = new PlatformStack(app, 'observability', { settings: SETTINGS });
    const features = new FeatureStore(data, 'Features', { featureGroups: REFERENCE_FEATURE_GROUPS.slice(0, 1) });
    const logs = new SecureBucket(data, 'PredictionLogs', { encryptionKey: new EncryptionKey(data, 'LogsKey') });
    const alarms = new PlatformAlarms(data, 'Alarms', {});
    const drift = new DriftDetector(data, 'Drift', detectorProps(features, logs, alarms, { runAs: 'kubernetes' }));
    const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
    const { kubernetes } = ClusterProviders.configure(workloads, TEST_CLUSTER);
    new DriftJob(workloads, 'DriftJob', { detector: drift, cluster: TEST_CLUSTER, kubernetesProvider: kubernetes });
    app.synth(); // resolves cross-stack references and runs every validation (the policy pack among them)
    const read = (stack: string) => JSON.parse(readFileSync(join(app.outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as TfJson;
    const dataJson = read('observability');
    const workloadsJson = read('workloads');
    const manifest = JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { dependencies: string[] }> };
    expect(manifest.stacks.workloads.dependencies).toEqual(['observability']);
    expect(resources(workloadsJson, 'aws_s3_bucket')).toEqual([]);
    expect(resources(dataJson, 'kubernetes_cron_job_v1')).toEqual([]);
    const env = only(workloadsJson, 'kubernetes_cron_job_v1').spec.job_template.spec.template.spec.container[0].env;
    // Bucket names and the topic ARN come from the data stack's outputs (remote state).
    expect(env.find((e: { name: string }) => e.name === 'DRIFT_CONFIG').value).toMatch(/\$\{data\.terraform_remote_state/);
    const grants = resources(workloadsJson, 'aws_iam_role_policy').flatMap(([, p]) => policy(p.policy).Statement);
    expect(grants.some((g) => actions(g).includes('s3:GetObject') && String(g.Resource).includes('terraform_remote_state'))).toBe(true);
  });

  it("runAs: 'kubernetes' leaves out the Lambda and its schedule but keeps the report bucket and config", () => {
    for (const type of ['aws_lambda_function', 'aws_cloudwatch_event_rule', 'aws_cloudwatch_event_target', 'aws_lambda_permission']) {
      expect(resources(k8s.json, type).filter(([, c]) => String(c['//']?.metadata?.path).includes('/Drift/'))).toEqual([]);
      expect(resources(lambda.json, type).filter(([, c]) => String(c['//']?.metadata?.path).includes('/Drift/'))).toHaveLength(1);
    }
    expect(k8s.drift.function).toBeUndefined();
    expect(byPath(k8s.json, 'aws_s3_bucket', 'Drift/Reports/Resource')).toBeDefined();
    expect(JSON.stringify(byPath(k8s.json, 'aws_s3_bucket_lifecycle_configuration', 'Drift/Reports/Lifecycle').rule)).toContain('"days":400');
    expect(lambda.drift.function).toBeDefined();
  });

  it('takes an existing namespace, a pinned image, an explicit schedule, resources, node placement and egress CIDRs', () => {
    const { json, job } = build('kubernetes', {
      namespace: 'ml-monitoring',
      createNamespace: false,
      name: 'churn-drift',
      image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/drift:v1.2.3',
      schedule: '30 2 * * *',
      backoffLimit: 0,
      activeDeadlineSeconds: 7200,
      resources: { cpuRequest: '4', cpuLimit: '8', memoryRequest: '32Gi', memoryLimit: '32Gi' },
      nodeSelector: { 'gaiops.io/node-pool': 'batch' },
      tolerations: [{ key: 'batch', operator: 'Exists', effect: 'NoSchedule' }],
      httpsEgressCidrs: ['10.0.0.0/16'],
    });
    expect(resources(json, 'kubernetes_namespace_v1')).toEqual([]);
    expect(resources(json, 'aws_ecr_repository')).toEqual([]);
    const c = only(json, 'kubernetes_cron_job_v1');
    const p = c.spec.job_template.spec.template.spec;
    expect(c.metadata).toMatchObject({ name: 'churn-drift', namespace: 'ml-monitoring' });
    expect(c.spec.schedule).toBe('30 2 * * *');
    expect(c.spec.job_template.spec).toMatchObject({ backoff_limit: 0, active_deadline_seconds: 7200 });
    expect(p.container[0].image).toBe('111122223333.dkr.ecr.eu-west-1.amazonaws.com/drift:v1.2.3');
    expect(p.container[0].resources.limits).toEqual({ cpu: '8', memory: '32Gi' });
    expect(p.container[0].env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=24576' });
    expect(p.node_selector).toEqual({ 'gaiops.io/node-pool': 'batch' });
    expect(p.toleration).toEqual([{ key: 'batch', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(resources(json, 'kubernetes_network_policy_v1').map(([, x]) => x.metadata.name)).toEqual(['churn-drift-egress']);
    expect(only(json, 'aws_eks_pod_identity_association').namespace).toBe('ml-monitoring');
    expect(policy(byPath(json, 'aws_iam_role', 'DriftJob/Role/Resource').assume_role_policy).Statement[0].Condition.StringEquals['aws:RequestTag/kubernetes-namespace']).toBe('ml-monitoring');
    expect(job!.imageUri).toBe('111122223333.dkr.ecr.eu-west-1.amazonaws.com/drift:v1.2.3');
  });

  it('refuses a Lambda-form detector, a schedule without a cron form, bad resources, with every problem named', () => {
    const attempt = (jobProps: Partial<DriftJobProps>, detector: Partial<DriftDetectorProps> = {}) => {
      try {
        build('kubernetes', jobProps, detector);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = attempt({ resources: { cpuRequest: '4', cpuLimit: '2', memoryLimit: 'lots' }, startingDeadlineSeconds: 1 }, { schedule: 'rate(7 minutes)' });
    expect(e1).toBeInstanceOf(GaiConfigError);
    const m1 = (e1 as Error).message;
    expect(m1).toContain('teststack/DriftJob: schedule: rate(7 minutes) has no cron equivalent');
    expect(m1).toContain('teststack/DriftJob: resources.cpuRequest: must not exceed cpuLimit (2)');
    expect(m1).toContain('teststack/DriftJob: resources.memoryLimit: must be a Kubernetes memory quantity');
    expect(m1).toContain('teststack/DriftJob: startingDeadlineSeconds:');
    const e2 = attempt({ schedule: 'every hour', name: 'Churn_Drift' }, { schedule: 'cron(0 12 L * ? *)' });
    expect((e2 as Error).message).toContain('teststack/DriftJob: schedule: must be a five-field Kubernetes cron expression');
    expect((e2 as Error).message).toContain('teststack/DriftJob: name: must be a DNS-1123 label');

    const stack = platformStack();
    const features = new FeatureStore(stack, 'Features', { featureGroups: REFERENCE_FEATURE_GROUPS.slice(0, 1) });
    const logs = new SecureBucket(stack, 'Logs', { encryptionKey: new EncryptionKey(stack, 'K') });
    const alarms = new PlatformAlarms(stack, 'Alarms', {});
    const drift = new DriftDetector(stack, 'Drift', detectorProps(features, logs, alarms));
    expect(() => new DriftJob(stack, 'Job', { detector: drift, cluster: TEST_CLUSTER })).toThrow(/teststack\/Job: detector: must be a DriftDetector with runAs: 'kubernetes'/);
    expect(() => new DriftDetector(stack, 'Bad', detectorProps(features, logs, alarms, { runAs: 'ecs' as 'lambda' }))).toThrow(/teststack\/Bad: runAs:/);
  });
});

describe('kubernetesSchedule', () => {
  it.each([
    ['rate(1 minute)', '* * * * *'],
    ['rate(15 minutes)', '*/15 * * * *'],
    ['rate(1 hour)', '0 * * * *'],
    ['rate(6 hours)', '0 */6 * * *'],
    ['rate(1 day)', '0 0 * * *'],
    ['cron(15 * * * ? *)', '15 * * * *'],
    ['cron(0 2 ? * MON-FRI *)', '0 2 * * MON-FRI'],
    ['cron(0 2 ? * 2-6 *)', '0 2 * * 1-5'],
    ['cron(0/10 8-17 ? * 1,7 *)', '0/10 8-17 * * 0,6'],
    ['cron(0 3 1 * ? *)', '0 3 1 * *'],
  ])('%s → %s', (from, to) => {
    expect(kubernetesSchedule(from)).toEqual({ schedule: to });
  });

  it.each(['rate(7 minutes)', 'rate(5 hours)', 'rate(2 days)', 'cron(0 12 L * ? *)', 'cron(0 12 ? * 6#3 *)', 'cron(0 12 * * ? 2027)', 'cron(0 12 * *)', 'hourly'])('%s has none', (from) => {
    expect(kubernetesSchedule(from)).toEqual({ problem: expect.any(String) });
  });

  it('names jobs after the model as a DNS label', () => {
    expect(defaultDriftJobName('Churn.Model:v2/eu')).toBe('drift-churn-model-v2-eu');
    expect(defaultDriftJobName('x'.repeat(100))).toHaveLength(52);
  });
});

// ---- the container entry end to end ----

const BASELINE = 'drift-baselines';
const LOGS = 'drift-window';
const REPORTS = 'drift-job-reports';
const QUIET = { info: () => undefined, warn: () => undefined };

let s3server: EmbeddedS3;
let sns: FakeSns;
let s3: S3Client;
let cloudwatch: Server;
let cloudwatchUrl: string;
const metricRequests: { authorization: string; contentType: string; body: URLSearchParams }[] = [];
let refuseMetrics = false;

function records(n: number, shift: number): Buffer {
  const plans = ['basic', 'plus', 'pro'];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const group = i % 2 === 0 ? 'f' : 'm';
    lines.push(JSON.stringify({ age: 20 + ((i * 37) % 50) + shift, plan: plans[(i + (shift > 0 ? i % 2 : 0)) % 3], g: group, pred: (i * 7) % (shift > 0 && group === 'f' ? 5 : 3) === 0 ? 1 : 0 }));
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  [s3server, sns] = await Promise.all([startS3(), startFakeSns()]);
  s3 = s3server.client();
  await Promise.all([BASELINE, LOGS, REPORTS].map((b) => s3server.createBucket(b)));
  await s3.send(new PutObjectCommand({ Bucket: BASELINE, Key: 'reference/part-0.jsonl', Body: records(1500, 0) }));
  await s3.send(new PutObjectCommand({ Bucket: LOGS, Key: 'window/part-0.jsonl', Body: records(3000, 15) }));
  // A local CloudWatch Query endpoint: records PutMetricData requests.
  cloudwatch = createServer((req, res) => {
    void readBody(req).then((text) => {
      metricRequests.push({ authorization: String(req.headers.authorization), contentType: String(req.headers['content-type']), body: new URLSearchParams(text) });
      if (refuseMetrics) {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PutMetricDataResponse>');
    });
  });
  await new Promise<void>((resolve) => cloudwatch.listen(0, '127.0.0.1', resolve));
  cloudwatchUrl = `http://127.0.0.1:${(cloudwatch.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await Promise.allSettled([s3server?.close(), sns?.close(), new Promise((resolve) => cloudwatch?.close(resolve))]);
});

async function report(key: string): Promise<DriftReport> {
  const out = await s3.send(new GetObjectCommand({ Bucket: REPORTS, Key: key }));
  return JSON.parse(await (out.Body as { transformToString(): Promise<string> }).transformToString()) as DriftReport;
}

describe('the CronJob container entry, end to end', () => {
  it('writes the same report as the Lambda handler for the same inputs, publishes the alert and puts the metrics to CloudWatch', async () => {
    const topicArn = sns.createTopic('drift-job-alerts');
    const config: DriftConfigInput = {
      model: 'churn-model',
      dataset: 'customers',
      baseline: { kind: 'sample', bucket: BASELINE, prefix: 'reference/' },
      window: { bucket: LOGS, prefix: 'window/', lookbackHours: 1 },
      columns: [
        { name: 'age', type: 'numeric' },
        { name: 'plan', type: 'categorical' },
      ],
      fairness: { sensitiveAttributes: ['g'], predictionColumn: 'pred', positiveValue: 1 },
      outputs: { reportBucket: REPORTS, topicArn, namespace: 'gaiops/drift' },
    };
    const env = driftEnvironment(config);
    const eventTime = new Date(Date.now() + 60_000).toISOString();

    const emf: string[] = [];
    const lambdaSummary = await createDriftLambdaHandler({ env, s3, sns: sns.client(), emit: (l) => emf.push(l), logger: QUIET })({ time: eventTime });
    const fromLambda = await report(lambdaSummary.reportKey);
    expect(fromLambda.drift.datasetDrift).toBe(true);

    // The container, with the CronJob's arguments and environment.
    const { json } = build('kubernetes');
    const container = only(json, 'kubernetes_cron_job_v1').spec.job_template.spec.template.spec.container[0];
    const stdout: string[] = [];
    const stderr: string[] = [];
    const published = sns.published.length;
    const code = await main({
      argv: [...container.args, '--time', eventTime],
      env: { ...env, AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatchUrl },
      stdout: { write: (l: string) => stdout.push(l) },
      stderr: { write: (l: string) => stderr.push(l) },
      s3,
      sns: sns.client(),
      logger: QUIET,
    });
    expect(stderr).toEqual([]);
    expect(code).toBe(EXIT_CODES.ok);
    const fromJob = await report(lambdaSummary.reportKey);
    const { completedAt: _a, ...jobReport } = fromJob;
    const { completedAt: _b, ...lambdaReport } = fromLambda;
    expect(jobReport).toEqual(lambdaReport);
    expect(sns.published.length).toBe(published + 1);
    expect(JSON.parse(sns.published.at(-1)!.message)).toMatchObject({ model: 'churn-model', report: `s3://${REPORTS}/${lambdaSummary.reportKey}` });
    // The same EMF lines on stdout as the Lambda's (timestamps aside) …
    const strip = (l: string) => JSON.stringify({ ...JSON.parse(l), _aws: undefined, [DRIFT_METRICS.lastRun]: undefined });
    expect(stdout.filter((l) => l.startsWith('{"_aws"')).map(strip)).toEqual(emf.map(strip));
    // … and the same gauges in a signed PutMetricData request.
    expect(metricRequests).toHaveLength(1);
    const request = metricRequests[0];
    expect(request.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=\S+\/\d{8}\/us-east-1\/monitoring\/aws4_request, SignedHeaders=\S*host\S*, Signature=[0-9a-f]{64}$/);
    expect(request.contentType).toBe('application/x-www-form-urlencoded; charset=utf-8');
    const body = request.body;
    expect(body.get('Action')).toBe('PutMetricData');
    expect(body.get('Namespace')).toBe('gaiops/drift');
    const points = new Map<string, { value: number; dims: Record<string, string> }[]>();
    for (let i = 1; body.has(`MetricData.member.${i}.MetricName`); i++) {
      const dims: Record<string, string> = {};
      for (let d = 1; body.has(`MetricData.member.${i}.Dimensions.member.${d}.Name`); d++) {
        dims[body.get(`MetricData.member.${i}.Dimensions.member.${d}.Name`)!] = body.get(`MetricData.member.${i}.Dimensions.member.${d}.Value`)!;
      }
      const name = body.get(`MetricData.member.${i}.MetricName`)!;
      points.set(name, [...(points.get(name) ?? []), { value: Number(body.get(`MetricData.member.${i}.Value`)), dims }]);
    }
    expect(points.get(DRIFT_METRICS.driftShare)).toEqual([{ value: fromJob.drift.share, dims: { dataset: 'customers', model: 'churn-model' } }]);
    expect(points.get(DRIFT_METRICS.datasetDrift)).toEqual([{ value: 1, dims: { dataset: 'customers', model: 'churn-model' } }]);
    expect(points.get(DRIFT_METRICS.columnScore)?.map((p) => p.dims.column).sort()).toEqual(['age', 'plan']);
    expect(points.get(DRIFT_METRICS.disparateImpact)).toEqual([{ value: fromJob.fairness!.attributes[0].disparateImpactRatio, dims: { model: 'churn-model', attribute: 'g' } }]);
  });

  it('exits 1 naming the AWS error when CloudWatch refuses the metrics (after the report is written)', async () => {
    refuseMetrics = true;
    try {
      const config: DriftConfigInput = {
        model: 'refused-model',
        dataset: 'customers',
        baseline: { kind: 'sample', bucket: BASELINE, prefix: 'reference/' },
        window: { bucket: LOGS, prefix: 'window/', lookbackHours: 1 },
        columns: [{ name: 'age', type: 'numeric' }],
        outputs: { reportBucket: REPORTS },
      };
      const stderr: string[] = [];
      const time = new Date(Date.now() + 60_000).toISOString();
      const code = await main({
        argv: ['--put-metrics', '--time', time],
        env: { ...driftEnvironment(config), AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatchUrl },
        stdout: { write: () => true },
        stderr: { write: (l: string) => stderr.push(l) },
        s3,
        logger: QUIET,
      });
      expect(code).toBe(EXIT_CODES.failure);
      expect(stderr.at(-1)).toBe('drift: CloudWatch PutMetricData failed: HTTP 403 AccessDenied\n');
      expect((await report(`drift-reports/refused-model/${time}.json`)).model).toBe('refused-model');
    } finally {
      refuseMetrics = false;
    }
  });
});
