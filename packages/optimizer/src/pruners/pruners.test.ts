import { describe, expect, it } from "vitest";
import { createOptimizer, restoreOptimizer, type TPrunerConfig } from "../index.js";
import { forecastCurve, forecastWithError, prunerFitsModel, prunerMayDecide } from "./index.js";
import { Rng } from "../rng.js";

const space = { x: { type: "float", low: 0, high: 1 } } as const;

/** Runs finished trials with the given curves, then feeds `probe` step by step; what report() answered at the first prune (or the last report), and its step. */
function firstPrune(
  pruner: TPrunerConfig,
  finished: number[][],
  probe: number[],
  direction: "minimize" | "maximize" = "minimize",
) {
  const opt = createOptimizer({ space, direction, sampler: { name: "random", seed: 0 }, pruner });
  for (const curve of finished) {
    const t = opt.ask();
    curve.forEach((v, s) => opt.report(t.id, s + 1, v));
    opt.tell(t.id, curve[curve.length - 1]!);
  }
  const t = opt.ask();
  let answer = opt.report(t.id, 1, probe[0]!);
  let step = 1;
  while (!answer.prune && step < probe.length) answer = opt.report(t.id, step + 1, probe[step++]!);
  return { answer, step };
}

function firstPrunedStep(
  pruner: TPrunerConfig,
  finished: number[][],
  probe: number[],
  direction: "minimize" | "maximize" = "minimize",
): number | null {
  const { answer, step } = firstPrune(pruner, finished, probe, direction);
  return answer.prune ? step : null;
}

const flat = (v: number, n = 10): number[] => Array(n).fill(v);

const firstPruneAnswer = (
  pruner: TPrunerConfig,
  finished: number[][],
  probe: number[],
  direction: "minimize" | "maximize" = "minimize",
) => firstPrune(pruner, finished, probe, direction).answer;

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
  const classic: TPrunerConfig[] = [{ name: "asha", forecast: false }, { name: "successive_halving" }];
  it.each(classic)("%o keeps the top third at each rung", (cfg) => {
    expect(firstPrunedStep(cfg, finished, flat(0.5, 9))).toBeNull();
    // Rank 4 of 10 at rung 1: not in the top 3 -> pruned at step 1.
    expect(firstPrunedStep(cfg, finished, flat(3.5, 9))).toBe(1);
    // Good early, bad later: passes rung 1, fails rung 3.
    expect(firstPrunedStep(cfg, finished, [0.5, 5, 5, 5, 5, 5, 5, 5, 5])).toBe(3);
  });
  it("lets only the best through while fewer than eta trials reached a rung", () => {
    expect(firstPrunedStep({ name: "asha", forecast: false }, [flat(1, 9)], flat(2, 9))).toBe(1);
    expect(firstPrunedStep({ name: "asha", forecast: false }, [flat(1, 9)], flat(0.5, 9))).toBeNull();
  });
  it("honours minResource and bootstrapCount", () => {
    expect(firstPrunedStep({ name: "asha", forecast: false, minResource: 3 }, finished, flat(3.5, 9))).toBe(3);
    expect(firstPrunedStep({ name: "asha", forecast: false, bootstrapCount: 20 }, finished, flat(0.1, 9))).toBe(1);
  });
});

