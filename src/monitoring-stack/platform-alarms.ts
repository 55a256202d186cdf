/**
 * The AWS side of the MonitoringStack's alerting: an encrypted SNS alert topic, CloudWatch alarms
 * on every Lambda function, dead-letter queue, HTTP API and DynamoDB table found in the watched
 * constructs, and an AWS Budget on GPU spend.
 */
import { BudgetsBudget } from '@cdktf/provider-aws/lib/budgets-budget';
import { CeCostAllocationTag } from '@cdktf/provider-aws/lib/ce-cost-allocation-tag';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { Construct, type IConstruct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { HttpApi } from '../core/http-api';
import { NodeFunction } from '../core/node-function';
import { PlatformContext } from '../core/platform-context';
import { instanceOf, instanceOfLater, parseProps } from '../core/props';
import { SecureQueue } from '../core/secure-queue';
import { SecureTable } from '../core/secure-table';
import { SecureTopic } from '../core/secure-topic';
import { NODE_POOL_LABEL } from '../gpu-training-cluster/node-pools';

const AnyConstruct = instanceOfLater(() => Construct, 'construct');

export const AlarmThresholdsSchema = z
  .strictObject({
    periodSeconds: z.number().int().refine((v) => [60, 300, 900, 3600].includes(v), 'must be 60, 300, 900 or 3600').default(300).describe('Alarm period. Default 300 s.'),
    evaluationPeriods: z.number().int().min(1).max(24).default(1).describe('Periods that must breach before the alarm fires. Default 1.'),
    lambdaErrors: z.number().int().min(1).default(1).describe('Lambda `Errors` (sum per period) that alarm. Default 1.'),
    lambdaThrottles: z.number().int().min(1).default(1).describe('Lambda `Throttles` (sum per period) that alarm. Default 1.'),
    deadLetterMessages: z.number().int().min(1).default(1).describe('Visible messages in a dead-letter queue that alarm. Default 1.'),
    apiServerErrorPercent: z.number().min(0.1).max(100).default(5).describe('HTTP API 5xx share of requests (percent) that alarms. Default 5 %.'),
    apiLatencyP99Ms: z.number().int().min(10).max(30_000).default(3000).describe('HTTP API p99 latency (ms) that alarms. Default 3000 ms.'),
    dynamoThrottles: z.number().int().min(1).default(1).describe('DynamoDB read + write throttle events (sum per period) that alarm. Default 1.'),
  })
  .prefault({});

export const GpuBudgetSchema = z.strictObject({
  monthlyLimitUsd: z.number().positive().max(10_000_000).describe('Monthly GPU spend limit in USD.'),
  nodePoolNames: z
    .array(z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a node pool name'))
    .min(1)
    .describe(`GPU node pools whose instances count (cost filter on the \`${NODE_POOL_LABEL}\` cost allocation tag the EC2NodeClasses put on instances).`),
  notifyAtPercent: z
    .array(z.number().int().min(1).max(1000))
    .min(1)
    .default([80, 100])
    .describe('Actual-spend thresholds (percent of the limit) that notify the alert topic; a forecast above 100 % also notifies. Default 80 and 100.'),
  activateCostAllocationTag: z
    .boolean()
    .default(false)
    .describe(`Activate the \`${NODE_POOL_LABEL}\` cost allocation tag (\`aws_ce_cost_allocation_tag\`); only the organization's management account may. Default false (activate it once there).`),
});

export const PlatformAlarmsPropsSchema = z.strictObject({
  watch: z
    .array(AnyConstruct)
    .default([])
    .describe('Constructs to alarm on: every NodeFunction, HttpApi, SecureTable and dead-letter queue inside them (e.g. the FeatureStore and ModelRegistry). Default none.'),
  deadLetterQueues: z
    .array(instanceOf(SecureQueue, 'SecureQueue'))
    .default([])
    .describe('Further queues to treat as dead-letter queues (any visible message alarms). Default none.'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
    .optional()
    .describe("Key of the alert topic; must allow `cloudwatch` and `budgets`. Default a new EncryptionKey (`services: ['cloudwatch', 'budgets']`)."),
  alertEmails: z.array(z.email()).default([]).describe('E-mail subscribers of the alert topic. Default none.'),
  thresholds: AlarmThresholdsSchema,
  gpuBudget: GpuBudgetSchema.optional().describe('A monthly AWS Budget on GPU node spend. Default none.'),
});
export type PlatformAlarmsProps = z.input<typeof PlatformAlarmsPropsSchema>;

/** What an alarm watches, for tests and docs. */
export interface AlarmTarget {
  readonly kind: 'lambda-errors' | 'lambda-throttles' | 'dead-letter-queue' | 'api-5xx' | 'api-latency' | 'dynamodb-throttles';
  readonly target: string;
  readonly alarm: CloudwatchMetricAlarm;
}

/** Every construct of a class under the roots (each once). */
function collect<T>(roots: readonly IConstruct[], cls: abstract new (...args: never[]) => T): T[] {
  const found = new Set<T>();
  for (const root of roots) for (const c of root.node.findAll()) if (c instanceof cls) found.add(c as T);
  return [...found];
}

/**
 * The queues used as dead-letter queues under the roots: a NodeFunction's, a SecureQueue's redrive
 * target, and any construct's `deadLetterQueue` property (event routes, the registry's bus).
 */
function deadLetterQueuesOf(roots: readonly IConstruct[]): SecureQueue[] {
  const dlqs = new Set<SecureQueue>();
  for (const root of roots) {
    for (const c of root.node.findAll()) {
      const candidate = (c as { deadLetterQueue?: unknown }).deadLetterQueue;
      if (candidate instanceof SecureQueue) dlqs.add(candidate);
    }
  }
  return [...dlqs];
}

/**
 * CloudWatch alarms for the platform's AWS services, all notifying one SNS topic (CMK, TLS-only,
 * publishable only by CloudWatch and Budgets from this account):
 * - per Lambda function: `Errors` and `Throttles`;
 * - per dead-letter queue: `ApproximateNumberOfMessagesVisible`;
 * - per HTTP API: 5xx share of `Count`, and p99 `Latency`;
 * - per DynamoDB table: `ReadThrottleEvents + WriteThrottleEvents`;
 * and optionally a monthly Budget on the GPU node pools' spend with notifications.
 */
export class PlatformAlarms extends Construct {
  readonly topic: SecureTopic;
  readonly encryptionKey: EncryptionKey;
  readonly budget?: BudgetsBudget;
  private readonly alarmList: AlarmTarget[] = [];
  private readonly alarmNames = new Set<string>();
  private readonly thresholds: z.output<typeof AlarmThresholdsSchema>;
  private readonly ctx: PlatformContext;

  constructor(scope: Construct, id: string, props: PlatformAlarmsProps = {}) {
    super(scope, id);
    const p = parseProps(this, PlatformAlarmsPropsSchema, props);
    const ctx = PlatformContext.of(this);
    this.encryptionKey = p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: ['budgets', 'cloudwatch'], description: `gaiops alert topic key for ${this.node.path}` });
    this.topic = new SecureTopic(this, 'AlertTopic', {
      encryptionKey: this.encryptionKey,
      publishers: p.gpuBudget ? ['budgets', 'cloudwatch'] : ['cloudwatch'],
      emailSubscribers: p.alertEmails,
    });

    this.thresholds = p.thresholds;
    this.ctx = ctx;
    this.watch(...p.watch);
    for (const queue of p.deadLetterQueues) this.alarmOnDeadLetterQueue(queue);

    if (p.gpuBudget) {
      const b = p.gpuBudget;
      if (b.activateCostAllocationTag) new CeCostAllocationTag(this, 'NodePoolCostTag', { tagKey: NODE_POOL_LABEL, status: 'Active' });
      const notification = [
        ...[...new Set(b.notifyAtPercent)].sort((x, y) => x - y).map((threshold) => ({
          comparisonOperator: 'GREATER_THAN', notificationType: 'ACTUAL', threshold, thresholdType: 'PERCENTAGE', subscriberSnsTopicArns: [this.topic.topicArn],
        })),
        { comparisonOperator: 'GREATER_THAN', notificationType: 'FORECASTED', threshold: 100, thresholdType: 'PERCENTAGE', subscriberSnsTopicArns: [this.topic.topicArn] },
      ];
      this.budget = new BudgetsBudget(this, 'GpuBudget', {
        name: ctx.physicalName('budget', this, 'gpu'),
        budgetType: 'COST',
        limitAmount: b.monthlyLimitUsd.toFixed(2),
        limitUnit: 'USD',
        timeUnit: 'MONTHLY',
        costFilter: [{ name: 'TagKeyValue', values: [...new Set(b.nodePoolNames)].sort().map((pool) => `user:${NODE_POOL_LABEL}$${pool}`) }],
        notification,
        dependsOn: [this.topic.policyResource],
      });
    }
  }
  /** Every alarm created so far. */
  get alarms(): readonly AlarmTarget[] {
    return this.alarmList;
  }

  /**
   * Alarms on every NodeFunction, HttpApi, SecureTable and dead-letter queue inside `roots`
   * (constructs created later, such as a function that publishes to this topic, can be added).
   */
  watch(...roots: IConstruct[]): void {
    const t = this.thresholds;
    for (const fn of collect(roots, NodeFunction)) {
      const dimensions = { FunctionName: fn.functionName };
      this.add('lambda-errors', fn, `Lambda errors >= ${t.lambdaErrors} per ${t.periodSeconds} s`, {
        namespace: 'AWS/Lambda', metricName: 'Errors', dimensions, statistic: 'Sum', period: t.periodSeconds,
        comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: t.lambdaErrors,
      });
      this.add('lambda-throttles', fn, `Lambda throttles >= ${t.lambdaThrottles} per ${t.periodSeconds} s`, {
        namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions, statistic: 'Sum', period: t.periodSeconds,
        comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: t.lambdaThrottles,
      });
    }
    for (const queue of deadLetterQueuesOf(roots)) this.alarmOnDeadLetterQueue(queue);
    for (const api of collect(roots, HttpApi)) {
      const dimensions = { ApiId: api.apiId };
      this.add('api-5xx', api, `HTTP API 5xx >= ${t.apiServerErrorPercent} % of requests`, {
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: t.apiServerErrorPercent,
        metricQuery: [
          { id: 'errors', metric: { namespace: 'AWS/ApiGateway', metricName: '5xx', dimensions, stat: 'Sum', period: t.periodSeconds }, returnData: false },
          { id: 'requests', metric: { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions, stat: 'Sum', period: t.periodSeconds }, returnData: false },
          { id: 'errorPercent', expression: 'IF(requests > 0, 100 * errors / requests, 0)', label: '5xx percent', returnData: true },
        ],
      });
      this.add('api-latency', api, `HTTP API p99 latency >= ${t.apiLatencyP99Ms} ms`, {
        namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensions, extendedStatistic: 'p99', period: t.periodSeconds,
        comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: t.apiLatencyP99Ms,
      });
    }
    for (const table of collect(roots, SecureTable)) {
      const dimensions = { TableName: table.tableName };
      this.add('dynamodb-throttles', table, `DynamoDB throttle events >= ${t.dynamoThrottles} per ${t.periodSeconds} s`, {
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: t.dynamoThrottles,
        metricQuery: [
          { id: 'reads', metric: { namespace: 'AWS/DynamoDB', metricName: 'ReadThrottleEvents', dimensions, stat: 'Sum', period: t.periodSeconds }, returnData: false },
          { id: 'writes', metric: { namespace: 'AWS/DynamoDB', metricName: 'WriteThrottleEvents', dimensions, stat: 'Sum', period: t.periodSeconds }, returnData: false },
          { id: 'throttles', expression: 'FILL(reads, 0) + FILL(writes, 0)', label: 'throttle events', returnData: true },
        ],
      });
    }
  }

  private alarmOnDeadLetterQueue(queue: SecureQueue): void {
    const t = this.thresholds;
    this.add('dead-letter-queue', queue, `messages waiting in a dead-letter queue >= ${t.deadLetterMessages}`, {
      namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: queue.queueName },
      statistic: 'Maximum', period: t.periodSeconds, comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: t.deadLetterMessages,
    });
  }

  private add(kind: AlarmTarget['kind'], target: IConstruct, description: string, config: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'evaluationPeriods'>): void {
    const alarmName = this.ctx.physicalName('cloudwatch-alarm', target, kind);
    if (this.alarmNames.has(alarmName)) return;
    this.alarmNames.add(alarmName);
    const alarm = new CloudwatchMetricAlarm(this, `${kind}-${target.node.addr.slice(0, 12)}`, {
      alarmName,
      alarmDescription: `${description} (${target.node.path})`,
      evaluationPeriods: this.thresholds.evaluationPeriods,
      treatMissingData: 'notBreaching',
      alarmActions: [this.topic.topicArn],
      okActions: [this.topic.topicArn],
      ...config,
    });
    this.alarmList.push({ kind, target: target.node.path, alarm });
  }
}
