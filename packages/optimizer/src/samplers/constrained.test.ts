import { describe, expect, it } from "vitest";
import { createOptimizer, type TSamplerConfig } from "../index.js";
import { compileSpace } from "../space.js";
import { feasibilityLogProb } from "./gp-constraints.js";
import { rankTrials } from "./tpe-ranking.js";
import type { TrialView } from "../trial.js";

// minimize x² + y² subject to x + y ≥ 1 (violation 1 - x - y): the optimum, 0.5 at (0.5, 0.5),
// sits on the boundary; the unconstrained one, (0, 0), is infeasible. 28% of the square is feasible.
const space = { x: { type: "float" as const, low: -2, high: 2 }, y: { type: "float" as const, low: -2, high: 2 } };

function run(sampler: TSamplerConfig, n: number, constrained: boolean): { share: number; best: number } {
  const opt = createOptimizer({ space, sampler });
  let feasibleLate = 0;
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t = opt.ask();
    const x = t.params.x as number;
    const y = t.params.y as number;
    const violation = 1 - x - y;
    opt.tell(t.id, x * x + y * y, "complete", constrained ? { constraints: [violation] } : undefined);
    if (violation <= 0) {
      if (i >= n / 2) feasibleLate++;
      best = Math.min(best, x * x + y * y);
    }
  }
  if (constrained) expect(opt.best()!.value).toBe(best);
  return { share: feasibleLate / (n - Math.ceil(n / 2)), best };
}

const SEEDS = [1, 2, 3, 4, 5];

describe.each<[string, TSamplerConfig, number]>([
  ["tpe", { name: "tpe" }, 80],
  ["gp", { name: "gp" }, 30],
  ["nsga2", { name: "nsga2", populationSize: 10 }, 100],
  ["auto", { name: "auto" }, 40],
])("%s with constraints", (_, sampler, n) => {
  it("proposes more feasible points and finds a better feasible value than without them", () => {
    let bestWith = 0;
    let bestWithout = 0;
    for (const seed of SEEDS) {
      const withC = run({ ...sampler, seed }, n, true);
      const without = run({ ...sampler, seed }, n, false);
      // Second half of the run: the model has seen where the constraint holds.
      expect(withC.share, `seed ${seed}`).toBeGreaterThan(without.share);
      bestWith += withC.best / SEEDS.length;
      bestWithout += without.best / SEEDS.length;
    }
    expect(bestWith).toBeLessThan(bestWithout);
  });
});

describe("TPE's ranking with constraints", () => {
  it("puts feasible complete, then feasible pruned, then infeasible by total violation, then running", () => {
    const t = (id: number, state: TrialView["state"], loss: number | null, constraints: number[] | null): TrialView => ({
      id,
      params: {},
      state,
      loss: loss === null ? null : [loss],
      intermediate: state === "pruned" ? [[1, 0]] : [],
      constraints,
    });
    const ranked = rankTrials(
      [
        t(0, "complete", 0.1, [2, -1]), // best value, violation 2
        t(1, "complete", 0.9, [0, -1]),
        t(2, "pruned", null, [-1, -1]),
        t(3, "complete", 0.5, [0.5, 0.5]), // violation 1
        t(4, "running", null, null),
        t(5, "complete", 0.7, null), // no constraints: feasible
        t(6, "failed", null, null),
      ],
      true,
    );
    expect(ranked.map((x) => x.id)).toEqual([5, 1, 2, 3, 0, 4]);
  });
});

describe("the GP's feasibility model", () => {
  it("has the gradient its values imply, and rates feasible regions higher", () => {
    const cs = compileSpace(space);
    const trials: TrialView[] = [];
    for (let i = 0; i < 25; i++) {
      const x = -2 + ((i * 7) % 25) * (4 / 24);
      const y = -2 + ((i * 11) % 25) * (4 / 24);
      trials.push({
        id: i,
        params: { x, y },
        state: "complete",
        loss: [x * x + y * y],
        intermediate: [],
        constraints: [1 - x - y],
      });
    }
    const logP = feasibilityLogProb(cs, trials, 150)!;
    const at = (x: number, y: number): Float64Array => Float64Array.of((x + 2) / 4, (y + 2) / 4);
    expect(logP(at(1.5, 1.5), null)).toBeGreaterThan(Math.log(0.9));
    expect(logP(at(-1.5, -1.5), null)).toBeLessThan(Math.log(0.1));
    const z = at(0.3, 0.4);
    const g = new Float64Array(2);
    const v = logP(z, g);
    expect(v).toBe(logP(z, null));
    for (let d = 0; d < 2; d++) {
      const h = 1e-6;
      const zp = Float64Array.from(z);
      zp[d]! += h;
      const zm = Float64Array.from(z);
      zm[d]! -= h;
      const fd = (logP(zp, null) - logP(zm, null)) / (2 * h);
      expect(Math.abs(g[d]! - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
    }
  });
});

describe("the GP with constraints that never change", () => {
  it("proposes legal params whether every trial is infeasible or every one feasible", () => {
    for (const violation of [1, -1]) {
      const opt = createOptimizer({ space, sampler: { name: "gp", seed: 4, nStartupTrials: 5 } });
      for (let i = 0; i < 12; i++) {
        const t = opt.ask();
        for (const k of ["x", "y"]) {
          expect(Number.isFinite(t.params[k] as number)).toBe(true);
          expect(Math.abs(t.params[k] as number)).toBeLessThanOrEqual(2);
        }
        opt.tell(t.id, (t.params.x as number) ** 2, "complete", { constraints: [violation] });
      }
      expect(opt.best() === null).toBe(violation > 0);
    }
  });
});
