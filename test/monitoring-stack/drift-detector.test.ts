import { describe, expect, it } from 'vitest';
import { FeatureStore, GaiConfigError, SecureBucket, EncryptionKey } from '../../src';
import { DriftConfigSchema } from '../../src/monitoring-stack/drift-config';
import { DriftDetector, type DriftDetectorProps } from '../../src/monitoring-stack/drift-detector';
import { PlatformAlarms } from '../../src/monitoring-stack/platform-alarms';
import { REFERENCE_FEATURE_GROUPS } from '../../stacks/main';
import { byPath, only, platformStack, policy, resources, synth } from '../support/synth';

const VERSION = 'ab'.repeat(32);

function build(overrides: Partial<DriftDetectorProps> = {}) {
  const stack = platformStack();
  const features = new FeatureStore(stack, 'Features', { featureGroups: REFERENCE_FEATURE_GROUPS.slice(0, 1) });
  const logs = new SecureBucket(stack, 'PredictionLogs', { encryptionKey: new EncryptionKey(stack, 'LogsKey') });
  const alarms = new PlatformAlarms(stack, 'Alarms', {});
  const detector = new DriftDetector(stack, 'Drift', {
    model: 'churn-model',
    dataset: 'customers',
    baseline: { featureStore: features, group: 'customers', versionId: VERSION },
    window: { bucket: logs, prefix: 'predictions/churn/' },
    columns: [
      { name: 'lifetime_value', type: 'numeric' },
      { name: 'age_band', type: 'categorical' },
      { name: 'orders_90d', type: 'numeric', test: 'psi', threshold: 0.2 },
    ],
    fairness: { sensitiveAttributes: ['gender', 'age_band'], predictionColumn: 'churn', positiveValue: true },
    alertTopic: alarms.topic,
    ...overrides,
  });
  return { stack, detector, features, logs, alarms, json: synth(stack) };
}

