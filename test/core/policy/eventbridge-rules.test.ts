import { describe, expect, it } from 'vitest';
import { evaluatePolicies } from '../../../src/core/policy/engine';
import { CORE_RULES } from '../../../src/core/policy/rules';
import { EVENTBRIDGE_RULES, queueOrTopicTarget } from '../../../src/core/policy/rules/eventbridge';
import { SynthStack } from '../../../src/core/policy/synth-stack';
import { add, compliantStack, patch, ref, remove, type Config, type TfJson } from './fixtures';

const BUS = 'aws_cloudwatch_event_bus.Bus';
const ARCHIVE = 'aws_cloudwatch_event_archive.Archive';
const RULE = 'aws_cloudwatch_event_rule.Rule';
const TARGET = 'aws_cloudwatch_event_target.Target';
const QUEUE = 'aws_sqs_queue.Deployments';
const DLQ = 'aws_sqs_queue.Dlq';
const KEY_ARN = ref('aws_kms_key.Key', 'arn');
const RULES = CORE_RULES;

/** The compliant core fixture plus a CMK-encrypted bus, its archive, a rule and an SQS target with a dead-letter queue. */
function eventStack(): TfJson {
  let json = compliantStack();
  const entries: [string, Config][] = [
    [BUS, { name: 'gai-dev-events', kms_key_identifier: KEY_ARN, dead_letter_config: { arn: ref(DLQ, 'arn') }, '//': { metadata: { path: 'test/Bus' } } }],
    [ARCHIVE, { name: 'gai-dev-events', event_source_arn: ref(BUS, 'arn'), retention_days: 365, kms_key_identifier: KEY_ARN }],
    [RULE, { name: 'gai-dev-rule', event_bus_name: ref(BUS, 'name'), event_pattern: JSON.stringify({ source: ['gaiops.model-registry'] }) }],
    [QUEUE, { name: 'gai-dev-deployments', kms_master_key_id: KEY_ARN, redrive_policy: JSON.stringify({ deadLetterTargetArn: ref(DLQ, 'arn'), maxReceiveCount: 5 }) }],
    [
      'aws_sqs_queue_policy.Deployments_Policy',
      { queue_url: ref(QUEUE, 'url'), policy: ref('data.aws_iam_policy_document.DlqPolicy', 'json') },
    ],
    [
      TARGET,
      { rule: ref(RULE, 'name'), event_bus_name: ref(BUS, 'name'), arn: ref(QUEUE, 'arn'), dead_letter_config: { arn: ref(DLQ, 'arn') } },
    ],
  ];
  for (const [address, config] of entries) json = add(json, address, config);
  return json;
}

const base = eventStack();

function findings(json: TfJson, ruleId: string): { address: string; message: string; severity: string }[] {
  return evaluatePolicies(json, RULES)
    .filter((f) => f.ruleId === ruleId)
    .map(({ address, message, severity }) => ({ address, message, severity }));
}

describe('the EventBridge fixture', () => {
  it('is compliant with every rule, core and EventBridge', () => {
    expect(evaluatePolicies(base, RULES)).toEqual([]);
  });

  it('rules have ids, severities, titles, rationales and fixes', () => {
    expect(EVENTBRIDGE_RULES.map((r) => [r.id, r.severity])).toEqual([
      ['GAI-EVB-001', 'error'],
      ['GAI-EVB-002', 'warning'],
    ]);
    for (const r of EVENTBRIDGE_RULES) {
      expect(r.title.length).toBeGreaterThan(20);
      expect(r.rationale.length).toBeGreaterThan(50);
      expect(r.fix).toMatch(/kms_key_identifier|dead_letter_config/);
    }
  });
});

