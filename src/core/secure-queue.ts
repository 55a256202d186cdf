import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from './encryption-key';
import { Grant, type IGrantable } from './iam/grant';
import { PolicyDocument } from './iam/policy-document';
import type { PolicyStatement } from './iam/policy-statement';
import { PlatformContext } from './platform-context';
import { instanceOf, instanceOfLater, parseProps } from './props';

export const SecureQueuePropsSchema = z.strictObject({
  queueName: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/).optional().describe('Queue name. Default `<prefix>-<environment>-<construct path>`.'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey').describe('KMS key for server-side encryption (SSE-KMS).'),
  retentionSeconds: z.number().int().min(60).max(1_209_600).default(1_209_600).describe('Message retention. Default 14 days (the maximum).'),
  visibilityTimeoutSeconds: z.number().int().min(0).max(43_200).default(30).describe('Visibility timeout. Default 30 s.'),
  deadLetter: z
    .strictObject({ queue: instanceOfLater(() => SecureQueue, 'SecureQueue'), maxReceiveCount: z.number().int().min(1).max(1000).default(5) })
    .optional()
    .describe('Redrive to a dead-letter queue after `maxReceiveCount` receives (default 5). Default none.'),
});
export type SecureQueueProps = z.input<typeof SecureQueuePropsSchema>;

/** An SQS queue encrypted with a customer-managed key, with a TLS-only queue policy and optional redrive. */
export class SecureQueue extends Construct {
  readonly resource: SqsQueue;
  readonly queueArn: string;
  readonly queueUrl: string;
  readonly queueName: string;
  readonly encryptionKey: EncryptionKey;
  /** The queue this one redrives to, when configured. */
  readonly deadLetterQueue?: SecureQueue;
  /** The queue policy: resources that need it in place first (e.g. an S3 notification) depend on it. */
  readonly policyResource: SqsQueuePolicy;
  private readonly policy = new PolicyDocument('resource');

  constructor(scope: Construct, id: string, props: SecureQueueProps) {
    super(scope, id);
    const p = parseProps(this, SecureQueuePropsSchema, props);
    const ctx = PlatformContext.of(this);
    this.encryptionKey = p.encryptionKey;
    this.deadLetterQueue = p.deadLetter?.queue;
    this.resource = new SqsQueue(this, 'Resource', {
      name: p.queueName ?? ctx.physicalName('sqs', this),
      kmsMasterKeyId: p.encryptionKey.keyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: p.retentionSeconds,
      visibilityTimeoutSeconds: p.visibilityTimeoutSeconds,
      redrivePolicy: p.deadLetter
        ? JSON.stringify({ deadLetterTargetArn: p.deadLetter.queue.queueArn, maxReceiveCount: p.deadLetter.maxReceiveCount })
        : undefined,
    });
    this.queueArn = this.resource.arn;
    this.queueUrl = this.resource.url;
    this.queueName = this.resource.name;
    this.policy.add({
      sid: 'DenyInsecureTransport',
      effect: 'Deny',
      principals: { AWS: ['*'] },
      actions: ['sqs:*'],
      resources: [this.queueArn],
      conditions: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    this.policyResource = new SqsQueuePolicy(this, 'Policy', { queueUrl: this.queueUrl, policy: this.policy.toJsonLazy() });
  }

  addToResourcePolicy(statement: PolicyStatement): void {
    this.policy.add(statement);
  }

  /** Send messages (encrypting through SQS). */
  grantSendMessages(grantee: IGrantable): Grant {
    this.encryptionKey.grant(grantee, ['kms:Decrypt', 'kms:GenerateDataKey'], { viaService: 'sqs' });
    return Grant.addTo(grantee, [{ actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], resources: [this.queueArn] }]);
  }

  /** Receive and delete messages (decrypting through SQS). */
  grantConsumeMessages(grantee: IGrantable): Grant {
    this.encryptionKey.grantDecrypt(grantee, { viaService: 'sqs' });
    return Grant.addTo(grantee, [
      {
        actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        resources: [this.queueArn],
      },
    ]);
  }
}
