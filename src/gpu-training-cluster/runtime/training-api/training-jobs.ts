/**
 * Training jobs in team namespaces through the Kubernetes API: submit (quota check, server-side
 * dry run of every object, then creation), read one job, list a team's jobs. A job is the set of
 * trial objects labelled `gaiops.io/sweep=<job id>` and `gaiops.io/submitted-via=training-job-api`.
 *
 * Writes: every object is first created with `dryRun=All` (admission, schema and quota checks
 * without persisting), then for real, so a request that the cluster refuses creates nothing. A
 * transient failure between creations can still leave some trials created (the API's Kubernetes
 * role has no delete): the answer is 503 `partially_created` listing them, and repeating the
 * request with the same `Idempotency-Key` creates the missing ones (existing trials with the same
 * request hash are kept, a different request under the same key is 409).
 */
import { HttpError } from '../../../core/runtime/http-app';
import { KubeApiError, type KubeClient, resourcePath } from '../../../core/runtime/kube-client';
import { SWEEP_LABEL, TRIAL_LABEL } from '../../training-manifests';
import type { TrainingApiConfig, TrainingApiTeam } from './config';
import { checkGpuQuota, type GpuUsage } from './gpu-quota';
import { idempotentJobId, randomJobId, requestHash } from './job-id';
import { aggregateStatus, heldGpus, objectGpus, objectStatus, TRAINING_KINDS, type TrainingKind, type TrainingObject, type TrainingStatus } from './job-status';
import {
  renderTrainingJob,
  REQUEST_HASH_ANNOTATION,
  SUBMITTED_BY_ANNOTATION,
  SUBMITTED_VIA,
  SUBMITTED_VIA_LABEL,
  type TrainingRequest,
} from './training-request';

/** The Kubernetes calls the API makes (a `KubeClient`). */
export type TrainingKubeApi = Pick<KubeClient, 'get' | 'list' | 'create'>;

/** One trial as returned to clients. */
export interface TrialView {
  readonly name: string;
  readonly status: TrainingStatus;
  readonly gpus: number;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
}

/** A training job as returned to clients. */
export interface TrainingJobView {
  readonly id: string;
  readonly team: string;
  readonly namespace: string;
  readonly kind: TrainingKind;
  readonly status: TrainingStatus;
  readonly createdAt?: string;
  readonly submittedBy?: string;
  readonly gpus: number;
  readonly trials: readonly TrialView[];
}

const PAGE = 500;
const MAX_PAGES = 20;

const kindOf = (kind: string): (typeof TRAINING_KINDS)[number] => TRAINING_KINDS.find((k) => k.kind === kind)!;
const collection = (kind: string, namespace: string): string => {
  const k = kindOf(kind);
  return resourcePath(k.apiVersion, k.plural, namespace);
};

/** Kubernetes failures as API errors (the Status message is safe to return: it names objects, not secrets). */
function clusterError(error: unknown, what: string): never {
  if (error instanceof HttpError) throw error;
  if (!(error instanceof KubeApiError)) throw error;
  if (error.status === 422 || error.status === 400) {
    throw new HttpError(422, 'rejected_by_cluster', `the cluster refused ${what}: ${error.message}`, { reason: error.reason ?? null });
  }
  if (error.status === 404) {
    throw new HttpError(502, 'cluster_not_ready', `the cluster has no place to ${what}: the team namespace or the training operator's CRD is missing`, { status: 404 });
  }
  if (error.status === 401 || error.status === 403) {
    throw new HttpError(502, 'cluster_access_denied', `the API is not allowed to ${what} (check its access entry and the TrainingJobApiRbac role)`, { status: error.status });
  }
  throw new HttpError(503, 'cluster_unavailable', `the cluster did not answer while trying to ${what}; retry later`, { status: error.status });
}