describe('DriftDetector', () => {
  const { json, detector } = build();
  const fn = byPath(json, 'aws_lambda_function', 'Drift/Function/Resource');
  const statements = resources(json, 'aws_iam_role_policy')
    .filter(([, p]) => p.role.includes('Drift_Function'))
    .flatMap(([, p]) => policy(p.policy).Statement);

  it('runs the monitoring-drift runtime with the validated config in DRIFT_CONFIG', () => {
    expect(fn.handler).toBe('index.handler');
    expect(fn.timeout).toBe(900);
    expect(fn.memory_size).toBe(1024);
    expect(fn.reserved_concurrent_executions).toBe(1);
    const config = JSON.parse(fn.environment.variables.DRIFT_CONFIG);
    expect(config).toMatchObject({
      model: 'churn-model',
      dataset: 'customers',
      baseline: { kind: 'datasetVersion', manifestKey: `manifests/customers/${VERSION}.json` },
      window: { prefix: 'predictions/churn/', lookbackHours: 24 },
      driftShare: 0.5,
      outputs: { reportPrefix: 'drift-reports', namespace: 'gaiops/drift' },
      sketch: { reservoirSize: 10_000, maxCategories: 1000 },
    });
    expect(config.baseline.bucket).toMatch(/^\$\{aws_s3_bucket\./);
    expect(config.outputs.topicArn).toMatch(/^\$\{aws_sns_topic\./);
    // With the tokens replaced by real-looking values the runtime's own schema accepts it as is.
    const resolved = { ...config, baseline: { ...config.baseline, bucket: 'features' }, window: { ...config.window, bucket: 'logs' }, outputs: { ...config.outputs, reportBucket: 'reports', topicArn: 'arn:aws:sns:eu-west-1:111122223333:alerts' } };
    expect(DriftConfigSchema.safeParse(resolved).success).toBe(true);
    expect(detector.config.columns).toHaveLength(3);
  });

  it('reads only the baseline version\'s group and the window prefix, writes only reports, publishes only to the alert topic', () => {
    const lists = statements.filter((s) => [s.Action].flat().includes('s3:ListBucket')).map((s) => s.Condition.StringLike['s3:prefix']);
    expect(lists.flat().sort()).toEqual(['manifests/customers/*', 'offline/customers/*', 'predictions/churn/*']);
    const reads = statements.filter((s) => [s.Action].flat().includes('s3:GetObject')).map((s) => String(s.Resource).replace(/^\$\{[^}]+\}/, ''));
    expect(reads.sort()).toEqual(['/manifests/customers/*', '/offline/customers/*', '/predictions/churn/*']);
    const writes = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(String(writes[0].Resource)).toMatch(/\/drift-reports\/\*$/);
    const publish = statements.filter((s) => [s.Action].flat().includes('sns:Publish'));
    expect(publish).toEqual([expect.objectContaining({ Resource: expect.stringMatching(/^\$\{aws_sns_topic\./) })]);
    for (const s of statements) for (const a of [s.Action].flat()) expect(a).not.toMatch(/\*/);
  });

  it('is invoked on an EventBridge schedule, with failed deliveries in its dead-letter queue', () => {
    expect(byPath(json, 'aws_cloudwatch_event_rule', 'Drift/Schedule')).toMatchObject({ schedule_expression: 'rate(1 hour)' });
    const target = byPath(json, 'aws_cloudwatch_event_target', 'Drift/Target');
    expect(target.arn).toMatch(/aws_lambda_function\..*\.arn/);
    expect(target.dead_letter_config.arn).toMatch(/aws_sqs_queue\..*\.arn/);
    expect(target.retry_policy).toEqual({ maximum_retry_attempts: 0, maximum_event_age_in_seconds: 3600 });
    expect(byPath(json, 'aws_lambda_permission', 'Drift/InvokeBySchedule')).toMatchObject({ principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction' });
    const dlqPolicy = policy(byPath(json, 'aws_sqs_queue_policy', 'Drift/Function/DeadLetterQueue/Policy').policy).Statement;
    expect(dlqPolicy).toContainEqual(expect.objectContaining({ Sid: 'AllowScheduleDeadLetters', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' }));
    const reports = byPath(json, 'aws_s3_bucket_lifecycle_configuration', 'Drift/Reports/Lifecycle');
    expect(JSON.stringify(reports.rule)).toContain('"days":400');
  });

  it('takes a reference sample instead of a dataset version', () => {
    const stack = platformStack();
    const logs = new SecureBucket(stack, 'Logs', { encryptionKey: new EncryptionKey(stack, 'K') });
    new DriftDetector(stack, 'Drift', {
      model: 'assistant',
      dataset: 'gateway-logs',
      baseline: { bucket: logs, prefix: 'baselines/assistant/' },
      window: { bucket: logs, prefix: 'gateway/assistant/', lookbackHours: 6 },
      columns: [{ name: 'input_tokens', type: 'numeric' }],
      llmUsage: {},
      schedule: 'cron(15 * * * ? *)',
    });
    const out = synth(stack);
    const config = JSON.parse(only(out, 'aws_lambda_function').environment.variables.DRIFT_CONFIG);
    expect(config.baseline).toMatchObject({ kind: 'sample', prefix: 'baselines/assistant/' });
    expect(config.outputs.topicArn).toBeUndefined();
    expect(config.llmUsage).toMatchObject({ variantField: 'variant', inputTokensField: 'input_tokens' });
    expect(only(out, 'aws_cloudwatch_event_rule').schedule_expression).toBe('cron(15 * * * ? *)');
  });

  it('refuses bad props with every problem named', () => {
    const stack = platformStack();
    const features = new FeatureStore(stack, 'Features', { featureGroups: REFERENCE_FEATURE_GROUPS.slice(0, 1) });
    const logs = new SecureBucket(stack, 'Logs', { encryptionKey: new EncryptionKey(stack, 'K') });
    let error: unknown;
    try {
      new DriftDetector(stack, 'Drift', {
        model: 'm',
        dataset: 'd',
        baseline: { featureStore: features, group: 'customers', versionId: 'v1' },
        window: { bucket: logs, prefix: '/abs' },
        columns: [{ name: 'age_band', type: 'categorical', test: 'ks' }],
        schedule: 'every hour',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GaiConfigError);
    const message = (error as Error).message;
    for (const field of ['window.prefix', 'columns[0].test', 'schedule']) expect(message).toContain(`teststack/Drift: ${field}:`);
    expect(message).toMatch(/teststack\/Drift: baseline(\.versionId)?:/);
  });
});
