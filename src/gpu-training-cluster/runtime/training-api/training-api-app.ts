/**
 * The training-job API as an `HttpApp` (one handler for Lambda behind API Gateway and for a
 * node:http server):
 *
 * - `POST /training-jobs` — body {@link TrainingRequestSchema}; optional `Idempotency-Key` header.
 *   201 `{ job }` (200 for an idempotent retry); 400 `invalid_body` naming the fields; 403
 *   `permission_denied` / `image_not_allowed`; 404 `unknown_team`; 409 `gpu_quota_exceeded`,
 *   `idempotency_key_reused`, `job_exists`; 422 `rejected_by_cluster`; 502 `cluster_access_denied` /
 *   `cluster_not_ready`; 503 `cluster_unavailable` / `partially_created`.
 * - `GET /training-jobs/{team}/{id}` — `{ job }` with the status of every trial; 404 `job_not_found`.
 * - `GET /training-jobs/{team}` — `{ jobs }`, newest first.
 * - `GET /healthz`.
 *
 * The caller is the transport-authenticated principal (API Gateway IAM `userArn`); it must be one
 * of the team's submitters.
 */
import { type AppLogger, HttpApp, HttpError, parseBody } from '../../../core/runtime/http-app';
import type { TrainingApiConfig } from './config';
import { isImageAllowed } from './image-allow-list';
import { IDEMPOTENCY_KEY_PATTERN, JOB_ID_PATTERN } from './job-id';
import { authorizeTeam } from './team-access';
import { getTrainingJob, listTrainingJobs, submitTrainingJob, type TrainingKubeApi } from './training-jobs';
import { TrainingRequestSchema } from './training-request';

export const TRAINING_API_SERVICE_NAME = 'gaiops-training-job-api';

export interface TrainingApiAppOptions {
  readonly kube: TrainingKubeApi;
  readonly config: Pick<TrainingApiConfig, 'teams' | 'serviceAccountName' | 'registry' | 'dataset' | 'maxTrialsPerRequest'>;
  readonly logger?: AppLogger;
}

/** The API's routes over `kube`. */
export function createTrainingApiApp(options: TrainingApiAppOptions): HttpApp {
  const { kube, config } = options;
  const app = new HttpApp({ name: TRAINING_API_SERVICE_NAME, logger: options.logger });

  app.route('POST', '/training-jobs', async (request, { log }) => {
    const body = parseBody(TrainingRequestSchema, request);
    const team = authorizeTeam(config, body.team, request.principal);
    if (!isImageAllowed(body.image, team.allowedImages)) {
      throw new HttpError(403, 'image_not_allowed', `image is not under an allowed prefix of team '${team.name}' (${team.allowedImages.join(', ')})`);
    }
    const key = request.headers['idempotency-key'];
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-128 printable ASCII characters');
    }
    const result = await submitTrainingJob(kube, config, team, body, request.principal!, key);
    log.info('training job submitted', { team: team.name, jobId: result.job.id, kind: result.job.kind, trials: result.job.trials.length, gpus: result.job.gpus, status: result.status });
    return { status: result.status, body: { job: result.job } };
  });

  app.route('GET', '/training-jobs/:team/:id', async (request) => {
    const team = authorizeTeam(config, request.params.team, request.principal);
    if (!JOB_ID_PATTERN.test(request.params.id)) throw new HttpError(404, 'job_not_found', `no training job '${request.params.id}' in team '${team.name}'`);
    return { status: 200, body: { job: await getTrainingJob(kube, team, request.params.id) } };
  });

  app.route('GET', '/training-jobs/:team', async (request) => {
    const team = authorizeTeam(config, request.params.team, request.principal);
    return { status: 200, body: { jobs: await listTrainingJobs(kube, team) } };
  });

  app.route('GET', '/healthz', () => ({ status: 200, body: { status: 'ok' } }));
  return app;
}