/** Every object of `kind` in `namespace` matching `labelSelector`; a kind whose CRD is absent yields none. */
async function listKind(kube: TrainingKubeApi, kind: TrainingKind, namespace: string, labelSelector?: string): Promise<TrainingObject[]> {
  const items: TrainingObject[] = [];
  let next: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let result;
    try {
      result = await kube.list<TrainingObject>(collection(kind, namespace), { labelSelector, limit: PAGE, ...(next ? { continue: next } : {}) });
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return items; // CRD not installed
      clusterError(error, `list ${kindOf(kind).plural} in ${namespace}`);
    }
    items.push(...result.items);
    next = result.metadata.continue;
    if (!next) return items;
  }
  throw new HttpError(503, 'too_many_objects', `more than ${PAGE * MAX_PAGES} ${kindOf(kind).plural} in ${namespace}; clean up finished jobs`);
}

async function listAllKinds(kube: TrainingKubeApi, namespace: string, labelSelector?: string): Promise<{ kind: TrainingKind; object: TrainingObject }[]> {
  const perKind = await Promise.all(TRAINING_KINDS.map(async ({ kind }) => (await listKind(kube, kind, namespace, labelSelector)).map((object) => ({ kind, object }))));
  return perKind.flat();
}

/** GPUs held by every unfinished training object of the namespace. */
export async function namespaceGpuUsage(kube: TrainingKubeApi, namespace: string): Promise<GpuUsage> {
  const all = await listAllKinds(kube, namespace);
  const holding = all.map(({ kind, object }) => heldGpus(kind, object)).filter((g) => g > 0);
  return { gpus: holding.reduce((a, b) => a + b, 0), objects: holding.length };
}

function toView(team: TrainingApiTeam, id: string, members: { kind: TrainingKind; object: TrainingObject }[]): TrainingJobView {
  const sorted = [...members].sort((a, b) => a.object.metadata.name.localeCompare(b.object.metadata.name));
  const trials = sorted.map(({ kind, object }) => ({ name: object.metadata.name, status: objectStatus(kind, object), gpus: objectGpus(kind, object) }));
  const first = sorted[0]!.object;
  const createdAt = sorted.map((m) => m.object.metadata.creationTimestamp).filter((t): t is string => !!t).sort()[0];
  return {
    id,
    team: team.name,
    namespace: team.namespace,
    kind: sorted[0]!.kind,
    status: aggregateStatus(trials.map((t) => t.status)),
    ...(createdAt ? { createdAt } : {}),
    ...(first.metadata.annotations?.[SUBMITTED_BY_ANNOTATION] ? { submittedBy: first.metadata.annotations[SUBMITTED_BY_ANNOTATION] } : {}),
    gpus: trials.reduce((sum, t) => sum + t.gpus, 0),
    trials,
  };
}

const jobSelector = (id?: string): string => `${SUBMITTED_VIA_LABEL}=${SUBMITTED_VIA}${id ? `,${SWEEP_LABEL}=${id}` : ''}`;

/** The outcome of a submission. */
export interface SubmitResult {
  /** 201 when this request created the job, 200 when an idempotent retry found (and completed) it. */
  readonly status: 200 | 201;
  readonly job: TrainingJobView;
}

