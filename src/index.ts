/**
 * gaiops public API: flat, stable named exports. Everything a user constructs or types against is
 * exported here; files under src/ are implementation detail.
 */
// cdktf core pieces users need alongside the constructs (re-exported so apps import one package).
export { App, TerraformOutput, TerraformStack, Testing } from './core/tf';

// Errors and validation
export { GaiConfigError, GaiError, type ConfigProblem } from './core/errors';
export { formatFieldPath, instanceOf, isToken, parseProps } from './core/props';

// Platform settings, context, naming, tags
export {
  DataClassificationSchema,
  LOG_RETENTION_DAYS,
  PlatformSettingsSchema,
  platformTags,
  type DataClassification,
  type PlatformSettings,
  type PlatformSettingsInput,
} from './core/platform-settings';
export { PlatformContext, type AttachOptions } from './core/platform-context';
export { PlatformStack, PlatformStackPropsSchema, type PlatformStackProps } from './core/platform-stack';
export { PlatformTags } from './core/platform-tags';
export { NAME_HASH_LENGTH, NAME_RULES, fitName, physicalName, type NameParts, type NamedService } from './core/naming';

// IAM
export { Grant, type IGrantable, type IPrincipal } from './core/iam/grant';
export { PolicyDocument } from './core/iam/policy-document';
export { mergeStatements, renderPolicy, type PolicyStatement } from './core/iam/policy-statement';
export { Role, RolePropsSchema, type RoleProps } from './core/iam/role';

// Core building blocks
export {
  EncryptionKey,
  EncryptionKeyPropsSchema,
  KEY_ADMIN_ACTIONS,
  KEY_SERVICES,
  KEY_USE_ACTIONS,
  type EncryptionKeyProps,
  type KeyGrantOptions,
  type KeyService,
} from './core/encryption-key';
export { AccessLogBucket, S3PrefixSchema, SecureBucket, SecureBucketPropsSchema, type SecureBucketProps } from './core/secure-bucket';
export { SecureTable, SecureTablePropsSchema, type SecureTableProps } from './core/secure-table';
export { SecureQueue, SecureQueuePropsSchema, type SecureQueueProps } from './core/secure-queue';
export { LogGroup, LogGroupPropsSchema, type LogGroupProps } from './core/log-group';
export { LambdaCode } from './core/lambda-code';
export { NodeFunction, NodeFunctionPropsSchema, type NodeFunctionProps } from './core/node-function';
export {
  ContainerImage,
  ContainerImagePropsSchema,
  PUBLISH_SCRIPT,
  type ContainerImageProps,
  type IContainerImage,
} from './core/container-image';
export { protectFromDestroy } from './core/protection';
export { ACCESS_LOG_FORMAT, HttpApi, HttpApiPropsSchema, HttpRouteSchema, type HttpApiProps, type HttpRoute } from './core/http-api';

// Runtime artifacts
export { RUNTIMES, type RuntimeDefinition, type RuntimeName } from './runtimes';
export { bundleRuntime, type Bundle, type BundleOptions, type BundleTarget } from './core/bundling/bundle';
export { contentHash } from './core/bundling/content-hash';
export { deterministicZip } from './core/bundling/deterministic-zip';
export { buildAllRuntimes, buildRuntime, loadRuntimeManifest, type RuntimeManifest } from './core/bundling/runtime-artifact';

// Policy pack
export { CORE_RULES } from './core/policy/rules';
export { activeFindings, evaluatePolicies, formatFinding, MIN_JUSTIFICATION_LENGTH } from './core/policy/engine';
export { PolicyPack } from './core/policy/policy-pack';
export { SynthStack } from './core/policy/synth-stack';
export type { Finding, IamStatement, PolicyRule, RuleContext, Severity, Suppression, SynthResource } from './core/policy/types';

// FeatureStore
export { FeatureStore, FEATURE_STORE_ROUTES, GLUE_TYPES, glueColumns } from './feature-store/feature-store';
export { FeatureStorePropsSchema, type FeatureStoreProps } from './feature-store/schema';
export {
  FEATURE_STORE_ENV,
  FeatureGroupSchema,
  FeatureSchema,
  FeatureStoreConfigSchema,
  OFFLINE_LAYOUT,
  type Feature,
  type FeatureGroup,
  type FeatureGroupInput,
  type FeatureStoreConfig,
  type FeatureType,
} from './feature-store/feature-group';

