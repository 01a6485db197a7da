import { describe, expect, it } from "vitest";
import { bestParamRows, bestSoFarSteps, comparedIds, objectiveMismatch, type ComparedStudy } from "./compare-studies";

const study = (over: Partial<ComparedStudy>): ComparedStudy => ({
  id: "s",
  name: "s",
  metric: "loss",
  direction: "minimize",
  bestParams: null,
  ...over,
});

describe("compare studies", () => {
  it("reads distinct ids from the query, at most eight", () => {
    expect(comparedIds("a, b,a,,c")).toEqual(["a", "b", "c"]);
    expect(comparedIds(null)).toEqual([]);
    expect(comparedIds("1,2,3,4,5,6,7,8,9,10")).toHaveLength(8);
  });

  it("thins a best-so-far line to its changes and its last trial", () => {
    const history = [
      { number: 0, best: null },
      { number: 1, best: 5 },
      { number: 2, best: 5 },
      { number: 3, best: 3 },
      { number: 4, best: 3 },
      { number: 5, best: 3 },
    ];
    expect(bestSoFarSteps(history)).toEqual([
      { number: 1, best: 5 },
      { number: 3, best: 3 },
      { number: 5, best: 3 },
    ]);
    expect(bestSoFarSteps([])).toEqual([]);
  });

  it("marks the parameters whose best values differ, over the union of names", () => {
    const rows = bestParamRows([
      study({ bestParams: { lr: 0.01, act: "relu" } }),
      study({ bestParams: { lr: 0.02, act: "relu", layers: 3 } }),
    ]);
    expect(rows).toEqual([
      { name: "act", values: ["relu", "relu"], differs: false },
      { name: "layers", values: [undefined, 3], differs: true },
      { name: "lr", values: [0.01, 0.02], differs: true },
    ]);
  });

  it("says when the objectives differ", () => {
    expect(objectiveMismatch([study({ name: "a" }), study({ name: "b" })])).toBeNull();
    expect(objectiveMismatch([study({ name: "a" }), study({ name: "b", metric: "acc", direction: "maximize" })])).toBe(
      "These studies do not share one objective (a minimizes loss; b maximizes acc): their lines share an axis but their values are not comparable.",
    );
  });
});
