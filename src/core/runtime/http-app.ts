/**
 * A small, dependency-free HTTP application core shared by every gaiops HTTP runtime.
 *
 * One `HttpApp` is adapted to AWS Lambda (API Gateway HTTP API, payload v2) by `toLambdaHandler`
 * and to a `node:http` server (containers, local dev, tests) by `serveHttp`, so every deployment
 * target runs exactly the same routing, validation, error mapping and logging code.
 *
 * Contract:
 * - Request bodies are JSON. A non-empty body needs `content-type: application/json` (or
 *   `application/*+json`) → otherwise 415 `unsupported_media_type`; malformed JSON → 400
 *   `invalid_json`.
 * - Unknown path → 404 `not_found`; known path, other method → 405 `method_not_allowed` with an
 *   `allow` header.
 * - A thrown `HttpError` → its status and `{ "error": { "code", "message", "details"? } }`; anything
 *   else → 500 `internal_error` with a generic message (the cause is logged, never returned).
 * - Every response is `content-type: application/json`.
 * - One structured log line per request (request id, method, route pattern, status, duration). The
 *   concrete path, query, headers and body are never logged: they may carry secrets or personal
 *   data.
 */
import type { z } from 'zod';
import { formatFieldPath } from '../field-path';

/** HTTP methods a route can be registered for. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

const METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** The smallest structured-logger surface the runtime needs; a Powertools `Logger` satisfies it. */
export interface AppLogger {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** A logger that drops everything (tests, or when the caller does its own logging). */
export const silentLogger: AppLogger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/** Returns a logger that adds `attributes` (e.g. the request id) to every line. */
export function scopeLogger(base: AppLogger, attributes: Record<string, unknown>): AppLogger {
  return {
    debug: (message, ...extra) => base.debug(message, Object.assign({}, attributes, ...extra)),
    info: (message, ...extra) => base.info(message, Object.assign({}, attributes, ...extra)),
    warn: (message, ...extra) => base.warn(message, Object.assign({}, attributes, ...extra)),
    error: (message, ...extra) => base.error(message, Object.assign({}, attributes, ...extra)),
  };
}

/** What an adapter hands to `HttpApp.handle`: transport-neutral, body not yet parsed. */
export interface RawHttpRequest {
  readonly method: string;
  /** Path without the query string, still percent-encoded (e.g. `/items/a%2Fb`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Header names in any case; they are lower-cased by `handle`. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** The request body as text (adapters decode base64 first); empty or undefined means no body. */
  readonly rawBody?: string;
  readonly requestId: string;
  /**
   * The authenticated caller as established by the platform in front of the app (e.g. the IAM
   * `userArn` from an API Gateway IAM authorizer), never taken from client-controlled input.
   * Undefined when the transport does not authenticate callers (e.g. `serveHttp`).
   */
  readonly principal?: string;
}

/** What a route handler receives. */
export interface HttpRequest<TParams extends Record<string, string> = Record<string, string>> {
  /** Upper-case method. */
  readonly method: string;
  readonly path: string;
  /** Decoded path parameters, e.g. `{ id: 'a/b' }` for `/items/:id` and `/items/a%2Fb`. */
  readonly params: TParams;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body, or `undefined` when the request had no body. */
  readonly body: unknown;
  readonly rawBody?: string;
  readonly requestId: string;
  /** See `RawHttpRequest.principal`. */
  readonly principal?: string;
}

/** What a route handler returns; `body` is serialised as JSON. */
export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** What `HttpApp.handle` returns to an adapter: headers lower-case, body already serialised. */
export interface SerializedHttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** JSON text; empty only when the handler returned no body. */
  readonly body: string;
}

/** Per-request helpers passed to handlers. */
export interface RequestContext {
  /** Logger that stamps every line with the request id. */
  readonly log: AppLogger;
}

export type RouteHandler<TParams extends Record<string, string> = Record<string, string>> = (
  request: HttpRequest<TParams>,
  context: RequestContext,
) => HttpResponse | Promise<HttpResponse>;

