/**
 * The drift, fairness and A/B analysis job of the MonitoringStack as a scheduled Lambda: an
 * EventBridge schedule invokes the `monitoring-drift` runtime with a validated `DRIFT_CONFIG`; the
 * function reads the baseline (a FeatureStore dataset version, verified by sha256) and the recent
 * window of logs, writes a JSON report to its own bucket, emits CloudWatch metrics (EMF) and
 * publishes to the alert topic when a threshold is crossed.
 */
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { LambdaCode } from '../core/lambda-code';
import { NodeFunction } from '../core/node-function';
import { PlatformContext } from '../core/platform-context';
import { instanceOf, instanceOfLater, parseProps } from '../core/props';
import { SecureBucket } from '../core/secure-bucket';
import { SecureTopic } from '../core/secure-topic';
import { OFFLINE_LAYOUT } from '../feature-store/feature-group';
import { FeatureStore, offlineGroupPrefix } from '../feature-store/feature-store';
import { manifestKey } from '../feature-store/runtime/versions';
import {
  AbTestConfigSchema,
  DRIFT_ENV,
  DriftColumnSchema,
  type DriftConfigInput,
  DriftConfigSchema,
  FairnessConfigSchema,
  LlmUsageConfigSchema,
} from './drift-config';

const FeatureStoreRef = instanceOfLater(() => FeatureStore, 'FeatureStore');

