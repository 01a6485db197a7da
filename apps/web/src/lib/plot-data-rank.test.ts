import { describe, expect, it } from "vitest";
import type { TSpace } from "@autoglm/protocol";
import { paramAxes, type PlotTrial } from "./plot-data";
import { objectiveRanks, parameterPairs, rankedTrials, rankPoints } from "./plot-data-rank";

const SPACE: TSpace = {
  lr: { type: "float", low: 1e-4, high: 1, log: true },
  act: { type: "categorical", choices: ["relu", "gelu", "tanh"] },
};

let n = 0;
function trial(over: Partial<PlotTrial>): PlotTrial {
  n += 1;
  return {
    id: `t${n}`,
    number: n,
    state: "complete",
    value: 1,
    params: {},
    startedAt: "2030-01-01T00:00:00.000Z",
    finishedAt: "2030-01-01T00:01:00.000Z",
    agentName: null,
    ...over,
  };
}

describe("objectiveRanks", () => {
  const trials = [
    { id: "a", value: 3 },
    { id: "b", value: 1 },
    { id: "c", value: 2 },
    { id: "d", value: 2 },
    { id: "e", value: 5 },
  ];

  it("puts the best at 0 and the worst at 1 for the study's direction; ties share their mean rank", () => {
    expect(Object.fromEntries(objectiveRanks(trials, "minimize"))).toEqual({ b: 0, c: 0.375, d: 0.375, a: 0.75, e: 1 });
    expect(Object.fromEntries(objectiveRanks(trials, "maximize"))).toEqual({ e: 0, a: 0.25, c: 0.625, d: 0.625, b: 1 });
  });

  it("ranks a lone trial best, and nothing when there is nothing", () => {
    expect(objectiveRanks([{ id: "x", value: 9 }], "minimize").get("x")).toBe(0);
    expect(objectiveRanks([], "minimize").size).toBe(0);
  });
});

describe("rankPoints", () => {
  const trials = [
    trial({ value: 0.4, params: { lr: 0.01, act: "gelu" } }),
    trial({ value: 0.1, params: { lr: 0.1, act: "relu" } }),
    trial({ state: "pruned", value: 0.9, params: { lr: 0.001, act: "tanh" } }),
    trial({ state: "failed", value: null, params: { lr: 0.5, act: "relu" } }),
    trial({ state: "running", value: null, params: { lr: 0.2, act: "relu" } }),
    trial({ value: 0.2, params: { act: "tanh" } }),
  ];
  const [lr, act] = paramAxes(SPACE, trials);

  it("colours complete trials by rank over every drawn trial, not only the panel's", () => {
    const ranks = rankedTrials(trials, { includePruned: false, includeFailed: false }, "minimize");
    const pts = rankPoints(trials, lr!, act!, { includePruned: false, includeFailed: false, logX: true, logY: false, ranks });
    // The trial without lr ranks (0.2 is second best) but has no place on this panel.
    expect(pts.map((p) => [p.number, p.xPos, p.yPos, p.rank])).toEqual([
      [trials[0]!.number, -2, 1, 1],
      [trials[1]!.number, -1, 0, 0],
    ]);
  });

  it("adds pruned trials to the ranking and failed ones, unranked, when asked; never running ones", () => {
    const filter = { includePruned: true, includeFailed: true };
    const ranks = rankedTrials(trials, filter, "maximize");
    const pts = rankPoints(trials, lr!, act!, { ...filter, logX: false, logY: false, ranks });
    expect(pts.map((p) => [p.state, p.rank])).toEqual([
      ["complete", 1 / 3],
      ["complete", 1],
      ["pruned", 0],
      ["failed", null],
    ]);
    expect(pts[3]!.value).toBeNull();
  });
});

describe("parameterPairs", () => {
  it("pairs every chosen parameter with each later one: 4 make 6 panels", () => {
    expect(parameterPairs(["a", "b", "c", "d"])).toEqual([
      ["a", "b"],
      ["a", "c"],
      ["a", "d"],
      ["b", "c"],
      ["b", "d"],
      ["c", "d"],
    ]);
    expect(parameterPairs(["a"])).toEqual([]);
  });
});
