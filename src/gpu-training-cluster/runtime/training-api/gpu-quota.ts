/**
 * The team's GPU quota check: the GPUs a request asks for must fit in the team's `gpuQuota` minus
 * what its unfinished training objects (Jobs, PyTorchJobs, TrainJobs in the namespace, whoever
 * created them) hold. Two concurrent requests can both pass; the namespace ResourceQuota that
 * TrainingTeams creates stays the hard limit (pods over it are not created and the jobs wait).
 */
import { HttpError } from '../../../core/runtime/http-app';

/** The GPUs in use in a namespace, and by how many unfinished objects. */
export interface GpuUsage {
  readonly gpus: number;
  readonly objects: number;
}

/** Throws 409 `gpu_quota_exceeded` when `requested` does not fit. */
export function checkGpuQuota(team: { readonly name: string; readonly gpuQuota: number }, requested: number, usage: GpuUsage): void {
  const free = Math.max(0, team.gpuQuota - usage.gpus);
  if (requested <= free) return;
  throw new HttpError(
    409,
    'gpu_quota_exceeded',
    `team '${team.name}' requests ${requested} GPU${requested === 1 ? '' : 's'} but only ${free} of its ${team.gpuQuota}-GPU quota ${free === 1 ? 'is' : 'are'} free (${usage.gpus} held by ${usage.objects} unfinished training job object${usage.objects === 1 ? '' : 's'}); wait for jobs to finish or request fewer GPUs or trials`,
    { requestedGpus: requested, freeGpus: free, quotaGpus: team.gpuQuota, usedGpus: usage.gpus },
  );
}