describe('GAI-EVB-001 event buses and archives use a customer-managed key', () => {
  it.each([
    ['a bus without kms_key_identifier (AWS owned key)', patch(base, BUS, { kms_key_identifier: undefined }), BUS, /kms_key_identifier is not set, so an AWS owned key is used/],
    ['a bus with a blank key', patch(base, BUS, { kms_key_identifier: ' ' }), BUS, /kms_key_identifier is not set/],
    [
      'a bus with an AWS-managed alias',
      patch(base, BUS, { kms_key_identifier: 'arn:aws:kms:eu-west-1:111122223333:alias/aws/events' }),
      BUS,
      /AWS-managed key "arn:aws:kms:eu-west-1:111122223333:alias\/aws\/events"/,
    ],
    ['an archive without kms_key_identifier', patch(base, ARCHIVE, { kms_key_identifier: undefined }), ARCHIVE, /kms_key_identifier is not set/],
  ])('fails for %s', (_name, json, address, message) => {
    const found = findings(json, 'GAI-EVB-001');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ address, severity: 'error' });
    expect(found[0].message).toMatch(message);
  });

  it.each([
    ['a key referenced by ARN', base],
    ['a literal key ARN', patch(base, BUS, { kms_key_identifier: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' })],
    ['a customer-managed alias', patch(base, BUS, { kms_key_identifier: 'alias/gai-dev-events' })],
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-EVB-001')).toEqual([]);
  });
});

describe('GAI-EVB-002 SQS and SNS targets have a dead-letter queue', () => {
  it.each([
    ['an SQS target without dead_letter_config', patch(base, TARGET, { dead_letter_config: undefined }), /is an SQS queue .* has no dead_letter_config/],
    ['an empty dead_letter_config', patch(base, TARGET, { dead_letter_config: [{}] }), /has no dead_letter_config/],
    [
      'a literal SQS ARN without dead_letter_config',
      patch(base, TARGET, { arn: 'arn:aws:sqs:eu-west-1:111122223333:deployments', dead_letter_config: undefined }),
      /is an SQS queue/,
    ],
    [
      'an SNS topic without dead_letter_config',
      add(patch(base, TARGET, { arn: ref('aws_sns_topic.Topic', 'arn'), dead_letter_config: undefined }), 'aws_sns_topic.Topic', { name: 't' }),
      /is an SNS topic/,
    ],
    [
      'an SNS ARN built with the partition',
      add(
        patch(base, TARGET, { arn: `arn:${ref('data.aws_partition.p', 'partition')}:sns:eu-west-1:111122223333:t`, dead_letter_config: undefined }),
        'data.aws_partition.p',
        {},
      ),
      /is an SNS topic/,
    ],
    [
      'the target queue as its own dead-letter queue',
      patch(base, TARGET, { dead_letter_config: { arn: ref(QUEUE, 'arn') } }),
      /dead_letter_config\.arn is the target itself/,
    ],
  ])('warns for %s', (_name, json, message) => {
    const found = findings(json, 'GAI-EVB-002');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ address: TARGET, severity: 'warning' });
    expect(found[0].message).toMatch(message);
  });

  it.each([
    ['an SQS target with its own dead-letter queue', base],
    ['dead_letter_config as a one-element list', patch(base, TARGET, { dead_letter_config: [{ arn: ref(DLQ, 'arn') }] })],
    ['a Lambda target (Lambda keeps failed async events itself)', patch(base, TARGET, { arn: ref('aws_lambda_function.Fn', 'arn'), dead_letter_config: undefined })],
    [
      'a Step Functions target given literally',
      patch(base, TARGET, { arn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:x', dead_letter_config: undefined }),
    ],
    // A queue redrive catches unconsumed messages, not failed deliveries: it does not stand in for a DLQ.
  ])('passes for %s', (_name, json) => {
    expect(findings(json, 'GAI-EVB-002')).toEqual([]);
  });

  it('does not accept a redrive on the target queue instead of a dead_letter_config', () => {
    expect(findings(patch(base, TARGET, { dead_letter_config: undefined }), 'GAI-EVB-002')).toHaveLength(1);
  });

  it('recognises queue and topic ARNs and references, nothing else', () => {
    const ctx = new SynthStack(add(remove(base, TARGET), 'aws_sns_topic.Topic', { name: 't' }));
    expect(queueOrTopicTarget(ref(QUEUE, 'arn'), ctx)).toBe('SQS queue');
    expect(queueOrTopicTarget(ref('aws_sns_topic.Topic', 'arn'), ctx)).toBe('SNS topic');
    expect(queueOrTopicTarget('arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q', ctx)).toBe('SQS queue');
    expect(queueOrTopicTarget(ref('aws_lambda_function.Fn', 'arn'), ctx)).toBeUndefined();
    expect(queueOrTopicTarget('arn:aws:lambda:eu-west-1:111122223333:function:sqs', ctx)).toBeUndefined();
    expect(queueOrTopicTarget(undefined, ctx)).toBeUndefined();
  });
});
