#!/usr/bin/env node
// Prints the stacks of one gaiops environment in apply order (every stack after the stacks it
// depends on), one name per line, from the manifest.json `cdktf synth` / `gaiops synth` wrote:
//
//   node stack-order.mjs cdktf.out/manifest.json prod   →  prod-data prod-cluster prod-addons …
//
// cdktf records each stack's dependencies as construct paths (`stacks.<name>.dependencies`);
// stacks are matched by `constructPath`. Exit 2 on a missing/invalid manifest, an unknown
// dependency, a cycle, or no stack named `<environment>-…`. No dependencies beyond Node.js.
import { readFileSync } from 'node:fs';

const [manifestFile, environment] = process.argv.slice(2);
if (!manifestFile || !environment) {
  process.stderr.write('Usage: node stack-order.mjs <manifest.json> <environment>\n');
  process.exit(2);
}
const fail = (message) => {
  process.stderr.write(`stack-order: ${message}\n`);
  process.exit(2);
};

let manifest;
try {
  manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
} catch (err) {
  fail(`cannot read ${manifestFile}: ${err.message}`);
}
const stacks = Object.values(manifest?.stacks ?? {});
const byPath = new Map(stacks.map((s) => [s.constructPath, s]));
const order = [];
const state = new Map(); // name → 'visiting' | 'done'
const visit = (stack, chain) => {
  if (state.get(stack.name) === 'done') return;
  if (state.get(stack.name) === 'visiting') fail(`dependency cycle: ${[...chain, stack.name].join(' → ')}`);
  state.set(stack.name, 'visiting');
  for (const path of stack.dependencies ?? []) {
    const dependency = byPath.get(path);
    if (!dependency) fail(`${stack.name} depends on ${path}, which is not a stack of ${manifestFile}`);
    visit(dependency, [...chain, stack.name]);
  }
  state.set(stack.name, 'done');
  order.push(stack);
};
// Tie-break: GaiPlatform's layer order (its README), then manifest order — stable output that
// matches the documented order whenever the dependencies allow it.
const LAYERS = ['data', 'cluster', 'addons', 'workloads', 'observability', 'access'];
const rank = (s) => {
  const i = LAYERS.indexOf(s.name.slice(s.name.lastIndexOf('-') + 1));
  return i < 0 ? LAYERS.length : i;
};
for (const stack of [...stacks].sort((a, b) => rank(a) - rank(b))) visit(stack, []);
const selected = order.filter((s) => s.name.startsWith(`${environment}-`));
if (selected.length === 0) fail(`no stack of environment "${environment}" in ${manifestFile} (stacks: ${stacks.map((s) => s.name).join(', ')})`);
process.stdout.write(`${selected.map((s) => s.name).join('\n')}\n`);
