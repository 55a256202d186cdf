/**
 * One invocation of the rollout controller: validate the event, load the state, apply effects a
 * previous invocation left, decide, save (conditionally), apply the new effects, clear them.
 *
 * Effects are applied in this order: gateway weights (so a restarting candidate only ever gets the
 * step's share), the candidate restart, then events (at least once: a crash after publishing and
 * before clearing publishes them again; `rollout_id` + `detail-type` + `step` identify duplicates).
 */
import type { KubeClient } from '../../../core/runtime/kube-client';
import { checkCandidateHealth, type PrometheusTransport } from './candidate-health';
import { applyWeights, readGateway, restartCandidate } from './gateway-weights';
import type { RolloutConfig } from './rollout-config';
import { parseRolloutInput } from './rollout-input';
import { decide, healthWindowSeconds, type HealthVerdict, needsHealth, type RolloutEffects, type RolloutEvent, type RolloutState } from './rollout-machine';
import { RolloutStateConflict, type RolloutStore } from './rollout-store';

/** Structured log lines (one JSON object each in Lambda). */
export interface RolloutLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Where rollout events go (the registry bus in Lambda). Throws when an event was not accepted. */
export interface RolloutEventSink {
  publish(events: readonly RolloutEvent[]): Promise<void>;
}

export interface RolloutRunnerDeps {
  readonly config: RolloutConfig;
  readonly store: RolloutStore;
  readonly kube: KubeClient;
  readonly prometheus: PrometheusTransport;
  readonly events: RolloutEventSink;
  readonly logger: RolloutLogger;
  /** Default `() => new Date()`. */
  readonly now?: () => Date;
}

export type RolloutResult =
  | { readonly status: 'rejected'; readonly problems: readonly string[] }
  | { readonly status: 'unchanged' | 'updated'; readonly active: { readonly variant: string; readonly version: string; readonly step: number } | null };

const MAX_STATE_CONFLICTS = 5;

export class RolloutRunner {
  private readonly now: () => Date;

  constructor(private readonly deps: RolloutRunnerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Handles one invocation event. Rejects (without throwing or writing) events of the wrong shape. */
  async handle(event: unknown): Promise<RolloutResult> {
    const { config, store, logger } = this.deps;
    const parsed = parseRolloutInput(event);
    if (!parsed.ok) {
      logger.error('event rejected', { problems: parsed.problems, detailType: detailTypeOf(event) });
      return { status: 'rejected', problems: parsed.problems };
    }
    const input = parsed.input;
    for (let attempt = 0; ; attempt += 1) {
      try {
        let state = await store.load();
        if (state.effects) {
          logger.warn('applying effects a previous invocation left', { rolloutId: state.effects.rolloutId });
          state = await this.settle(state);
        }
        const gateway = await readGateway(this.deps.kube, config.namespace, config.configMap);
        let health: HealthVerdict | undefined;
        if (input.kind === 'tick' && needsHealth(state)) {
          health = await this.health(state);
          if (!health) return { status: 'unchanged', active: summary(state) };
        }
        const decision = decide(state, input, {
          now: this.now(),
          steps: config.steps,
          bakeMinutes: config.bakeMinutes,
          maxNoDataChecks: config.maxNoDataChecks,
          variants: config.variants,
          gateway: gateway.config.variants.map((v) => ({ name: v.name, weight: v.weight, shadowPercent: v.shadowPercent })),
          ...(health ? { health } : {}),
          service: { namespace: config.namespace, configMap: config.configMap },
        });
        for (const note of decision.notes) logger[note.level](note.message, { ...note.fields, ...(input.kind === 'alias-changed' ? { eventId: input.change.eventId } : {}) });
        if (decision.state === state) return { status: 'unchanged', active: summary(state) };
        const saved = await this.settle(await store.save(decision.state));
        return { status: 'updated', active: summary(saved) };
      } catch (error) {
        if (error instanceof RolloutStateConflict && attempt + 1 < MAX_STATE_CONFLICTS) {
          logger.info('rollout state changed concurrently; deciding again', { attempt: attempt + 1 });
          continue;
        }
        throw error;
      }
    }
  }

  /** Applies the state's effects (if any) and saves the state without them. */
  private async settle(state: RolloutState): Promise<RolloutState> {
    if (!state.effects) return state;
    await this.apply(state.effects);
    try {
      return await this.deps.store.save({ ...state, effects: null });
    } catch (error) {
      // Another invocation applied and cleared the same effects (they are idempotent).
      if (error instanceof RolloutStateConflict) return this.deps.store.load();
      throw error;
    }
  }

  private async apply(effects: RolloutEffects): Promise<void> {
    const { config, kube, logger } = this.deps;
    if (effects.weights) {
      const result = await applyWeights(kube, { namespace: config.namespace, configMap: config.configMap, rolloutId: effects.rolloutId }, effects.weights);
      logger.info(result.written ? 'gateway weights written' : 'gateway weights already in place', { rolloutId: effects.rolloutId, weights: effects.weights, conflicts: result.conflicts });
    }
    if (effects.restart) {
      await restartCandidate(kube, config.namespace, effects.restart.deployment, effects.restart.version);
      logger.info('candidate restarted for the new version', { rolloutId: effects.rolloutId, ...effects.restart });
    }
    if (effects.events.length > 0) {
      await this.deps.events.publish(effects.events);
      for (const e of effects.events) logger.info('rollout event published', { rolloutId: effects.rolloutId, detailType: e.detailType });
    }
  }

  /** The candidate's health, or undefined when Prometheus could not be queried (the step holds). */
  private async health(state: RolloutState): Promise<HealthVerdict | undefined> {
    const active = state.active;
    if (!active) return undefined;
    const { config, logger } = this.deps;
    const windowSeconds = healthWindowSeconds(active, this.now(), config.bakeMinutes);
    try {
      const verdict = await checkCandidateHealth(this.deps.prometheus, { namespace: config.namespace, variant: active.variant, windowSeconds }, config.thresholds);
      logger.info('candidate health', { variant: active.variant, version: active.version, step: active.step, windowSeconds, ...verdict });
      return verdict;
    } catch (error) {
      logger.error('health check failed; holding the step', { variant: active.variant, step: active.step, error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }
}

function summary(state: RolloutState): { variant: string; version: string; step: number } | null {
  return state.active ? { variant: state.active.variant, version: state.active.version, step: state.active.step } : null;
}

function detailTypeOf(event: unknown): unknown {
  return event !== null && typeof event === 'object' ? (event as Record<string, unknown>)['detail-type'] : undefined;
}
