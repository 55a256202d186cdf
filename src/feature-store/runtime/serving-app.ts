/**
 * The feature-store HTTP API: Feast-compatible online feature retrieval, push, and dataset
 * versions. One `HttpApp`, run by Lambda (`serving-lambda.ts`), the container / local server
 * (`serving-server.ts`) and tests alike.
 */
import { z } from 'zod';
import { type AppLogger, HttpApp, HttpError, type ValidationIssue, formatIssuePath } from '../../core/runtime/http-app';
import type { FeatureGroup } from '../feature-group';
import { exceedsDepth, SHA256_HEX } from './canonical';
import { type FeatureStoreContext, type FeatureStoreDeps, createContext } from './deps';
import { type Ingestor, createIngestor } from './ingest';
import { batchGetOnline, onlinePartitionKey } from './online';
import { ENTITY_KEY_MAX_LENGTH, ENTITY_KEY_SEPARATOR, type ScalarValue } from './rows';
import { TAG_NAME } from './versions';

export const SERVING_SERVICE_NAME = 'feature-store-serving';

/** Most features per `get-online-features` request. */
export const MAX_FEATURES_PER_REQUEST = 200;
/** Most entity rows per `get-online-features` request. */
export const MAX_ENTITY_ROWS = 1000;
/** Deepest nesting of a pushed row (feature values are scalars; this only stops hostile documents). */
export const MAX_PUSH_ROW_DEPTH = 32;

/** Most rows per `push` request. */
export const MAX_PUSH_ROWS = 1000;

/** Feast field statuses returned by `get-online-features`. */
export type FeastStatus = 'PRESENT' | 'NOT_FOUND' | 'NULL_VALUE' | 'OUTSIDE_MAX_AGE';

export interface GetOnlineFeaturesResponse {
  readonly metadata: { readonly feature_names: readonly string[] };
  /** One entry per column (entity keys first, then the features in request order); values per entity row. */
  readonly results: readonly {
    readonly values: readonly ScalarValue[];
    readonly statuses: readonly FeastStatus[];
    readonly event_timestamps: readonly string[];
  }[];
}

const EPOCH = '1970-01-01T00:00:00Z';
const GROUP_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const FEATURE_REF = /^([a-z][a-z0-9_]{0,62}):([a-z][a-z0-9_]{0,62})$/;

const requiredMessage = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);

const GetOnlineFeaturesSchema = z.strictObject({
  features: z
    .array(z.string({ error: requiredMessage('a string') }), { error: requiredMessage('an array of "<group>:<feature>" strings') })
    .min(1, 'must list at least one feature')
    .max(MAX_FEATURES_PER_REQUEST, `must list at most ${MAX_FEATURES_PER_REQUEST} features`),
  entities: z.record(
    z.string(),
    z
      .array(z.union([z.string(), z.number()], { error: 'must be a string or a number' }), { error: requiredMessage('an array of entity key values') })
      .min(1, 'must list at least one value')
      .max(MAX_ENTITY_ROWS, `must list at most ${MAX_ENTITY_ROWS} values`),
    { error: requiredMessage('an object mapping entity key columns to value arrays') },
  ),
  full_feature_names: z.boolean({ error: 'must be true or false' }).optional().default(false),
});

const PushSchema = z.strictObject({
  group: z.string({ error: requiredMessage('a string') }),
  rows: z
    .array(z.unknown(), { error: requiredMessage('an array of row objects') })
    .min(1, 'must contain at least one row')
    .max(MAX_PUSH_ROWS, `must contain at most ${MAX_PUSH_ROWS} rows`)
    .superRefine((rows, ctx) => {
      rows.forEach((row, i) => {
        if (exceedsDepth(row, MAX_PUSH_ROW_DEPTH)) ctx.addIssue({ code: 'custom', path: [i], message: `must not nest deeper than ${MAX_PUSH_ROW_DEPTH} levels` });
      });
    }),
  to: z.enum(['online', 'offline', 'online_and_offline'], { error: 'must be "online", "offline" or "online_and_offline"' }).optional().default('online'),
});

const ListQuerySchema = z.strictObject({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
});

const TagSchema = z.strictObject({
  tag: z
    .string({ error: requiredMessage('a string') })
    .regex(TAG_NAME, 'must start with a letter or digit and contain only letters, digits, ".", "_" or "-" (max 128)'),
});

