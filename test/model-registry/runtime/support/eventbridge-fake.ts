/**
 * A real local HTTP server speaking EventBridge's JSON protocol (awsJson1.1,
 * `X-Amz-Target: AWSEvents.PutEvents`) that a real `EventBridgeClient` is pointed at via `endpoint`.
 * It records every accepted event and can be told to fail the next calls.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export interface RecordedEvent {
  readonly source: string;
  readonly detailType: string;
  readonly eventBusName: string;
  readonly detail: Record<string, unknown>;
}

export type FailureMode = 'failed-entries' | 'http-500';

export interface EventBridgeFake {
  readonly endpoint: string;
  readonly events: RecordedEvent[];
  /** Authorization headers received (to check the SDK signed for service `events`). */
  readonly authorizations: string[];
  /** PutEvents calls received (including failed ones). */
  readonly calls: { entries: number }[];
  /** The next `count` PutEvents calls fail in the given way. */
  failNext(mode: FailureMode, count?: number): void;
  client(): EventBridgeClient;
  clear(): void;
  close(): Promise<void>;
}

export async function startEventBridgeFake(): Promise<EventBridgeFake> {
  const events: RecordedEvent[] = [];
  const authorizations: string[] = [];
  const calls: { entries: number }[] = [];
  const failures: FailureMode[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        reply(400, { __type: 'UnknownOperationException', message: `unsupported target ${String(req.headers['x-amz-target'])}` });
        return;
      }
      authorizations.push(String(req.headers.authorization ?? ''));
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        Entries: { Source: string; DetailType: string; Detail: string; EventBusName: string }[];
      };
      calls.push({ entries: input.Entries.length });
      if (input.Entries.length > 10) {
        reply(400, { __type: 'ValidationException', message: 'Entries must have at most 10 items' });
        return;
      }
      const failure = failures.shift();
      if (failure === 'http-500') {
        reply(500, { __type: 'InternalException', message: 'injected failure' });
        return;
      }
      if (failure === 'failed-entries') {
        reply(200, {
          FailedEntryCount: input.Entries.length,
          Entries: input.Entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'injected entry failure' })),
        });
        return;
      }
      for (const e of input.Entries) {
        events.push({ source: e.Source, detailType: e.DetailType, eventBusName: e.EventBusName, detail: JSON.parse(e.Detail) as Record<string, unknown> });
      }
      reply(200, { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: randomUUID() })) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: EventBridgeClient[] = [];
  return {
    endpoint,
    events,
    authorizations,
    calls,
    failNext(mode, count = 1) {
      for (let i = 0; i < count; i++) failures.push(mode);
    },
    client() {
      // maxAttempts 1: failure injection is observed as is (no SDK-level retries).
      const c = new EventBridgeClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
      clients.push(c);
      return c;
    },
    clear() {
      events.length = 0;
      authorizations.length = 0;
      calls.length = 0;
      failures.length = 0;
    },
    async close() {
      clients.forEach((c) => c.destroy());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
