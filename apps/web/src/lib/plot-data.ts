import type { TSpace } from "@autoglm/protocol";

/** One trial as study.plotTrials hands it over (the plots' shared input). */
export interface PlotTrial {
  id: string;
  number: number;
  state: "waiting" | "running" | "complete" | "pruned" | "failed";
  value: number | null;
  /** Per objective, in spec order (multi-objective studies); `value` is the one a plot draws. */
  values?: number[] | null;
  /** Every constraint satisfied; null when the study has none (or the trial no values yet). */
  feasible?: boolean | null;
  params: Record<string, string | number | boolean | null>;
  startedAt: string | null;
  finishedAt: string | null;
  agentName: string | null;
}

/** How a parameter is drawn: a numeric axis (linear or log) or evenly spaced categories. */
export type ParamAxis =
  | { name: string; kind: "numeric"; canLog: boolean; integer?: boolean }
  | { name: string; kind: "categorical"; categories: string[] };

/**
 * The axes of a study's parameters, from its search space; a parameter some trial has but the
 * space does not (a space changed by apply) is numeric when every value is a number.
 */
export function paramAxes(space: TSpace | undefined, trials: readonly PlotTrial[]): ParamAxis[] {
  const axes = new Map<string, ParamAxis>();
  for (const [name, p] of Object.entries(space ?? {})) {
    axes.set(
      name,
      p.type === "categorical"
        ? { name, kind: "categorical", categories: p.choices.map(String) }
        : { name, kind: "numeric", canLog: p.log === true, integer: p.type === "int" },
    );
  }
  const extra = new Map<string, Set<string> | null>();
  for (const t of trials) {
    for (const [name, v] of Object.entries(t.params)) {
      if (axes.has(name) || v === null) continue;
      const seen = extra.get(name);
      if (typeof v === "number" && seen === undefined) extra.set(name, null);
      else if (typeof v !== "number" || seen) extra.set(name, (seen ?? new Set<string>()).add(String(v)));
    }
  }
  for (const [name, cats] of extra) {
    axes.set(name, cats ? { name, kind: "categorical", categories: [...cats].sort() } : { name, kind: "numeric", canLog: false });
  }
  return [...axes.values()];
}

/** Whether a trial's objective is drawn: complete ones always, pruned ones when asked. */
export function hasPlottedValue(t: PlotTrial, includePruned: boolean): t is PlotTrial & { value: number } {
  return t.value !== null && Number.isFinite(t.value) && (t.state === "complete" || (includePruned && t.state === "pruned"));
}

export interface SlicePoint {
  trialId: string;
  number: number;
  state: string;
  /** The parameter's value: a number on a numeric axis, the category's text on a categorical one. */
  x: number | string;
  value: number;
  /** A constraint is violated: drawn hollow, never the best. */
  infeasible: boolean;
}

/**
 * The objective against one parameter. Trials without the parameter (conditional ones) are
 * left out, and so are values a log axis cannot place (<= 0); categories keep the space's order.
 */
export function slicePoints(
  trials: readonly PlotTrial[],
  axis: ParamAxis,
  opts: { includePruned: boolean; log: boolean },
): SlicePoint[] {
  const out: SlicePoint[] = [];
  for (const t of trials) {
    if (!hasPlottedValue(t, opts.includePruned)) continue;
    const raw = t.params[axis.name];
    if (raw === undefined || raw === null) continue;
    let x: number | string;
    if (axis.kind === "categorical") x = String(raw);
    else {
      if (typeof raw !== "number" || !Number.isFinite(raw) || (opts.log && raw <= 0)) continue;
      x = raw;
    }
    out.push({ trialId: t.id, number: t.number, state: t.state, x, value: t.value, infeasible: t.feasible === false });
  }
  return out;
}

export interface EdfPoint {
  trialId: string;
  number: number;
  value: number;
  /** Share of the drawn trials whose objective is <= this one's, in (0, 1]. */
  p: number;
}

/** The empirical distribution of the objective: values ascending, the i-th (1-based) at i/n. */
export function edfPoints(trials: readonly PlotTrial[], opts: { includePruned: boolean }): EdfPoint[] {
  const usable = trials.filter((t) => hasPlottedValue(t, opts.includePruned));
  usable.sort((a, b) => (a.value as number) - (b.value as number) || a.number - b.number);
  const n = usable.length;
  return usable.map((t, i) => ({ trialId: t.id, number: t.number, value: t.value as number, p: (i + 1) / n }));
}

export interface TimelineBar {
  trialId: string;
  number: number;
  state: string;
  start: number;
  end: number;
  /** The sub-row within its lane: trials that overlap in time (parallel slots) stack instead of hiding each other. */
  row: number;
}

export interface TimelineLane {
  name: string;
  /** Sub-rows the lane needs (at most TIMELINE_MAX_ROWS). */
  rows: number;
  bars: TimelineBar[];
}

/** The lane of trials nobody leased: asked for and told by a program. */
export const ASK_TELL_LANE = "ask/tell";

