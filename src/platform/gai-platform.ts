/**
 * GaiPlatform: one config → the whole platform as layered cdktf stacks, applied in order:
 *
 *   <env>-data ─► <env>-cluster ─► <env>-addons ─► <env>-workloads ─► <env>-observability ─► <env>-access
 *
 * - data: FeatureStore and ModelRegistry (AWS provider only), each with its own KMS key;
 * - cluster: VPC, EKS, Karpenter IAM, training storage (AWS provider only);
 * - addons: Helm add-ons that install the CRDs later layers use (Karpenter, NVIDIA, KEDA, …);
 * - workloads: GPU/CPU NodePools, team namespaces, training volumes, InferenceServices;
 * - observability: alarms + alert topic + GPU budget, the telemetry bucket (own key) and the drift
 *   analyses, kube-prometheus-stack with the platform rules and dashboards;
 * - access: TeamAccess personas (IAM roles, EKS access entries) and their RBAC (in workloads).
 * cdktf records the order in `manifest.json` (`dependencies`), from the cross-stack references
 * plus the explicit add-on dependencies (CRDs must exist before custom resources are planned);
 * observability follows workloads because it alarms on the rollout controllers there.
 */
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Construct } from 'constructs';

import { ContainerImage } from '../core/container-image';
import { EncryptionKey } from '../core/encryption-key';
import type { PlatformSettingsInput } from '../core/platform-settings';
import { PlatformStack } from '../core/platform-stack';
import { SecureBucket } from '../core/secure-bucket';
import { LocalBackend, S3Backend, TerraformOutput, type TerraformStack } from '../core/tf';
import { FeatureServer } from '../feature-store/feature-server';
import { FeatureStore } from '../feature-store/feature-store';
import { TrainingJobApi, TrainingJobApiRbac } from '../gpu-training-cluster/training-job-api';
import { RegistryServer } from '../model-registry/registry-server';
import { ClusterAddons } from '../gpu-training-cluster/addons';
import { GpuTrainingCluster, type ClusterReference } from '../gpu-training-cluster/cluster';
import { ClusterProviders } from '../gpu-training-cluster/cluster-providers';
import { ClusterNetwork } from '../gpu-training-cluster/network';
import { GpuNodePools } from '../gpu-training-cluster/node-pools';
import { TrainingStorage } from '../gpu-training-cluster/storage';
import { TrainingTeams } from '../gpu-training-cluster/teams';
import { TrainingVolumes } from '../gpu-training-cluster/training-volumes';
import { InferenceService } from '../inference-service/inference-service';
import { RolloutController } from '../inference-service/rollout-controller';
import { ModelRegistry } from '../model-registry/model-registry';
import { DriftDetector } from '../monitoring-stack/drift-detector';
import { DriftJob } from '../monitoring-stack/drift-job';
import { GatewayLogShipping } from '../monitoring-stack/log-shipping';
import { MonitoringCluster } from '../monitoring-stack/monitoring-cluster';
import { PlatformAlarms } from '../monitoring-stack/platform-alarms';
import { parsePlatformConfig, PRESET_DEFAULTS, type GaiPlatformConfig, type GaiPlatformConfigInput } from './platform-config';
import { TeamAccess } from './team-access';
import { TeamRbac } from './team-rbac';

/** The layers, in apply order. */
export const PLATFORM_LAYERS = ['data', 'cluster', 'addons', 'workloads', 'observability', 'access'] as const;
export type PlatformLayer = (typeof PLATFORM_LAYERS)[number];

/** Telemetry bucket prefixes: gateway request logs per service, baselines per service. */
export const TELEMETRY_PREFIXES = {
  gateway: (service: string) => `gateway/${service}/`,
  baseline: (service: string) => `baselines/${service}/`,
} as const;

/**
 * A complete platform from one config (a `GaiPlatformConfigInput` object, or a file through
 * `loadPlatformConfig`). Stacks are named `<environment>-<layer>`, so several platforms (dev and
 * prod) live in one app.
 */
