"use client";
import dynamic from "next/dynamic";
import { useMemo, useState } from "react";
import { Loading } from "@/components/ui";
import { formatValue } from "@/lib/format";
import { objectivePairs, paretoPoints, type ParetoPoint } from "@/lib/pareto-points";
import { objectiveAxisName, type ObjectiveView } from "@/lib/plot-objectives";
import { PlotCard, type PlotTrialsQuery } from "./plot-card";
import type { TStudy } from "./study-view";
import { useOpenTrial } from "./use-open-trial";

const ParetoChart = dynamic(() => import("@/components/pareto-chart").then((m) => m.ParetoChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/** Three pairwise panels fit a card's width; four objectives' six pairs are shown one at a time. */
const MAX_PANELS = 3;

interface ParetoCardProps {
  studyId: string;
  objectives: ObjectiveView[];
  best: TStudy["best"];
  query: PlotTrialsQuery;
}

/**
 * The Pareto front of a multi-objective study: 2 objectives as one scatter with the front joined,
 * 3 as the three pairwise scatters, 4 as a chosen pair. Hover names a trial and its values; a click opens it.
 */
export function ParetoCard({ studyId, objectives, best, query }: ParetoCardProps) {
  const openTrial = useOpenTrial(studyId);
  const [hover, setHover] = useState<ParetoPoint | null>(null);
  const [pairIndex, setPairIndex] = useState(0);
  const trials = query.data?.trials;
  const n = objectives.length;
  const points = useMemo(() => paretoPoints(trials ?? [], best?.pareto ?? [], n), [trials, best, n]);
  const pairs = objectivePairs(n);
  const shown = pairs.length <= MAX_PANELS ? pairs : [pairs[pairIndex] ?? pairs[0]!];
  const front = points.filter((p) => p.kind === "front").length;
  return (
    <PlotCard
      title="Pareto front"
      testId="pareto-card"
      query={query}
      marks={points.length}
      empty={{
        title: "No complete trials yet",
        text: "Each complete trial appears here by its objectives, the front highlighted.",
      }}
      controls={
        <>
          <span className="muted" style={{ fontSize: 12 }} data-testid="pareto-count">
            {front} on the front of {points.length}
          </span>
          {pairs.length > MAX_PANELS ? (
            <select
              aria-label="Objective pair"
              value={pairIndex}
              onChange={(e) => setPairIndex(Number(e.target.value))}
              data-testid="pareto-pair"
            >
              {pairs.map(([x, y], i) => (
                <option key={`${x}-${y}`} value={i}>
                  {objectives[x]!.metric} × {objectives[y]!.metric}
                </option>
              ))}
            </select>
          ) : null}
        </>
      }
    >
      <div style={{ position: "relative", width: "100%", height: "100%" }}>
        {hover ? (
          <div className="curve-hover" data-testid="pareto-hover">
            <strong>trial #{hover.number}</strong> ·{" "}
            {objectives.map((o, i) => `${o.metric} ${formatValue(hover.values[i])}`).join(" · ")}
            {hover.kind === "front" ? " · on the front" : hover.kind === "infeasible" ? " · infeasible" : ""}
          </div>
        ) : null}
        <div style={{ display: "grid", gridTemplateColumns: `repeat(${shown.length}, 1fr)`, height: "100%" }}>
          {shown.map(([x, y]) => (
            <div key={`${x}-${y}`} data-testid="pareto-panel" data-x={objectiveAxisName(objectives[x]!)}>
              <ParetoChart
                points={points}
                objectives={objectives}
                x={x}
                y={y}
                line={n === 2}
                hover={hover}
                onHover={setHover}
                onPick={openTrial}
              />
            </div>
          ))}
        </div>
      </div>
    </PlotCard>
  );
}
