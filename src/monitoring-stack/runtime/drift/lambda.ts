/**
 * Lambda entry point of the drift detector, invoked by an EventBridge schedule. The window ends at
 * the event's `time` (so a retried invocation analyses the same window and overwrites the same
 * report), or at the invocation time when the event has none.
 *
 * Environment: `DRIFT_CONFIG` (the JSON config, validated on the first invocation and kept for the
 * execution environment). EMF metric lines go to stdout; logs are Powertools JSON lines.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { createLogger } from '../../../core/runtime/logger';
import type { DriftConfig } from '../../drift-config';
import { driftConfigFromEnv } from './config';
import { type DriftLogger, runDriftDetection } from './detector';

export const DRIFT_SERVICE_NAME = 'monitoring-drift';

/** The part of an EventBridge event the handler reads. */
export interface DriftScheduleEvent {
  readonly time?: string;
  readonly id?: string;
}

export interface DriftLambdaSummary {
  readonly reportBucket: string;
  readonly reportKey: string;
  readonly datasetDrift: boolean;
  readonly driftShare: number;
  readonly alerts: number;
  readonly alertMessageId: string | null;
}

export interface DriftLambdaOptions {
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly s3?: S3Client;
  readonly sns?: SNSClient;
  readonly logger?: DriftLogger;
  readonly emit?: (line: string) => void;
  readonly now?: () => Date;
}

/** Picks the window end: the event's `time` when valid, else `now`. */
export function eventTimeOf(event: DriftScheduleEvent | undefined, now: Date): Date {
  const t = typeof event?.time === 'string' ? new Date(event.time) : undefined;
  return t && !Number.isNaN(t.getTime()) ? t : now;
}

export function createDriftLambdaHandler(options: DriftLambdaOptions = {}): (event: DriftScheduleEvent) => Promise<DriftLambdaSummary> {
  let state: { config: DriftConfig; s3: S3Client; sns: SNSClient | undefined; logger: DriftLogger } | undefined;
  return async (event) => {
    if (!state) {
      const config = driftConfigFromEnv(options.env ?? process.env);
      let logger = options.logger;
      if (!logger) {
        const powertools = createLogger(DRIFT_SERVICE_NAME, { persistentKeys: { model: config.model, dataset: config.dataset } });
        logger = { info: (m, e) => powertools.info({ ...e, message: m }), warn: (m, e) => powertools.warn({ ...e, message: m }) };
      }
      state = {
        config,
        s3: options.s3 ?? new S3Client({}),
        sns: options.sns ?? (config.outputs.topicArn ? new SNSClient({}) : undefined),
        logger,
      };
    }
    const now = options.now ?? (() => new Date());
    const result = await runDriftDetection(state.config, eventTimeOf(event, now()), {
      s3: state.s3,
      ...(state.sns ? { sns: state.sns } : {}),
      logger: state.logger,
      now,
      ...(options.emit ? { emit: options.emit } : {}),
    });
    return {
      reportBucket: result.reportBucket,
      reportKey: result.reportKey,
      datasetDrift: result.report.drift.datasetDrift,
      driftShare: result.report.drift.share,
      alerts: result.report.alerts.length,
      alertMessageId: result.alertMessageId,
    };
  };
}

export const handler = createDriftLambdaHandler();
