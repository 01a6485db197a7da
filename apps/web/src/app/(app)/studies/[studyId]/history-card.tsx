"use client";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { HistoryChart } from "@/components/history-chart";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import type { PlotTrial } from "@/lib/plot-data";
import { objectiveHistory, type ObjectiveView } from "@/lib/plot-objectives";
import { useTRPC } from "@/lib/trpc";
import { ObjectiveSelect, useObjectiveChoice } from "./objective-select";

/** The history card's query, called by the page so that it starts alongside the study's instead of after it. */
export function useStudyHistory(studyId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.study.history.queryOptions({ studyId }));
}

interface HistoryCardProps {
  studyId: string;
  history: ReturnType<typeof useStudyHistory>;
  objectives: ObjectiveView[];
  /** The plots' trials: their feasibility marks the history's infeasible trials, their values a chosen objective's history. */
  plotTrials: readonly PlotTrial[] | undefined;
  /** Called once the card shows what it has: its chart drawn, or its note that there is nothing to draw. */
  onDrawn: () => void;
}

/**
 * The chart is imported statically, not with next/dynamic: it is the first thing the page draws and
 * recharts is in the page's first chunks anyway; a dynamic import only added a request for its chunk
 * and a suspended render before it.
 *
 * Each finished trial's objective and the best so far, with a log scale when every value is positive.
 * The server thins a long history (every improvement of the best kept, an even sample of the rest):
 * the card says how many of the study's finished trials it draws.
 */
export function HistoryCard({ studyId, history, objectives, plotTrials, onDrawn }: HistoryCardProps) {
  const [log, setLog] = useState(false);
  const objective = useObjectiveChoice(objectives, plotTrials);
  const multi = objectives.length > 1;
  // The infeasible trials' numbers as one string: the plots' trials landing after the history (and
  // their live refetches) redraw the chart only when that set changes, not for every new array.
  const infeasibleKey = useMemo(
    () => (plotTrials ?? []).flatMap((t) => (t.feasible === false ? [t.number] : [])).join(","),
    [plotTrials],
  );
  const points = useMemo(() => {
    // A multi-objective study's history of the chosen objective comes from the plots' trials.
    if (multi) return objective.trials ? objectiveHistory(objective.trials, objective.direction) : undefined;
    const infeasible = new Set(infeasibleKey ? infeasibleKey.split(",").map(Number) : []);
    return history.data?.points.map((p) => ({ ...p, infeasible: infeasible.has(p.number) }));
  }, [multi, objective.trials, objective.direction, infeasibleKey, history.data]);
  const pending = multi ? plotTrials === undefined : history.isPending;
  const canLog = useMemo(
    () => (points ?? []).some((p) => p.value !== null) && (points ?? []).every((p) => p.value === null || p.value > 0),
    [points],
  );
  const drawn = points?.filter((p) => p.value !== null).length ?? 0;
  const noChart = !pending && ((!multi && Boolean(history.error)) || drawn === 0 || !points);
  useEffect(() => {
    if (noChart) onDrawn();
  }, [noChart, onDrawn]);
  return (
    <div className="card" style={{ marginBottom: 16 }}>
      <div className="card-head">
        <h2>Optimization history</h2>
        <div className="toolbar">
          <ObjectiveSelect
            objectives={objectives}
            value={objective.index}
            testId="history-objective"
            onChange={objective.setIndex}
          />
          <label className="checkbox" style={{ margin: 0 }} title={canLog ? "" : "Log scale needs all values > 0"}>
            <input
              type="checkbox"
              checked={log && canLog}
              disabled={!canLog}
              onChange={(e) => setLog(e.target.checked)}
              data-testid="log-scale"
            />{" "}
            log scale
          </label>
        </div>
      </div>
      <div className="chart" data-testid="history-chart" data-points={drawn}>
        {pending ? (
          <Loading />
        ) : !multi && history.error ? (
          <div className="card-body">
            <ErrorNote error={history.error} />
          </div>
        ) : drawn === 0 || !points ? (
          <Empty title="No finished trials yet">
            Trials appear here as they are told. Run <code>autoglm trial ask {studyId.slice(0, 8)}…</code> or an agent.
          </Empty>
        ) : (
          <HistoryChart
            points={points}
            log={log && canLog}
            direction={objective.direction}
            objectiveName={objective.name}
            onDrawn={onDrawn}
          />
        )}
      </div>
      {!multi && history.data && history.data.points.length < history.data.total ? (
        <div className="card-body faint" style={{ fontSize: 12 }} data-testid="history-thinned">
          Showing {history.data.points.length.toLocaleString("en")} of {history.data.total.toLocaleString("en")} finished trials:
          every improvement of the best and an even sample of the rest.
        </div>
      ) : null}
    </div>
  );
}
