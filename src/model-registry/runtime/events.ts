/**
 * Registry events. They are published after the DynamoDB transaction that records the change has
 * committed; the same event (detail-type and detail) is stored in that transaction's audit item, so
 * an event that could not be published can always be replayed from the audit table.
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { AppLogger } from '../../core/runtime/http-app';
import { REGISTRY_EVENTS } from '../registry-config';

export type RegistryEventType = (typeof REGISTRY_EVENTS.detailTypes)[number];

export interface RegistryEvent {
  readonly detailType: RegistryEventType;
  /** JSON-serialisable; never contains secrets. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Where registry events go. Implementations throw when any event was not accepted. */
export interface EventPublisher {
  publish(events: readonly RegistryEvent[]): Promise<void>;
}

/** Thrown when EventBridge rejected some entries (`FailedEntryCount > 0`). */
export class EventPublishError extends Error {
  constructor(
    message: string,
    public readonly failures: readonly { readonly detailType: string; readonly errorCode?: string; readonly errorMessage?: string }[],
  ) {
    super(message);
    this.name = 'EventPublishError';
  }
}

const MAX_ENTRIES_PER_CALL = 10;

/** Publishes to an EventBridge bus with `PutEvents` (source `gaiops.model-registry`). */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    private readonly source: string = REGISTRY_EVENTS.source,
  ) {}

  async publish(events: readonly RegistryEvent[]): Promise<void> {
    const failures: { detailType: string; errorCode?: string; errorMessage?: string }[] = [];
    for (let i = 0; i < events.length; i += MAX_ENTRIES_PER_CALL) {
      const batch = events.slice(i, i + MAX_ENTRIES_PER_CALL);
      const entries: PutEventsRequestEntry[] = batch.map((e) => ({
        EventBusName: this.eventBusName,
        Source: this.source,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
      }));
      const output = await this.client.send(new PutEventsCommand({ Entries: entries }));
      if ((output.FailedEntryCount ?? 0) > 0) {
        (output.Entries ?? []).forEach((entry, index) => {
          if (entry.ErrorCode) failures.push({ detailType: batch[index]?.detailType ?? 'unknown', errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage });
        });
        if (failures.length === 0) failures.push({ detailType: 'unknown', errorCode: 'FailedEntryCount', errorMessage: String(output.FailedEntryCount) });
      }
    }
    if (failures.length > 0) throw new EventPublishError(`EventBridge rejected ${failures.length} of ${events.length} events`, failures);
  }
}

/** For local runs without a bus: logs each event (detail-type and model only) and drops it. */
export class LoggingEventPublisher implements EventPublisher {
  constructor(private readonly logger: AppLogger) {}

  async publish(events: readonly RegistryEvent[]): Promise<void> {
    for (const e of events) this.logger.info('registry event (no event bus configured)', { detailType: e.detailType, modelName: e.detail.model_name });
  }
}
