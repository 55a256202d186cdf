/**
 * The reference deployment: a sample enterprise's dev and prod platforms, each declared once as a
 * `GaiPlatform` config. `npm run synth` (or `cdktf synth`) writes
 * `cdktf.out/stacks/<environment>-<layer>/cdk.tf.json` for both — 12 stacks:
 *
 *   <env>-data ─► <env>-cluster ─► <env>-addons ─► <env>-workloads ─► <env>-observability ─► <env>-access
 *
 * (`cdktf.out/manifest.json` records each stack's `dependencies`.) Apply one environment's stacks
 * in that order; `gaiops validate` and `gaiops plan-guard` guard CI (see examples/ci/).
 *
 * dev: ephemeral (destroyable), single NAT, 2 AZs, 30-day logs, loose alarms, local state.
 * prod: protected (prevent_destroy, deletion protection, PITR), NAT per AZ, 3 AZs, 2-year logs,
 * strict alarms, S3 state with lockfile locking, SSO personas, a GPU budget.
 */
import { ECOMMERCE_FEATURE_GROUPS } from '../src/feature-store/ecommerce-groups';
import { App, GaiPlatform, type FeatureGroupInput, type GaiPlatformConfigInput, type PlatformSettingsInput } from '../src';

/** Feature groups of the reference e-commerce domain: customers (with PII) and their purchases. */
export const REFERENCE_FEATURE_GROUPS: FeatureGroupInput[] = [...ECOMMERCE_FEATURE_GROUPS];

/** Role ARNs given cluster-admin access (replace with your own). */
export const REFERENCE_CLUSTER_ADMINS = ['arn:aws:iam::111122223333:role/PlatformAdmin'];

/** ACM certificate of the assistant's internal ALB (replace with your own). */
export const REFERENCE_CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

/** SSO (IAM Identity Center) SAML provider of the reference organization (replace with your own). */
export const REFERENCE_SAML_PROVIDER_ARN = 'arn:aws:iam::111122223333:saml-provider/IdentityCenter';

/** Teams: GPU quotas, the datasets they train on. */
export const REFERENCE_TEAMS = [
  { name: 'recommendations', gpuQuota: 8, datasetGroups: ['customers', 'purchases'] },
  { name: 'genai', gpuQuota: 16, datasetGroups: ['customers'] },
];

export const REFERENCE_SETTINGS: PlatformSettingsInput = {
  prefix: 'gai',
  environment: 'dev',
  region: 'eu-west-1',
  owner: 'ml-platform-team',
  costCenter: 'cc-1234',
};

/** The dev platform: cheap and destroyable; the assistant A/B test runs on spot-capable A10G pools. */
export const REFERENCE_DEV_CONFIG: GaiPlatformConfigInput = {
  preset: 'dev',
  settings: { ...REFERENCE_SETTINGS, environment: 'dev' },
  cluster: {
    adminRoleArns: REFERENCE_CLUSTER_ADMINS,
    gpuPools: [
      { name: 'gpu-a10g', instanceFamilies: ['g5'], capacityTypes: ['spot', 'on-demand'], gpuLimit: 16 },
      { name: 'gpu-l40s', instanceFamilies: ['g6e'], capacityTypes: ['on-demand'], gpuLimit: 8 },
    ],
  },
  data: { featureGroups: REFERENCE_FEATURE_GROUPS, gates: { requiredMetrics: [{ metric: 'accuracy', min: 0.9 }] } },
  teams: REFERENCE_TEAMS,
  inference: [
    {
      // The LLM assistant: the production model with a 10 % challenger, behind the gateway on an
      // internal ALB (TLS from ACM); its request logs feed the drift, A/B and usage analysis.
      name: 'assistant',
      variants: [
        { name: 'champion', model: { name: 'assistant-llm', alias: 'production' }, pool: 'gpu-l40s', weight: 90, replicas: { min: 1, max: 4 } },
        { name: 'challenger', model: { name: 'assistant-llm', alias: 'canary' }, pool: 'gpu-a10g', weight: 10, replicas: { min: 0, max: 2 }, scaleToZero: true },
      ],
      ingress: { certificateArn: REFERENCE_CERTIFICATE_ARN },
      // A new `canary` version gets 5 → 25 → 50 → 100 % of the challenger's traffic share, 10 minutes
      // per healthy step, rolled back on errors or latency.
      rollout: { bakeMinutes: 10 },
      drift: {
        columns: [
          { name: 'input_tokens', type: 'numeric' },
          { name: 'output_tokens', type: 'numeric' },
          { name: 'route', type: 'categorical' },
        ],
        abTest: { variantColumn: 'variant', conversionColumn: 'accepted', minimumDetectableEffect: 0.02 },
        llmUsage: {},
      },
    },
  ],
  observability: {
    alertEmails: ['ml-platform-oncall@example.com'],
    gpuBudget: { monthlyLimitUsd: 20_000, nodePoolNames: ['gpu-a10g', 'gpu-l40s'] },
  },
  access: { samlProviderArn: REFERENCE_SAML_PROVIDER_ARN },
};

/** The prod platform: protected, redundant, S3 state with lockfile locking, bigger GPU limits. */
export const REFERENCE_PROD_CONFIG: GaiPlatformConfigInput = {
  ...REFERENCE_DEV_CONFIG,
  // Both forms where they fit: features served in the cluster next to the model servers (and by the
  // API for everyone else), the registry reachable from training pods without leaving the VPC.
  data: { ...REFERENCE_DEV_CONFIG.data, featureServing: 'both', registryServer: true },
  trainingJobApi: {
    teams: [
      { team: 'recommendations', nodePool: 'gpu-a10g', allowedImages: ['111122223333.dkr.ecr.eu-west-1.amazonaws.com/training/'] },
      { team: 'genai', nodePool: 'gpu-l40s', allowedImages: ['111122223333.dkr.ecr.eu-west-1.amazonaws.com/training/'] },
    ],
  },
  preset: 'prod',
  settings: { ...REFERENCE_SETTINGS, environment: 'prod' },
  state: {
    backend: 's3',
    bucket: 'acme-terraform-state-111122223333',
    kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  },
  cluster: {
    adminRoleArns: REFERENCE_CLUSTER_ADMINS,
    gpuPools: [
      { name: 'gpu-a10g', instanceFamilies: ['g5'], capacityTypes: ['spot', 'on-demand'], gpuLimit: 32 },
      { name: 'gpu-l40s', instanceFamilies: ['g6e'], capacityTypes: ['on-demand'], gpuLimit: 16 },
    ],
  },
  observability: {
    alertEmails: ['ml-platform-oncall@example.com'],
    gpuBudget: { monthlyLimitUsd: 60_000, nodePoolNames: ['gpu-a10g', 'gpu-l40s'] },
  },
};

export interface ReferenceAppOptions {
  readonly outdir?: string;
  /** Which platforms to build. Default both (`['dev', 'prod']`). */
  readonly platforms?: readonly ('dev' | 'prod')[];
}

/** Builds the reference app (not synthesized: call `.synth()`). */
export function buildReferenceApp(options: ReferenceAppOptions = {}): App {
  // Without an explicit outdir cdktf uses CDKTF_OUTDIR (set by `gaiops synth --output`), then cdktf.out.
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const platforms = options.platforms ?? ['dev', 'prod'];
  if (platforms.includes('dev')) new GaiPlatform(app, 'dev', REFERENCE_DEV_CONFIG);
  if (platforms.includes('prod')) new GaiPlatform(app, 'prod', REFERENCE_PROD_CONFIG);
  return app;
}

if (require.main === module) {
  buildReferenceApp().synth();
}
