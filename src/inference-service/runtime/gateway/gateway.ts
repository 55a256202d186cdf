/**
 * The InferenceService gateway: an OpenAI-compatible HTTP edge in front of the model-server
 * variants. Authenticates API keys, applies per-key limits, routes A/B (sticky per user) with
 * retries, circuit breakers and shadow copies, streams responses through with backpressure, and
 * exports metrics and one access-log line per request. The logic lives in the pure modules next to
 * this file; this is the `node:http` edge that wires them together.
 *
 * `createGateway` gives a request listener (also mountable under a base path, e.g. by `gaiops dev`);
 * `startGateway` serves it on a port; `server.ts` is the container entry.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Writable } from 'node:stream';
import { type Dispatcher, Pool } from 'undici';
import { type AppLogger, describeError, sanitizeRequestId, silentLogger } from '../../../core/runtime/http-app';
import { listen } from '../../../core/runtime/node-http';
import { type GatewayConfig, type GatewayKey, type GatewayKeys, type GatewayVariant, GatewayConfigSchema, GatewayKeysSchema } from '../../gateway-config';
import { AccessLogWriter } from './access-log';
import { BREAKER_STATE_VALUE, CircuitBreaker } from './circuit-breaker';
import { diffGatewayConfig } from './config-diff';
import { GatewayMetrics } from './gateway-metrics';
import { JsonUsageScanner } from './json-usage-scanner';
import { KeyLimits } from './key-limits';
import { KeyRing } from './key-ring';
import { redactPii } from './pii-redaction';
import { RequestAbort } from './request-abort';
import { type GatewayRoute, type ValidatedRequestBody, validateRequestBody } from './request-schemas';
import { SseUsageFilter } from './sse-usage-filter';
import { StickyHashCache, stickyHash } from './sticky-hash';
import { type ExchangeSink, UpstreamExchange } from './upstream-exchange';
import type { TokenUsage } from './usage';
import { planAttempts, shadowVariants } from './variant-router';
import { WatchedJsonFile } from './watched-json-file';

export const GATEWAY_SERVICE_NAME = 'inference-gateway';

export interface GatewayOptions {
  /** Path of `gateway.json` (watched, reloaded live). */
  readonly configPath: string;
  /** Path of `keys.json` (watched, reloaded live). */
  readonly keysPath: string;
  /** Operational logs (reloads, rejected files, shutdown). Default: silent. */
  readonly logger?: AppLogger;
  /** Where access-log lines go. Default `process.stdout`; `null` turns the access log off. */
  readonly accessLog?: Writable | null;
  /** Path prefix the gateway is mounted under (e.g. `/gateway`). Default none. */
  readonly basePath?: string;
  /** Stat fallback interval of the file watchers. Default 2000 ms. */
  readonly pollIntervalMs?: number;
  /** Shadow copies in flight at most; further copies are dropped. Default 32. */
  readonly maxShadowConcurrency?: number;
  /** Keep-alive connections per upstream origin. Default 128. */
  readonly upstreamConnections?: number;
  /** Random source for shadow sampling, backoff jitter and anonymous routing. Default `Math.random`. */
  readonly random?: () => number;
  /** Clock (ms) of rate limits, budgets and circuit breakers. Default `Date.now`. */
  readonly now?: () => number;
}

/** Events on `Gateway.events` (for tests and the dev server). */
export interface GatewayEventMap {
  config: [{ changes: string[] }];
  'config-rejected': [{ error: string }];
  keys: [{ count: number }];
  'keys-rejected': [{ error: string }];
  shadow: [{ variant: string; outcome: 'ok' | 'error' | 'dropped' }];
}

export interface Gateway {
  /** The `node:http` request listener. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  readonly metrics: GatewayMetrics;
  readonly events: EventEmitter<GatewayEventMap>;
  /** True once a valid config and keys file are loaded, until shutdown starts. */
  ready(): boolean;
  /** The config in effect (undefined before the first valid load). */
  config(): GatewayConfig | undefined;
  /**
   * Stops admitting requests (503 for new ones), waits up to `shutdownGraceMs` for in-flight
   * requests and streams, then stops watchers and closes upstream connections. Idempotent.
   */
  drain(): Promise<void>;
}

export interface GatewayServerOptions extends GatewayOptions {
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Default `127.0.0.1`; the container uses `0.0.0.0`. */
  readonly host?: string;
}

export interface GatewayServer {
  readonly url: string;
  readonly port: number;
  readonly gateway: Gateway;
  /** Stops accepting connections, finishes in-flight requests and streams (within `shutdownGraceMs`), then closes. */
  close(): Promise<void>;
}

