/**
 * The progressive-delivery state machine (pure): `decide(state, input, context) → next state`.
 *
 * The state is one record per InferenceService. The effects a decision asks for (gateway weights,
 * a candidate restart, events) are stored in the record (`effects`, an outbox) before anything is
 * done; the edge applies them idempotently and then clears them. A crash anywhere leaves either the
 * old record (nothing happened) or a record whose effects the next invocation applies first.
 */
import type { RolloutEventType, RolloutVariant } from './rollout-config';
import { rollbackWeights, stepWeights, type Weights } from './step-weights';

/** An `AliasChanged` registry event, validated. */
export interface AliasChange {
  /** The EventBridge event id (duplicates are ignored). */
  readonly eventId: string;
  readonly modelName: string;
  readonly alias: string;
  readonly action: 'set' | 'deleted';
  readonly version: string | null;
  readonly previousVersion: string | null;
  /** The event's time (ISO 8601): changes older than the last one seen for the variant are ignored. */
  readonly time: string;
}

export type RolloutInput = { readonly kind: 'alias-changed'; readonly change: AliasChange } | { readonly kind: 'tick' };

/** The candidate's health over the check window, as the metrics edge judged it. */
export interface HealthVerdict {
  readonly status: 'healthy' | 'unhealthy' | 'no-data';
  readonly requests: number;
  readonly errorRatio: number | null;
  readonly p99LatencyMs: number | null;
  /** Why it is unhealthy (thresholds crossed) or has no data. */
  readonly reasons: readonly string[];
}

export interface ActiveRollout {
  /** Id of the event that started it. */
  readonly id: string;
  readonly variant: string;
  readonly modelName: string;
  readonly alias: string;
  readonly version: string;
  readonly previousVersion: string | null;
  /** Gateway weights of every variant when the rollout started. */
  readonly startWeights: Record<string, number>;
  /** Index into the steps. */
  readonly step: number;
  readonly startedAt: string;
  readonly stepStartedAt: string;
  /** Consecutive "no data" checks after the bake time of the current step. */
  readonly noDataChecks: number;
}

export interface PendingChange {
  readonly id: string;
  readonly variant: string;
  readonly version: string;
  readonly previousVersion: string | null;
}

export interface RolloutOutcome {
  readonly id: string;
  readonly variant: string;
  readonly version: string;
  readonly outcome: 'completed' | 'rolled-back' | 'superseded' | 'refused';
  readonly at: string;
  readonly reason?: string;
}

