import type { IamStatement, PolicyRule, RuleContext, SynthResource } from '../types';
import {
  actionMatches,
  blocks,
  conditionValues,
  hasWildcardPrincipal,
  isWildcardAction,
  quoteAll,
  show,
  statementLabel,
} from './helpers';
import { isUnscopableAction } from './unscopable-actions';

/** Resources that carry identity policies: standalone and inline policies, and roles' inline_policy blocks. */
export const IDENTITY_POLICY_TYPES = [
  'aws_iam_policy',
  'aws_iam_role_policy',
  'aws_iam_user_policy',
  'aws_iam_group_policy',
  'aws_iam_role',
] as const;

/**
 * The statements of the identity policies on a resource (`policy`, or a role's `inline_policy`
 * blocks), each with how messages name it. Policies that cannot be read at synth are skipped.
 */
function identityStatements(resource: SynthResource, ctx: RuleContext): { statement: IamStatement; label: string }[] {
  const documents =
    resource.type === 'aws_iam_role'
      ? blocks(resource.config.inline_policy).map((b) => ({ prefix: `inline_policy ${show(b.name)} `, value: b.policy }))
      : [{ prefix: '', value: resource.config.policy }];
  return documents.flatMap(({ prefix, value }) =>
    (ctx.policyStatements(value) ?? []).map((statement, i) => ({ statement, label: `${prefix}${statementLabel(statement, i)}` })),
  );
}

/** A check over each Allow statement of a resource's identity policies; messages are prefixed with the statement's label. */
function eachAllowStatement(problemsOf: (s: IamStatement) => string[]): PolicyRule['check'] {
  return (resource, ctx) =>
    identityStatements(resource, ctx)
      .filter(({ statement }) => statement.effect === 'Allow')
      .flatMap(({ statement, label }) => problemsOf(statement).map((p) => `${label} ${p}`));
}

/** `*` or `<service>:*`. */
function isFullWildcard(action: string): boolean {
  return action === '*' || /^[^:*?]+:\*$/.test(action);
}

/** A resource ARN pattern with a wildcard outside `${…}` expressions. */
function hasWildcardResource(resource: string): boolean {
  return /[*?]/.test(resource.replace(/\$\{[^}]*\}/g, ''));
}

export const iamNoServiceWildcardActions: PolicyRule = {
  id: 'GAI-IAM-001',
  severity: 'error',
  title: 'Identity policies do not allow "*" or "<service>:*" actions',
  rationale: 'A service-wide wildcard grants every current and future action of the service, including destructive and permission-changing ones.',
  fix: 'List the exact actions the principal needs; the grant… methods of gaiops constructs (e.g. SecureBucket.grantRead) write least-privilege statements for a Role.',
  appliesTo: IDENTITY_POLICY_TYPES,
  check: eachAllowStatement((s) =>
    s.actions
      .filter(isFullWildcard)
      .map((a) => `allows ${show(a)} (${a === '*' ? 'every action of every service' : `every ${a.split(':')[0]} action`})`),
  ),
};

export const iamNoPartialWildcardActions: PolicyRule = {
  id: 'GAI-IAM-002',
  severity: 'error',
  title: 'Identity policies allow exact actions only (no partial wildcards such as "s3:Get*")',
  rationale: 'A partial wildcard grows silently as AWS adds matching actions, and usually grants more than the principal uses (s3:Get* includes s3:GetBucketPolicy and every object version).',
  fix: 'Replace each wildcard with the exact actions needed, e.g. s3:GetObject instead of s3:Get*; gaiops grant… methods use exact actions.',
  appliesTo: IDENTITY_POLICY_TYPES,
  check: eachAllowStatement((s) =>
    s.actions.filter((a) => isWildcardAction(a) && !isFullWildcard(a)).map((a) => `allows the wildcard action ${show(a)}`),
  ),
};

export const iamNoWildcardResource: PolicyRule = {
  id: 'GAI-IAM-003',
  severity: 'error',
  title: 'Identity policies do not allow actions on Resource "*" unless the actions support no resource-level permissions',
  rationale: 'Resource "*" applies the actions to every resource of the account, present and future; only actions that cannot be scoped (such as xray:PutTraceSegments) need it.',
  fix: 'Scope Resource to the ARNs the principal needs (e.g. the bucket ARN and "<bucket ARN>/*"); keep "*" only for actions on the unscopable list (src/core/policy/rules/unscopable-actions.ts), in a statement of their own.',
  appliesTo: IDENTITY_POLICY_TYPES,
  check: eachAllowStatement((s) => {
    if (!s.resources.includes('*')) return [];
    const scopable = s.actions.filter((a) => !isUnscopableAction(a));
    return scopable.length > 0 ? [`allows ${quoteAll(scopable)} on Resource "*"`] : [];
  }),
};

