/**
 * Configuration of the training-job API, shared by the runtime (which validates it at cold start)
 * and the TrainingJobApi construct (which renders it into the function's environment).
 *
 * Environment: `TJ_CLUSTER_NAME`, `TJ_CLUSTER_ENDPOINT`, `TJ_CLUSTER_CA` (base64 PEM) and
 * `TJ_CONFIG` (JSON of {@link TrainingApiSettingsSchema}); the region comes from `AWS_REGION`
 * (set by Lambda) or `TJ_REGION`.
 */
import { z } from 'zod';

/** Environment variable names. */
export const TRAINING_API_ENV = {
  clusterName: 'TJ_CLUSTER_NAME',
  clusterEndpoint: 'TJ_CLUSTER_ENDPOINT',
  clusterCa: 'TJ_CLUSTER_CA',
  config: 'TJ_CONFIG',
  region: 'TJ_REGION',
} as const;

/** Default cap on trials per request. */
export const DEFAULT_MAX_TRIALS_PER_REQUEST = 50;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** `<registry>/<repository path>` with an optional trailing `/` (a repository prefix). */
const IMAGE_PREFIX = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*\/?$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\u0021-\u007e]+$/;

/** One team as the API sees it. */
export const TrainingApiTeamSchema = z.strictObject({
  name: z.string().max(40, 'must be at most 40 characters').regex(DNS_LABEL, 'must be a team name (DNS-1123 label)').describe('Team name, as in TrainingTeams.'),
  namespace: z.string().regex(DNS_LABEL, 'must be a namespace name').describe('Namespace the jobs are created in (TrainingTeams uses the team name).'),
  gpuQuota: z.number().int().min(0).max(100_000).describe("GPUs the team's running jobs may hold in total (TrainingTeams' `gpuQuota`)."),
  nodePool: z.string().min(1).max(63).describe('GPU NodePool the jobs are scheduled on (nodeSelector `gaiops.io/node-pool`).'),
  allowedImages: z
    .array(z.string().regex(IMAGE_PREFIX, 'must be a registry/repository prefix such as 111122223333.dkr.ecr.eu-west-1.amazonaws.com/team-a/'))
    .min(1, 'must allow at least one image prefix')
    .describe('Registry/repository prefixes training images must start with (a prefix matches whole path segments).'),
  submitters: z
    .array(z.string().regex(PRINCIPAL_ARN, 'must be an IAM role or user ARN'))
    .describe('IAM roles (any session of the role) and users allowed to submit and read the team\'s jobs.'),
});
export type TrainingApiTeam = z.output<typeof TrainingApiTeamSchema>;

/** Refinement shared with the construct's props: every team name once (issue at `teams[i].name`). */
export function uniqueTeamNames(value: { readonly teams: readonly { readonly name: string }[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  value.teams.forEach((t, i) => {
    if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['teams', i, 'name'], message: `team ${t.name} is defined twice` });
    seen.add(t.name);
  });
}

/** What `TJ_CONFIG` holds. */
export const TrainingApiSettingsSchema = z
  .strictObject({
    serviceAccountName: z.string().regex(DNS_LABEL, 'must be a service account name').describe('Service account of the training pods in each team namespace.'),
    registry: z.strictObject({
      url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL'),
      region: z.string().min(1),
      artifactBucket: z.string().min(3).max(63),
    }),
    dataset: z.strictObject({
      bucket: z.string().min(3).max(63),
      versionsTable: z.string().min(3).max(255).optional(),
    }),
    maxTrialsPerRequest: z.number().int().min(1).max(500).default(DEFAULT_MAX_TRIALS_PER_REQUEST),
    teams: z.array(TrainingApiTeamSchema).min(1, 'must define at least one team'),
  })
  .superRefine(uniqueTeamNames);
export type TrainingApiSettings = z.output<typeof TrainingApiSettingsSchema>;
export type TrainingApiSettingsInput = z.input<typeof TrainingApiSettingsSchema>;

/** Everything the runtime needs. */
export interface TrainingApiConfig extends TrainingApiSettings {
  readonly cluster: { readonly name: string; readonly endpoint: string; readonly caData: string };
  readonly region: string;
}

/** Reads and validates the environment; throws one Error listing every problem (fails the cold start). */
export function loadTrainingApiConfig(env: Readonly<Record<string, string | undefined>>): TrainingApiConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required`);
    return value ?? '';
  };
  const clusterName = required(TRAINING_API_ENV.clusterName);
  const endpoint = required(TRAINING_API_ENV.clusterEndpoint);
  const caData = required(TRAINING_API_ENV.clusterCa);
  const rawConfig = required(TRAINING_API_ENV.config);
  const region = env[TRAINING_API_ENV.region]?.trim() || env.AWS_REGION?.trim() || '';
  if (!region) problems.push(`${TRAINING_API_ENV.region} or AWS_REGION is required`);
  if (endpoint && !/^https?:\/\/\S+$/.test(endpoint)) problems.push(`${TRAINING_API_ENV.clusterEndpoint} must be an http(s) URL`);
  let settings: TrainingApiSettings | undefined;
  if (rawConfig) {
    let json: unknown;
    try {
      json = JSON.parse(rawConfig);
    } catch {
      problems.push(`${TRAINING_API_ENV.config} is not valid JSON`);
    }
    if (json !== undefined) {
      const parsed = TrainingApiSettingsSchema.safeParse(json);
      if (parsed.success) settings = parsed.data;
      else problems.push(...parsed.error.issues.map((i) => `${TRAINING_API_ENV.config}.${i.path.join('.')}: ${i.message}`));
    }
  }
  if (problems.length > 0 || !settings) throw new Error(`invalid training-job API configuration:\n  ${problems.join('\n  ')}`);
  return { ...settings, cluster: { name: clusterName, endpoint, caData }, region };
}
