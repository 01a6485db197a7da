import type { TParamSpec } from "./param-spec.js";

/**
 * The most points a `grid` study may have. A grid is meant to be walked: this is 100 times
 * the largest trial budget (max_trials ≤ 100,000), and it keeps the grid sampler's
 * permutation in exact double arithmetic (exact below 9.5e7 points). Ten points on each of
 * seven continuous axes (the default grid_size) is the largest all-continuous grid.
 */
export const MAX_GRID_POINTS = 10_000_000;

/** The sampler's default points per continuous (or thinned) axis. */
export const DEFAULT_GRID_SIZE = 10;

/** Same tolerance as the optimizer's step count: (1 - 0.1) / 0.1 = 8.999999999999998. */
function stepCount(low: number, high: number, step: number): number {
  return Math.floor((high - low) / step + 1e-9) + 1;
}

/** Values one parameter takes on the grid (the optimizer may merge a few duplicates). */
export function gridAxisLength(p: TParamSpec, pointsPerAxis: number): number {
  if (p.type === "categorical") return p.choices.length;
  const step = p.type === "int" ? (p.step ?? 1) : p.step;
  return step === undefined ? pointsPerAxis : Math.min(stepCount(p.low, p.high, step), pointsPerAxis);
}

/**
 * How many points the grid over `space` has at `pointsPerAxis` (an upper bound: the
 * optimizer drops points that round to the same value). Infinity past 1.8e308, which 62
 * axes of 100,000 points reach; `log10` stays finite for the message.
 */
export function gridPointCount(
  space: Record<string, TParamSpec>,
  pointsPerAxis = DEFAULT_GRID_SIZE,
): { points: number; log10: number } {
  let points = 1;
  let log10 = 0;
  for (const p of Object.values(space)) {
    const n = gridAxisLength(p, pointsPerAxis);
    points *= n;
    log10 += Math.log10(n);
  }
  return { points, log10 };
}

/** "1234567", or "about 10^310" past what a double counts exactly. */
export function describeGridPoints(count: { points: number; log10: number }): string {
  return count.points <= Number.MAX_SAFE_INTEGER ? String(count.points) : `about 10^${Math.floor(count.log10)}`;
}
