/**
 * The reference deployment: `npm run synth` (or `cdktf synth`) writes
 * `cdktf.out/stacks/<stack>/cdk.tf.json` for the `dev` environment:
 * - `foundation`: the core pieces (key, buckets, table, a NodeFunction, a ContainerImage);
 * - `data`: the FeatureStore and the ModelRegistry (AWS data services, AWS provider only);
 * - `cluster`: the network, EKS, Karpenter IAM and training storage of the GPU cluster (AWS provider only);
 * - `addons`: Helm add-ons (Karpenter, NVIDIA, Kubeflow Trainer, KEDA, Prometheus CRDs);
 * - `workloads`: GPU/CPU NodePools, team namespaces with quotas and roles, training volumes, and the
 *   `assistant` InferenceService (two vLLM variants behind the A/B gateway);
 * - `observability`: alarms on the data services, the alert topic, the GPU budget, the drift analysis
 *   of the assistant's logs, and kube-prometheus-stack with the platform's rules and dashboards.
 * Dependency order (also in `cdktf.out/manifest.json`): foundation; data → cluster → addons →
 * workloads; addons → observability (which also reads foundation and data for the alarms).
 */
import { ECOMMERCE_FEATURE_GROUPS } from '../src/feature-store/ecommerce-groups';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import {
  App,
  ClusterAddons,
  ClusterNetwork,
  ClusterProviders,
  DriftDetector,
  MonitoringCluster,
  GpuNodePools,
  InferenceService,
  PlatformAlarms,
  TrainingStorage,
  TrainingTeams,
  TrainingVolumes,
  TeamAccess,
  TeamRbac,
  type ClusterReference,
  ContainerImage,
  GpuTrainingCluster,
  EncryptionKey,
  FeatureStore,
  LambdaCode,
  ModelRegistry,
  NodeFunction,
  PlatformStack,
  SecureBucket,
  SecureTable,
  TerraformOutput,
  type FeatureGroupInput,
  type PlatformSettingsInput,
} from '../src';

export const REFERENCE_SETTINGS: PlatformSettingsInput = {
  prefix: 'gai',
  environment: 'dev',
  region: 'eu-west-1',
  owner: 'ml-platform-team',
  costCenter: 'cc-1234',
  ephemeral: true,
};

export interface ReferenceAppOptions {
  readonly outdir?: string;
  /** Overrides of `REFERENCE_SETTINGS` (e.g. `{ environment: 'prod', ephemeral: false }`). */
  readonly settings?: Partial<PlatformSettingsInput>;
}