export class GaiPlatform extends Construct {
  readonly config: GaiPlatformConfig;
  /** The resolved platform settings every stack uses (preset applied). */
  readonly settings: PlatformSettingsInput;
  /** Every stack, by layer (`access` only when the config has `access`). */
  readonly stacks: Readonly<Partial<Record<PlatformLayer, PlatformStack>>>;
  readonly featureStore: FeatureStore;
  readonly modelRegistry: ModelRegistry;
  readonly cluster: GpuTrainingCluster;
  readonly clusterReference: ClusterReference;
  readonly nodePools: GpuNodePools;
  readonly teams: TrainingTeams;
  readonly inferenceServices: readonly InferenceService[];
  /** The training-job API (config `trainingJobApi`). */
  readonly trainingJobApi?: TrainingJobApi;
  /** The in-cluster feature server (`data.featureServing` kubernetes or both). */
  readonly featureServer?: FeatureServer;
  /** The in-cluster registry API (`data.registryServer`). */
  readonly registryServer?: RegistryServer;
  /** The progressive-delivery controllers (services with `rollout`). */
  readonly rolloutControllers: readonly RolloutController[];
  readonly alarms: PlatformAlarms;
  /** Gateway request logs and prediction logs (JSON Lines) the drift analyses read; its own key. */
  readonly telemetryBucket: SecureBucket;
  readonly driftDetectors: readonly DriftDetector[];
  readonly teamAccess?: TeamAccess;

