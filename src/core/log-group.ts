import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from './encryption-key';
import { PlatformContext } from './platform-context';
import { LogRetentionDaysSchema } from './platform-settings';
import { instanceOf, parseProps } from './props';

export const LogGroupPropsSchema = z.strictObject({
  logGroupName: z
    .string()
    .regex(/^[A-Za-z0-9._/#-]{1,512}$/, 'must be 1-512 letters, digits, or . _ / # -')
    .optional()
    .describe('Log group name. Default `/<prefix>-<environment>-<construct path>`.'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
    .describe('KMS key encrypting the log data; must allow the `logs` service (EncryptionKey `services: [\'logs\']`).'),
  retentionDays: LogRetentionDaysSchema.optional().describe("Retention in days. Default the platform's `logRetentionDays` (365)."),
});
export type LogGroupProps = z.input<typeof LogGroupPropsSchema>;

/** A CloudWatch log group with retention and a customer-managed key. */
export class LogGroup extends Construct {
  readonly resource: CloudwatchLogGroup;
  readonly logGroupName: string;
  /** ARN without the trailing `:*` (a token). */
  readonly logGroupArn: string;

  constructor(scope: Construct, id: string, props: LogGroupProps) {
    super(scope, id);
    const p = parseProps(this, LogGroupPropsSchema, props);
    const ctx = PlatformContext.of(this);
    this.resource = new CloudwatchLogGroup(this, 'Resource', {
      name: p.logGroupName ?? `/${ctx.physicalName('log-group', this)}`,
      retentionInDays: p.retentionDays ?? ctx.settings.logRetentionDays,
      kmsKeyId: p.encryptionKey.keyArn,
    });
    this.logGroupName = this.resource.name;
    this.logGroupArn = this.resource.arn;
  }
}
