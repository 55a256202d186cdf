/**
 * Checks the value paths a ClusterAddons catalogue chart declares (`valueKeys` in
 * src/gpu-training-cluster/addon-charts.ts) against the values.yaml of a downloaded chart.
 *
 *   tsx scripts/verify-chart-keys.ts --chart <catalogue name> --values <values.yaml>
 *        [--subchart <alias>=<subchart values.yaml>]…
 *
 * A path exists when every segment is a key of the map reached so far, whatever the final value is
 * (a map, a list, a scalar or null). Paths under a subchart alias are looked up in that subchart's
 * values.yaml when one is given (the parent's values.yaml usually lists only a few of them).
 *
 * Exit codes: 0 every path exists; 1 some are missing (listed on stderr); 2 usage or input error.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ADDON_CHARTS, type AddonChartName } from '../src/gpu-training-cluster/addon-charts';

/** True when `path` (dotted) names a key that exists in `document`. */
export function hasValuePath(document: unknown, path: string): boolean {
  let node: unknown = document;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
    if (!Object.prototype.hasOwnProperty.call(node, segment)) return false;
    node = (node as Record<string, unknown>)[segment];
  }
  return true;
}

/**
 * The declared paths missing from the chart's values (or, for `<alias>.…` paths with a subchart
 * document, from the subchart's values — found in either counts).
 */
export function missingValuePaths(valueKeys: readonly string[], values: unknown, subcharts: Readonly<Record<string, unknown>> = {}): string[] {
  return valueKeys.filter((key) => {
    if (hasValuePath(values, key)) return false;
    const dot = key.indexOf('.');
    const alias = dot > 0 ? key.slice(0, dot) : undefined;
    if (alias !== undefined && alias in subcharts && hasValuePath(subcharts[alias], key.slice(dot + 1))) return false;
    return true;
  });
}

interface Arguments {
  chart: AddonChartName;
  values: string;
  subcharts: Record<string, string>;
}

function parseArguments(argv: readonly string[]): Arguments {
  let chart: string | undefined;
  let values: string | undefined;
  const subcharts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--chart') chart = value;
    else if (flag === '--values') values = value;
    else if (flag === '--subchart') {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new UsageError(`--subchart takes <alias>=<values.yaml>, got ${JSON.stringify(value)}`);
      subcharts[value.slice(0, eq)] = value.slice(eq + 1);
    } else throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
    i++;
  }
  if (!chart || !values) throw new UsageError('--chart and --values are required');
  if (!(chart in ADDON_CHARTS)) throw new UsageError(`unknown chart ${JSON.stringify(chart)}; catalogue: ${Object.keys(ADDON_CHARTS).join(', ')}`);
  return { chart: chart as AddonChartName, values, subcharts };
}

class UsageError extends Error {}

function readYaml(path: string): unknown {
  return parse(readFileSync(path, 'utf8'));
}

function main(argv: readonly string[]): number {
  let args: Arguments;
  try {
    args = parseArguments(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`verify-chart-keys: ${error.message}\nusage: verify-chart-keys --chart <name> --values <values.yaml> [--subchart <alias>=<values.yaml>]…\n`);
      return 2;
    }
    throw error;
  }
  const chart = ADDON_CHARTS[args.chart];
  let values: unknown;
  const subcharts: Record<string, unknown> = {};
  try {
    values = readYaml(args.values);
    for (const [alias, file] of Object.entries(args.subcharts)) subcharts[alias] = readYaml(file);
  } catch (error) {
    process.stderr.write(`verify-chart-keys: cannot read values: ${(error as Error).message}\n`);
    return 2;
  }
  const missing = missingValuePaths(chart.valueKeys, values, subcharts);
  if (missing.length > 0) {
    process.stderr.write(`${chart.chart} ${chart.version}: ${missing.length} of ${chart.valueKeys.length} value paths missing from ${args.values}:\n${missing.map((m) => `  ${m}`).join('\n')}\n`);
    return 1;
  }
  process.stdout.write(`${chart.chart} ${chart.version}: all ${chart.valueKeys.length} value paths exist in ${args.values}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
