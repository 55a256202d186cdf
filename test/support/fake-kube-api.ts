/**
 * A small Kubernetes API server for tests: a real HTTP server on 127.0.0.1 (random port) that
 * speaks the generic REST paths of any group (`/api/v1/...`, `/apis/<group>/<version>/...`),
 * namespaced or cluster-scoped:
 *
 * - `POST <collection>` creates `<collection>/<metadata.name>` (`generateName` supported;
 *   409 `AlreadyExists`; `?dryRun=All` validates without storing); `apiVersion` must match the
 *   path (400) and `metadata.namespace` the namespace in the path (400);
 * - `GET <object>` (404 `NotFound`), `GET <collection>` with `labelSelector` (`k=v`, `k==v`, `k!=v`,
 *   `k`, `!k`, comma-separated), `limit` and `continue`;
 * - `PUT <object>`: 409 `Conflict` when `metadata.resourceVersion` is stale;
 * - `PATCH <object>` with `application/merge-patch+json` (RFC 7386), other patch types 415;
 * - `DELETE <object>`;
 * - `metadata.resourceVersion` (a global counter), `uid` and `creationTimestamp` are set by the
 *   server; requests without `Authorization: Bearer <token>` get a 401 `Unauthorized` Status;
 * - bodies of POST/PUT (and the result of PATCH) go through `validators[apiVersion/kind]`
 *   (e.g. kubernetes-models' `new Job(obj).validate()`); problems → 422 `Invalid` Status with
 *   `details.causes`.
 *
 * Every request is recorded (`requests`); `failNext(status, times)` makes the next requests fail.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Returns the problems of an object (empty when valid). */
export type KubeValidator = (obj: unknown) => string[] | Promise<string[]>;

export interface FakeKubeApiOptions {
  /** The bearer token accepted. Default: any bearer token. */
  readonly token?: string;
  /** Validators by `apiVersion/kind`, e.g. `batch/v1/Job`, `v1/ConfigMap`, `kubeflow.org/v1/PyTorchJob`. */
  readonly validators?: Record<string, KubeValidator>;
}

export interface RecordedKubeRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Record<string, string>;
  /** Parsed JSON body, or undefined. */
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

export interface FakeKubeApi {
  /** e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Stored objects by object path, e.g. `/apis/batch/v1/namespaces/ns/jobs/train-1`. */
  readonly objects: Map<string, any>;
  readonly requests: RecordedKubeRequest[];
  /**
   * Stores `obj` at `path` (e.g. with a `status`), filling in the server's metadata where `obj`
   * sets none (`resourceVersion` always moves on); returns the stored object.
   */
  put(path: string, obj: object): any;
  /**
   * The next `times` (default 1) requests — only those `match` accepts, when given — answer
   * `status` with a Status body (nothing is stored).
   */
  failNext(status: number, times?: number, match?: (request: RecordedKubeRequest) => boolean): void;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

class StatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string = REASONS[status] ?? 'Unknown',
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface ParsedPath {
  readonly apiVersion: string;
  readonly namespace?: string;
  readonly plural: string;
  readonly name?: string;
  readonly collection: string;
}

/** Parses an API path into its parts; undefined when it is not a collection or object path. */
export function parseKubePath(path: string): ParsedPath | undefined {
  const segments = path.split('/').slice(1).map(decodeURIComponent);
  let apiVersion: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    apiVersion = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    apiVersion = `${segments[1]}/${segments[2]}`;
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  if (rest.some((s) => s === '')) return undefined;
  const prefix = path.split('/').slice(0, apiVersion.includes('/') ? 4 : 3).join('/');
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    if (rest.length > 4) return undefined;
    const [, namespace, plural, name] = rest;
    return { apiVersion, namespace, plural: plural!, name, collection: `${prefix}/namespaces/${encodeURIComponent(namespace!)}/${encodeURIComponent(plural!)}` };
  }
  if (rest.length > 2) return undefined;
  const [plural, name] = rest;
  return { apiVersion, plural: plural!, name, collection: `${prefix}/${encodeURIComponent(plural!)}` };
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function matchesSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  const l = labels ?? {};
  return selector
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .every((term) => {
      let m: RegExpExecArray | null;
      if ((m = /^([^!=]+)!=(.*)$/.exec(term))) return l[m[1]!.trim()] !== m[2]!.trim();
      if ((m = /^([^!=]+)==?(.*)$/.exec(term))) return l[m[1]!.trim()] === m[2]!.trim();
      if (term.startsWith('!')) return !(term.slice(1) in l);
      return term in l;
    });
}

