/**
 * Identity tokens built from presigned STS `GetCallerIdentity` URLs — the mechanism EKS uses to
 * authenticate IAM principals (aws-iam-authenticator, `aws eks get-token`), also used by gaiops'
 * in-cluster services to authenticate callers without shared secrets.
 *
 * A token is `<prefix>` + base64url (no padding) of a SigV4-presigned URL
 * `https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-…`
 * whose signed headers include an audience header (`x-k8s-aws-id: <cluster>` for EKS,
 * `x-gaiops-audience: <audience>` for gaiops services). The holder of the token can do nothing
 * with it but ask STS who signed it, and only while presenting the same audience header: a token
 * minted for one audience is refused by STS (signature mismatch) when replayed to another.
 *
 * Verification (`verifyIdentityToken`) never trusts the URL blindly: the host must be an allowed
 * STS endpoint, the action `GetCallerIdentity`, the lifetime at most 15 minutes, and the audience
 * header among the signed headers; only then is the URL fetched, with the verifier's own
 * audience value. Error messages never contain the token or the URL's signature.
 *
 * Credentials: pass static credentials or a provider. `defaultCredentials()` resolves the AWS SDK
 * v3 default chain (environment variables — what Lambda sets —, EKS Pod Identity / container
 * credentials, IRSA web identity, shared config, IMDS) through an SDK client's
 * `config.credentials()`, which caches and refreshes temporary credentials itself.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials (static or temporary). */