/** `'/items/:id/parts/:part'` → `{ id: string; part: string }`. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, string>;

/** An error that maps to an HTTP status and a stable, machine-readable code. */
export class HttpError extends Error {
  constructor(
    public readonly status: number,
    /** Stable snake_case code, e.g. `bucket_not_allowed`. */
    public readonly code: string,
    message: string,
    /** JSON-serialisable extra information returned to the client. Never put secrets here. */
    public readonly details?: unknown,
    /** Extra headers for the error response (e.g. `allow`). */
    public readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** One validation problem as returned to clients. */
export interface ValidationIssue {
  /** Field path inside the body or query, e.g. `bucket` or `items[0].name`; `(root)` for the whole value. */
  readonly path: string;
  readonly message: string;
}

/** `['items', 0, 'name']` → `items[0].name`; `[]` → `(root)`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return formatFieldPath(path, '(root)');
}

/** Converts zod issues into `{ path, message }` pairs (no input values are echoed). */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}

/**
 * Validates the JSON body with `schema`; throws 400 `invalid_body` with
 * `details: { issues: [{ path, message }] }` when it does not match.
 */
export function parseBody<S extends z.ZodType>(schema: S, request: Pick<HttpRequest, 'body'>): z.output<S> {
  const result = schema.safeParse(request.body);
  if (result.success) return result.data;
  throw new HttpError(400, 'invalid_body', 'request body failed validation', { issues: toValidationIssues(result.error) });
}

/**
 * Validates the query string with `schema`; throws 400 `invalid_query` with
 * `details: { issues: [{ path, message }] }` when it does not match.
 */
export function parseQuery<S extends z.ZodType>(schema: S, request: Pick<HttpRequest, 'query'>): z.output<S> {
  const result = schema.safeParse(request.query);
  if (result.success) return result.data;
  throw new HttpError(400, 'invalid_query', 'query string failed validation', { issues: toValidationIssues(result.error) });
}

/** Query parameters from a raw query string; for repeated names the first value wins. */
export function parseQueryString(rawQuery: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!rawQuery) return out;
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    if (!Object.prototype.hasOwnProperty.call(out, name)) out[name] = value;
  }
  return out;
}

/** A request id safe to log and echo: taken from the client when well-formed, else `undefined`. */
export function sanitizeRequestId(candidate: string | undefined): string | undefined {
  if (candidate === undefined) return undefined;
  const trimmed = candidate.trim();
  return /^[A-Za-z0-9._:\-]{1,128}$/.test(trimmed) ? trimmed : undefined;
}

export interface HttpAppOptions {
  /** Service name used in logs. Default `gaiops`. */
  readonly name?: string;
  /** Default: logs nothing. Pass `createLogger(name)` for structured JSON logs. */
  readonly logger?: AppLogger;
}

interface Route {
  readonly method: HttpMethod;
  readonly pattern: string;
  readonly segments: readonly string[];
  readonly handler: RouteHandler;
}

type MatchResult =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'bad_path' };

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A tiny JSON-over-HTTP router. Register routes, then give it to an adapter. */
export class HttpApp {
  readonly name: string;
  readonly logger: AppLogger;
  private readonly routes: Route[] = [];

