import { hasPlottedValue, type ParamAxis, type PlotTrial } from "./plot-data";
import { axisPosition } from "./plot-data-contour";

export type Direction = "minimize" | "maximize";

/**
 * Each trial's objective rank scaled to [0, 1], 0 the best for the study's direction and 1 the
 * worst; equal values share their mean rank so that ties get one colour. A lone trial is 0.
 */
export function objectiveRanks(trials: ReadonlyArray<{ id: string; value: number }>, direction: Direction): Map<string, number> {
  const sorted = [...trials].sort((a, b) => (direction === "maximize" ? b.value - a.value : a.value - b.value));
  const ranks = new Map<string, number>();
  const last = Math.max(1, sorted.length - 1);
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]!.value === sorted[i]!.value) j++;
    const mean = (i + j) / 2;
    for (let k = i; k <= j; k++) ranks.set(sorted[k]!.id, mean / last);
    i = j + 1;
  }
  return ranks;
}

export interface RankPoint {
  trialId: string;
  number: number;
  state: string;
  x: string | number | boolean;
  y: string | number | boolean;
  xPos: number;
  yPos: number;
  /** Null for a trial without an objective (failed, or pruned before any report). */
  value: number | null;
  rank: number | null;
}

/** Which trials the rank plot draws: complete ones always, pruned and failed ones when asked. */
export interface RankFilter {
  includePruned: boolean;
  includeFailed: boolean;
}

/** The ranks the rank plot colours by: over every trial it draws that has an objective, so a trial has one colour in every panel. */
export function rankedTrials(trials: readonly PlotTrial[], filter: RankFilter, direction: Direction): Map<string, number> {
  const valued = trials.filter((t) => hasPlottedValue(t, filter.includePruned)) as Array<PlotTrial & { value: number }>;
  return objectiveRanks(valued, direction);
}

/** One panel of the rank plot: the trials that have both parameters, at their positions (see axisPosition). */
export function rankPoints(
  trials: readonly PlotTrial[],
  xAxis: ParamAxis,
  yAxis: ParamAxis,
  opts: RankFilter & { logX: boolean; logY: boolean; ranks: ReadonlyMap<string, number> },
): RankPoint[] {
  const out: RankPoint[] = [];
  for (const t of trials) {
    const rank = opts.ranks.get(t.id);
    const shown =
      rank !== undefined ||
      (opts.includeFailed && t.state === "failed") ||
      (opts.includePruned && t.state === "pruned" && t.value === null);
    if (!shown) continue;
    const x = t.params[xAxis.name];
    const y = t.params[yAxis.name];
    const xPos = axisPosition(xAxis, x, opts.logX);
    const yPos = axisPosition(yAxis, y, opts.logY);
    if (xPos === null || yPos === null || x === undefined || x === null || y === undefined || y === null) continue;
    out.push({
      trialId: t.id,
      number: t.number,
      state: t.state,
      x,
      y,
      xPos,
      yPos,
      value: rank === undefined ? null : t.value,
      rank: rank ?? null,
    });
  }
  return out;
}

/** Every pair of the chosen parameters, in the order chosen: the rank plot's panels. */
export function parameterPairs<T>(chosen: readonly T[]): Array<[T, T]> {
  const pairs: Array<[T, T]> = [];
  for (let i = 0; i < chosen.length; i++) for (let j = i + 1; j < chosen.length; j++) pairs.push([chosen[i]!, chosen[j]!]);
  return pairs;
}