export interface RolloutEvent {
  readonly detailType: RolloutEventType;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** What the edge must do, in this order: restart the candidate, write the weights, publish the events. */
export interface RolloutEffects {
  readonly rolloutId: string;
  readonly restart?: { readonly variant: string; readonly deployment: string; readonly version: string };
  readonly weights?: Record<string, number>;
  readonly events: readonly RolloutEvent[];
}

export interface RolloutState {
  /** Revision for conditional writes (0: never written). */
  readonly rev: number;
  readonly active: ActiveRollout | null;
  /** Alias changes of other variants waiting for the active rollout to end (one per variant, latest wins). */
  readonly pending: readonly PendingChange[];
  /** The last event ids handled (bounded). */
  readonly seenEventIds: readonly string[];
  /** Per variant, the time of the last alias change accepted. */
  readonly lastChangeAt: Readonly<Record<string, string>>;
  /** Per variant, the last version rolled out completely. */
  readonly completed: Readonly<Record<string, string>>;
  /** Per variant, the last version rolled back (a replayed event cannot restart it; deleting the alias clears it). */
  readonly rolledBack: Readonly<Record<string, string>>;
  /** The last outcomes, newest last (bounded). */
  readonly history: readonly RolloutOutcome[];
  /** Effects decided but not yet confirmed applied. */
  readonly effects: RolloutEffects | null;
}

export const INITIAL_STATE: RolloutState = { rev: 0, active: null, pending: [], seenEventIds: [], lastChangeAt: {}, completed: {}, rolledBack: {}, history: [], effects: null };

const MAX_SEEN_EVENTS = 200;
const MAX_HISTORY = 50;

/** The live gateway variants the decision may need (read from `gateway.json`). */
export interface GatewayVariantView {
  readonly name: string;
  readonly weight: number;
  readonly shadowPercent: number;
}

export interface DecideContext {
  readonly now: Date;
  readonly steps: readonly number[];
  readonly bakeMinutes: number;
  readonly maxNoDataChecks: number;
  readonly variants: readonly RolloutVariant[];
  /** The gateway's variants now (needed to start a rollout). */
  readonly gateway: readonly GatewayVariantView[];
  /** The candidate's health (needed on a tick while a rollout is active). */
  readonly health?: HealthVerdict;
  /** Identifies the service in event details. */
  readonly service: { readonly namespace: string; readonly configMap: string };
}

export interface LogNote {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export interface Decision {
  /** The next state; the same object as the input state when nothing changed (nothing to write). */
  readonly state: RolloutState;
  readonly notes: readonly LogNote[];
}

/** True when a tick needs the candidate's health: a rollout is active. */
export function needsHealth(state: RolloutState): boolean {
  return state.active !== null;
}

/** Seconds of metrics to judge the current step on: since the step started, between 1 minute and the bake time. */
export function healthWindowSeconds(active: ActiveRollout, now: Date, bakeMinutes: number): number {
  const elapsed = Math.floor((now.getTime() - Date.parse(active.stepStartedAt)) / 1000);
  return Math.max(60, Math.min(bakeMinutes * 60, elapsed));
}

/** Decides what an input changes. Never throws on valid inputs; a tick while active requires `context.health`. */
export function decide(state: RolloutState, input: RolloutInput, context: DecideContext): Decision {
  return input.kind === 'tick' ? onTick(state, context) : onAliasChange(state, input.change, context);
}

function onAliasChange(state: RolloutState, change: AliasChange, c: DecideContext): Decision {
  if (state.seenEventIds.includes(change.eventId)) {
    return { state, notes: [{ level: 'info', message: 'duplicate event ignored', fields: { eventId: change.eventId } }] };
  }
  const variant = c.variants.find((v) => v.modelName === change.modelName && v.alias === change.alias);
  if (!variant) {
    return { state, notes: [{ level: 'info', message: 'alias not followed by any variant; ignored', fields: { eventId: change.eventId, model: change.modelName, alias: change.alias } }] };
  }
  const seen = remember(state, change.eventId);
  const last = state.lastChangeAt[variant.name];
  if (last !== undefined && Date.parse(change.time) < Date.parse(last)) {
    return { state: seen, notes: [{ level: 'warn', message: 'alias change older than the last one seen; ignored', fields: { eventId: change.eventId, variant: variant.name, time: change.time, last } }] };
  }
  const s: RolloutState = { ...seen, lastChangeAt: { ...seen.lastChangeAt, [variant.name]: change.time } };
  const active = s.active;

  if (change.action === 'deleted' || change.version === null) {
    const pending = s.pending.filter((p) => p.variant !== variant.name);
    // Deleting the alias also forgets a rolled-back version of the variant (so it can be retried).
    const rolledBack = Object.fromEntries(Object.entries(s.rolledBack ?? {}).filter(([name]) => name !== variant.name));
    if (active && active.variant === variant.name) {
      const d = rollBack({ ...s, pending }, active, `alias ${change.alias} deleted`, c);
      return { ...d, state: { ...d.state, rolledBack } };
    }
    return { state: { ...s, pending, rolledBack }, notes: [{ level: 'info', message: 'alias deleted; no rollout of this variant active', fields: { variant: variant.name } }] };
  }

  const version = change.version;
  if (active && active.variant === variant.name) {
    if (active.version === version) {
      return { state: s, notes: [{ level: 'info', message: 'rollout of this version already active; event ignored', fields: { variant: variant.name, version } }] };
    }
    // A newer version replaces the one being rolled out: start over from the same start weights.
    const superseded = outcome(active, 'superseded', c.now, `replaced by version ${version}`);
    const restarted = begin({ ...s, history: trim([...s.history, superseded]) }, { id: change.eventId, variant: variant.name, version, previousVersion: change.previousVersion }, active.startWeights, c);
    return { state: restarted.state, notes: [{ level: 'info', message: 'rollout superseded by a newer version', fields: { variant: variant.name, from: active.version, to: version } }, ...restarted.notes] };
  }
  if (active) {
    const pending = [...s.pending.filter((p) => p.variant !== variant.name), { id: change.eventId, variant: variant.name, version, previousVersion: change.previousVersion }];
    return { state: { ...s, pending }, notes: [{ level: 'info', message: 'another rollout is active; change queued', fields: { variant: variant.name, version, active: active.variant } }] };
  }
  const done = settledVersion(s, variant.name, version);
  if (done) return { state: s, notes: [{ level: 'info', message: done, fields: { variant: variant.name, version } }] };
  return start(s, { id: change.eventId, variant: variant.name, version, previousVersion: change.previousVersion }, c);
}

function onTick(state: RolloutState, c: DecideContext): Decision {
  const active = state.active;
  if (!active) {
    const [next, ...rest] = state.pending;
    if (!next) return { state, notes: [] };
    const done = settledVersion(state, next.variant, next.version);
    if (done) return { state: { ...state, pending: rest }, notes: [{ level: 'info', message: done, fields: { variant: next.variant, version: next.version } }] };
    return start({ ...state, pending: rest }, next, c);
  }
  const health = c.health;
  if (!health) throw new Error('decide: a tick with an active rollout needs the candidate health');
  const metrics = { requests: health.requests, errorRatio: health.errorRatio, p99LatencyMs: health.p99LatencyMs };
  if (health.status === 'unhealthy') return rollBack(state, active, health.reasons.join('; '), c, metrics);

  const baked = c.now.getTime() - Date.parse(active.stepStartedAt) >= c.bakeMinutes * 60_000;
  if (!baked) return { state, notes: [] };
  if (health.status === 'no-data') {
    const noDataChecks = active.noDataChecks + 1;
    if (c.maxNoDataChecks > 0 && noDataChecks >= c.maxNoDataChecks) {
      return rollBack(state, active, `no data for ${noDataChecks} checks after the bake time (${health.reasons.join('; ')})`, c, metrics);
    }
    return {
      state: { ...state, active: { ...active, noDataChecks } },
      notes: [{ level: 'warn', message: 'not enough traffic to judge the candidate; holding the step', fields: { variant: active.variant, step: active.step, noDataChecks, ...metrics } }],
    };
  }
  const nextStep = active.step + 1;
  if (nextStep >= c.steps.length) {
    const done = outcome(active, 'completed', c.now);
    const event = rolloutEvent('RolloutCompleted', active, c, { weights: stepWeights(active.startWeights, active.variant, c.steps[active.step]), ...metrics });
    return {
      state: {
        ...state,
        active: null,
        completed: { ...state.completed, [active.variant]: active.version },
        history: trim([...state.history, done]),
        effects: { rolloutId: active.id, events: [event] },
      },
      notes: [{ level: 'info', message: 'rollout completed', fields: { variant: active.variant, version: active.version, ...metrics } }],
    };
  }
  const weights = stepWeights(active.startWeights, active.variant, c.steps[nextStep]);
  return {
    state: {
      ...state,
      active: { ...active, step: nextStep, stepStartedAt: c.now.toISOString(), noDataChecks: 0 },
      effects: { rolloutId: active.id, weights, events: [] },
    },
    notes: [{ level: 'info', message: 'step healthy; advancing', fields: { variant: active.variant, version: active.version, step: nextStep, percent: c.steps[nextStep], weights, ...metrics } }],
  };
}

/** Starts a rollout from the gateway's current weights, or refuses it when the candidate cannot take traffic. */
function start(state: RolloutState, change: PendingChange, c: DecideContext): Decision {
  const candidate = c.gateway.find((v) => v.name === change.variant);
  const refuse = (reason: string): Decision => ({
    state: { ...state, history: trim([...state.history, { id: change.id, variant: change.variant, version: change.version, outcome: 'refused', at: c.now.toISOString(), reason }]) },
    notes: [{ level: 'warn', message: 'rollout refused', fields: { variant: change.variant, version: change.version, reason } }],
  });
  if (!candidate) return refuse(`variant ${change.variant} is not in gateway.json`);
  if (candidate.shadowPercent > 0) return refuse(`variant ${change.variant} is a shadow variant (no weight to shift)`);
  const startWeights = Object.fromEntries(c.gateway.map((v) => [v.name, v.weight]));
  return begin(state, change, startWeights, c);
}

function begin(state: RolloutState, change: PendingChange, startWeights: Weights, c: DecideContext): Decision {
  const cfg = c.variants.find((v) => v.name === change.variant) as RolloutVariant;
  const now = c.now.toISOString();
  const active: ActiveRollout = {
    id: change.id,
    variant: change.variant,
    modelName: cfg.modelName,
    alias: cfg.alias,
    version: change.version,
    previousVersion: change.previousVersion,
    startWeights: { ...startWeights },
    step: 0,
    startedAt: now,
    stepStartedAt: now,
    noDataChecks: 0,
  };
  const weights = stepWeights(startWeights, change.variant, c.steps[0]);
  return {
    state: {
      ...state,
      active,
      effects: {
        rolloutId: change.id,
        restart: { variant: change.variant, deployment: cfg.deployment, version: change.version },
        weights,
        events: [rolloutEvent('RolloutStarted', active, c, { weights, steps: [...c.steps], bakeMinutes: c.bakeMinutes })],
      },
    },
    notes: [{ level: 'info', message: 'rollout started', fields: { variant: change.variant, version: change.version, percent: c.steps[0], weights } }],
  };
}

/** Why a change needs no rollout (the version was completed or rolled back last), or undefined. */
function settledVersion(state: RolloutState, variant: string, version: string): string | undefined {
  if (state.completed[variant] === version) return 'version already rolled out; event ignored';
  if ((state.rolledBack ?? {})[variant] === version) return 'version was rolled back; event ignored (delete and set the alias again to retry)';
  return undefined;
}

function rollBack(state: RolloutState, active: ActiveRollout, reason: string, c: DecideContext, metrics: Record<string, unknown> = {}): Decision {
  const weights = rollbackWeights(active.startWeights, active.variant);
  return {
    state: {
      ...state,
      active: null,
      rolledBack: { ...(state.rolledBack ?? {}), [active.variant]: active.version },
      history: trim([...state.history, outcome(active, 'rolled-back', c.now, reason)]),
      effects: { rolloutId: active.id, weights, events: [rolloutEvent('RolloutRolledBack', active, c, { weights, reason, ...metrics })] },
    },
    notes: [{ level: 'warn', message: 'rollout rolled back', fields: { variant: active.variant, version: active.version, step: active.step, reason, weights, ...metrics } }],
  };
}

function rolloutEvent(detailType: RolloutEventType, active: ActiveRollout, c: DecideContext, extra: Record<string, unknown>): RolloutEvent {
  return {
    detailType,
    detail: {
      rollout_id: active.id,
      namespace: c.service.namespace,
      config_map: c.service.configMap,
      variant: active.variant,
      model_name: active.modelName,
      alias: active.alias,
      version: active.version,
      previous_version: active.previousVersion,
      step: active.step,
      percent: c.steps[active.step],
      start_weights: active.startWeights,
      ...extra,
    },
  };
}

function outcome(active: ActiveRollout, kind: RolloutOutcome['outcome'], now: Date, reason?: string): RolloutOutcome {
  return { id: active.id, variant: active.variant, version: active.version, outcome: kind, at: now.toISOString(), ...(reason !== undefined ? { reason } : {}) };
}

function remember(state: RolloutState, eventId: string): RolloutState {
  return { ...state, seenEventIds: [...state.seenEventIds, eventId].slice(-MAX_SEEN_EVENTS) };
}

function trim<T>(list: readonly T[]): T[] {
  return list.slice(-MAX_HISTORY);
}
