"use client";
import dynamic from "next/dynamic";
import { useMemo, useState } from "react";
import type { TSpace } from "@autoglm/protocol";
import { Loading } from "@/components/ui";
import { formatValue } from "@/lib/format";
import { paramAxes, type ParamAxis } from "@/lib/plot-data";
import { contourData } from "@/lib/plot-data-contour";
import type { ObjectiveView } from "@/lib/plot-objectives";
import { ColorLegend } from "./color-legend";
import { ObjectiveSelect, useObjectiveChoice } from "./objective-select";
import { PlotCard, PlotToggle, type PlotTrialsQuery } from "./plot-card";
import { useOpenTrial } from "./use-open-trial";

const ContourChart = dynamic(() => import("./contour-chart").then((m) => m.ContourChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/** A parameter's log scale: what the user set, else the space's `log`; never on a categorical axis. */
function useLogScales() {
  const [chosen, setChosen] = useState<Readonly<Record<string, boolean>>>({});
  const isLog = (axis: ParamAxis | undefined) => (axis?.kind === "numeric" ? (chosen[axis.name] ?? axis.canLog) : false);
  const setLog = (axis: ParamAxis | undefined, on: boolean) => {
    if (axis) setChosen((prev) => ({ ...prev, [axis.name]: on }));
  };
  return { isLog, setLog };
}

function AxisSelect(props: { label: string; axes: ParamAxis[]; value: string; testId: string; onChange: (v: string) => void }) {
  return (
    <select
      aria-label={props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
      data-testid={props.testId}
    >
      {props.axes.map((a) => (
        <option key={a.name} value={a.name}>
          {props.label}: {a.name}
        </option>
      ))}
    </select>
  );
}

/** The objective over two chosen parameters, interpolated onto a grid from the trials, which sit on top as dots. */
export function ContourCard(props: {
  studyId: string;
  space: TSpace | undefined;
  objectives: ObjectiveView[];
  query: PlotTrialsQuery;
}) {
  const { studyId, space, objectives, query } = props;
  const openTrial = useOpenTrial(studyId);
  const objective = useObjectiveChoice(objectives, query.data?.trials);
  const trials = objective.trials;
  const axes = useMemo(() => paramAxes(space, trials ?? []), [space, trials]);
  const [xName, setXName] = useState("");
  const [yName, setYName] = useState("");
  const [includePruned, setIncludePruned] = useState(false);
  const { isLog, setLog } = useLogScales();
  const xAxis = axes.find((a) => a.name === xName) ?? axes[0];
  const yChoices = axes.filter((a) => a !== xAxis);
  const yAxis = yChoices.find((a) => a.name === yName) ?? yChoices[0];
  const [logX, logY] = [isLog(xAxis), isLog(yAxis)];
  // Off the render path of the other cards: 1,600 cells × 2,000 trials recomputes only when these change.
  const data = useMemo(
    () => (xAxis && yAxis ? contourData(trials ?? [], xAxis, yAxis, { logX, logY, includePruned }) : null),
    [trials, xAxis, yAxis, logX, logY, includePruned],
  );
  const points = data?.points.length ?? 0;
  return (
    <PlotCard
      title="Contour"
      testId="contour-card"
      query={query}
      marks={points}
      empty={{
        title: yAxis ? "Nothing to draw yet" : "Needs two parameters",
        text: yAxis
          ? "Complete trials that have both parameters appear here, with the objective interpolated between them."
          : "A contour plots the objective over two parameters; this study's space has one.",
      }}
      controls={
        <>
          <ObjectiveSelect
            objectives={objectives}
            value={objective.index}
            testId="contour-objective"
            onChange={objective.setIndex}
          />
          {data?.range ? (
            <ColorLegend low={formatValue(data.range[0])} high={formatValue(data.range[1])} testId="contour-legend" />
          ) : null}
          <AxisSelect label="x" axes={axes} value={xAxis?.name ?? ""} testId="contour-x" onChange={setXName} />
          <AxisSelect label="y" axes={yChoices} value={yAxis?.name ?? ""} testId="contour-y" onChange={setYName} />
          <PlotToggle
            label="log x"
            checked={logX}
            disabled={xAxis?.kind !== "numeric"}
            testId="contour-log-x"
            onChange={(on) => setLog(xAxis, on)}
          />
          <PlotToggle
            label="log y"
            checked={logY}
            disabled={yAxis?.kind !== "numeric"}
            testId="contour-log-y"
            onChange={(on) => setLog(yAxis, on)}
          />
          <PlotToggle label="pruned" checked={includePruned} testId="contour-pruned" onChange={setIncludePruned} />
        </>
      }
    >
      {data && xAxis && yAxis ? (
        <ContourChart
          data={data}
          xAxis={xAxis}
          yAxis={yAxis}
          logX={logX}
          logY={logY}
          objectiveName={objective.name}
          onPick={openTrial}
        />
      ) : null}
    </PlotCard>
  );
}