const RevertSchema = z.strictObject({
  versionId: z.string({ error: requiredMessage('a string') }).regex(SHA256_HEX, 'must be a version id (64 lower-case hex characters)'),
});

/** zod issues → `{ path, message }`, naming each unknown field by its own path. */
function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatIssuePath([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: formatIssuePath(issue.path), message: issue.message }],
  );
}

/** Like `parseBody`, but unknown fields are named in `path`. */
function parseBody<S extends z.ZodType>(schema: S, request: { body: unknown }): z.output<S> {
  const result = schema.safeParse(request.body);
  if (result.success) return result.data;
  throw new HttpError(400, 'invalid_body', 'request body failed validation', { issues: toIssues(result.error) });
}

/** Like `parseQuery`, but unknown parameters are named in `path`. */
function parseQuery<S extends z.ZodType>(schema: S, request: { query: Readonly<Record<string, string>> }): z.output<S> {
  const result = schema.safeParse(request.query);
  if (result.success) return result.data;
  throw new HttpError(400, 'invalid_query', 'query string failed validation', { issues: toIssues(result.error) });
}

function badRequest(issues: ValidationIssue[]): HttpError {
  return new HttpError(400, 'invalid_body', 'request body failed validation', { issues });
}

function checkGroupParam(group: string): void {
  if (!GROUP_NAME.test(group)) {
    throw new HttpError(400, 'invalid_path', 'path parameter failed validation', {
      issues: [{ path: 'group', message: 'must be a feature group name (lowercase identifier)' }],
    });
  }
}

function checkVersionParam(id: string): void {
  if (!SHA256_HEX.test(id)) {
    throw new HttpError(400, 'invalid_path', 'path parameter failed validation', {
      issues: [{ path: 'id', message: 'must be a version id (64 lower-case hex characters)' }],
    });
  }
}

/** Re-labels a 404 `version_not_found` so it names the path parameter. */
async function namingId<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError && error.code === 'version_not_found') {
      throw new HttpError(404, error.code, error.message, { issues: [{ path: 'id', message: 'no such version' }] });
    }
    throw error;
  }
}

/** `2026-01-05T10:00:00Z` (milliseconds only when non-zero), like Feast's JSON timestamps. */
export function feastTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export interface ServingAppOptions {
  /** Default: the deps' logger, else silent. */
  readonly logger?: AppLogger;
}

/** Builds the serving `HttpApp` on the given dependencies (or an existing ingestor's context). */
export function createServingApp(deps: FeatureStoreDeps | Ingestor, options: ServingAppOptions = {}): HttpApp {
  const ingestor = 'ingestObject' in deps ? deps : createIngestor(createContext(deps));
  const ctx = ingestor.context;
  // Who tags, reverts and pushes: the authenticated caller (IAM authorizer) when there is one.
  const actorOf = (request: { principal?: string }): string => request.principal ?? ctx.deps.creator ?? SERVING_SERVICE_NAME;
  const app = new HttpApp({ name: SERVING_SERVICE_NAME, logger: options.logger ?? ctx.deps.logger });

  app.route('GET', '/healthz', () => ({ status: 200, body: { status: 'ok' } }));

  app.route('POST', '/get-online-features', async (request) => {
    const input = parseBody(GetOnlineFeaturesSchema, request);
    return { status: 200, body: await getOnlineFeatures(ctx, input) };
  });

  app.route('POST', '/push', async (request, { log }) => {
    const input = parseBody(PushSchema, request);
    if (!GROUP_NAME.test(input.group)) throw badRequest([{ path: 'group', message: 'must be a feature group name (lowercase identifier)' }]);
    const result = await ingestor.push({ group: input.group, rows: input.rows, to: input.to, creator: actorOf(request) });
    log.info('push', { group: result.group, to: result.to, counts: result.counts, versionId: result.version?.versionId ?? null });
    return { status: 200, body: result };
  });

  app.route('GET', '/datasets/:group/versions', async (request) => {
    checkGroupParam(request.params.group);
    const query = parseQuery(ListQuerySchema, request);
    const group = await ctx.getGroup(request.params.group);
    return { status: 200, body: await ctx.versions.listVersions(group.name, query.limit ?? 100) };
  });

  app.route('GET', '/datasets/:group/versions/:id', async (request) => {
    checkGroupParam(request.params.group);
    checkVersionParam(request.params.id);
    const group = await ctx.getGroup(request.params.group);
    const version = await ctx.versions.getVersion(group.name, request.params.id);
    if (!version) throw new HttpError(404, 'version_not_found', `no such version of group ${group.name}`, { issues: [{ path: 'id', message: 'no such version' }] });
    const manifest = await ctx.versions.readManifest(group.name, version.versionId);
    return { status: 200, body: { version, manifest: manifest ?? null } };
  });

  app.route('POST', '/datasets/:group/versions/:id/tags', async (request, { log }) => {
    checkGroupParam(request.params.group);
    checkVersionParam(request.params.id);
    const input = parseBody(TagSchema, request);
    const group = await ctx.getGroup(request.params.group);
    const result = await namingId(() => ctx.versions.tag(group.name, request.params.id, input.tag, actorOf(request)));
    log.info('version tagged', { group: group.name, versionId: result.versionId, tag: result.tag, created: result.created });
    return { status: result.created ? 201 : 200, body: { group: group.name, ...result } };
  });

  app.route('POST', '/datasets/:group/revert', async (request, { log }) => {
    checkGroupParam(request.params.group);
    const input = parseBody(RevertSchema, request);
    const group = await ctx.getGroup(request.params.group);
    const result = await ctx.versions.revert(group.name, input.versionId, actorOf(request));
    log.info('group reverted', { group: group.name, ...result });
    return { status: 200, body: { group: group.name, ...result } };
  });

  app.route('POST', '/datasets/:group/versions/:id/verify', async (request, { log }) => {
    checkGroupParam(request.params.group);
    checkVersionParam(request.params.id);
    const group = await ctx.getGroup(request.params.group);
    const result = await namingId(() => ctx.versions.verify(group.name, request.params.id));
    log.info('version verified', { group: group.name, versionId: result.versionId, ok: result.ok, files: result.files.length });
    return { status: 200, body: result };
  });

  return app;
}