  constructor(scope: Construct, id: string, config: GaiPlatformConfigInput) {
    super(scope, id);
    const c = parsePlatformConfig(config, this.node.path);
    this.config = c;
    const preset = PRESET_DEFAULTS[c.preset];
    const settings: PlatformSettingsInput = {
      ...c.settings,
      ephemeral: c.settings.ephemeral ?? preset.ephemeral,
      logRetentionDays: c.settings.logRetentionDays ?? preset.logRetentionDays,
    };
    this.settings = settings;
    const env = settings.environment;
    const stacks: Partial<Record<PlatformLayer, PlatformStack>> = {};
    const newStack = (layer: PlatformLayer) => {
      const stack = new PlatformStack(this, `${env}-${layer}`, { settings });
      configureBackend(stack, c, `${settings.prefix}-${env}`);
      stacks[layer] = stack;
      return stack;
    };

    // ---- data: FeatureStore and ModelRegistry, one key per data domain ----
    const data = newStack('data');
    this.featureStore = new FeatureStore(data, 'Features', {
      featureGroups: c.data.featureGroups,
      dataClassification: c.data.dataClassification,
      servingForm: c.data.featureServing,
      encryptionKey: new EncryptionKey(data, 'FeatureDataKey', { services: ['logs', 's3'], description: `${settings.prefix}-${env} feature data domain` }),
    });
    this.modelRegistry = new ModelRegistry(data, 'Registry', {
      ...(c.data.gates ? { gates: c.data.gates } : {}),
      encryptionKey: new EncryptionKey(data, 'ModelDataKey', { services: ['logs', 'events'], description: `${settings.prefix}-${env} model artifact domain` }),
    });
    if (c.data.featureServing !== 'kubernetes') output(data, 'feature_api_url', this.featureStore.apiUrl);
    output(data, 'feature_bucket', this.featureStore.bucket.bucketName);
    output(data, 'registry_api_url', this.modelRegistry.apiUrl);
    output(data, 'registry_artifact_bucket', this.modelRegistry.artifactBucket.bucketName);
    output(data, 'registry_event_bus', this.modelRegistry.eventBusName);

    // ---- cluster: network, EKS, Karpenter IAM, training storage ----
    const clusterStack = newStack('cluster');
    const clusterName = `${settings.prefix}-${env}-training`;
    const network = new ClusterNetwork(clusterStack, 'Network', {
      clusterName,
      cidr: c.network.cidr,
      azCount: c.network.azCount ?? preset.azCount,
      natGateways: c.network.natGateways ?? preset.natGateways,
      ...(c.network.interfaceEndpoints ? { interfaceEndpoints: c.network.interfaceEndpoints } : {}),
    });
    this.cluster = new GpuTrainingCluster(clusterStack, 'Training', {
      network,
      clusterName,
      kubernetesVersion: c.cluster.kubernetesVersion,
      adminRoleArns: c.cluster.adminRoleArns,
    });
    const datasets = this.featureStore.bucket;
    const { team: fsxTeam, ...fsx } = c.cluster.fsx ?? { team: undefined };
    const storage = new TrainingStorage(clusterStack, 'Storage', {
      cluster: this.cluster,
      datasets: { bucketName: datasets.bucketName, bucketArn: datasets.bucketArn, keyArn: datasets.encryptionKey.keyArn, prefix: 'offline/' },
      ...(c.cluster.fsx ? { fsx: { ...fsx, enabled: true } } : {}),
    });
    const ref = this.cluster.reference();
    this.clusterReference = ref;
    if (c.trainingJobApi) {
      this.trainingJobApi = new TrainingJobApi(clusterStack, 'TrainingJobApi', {
        cluster: this.cluster,
        teams: c.trainingJobApi.teams.map((t) => ({
          name: t.team,
          gpuQuota: c.teams.find((x) => x.name === t.team)!.gpuQuota,
          nodePool: t.nodePool,
          allowedImages: t.allowedImages,
          submitterArns: t.submitterArns,
        })),
        registry: { url: this.modelRegistry.apiUrl, region: settings.region, artifactBucket: this.modelRegistry.artifactBucket.bucketName },
        dataset: { bucket: this.featureStore.bucket.bucketName, versionsTable: this.featureStore.versionsTable.tableName },
      });
      output(clusterStack, 'training_job_api_url', this.trainingJobApi.apiUrl);
    }
    output(clusterStack, 'cluster_name', ref.clusterName);
    output(clusterStack, 'cluster_endpoint', ref.endpoint);

    // ---- addons: Helm charts that install the CRDs ----
    const addons = newStack('addons');
    new ClusterAddons(addons, 'Addons', { cluster: ref, helmProvider: ClusterProviders.configure(addons, ref).helm });

    // ---- workloads: pools, teams, volumes, inference ----
    const workloads = newStack('workloads');
    workloads.addDependency(addons);
    const wp = ClusterProviders.configure(workloads, ref);
    this.nodePools = new GpuNodePools(workloads, 'NodePools', {
      cluster: ref,
      helmProvider: wp.helm,
      gpuPools: c.cluster.gpuPools,
      ...(c.cluster.cpuPool ? { cpuPool: c.cluster.cpuPool } : {}),
    });
    this.teams = new TrainingTeams(workloads, 'Teams', {
      cluster: ref,
      kubernetesProvider: wp.kubernetes,
      featureStore: this.featureStore,
      modelRegistry: this.modelRegistry,
      teams: c.teams,
    });
    new TrainingVolumes(workloads, 'Volumes', {
      storage: storage.storageReference(),
      teams: this.teams,
      kubernetesProvider: wp.kubernetes,
      ...(fsxTeam ? { fsxTeam } : {}),
    });
    const images =
      c.inference.length > 0
        ? {
            gateway: new ContainerImage(workloads, 'GatewayImage', { runtime: 'inference-gateway' }),
            fetcher: new ContainerImage(workloads, 'ModelFetcherImage', { runtime: 'model-fetcher' }),
          }
        : undefined;
    const rollouts: RolloutController[] = [];
    this.inferenceServices = c.inference.map((s) => {
      const service = new InferenceService(workloads, `Inference-${s.name}`, {
        name: s.name,
        ...(s.publicModel ? { publicModel: s.publicModel } : {}),
        cluster: ref,
        nodePools: this.nodePools,
        registry: this.modelRegistry,
        kubernetesProvider: wp.kubernetes,
        helmProvider: wp.helm,
        gatewayImage: images!.gateway,
        modelFetcherImage: images!.fetcher,
        variants: s.variants,
        ...(s.fallbackVariant ? { fallbackVariant: s.fallbackVariant } : {}),
        gateway: { ...s.gateway, replicas: s.gateway?.replicas ?? { ...preset.gatewayReplicas } },
        ingress: s.ingress ? { ...s.ingress, vpcCidr: network.vpcCidr } : { enabled: false },
        clientNamespaces: s.clientNamespaces,
      });
      output(workloads, `${s.name.replace(/-/g, '_')}_gateway_url`, service.gatewayServiceUrl);
      if (s.rollout) {
        // The deployment hook on registry events: AliasChanged → stepped weights with health checks.
        const controller = new RolloutController(workloads, `Rollout-${s.name}`, {
          service,
          registry: this.modelRegistry,
          cluster: ref,
          vpc: { vpcId: network.vpcId, subnetIds: network.privateSubnetIds },
          ...(s.rollout.steps ? { steps: s.rollout.steps } : {}),
          ...(s.rollout.bakeMinutes ? { bakeMinutes: s.rollout.bakeMinutes } : {}),
          ...(s.rollout.thresholds ? { thresholds: s.rollout.thresholds } : {}),
        });
        controller.addKubernetesAccess(workloads, `RolloutAccess-${s.name}`, { kubernetesProvider: wp.kubernetes });
        rollouts.push(controller);
      }
      return service;
    });
    this.rolloutControllers = rollouts;
    if (this.trainingJobApi) {
      new TrainingJobApiRbac(workloads, 'TrainingJobApiRbac', { api: this.trainingJobApi, trainingTeams: this.teams, kubernetesProvider: wp.kubernetes });
    }
    // In-cluster forms of the data services (same handlers as the Lambdas).
    if (c.data.featureServing !== 'lambda') {
      this.featureServer = new FeatureServer(workloads, 'FeatureServer', {
        store: this.featureStore,
        cluster: ref,
        image: new ContainerImage(workloads, 'FeatureServerImage', { runtime: 'feature-store-serving' }),
        clients: this.inferenceServices.map((s) => ({ namespace: s.config.namespace ?? s.config.name })),
        replicas: { ...preset.gatewayReplicas, min: Math.max(2, preset.gatewayReplicas.min) },
        kubernetesProvider: wp.kubernetes,
      });
      output(workloads, 'feature_server_url', this.featureServer.serviceUrl);
    }
    if (c.data.registryServer) {
      this.registryServer = new RegistryServer(workloads, 'RegistryServer', {
        registry: this.modelRegistry,
        cluster: ref,
        image: new ContainerImage(workloads, 'RegistryServerImage', { runtime: 'model-registry' }),
        clients: this.teams.teams.map((t) => ({ namespace: t.name })),
        callers: this.teams.teams.map((t) => ({ principalArn: t.role.roleArn, access: 'register' as const })),
        kubernetesProvider: wp.kubernetes,
      });
      output(workloads, 'registry_server_url', this.registryServer.serviceUrl);
    }
    output(workloads, 'node_pools', this.nodePools.poolNames);
    output(workloads, 'team_roles', this.teams.teams.map((t) => t.role.roleArn));

    // ---- observability: alarms, telemetry, drift, Prometheus/Grafana ----
    const obs = newStack('observability');
    obs.addDependency(addons);
    this.alarms = new PlatformAlarms(obs, 'Alarms', {
      watch: [this.featureStore, this.modelRegistry, ...this.rolloutControllers],
      alertEmails: c.observability.alertEmails,
      thresholds: { ...preset.alarmThresholds, ...c.observability.thresholds },
      ...(c.observability.gpuBudget ? { gpuBudget: c.observability.gpuBudget } : {}),
    });
    const telemetryKey = new EncryptionKey(obs, 'TelemetryKey', { services: ['logs'], description: `${settings.prefix}-${env} telemetry domain (request and prediction logs)` });
    this.telemetryBucket = new SecureBucket(obs, 'Telemetry', { encryptionKey: telemetryKey, dataClassification: 'confidential' });
    const detectors: DriftDetector[] = [];
    for (const s of c.inference) {
      if (!s.drift) continue;
      detectors.push(
        new DriftDetector(obs, `Drift-${s.name}`, {
          // The registered model the variants serve (the first weighted variant's).
          model: (s.variants.find((v) => v.weight > 0) ?? s.variants[0]).model.name,
          dataset: `${s.name}-requests`,
          baseline: { bucket: this.telemetryBucket, prefix: s.drift.baselinePrefix ?? TELEMETRY_PREFIXES.baseline(s.name) },
          window: { bucket: this.telemetryBucket, prefix: TELEMETRY_PREFIXES.gateway(s.name) },
          columns: s.drift.columns,
          ...(s.drift.abTest ? { abTest: s.drift.abTest } : {}),
          ...(s.drift.fairness ? { fairness: s.drift.fairness } : {}),
          ...(s.drift.llmUsage ? { llmUsage: s.drift.llmUsage } : {}),
          schedule: s.drift.schedule ?? preset.driftSchedule,
          runAs: s.drift.runAs,
          alertTopic: this.alarms.topic,
        }),
      );
    }
    for (const d of c.observability.datasetDrift) {
      detectors.push(
        new DriftDetector(obs, `Drift-${d.model}-${d.group}`, {
          model: d.model,
          dataset: d.group,
          baseline: { featureStore: this.featureStore, group: d.group, versionId: d.versionId },
          window: { bucket: this.telemetryBucket, prefix: d.windowPrefix },
          columns: d.columns,
          ...(d.fairness ? { fairness: d.fairness } : {}),
          ...(d.abTest ? { abTest: d.abTest } : {}),
          schedule: d.schedule ?? preset.driftSchedule,
          runAs: d.runAs,
          alertTopic: this.alarms.topic,
        }),
      );
    }
    this.driftDetectors = detectors;
    for (const d of detectors) this.alarms.watch(d);
    // Cluster providers only when the layer has cluster-side objects (else no cluster access at plan).
    let clusterProviders: ReturnType<typeof ClusterProviders.configure> | undefined;
    const op = () => (clusterProviders ??= ClusterProviders.configure(obs, ref));
    // Gateway request logs (one JSON line per request) shipped to gateway/<service>/, where the
    // drift and usage analyses read them.
    if (this.inferenceServices.length > 0) {
      new GatewayLogShipping(obs, 'LogShipping', {
        cluster: ref,
        bucket: this.telemetryBucket,
        services: this.inferenceServices.map((s) => ({ name: s.config.name, namespace: s.config.namespace ?? s.config.name })),
        helmProvider: op().helm,
        kubernetesProvider: op().kubernetes,
      });
    }
    // Analyses too big for Lambda run as CronJobs in the cluster (same code, same outputs).
    detectors.forEach((detector) => {
      if (detector.runAs === 'kubernetes') new DriftJob(obs, `${detector.node.id}-Job`, { detector, cluster: ref, kubernetesProvider: op().kubernetes });
    });
    if (c.observability.monitoringCluster) {
      new MonitoringCluster(obs, 'Monitoring', {
        cluster: ref,
        helmProvider: op().helm,
        kubernetesProvider: op().kubernetes,
        volumeKmsKeyArn: this.cluster.encryptionKey.keyArn,
        alertmanager: { receiver: { type: 'sns', topicArn: this.alarms.topic.topicArn, topicKmsKeyArn: this.alarms.encryptionKey.keyArn } },
        grafana: { adminSecretName: 'grafana-admin' },
      });
    }
    output(obs, 'alert_topic', this.alarms.topic.topicArn);
    output(obs, 'telemetry_bucket', this.telemetryBucket.bucketName);

    // ---- access: personas, EKS access entries, RBAC ----
    if (c.access) {
      const access = newStack('access');
      this.teamAccess = new TeamAccess(access, 'TeamAccess', {
        cluster: ref,
        featureStore: this.featureStore,
        modelRegistry: this.modelRegistry,
        teams: this.teams,
        alarms: this.alarms,
        inferenceNamespaces: this.inferenceServices.map((s) => s.config.namespace ?? s.config.name),
        requireMfa: c.access.requireMfa,
        ...(c.access.personas ? { personas: c.access.personas } : {}),
        ...(c.access.samlProviderArn ? { saml: { providerArn: c.access.samlProviderArn } } : {}),
      });
      new TeamRbac(workloads, 'TeamRbac', { access: this.teamAccess, kubernetesProvider: wp.kubernetes as KubernetesProvider });
      for (const persona of Object.values(this.teamAccess.personas)) {
        if (persona) output(access, `${persona.persona.replace(/-/g, '_')}_role`, persona.role.roleArn);
      }
    }
    this.stacks = stacks;
  }