describe("asha with forecasts (the default)", () => {
  const curve = (a: number, b: number, c: number, n: number): number[] =>
    Array.from({ length: n }, (_, i) => a + b * Math.exp(-c * (i + 1)));

  it("forecastCurve extrapolates exponential and power-law curves to the horizon", () => {
    const exp = curve(0.3, 2, 0.1, 20).map((v, i) => [i + 1, v] as const);
    expect(forecastCurve(exp, 200)).toBeCloseTo(0.3 + 2 * Math.exp(-20), 2);
    const pow = Array.from({ length: 50 }, (_, i) => [i + 1, 0.2 + 3 * Math.pow(i + 2, -0.5)] as const);
    expect(forecastCurve(pow, 1000)).toBeCloseTo(0.2 + 3 * Math.pow(1001, -0.5), 2);
    expect(forecastCurve(exp.slice(0, 4), 200)).toBeNull();
  });

  // Six finished fast-but-mediocre curves (final ~0.4 at step 30), then a probe.
  const fast = Array.from({ length: 6 }, (_, k) => curve(0.4 + 0.01 * k, 2.1, 0.3, 30));
  it("keeps a slow curve that ends better, which the value at the rung would stop", () => {
    const slowBetter = curve(0.1, 2.4, 0.08, 30);
    expect(firstPrunedStep({ name: "asha", forecast: false }, fast, slowBetter)).toBe(1);
    expect(firstPrunedStep({ name: "asha" }, fast, slowBetter)).toBeNull();
  });

  it("still stops a slow curve that ends worse, at the first rung it can be fitted on", () => {
    expect(firstPrunedStep({ name: "asha" }, fast, curve(1.0, 1.5, 0.08, 30))).toBe(9);
  });

  it("decides the same after serialize/restore in the middle of a study", () => {
    const cspace = { lr: { type: "float", low: 1e-4, high: 1, log: true } } as const;
    const run = (restoreAt: number): boolean[] => {
      let opt = createOptimizer({ space: cspace, sampler: { name: "tpe", seed: 4 }, pruner: { name: "asha" } });
      const decisions: boolean[] = [];
      for (let i = 0; i < 30; i++) {
        if (i === restoreAt) opt = restoreOptimizer(JSON.parse(JSON.stringify(opt.serialize())));
        const t = opt.ask();
        const lr = t.params.lr as number;
        const final = 0.1 + 0.3 * (Math.log10(lr) + 2) ** 2;
        let pruned = false;
        for (let s = 1; s <= 30 && !pruned; s++) {
          pruned = opt.report(t.id, s, final + 2 * Math.exp(-(0.02 + 0.3 * Math.sqrt(lr)) * s)).prune;
          decisions.push(pruned);
        }
        if (pruned) opt.tell(t.id, null, "pruned");
        else opt.tell(t.id, final);
      }
      return decisions;
    };
    const straight = run(-1);
    expect(straight.some((d) => d)).toBe(true);
    expect(run(17)).toEqual(straight);
  });

  it("states an error that covers the final value even from a short, noisy prefix", () => {
    // Seeded report noise of 0.01 on a slow curve (true final 0.116).
    const truth = 0.1 + 2.4 * Math.exp(-0.05 * 100);
    for (const n of [9, 27]) {
      let covered = 0;
      for (let k = 0; k < 100; k++) {
        const r = new Rng(k + 1);
        const pts = Array.from(
          { length: n },
          (_, i) => [i + 1, 0.1 + 2.4 * Math.exp(-0.05 * (i + 1)) + 0.01 * r.normal()] as const,
        );
        const f = forecastWithError(pts, 100)!;
        if (Math.abs(f.value - truth) <= 2 * f.se) covered++;
      }
      // The rate's uncertainty is part of se: without it, +-2 se covered 8% (9 steps) and 28% (27).
      expect(covered).toBeGreaterThanOrEqual(60);
    }
  });

  it("rejects a non-boolean forecast option", () => {
    expect(() => createOptimizer({ space, pruner: { name: "asha", forecast: "yes" } as unknown as TPrunerConfig })).toThrow(
      /forecast/,
    );
  });
});

