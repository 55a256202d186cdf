/**
 * The registry's operations, independent of HTTP: each read returns an API-shaped result, each
 * write is planned from freshly read items and committed as one DynamoDB transaction together with
 * its audit items (and an idempotency record when the caller sent an idempotency key), retried on
 * optimistic-concurrency conflicts. Events are published after the commit.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { type AppLogger, describeError } from '../../core/runtime/http-app';
import type { RegistryConfig } from '../registry-config';
import type {
  AuditEntry,
  GovernanceStatus,
  LineageRecord,
  ModelVersion,
  RegisteredModel,
  ReviewRecord,
  Tag,
} from './api-types';
import { artifactLocation, artifactUri, assertArtifactExists } from './artifacts';
import { alreadyExists, invalidParameter, notFound, permissionDenied, RegistryError } from './errors';
import type { EventPublisher, RegistryEvent, RegistryEventType } from './events';
import { effectiveGates, evaluateGates, gateRefusal, isProtectedAlias, type GateSubject, type Review } from './governance';
import { isApprover, isSamePerson, isSamePrincipal } from './identity';
import { type LineageFields, type LineageUpdate, MAX_LINEAGE_BYTES, mergeLineage } from './lineage';
import { type FilterCondition, type OrderClause, matchCondition, paginate, parseFilter, parseOrderBy, queryFingerprint } from './search';
import {
  ConflictError,
  DEFAULT_RETRY,
  type IdempotencyItem,
  type Key,
  type LineageItem,
  type ModelItem,
  type NameItem,
  RegistryStore,
  type RetryPolicy,
  type TxOp,
  type VersionItem,
  keys,
  sha256Hex,
  withConflictRetries,
} from './store';
import { LIMITS, STAGES, type Stage } from './validation';

/** Per-call information from the HTTP layer. */
export interface CallContext {
  readonly principal: string;
  readonly requestId: string;
  readonly log: AppLogger;
  /** Client-chosen key making a mutating call safe to retry (see README). */
  readonly idempotency?: { readonly key: string; readonly operation: string; readonly requestHash: string };
  /** Set by mutating calls: whether their events reached the event bus. */
  eventStatus?: 'published' | 'failed' | 'none';
  /** Set when the response was replayed from an idempotency record. */
  replayed?: boolean;
}

export interface RegistryServiceOptions {
  readonly store: RegistryStore;
  readonly s3: S3Client;
  readonly events: EventPublisher;
  readonly config: RegistryConfig;
  /** The configuration as given (before defaults): tells which per-model gate fields were set. */
  readonly artifactBucket: string;
  readonly now?: () => number;
  readonly retry?: RetryPolicy;
  /** How long idempotency records are kept (DynamoDB TTL on `ttl`). Default 24 h. */
  readonly idempotencyTtlSeconds?: number;
}

interface AuditInput {
  readonly action: string;
  readonly modelName: string;
  readonly modelId: string;
  readonly version?: number;
  readonly before: unknown;
  readonly after: unknown;
  /** Why the caller made the change, when the route takes one (withdraw). */
  readonly reason?: string;
}

interface EventInput {
  readonly detailType: RegistryEventType;
  readonly detail: Record<string, unknown>;
}

type Plan<T> =
  | { readonly noop?: false; readonly ops: TxOp[]; readonly audits: AuditInput[]; readonly events?: EventInput[]; readonly response: T; readonly afterCommit?: () => Promise<void> }
  | { readonly noop: true; readonly response: T };

/** Search pages stop growing past this estimated size (Lambda responses are limited to 6 MB). */
const RESPONSE_BUDGET_BYTES = 4_000_000;

const MODEL_FILTER_KEYS = { name: ['=', '!=', 'LIKE', 'ILIKE'] } as const;
const VERSION_FILTER_KEYS = {
  name: ['=', '!=', 'LIKE', 'ILIKE'],
  run_id: ['=', '!=', 'IN', 'NOT IN'],
  source_path: ['=', '!=', 'LIKE', 'ILIKE'],
  version_number: ['=', '!=', '<', '<=', '>', '>='],
} as const;

const tagList = (tags: Readonly<Record<string, string>>): Tag[] =>
  Object.keys(tags)
    .sort()
    .map((key) => ({ key, value: tags[key] }));

const toTagMap = (tags: readonly Tag[] | undefined): Record<string, string> => Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));

function modelNotFound(name: string): RegistryError {
  return notFound(`Registered Model with name=${name} not found`);
}

function versionNotFound(name: string, version: number): RegistryError {
  return notFound(`Model Version (name=${name}, version=${version}) not found`);
}

/** The changed parts of two JSON-like values (`null` marks absence), recursing into plain objects. */
export function diffStates(before: unknown, after: unknown): { before: unknown; after: unknown } {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(before) || !isObject(after)) return { before: before ?? null, after: after ?? null };
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const x = before[key];
    const y = after[key];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (isObject(x) && isObject(y)) {
      const sub = diffStates(x, y);
      b[key] = sub.before;
      a[key] = sub.after;
    } else {
      b[key] = x ?? null;
      a[key] = y ?? null;
    }
  }
  return { before: b, after: a };
}

export class RegistryService {
  private readonly store: RegistryStore;
  private readonly now: () => number;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: RegistryServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  // ------------------------------------------------------------------ reads & shaping

  private async requireModel(name: string): Promise<ModelItem> {
    const model = await this.store.modelByName(name);
    if (!model) throw modelNotFound(name);
    return model;
  }

  private async requireVersion(model: ModelItem, version: number): Promise<VersionItem> {
    const item = await this.store.get<VersionItem>(keys.version(model.modelId, version));
    if (!item) throw versionNotFound(model.name, version);
    return item;
  }