// ModelRegistry
export {
  GAIOPS_API_BASE,
  MLFLOW_API_BASE,
  ModelRegistry,
  REGISTRY_GRANT_KINDS,
  REGISTRY_ROUTES,
  RegistryEventRoute,
  type EventTargetOptions,
  type RegistryRoute,
  type RegistryRouteKind,
} from './model-registry/model-registry';
export { ModelRegistryPropsSchema, type ModelRegistryProps } from './model-registry/schema';
export {
  GovernanceGatesSchema,
  MODEL_REGISTRY_ENV,
  REGISTRY_EVENTS,
  RegistryConfigSchema,
  type GovernanceGates,
  type GovernanceGatesInput,
  type RegistryConfig,
} from './model-registry/registry-config';

// GpuTrainingCluster (AWS side: network, EKS, Karpenter IAM)
export { ClusterNetwork } from './gpu-training-cluster/network';
export { GpuTrainingCluster, type ClusterReference } from './gpu-training-cluster/cluster';
export {
  ClusterNetworkPropsSchema,
  DEFAULT_ADDON_VERSIONS,
  ExistingNetworkPropsSchema,
  GpuTrainingClusterPropsSchema,
  type ClusterNetworkProps,
  type ExistingNetworkProps,
  type GpuTrainingClusterProps,
  type IClusterNetwork,
} from './gpu-training-cluster/schema';
export { ClusterProviders, ClusterProvidersOptionsSchema, type ClusterProviderSet, type ClusterProvidersOptions } from './gpu-training-cluster/cluster-providers';
export { GPU_TAINT, GpuNodePools, NODE_POOL_LABEL } from './gpu-training-cluster/node-pools';
export { GpuNodePoolsPropsSchema, GpuPoolSchema, CpuPoolSchema, type GpuNodePoolsProps, type GpuPool, type CpuPool } from './gpu-training-cluster/node-pools-schema';
export { TrainingTeams, TEAM_LABEL } from './gpu-training-cluster/teams';
export { TrainingTeamsPropsSchema, TeamSchema, type TrainingTeamsProps } from './gpu-training-cluster/teams-schema';
export { HyperparameterSweep, expandTrials, pickBestTrial, renderTrialJobs } from './gpu-training-cluster/sweep';
export { HyperparameterSweepPropsSchema, SweepSpecSchema, type HyperparameterSweepProps, type SweepSpec } from './gpu-training-cluster/sweep-schema';
export {
  ClusterAddons,
  GPU_NODE_AFFINITY,
  GPU_TOLERATIONS,
  MONITORING_SELECTOR_LABELS,
  SYSTEM_NODE_SELECTOR,
  SYSTEM_TOLERATIONS,
  loadBalancerControllerReadStatements,
  loadBalancerControllerStatements,
} from './gpu-training-cluster/addons';
export { ClusterAddonsPropsSchema, type ClusterAddonsProps } from './gpu-training-cluster/addons-schema';
export { TrainingStorage, CHECKPOINT_TEAMS_PREFIX } from './gpu-training-cluster/storage';
export {
  TrainingStoragePropsSchema,
  TrainingVolumesPropsSchema,
  STORAGE_ADDON_VERSIONS,
  type TrainingStorageProps,
  type TrainingStorageReference,
  type TrainingVolumesProps,
} from './gpu-training-cluster/storage-schema';
export { TrainingVolumes } from './gpu-training-cluster/training-volumes';
export { ADDON_CHARTS, type AddonChartName } from './gpu-training-cluster/addon-charts';
export { PinnedHelmRelease, unknownValueKeys, type PinnedChart, type PinnedHelmReleaseProps } from './core/helm/pinned-chart';
export { SecureTopic, SecureTopicPropsSchema, TOPIC_PUBLISHERS, type SecureTopicProps, type TopicPublisher } from './core/secure-topic';
export { PlatformAlarms, PlatformAlarmsPropsSchema, AlarmThresholdsSchema, GpuBudgetSchema, type PlatformAlarmsProps, type AlarmTarget } from './monitoring-stack/platform-alarms';
export { ModelFetcherError, parseModelFetcherConfig, type ModelFetcherConfig } from './inference-service/runtime/model-fetcher/config';
export {
  InferenceService,
  ACTIVATION_ONLY_THRESHOLD,
  CONFIG_HASH_ANNOTATION,
  INFERENCE_NETWORK_POLICIES,
  INFERENCE_SERVICE_LABEL,
  MODEL_FETCHER_ENV,
  VARIANT_LABEL,
  type InferenceChart,
  type InferenceChartObject,
  type InferenceVariant,
} from './inference-service/inference-service';
export {
  DEFAULT_PROMETHEUS_SERVER_ADDRESS,
  DEFAULT_SSL_POLICY,
  DEFAULT_VLLM_IMAGE,
  InferenceGatewaySchema,
  InferenceIngressSchema,
  InferenceKedaSchema,
  InferenceMonitoringSchema,
  InferenceServerSchema,
  InferenceServicePropsSchema,
  InferenceVariantSchema,
  SERVER_KIND_DEFAULTS,
  type InferenceServiceProps,
  type InferenceVariantInput,
} from './inference-service/schema';
export {
  GatewayConfigSchema,
  GatewayKeysSchema,
  GatewayVariantSchema,
  GATEWAY_CONFIG_FILE,
  GATEWAY_ENV,
  GATEWAY_KEYS_FILE,
  GATEWAY_PORT,
  type GatewayConfig,
  type GatewayConfigInput,
  type GatewayKeys,
  type GatewayKeysInput,
} from './inference-service/gateway-config';
export { DCGM_METRICS, DRIFT_METRICS, GATEWAY_METRICS, VLLM_METRICS } from './monitoring-stack/metric-names';
export {
  MonitoringCluster,
  KUBE_PROMETHEUS_STACK_CHART,
  GRAFANA_DASHBOARD_LABEL,
  MONITORING_MANAGED_BY_LABEL,
  PLATFORM_RULES_NAME,
  renderRulesChart,
  type RulesChart,
} from './monitoring-stack/monitoring-cluster';
export { MonitoringClusterPropsSchema, type MonitoringClusterProps, type MonitoringClusterConfig } from './monitoring-stack/monitoring-cluster-schema';
export { platformRuleGroups, PlatformRulesOptionsSchema, PLATFORM_RULE_GROUPS, type PlatformRulesOptions } from './monitoring-stack/rules/platform-rules';
export {
  renderPrometheusRule,
  renderRuleFile,
  renderRuleGroups,
  ruleGroupProblems,
  type AlertRule,
  type RecordingRule,
  type RuleGroup,
  type Severity as AlertSeverity,
} from './monitoring-stack/rules/model';
export { burnRateRules, SRE_WORKBOOK_WINDOWS, type BurnRateSlo, type BurnRateWindow } from './monitoring-stack/rules/burn-rate';
export { dashboard, dashboardJson, datasourceVariable, queryVariable, type Dashboard, type DashboardSpec, type PanelSpec } from './monitoring-stack/dashboards/model';
export { platformDashboards } from './monitoring-stack/dashboards/platform-dashboards';
export { DriftDetector, DriftDetectorPropsSchema, type DriftDetectorProps } from './monitoring-stack/drift-detector';
export { DriftConfigSchema, DRIFT_ENV, DRIFT_RUN_FORMS, driftEnvironment, type DriftRunForm, type DriftConfig, type DriftConfigInput } from './monitoring-stack/drift-config';
export { DriftJob, DRIFT_JOB_FINAL_EXIT_CODES, DRIFT_JOB_NETWORK_POLICIES, defaultDriftJobName } from './monitoring-stack/drift-job';
export { DriftJobPropsSchema, type DriftJobProps, type DriftJobConfig, kubernetesSchedule, DRIFT_JOB_DEFAULT_RESOURCES } from './monitoring-stack/drift-job-schema';
export { createGateway, startGateway, type Gateway, type GatewayOptions, type GatewayServer, type GatewayServerOptions } from './inference-service/runtime/gateway/gateway';
export { hashApiKey } from './inference-service/runtime/gateway/key-ring';
export { TeamAccess, PersonaRole, EKS_ACCESS_POLICIES, type PersonaAccess, type EksAccessGrant, type EksAccessLevel } from './platform/team-access';
export { TeamAccessPropsSchema, PERSONAS, personaGroup, type Persona, type TeamAccessProps } from './platform/team-access-schema';
export { TeamRbac, TeamRbacPropsSchema, TEAM_RBAC_ROLES, type TeamRbacProps, type RbacRule } from './platform/team-rbac';
export { podIdentityRole, POD_IDENTITY_SESSION_TAGS, type PodIdentityRoleOptions } from './core/iam/pod-identity-role';

