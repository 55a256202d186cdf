/**
 * A small Kubernetes API client for gaiops runtimes (Lambdas and services that create or read
 * objects in a cluster): JSON over HTTPS with undici, the cluster CA trusted explicitly, a bearer
 * token from a provider, Kubernetes `Status` answers turned into `KubeApiError`s.
 *
 * Paths are API paths (`/api/v1/namespaces/ns/configmaps/x`,
 * `/apis/batch/v1/namespaces/ns/jobs`); `resourcePath` builds them with every segment encoded.
 * Nothing is retried except once after a 401 (with a freshly minted token): the request was not
 * processed, so that retry is safe even for POST.
 */
import { Agent, request } from 'undici';
import { type CredentialSource, defaultCredentials, eksToken } from './sts-identity';

/** Options of `KubeClient`. */
export interface KubeClientOptions {
  /** API server URL, e.g. `https://ABC.gr7.eu-west-1.eks.amazonaws.com`. */
  readonly endpoint: string;
  /** Base64-encoded PEM CA bundle trusted for the API server's TLS certificate (EKS `certificateAuthority.data`). Default: the system CAs. */
  readonly caData?: string;
  /**
   * Bearer token provider, called for every request. After a 401 it is called once more with
   * `{ refresh: true }` and the request retried (a provider that caches must then mint a new token).
   */
  readonly token: (options?: { readonly refresh?: boolean }) => Promise<string>;
  /** Per-request timeout. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** An error answer of the API server (status ≥ 400), or a transport failure (status 0). */
export class KubeApiError extends Error {
  constructor(
    /** HTTP status; 0 when no response was received. */
    public readonly status: number,
    message: string,
    /** `Status.reason`, e.g. `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Forbidden`; `NetworkError` / `Timeout` for transport failures. */
    public readonly reason?: string,
    /** `Status.details` (e.g. `causes` of a 422 Invalid). */
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** Query of a list call. */
export interface KubeListQuery {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
}

/** A list answer. */
export interface KubeList<T> {
  readonly items: T[];
  readonly metadata: { readonly resourceVersion?: string; readonly continue?: string };
}

/**
 * The API path of a resource collection (no `name`) or object: `v1` → `/api/v1/...`,
 * `group/version` → `/apis/group/version/...`; `namespace` undefined for cluster-scoped resources.
 */
export function resourcePath(apiVersion: string, plural: string, namespace?: string, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion.split('/').map(encodeURIComponent).join('/')}` : `/api/${encodeURIComponent(apiVersion)}`;
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${base}${ns}/${encodeURIComponent(plural)}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/** A JSON client for one Kubernetes API server. */
export class KubeClient {
  private readonly base: URL;
  private readonly dispatcher: Agent;
  private readonly timeoutMs: number;

  constructor(private readonly options: KubeClientOptions) {
    this.base = new URL(options.endpoint);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') throw new Error(`Kubernetes endpoint must be http(s), got '${options.endpoint}'`);
    const ca = options.caData ? Buffer.from(options.caData, 'base64').toString('utf8') : undefined;
    this.dispatcher = new Agent(ca ? { connect: { ca } } : {});
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** GET an object; a missing one throws `KubeApiError` with status 404. */
  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** GET a collection (one page; pass `continue` for the next). */
  list<T>(path: string, query: KubeListQuery = {}): Promise<KubeList<T>> {
    const params = new URLSearchParams();
    if (query.labelSelector !== undefined) params.set('labelSelector', query.labelSelector);
    if (query.fieldSelector !== undefined) params.set('fieldSelector', query.fieldSelector);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.continue !== undefined) params.set('continue', query.continue);
    const qs = params.toString();
    return this.call<{ items?: T[]; metadata?: KubeList<T>['metadata'] }>('GET', qs ? `${path}?${qs}` : path).then((list) => ({
      items: list.items ?? [],
      metadata: list.metadata ?? {},
    }));
  }

  /** POST `body` to a collection; an existing name throws 409 `AlreadyExists`. */
  create<T>(collectionPath: string, body: object): Promise<T> {
    return this.call<T>('POST', collectionPath, body, 'application/json');
  }

  /** PUT a whole object; a stale `metadata.resourceVersion` throws 409 `Conflict`. */
  replace<T>(path: string, body: object): Promise<T> {
    return this.call<T>('PUT', path, body, 'application/json');
  }

  /** PATCH with a JSON merge patch (RFC 7386). */
  mergePatch<T>(path: string, patch: object): Promise<T> {
    return this.call<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  /** DELETE an object (background propagation: dependents such as a Job's pods are removed too). */
  async delete(path: string): Promise<void> {
    await this.call<unknown>('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }, 'application/json');
  }

  /** Releases pooled connections. */
  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private async call<T>(method: string, path: string, body?: object, contentType?: string): Promise<T> {
    if (!path.startsWith('/') || path.split('?')[0]!.split('/').some((segment) => segment === '..' || segment === '.')) {
      throw new Error(`invalid Kubernetes API path '${path}'`);
    }
    const url = new URL(this.base.pathname.replace(/\/+$/, '') + path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let response = await this.send(method, url, path, payload, contentType, false);
    if (response.status === 401) response = await this.send(method, url, path, payload, contentType, true);
    if (response.status >= 400) throw toApiError(method, path, response.status, response.text);
    if (response.text === '') return undefined as T;
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw new KubeApiError(response.status, `Kubernetes API ${method} ${path}: response is not JSON`, 'InvalidResponse');
    }
  }

  private async send(method: string, url: URL, path: string, payload: string | undefined, contentType: string | undefined, refresh: boolean): Promise<{ status: number; text: string }> {
    const token = await this.options.token(refresh ? { refresh: true } : undefined);
    try {
      const response = await request(url, {
        method: method as 'GET',
        dispatcher: this.dispatcher,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(contentType ? { 'content-type': contentType } : {}),
        },
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { status: response.statusCode, text: await response.body.text() };
    } catch (error) {
      const timeout = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new KubeApiError(0, `Kubernetes API ${method} ${path}: ${timeout ? `no answer within ${this.timeoutMs} ms` : `request failed (${error instanceof Error ? error.message : String(error)})`}`, timeout ? 'Timeout' : 'NetworkError');
    }
  }
}

function toApiError(method: string, path: string, status: number, text: string): KubeApiError {
  let parsed: { kind?: unknown; message?: unknown; reason?: unknown; details?: unknown } | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const reason = typeof parsed?.reason === 'string' ? parsed.reason : undefined;
  const message = typeof parsed?.message === 'string' ? parsed.message : `HTTP ${status}`;
  return new KubeApiError(status, `Kubernetes API ${method} ${path}: ${status}${reason ? ` ${reason}` : ''}: ${message}`, reason, parsed?.details);
}

/** EKS tokens are accepted for 15 minutes; reuse one until a minute before that. */
const EKS_TOKEN_REUSE_MS = 14 * 60 * 1000;

/**
 * A client for an EKS cluster authenticated with `eksToken` (the token is cached until one minute
 * before its 15-minute lifetime ends, and re-minted after a 401). `credentials` default to
 * `defaultCredentials()` — the function's or pod's IAM role.
 */
export function eksKubeClient(o: {
  clusterName: string;
  endpoint: string;
  caData: string;
  region: string;
  credentials?: CredentialSource;
  timeoutMs?: number;
  /** STS endpoint the token is presigned for. Default `https://sts.<region>.amazonaws.com`. */
  stsEndpoint?: string;
  /** Clock (tests). Default `Date.now`. */
  now?: () => number;
}): KubeClient {
  const credentials = o.credentials ?? defaultCredentials();
  const now = o.now ?? Date.now;
  let cached: { token: string; until: number } | undefined;
  return new KubeClient({
    endpoint: o.endpoint,
    caData: o.caData,
    timeoutMs: o.timeoutMs,
    token: async (options) => {
      const t = now();
      if (!options?.refresh && cached && t < cached.until) return cached.token;
      const token = await eksToken({ clusterName: o.clusterName, region: o.region, credentials, now: new Date(t), stsEndpoint: o.stsEndpoint });
      cached = { token, until: t + EKS_TOKEN_REUSE_MS };
      return token;
    },
  });
}
