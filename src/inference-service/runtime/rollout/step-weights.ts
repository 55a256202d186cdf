/**
 * Gateway weights during a rollout, from the weights recorded when it started (pure).
 *
 * - Step `p`: the candidate gets `p` % of the A/B traffic; every other variant with a weight gets
 *   `100 − p` in proportion to its weight at the start. Shadow variants (weight 0) stay at 0.
 * - When no other variant had a weight at the start there is nothing to shift from: the candidate
 *   keeps 100 at every step (the rollout still bakes and checks health).
 * - Rollback: the start weights, except that the candidate is drained to 0 when another variant had
 *   a weight (its pods already run the new version; with a start weight of 0 this is the start
 *   weights exactly). With no other variant the start weights are restored as they were.
 */

/** Variant name → weight. */
export type Weights = Readonly<Record<string, number>>;

/** Rounds to 1/1000 of a percent so written weights stay readable; the gateway only uses the ratios. */
const round = (n: number): number => Math.round(n * 1000) / 1000;

function othersTotal(start: Weights, candidate: string): number {
  return Object.entries(start).reduce((sum, [name, w]) => (name === candidate ? sum : sum + w), 0);
}

/** The weights of a step giving the candidate `percent` % of the traffic. */
export function stepWeights(start: Weights, candidate: string, percent: number): Record<string, number> {
  const others = othersTotal(start, candidate);
  if (others <= 0) return Object.fromEntries(Object.keys(start).map((name) => [name, name === candidate ? 100 : 0]));
  return Object.fromEntries(Object.entries(start).map(([name, w]) => [name, name === candidate ? round(percent) : round(((100 - percent) * w) / others)]));
}

/** The weights a rollback writes. */
export function rollbackWeights(start: Weights, candidate: string): Record<string, number> {
  if (othersTotal(start, candidate) <= 0) return { ...start };
  return Object.fromEntries(Object.entries(start).map(([name, w]) => [name, name === candidate ? 0 : w]));
}

/** True when two weight maps name the same variants with the same weights. */
export function sameWeights(a: Weights, b: Weights): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
