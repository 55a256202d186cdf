/**
 * What invokes the controller, validated at the edge: a registry `AliasChanged` event delivered by
 * the EventBridge rule on the registry bus, or the one-minute schedule (`Scheduled Event`). Anything
 * else is rejected with the list of problems.
 */
import { z } from 'zod';
import { REGISTRY_EVENTS } from '../../../model-registry/registry-config';
import type { RolloutInput } from './rollout-machine';

const VERSION = z.string().regex(/^[1-9][0-9]{0,9}$/, 'must be a registry version number');
const TIME = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'must be an ISO 8601 time');

/** An `AliasChanged` event as EventBridge delivers it to a Lambda target. */
export const AliasChangedEventSchema = z.object({
  id: z.string().min(1).max(256),
  'detail-type': z.literal('AliasChanged'),
  source: z.literal(REGISTRY_EVENTS.source),
  time: TIME,
  detail: z.object({
    model_name: z.string().min(1).max(256),
    alias: z.string().min(1).max(256),
    action: z.enum(['set', 'deleted']),
    version: VERSION.nullable(),
    previous_version: VERSION.nullable(),
  }),
});

/** The EventBridge schedule's event. */
export const ScheduledEventSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
});

export type ParsedInput = { readonly ok: true; readonly input: RolloutInput } | { readonly ok: false; readonly problems: readonly string[] };

/** Validates an invocation event. */
export function parseRolloutInput(event: unknown): ParsedInput {
  const detailType = event !== null && typeof event === 'object' ? (event as Record<string, unknown>)['detail-type'] : undefined;
  if (detailType === 'Scheduled Event') {
    const tick = ScheduledEventSchema.safeParse(event);
    return tick.success ? { ok: true, input: { kind: 'tick' } } : { ok: false, problems: issues(tick.error) };
  }
  const alias = AliasChangedEventSchema.safeParse(event);
  if (!alias.success) {
    return { ok: false, problems: detailType === 'AliasChanged' ? issues(alias.error) : [`detail-type: must be "AliasChanged" or "Scheduled Event"`] };
  }
  const e = alias.data;
  if (e.detail.action === 'set' && e.detail.version === null) return { ok: false, problems: ['detail.version: required when action is "set"'] };
  return {
    ok: true,
    input: {
      kind: 'alias-changed',
      change: {
        eventId: e.id,
        modelName: e.detail.model_name,
        alias: e.detail.alias,
        action: e.detail.action,
        version: e.detail.action === 'deleted' ? null : e.detail.version,
        previousVersion: e.detail.previous_version,
        time: new Date(e.time).toISOString(),
      },
    },
  };
}

function issues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);
}