/** Loads the config and keys files, starts watching them, and returns the request listener. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const core = new GatewayCore(options);
  await core.start();
  return core;
}

/** Creates a gateway and serves it with `node:http`. */
export async function startGateway(options: GatewayServerOptions): Promise<GatewayServer> {
  const gateway = await createGateway(options);
  const server = createServer(gateway.listener);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const bound = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  let closing: Promise<void> | undefined;
  return {
    url: bound.url,
    port: bound.port,
    gateway,
    close() {
      closing ??= closeServer(server, gateway);
      return closing;
    },
  };
}

async function closeServer(server: Server, gateway: Gateway): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await gateway.drain();
  server.closeAllConnections();
  await closed;
}

type RouteName = GatewayRoute | 'models';

const API_ROUTES: Readonly<Record<string, GatewayRoute>> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
};

const GEN_AI_OPERATION: Readonly<Record<GatewayRoute, string>> = { chat: 'chat', completions: 'text_completion', embeddings: 'embeddings' };

const FORWARDED_RESPONSE_HEADERS = ['content-type', 'cache-control', 'retry-after'] as const;
/** The upstream response headers the gateway reads (forwarded ones and `content-length`). */
const READ_UPSTREAM_HEADERS: ReadonlySet<string> = new Set([...FORWARDED_RESPONSE_HEADERS, 'content-length']);
const NO_HEADERS: readonly string[] = [];
const PROMPT_LOG_CHARS = 4096;

/** What one request accumulates for its metrics and access-log line. */
interface RequestRecord {
  readonly requestId: string;
  readonly started: number;
  route: RouteName;
  key?: GatewayKey;
  variant?: GatewayVariant;
  model?: string;
  publicModel: string;
  status: number;
  errorCode?: string;
  stream: boolean;
  attempts: number;
  ttftMs?: number;
  usage?: TokenUsage;
  userHash?: string;
  prompt?: string;
  completion?: string;
  /** `x-ratelimit-*` headers for the response, `[name, value, …]` (set once the key was admitted or refused). */
  limitHeaders?: readonly string[];
  done: boolean;
}

class GatewayError {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    readonly message: string,
    readonly param?: string,
    readonly headers?: Record<string, string>,
  ) {}
}

