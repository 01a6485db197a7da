import { describe, expect, it } from "vitest";
import { frontLine, objectivePairs, paretoPoints } from "./pareto-points";
import type { PlotTrial } from "./plot-data";

function trial(number: number, values: number[] | null, over: Partial<PlotTrial> = {}): PlotTrial {
  return {
    id: `t${number}`,
    number,
    state: "complete",
    value: values?.[0] ?? null,
    values,
    params: {},
    startedAt: null,
    finishedAt: null,
    agentName: null,
    ...over,
  };
}

describe("Pareto card points", () => {
  const pareto = [
    { trialId: "t2", number: 2, values: [3, 1] },
    { trialId: "t1", number: 1, values: [1, 3] },
    // On the front but outside the plots' sample: still drawn.
    { trialId: "t9", number: 9, values: [2, 2] },
  ];
  const trials = [
    trial(1, [1, 3]),
    trial(2, [3, 1]),
    trial(3, [4, 4]),
    trial(4, [0.5, 0.5], { feasible: false }),
    trial(5, null, { state: "failed" }),
    trial(6, [1, 1], { state: "pruned" }),
  ];

  it("draws the API's front, the other complete trials faded and infeasible ones apart", () => {
    const points = paretoPoints(trials, pareto, 2);
    expect(points.map((p) => [p.number, p.kind])).toEqual([
      [1, "front"],
      [2, "front"],
      [3, "dominated"],
      [4, "infeasible"],
      [9, "front"],
    ]);
    expect(frontLine(points, 0).map((p) => p.number)).toEqual([1, 9, 2]);
  });

  it("pairs the objectives: one for 2, three for 3, six to choose from for 4", () => {
    expect(objectivePairs(2)).toEqual([[0, 1]]);
    expect(objectivePairs(3)).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
    ]);
    expect(objectivePairs(4)).toHaveLength(6);
  });
});
