import { matchesTrialFilter, type TrialFilter } from "./trial-filter";
import type { ParallelLine, ParamAxis, PlotTrial } from "./plot-data";

/** The objective's axis key among the brushes; parameter names start with a letter or _, so it cannot clash. */
export const OBJECTIVE_AXIS = ":objective";

/**
 * A range brushed on one parallel-coordinates axis, in the parameter's own units (not the
 * axis's [0, 1] positions) so that it keeps selecting the same trials as new ones rescale the
 * axis: an inclusive numeric interval, or the categories the span covered.
 */
export type BrushRange = { kind: "numeric"; lo: number; hi: number } | { kind: "categorical"; categories: string[] };

/** Brushed ranges by axis: a parameter's name, or OBJECTIVE_AXIS. */
export type Brushes = Readonly<Record<string, BrushRange>>;

/** An axis of the chart as the brush sees it: a parameter's axis, or the objective's (numeric, never log). */
export type BrushAxis = ParamAxis | { name: typeof OBJECTIVE_AXIS; kind: "numeric"; canLog: false };

/** A category's position on a parallel-coordinates axis, as parallelLines places it. */
function categoryPosition(index: number, count: number): number {
  return count === 1 ? 0.5 : index / (count - 1);
}

/**
 * The range a drag from position `from` to `to` (in [0, 1], either order) covers on an axis
 * whose drawn extent is `range` (in the axis's units: log10 on a log axis; null on a
 * categorical axis). Null when the span covers nothing (a categorical span between categories).
 */
export function brushFromSpan(
  axis: BrushAxis,
  range: readonly [number, number] | null,
  log: boolean,
  from: number,
  to: number,
): BrushRange | null {
  const [a, b] = [Math.max(0, Math.min(from, to)), Math.min(1, Math.max(from, to))];
  if (axis.kind === "categorical") {
    const n = axis.categories.length;
    const categories = axis.categories.filter((_, i) => {
      const p = categoryPosition(i, n);
      return p >= a && p <= b;
    });
    return categories.length ? { kind: "categorical", categories } : null;
  }
  if (!range) return null;
  const [lo, hi] = range;
  let span: [number, number];
  // Widened by 1e-9 of the axis so that a line drawn on the brush's edge (10 ** log10(x) need not be x) stays in.
  if (hi > lo) span = [lo + (a - 1e-9) * (hi - lo), lo + (b + 1e-9) * (hi - lo)];
  // A single-valued axis draws every line at 0.5: a span over the middle takes them all.
  else if (a <= 0.5 && b >= 0.5) span = [lo, hi];
  else return null;
  return log ? { kind: "numeric", lo: 10 ** span[0], hi: 10 ** span[1] } : { kind: "numeric", lo: span[0], hi: span[1] };
}

/** Where a brush sits on its axis, in [0, 1] positions clipped to the axis; null when wholly off it. */
export function brushSpan(
  axis: BrushAxis,
  brush: BrushRange,
  range: readonly [number, number] | null,
  log: boolean,
): [number, number] | null {
  if (axis.kind === "categorical" || brush.kind === "categorical") {
    if (axis.kind !== "categorical" || brush.kind !== "categorical") return null;
    const n = axis.categories.length;
    const ps = brush.categories
      .map((c) => axis.categories.indexOf(c))
      .filter((i) => i >= 0)
      .map((i) => categoryPosition(i, n));
    if (ps.length === 0) return null;
    // Half the gap to the next category on each side, so a lone category shows a band, not a line.
    const pad = n > 1 ? 0.5 / (n - 1) : 0.5;
    return [Math.max(0, Math.min(...ps) - pad), Math.min(1, Math.max(...ps) + pad)];
  }
  if (!range) return null;
  const [lo, hi] = range;
  const unit = (v: number) => (log ? (v > 0 ? Math.log10(v) : -Infinity) : v);
  if (!(hi > lo)) return unit(brush.lo) <= lo && unit(brush.hi) >= lo ? [0.45, 0.55] : null;
  const a = (unit(brush.lo) - lo) / (hi - lo);
  const b = (unit(brush.hi) - lo) / (hi - lo);
  if (b < 0 || a > 1) return null;
  return [Math.max(0, a), Math.min(1, b)];
}

/** Whether a trial lies inside every brushed range (a trial without a brushed parameter does not). */
export function isInsideBrushes(t: PlotTrial, brushes: Brushes): boolean {
  for (const [name, brush] of Object.entries(brushes)) {
    const raw = name === OBJECTIVE_AXIS ? t.value : t.params[name];
    if (raw === undefined || raw === null) return false;
    if (brush.kind === "categorical") {
      if (!brush.categories.includes(String(raw))) return false;
    } else if (typeof raw !== "number" || raw < brush.lo || raw > brush.hi) return false;
  }
  return true;
}

/** The drawn lines' trials inside every brushed range, in the lines' order. */
export function brushedTrials(
  lines: readonly ParallelLine[],
  byId: ReadonlyMap<string, PlotTrial>,
  brushes: Brushes,
): PlotTrial[] {
  const out: PlotTrial[] = [];
  for (const l of lines) {
    const t = byId.get(l.trialId);
    if (t && isInsideBrushes(t, brushes)) out.push(t);
  }
  return out;
}

/** The trial table's order and filters, applied in the browser to the brushed trials (they are the plot's trials, not a page of the server's). */
export interface TableView {
  sort: { by: "number" | "value" | "state" | "duration"; dir: "asc" | "desc" };
  state: string;
  /** The table's parameter and value filter, as the server applies it, or null. */
  filter: TrialFilter | null;
}

function durationOf(t: PlotTrial): number | null {
  if (!t.startedAt || !t.finishedAt) return null;
  return Date.parse(t.finishedAt) - Date.parse(t.startedAt);
}

/** The brushed trials as the trial table shows them: its state and parameter filters, then its sort (nulls last). */
export function brushedTableRows(matched: readonly PlotTrial[], view: TableView): PlotTrial[] {
  const rows = matched.filter(
    (t) => (!view.state || t.state === view.state) && (!view.filter || matchesTrialFilter(t, view.filter)),
  );
  const key = (t: PlotTrial): number | string | null =>
    view.sort.by === "number"
      ? t.number
      : view.sort.by === "value"
        ? t.value
        : view.sort.by === "state"
          ? t.state
          : durationOf(t);
  const sign = view.sort.dir === "asc" ? 1 : -1;
  return rows.sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    if (ka === kb) return a.number - b.number;
    if (ka === null) return 1;
    if (kb === null) return -1;
    return (ka < kb ? -1 : 1) * sign;
  });
}