describe("asha with the model of finished trials", () => {
  // Twelve finished trials whose final value depends on x (best at x = 0.2), curves of 30 steps.
  const curveOf = (x: number, n = 30): number[] =>
    Array.from({ length: n }, (_, i) => 0.1 + 2 * (x - 0.2) ** 2 + 2 * Math.exp(-0.3 * (i + 1)));
  const study = () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 0 }, pruner: { name: "asha" } });
    for (let i = 0; i < 12; i++) {
      const x = i / 11;
      const c = curveOf(x);
      opt.addTrial({
        id: i,
        params: { x },
        state: "complete",
        value: c[c.length - 1]!,
        intermediate: c.map((v, s) => [s + 1, v]),
      });
    }
    return opt;
  };
  const firstPruned = (opt: ReturnType<typeof study>, id: number, x: number, probe: number[]): number | null => {
    opt.addTrial({ id, params: { x }, state: "running" });
    for (let s = 0; s < probe.length; s++) if (opt.report(id, s + 1, probe[s]!).prune) return s + 1;
    return null;
  };

  it("stops a configuration the finished trials rule out at the first rung, before its curve can be fitted", () => {
    expect(firstPruned(study(), 100, 0.95, curveOf(0.95))).toBe(1);
    expect(firstPruned(study(), 100, 0.2, curveOf(0.2))).toBeNull();
  });

  it("lets a trial whose reports lead every other trial's through, whatever the model says of its params", () => {
    expect(
      firstPruned(
        study(),
        100,
        0.95,
        curveOf(0.2).map((v) => v - 0.5),
      ),
    ).toBeNull();
  });

  it("hyperband: stops such a configuration at the first report in every bracket, not only the most aggressive", () => {
    const hb = () => {
      const opt = createOptimizer({ space, sampler: { name: "random", seed: 0 }, pruner: { name: "hyperband" } });
      for (let i = 0; i < 12; i++) {
        const c = curveOf(i / 11);
        opt.addTrial({
          id: i,
          params: { x: i / 11 },
          state: "complete",
          value: c[c.length - 1]!,
          intermediate: c.map((v, s) => [s + 1, v]),
        });
      }
      return opt;
    };
    // 40 ids spread over the four brackets (30 steps: rungs from 1, 3, 9 and 27).
    const steps = Array.from({ length: 40 }, (_, k) => firstPruned(hb(), 100 + k, 0.95, curveOf(0.95)));
    expect(new Set(steps)).toEqual(new Set([1]));
    expect(Array.from({ length: 40 }, (_, k) => firstPruned(hb(), 100 + k, 0.2, curveOf(0.2))).every((s) => s === null)).toBe(
      true,
    );
  });

  it("does not use the model before ten trials finished", () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 0 }, pruner: { name: "asha" } });
    for (let i = 0; i < 9; i++) {
      const c = curveOf(i / 8);
      opt.addTrial({
        id: i,
        params: { x: i / 8 },
        state: "complete",
        value: c[c.length - 1]!,
        intermediate: c.map((v, s) => [s + 1, v]),
      });
    }
    expect(firstPruned(opt, 100, 0.95, curveOf(0.95)) ?? Infinity).toBeGreaterThan(3);
  });
});

