/** `gaiops cost`: a monthly on-demand estimate of a synthesized app, per stack and in total. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

import { HOURS_PER_MONTH, PRICE_TABLE_DATE, pricedRegions } from '../cost/prices';
import { estimateCost, formatMoney, type CostInputStack, type CostReport, type StackCost } from '../cost/estimate';
import { EXIT, UsageError, parseCommandArgs, type CliIo } from '../args';
import { dependencyOrder, readSynthesizedStacks, resolveOutdir, stackResources, type SynthesizedStack } from '../outdir';

export const COST_HELP = `Usage: gaiops cost [--dir <dir>] [--stack <name>]... [--region <region>] [--json]

Estimates the monthly cost of a synthesized app from its resources and a bundled, dated table of
on-demand list prices (${pricedRegions().join(', ')}; recorded ${PRICE_TABLE_DATE}, check them
against the AWS pricing pages). ${HOURS_PER_MONTH} hours per month. Per stack: EKS control plane,
node groups and Karpenter pools (at their floor and at their limit), NAT gateways, public IPv4,
interface endpoints, KMS keys, secrets, alarms, FSx for Lustre, EBS root volumes. S3, DynamoDB
on-demand, Lambda, API Gateway, logs and other usage-billed services are listed as
"usage-based, not estimated". Reads <dir>/manifest.json and every stack's cdk.tf.json
(and the templates of local Helm charts, for Karpenter NodePools). Run 'gaiops synth' first.

Options:
  --dir <dir>         synthesized output directory (default: "output" of ./cdktf.json, else cdktf.out)
  --stack <name>      only this stack; repeat for several (default: every stack, in dependency order)
  --region <region>   price every stack in this region (default: each stack's AWS provider region)
  --json              print one JSON document instead of the tables:
                      { "priceTableDate", "hoursPerMonth", "regions", "currency", "stacks":
                        [{ "name", "region", "lines": [{ "kind", "count", "unit", "unitPrice",
                        "monthlyMin", "monthlyMax", "basis", "note", "addresses" }], "monthlyMin",
                        "monthlyMax" }], "total": { "monthlyMin", "monthlyMax" }, "excluded", "sources" }
                      (money in USD; null where not estimated; basis: fixed, scaling, free,
                      usage-based, unpriced)
  -h, --help          show this help

Exit codes:
  0  the estimate was printed
  2  usage error, unreadable input (missing or invalid manifest.json / cdk.tf.json), or a region
     the price table does not cover (or no literal provider region and no --region)`;

/** Runs `gaiops cost`; usage errors and unreadable input are reported on stderr with exit 2 (also when called directly). */
export async function costCommand(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return runCost(argv, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`${err.message}\n`);
    return EXIT.USAGE;
  }
}

function runCost(argv: readonly string[], io: CliIo): number {
  const { values } = parseCommandArgs('cost', argv, {
    dir: { type: 'string', short: 'd' },
    stack: { type: 'string', multiple: true },
    region: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${COST_HELP}\n`);
    return EXIT.OK;
  }
  const dir = resolveOutdir(io, values.dir);
  const stacks = dependencyOrder(readSynthesizedStacks(dir, 'cost', values.stack ?? []), 'cost');
  const report = estimateCost(stacks.map(costInput), values.region !== undefined ? { region: values.region } : {});
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderCostReport(report));
  return EXIT.OK;
}

/** A stack with the template files of its local Helm charts (chart paths resolve against the stack's directory). */
function costInput(stack: SynthesizedStack): CostInputStack {
  const charts: Record<string, string[]> = {};
  for (const r of stackResources(stack.json)) {
    if (r.type !== 'helm_release' || r.mode !== 'managed') continue;
    const chart = typeof r.config.chart === 'string' ? r.config.chart : undefined;
    if (chart === undefined || !(chart.startsWith('./') || chart.startsWith('../') || isAbsolute(chart))) continue;
    const templates = join(resolve(stack.workingDirectory, chart), 'templates');
    if (!existsSync(templates) || !statSync(templates).isDirectory()) continue;
    try {
      charts[r.address] = readdirSync(templates)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => readFileSync(join(templates, f), 'utf8'));
    } catch (err) {
      throw new UsageError(`gaiops cost: cannot read the chart of ${r.address} in stack "${stack.name}" at ${templates}: ${(err as Error).message}`);
    }
  }
  return { name: stack.name, json: stack.json, charts };
}

const amount = (n: number | null, basis: string): string =>
  n !== null ? formatMoney(n) : basis === 'usage-based' ? 'usage-based' : basis === 'unpriced' ? 'unpriced' : 'unbounded';

/** The human report: a header, one table per stack, the totals and what is left out. */
export function renderCostReport(report: CostReport): string {
  const regions = report.regions.join(', ') || '(none)';
  const out: string[] = [
    `ESTIMATE — on-demand list prices as of ${report.priceTableDate}, region ${regions}; excludes usage-based charges, taxes, discounts`,
    `(${report.hoursPerMonth} hours/month; prices are recorded list prices, check them against the AWS pricing pages)`,
    '',
  ];
  for (const stack of report.stacks) out.push(...renderStack(stack), '');
  const max = report.total.monthlyMax !== null ? formatMoney(report.total.monthlyMax) : 'unbounded';
  out.push(`TOTAL (${report.stacks.length} stack${report.stacks.length === 1 ? '' : 's'}): ${formatMoney(report.total.monthlyMin)} per month at min, ${max} at max`);
  const { usageBased, unpriced } = report.excluded;
  if (usageBased > 0) out.push(`not included: ${usageBased} usage-based line${usageBased === 1 ? '' : 's'} (usage-based, not estimated)`);
  if (unpriced > 0) out.push(`not included: ${unpriced} unpriced line${unpriced === 1 ? '' : 's'} (no recorded price; see their notes)`);
  return `${out.join('\n')}\n`;
}

function renderStack(stack: StackCost): string[] {
  const title = `${stack.name}${stack.region ? ` (${stack.region})` : ''}`;
  if (stack.lines.length === 0) return [`${title}: no priced resources`];
  const rows = stack.lines.map((l) => [
    l.kind,
    String(l.count),
    l.basis === 'usage-based' ? 'usage-based, not estimated' : l.unit,
    amount(l.monthlyMin, l.basis),
    amount(l.monthlyMax, l.basis),
    l.note ?? '',
  ]);
  const total = ['total', '', '', formatMoney(stack.monthlyMin), stack.monthlyMax !== null ? formatMoney(stack.monthlyMax) : 'unbounded', ''];
  const header = ['KIND', 'COUNT', 'UNIT PRICE', 'MONTHLY MIN', 'MONTHLY MAX', 'NOTE'];
  const all = [header, ...rows, total];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const rightAligned = new Set([1, 3, 4]);
  const format = (r: string[]) =>
    `  ${r
      .map((cell, i) => (i === r.length - 1 ? cell : rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd()}`;
  return [title, format(header), ...rows.map(format), format(total)];
}