class GatewayCore implements Gateway {
  readonly metrics = new GatewayMetrics();
  readonly events = new EventEmitter<GatewayEventMap>();
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((error: unknown) => {
      this.log.error('request handler failure', { error: describeError(error) });
      if (!res.headersSent) sendError(res, new GatewayError(500, 'server_error', 'internal_error', 'internal server error'), NO_HEADERS);
      else res.destroy();
    });
  };

  private readonly log: AppLogger;
  private readonly accessLog: AccessLogWriter;
  private readonly basePath: string;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly maxShadow: number;
  private readonly connections: number;
  private readonly configFile: WatchedJsonFile<GatewayConfig>;
  private readonly keysFile: WatchedJsonFile<GatewayKeys>;
  private currentConfig: GatewayConfig | undefined;
  private keyRing: KeyRing | undefined;
  private readonly limits = new KeyLimits();
  private readonly userHashes = new StickyHashCache();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly pools = new Map<string, Pool>();
  private inFlight = 0;
  private shadowInFlight = 0;
  private idle: (() => void) | undefined;
  private draining: Promise<void> | undefined;
  private modelCreated = Math.floor(Date.now() / 1000);

  constructor(options: GatewayOptions) {
    this.log = options.logger ?? silentLogger;
    this.accessLog = new AccessLogWriter(options.accessLog === undefined ? process.stdout : (options.accessLog ?? undefined));
    this.basePath = (options.basePath ?? '').replace(/\/+$/, '');
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.maxShadow = options.maxShadowConcurrency ?? 32;
    this.connections = options.upstreamConnections ?? 128;
    this.metrics.readInFlightFrom(() => this.inFlight);
    this.configFile = new WatchedJsonFile({
      path: options.configPath,
      pollIntervalMs: options.pollIntervalMs,
      parse: (json) => GatewayConfigSchema.parse(json),
      onLoad: (config, previous) => this.applyConfig(config, previous),
      onReject: (error) => {
        const message = describeFileError(error);
        this.log.error('gateway config rejected; keeping the previous one', { path: options.configPath, error: message });
        this.events.emit('config-rejected', { error: message });
      },
    });
    this.keysFile = new WatchedJsonFile({
      path: options.keysPath,
      pollIntervalMs: options.pollIntervalMs,
      parse: (json) => GatewayKeysSchema.parse(json),
      onLoad: (keys) => this.applyKeys(keys),
      onReject: (error) => {
        const message = describeFileError(error);
        this.log.error('gateway keys rejected; keeping the previous ones', { path: options.keysPath, error: message });
        this.events.emit('keys-rejected', { error: message });
      },
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.configFile.start(), this.keysFile.start()]);
  }

  ready(): boolean {
    return this.currentConfig !== undefined && this.keyRing !== undefined && this.draining === undefined;
  }

  config(): GatewayConfig | undefined {
    return this.currentConfig;
  }

  drain(): Promise<void> {
    this.draining ??= (async () => {
      const grace = this.currentConfig?.resilience.shutdownGraceMs ?? 30_000;
      this.log.info('draining', { inFlight: this.inFlight, graceMs: grace });
      if (this.inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, grace);
          timer.unref();
          this.idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      this.configFile.close();
      this.keysFile.close();
      this.accessLog.flush();
      await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
      this.pools.clear();
      this.log.info('drained', { inFlight: this.inFlight });
    })();
    return this.draining;
  }

  private applyConfig(config: GatewayConfig, previous: GatewayConfig | undefined): void {
    const changes = previous ? diffGatewayConfig(previous, config) : ['initial load'];
    const origins = new Set(config.variants.map((v) => endpoint(v).origin));
    for (const origin of origins) {
      if (!this.pools.has(origin)) {
        this.pools.set(origin, this.newPool(origin));
      }
    }
    for (const [origin, pool] of this.pools) {
      if (!origins.has(origin)) {
        this.pools.delete(origin);
        void pool.close().catch(() => undefined); // waits for in-flight requests
      }
    }
    const settings = { failureThreshold: config.resilience.breakerFailureThreshold, openMs: config.resilience.breakerOpenMs };
    for (const v of config.variants) {
      const existing = this.breakers.get(v.name);
      if (existing) existing.configure(settings);
      else {
        this.breakers.set(v.name, new CircuitBreaker(settings, (state) => this.metrics.breakerState.set({ variant: v.name }, BREAKER_STATE_VALUE[state])));
        this.metrics.breakerState.set({ variant: v.name }, 0);
      }
    }
    for (const name of this.breakers.keys()) {
      if (!config.variants.some((v) => v.name === name)) {
        this.breakers.delete(name);
        this.metrics.breakerState.remove({ variant: name });
      }
    }
    if (previous?.model !== config.model) this.modelCreated = Math.floor(Date.now() / 1000);
    this.currentConfig = config;
    this.metrics.configReload.set(Date.now() / 1000);
    this.log.info('gateway config loaded', { changes, variants: config.variants.map((v) => ({ name: v.name, weight: v.weight, shadowPercent: v.shadowPercent })) });
    this.events.emit('config', { changes });
  }

  private applyKeys(keys: GatewayKeys): void {
    this.keyRing = new KeyRing(keys);
    this.limits.retain(new Set(keys.keys.map((k) => k.alias)));
    this.log.info('gateway keys loaded', { count: keys.keys.length });
    this.events.emit('keys', { count: keys.keys.length });
  }

  // ---------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = sanitizeRequestId(firstHeader(req.headers['x-request-id'])) ?? randomUUID();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    let path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    if (this.basePath !== '') {
      if (path !== this.basePath && !path.startsWith(`${this.basePath}/`)) return this.finishPlain(req, res, requestId, 404, notFound());
      path = path.slice(this.basePath.length) || '/';
    }
    const method = req.method ?? 'GET';
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
      if (method !== 'GET' && method !== 'HEAD') return this.finishPlain(req, res, requestId, 405, methodNotAllowed('GET'));
      if (path === '/healthz') return this.finishPlain(req, res, requestId, 200, { status: 'ok' });
      if (path === '/readyz') {
        const ready = this.ready();
        return this.finishPlain(req, res, requestId, ready ? 200 : 503, { status: ready ? 'ready' : this.draining ? 'draining' : 'loading' });
      }
      const { contentType, body } = await this.metrics.render();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
      res.end(body);
      return;
    }
    const apiRoute = API_ROUTES[path];
    const isModels = path === '/v1/models' || path.startsWith('/v1/models/');
    if (apiRoute === undefined && !isModels) return this.finishPlain(req, res, requestId, 404, notFound());
    const expected = isModels ? 'GET' : 'POST';
    if (method !== expected) return this.finishPlain(req, res, requestId, 405, methodNotAllowed(expected));

    const record: RequestRecord = {
      requestId,
      started: performance.now(),
      route: apiRoute ?? 'models',
      publicModel: this.currentConfig?.model ?? 'none',
      status: 0,
      stream: false,
      attempts: 0,
      done: false,
    };
    this.inFlight += 1;
    res.on('close', () => this.finishRecord(record)); // 'close' is emitted once
    try {
      if (isModels) await this.handleModels(req, res, record, path);
      else await this.handleApi(req, res, record, apiRoute);
    } catch (error) {
      if (!(error instanceof GatewayError)) {
        record.status = 500;
        record.errorCode = 'internal_error';
        throw error;
      }
      record.status = error.status;
      record.errorCode = error.code;
      if (!res.headersSent && !res.destroyed) {
        const headers = [...(record.limitHeaders ?? NO_HEADERS), 'x-request-id', requestId];
        if (this.draining || error.status === 413) headers.push('connection', 'close');
        sendError(res, error, headers);
      }
    }
  }

  private finishPlain(req: IncomingMessage, res: ServerResponse, requestId: string, status: number, body: unknown): void {
    req.resume();
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-request-id': requestId,
      ...(status === 405 ? { allow: (body as { allow?: string }).allow ?? 'GET' } : {}),
    });
    res.end(text);
  }

  /** Common admission: readiness, authentication. */
  private authenticate(req: IncomingMessage, record: RequestRecord): { config: GatewayConfig; key: GatewayKey } {
    const config = this.currentConfig;
    const ring = this.keyRing;
    if (this.draining) throw new GatewayError(503, 'server_error', 'shutting_down', 'the gateway is shutting down; retry on another instance', undefined, { 'retry-after': '1' });
    if (!config || !ring) throw new GatewayError(503, 'server_error', 'not_ready', 'the gateway has not loaded its configuration yet', undefined, { 'retry-after': '1' });
    record.publicModel = config.model;
    const authorization = req.headers.authorization;
    if (authorization === undefined) throw new GatewayError(401, 'invalid_request_error', 'invalid_api_key', 'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>".');
    const key = ring.authenticate(authorization);
    if (!key) throw new GatewayError(401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.');
    record.key = key;
    return { config, key };
  }

  private admit(key: GatewayKey, record: RequestRecord): void {
    const admission = this.limits.admit(key, this.now());
    record.limitHeaders = admission.headers;
    if (admission.ok) return;
    this.metrics.rateLimited.inc({ key: key.alias, limit: admission.limit ?? 'requests' });
    if (admission.limit === 'budget') {
      throw new GatewayError(429, 'insufficient_quota', 'budget_exhausted', `The token budget of key "${key.alias}" is exhausted.`);
    }
    throw new GatewayError(429, 'rate_limit_error', 'rate_limit_exceeded', `Rate limit reached for ${admission.limit} per minute on key "${key.alias}".`, undefined, {
      'retry-after': String(admission.retryAfterSeconds ?? 1),
    });
  }

  private async handleModels(req: IncomingMessage, res: ServerResponse, record: RequestRecord, path: string): Promise<void> {
    req.resume();
    const { config, key } = this.authenticate(req, record);
    this.admit(key, record);
    const model = { id: config.model, object: 'model', created: this.modelCreated, owned_by: 'gaiops' };
    let body: unknown;
    if (path === '/v1/models') body = { object: 'list', data: [model] };
    else {
      let id: string;
      try {
        id = decodeURIComponent(path.slice('/v1/models/'.length));
      } catch {
        id = '';
      }
      if (id !== config.model) throw new GatewayError(404, 'invalid_request_error', 'model_not_found', `The model '${id}' does not exist.`, 'model');
      body = model;
    }
    record.status = 200;
    record.model = config.model;
    const text = JSON.stringify(body);
    res.writeHead(200, [...(record.limitHeaders ?? NO_HEADERS), 'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text)), 'x-request-id', record.requestId]);
    res.end(text);
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: GatewayRoute): Promise<void> {
    const { config, key } = this.authenticate(req, record);
    const raw = await readBody(req, config.resilience.maxBodyBytes);
    if (raw === 'aborted') {
      record.status = 499;
      record.errorCode = 'client_closed_request';
      return;
    }
    if (raw === 'too_large') {
      throw new GatewayError(413, 'invalid_request_error', 'payload_too_large', `Request body exceeds ${config.resilience.maxBodyBytes} bytes.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new GatewayError(400, 'invalid_request_error', 'invalid_json', 'The request body is not valid JSON.');
    }
    const validated = validateRequestBody(route, json);
    if (!validated.ok) throw new GatewayError(400, 'invalid_request_error', 'invalid_request', validated.message, validated.param);
    const body = validated.body;
    record.model = body.model;
    record.stream = route !== 'embeddings' && body.stream === true;
    if (body.model !== config.model) {
      throw new GatewayError(404, 'invalid_request_error', 'model_not_found', `The model '${body.model}' does not exist or you do not have access to it.`, 'model');
    }
    const override = firstHeader(req.headers[config.routing.overrideHeader]);
    if (override !== undefined) {
      if (!key.allowVariantOverride) {
        throw new GatewayError(403, 'permission_error', 'variant_override_forbidden', `Key "${key.alias}" may not use the ${config.routing.overrideHeader} header.`);
      }
      if (!config.variants.some((v) => v.name === override)) {
        throw new GatewayError(400, 'invalid_request_error', 'unknown_variant', `Unknown variant "${override}".`, config.routing.overrideHeader);
      }
    }
    this.admit(key, record);

    const user = typeof body.user === 'string' && body.user !== '' ? body.user : firstHeader(req.headers[config.routing.userHeader]);
    const sticky = user !== undefined ? this.userHashes.get(user) : stickyHash(`${key.alias}:${record.requestId}:${this.random()}`);
    if (user !== undefined) record.userHash = sticky.hex;
    if (config.logging.prompts === 'redacted') record.prompt = redactPii(promptText(route, body)).slice(0, PROMPT_LOG_CHARS);

    const plan = planAttempts(config, sticky.point, override);
    this.mirror(config, route, body);
    await this.proxy(req, res, record, config, route, body, plan);
  }

  /** Tries the planned variants in order and streams the chosen response to the client. */
  private async proxy(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    config: GatewayConfig,
    route: GatewayRoute,
    body: ValidatedRequestBody,
    plan: readonly GatewayVariant[],
  ): Promise<void> {
    const stripUsage = record.stream && body.stream_options?.include_usage !== true;
    const abort = new RequestAbort();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error('gateway request timeout'));
    }, config.resilience.requestTimeoutMs);
    const onClientGone = (): void => {
      if (!res.writableFinished) abort.abort(new Error('client closed the connection'));
    };
    res.on('close', onClientGone);
    req.on('error', onClientGone);
    try {
      let held: { variant: GatewayVariant; exchange: UpstreamExchange } | undefined;
      let lastFailure: 'connect' | 'breaker_open' | undefined;
      let retries = 0;
      let previous: GatewayVariant | undefined;
      for (const variant of plan) {
        const breaker = this.breakers.get(variant.name);
        if (breaker && !breaker.tryAcquire(this.now())) {
          this.metrics.upstreamErrors.inc({ variant: variant.name, reason: 'breaker_open' });
          lastFailure ??= 'breaker_open';
          continue;
        }
        if (previous !== undefined) {
          if (retries >= config.resilience.maxRetries) {
            breaker?.onAbandon();
            break;
          }
          retries += 1;
          this.metrics.retries.inc({ variant: previous.name });
          if (held) {
            held.exchange.discard();
            held = undefined;
          }
          const backoff = this.random() * config.resilience.retryBackoffMs * 2 ** (retries - 1);
          if (backoff > 0) await sleep(backoff, abort);
          if (abort.aborted) {
            breaker?.onAbandon();
            if (timedOut) throw upstreamTimeout(config);
            record.status = 499;
            record.errorCode = 'client_closed_request';
            return;
          }
        }
        previous = variant;
        record.attempts += 1;
        record.variant = variant;
        const upstreamBody = JSON.stringify(upstreamPayload(body, variant, record.stream && stripUsage));
        const pool = this.pool(variant);
        const exchange = new UpstreamExchange(abort, READ_UPSTREAM_HEADERS);
        pool.dispatch(
          {
            path: upstreamPath(variant, route),
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: record.stream ? 'text/event-stream' : 'application/json',
              'x-request-id': record.requestId,
            },
            body: upstreamBody,
            headersTimeout: config.resilience.requestTimeoutMs + 1000,
            bodyTimeout: config.resilience.requestTimeoutMs + 1000,
          },
          exchange as unknown as Dispatcher.DispatchHandler,
        );
        try {
          await exchange.head;
        } catch (error) {
          if (timedOut) {
            breaker?.onFailure(this.now());
            this.metrics.upstreamErrors.inc({ variant: variant.name, reason: 'timeout' });
            throw upstreamTimeout(config);
          }
          if (abort.aborted) {
            breaker?.onAbandon();
            record.status = 499;
            record.errorCode = 'client_closed_request';
            return;
          }
          breaker?.onFailure(this.now());
          this.metrics.upstreamErrors.inc({ variant: variant.name, reason: 'connect' });
          this.log.warn('upstream request failed', { requestId: record.requestId, variant: variant.name, error: (error as Error).message });
          lastFailure = 'connect';
          continue;
        }
        const status = exchange.statusCode;
        if (status === 429 || status >= 500) {
          this.metrics.upstreamErrors.inc({ variant: variant.name, reason: status === 429 ? 'status_429' : 'status_5xx' });
          if (status >= 500) breaker?.onFailure(this.now());
          else breaker?.onSuccess();
          if (held) held.exchange.discard();
          held = { variant, exchange };
          lastFailure = undefined;
          continue;
        }
        breaker?.onSuccess();
        if (held) held.exchange.discard();
        await this.forward(res, record, config, variant, exchange, stripUsage, () => timedOut);
        return;
      }
      if (held) {
        record.variant = held.variant;
        await this.forward(res, record, config, held.variant, held.exchange, false, () => timedOut);
        return;
      }
      if (lastFailure === 'breaker_open' && record.attempts === 0) {
        throw new GatewayError(503, 'server_error', 'upstream_unavailable', 'No healthy model variant is available (circuit breakers open).', undefined, { 'retry-after': '1' });
      }
      throw new GatewayError(502, 'server_error', 'upstream_unavailable', 'The model variants could not be reached.');
    } finally {
      clearTimeout(timer);
      res.off('close', onClientGone);
      req.off('error', onClientGone);
    }
  }

  /** Streams one upstream response to the client with backpressure, reading usage on the way. */
  private forward(
    res: ServerResponse,
    record: RequestRecord,
    config: GatewayConfig,
    variant: GatewayVariant,
    exchange: UpstreamExchange,
    stripUsage: boolean,
    timedOut: () => boolean,
  ): Promise<void> {
    const status = exchange.statusCode;
    const upstreamHeaders = exchange.headers;
    const contentType = upstreamHeaders['content-type'];
    const isSse = status < 300 && contentType?.startsWith('text/event-stream') === true;
    const captureChars = config.logging.prompts === 'redacted' ? PROMPT_LOG_CHARS : 0;
    const sse = isSse ? new SseUsageFilter({ stripUsageChunk: stripUsage, captureTextChars: captureChars }) : undefined;
    const json = !isSse && status < 300 ? new JsonUsageScanner({ captureBodyBytes: captureChars > 0 ? 256 * 1024 : 0 }) : undefined;
    // A flat `[name, value, …]` list: writeHead takes it as is (no header object per response).
    const headers: string[] = ['x-request-id', record.requestId, 'x-gaiops-variant', variant.name];
    const limitHeaders = record.limitHeaders;
    if (limitHeaders) for (let i = 0; i < limitHeaders.length; i++) headers.push(limitHeaders[i]);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstreamHeaders[name];
      if (value !== undefined) headers.push(name, value);
    }
    const length = upstreamHeaders['content-length'];
    if (length !== undefined && !(sse && stripUsage)) headers.push('content-length', length);
    if (this.draining) headers.push('connection', 'close');
    record.status = status;
    if (status >= 400) record.errorCode = status === 429 ? 'upstream_rate_limited' : 'upstream_error';
    res.writeHead(status, headers);

    return new Promise<void>((resolve) => {
      const sink = new ClientSink(res, record, exchange, sse, json, captureChars, resolve, (error) => {
        // Response bytes may have been sent: never retried, the client connection is cut.
        record.errorCode = timedOut() ? 'upstream_timeout' : 'upstream_stream_error';
        if (timedOut()) this.metrics.upstreamErrors.inc({ variant: variant.name, reason: 'timeout' });
        this.log.warn('upstream stream failed', { requestId: record.requestId, variant: variant.name, error: error.message });
      });
      exchange.pipe(sink);
    });
  }

  /** Sends shadow copies (sampled per shadow variant) without delaying the caller. */
  private mirror(config: GatewayConfig, route: GatewayRoute, body: ValidatedRequestBody): void {
    for (const variant of shadowVariants(config)) {
      if (this.random() * 100 >= variant.shadowPercent) continue;
      if (this.shadowInFlight >= this.maxShadow) {
        this.metrics.shadowRequests.inc({ variant: variant.name, outcome: 'dropped' });
        this.events.emit('shadow', { variant: variant.name, outcome: 'dropped' });
        continue;
      }
      this.shadowInFlight += 1;
      setImmediate(() => {
        this.shadow(config, route, body, variant).then(
          (outcome) => this.endShadow(variant, outcome),
          () => this.endShadow(variant, 'error'),
        );
      });
    }
  }

  private endShadow(variant: GatewayVariant, outcome: 'ok' | 'error'): void {
    this.shadowInFlight -= 1;
    this.metrics.shadowRequests.inc({ variant: variant.name, outcome });
    this.events.emit('shadow', { variant: variant.name, outcome });
  }

  private async shadow(config: GatewayConfig, route: GatewayRoute, body: ValidatedRequestBody, variant: GatewayVariant): Promise<'ok' | 'error'> {
    const signal = AbortSignal.timeout(config.resilience.requestTimeoutMs);
    const response = await this.pool(variant).request({
      path: upstreamPath(variant, route),
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gaiops-shadow': '1' },
      body: JSON.stringify({ ...body, model: variant.upstreamModel }),
      signal,
    });
    // Drained to the end (connection reuse) and discarded.
    for await (const chunk of response.body) void chunk;
    return response.statusCode < 400 ? 'ok' : 'error';
  }

  private pool(variant: GatewayVariant): Pool {
    const origin = endpoint(variant).origin;
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = this.newPool(origin);
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Keep-alive connections to one upstream origin (idle ones closed after 30 s). */
  private newPool(origin: string): Pool {
    return new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
  }

  private finishRecord(record: RequestRecord): void {
    if (record.done) return;
    record.done = true;
    this.inFlight -= 1;
    if (this.inFlight === 0 && this.idle) this.idle();
    if (record.status === 0) {
      record.status = 499;
      record.errorCode ??= 'client_closed_request';
    }
    const seconds = (performance.now() - record.started) / 1000;
    const variantName = record.variant?.name ?? 'none';
    const keyAlias = record.key?.alias ?? 'none';
    const model = record.publicModel;
    const m = this.metrics.fast;
    m.requests.inc({ variant: variantName, model, key: keyAlias, route: record.route, code: String(record.status) });
    m.requestDuration.observe({ variant: variantName, model, route: record.route }, seconds);
    if (record.ttftMs !== undefined && record.variant) m.timeToFirstToken.observe({ variant: variantName, model }, record.ttftMs / 1000);
    let cost: number | undefined;
    const usage = record.usage;
    if (usage && record.variant && record.key) {
      const v = record.variant;
      cost = (usage.input * v.costPerMillionInputTokensUsd + usage.output * v.costPerMillionOutputTokensUsd) / 1e6;
      m.tokens.inc({ variant: variantName, model, key: keyAlias, type: 'input' }, usage.input);
      if (usage.output > 0) m.tokens.inc({ variant: variantName, model, key: keyAlias, type: 'output' }, usage.output);
      if (cost > 0) m.cost.inc({ variant: variantName, model, key: keyAlias }, cost);
      this.limits.record(record.key, usage.input + usage.output, this.now());
    }
    if (this.currentConfig?.metrics.genAiSemconv && record.variant && record.route !== 'models') {
      const labels = { gen_ai_operation_name: GEN_AI_OPERATION[record.route], gen_ai_request_model: model, gen_ai_response_model: record.variant.upstreamModel };
      m.genAiDuration.observe(labels, seconds);
      if (record.ttftMs !== undefined) m.genAiTimeToFirstToken.observe(labels, record.ttftMs / 1000);
      if (usage) {
        const { gen_ai_operation_name, gen_ai_request_model, gen_ai_response_model } = labels;
        m.genAiTokenUsage.observe({ gen_ai_operation_name, gen_ai_request_model, gen_ai_response_model, gen_ai_token_type: 'input' }, usage.input);
        m.genAiTokenUsage.observe({ gen_ai_operation_name, gen_ai_request_model, gen_ai_response_model, gen_ai_token_type: 'output' }, usage.output);
      }
    }
    this.accessLog.write({
      requestId: record.requestId,
      keyAlias: record.key?.alias ?? null,
      team: record.key?.team ?? null,
      variant: record.variant?.name ?? null,
      model: record.model ?? null,
      route: record.route,
      status: record.status,
      errorCode: record.errorCode ?? null,
      stream: record.stream,
      attempts: record.attempts,
      latencyMs: round(seconds * 1000),
      ttftMs: record.ttftMs === undefined ? null : round(record.ttftMs),
      usageInput: usage?.input ?? null,
      usageOutput: usage ? usage.output : null,
      costUsd: cost === undefined ? null : cost,
      userHash: record.userHash ?? null,
      prompt: record.prompt,
      completion: record.completion,
    });
  }
}

// -----------------------------------------------------------------------------------------------

function upstreamPayload(body: ValidatedRequestBody, variant: GatewayVariant, requestUsage: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, model: variant.upstreamModel };
  if (requestUsage) out.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
  return out;
}

const ROUTE_PATHS: Readonly<Record<GatewayRoute, string>> = { chat: '/v1/chat/completions', completions: '/v1/completions', embeddings: '/v1/embeddings' };
const ENDPOINTS = new WeakMap<GatewayVariant, { readonly origin: string; readonly base: string }>();

/** The variant's upstream origin and base path, parsed once per config object. */
function endpoint(variant: GatewayVariant): { readonly origin: string; readonly base: string } {
  let e = ENDPOINTS.get(variant);
  if (!e) {
    const url = new URL(variant.upstream);
    e = { origin: url.origin, base: url.pathname.replace(/\/+$/, '') };
    ENDPOINTS.set(variant, e);
  }
  return e;
}

function upstreamPath(variant: GatewayVariant, route: GatewayRoute): string {
  return endpoint(variant).base + ROUTE_PATHS[route];
}

function upstreamTimeout(config: GatewayConfig): GatewayError {
  return new GatewayError(504, 'server_error', 'upstream_timeout', `The model did not answer within ${config.resilience.requestTimeoutMs} ms.`);
}

function promptText(route: GatewayRoute, body: ValidatedRequestBody): string {
  if (route === 'chat') {
    const messages = (body.messages as Array<{ role: string; content?: unknown }>) ?? [];
    return messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')}`).join('\n');
  }
  const value = route === 'completions' ? body.prompt : body.input;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Sends `error` as an OpenAI-style error body; `extra` is a `[name, value, …]` list (names distinct from the error's own). */
function sendError(res: ServerResponse, error: GatewayError, extra: readonly string[]): void {
  const text = JSON.stringify({ error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } });
  const headers = [...extra];
  if (error.headers) for (const [name, value] of Object.entries(error.headers)) headers.push(name, value);
  headers.push('content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text)));
  res.writeHead(error.status, headers);
  res.end(text);
}

function notFound(): unknown {
  return { error: { message: 'No route matches this path.', type: 'invalid_request_error', param: null, code: 'not_found' } };
}

function methodNotAllowed(allow: string): unknown {
  return { error: { message: `Method not allowed; use ${allow}.`, type: 'invalid_request_error', param: null, code: 'method_not_allowed' }, allow };
}

function describeFileError(error: Error): string {
  if (error.name === 'ZodError') {
    const issues = (error as unknown as { issues: Array<{ path: PropertyKey[]; message: string }> }).issues;
    return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
  }
  return error.message;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function uncork(sink: ClientSink): void {
  sink.uncork();
}

/**
 * Where a forwarded upstream body goes: the client response, with backpressure (a full socket buffer
 * pauses the upstream until 'drain'), usage read on the way (SSE filter or JSON scanner). Settles once
 * the response ended, the client went away, or the upstream failed.
 */
class ClientSink implements ExchangeSink {
  private settled = false;
  private corked = false;
  private collected = false;
  private readonly onDrain: () => void;
  private readonly onClose: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly record: RequestRecord,
    private readonly exchange: UpstreamExchange,
    private readonly sse: SseUsageFilter | undefined,
    private readonly json: JsonUsageScanner | undefined,
    private readonly captureChars: number,
    private readonly resolve: () => void,
    private readonly onUpstreamError: (error: Error) => void,
  ) {
    this.onDrain = () => this.exchange.resume();
    this.onClose = () => {
      if (!res.writableFinished) {
        this.exchange.abort(new Error('client closed the connection'));
        record.errorCode ??= 'client_closed_request';
        this.settle();
      }
    };
    res.on('drain', this.onDrain);
    res.on('close', this.onClose);
  }

  data(chunk: Buffer): boolean {
    const record = this.record;
    if (record.ttftMs === undefined && record.stream) record.ttftMs = performance.now() - record.started;
    let out: Buffer = chunk;
    if (this.sse) out = this.sse.push(chunk);
    else this.json?.push(chunk);
    if (this.settled || this.res.destroyed) return true;
    if (out.length === 0) return true;
    if (this.sse && !this.corked) {
      // SSE events that arrive in one upstream read (undici calls data() per HTTP chunk) leave in one
      // write: corked until the end of this tick, so nothing waits longer than the current turn.
      this.corked = true;
      this.res.cork();
      process.nextTick(uncork, this);
    }
    return this.res.write(out);
  }

  /** Flushes the events of this tick (see `data`). */
  uncork(): void {
    this.corked = false;
    this.res.uncork();
  }

  end(): void {
    const tail = this.sse ? this.sse.flush() : undefined;
    this.collect();
    this.res.end(tail && tail.length > 0 ? tail : undefined, () => this.settle());
  }

  error(error: Error): void {
    if (this.settled) return;
    if (this.res.destroyed) {
      // The client went away (its 'close' aborted the upstream): not an upstream failure.
      this.record.errorCode ??= 'client_closed_request';
      this.settle();
      return;
    }
    this.onUpstreamError(error);
    this.res.destroy();
    this.settle();
  }

  /** Copies usage (and captured text) to the record: before the response ends, so its 'close' sees them. */
  private collect(): void {
    if (this.collected) return;
    this.collected = true;
    const { record, sse, json } = this;
    if (sse?.usage) record.usage = sse.usage;
    else if (json?.usage) record.usage = json.usage;
    if (this.captureChars > 0) record.completion = redactPii(sse ? sse.text : (json?.text() ?? '')).slice(0, PROMPT_LOG_CHARS);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.res.off('drain', this.onDrain);
    this.res.off('close', this.onClose);
    this.collect();
    this.resolve();
  }
}

function sleep(ms: number, signal: RequestAbort): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeListener('abort', done);
      resolve();
    }
    signal.once('abort', done);
  });
}

/** Reads the request body up to `limit` bytes (`content-length` checked first). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too_large');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | 'too_large' | 'aborted'): void => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        settle('too_large');
        return;
      }
      chunks.push(chunk);
    });
    // `on`, not `once` (no wrapper per listener): each fires at most once, and settle() is idempotent.
    req.on('end', () => settle(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.on('error', () => settle('aborted'));
    req.on('close', () => {
      if (!req.complete) settle('aborted');
    });
  });
}
