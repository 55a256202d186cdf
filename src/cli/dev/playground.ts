/**
 * The local playground behind `gaiops dev`: one `node:http` port on 127.0.0.1 serving the real
 * runtime handlers on embedded storage —
 *
 * - `/registry/api/2.0/{mlflow,gaiops}/...` — `createRegistryApp` (mounted with basePath
 *   `/registry`) on dynalite behind the transaction proxy and s3rver; dev mode
 *   (`trustPrincipalHeader`), approvers = sessions of `DEV_APPROVER_ROLE_ARN`, events kept in memory;
 * - `/features/...` — `createServingApp` (prefix stripped) on the same dynalite and s3rver, with the
 *   demo `customers` group; the caller is `x-gaiops-principal`, else the dev principal;
 * - `/gateway/v1/...` — the InferenceService gateway (`createGateway`, basePath `/gateway`), its
 *   `gateway.json` / `keys.json` written to a temp dir: variants `champion` (90) and `challenger`
 *   (10) on the deterministic fake model, one API key generated per run.
 *
 * Everything binds to 127.0.0.1; every file lives under one temp dir removed by `close()`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { describeError, silentLogger } from '../../core/runtime/http-app';
import { OFFLINE_LAYOUT } from '../../feature-store/feature-group';
import { SERVING_SERVICE_NAME, createServingApp } from '../../feature-store/runtime/serving-app';
import { onlineTableDefinition, versionsTableDefinition } from '../../feature-store/runtime/table-definitions';
import { GATEWAY_CONFIG_FILE, GATEWAY_KEYS_FILE, type GatewayConfigInput, type GatewayKeysInput } from '../../inference-service/gateway-config';
import { GATEWAY_SERVICE_NAME, type Gateway, createGateway } from '../../inference-service/runtime/gateway/gateway';
import { hashApiKey } from '../../inference-service/runtime/gateway/key-ring';
import type { RegistryConfigSchema } from '../../model-registry/registry-config';
import { resolvePrincipal } from '../../model-registry/runtime/identity';
import { REGISTRY_SERVICE_NAME, createRegistryApp } from '../../model-registry/runtime/registry-app';
import { DEMO_FEATURE_STORE_CONFIG } from './demo-feature-store';
import { type EmbeddedS3, startEmbeddedS3 } from './embedded-s3';
import { type FakeModelServer, startFakeModel } from './fake-model';
import { PrincipalRejected, nodeRequestListener } from '../../core/runtime/node-http';
import { InMemoryEventSink } from './in-memory-event-sink';
import {
  DEV_APPROVER_ROLE_ARN,
  DEV_ARTIFACT_BUCKET,
  DEV_GATEWAY_MODEL,
  DEV_PRINCIPAL,
  DEV_VARIANTS,
} from './playground-settings';
import { PortInUseError } from './port-in-use-error';
import { type LogSink, streamLogger } from './stream-logger';
import { type TransactionalDynamo, startTransactionalDynamo } from './transactional-dynamo';

const REGISTRY_METADATA_TABLE = 'gaiops-dev-registry-metadata';
const REGISTRY_AUDIT_TABLE = 'gaiops-dev-registry-audit';
const FEATURES_BUCKET = 'gaiops-dev-features';
const FEATURES_ONLINE_TABLE = 'gaiops-dev-features-online';
const FEATURES_VERSIONS_TABLE = 'gaiops-dev-features-versions';
/** How long shutdown waits for in-flight requests and streams. */
const SHUTDOWN_GRACE_MS = 5_000;

export const DEV_REGISTRY_CONFIG: z.input<typeof RegistryConfigSchema> = {
  version: 1,
  // The deployed defaults: model card, artifact digest and a four-eyes approval guard "production".
  defaultGates: {},
  approverRoleArns: [DEV_APPROVER_ROLE_ARN],
  trustPrincipalHeader: true,
};

export interface PlaygroundOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Request and operational logs (JSON lines). Default: none. */
  readonly log?: LogSink;
}

