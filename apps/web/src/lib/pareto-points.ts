import type { PlotTrial } from "./plot-data";

/** How the Pareto card draws a trial: on the front (bold), dominated (faded) or infeasible (hollow grey). */
export type ParetoKind = "front" | "dominated" | "infeasible";

export interface ParetoPoint {
  trialId: string;
  number: number;
  /** Per objective, in spec order. */
  values: number[];
  kind: ParetoKind;
}

/**
 * The Pareto card's points: the API's Pareto set (study.best.pareto, computed over every complete
 * feasible trial, so a front member the plots' sample left out is still drawn) and the plotted
 * complete trials besides it, dominated or infeasible. Ascending by trial number.
 */
export function paretoPoints(
  trials: readonly PlotTrial[],
  pareto: ReadonlyArray<{ trialId: string; number: number; values: number[] }>,
  objectives: number,
): ParetoPoint[] {
  const onFront = new Set(pareto.map((p) => p.trialId));
  const out: ParetoPoint[] = pareto.map((p) => ({ trialId: p.trialId, number: p.number, values: p.values, kind: "front" }));
  for (const t of trials) {
    if (onFront.has(t.id) || t.state !== "complete" || !t.values || t.values.length !== objectives) continue;
    if (!t.values.every(Number.isFinite)) continue;
    out.push({ trialId: t.id, number: t.number, values: t.values, kind: t.feasible === false ? "infeasible" : "dominated" });
  }
  return out.sort((a, b) => a.number - b.number);
}

/**
 * The objective pairs drawn as scatters: the one pair of 2 objectives, the three of 3; of 4
 * objectives' six pairs the card shows one at a time (six panels would shrink each below legibility).
 */
export function objectivePairs(objectives: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < objectives; i++) for (let j = i + 1; j < objectives; j++) pairs.push([i, j]);
  return pairs;
}

/** The front's points ordered along objective `x`: the line drawn through a 2-objective front. */
export function frontLine(points: readonly ParetoPoint[], x: number): ParetoPoint[] {
  return points.filter((p) => p.kind === "front").sort((a, b) => a.values[x]! - b.values[x]! || a.number - b.number);
}
