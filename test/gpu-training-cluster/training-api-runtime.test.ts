import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../src/core/runtime/http-app';
import { KubeClient } from '../../src/core/runtime/kube-client';
import { type HttpApiEvent, toLambdaHandler } from '../../src/core/runtime/lambda-http';
import { nodeRequestListener } from '../../src/core/runtime/node-http';
import { loadTrainingApiConfig, TRAINING_API_ENV, type TrainingApiSettingsInput, TrainingApiSettingsSchema } from '../../src/gpu-training-cluster/runtime/training-api/config';
import { imageMatchesPrefix } from '../../src/gpu-training-cluster/runtime/training-api/image-allow-list';
import { idempotentJobId, JOB_ID_PATTERN, randomJobId } from '../../src/gpu-training-cluster/runtime/training-api/job-id';
import { aggregateStatus, objectGpus, objectStatus } from '../../src/gpu-training-cluster/runtime/training-api/job-status';
import { createTrainingApiApp } from '../../src/gpu-training-cluster/runtime/training-api/training-api-app';
import type { TrainingRequestInput } from '../../src/gpu-training-cluster/runtime/training-api/training-request';
import { type FakeKubeApi, type KubeValidator, startFakeKubeApi } from '../support/fake-kube-api';

// ---------------------------------------------------------------------------------------------
// Schemas the fake API server validates bodies against.

type Model = new (o: unknown) => { validate(): void };
const problemsOf = (Model: Model, obj: unknown): string[] => {
  try {
    new Model(obj).validate();
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
};

/**
 * PyTorchJob (kubeflow/training-operator v1.9.0): the CRD's structural schema of `spec` outside the
 * pod templates (manifests/base/crds/kubeflow.org_pytorchjobs.yaml), the admission webhook's rules
 * (pkg/webhooks/pytorch/pytorchjob_webhook.go: DNS-1035 name, replica types Master/Worker, a
 * container named `pytorch` with an image, Master replicas exactly 1), and every replica template
 * as a core/v1 PodTemplateSpec (kubernetes-models).
 */
function pyTorchJobValidator(PodTemplate: Model): KubeValidator {
  const int = (v: unknown) => Number.isInteger(v);
  const fields = (o: Record<string, unknown>, allowed: Record<string, (v: unknown) => boolean>, path: string): string[] =>
    Object.entries(o).flatMap(([k, v]) => (!(k in allowed) ? [`${path}.${k}: unknown field`] : allowed[k]!(v) ? [] : [`${path}.${k}: invalid type`]));
  return (obj: any) => {
    const out: string[] = [];
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(obj.metadata?.name ?? '') || obj.metadata.name.length > 63) out.push('metadata.name: must be a DNS-1035 label');
    const spec = obj.spec ?? {};
    out.push(...fields(spec, { elasticPolicy: (v) => typeof v === 'object', nprocPerNode: (v) => typeof v === 'string', pytorchReplicaSpecs: (v) => typeof v === 'object' && v !== null, runPolicy: (v) => typeof v === 'object' }, 'spec'));
    out.push(
      ...fields(
        spec.runPolicy ?? {},
        { activeDeadlineSeconds: int, backoffLimit: int, cleanPodPolicy: (v) => ['All', 'Running', 'None'].includes(v as string), managedBy: (v) => typeof v === 'string', schedulingPolicy: (v) => typeof v === 'object', suspend: (v) => typeof v === 'boolean', ttlSecondsAfterFinished: int },
        'spec.runPolicy',
      ),
    );
    const replicas: Record<string, any> = spec.pytorchReplicaSpecs ?? {};
    if (Object.keys(replicas).length === 0) out.push('spec.pytorchReplicaSpecs: must be required');
    for (const [type, r] of Object.entries(replicas)) {
      const path = `spec.pytorchReplicaSpecs[${type}]`;
      if (type !== 'Master' && type !== 'Worker') out.push(`${path}: unsupported replica type`);
      out.push(...fields(r ?? {}, { replicas: int, restartPolicy: (v) => ['Always', 'OnFailure', 'Never', 'ExitCode'].includes(v as string), template: (v) => typeof v === 'object' }, path));
      const containers: any[] = r?.template?.spec?.containers ?? [];
      if (containers.length === 0) out.push(`${path}.template.spec.containers: must be specified`);
      if (!containers.some((c) => c.name === 'pytorch')) out.push(`${path}.template.spec.containers: must have at least one container with name pytorch`);
      containers.forEach((c, i) => c.image || out.push(`${path}.template.spec.containers[${i}].image: must be required`));
      if (type === 'Master' && r?.replicas !== 1) out.push(`${path}.replicas: must be 1`);
      out.push(...problemsOf(PodTemplate, { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'replica' }, template: r?.template }).map((p) => `${path}.template: ${p}`));
    }
    return out;
  };
}

