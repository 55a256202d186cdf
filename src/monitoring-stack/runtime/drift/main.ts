/**
 * Container / CronJob entry of the drift detector:
 *
 *   node index.js [--time <ISO-8601>] [--prometheus-out <file>]
 *
 * Reads the same config as the Lambda (`DRIFT_CONFIG` JSON, or `DRIFT_CONFIG_FILE`), uses the
 * standard AWS SDK credential chain (e.g. EKS Pod Identity), analyses the window ending at `--time`
 * (default: now), writes the report to S3, prints EMF lines on stdout, publishes the alert and,
 * with `--prometheus-out`, writes the Prometheus text exposition of the same gauges to a file
 * (for a push to a Pushgateway by the CronJob).
 *
 * Exit codes: 0 run completed (drift or not: see the report); 2 bad arguments or config;
 * 3 baseline/window refused (missing, tampered, unreadable); 1 any other failure.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { createLogger } from '../../../core/runtime/logger';
import { DriftConfigError, driftConfigFromEnv } from './config';
import { type DriftLogger, runDriftDetection } from './detector';
import { StreamReadError } from './json-lines';
import { prometheusText } from './metrics';
import { DriftInputError } from './sources';

export const EXIT_CODES = { ok: 0, failure: 1, usage: 2, input: 3 } as const;

export interface MainIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(line: string): unknown };
  readonly stderr: { write(line: string): unknown };
  readonly s3?: S3Client;
  readonly sns?: SNSClient;
  /** Default: a Powertools JSON logger on stdout. */
  readonly logger?: DriftLogger;
}

class UsageError extends Error {}

function parseCli(argv: readonly string[]): { time: Date | undefined; prometheusOut: string | undefined } {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { time: { type: 'string' }, 'prometheus-out': { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let time: Date | undefined;
  if (values.time !== undefined) {
    time = new Date(values.time);
    if (Number.isNaN(time.getTime())) throw new UsageError(`--time ${JSON.stringify(values.time)} is not an ISO-8601 time`);
  }
  return { time, prometheusOut: values['prometheus-out'] };
}

/** Runs one detection; resolves to the exit code (never throws). */
export async function main(io: MainIo = { argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let args;
  let config;
  try {
    args = parseCli(io.argv);
    config = driftConfigFromEnv(io.env);
  } catch (error) {
    io.stderr.write(`drift: ${(error as Error).message}\n`);
    return EXIT_CODES.usage;
  }
  let logger = io.logger;
  if (!logger) {
    const powertools = createLogger('monitoring-drift', { persistentKeys: { model: config.model, dataset: config.dataset } });
    logger = { info: (m, e) => powertools.info({ ...e, message: m }), warn: (m, e) => powertools.warn({ ...e, message: m }) };
  }
  const s3 = io.s3 ?? new S3Client({});
  const sns = io.sns ?? (config.outputs.topicArn ? new SNSClient({}) : undefined);
  try {
    const result = await runDriftDetection(config, args.time ?? new Date(), {
      s3,
      ...(sns ? { sns } : {}),
      emit: (line) => io.stdout.write(line),
      logger,
    });
    if (args.prometheusOut) writeFileSync(args.prometheusOut, prometheusText(result.report));
    return EXIT_CODES.ok;
  } catch (error) {
    io.stderr.write(`drift: ${(error as Error).message}\n`);
    if (error instanceof DriftConfigError) return EXIT_CODES.usage;
    if (error instanceof DriftInputError || error instanceof StreamReadError) return EXIT_CODES.input;
    return EXIT_CODES.failure;
  } finally {
    if (!io.s3) s3.destroy();
    if (!io.sns) sns?.destroy();
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
