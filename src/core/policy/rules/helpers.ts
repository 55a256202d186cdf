import type { IamStatement, RuleContext, SynthResource } from '../types';

/** A nested configuration block as synthesized. */
export type Block = Readonly<Record<string, unknown>>;

/**
 * Normalises a nested block to a list: cdktf synthesizes a block as an object or as an array of
 * objects (a one-element array for single blocks), and leaves it out when unset.
 */
export function blocks(value: unknown): Block[] {
  const items = Array.isArray(value) ? value : [value];
  return items.filter((v): v is Block => v !== null && typeof v === 'object' && !Array.isArray(v));
}

/** The first (usually only) block of a nested block attribute. */
export function firstBlock(value: unknown): Block | undefined {
  return blocks(value)[0];
}

/** A boolean attribute that is true (`true`, or the string `"true"`). */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** An attribute that has a value: a non-blank string, a number, a boolean, a non-empty list or object. */
export function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** A string holding a `${…}` Terraform expression (a value known only at apply time). */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.includes('${');
}

/** A numeric attribute as a number; `undefined` when unset or an expression. */
export function numberValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !isExpression(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** `"value"` for messages; `(unset)` when absent. */
export function show(value: unknown): string {
  return value === undefined || value === null ? '(unset)' : JSON.stringify(value);
}

/** True when the resource has `lifecycle { prevent_destroy = true }`. */
export function hasPreventDestroy(resource: SynthResource): boolean {
  return blocks(resource.config.lifecycle).some((l) => isTrue(l.prevent_destroy));
}

/** A KMS key reference naming an AWS-managed key (`alias/aws/s3`, `arn:…:alias/aws/sqs`), not a customer-managed one. */
export function isAwsManagedKeyRef(value: unknown): boolean {
  return typeof value === 'string' && /(^|:)alias\/aws\//.test(value);
}

/**
 * Problems with an attribute that must name a customer-managed KMS key (`attribute` is its name in
 * messages, `fallback` what the service uses when it is unset); empty when it does.
 */
export function customerManagedKeyProblems(value: unknown, attribute: string, fallback: string): string[] {
  if (!isSet(value)) return [`${attribute} is not set, so ${fallback} is used`];
  if (isAwsManagedKeyRef(value)) return [`${attribute} is the AWS-managed key ${show(value)}, not a customer-managed key`];
  return [];
}

/**
 * How companion resources point at a target: `attribute` of a resource of `type` holds a
 * `${<target address>.…}` reference or, when `targetAttribute` is given, the same value as the
 * target's own `targetAttribute` (say, a bucket name written out instead of referenced).
 */
export interface Relation {
  readonly type: string;
  readonly attribute: string;
  readonly targetAttribute?: string;
}

/** The resources related to `target` through `relation`. */
export function related(ctx: RuleContext, target: SynthResource, relation: Relation): SynthResource[] {
  const found = [...ctx.referencing(relation.type, relation.attribute, target)];
  const literal = relation.targetAttribute ? target.config[relation.targetAttribute] : undefined;
  if (typeof literal === 'string' && literal !== '') {
    for (const r of ctx.resourcesOfType(relation.type)) {
      if (r.config[relation.attribute] === literal && !found.includes(r)) found.push(r);
    }
  }
  return found;
}

/**
 * Checks a resource's companion resources (e.g. the `aws_s3_bucket_versioning` of a bucket):
 * compliant when at least one companion has no problems. Otherwise returns `missing` when there is
 * no companion, or each companion's problems prefixed with its address.
 */
export function checkCompanions(
  ctx: RuleContext,
  target: SynthResource,
  relation: Relation,
  missing: string,
  problemsOf: (companion: SynthResource) => readonly string[],
): string[] {
  const companions = related(ctx, target, relation);
  if (companions.length === 0) return [missing];
  const problems = companions.map((c) => problemsOf(c).map((p) => `${c.address}: ${p}`));
  return problems.some((p) => p.length === 0) ? [] : problems.flat();
}

/** How a statement is named in messages: `statement "Sid"` or `statement #2` (1-based). */
export function statementLabel(statement: IamStatement, index: number): string {
  return statement.sid ? `statement ${JSON.stringify(statement.sid)}` : `statement #${index + 1}`;
}

/** True when the statement names the anonymous/any principal (`"Principal": "*"`, `{"AWS": "*"}`, …). */
export function hasWildcardPrincipal(statement: IamStatement): boolean {
  return Object.values(statement.principals).some((ids) => ids.includes('*'));
}

/** True when the statement has at least one condition. */
export function hasCondition(statement: IamStatement): boolean {
  return Object.values(statement.conditions).some((vars) => Object.keys(vars).length > 0);
}

/** Values of a condition key (compared case-insensitively) under the given operators, or any operator when none are given. */
export function conditionValues(statement: IamStatement, key: string, operators?: readonly string[]): string[] {
  const out: string[] = [];
  for (const [operator, vars] of Object.entries(statement.conditions)) {
    if (operators && !operators.includes(operator)) continue;
    for (const [variable, values] of Object.entries(vars)) {
      if (variable.toLowerCase() === key.toLowerCase()) out.push(...values);
    }
  }
  return out;
}

/** True when some statement denies requests not made over TLS (`Deny` with `Bool` `aws:SecureTransport` = `"false"`). */
export function deniesInsecureTransport(statements: readonly IamStatement[]): boolean {
  return statements.some(
    (s) => s.effect === 'Deny' && conditionValues(s, 'aws:SecureTransport', ['Bool']).some((v) => v.toLowerCase() === 'false'),
  );
}

/**
 * The TLS-only check shared by resource policies (S3 bucket, SQS queue): the policies attached to a
 * resource must include a Deny on `aws:SecureTransport` = `"false"`. `sources` are the policy
 * attribute values with the name used for them in messages.
 */
export function tlsOnlyProblems(
  ctx: RuleContext,
  sources: readonly { readonly name: string; readonly value: unknown }[],
  noPolicy: string,
): string[] {
  const present = sources.filter((s) => isSet(s.value));
  if (present.length === 0) return [noPolicy];
  const unreadable: string[] = [];
  for (const source of present) {
    const statements = ctx.policyStatements(source.value);
    if (statements === undefined) unreadable.push(source.name);
    else if (deniesInsecureTransport(statements)) return [];
  }
  if (unreadable.length > 0) {
    return [
      `the policy in ${unreadable.join(', ')} cannot be read at synth (not literal JSON or a data.aws_iam_policy_document), so a Deny on aws:SecureTransport = "false" cannot be confirmed`,
    ];
  }
  return [
    `the policy in ${present.map((s) => s.name).join(', ')} has no Deny statement with condition Bool aws:SecureTransport = "false", so plain-HTTP requests are not refused`,
  ];
}

/** True when an IAM action pattern (wildcards `*` and `?`, case-insensitive) matches an action. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`, 'i').test(action);
}

/** True when an action contains a wildcard (`*` or `?`). */
export function isWildcardAction(action: string): boolean {
  return /[*?]/.test(action);
}

/** Quotes and joins values for messages: `"a", "b"`. */
export function quoteAll(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}
