/**
 * SQS → ingest: each SQS message carries one S3 event notification (S3 → SQS). Messages are
 * processed one after another (memory stays bounded by one ingest) and reported with partial batch
 * responses: a failed message is retried by SQS (and reaches the dead-letter queue after the
 * queue's maxReceiveCount) without failing the others.
 *
 * - `s3:TestEvent` messages (sent when the notification is configured) are acknowledged and ignored.
 * - Records that are not `ObjectCreated:*`, and folder markers (keys ending in `/`), are ignored.
 * - A record for another bucket, a key outside `raw/<group>/`, an unknown group, an unsupported
 *   extension, a missing object, or any processing error fails the message.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type AppLogger, HttpError, describeError, silentLogger } from '../../core/runtime/http-app';
import type { Ingestor } from './ingest';

export interface SqsIngestHandlerOptions {
  /** The ingestor, or a function creating it (called per batch; cache inside it). */
  readonly ingestor: Ingestor | (() => Ingestor | Promise<Ingestor>);
  /** The feature-store bucket; notifications for other buckets fail. */
  readonly bucket: string;
  readonly logger?: AppLogger;
}

export type SqsIngestHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

interface S3EventRecord {
  readonly eventSource?: string;
  readonly eventName?: string;
  readonly s3?: { readonly bucket?: { readonly name?: string }; readonly object?: { readonly key?: string; readonly eTag?: string; readonly size?: number } };
}

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

export function createSqsIngestHandler(options: SqsIngestHandlerOptions): SqsIngestHandler {
  const log = options.logger ?? silentLogger;
  return async (event) => {
    const failures: SQSBatchItemFailure[] = [];
    let ingestor: Ingestor | undefined;
    for (const message of event.Records ?? []) {
      try {
        ingestor ??= typeof options.ingestor === 'function' ? await options.ingestor() : options.ingestor;
        await handleMessage(message, ingestor, options.bucket, log);
      } catch (error) {
        failures.push({ itemIdentifier: message.messageId });
        const details =
          error instanceof HttpError ? { code: error.code, status: error.status, reason: error.message } : { error: describeError(error) };
        log.error('ingest message failed', { messageId: message.messageId, receiveCount: message.attributes?.ApproximateReceiveCount, ...details });
      }
    }
    log.info('ingest batch done', { messages: event.Records?.length ?? 0, failed: failures.length });
    return { batchItemFailures: failures };
  };
}

async function handleMessage(message: SQSRecord, ingestor: Ingestor, bucket: string, log: AppLogger): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    throw new HttpError(400, 'invalid_message', 'the SQS message body is not JSON');
  }
  if (typeof body !== 'object' || body === null) throw new HttpError(400, 'invalid_message', 'the SQS message body is not an S3 event');
  const test = body as { Event?: unknown; Service?: unknown };
  if (test.Event === 's3:TestEvent') {
    log.info('ignoring s3:TestEvent', { messageId: message.messageId });
    return;
  }
  const records = (body as { Records?: unknown }).Records;
  if (!Array.isArray(records)) throw new HttpError(400, 'invalid_message', 'the SQS message body is not an S3 event notification');
  for (const record of records as S3EventRecord[]) {
    if (record?.eventSource !== 'aws:s3' || typeof record.eventName !== 'string') {
      throw new HttpError(400, 'invalid_message', 'the S3 event record is malformed');
    }
    if (!record.eventName.startsWith('ObjectCreated:')) {
      log.info('ignoring S3 event', { messageId: message.messageId, eventName: record.eventName });
      continue;
    }
    const bucketName = record.s3?.bucket?.name;
    const rawKey = record.s3?.object?.key;
    if (typeof bucketName !== 'string' || typeof rawKey !== 'string') throw new HttpError(400, 'invalid_message', 'the S3 event record has no bucket or key');
    if (bucketName !== bucket) throw new HttpError(400, 'unexpected_bucket', 'the S3 event is for another bucket');
    let key: string;
    try {
      key = decodeS3EventKey(rawKey);
    } catch {
      throw new HttpError(400, 'invalid_message', 'the S3 event key is not URL-encoded correctly');
    }
    if (key.endsWith('/')) {
      log.info('ignoring folder marker', { messageId: message.messageId });
      continue;
    }
    await ingestor.ingestObject({ key, etag: record.s3?.object?.eTag });
  }
}