  private toModelVersion(model: ModelItem, v: VersionItem): ModelVersion {
    return {
      name: model.name,
      version: String(v.version),
      creation_timestamp: v.createdAt,
      last_updated_timestamp: v.updatedAt,
      user_id: v.createdBy,
      current_stage: v.stage,
      ...(v.description !== undefined ? { description: v.description } : {}),
      source: v.source,
      ...(v.runId !== undefined ? { run_id: v.runId } : {}),
      ...(v.runLink !== undefined ? { run_link: v.runLink } : {}),
      status: 'READY',
      tags: tagList(v.tags),
      aliases: Object.keys(model.aliases)
        .filter((a) => model.aliases[a] === v.version)
        .sort(),
    };
  }

  private async toRegisteredModels(models: readonly ModelItem[]): Promise<RegisteredModel[]> {
    const wanted: Key[] = models.flatMap((m) => STAGES.flatMap((s) => (m.latestByStage[s] ? [keys.version(m.modelId, m.latestByStage[s]!)] : [])));
    const found = new Map((await this.store.batchGet<VersionItem>(wanted)).map((v) => [`${v.pk}\u0000${v.sk}`, v]));
    return models.map((m) => ({
      name: m.name,
      creation_timestamp: m.createdAt,
      last_updated_timestamp: m.updatedAt,
      user_id: m.createdBy,
      ...(m.description !== undefined ? { description: m.description } : {}),
      latest_versions: STAGES.flatMap((s) => {
        const n = m.latestByStage[s];
        const key = n ? keys.version(m.modelId, n) : undefined;
        const v = key ? found.get(`${key.pk}\u0000${key.sk}`) : undefined;
        return v ? [this.toModelVersion(m, v)] : [];
      }),
      tags: tagList(m.tags),
      aliases: Object.keys(m.aliases)
        .sort()
        .map((alias) => ({ alias, version: String(m.aliases[alias]) })),
    }));
  }

  private modelState(m: ModelItem): Record<string, unknown> {
    return { name: m.name, description: m.description ?? null, tags: m.tags, aliases: m.aliases };
  }

  private versionState(v: VersionItem): Record<string, unknown> {
    return {
      version: v.version,
      source: v.source,
      run_id: v.runId ?? null,
      run_link: v.runLink ?? null,
      description: v.description ?? null,
      current_stage: v.stage,
      tags: v.tags,
      review: v.review ?? null,
    };
  }

  // ------------------------------------------------------------------ the write path

  private async mutate<T>(ctx: CallContext, plan: () => Promise<Plan<T>>): Promise<T> {
    const idem = ctx.idempotency;
    const idemKey = idem ? keys.idempotency(sha256Hex(ctx.principal, idem.key)) : undefined;
    if (idem && idemKey) {
      const existing = await this.store.get<IdempotencyItem>(idemKey);
      if (existing) return this.replay<T>(existing, ctx);
    }
    const result = await withConflictRetries(this.retry, async () => {
      const p = await plan();
      if (p.noop) return { committed: false as const, response: p.response };
      const now = this.now();
      const audits = p.audits.map((a, i) => ({
        ...a,
        auditId: randomUUID(),
        // Time first; the process-local sequence keeps same-millisecond entries of this process in order.
        sk: `${String(now).padStart(13, '0')}#${String(nextAuditSequence()).padStart(6, '0')}#${randomUUID()}#${i}`,
      }));
      const events: RegistryEvent[] = (p.events ?? []).map((e) => ({
        detailType: e.detailType,
        detail: { ...e.detail, principal: ctx.principal, timestamp: now, audit_id: audits[0]?.auditId, request_id: ctx.requestId },
      }));
      const auditOps = audits.map((a, i) =>
        this.store.putNew(
          {
            pk: keys.auditPartition(a.modelName),
            sk: a.sk,
            type: 'audit',
            auditId: a.auditId,
            timestamp: now,
            principal: ctx.principal,
            action: a.action,
            modelName: a.modelName,
            modelId: a.modelId,
            version: a.version,
            requestId: ctx.requestId,
            before: a.before,
            after: a.after,
            ...(a.reason !== undefined ? { reason: a.reason } : {}),
            ...(i === 0 && events.length > 0 ? { events: events.map((e) => ({ detailType: e.detailType, detail: e.detail })) } : {}),
          },
          undefined,
          this.store.auditTable,
        ),
      );
      const idemOps: TxOp[] =
        idem && idemKey
          ? [
              this.store.putNew(
                {
                  ...idemKey,
                  type: 'idempotency',
                  operation: idem.operation,
                  requestHash: idem.requestHash,
                  response: JSON.stringify(p.response ?? {}),
                  createdAt: now,
                  ttl: Math.floor(now / 1000) + (this.options.idempotencyTtlSeconds ?? 86_400),
                },
                () => new IdempotencyRace(),
              ),
            ]
          : [];
      try {
        await this.store.transact([...p.ops, ...auditOps, ...idemOps]);
      } catch (error) {
        if (error instanceof IdempotencyRace && idemKey) {
          const existing = await this.store.get<IdempotencyItem>(idemKey);
          if (!existing) throw new ConflictError();
          return { committed: false as const, response: this.replay<T>(existing, ctx) };
        }
        throw error;
      }
      return { committed: true as const, response: p.response, events, afterCommit: p.afterCommit };
    });
    if (!result.committed) return result.response;
    ctx.eventStatus = await this.publish(result.events, ctx);
    if (result.afterCommit) {
      try {
        await result.afterCommit();
      } catch (error) {
        ctx.log.warn('post-commit cleanup failed', { error: describeError(error) });
      }
    }
    return result.response;
  }

  private replay<T>(record: IdempotencyItem, ctx: CallContext): T {
    if (record.operation !== ctx.idempotency?.operation || record.requestHash !== ctx.idempotency?.requestHash) {
      throw invalidParameter('The idempotency key was already used for a different request; use a new key for every distinct call.');
    }
    ctx.replayed = true;
    return JSON.parse(record.response) as T;
  }

