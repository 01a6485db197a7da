"use client";
import type { TSpace } from "@autoglm/protocol";
import dynamic from "next/dynamic";
import { useMemo, useState } from "react";
import { Loading } from "@/components/ui";
import { paramAxes, slicePoints } from "@/lib/plot-data";
import type { ObjectiveView } from "@/lib/plot-objectives";
import { ObjectiveSelect, useObjectiveChoice } from "./objective-select";
import { PlotCard, PlotToggle, type PlotTrialsQuery } from "./plot-card";
import { useOpenTrial } from "./use-open-trial";

const SliceChart = dynamic(() => import("@/components/slice-chart").then((m) => m.SliceChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

interface SliceCardProps {
  studyId: string;
  space: TSpace | undefined;
  objectives: ObjectiveView[];
  query: PlotTrialsQuery;
}

/** The objective against one chosen parameter; log x for log-scaled parameters, categories as a category axis. */
export function SliceCard({ studyId, space, objectives, query }: SliceCardProps) {
  const openTrial = useOpenTrial(studyId);
  const objective = useObjectiveChoice(objectives, query.data?.trials);
  const trials = objective.trials;
  const axes = useMemo(() => paramAxes(space, trials ?? []), [space, trials]);
  const [chosen, setChosen] = useState("");
  const [log, setLog] = useState(true);
  const [includePruned, setIncludePruned] = useState(false);
  const axis = axes.find((a) => a.name === chosen) ?? axes[0];
  const canLog = axis?.kind === "numeric" && axis.canLog;
  const points = useMemo(
    () => (axis ? slicePoints(trials ?? [], axis, { includePruned, log: log && canLog }) : []),
    [trials, axis, includePruned, log, canLog],
  );
  return (
    <PlotCard
      title="Slice"
      testId="slice-card"
      query={query}
      marks={points.length}
      empty={{
        title: "Nothing to draw yet",
        text: "Each complete trial's objective appears here against the parameter you pick.",
      }}
      controls={
        <>
          <ObjectiveSelect
            objectives={objectives}
            value={objective.index}
            testId="slice-objective"
            onChange={objective.setIndex}
          />
          <select
            aria-label="Parameter"
            value={axis?.name ?? ""}
            onChange={(e) => setChosen(e.target.value)}
            data-testid="slice-param"
          >
            {axes.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
          <PlotToggle
            label="log x"
            checked={log && canLog}
            disabled={!canLog}
            title={canLog ? "" : "Only for parameters with log: true in the space"}
            testId="slice-log"
            onChange={setLog}
          />
          <PlotToggle label="pruned" checked={includePruned} testId="slice-pruned" onChange={setIncludePruned} />
        </>
      }
    >
      {axis ? (
        <SliceChart
          points={points}
          param={axis.name}
          objectiveName={objective.name}
          categories={axis.kind === "categorical" ? axis.categories : null}
          log={log && canLog}
          onPick={openTrial}
        />
      ) : null}
    </PlotCard>
  );
}
