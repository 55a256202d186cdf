/**
 * Caller identity of the registry container (RegistryServer on EKS), where no API Gateway
 * authenticates callers and IAM does not authorize routes.
 *
 * Authentication: the caller sends `Authorization: Bearer gaiops-sts-v1.<…>`, a presigned STS
 * `GetCallerIdentity` URL whose signed headers include `x-gaiops-audience: <this server's
 * audience>` (`identityToken` in `core/runtime/sts-identity.ts`; `RegistryClient` option
 * `identityToken`). The server replays it to STS with its own audience (`verifyIdentityToken`):
 * STS answers with the caller only when the signature — and so the audience — is right, so a token
 * minted for another service, tampered with or expired is refused. Verified tokens are cached
 * (bounded LRU keyed by the token's sha256, never longer than the token's own expiry), so STS sees
 * one call per token, not one per request. No token, or a refused one → 401 `UNAUTHENTICATED`;
 * STS unreachable → 503 `TEMPORARILY_UNAVAILABLE`.
 *
 * Authorization, exactly as the Lambda form's IAM route grants: `MR_ACCESS` lists every route with
 * its kind (`read`, `write`, `deploy`, `approve`, `admin` — the construct writes ModelRegistry's
 * route table) and the callers with the kinds granted to them (`RegistryServer.grantRead`,
 * `grantRegister`, `grantApprove`, `grantAdmin`). A session of a listed role (matched on
 * partition, account and role name: STS ARNs carry no role path), or a listed IAM user, may call
 * the routes of its kinds; anything else → 403 `PERMISSION_DENIED`. The app then receives the STS
 * caller ARN as its principal — what API Gateway's IAM authorizer passes to the Lambda form — so
 * audit entries, approver checks and the four-eyes rule work unchanged. `/healthz` stays open for
 * the probes.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HttpApp, type RawHttpRequest, type SerializedHttpResponse, scopeLogger } from '../../core/runtime/http-app';
import { IDENTITY_TOKEN_PREFIX, IdentityTokenError, type VerifiedIdentity, type VerifyIdentityTokenOptions, verifyIdentityToken } from '../../core/runtime/sts-identity';
import { isApprover } from './identity';

/** Environment variables of the container's caller identity. */
export const CALLER_IDENTITY_ENV = {
  /** This server's audience (tokens must be minted for it), e.g. `model-registry.ml-registry.svc`. Setting it turns authentication on. */
  audience: 'MR_IDENTITY_AUDIENCE',
  /** JSON `RegistryAccessSchema`: route kinds and callers. Required with the audience. */
  access: 'MR_ACCESS',
  /** Optional comma-separated STS endpoints tokens may target. Default `sts.<AWS_REGION>.amazonaws.com`, `sts.amazonaws.com`. */
  stsEndpoints: 'MR_IDENTITY_STS_ENDPOINTS',
} as const;

/** What a route does (the kinds of `REGISTRY_ROUTES` in `model-registry.ts`). */
export const ROUTE_KINDS = ['read', 'write', 'deploy', 'approve', 'admin'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/;

export const RegistryAccessSchema = z.strictObject({
  version: z.literal(1),
  routes: z
    .array(
      z.strictObject({
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
        path: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, 'must be a route path'),
        kind: z.enum(ROUTE_KINDS),
      }),
    )
    .min(1),
  callers: z.array(
    z.strictObject({
      principalArn: z.string().regex(PRINCIPAL_ARN, 'must be an IAM role or user ARN'),
      kinds: z.array(z.enum(ROUTE_KINDS)).min(1),
    }),
  ),
});
export type RegistryAccess = z.output<typeof RegistryAccessSchema>;

