/**
 * Renders props tables from the zod schemas, so the documented defaults are the code's defaults.
 * `npm run docs` rewrites the marked blocks in the READMEs; a test fails when they are stale.
 */
import { DataScientistSchema, MlEngineerSchema, PlainPersonaSchema, TeamAccessPropsSchema } from '../src/platform/team-access-schema';
import { TeamRbacPropsSchema } from '../src/platform/team-rbac';
import { PlatformAlarmsPropsSchema } from '../src/monitoring-stack/platform-alarms';
import { DriftDetectorPropsSchema } from '../src/monitoring-stack/drift-detector';
import { MonitoringClusterPropsSchema } from '../src/monitoring-stack/monitoring-cluster-schema';
import { PlatformRulesOptionsSchema } from '../src/monitoring-stack/rules/platform-rules';
import {
  InferenceGatewaySchema,
  InferenceIngressSchema,
  InferenceKedaSchema,
  InferenceMonitoringSchema,
  InferenceServerSchema,
  InferenceServicePropsSchema,
  InferenceVariantSchema,
} from '../src/inference-service/schema';
import { TrainingStoragePropsSchema, TrainingVolumesPropsSchema } from '../src/gpu-training-cluster/storage-schema';
import { ClusterAddonsPropsSchema } from '../src/gpu-training-cluster/addons-schema';
import { SecureTopicPropsSchema } from '../src/core/secure-topic';
import { TrainingJobApiPropsSchema, TrainingJobApiRbacPropsSchema, TrainingJobApiTeamSchema } from '../src/gpu-training-cluster/training-job-api-schema';
import { TrainingRequestSchema } from '../src/gpu-training-cluster/runtime/training-api/training-request';
import { FeatureServerPropsSchema } from '../src/feature-store/feature-server-schema';
import { RegistryServerPropsSchema } from '../src/model-registry/registry-server-schema';
import { GatewayLogShippingPropsSchema } from '../src/monitoring-stack/log-shipping-schema';
import { DriftJobPropsSchema } from '../src/monitoring-stack/drift-job-schema';
import { RolloutControllerPropsSchema } from '../src/inference-service/rollout-controller-schema';
import { RolloutThresholdsSchema } from '../src/inference-service/runtime/rollout/rollout-config';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GaiPlatformConfigSchema, platformConfigJsonSchema, StateBackendSchema } from '../src/platform/platform-config';
import { z } from 'zod';
import {
  ContainerImagePropsSchema,
  EncryptionKeyPropsSchema,
  LogGroupPropsSchema,
  NodeFunctionPropsSchema,
  PlatformSettingsSchema,
  PlatformStackPropsSchema,
  RolePropsSchema,
  SecureBucketPropsSchema,
  SecureQueuePropsSchema,
  SecureTablePropsSchema,
} from '../src';
import { FeatureStorePropsSchema } from '../src/feature-store/schema';
import { ModelRegistryPropsSchema } from '../src/model-registry/schema';
import { ClusterNetworkPropsSchema, GpuTrainingClusterPropsSchema } from '../src/gpu-training-cluster/schema';
import { AmiSchema, CpuPoolSchema, DiskSchema, GpuNodePoolsPropsSchema, GpuPoolSchema } from '../src/gpu-training-cluster/node-pools-schema';
import { ClusterProvidersOptionsSchema } from '../src/gpu-training-cluster/cluster-providers';
import { ContainerDefaultsSchema, TeamSchema, TrainingTeamsPropsSchema } from '../src/gpu-training-cluster/teams-schema';
import { HyperparameterSweepPropsSchema } from '../src/gpu-training-cluster/sweep-schema';

/** Which schema fills which marked block of which file. */
/** Generated JSON Schema of the platform config (committed; `npm run docs` refreshes it). */
export const PLATFORM_SCHEMA_FILE = 'schemas/gaiops-platform.schema.json';