export const iamPassRoleScoped: PolicyRule = {
  id: 'GAI-IAM-004',
  severity: 'error',
  title: 'iam:PassRole is allowed only on named roles and with an iam:PassedToService condition',
  rationale:
    'iam:PassRole on any role lets the principal hand a more privileged role to a service it controls and so escalate its own privileges.',
  fix: 'Allow iam:PassRole only on the exact role ARNs to pass, with Condition { StringEquals: { "iam:PassedToService": "<service>.amazonaws.com" } }.',
  appliesTo: IDENTITY_POLICY_TYPES,
  check: eachAllowStatement((s) => {
    if (!s.actions.some((a) => actionMatches(a, 'iam:PassRole'))) return [];
    const problems = s.resources
      .filter(hasWildcardResource)
      .map((r) => (r === '*' ? 'allows iam:PassRole on Resource "*"' : `allows iam:PassRole on the wildcard role pattern ${show(r)}`));
    if (conditionValues(s, 'iam:PassedToService').length === 0) {
      problems.push('allows iam:PassRole without an iam:PassedToService condition');
    }
    return problems;
  }),
};

/** Attributes holding managed policy ARNs, by resource type. */
const POLICY_ARN_ATTRIBUTES: Readonly<Record<string, string>> = {
  aws_iam_role_policy_attachment: 'policy_arn',
  aws_iam_user_policy_attachment: 'policy_arn',
  aws_iam_group_policy_attachment: 'policy_arn',
  aws_iam_policy_attachment: 'policy_arn',
  aws_iam_role: 'managed_policy_arns',
  aws_iam_role_policy_attachments_exclusive: 'policy_arns',
  aws_iam_user_policy_attachments_exclusive: 'policy_arns',
  aws_iam_group_policy_attachments_exclusive: 'policy_arns',
};

/** The name of an over-broad AWS-managed policy an ARN names, or undefined. */
function overBroadManagedPolicy(arn: string): string | undefined {
  const name = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
  if (!name) return undefined;
  return name.startsWith('AdministratorAccess') || name === 'PowerUserAccess' || name.includes('FullAccess') ? name : undefined;
}

export const iamNoBroadManagedPolicies: PolicyRule = {
  id: 'GAI-IAM-005',
  severity: 'error',
  title: 'No administrator, power-user or *FullAccess AWS-managed policy is attached',
  rationale: 'These AWS-managed policies grant whole services (or everything) on every resource, and AWS can widen them at any time.',
  fix: 'Detach the managed policy and grant the exact actions on the exact resources instead; gaiops Role never attaches managed policies and builds its inline policy from grants.',
  appliesTo: Object.keys(POLICY_ARN_ATTRIBUTES),
  check: (resource) => {
    const attribute = POLICY_ARN_ATTRIBUTES[resource.type];
    const value = resource.config[attribute];
    const arns = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    return arns.flatMap((arn) => {
      const name = overBroadManagedPolicy(arn);
      return name ? [`${attribute} attaches the AWS-managed policy ${show(name)} (${arn})`] : [];
    });
  },
};

export const iamNoNotActionOrNotResource: PolicyRule = {
  id: 'GAI-IAM-006',
  severity: 'error',
  title: 'Identity policies do not allow with NotAction or NotResource',
  rationale: 'An Allow with NotAction or NotResource grants everything except a list, including actions and resources that do not exist yet.',
  fix: 'Rewrite the statement with Action and Resource listing exactly what is allowed; use a separate Deny statement to carve out exceptions.',
  appliesTo: IDENTITY_POLICY_TYPES,
  check: eachAllowStatement((s) => [
    ...(s.notActions.length > 0 ? [`allows with NotAction ${quoteAll(s.notActions)}`] : []),
    ...(s.notResources.length > 0 ? [`allows with NotResource ${quoteAll(s.notResources)}`] : []),
  ]),
};

export const iamNoPublicTrust: PolicyRule = {
  id: 'GAI-IAM-007',
  severity: 'error',
  title: 'Role trust policies do not trust any principal ("*")',
  rationale: 'A trust policy allowing Principal "*" (or AWS "*") lets any AWS account, anyone\'s credentials, assume the role.',
  fix: 'Trust named principals only in assume_role_policy: service principals such as lambda.amazonaws.com (gaiops Role\'s assumedBy) or specific account or role ARNs.',
  appliesTo: ['aws_iam_role'],
  check: (role, ctx) =>
    (ctx.policyStatements(role.config.assume_role_policy) ?? []).flatMap((s, i) =>
      s.effect === 'Allow' && hasWildcardPrincipal(s)
        ? [`assume_role_policy ${statementLabel(s, i)} trusts principal "*", so any AWS principal can assume the role`]
        : [],
    ),
};

export const IAM_RULES: readonly PolicyRule[] = [
  iamNoServiceWildcardActions,
  iamNoPartialWildcardActions,
  iamNoWildcardResource,
  iamPassRoleScoped,
  iamNoBroadManagedPolicies,
  iamNoNotActionOrNotResource,
  iamNoPublicTrust,
];