  /**
   * Publishing happens after the commit. If it fails the change stands (it is committed and
   * audited, and the audit item holds the events for replay), the failure is logged as an error
   * and the call still succeeds, reporting `x-gaiops-events: failed`.
   */
  private async publish(events: readonly RegistryEvent[], ctx: CallContext): Promise<'published' | 'failed' | 'none'> {
    if (events.length === 0) return 'none';
    try {
      await this.options.events.publish(events);
      return 'published';
    } catch (error) {
      ctx.log.error('event publishing failed after commit; replay from the audit table', {
        detailTypes: events.map((e) => e.detailType),
        auditId: events[0].detail.audit_id,
        error: describeError(error),
      });
      return 'failed';
    }
  }

  // ------------------------------------------------------------------ registered models

  async createRegisteredModel(ctx: CallContext, input: { name: string; tags?: Tag[]; description?: string }): Promise<{ registered_model: RegisteredModel }> {
    return this.mutate(ctx, async () => {
      const now = this.now();
      const modelId = randomUUID();
      const model: ModelItem = {
        ...keys.model(modelId),
        type: 'model',
        modelId,
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        tags: toTagMap(input.tags),
        aliases: {},
        latestByStage: {},
        lastVersion: 0,
        createdAt: now,
        updatedAt: now,
        createdBy: ctx.principal,
        rev: 1,
      };
      const pointer: NameItem = { ...keys.name(input.name), type: 'name', modelId };
      return {
        ops: [this.store.putNew({ ...pointer }, () => alreadyExists(`Registered Model (name=${input.name}) already exists.`)), this.store.putNew({ ...model })],
        audits: [{ action: 'registered-models/create', modelName: input.name, modelId, before: null, after: this.modelState(model) }],
        response: { registered_model: (await this.toRegisteredModels([model]))[0] },
      };
    });
  }

  async getRegisteredModel(name: string): Promise<{ registered_model: RegisteredModel }> {
    const model = await this.requireModel(name);
    return { registered_model: (await this.toRegisteredModels([model]))[0] };
  }

