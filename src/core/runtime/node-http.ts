/**
 * Serves an `HttpApp` with `node:http`: the container entrypoint, the local dev server and the
 * server used by end-to-end tests all go through `serveHttp`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AppLogger,
  type HttpApp,
  type SerializedHttpResponse,
  describeError,
  parseQueryString,
  sanitizeRequestId,
  silentLogger,
} from './http-app';
import { createLogger } from './logger';

/** 1 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface ServeHttpOptions {
  /** TCP port; `0` picks a free one (see `HttpServerHandle.port`). */
  readonly port: number;
  /** Interface to bind. Default `127.0.0.1` (local only); containers use `0.0.0.0`. */
  readonly host?: string;
  /** Largest accepted request body; bigger bodies get 413 `payload_too_large`. Default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /** How long `close()` waits for in-flight requests before dropping connections. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
  /**
   * Idle keep-alive timeout. Default 65 s: longer than the 60 s idle timeout of AWS load
   * balancers, so the balancer (not Node) closes idle connections and no request races a close.
   */
  readonly keepAliveTimeoutMs?: number;
}

export interface HttpServerHandle {
  /** e.g. `http://127.0.0.1:43817` (the real port, also when listening on port 0). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish (up to `shutdownTimeoutMs`), then
   * resolves. Idempotent.
   */
  close(): Promise<void>;
}

/** Starts serving `app`; resolves once the server is listening. */
export async function serveHttp(app: HttpApp, options: ServeHttpOptions): Promise<HttpServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 65_000;
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`invalid port ${String(options.port)}`);
  }
  if (!Number.isInteger(bodyLimit) || bodyLimit < 0) throw new Error(`invalid bodyLimitBytes ${String(bodyLimit)}`);

  let closing = false;
  const server = createServer(nodeRequestListener(app, { bodyLimitBytes: bodyLimit, isClosing: () => closing }));
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.headersTimeout = Math.max(server.headersTimeout, keepAliveTimeoutMs + 1_000);

  const bound = await listen(server, options.port, host);

  let closed: Promise<void> | undefined;
  return {
    ...bound,
    close(): Promise<void> {
      if (!closed) {
        closing = true;
        closed = new Promise<void>((resolve) => {
          const timer = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        });
      }
      return closed;
    },
  };
}

/**
 * Starts `server` listening on `host:port` (`0`: a free port); rejects on a listen error (port in
 * use). Resolves with the bound address and its URL (IPv6 hosts bracketed).
 */
export async function listen(server: Server, port: number, host: string): Promise<{ url: string; host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port };
}

export interface NodeRequestListenerOptions {
  /** Largest accepted request body (413 `payload_too_large` beyond). Default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /** Prefix removed from the path before routing (an app mounted under a path). Default none. */
  readonly stripPrefix?: string;
  /**
   * The transport-authenticated caller handed to the app as `principal`; throwing
   * {@link PrincipalRejected} answers 403 `permission_denied`. Default none.
   */
  readonly principal?: (headers: Readonly<Record<string, string>>) => string | undefined;
  /** True while the server shuts down: responses then close their connection. Default never. */
  readonly isClosing?: () => boolean;
}

/** Thrown by `NodeRequestListenerOptions.principal` when the presented identity is unusable. */
export class PrincipalRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrincipalRejected';
  }
}

/**
 * A `node:http` request listener serving `app` — what `serveHttp` runs, also mountable on a server
 * that serves other things (the `gaiops dev` playground): request id from a well-formed
 * `x-request-id` (else a new UUID, echoed on every response), the body read up to the limit (413
 * beyond, connection closed), then `HttpApp.handle`.
 */
export function nodeRequestListener(app: HttpApp, options: NodeRequestListenerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const prefix = (options.stripPrefix ?? '').replace(/\/+$/, '');
  const isClosing = options.isClosing ?? (() => false);
  return (req, res) => {
    handleNodeRequest(app, req, res, bodyLimit, prefix, options.principal, isClosing).catch((error: unknown) => {
      // handleNodeRequest already maps errors; this only guards against bugs in the adapter.
      app.logger.error('http adapter failure', { error: describeError(error) });
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ error: { code: 'internal_error', message: 'internal server error' } }));
      } else {
        res.destroy();
      }
    });
  };
}

