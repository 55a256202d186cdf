import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from './encryption-key';
import { Grant, type IGrantable, type IPrincipal } from './iam/grant';
import { Role } from './iam/role';
import { LambdaCode } from './lambda-code';
import { LogGroup } from './log-group';
import { PlatformContext } from './platform-context';
import { LogRetentionDaysSchema } from './platform-settings';
import { instanceOf, parseProps } from './props';
import { SecureQueue } from './secure-queue';
import { AssetType, TerraformAsset } from './tf';

/** Environment variable names Lambda reserves. */
const RESERVED_ENV = /^(AWS_.*|_HANDLER|_X_AMZN_TRACE_ID|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|TZ)$/;

export const NodeFunctionPropsSchema = z.strictObject({
  code: instanceOf(LambdaCode, 'LambdaCode').describe('The deployment package: `LambdaCode.fromRuntime(name)` or `LambdaCode.fromEntry(path)`.'),
  handler: z.string().regex(/^[A-Za-z0-9_.-]+\.[A-Za-z0-9_$]+$/).default('index.handler').describe('Handler export. Default `index.handler`.'),
  description: z.string().max(256).optional().describe('Function description. Default none.'),
  memorySize: z.number().int().min(128).max(10240).default(512).describe('Memory in MB. Default 512.'),
  timeoutSeconds: z.number().int().min(1).max(900).default(30).describe('Timeout in seconds. Default 30.'),
  reservedConcurrency: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Reserved concurrent executions (0 disables the function). Default unreserved (the account pool).'),
  environment: z
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a valid variable name').refine((k) => !RESERVED_ENV.test(k), 'reserved by Lambda'),
      z.string(),
    )
    .default({})
    .describe('Environment variables, encrypted at rest with the function key. Never put secrets here: use Secrets Manager. Default none.'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
    .optional()
    .describe('Key for the environment, the log group and the dead-letter queue; must allow `logs`. Default a new EncryptionKey (`services: [\'logs\']`).'),
  logRetentionDays: LogRetentionDaysSchema.optional().describe("Log retention. Default the platform's `logRetentionDays`."),
  deadLetterQueue: instanceOf(SecureQueue, 'SecureQueue')
    .optional()
    .describe('Where failed asynchronous invocations go. Default a new SecureQueue (14-day retention).'),
  vpc: z
    .strictObject({
      subnetIds: z.array(z.string()).min(1),
      securityGroupIds: z.array(z.string()).min(1),
    })
    .optional()
    .describe('Run inside a VPC (private subnets and security groups). Default none.'),
});
export type NodeFunctionProps = z.input<typeof NodeFunctionPropsSchema>;

/**
 * A TypeScript handler deployed as a Lambda function: nodejs22.x on arm64, X-Ray active tracing,
 * JSON logs in its own encrypted log group with retention, an encrypted dead-letter queue,
 * environment encrypted with a customer-managed key, and its own role whose only permissions are
 * the ones granted (logging to its own log group, tracing, its queue and key, and what callers grant).
 */
export class NodeFunction extends Construct implements IGrantable {
  readonly resource: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly deadLetterQueue: SecureQueue;
  readonly encryptionKey: EncryptionKey;
  readonly functionName: string;
  readonly functionArn: string;
  readonly invokeArn: string;
  readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const p = parseProps(this, NodeFunctionPropsSchema, props);
    const ctx = PlatformContext.of(this);
    const name = ctx.physicalName('lambda', this);

    this.encryptionKey = p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: ['logs'] });
    this.role = new Role(this, 'ServiceRole', { assumedBy: ['lambda.amazonaws.com'], description: `Execution role of ${name}` });
    this.grantPrincipal = this.role;
    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${name}`,
      encryptionKey: this.encryptionKey,
      retentionDays: p.logRetentionDays,
    });
    this.deadLetterQueue = p.deadLetterQueue ?? new SecureQueue(this, 'DeadLetterQueue', { encryptionKey: this.encryptionKey });

    // What the function needs to run, and nothing else.
    Grant.addTo(this.role, [
      { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${this.logGroup.logGroupArn}:*`] },
      { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
    ]);
    this.encryptionKey.grantDecrypt(this.role, { encryptionContext: { LambdaFunctionName: name } });
    this.deadLetterQueue.grantSendMessages(this.role);
    if (p.vpc) this.grantVpcAccess(ctx, p.vpc);

    const asset = new TerraformAsset(this, 'Code', { path: p.code.zipPath, type: AssetType.FILE, assetHash: p.code.sha256 });
    this.resource = new LambdaFunction(this, 'Resource', {
      functionName: name,
      description: p.description,
      role: this.role.roleArn,
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: p.handler,
      filename: asset.path,
      sourceCodeHash: p.code.sha256Base64,
      memorySize: p.memorySize,
      timeout: p.timeoutSeconds,
      reservedConcurrentExecutions: p.reservedConcurrency,
      kmsKeyArn: this.encryptionKey.keyArn,
      environment: { variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: name, ...p.environment } },
      tracingConfig: { mode: 'Active' },
      deadLetterConfig: { targetArn: this.deadLetterQueue.queueArn },
      loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.logGroupName, applicationLogLevel: 'INFO', systemLogLevel: 'WARN' },
      vpcConfig: p.vpc ? { subnetIds: p.vpc.subnetIds, securityGroupIds: p.vpc.securityGroupIds } : undefined,
      // The log group and the permissions exist before the first invocation.
      dependsOn: [this.logGroup.resource, ...this.role.dependables],
    });
    this.functionName = this.resource.functionName;
    this.functionArn = this.resource.arn;
    this.invokeArn = this.resource.invokeArn;
  }

  /** Invoke this function. */
  grantInvoke(grantee: IGrantable): Grant {
    return Grant.addTo(grantee, [{ actions: ['lambda:InvokeFunction'], resources: [this.functionArn] }]);
  }

  private grantVpcAccess(ctx: PlatformContext, vpc: { subnetIds: string[]; securityGroupIds: string[] }): void {
    const eni = ctx.arn('ec2', 'network-interface/*');
    Grant.addTo(this.role, [
      {
        actions: ['ec2:CreateNetworkInterface'],
        resources: [
          eni,
          ...vpc.subnetIds.map((s) => ctx.arn('ec2', `subnet/${s}`)),
          ...vpc.securityGroupIds.map((g) => ctx.arn('ec2', `security-group/${g}`)),
        ],
      },
      { actions: ['ec2:AssignPrivateIpAddresses', 'ec2:DeleteNetworkInterface', 'ec2:UnassignPrivateIpAddresses'], resources: [eni] },
      { actions: ['ec2:DescribeNetworkInterfaces'], resources: ['*'] },
    ]);
  }
}
