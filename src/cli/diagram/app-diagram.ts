/**
 * The model behind `gaiops diagram`: stacks (in dependency order), the top-level constructs of each
 * stack with their recognized kind and main services, the references between constructs (inside a
 * stack and across stacks through cdktf's remote-state outputs), and the lifecycle data flows
 * derived from them. Pure functions over parsed stack JSON; rendering is in mermaid.ts.
 */
import { stackResources, type StackResource } from '../outdir';
import { constructKind } from './construct-kinds';

/** A stack as the diagram sees it (already in dependency order). */
export interface DiagramInputStack {
  readonly name: string;
  /** The stack's construct path (prefix of its resources' metadata paths); default its name. */
  readonly constructPath?: string;
  readonly dependencies: readonly string[];
  readonly json: Record<string, unknown>;
}

/** A main service inside a construct (one Terraform resource). */
export interface DiagramService {
  /** Service name: `Lambda`, `S3`, `Helm`, … */
  readonly service: string;
  /** What to print: `Lambda: gai-dev-features-ingest`. */
  readonly label: string;
  readonly address: string;
}

/** A top-level construct of a stack (`<stack>/<id>/…` in the resources' metadata paths). */
export interface DiagramConstruct {
  readonly stack: string;
  readonly id: string;
  /** Recognized gaiops kind (see construct-kinds.ts), or undefined. */
  readonly kind: string | undefined;
  readonly services: readonly DiagramService[];
  readonly resourceCount: number;
}

/** `consumer` uses an attribute of a resource of `producer` (same stack or a remote-state output). */
export interface ConstructReference {
  readonly from: ConstructKey;
  readonly to: ConstructKey;
}

/** `stack/id`. */
export type ConstructKey = string;

/** How a lifecycle flow was found: a reference between the two constructs, or only their stages. */
export type FlowEvidence = 'reference' | 'inferred';

export interface DiagramFlow {
  readonly from: ConstructKey;
  readonly to: ConstructKey;
  readonly label: string;
  readonly evidence: FlowEvidence;
}

export interface AppDiagram {
  readonly stacks: readonly { readonly name: string; readonly dependencies: readonly string[]; readonly constructs: readonly DiagramConstruct[] }[];
  readonly references: readonly ConstructReference[];
  readonly flows: readonly DiagramFlow[];
}

/** The lifecycle stages, in data-flow order, with the construct kinds of each (first = primary). */
export const LIFECYCLE_STAGES: readonly { readonly stage: string; readonly kinds: readonly string[] }[] = [
  { stage: 'features', kinds: ['FeatureStore'] },
  { stage: 'training', kinds: ['GpuTrainingCluster', 'TrainingTeams', 'TrainingStorage', 'TrainingVolumes', 'HyperparameterSweep'] },
  { stage: 'registry', kinds: ['ModelRegistry'] },
  { stage: 'inference', kinds: ['InferenceService'] },
  { stage: 'monitoring', kinds: ['DriftDetector', 'MonitoringCluster', 'PlatformAlarms'] },
];

/** What flows between consecutive stages (label of the edge from stage i to stage i + 1). */
export const LIFECYCLE_LABELS: readonly string[] = ['dataset versions', 'model versions', 'production alias', 'logs and metrics'];

/** Label of a monitoring construct's edge from a construct it references outside the lifecycle chain. */
export const WATCH_LABEL = 'watched';

/** Resource types shown as services, with their display names. */
export const MAIN_SERVICES: Readonly<Record<string, string>> = {
  aws_apigatewayv2_api: 'API Gateway',
  aws_api_gateway_rest_api: 'API Gateway',
  aws_lambda_function: 'Lambda',
  aws_dynamodb_table: 'DynamoDB',
  aws_s3_bucket: 'S3',
  aws_eks_cluster: 'EKS',
  aws_eks_node_group: 'EKS node group',
  aws_fsx_lustre_file_system: 'FSx for Lustre',
  aws_sns_topic: 'SNS',
  aws_cloudwatch_event_bus: 'EventBridge',
  aws_ecr_repository: 'ECR',
  aws_vpc: 'VPC',
  aws_budgets_budget: 'Budget',
  helm_release: 'Helm',
};

/** Attributes that hold a resource's physical name, by preference. */
const NAME_ATTRIBUTES = ['function_name', 'bucket', 'node_group_name', 'name'];