export interface AwsCredentialsLike {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Static credentials, or a provider called for each token (it should cache and refresh). */
export type CredentialSource = AwsCredentialsLike | (() => Promise<AwsCredentialsLike>);

/** What `verifyIdentityToken` returns for a valid token. */
export interface VerifiedIdentity {
  /** The caller ARN exactly as STS reports it, e.g. `arn:aws:sts::123456789012:assumed-role/R/session`. */
  readonly arn: string;
  readonly account: string;
  /** STS `UserId`, e.g. `AROAEXAMPLE:session`. */
  readonly userId: string;
  /**
   * The IAM principal behind `arn`: `arn:<p>:sts::<a>:assumed-role/<R>/<s>` becomes
   * `arn:<p>:iam::<a>:role/<R>`; users and other ARNs are returned unchanged. STS ARNs do not
   * carry a role's path, so a role `/teams/R` appears as `role/R`: compare role names, or use
   * path-less roles, when matching against configured role ARNs.
   */
  readonly principalArn: string;
}

/** Why a token was refused; stable codes for logs and tests. */
export type IdentityTokenErrorReason =
  | 'malformed'
  | 'wrong-prefix'
  | 'endpoint-not-allowed'
  | 'invalid-request'
  | 'lifetime-too-long'
  | 'audience-not-signed'
  | 'expired'
  | 'rejected-by-sts'
  | 'sts-unavailable'
  | 'invalid-sts-response';

/** A refused identity token. The message never contains the token. */
export class IdentityTokenError extends Error {
  constructor(
    public readonly reason: IdentityTokenErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'IdentityTokenError';
  }
}

/** Prefix of EKS tokens (aws-iam-authenticator v1). */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** Signed header carrying the EKS cluster name. */
export const EKS_AUDIENCE_HEADER = 'x-k8s-aws-id';
/** Prefix of gaiops service identity tokens. */
export const IDENTITY_TOKEN_PREFIX = 'gaiops-sts-v1.';
/** Signed header carrying the audience (the receiving service) of a gaiops identity token. */
export const IDENTITY_AUDIENCE_HEADER = 'x-gaiops-audience';
/** Lifetime of the presigned URL, as `aws eks get-token` uses: 60 s of URL validity (EKS accepts the token for 15 min). */
export const TOKEN_URL_EXPIRES_SECONDS = 60;
/** Longest URL lifetime a verifier accepts. */
export const MAX_TOKEN_URL_EXPIRES_SECONDS = 900;

const STS_VERSION = '2011-06-15';
const MAX_TOKEN_LENGTH = 8192;
/** Query parameters a GetCallerIdentity presigned URL may carry (as aws-iam-authenticator allows). */
const ALLOWED_QUERY = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

interface SignOptions {
  readonly region: string;
  readonly credentials: CredentialSource;
  readonly now?: Date;
  /** Default `https://sts.<region>.amazonaws.com`. */
  readonly stsEndpoint?: string;
}

/**
 * EKS bearer token: `k8s-aws-v1.` + base64url (no padding) of a presigned STS GetCallerIdentity
 * URL (`X-Amz-Expires=60`) whose signed headers include `x-k8s-aws-id: <clusterName>` — the
 * format of aws-iam-authenticator and `aws eks get-token`. EKS accepts it for 15 minutes from
 * `now`.
 */
export function eksToken(o: { clusterName: string } & SignOptions): Promise<string> {
  return presignedToken(EKS_TOKEN_PREFIX, EKS_AUDIENCE_HEADER, o.clusterName, o);
}

/**
 * A gaiops service identity token: the same mechanism as `eksToken` with prefix `gaiops-sts-v1.`
 * and signed header `x-gaiops-audience: <audience>`. Send it as `Authorization: Bearer <token>`;
 * the receiving service checks it with `verifyIdentityToken` and its own audience.
 */
export function identityToken(o: { audience: string } & SignOptions): Promise<string> {
  return presignedToken(IDENTITY_TOKEN_PREFIX, IDENTITY_AUDIENCE_HEADER, o.audience, o);
}

async function presignedToken(prefix: string, header: string, audience: string, o: SignOptions): Promise<string> {
  if (audience.trim() === '' || /[\r\n]/.test(audience)) throw new Error(`${header} value must be a non-empty single line`);
  const endpoint = new URL(o.stsEndpoint ?? `https://sts.${o.region}.amazonaws.com`);
  const signer = new SignatureV4({
    service: 'sts',
    region: o.region,
    credentials: typeof o.credentials === 'function' ? o.credentials : async () => o.credentials as AwsCredentialsLike,
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: STS_VERSION },
      headers: { host: endpoint.host, [header]: audience },
    },
    { expiresIn: TOKEN_URL_EXPIRES_SECONDS, signingDate: o.now ?? new Date() },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([name, value]) => `${rfc3986(name)}=${rfc3986(String(value))}`)
    .join('&');
  const url = `${endpoint.protocol}//${endpoint.host}/?${query}`;
  return prefix + Buffer.from(url, 'utf8').toString('base64url');
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Options of `verifyIdentityToken`. */
export interface VerifyIdentityTokenOptions {
  /** This service's audience; must equal the one the token was minted for. */
  readonly audience: string;
  /** Region of the default STS endpoint. */
  readonly region: string;
  /**
   * STS endpoints the token's URL may point to: host names (HTTPS implied) or origins
   * (`http://127.0.0.1:4566` for tests). Default `sts.<region>.amazonaws.com` and
   * `sts.amazonaws.com`.
   */
  readonly allowedEndpoints?: readonly string[];
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** STS call timeout. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Clock for the local expiry check. Default `new Date()`. */
  readonly now?: () => Date;
}

/**
 * Checks a `gaiops-sts-v1.` token: decodes it, checks the prefix, that the URL targets an allowed
 * STS endpoint with `Action=GetCallerIdentity`, `X-Amz-Expires` ≤ 900 and not yet expired, and
 * that `x-gaiops-audience` is a signed header; then performs the GET with
 * `x-gaiops-audience: <audience>` and `Accept: application/json` and returns the caller. Throws
 * `IdentityTokenError` (with a `reason`) for anything invalid; the token never appears in messages.
 */
export function verifyIdentityToken(token: string, o: VerifyIdentityTokenOptions): Promise<VerifiedIdentity> {
  return verifyPresignedToken(token, IDENTITY_TOKEN_PREFIX, IDENTITY_AUDIENCE_HEADER, o);
}

/** The same checks for an EKS token (`k8s-aws-v1.`, `x-k8s-aws-id: <audience = cluster name>`). */
export function verifyEksToken(token: string, o: VerifyIdentityTokenOptions): Promise<VerifiedIdentity> {
  return verifyPresignedToken(token, EKS_TOKEN_PREFIX, EKS_AUDIENCE_HEADER, o);
}

async function verifyPresignedToken(token: string, prefix: string, header: string, o: VerifyIdentityTokenOptions): Promise<VerifiedIdentity> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new IdentityTokenError('malformed', 'identity token is empty or too long');
  }
  if (!token.startsWith(prefix)) throw new IdentityTokenError('wrong-prefix', `identity token must start with '${prefix}'`);
  const encoded = token.slice(prefix.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new IdentityTokenError('malformed', 'identity token is not base64url');
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new IdentityTokenError('malformed', 'identity token does not contain a URL');
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') throw new IdentityTokenError('malformed', 'identity token URL has credentials or a fragment');
  const allowed = (o.allowedEndpoints ?? [`sts.${o.region}.amazonaws.com`, 'sts.amazonaws.com']).map(toOrigin);
  if (!allowed.includes(url.origin)) throw new IdentityTokenError('endpoint-not-allowed', `identity token targets a host that is not an allowed STS endpoint: ${url.host}`);
  if (url.pathname !== '/') throw new IdentityTokenError('invalid-request', 'identity token URL path must be /');

  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    const key = name.toLowerCase();
    if (!ALLOWED_QUERY.has(key)) throw new IdentityTokenError('invalid-request', `identity token URL has an unexpected query parameter '${name}'`);
    if (params.has(key)) throw new IdentityTokenError('invalid-request', `identity token URL repeats query parameter '${name}'`);
    params.set(key, value);
  }
  if (params.get('action') !== 'GetCallerIdentity') throw new IdentityTokenError('invalid-request', 'identity token URL action must be GetCallerIdentity');
  for (const required of ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires', 'x-amz-signature', 'x-amz-signedheaders']) {
    if (!params.get(required)) throw new IdentityTokenError('invalid-request', `identity token URL lacks ${required}`);
  }
  const expires = params.get('x-amz-expires')!;
  if (!/^\d{1,6}$/.test(expires) || Number(expires) > MAX_TOKEN_URL_EXPIRES_SECONDS) {
    throw new IdentityTokenError('lifetime-too-long', `identity token lifetime must be at most ${MAX_TOKEN_URL_EXPIRES_SECONDS} s`);
  }
  const signedHeaders = params.get('x-amz-signedheaders')!.toLowerCase().split(';');
  if (!signedHeaders.includes(header)) throw new IdentityTokenError('audience-not-signed', `identity token does not sign the ${header} header`);
  const signedAt = parseAmzDate(params.get('x-amz-date')!);
  if (signedAt === undefined) throw new IdentityTokenError('invalid-request', 'identity token URL has an invalid X-Amz-Date');
  const now = (o.now ?? (() => new Date()))().getTime();
  if (now > signedAt + Number(expires) * 1000) throw new IdentityTokenError('expired', 'identity token has expired');

  const fetchImpl = o.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'GET',
      headers: { [header]: o.audience, accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(o.timeoutMs ?? 5_000),
    });
  } catch (error) {
    throw new IdentityTokenError('sts-unavailable', `STS GetCallerIdentity failed: ${error instanceof Error ? error.name : 'error'}`);
  }
  const text = await response.text().catch(() => '');
  if (response.status === 403 || response.status === 400 || response.status === 401) {
    throw new IdentityTokenError('rejected-by-sts', `STS refused the identity token (HTTP ${response.status}${stsErrorCode(text)})`);
  }
  if (response.status !== 200) throw new IdentityTokenError('sts-unavailable', `STS GetCallerIdentity answered HTTP ${response.status}`);
  return parseCallerIdentity(text);
}