describe("hyperband", () => {
  it("prunes a clearly bad trial in any bracket once maxResource is known, and never a leader", () => {
    const finished = Array.from({ length: 30 }, (_, i) => flat(1 + i / 10, 27));
    for (let k = 0; k < 5; k++) {
      // Different probe ids land in different brackets; all must prune a hopeless curve by step 27.
      const opt = createOptimizer({
        space,
        sampler: { name: "random", seed: 0 },
        pruner: { name: "hyperband", maxResource: 27 },
      });
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

describe("why a trial was pruned (report's reason, in the metric's units)", () => {
  it("median: the trial's best so far against the median of the finished trials, maximize shown as is", () => {
    const finished = [1, 2, 3, 4, 5].map((v) => flat(v));
    expect(firstPruneAnswer({ name: "median" }, finished, flat(2.5), "maximize")).toEqual({
      prune: true,
      reason: "its best value so far, 2.5, is worse than the median (3) of 5 finished trials at step 1",
    });
    expect(firstPruneAnswer({ name: "median" }, finished, flat(3.5), "maximize")).toEqual({ prune: false });
  });

  it("successive halving: the value at the rung against the cut of the best 1/eta", () => {
    const finished = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => flat(v, 9));
    expect(firstPruneAnswer({ name: "successive_halving" }, finished, flat(3.5, 9)).reason).toBe(
      "its value at step 1, 3.5, is not among the best 1/3 of the 10 trials that reached that step (cut 3)",
    );
  });

  it("asha's model: the predicted final value, which cannot beat the best finished one", () => {
    const curveOf = (x: number): number[] =>
      Array.from({ length: 30 }, (_, i) => 0.1 + 2 * (x - 0.2) ** 2 + 2 * Math.exp(-0.3 * (i + 1)));
    const xs = Array.from({ length: 12 }, (_, i) => i / 11);
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 0 }, pruner: { name: "asha" } });
    xs.forEach((x, i) =>
      opt.addTrial({
        id: i,
        params: { x },
        state: "complete",
        value: curveOf(x)[29]!,
        intermediate: curveOf(x).map((v, s) => [s + 1, v]),
      }),
    );
    opt.addTrial({ id: 100, params: { x: 0.95 }, state: "running" });
    const { prune, reason } = opt.report(100, 1, curveOf(0.95)[0]!);
    expect(prune).toBe(true);
    const m =
      /^at step 1 the finished trials predict a final value of ([\d.]+) ± ([\d.]+) for it, which cannot beat the best finished value, ([\d.]+), at 95%$/.exec(
        reason!,
      );
    expect(m).not.toBeNull();
    // x = 0.95 ends at 0.1 + 2 * 0.75^2 = 1.225; the best finished (x = 2/11) at about 0.1.
    expect(Number(m![1])).toBeCloseTo(1.225, 1);
    expect(Number(m![3])).toBeCloseTo(0.1 + 2 * (2 / 11 - 0.2) ** 2 + 2 * Math.exp(-9), 3);
  });

  it("hyperband names the bracket; patience and threshold say what they saw", () => {
    const finished = Array.from({ length: 30 }, (_, i) => flat(1 + i / 10, 27));
    expect(firstPruneAnswer({ name: "hyperband", maxResource: 27 }, finished, flat(100, 27)).reason).toMatch(
      /\(Hyperband bracket [1-4] of 4\)$/,
    );
    expect(firstPruneAnswer({ name: "patience", patience: 2 }, [], [5, 4, 3, 3, 3]).reason).toBe(
      "no improvement larger than 0 in its last 2 reports (best 3 before them, 3 in them)",
    );
    expect(firstPruneAnswer({ name: "threshold", lower: 0.5 }, [], [0.9, 0.6, 0.4], "maximize").reason).toBe(
      "its value at step 3, 0.4, is below the lower bound 0.5",
    );
  });
});

describe("prunerFitsModel (lets a server decide cheap pruners on its event loop)", () => {
  it("is true exactly for the pruners that forecast with the finished trials' model", () => {
    const fits: TPrunerConfig[] = [
      { name: "asha" },
      { name: "hyperband" },
      { name: "successive_halving", forecast: true },
      { name: "patience", patience: 3, wrapped: { name: "asha" } },
    ];
    const cheap: TPrunerConfig[] = [
      { name: "none" },
      { name: "median" },
      { name: "percentile", percentile: 25 },
      { name: "threshold", upper: 1 },
      { name: "successive_halving" },
      { name: "asha", forecast: false },
      { name: "hyperband", forecast: false },
      { name: "patience", patience: 3 },
      { name: "patience", patience: 3, wrapped: { name: "median" } },
    ];
    expect(fits.map(prunerFitsModel)).toEqual(fits.map(() => true));
    expect(cheap.map(prunerFitsModel)).toEqual(cheap.map(() => false));
  });
});

describe("prunerMayDecide (lets a caller skip reading the history)", () => {
  it("asha and hyperband only decide where a report crosses a rung step minResource * eta^k", () => {
    const at = (cfg: TPrunerConfig) => Array.from({ length: 100 }, (_, i) => i + 1).filter((s) => prunerMayDecide(cfg, s, s - 1));
    expect(at({ name: "asha" })).toEqual([1, 3, 9, 27, 81]);
    expect(at({ name: "hyperband", minResource: 2 })).toEqual([2, 6, 18, 54]);
    expect(at({ name: "asha", minResource: "auto" })).toHaveLength(100);
    expect(at({ name: "median", nWarmupSteps: 10, intervalSteps: 30 })).toEqual([10, 40, 70, 100]);
    expect(at({ name: "none" })).toEqual([]);
    // A report that jumps past a rung (steps 5 then 10) crosses rung 9.
    expect(prunerMayDecide({ name: "asha" }, 10, 5)).toBe(true);
    expect(prunerMayDecide({ name: "asha" }, 8, 5)).toBe(false);
  });

  it.each<TPrunerConfig>([
    { name: "asha" },
    { name: "asha", forecast: false, minResource: 2 },
    { name: "successive_halving", reductionFactor: 2 },
    { name: "hyperband" },
    { name: "median", nWarmupSteps: 3, intervalSteps: 4 },
    { name: "threshold", upper: 1, intervalSteps: 5 },
  ])("%o never prunes where it says it may not decide", (cfg) => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 3 }, pruner: cfg });
    let pruned = 0;
    for (let i = 0; i < 40; i++) {
      const t = opt.ask();
      const x = Number(t.params.x);
      let prev = -Infinity;
      let stopped = false;
      // Uneven steps (1, 2, 4, 5, 7, ...) so some reports jump over rungs.
      for (let s = 1; s <= 40 && !stopped; s += 1 + (s % 3 === 1 ? 1 : 0)) {
        const { prune } = opt.report(t.id, s, x + 2 * Math.exp(-0.2 * s));
        if (!prunerMayDecide(cfg, s, prev)) expect(prune).toBe(false);
        prev = s;
        stopped = prune;
      }
      if (stopped) {
        pruned++;
        opt.tell(t.id, null, "pruned");
      } else opt.tell(t.id, x);
    }
    expect(pruned).toBeGreaterThan(0);
  });
});
