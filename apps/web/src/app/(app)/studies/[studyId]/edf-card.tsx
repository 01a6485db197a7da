"use client";
import dynamic from "next/dynamic";
import { useMemo, useState } from "react";
import { Loading } from "@/components/ui";
import { edfPoints } from "@/lib/plot-data";
import type { ObjectiveView } from "@/lib/plot-objectives";
import { ObjectiveSelect, useObjectiveChoice } from "./objective-select";
import { PlotCard, PlotToggle, type PlotTrialsQuery } from "./plot-card";
import { useOpenTrial } from "./use-open-trial";

const EdfChart = dynamic(() => import("@/components/edf-chart").then((m) => m.EdfChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/** The empirical distribution of the objective over complete trials, pruned ones optionally. */
export function EdfCard({
  studyId,
  objectives,
  query,
}: {
  studyId: string;
  objectives: ObjectiveView[];
  query: PlotTrialsQuery;
}) {
  const openTrial = useOpenTrial(studyId);
  const objective = useObjectiveChoice(objectives, query.data?.trials);
  const trials = objective.trials;
  const [includePruned, setIncludePruned] = useState(false);
  const [log, setLog] = useState(false);
  const points = useMemo(() => edfPoints(trials ?? [], { includePruned }), [trials, includePruned]);
  const canLog = points.length > 0 && points[0]!.value > 0;
  return (
    <PlotCard
      title="Objective distribution (EDF)"
      testId="edf-card"
      query={query}
      marks={points.length}
      empty={{ title: "No complete trials yet", text: "The share of trials at or below each objective value appears here." }}
      controls={
        <>
          <ObjectiveSelect objectives={objectives} value={objective.index} testId="edf-objective" onChange={objective.setIndex} />
          <PlotToggle
            label="log x"
            checked={log && canLog}
            disabled={!canLog}
            title={canLog ? "" : "Log scale needs all values > 0"}
            testId="edf-log"
            onChange={setLog}
          />
          <PlotToggle label="pruned" checked={includePruned} testId="edf-pruned" onChange={setIncludePruned} />
        </>
      }
    >
      <EdfChart points={points} objectiveName={objective.name} log={log && canLog} onPick={openTrial} />
    </PlotCard>
  );
}
