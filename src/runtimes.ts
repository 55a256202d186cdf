/**
 * Every runtime gaiops ships. `npm run build:runtimes` bundles each into `dist/runtimes/<name>/`
 * (a deterministic Lambda zip and/or a container build context, plus `manifest.json`); constructs
 * refer to them by name (`LambdaCode.fromRuntime`, `ContainerImage` `runtime`). Paths are relative
 * to the package root.
 */
export interface RuntimeDefinition {
  /** Artifact name, lowercase kebab case. */
  readonly name: string;
  /** Lambda entry (exports `handler`), bundled with `@aws-sdk/*` external. */
  readonly lambda?: { readonly entry: string };
  /** Container entry (starts the server) and its Dockerfile, bundled with every dependency. */
  readonly container?: { readonly entry: string; readonly dockerfile: string };
}

/** The one Dockerfile of gaiops' Node.js HTTP services (pinned base image, non-root, nothing installed). */
export const NODE_SERVICE_DOCKERFILE = 'src/core/runtime/Dockerfile';

export const RUNTIMES = [
  {
    name: 'object-digest',
    lambda: { entry: 'src/core/object-digest/runtime/lambda.ts' },
    container: {
      entry: 'src/core/object-digest/runtime/server.ts',
      dockerfile: NODE_SERVICE_DOCKERFILE,
    },
  },
  {
    name: 'model-registry',
    lambda: { entry: 'src/model-registry/runtime/lambda.ts' },
    container: {
      entry: 'src/model-registry/runtime/server.ts',
      dockerfile: NODE_SERVICE_DOCKERFILE,
    },
  },
  {
    name: 'feature-store-ingest',
    lambda: { entry: 'src/feature-store/runtime/ingest-lambda.ts' },
  },
  {
    name: 'feature-store-serving',
    lambda: { entry: 'src/feature-store/runtime/serving-lambda.ts' },
    container: {
      entry: 'src/feature-store/runtime/serving-server.ts',
      dockerfile: NODE_SERVICE_DOCKERFILE,
    },
  },
  {
    // The training-pod entrypoint wrapper: verified dataset download, training command, metrics,
    // content-addressed artifacts, registration with lineage. Training images build FROM it.
    name: 'trainer',
    container: {
      entry: 'src/gpu-training-cluster/runtime/trainer/main.ts',
      dockerfile: 'src/gpu-training-cluster/runtime/trainer/Dockerfile',
    },
  },
  {
    // Init container of InferenceService model servers: resolves a registered version (number or
    // alias), checks its governance status, streams and verifies the artifact into /models.
    name: 'model-fetcher',
    container: {
      entry: 'src/inference-service/runtime/model-fetcher/main.ts',
      dockerfile: NODE_SERVICE_DOCKERFILE,
    },
  },
  {
    // The InferenceService's OpenAI-compatible A/B gateway (auth, limits, routing, metrics, logs).
    name: 'inference-gateway',
    container: {
      entry: 'src/inference-service/runtime/gateway/server.ts',
      dockerfile: NODE_SERVICE_DOCKERFILE,
    },
  },
  {
    // The MonitoringStack's drift, fairness, A/B and LLM-usage analysis: a scheduled Lambda, and
    // the same job as a container for a Kubernetes CronJob.
    name: 'monitoring-drift',
    lambda: { entry: 'src/monitoring-stack/runtime/drift/lambda.ts' },
    // A batch job: its own Dockerfile (no port, no HTTP health check).
    container: {
      entry: 'src/monitoring-stack/runtime/drift/main.ts',
      dockerfile: 'src/monitoring-stack/runtime/drift/Dockerfile',
    },
  },
  {
    // The InferenceService progressive-delivery controller: shifts gateway weights in steps on
    // registry alias changes, checks the candidate's health in Prometheus, rolls back.
    name: 'inference-rollout',
    lambda: { entry: 'src/inference-service/runtime/rollout/lambda.ts' },
  },
  {
    // The GpuTrainingCluster training-job API: validated training requests become Jobs/TrainJobs/
    // PyTorchJobs in team namespaces through the EKS API (quota, image allow-list, callers).
    name: 'training-job-api',
    lambda: { entry: 'src/gpu-training-cluster/runtime/training-api/lambda.ts' },
  },
] as const satisfies readonly RuntimeDefinition[];

export type RuntimeName = (typeof RUNTIMES)[number]['name'];
