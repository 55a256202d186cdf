/**
 * One drift run, shared by the Lambda and the container entry points:
 *
 * 1. baseline → reference sketches (dataset version: manifests verified, every file's sha256 and
 *    size checked while streaming; a mismatch fails the run before anything is written);
 * 2. window objects (LastModified in (event time − lookback, event time]) → current sketches,
 *    fairness, A/B and (when it reads the same objects) LLM usage; LLM usage from its own prefix
 *    otherwise;
 * 3. the report → S3 `<reportPrefix>/<model>/<event time ISO>.json`, one PutObject with
 *    `ChecksumSHA256` (S3 stores all of it or nothing; a re-run of the same event overwrites it);
 * 4. EMF lines → `emit` (stdout in Lambda: CloudWatch turns them into metrics);
 * 5. an SNS alert when the report has alerts and a topic is configured.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { DriftConfig } from '../../drift-config';
import { ColumnProfile, type DriftReport, WindowAnalysis, buildReport, sourceSummary, usageFields } from './analysis';
import { addLineCounts, emptyLineCounts } from './json-lines';
import { LlmUsageAccumulator } from './llm-usage';
import { emfLines } from './metrics';
import { FieldLayout, type Row } from './record-decoder';
import { datasetVersionFiles, listObjects, listWindow, readObjectRows, readVerifiedFile } from './sources';

export interface DriftLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

export interface DriftDeps {
  readonly s3: S3Client;
  /** Required when the config names a topic. */
  readonly sns?: SNSClient;
  /** Clock for `completedAt`. Default `() => new Date()`. */
  readonly now?: () => Date;
  /** Where EMF lines go (one call per line, newline included). Default: stdout. */
  readonly emit?: (line: string) => void;
  readonly logger?: DriftLogger;
}

export interface DriftRunResult {
  readonly report: DriftReport;
  readonly reportBucket: string;
  readonly reportKey: string;
  readonly emf: readonly string[];
  /** The SNS message id when an alert was published. */
  readonly alertMessageId: string | null;
}

const SILENT: DriftLogger = { info: () => undefined, warn: () => undefined };

/** `<prefix>/<model>/<iso>.json` (no leading or doubled `/`). */
export function reportKey(prefix: string, model: string, eventTime: Date): string {
  const base = prefix.replace(/\/+$/, '');
  return `${base === '' ? '' : `${base}/`}${model}/${eventTime.toISOString()}.json`;
}

/** SNS subjects: ≤ 100 printable ASCII characters, no line breaks. */
export function alertSubject(report: DriftReport): string {
  const kinds = [...new Set(report.alerts.map((a) => a.kind.replace('_', ' ')))].join(', ');
  const text = `gaiops drift alert: ${report.model} (${kinds})`.replace(/[^\x20-\x7e]/g, '?');
  return text.length <= 100 ? text : `${text.slice(0, 97)}...`;
}

/** The SNS message: a JSON summary with a pointer to the full report. */
export function alertMessage(report: DriftReport, bucket: string, key: string): string {
  return JSON.stringify({
    model: report.model,
    dataset: report.dataset,
    eventTime: report.eventTime,
    report: `s3://${bucket}/${key}`,
    alerts: report.alerts,
    drift: {
      share: report.drift.share,
      threshold: report.drift.threshold,
      datasetDrift: report.drift.datasetDrift,
      driftedColumns: report.drift.columns.filter((c) => c.drifted).slice(0, 100).map((c) => ({ column: c.column, test: c.test, score: c.score })),
    },
  });
}

