/**
 * What changed between two gateway configs, as short human-readable lines for the reload log
 * (`variant b: weight 50 -> 70`, `variant c: added`, `resilience.maxRetries: 2 -> 3`). Variants are
 * matched by name, so reordering alone is no change. Upstream URLs are included (they carry no
 * secrets by contract).
 */
import type { GatewayConfig } from '../../gateway-config';

export function diffGatewayConfig(before: GatewayConfig, after: GatewayConfig): string[] {
  const changes: string[] = [];
  const { variants: beforeVariants, ...beforeRest } = before;
  const { variants: afterVariants, ...afterRest } = after;
  diffValues('', beforeRest, afterRest, changes);
  const beforeByName = new Map(beforeVariants.map((v) => [v.name, v]));
  const afterByName = new Map(afterVariants.map((v) => [v.name, v]));
  for (const [name, v] of beforeByName) {
    const next = afterByName.get(name);
    if (!next) changes.push(`variant ${name}: removed`);
    else diffValues(`variant ${name}:`, v, next, changes, ' ', ' ');
  }
  for (const name of afterByName.keys()) if (!beforeByName.has(name)) changes.push(`variant ${name}: added`);
  return changes;
}

/** `label` names the value; `sep` goes between label and values (`: ` for paths, ` ` inside a variant line). */
function diffValues(label: string, before: unknown, after: unknown, out: string[], sep = ': ', join = '.'): void {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const path = label === '' ? key : `${label}${join}${key}`;
      diffValues(path, before[key], after[key], out, sep, '.');
    }
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push(`${label}${sep}${show(before)} -> ${show(after)}`);
}

function show(value: unknown): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