function statusBody(error: StatusError): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    ...(error.details !== undefined ? { details: error.details } : {}),
    code: error.status,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Starts the server. */
export async function startFakeKubeApi(o: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const objects = new Map<string, any>();
  const requests: RecordedKubeRequest[] = [];
  let revision = 1000;
  let failures: { status: number; remaining: number; match?: (request: RecordedKubeRequest) => boolean } | undefined;

  /** Server-set metadata; `put` (a test seeding state) may set `uid` and `creationTimestamp` itself. */
  const stamp = (obj: any, parsed: ParsedPath, existing?: any, seeded = false): any => {
    const metadata = { ...(obj.metadata ?? {}) };
    metadata.name = parsed.name ?? metadata.name;
    if (parsed.namespace !== undefined) metadata.namespace = parsed.namespace;
    metadata.uid = (seeded ? metadata.uid : undefined) ?? existing?.metadata?.uid ?? randomUUID();
    metadata.creationTimestamp = (seeded ? metadata.creationTimestamp : undefined) ?? existing?.metadata?.creationTimestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    metadata.resourceVersion = String(++revision);
    return { ...obj, metadata };
  };

  const validate = async (obj: any): Promise<void> => {
    const validator = o.validators?.[`${obj.apiVersion}/${obj.kind}`];
    if (!validator) return;
    let problems: string[];
    try {
      problems = await validator(obj);
    } catch (error) {
      problems = [error instanceof Error ? error.message : String(error)];
    }
    if (problems.length > 0) {
      throw new StatusError(422, `${obj.kind} "${obj.metadata?.name}" is invalid: ${problems.join('; ')}`, 'Invalid', {
        name: obj.metadata?.name,
        kind: obj.kind,
        causes: problems.map((message) => ({ reason: 'FieldValueInvalid', message })),
      });
    }
  };

  const checkBody = (body: any, parsed: ParsedPath): void => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new StatusError(400, 'body must be a JSON object');
    if (body.apiVersion !== parsed.apiVersion) throw new StatusError(400, `apiVersion '${String(body.apiVersion)}' does not match the path (${parsed.apiVersion})`);
    if (typeof body.kind !== 'string' || body.kind === '') throw new StatusError(400, 'kind is required');
    const ns = body.metadata?.namespace;
    if (ns !== undefined && ns !== parsed.namespace) throw new StatusError(400, `the namespace of the object (${String(ns)}) does not match the namespace on the request (${String(parsed.namespace)})`);
  };

  const handle = async (method: string, path: string, query: Record<string, string>, headers: Record<string, string>, body: any): Promise<{ status: number; body: unknown }> => {
    if (failures && failures.remaining > 0 && (!failures.match || failures.match(requests.at(-1)!))) {
      failures.remaining -= 1;
      throw new StatusError(failures.status, `injected failure ${failures.status}`);
    }
    const auth = headers.authorization ?? '';
    const bearer = /^Bearer (\S+)$/.exec(auth)?.[1];
    if (!bearer || (o.token !== undefined && bearer !== o.token)) throw new StatusError(401, 'Unauthorized');
    const parsed = parseKubePath(path);
    if (!parsed) throw new StatusError(404, `the server could not find the requested resource (${method} ${path})`);
    const objectPath = parsed.name === undefined ? undefined : `${parsed.collection}/${encodeURIComponent(parsed.name)}`;

    if (objectPath === undefined) {
      if (method === 'GET') {
        let items = [...objects.entries()]
          .filter(([key]) => key.startsWith(`${parsed.collection}/`) && !key.slice(parsed.collection.length + 1).includes('/'))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, value]) => value)
          .filter((item) => (query.labelSelector ? matchesSelector(item.metadata?.labels, query.labelSelector) : true));
        const offset = query.continue ? Number(Buffer.from(query.continue, 'base64url').toString('utf8')) : 0;
        if (!Number.isInteger(offset) || offset < 0) throw new StatusError(400, 'invalid continue token');
        const limit = query.limit ? Number(query.limit) : 0;
        items = items.slice(offset);
        let next: string | undefined;
        if (limit > 0 && items.length > limit) {
          items = items.slice(0, limit);
          next = Buffer.from(String(offset + limit), 'utf8').toString('base64url');
        }
        return { status: 200, body: { apiVersion: parsed.apiVersion, kind: 'List', metadata: { resourceVersion: String(revision), ...(next ? { continue: next } : {}) }, items } };
      }
      if (method === 'POST') {
        checkBody(body, parsed);
        const metadata = { ...(body.metadata ?? {}) };
        if (!metadata.name && metadata.generateName) metadata.name = `${metadata.generateName}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
        if (typeof metadata.name !== 'string' || !NAME_RE.test(metadata.name)) {
          throw new StatusError(422, `${body.kind} "${String(metadata.name)}" is invalid: metadata.name must be a lowercase RFC 1123 subdomain`, 'Invalid');
        }
        const key = `${parsed.collection}/${encodeURIComponent(metadata.name)}`;
        const candidate = { ...body, metadata };
        await validate(candidate);
        if (objects.has(key)) throw new StatusError(409, `${parsed.plural} "${metadata.name}" already exists`, 'AlreadyExists', { name: metadata.name, kind: parsed.plural });
        if (query.dryRun !== undefined) {
          if (query.dryRun !== 'All') throw new StatusError(400, `invalid dryRun value ${query.dryRun}`);
          return { status: 201, body: { ...candidate, metadata: { ...metadata, namespace: parsed.namespace, uid: randomUUID() } } };
        }
        const stored = stamp(candidate, { ...parsed, name: metadata.name });
        objects.set(key, stored);
        return { status: 201, body: stored };
      }
      throw new StatusError(405, `method ${method} is not allowed on a collection`);
    }

    const existing = objects.get(objectPath);
    if (method === 'GET' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') {
      if (!existing) throw new StatusError(404, `${parsed.plural} "${parsed.name}" not found`, 'NotFound', { name: parsed.name, kind: parsed.plural });
    }
    switch (method) {
      case 'GET':
        return { status: 200, body: existing };
      case 'PUT': {
        checkBody(body, parsed);
        if (body.metadata?.name !== undefined && body.metadata.name !== parsed.name) throw new StatusError(400, 'metadata.name does not match the path');
        const rv = body.metadata?.resourceVersion;
        if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
          throw new StatusError(409, `Operation cannot be fulfilled on ${parsed.plural} "${parsed.name}": the object has been modified; please apply your changes to the latest version and try again`, 'Conflict');
        }
        await validate(body);
        const stored = stamp(body, parsed, existing);
        objects.set(objectPath, stored);
        return { status: 200, body: stored };
      }
      case 'PATCH': {
        if (!(headers['content-type'] ?? '').startsWith('application/merge-patch+json')) throw new StatusError(415, `unsupported patch type ${headers['content-type'] ?? '(none)'}`);
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new StatusError(400, 'patch must be a JSON object');
        const rv = body.metadata?.resourceVersion;
        if (rv !== undefined && rv !== existing.metadata.resourceVersion) throw new StatusError(409, `Operation cannot be fulfilled on ${parsed.plural} "${parsed.name}": the object has been modified`, 'Conflict');
        const merged = mergePatch(existing, body) as any;
        checkBody(merged, parsed);
        await validate(merged);
        const stored = stamp(merged, parsed, existing);
        objects.set(objectPath, stored);
        return { status: 200, body: stored };
      }
      case 'DELETE':
        objects.delete(objectPath);
        return { status: 200, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: parsed.name, kind: parsed.plural, uid: existing.metadata.uid } } };
      default:
        throw new StatusError(405, `method ${method} is not allowed on an object`);
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const query = Object.fromEntries(url.searchParams);
      const method = req.method ?? 'GET';
      const text = await readBody(req);
      let result: { status: number; body: unknown };
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = Symbol.for('invalid-json');
      }
      requests.push({ method, path: url.pathname, query, body: typeof body === 'symbol' ? text : body, headers });
      try {
        if (typeof body === 'symbol') throw new StatusError(400, 'request body is not valid JSON');
        result = await handle(method, url.pathname, query, headers, body);
      } catch (error) {
        const statusError = error instanceof StatusError ? error : new StatusError(500, error instanceof Error ? error.message : String(error));
        result = { status: statusError.status, body: statusBody(statusError) };
      }
      const payload = JSON.stringify(result.body);
      res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    put(path: string, obj: object): any {
      const parsed = parseKubePath(path);
      if (!parsed || parsed.name === undefined) throw new Error(`not an object path: ${path}`);
      const key = `${parsed.collection}/${encodeURIComponent(parsed.name)}`;
      const stored = stamp(obj, parsed, objects.get(key), true);
      objects.set(key, stored);
      return stored;
    },
    failNext(status: number, times = 1, match?: (request: RecordedKubeRequest) => boolean): void {
      failures = { status, remaining: times, match };
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