// Gateway request logs → the telemetry bucket
export { ACCESS_LOG_LINE_REGEX, FLUENT_BIT_CHART, GatewayLogShipping, gatewayLogKeyFormat, gatewayLogPath, renderFluentBitPipeline, type FluentBitPipeline, type FluentBitPipelineOptions } from './monitoring-stack/log-shipping';
export { GatewayLogShippingPropsSchema, type GatewayLogShippingProps, type GatewayLogShippingConfig, type ShippedService } from './monitoring-stack/log-shipping-schema';
export { escapeHclString, helmValues } from './core/helm/values';

// InferenceService progressive delivery
export { RolloutController, RolloutControllerAccess, ROLLOUT_SCHEDULE, type RolloutControllerAccessProps } from './inference-service/rollout-controller';
export { RolloutControllerPropsSchema, RolloutServiceSchema, type RolloutControllerProps, type RolloutControllerConfig, type RolloutService } from './inference-service/rollout-controller-schema';
export {
  MODEL_VERSION_ANNOTATION,
  PrometheusSourceSchema,
  ROLLOUT_EVENT_SOURCE,
  ROLLOUT_EVENT_TYPES,
  RolloutConfigSchema,
  RolloutThresholdsSchema,
  type RolloutConfig,
} from './inference-service/runtime/rollout/rollout-config';

