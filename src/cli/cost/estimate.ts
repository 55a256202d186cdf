/**
 * The monthly cost estimate of a synthesized app: pure functions from stack JSON (and the templates
 * of its local Helm charts) to priced lines, using the bundled {@link PRICE_TABLE}. No I/O here;
 * `gaiops cost` (src/cli/commands/cost.ts) reads the files and renders the result.
 */
import { parseAllDocuments } from 'yaml';

import { UsageError } from '../args';
import { stackResources, type StackResource } from '../outdir';
import {
  FAMILY_REPRESENTATIVE,
  HOURS_PER_MONTH,
  INSTANCE_SPECS,
  PRICE_SOURCES,
  PRICE_TABLE,
  PRICE_TABLE_DATE,
  pricedRegions,
  type LustreThroughputTier,
  type RegionPrices,
} from './prices';

/**
 * How a line is priced:
 * - `fixed`: runs all month whatever the load (min = max);
 * - `scaling`: between a floor (`monthlyMin`) and a ceiling (`monthlyMax`: node group max size,
 *   Karpenter pool limit; `null` when the pool has no limit);
 * - `free`: created at no charge;
 * - `usage-based`: billed by requests, storage or traffic — not estimated, never a number;
 * - `unpriced`: would cost money but the table has no figure for it (see `note`).
 */
export type CostBasis = 'fixed' | 'scaling' | 'free' | 'usage-based' | 'unpriced';

/** One row of a stack's estimate. */
export interface CostLine {
  readonly kind: string;
  readonly count: number;
  /** Human unit price (`$0.10/cluster-hour`), `usage-based` or `unpriced`. */
  readonly unit: string;
  /** Unit price in USD for `unit`, or null. */
  readonly unitPrice: number | null;
  /** USD per month at the floor (cents-rounded), or null when not estimated. */
  readonly monthlyMin: number | null;
  /** USD per month at the ceiling (cents-rounded), or null when not estimated or unbounded. */
  readonly monthlyMax: number | null;
  readonly basis: CostBasis;
  readonly note?: string;
  /** Terraform addresses the line covers. */
  readonly addresses: readonly string[];
}

export interface StackCost {
  readonly name: string;
  /** Region the stack was priced in (`--region`, else its AWS provider's), null without AWS resources. */
  readonly region: string | null;
  readonly lines: readonly CostLine[];
  readonly monthlyMin: number;
  /** null when a line is unbounded (a Karpenter pool without limit). */
  readonly monthlyMax: number | null;
}

/** The `--json` document of `gaiops cost`. */
export interface CostReport {
  readonly priceTableDate: string;
  readonly hoursPerMonth: number;
  readonly regions: readonly string[];
  readonly currency: 'USD';
  readonly stacks: readonly StackCost[];
  readonly total: { readonly monthlyMin: number; readonly monthlyMax: number | null };
  /** Lines that are usage-based or unpriced, app-wide (their charges are not in the totals). */
  readonly excluded: { readonly usageBased: number; readonly unpriced: number };
  readonly sources: readonly string[];
}

/** A stack as the estimator sees it. */
export interface CostInputStack {
  readonly name: string;
  readonly json: Record<string, unknown>;
  /** Template file contents of local Helm charts, by helm_release address (Karpenter pools are read from them). */
  readonly charts?: Readonly<Record<string, readonly string[]>>;
}

export interface EstimateOptions {
  /** Price every stack in this region instead of its AWS provider's. */
  readonly region?: string;
}

/** Resource types billed only by use: one 'usage-based' row per type and stack. */
const USAGE_BASED: Readonly<Record<string, string>> = {
  aws_s3_bucket: 'S3 buckets (storage, requests, transfer)',
  aws_lambda_function: 'Lambda functions (requests, GB-seconds)',
  aws_apigatewayv2_api: 'API Gateway HTTP APIs (requests)',
  aws_api_gateway_rest_api: 'API Gateway REST APIs (requests)',
  aws_cloudwatch_log_group: 'CloudWatch Logs (ingestion, storage)',
  aws_sqs_queue: 'SQS queues (requests)',
  aws_sns_topic: 'SNS topics (publishes, deliveries)',
  aws_cloudwatch_event_bus: 'EventBridge buses (events)',
  aws_cloudwatch_event_archive: 'EventBridge archives (events, storage)',
  aws_glue_catalog_table: 'Glue Data Catalog tables (objects, requests)',
  aws_athena_workgroup: 'Athena workgroups (data scanned)',
  aws_ecr_repository: 'ECR repositories (image storage)',
  aws_flow_log: 'VPC flow logs (log ingestion)',
};