function toOrigin(endpoint: string): string {
  return (endpoint.includes('://') ? new URL(endpoint) : new URL(`https://${endpoint}`)).origin;
}

/** `20260101T120000Z` → epoch ms. */
function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

function stsErrorCode(text: string): string {
  try {
    const code = (JSON.parse(text) as { Error?: { Code?: unknown } }).Error?.Code;
    return typeof code === 'string' && /^[A-Za-z]{1,64}$/.test(code) ? `, ${code}` : '';
  } catch {
    const m = /<Code>([A-Za-z]{1,64})<\/Code>/.exec(text);
    return m ? `, ${m[1]}` : '';
  }
}

function parseCallerIdentity(text: string): VerifiedIdentity {
  let result: { Arn?: unknown; Account?: unknown; UserId?: unknown } | undefined;
  try {
    result = (JSON.parse(text) as { GetCallerIdentityResponse?: { GetCallerIdentityResult?: typeof result } }).GetCallerIdentityResponse?.GetCallerIdentityResult;
  } catch {
    result = undefined;
  }
  const { Arn: arn, Account: account, UserId: userId } = result ?? {};
  if (typeof arn !== 'string' || typeof account !== 'string' || typeof userId !== 'string' || !/^arn:[a-z-]+:(sts|iam)::\d{12}:/.test(arn)) {
    throw new IdentityTokenError('invalid-sts-response', 'STS GetCallerIdentity returned an unexpected body');
  }
  return { arn, account, userId, principalArn: principalArnOf(arn) };
}

/**
 * `arn:<p>:sts::<a>:assumed-role/<R>/<session>` → `arn:<p>:iam::<a>:role/<R>`; anything else is
 * returned unchanged. The role's path is not recoverable from an STS ARN.
 */
export function principalArnOf(arn: string): string {
  const m = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}

/**
 * The AWS SDK v3 default credential chain as a `CredentialSource` (environment, container / Pod
 * Identity, web identity, shared config, IMDS), resolved lazily through an S3 client's
 * `config.credentials()` — the SDK caches temporary credentials and refreshes them before expiry.
 * In Lambda the SDK is provided by the runtime; container bundles include it.
 */
export function defaultCredentials(): () => Promise<AwsCredentialsLike> {
  let provider: Promise<() => Promise<AwsCredentialsLike>> | undefined;
  return async () => {
    provider ??= import('@aws-sdk/client-s3').then(({ S3Client }) => {
      const client = new S3Client({});
      return () => client.config.credentials();
    });
    return (await provider)();
  };
}
