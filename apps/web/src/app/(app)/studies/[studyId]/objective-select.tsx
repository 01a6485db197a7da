"use client";
import { useMemo, useState } from "react";
import type { PlotTrial } from "@/lib/plot-data";
import { objectiveAxisName, trialsForObjective, type ObjectiveView } from "@/lib/plot-objectives";

/**
 * Which objective a single-objective plot draws in a multi-objective study (the first by
 * default): the trials with that objective as their value, its axis name and direction.
 */
export function useObjectiveChoice<T extends PlotTrial>(objectives: readonly ObjectiveView[], trials: readonly T[] | undefined) {
  const [index, setIndex] = useState(0);
  const chosen = objectives[index] ?? objectives[0];
  const projected = useMemo(
    () => (trials && objectives.length > 1 ? trialsForObjective(trials, index) : trials),
    [trials, objectives.length, index],
  );
  return {
    index,
    setIndex,
    trials: projected,
    /** The axis title: the metric with ↓/↑ for a multi-objective study, "objective" for a single one (as before). */
    name: objectives.length > 1 && chosen ? objectiveAxisName(chosen) : "objective",
    direction: chosen?.direction ?? "minimize",
  };
}

/** The objective select of a plot's toolbar; nothing for a single-objective study. */
export function ObjectiveSelect(props: {
  objectives: readonly ObjectiveView[];
  value: number;
  testId: string;
  onChange: (index: number) => void;
}) {
  if (props.objectives.length < 2) return null;
  return (
    <select
      aria-label="Objective"
      value={props.value}
      onChange={(e) => props.onChange(Number(e.target.value))}
      data-testid={props.testId}
    >
      {props.objectives.map((o, i) => (
        <option key={o.metric} value={i}>
          {objectiveAxisName(o)}
        </option>
      ))}
    </select>
  );
}