interface FeatureRef {
  readonly index: number;
  readonly group: FeatureGroup;
  readonly feature: string;
  readonly name: string;
}

/** Feast `get-online-features` on the online table (see the README for the exact contract). */
export async function getOnlineFeatures(ctx: FeatureStoreContext, input: z.output<typeof GetOnlineFeaturesSchema>): Promise<GetOnlineFeaturesResponse> {
  const config = await ctx.getConfig();
  const groups = new Map(config.groups.map((g) => [g.name, g]));

  // 1. Feature references: format (400), then existence (404).
  const badFormat: ValidationIssue[] = [];
  const unknown: ValidationIssue[] = [];
  const notOnline: ValidationIssue[] = [];
  const refs: FeatureRef[] = [];
  const seen = new Set<string>();
  input.features.forEach((text, index) => {
    const path = `features[${index}]`;
    const m = FEATURE_REF.exec(text);
    if (!m) return badFormat.push({ path, message: 'must be "<group>:<feature>"' });
    if (seen.has(text)) return badFormat.push({ path, message: 'is listed twice' });
    seen.add(text);
    const group = groups.get(m[1]);
    if (!group) return unknown.push({ path, message: `feature group ${m[1]} does not exist` });
    const feature = group.features.find((f) => f.name === m[2]);
    if (!feature) return unknown.push({ path, message: `feature group ${m[1]} has no feature ${m[2]}` });
    if (feature.pii === 'drop') return unknown.push({ path, message: `feature ${m[2]} is PII that is dropped, so it is never stored` });
    if (!group.online) return notOnline.push({ path, message: `feature group ${m[1]} has no online store` });
    refs.push({ index, group, feature: m[2], name: input.full_feature_names ? `${group.name}__${m[2]}` : m[2] });
  });
  if (badFormat.length > 0) throw badRequest(badFormat);
  if (unknown.length > 0) throw new HttpError(404, 'unknown_feature', 'a requested feature does not exist', { issues: unknown });
  if (notOnline.length > 0) throw badRequest(notOnline);
  const names = new Map<string, number>();
  for (const ref of refs) {
    const previous = names.get(ref.name);
    if (previous !== undefined) {
      throw badRequest([
        { path: `features[${ref.index}]`, message: `has the same name as features[${previous}]; set full_feature_names to true` },
      ]);
    }
    names.set(ref.name, ref.index);
  }

  // 2. Entities: every key the requested groups need, nothing else, equal lengths, valid values.
  const issues: ValidationIssue[] = [];
  const entityNames = Object.keys(input.entities);
  const requiredBy = new Map<string, { group: string; type: 'string' | 'int' }>();
  for (const ref of refs) for (const k of ref.group.entityKeys) if (!requiredBy.has(k.name)) requiredBy.set(k.name, { group: ref.group.name, type: k.type });
  for (const [name, need] of requiredBy) {
    if (!(name in input.entities)) issues.push({ path: `entities.${name}`, message: `is required by feature group ${need.group}` });
  }
  for (const name of entityNames) {
    if (!requiredBy.has(name)) issues.push({ path: `entities.${name}`, message: 'is not an entity key of the requested feature groups' });
  }
  const rowCount = entityNames.length > 0 ? input.entities[entityNames[0]].length : 0;
  for (const name of entityNames.slice(1)) {
    if (input.entities[name].length !== rowCount) issues.push({ path: `entities.${name}`, message: `must have as many values as entities.${entityNames[0]}` });
  }
  const columns = new Map<string, (string | number)[]>();
  for (const name of entityNames) {
    const need = requiredBy.get(name);
    if (!need) continue;
    const values: (string | number)[] = [];
    input.entities[name].forEach((raw, i) => {
      const value = entityValue(raw, need.type);
      if (typeof value === 'object') issues.push({ path: `entities.${name}[${i}]`, message: value.message });
      else values.push(value);
    });
    columns.set(name, values);
  }
  if (issues.length > 0) throw badRequest(issues);
  if (rowCount === 0) throw badRequest([{ path: 'entities', message: 'must list at least one entity key column' }]);

  // 3. Read: one BatchGetItem stream over every (group, entity row).
  const involved = [...new Set(refs.map((r) => r.group))];
  const pkOf = new Map<string, string[]>();
  for (const group of involved) {
    const keys: string[] = [];
    for (let row = 0; row < rowCount; row++) {
      const key = group.entityKeys.map((k) => String((columns.get(k.name) as (string | number)[])[row])).join(ENTITY_KEY_SEPARATOR);
      keys.push(onlinePartitionKey(group.name, key));
    }
    pkOf.set(group.name, keys);
  }
  const items = await batchGetOnline(ctx.doc, ctx.deps.onlineTable, [...pkOf.values()].flat());
  const nowMs = ctx.now().getTime();

  // 4. Feast shape: entity columns first (request order), then features (request order).
  const results: { values: ScalarValue[]; statuses: FeastStatus[]; event_timestamps: string[] }[] = [];
  for (const name of entityNames) {
    const values = columns.get(name) as (string | number)[];
    results.push({ values, statuses: values.map(() => 'PRESENT'), event_timestamps: values.map(() => EPOCH) });
  }
  for (const ref of refs) {
    const keys = pkOf.get(ref.group.name) as string[];
    const ttlMs = ref.group.onlineTtlSeconds === undefined ? undefined : ref.group.onlineTtlSeconds * 1000;
    const column = { values: [] as ScalarValue[], statuses: [] as FeastStatus[], event_timestamps: [] as string[] };
    for (const pk of keys) {
      const item = items.get(pk);
      if (!item) {
        column.values.push(null);
        column.statuses.push('NOT_FOUND');
        column.event_timestamps.push(EPOCH);
        continue;
      }
      const value = item.features?.[ref.feature];
      column.event_timestamps.push(feastTimestamp(item.event_time));
      if (value === null || value === undefined) {
        column.values.push(null);
        column.statuses.push('NULL_VALUE');
      } else {
        column.values.push(value);
        column.statuses.push(ttlMs !== undefined && nowMs - item.event_time > ttlMs ? 'OUTSIDE_MAX_AGE' : 'PRESENT');
      }
    }
    results.push(column);
  }
  return { metadata: { feature_names: [...entityNames, ...refs.map((r) => r.name)] }, results };
}

function entityValue(raw: string | number, type: 'string' | 'int'): string | number | { message: string } {
  if (type === 'int') {
    const n = typeof raw === 'number' ? raw : /^[+-]?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isSafeInteger(n)) return { message: 'must be an integer' };
    return n === 0 ? 0 : n;
  }
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  if (text === '') return { message: 'must not be empty' };
  if (text.length > ENTITY_KEY_MAX_LENGTH) return { message: `must be at most ${ENTITY_KEY_MAX_LENGTH} characters` };
  if (text.includes(ENTITY_KEY_SEPARATOR)) return { message: `must not contain '${ENTITY_KEY_SEPARATOR}'` };
  return text;
}
