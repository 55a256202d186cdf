/**
 * The drift, fairness and A/B analysis job of the MonitoringStack. With `runAs: 'lambda'` (the
 * default) an EventBridge schedule invokes the `monitoring-drift` runtime with a validated
 * `DRIFT_CONFIG`; the function reads the baseline (a FeatureStore dataset version, verified by
 * sha256) and the recent window of logs, writes a JSON report to its own bucket, emits CloudWatch
 * metrics (EMF) and publishes to the alert topic when a threshold is crossed. With
 * `runAs: 'kubernetes'` the detector keeps the AWS side (report bucket, key, config, grants) and
 * creates no function and no schedule: a `DriftJob` in a cluster-side stack runs the same runtime
 * as a CronJob.
 */
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { Grant, type IGrantable } from '../core/iam/grant';
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
  DRIFT_RUN_FORMS,
  DriftColumnSchema,
  type DriftConfigInput,
  DriftConfigSchema,
  type DriftRunForm,
  FairnessConfigSchema,
  LlmUsageConfigSchema,
  driftEnvironment,
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
  runAs: z
    .enum(DRIFT_RUN_FORMS)
    .default('lambda')
    .describe(
      "Where the analysis runs: `lambda` (a scheduled function, up to 15 minutes and 10 GB) or `kubernetes` (no function and no EventBridge schedule here; add a `DriftJob` with this detector to a cluster-side stack: a CronJob running the same runtime on the same `schedule`, for longer windows). `memorySize` and `timeoutSeconds` apply to `lambda` only. Default `lambda`.",
    ),
});
export type DriftDetectorProps = z.input<typeof DriftDetectorPropsSchema>;

export class DriftDetector extends Construct {
  /** The scheduled function (`runAs: 'lambda'` only). */
  readonly function?: NodeFunction;
  readonly reportBucket: SecureBucket;
  /** The EventBridge schedule (`runAs: 'lambda'` only). */
  readonly rule?: CloudwatchEventRule;
  /** The config passed in `DRIFT_CONFIG` (tokens unresolved). */
  readonly config: DriftConfigInput;
  /** The runtime's environment, identical for the Lambda and the CronJob container (`driftEnvironment`). */
  readonly environment: Readonly<Record<string, string>>;
  readonly runAs: DriftRunForm;
  /** The schedule expression (EventBridge `rate(…)`/`cron(…)`, UTC); a DriftJob converts it. */
  readonly schedule: string;
  readonly metricsNamespace: string;
  private readonly grantAnalysisTo: (grantee: IGrantable) => Grant[];

  constructor(scope: Construct, id: string, props: DriftDetectorProps) {
    super(scope, id);
    const p = parseProps(this, DriftDetectorPropsSchema, props);
    this.runAs = p.runAs;
    this.schedule = p.schedule;
    this.metricsNamespace = p.metricsNamespace;
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

    this.environment = driftEnvironment(this.config);
    this.grantAnalysisTo = (grantee) => [
      ...('featureStore' in b
        ? [b.featureStore.bucket.grantReadPrefix(grantee, OFFLINE_LAYOUT.manifests(b.group)), b.featureStore.bucket.grantReadPrefix(grantee, offlineGroupPrefix(b.group))]
        : [b.bucket.grantReadPrefix(grantee, b.prefix)]),
      p.window.bucket.grantReadPrefix(grantee, p.window.prefix),
      this.reportBucket.grantWritePrefix(grantee, 'drift-reports/'),
      ...(p.alertTopic ? [p.alertTopic.grantPublish(grantee)] : []),
    ];
    if (p.runAs === 'kubernetes') return;

    const fn = new NodeFunction(this, 'Function', {
      code: LambdaCode.fromRuntime('monitoring-drift'),
      description: `Drift, fairness and A/B analysis of ${p.model} against ${'featureStore' in b ? `dataset version ${b.versionId.slice(0, 12)}` : 'a reference sample'}`,
      memorySize: p.memorySize,
      timeoutSeconds: p.timeoutSeconds,
      encryptionKey: key,
      reservedConcurrency: 1,
      environment: { ...this.environment },
    });
    this.function = fn;
    this.grantAnalysis(fn);

    const rule = new CloudwatchEventRule(this, 'Schedule', {
      name: ctx.physicalName('eventbridge-rule', this, 'schedule'),
      description: `Runs the drift analysis of ${p.model}`,
      scheduleExpression: p.schedule,
    });
    this.rule = rule;
    const permission = new LambdaPermission(this, 'InvokeBySchedule', {
      action: 'lambda:InvokeFunction',
      functionName: fn.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: rule.arn,
    });
    new CloudwatchEventTarget(this, 'Target', {
      rule: rule.name,
      arn: fn.functionArn,
      retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600 },
      deadLetterConfig: { arn: fn.deadLetterQueue.queueArn },
      dependsOn: [permission],
    });
    fn.deadLetterQueue.addToResourcePolicy({
      sid: 'AllowScheduleDeadLetters',
      principals: { Service: ['events.amazonaws.com'] },
      actions: ['sqs:SendMessage'],
      resources: [fn.deadLetterQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': rule.arn } },
    });
  }

  /**
   * What one analysis run needs, and nothing else: read the baseline (the dataset version's
   * manifests and offline files of its group, or the sample prefix) and the window prefix, write
   * under `drift-reports/` of the report bucket, publish to the alert topic (when set), each with
   * its KMS key through the service only. The Lambda gets exactly this; so does a DriftJob's role.
   */
  grantAnalysis(grantee: IGrantable): Grant[] {
    return this.grantAnalysisTo(grantee);
  }

  /**
   * `cloudwatch:PutMetricData` limited to this detector's namespace (the action has no resource
   * type, so the statement names `*` and conditions on `cloudwatch:namespace`). The Lambda needs
   * none (its EMF stdout becomes metrics through its log group); a pod does (`--put-metrics`).
   */
  grantPutMetrics(grantee: IGrantable): Grant {
    return Grant.addTo(grantee, [
      { actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': this.metricsNamespace } } },
    ]);
  }
}
