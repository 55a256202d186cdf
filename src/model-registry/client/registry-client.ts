/**
 * A typed client for the gaiops model registry (MLflow Model Registry REST API + gaiops
 * extensions), for pipelines and services calling the registry's IAM-protected HTTP API.
 *
 * - Every request is signed with SigV4 (service `execute-api` by default) using injected
 *   credentials (a static identity or a provider, e.g. from `@aws-sdk/credential-providers`).
 * - Each attempt has its own timeout (`AbortSignal.timeout`); a caller's `signal` aborts for good.
 * - 429, 5xx, network errors and timeouts are retried with exponential backoff and full jitter
 *   (honouring `Retry-After`). Retrying is safe for every call: reads are naturally idempotent and
 *   each mutating call carries one `Idempotency-Key` for all its attempts, so the registry applies
 *   it at most once and answers retries with the original response.
 * - Failures throw `RegistryApiError` with MLflow's `error_code`, the message and the HTTP status.
 */
import { randomUUID } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { identityToken } from '../../core/runtime/sts-identity';
import type {
  AuditEntry,
  GovernanceStatus,
  LineageRecord,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  ReviewRecord,
  Tag,
} from '../runtime/api-types';
import type { LineageFields } from '../runtime/lineage';

export type {
  AuditEntry,
  GovernanceStatus,
  LineageRecord,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  ReviewRecord,
  Tag,
} from '../runtime/api-types';
export type { LineageFields } from '../runtime/lineage';

/** Static credentials or a provider returning them (refreshed per request by the signer). */
export type RegistryCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export interface RegistryClientOptions {
  /** e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com` or `http://localhost:8080/registry`. */
  readonly baseUrl: string;
  readonly region: string;
  readonly credentials: RegistryCredentials;
  /** SigV4 service name. Default `execute-api`. */
  readonly service?: string;
  /** Per-attempt timeout. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  readonly maxRetries?: number;
  /** Backoff base. Default 100 ms (attempt n waits up to base × 2^n, capped). */
  readonly baseDelayMs?: number;
  /** Backoff cap. Default 5 000 ms. */
  readonly maxDelayMs?: number;
  /**
   * Authenticate with a gaiops identity token instead of SigV4 — for the RegistryServer in the
   * cluster: every request carries `Authorization: Bearer gaiops-sts-v1.…`, a presigned STS
   * GetCallerIdentity URL signed with `credentials` for `audience` (the server's `audience`, e.g.
   * `model-registry.ml-registry.svc`). A token is reused for 30 s (its URL is valid for 60 s).
   * `stsEndpoint` defaults to `https://sts.<region>.amazonaws.com` (also through an STS VPC
   * endpoint with private DNS). Default: SigV4 signing for the API Gateway form.
   */
  readonly identityToken?: { readonly audience: string; readonly stsEndpoint?: string };
  /** Extra headers for every request (e.g. `x-gaiops-principal` against a dev registry). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Jitter source in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Default: `setTimeout`-based. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions {
  /** Aborts the call (no further retries). */
  readonly signal?: AbortSignal;
}

/** An error answer from the registry (or the gateway in front of it), or a transport failure. */
export class RegistryApiError extends Error {
  constructor(
    /** MLflow error code, e.g. `RESOURCE_DOES_NOT_EXIST`; `NETWORK_ERROR` / `TIMEOUT` for transport failures. */
    public readonly errorCode: string,
    message: string,
    /** HTTP status; 0 when no response was received. */
    public readonly status: number,
    public readonly details?: unknown,
    public readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RegistryApiError';
  }
}

export interface SearchOptions {
  readonly filter?: string;
  readonly maxResults?: number;
  readonly orderBy?: readonly string[];
  readonly pageToken?: string;
}

export type TagsInput = readonly Tag[] | Readonly<Record<string, string>>;

export type LineageInput = { readonly [K in keyof LineageFields]?: LineageFields[K] | null };

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const IDEMPOTENCY_HEADER = 'idempotency-key';

const STATUS_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'ENDPOINT_NOT_FOUND',
  429: 'REQUEST_LIMIT_EXCEEDED',
  503: 'TEMPORARILY_UNAVAILABLE',
};