const CROSS_STACK = /data\.terraform_remote_state\.cross-stack-reference-input-([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g;
const ADDRESS = /(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+/g;

/** The top-level construct id of a resource path `<stack construct path>/Construct/…`. */
function topLevel(path: string | undefined, stackPath: string): string | undefined {
  if (path === undefined) return undefined;
  const rest = path.startsWith(`${stackPath}/`) ? path.slice(stackPath.length + 1) : path.split('/').slice(1).join('/');
  const first = rest.split('/')[0];
  return first !== '' ? first : undefined;
}

/** Every string inside a value (the `//` metadata block skipped). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (k !== '//') strings(v, out);
  }
  return out;
}

/** `Service: name`: the literal physical name, else the resource's path inside its construct. */
function serviceLabel(service: string, r: StackResource, stackPath: string, constructId: string): string {
  const literal = NAME_ATTRIBUTES.map((a) => r.config[a]).find((v): v is string => typeof v === 'string' && v !== '' && !v.includes('${'));
  const prefix = `${stackPath}/${constructId}/`;
  const inside = r.path?.startsWith(prefix) ? r.path.slice(prefix.length) : '';
  const child = inside.split('/').filter((p) => p !== 'Resource' && p !== '').join('/') || constructId;
  let label = `${service}: ${literal ?? child}`;
  if (r.type === 'helm_release') {
    const chart = typeof r.config.chart === 'string' ? r.config.chart : '';
    const local = chart.startsWith('./') || chart.startsWith('../') || chart.startsWith('/');
    const version = typeof r.config.version === 'string' ? `@${r.config.version}` : '';
    label += local ? ' (local chart)' : chart && chart !== literal ? ` (${chart}${version})` : version ? ` (${version.slice(1)})` : '';
  }
  return label;
}

/** Builds the diagram model of an app (stacks given in dependency order). */
export function buildAppDiagram(stacks: readonly DiagramInputStack[]): AppDiagram {
  const byStack = new Map(stacks.map((s) => [s.name, stackResources(s.json)]));
  const stackPath = new Map(stacks.map((s) => [s.name, s.constructPath ?? s.name]));
  // cdktf names a consumer's remote state `cross-stack-reference-input-<producer path, '/' as '--'>`.
  const producerOf = new Map<string, string>();
  for (const s of stacks) for (const alias of [s.name, (s.constructPath ?? s.name).split('/').join('--')]) if (!producerOf.has(alias)) producerOf.set(alias, s.name);

  // Construct of every address, per stack.
  const owner = new Map<string, Map<string, string>>();
  for (const [name, resources] of byStack) {
    const m = new Map<string, string>();
    for (const r of resources) {
      const id = topLevel(r.path, stackPath.get(name)!);
      if (id !== undefined) m.set(r.address, id);
    }
    owner.set(name, m);
  }
  const outputs = new Map(stacks.map((s) => [s.name, (s.json.output ?? {}) as Record<string, { value?: unknown }>]));

  /** Constructs of `stack` that the strings mention (addresses and remote-state outputs). */
  const referencedBy = (stack: string, texts: readonly string[], seen = new Set<string>()): Set<ConstructKey> => {
    const found = new Set<ConstructKey>();
    const addresses = owner.get(stack) ?? new Map<string, string>();
    for (const t of texts) {
      for (const m of t.matchAll(ADDRESS)) {
        const id = addresses.get(m[0]);
        if (id !== undefined) found.add(`${stack}/${id}`);
      }
      for (const m of t.matchAll(CROSS_STACK)) {
        const producer = producerOf.get(m[1]);
        const output = m[2];
        const key = `${producer}/${output}`;
        if (producer === undefined || seen.has(key)) continue;
        seen.add(key);
        const value = outputs.get(producer)?.[output]?.value;
        for (const k of referencedBy(producer, strings(value), seen)) found.add(k);
      }
    }
    return found;
  };

  const references = new Map<string, ConstructReference>();
  const diagramStacks = stacks.map((s) => {
    const resources = byStack.get(s.name) ?? [];
    const groups = new Map<string, StackResource[]>();
    for (const r of resources) {
      const id = topLevel(r.path, stackPath.get(s.name)!);
      if (id === undefined) continue;
      const list = groups.get(id) ?? [];
      list.push(r);
      groups.set(id, list);
    }
    const constructs: DiagramConstruct[] = [];
    for (const [id, rs] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const managed = rs.filter((r) => r.mode === 'managed');
      if (managed.length === 0) continue; // data sources only (e.g. the platform context)
      const services = managed
        .filter((r) => MAIN_SERVICES[r.type] !== undefined)
        .map((r) => ({ service: MAIN_SERVICES[r.type], label: serviceLabel(MAIN_SERVICES[r.type], r, stackPath.get(s.name)!, id), address: r.address }))
        .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : a.address < b.address ? -1 : 1));
      constructs.push({ stack: s.name, id, kind: constructKind(managed), services, resourceCount: managed.length });
      const from = `${s.name}/${id}`;
      for (const to of referencedBy(s.name, managed.flatMap((r) => strings(r.config)))) {
        if (to !== from) references.set(`${from}>${to}`, { from, to });
      }
    }
    return { name: s.name, dependencies: s.dependencies, constructs };
  });
  const known = new Set(diagramStacks.flatMap((s) => s.constructs.map((c) => `${c.stack}/${c.id}`)));
  const refs = [...references.values()].filter((r) => known.has(r.from) && known.has(r.to));
  // Lifecycle flows per group of stacks linked by dependencies (e.g. one environment's layers).
  const flows = stackGroups(stacks).flatMap((group) =>
    lifecycleFlows(
      diagramStacks.filter((s) => group.has(s.name)).flatMap((s) => s.constructs),
      refs,
    ),
  );
  return { stacks: diagramStacks, references: refs, flows };
}

/** The stacks split into groups connected by dependencies (either direction), in input order. */
export function stackGroups(stacks: readonly { readonly name: string; readonly dependencies: readonly string[] }[]): Set<string>[] {
  const parent = new Map(stacks.map((s) => [s.name, s.name]));
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    return root;
  };
  for (const s of stacks) for (const d of s.dependencies) if (parent.has(d)) parent.set(find(d), find(s.name));
  const groups = new Map<string, Set<string>>();
  for (const s of stacks) {
    const root = find(s.name);
    const group = groups.get(root) ?? new Set<string>();
    group.add(s.name);
    groups.set(root, group);
  }
  return [...groups.values()];
}

