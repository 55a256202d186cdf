/**
 * Typed builders for Grafana dashboards (schema version 39, Grafana 10/11/12/13): panels with
 * PromQL targets on a Prometheus datasource variable, templating variables, and a flow layout that
 * assigns panel ids, refIds and grid positions. The JSON is deterministic — the same definition
 * always gives the same bytes and the same uid — so dashboards diff cleanly and ConfigMaps do not
 * churn.
 */
import { GaiError } from '../../core/errors';

/** Grafana's JSON model version the builders write. */
export const DASHBOARD_SCHEMA_VERSION = 39;
/** Name of the datasource variable every panel and query variable uses. */
export const DATASOURCE_VARIABLE = 'datasource';
const DATASOURCE = { type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` } as const;

export type DatasourceRef = typeof DATASOURCE;

export interface Target {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: boolean;
  readonly instant: boolean;
}

export interface GridPos {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export type PanelType = 'timeseries' | 'stat' | 'gauge' | 'table';

export interface Threshold {
  readonly color: string;
  readonly value: number | null;
}

export interface Panel {
  readonly id: number;
  readonly type: PanelType;
  readonly title: string;
  readonly description: string;
  readonly datasource: DatasourceRef;
  readonly gridPos: GridPos;
  readonly targets: readonly Target[];
  readonly fieldConfig: {
    readonly defaults: { readonly unit: string; readonly min?: number; readonly max?: number; readonly decimals?: number; readonly thresholds: { readonly mode: 'absolute'; readonly steps: readonly Threshold[] } };
    readonly overrides: readonly never[];
  };
  readonly options: Record<string, unknown>;
}

export interface VariableOption {
  readonly selected: boolean;
  readonly text: string;
  readonly value: string;
}

export interface TemplateVariable {
  readonly name: string;
  readonly label: string;
  readonly type: 'datasource' | 'query';
  readonly hide: 0;
  readonly [key: string]: unknown;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly schemaVersion: number;
  readonly version: number;
  readonly editable: boolean;
  readonly graphTooltip: number;
  readonly timezone: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly refresh: string;
  readonly annotations: { readonly list: readonly unknown[] };
  readonly templating: { readonly list: readonly TemplateVariable[] };
  readonly panels: readonly Panel[];
}

/** A target before layout: the PromQL and its legend. */
export interface TargetSpec {
  readonly expr: string;
  /** Legend, e.g. `{{variant}}`. Default `__auto`. */
  readonly legend?: string;
}

/** A panel before layout. */
export interface PanelSpec {
  readonly type?: PanelType;
  readonly title: string;
  readonly description: string;
  readonly targets: readonly TargetSpec[];
  /** Grafana unit id: `reqps`, `percentunit`, `s`, `currencyUSD`, `celsius`, `short`, … Default `short`. */
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  /** Threshold steps above the base (green): `[{ value: 0.8, color: 'red' }]`. */
  readonly thresholds?: readonly { value: number; color: string }[];
  /** Grid width (of 24). Default 12 for time series, 6 for stats and gauges. */
  readonly width?: number;
  /** Grid height. Default 8 for time series, 4 for stats and gauges. */
  readonly height?: number;
}

/** `label_values(<metric>, <label>)` variable, optionally multi-valued with an "All" (`.*`). */
export interface QueryVariableSpec {
  readonly name: string;
  readonly label: string;
  readonly metric: string;
  readonly labelName: string;
  /** Default true. */
  readonly multi?: boolean;
  /** Default true (All = `.*`, so `label=~"$name"` matches everything). */
  readonly includeAll?: boolean;
}

export interface DashboardSpec {
  /** Short stable name; the uid is `gaiops-<slug>` (Grafana allows 40 characters). */
  readonly slug: string;
  readonly title: string;
  readonly description: string;
  readonly tags?: readonly string[];
  readonly variables?: readonly QueryVariableSpec[];
  readonly panels: readonly PanelSpec[];
  /** Default `now-6h`. */
  readonly from?: string;
}

const GRID_WIDTH = 24;
const VARIABLE_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The datasource variable: any Prometheus datasource, the default one preselected. */
export function datasourceVariable(): TemplateVariable {
  return { name: DATASOURCE_VARIABLE, label: 'Prometheus', type: 'datasource', query: 'prometheus', hide: 0, current: {}, refresh: 1, regex: '', options: [] };
}

/** A `label_values` query variable. */
export function queryVariable(spec: QueryVariableSpec): TemplateVariable {
  if (!VARIABLE_NAME.test(spec.name) || spec.name === DATASOURCE_VARIABLE) {
    throw new GaiError('gaiops:monitoring:invalid-dashboard', `variable name "${spec.name}" is not a Grafana variable name (or is reserved)`);
  }
  const query = `label_values(${spec.metric}, ${spec.labelName})`;
  const includeAll = spec.includeAll ?? true;
  return {
    name: spec.name,
    label: spec.label,
    type: 'query',
    hide: 0,
    datasource: DATASOURCE,
    definition: query,
    query: { qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    sort: 1,
    multi: spec.multi ?? true,
    includeAll,
    ...(includeAll ? { allValue: '.*', current: { selected: true, text: ['All'], value: ['$__all'] } } : { current: {} }),
    options: [],
  };
}

/** refIds A…Z, then AA, AB, … */
function refId(index: number): string {
  let n = index;
  let id = '';
  do {
    id = String.fromCharCode(65 + (n % 26)) + id;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return id;
}

/** Lays panels out left to right, wrapping at the grid width; ids from 1, refIds from A. */
function layout(specs: readonly PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((spec, index) => {
    const type = spec.type ?? 'timeseries';
    const small = type === 'stat' || type === 'gauge';
    const w = spec.width ?? (small ? 6 : 12);
    const h = spec.height ?? (small ? 4 : 8);
    if (w < 1 || w > GRID_WIDTH || h < 1) throw new GaiError('gaiops:monitoring:invalid-dashboard', `panel "${spec.title}": width must be 1–24 and height ≥ 1`);
    if (spec.targets.length === 0) throw new GaiError('gaiops:monitoring:invalid-dashboard', `panel "${spec.title}" has no targets`);
    if (x + w > GRID_WIDTH) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return {
      id: index + 1,
      type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos,
      targets: spec.targets.map((t, i) => ({
        refId: refId(i),
        datasource: DATASOURCE,
        expr: t.expr,
        legendFormat: t.legend ?? '__auto',
        range: !small,
        instant: small,
      })),
      fieldConfig: {
        defaults: {
          unit: spec.unit ?? 'short',
          ...(spec.min !== undefined ? { min: spec.min } : {}),
          ...(spec.max !== undefined ? { max: spec.max } : {}),
          ...(spec.decimals !== undefined ? { decimals: spec.decimals } : {}),
          thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, ...(spec.thresholds ?? []).map((t) => ({ color: t.color, value: t.value }))] },
        },
        overrides: [],
      },
      options: small
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto' }
        : { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
    };
  });
}

/** A complete dashboard: datasource variable first, then the query variables, then the laid-out panels. */
export function dashboard(spec: DashboardSpec): Dashboard {
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(spec.slug)) {
    throw new GaiError('gaiops:monitoring:invalid-dashboard', `dashboard slug "${spec.slug}" must be 1–32 lower-case letters, digits or -`);
  }
  const names = (spec.variables ?? []).map((v) => v.name);
  if (new Set(names).size !== names.length) throw new GaiError('gaiops:monitoring:invalid-dashboard', `dashboard "${spec.slug}" declares a variable twice`);
  return {
    uid: `gaiops-${spec.slug}`,
    title: spec.title,
    description: spec.description,
    tags: ['gaiops', ...(spec.tags ?? [])],
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    version: 1,
    editable: false,
    graphTooltip: 1,
    timezone: 'utc',
    time: { from: spec.from ?? 'now-6h', to: 'now' },
    refresh: '1m',
    annotations: { list: [] },
    templating: { list: [datasourceVariable(), ...(spec.variables ?? []).map(queryVariable)] },
    panels: layout(spec.panels),
  };
}

/** The dashboard JSON as Grafana's sidecar loads it (stable bytes, trailing newline). */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