/** An agent rarely runs more than 8 trials at once; past that, bars share the row that frees first. */
export const TIMELINE_MAX_ROWS = 8;

/** Greedy interval packing in start order: each bar takes the first row free at its start. */
function packRows(bars: TimelineBar[]): number {
  const rowEnds: number[] = [];
  for (const b of bars) {
    let row = rowEnds.findIndex((end) => end <= b.start);
    if (row < 0 && rowEnds.length < TIMELINE_MAX_ROWS) row = rowEnds.push(b.end) - 1;
    if (row < 0) row = rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = Math.max(rowEnds[row] ?? 0, b.end);
    b.row = row;
  }
  return Math.max(1, rowEnds.length);
}

/**
 * One lane per agent (ask/tell trials in their own lane, last), each trial a bar from its start
 * to its end; a running trial's bar reaches `nowMs`. Trials that never started have no bar.
 */
export function timelineLanes(trials: readonly PlotTrial[], nowMs: number): TimelineLane[] {
  const lanes = new Map<string, TimelineBar[]>();
  for (const t of trials) {
    if (!t.startedAt) continue;
    const start = Date.parse(t.startedAt);
    if (!Number.isFinite(start)) continue;
    const finished = t.finishedAt ? Date.parse(t.finishedAt) : Number.NaN;
    const end = Number.isFinite(finished) ? finished : t.state === "running" ? nowMs : start;
    const lane = t.agentName ?? ASK_TELL_LANE;
    const bars = lanes.get(lane) ?? [];
    bars.push({ trialId: t.id, number: t.number, state: t.state, start, end: Math.max(start, end), row: 0 });
    lanes.set(lane, bars);
  }
  return [...lanes.entries()]
    .sort(([a], [b]) => (a === ASK_TELL_LANE ? 1 : b === ASK_TELL_LANE ? -1 : a.localeCompare(b)))
    .map(([name, bars]) => {
      bars.sort((a, b) => a.start - b.start || a.number - b.number);
      return { name, rows: packRows(bars), bars };
    });
}

export interface ParallelLine {
  trialId: string;
  number: number;
  value: number;
  /** A constraint is violated: drawn dashed and grey. */
  infeasible: boolean;
  /** One position in [0, 1] per axis, the objective's last (0 = bottom). */
  ys: number[];
  /** The objective's position in [0, 1] among the drawn lines: the line's colour. */
  shade: number;
}

/**
 * Parallel coordinates: each chosen parameter and then the objective as a vertical axis scaled
 * to [0, 1] over the drawn trials (log10 for log axes; categories evenly spaced in their
 * order). A trial missing one of the parameters has no line: there is no honest place for it.
 */
export function parallelLines(
  trials: readonly PlotTrial[],
  axes: readonly ParamAxis[],
  opts: { includePruned: boolean; logAxes: ReadonlySet<string> },
): { lines: ParallelLine[]; ranges: Array<[number, number] | null> } {
  const pos = (axis: ParamAxis, raw: unknown): number | null => {
    if (raw === undefined || raw === null) return null;
    if (axis.kind === "categorical") {
      const i = axis.categories.indexOf(String(raw));
      if (i < 0) return null;
      return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
    }
    if (typeof raw !== "number" || !Number.isFinite(raw)) return null;
    if (opts.logAxes.has(axis.name)) return raw > 0 ? Math.log10(raw) : null;
    return raw;
  };
  const rows: Array<{ t: PlotTrial & { value: number }; raw: number[] }> = [];
  for (const t of trials) {
    if (!hasPlottedValue(t, opts.includePruned)) continue;
    const raw = axes.map((a) => pos(a, t.params[a.name]));
    if (raw.some((v) => v === null)) continue;
    rows.push({ t, raw: raw as number[] });
  }
  const range = (values: number[]): [number, number] => [Math.min(...values), Math.max(...values)];
  const scale =
    ([lo, hi]: [number, number]) =>
    (v: number) =>
      hi > lo ? (v - lo) / (hi - lo) : 0.5;
  // Ranges in the axis's own units (log10 for log axes); null for categorical axes.
  const ranges = [
    ...axes.map((a, i) => (a.kind === "numeric" && rows.length ? range(rows.map((r) => r.raw[i]!)) : null)),
    rows.length ? range(rows.map((r) => r.t.value)) : null,
  ];
  const scales = ranges.map((r) => (r ? scale(r) : (v: number) => v));
  const lines = rows.map(({ t, raw }) => {
    const shade = scales[axes.length]!(t.value);
    return {
      trialId: t.id,
      number: t.number,
      value: t.value,
      infeasible: t.feasible === false,
      ys: [...raw.map((v, i) => scales[i]!(v)), shade],
      shade,
    };
  });
  return { lines, ranges };
}

/**
 * The plots' one colour scale for a position in [0, 1] (an objective's share of its range, a
 * rank): 0 blue, 1 amber, the hue running 230° → 35°, so the low end reads cool on every card.
 */
export function shadeColor(shade: number): string {
  return `hsl(${Math.round(230 - Math.max(0, Math.min(1, shade)) * 195)}, 75%, 50%)`;
}