/**
 * The lifecycle flows:
 * 1. for consecutive stages S → T, an edge a → b for every construct a of S and b of T that are
 *    linked by a reference (either direction) — evidence `reference`;
 * 2. when both stages exist but no such pair does, one edge between their primary constructs (first
 *    kind of the stage, then stack order, then id) — evidence `inferred`;
 * 3. a monitoring construct that references a construct of another stage it has no flow with yet
 *    gets an edge from it labelled {@link WATCH_LABEL} — evidence `reference`.
 * {@link buildAppDiagram} applies these rules to each group of stacks linked by dependencies, so
 * two environments in one app each get their own chain.
 */
export function lifecycleFlows(constructs: readonly DiagramConstruct[], references: readonly ConstructReference[]): DiagramFlow[] {
  const key = (c: DiagramConstruct) => `${c.stack}/${c.id}`;
  const linked = (a: string, b: string) => references.some((r) => (r.from === a && r.to === b) || (r.from === b && r.to === a));
  const order = new Map(constructs.map((c, i) => [key(c), i]));
  const stageOf = (c: DiagramConstruct) => LIFECYCLE_STAGES.findIndex((s) => c.kind !== undefined && s.kinds.includes(c.kind));
  const members = LIFECYCLE_STAGES.map((stage, i) =>
    constructs
      .filter((c) => stageOf(c) === i)
      .sort((a, b) => stage.kinds.indexOf(a.kind!) - stage.kinds.indexOf(b.kind!) || order.get(key(a))! - order.get(key(b))!),
  );
  const flows: DiagramFlow[] = [];
  for (let i = 0; i + 1 < members.length; i++) {
    const [from, to] = [members[i], members[i + 1]];
    if (from.length === 0 || to.length === 0) continue;
    const before = flows.length;
    for (const a of from) for (const b of to) if (linked(key(a), key(b))) flows.push({ from: key(a), to: key(b), label: LIFECYCLE_LABELS[i], evidence: 'reference' });
    if (flows.length === before) flows.push({ from: key(from[0]), to: key(to[0]), label: LIFECYCLE_LABELS[i], evidence: 'inferred' });
  }
  const monitoring = LIFECYCLE_STAGES.length - 1;
  for (const m of members[monitoring]) {
    for (const c of constructs) {
      const s = stageOf(c);
      if (s < 0 || s === monitoring) continue;
      const connected = flows.some((f) => (f.from === key(c) && f.to === key(m)) || (f.from === key(m) && f.to === key(c)));
      if (!connected && references.some((r) => r.from === key(m) && r.to === key(c))) flows.push({ from: key(c), to: key(m), label: WATCH_LABEL, evidence: 'reference' });
    }
  }
  return flows;
}
