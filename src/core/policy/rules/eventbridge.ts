import type { PolicyRule, RuleContext, SynthResource } from '../types';
import { customerManagedKeyProblems, firstBlock, isSet, show } from './helpers';

/** Terraform types (resources and data sources) whose `arn` makes an EventBridge target a queue or a topic. */
const QUEUE_OR_TOPIC_TYPES: Readonly<Record<string, 'SQS queue' | 'SNS topic'>> = {
  aws_sqs_queue: 'SQS queue',
  aws_sns_topic: 'SNS topic',
};

/** `arn:<partition>:sqs:…` / `arn:<partition>:sns:…`, the partition possibly an interpolation such as `${data.aws_partition.p.partition}`. */
const QUEUE_OR_TOPIC_ARN = /^arn:(?:aws[a-z-]*|\$\{[^}]+\}):(sqs|sns):/;

/** What a target `arn` points at when it is an SQS queue or an SNS topic; `undefined` for anything else. */
export function queueOrTopicTarget(arn: unknown, ctx: RuleContext): 'SQS queue' | 'SNS topic' | undefined {
  if (typeof arn !== 'string') return undefined;
  // An ARN written out (its partition or account possibly interpolated) names its service.
  const service = QUEUE_OR_TOPIC_ARN.exec(arn.trim())?.[1];
  if (service) return service === 'sqs' ? 'SQS queue' : 'SNS topic';
  const referenced = ctx.resolveReference(arn);
  return referenced ? QUEUE_OR_TOPIC_TYPES[referenced.type] : undefined;
}

/** The address a reference points at (`aws_sqs_queue.q`), else the literal value: what identifies a target. */
function identity(value: unknown, ctx: RuleContext): string | undefined {
  const referenced = ctx.resolveReference(value);
  if (referenced) return referenced.address;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export const eventBusKmsEncryption: PolicyRule = {
  id: 'GAI-EVB-001',
  severity: 'error',
  title: 'EventBridge event buses and archives are encrypted with a customer-managed KMS key',
  rationale:
    'Custom events on a bus, rule patterns and target inputs (and every event kept in an archive) are encrypted with an AWS owned key unless a customer-managed key is set; only a customer-managed key puts reading them under a key policy you control, audit in CloudTrail and can revoke.',
  fix: 'Set kms_key_identifier on the aws_cloudwatch_event_bus (and on every aws_cloudwatch_event_archive) to a customer-managed key ARN whose key policy lets events.amazonaws.com use it for this bus (kms:GenerateDataKey and kms:Decrypt conditioned on kms:EncryptionContext:aws:events:event-bus:arn); the gaiops ModelRegistry does this for its bus and archive.',
  appliesTo: ['aws_cloudwatch_event_bus', 'aws_cloudwatch_event_archive'],
  check: (resource) => customerManagedKeyProblems(resource.config.kms_key_identifier, 'kms_key_identifier', 'an AWS owned key'),
};

export const eventTargetDeadLetter: PolicyRule = {
  id: 'GAI-EVB-002',
  severity: 'warning',
  title: 'EventBridge targets that are SQS queues or SNS topics have a dead-letter queue of their own',
  rationale:
    'When EventBridge cannot deliver to a queue or topic (its policy or key refuses EventBridge, it was deleted, it throttles), it retries for up to 24 hours and then drops the event without a trace. A dead-letter queue on the target keeps every undelivered event, with the error, for replay. It must be a different queue: a DLQ equal to the target fails for the same reason the delivery did. (A queue redrive policy does not help here: it only catches messages that reached the queue and were not consumed.)',
  fix: 'Set dead_letter_config { arn = <another SQS queue ARN> } on the aws_cloudwatch_event_target, and let events.amazonaws.com send to that queue (queue policy with aws:SourceArn = the rule ARN; its key usable by the events service). ModelRegistry.addEventTarget does this.',
  appliesTo: ['aws_cloudwatch_event_target'],
  check: (target: SynthResource, ctx: RuleContext) => {
    const kind = queueOrTopicTarget(target.config.arn, ctx);
    if (!kind) return [];
    const dlq = firstBlock(target.config.dead_letter_config)?.arn;
    if (!isSet(dlq)) return [`the target is an ${kind} (${show(target.config.arn)}) and has no dead_letter_config, so events EventBridge fails to deliver are dropped`];
    const same = identity(dlq, ctx);
    if (same !== undefined && same === identity(target.config.arn, ctx)) {
      return [`dead_letter_config.arn is the target itself (${show(dlq)}), so an event that cannot be delivered to the target cannot be dead-lettered either`];
    }
    return [];
  },
};

/** The EventBridge rules of the policy pack. */
export const EVENTBRIDGE_RULES: readonly PolicyRule[] = [eventBusKmsEncryption, eventTargetDeadLetter];
