import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { z } from 'zod';
import { instanceOf, instanceOfLater, isToken } from '../core/props';
import { LogRetentionDaysSchema } from '../core/platform-settings';
import { GpuTrainingCluster } from './cluster';
import { DEFAULT_MAX_TRIALS_PER_REQUEST, TrainingApiTeamSchema, uniqueTeamNames } from './runtime/training-api/config';
import { TrainingTeams } from './teams';
// Circular by design: the class is resolved when props are validated, after both modules loaded.
import { TrainingJobApi } from './training-job-api';

/** The Kubernetes group the API function's access entry maps to (bound by TrainingJobApiRbac). */
export const DEFAULT_TRAINING_API_GROUP = 'gaiops:training-job-api';

const team = TrainingApiTeamSchema.shape;
const roleArn = z.string().refine((v) => isToken(v) || /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\u0021-\u007e]+$/.test(v), 'must be an IAM role or user ARN');

export const TrainingJobApiTeamSchema = z.strictObject({
  name: team.name,
  namespace: team.namespace.optional().describe('Namespace the jobs are created in. Default the team name (as TrainingTeams creates it).'),
  gpuQuota: team.gpuQuota.describe("GPUs the team's unfinished training jobs may hold in total; use TrainingTeams' `gpuQuota` (whose ResourceQuota stays the hard limit)."),
  nodePool: team.nodePool.describe('GPU NodePool the jobs run on (GpuNodePools pool name).'),
  allowedImages: team.allowedImages,
  submitterArns: z
    .array(roleArn)
    .default([])
    .describe('IAM roles (any session; matched by account and role name) and users who may submit and read the team\'s jobs, besides those given `grantSubmit`. Default none.'),
});
export type TrainingJobApiTeam = z.input<typeof TrainingJobApiTeamSchema>;

export const TrainingJobApiPropsSchema = z
  .strictObject({
    cluster: instanceOf(GpuTrainingCluster, 'GpuTrainingCluster').describe(
      'The cluster: the function runs in its private subnets, reaches its (private) API endpoint through the cluster security group on 443, and gets an access entry in it.',
    ),
    teams: z.array(TrainingJobApiTeamSchema).min(1, 'must define at least one team').describe('The teams the API serves: namespace, GPU quota, node pool, allowed images, submitters.'),
    registry: z
      .strictObject({
        url: z.string().refine((v) => isToken(v) || /^https?:\/\/\S+$/.test(v), 'must be an http(s) URL').describe('`TRAINER_REGISTRY_URL` (ModelRegistry `apiUrl`).'),
        region: z.string().optional().describe("`TRAINER_REGISTRY_REGION`. Default the platform's region."),
        artifactBucket: z.string().min(3).describe('`TRAINER_ARTIFACT_BUCKET` (the ModelRegistry artifact bucket).'),
      })
      .describe('Model registry the jobs register into.'),
    dataset: z
      .strictObject({
        bucket: z.string().min(3).describe('`TRAINER_DATASET_BUCKET`: the FeatureStore offline bucket.'),
        versionsTable: z.string().min(3).optional().describe('`TRAINER_VERSIONS_TABLE`: needed for `tag:` and `current` dataset versions. Default none (requests must pin a version id).'),
      })
      .describe('Where the trainer finds dataset versions.'),
    serviceAccountName: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a service account name').default('trainer').describe('Service account of the training pods (TrainingTeams `serviceAccountName`). Default `trainer`.'),
    kubernetesGroup: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,62}$/, 'must be a Kubernetes group name')
      .refine((g) => !g.startsWith('system:'), 'must not start with system: (EKS refuses it)')
      .default(DEFAULT_TRAINING_API_GROUP)
      .describe(`Kubernetes group of the function's access entry, bound by TrainingJobApiRbac. Default \`${DEFAULT_TRAINING_API_GROUP}\`.`),
    maxTrialsPerRequest: z.number().int().min(1).max(500).default(DEFAULT_MAX_TRIALS_PER_REQUEST).describe(`Most trials one request may create. Default ${DEFAULT_MAX_TRIALS_PER_REQUEST}.`),
    memorySize: z.number().int().min(256).max(10240).default(512).describe('Memory of the API function in MB. Default 512.'),
    timeoutSeconds: z.number().int().min(3).max(30).default(29).describe("Timeout of the API function in seconds, at most the HTTP API's 30-second integration limit. Default 29."),
    throttling: z
      .strictObject({ burstLimit: z.number().int().min(1).default(20), rateLimit: z.number().min(1).default(10) })
      .default({ burstLimit: 20, rateLimit: 10 })
      .describe('API stage throttling. Default burst 20 requests, 10 requests per second (job submission is not a hot path).'),
    logRetentionDays: LogRetentionDaysSchema.optional().describe("Retention of the function's and the API's log groups. Default the platform's `logRetentionDays`."),
  })
  .superRefine(uniqueTeamNames);
export type TrainingJobApiProps = z.input<typeof TrainingJobApiPropsSchema>;
export type TrainingJobApiConfig = z.output<typeof TrainingJobApiPropsSchema>;

export const TrainingJobApiRbacPropsSchema = z.strictObject({
  api: instanceOfLater(() => TrainingJobApi, 'TrainingJobApi').describe(
    "The TrainingJobApi whose Kubernetes group is bound in each of its teams' namespaces (only literal settings are read: no reference to its stack).",
  ),
  trainingTeams: instanceOf(TrainingTeams, 'TrainingTeams')
    .optional()
    .describe('The TrainingTeams of the same namespaces: each Role then references its namespace resource, so it is created after it. Default none (namespaces by name).'),
  kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider')
    .optional()
    .describe("Kubernetes provider that creates the objects, e.g. `ClusterProviders.configure(…).kubernetes`. Default the stack's default `kubernetes` provider."),
});
export type TrainingJobApiRbacProps = z.input<typeof TrainingJobApiRbacPropsSchema>;
