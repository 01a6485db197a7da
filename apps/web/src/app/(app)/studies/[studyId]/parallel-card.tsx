"use client";
import { useMemo } from "react";
import { ParallelChart } from "@/components/parallel-chart";
import { OBJECTIVE_AXIS } from "@/lib/plot-data-brush";
import type { ObjectiveView } from "@/lib/plot-objectives";
import { ObjectiveSelect } from "./objective-select";
import { PlotCard, PlotToggle, type PlotTrialsQuery } from "./plot-card";
import { useOpenTrial } from "./use-open-trial";
import type { ParallelCoordinates } from "./use-parallel-coordinates";

/**
 * Parallel coordinates over the chosen parameters and the objective, one line per trial. Its
 * state lives on the page (useParallelCoordinates): a brushed range also filters the trial table.
 */
interface ParallelCardProps {
  studyId: string;
  query: PlotTrialsQuery;
  state: ParallelCoordinates;
  /** The study's objectives and the one drawn on the last axis (the page holds it: the brush filters the table by it). */
  objectives: ObjectiveView[];
  objective: { index: number; name: string; setIndex: (i: number) => void };
}

export function ParallelCard({ studyId, query, state, objectives, objective }: ParallelCardProps) {
  const openTrial = useOpenTrial(studyId);
  const trials = query.data?.trials;
  const params = useMemo(() => Object.fromEntries((trials ?? []).map((t) => [t.id, t.params])), [trials]);
  const { allAxes, chosen, lines, tableBrush } = state;
  return (
    <PlotCard
      title="Parallel coordinates"
      testId="parallel-card"
      query={query}
      marks={lines.length}
      empty={{
        title: "Nothing to draw yet",
        text: "Complete trials that have every chosen parameter appear here as lines across the axes.",
      }}
      controls={
        <>
          <ObjectiveSelect
            objectives={objectives}
            value={objective.index}
            testId="parallel-objective"
            onChange={(i) => {
              // A brush on the old objective's range would filter by values nobody sees any more.
              state.brush(OBJECTIVE_AXIS, null);
              objective.setIndex(i);
            }}
          />
          {tableBrush ? (
            <>
              <span className="muted" style={{ fontSize: 12 }} data-testid="parallel-brush-count">
                {tableBrush.matched.length} of {tableBrush.total} in the brush
              </span>
              <button type="button" className="btn-sm" onClick={tableBrush.clear} data-testid="parallel-clear-brush">
                Clear brush
              </button>
            </>
          ) : (
            <span className="faint" style={{ fontSize: 12 }}>
              drag along an axis to filter
            </span>
          )}
          <details style={{ position: "relative" }}>
            <summary data-testid="parallel-axes">parameters ({chosen.length})</summary>
            <div
              style={{
                position: "absolute",
                zIndex: 3,
                background: "#fff",
                border: "1px solid #e2e8f0",
                padding: 8,
                borderRadius: 6,
              }}
            >
              {allAxes.map((a) => (
                <label key={a.name} className="checkbox" style={{ display: "flex" }}>
                  <input
                    type="checkbox"
                    checked={chosen.some((c) => c.name === a.name)}
                    onChange={(e) => state.toggleAxis(a.name, e.target.checked)}
                    data-testid={`parallel-axis-${a.name}`}
                  />{" "}
                  {a.name}
                </label>
              ))}
            </div>
          </details>
          <PlotToggle
            label="log axes"
            checked={state.log}
            title="Parameters with log: true in the space on a log scale"
            testId="parallel-log"
            onChange={state.setLog}
          />
          <PlotToggle label="pruned" checked={state.includePruned} testId="parallel-pruned" onChange={state.setIncludePruned} />
        </>
      }
    >
      <ParallelChart
        axes={chosen}
        lines={lines}
        ranges={state.ranges}
        logAxes={state.logAxes}
        params={params}
        brushes={state.brushes}
        inside={state.inside}
        onBrush={state.brush}
        onPick={openTrial}
        objectiveName={objective.name}
      />
    </PlotCard>
  );
}
