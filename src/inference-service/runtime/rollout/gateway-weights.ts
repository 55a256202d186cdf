/**
 * The Kubernetes edge of the rollout controller: reads the gateway's `gateway.json` from its
 * ConfigMap, writes new weights (validated with GatewayConfigSchema, PUT with the ConfigMap's
 * `resourceVersion`; a 409 re-reads and retries), and restarts a candidate Deployment by setting
 * a pod-template annotation (JSON merge patch, idempotent).
 */
import { createHash } from 'node:crypto';
import { KubeApiError, type KubeClient, resourcePath } from '../../../core/runtime/kube-client';
import { GATEWAY_CONFIG_FILE, GatewayConfigSchema, type GatewayConfig } from '../../gateway-config';
import { MODEL_VERSION_ANNOTATION, ROLLOUT_ANNOTATION } from './rollout-config';
import { sameWeights, type Weights } from './step-weights';

/**
 * The ConfigMap annotation carrying the sha256 of `gateway.json` — the value of the construct's
 * `CONFIG_HASH_ANNOTATION` (not imported: that module pulls the Terraform providers into the bundle;
 * a test keeps the two equal).
 */
export const GATEWAY_CONFIG_HASH_ANNOTATION = 'gaiops.io/config-sha256';

interface ConfigMapObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string>; [key: string]: unknown };
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** Thrown when the ConfigMap does not hold a valid `gateway.json`, or a write would make it invalid. */
export class GatewayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayConfigError';
  }
}

/** The ConfigMap as read: the object and its parsed `gateway.json`. */
export interface GatewaySnapshot {
  readonly object: ConfigMapObject;
  readonly config: GatewayConfig;
}

/** The gateway.json text as the construct writes it (2-space JSON and a newline). */
export function gatewayConfigText(config: GatewayConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Variant name → weight of a gateway config. */
export function weightsOf(config: GatewayConfig): Record<string, number> {
  return Object.fromEntries(config.variants.map((v) => [v.name, v.weight]));
}

/**
 * The config with new weights, validated: every variant of `weights` must exist and every variant of
 * the config must be given a weight (a rollout never adds or drops variants).
 */
export function withWeights(config: GatewayConfig, weights: Weights): GatewayConfig {
  const names = config.variants.map((v) => v.name).sort();
  const given = Object.keys(weights).sort();
  if (names.length !== given.length || names.some((n, i) => n !== given[i])) {
    throw new GatewayConfigError(`weights name variants [${given.join(', ')}] but gateway.json has [${names.join(', ')}]`);
  }
  const next = { ...config, variants: config.variants.map((v) => ({ ...v, weight: weights[v.name] as number })) };
  const parsed = GatewayConfigSchema.safeParse(next);
  if (!parsed.success) {
    throw new GatewayConfigError(`new weights make gateway.json invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Reads and validates the gateway ConfigMap. */
export async function readGateway(kube: KubeClient, namespace: string, name: string): Promise<GatewaySnapshot> {
  const object = await kube.get<ConfigMapObject>(resourcePath('v1', 'configmaps', namespace, name));
  const text = object.data?.[GATEWAY_CONFIG_FILE];
  if (text === undefined) throw new GatewayConfigError(`ConfigMap ${namespace}/${name} has no ${GATEWAY_CONFIG_FILE}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatewayConfigError(`${GATEWAY_CONFIG_FILE} in ConfigMap ${namespace}/${name} is not JSON`);
  }
  const parsed = GatewayConfigSchema.safeParse(json);
  if (!parsed.success) throw new GatewayConfigError(`${GATEWAY_CONFIG_FILE} in ConfigMap ${namespace}/${name} is invalid: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return { object, config: parsed.data };
}

const MAX_CONFLICT_RETRIES = 5;

/**
 * Makes the gateway's weights equal to `weights`: no write when they already are; otherwise PUT with
 * the `resourceVersion` read, re-reading and retrying on 409 Conflict (another writer in between).
 * Returns whether it wrote and how many conflicts it met.
 */
export async function applyWeights(
  kube: KubeClient,
  target: { namespace: string; configMap: string; rolloutId: string },
  weights: Weights,
): Promise<{ written: boolean; conflicts: number }> {
  const path = resourcePath('v1', 'configmaps', target.namespace, target.configMap);
  for (let conflicts = 0; ; conflicts += 1) {
    const current = await readGateway(kube, target.namespace, target.configMap);
    if (sameWeights(weightsOf(current.config), weights)) return { written: false, conflicts };
    const text = gatewayConfigText(withWeights(current.config, weights));
    const object: ConfigMapObject = {
      ...current.object,
      metadata: {
        ...current.object.metadata,
        annotations: {
          ...(current.object.metadata.annotations ?? {}),
          [GATEWAY_CONFIG_HASH_ANNOTATION]: createHash('sha256').update(text).digest('hex'),
          [ROLLOUT_ANNOTATION]: target.rolloutId,
        },
      },
      data: { ...(current.object.data ?? {}), [GATEWAY_CONFIG_FILE]: text },
    };
    try {
      await kube.replace(path, object);
      return { written: true, conflicts };
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409) || conflicts + 1 >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}

/** Sets the candidate Deployment's pod-template annotation to the version: a rolling restart when it changes, nothing otherwise. */
export async function restartCandidate(kube: KubeClient, namespace: string, deployment: string, version: string): Promise<void> {
  await kube.mergePatch(resourcePath('apps/v1', 'deployments', namespace, deployment), {
    spec: { template: { metadata: { annotations: { [MODEL_VERSION_ANNOTATION]: version } } } },
  });
}
