import { describe, expect, it } from "vitest";
import { createOptimizer, type TPrunerConfig } from "./index.js";

const space = { x: { type: "float", low: 0, high: 1 } } as const;

/** Runs finished trials with the given curves, then feeds `probe` step by step; returns the first step pruned (or null). */
function firstPrunedStep(pruner: TPrunerConfig, finished: number[][], probe: number[], direction: "minimize" | "maximize" = "minimize"): number | null {
  const opt = createOptimizer({ space, direction, sampler: { name: "random", seed: 0 }, pruner });
  for (const curve of finished) {
    const t = opt.ask();
    curve.forEach((v, s) => opt.report(t.id, s + 1, v));
    opt.tell(t.id, curve[curve.length - 1]!);
  }
  const t = opt.ask();
  for (let s = 0; s < probe.length; s++) if (opt.report(t.id, s + 1, probe[s]!).prune) return s + 1;
  return null;
}

const flat = (v: number, n = 10): number[] => Array(n).fill(v);

describe("median / percentile", () => {
  const finished = [1, 2, 3, 4, 5].map((v) => flat(v));
  it("prunes a trial worse than the median at the same step, not one at or below it", () => {
    expect(firstPrunedStep({ name: "median" }, finished, flat(3.5))).toBe(1);
    expect(firstPrunedStep({ name: "median" }, finished, flat(3))).toBeNull();
  });
  it("waits for nStartupTrials and nWarmupSteps", () => {
    expect(firstPrunedStep({ name: "median", nStartupTrials: 6 }, finished, flat(9))).toBeNull();
    expect(firstPrunedStep({ name: "median", nWarmupSteps: 4 }, finished, flat(9))).toBe(4);
  });
  it("uses the given percentile and respects maximize", () => {
    expect(firstPrunedStep({ name: "percentile", percentile: 25 }, finished, flat(2.5))).toBe(1);
    expect(firstPrunedStep({ name: "percentile", percentile: 75 }, finished, flat(2.5))).toBeNull();
    expect(firstPrunedStep({ name: "median" }, finished, flat(2.5), "maximize")).toBe(1);
  });
  it("judges by the trial's best value so far", () => {
    const probe = [2, 9, 9, 9, 9];
    expect(firstPrunedStep({ name: "median" }, finished, probe)).toBeNull();
  });
});

describe("successive halving / ASHA", () => {
  // Rungs at steps 1, 3, 9 (eta 3). Nine finished trials with values 1..9 at every step.
  const finished = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => flat(v, 9));
  it.each<TPrunerConfig["name"]>(["asha", "successive_halving"])("%s keeps the top third at each rung", (name) => {
    expect(firstPrunedStep({ name } as TPrunerConfig, finished, flat(0.5, 9))).toBeNull();
    // Rank 4 of 10 at rung 1: not in the top 3 -> pruned at step 1.
    expect(firstPrunedStep({ name } as TPrunerConfig, finished, flat(3.5, 9))).toBe(1);
    // Good early, bad later: passes rung 1, fails rung 3.
    expect(firstPrunedStep({ name } as TPrunerConfig, finished, [0.5, 5, 5, 5, 5, 5, 5, 5, 5])).toBe(3);
  });
  it("lets only the best through while fewer than eta trials reached a rung", () => {
    expect(firstPrunedStep({ name: "asha" }, [flat(1, 9)], flat(2, 9))).toBe(1);
    expect(firstPrunedStep({ name: "asha" }, [flat(1, 9)], flat(0.5, 9))).toBeNull();
  });
  it("honours minResource and bootstrapCount", () => {
    expect(firstPrunedStep({ name: "asha", minResource: 3 }, finished, flat(3.5, 9))).toBe(3);
    expect(firstPrunedStep({ name: "asha", bootstrapCount: 20 }, finished, flat(0.1, 9))).toBe(1);
  });
});

describe("hyperband", () => {
  it("prunes a clearly bad trial in any bracket once maxResource is known, and never a leader", () => {
    const finished = Array.from({ length: 30 }, (_, i) => flat(1 + i / 10, 27));
    for (let k = 0; k < 5; k++) {
      // Different probe ids land in different brackets; all must prune a hopeless curve by step 27.
      const opt = createOptimizer({ space, sampler: { name: "random", seed: 0 }, pruner: { name: "hyperband", maxResource: 27 } });
      for (const curve of finished) {
        const t = opt.ask();
        curve.forEach((v, s) => opt.report(t.id, s + 1, v));
        opt.tell(t.id, curve[curve.length - 1]!);
      }
      for (let j = 0; j < k; j++) opt.tell(opt.ask().id, null, "failed");
      const bad = opt.ask();
      let pruned = false;
      for (let s = 1; s <= 27 && !pruned; s++) pruned = opt.report(bad.id, s, 100).prune;
      expect(pruned).toBe(true);
      const good = opt.ask();
      for (let s = 1; s <= 27; s++) expect(opt.report(good.id, s, 0).prune).toBe(false);
    }
  });
});

describe("patience and threshold", () => {
  it("patience prunes after `patience` steps without improvement", () => {
    expect(firstPrunedStep({ name: "patience", patience: 2 }, [], [5, 4, 3, 3, 3, 3])).toBe(5);
    expect(firstPrunedStep({ name: "patience", patience: 2 }, [], [5, 4, 3, 2, 1, 0])).toBeNull();
    expect(firstPrunedStep({ name: "patience", patience: 1, minDelta: 0.5 }, [], [5, 4.9, 4.8])).toBe(2);
  });
  it("threshold prunes values outside [lower, upper] in the metric's own units", () => {
    expect(firstPrunedStep({ name: "threshold", upper: 2 }, [], [1, 1.5, 2.5])).toBe(3);
    expect(firstPrunedStep({ name: "threshold", lower: 0.5 }, [], [0.9, 0.6, 0.4], "maximize")).toBe(3);
    expect(firstPrunedStep({ name: "threshold", upper: 2, nWarmupSteps: 5 }, [], [9, 9, 9, 9, 9])).toBe(5);
  });
});
