"use client";
import type { TSpace } from "@autoglm/protocol";
import dynamic from "next/dynamic";
import { useMemo, useState } from "react";
import { Loading } from "@/components/ui";
import { paramAxes } from "@/lib/plot-data";
import type { ObjectiveView } from "@/lib/plot-objectives";
import { parameterPairs, rankedTrials, rankPoints, type Direction } from "@/lib/plot-data-rank";
import { ColorLegend } from "./color-legend";
import { ObjectiveSelect, useObjectiveChoice } from "./objective-select";
import { PlotCard, PlotToggle, type PlotTrialsQuery } from "./plot-card";
import { RANK_PANEL_HEIGHT, type RankPanel } from "./rank-chart";
import { useOpenTrial } from "./use-open-trial";

const RankChart = dynamic(() => import("./rank-chart").then((m) => m.RankChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/** Four parameters make six panels, two rows of three: more would shrink each below legibility. */
const MAX_RANK_PARAMS = 4;

/** Parameter pairs as small multiples, each trial coloured by its objective's rank (best blue), as Optuna's plot_rank. */
export function RankCard(props: {
  studyId: string;
  space: TSpace | undefined;
  objectives: ObjectiveView[];
  query: PlotTrialsQuery;
}) {
  const openTrial = useOpenTrial(props.studyId);
  const objective = useObjectiveChoice(props.objectives, props.query.data?.trials);
  const trials = objective.trials;
  const direction: Direction = objective.direction;
  const axes = useMemo(() => paramAxes(props.space, trials ?? []), [props.space, trials]);
  const [picked, setPicked] = useState<readonly string[] | null>(null);
  const [log, setLog] = useState(true);
  const [includePruned, setIncludePruned] = useState(false);
  const [includeFailed, setIncludeFailed] = useState(false);
  const chosen = useMemo(
    () => (picked ? axes.filter((a) => picked.includes(a.name)) : axes.slice(0, MAX_RANK_PARAMS)),
    [axes, picked],
  );
  const ranks = useMemo(
    () => rankedTrials(trials ?? [], { includePruned, includeFailed }, direction),
    [trials, includePruned, includeFailed, direction],
  );
  const panels: RankPanel[] = useMemo(
    () =>
      parameterPairs(chosen).map(([x, y]) => {
        const [logX, logY] = [log && x.kind === "numeric" && x.canLog, log && y.kind === "numeric" && y.canLog];
        return { x, y, logX, logY, points: rankPoints(trials ?? [], x, y, { includePruned, includeFailed, logX, logY, ranks }) };
      }),
    [chosen, log, trials, includePruned, includeFailed, ranks],
  );
  const marks = panels.reduce((n, p) => n + p.points.length, 0);
  const toggle = (name: string, on: boolean) => {
    const next = chosen.map((a) => a.name).filter((n) => n !== name);
    setPicked(on ? [...next, name] : next);
  };
  const rows = Math.ceil(panels.length / 3);
  return (
    <PlotCard
      title="Rank"
      testId="rank-card"
      query={props.query}
      marks={marks}
      height={Math.max(1, rows) * (RANK_PANEL_HEIGHT + 4) + 8}
      empty={{
        title: chosen.length < 2 ? "Pick two parameters or more" : "Nothing to draw yet",
        text:
          chosen.length < 2
            ? "Each pair of the chosen parameters gets a panel, its trials coloured by the objective's rank."
            : "Complete trials appear in each pair's panel, coloured by how their objective ranks.",
      }}
      controls={
        <>
          <ObjectiveSelect
            objectives={props.objectives}
            value={objective.index}
            testId="rank-objective"
            onChange={objective.setIndex}
          />
          <ColorLegend low="best" high="worst" testId="rank-legend" />
          <details style={{ position: "relative" }}>
            <summary data-testid="rank-params">
              parameters ({chosen.length} of at most {MAX_RANK_PARAMS})
            </summary>
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
              {axes.map((a) => {
                const on = chosen.some((c) => c.name === a.name);
                return (
                  <label key={a.name} className="checkbox" style={{ display: "flex" }}>
                    <input
                      type="checkbox"
                      checked={on}
                      disabled={!on && chosen.length >= MAX_RANK_PARAMS}
                      onChange={(e) => toggle(a.name, e.target.checked)}
                      data-testid={`rank-param-${a.name}`}
                    />{" "}
                    {a.name}
                  </label>
                );
              })}
            </div>
          </details>
          <PlotToggle
            label="log axes"
            checked={log}
            title="Parameters with log: true in the space"
            testId="rank-log"
            onChange={setLog}
          />
          <PlotToggle label="pruned" checked={includePruned} testId="rank-pruned" onChange={setIncludePruned} />
          <PlotToggle label="failed" checked={includeFailed} testId="rank-failed" onChange={setIncludeFailed} />
        </>
      }
    >
      <RankChart panels={panels} ranked={ranks.size} objectiveName={objective.name} onPick={openTrial} />
    </PlotCard>
  );
}