export function buildReferenceApp(options: ReferenceAppOptions = {}): App {
  const settings: PlatformSettingsInput = { ...REFERENCE_SETTINGS, ...options.settings };
  // Without an explicit outdir cdktf uses CDKTF_OUTDIR (set by `gaiops synth --output`), then cdktf.out.
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const stack = new PlatformStack(app, 'foundation', { settings });

  // One key for the data domain: logs may use it (the function's log group shares it).
  const dataKey = new EncryptionKey(stack, 'DataKey', { services: ['logs'] });
  const datasets = new SecureBucket(stack, 'Datasets', { encryptionKey: dataKey, dataClassification: 'confidential' });
  const versions = new SecureTable(stack, 'DatasetVersions', {
    encryptionKey: dataKey,
    partitionKey: { name: 'datasetId', type: 'S' },
    sortKey: { name: 'version', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
  });

  // The object-digest service verifies dataset objects against their recorded sha256.
  const digest = new NodeFunction(stack, 'ObjectDigest', {
    code: LambdaCode.fromRuntime('object-digest'),
    description: 'Streams an S3 object through sha256 to verify dataset content hashes',
    encryptionKey: dataKey,
    environment: { DIGEST_ALLOWED_BUCKETS: datasets.bucketName },
    memorySize: 256,
    timeoutSeconds: 300,
  });
  datasets.grantRead(digest);
  versions.grantReadData(digest);

  const image = new ContainerImage(stack, 'ObjectDigestImage', { runtime: 'object-digest' });

  const data = buildDataStack(app, settings);
  const cluster = buildClusterStack(app, settings, data);
  const addons = buildAddonsStack(app, settings, cluster);
  const workloads = buildWorkloadsStack(app, settings, cluster, data, addons);
  const observability = buildObservabilityStack(app, settings, data, cluster, addons, [digest]);
  buildAccessStack(app, settings, data, cluster, workloads, observability.alarms);

  new TerraformOutput(stack, 'datasets_bucket', { value: datasets.bucketName });
  new TerraformOutput(stack, 'dataset_versions_table', { value: versions.tableName });
  new TerraformOutput(stack, 'object_digest_function', { value: digest.functionName });
  new TerraformOutput(stack, 'object_digest_image', { value: image.imageUri });
  return app;
}

/** Feature groups of the reference e-commerce domain: customers (with PII) and their purchases. */
export const REFERENCE_FEATURE_GROUPS: FeatureGroupInput[] = [...ECOMMERCE_FEATURE_GROUPS];

interface DataLayer {
  readonly stack: PlatformStack;
  readonly features: FeatureStore;
  readonly registry: ModelRegistry;
}

interface ClusterLayer {
  readonly stack: PlatformStack;
  readonly reference: ClusterReference;
  readonly storage: TrainingStorage;
  readonly vpcCidr: string;
  /** The cluster key (node and monitoring volumes). */
  readonly volumeKeyArn: string;
}

/** The data layer: FeatureStore and ModelRegistry in their own stack (AWS provider only). */
function buildDataStack(app: App, settings: PlatformSettingsInput): DataLayer {
  const stack = new PlatformStack(app, 'data', { settings });
  const features = new FeatureStore(stack, 'Features', { featureGroups: REFERENCE_FEATURE_GROUPS });
  const registry = new ModelRegistry(stack, 'Registry', {
    gates: { requiredMetrics: [{ metric: 'accuracy', min: 0.9 }] },
  });
  new TerraformOutput(stack, 'feature_api_url', { value: features.apiUrl });
  new TerraformOutput(stack, 'feature_bucket', { value: features.bucket.bucketName });
  new TerraformOutput(stack, 'feature_glue_database', { value: features.glueDatabaseName });
  new TerraformOutput(stack, 'registry_api_url', { value: registry.apiUrl });
  new TerraformOutput(stack, 'registry_artifact_bucket', { value: registry.artifactBucket.bucketName });
  new TerraformOutput(stack, 'registry_event_bus', { value: registry.eventBusName });
  return { stack, features, registry };
}

/** Role ARNs given cluster-admin access in the reference deployment (replace with your own). */
export const REFERENCE_CLUSTER_ADMINS = ['arn:aws:iam::111122223333:role/PlatformAdmin'];

/**
 * Layer 1 of the cluster: network + EKS + Karpenter IAM + training storage (AWS provider only).
 * Helm add-ons and Kubernetes workloads go into later stacks configured from `cluster.reference()`.
 */
function buildClusterStack(app: App, settings: PlatformSettingsInput, data: DataLayer): ClusterLayer {
  const stack = new PlatformStack(app, 'cluster', { settings });
  const clusterName = `${settings.prefix}-${settings.environment}-training`;
  const network = new ClusterNetwork(stack, 'Network', { clusterName, natGateways: 'single' });
  const cluster = new GpuTrainingCluster(stack, 'Training', { network, clusterName, adminRoleArns: REFERENCE_CLUSTER_ADMINS });
  // Datasets mounted read-only through S3 Mountpoint; checkpoints in a bucket of their own.
  // (FSx for Lustre is off in dev: it bills per provisioned TiB while the cluster idles.)
  const datasets = data.features.bucket;
  const storage = new TrainingStorage(stack, 'Storage', {
    cluster,
    datasets: { bucketName: datasets.bucketName, bucketArn: datasets.bucketArn, keyArn: datasets.encryptionKey.keyArn, prefix: 'offline/' },
  });
  const ref = cluster.reference();
  new TerraformOutput(stack, 'cluster_name', { value: ref.clusterName });
  new TerraformOutput(stack, 'cluster_endpoint', { value: ref.endpoint });
  new TerraformOutput(stack, 'karpenter_node_role', { value: ref.nodeRoleName });
  new TerraformOutput(stack, 'karpenter_interruption_queue', { value: ref.interruptionQueueName });
  return { stack, reference: ref, storage, vpcCidr: network.vpcCidr, volumeKeyArn: cluster.encryptionKey.keyArn };
}

/** Layer 2: the cluster add-ons through Helm (they install the CRDs the workloads need). */
function buildAddonsStack(app: App, settings: PlatformSettingsInput, cluster: ClusterLayer): PlatformStack {
  const stack = new PlatformStack(app, 'addons', { settings });
  const { helm } = ClusterProviders.configure(stack, cluster.reference);
  new ClusterAddons(stack, 'Addons', { cluster: cluster.reference, helmProvider: helm });
  return stack;
}

/** ACM certificate of the assistant's internal ALB (replace with your own). */
export const REFERENCE_CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

/** Teams of the reference deployment: GPU quotas, the datasets they train on. */
export const REFERENCE_TEAMS = [
  { name: 'recommendations', gpuQuota: 8, datasetGroups: ['customers', 'purchases'] },
  { name: 'genai', gpuQuota: 16, datasetGroups: ['customers'] },
];

/**
 * Layer 3: Kubernetes workloads and custom resources — Karpenter GPU and CPU pools, team
 * namespaces with GPU quotas and Pod Identity roles, training volumes. Applied after the add-ons
 * (explicit stack dependency: the NodePool CRDs come from the Karpenter chart).
 */
interface WorkloadsLayer {
  readonly stack: PlatformStack;
  readonly teams: TrainingTeams;
  readonly kubernetes: KubernetesProvider;
}

function buildWorkloadsStack(app: App, settings: PlatformSettingsInput, cluster: ClusterLayer, data: DataLayer, addons: PlatformStack): WorkloadsLayer {
  const stack = new PlatformStack(app, 'workloads', { settings });
  stack.addDependency(addons);
  const { kubernetes, helm } = ClusterProviders.configure(stack, cluster.reference);
  const pools = new GpuNodePools(stack, 'NodePools', {
    cluster: cluster.reference,
    helmProvider: helm,
    gpuPools: [
      { name: 'gpu-a10g', instanceFamilies: ['g5'], capacityTypes: ['spot', 'on-demand'], gpuLimit: 16 },
      { name: 'gpu-l40s', instanceFamilies: ['g6e'], capacityTypes: ['on-demand'], gpuLimit: 8 },
    ],
  });
  const teams = new TrainingTeams(stack, 'Teams', {
    cluster: cluster.reference,
    kubernetesProvider: kubernetes,
    featureStore: data.features,
    modelRegistry: data.registry,
    teams: REFERENCE_TEAMS,
  });
  new TrainingVolumes(stack, 'Volumes', {
    storage: cluster.storage.storageReference(),
    teams: REFERENCE_TEAMS.map((t) => t.name),
    kubernetesProvider: kubernetes,
  });
  // The LLM assistant: the production model with a 10 % challenger and a 5 % shadow, behind the
  // gateway on an internal ALB (TLS from ACM).
  const assistant = new InferenceService(stack, 'Assistant', {
    name: 'assistant',
    cluster: cluster.reference,
    nodePools: pools,
    registry: data.registry,
    kubernetesProvider: kubernetes,
    helmProvider: helm,
    gatewayImage: new ContainerImage(stack, 'GatewayImage', { runtime: 'inference-gateway' }),
    modelFetcherImage: new ContainerImage(stack, 'ModelFetcherImage', { runtime: 'model-fetcher' }),
    ingress: { certificateArn: REFERENCE_CERTIFICATE_ARN, vpcCidr: cluster.vpcCidr },
    variants: [
      { name: 'champion', model: { name: 'assistant-llm', alias: 'production' }, pool: 'gpu-l40s', weight: 90, replicas: { min: 1, max: 4 } },
      { name: 'challenger', model: { name: 'assistant-llm', alias: 'canary' }, pool: 'gpu-a10g', weight: 10, replicas: { min: 0, max: 2 }, scaleToZero: true },
    ],
  });
  new TerraformOutput(stack, 'node_pools', { value: pools.poolNames });
  new TerraformOutput(stack, 'assistant_namespace', { value: assistant.namespace.metadata.name });
  new TerraformOutput(stack, 'team_roles', { value: teams.teams.map((t) => t.role.roleArn) });
  return { stack, teams, kubernetes };
}

/**
 * Layer 4: observability. AWS side — alarms on the data services, the alert topic, the GPU budget
 * and the scheduled drift, fairness and usage analysis of the assistant's logs; cluster side —
 * kube-prometheus-stack with the platform's alert rules and dashboards (after the add-ons, whose
 * Prometheus CRDs it uses).
 */
function buildObservabilityStack(
  app: App,
  settings: PlatformSettingsInput,
  data: DataLayer,
  cluster: ClusterLayer,
  addons: PlatformStack,
  foundation: readonly NodeFunction[],
): { stack: PlatformStack; alarms: PlatformAlarms } {
  const stack = new PlatformStack(app, 'observability', { settings });
  stack.addDependency(addons);
  const alarms = new PlatformAlarms(stack, 'Alarms', {
    watch: [data.features, data.registry, ...foundation],
    alertEmails: ['ml-platform-oncall@example.com'],
    gpuBudget: { monthlyLimitUsd: 20_000, nodePoolNames: ['gpu-a10g', 'gpu-l40s'] },
  });
  // Prediction and gateway logs (JSON Lines) shipped from the cluster, and the reference sample the
  // analysis compares them with.
  const logsKey = new EncryptionKey(stack, 'LogsKey', {});
  const logs = new SecureBucket(stack, 'PredictionLogs', { encryptionKey: logsKey, dataClassification: 'confidential' });
  const drift = new DriftDetector(stack, 'AssistantDrift', {
    model: 'assistant-llm',
    dataset: 'assistant-requests',
    baseline: { bucket: logs, prefix: 'baselines/assistant/' },
    window: { bucket: logs, prefix: 'gateway/assistant/', lookbackHours: 24 },
    columns: [
      { name: 'input_tokens', type: 'numeric' },
      { name: 'output_tokens', type: 'numeric' },
      { name: 'route', type: 'categorical' },
    ],
    abTest: { variantColumn: 'variant', conversionColumn: 'accepted', minimumDetectableEffect: 0.02 },
    llmUsage: {},
    alertTopic: alarms.topic,
  });
  alarms.watch(drift);
  const { kubernetes, helm } = ClusterProviders.configure(stack, cluster.reference);
  new MonitoringCluster(stack, 'Monitoring', {
    cluster: cluster.reference,
    helmProvider: helm,
    kubernetesProvider: kubernetes,
    volumeKmsKeyArn: cluster.volumeKeyArn,
    alertmanager: { receiver: { type: 'sns', topicArn: alarms.topic.topicArn, topicKmsKeyArn: alarms.encryptionKey.keyArn } },
    grafana: { adminSecretName: 'grafana-admin' },
  });
  new TerraformOutput(stack, 'alert_topic', { value: alarms.topic.topicArn });
  new TerraformOutput(stack, 'prediction_logs_bucket', { value: logs.bucketName });
  new TerraformOutput(stack, 'drift_reports_bucket', { value: drift.reportBucket.bucketName });
  return { stack, alarms };
}

/** SSO (IAM Identity Center) SAML provider of the reference organization (replace with your own). */
export const REFERENCE_SAML_PROVIDER_ARN = 'arn:aws:iam::111122223333:saml-provider/IdentityCenter';

/**
 * Layer 5: the team's access — one least-privilege role per persona (data scientists, ML engineers,
 * MLOps engineers, domain experts, auditors) reached through SSO, EKS access entries scoped to the
 * team, inference, add-on and monitoring namespaces, and the extra RBAC in the workloads stack.
 */
function buildAccessStack(app: App, settings: PlatformSettingsInput, data: DataLayer, cluster: ClusterLayer, workloads: WorkloadsLayer, alarms: PlatformAlarms): PlatformStack {
  const stack = new PlatformStack(app, 'access', { settings });
  const access = new TeamAccess(stack, 'TeamAccess', {
    cluster: cluster.reference,
    featureStore: data.features,
    modelRegistry: data.registry,
    teams: workloads.teams,
    alarms,
    inferenceNamespaces: ['assistant'],
    saml: { providerArn: REFERENCE_SAML_PROVIDER_ARN },
  });
  new TeamRbac(workloads.stack, 'TeamRbac', { access, kubernetesProvider: workloads.kubernetes });
  for (const persona of Object.values(access.personas)) {
    if (persona) new TerraformOutput(stack, `${persona.persona.replace(/-/g, '_')}_role`, { value: persona.role.roleArn });
  }
  return stack;
}

if (require.main === module) {
  buildReferenceApp().synth();
}