let validators: Record<string, KubeValidator>;
beforeAll(async () => {
  const { Job } = (await import('kubernetes-models/batch/v1/Job')) as unknown as { Job: Model };
  const { PodTemplate } = (await import('kubernetes-models/v1/PodTemplate')) as unknown as { PodTemplate: Model };
  validators = { 'batch/v1/Job': (o) => problemsOf(Job, o), 'kubeflow.org/v1/PyTorchJob': pyTorchJobValidator(PodTemplate) };
});

// ---------------------------------------------------------------------------------------------
// Fixtures.

const ACCOUNT = '111122223333';
const ECR = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const IMAGE = `${ECR}/team-a/llm-finetune@sha256:${'a'.repeat(64)}`;
const SCIENTIST = `arn:aws:sts::${ACCOUNT}:assumed-role/TeamAScientist/alice@example.com`;
const TEAM_B = `arn:aws:sts::${ACCOUNT}:assumed-role/TeamBScientist/bob`;
const TOKEN = 'cluster-token';

const SETTINGS: TrainingApiSettingsInput = {
  serviceAccountName: 'trainer',
  registry: { url: 'https://registry.example.com', region: 'eu-west-1', artifactBucket: 'gai-artifacts' },
  dataset: { bucket: 'gai-datasets', versionsTable: 'gai-dataset-versions' },
  maxTrialsPerRequest: 10,
  teams: [
    { name: 'team-a', namespace: 'team-a', gpuQuota: 8, nodePool: 'gpu-a100', allowedImages: [`${ECR}/team-a/`], submitters: [`arn:aws:iam::${ACCOUNT}:role/ml/TeamAScientist`, `arn:aws:iam::${ACCOUNT}:user/ci`] },
    { name: 'team-b', namespace: 'team-b', gpuQuota: 2, nodePool: 'gpu-l4', allowedImages: [`${ECR}/team-b`], submitters: [`arn:aws:iam::${ACCOUNT}:role/TeamBScientist`] },
  ],
};
const CONFIG = TrainingApiSettingsSchema.parse(SETTINGS);

const REQUEST: TrainingRequestInput = {
  team: 'team-a',
  image: IMAGE,
  command: ['python', 'train.py', '--epochs', '3'],
  gitCommit: 'c'.repeat(40),
  modelName: 'support-llm',
  params: { lr: 0.0003, base_model: 'llama-3-8b' },
  gpus: 2,
  dataset: { group: 'support_tickets', version: 'd'.repeat(64) },
};

/** The request of a sweep over `lr` (so `params` must not fix it). */
const SWEEP_REQUEST: TrainingRequestInput = { ...REQUEST, params: { base_model: 'llama-3-8b' } };

const JOBS = '/apis/batch/v1/namespaces/team-a/jobs';
const PYTORCHJOBS = '/apis/kubeflow.org/v1/namespaces/team-a/pytorchjobs';
const TRAINJOBS = '/apis/trainer.kubeflow.org/v1alpha1/namespaces/team-a/trainjobs';

/** An API Gateway HTTP API v2 event with an IAM authorizer context. */
function event(method: string, path: string, body: unknown, principal: string | undefined, headers: Record<string, string> = {}): HttpApiEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'test' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: '$default',
      stage: '$default',
      time: '26/Nov/2026:12:00:00 +0000',
      timeEpoch: 1795694400000,
      ...(principal ? { authorizer: { iam: { userArn: principal, accountId: ACCOUNT, callerId: 'AROA:x', cognitoIdentity: null, principalOrgId: null, userId: 'AROA:x', accessKey: 'ASIA' } } } : {}),
    },
  } as unknown as HttpApiEvent;
}

interface Answer {
  status: number;
  body: any;
}

let api: FakeKubeApi;
let kube: KubeClient;
let app: HttpApp;
/** `principal` undefined → the team-a scientist; null → no authenticated caller. */
let call: (method: string, path: string, body?: unknown, principal?: string | null, headers?: Record<string, string>) => Promise<Answer>;