  async searchRegisteredModels(input: {
    filter?: string;
    max_results: number;
    order_by: string[];
    page_token?: string;
  }): Promise<{ registered_models: RegisteredModel[]; next_page_token?: string }> {
    const conditions = parseFilter(input.filter, MODEL_FILTER_KEYS);
    const order = withTiebreakers(
      parseOrderBy(input.order_by, ['name', 'creation_timestamp', 'last_updated_timestamp'], { timestamp: 'last_updated_timestamp' }),
      [{ key: 'name', desc: false }],
    );
    const models = (await this.store.listModels()).filter((m) => conditions.every((c) => matchCondition(c, modelValue(m, c))));
    const page = paginate(
      models,
      (m) => order.map((o) => (o.key === 'name' ? m.name : o.key === 'creation_timestamp' ? m.createdAt : m.updatedAt)),
      order,
      input.max_results,
      input.page_token,
      queryFingerprint('registered-models', input.filter ?? '', order),
      // Keep responses well below Lambda's 6 MB payload limit (a model renders with up to 4 versions).
      { sizeOf: (m) => 5 * JSON.stringify(m).length, maxBytes: RESPONSE_BUDGET_BYTES },
    );
    return {
      registered_models: await this.toRegisteredModels(page.items),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  }

  async renameRegisteredModel(ctx: CallContext, input: { name: string; new_name: string }): Promise<{ registered_model: RegisteredModel }> {
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(input.name);
      if (input.new_name === input.name) throw alreadyExists(`Registered Model (name=${input.new_name}) already exists.`);
      const renamed: ModelItem = { ...model, name: input.new_name, updatedAt: this.now(), rev: model.rev + 1 };
      const change = { before: { name: input.name }, after: { name: input.new_name } };
      return {
        ops: [
          this.store.putIfRev({ ...renamed }, model.rev),
          this.store.deleteIfModelId(keys.name(input.name), model.modelId),
          this.store.putNew({ ...keys.name(input.new_name), type: 'name', modelId: model.modelId }, () =>
            alreadyExists(`Registered Model (name=${input.new_name}) already exists.`),
          ),
        ],
        audits: [
          { action: 'registered-models/rename', modelName: input.name, modelId: model.modelId, ...change },
          { action: 'registered-models/rename', modelName: input.new_name, modelId: model.modelId, ...change },
        ],
        response: { registered_model: (await this.toRegisteredModels([renamed]))[0] },
      };
    });
  }

  async updateRegisteredModel(ctx: CallContext, input: { name: string; description?: string }): Promise<{ registered_model: RegisteredModel }> {
    return this.updateModelItem(ctx, input.name, 'registered-models/update', (m) => ({ ...m, description: input.description ?? m.description }), true);
  }

  async setRegisteredModelTag(ctx: CallContext, input: { name: string; key: string; value: string }): Promise<Record<string, never>> {
    await this.updateModelItem(ctx, input.name, 'registered-models/set-tag', (m) => {
      const tags = { ...m.tags, [input.key]: input.value };
      if (Object.keys(tags).length > LIMITS.tagsPerEntity) throw invalidParameter(`A registered model can have at most ${LIMITS.tagsPerEntity} tags.`);
      return { ...m, tags };
    });
    return {};
  }

  async deleteRegisteredModelTag(ctx: CallContext, input: { name: string; key: string }): Promise<Record<string, never>> {
    await this.updateModelItem(ctx, input.name, 'registered-models/delete-tag', (m) => {
      if (!(input.key in m.tags)) return m;
      const tags = { ...m.tags };
      delete tags[input.key];
      return { ...m, tags };
    });
    return {};
  }

  /** Read-modify-write of the model item; no write when `change` returns the same item. */
  private updateModelItem(
    ctx: CallContext,
    name: string,
    action: string,
    change: (m: ModelItem) => ModelItem,
    touch = false,
  ): Promise<{ registered_model: RegisteredModel }> {
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(name);
      const changed = change(model);
      if (changed === model || JSON.stringify(this.modelState(changed)) === JSON.stringify(this.modelState(model))) {
        return { noop: true, response: { registered_model: (await this.toRegisteredModels([model]))[0] } };
      }
      const next: ModelItem = { ...changed, rev: model.rev + 1, updatedAt: touch ? this.now() : model.updatedAt };
      return {
        ops: [this.store.putIfRev({ ...next }, model.rev)],
        audits: [{ action, modelName: name, modelId: model.modelId, ...diffStates(this.modelState(model), this.modelState(next)) }],
        response: { registered_model: (await this.toRegisteredModels([next]))[0] },
      };
    });
  }

  async deleteRegisteredModel(ctx: CallContext, input: { name: string }): Promise<Record<string, never>> {
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(input.name);
      const events: EventInput[] = Object.keys(model.aliases).map((alias) => ({
        detailType: 'AliasChanged',
        detail: aliasDetail(model, alias, undefined, model.aliases[alias], 'deleted'),
      }));
      return {
        ops: [this.store.deleteIfRev(model, model.rev), this.store.deleteIfModelId(keys.name(input.name), model.modelId)],
        audits: [
          {
            action: 'registered-models/delete',
            modelName: input.name,
            modelId: model.modelId,
            before: { ...this.modelState(model), version_count: model.lastVersion },
            after: null,
          },
        ],
        events,
        response: {},
        // Versions and lineage are unreachable once the model item is gone (they are keyed by the
        // model id, which is never reused); remove them best-effort.
        afterCommit: async () => {
          const partition = `MODEL#${model.modelId}`;
          const rest = [...(await this.store.queryAll<Key>(partition, 'VERSION#')), ...(await this.store.queryAll<Key>(partition, 'LINEAGE#'))];
          await this.store.deleteAll(rest);
        },
      };
    });
  }

  async getLatestVersions(input: { name: string; stages: Stage[] }): Promise<{ model_versions: ModelVersion[] }> {
    const model = await this.requireModel(input.name);
    const stages = input.stages.length === 0 ? STAGES : input.stages;
    const wanted = STAGES.filter((s) => stages.includes(s) && model.latestByStage[s] !== undefined);
    const items = await this.store.batchGet<VersionItem>(wanted.map((s) => keys.version(model.modelId, model.latestByStage[s]!)));
    items.sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
    return { model_versions: items.map((v) => this.toModelVersion(model, v)) };
  }

  // ------------------------------------------------------------------ model versions

  async createModelVersion(
    ctx: CallContext,
    input: { name: string; source: string; run_id?: string; run_link?: string; description?: string; tags?: Tag[] },
  ): Promise<{ model_version: ModelVersion }> {
    await this.requireModel(input.name);
    const location = artifactLocation(input.source, this.options.artifactBucket);
    if (location.addressedDigest !== undefined) await assertArtifactExists(this.options.s3, location);
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(input.name);
      const now = this.now();
      const next = model.lastVersion + 1;
      const item: VersionItem = {
        ...keys.version(model.modelId, next),
        type: 'version',
        modelId: model.modelId,
        version: next,
        source: input.source,
        ...(input.run_id ? { runId: input.run_id } : {}),
        ...(input.run_link ? { runLink: input.run_link } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        tags: toTagMap(input.tags),
        stage: 'None',
        status: 'READY',
        createdBy: ctx.principal,
        createdAt: now,
        updatedAt: now,
        rev: 1,
      };
      const after: ModelItem = { ...model, lastVersion: next, updatedAt: now, latestByStage: { ...model.latestByStage, None: next } };
      return {
        ops: [this.store.allocateVersion(model, next, now), this.store.putNew({ ...item })],
        audits: [{ action: 'model-versions/create', modelName: model.name, modelId: model.modelId, version: next, before: null, after: this.versionState(item) }],
        events: [
          {
            detailType: 'ModelVersionCreated',
            detail: {
              model_name: model.name,
              model_id: model.modelId,
              version: String(next),
              source: input.source,
              artifact_uri: artifactUri(input.source, this.options.artifactBucket),
              run_id: input.run_id ?? null,
            },
          },
        ],
        response: { model_version: this.toModelVersion(after, item) },
      };
    });
  }

  async getModelVersion(input: { name: string; version: number }): Promise<{ model_version: ModelVersion }> {
    const model = await this.requireModel(input.name);
    return { model_version: this.toModelVersion(model, await this.requireVersion(model, input.version)) };
  }

  async getDownloadUri(input: { name: string; version: number }): Promise<{ artifact_uri: string }> {
    const model = await this.requireModel(input.name);
    const version = await this.requireVersion(model, input.version);
    return { artifact_uri: artifactUri(version.source, this.options.artifactBucket) };
  }

  async updateModelVersion(ctx: CallContext, input: { name: string; version: number; description?: string }): Promise<{ model_version: ModelVersion }> {
    return this.updateVersionItem(ctx, input.name, input.version, 'model-versions/update', (v) => ({ ...v, description: input.description ?? v.description }), true);
  }

  async setModelVersionTag(ctx: CallContext, input: { name: string; version: number; key: string; value: string }): Promise<Record<string, never>> {
    await this.updateVersionItem(ctx, input.name, input.version, 'model-versions/set-tag', (v) => {
      const tags = { ...v.tags, [input.key]: input.value };
      if (Object.keys(tags).length > LIMITS.tagsPerEntity) throw invalidParameter(`A model version can have at most ${LIMITS.tagsPerEntity} tags.`);
      return { ...v, tags };
    });
    return {};
  }

  async deleteModelVersionTag(ctx: CallContext, input: { name: string; version: number; key: string }): Promise<Record<string, never>> {
    await this.updateVersionItem(ctx, input.name, input.version, 'model-versions/delete-tag', (v) => {
      if (!(input.key in v.tags)) return v;
      const tags = { ...v.tags };
      delete tags[input.key];
      return { ...v, tags };
    });
    return {};
  }

  private updateVersionItem(
    ctx: CallContext,
    name: string,
    version: number,
    action: string,
    change: (v: VersionItem) => VersionItem,
    touch = false,
  ): Promise<{ model_version: ModelVersion }> {
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(name);
      const current = await this.requireVersion(model, version);
      const changed = change(current);
      if (changed === current || JSON.stringify(this.versionState(changed)) === JSON.stringify(this.versionState(current))) {
        return { noop: true, response: { model_version: this.toModelVersion(model, current) } };
      }
      const next: VersionItem = { ...changed, rev: current.rev + 1, updatedAt: touch ? this.now() : current.updatedAt };
      return {
        ops: [this.store.putIfRev({ ...next }, current.rev)],
        audits: [{ action, modelName: name, modelId: model.modelId, version, ...diffStates(this.versionState(current), this.versionState(next)) }],
        response: { model_version: this.toModelVersion(model, next) },
      };
    });
  }

  async deleteModelVersion(ctx: CallContext, input: { name: string; version: number }): Promise<Record<string, never>> {
    return this.mutate(ctx, () => this.planVersionDeletion(input, 'model-versions/delete'));
  }

  /**
   * Deletes a version its creator registered by mistake (e.g. a trainer whose lineage could not be
   * set): only the creator (same principal ARN), and only while the version holds no alias, is in
   * stage `None` and has no review recorded. Otherwise the same transaction and audit as
   * `deleteModelVersion`; the state checked is bound to the commit by the revision conditions.
   */
  async withdrawModelVersion(ctx: CallContext, input: { name: string; version: number; reason?: string }): Promise<Record<string, never>> {
    return this.mutate(ctx, () =>
      this.planVersionDeletion(input, 'model-versions/withdraw', input.reason, (model, current) => {
        const what = `model '${model.name}' version ${current.version}`;
        if (!isSamePrincipal(ctx.principal, current.createdBy)) {
          throw permissionDenied(`Only the creator of ${what} (${current.createdBy}) may withdraw it; ${ctx.principal} is not. Ask an admin to delete it.`);
        }
        const aliases = Object.keys(model.aliases).filter((a) => model.aliases[a] === current.version).sort();
        const reasons: { condition: string; message: string }[] = [];
        if (aliases.length > 0) reasons.push({ condition: 'alias', message: `it holds alias${aliases.length > 1 ? 'es' : ''} ${aliases.map((a) => `'${a}'`).join(', ')}` });
        if (current.stage !== 'None') reasons.push({ condition: 'stage', message: `it is in stage ${current.stage}` });
        if (current.review) reasons.push({ condition: 'review', message: `it has a review recorded (${current.review.decision} by ${current.review.principal})` });
        if (reasons.length > 0) {
          throw invalidParameter(`${what} cannot be withdrawn: ${reasons.map((r) => r.message).join('; ')}. Ask an admin to delete it.`, { withdraw_refusals: reasons });
        }
      }),
    );
  }

  /**
   * The plan shared by delete and withdraw: the version and its lineage are deleted and the model's
   * aliases and latest-per-stage updated in one transaction, conditioned on the revisions read
   * (so `check`, run on exactly those items, still holds at commit), audited as `action`.
   */
  private async planVersionDeletion(
    input: { name: string; version: number },
    action: 'model-versions/delete' | 'model-versions/withdraw',
    reason?: string,
    check?: (model: ModelItem, current: VersionItem) => void,
  ): Promise<Plan<Record<string, never>>> {
    const model = await this.requireModel(input.name);
    const current = await this.requireVersion(model, input.version);
    check?.(model, current);
    const removedAliases = Object.keys(model.aliases).filter((a) => model.aliases[a] === input.version);
    const aliases = { ...model.aliases };
    for (const a of removedAliases) delete aliases[a];
    const remaining = (await this.store.listVersions(model.modelId)).filter((v) => v.version !== input.version);
    const next: ModelItem = { ...model, aliases, latestByStage: latestByStage(remaining), updatedAt: this.now(), rev: model.rev + 1 };
    return {
      ops: [
        this.store.deleteIfRev(current, current.rev),
        this.store.deleteUnconditionally(keys.lineage(model.modelId, input.version)),
        this.store.putIfRev({ ...next }, model.rev),
      ],
      audits: [
        {
          action,
          modelName: model.name,
          modelId: model.modelId,
          version: input.version,
          before: this.versionState(current),
          after: null,
          ...(reason !== undefined ? { reason } : {}),
        },
      ],
      events: removedAliases.map((alias) => ({ detailType: 'AliasChanged' as const, detail: aliasDetail(model, alias, undefined, input.version, 'deleted') })),
      response: {},
    };
  }

  async searchModelVersions(input: {
    filter?: string;
    max_results: number;
    order_by: string[];
    page_token?: string;
  }): Promise<{ model_versions: ModelVersion[]; next_page_token?: string }> {
    const conditions = parseFilter(input.filter, VERSION_FILTER_KEYS);
    const order = withTiebreakers(
      parseOrderBy(input.order_by, ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'], {
        version: 'version_number',
        timestamp: 'last_updated_timestamp',
      }),
      [
        { key: 'name', desc: false },
        { key: 'version_number', desc: true },
      ],
    );
    const nameConditions = conditions.filter((c) => c.kind === 'attribute' && c.key === 'name');
    const otherConditions = conditions.filter((c) => !(c.kind === 'attribute' && c.key === 'name'));
    const models = (await this.store.listModels()).filter((m) => nameConditions.every((c) => matchCondition(c, m.name)));
    const rows: { model: ModelItem; version: VersionItem }[] = [];
    await forEachLimited(models, 8, async (model) => {
      for (const version of await this.store.listVersions(model.modelId)) {
        if (otherConditions.every((c) => matchCondition(c, versionValue(version, c)))) rows.push({ model, version });
      }
    });
    const page = paginate(
      rows,
      (r) =>
        order.map((o) =>
          o.key === 'name' ? r.model.name : o.key === 'version_number' ? r.version.version : o.key === 'creation_timestamp' ? r.version.createdAt : r.version.updatedAt,
        ),
      order,
      // MLflow clients ask for up to 10 000; a page is capped at 1 000 (Lambda payload limits).
      Math.min(input.max_results, 1000),
      input.page_token,
      queryFingerprint('model-versions', input.filter ?? '', order),
      { sizeOf: (row) => JSON.stringify(row.version).length + 200, maxBytes: RESPONSE_BUDGET_BYTES },
    );
    return {
      model_versions: page.items.map((r) => this.toModelVersion(r.model, r.version)),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  }

  async transitionStage(
    ctx: CallContext,
    input: { name: string; version: number; stage: Stage; archive_existing_versions: boolean },
  ): Promise<{ model_version: ModelVersion }> {
    if (input.archive_existing_versions && input.stage !== 'Staging' && input.stage !== 'Production') {
      throw invalidParameter(`archive_existing_versions can only be true when transitioning to Staging or Production, not ${input.stage}.`);
    }
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(input.name);
      const current = await this.requireVersion(model, input.version);
      const ops: TxOp[] = [];
      // The target version's own write is conditional on its revision, so only the lineage check is added.
      if (input.stage === 'Production') ops.push((await this.enforceGates(model, current, 'stage Production')).lineageCheck);
      const now = this.now();
      const all = await this.store.listVersions(model.modelId);
      const archived = input.archive_existing_versions ? all.filter((v) => v.stage === input.stage && v.version !== input.version) : [];
      const target: VersionItem = { ...current, stage: input.stage, updatedAt: now, rev: current.rev + 1 };
      const archivedItems = archived.map((v): VersionItem => ({ ...v, stage: 'Archived', updatedAt: now, rev: v.rev + 1 }));
      const byVersion = new Map(all.map((v) => [v.version, v]));
      for (const v of [target, ...archivedItems]) byVersion.set(v.version, v);
      const next: ModelItem = { ...model, latestByStage: latestByStage([...byVersion.values()]), updatedAt: now, rev: model.rev + 1 };
      ops.push(
        this.store.putIfRev({ ...target }, current.rev),
        ...archived.map((v, i) => this.store.putIfRev({ ...archivedItems[i] }, v.rev)),
        this.store.putIfRev({ ...next }, model.rev),
      );
      const transitions = [
        { from: current.stage, item: target },
        ...archived.map((v, i) => ({ from: v.stage, item: archivedItems[i] })),
      ];
      return {
        ops,
        audits: transitions.map((t, i) => ({
          action: i === 0 ? 'model-versions/transition-stage' : 'model-versions/archive-existing',
          modelName: model.name,
          modelId: model.modelId,
          version: t.item.version,
          before: { current_stage: t.from },
          after: { current_stage: t.item.stage },
        })),
        events: transitions.map((t) => ({
          detailType: 'StageTransitioned' as const,
          detail: {
            model_name: model.name,
            model_id: model.modelId,
            version: String(t.item.version),
            from_stage: t.from,
            to_stage: t.item.stage,
            archived_versions: t.item === target ? archived.map((v) => String(v.version)) : [],
          },
        })),
        response: { model_version: this.toModelVersion(next, target) },
      };
    });
  }

  // ------------------------------------------------------------------ aliases

  async setAlias(ctx: CallContext, input: { name: string; alias: string; version: number }): Promise<Record<string, never>> {
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(input.name);
      const version = await this.requireVersion(model, input.version);
      const previous = model.aliases[input.alias];
      if (previous === undefined && Object.keys(model.aliases).length >= LIMITS.aliasesPerModel) {
        throw invalidParameter(`A registered model can have at most ${LIMITS.aliasesPerModel} aliases.`);
      }
      const gates = effectiveGates(this.options.config, model.name);
      const ops: TxOp[] = [];
      if (isProtectedAlias(gates, input.alias)) {
        const checks = await this.enforceGates(model, version, `protected alias '${input.alias}'`);
        ops.push(checks.versionCheck, checks.lineageCheck);
      } else {
        ops.push(this.store.checkRev(version, undefined));
      }
      const next: ModelItem = { ...model, aliases: { ...model.aliases, [input.alias]: input.version }, rev: model.rev + 1 };
      ops.push(this.store.putIfRev({ ...next }, model.rev));
      return {
        ops,
        audits: [
          {
            action: 'registered-models/alias/set',
            modelName: model.name,
            modelId: model.modelId,
            version: input.version,
            before: { aliases: { [input.alias]: previous ?? null } },
            after: { aliases: { [input.alias]: input.version } },
          },
        ],
        events: [{ detailType: 'AliasChanged', detail: aliasDetail(model, input.alias, input.version, previous, 'set') }],
        response: {},
      };
    });
  }

  async deleteAlias(ctx: CallContext, input: { name: string; alias: string }): Promise<Record<string, never>> {
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(input.name);
      const previous = model.aliases[input.alias];
      if (previous === undefined) return { noop: true, response: {} };
      const aliases = { ...model.aliases };
      delete aliases[input.alias];
      const next: ModelItem = { ...model, aliases, rev: model.rev + 1 };
      return {
        ops: [this.store.putIfRev({ ...next }, model.rev)],
        audits: [
          {
            action: 'registered-models/alias/delete',
            modelName: model.name,
            modelId: model.modelId,
            version: previous,
            before: { aliases: { [input.alias]: previous } },
            after: { aliases: { [input.alias]: null } },
          },
        ],
        events: [{ detailType: 'AliasChanged', detail: aliasDetail(model, input.alias, undefined, previous, 'deleted') }],
        response: {},
      };
    });
  }

  async getByAlias(input: { name: string; alias: string }): Promise<{ model_version: ModelVersion }> {
    const model = await this.requireModel(input.name);
    const version = model.aliases[input.alias];
    if (version === undefined) throw notFound(`Registered model alias ${input.alias} not found.`);
    return { model_version: this.toModelVersion(model, await this.requireVersion(model, version)) };
  }

  // ------------------------------------------------------------------ governance

  private async lineageOf(model: ModelItem, version: number): Promise<LineageItem | undefined> {
    return this.store.get<LineageItem>(keys.lineage(model.modelId, version));
  }

  private subject(model: ModelItem, version: VersionItem, lineage: LineageItem | undefined): GateSubject {
    return {
      modelName: model.name,
      version: version.version,
      source: version.source,
      createdBy: version.createdBy,
      review: version.review,
      lineage: lineage?.fields,
      lineageRevision: lineage?.revision ?? 0,
    };
  }

  /**
   * Evaluates the gates for promoting `version`; throws the refusal when any condition is unmet,
   * else returns condition checks binding the commit to exactly what was evaluated.
   */
  private async enforceGates(model: ModelItem, version: VersionItem, target: string): Promise<{ versionCheck: TxOp; lineageCheck: TxOp }> {
    const gates = effectiveGates(this.options.config, model.name);
    const lineage = await this.lineageOf(model, version.version);
    const subject = this.subject(model, version, lineage);
    const evaluation = await evaluateGates(gates, subject, { s3: this.options.s3, artifactBucket: this.options.artifactBucket, config: this.options.config });
    if (evaluation.unmet.length > 0) throw gateRefusal(target, subject, evaluation.unmet);
    return {
      versionCheck: this.store.checkRev(version, version.rev),
      lineageCheck: this.store.checkLineage(keys.lineage(model.modelId, version.version), lineage?.revision ?? 0),
    };
  }

  async governanceStatus(input: { name: string; version: number }): Promise<GovernanceStatus> {
    const model = await this.requireModel(input.name);
    const version = await this.requireVersion(model, input.version);
    const gates = effectiveGates(this.options.config, model.name);
    const lineage = await this.lineageOf(model, version.version);
    const evaluation = await evaluateGates(gates, this.subject(model, version, lineage), {
      s3: this.options.s3,
      artifactBucket: this.options.artifactBucket,
      config: this.options.config,
    });
    return {
      name: model.name,
      version: String(version.version),
      eligible: evaluation.unmet.length === 0,
      checked_conditions: evaluation.checked,
      unmet_conditions: evaluation.unmet,
      protected_aliases: gates.protectedAliases,
      ...(version.review ? { review: reviewRecord(version.review) } : {}),
    };
  }

  async getLineage(input: { name: string; version: number }): Promise<{ lineage: LineageRecord }> {
    const model = await this.requireModel(input.name);
    await this.requireVersion(model, input.version);
    const lineage = await this.lineageOf(model, input.version);
    if (!lineage) throw notFound(`No lineage is recorded for model '${model.name}' version ${input.version}.`);
    return { lineage: lineageRecord(model, lineage) };
  }

  async setLineage(ctx: CallContext, input: LineageUpdate): Promise<{ lineage: LineageRecord }> {
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(input.name);
      const version = await this.requireVersion(model, input.version);
      const gates = effectiveGates(this.options.config, model.name);
      const promotedAs = Object.keys(model.aliases).filter((a) => model.aliases[a] === version.version && isProtectedAlias(gates, a));
      if (version.stage === 'Production' || promotedAs.length > 0) {
        throw invalidParameter(
          `The lineage of model '${model.name}' version ${version.version} is frozen because the version is ${
            version.stage === 'Production' ? 'in stage Production' : `the target of protected alias '${promotedAs[0]}'`
          }.`,
        );
      }
      const current = await this.lineageOf(model, version.version);
      const fields = mergeLineage(current?.fields ?? {}, input);
      if (current && JSON.stringify(fields) === JSON.stringify(current.fields)) {
        return { noop: true, response: { lineage: lineageRecord(model, current) } };
      }
      const size = Buffer.byteLength(JSON.stringify(fields), 'utf8');
      if (size > MAX_LINEAGE_BYTES) throw invalidParameter(`The lineage is ${size} bytes; at most ${MAX_LINEAGE_BYTES} bytes are allowed.`);
      const revision = (current?.revision ?? 0) + 1;
      const item: LineageItem = {
        ...keys.lineage(model.modelId, version.version),
        type: 'lineage',
        modelId: model.modelId,
        version: version.version,
        fields,
        revision,
        updatedAt: this.now(),
        updatedBy: ctx.principal,
      };
      const put: TxOp = current
        ? {
            write: {
              Put: {
                TableName: this.store.metadataTable,
                Item: { ...item },
                ConditionExpression: '#r = :r',
                ExpressionAttributeNames: { '#r': 'revision' },
                ExpressionAttributeValues: { ':r': current.revision },
              },
            },
          }
        : this.store.putNew({ ...item });
      const diff = diffStates(current?.fields ?? {}, fields);
      return {
        // The version (stage) and model (aliases) must not have changed since the freeze check.
        ops: [put, this.store.checkRev(version, version.rev), this.store.checkRev(model, model.rev)],
        audits: [
          {
            action: 'model-versions/lineage',
            modelName: model.name,
            modelId: model.modelId,
            version: version.version,
            before: current ? { ...(diff.before as object), revision: current.revision } : null,
            after: current ? { ...(diff.after as object), revision } : { ...fields, revision },
          },
        ],
        response: { lineage: lineageRecord(model, item) },
      };
    });
  }

  async review(ctx: CallContext, decision: Review['decision'], input: { name: string; version: number; comment?: string }): Promise<{ review: ReviewRecord }> {
    if (!isApprover(ctx.principal, this.options.config.approverRoleArns)) {
      throw permissionDenied(`${ctx.principal} does not hold an approver role, so it may not ${decision === 'approved' ? 'approve' : 'reject'} model versions.`);
    }
    return this.mutate(ctx, async () => {
      const model = await this.requireModel(input.name);
      const version = await this.requireVersion(model, input.version);
      if (decision === 'approved' && isSamePerson(ctx.principal, version.createdBy)) {
        throw permissionDenied(`Self-approval is not allowed: ${ctx.principal} created model '${model.name}' version ${version.version} (four-eyes principle).`);
      }
      const lineage = await this.lineageOf(model, version.version);
      const review: Review = {
        decision,
        principal: ctx.principal,
        ...(input.comment !== undefined ? { comment: input.comment } : {}),
        timestamp: this.now(),
        lineageRevision: lineage?.revision ?? 0,
      };
      const next: VersionItem = { ...version, review, rev: version.rev + 1 };
      return {
        ops: [this.store.putIfRev({ ...next }, version.rev), this.store.checkLineage(keys.lineage(model.modelId, version.version), review.lineageRevision)],
        audits: [
          {
            action: decision === 'approved' ? 'model-versions/approve' : 'model-versions/reject',
            modelName: model.name,
            modelId: model.modelId,
            version: version.version,
            before: { review: version.review ?? null },
            after: { review },
          },
        ],
        events: [
          {
            detailType: 'ApprovalRecorded',
            detail: {
              model_name: model.name,
              model_id: model.modelId,
              version: String(version.version),
              decision,
              reviewer: ctx.principal,
              comment: input.comment ?? null,
              lineage_revision: review.lineageRevision,
            },
          },
        ],
        response: { review: reviewRecord(review) },
      };
    });
  }

  // ------------------------------------------------------------------ audit

  async listAudit(input: { name: string; max_results: number; page_token?: string }): Promise<{ audit_entries: AuditEntry[]; next_page_token?: string }> {
    const fingerprint = queryFingerprint('audit', input.name);
    let afterSk: string | undefined;
    if (input.page_token) {
      let parsed: { v?: unknown; q?: unknown; sk?: unknown } | undefined;
      try {
        parsed = JSON.parse(Buffer.from(input.page_token, 'base64url').toString('utf8')) as typeof parsed;
      } catch {
        parsed = undefined;
      }
      if (!parsed || parsed.v !== 1 || parsed.q !== fingerprint || typeof parsed.sk !== 'string' || !/^\d{13}#\d{6}#[0-9a-f-]{36}#\d+$/.test(parsed.sk)) {
        throw invalidParameter('Invalid page_token: it is malformed or belongs to a different query.');
      }
      afterSk = parsed.sk;
    }
    const { items, lastSk } = await this.store.queryAudit(input.name, input.max_results, afterSk);
    return {
      audit_entries: items.map((a) => ({
        audit_id: a.auditId,
        timestamp: a.timestamp,
        principal: a.principal,
        action: a.action,
        model_name: a.modelName,
        model_id: a.modelId,
        ...(a.version !== undefined ? { version: String(a.version) } : {}),
        request_id: a.requestId,
        before: a.before ?? null,
        after: a.after ?? null,
        ...(a.reason !== undefined ? { reason: a.reason } : {}),
        ...(a.events ? { events: a.events } : {}),
      })),
      ...(lastSk ? { next_page_token: Buffer.from(JSON.stringify({ v: 1, q: fingerprint, sk: lastSk }), 'utf8').toString('base64url') } : {}),
    };
  }
}