  /** The stacks in apply order (each after every stack it depends on). */
  get orderedStacks(): PlatformStack[] {
    return PLATFORM_LAYERS.map((l) => this.stacks[l]).filter((s): s is PlatformStack => s !== undefined);
  }
}

function output(stack: TerraformStack, name: string, value: unknown): void {
  new TerraformOutput(stack, name, { value });
}

/** S3 state with SSE and S3-native locking (Terraform ≥ 1.10), or local state files beside the output directory. */
function configureBackend(stack: TerraformStack, c: GaiPlatformConfig, platformName: string): void {
  const state = c.state;
  if (state.backend === 'local') {
    // Relative to the stack's working directory <outdir>/stacks/<stack>: the same file from every
    // stack (cross-stack remote state reads it), no absolute path in the JSON (reproducible).
    new LocalBackend(stack, { path: `../../../${state.directory}/${stack.node.id}.tfstate` });
    return;
  }
  new S3Backend(stack, {
    bucket: state.bucket,
    key: `${state.keyPrefix}/${platformName}/${stack.node.id}.tfstate`,
    region: state.region ?? c.settings.region,
    encrypt: true,
    ...(state.kmsKeyArn ? { kmsKeyId: state.kmsKeyArn } : {}),
    ...(state.roleArn ? { assumeRole: { roleArn: state.roleArn } } : {}),
  });
  // cdktf 0.21's S3Backend predates `use_lockfile` (Terraform 1.10): set it on the backend block.
  stack.addOverride('terraform.backend.s3.use_lockfile', true);
}