export interface Playground {
  /** e.g. `http://127.0.0.1:4700`. */
  readonly url: string;
  readonly port: number;
  /** Base URL of the registry API (`<url>/registry`; the MLflow paths follow). */
  readonly registry: string;
  /** Base URL of the feature API (`<url>/features`). */
  readonly features: string;
  /** OpenAI base URL of the gateway (`<url>/gateway/v1`). */
  readonly gateway: string;
  /** The API key the gateway accepts, generated for this run. */
  readonly apiKey: string;
  /** The temp dir holding S3 objects and the gateway files (removed by `close`). */
  readonly dataDir: string;
  /** Endpoints of the embedded services (for poking at the storage directly). */
  readonly storage: { readonly dynamodb: string; readonly s3: string; readonly model: string };
  /** Registry events published so far. */
  readonly events: InMemoryEventSink;
  /** Stops everything (in-flight requests and streams get `SHUTDOWN_GRACE_MS`) and removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Starts the playground; throws `PortInUseError` when the port is taken. */
export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const log = options.log;
  const logger = (service: string) => (log ? streamLogger(service, log) : undefined);
  let route: Listener = (req, res) => sendJson(req, res, 503, { error: { code: 'starting', message: 'gaiops dev is starting' } });
  const server = createServer((req, res) => route(req, res));
  server.keepAliveTimeout = 65_000;
  await listen(server, options.port);
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  // What has started so far, stopped in dependency order by `shutdown` (also after a failed start).
  const started: { dataDir?: string; gateway?: Gateway; services: Array<{ close(): Promise<void> }> } = { services: [] };
  const shutdown = async (): Promise<void> => {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<void> | void): Promise<void> => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    // 1. No new connections; in-flight requests and gateway streams finish (bounded by the grace period).
    const serverClosed = closeServer(server);
    if (started.gateway) await attempt(() => started.gateway!.drain());
    await attempt(() => serverClosed);
    // 2. The storage and the fake model nobody talks to any more.
    await Promise.all(started.services.map((service) => attempt(() => service.close())));
    // 3. The files.
    if (started.dataDir) await attempt(() => rmSync(started.dataDir!, { recursive: true, force: true }));
    if (errors.length > 0) throw errors[0];
  };

  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'gaiops-dev-'));
    started.dataDir = dataDir;
    mkdirSync(join(dataDir, 's3'));
    mkdirSync(join(dataDir, 'gateway'));

    const services = await Promise.allSettled([
      startTransactionalDynamo(),
      startEmbeddedS3(join(dataDir, 's3')),
      startFakeModel({ models: DEV_VARIANTS.map((v) => v.upstreamModel) }),
    ]);
    for (const s of services) if (s.status === 'fulfilled') started.services.push(s.value);
    const failed = services.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const dynamo = (services[0] as PromiseFulfilledResult<TransactionalDynamo>).value;
    const s3 = (services[1] as PromiseFulfilledResult<EmbeddedS3>).value;
    const model = (services[2] as PromiseFulfilledResult<FakeModelServer>).value;

    await Promise.all([
      dynamo.createRegistryTable(REGISTRY_METADATA_TABLE),
      dynamo.createRegistryTable(REGISTRY_AUDIT_TABLE),
      dynamo.createTable(onlineTableDefinition(FEATURES_ONLINE_TABLE)),
      dynamo.createTable(versionsTableDefinition(FEATURES_VERSIONS_TABLE)),
      s3.createBucket(DEV_ARTIFACT_BUCKET),
      s3.createBucket(FEATURES_BUCKET),
    ]);
    const s3Client = s3.client();
    // Where the deployed runtimes read the config from, for anyone looking at the bucket.
    await s3Client.send(new PutObjectCommand({ Bucket: FEATURES_BUCKET, Key: OFFLINE_LAYOUT.config, Body: JSON.stringify(DEMO_FEATURE_STORE_CONFIG) }));

    const events = new InMemoryEventSink(logger(REGISTRY_SERVICE_NAME));
    const registryApp = createRegistryApp({
      dynamo: dynamo.client(),
      s3: s3Client,
      events,
      config: DEV_REGISTRY_CONFIG,
      metadataTable: REGISTRY_METADATA_TABLE,
      auditTable: REGISTRY_AUDIT_TABLE,
      artifactBucket: DEV_ARTIFACT_BUCKET,
      basePath: '/registry',
      logger: logger(REGISTRY_SERVICE_NAME) ?? silentLogger,
    });
    const featuresApp = createServingApp(
      {
        s3: s3Client,
        dynamo: dynamo.client(),
        bucket: FEATURES_BUCKET,
        onlineTable: FEATURES_ONLINE_TABLE,
        versionsTable: FEATURES_VERSIONS_TABLE,
        config: DEMO_FEATURE_STORE_CONFIG,
        piiKey: randomBytes(32).toString('hex'),
        creator: DEV_PRINCIPAL,
      },
      { logger: logger(SERVING_SERVICE_NAME) ?? silentLogger },
    );

    const apiKey = `gaiops-dev-${randomBytes(24).toString('base64url')}`;
    const configPath = join(dataDir, 'gateway', GATEWAY_CONFIG_FILE);
    const keysPath = join(dataDir, 'gateway', GATEWAY_KEYS_FILE);
    const gatewayConfig: GatewayConfigInput = {
      model: DEV_GATEWAY_MODEL,
      variants: DEV_VARIANTS.map((v) => ({ name: v.name, upstream: model.url, upstreamModel: v.upstreamModel, weight: v.weight })),
      resilience: { requestTimeoutMs: 30_000, shutdownGraceMs: SHUTDOWN_GRACE_MS },
    };
    const keys: GatewayKeysInput = { keys: [{ alias: 'dev', team: 'dev', sha256: hashApiKey(apiKey), allowVariantOverride: true }] };
    writeFileSync(configPath, `${JSON.stringify(gatewayConfig, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(keysPath, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    const gateway: Gateway = await createGateway({
      configPath,
      keysPath,
      basePath: '/gateway',
      logger: logger(GATEWAY_SERVICE_NAME),
      accessLog: log ? lineWriter(log) : null,
    });
    started.gateway = gateway;
    if (!gateway.ready()) throw new Error('the gateway did not load its generated gateway.json / keys.json');

    const urls = { registry: `${url}/registry`, features: `${url}/features`, gateway: `${url}/gateway/v1` };
    const registry = nodeRequestListener(registryApp);
    const features = nodeRequestListener(featuresApp, { stripPrefix: '/features', principal: featuresPrincipal });
    route = (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (under(path, '/gateway')) return gateway.listener(req, res);
      if (under(path, '/registry')) return registry(req, res);
      if (under(path, '/features')) return features(req, res);
      if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
        return sendJson(req, res, 200, { service: 'gaiops dev', ...urls, model: DEV_GATEWAY_MODEL, variants: DEV_VARIANTS.map((v) => v.name) });
      }
      return sendJson(req, res, 404, { error: { code: 'not_found', message: 'gaiops dev serves /registry, /features and /gateway' } });
    };

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      ...urls,
      apiKey,
      dataDir,
      storage: { dynamodb: dynamo.endpoint, s3: s3.endpoint, model: model.url },
      events,
      close() {
        closing ??= shutdown();
        return closing;
      },
    };
  } catch (error) {
    try {
      await shutdown();
    } catch (cleanupError) {
      log?.write(`${JSON.stringify({ level: 'ERROR', message: 'cleanup after a failed start failed', error: describeError(cleanupError) })}\n`);
    }
    throw error;
  }
}

/** The feature API's caller: `x-gaiops-principal` (checked like the registry checks it), else the dev principal. */
function featuresPrincipal(headers: Readonly<Record<string, string>>): string {
  try {
    return resolvePrincipal({ headers, principal: undefined }, { trustPrincipalHeader: true });
  } catch (error) {
    throw new PrincipalRejected((error as Error).message);
  }
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Stops accepting connections, lets in-flight requests finish (the gateway drains its streams
 * before this runs), then drops whatever is left after the grace period.
 */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** A `Writable` that hands each chunk to `sink` as text (the gateway's access log wants a stream). */
function lineWriter(sink: LogSink): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      sink.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      callback();
    },
  });
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  req.resume();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(req.method === 'HEAD' ? undefined : text);
}