let auditSequence = 0;
function nextAuditSequence(): number {
  auditSequence = (auditSequence + 1) % 1_000_000;
  return auditSequence;
}

/** Signals that another call with the same idempotency key committed first. */
class IdempotencyRace extends Error {
  constructor() {
    super('idempotency key race');
    this.name = 'IdempotencyRace';
  }
}

function withTiebreakers(order: OrderClause[], tiebreakers: OrderClause[]): OrderClause[] {
  const out = order.length > 0 ? [...order] : [tiebreakers[0]];
  for (const t of tiebreakers) if (!out.some((o) => o.key === t.key)) out.push(t);
  return out;
}

function modelValue(m: ModelItem, c: FilterCondition): string | undefined {
  return c.kind === 'tag' ? m.tags[c.key] : c.key === 'name' ? m.name : undefined;
}

function versionValue(v: VersionItem, c: FilterCondition): string | number | undefined {
  if (c.kind === 'tag') return v.tags[c.key];
  switch (c.key) {
    case 'run_id':
      return v.runId;
    case 'source_path':
      return v.source;
    case 'version_number':
      return v.version;
    default:
      return undefined;
  }
}

function latestByStage(versions: readonly VersionItem[]): Partial<Record<Stage, number>> {
  const out: Partial<Record<Stage, number>> = {};
  for (const v of versions) if ((out[v.stage] ?? 0) < v.version) out[v.stage] = v.version;
  return out;
}

function aliasDetail(model: ModelItem, alias: string, version: number | undefined, previous: number | undefined, action: 'set' | 'deleted'): Record<string, unknown> {
  return {
    model_name: model.name,
    model_id: model.modelId,
    alias,
    action,
    version: version === undefined ? null : String(version),
    previous_version: previous === undefined ? null : String(previous),
  };
}

function reviewRecord(review: Review): ReviewRecord {
  return {
    decision: review.decision,
    principal: review.principal,
    ...(review.comment !== undefined ? { comment: review.comment } : {}),
    timestamp: review.timestamp,
    lineage_revision: review.lineageRevision,
  };
}

function lineageRecord(model: ModelItem, item: LineageItem): LineageRecord {
  return {
    name: model.name,
    version: String(item.version),
    ...(item.fields as Partial<LineageFields>),
    revision: item.revision,
    updated_timestamp: item.updatedAt,
    updated_by: item.updatedBy,
  };
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
