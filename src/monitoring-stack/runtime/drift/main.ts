/**
 * Container / CronJob entry of the drift detector:
 *
 *   node index.js [--time <ISO-8601>] [--put-metrics] [--prometheus-out <file>]
 *
 * Reads the same config as the Lambda (`DRIFT_CONFIG` JSON, or `DRIFT_CONFIG_FILE`), uses the
 * standard AWS SDK credential chain (e.g. EKS Pod Identity), analyses the window ending at `--time`
 * (default: now), writes the report to S3, prints EMF lines on stdout, publishes the alert and,
 * with `--put-metrics`, sends the same gauges to CloudWatch with `PutMetricData` (a pod's stdout
 * does not become metrics the way a Lambda's does; the DriftJob passes it), and with
 * `--prometheus-out` writes the Prometheus text exposition of the same gauges to a file.
 * `AWS_ENDPOINT_URL_CLOUDWATCH` overrides the CloudWatch endpoint (as in the AWS SDKs).
 *
 * Exit codes: 0 run completed (drift or not: see the report); 2 bad arguments or config;
 * 3 baseline/window refused (missing, tampered, unreadable); 1 any other failure (a refused
 * PutMetricData included: the report and alert are written by then).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SignatureV4 } from '@smithy/signature-v4';
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

function parseCli(argv: readonly string[]): { time: Date | undefined; prometheusOut: string | undefined; putMetrics: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { time: { type: 'string' }, 'prometheus-out': { type: 'string' }, 'put-metrics': { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let time: Date | undefined;
  if (values.time !== undefined) {
    time = new Date(values.time);
    if (Number.isNaN(time.getTime())) throw new UsageError(`--time ${JSON.stringify(values.time)} is not an ISO-8601 time`);
  }
  return { time, prometheusOut: values['prometheus-out'], putMetrics: values['put-metrics'] === true };
}

/** Most data points per PutMetricData request (the API allows 1,000 and 1 MB). */
export const PUT_METRIC_DATA_BATCH = 500;

/** The form-encoded (Query API) PutMetricData bodies carrying the gauges of EMF lines, ≤ `PUT_METRIC_DATA_BATCH` data points each. */
export function putMetricDataBodies(emfLines: readonly string[]): string[] {
  const byNamespace = new Map<string, [string, string][][]>();
  for (const line of emfLines) {
    const record = JSON.parse(line) as Record<string, unknown> & {
      _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    };
    const timestamp = new Date(record._aws.Timestamp).toISOString();
    for (const directive of record._aws.CloudWatchMetrics) {
      const points = byNamespace.get(directive.Namespace) ?? [];
      byNamespace.set(directive.Namespace, points);
      for (const metric of directive.Metrics) {
        const fields: [string, string][] = [
          ['MetricName', metric.Name],
          ['Value', String(record[metric.Name])],
          ['Unit', metric.Unit],
          ['Timestamp', timestamp],
        ];
        (directive.Dimensions[0] ?? []).forEach((dimension, d) => {
          fields.push([`Dimensions.member.${d + 1}.Name`, dimension], [`Dimensions.member.${d + 1}.Value`, String(record[dimension])]);
        });
        points.push(fields);
      }
    }
  }
  const bodies: string[] = [];
  for (const [namespace, points] of byNamespace) {
    for (let start = 0; start < points.length; start += PUT_METRIC_DATA_BATCH) {
      const params = new URLSearchParams([
        ['Action', 'PutMetricData'],
        ['Version', '2010-08-01'],
        ['Namespace', namespace],
      ]);
      points.slice(start, start + PUT_METRIC_DATA_BATCH).forEach((fields, i) => {
        for (const [name, value] of fields) params.append(`MetricData.member.${i + 1}.${name}`, value);
      });
      bodies.push(params.toString());
    }
  }
  return bodies;
}

/**
 * Sends EMF lines' gauges to CloudWatch (`PutMetricData`, SigV4-signed Query API request) with the
 * S3 client's region and credential chain. Throws naming the HTTP status and the AWS error code.
 */
export async function putMetrics(emfLines: readonly string[], s3: S3Client, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const region = await s3.config.region();
  const endpoint = new URL(env.AWS_ENDPOINT_URL_CLOUDWATCH?.trim() || `https://monitoring.${region}.amazonaws.com/`);
  const signer = new SignatureV4({ service: 'monitoring', region, credentials: s3.config.credentials, sha256: Sha256 });
  const bodies = putMetricDataBodies(emfLines);
  for (const body of bodies) {
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      headers: { host: endpoint.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    // fetch sets Host itself (to the value that was signed).
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
    const res = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (!res.ok) {
      const code = /<Code>([^<]{1,128})<\/Code>/.exec(text)?.[1] ?? 'unknown error';
      throw new Error(`CloudWatch PutMetricData failed: HTTP ${res.status} ${code}`);
    }
  }
  return bodies.length;
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
    if (args.putMetrics) await putMetrics(result.emf, s3, io.env);
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