const money = (n: number): number => Math.round(n * 100) / 100;

/** A unit price: at least two decimals, up to six (`$0.10`, `$0.0816`, `$1.006`, `$0.000735`). */
export function formatUsd(n: number): string {
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
}

/** A monthly amount: cents (`$1,234.50`). */
export function formatMoney(n: number): string {
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

/** A nested block that cdktf renders as an object or a one-element list. */
function block(v: unknown): Record<string, unknown> | undefined {
  const b = Array.isArray(v) ? v[0] : v;
  return b !== null && typeof b === 'object' ? (b as Record<string, unknown>) : undefined;
}

/** The literal region of a stack's (first, default) AWS provider, if any. */
export function providerRegion(json: Record<string, unknown>): string | undefined {
  const aws = (json.provider as Record<string, unknown> | undefined)?.aws;
  const list = Array.isArray(aws) ? aws : aws !== undefined ? [aws] : [];
  const first = list.find((p) => p && typeof p === 'object' && (p as { alias?: unknown }).alias === undefined) ?? list[0];
  const region = str((first as { region?: unknown } | undefined)?.region);
  return region !== undefined && !region.includes('${') ? region : undefined;
}

/** Estimates every stack; unknown regions and stacks without a determinable region are {@link UsageError}s. */
export function estimateCost(stacks: readonly CostInputStack[], options: EstimateOptions = {}): CostReport {
  if (options.region !== undefined && !PRICE_TABLE[options.region]) {
    throw new UsageError(`gaiops cost: no prices recorded for region "${options.region}"; priced regions: ${pricedRegions().join(', ')}`);
  }
  const results = stacks.map((s) => estimateStack(s, options.region));
  const sum = (xs: readonly (number | null)[]): number | null => (xs.some((x) => x === null) ? null : money(xs.reduce<number>((a, x) => a + (x ?? 0), 0)));
  const lines = results.flatMap((r) => r.lines);
  return {
    priceTableDate: PRICE_TABLE_DATE,
    hoursPerMonth: HOURS_PER_MONTH,
    regions: [...new Set(results.map((r) => r.region).filter((r): r is string => r !== null))].sort(),
    currency: 'USD',
    stacks: results,
    total: { monthlyMin: sum(results.map((r) => r.monthlyMin)) ?? 0, monthlyMax: sum(results.map((r) => r.monthlyMax)) },
    excluded: {
      usageBased: lines.filter((l) => l.basis === 'usage-based').length,
      unpriced: lines.filter((l) => l.basis === 'unpriced').length,
    },
    sources: PRICE_SOURCES,
  };
}

function estimateStack(stack: CostInputStack, regionOverride: string | undefined): StackCost {
  const resources = stackResources(stack.json).filter((r) => r.mode === 'managed');
  const region = regionOverride ?? providerRegion(stack.json) ?? null;
  if (region !== null && !PRICE_TABLE[region]) {
    throw new UsageError(
      `gaiops cost: stack "${stack.name}" is in region "${region}", which the price table does not cover (priced: ${pricedRegions().join(', ')}); pass --region <r> to price it as one of those`,
    );
  }
  const needsPrices = resources.some((r) => r.type.startsWith('aws_')) || Object.keys(stack.charts ?? {}).length > 0;
  if (region === null && needsPrices) {
    throw new UsageError(`gaiops cost: stack "${stack.name}" has no literal AWS provider region; pass --region <r> (priced: ${pricedRegions().join(', ')})`);
  }
  const prices = region !== null ? PRICE_TABLE[region] : undefined;
  const lines = prices ? priceResources(resources, prices, stack.charts ?? {}) : [];
  const minTotal = money(lines.reduce((a, l) => a + (l.monthlyMin ?? 0), 0));
  const unbounded = lines.some((l) => l.basis === 'scaling' && l.monthlyMax === null);
  const maxTotal = unbounded ? null : money(lines.reduce((a, l) => a + (l.monthlyMax ?? 0), 0));
  return { name: stack.name, region, lines, monthlyMin: minTotal, monthlyMax: maxTotal };
}

function hourly(kind: string, addresses: string[], count: number, perHour: number, unitName: string, note?: string): CostLine {
  const monthly = money(count * perHour * HOURS_PER_MONTH);
  return { kind, count, unit: `${formatUsd(perHour)}/${unitName}`, unitPrice: perHour, monthlyMin: monthly, monthlyMax: monthly, basis: 'fixed', addresses, ...(note ? { note } : {}) };
}

function monthlyFixed(kind: string, addresses: string[], count: number, perMonth: number, unitName: string, note?: string): CostLine {
  const monthly = money(count * perMonth);
  return { kind, count, unit: `${formatUsd(perMonth)}/${unitName}`, unitPrice: perMonth, monthlyMin: monthly, monthlyMax: monthly, basis: 'fixed', addresses, ...(note ? { note } : {}) };
}

function unpriced(kind: string, addresses: string[], count: number, note: string): CostLine {
  return { kind, count, unit: 'unpriced', unitPrice: null, monthlyMin: null, monthlyMax: null, basis: 'unpriced', addresses, note };
}

function byType(resources: readonly StackResource[], type: string): StackResource[] {
  return resources.filter((r) => r.type === type);
}

function priceResources(resources: readonly StackResource[], p: RegionPrices, charts: Readonly<Record<string, readonly string[]>>): CostLine[] {
  const lines: CostLine[] = [];
  const addr = (rs: readonly StackResource[]) => rs.map((r) => r.address);

  // EKS control plane, by support type.
  const clusters = byType(resources, 'aws_eks_cluster');
  const extended = clusters.filter((c) => str(block(c.config.upgrade_policy)?.support_type) === 'EXTENDED');
  const standard = clusters.filter((c) => !extended.includes(c));
  if (standard.length > 0) lines.push(hourly('EKS control plane (standard support)', addr(standard), standard.length, p.eksClusterHour, 'cluster-hour'));
  if (extended.length > 0) lines.push(hourly('EKS control plane (extended support)', addr(extended), extended.length, p.eksExtendedClusterHour, 'cluster-hour'));

  // Managed node groups and their root volumes.
  for (const ng of byType(resources, 'aws_eks_node_group')) lines.push(...nodeGroupLines(ng, resources, p));

  // Karpenter NodePools rendered into local Helm charts.
  for (const release of byType(resources, 'helm_release')) {
    const templates = charts[release.address];
    if (templates) lines.push(...karpenterLines(release, templates, p));
  }

  // Networking.
  const nats = byType(resources, 'aws_nat_gateway');
  if (nats.length > 0) lines.push(hourly('NAT gateways', addr(nats), nats.length, p.natGatewayHour, 'gateway-hour', 'data processing per GB not included'));
  const eips = byType(resources, 'aws_eip');
  if (eips.length > 0) lines.push(hourly('Public IPv4 addresses (Elastic IPs)', addr(eips), eips.length, p.publicIpv4Hour, 'address-hour'));
  const endpoints = byType(resources, 'aws_vpc_endpoint');
  const isInterface = (e: StackResource) => (str(e.config.vpc_endpoint_type) ?? 'Gateway') === 'Interface';
  const interfaces = endpoints.filter(isInterface);
  if (interfaces.length > 0) {
    const azs = interfaces.reduce((a, e) => a + (Array.isArray(e.config.subnet_ids) ? Math.max(1, e.config.subnet_ids.length) : 1), 0);
    lines.push(
      hourly('VPC interface endpoints (endpoint-AZs)', addr(interfaces), azs, p.interfaceEndpointAzHour, 'endpoint-AZ-hour', `${interfaces.length} endpoints × their subnets; data processed per GB not included`),
    );
  }
  const gateways = endpoints.filter((e) => !isInterface(e));
  if (gateways.length > 0) lines.push(free('VPC gateway endpoints', addr(gateways), gateways.length));

  // Keys and secrets.
  const keys = [...byType(resources, 'aws_kms_key'), ...byType(resources, 'aws_kms_replica_key')];
  if (keys.length > 0) lines.push(monthlyFixed('KMS customer-managed keys', addr(keys), keys.length, p.kmsKeyMonth, 'key-month', 'requests not included'));
  const secrets = byType(resources, 'aws_secretsmanager_secret');
  if (secrets.length > 0) lines.push(monthlyFixed('Secrets Manager secrets', addr(secrets), secrets.length, p.secretMonth, 'secret-month', 'API calls not included'));

  // CloudWatch alarms: billed per metric they evaluate.
  const alarms = byType(resources, 'aws_cloudwatch_metric_alarm');
  const highRes = alarms.filter(isHighResolution);
  const standardAlarms = alarms.filter((a) => !highRes.includes(a));
  for (const [group, label, price] of [
    [standardAlarms, 'CloudWatch alarms (standard resolution)', p.alarmMetricMonth],
    [highRes, 'CloudWatch alarms (high resolution)', p.alarmHighResMetricMonth],
  ] as const) {
    if (group.length === 0) continue;
    const metrics = group.reduce((a, al) => a + alarmMetricCount(al), 0);
    lines.push({ ...monthlyFixed(label, addr(group), group.length, price, 'alarm-metric-month', `${metrics} metrics evaluated`), monthlyMin: money(metrics * price), monthlyMax: money(metrics * price) });
  }

  // FSx for Lustre.
  for (const fs of byType(resources, 'aws_fsx_lustre_file_system')) lines.push(lustreLine(fs, p));

  // DynamoDB: provisioned tables priced, on-demand usage-based.
  const tables = byType(resources, 'aws_dynamodb_table');
  const provisioned = tables.filter((t) => (str(t.config.billing_mode) ?? 'PROVISIONED') === 'PROVISIONED');
  const onDemand = tables.filter((t) => !provisioned.includes(t));
  if (provisioned.length > 0) {
    const perHour = provisioned.reduce((a, t) => a + (num(t.config.read_capacity) ?? 0) * p.dynamodbRcuHour + (num(t.config.write_capacity) ?? 0) * p.dynamodbWcuHour, 0);
    const monthly = money(perHour * HOURS_PER_MONTH);
    lines.push({
      kind: 'DynamoDB tables (provisioned capacity)',
      count: provisioned.length,
      unit: `${formatUsd(p.dynamodbRcuHour)}/RCU-hour, ${formatUsd(p.dynamodbWcuHour)}/WCU-hour`,
      unitPrice: null,
      monthlyMin: monthly,
      monthlyMax: monthly,
      basis: 'fixed',
      note: 'table capacity only; indexes, storage and backups not included',
      addresses: addr(provisioned),
    });
  }
  if (onDemand.length > 0) lines.push(usageBased('DynamoDB tables (on-demand requests, storage)', addr(onDemand)));

  // Budgets: free, except action-enabled budgets beyond the account's first two.
  const budgets = byType(resources, 'aws_budgets_budget');
  if (budgets.length > 0) lines.push(free('AWS Budgets', addr(budgets), budgets.length));
  const actions = byType(resources, 'aws_budgets_budget_action');
  if (actions.length > 0) {
    const charged = Math.max(0, actions.length - 2);
    const perMonth = p.budgetActionDay * (HOURS_PER_MONTH / 24);
    lines.push({ ...monthlyFixed('AWS Budgets actions', addr(actions), actions.length, perMonth, 'action-month', 'the first two action-enabled budgets of an account are free'), monthlyMin: money(charged * perMonth), monthlyMax: money(charged * perMonth) });
  }

  // Load balancers created at run time from Ingresses.
  const albIngresses = byType(resources, 'kubernetes_ingress_v1').filter((i) => JSON.stringify(i.config).includes('"alb"'));
  if (albIngresses.length > 0) {
    lines.push(unpriced('Application Load Balancers (from Ingress)', addr(albIngresses), albIngresses.length, 'created by the AWS Load Balancer Controller at run time; hourly + LCU charges not in the table'));
  }

  for (const [type, label] of Object.entries(USAGE_BASED)) {
    const rs = byType(resources, type);
    if (rs.length > 0) lines.push(usageBased(label, addr(rs)));
  }
  return lines;
}

function free(kind: string, addresses: string[], count: number): CostLine {
  return { kind, count, unit: 'no charge', unitPrice: 0, monthlyMin: 0, monthlyMax: 0, basis: 'free', addresses };
}

function usageBased(kind: string, addresses: string[]): CostLine {
  return { kind, count: addresses.length, unit: 'usage-based', unitPrice: null, monthlyMin: null, monthlyMax: null, basis: 'usage-based', addresses };
}

function isHighResolution(alarm: StackResource): boolean {
  const periods = [num(alarm.config.period), ...(Array.isArray(alarm.config.metric_query) ? alarm.config.metric_query : []).map((q) => num(block((q as Record<string, unknown>).metric)?.period))];
  return periods.some((x) => x !== undefined && x < 60);
}

/** Metrics an alarm evaluates: one for a single-metric alarm, one per `metric` of a metric-math alarm. */
function alarmMetricCount(alarm: StackResource): number {
  const queries = Array.isArray(alarm.config.metric_query) ? alarm.config.metric_query : [];
  const metrics = queries.filter((q) => block((q as Record<string, unknown>).metric) !== undefined).length;
  return metrics > 0 ? metrics : 1;
}

interface Volume {
  readonly sizeGiB: number;
  readonly type: string;
  readonly iops?: number;
  readonly throughput?: number;
}

/** $/month of one EBS volume (gp3 with extra IOPS/throughput, gp2), or undefined for other types. */
function volumeMonthly(v: Volume, p: RegionPrices): number | undefined {
  if (v.type === 'gp3') {
    return v.sizeGiB * p.ebsGp3GbMonth + Math.max(0, (v.iops ?? 3000) - 3000) * p.ebsGp3IopsMonth + Math.max(0, (v.throughput ?? 125) - 125) * p.ebsGp3ThroughputMonth;
  }
  if (v.type === 'gp2') return v.sizeGiB * p.ebsGp2GbMonth;
  return undefined;
}

function describeVolume(v: Volume): string {
  const extras = v.type === 'gp3' ? `, ${v.iops ?? 3000} IOPS, ${v.throughput ?? 125} MiB/s` : '';
  return `${v.sizeGiB} GiB ${v.type}${extras}`;
}

/** Root volume of a node group: from its launch template (same stack) or `disk_size`. */
function nodeGroupVolume(ng: StackResource, resources: readonly StackResource[]): Volume | undefined {
  const lt = block(ng.config.launch_template);
  const ref = str(lt?.id) ?? str(lt?.name);
  const match = ref ? /\$\{aws_launch_template\.([A-Za-z0-9_-]+)\./.exec(ref) : null;
  if (match) {
    const template = resources.find((r) => r.type === 'aws_launch_template' && r.name === match[1]);
    const devices = Array.isArray(template?.config.block_device_mappings) ? template.config.block_device_mappings : [];
    const ebs = block((devices[0] as Record<string, unknown> | undefined)?.ebs);
    const size = num(ebs?.volume_size);
    if (ebs && size !== undefined) return { sizeGiB: size, type: str(ebs.volume_type) ?? 'gp3', iops: num(ebs.iops), throughput: num(ebs.throughput) };
    return undefined;
  }
  const disk = num(ng.config.disk_size);
  return disk !== undefined ? { sizeGiB: disk, type: 'gp3' } : undefined;
}

function nodeGroupLines(ng: StackResource, resources: readonly StackResource[], p: RegionPrices): CostLine[] {
  const name = str(ng.config.node_group_name) ?? ng.name;
  const scaling = block(ng.config.scaling_config) ?? {};
  const min = num(scaling.min_size) ?? 0;
  const max = num(scaling.max_size) ?? min;
  const desired = num(scaling.desired_size);
  const types = Array.isArray(ng.config.instance_types) ? ng.config.instance_types.filter((t): t is string => typeof t === 'string') : [];
  const instance = types[0] ?? 't3.medium';
  const capacity = str(ng.config.capacity_type) ?? 'ON_DEMAND';
  const sizes = `${min}–${max} nodes${desired !== undefined ? ` (desired ${desired})` : ''}`;
  const notes = [sizes, ...(capacity === 'SPOT' ? ['SPOT: on-demand price shown as the ceiling'] : []), ...(types.length > 1 ? [`priced as ${instance}, the first of ${types.join(', ')}`] : [])];
  const lines: CostLine[] = [];
  const price = p.instances[instance];
  if (price === undefined) {
    lines.push(unpriced(`EKS node group ${name} (${instance})`, [ng.address], max, `no recorded price for ${instance} in this region; ${sizes}`));
  } else {
    lines.push({
      kind: `EKS node group ${name} (${instance})`,
      count: max,
      unit: `${formatUsd(price)}/instance-hour`,
      unitPrice: price,
      monthlyMin: money(min * price * HOURS_PER_MONTH),
      monthlyMax: money(max * price * HOURS_PER_MONTH),
      basis: min === max ? 'fixed' : 'scaling',
      note: notes.join('; '),
      addresses: [ng.address],
    });
  }
  const volume = nodeGroupVolume(ng, resources);
  const perVolume = volume ? volumeMonthly(volume, p) : undefined;
  if (volume && perVolume !== undefined) {
    lines.push({
      kind: `EBS root volumes, node group ${name}`,
      count: max,
      unit: `${formatUsd(perVolume)}/volume-month`,
      unitPrice: money(perVolume),
      monthlyMin: money(min * perVolume),
      monthlyMax: money(max * perVolume),
      basis: min === max ? 'fixed' : 'scaling',
      note: describeVolume(volume),
      addresses: [ng.address],
    });
  }
  return lines;
}

/** A NodePool or EC2NodeClass document of a generated chart (Helm template expressions replaced). */
interface KarpenterDoc {
  kind?: string;
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
}

/** Parses chart templates, replacing `{{ … }}` (values known only to Helm) with a placeholder. */
export function parseChartTemplates(templates: readonly string[]): KarpenterDoc[] {
  const docs: KarpenterDoc[] = [];
  for (const text of templates) {
    const plain = text.replace(/\{\{-?[\s\S]*?-?\}\}/g, 'helm-value');
    for (const doc of parseAllDocuments(plain)) {
      if (doc.errors.length > 0) continue;
      const value = doc.toJS() as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) docs.push(value as KarpenterDoc);
    }
  }
  return docs;
}

function karpenterLines(release: StackResource, templates: readonly string[], p: RegionPrices): CostLine[] {
  const docs = parseChartTemplates(templates);
  const classes = new Map(docs.filter((d) => d.kind === 'EC2NodeClass' && d.metadata?.name).map((d) => [d.metadata!.name!, d]));
  const lines: CostLine[] = [];
  for (const pool of docs.filter((d) => d.kind === 'NodePool')) {
    const name = pool.metadata?.name ?? '(unnamed)';
    const template = (pool.spec?.template as { spec?: Record<string, unknown> } | undefined)?.spec ?? {};
    const requirements = (Array.isArray(template.requirements) ? template.requirements : []) as { key?: string; operator?: string; values?: unknown[] }[];
    const values = (key: string) => requirements.find((r) => r.key === key && r.operator === 'In')?.values?.filter((v): v is string => typeof v === 'string') ?? [];
    const families = values('karpenter.k8s.aws/instance-family');
    const capacityTypes = values('karpenter.sh/capacity-type');
    const limits = (pool.spec?.limits ?? {}) as Record<string, unknown>;
    const gpuLimit = num(limits['nvidia.com/gpu']);
    const cpuLimit = num(limits.cpu);
    const gpu = gpuLimit !== undefined;
    const family = families.find((f) => FAMILY_REPRESENTATIVE[f] !== undefined && p.instances[FAMILY_REPRESENTATIVE[f]] !== undefined);
    const kind = `Karpenter pool ${name} (${families.join(', ') || 'any family'})`;
    if (family === undefined) {
      lines.push(unpriced(kind, [release.address], (gpu ? gpuLimit : cpuLimit) ?? 0, `no recorded price for a representative instance of ${families.join(', ') || 'its families'} in this region; 0 nodes at min`));
      continue;
    }
    const instance = FAMILY_REPRESENTATIVE[family];
    const spec = INSTANCE_SPECS[instance];
    const instancePrice = p.instances[instance];
    const perUnit = gpu ? instancePrice / Math.max(1, spec.gpus) : instancePrice / spec.vcpus;
    const limit = gpu ? gpuLimit : cpuLimit;
    const notes = [
      `${instance}${spec.gpuModel ? ` (${spec.gpuModel})` : ''} at ${formatUsd(instancePrice)}/hour`,
      'min 0 nodes',
      ...(capacityTypes.includes('spot') ? ['spot allowed: on-demand price is the ceiling'] : []),
      ...(families.length > 1 ? [`other families (${families.filter((f) => f !== family).join(', ')}) priced as ${family}`] : []),
    ];
    if (limit === undefined) {
      lines.push({ kind, count: 0, unit: `${formatUsd(perUnit)}/${gpu ? 'GPU' : 'vCPU'}-hour`, unitPrice: perUnit, monthlyMin: 0, monthlyMax: null, basis: 'scaling', note: [...notes, 'no limit: unbounded'].join('; '), addresses: [release.address] });
      continue;
    }
    lines.push({
      kind,
      count: limit,
      unit: `${formatUsd(perUnit)}/${gpu ? 'GPU' : 'vCPU'}-hour`,
      unitPrice: perUnit,
      monthlyMin: 0,
      monthlyMax: money(limit * perUnit * HOURS_PER_MONTH),
      basis: 'scaling',
      note: notes.join('; '),
      addresses: [release.address],
    });
    const nodes = Math.ceil(limit / (gpu ? Math.max(1, spec.gpus) : spec.vcpus));
    const nodeClassName = (template.nodeClassRef as { name?: string } | undefined)?.name;
    const volume = nodeClassName ? nodeClassVolume(classes.get(nodeClassName)) : undefined;
    const perVolume = volume ? volumeMonthly(volume, p) : undefined;
    if (volume && perVolume !== undefined) {
      lines.push({
        kind: `EBS root volumes, Karpenter pool ${name}`,
        count: nodes,
        unit: `${formatUsd(perVolume)}/volume-month`,
        unitPrice: money(perVolume),
        monthlyMin: 0,
        monthlyMax: money(nodes * perVolume),
        basis: 'scaling',
        note: `${describeVolume(volume)}; ${nodes} × ${instance} at the limit`,
        addresses: [release.address],
      });
    }
  }
  return lines;
}

function nodeClassVolume(nodeClass: KarpenterDoc | undefined): Volume | undefined {
  const mappings = (Array.isArray(nodeClass?.spec?.blockDeviceMappings) ? nodeClass.spec.blockDeviceMappings : []) as { rootVolume?: boolean; ebs?: Record<string, unknown> }[];
  const root = mappings.find((m) => m.rootVolume) ?? mappings[0];
  const ebs = root?.ebs;
  const size = /^(\d+)Gi$/.exec(str(ebs?.volumeSize) ?? '');
  if (!ebs || !size) return undefined;
  return { sizeGiB: Number(size[1]), type: str(ebs.volumeType) ?? 'gp3', iops: num(ebs.iops), throughput: num(ebs.throughput) };
}

function lustreLine(fs: StackResource, p: RegionPrices): CostLine {
  const deployment = str(fs.config.deployment_type) ?? 'SCRATCH_1';
  const storage = str(fs.config.storage_type) ?? 'SSD';
  const capacity = num(fs.config.storage_capacity);
  const tier = num(fs.config.per_unit_storage_throughput) as LustreThroughputTier | undefined;
  const kind = `FSx for Lustre ${deployment} ${storage}${tier ? ` ${tier} MB/s/TiB` : ''}`;
  const perGb = deployment === 'PERSISTENT_2' && storage === 'SSD' && tier !== undefined ? p.lustrePersistent2GbMonth?.[tier] : undefined;
  if (perGb === undefined || capacity === undefined) {
    return unpriced(kind, [fs.address], 1, `no recorded price for this deployment type, tier or region${capacity !== undefined ? ` (${capacity} GiB)` : ''}`);
  }
  const monthly = money(perGb * capacity);
  return {
    kind,
    count: 1,
    unit: `${formatUsd(perGb * 1024)}/TiB-month`,
    unitPrice: perGb * 1024,
    monthlyMin: monthly,
    monthlyMax: monthly,
    basis: 'fixed',
    note: `${capacity} GiB provisioned; backups and data transfer not included`,
    addresses: [fs.address],
  };
}