/** Runs the detector for the window ending at `eventTime`. */
export async function runDriftDetection(config: DriftConfig, eventTime: Date, deps: DriftDeps): Promise<DriftRunResult> {
  if (Number.isNaN(eventTime.getTime())) throw new Error('the event time is not a valid date');
  if (config.outputs.topicArn && !deps.sns) throw new Error('the config names an SNS topic but no SNS client was given');
  const { s3 } = deps;
  const logger = deps.logger ?? SILENT;
  const now = deps.now ?? (() => new Date());
  const maxLine = config.maxLineBytes;

  // 1. Baseline.
  const reference = new ColumnProfile(config.columns, config.sketch, 'reference');
  const add = (row: Row) => reference.add(row);
  const baselineCounts = emptyLineCounts();
  let baseline: DriftReport['baseline'];
  if (config.baseline.kind === 'datasetVersion') {
    const { bucket, manifestKey } = config.baseline;
    const version = await datasetVersionFiles(s3, bucket, manifestKey);
    for (const file of version.files) addLineCounts(baselineCounts, await readVerifiedFile(s3, bucket, file, reference.layout, add, maxLine));
    baseline = {
      kind: 'datasetVersion',
      ...sourceSummary(bucket, manifestKey, version.files.length, baselineCounts),
      versionId: version.versionId,
      versionChain: version.chain,
    };
  } else {
    const { bucket, prefix } = config.baseline;
    const objects = await listObjects(s3, bucket, prefix);
    for (const o of objects) addLineCounts(baselineCounts, await readObjectRows(s3, bucket, o.key, reference.layout, add, maxLine));
    baseline = { kind: 'sample', ...sourceSummary(bucket, prefix, objects.length, baselineCounts), versionId: null, versionChain: [] };
  }
  if (baselineCounts.records === 0) logger.warn('the baseline has no records', { bucket: baseline.bucket, prefix: baseline.prefix });

  // 2. Window.
  const from = new Date(eventTime.getTime() - config.window.lookbackHours * 3_600_000);
  const usageConfig = config.llmUsage;
  const usageBucket = usageConfig?.bucket ?? config.window.bucket;
  const usagePrefix = usageConfig?.prefix ?? config.window.prefix;
  const usageFromWindow = usageConfig !== undefined && usageBucket === config.window.bucket && usagePrefix === config.window.prefix;
  const analysis = new WindowAnalysis(config, { usageFromWindow });
  const windowObjects = await listWindow(s3, config.window.bucket, config.window.prefix, from, eventTime);
  const windowCounts = emptyLineCounts();
  const absorb = (row: Row) => analysis.add(row);
  for (const o of windowObjects) addLineCounts(windowCounts, await readObjectRows(s3, config.window.bucket, o.key, analysis.layout, absorb, maxLine));
  if (windowCounts.corrupt > 0) logger.warn('corrupt lines skipped in the window', { corruptLines: windowCounts.corrupt, oversizedLines: windowCounts.oversized });
  let usage: { result: ReturnType<LlmUsageAccumulator['result']>; bucket: string; prefix: string } | undefined;
  if (usageConfig && !usageFromWindow) {
    const layout = new FieldLayout(usageFields(usageConfig));
    const accumulator = new LlmUsageAccumulator(usageConfig, config.sketch.maxCategories, layout);
    const objects = await listWindow(s3, usageBucket, usagePrefix, from, eventTime);
    for (const o of objects) await readObjectRows(s3, usageBucket, o.key, layout, (row) => accumulator.add(row), maxLine);
    usage = { result: accumulator.result(), bucket: usageBucket, prefix: usagePrefix };
  }

  // 3. Report.
  const report = buildReport({
    config,
    eventTime,
    completedAt: now(),
    windowFrom: from,
    reference,
    baseline,
    window: sourceSummary(config.window.bucket, config.window.prefix, windowObjects.length, windowCounts),
    analysis,
    ...(usage ? { usage } : {}),
  });
  const key = reportKey(config.outputs.reportPrefix, config.model, eventTime);
  const body = Buffer.from(`${JSON.stringify(report, null, 2)}\n`, 'utf8');
  await s3.send(
    new PutObjectCommand({
      Bucket: config.outputs.reportBucket,
      Key: key,
      Body: body,
      ContentType: 'application/json',
      ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
    }),
  );

  // 4. Metrics.
  const emf = emfLines(report, config.outputs.namespace, Date.parse(report.completedAt));
  const emit = deps.emit ?? ((line: string) => void process.stdout.write(line));
  for (const line of emf) emit(`${line}\n`);

  // 5. Alert.
  let alertMessageId: string | null = null;
  if (report.alerts.length > 0 && config.outputs.topicArn && deps.sns) {
    const out = await deps.sns.send(
      new PublishCommand({ TopicArn: config.outputs.topicArn, Subject: alertSubject(report), Message: alertMessage(report, config.outputs.reportBucket, key) }),
    );
    alertMessageId = out.MessageId ?? null;
  }
  logger.info('drift run completed', {
    reportKey: key,
    datasetDrift: report.drift.datasetDrift,
    driftShare: report.drift.share,
    windowObjects: windowObjects.length,
    windowRecords: windowCounts.records,
    alerts: report.alerts.length,
  });
  return { report, reportBucket: config.outputs.reportBucket, reportKey: key, emf, alertMessageId };
}