async function handleNodeRequest(
  app: HttpApp,
  req: IncomingMessage,
  res: ServerResponse,
  bodyLimit: number,
  prefix: string,
  principalOf: NodeRequestListenerOptions['principal'],
  isClosing: () => boolean,
): Promise<void> {
  const requestId = sanitizeRequestId(firstHeader(req.headers['x-request-id'])) ?? randomUUID();
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  let path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (prefix !== '' && (path === prefix || path.startsWith(`${prefix}/`))) path = path.slice(prefix.length) || '/';
  const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);

  const body = await readBody(req, bodyLimit);
  if (body === 'aborted') return; // The client went away; nobody to answer.
  if (body === 'too_large') {
    app.logger.info('request rejected', { requestId, method: req.method, status: 413, reason: 'payload_too_large' });
    // Do not keep a connection whose request body we stopped reading.
    sendResponse(res, requestId, payloadTooLarge(bodyLimit), true);
    return;
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  let principal: string | undefined;
  try {
    principal = principalOf?.(headers);
  } catch (error) {
    if (!(error instanceof PrincipalRejected)) throw error;
    sendResponse(res, requestId, errorBody(403, 'permission_denied', error.message), isClosing());
    return;
  }
  const response = await app.handle({
    method: req.method ?? 'GET',
    path,
    query: parseQueryString(rawQuery),
    headers,
    rawBody: body.length === 0 ? undefined : body.toString('utf8'),
    requestId,
    ...(principal !== undefined ? { principal } : {}),
  });
  sendResponse(res, requestId, response, isClosing());
}

function errorBody(status: number, code: string, message: string): SerializedHttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' },
    body: JSON.stringify({ error: { code, message } }),
  };
}

function payloadTooLarge(limit: number): SerializedHttpResponse {
  return {
    status: 413,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' },
    body: JSON.stringify({
      error: { code: 'payload_too_large', message: `request body exceeds ${limit} bytes`, details: { limitBytes: limit } },
    }),
  };
}

function sendResponse(res: ServerResponse, requestId: string, response: SerializedHttpResponse, closeConnection: boolean): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('x-request-id', requestId);
  res.setHeader('content-length', Buffer.byteLength(response.body));
  if (closeConnection) res.setHeader('connection', 'close');
  res.end(response.body);
}

/**
 * Reads the whole body, counting bytes while streaming: as soon as more than `limit` bytes
 * arrived (or `content-length` announces more), stops buffering and reports `too_large`. The rest
 * of the body is discarded without being stored.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
  const declared = Number(firstHeader(req.headers['content-length']));
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // discard
    return Promise.resolve('too_large');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | 'too_large' | 'aborted'): void => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return; // discarding after too_large
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        settle('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks, size)));
    req.on('error', () => settle('aborted'));
    req.on('close', () => {
      if (!req.complete) settle('aborted');
    });
  });
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export interface RunServerOptions {
  /** Default `process.env`. Reads `PORT` (default 8080) and `HOST` (default `0.0.0.0`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly bodyLimitBytes?: number;
  readonly shutdownTimeoutMs?: number;
  /** Default: the app's logger, or a Powertools logger named after the app when it has none. */
  readonly logger?: AppLogger;
  /** Called after shutdown with the exit code. Default `process.exit`. */
  readonly exit?: (code: number) => void;
}

/**
 * Container entrypoint: serves `app` on `HOST:PORT`, logs one JSON `listening` line, and on
 * SIGTERM/SIGINT stops accepting requests, finishes in-flight ones and exits 0.
 */
export async function runServerFromEnv(app: HttpApp, options: RunServerOptions = {}): Promise<HttpServerHandle> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? (app.logger === silentLogger ? createLogger(app.name) : app.logger);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const port = parsePort(env.PORT);
  const host = env.HOST?.trim() || '0.0.0.0';
  const server = await serveHttp(app, {
    port,
    host,
    bodyLimitBytes: options.bodyLimitBytes,
    shutdownTimeoutMs: options.shutdownTimeoutMs,
  });
  logger.info('listening', { url: server.url, host: server.host, port: server.port });
  stopOnSignals(server, logger, exit);
  return server;
}

/**
 * On the first SIGTERM or SIGINT: logs, closes `server` (which finishes in-flight work) and calls
 * `exit(0)`, or `exit(1)` when closing fails. The container entrypoints' shutdown.
 */
export function stopOnSignals(server: { close(): Promise<void> }, logger: AppLogger, exit: (code: number) => void): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    logger.info('shutting down', { signal });
    server.close().then(
      () => {
        logger.info('stopped', { signal });
        exit(0);
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error: describeError(error) });
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** A port from an environment variable: blank → `fallback`; otherwise an integer 0–65535. */
export function parsePort(raw: string | undefined, variable = 'PORT', fallback = 8080): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim();
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new Error(`${variable} must be an integer between 0 and 65535, got '${raw}'`);
  return Number(value);
}

/**
 * The `require.main === module` edge of a container entrypoint: runs `start`, and if it fails
 * (bad configuration, port in use) writes one JSON error line to stderr and exits 1.
 */
export function startOrExit(service: string, start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    process.stderr.write(
      `${JSON.stringify({
        level: 'ERROR',
        message: 'failed to start',
        service,
        timestamp: new Date().toISOString(),
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      })}\n`,
    );
    process.exit(1);
  });
}