  constructor(options: HttpAppOptions = {}) {
    this.name = options.name ?? 'gaiops';
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Registers `handler` for `method` and `path`. Path segments starting with `:` are parameters
   * matching exactly one non-empty segment (`/items/:id`). Returns `this` for chaining.
   */
  route<P extends string>(method: HttpMethod, path: P, handler: RouteHandler<PathParams<P>>): this {
    if (!METHODS.has(method)) throw new Error(`unsupported HTTP method '${String(method)}'`);
    if (!path.startsWith('/')) throw new Error(`route path '${path}' must start with '/'`);
    const segments = splitPath(path);
    const names = segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1));
    if (names.some((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n))) throw new Error(`route path '${path}' has an invalid parameter name`);
    if (new Set(names).size !== names.length) throw new Error(`route path '${path}' repeats a parameter name`);
    const shape = segments.map((s) => (s.startsWith(':') ? ':' : s)).join('/');
    if (this.routes.some((r) => r.method === method && r.segments.map((s) => (s.startsWith(':') ? ':' : s)).join('/') === shape)) {
      throw new Error(`route ${method} ${path} is already registered`);
    }
    this.routes.push({ method, pattern: path, segments, handler: handler as unknown as RouteHandler });
    return this;
  }

  /** Handles one request. Never throws: every failure becomes a JSON error response. */
  async handle(raw: RawHttpRequest): Promise<SerializedHttpResponse> {
    const started = performance.now();
    const requestId = raw.requestId;
    const method = (raw.method ?? '').toUpperCase();
    const log = scopeLogger(this.logger, { requestId });
    let routePattern: string | undefined;
    let response: SerializedHttpResponse;
    try {
      const match = this.match(method, raw.path ?? '');
      if (match.kind === 'not_found' || match.kind === 'bad_path') {
        throw new HttpError(404, 'not_found', 'no route matches this path');
      }
      if (match.kind === 'method_not_allowed') {
        throw new HttpError(405, 'method_not_allowed', `method ${method} is not allowed here`, undefined, {
          allow: match.allow.join(', '),
        });
      }
      routePattern = match.route.pattern;
      const headers = lowerCaseHeaders(raw.headers);
      const request: HttpRequest = {
        method,
        path: raw.path,
        params: match.params,
        query: raw.query ?? {},
        headers,
        body: parseJsonBody(raw.rawBody, headers['content-type']),
        rawBody: raw.rawBody,
        requestId,
        principal: raw.principal,
      };
      const result = await match.route.handler(request, { log });
      response = serialize(result);
    } catch (error) {
      response = this.errorResponse(error, log);
    }
    const status = response.status;
    const attributes = { method, route: routePattern ?? null, status, durationMs: Math.round(performance.now() - started) };
    if (status >= 500) log.warn('request failed', attributes);
    else log.info('request completed', attributes);
    return response;
  }

  private match(method: string, path: string): MatchResult {
    const segments = splitPath(path);
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === 'no') continue;
      if (params === 'bad') return { kind: 'bad_path' };
      if (route.method === method) return { kind: 'found', route, params };
      if (!allow.includes(route.method)) allow.push(route.method);
    }
    return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
  }

  private errorResponse(error: unknown, log: AppLogger): SerializedHttpResponse {
    if (error instanceof HttpError) {
      const body: { code: string; message: string; details?: unknown } = { code: error.code, message: error.message };
      if (error.details !== undefined) body.details = error.details;
      try {
        return serialize({ status: error.status, headers: error.headers, body: { error: body } });
      } catch (serializationError) {
        error = serializationError;
      }
    }
    log.error('unhandled error', { error: describeError(error) });
    return serialize({ status: 500, body: { error: { code: 'internal_error', message: 'internal server error' } } });
  }
}

/** Creates an empty `HttpApp`. */
export function createHttpApp(options: HttpAppOptions = {}): HttpApp {
  return new HttpApp(options);
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1)));
}

/** Params on match, `'no'` when the route does not match, `'bad'` for undecodable params. */
function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | 'no' | 'bad' {
  if (pattern.length !== actual.length) return 'no';
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    const a = actual[i];
    if (p.startsWith(':')) {
      if (a === '') return 'no';
      try {
        params[p.slice(1)] = decodeURIComponent(a);
      } catch {
        return 'bad';
      }
    } else if (p !== a) {
      return 'no';
    }
  }
  return params;
}

function lowerCaseHeaders(headers: RawHttpRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

/** True for `application/json` and `application/<x>+json`, with or without parameters. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

function parseJsonBody(rawBody: string | undefined, contentType: string | undefined): unknown {
  if (rawBody === undefined || rawBody === '') return undefined;
  if (!isJsonContentType(contentType)) {
    throw new HttpError(415, 'unsupported_media_type', 'request body must be JSON with content-type: application/json');
  }
  try {
    return JSON.parse(rawBody);
  } catch {
    // The parser's message quotes the input, which may be sensitive: never return or log it.
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
}

function serialize(response: HttpResponse): SerializedHttpResponse {
  const status = response.status;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new Error(`handler returned an invalid status ${String(status)}`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
  headers['content-type'] = JSON_CONTENT_TYPE;
  headers['x-content-type-options'] = 'nosniff';
  const body = response.body === undefined ? '' : JSON.stringify(response.body);
  if (body === undefined) throw new Error('response body is not JSON-serialisable');
  return { status, headers, body };
}

/** Error details for logs: name, message, stack and (for AWS SDK errors) the service error name. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const out: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
    const metadata = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
    if (metadata) out.awsMetadata = { httpStatusCode: metadata.httpStatusCode, requestId: metadata.requestId };
    return out;
  }
  return { name: typeof error, message: String(error) };
}
