/**
 * Lambda entry point of the InferenceService rollout controller, invoked by two EventBridge rules:
 * `AliasChanged` events on the registry bus and a one-minute schedule. It runs in the cluster VPC
 * and talks to the private EKS endpoint with a token presigned from its role.
 *
 * Environment: `ROLLOUT_CONFIG` (RolloutConfigSchema JSON, validated on the first invocation and
 * kept for the execution environment), `AWS_REGION` (set by Lambda).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eksKubeClient, type KubeClient } from '../../../core/runtime/kube-client';
import { createLogger } from '../../../core/runtime/logger';
import { EventBridgePublisher, type RegistryEvent } from '../../../model-registry/runtime/events';
import { type PrometheusTransport, serviceProxyBase, urlTransport } from './candidate-health';
import { ROLLOUT_ENV, ROLLOUT_EVENT_SOURCE, RolloutConfigSchema, type RolloutConfig } from './rollout-config';
import { type RolloutEventSink, type RolloutLogger, type RolloutResult, RolloutRunner } from './rollout-runner';
import { RolloutStore } from './rollout-store';

export const ROLLOUT_SERVICE_NAME = 'inference-rollout';

/** Reads and validates `ROLLOUT_CONFIG`; throws with every problem listed. */
export function rolloutConfigFromEnv(env: Readonly<Record<string, string | undefined>>): RolloutConfig {
  const text = env[ROLLOUT_ENV.config];
  if (!text) throw new Error(`${ROLLOUT_ENV.config} is not set`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${ROLLOUT_ENV.config} is not JSON`);
  }
  const parsed = RolloutConfigSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${ROLLOUT_ENV.config} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The Prometheus transport of a config: the API-server proxy of the Prometheus Service, or a URL. */
export function prometheusTransport(config: RolloutConfig, kube: KubeClient): PrometheusTransport {
  const p = config.prometheus;
  if (p.kind === 'url') return urlTransport(p.url);
  const base = serviceProxyBase(p.namespace, p.service, p.port);
  return (pathAndQuery) => kube.get<unknown>(`${base}${pathAndQuery}`);
}

/** Publishes rollout events to an EventBridge bus (source `gaiops.inference-rollout`) with the registry's publisher. */
export function eventBridgeSink(client: EventBridgeClient, eventBusName: string): RolloutEventSink {
  const publisher = new EventBridgePublisher(client, eventBusName, ROLLOUT_EVENT_SOURCE);
  // The publisher is typed for registry detail types; it forwards any detail type as given.
  return { publish: (events) => publisher.publish(events as unknown as readonly RegistryEvent[]) };
}

export interface RolloutLambdaOptions {
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly dynamo?: DynamoDBClient;
  readonly kube?: KubeClient;
  readonly prometheus?: PrometheusTransport;
  readonly events?: RolloutEventSink;
  readonly logger?: RolloutLogger;
  readonly now?: () => Date;
}

/** Builds the handler; every dependency can be replaced (tests run it against local servers). */
export function createRolloutLambdaHandler(options: RolloutLambdaOptions = {}): (event: unknown) => Promise<RolloutResult> {
  let runner: RolloutRunner | undefined;
  return async (event) => {
    if (!runner) {
      const env = options.env ?? process.env;
      const config = rolloutConfigFromEnv(env);
      const region = env.AWS_REGION ?? '';
      const kube = options.kube ?? eksKubeClient({ clusterName: config.cluster.name, endpoint: config.cluster.endpoint, caData: config.cluster.caData, region });
      let logger = options.logger;
      if (!logger) {
        const powertools = createLogger(ROLLOUT_SERVICE_NAME, { persistentKeys: { namespace: config.namespace, configMap: config.configMap } });
        logger = {
          info: (message, fields) => powertools.info({ ...fields, message }),
          warn: (message, fields) => powertools.warn({ ...fields, message }),
          error: (message, fields) => powertools.error({ ...fields, message }),
        };
      }
      runner = new RolloutRunner({
        config,
        store: new RolloutStore(options.dynamo ?? new DynamoDBClient({}), config.table, { namespace: config.namespace, configMap: config.configMap }),
        kube,
        prometheus: options.prometheus ?? prometheusTransport(config, kube),
        events: options.events ?? eventBridgeSink(new EventBridgeClient({}), config.eventBus),
        logger,
        ...(options.now ? { now: options.now } : {}),
      });
    }
    return runner.handle(event);
  };
}

export const handler = createRolloutLambdaHandler();
