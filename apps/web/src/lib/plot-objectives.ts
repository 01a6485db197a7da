import type { PlotTrial } from "./plot-data";

export type Direction = "minimize" | "maximize";

/** One of a study's objectives as the page shows it. */
export interface ObjectiveView {
  metric: string;
  direction: Direction;
}

/** The spec's objectives in spec order: `objectives`, else the one `objective`. */
export function specObjectives(spec: {
  objective?: { metric?: string; direction?: string };
  objectives?: Array<{ metric?: string; direction?: string }>;
}): ObjectiveView[] {
  const list = spec.objectives?.length ? spec.objectives : spec.objective ? [spec.objective] : [];
  return list.map((o) => ({ metric: o.metric ?? "objective", direction: o.direction === "maximize" ? "maximize" : "minimize" }));
}

/** An axis title: the metric and which way is better (↓ minimize, ↑ maximize). */
export function objectiveAxisName(o: ObjectiveView): string {
  return `${o.metric} ${o.direction === "maximize" ? "↑" : "↓"}`;
}

/**
 * The trials with `value` set to objective `index`'s, so that every single-objective plot can
 * draw any objective of a multi-objective study. A trial without values keeps no value.
 */
export function trialsForObjective<T extends PlotTrial>(trials: readonly T[], index: number): T[] {
  return trials.map((t) => (t.values ? { ...t, value: t.values[index] ?? null } : t));
}

/**
 * The violated constraints of a trial, each as a person reads it ("memory_gb 18.2 > 16"), from
 * the stored violations (value − max, min − value; > 0 violated). A constraint with both bounds
 * cannot say which side its value left by, so it gives the interval and the distance instead.
 */
export function constraintBreaches(
  constraints: ReadonlyArray<{ metric: string; max?: number; min?: number }>,
  violations: readonly number[] | null,
  format: (v: number) => string,
): string[] {
  if (!violations) return [];
  return constraints.flatMap((c, i) => {
    const v = violations[i];
    if (v === undefined || !(v > 0)) return [];
    if (c.max !== undefined && c.min === undefined) return [`${c.metric} ${format(c.max + v)} > ${format(c.max)}`];
    if (c.min !== undefined && c.max === undefined) return [`${c.metric} ${format(c.min - v)} < ${format(c.min)}`];
    return [`${c.metric} outside [${format(c.min!)}, ${format(c.max!)}] by ${format(v)}`];
  });
}

/** A point of the optimization history as the chart draws it. */
export interface ObjectiveHistoryPoint {
  number: number;
  value: number | null;
  best: number | null;
  state: string;
  /** A constraint is violated: drawn hollow and never the best so far. */
  infeasible: boolean;
}

/**
 * The optimization history of one objective from the plotted trials: finished trials in finish
 * order, the best so far over the complete feasible ones. A multi-objective study's other
 * objectives have no server-side history; its trials are the plots' sample (at most 2,000).
 */
export function objectiveHistory(trials: readonly PlotTrial[], direction: Direction): ObjectiveHistoryPoint[] {
  const finished = trials.filter((t) => t.state === "complete" || t.state === "pruned" || t.state === "failed");
  finished.sort((a, b) => (a.finishedAt ?? "").localeCompare(b.finishedAt ?? "") || a.number - b.number);
  const better = (a: number, b: number) => (direction === "maximize" ? a > b : a < b);
  let best: number | null = null;
  return finished.map((t) => {
    const infeasible = t.feasible === false;
    if (t.state === "complete" && !infeasible && t.value !== null && (best === null || better(t.value, best))) best = t.value;
    return { number: t.number, value: t.value, best, state: t.state, infeasible };
  });
}