const Prefix = z
  .string()
  .regex(/^([A-Za-z0-9!_.*'()=-]+\/)+$/, 'must be a key prefix ending with / (no leading /)');

export const DriftDetectorPropsSchema = z.strictObject({
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/).describe('Model name: metric dimension and report key.'),
  dataset: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/).describe('Dataset name: metric dimension.'),
  baseline: z
    .union([
      z.strictObject({
        featureStore: FeatureStoreRef,
        group: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a feature group name'),
        versionId: z.string().regex(/^[0-9a-f]{64}$/, 'must be a dataset version id (64 hex)'),
      }),
      z.strictObject({
        bucket: instanceOf(SecureBucket, 'SecureBucket'),
        prefix: Prefix,
      }),
    ])
    .describe(
      'The reference data: `{ featureStore, group, versionId }` — a FeatureStore dataset version (its manifest and offline files, verified by sha256; pin the version the model was trained on) — or `{ bucket, prefix }`, a reference sample of JSON Lines.',
    ),
  window: z
    .strictObject({
      bucket: instanceOf(SecureBucket, 'SecureBucket').describe('Bucket of the recent prediction/feature logs (JSON Lines, optionally gzip).'),
      prefix: Prefix.describe('Prefix of the logs, e.g. `inference-logs/assistant/`.'),
      lookbackHours: z.number().gt(0).max(24 * 366).default(24).describe('Objects modified in the last N hours form the window. Default 24.'),
    })
    .describe('The current data.'),
  columns: z.array(DriftColumnSchema).min(1).max(500).describe('Columns to test (type and optional test/threshold overrides).'),
  driftShare: z.number().gt(0).max(1).default(0.5).describe('Dataset drift when at least this share of columns drift. Default 0.5 (Evidently).'),
  fairness: FairnessConfigSchema.optional().describe('Fairness per sensitive attribute. Default none.'),
  abTest: AbTestConfigSchema.optional().describe('A/B conversion analysis. Default none.'),
  llmUsage: LlmUsageConfigSchema.omit({ bucket: true, prefix: true }).optional().describe('Token and cost usage from gateway logs in the window. Default none.'),
  alertTopic: instanceOf(SecureTopic, 'SecureTopic').optional().describe('Where alerts go (e.g. `PlatformAlarms.topic`). Default no alerts (metrics and reports only).'),
  schedule: z
    .string()
    .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, 'must be an EventBridge schedule expression: rate(…) or cron(…)')
    .default('rate(1 hour)')
    .describe('How often the analysis runs. Default `rate(1 hour)`.'),
  reportRetentionDays: z.number().int().min(1).max(3650).default(400).describe('Reports expire after this many days. Default 400.'),
  memorySize: z.number().int().min(512).max(10240).default(1024).describe('Function memory (MB). Default 1024 (memory is bounded by the sketches, not the window).'),
  timeoutSeconds: z.number().int().min(60).max(900).default(900).describe('Function timeout. Default 900 s (the Lambda maximum).'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
    .optional()
    .describe("Key of the function's environment, logs, dead-letter queue and the report bucket; must allow `logs` and `events` (the schedule's dead letters). Default a new EncryptionKey (`services: ['events', 'logs']`)."),
  metricsNamespace: z.string().min(1).max(255).default('gaiops/drift').describe('CloudWatch namespace of the metrics. Default `gaiops/drift`.'),
});
export type DriftDetectorProps = z.input<typeof DriftDetectorPropsSchema>;

export class DriftDetector extends Construct {
  readonly function: NodeFunction;
  readonly reportBucket: SecureBucket;
  readonly rule: CloudwatchEventRule;
  /** The config passed in `DRIFT_CONFIG` (tokens unresolved). */
  readonly config: DriftConfigInput;

  constructor(scope: Construct, id: string, props: DriftDetectorProps) {
    super(scope, id);
    const p = parseProps(this, DriftDetectorPropsSchema, props);
    const ctx = PlatformContext.of(this);
    const key = p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: ['events', 'logs'], description: `gaiops drift detector key for ${this.node.path}` });
    this.reportBucket = new SecureBucket(this, 'Reports', {
      encryptionKey: key,
      dataClassification: 'internal',
      lifecycle: { currentVersionExpirationDays: p.reportRetentionDays, noncurrentVersionTransitionDays: null, noncurrentVersionExpirationDays: 30 },
    });
    const b = p.baseline;
    const config: DriftConfigInput = {
      model: p.model,
      dataset: p.dataset,
      baseline:
        'featureStore' in b
          ? { kind: 'datasetVersion', bucket: b.featureStore.bucket.bucketName, manifestKey: manifestKey(b.group, b.versionId) }
          : { kind: 'sample', bucket: b.bucket.bucketName, prefix: b.prefix },
      window: { bucket: p.window.bucket.bucketName, prefix: p.window.prefix, lookbackHours: p.window.lookbackHours },
      columns: p.columns,
      driftShare: p.driftShare,
      ...(p.fairness ? { fairness: p.fairness } : {}),
      ...(p.abTest ? { abTest: p.abTest } : {}),
      ...(p.llmUsage ? { llmUsage: p.llmUsage } : {}),
      outputs: {
        reportBucket: this.reportBucket.bucketName,
        reportPrefix: 'drift-reports',
        namespace: p.metricsNamespace,
        ...(p.alertTopic ? { topicArn: p.alertTopic.topicArn } : {}),
      },
    };
    // The runtime validates the same schema; problems on unresolved tokens (bucket names, ARNs
    // from other stacks) are the runtime's to find.
    this.config = parseProps(this, DriftConfigSchema, config) as DriftConfigInput;

    this.function = new NodeFunction(this, 'Function', {
      code: LambdaCode.fromRuntime('monitoring-drift'),
      description: `Drift, fairness and A/B analysis of ${p.model} against ${'featureStore' in b ? `dataset version ${b.versionId.slice(0, 12)}` : 'a reference sample'}`,
      memorySize: p.memorySize,
      timeoutSeconds: p.timeoutSeconds,
      encryptionKey: key,
      reservedConcurrency: 1,
      environment: { [DRIFT_ENV.config]: JSON.stringify(this.config) },
    });
    if ('featureStore' in b) {
      b.featureStore.bucket.grantReadPrefix(this.function, OFFLINE_LAYOUT.manifests(b.group));
      b.featureStore.bucket.grantReadPrefix(this.function, offlineGroupPrefix(b.group));
    } else {
      b.bucket.grantReadPrefix(this.function, b.prefix);
    }
    p.window.bucket.grantReadPrefix(this.function, p.window.prefix);
    this.reportBucket.grantWritePrefix(this.function, 'drift-reports/');
    p.alertTopic?.grantPublish(this.function);

    this.rule = new CloudwatchEventRule(this, 'Schedule', {
      name: ctx.physicalName('eventbridge-rule', this, 'schedule'),
      description: `Runs the drift analysis of ${p.model}`,
      scheduleExpression: p.schedule,
    });
    const permission = new LambdaPermission(this, 'InvokeBySchedule', {
      action: 'lambda:InvokeFunction',
      functionName: this.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: this.rule.arn,
    });
    new CloudwatchEventTarget(this, 'Target', {
      rule: this.rule.name,
      arn: this.function.functionArn,
      retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600 },
      deadLetterConfig: { arn: this.function.deadLetterQueue.queueArn },
      dependsOn: [permission],
    });
    this.function.deadLetterQueue.addToResourcePolicy({
      sid: 'AllowScheduleDeadLetters',
      principals: { Service: ['events.amazonaws.com'] },
      actions: ['sqs:SendMessage'],
      resources: [this.function.deadLetterQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': this.rule.arn } },
    });
  }
}
