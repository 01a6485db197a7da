import { describe, expect, it } from "vitest";
import { slicePoints, type PlotTrial } from "./plot-data";
import { constraintBreaches, objectiveAxisName, objectiveHistory, specObjectives, trialsForObjective } from "./plot-objectives";

function trial(number: number, over: Partial<PlotTrial>): PlotTrial {
  return {
    id: `t${number}`,
    number,
    state: "complete",
    value: null,
    params: { lr: 0.1 },
    startedAt: null,
    finishedAt: `2030-01-01T00:00:${String(number).padStart(2, "0")}.000Z`,
    agentName: null,
    ...over,
  };
}

describe("multi-objective plot data", () => {
  it("reads objectives from either spec form and names their axes with the direction", () => {
    expect(specObjectives({ objective: { metric: "loss", direction: "minimize" } })).toEqual([
      { metric: "loss", direction: "minimize" },
    ]);
    const two = specObjectives({
      objectives: [
        { metric: "val_loss", direction: "minimize" },
        { metric: "accuracy", direction: "maximize" },
      ],
    });
    expect(two.map(objectiveAxisName)).toEqual(["val_loss ↓", "accuracy ↑"]);
  });

  it("lets a single-objective plot draw any objective, and marks infeasible trials", () => {
    const trials = [trial(1, { value: 0.5, values: [0.5, 30] }), trial(2, { value: 0.2, values: [0.2, 90], feasible: false })];
    const second = trialsForObjective(trials, 1);
    expect(second.map((t) => t.value)).toEqual([30, 90]);
    const points = slicePoints(second, { name: "lr", kind: "numeric", canLog: false }, { includePruned: false, log: false });
    expect(points.map((p) => [p.number, p.value, p.infeasible])).toEqual([
      [1, 30, false],
      [2, 90, true],
    ]);
  });

  it("keeps infeasible trials out of the best so far, in finish order, for either direction", () => {
    const trials = [
      trial(3, { value: 5 }),
      trial(1, { value: 4 }),
      trial(2, { value: 1, feasible: false }),
      trial(4, { value: 9, state: "pruned" }),
    ];
    expect(objectiveHistory(trials, "minimize").map((p) => [p.number, p.best, p.infeasible])).toEqual([
      [1, 4, false],
      [2, 4, true],
      [3, 4, false],
      [4, 4, false],
    ]);
    expect(objectiveHistory(trials, "maximize").map((p) => p.best)).toEqual([4, 4, 5, 5]);
  });

  it("says which constraint a trial broke and by how much, as a person reads it", () => {
    const constraints = [
      { metric: "memory_gb", max: 16 },
      { metric: "recall", min: 0.5 },
      { metric: "temp", min: 0, max: 80 },
    ];
    const fmt = (v: number) => String(Number(v.toPrecision(6)));
    expect(constraintBreaches(constraints, [2.2, 0.1, 5], fmt)).toEqual([
      "memory_gb 18.2 > 16",
      "recall 0.4 < 0.5",
      "temp outside [0, 80] by 5",
    ]);
    expect(constraintBreaches(constraints, [-1, 0, -3], fmt)).toEqual([]);
    expect(constraintBreaches(constraints, null, fmt)).toEqual([]);
  });
});