// In-cluster forms of the data services
export {
  HttpWorkload,
  HttpWorkloadPropsSchema,
  WorkloadClientSchema,
  WORKLOAD_NETWORK_POLICIES,
  RESTRICTED_CONTAINER,
  podSecurity,
  containerSecurity,
  topologySpread,
  httpProbe,
  restrictedNamespaceLabels,
  containerResourcesSchema,
  PinnedContainerImageSchema,
  type HttpWorkloadProps,
  type WorkloadClient,
} from './core/k8s/http-workload';
export { FeatureServer, FEATURE_SERVER_COMPONENT, type FeatureServerProps } from './feature-store/feature-server';
export { FeatureServerPropsSchema } from './feature-store/feature-server-schema';
export { SERVING_FORMS, type ServingForm } from './feature-store/schema';
export { RegistryServer, REGISTRY_SERVER_COMPONENT, type RegistryServerProps } from './model-registry/registry-server';
export { RegistryServerPropsSchema, RegistryCallerSchema, REGISTRY_ACCESS_LEVELS } from './model-registry/registry-server-schema';

export { namespacedGroupRole, rbacRules, type NamespacedGroupRole, type NamespacedGroupRoleProps } from './core/k8s/rbac';
export { podSecurityManifest, type PodSecurityManifest } from './core/k8s/pod-security';
export { QUANTITY_PATTERN, quantityValue, quantitySchema } from './core/k8s/quantity';

// GpuTrainingCluster training-job API, EKS/STS clients
export {
  TrainingJobApi,
  TrainingJobApiRbac,
  TRAINING_JOB_API_ROUTES,
  TRAINING_JOB_API_RULES,
  DEFAULT_TRAINING_API_GROUP,
  type TrainingJobApiProps,
  type TrainingJobApiRbacProps,
  type TrainingJobApiTeam,
} from './gpu-training-cluster/training-job-api';
export { TrainingJobApiPropsSchema, TrainingJobApiRbacPropsSchema, TrainingJobApiTeamSchema } from './gpu-training-cluster/training-job-api-schema';
export { TrainingRequestSchema, type TrainingRequestInput } from './gpu-training-cluster/runtime/training-api/training-request';
export { renderTrialObject } from './gpu-training-cluster/sweep';
export { KubeClient, KubeApiError, eksKubeClient, resourcePath } from './core/runtime/kube-client';
export { eksToken, identityToken, verifyIdentityToken, verifyEksToken, IdentityTokenError, type VerifiedIdentity, type CredentialSource } from './core/runtime/sts-identity';

// plan-guard: stateful resources in Terraform plans
export {
  AllowListSchema,
  PlanGuardInputError,
  STATEFUL_RESOURCES,
  TerraformPlanSchema,
  addressMatches,
  guardPlan,
  parseAllowList,
  type AllowEntry,
  type AllowedFinding,
  type AttributePath,
  type PlanAction,
  type PlanFinding,
  type PlanGuardReport,
  type PlanGuardWarning,
  type ProtectionCheck,
  type StatefulResourceType,
} from './core/policy/plan-guard';

// GaiPlatform: the whole platform from one config
export {
  GaiPlatformConfigSchema,
  loadPlatformConfig,
  parsePlatformConfig,
  platformConfigJsonSchema,
  PRESET_DEFAULTS,
  PRESETS,
  StateBackendSchema,
  type GaiPlatformConfig,
  type GaiPlatformConfigInput,
  type Preset,
  type StateBackend,
} from './platform/platform-config';
export { GaiPlatform, PLATFORM_LAYERS, TELEMETRY_PREFIXES, type PlatformLayer } from './platform/gai-platform';
