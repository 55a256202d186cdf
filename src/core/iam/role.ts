import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';
import { z } from 'zod';
import { PlatformContext } from '../platform-context';
import { parseProps } from '../props';
import type { TerraformResource } from '../tf';
import type { IGrantable, IPrincipal } from './grant';
import { PolicyDocument } from './policy-document';
import { renderPolicy, type PolicyStatement } from './policy-statement';

/** One inline policy on a role, rendered at synth from the statements granted. */
class InlinePolicy extends Construct {
  readonly document = new PolicyDocument('identity');
  readonly resource: IamRolePolicy;

  constructor(scope: Construct, id: string, roleName: string, policyName: string) {
    super(scope, id);
    this.resource = new IamRolePolicy(this, 'Resource', { name: policyName, role: roleName, policy: this.document.toJsonLazy() });
  }
}

export const RolePropsSchema = z.strictObject({
  assumedBy: z
    .array(z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/, 'must be a service principal such as lambda.amazonaws.com'))
    .min(1)
    .describe('Service principals allowed to assume the role (sts:AssumeRole), e.g. `lambda.amazonaws.com`.'),
  description: z.string().max(1000).optional().describe('Role description. Default none.'),
  maxSessionDurationSeconds: z
    .number()
    .int()
    .min(3600)
    .max(43200)
    .default(3600)
    .describe('Maximum session duration. Default 3600 (one hour).'),
  permissionsBoundaryArn: z.string().optional().describe('Permissions boundary policy ARN. Default none.'),
  trustActions: z
    .array(z.enum(['sts:AssumeRole', 'sts:TagSession']))
    .min(1)
    .default(['sts:AssumeRole'])
    .describe(
      'Actions the trust policy allows the service principals. Default `["sts:AssumeRole"]`; EKS Pod Identity (`pods.eks.amazonaws.com`) needs `["sts:AssumeRole", "sts:TagSession"]`.',
    ),
});
export type RoleProps = z.input<typeof RolePropsSchema>;

/**
 * An IAM role for a service, trusted by exactly the given service principals and with no
 * permissions until something grants them: its only policy is the inline policy the grants build.
 * No managed policies are ever attached.
 */
export class Role extends Construct implements IGrantable, IPrincipal {
  /** Wraps an existing role (by name and ARN) so grants can add a gaiops-owned inline policy to it. */
  static fromRoleName(scope: Construct, id: string, roleName: string, roleArn: string): IGrantable & IPrincipal {
    return new ImportedRole(scope, id, roleName, roleArn);
  }

  readonly resource: IamRole;
  readonly roleArn: string;
  readonly roleName: string;
  readonly grantPrincipal: IPrincipal = this;
  private policy?: InlinePolicy;

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id);
    const p = parseProps(this, RolePropsSchema, props);
    const ctx = PlatformContext.of(this);
    this.resource = new IamRole(this, 'Resource', {
      name: ctx.physicalName('iam-role', this),
      description: p.description,
      maxSessionDuration: p.maxSessionDurationSeconds,
      permissionsBoundary: p.permissionsBoundaryArn,
      assumeRolePolicy: renderPolicy([
        {
          actions: [...new Set(p.trustActions)].sort(),
          principals: { Service: [...p.assumedBy].sort() },
          resources: [],
        },
      ]),
    });
    this.roleArn = this.resource.arn;
    this.roleName = this.resource.name;
  }

  addToPrincipalPolicy(statement: PolicyStatement): void {
    this.policy ??= new InlinePolicy(this, 'Policy', this.roleName, 'gaiops-grants');
    this.policy.document.add(statement);
  }

  /** The role and its policy: what a resource that must start with these permissions depends on. */
  get dependables(): TerraformResource[] {
    return [this.resource, ...(this.policy ? [this.policy.resource] : [])];
  }

  /** The statements granted so far (merged), for inspection and tests. */
  get statements(): readonly PolicyStatement[] {
    return this.policy?.document.statements ?? [];
  }
}

class ImportedRole extends Construct implements IGrantable, IPrincipal {
  readonly grantPrincipal: IPrincipal = this;
  private policy?: InlinePolicy;

  constructor(
    scope: Construct,
    id: string,
    readonly roleName: string,
    readonly roleArn: string,
  ) {
    super(scope, id);
  }

  addToPrincipalPolicy(statement: PolicyStatement): void {
    const ctx = PlatformContext.of(this);
    this.policy ??= new InlinePolicy(this, 'Policy', this.roleName, ctx.physicalName('iam-policy', this));
    this.policy.document.add(statement);
  }
}
