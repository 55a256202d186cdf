/**
 * Weighted A/B routing as pure functions over the gateway config.
 *
 * A request's sticky point (see `stickyHash`) falls into one of the cumulative weight ranges of the
 * live (non-shadow, weight > 0) variants, in config order. The same user therefore keeps its
 * variant while the weights stay the same, and a weight change only moves the users whose point
 * lies in the ranges that changed.
 */
import type { GatewayConfig, GatewayVariant } from '../../gateway-config';

/** The variant whose cumulative weight range contains `point` (in [0, 1)); undefined when all weights are 0. */
export function pickWeighted<T extends { readonly weight: number }>(variants: readonly T[], point: number): T | undefined {
  let total = 0;
  for (const v of variants) if (v.weight > 0) total += v.weight;
  if (total <= 0) return undefined;
  const target = Math.min(Math.max(point, 0), 1) * total;
  let cumulative = 0;
  let last: T | undefined;
  for (const v of variants) {
    if (v.weight <= 0) continue;
    cumulative += v.weight;
    last = v;
    if (target < cumulative) return v;
  }
  return last; // point === 1 or float rounding at the upper end
}

/** Variants that receive live traffic: weight > 0 and no shadow share. */
export function liveVariants(config: GatewayConfig): GatewayVariant[] {
  return config.variants.filter((v) => v.weight > 0 && v.shadowPercent === 0);
}

/** Variants that receive mirrored copies. */
export function shadowVariants(config: GatewayConfig): GatewayVariant[] {
  return config.variants.filter((v) => v.shadowPercent > 0);
}

/**
 * The order in which a request tries variants: with an override, only that variant; otherwise the
 * sticky pick, then the other live variants (each picked by weight among the remaining ones with the
 * same point, so failover is deterministic per user), then the fallback variant.
 */
export function planAttempts(config: GatewayConfig, point: number, override?: string): GatewayVariant[] {
  if (override !== undefined) {
    const forced = config.variants.find((v) => v.name === override);
    return forced ? [forced] : [];
  }
  const remaining = liveVariants(config);
  const plan: GatewayVariant[] = [];
  while (remaining.length > 0) {
    const next = pickWeighted(remaining, point);
    if (!next) break;
    plan.push(next);
    remaining.splice(remaining.indexOf(next), 1);
  }
  if (config.fallbackVariant !== undefined && !plan.some((v) => v.name === config.fallbackVariant)) {
    const fallback = config.variants.find((v) => v.name === config.fallbackVariant);
    if (fallback) plan.push(fallback);
  }
  return plan;
}