function toTags(tags: TagsInput | undefined): Tag[] | undefined {
  if (tags === undefined) return undefined;
  return Array.isArray(tags) ? [...(tags as readonly Tag[])] : Object.entries(tags).map(([key, value]) => ({ key, value: value as string }));
}

export class RegistryClient {
  private readonly base: URL;
  private readonly signer: SignatureV4;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private token?: { readonly value: Promise<string>; readonly mintedAt: number };

  constructor(private readonly options: RegistryClientOptions) {
    this.base = new URL(options.baseUrl);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') throw new Error(`baseUrl must be http(s), got '${options.baseUrl}'`);
    this.signer = new SignatureV4({
      service: options.service ?? 'execute-api',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  // ------------------------------------------------------------------ registered models

  async createRegisteredModel(name: string, options: { description?: string; tags?: TagsInput } & CallOptions = {}): Promise<RegisteredModel> {
    const out = await this.request<{ registered_model: RegisteredModel }>(
      'POST',
      '/api/2.0/mlflow/registered-models/create',
      { name, description: options.description, tags: toTags(options.tags) },
      options,
    );
    return out.registered_model;
  }

  async getRegisteredModel(name: string, options: CallOptions = {}): Promise<RegisteredModel> {
    return (await this.request<{ registered_model: RegisteredModel }>('GET', '/api/2.0/mlflow/registered-models/get', { name }, options)).registered_model;
  }

  async searchRegisteredModels(search: SearchOptions = {}, options: CallOptions = {}): Promise<{ registeredModels: RegisteredModel[]; nextPageToken?: string }> {
    const out = await this.request<{ registered_models?: RegisteredModel[]; next_page_token?: string }>(
      'GET',
      '/api/2.0/mlflow/registered-models/search',
      searchQuery(search),
      options,
    );
    return { registeredModels: out.registered_models ?? [], ...(out.next_page_token ? { nextPageToken: out.next_page_token } : {}) };
  }

  async deleteRegisteredModel(name: string, options: CallOptions = {}): Promise<void> {
    await this.request('DELETE', '/api/2.0/mlflow/registered-models/delete', { name }, options);
  }

  // ------------------------------------------------------------------ model versions

  async createModelVersion(
    input: { name: string; source: string; runId?: string; runLink?: string; description?: string; tags?: TagsInput },
    options: CallOptions = {},
  ): Promise<ModelVersion> {
    const out = await this.request<{ model_version: ModelVersion }>(
      'POST',
      '/api/2.0/mlflow/model-versions/create',
      { name: input.name, source: input.source, run_id: input.runId, run_link: input.runLink, description: input.description, tags: toTags(input.tags) },
      options,
    );
    return out.model_version;
  }

  async getModelVersion(name: string, version: string | number, options: CallOptions = {}): Promise<ModelVersion> {
    return (await this.request<{ model_version: ModelVersion }>('GET', '/api/2.0/mlflow/model-versions/get', { name, version: String(version) }, options))
      .model_version;
  }

  async searchModelVersions(search: SearchOptions = {}, options: CallOptions = {}): Promise<{ modelVersions: ModelVersion[]; nextPageToken?: string }> {
    const out = await this.request<{ model_versions?: ModelVersion[]; next_page_token?: string }>(
      'GET',
      '/api/2.0/mlflow/model-versions/search',
      searchQuery(search),
      options,
    );
    return { modelVersions: out.model_versions ?? [], ...(out.next_page_token ? { nextPageToken: out.next_page_token } : {}) };
  }

  async getDownloadUri(name: string, version: string | number, options: CallOptions = {}): Promise<string> {
    return (await this.request<{ artifact_uri: string }>('GET', '/api/2.0/mlflow/model-versions/get-download-uri', { name, version: String(version) }, options))
      .artifact_uri;
  }

  async transitionStage(
    name: string,
    version: string | number,
    stage: ModelStage,
    options: { archiveExistingVersions?: boolean } & CallOptions = {},
  ): Promise<ModelVersion> {
    const out = await this.request<{ model_version: ModelVersion }>(
      'POST',
      '/api/2.0/mlflow/model-versions/transition-stage',
      { name, version: String(version), stage, archive_existing_versions: options.archiveExistingVersions ?? false },
      options,
    );
    return out.model_version;
  }

  // ------------------------------------------------------------------ aliases

  async setAlias(name: string, alias: string, version: string | number, options: CallOptions = {}): Promise<void> {
    await this.request('POST', '/api/2.0/mlflow/registered-models/alias', { name, alias, version: String(version) }, options);
  }

  async deleteAlias(name: string, alias: string, options: CallOptions = {}): Promise<void> {
    await this.request('DELETE', '/api/2.0/mlflow/registered-models/alias', { name, alias }, options);
  }

  async getByAlias(name: string, alias: string, options: CallOptions = {}): Promise<ModelVersion> {
    return (await this.request<{ model_version: ModelVersion }>('GET', '/api/2.0/mlflow/registered-models/alias', { name, alias }, options)).model_version;
  }

  // ------------------------------------------------------------------ governance

  /** Merges `lineage` into the version's lineage (`null` removes a field); returns the result. */
  async setLineage(name: string, version: string | number, lineage: LineageInput, options: CallOptions = {}): Promise<LineageRecord> {
    return (await this.request<{ lineage: LineageRecord }>('POST', '/api/2.0/gaiops/model-versions/lineage', { name, version: String(version), ...lineage }, options))
      .lineage;
  }

  async getLineage(name: string, version: string | number, options: CallOptions = {}): Promise<LineageRecord> {
    return (await this.request<{ lineage: LineageRecord }>('GET', '/api/2.0/gaiops/model-versions/lineage', { name, version: String(version) }, options)).lineage;
  }

  async approve(name: string, version: string | number, comment?: string, options: CallOptions = {}): Promise<ReviewRecord> {
    return (await this.request<{ review: ReviewRecord }>('POST', '/api/2.0/gaiops/model-versions/approve', { name, version: String(version), comment }, options)).review;
  }

  async reject(name: string, version: string | number, comment?: string, options: CallOptions = {}): Promise<ReviewRecord> {
    return (await this.request<{ review: ReviewRecord }>('POST', '/api/2.0/gaiops/model-versions/reject', { name, version: String(version), comment }, options)).review;
  }

  /**
   * Deletes a version the caller created, while it holds no alias, is in stage `None` and has no
   * review (e.g. a registration that could not be completed); audited with `reason`. Refused with
   * 403 for another caller and 400 naming why otherwise; deleting any other version is admin-only.
   */
  async withdrawModelVersion(name: string, version: string | number, options: { reason?: string } & CallOptions = {}): Promise<void> {
    await this.request('POST', '/api/2.0/gaiops/model-versions/withdraw', { name, version: String(version), reason: options.reason }, options);
  }

  async getGovernanceStatus(name: string, version: string | number, options: CallOptions = {}): Promise<GovernanceStatus> {
    return this.request<GovernanceStatus>('GET', '/api/2.0/gaiops/model-versions/governance', { name, version: String(version) }, options);
  }

  async listAudit(name: string, page: { maxResults?: number; pageToken?: string } = {}, options: CallOptions = {}): Promise<{ entries: AuditEntry[]; nextPageToken?: string }> {
    const out = await this.request<{ audit_entries: AuditEntry[]; next_page_token?: string }>(
      'GET',
      '/api/2.0/gaiops/audit',
      { name, max_results: page.maxResults, page_token: page.pageToken },
      options,
    );
    return { entries: out.audit_entries, ...(out.next_page_token ? { nextPageToken: out.next_page_token } : {}) };
  }

  // ------------------------------------------------------------------ transport

  /**
   * Sends one API call (GET: `input` as query parameters; otherwise as a JSON body) with signing,
   * timeouts, retries and an idempotency key; returns the parsed JSON response.
   */
  async request<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, input: Record<string, unknown> = {}, options: CallOptions = {}): Promise<T> {
    const url = new URL(this.base.toString());
    url.pathname = `${this.base.pathname.replace(/\/+$/, '')}${path}`;
    let body: string | undefined;
    if (method === 'GET') {
      for (const [key, value] of Object.entries(input)) if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    } else {
      body = JSON.stringify(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
    }
    const idempotencyKey = method === 'GET' ? undefined : randomUUID();

    for (let attempt = 0; ; attempt++) {
      options.signal?.throwIfAborted();
      let retryAfterMs: number | undefined;
      let failure: RegistryApiError;
      try {
        const response = await this.attempt(method, url, body, idempotencyKey, options.signal);
        const requestId = response.headers.get('x-request-id') ?? response.headers.get('x-amzn-requestid') ?? undefined;
        if (response.status >= 200 && response.status < 300) {
          return (response.text === '' ? {} : JSON.parse(response.text)) as T;
        }
        failure = toApiError(response.status, response.text, requestId);
        if (!RETRYABLE_STATUS.has(response.status)) throw failure;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      } catch (error) {
        if (error instanceof RegistryApiError && !RETRYABLE_STATUS.has(error.status) && error.status !== 0) throw error;
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        failure = error instanceof RegistryApiError ? error : transportError(error);
      }
      if (attempt >= this.maxRetries) throw failure;
      const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
      const delay = Math.min(this.maxDelayMs, Math.max(this.random() * cap, retryAfterMs ?? 0));
      await this.sleep(delay);
    }
  }

  private async attempt(
    method: string,
    url: URL,
    body: string | undefined,
    idempotencyKey: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const headers: Record<string, string> = {
      ...this.options.headers,
      host: url.host,
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(idempotencyKey ? { [IDEMPOTENCY_HEADER]: idempotencyKey } : {}),
    };
    if (this.options.identityToken) {
      const sendHeaders = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'host'));
      sendHeaders.authorization = `Bearer ${await this.identityToken(this.options.identityToken)}`;
      return this.send(method, url, sendHeaders, body, signal);
    }
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    });
    // fetch sets Host itself (to url.host, the value that was signed).
    const sendHeaders = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
    return this.send(method, url, sendHeaders, body, signal);
  }

  /** The current identity token, minted again 30 s after the last one (a failed mint is retried on the next request). */
  private identityToken(o: { audience: string; stsEndpoint?: string }): Promise<string> {
    const now = Date.now();
    if (!this.token || now - this.token.mintedAt >= 30_000) {
      const value = identityToken({ audience: o.audience, region: this.options.region, credentials: this.options.credentials, stsEndpoint: o.stsEndpoint });
      const minted = { value, mintedAt: now };
      this.token = minted;
      value.catch(() => {
        if (this.token === minted) this.token = undefined;
      });
    }
    return this.token.value;
  }

  private async send(
    method: string,
    url: URL,
    sendHeaders: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const response = await this.fetchImpl(url, { method, headers: sendHeaders, body, signal: combined });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  }
}

function searchQuery(search: SearchOptions): Record<string, unknown> {
  return {
    filter: search.filter,
    max_results: search.maxResults,
    order_by: search.orderBy && search.orderBy.length > 0 ? search.orderBy.join(',') : undefined,
    page_token: search.pageToken,
  };
}

function toApiError(status: number, text: string, requestId: string | undefined): RegistryApiError {
  let parsed: { error_code?: unknown; message?: unknown; Message?: unknown; details?: unknown } | undefined;
  try {
    parsed = text ? (JSON.parse(text) as typeof parsed) : undefined;
  } catch {
    parsed = undefined;
  }
  const code = typeof parsed?.error_code === 'string' ? parsed.error_code : (STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'));
  const message =
    typeof parsed?.message === 'string' ? parsed.message : typeof parsed?.Message === 'string' ? parsed.Message : `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  return new RegistryApiError(code, message, status, parsed?.details, requestId);
}

function transportError(error: unknown): RegistryApiError {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError') return new RegistryApiError('TIMEOUT', 'the request timed out', 0, undefined, undefined, { cause: error });
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const detail = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new RegistryApiError('NETWORK_ERROR', `the request failed: ${detail}`, 0, undefined, undefined, { cause: error });
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