export const PROPS_TABLES: readonly { file: string; name: string; schema: z.ZodType }[] = [
  { file: 'src/platform/README.md', name: 'GaiPlatform', schema: GaiPlatformConfigSchema },
  { file: 'src/platform/README.md', name: 'StateBackend', schema: StateBackendSchema },
  { file: 'src/core/README.md', name: 'PlatformSettings', schema: PlatformSettingsSchema },
  { file: 'src/monitoring-stack/README.md', name: 'DriftJob', schema: DriftJobPropsSchema },
  { file: 'src/monitoring-stack/README.md', name: 'GatewayLogShipping', schema: GatewayLogShippingPropsSchema },
  { file: 'src/feature-store/README.md', name: 'FeatureServer', schema: FeatureServerPropsSchema },
  { file: 'src/model-registry/README.md', name: 'RegistryServer', schema: RegistryServerPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TrainingJobApi', schema: TrainingJobApiPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TrainingJobApiTeam', schema: TrainingJobApiTeamSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TrainingJobApiRbac', schema: TrainingJobApiRbacPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TrainingRequest', schema: TrainingRequestSchema },
  { file: 'src/inference-service/README.md', name: 'RolloutController', schema: RolloutControllerPropsSchema },
  { file: 'src/inference-service/README.md', name: 'RolloutThresholds', schema: RolloutThresholdsSchema },
  { file: 'src/core/README.md', name: 'PlatformStack', schema: PlatformStackPropsSchema },
  { file: 'src/core/README.md', name: 'EncryptionKey', schema: EncryptionKeyPropsSchema },
  { file: 'src/core/README.md', name: 'SecureBucket', schema: SecureBucketPropsSchema },
  { file: 'src/core/README.md', name: 'SecureTable', schema: SecureTablePropsSchema },
  { file: 'src/core/README.md', name: 'SecureQueue', schema: SecureQueuePropsSchema },
  { file: 'src/core/README.md', name: 'LogGroup', schema: LogGroupPropsSchema },
  { file: 'src/core/README.md', name: 'Role', schema: RolePropsSchema },
  { file: 'src/core/README.md', name: 'NodeFunction', schema: NodeFunctionPropsSchema },
  { file: 'src/core/README.md', name: 'ContainerImage', schema: ContainerImagePropsSchema },
  { file: 'src/feature-store/README.md', name: 'FeatureStore', schema: FeatureStorePropsSchema },
  { file: 'src/model-registry/README.md', name: 'ModelRegistry', schema: ModelRegistryPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'ClusterNetwork', schema: ClusterNetworkPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'GpuTrainingCluster', schema: GpuTrainingClusterPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'ClusterProviders', schema: ClusterProvidersOptionsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'GpuNodePools', schema: GpuNodePoolsPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'GpuPool', schema: GpuPoolSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'CpuPool', schema: CpuPoolSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'NodePoolAmi', schema: AmiSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'NodePoolDisk', schema: DiskSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TrainingTeams', schema: TrainingTeamsPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TrainingTeam', schema: TeamSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TeamContainerDefaults', schema: ContainerDefaultsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'HyperparameterSweep', schema: HyperparameterSweepPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TrainingStorage', schema: TrainingStoragePropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'TrainingVolumes', schema: TrainingVolumesPropsSchema },
  { file: 'src/gpu-training-cluster/README.md', name: 'ClusterAddons', schema: ClusterAddonsPropsSchema },
  { file: 'src/core/README.md', name: 'SecureTopic', schema: SecureTopicPropsSchema },
  { file: 'src/monitoring-stack/README.md', name: 'PlatformAlarms', schema: PlatformAlarmsPropsSchema },
  { file: 'src/monitoring-stack/README.md', name: 'DriftDetector', schema: DriftDetectorPropsSchema },
  { file: 'src/monitoring-stack/README.md', name: 'MonitoringCluster', schema: MonitoringClusterPropsSchema },
  { file: 'src/monitoring-stack/README.md', name: 'PlatformRulesOptions', schema: PlatformRulesOptionsSchema },
  { file: 'src/platform/README.md', name: 'TeamAccess', schema: TeamAccessPropsSchema },
  { file: 'src/platform/README.md', name: 'DataScientistPersona', schema: DataScientistSchema },
  { file: 'src/platform/README.md', name: 'MlEngineerPersona', schema: MlEngineerSchema },
  { file: 'src/platform/README.md', name: 'Persona', schema: PlainPersonaSchema },
  { file: 'src/platform/README.md', name: 'TeamRbac', schema: TeamRbacPropsSchema },
  { file: 'src/inference-service/README.md', name: 'InferenceService', schema: InferenceServicePropsSchema },
  { file: 'src/inference-service/README.md', name: 'InferenceVariant', schema: InferenceVariantSchema },
  { file: 'src/inference-service/README.md', name: 'InferenceServer', schema: InferenceServerSchema },
  { file: 'src/inference-service/README.md', name: 'InferenceGateway', schema: InferenceGatewaySchema },
  { file: 'src/inference-service/README.md', name: 'InferenceIngress', schema: InferenceIngressSchema },
  { file: 'src/inference-service/README.md', name: 'InferenceKeda', schema: InferenceKedaSchema },
  { file: 'src/inference-service/README.md', name: 'InferenceMonitoring', schema: InferenceMonitoringSchema },
];

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  description?: string;
};

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return variants.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'any'}[]`;
  if (s.type === 'object' && s.properties) return `{ ${Object.keys(s.properties).join(', ')} }`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? 'construct';
}

/** The Markdown table for one schema: prop, type, required, default, description. */
export function propsTable(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows = Object.entries(json.properties ?? {}).map(([name, prop]) => {
    const required = (json.required ?? []).includes(name) ? 'yes' : 'no';
    const def = prop.default === undefined ? '—' : `\`${JSON.stringify(prop.default)}\``;
    const description = (prop.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
    return `| \`${name}\` | ${typeOf(prop)} | ${required} | ${def} | ${description} |`;
  });
  return ['| prop | type | required | default | description |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** The file contents with every marked block regenerated. */
export function renderDocs(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const { file, name, schema } of PROPS_TABLES) {
    const current = out.get(file) ?? readFileSync(join(root, file), 'utf8');
    const start = `<!-- props:${name}:start -->`;
    const end = `<!-- props:${name}:end -->`;
    const i = current.indexOf(start);
    const j = current.indexOf(end);
    if (i < 0 || j < i) throw new Error(`${file}: markers for ${name} are missing`);
    out.set(file, `${current.slice(0, i + start.length)}\n${propsTable(schema)}\n${current.slice(j)}`);
  }
  // The platform config's JSON Schema, for editors (yaml-language-server, VS Code json.schemas).
  out.set(PLATFORM_SCHEMA_FILE, `${JSON.stringify(platformConfigJsonSchema(), null, 2)}\n`);
  return out;
}

export function writeDocs(root: string): string[] {
  const changed: string[] = [];
  for (const [file, text] of renderDocs(root)) {
    const path = join(root, file);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      changed.push(file);
    }
  }
  return changed;
}
