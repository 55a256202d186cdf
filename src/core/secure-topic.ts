import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from './encryption-key';
import { GaiConfigError } from './errors';
import { Grant, type IGrantable } from './iam/grant';
import { PolicyDocument } from './iam/policy-document';
import type { PolicyStatement } from './iam/policy-statement';
import { PlatformContext } from './platform-context';
import { instanceOf, parseProps } from './props';

/** AWS services that may publish to a SecureTopic, each limited to this account. */
export const TOPIC_PUBLISHERS = {
  cloudwatch: 'cloudwatch.amazonaws.com',
  budgets: 'budgets.amazonaws.com',
  events: 'events.amazonaws.com',
} as const;
export type TopicPublisher = keyof typeof TOPIC_PUBLISHERS;

export const SecureTopicPropsSchema = z.strictObject({
  topicName: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/).optional().describe('Topic name. Default `<prefix>-<environment>-<construct path>`.'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey').describe('KMS key for server-side encryption; must allow every service in `publishers` (EncryptionKey `services`).'),
  publishers: z
    .array(z.enum(Object.keys(TOPIC_PUBLISHERS) as [TopicPublisher, ...TopicPublisher[]]))
    .default([])
    .describe('AWS services allowed to publish (`cloudwatch` alarms, `budgets` notifications, `events` rules), each only from this account (`aws:SourceAccount`). Default none.'),
  emailSubscribers: z
    .array(z.email())
    .default([])
    .describe('E-mail addresses subscribed to the topic (each must confirm the subscription). Default none.'),
});
export type SecureTopicProps = z.input<typeof SecureTopicPropsSchema>;

/**
 * An SNS topic encrypted with a customer-managed key, with a topic policy that denies publishing
 * or subscribing over plain HTTP and lets only the listed AWS services (from this account) publish.
 */
export class SecureTopic extends Construct {
  readonly resource: SnsTopic;
  readonly topicArn: string;
  readonly topicName: string;
  readonly encryptionKey: EncryptionKey;
  readonly policyResource: SnsTopicPolicy;
  private readonly policy = new PolicyDocument('resource');

  constructor(scope: Construct, id: string, props: SecureTopicProps) {
    super(scope, id);
    const p = parseProps(this, SecureTopicPropsSchema, props);
    const ctx = PlatformContext.of(this);
    const missing = [...new Set(p.publishers)].filter((service) => !p.encryptionKey.services.includes(service));
    if (missing.length > 0) {
      throw new GaiConfigError([
        {
          constructPath: this.node.path,
          fieldPath: 'encryptionKey',
          message: `the key must allow the publishing services ${missing.map((m) => `"${m}"`).join(', ')} (EncryptionKey services)`,
        },
      ]);
    }
    this.encryptionKey = p.encryptionKey;
    this.resource = new SnsTopic(this, 'Resource', {
      name: p.topicName ?? ctx.physicalName('sns', this),
      kmsMasterKeyId: p.encryptionKey.keyArn,
    });
    this.topicArn = this.resource.arn;
    this.topicName = this.resource.name;
    this.policy.add({
      sid: 'DenyInsecureTransport',
      effect: 'Deny',
      principals: { AWS: ['*'] },
      // (`sns:Receive` is not an IAM action — hashicorp/terraform-provider-aws#11776 — so it is not listed.)
      actions: ['sns:Publish', 'sns:Subscribe'],
      resources: [this.topicArn],
      conditions: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    for (const service of [...new Set(p.publishers)].sort()) {
      this.policy.add({
        sid: `Allow${service[0].toUpperCase()}${service.slice(1)}Publish`,
        principals: { Service: [TOPIC_PUBLISHERS[service]] },
        actions: ['sns:Publish'],
        resources: [this.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
      });
    }
    this.policyResource = new SnsTopicPolicy(this, 'Policy', { arn: this.topicArn, policy: this.policy.toJsonLazy() });
    p.emailSubscribers.forEach((email, i) => {
      new SnsTopicSubscription(this, `Email${i}`, { topicArn: this.topicArn, protocol: 'email', endpoint: email });
    });
  }

  addToResourcePolicy(statement: PolicyStatement): void {
    this.policy.add(statement);
  }

  /** Publish messages (encrypting through SNS). */
  grantPublish(grantee: IGrantable): Grant {
    this.encryptionKey.grant(grantee, ['kms:Decrypt', 'kms:GenerateDataKey'], { viaService: 'sns' });
    return Grant.addTo(grantee, [{ actions: ['sns:Publish'], resources: [this.topicArn] }]);
  }
}
