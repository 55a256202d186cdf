import type { PolicyRule } from '../types';
import { customerManagedKeyProblems, tlsOnlyProblems } from './helpers';

const TOPIC = ['aws_sns_topic'] as const;

export const snsKmsEncryption: PolicyRule = {
  id: 'GAI-SNS-001',
  severity: 'error',
  title: 'SNS topics are encrypted with a customer-managed KMS key',
  rationale:
    'Without kms_master_key_id an SNS topic stores messages unencrypted at rest, and the AWS-managed aws/sns key cannot be restricted or revoked (nor used by CloudWatch, EventBridge or Budgets to publish); a customer-managed key puts reading messages under a key policy you control and audit.',
  fix: 'Set kms_master_key_id on the aws_sns_topic to a customer-managed key ARN whose key policy lets the publishing services (cloudwatch.amazonaws.com, events.amazonaws.com, budgets.amazonaws.com) use it (the gaiops alarms topic does this with its EncryptionKey).',
  appliesTo: TOPIC,
  check: (topic) => customerManagedKeyProblems(topic.config.kms_master_key_id, 'kms_master_key_id', 'no server-side encryption'),
};

export const snsTlsOnly: PolicyRule = {
  id: 'GAI-SNS-002',
  severity: 'warning',
  title: 'SNS topic policies deny requests not made over TLS',
  rationale: 'SNS accepts publish and subscribe requests over plain HTTP unless the topic policy refuses them; a Deny on aws:SecureTransport = "false" guarantees messages are encrypted in transit.',
  fix: 'Attach an aws_sns_topic_policy (arn = the topic\'s arn) with a statement Effect "Deny", Principal "*", Action ["sns:Publish", "sns:Subscribe"], Condition { Bool: { "aws:SecureTransport": "false" } }.',
  appliesTo: TOPIC,
  check: (topic, ctx) =>
    tlsOnlyProblems(
      ctx,
      [
        { name: 'policy', value: topic.config.policy },
        ...ctx.referencing('aws_sns_topic_policy', 'arn', topic).map((p) => ({ name: p.address, value: p.config.policy })),
      ],
      'no aws_sns_topic_policy is attached to this topic, so plain-HTTP requests are not refused',
    ),
};

/** The SNS rules of the policy pack. */
export const SNS_RULES: readonly PolicyRule[] = [snsKmsEncryption, snsTlsOnly];