beforeEach(async () => {
  api = await startFakeKubeApi({ token: TOKEN, validators });
  kube = new KubeClient({ endpoint: api.url, token: async () => TOKEN });
  app = createTrainingApiApp({ kube, config: CONFIG });
  const handler = toLambdaHandler(app);
  call = async (method, path, body, principal = SCIENTIST, headers = {}) => {
    const res = await handler(event(method, path, body, principal ?? undefined, headers));
    return { status: res.statusCode ?? 0, body: res.body ? JSON.parse(res.body) : undefined };
  };
});
afterEach(async () => {
  await kube.close();
  await api.close();
});

const creations = () => api.requests.filter((r) => r.method === 'POST' && r.query.dryRun === undefined);
const stored = () => [...api.objects.keys()];

// ---------------------------------------------------------------------------------------------

describe('POST /training-jobs (Lambda event → fake Kubernetes API)', () => {
  it('creates one validated batch/v1 Job in the team namespace and returns its id', async () => {
    const res = await call('POST', '/training-jobs', REQUEST);
    expect(res.status).toBe(201);
    const job = res.body.job;
    expect(job.id).toMatch(JOB_ID_PATTERN);
    expect(job).toMatchObject({ team: 'team-a', namespace: 'team-a', kind: 'Job', status: 'queued', gpus: 2 });
    expect(job.trials).toEqual([{ name: `${job.id}-t000`, status: 'queued', gpus: 2, params: { lr: 0.0003, base_model: 'llama-3-8b' } }]);

    const object = api.objects.get(`${JOBS}/${job.id}-t000`);
    expect(object.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'gaiops',
      'gaiops.io/sweep': job.id,
      'gaiops.io/trial': `${job.id}-t000`,
      'gaiops.io/team': 'team-a',
      'gaiops.io/submitted-via': 'training-job-api',
    });
    expect(object.metadata.annotations['gaiops.io/submitted-by']).toBe(SCIENTIST);
    expect(object.metadata.annotations['gaiops.io/request-sha256']).toMatch(/^[0-9a-f]{64}$/);
    const pod = object.spec.template.spec;
    expect(pod.priorityClassName).toBeUndefined(); // no per-sweep PriorityClass exists for API jobs
    expect(pod.nodeSelector).toEqual({ 'gaiops.io/node-pool': 'gpu-a100' });
    expect(pod.serviceAccountName).toBe('trainer');
    const container = pod.containers[0];
    expect(container.image).toBe(IMAGE);
    expect(container.args).toEqual(['--', 'python', 'train.py', '--epochs', '3']);
    expect(container.resources.limits['nvidia.com/gpu']).toBe('2');
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({
      TRAINER_DATASET_BUCKET: 'gai-datasets',
      TRAINER_DATASET_GROUP: 'support_tickets',
      TRAINER_VERSIONS_TABLE: 'gai-dataset-versions',
      TRAINER_REGISTRY_URL: 'https://registry.example.com',
      TRAINER_ARTIFACT_BUCKET: 'gai-artifacts',
      TRAINER_MODEL_NAME: 'support-llm',
      TRAINER_IMAGE_DIGEST: `sha256:${'a'.repeat(64)}`,
    });
    expect(JSON.parse(env.TRAINER_PARAMS)).toEqual({ lr: 0.0003, base_model: 'llama-3-8b', gaiops_sweep: job.id, gaiops_trial: `${job.id}-t000` });

    // Order: quota lists, then a dry run, then the creation; every call authenticated.
    const methods = api.requests.map((r) => `${r.method}${r.query.dryRun ? ' dry' : ''}`);
    expect(methods).toEqual(['GET', 'GET', 'GET', 'POST dry', 'POST']);
    expect(api.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('creates a PyTorchJob sweep (grid of 4 trials, master + worker) validated against the PyTorchJob schema', async () => {
    const res = await call('POST', '/training-jobs', {
      ...SWEEP_REQUEST,
      gpus: 1,
      workload: { kind: 'PyTorchJob', workers: 1 },
      sweep: { parameters: { lr: { type: 'categorical', values: [0.001, 0.0003] }, warmup: { type: 'int', min: 0, max: 100, step: 100 } }, maxTrials: 4, objective: { metric: 'eval_loss', goal: 'minimize' } },
    });
    expect(res.status).toBe(201);
    const { job } = res.body;
    expect(job.kind).toBe('PyTorchJob');
    expect(job.gpus).toBe(8);
    expect(job.trials.map((t: { params: object }) => t.params)).toEqual([
      { lr: 0.001, warmup: 0, base_model: 'llama-3-8b' },
      { lr: 0.001, warmup: 100, base_model: 'llama-3-8b' },
      { lr: 0.0003, warmup: 0, base_model: 'llama-3-8b' },
      { lr: 0.0003, warmup: 100, base_model: 'llama-3-8b' },
    ].map((p) => expect.objectContaining(p)));
    expect(stored().filter((k) => k.startsWith(PYTORCHJOBS))).toHaveLength(4);
    const pt = api.objects.get(`${PYTORCHJOBS}/${job.id}-t003`);
    expect(Object.keys(pt.spec.pytorchReplicaSpecs)).toEqual(['Master', 'Worker']);
    expect(pt.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].name).toBe('pytorch');

    // The quota is now full: one more GPU is refused with a clear message, and nothing is created.
    const before = creations().length;
    const full = await call('POST', '/training-jobs', { ...REQUEST, gpus: 1 });
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('gpu_quota_exceeded');
    expect(full.body.error.message).toBe(
      "team 'team-a' requests 1 GPU but only 0 of its 8-GPU quota are free (8 held by 4 unfinished training job objects); wait for jobs to finish or request fewer GPUs or trials",
    );
    expect(full.body.error.details).toEqual({ requestedGpus: 1, freeGpus: 0, quotaGpus: 8, usedGpus: 8 });
    expect(creations().length).toBe(before);

    // Finished trials hold no GPUs.
    for (const name of [`${job.id}-t000`, `${job.id}-t001`]) {
      const o = api.objects.get(`${PYTORCHJOBS}/${name}`);
      api.put(`${PYTORCHJOBS}/${name}`, { ...o, status: { conditions: [{ type: 'Created', status: 'True' }, { type: 'Succeeded', status: 'True', lastTransitionTime: '2026-11-26T12:00:00Z' }] } });
    }
    expect((await call('POST', '/training-jobs', { ...REQUEST, gpus: 4 })).status).toBe(201);
  });

  it("the fake API's PyTorchJob schema refuses what the training operator refuses", async () => {
    const { job } = (await call('POST', '/training-jobs', { ...REQUEST, gpus: 1, workload: { kind: 'PyTorchJob', workers: 1 } })).body;
    const good = api.objects.get(`${PYTORCHJOBS}/${job.id}-t000`);
    const { metadata, ...rest } = good;
    const copy = (name: string, change: (o: any) => void) => {
      const o = JSON.parse(JSON.stringify({ ...rest, metadata: { name } }));
      change(o);
      return kube.create(PYTORCHJOBS, o);
    };
    await expect(copy('two-masters', (o) => (o.spec.pytorchReplicaSpecs.Master.replicas = 2))).rejects.toMatchObject({ status: 422 });
    await expect(copy('no-pytorch', (o) => (o.spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].name = 'trainer'))).rejects.toMatchObject({ status: 422 });
    await expect(copy('bad-pod', (o) => (o.spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].resources.limits = 'x'))).rejects.toMatchObject({ status: 422 });
    await expect(copy('chief', (o) => (o.spec.pytorchReplicaSpecs.Chief = o.spec.pytorchReplicaSpecs.Worker))).rejects.toMatchObject({ status: 422 });
    await expect(copy('1-starts-with-digit', () => undefined)).rejects.toMatchObject({ status: 422 });
    expect(metadata.name).toBe(`${job.id}-t000`);
    await expect(copy('valid-copy', () => undefined)).resolves.toMatchObject({ metadata: { name: 'valid-copy' } });
  });

  it('counts GPUs of every unfinished training object in the namespace, not only its own', async () => {
    api.put(`${JOBS}/someone-elses`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'someone-elses', namespace: 'team-a' },
      spec: { parallelism: 3, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x/y:1', resources: { limits: { 'nvidia.com/gpu': '2' } } }] } } },
      status: { active: 3, ready: 3 },
    });
    const res = await call('POST', '/training-jobs', { ...REQUEST, gpus: 4 });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('requests 4 GPUs but only 2 of its 8-GPU quota are free (6 held by 1 unfinished training job object)');
    expect((await call('POST', '/training-jobs', { ...REQUEST, gpus: 2 })).status).toBe(201);
  });

  it('creates TrainJobs (Kubeflow Trainer v2) and counts numNodes × GPUs', async () => {
    const res = await call('POST', '/training-jobs', { ...REQUEST, gpus: 2, workload: { kind: 'TrainJob', numNodes: 3 } });
    expect(res.status).toBe(201);
    expect(res.body.job).toMatchObject({ kind: 'TrainJob', gpus: 6 });
    const tj = api.objects.get(`${TRAINJOBS}/${res.body.job.id}-t000`);
    expect(tj.spec.trainer).toMatchObject({ image: IMAGE, numNodes: 3, resourcesPerNode: { limits: { 'nvidia.com/gpu': '2' } } });
    expect((await call('POST', '/training-jobs', { ...REQUEST, gpus: 3 })).body.error.code).toBe('gpu_quota_exceeded');
  });

  it('refuses images outside the team allow-list (whole path segments) without touching the cluster', async () => {
    for (const image of [`${ECR}/team-b/x@sha256:${'a'.repeat(64)}`, `${ECR}/team-a-evil/x@sha256:${'a'.repeat(64)}`, `docker.io/library/python@sha256:${'a'.repeat(64)}`]) {
      const res = await call('POST', '/training-jobs', { ...REQUEST, image });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('image_not_allowed');
      expect(res.body.error.message).toContain(`${ECR}/team-a/`);
    }
    expect(api.requests).toHaveLength(0);
  });

  it('refuses unknown teams (404) and callers who are not submitters of the team (403)', async () => {
    const unknown = await call('POST', '/training-jobs', { ...REQUEST, team: 'team-z' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'unknown_team', message: "team 'team-z' is not served by this API" });

    const other = await call('POST', '/training-jobs', REQUEST, TEAM_B);
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 'permission_denied', message: "the caller may not use team 'team-a'" });
    expect((await call('POST', '/training-jobs', REQUEST, null)).status).toBe(403);
    expect((await call('POST', '/training-jobs', REQUEST, `arn:aws:iam::${ACCOUNT}:user/mallory`)).status).toBe(403);
    expect((await call('POST', '/training-jobs', REQUEST, `arn:aws:sts::999999999999:assumed-role/TeamAScientist/x`)).status).toBe(403);
    expect(api.requests).toHaveLength(0);

    // A session of the configured role (whose path the session ARN does not carry) and an IAM user are submitters.
    expect((await call('POST', '/training-jobs', REQUEST, `arn:aws:iam::${ACCOUNT}:user/ci`)).status).toBe(201);
  });

  it('answers malformed bodies with 400 naming each field', async () => {
    const issues = async (body: unknown) => {
      const res = await call('POST', '/training-jobs', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_body');
      return res.body.error.details.issues.map((i: { path: string }) => i.path).sort();
    };
    const { command: _command, ...noCommand } = REQUEST;
    expect(await issues({ ...noCommand, gpus: 0, image: `${ECR}/team-a/x:latest` })).toEqual(['command', 'gpus', 'image']);
    expect(await issues({ ...REQUEST, image: `${ECR}/team-a/x:1.0` })).toEqual(['imageDigest']);
    expect(await issues({ ...REQUEST, workload: { kind: 'TrainJob', numNodes: 0 } })).toEqual(['workload.numNodes']);
    expect(await issues({ ...REQUEST, dataset: { group: 'Bad-Group', version: 'x' } })).toEqual(['dataset.group', 'dataset.version']);
    expect(await issues({ ...REQUEST, surprise: true })).toEqual(['(root)']);
    expect(await issues({ ...SWEEP_REQUEST, sweep: { parameters: { lr: { type: 'int', min: 0, max: 20 } }, maxTrials: 11, objective: { metric: 'l', goal: 'minimize' } } })).toEqual(['sweep.maxTrials']);
    // A grid larger than maxTrials is refused by the sweep's own rule, named as the request field.
    expect(await issues({ ...SWEEP_REQUEST, sweep: { parameters: { lr: { type: 'int', min: 0, max: 20 } }, maxTrials: 3, objective: { metric: 'l', goal: 'minimize' } } })).toEqual(['sweep.maxTrials']);
    expect(await issues({ ...REQUEST, params: { lr: 1 }, sweep: { parameters: { lr: { type: 'int', min: 0, max: 1 } }, maxTrials: 2, objective: { metric: 'l', goal: 'minimize' } } })).toEqual(['params.lr']);
    expect(await issues({ ...REQUEST, params: { gaiops_sweep: 'x' } })).toEqual(['params.gaiops_sweep']);

    const bad = await call('POST', '/training-jobs', '{"team":');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    expect(api.requests).toHaveLength(0);
  });

  it('is idempotent with an Idempotency-Key and refuses the key for another request', async () => {
    const key = { 'idempotency-key': 'run-2026-11-26-1' };
    const first = await call('POST', '/training-jobs', REQUEST, SCIENTIST, key);
    expect(first.status).toBe(201);
    expect(first.body.job.id).toBe(idempotentJobId('team-a', SCIENTIST, 'run-2026-11-26-1'));
    const again = await call('POST', '/training-jobs', REQUEST, SCIENTIST, key);
    expect(again.status).toBe(200);
    expect(again.body.job.id).toBe(first.body.job.id);
    expect(creations()).toHaveLength(1);
    const other = await call('POST', '/training-jobs', { ...REQUEST, gpus: 1 }, SCIENTIST, key);
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect((await call('POST', '/training-jobs', REQUEST, SCIENTIST, { 'idempotency-key': 'bad key' })).body.error.code).toBe('invalid_idempotency_key');
  });

  it('reports a partial creation and completes it on a retry with the same key', async () => {
    const sweep = { parameters: { lr: { type: 'categorical', values: [1, 2, 3] } }, maxTrials: 3, objective: { metric: 'l', goal: 'minimize' } };
    let realCreates = 0;
    api.failNext(503, 1, (r) => r.method === 'POST' && r.query.dryRun === undefined && ++realCreates === 2);
    const key = { 'idempotency-key': 'sweep-1' };
    const partial = await call('POST', '/training-jobs', { ...SWEEP_REQUEST, gpus: 1, sweep }, SCIENTIST, key);
    expect(partial.status).toBe(503);
    expect(partial.body.error.code).toBe('partially_created');
    expect(partial.body.error.details.created).toEqual([`${partial.body.error.details.id}-t000`]);
    const retry = await call('POST', '/training-jobs', { ...SWEEP_REQUEST, gpus: 1, sweep }, SCIENTIST, key);
    expect(retry.status).toBe(200);
    expect(retry.body.job.trials.map((t: { name: string }) => t.name)).toEqual([0, 1, 2].map((i) => `${partial.body.error.details.id}-t00${i}`));
    expect(stored().filter((k) => k.startsWith(JOBS))).toHaveLength(3);
  });

  it('creates nothing when the cluster refuses one object in the dry run (422 rejected_by_cluster)', async () => {
    const strict = await startFakeKubeApi({ token: TOKEN, validators: { ...validators, 'batch/v1/Job': (o: any) => (o.metadata.name.endsWith('-t001') ? ['admission webhook "policy" denied the request'] : []) } });
    const strictKube = new KubeClient({ endpoint: strict.url, token: async () => TOKEN });
    try {
      const handler = toLambdaHandler(createTrainingApiApp({ kube: strictKube, config: CONFIG }));
      const res = await handler(event('POST', '/training-jobs', { ...SWEEP_REQUEST, gpus: 1, sweep: { parameters: { lr: { type: 'categorical', values: [1, 2, 3] } }, maxTrials: 3, objective: { metric: 'l', goal: 'minimize' } } }, SCIENTIST));
      expect(res.statusCode).toBe(422);
      expect(JSON.parse(res.body!).error.code).toBe('rejected_by_cluster');
      expect(strict.objects.size).toBe(0);
    } finally {
      await strictKube.close();
      await strict.close();
    }
  });

  it('maps cluster outages to 503 and missing RBAC to 502', async () => {
    api.failNext(503, 3);
    const down = await call('POST', '/training-jobs', REQUEST);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('cluster_unavailable');
    api.failNext(403, 3);
    const forbidden = await call('POST', '/training-jobs', REQUEST);
    expect(forbidden.status).toBe(502);
    expect(forbidden.body.error.code).toBe('cluster_access_denied');
  });

  it('maps a missing namespace or CRD at creation to 502 cluster_not_ready', async () => {
    api.failNext(404, 1, (r) => r.method === 'POST');
    const res = await call('POST', '/training-jobs', REQUEST);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('cluster_not_ready');
    expect(stored()).toEqual([]);
  });

  it('treats an absent training CRD (404 on its list) as no objects', async () => {
    api.failNext(404, 1, (r) => r.method === 'GET' && r.path === PYTORCHJOBS);
    expect((await call('POST', '/training-jobs', REQUEST)).status).toBe(201);
  });
});