/** Submits `request` for `team` on behalf of `principal`. */
export async function submitTrainingJob(
  kube: TrainingKubeApi,
  config: Pick<TrainingApiConfig, 'serviceAccountName' | 'registry' | 'dataset' | 'maxTrialsPerRequest'>,
  team: TrainingApiTeam,
  request: TrainingRequest,
  principal: string,
  idempotencyKey?: string,
): Promise<SubmitResult> {
  const id = idempotencyKey === undefined ? randomJobId() : idempotentJobId(team.name, principal, idempotencyKey);
  const hash = requestHash(request);
  const rendered = renderTrainingJob(request, team, config, id, { [SUBMITTED_BY_ANNOTATION]: principal, [REQUEST_HASH_ANNOTATION]: hash });

  // An idempotent retry: the objects of an earlier attempt must come from the same request.
  const existing = idempotencyKey === undefined ? [] : await listAllKinds(kube, team.namespace, jobSelector(id));
  if (existing.some(({ object }) => object.metadata.annotations?.[REQUEST_HASH_ANNOTATION] !== hash)) {
    throw new HttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
  }
  const existingNames = new Set(existing.map(({ object }) => object.metadata.name));
  const toCreate = rendered.objects.filter((o) => !existingNames.has(o.metadata.name));

  if (toCreate.length > 0) {
    const requested = toCreate.reduce((sum, o) => sum + objectGpus(o.kind as TrainingKind, o as unknown as TrainingObject), 0);
    checkGpuQuota(team, requested, await namespaceGpuUsage(kube, team.namespace));
    // Every object through admission first: nothing is persisted unless all of them pass.
    for (const o of toCreate) {
      try {
        await kube.create(`${collection(o.kind, team.namespace)}?dryRun=All`, o);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 409) {
          throw new HttpError(409, 'job_exists', `${o.kind} ${o.metadata.name} already exists`);
        }
        clusterError(error, `create ${o.kind} ${o.metadata.name}`);
      }
    }
    const created: string[] = [];
    for (const o of toCreate) {
      try {
        await kube.create(collection(o.kind, team.namespace), o);
        created.push(o.metadata.name);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 409) {
          // Created concurrently by a retry of the same request: fine when it is the same request.
          const current = await kube.get<TrainingObject>(`${collection(o.kind, team.namespace)}/${encodeURIComponent(o.metadata.name)}`).catch((e: unknown) => clusterError(e, `read ${o.kind} ${o.metadata.name}`));
          if (current.metadata.annotations?.[REQUEST_HASH_ANNOTATION] === hash) continue;
          throw new HttpError(409, 'job_exists', `${o.kind} ${o.metadata.name} already exists`);
        }
        if (created.length === 0) clusterError(error, `create ${o.kind} ${o.metadata.name}`);
        throw new HttpError(
          503,
          'partially_created',
          `created ${created.length} of ${toCreate.length} trials before the cluster failed; repeat the request with the same Idempotency-Key to create the rest`,
          { id, created, idempotent: idempotencyKey !== undefined },
        );
      }
    }
  }

  const params = new Map(rendered.trials.map((t) => [t.id, t.params]));
  const view = toView(
    team,
    id,
    rendered.objects.map((o) => ({ kind: o.kind as TrainingKind, object: { ...(existing.find((e) => e.object.metadata.name === o.metadata.name)?.object ?? o) } as TrainingObject })),
  );
  return {
    status: existing.length > 0 ? 200 : 201,
    job: { ...view, trials: view.trials.map((t) => ({ ...t, params: params.get(t.name) ?? {} })) },
  };
}

/** One job of the team; 404 `job_not_found` when no object carries its id. */
export async function getTrainingJob(kube: TrainingKubeApi, team: TrainingApiTeam, id: string): Promise<TrainingJobView> {
  const members = await listAllKinds(kube, team.namespace, jobSelector(id));
  if (members.length === 0) throw new HttpError(404, 'job_not_found', `no training job '${id}' in team '${team.name}'`);
  return toView(team, id, members);
}

/** The team's jobs submitted through the API, newest first. */
export async function listTrainingJobs(kube: TrainingKubeApi, team: TrainingApiTeam): Promise<TrainingJobView[]> {
  const byId = new Map<string, { kind: TrainingKind; object: TrainingObject }[]>();
  for (const member of await listAllKinds(kube, team.namespace, jobSelector())) {
    const id = member.object.metadata.labels?.[SWEEP_LABEL];
    if (!id || !member.object.metadata.labels?.[TRIAL_LABEL]) continue;
    byId.set(id, [...(byId.get(id) ?? []), member]);
  }
  return [...byId.entries()]
    .map(([id, members]) => toView(team, id, members))
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.id.localeCompare(b.id));
}
