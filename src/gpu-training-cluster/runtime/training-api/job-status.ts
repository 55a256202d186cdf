/**
 * Status and GPU accounting of training objects as the Kubernetes API returns them: batch/v1 Jobs,
 * kubeflow.org/v1 PyTorchJobs and trainer.kubeflow.org/v1alpha1 TrainJobs.
 *
 * Status (`queued | running | succeeded | failed`):
 * - Job: condition `Complete=True` → succeeded, `Failed=True` → failed; `status.ready > 0` →
 *   running; otherwise queued (pods pending for GPU capacity count as `active` but not `ready`; a
 *   suspended Job is queued).
 * - PyTorchJob: the latest `True` condition among `Succeeded`/`Failed` decides; else `Running` or
 *   `Restarting` True → running; else queued (`Created`, no conditions).
 * - TrainJob: condition `Complete=True` → succeeded, `Failed=True` → failed; any
 *   `status.jobsStatus[].ready > 0` → running; else queued.
 * A job of several trials: running when any trial runs, else queued when any is queued, else
 * succeeded when all succeeded, else failed.
 *
 * GPUs: what the object's pods request (`nvidia.com/gpu` requests, else limits): Job →
 * `parallelism` (default 1) × per-pod GPUs; PyTorchJob → Σ replicas × per-pod GPUs; TrainJob →
 * `numNodes` (default 1) × `resourcesPerNode`. Finished objects hold none.
 */
/** The NVIDIA device plugin's resource (TrainingTeams' `GPU_RESOURCE`; not imported: teams.ts pulls in the constructs). */
const GPU_RESOURCE = 'nvidia.com/gpu';

export type TrainingStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** The object kinds the API creates and reads, with their API paths. */
export const TRAINING_KINDS = [
  { kind: 'Job', apiVersion: 'batch/v1', plural: 'jobs' },
  { kind: 'PyTorchJob', apiVersion: 'kubeflow.org/v1', plural: 'pytorchjobs' },
  { kind: 'TrainJob', apiVersion: 'trainer.kubeflow.org/v1alpha1', plural: 'trainjobs' },
] as const;
export type TrainingKind = (typeof TRAINING_KINDS)[number]['kind'];

/** The fields of a training object this module reads. */
export interface TrainingObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly creationTimestamp?: string;
  };
  readonly spec?: any;
  readonly status?: any;
}

interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly lastTransitionTime?: string;
  readonly message?: string;
}

const conditions = (o: TrainingObject): Condition[] => (Array.isArray(o.status?.conditions) ? (o.status.conditions as Condition[]) : []);
const isTrue = (o: TrainingObject, type: string): boolean => conditions(o).some((c) => c.type === type && c.status === 'True');

/** The status of one object of `kind`. */
export function objectStatus(kind: TrainingKind, o: TrainingObject): TrainingStatus {
  switch (kind) {
    case 'Job':
      if (isTrue(o, 'Complete')) return 'succeeded';
      if (isTrue(o, 'Failed')) return 'failed';
      return Number(o.status?.ready ?? 0) > 0 ? 'running' : 'queued';
    case 'PyTorchJob': {
      const finished = conditions(o)
        .filter((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True')
        .sort((a, b) => (a.lastTransitionTime ?? '').localeCompare(b.lastTransitionTime ?? ''))
        .at(-1);
      if (finished) return finished.type === 'Succeeded' ? 'succeeded' : 'failed';
      return isTrue(o, 'Running') || isTrue(o, 'Restarting') ? 'running' : 'queued';
    }
    case 'TrainJob': {
      if (isTrue(o, 'Complete')) return 'succeeded';
      if (isTrue(o, 'Failed')) return 'failed';
      const jobs = Array.isArray(o.status?.jobsStatus) ? (o.status.jobsStatus as { ready?: number }[]) : [];
      return jobs.some((j) => Number(j.ready ?? 0) > 0) ? 'running' : 'queued';
    }
  }
}

/** The status of a job made of trials with `statuses`. */
export function aggregateStatus(statuses: readonly TrainingStatus[]): TrainingStatus {
  if (statuses.includes('running')) return 'running';
  if (statuses.includes('queued')) return 'queued';
  return statuses.length > 0 && statuses.every((s) => s === 'succeeded') ? 'succeeded' : 'failed';
}

/** GPUs of a container's resources (requests win; a missing or non-integer value counts 0). */
function containerGpus(container: any): number {
  const resources = container?.resources ?? {};
  const raw = resources.requests?.[GPU_RESOURCE] ?? resources.limits?.[GPU_RESOURCE];
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function podGpus(podSpec: any): number {
  const containers: unknown[] = Array.isArray(podSpec?.containers) ? podSpec.containers : [];
  return containers.reduce<number>((sum, c) => sum + containerGpus(c), 0);
}

const count = (value: unknown, fallback: number): number => {
  const n = Number(value ?? fallback);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
};

/** GPUs the pods of an object of `kind` request (whether or not they are running). */
export function objectGpus(kind: TrainingKind, o: TrainingObject): number {
  switch (kind) {
    case 'Job':
      return count(o.spec?.parallelism, 1) * podGpus(o.spec?.template?.spec);
    case 'PyTorchJob': {
      const replicas: Record<string, any> = o.spec?.pytorchReplicaSpecs ?? {};
      return Object.values(replicas).reduce<number>((sum, r) => sum + count(r?.replicas, 1) * podGpus(r?.template?.spec), 0);
    }
    case 'TrainJob': {
      const trainer = o.spec?.trainer ?? {};
      return count(trainer.numNodes, 1) * containerGpus({ resources: trainer.resourcesPerNode });
    }
  }
}

/** GPUs an object holds against the quota: its pods' GPUs until it finishes. */
export function heldGpus(kind: TrainingKind, o: TrainingObject): number {
  const status = objectStatus(kind, o);
  return status === 'succeeded' || status === 'failed' ? 0 : objectGpus(kind, o);
}
