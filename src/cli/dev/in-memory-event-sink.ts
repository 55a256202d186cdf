/**
 * Where the playground's model registry publishes its events (instead of EventBridge): the latest
 * ones are kept in memory and each is logged (detail-type, model, version — never the detail body).
 */
import type { AppLogger } from '../../core/runtime/http-app';
import type { EventPublisher, RegistryEvent } from '../../model-registry/runtime/events';

/** Events kept; older ones are dropped first. */
export const EVENT_SINK_CAPACITY = 1000;

export class InMemoryEventSink implements EventPublisher {
  private readonly kept: RegistryEvent[] = [];

  constructor(private readonly logger?: AppLogger) {}

  /** The events published so far (at most `EVENT_SINK_CAPACITY`, oldest first). */
  get events(): readonly RegistryEvent[] {
    return this.kept;
  }

  async publish(events: readonly RegistryEvent[]): Promise<void> {
    for (const event of events) {
      this.kept.push(event);
      this.logger?.info('registry event', { detailType: event.detailType, modelName: event.detail.model_name, version: event.detail.version ?? null });
    }
    if (this.kept.length > EVENT_SINK_CAPACITY) this.kept.splice(0, this.kept.length - EVENT_SINK_CAPACITY);
  }
}
