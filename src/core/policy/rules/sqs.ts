import type { PolicyRule } from '../types';
import { customerManagedKeyProblems, isSet, isTrue, tlsOnlyProblems } from './helpers';

const QUEUE = ['aws_sqs_queue'] as const;

export const sqsKmsEncryption: PolicyRule = {
  id: 'GAI-SQS-001',
  severity: 'error',
  title: 'SQS queues are encrypted with a customer-managed KMS key',
  rationale:
    'SQS-managed SSE and the AWS-managed aws/sqs key cannot be restricted or revoked; a customer-managed key puts reading messages under a key policy you control and audit.',
  fix: 'Set kms_master_key_id on the aws_sqs_queue to a customer-managed key ARN (an EncryptionKey\'s keyArn; add services such as \'sns\' or \'events\' for producers that are AWS services) instead of sqs_managed_sse_enabled.',
  appliesTo: QUEUE,
  check: (queue) => {
    if (!isSet(queue.config.kms_master_key_id) && isTrue(queue.config.sqs_managed_sse_enabled)) {
      return ['uses SQS-managed encryption (sqs_managed_sse_enabled) instead of a customer-managed key in kms_master_key_id'];
    }
    return customerManagedKeyProblems(queue.config.kms_master_key_id, 'kms_master_key_id', 'SQS-managed encryption (or none)');
  },
};

export const sqsTlsOnly: PolicyRule = {
  id: 'GAI-SQS-002',
  severity: 'warning',
  title: 'SQS queue policies deny requests not made over TLS',
  rationale: 'SQS accepts plain-HTTP requests unless the queue policy refuses them; a Deny on aws:SecureTransport = "false" guarantees messages are encrypted in transit.',
  fix: 'Attach an aws_sqs_queue_policy (queue_url = the queue\'s url) with a statement Effect "Deny", Principal "*", Action "sqs:*", Condition { Bool: { "aws:SecureTransport": "false" } }.',
  appliesTo: QUEUE,
  check: (queue, ctx) =>
    tlsOnlyProblems(
      ctx,
      [
        { name: 'policy', value: queue.config.policy },
        ...ctx.referencing('aws_sqs_queue_policy', 'queue_url', queue).map((p) => ({ name: p.address, value: p.config.policy })),
      ],
      'no aws_sqs_queue_policy is attached to this queue, so plain-HTTP requests are not refused',
    ),
};

export const SQS_RULES: readonly PolicyRule[] = [sqsKmsEncryption, sqsTlsOnly];