/** Parses `MR_ACCESS`; throws one error naming every problem. */
export function parseRegistryAccess(text: string): RegistryAccess {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${CALLER_IDENTITY_ENV.access} is not valid JSON`);
  }
  const parsed = RegistryAccessSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${CALLER_IDENTITY_ENV.access} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The route kind of `<method> <path>` (path without the base path), or undefined for an unknown route. */
export function routeKind(access: RegistryAccess, method: string, path: string): RouteKind | undefined {
  return access.routes.find((r) => r.method === method && r.path === path)?.kind;
}

/** True when the verified caller is granted `kind`: a session of a listed role, or a listed user. */
export function isAllowed(access: RegistryAccess, caller: Pick<VerifiedIdentity, 'arn' | 'principalArn'>, kind: RouteKind): boolean {
  return access.callers.some(
    (c) => c.kinds.includes(kind) && (c.principalArn === caller.principalArn || c.principalArn === caller.arn || isApprover(caller.arn, [c.principalArn])),
  );
}

/** When a token stops being valid: its X-Amz-Date plus X-Amz-Expires (undefined when unreadable). */
export function tokenExpiresAt(token: string): number | undefined {
  if (!token.startsWith(IDENTITY_TOKEN_PREFIX)) return undefined;
  try {
    const url = new URL(Buffer.from(token.slice(IDENTITY_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    const query = new Map([...url.searchParams].map(([k, v]) => [k.toLowerCase(), v]));
    const iso = (query.get('x-amz-date') ?? '').replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
    const signedAt = Date.parse(iso);
    const expires = Number(query.get('x-amz-expires'));
    return Number.isFinite(signedAt) && Number.isInteger(expires) ? signedAt + expires * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface CallerVerifierOptions extends Omit<VerifyIdentityTokenOptions, 'now'> {
  /** Most cached tokens (least recently used evicted first). Default 1000. */
  readonly maxEntries?: number;
  /** Longest time a verified token is reused, capped by its own expiry. Default 60 000 ms. */
  readonly maxAgeMs?: number;
  /** Clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Verifies identity tokens through STS, caching each verified token (bounded LRU keyed by its
 * sha256) until the earlier of `maxAgeMs` and the token's expiry; concurrent requests with the
 * same token share one STS call. Refusals are never cached.
 */
export class CallerVerifier {
  private readonly cache = new Map<string, { expiresAt: number; identity: Promise<VerifiedIdentity> }>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CallerVerifierOptions) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Cached entries (for tests and metrics). */
  get size(): number {
    return this.cache.size;
  }

  verify(token: string): Promise<VerifiedIdentity> {
    const key = createHash('sha256').update(token).digest('hex');
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      if (hit.expiresAt > now) {
        this.cache.set(key, hit);
        return hit.identity;
      }
    }
    const expiresAt = Math.min(now + this.maxAgeMs, tokenExpiresAt(token) ?? now);
    const identity = verifyIdentityToken(token, { ...this.options, now: () => new Date(this.now()) });
    if (expiresAt > now) {
      const entry = { expiresAt, identity };
      this.cache.set(key, entry);
      while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
      identity.catch(() => {
        if (this.cache.get(key) === entry) this.cache.delete(key);
      });
    }
    return identity;
  }
}

export interface CallerIdentityOptions {
  readonly verifier: Pick<CallerVerifier, 'verify'>;
  readonly access: RegistryAccess;
  /** The app's base path (`MR_BASE_PATH`). Default `''`. */
  readonly basePath?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' };

function mlflowError(status: number, errorCode: string, message: string, headers: Record<string, string> = {}): SerializedHttpResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify({ error_code: errorCode, message }) };
}

/** `app` behind caller authentication and route authorization (see the module comment). */
class CallerIdentityApp extends HttpApp {
  private readonly base: string;

  constructor(
    private readonly inner: HttpApp,
    private readonly options: CallerIdentityOptions,
  ) {
    super({ name: inner.name, logger: inner.logger });
    this.base = (options.basePath ?? '').replace(/\/+$/, '');
  }

  override async handle(raw: RawHttpRequest): Promise<SerializedHttpResponse> {
    const method = (raw.method ?? '').toUpperCase();
    const fullPath = raw.path.length > 1 ? raw.path.replace(/\/+$/, '') : raw.path;
    if (method === 'GET' && fullPath === `${this.base}/healthz`) return this.inner.handle(raw);
    const path = this.base !== '' && fullPath.startsWith(`${this.base}/`) ? fullPath.slice(this.base.length) : fullPath;
    const log = scopeLogger(this.logger, { requestId: raw.requestId });
    const refuse = (response: SerializedHttpResponse, reason: string): SerializedHttpResponse => {
      log.info('caller refused', { method, status: response.status, reason });
      return response;
    };

    const header = Object.entries(raw.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
    const challenge = { 'www-authenticate': 'Bearer realm="gaiops-model-registry"' };
    if (!match) {
      return refuse(
        mlflowError(401, 'UNAUTHENTICATED', `Send "Authorization: Bearer ${IDENTITY_TOKEN_PREFIX}…", an identity token minted for this registry.`, challenge),
        header === undefined ? 'no-token' : 'malformed-header',
      );
    }
    let caller: VerifiedIdentity;
    try {
      caller = await this.options.verifier.verify(match[1]);
    } catch (error) {
      if (error instanceof IdentityTokenError && error.reason === 'sts-unavailable') {
        return refuse(mlflowError(503, 'TEMPORARILY_UNAVAILABLE', 'The caller identity cannot be verified right now (STS unavailable); retry the request.'), error.reason);
      }
      const reason = error instanceof IdentityTokenError ? error.reason : 'verification-failed';
      return refuse(mlflowError(401, 'UNAUTHENTICATED', `The identity token was refused (${reason}).`, challenge), reason);
    }

    const kind = routeKind(this.options.access, method, path);
    if (kind !== undefined && !isAllowed(this.options.access, caller, kind)) {
      return refuse(mlflowError(403, 'PERMISSION_DENIED', `${caller.principalArn} is not granted ${kind} access to this registry.`), `not-granted-${kind}`);
    }
    // Unknown routes reach the app, which answers 404/405 as usual (to authenticated callers only).
    return this.inner.handle({ ...raw, principal: caller.arn });
  }
}

/** Wraps the registry app so every call but `/healthz` needs a verified, authorized caller. */
export function withCallerIdentity(app: HttpApp, options: CallerIdentityOptions): HttpApp {
  return new CallerIdentityApp(app, options);
}

/** The container's identity settings, or undefined when `MR_IDENTITY_AUDIENCE` is not set. */
export interface CallerIdentityEnv {
  readonly audience: string;
  readonly region: string;
  readonly access: RegistryAccess;
  readonly allowedEndpoints?: readonly string[];
}

/** Reads `MR_IDENTITY_AUDIENCE`, `MR_ACCESS`, `MR_IDENTITY_STS_ENDPOINTS` and `AWS_REGION`; throws one error naming every problem. */
export function loadCallerIdentityEnv(env: Readonly<Record<string, string | undefined>>): CallerIdentityEnv | undefined {
  const audience = env[CALLER_IDENTITY_ENV.audience]?.trim();
  if (!audience) return undefined;
  const problems: string[] = [];
  const region = (env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '').trim();
  if (!region) problems.push(`AWS_REGION is not set (the STS endpoint of ${CALLER_IDENTITY_ENV.audience} tokens)`);
  let access: RegistryAccess | undefined;
  const rawAccess = env[CALLER_IDENTITY_ENV.access]?.trim();
  if (!rawAccess) problems.push(`${CALLER_IDENTITY_ENV.access} is not set`);
  else {
    try {
      access = parseRegistryAccess(rawAccess);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const endpoints = (env[CALLER_IDENTITY_ENV.stsEndpoints] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (problems.length > 0) throw new Error(`model registry identity configuration error: ${problems.join('; ')}`);
  return { audience, region, access: access as RegistryAccess, ...(endpoints.length > 0 ? { allowedEndpoints: endpoints } : {}) };
}