describe('GET /training-jobs/{team}/{id} and /training-jobs/{team}', () => {
  it('returns the job status as the Job conditions evolve', async () => {
    const { job } = (await call('POST', '/training-jobs', REQUEST)).body;
    const path = `${JOBS}/${job.id}-t000`;
    const get = () => call('GET', `/training-jobs/team-a/${job.id}`);
    expect((await get()).body.job).toMatchObject({ id: job.id, status: 'queued', submittedBy: SCIENTIST, createdAt: expect.any(String) });
    api.put(path, { ...api.objects.get(path), status: { active: 1, ready: 1 } });
    expect((await get()).body.job.status).toBe('running');
    api.put(path, { ...api.objects.get(path), status: { succeeded: 1, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] } });
    expect((await get()).body.job).toMatchObject({ status: 'succeeded', trials: [{ name: `${job.id}-t000`, status: 'succeeded', gpus: 2 }] });
    api.put(path, { ...api.objects.get(path), status: { failed: 1, conditions: [{ type: 'Failed', status: 'True' }] } });
    expect((await get()).body.job.status).toBe('failed');

    expect((await call('GET', `/training-jobs/team-a/${randomJobId()}`)).body.error.code).toBe('job_not_found');
    expect((await call('GET', '/training-jobs/team-a/not-an-id')).status).toBe(404);
    expect((await call('GET', `/training-jobs/team-a/${job.id}`, undefined, TEAM_B)).status).toBe(403);
    expect((await call('GET', `/training-jobs/team-z/${job.id}`)).body.error.code).toBe('unknown_team');
  });

  it('lists the team jobs submitted through the API, newest first, ignoring other objects', async () => {
    const a = (await call('POST', '/training-jobs', { ...REQUEST, gpus: 1 })).body.job;
    const b = (await call('POST', '/training-jobs', { ...REQUEST, gpus: 1, workload: { kind: 'PyTorchJob', workers: 0 } })).body.job;
    api.put(`${JOBS}/a-foreign`, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'a-foreign', labels: { 'gaiops.io/sweep': 'x' } }, spec: {} });
    const older = api.objects.get(`${JOBS}/${a.id}-t000`);
    api.put(`${JOBS}/${a.id}-t000`, { ...older, metadata: { ...older.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } });
    const res = await call('GET', '/training-jobs/team-a');
    expect(res.status).toBe(200);
    expect(res.body.jobs.map((j: { id: string; kind: string }) => [j.id, j.kind])).toEqual([
      [b.id, 'PyTorchJob'],
      [a.id, 'Job'],
    ]);
  });
});

