import { describe, expect, it } from 'vitest';
import { EncryptionKey, FeatureStore, GaiConfigError, ModelRegistry } from '../../src';
import { SecureTopic } from '../../src/core/secure-topic';
import { PlatformAlarms, type PlatformAlarmsProps } from '../../src/monitoring-stack/platform-alarms';
import { REFERENCE_FEATURE_GROUPS } from '../../stacks/main';
import { type TfJson, byPath, only, platformStack, policy, resources, synth } from '../support/synth';

function build(props: Omit<PlatformAlarmsProps, 'watch'> = {}) {
  const stack = platformStack();
  const features = new FeatureStore(stack, 'Features', { featureGroups: REFERENCE_FEATURE_GROUPS.slice(0, 1) });
  const registry = new ModelRegistry(stack, 'Registry', {});
  const alarms = new PlatformAlarms(stack, 'Alarms', { watch: [features, registry], ...props });
  return { stack, features, registry, alarms, json: synth(stack) };
}

const alarmsOf = (json: TfJson) => resources(json, 'aws_cloudwatch_metric_alarm').map(([, a]) => a);

describe('PlatformAlarms', () => {
  const { json, alarms, registry } = build({ alertEmails: ['oncall@example.com'] });

  it('alarms on every Lambda (errors, throttles), dead-letter queue, HTTP API (5xx share, p99) and table (throttles) of the watched constructs', () => {
    const functions = resources(json, 'aws_lambda_function').length;
    const apis = resources(json, 'aws_apigatewayv2_api').length;
    const tables = resources(json, 'aws_dynamodb_table').length;
    expect(functions).toBeGreaterThanOrEqual(3);
    const count = (kind: string) => alarms.alarms.filter((a) => a.kind === kind).length;
    expect(count('lambda-errors')).toBe(functions);
    expect(count('lambda-throttles')).toBe(functions);
    expect(count('api-5xx')).toBe(apis);
    expect(count('api-latency')).toBe(apis);
    expect(count('dynamodb-throttles')).toBe(tables);
    // Each function's DLQ and the registry's event DLQ — never a working queue such as the deployment queue.
    const dlqTargets = alarms.alarms.filter((a) => a.kind === 'dead-letter-queue').map((a) => a.target);
    expect(dlqTargets).toContain(registry.deadLetterQueue.node.path);
    expect(dlqTargets).not.toContain(registry.deploymentQueue.node.path);
    expect(dlqTargets.length).toBeGreaterThanOrEqual(functions);

    const all = alarmsOf(json);
    expect(new Set(all.map((a) => a.alarm_name)).size).toBe(all.length);
    for (const a of all) {
      expect(a.alarm_actions).toHaveLength(1);
      expect(a.ok_actions).toEqual(a.alarm_actions);
      expect(a.treat_missing_data).toBe('notBreaching');
      expect(a.alarm_name.length).toBeLessThanOrEqual(255);
    }
    const lambdaErrors = all.find((a) => a.metric_name === 'Errors')!;
    expect(lambdaErrors).toMatchObject({ namespace: 'AWS/Lambda', statistic: 'Sum', period: 300, threshold: 1, comparison_operator: 'GreaterThanOrEqualToThreshold' });
    expect(lambdaErrors.dimensions.FunctionName).toMatch(/^\$\{aws_lambda_function\./);
    const api5xx = all.find((a) => (a.metric_query ?? []).some((q: any) => q.metric?.metric_name === '5xx'))!;
    expect(api5xx.threshold).toBe(5);
    expect(api5xx.metric_query.find((q: any) => q.return_data === true).expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
    expect(all.find((a) => a.metric_name === 'Latency')).toMatchObject({ extended_statistic: 'p99', threshold: 3000 });
    const dynamo = all.find((a) => (a.metric_query ?? []).some((q: any) => q.metric?.metric_name === 'ReadThrottleEvents'))!;
    expect(dynamo.metric_query.find((q: any) => q.return_data === true).expression).toBe('FILL(reads, 0) + FILL(writes, 0)');
    expect(all.find((a) => a.metric_name === 'ApproximateNumberOfMessagesVisible')).toMatchObject({ namespace: 'AWS/SQS', statistic: 'Maximum', threshold: 1 });
  });

  it('notifies an SNS topic encrypted with a CMK that only CloudWatch in this account may publish to, over TLS only', () => {
    const topic = byPath(json, 'aws_sns_topic', 'Alarms/AlertTopic/Resource');
    expect(topic.kms_master_key_id).toMatch(/^\$\{aws_kms_key\..*\.arn\}$/);
    const statements = policy(byPath(json, 'aws_sns_topic_policy', 'Alarms/AlertTopic/Policy').policy).Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Sid: 'DenyInsecureTransport', Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const publish = statements.filter((s) => s.Effect === 'Allow');
    expect(publish).toEqual([
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': expect.any(String) } } }),
    ]);
    expect(only(json, 'aws_sns_topic_subscription')).toMatchObject({ protocol: 'email', endpoint: 'oncall@example.com' });
    const keyPolicy = policy(byPath(json, 'aws_kms_key', 'Alarms/Key/Resource').policy).Statement;
    expect(keyPolicy.map((s) => s.Sid)).toEqual(expect.arrayContaining(['ServiceBudgets', 'ServiceCloudwatch']));
  });

  it('adds a monthly GPU budget filtered by the node-pool cost allocation tag, notifying at 80 %, 100 % and a forecast over 100 %', () => {
    const { json: withBudget } = build({ gpuBudget: { monthlyLimitUsd: 25_000, nodePoolNames: ['gpu-large', 'gpu-a10g'] } });
    expect(only(withBudget, 'aws_budgets_budget')).toMatchObject({
      budget_type: 'COST',
      limit_amount: '25000.00',
      limit_unit: 'USD',
      time_unit: 'MONTHLY',
      cost_filter: [{ name: 'TagKeyValue', values: ['user:gaiops.io/node-pool$gpu-a10g', 'user:gaiops.io/node-pool$gpu-large'] }],
      notification: [
        expect.objectContaining({ notification_type: 'ACTUAL', threshold: 80, threshold_type: 'PERCENTAGE', comparison_operator: 'GREATER_THAN' }),
        expect.objectContaining({ notification_type: 'ACTUAL', threshold: 100 }),
        expect.objectContaining({ notification_type: 'FORECASTED', threshold: 100 }),
      ],
    });
    const publishers = policy(byPath(withBudget, 'aws_sns_topic_policy', 'Alarms/AlertTopic/Policy').policy).Statement.filter((s) => s.Effect === 'Allow').map((s) => s.Principal.Service);
    expect(publishers).toEqual(['budgets.amazonaws.com', 'cloudwatch.amazonaws.com']);
    expect(resources(withBudget, 'aws_ce_cost_allocation_tag')).toEqual([]);
    const { json: activated } = build({ gpuBudget: { monthlyLimitUsd: 100, nodePoolNames: ['gpu'], activateCostAllocationTag: true } });
    expect(only(activated, 'aws_ce_cost_allocation_tag')).toMatchObject({ tag_key: 'gaiops.io/node-pool', status: 'Active' });
  });

  it('watches constructs added later, once each', () => {
    const stack = platformStack();
    const registry = new ModelRegistry(stack, 'Registry', {});
    const later = new PlatformAlarms(stack, 'Alarms', {});
    expect(later.alarms).toEqual([]);
    later.watch(registry);
    const count = later.alarms.length;
    expect(count).toBeGreaterThan(4);
    later.watch(registry);
    expect(later.alarms).toHaveLength(count);
    expect(resources(synth(stack), 'aws_cloudwatch_metric_alarm')).toHaveLength(count);
  });

  it('refuses bad props with every problem named', () => {
    const stack = platformStack();
    let error: unknown;
    try {
      new PlatformAlarms(stack, 'Alarms', {
        alertEmails: ['not-an-email'],
        thresholds: { periodSeconds: 120, apiServerErrorPercent: 0 },
        gpuBudget: { monthlyLimitUsd: -1, nodePoolNames: [] },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GaiConfigError);
    const message = (error as Error).message;
    for (const field of ['alertEmails[0]', 'thresholds.periodSeconds', 'thresholds.apiServerErrorPercent', 'gpuBudget.monthlyLimitUsd', 'gpuBudget.nodePoolNames']) {
      expect(message).toContain(`teststack/Alarms: ${field}:`);
    }
  });

  it('SecureTopic refuses a key that does not allow its publishing services', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'Key', { services: ['cloudwatch'] });
    expect(() => new SecureTopic(stack, 'Topic', { encryptionKey: key, publishers: ['budgets', 'cloudwatch'] })).toThrow(
      /teststack\/Topic: encryptionKey: the key must allow the publishing services "budgets"/,
    );
  });
});
