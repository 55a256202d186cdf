/**
 * Caller identity and approver matching.
 *
 * - Deployed (`trustPrincipalHeader: false`): the principal is what the transport authenticated
 *   (API Gateway IAM authorizer `userArn`, see `lambda-http.ts`); the `x-gaiops-principal` header is
 *   ignored. No principal → 403 PERMISSION_DENIED.
 * - Dev/local (`trustPrincipalHeader: true`): `x-gaiops-principal` header, else the transport's
 *   principal, else `DEV_DEFAULT_PRINCIPAL`.
 *
 * Approvers: an STS assumed-role session `arn:<p>:sts::<acct>:assumed-role/<RoleName>/<session>`
 * is matched to the IAM role `arn:<p>:iam::<acct>:role/[<path>/]<RoleName>`. Assumed-role ARNs do
 * not carry the role path, but role names are unique within an account whatever their path, so
 * comparing partition, account and the role name (the last segment of the role ARN) is exact.
 */
import type { HttpRequest } from '../../core/runtime/http-app';
import type { RegistryConfig } from '../registry-config';
import { permissionDenied } from './errors';

export const PRINCIPAL_HEADER = 'x-gaiops-principal';
export const DEV_DEFAULT_PRINCIPAL = 'arn:aws:sts::000000000000:assumed-role/gaiops-dev/local';
const MAX_PRINCIPAL_LENGTH = 2048;

/** The caller of `request`, or a 403 PERMISSION_DENIED when there is none. */
export function resolvePrincipal(request: Pick<HttpRequest, 'headers' | 'principal'>, config: Pick<RegistryConfig, 'trustPrincipalHeader'>): string {
  let principal: string | undefined;
  if (config.trustPrincipalHeader) {
    const header = request.headers[PRINCIPAL_HEADER]?.trim();
    principal = header || request.principal?.trim() || DEV_DEFAULT_PRINCIPAL;
  } else {
    principal = request.principal?.trim();
  }
  if (!principal) throw permissionDenied('The request carries no authenticated caller identity.');
  if (principal.length > MAX_PRINCIPAL_LENGTH || /[\u0000-\u001f\u007f]/.test(principal)) {
    throw permissionDenied('The caller identity is malformed.');
  }
  return principal;
}

export interface AssumedRoleSession {
  readonly partition: string;
  readonly account: string;
  readonly roleName: string;
  readonly sessionName: string;
}

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/;
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\u0021-\u007e]*\/)?([\w+=,.@-]{1,64})$/;

/** Parses an STS assumed-role ARN; `undefined` for anything else (IAM users, root, callerIds...). */
export function parseAssumedRole(arn: string): AssumedRoleSession | undefined {
  const m = ASSUMED_ROLE.exec(arn);
  return m ? { partition: m[1], account: m[2], roleName: m[3], sessionName: m[4] } : undefined;
}

/** The IAM role ARN (without path) a session belongs to, e.g. `arn:aws:iam::1:role/Approver`. */
export function roleArnOfSession(arn: string): string | undefined {
  const session = parseAssumedRole(arn);
  return session ? `arn:${session.partition}:iam::${session.account}:role/${session.roleName}` : undefined;
}

/** True when `principal` is a session of one of `approverRoleArns` (paths are ignored, see above). */
export function isApprover(principal: string, approverRoleArns: readonly string[]): boolean {
  const session = parseAssumedRole(principal);
  if (!session) return false;
  return approverRoleArns.some((roleArn) => {
    const m = ROLE_ARN.exec(roleArn);
    return m !== null && m[1] === session.partition && m[2] === session.account && m[3] === session.roleName;
  });
}

/**
 * True when two principals are (or may be) the same person, for the four-eyes rule: identical
 * ARNs, or sessions in the same account with the same session name (IAM Identity Center and most
 * federation setups put the user name in the session name, so one person switching from a
 * publisher role to an approver role is still caught).
 */
export function isSamePerson(a: string, b: string): boolean {
  if (a === b) return true;
  const sa = parseAssumedRole(a);
  const sb = parseAssumedRole(b);
  return sa !== undefined && sb !== undefined && sa.partition === sb.partition && sa.account === sb.account && sa.sessionName === sb.sessionName;
}

/**
 * True when two principals are the same caller: identical ARNs (after `resolvePrincipal`'s
 * trimming). Deliberately narrower than `isSamePerson`: it grants a right (withdrawing one's own
 * version), so another role or session of the same person does not count.
 */
export function isSamePrincipal(a: string, b: string): boolean {
  return a.trim() !== '' && a.trim() === b.trim();
}
