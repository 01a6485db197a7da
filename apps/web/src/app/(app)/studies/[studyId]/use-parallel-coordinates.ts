"use client";
import type { TSpace } from "@autoglm/protocol";
import { useCallback, useMemo, useState } from "react";
import { paramAxes, parallelLines, type PlotTrial } from "@/lib/plot-data";
import { brushedTrials, type BrushRange, type Brushes } from "@/lib/plot-data-brush";

/** More axes than this crowd a card's width to unreadable; the rest are a click away. */
const DEFAULT_AXES = 6;

/** What the trial table needs of an active brush. */
export interface TrialBrush {
  /** The drawn lines' trials inside every brushed range. */
  matched: PlotTrial[];
  /** Lines drawn: the trials the brush chooses among. */
  total: number;
  clear: () => void;
}

/**
 * The parallel-coordinates card's state, held by the study page because its brushes also
 * filter the trial table: the chosen axes, scales, which trials are drawn, and the brushes.
 */
export function useParallelCoordinates(space: TSpace | undefined, trials: readonly PlotTrial[] | undefined) {
  const allAxes = useMemo(() => paramAxes(space, trials ?? []), [space, trials]);
  const [picked, setPicked] = useState<ReadonlySet<string> | null>(null);
  const [log, setLog] = useState(true);
  const [includePruned, setIncludePruned] = useState(false);
  const [brushes, setBrushes] = useState<Brushes>({});
  const chosen = useMemo(
    () => (picked ? allAxes.filter((a) => picked.has(a.name)) : allAxes.slice(0, DEFAULT_AXES)),
    [allAxes, picked],
  );
  const logAxes = useMemo(
    () => new Set(log ? chosen.filter((a) => a.kind === "numeric" && a.canLog).map((a) => a.name) : []),
    [chosen, log],
  );
  const { lines, ranges } = useMemo(
    () => parallelLines(trials ?? [], chosen, { includePruned, logAxes }),
    [trials, chosen, includePruned, logAxes],
  );
  const isBrushed = Object.keys(brushes).length > 0;
  const matched = useMemo(() => {
    if (!isBrushed) return null;
    const byId = new Map((trials ?? []).map((t) => [t.id, t]));
    return brushedTrials(lines, byId, brushes);
  }, [isBrushed, trials, lines, brushes]);
  const inside = useMemo(() => (matched ? new Set(matched.map((t) => t.id)) : null), [matched]);

  const clearBrushes = useCallback(() => setBrushes({}), []);
  const brush = useCallback((axis: string, range: BrushRange | null) => {
    setBrushes((prev) => {
      const { [axis]: _dropped, ...rest } = prev;
      return range ? { ...rest, [axis]: range } : rest;
    });
  }, []);
  // A brush on an axis taken off the chart would filter by something nobody sees: it goes too.
  const toggleAxis = (name: string, on: boolean) => {
    const next = new Set(chosen.map((a) => a.name));
    if (on) next.add(name);
    else {
      next.delete(name);
      brush(name, null);
    }
    setPicked(next);
  };
  const tableBrush: TrialBrush | null = useMemo(
    () => (matched ? { matched, total: lines.length, clear: clearBrushes } : null),
    [matched, lines.length, clearBrushes],
  );
  return {
    allAxes,
    chosen,
    toggleAxis,
    log,
    setLog,
    includePruned,
    setIncludePruned,
    logAxes,
    lines,
    ranges,
    brushes,
    brush,
    inside,
    tableBrush,
  };
}

export type ParallelCoordinates = ReturnType<typeof useParallelCoordinates>;