describe('the same app over node:http', () => {
  let server: Server;
  let url: string;
  beforeEach(async () => {
    // The principal comes from the transport; here a test header plays API Gateway's IAM authorizer.
    server = createServer(nodeRequestListener(app, { principal: (h) => h['x-test-caller'] }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('submits and reads a job, and refuses callers without an identity', async () => {
    const post = await fetch(`${url}/training-jobs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-caller': SCIENTIST }, body: JSON.stringify(REQUEST) });
    expect(post.status).toBe(201);
    const { job } = (await post.json()) as { job: { id: string } };
    const get = await fetch(`${url}/training-jobs/team-a/${job.id}`, { headers: { 'x-test-caller': SCIENTIST } });
    expect(((await get.json()) as { job: { status: string } }).job.status).toBe('queued');
    const anonymous = await fetch(`${url}/training-jobs/team-a`);
    expect(anonymous.status).toBe(403);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------

describe('pure logic', () => {
  it('matches image prefixes on whole path segments', () => {
    expect(imageMatchesPrefix(`${ECR}/team-a/x:1`, `${ECR}/team-a/`)).toBe(true);
    expect(imageMatchesPrefix(`${ECR}/team-a/x:1`, `${ECR}/team-a`)).toBe(true);
    expect(imageMatchesPrefix(`${ECR}/team-a:1`, `${ECR}/team-a`)).toBe(true);
    expect(imageMatchesPrefix(`${ECR}/team-a@sha256:${'a'.repeat(64)}`, `${ECR}/team-a`)).toBe(true);
    expect(imageMatchesPrefix(`${ECR}/team-a:1`, `${ECR}/team-a/`)).toBe(false);
    expect(imageMatchesPrefix(`${ECR}/team-ab/x:1`, `${ECR}/team-a`)).toBe(false);
    expect(imageMatchesPrefix(`${ECR}.evil.com/team-a/x:1`, ECR)).toBe(false);
  });

  it('maps Job, PyTorchJob and TrainJob status and aggregates trials', () => {
    expect(objectStatus('Job', { metadata: { name: 'j' }, status: { active: 1 } })).toBe('queued');
    expect(objectStatus('Job', { metadata: { name: 'j' }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } })).toBe('queued');
    expect(objectStatus('Job', { metadata: { name: 'j' }, status: { conditions: [{ type: 'Complete', status: 'False' }], ready: 1 } })).toBe('running');
    const pt = (conditions: object[]) => objectStatus('PyTorchJob', { metadata: { name: 'p' }, status: { conditions } });
    expect(pt([])).toBe('queued');
    expect(pt([{ type: 'Created', status: 'True' }])).toBe('queued');
    expect(pt([{ type: 'Created', status: 'True' }, { type: 'Running', status: 'True' }])).toBe('running');
    expect(pt([{ type: 'Restarting', status: 'True' }])).toBe('running');
    expect(pt([{ type: 'Running', status: 'False' }, { type: 'Succeeded', status: 'True', lastTransitionTime: '2026-01-02T00:00:00Z' }])).toBe('succeeded');
    expect(pt([{ type: 'Succeeded', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }, { type: 'Failed', status: 'True', lastTransitionTime: '2026-01-02T00:00:00Z' }])).toBe('failed');
    const tj = (status: object) => objectStatus('TrainJob', { metadata: { name: 't' }, status });
    expect(tj({})).toBe('queued');
    expect(tj({ jobsStatus: [{ name: 'node', ready: 0, active: 2 }] })).toBe('queued');
    expect(tj({ jobsStatus: [{ name: 'node', ready: 2, active: 2 }] })).toBe('running');
    expect(tj({ conditions: [{ type: 'Complete', status: 'True' }] })).toBe('succeeded');
    expect(tj({ conditions: [{ type: 'Failed', status: 'True' }] })).toBe('failed');
    expect(aggregateStatus(['succeeded', 'running', 'failed'])).toBe('running');
    expect(aggregateStatus(['succeeded', 'queued'])).toBe('queued');
    expect(aggregateStatus(['succeeded', 'succeeded'])).toBe('succeeded');
    expect(aggregateStatus(['succeeded', 'failed'])).toBe('failed');
  });

  it('counts GPUs per kind', () => {
    const pod = (gpu: string | undefined) => ({ containers: [{ name: 'c', resources: gpu === undefined ? {} : { requests: { 'nvidia.com/gpu': gpu } } }, { name: 'side' }] });
    expect(objectGpus('Job', { metadata: { name: 'j' }, spec: { template: { spec: pod('4') } } })).toBe(4);
    expect(objectGpus('Job', { metadata: { name: 'j' }, spec: { parallelism: 2, template: { spec: pod('1') } } })).toBe(2);
    expect(objectGpus('Job', { metadata: { name: 'j' }, spec: { template: { spec: pod(undefined) } } })).toBe(0);
    expect(objectGpus('PyTorchJob', { metadata: { name: 'p' }, spec: { pytorchReplicaSpecs: { Master: { replicas: 1, template: { spec: pod('2') } }, Worker: { replicas: 3, template: { spec: pod('2') } } } } })).toBe(8);
    expect(objectGpus('TrainJob', { metadata: { name: 't' }, spec: { trainer: { numNodes: 4, resourcesPerNode: { limits: { 'nvidia.com/gpu': '8' } } } } })).toBe(32);
  });

  it('job ids: random ones differ, idempotent ones are stable per team, caller and key', () => {
    const ids = new Set(Array.from({ length: 50 }, randomJobId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(JOB_ID_PATTERN);
    expect(idempotentJobId('t', 'p', 'k')).toBe(idempotentJobId('t', 'p', 'k'));
    expect(idempotentJobId('t', 'p', 'k')).not.toBe(idempotentJobId('t', 'p2', 'k'));
    expect(idempotentJobId('t', 'p', 'k')).toMatch(JOB_ID_PATTERN);
  });

  it('loads the configuration from the environment, reporting every problem', () => {
    const env = {
      [TRAINING_API_ENV.clusterName]: 'gai',
      [TRAINING_API_ENV.clusterEndpoint]: 'https://x.eks.amazonaws.com',
      [TRAINING_API_ENV.clusterCa]: 'Q0E=',
      [TRAINING_API_ENV.config]: JSON.stringify(SETTINGS),
      AWS_REGION: 'eu-west-1',
    };
    expect(loadTrainingApiConfig(env)).toMatchObject({ region: 'eu-west-1', cluster: { name: 'gai', caData: 'Q0E=' }, teams: [{ name: 'team-a' }, { name: 'team-b' }] });
    expect(() => loadTrainingApiConfig({ ...env, [TRAINING_API_ENV.clusterName]: '', AWS_REGION: undefined, [TRAINING_API_ENV.config]: JSON.stringify({ ...SETTINGS, teams: [SETTINGS.teams[0], SETTINGS.teams[0]] }) })).toThrow(
      /TJ_CLUSTER_NAME is required[\s\S]*TJ_REGION or AWS_REGION is required[\s\S]*TJ_CONFIG\.teams\.1\.name: team team-a is defined twice/,
    );
    expect(() => loadTrainingApiConfig({ ...env, [TRAINING_API_ENV.config]: '{' })).toThrow(/TJ_CONFIG is not valid JSON/);
  });
});

