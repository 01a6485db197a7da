import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createOptimizer, type TSamplerConfig, type TSpace } from "../index.js";
import { compileSpace } from "../space.js";
import { chooseAuto } from "./auto.js";
import { fitKernel } from "./gp-kernel.js";
import { gridOrder, gridSize } from "./grid.js";
import { makeGroups } from "./tpe-groups.js";
import { rankTrials } from "./tpe-ranking.js";
import type { TrialView } from "../trial.js";

type Fn = (p: Record<string, number | string | boolean>) => number;

function minimize(space: TSpace, fn: Fn, sampler: TSamplerConfig, n: number): number {
  const opt = createOptimizer({ space, sampler });
  for (let i = 0; i < n; i++) {
    const t = opt.ask();
    opt.tell(t.id, fn(t.params));
  }
  return opt.best()!.value as number;
}

const quad: TSpace = { x: { type: "float", low: -5, high: 5 }, y: { type: "float", low: -5, high: 5 } };
const quadFn: Fn = (p) => ((p.x as number) - 1.3) ** 2 + ((p.y as number) + 2.1) ** 2;

describe("model-based samplers beat random search on a known case", () => {
  const randomBest = [0, 1, 2].map((seed) => minimize(quad, quadFn, { name: "random", seed }, 60));
  it.each<[TSamplerConfig["name"], number]>([
    ["tpe", 0.2],
    ["gp", 1e-4],
    ["auto", 1e-4],
  ])("%s gets close to the optimum of a shifted quadratic in 60 trials", (name, tol) => {
    for (const seed of [0, 1, 2]) {
      const best = minimize(quad, quadFn, { name, seed } as TSamplerConfig, 60);
      expect(best).toBeLessThan(tol);
      expect(best).toBeLessThan(randomBest[seed]!);
    }
  });

  it("univariate tpe (Optuna-style per-point bandwidths) converges and beats random search on average", () => {
    const bests = [0, 1, 2].map((seed) => minimize(quad, quadFn, { name: "tpe", seed, multivariate: false }, 60));
    for (const b of bests) expect(b).toBeLessThan(0.2);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(bests)).toBeLessThan(mean(randomBest));
  });

  it("cmaes converges on a 4-d sphere", () => {
    const space: TSpace = Object.fromEntries([0, 1, 2, 3].map((i) => [`x${i}`, { type: "float", low: -3, high: 3 }]));
    const fn: Fn = (p) => [0, 1, 2, 3].reduce((s, i) => s + ((p[`x${i}`] as number) - 0.5) ** 2, 0);
    expect(minimize(space, fn, { name: "cmaes", seed: 1 }, 300)).toBeLessThan(1e-3);
  });

  it("gp handles integer and categorical params exactly", () => {
    const space: TSpace = {
      k: { type: "categorical", choices: ["a", "b", "c"] },
      n: { type: "int", low: 1, high: 64, log: true },
      u: { type: "float", low: -1, high: 1 },
    };
    const fn: Fn = (p) => (p.k === "b" ? 0 : 1) + (Math.log2(p.n as number) - 4) ** 2 + ((p.u as number) - 0.25) ** 2;
    const opt = createOptimizer({ space, sampler: { name: "gp", seed: 2 } });
    for (let i = 0; i < 30; i++) {
      const t = opt.ask();
      expect(Number.isInteger(t.params.n)).toBe(true);
      opt.tell(t.id, fn(t.params));
    }
    expect(opt.best()!.params).toMatchObject({ k: "b", n: 16 });
    expect(opt.best()!.value).toBeLessThan(1e-3);
  });
});

describe("tpe", () => {
  it("constant liar: parallel asks without results differ", () => {
    for (const constantLiar of [true, false]) {
      const opt = createOptimizer({ space: quad, sampler: { name: "tpe", seed: 4, constantLiar } });
      for (let i = 0; i < 20; i++) {
        const t = opt.ask();
        opt.tell(t.id, quadFn(t.params));
      }
      const pending = [0, 1, 2, 3].map(() => opt.ask().params);
      const keys = new Set(pending.map((p) => JSON.stringify(p)));
      expect(keys.size).toBe(4);
    }
  });

  it("ranks complete trials by value, then pruned ones by step reached, then running ones", () => {
    const t = (id: number, state: TrialView["state"], loss: number | null, inter: Array<[number, number]> = []): TrialView => ({
      id,
      params: {},
      state,
      loss: loss === null ? null : [loss],
      intermediate: inter,
      constraints: null,
    });
    const ranked = rankTrials(
      [
        t(0, "pruned", null, [[3, 9]]),
        t(1, "complete", 5),
        t(2, "running", null),
        t(3, "complete", 1),
        t(4, "pruned", null, [[7, 20]]),
        t(5, "failed", null),
      ],
      true,
    );
    expect(ranked.map((x) => x.id)).toEqual([3, 1, 4, 0, 2]);
  });

  it("groups parameters that are active together, parents first", () => {
    const space = compileSpace({
      opt: { type: "categorical", choices: ["sgd", "adam"] },
      lr: { type: "float", low: 1e-4, high: 1, log: true },
      momentum: { type: "float", low: 0, high: 1, when: { opt: "sgd" } },
      nesterov: { type: "categorical", choices: [true, false], when: { opt: "sgd" } },
      beta2: { type: "float", low: 0.9, high: 0.999, when: { opt: "adam" } },
      warm: { type: "int", low: 0, high: 10, when: { nesterov: true } },
    });
    const groups = makeGroups(space, true, true).map((g) => g.map((d) => d.name).sort());
    expect(groups).toEqual([["lr", "opt"], ["momentum", "nesterov"], ["beta2"], ["warm"]]);
    expect(makeGroups(space, false, true)).toHaveLength(6);
  });

  it("learns from a pruned trial's curve: avoids the region that was pruned", () => {
    const space: TSpace = { x: { type: "float", low: 0, high: 1 } };
    const opt = createOptimizer({ space, sampler: { name: "tpe", seed: 9, nStartupTrials: 0 } });
    // History: low x complete and good; high x pruned early.
    for (let i = 0; i < 20; i++) opt.addTrial({ id: i, params: { x: i / 40 }, state: "complete", value: 1 + i / 40 });
    for (let i = 0; i < 20; i++)
      opt.addTrial({ id: 20 + i, params: { x: 0.5 + i / 40 }, state: "pruned", value: null, intermediate: [[1, 0.1]] });
    const xs = [0, 1, 2, 3, 4, 5].map(() => opt.ask().params.x as number);
    expect(xs.filter((x) => x < 0.5).length).toBeGreaterThanOrEqual(5);
  });
});

describe("gp internals", () => {
  it("fits a short length scale to the dimension that matters and a long one to the one that does not", () => {
    const n = 40;
    const x = new Float64Array(n * 2);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = ((i * 7919) % n) / n;
      const b = ((i * 104729) % 37) / 37;
      x[2 * i] = a;
      x[2 * i + 1] = b;
      y[i] = Math.sin(8 * a);
    }
    const p = fitKernel({ x, y, n, dim: 2, isCat: [false, false] });
    expect(p.invLs2[0]!).toBeGreaterThan(20 * p.invLs2[1]!);
  });

  it("keeps ask() bounded with a long history", () => {
    const opt = createOptimizer({ space: quad, sampler: { name: "gp", seed: 1 } });
    for (let i = 0; i < 600; i++) {
      const p = { x: -5 + ((i * 37) % 100) / 10, y: -5 + ((i * 53) % 100) / 10 };
      opt.addTrial({ id: i, params: p, state: "complete", value: quadFn(p) });
    }
    const t0 = performance.now();
    opt.ask();
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe("grid", () => {
  it("visits every point once before repeating, in a seeded order", () => {
    const space: TSpace = { a: { type: "categorical", choices: ["x", "y", "z"] }, b: { type: "int", low: 0, high: 3 } };
    expect(gridSize(compileSpace(space))).toBe(12);
    const opt = createOptimizer({ space, sampler: { name: "grid", seed: 5 } });
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(JSON.stringify(opt.ask().params));
    expect(seen.size).toBe(12);
    const other = createOptimizer({ space, sampler: { name: "grid", seed: 6 } });
    expect(other.ask().params).not.toEqual(createOptimizer({ space, sampler: { name: "grid", seed: 5 } }).ask().params);
  });
  it("puts gridSize evenly spaced points on a continuous axis, log-aware", () => {
    const opt = createOptimizer({
      space: { lr: { type: "float", low: 1e-4, high: 1, log: true } },
      sampler: { name: "grid", seed: 0, gridSize: 5 },
    });
    const vals = [0, 1, 2, 3, 4].map(() => opt.ask().params.lr as number).sort((a, b) => a - b);
    [1e-4, 1e-3, 1e-2, 1e-1, 1].forEach((v, i) => expect(vals[i]).toBeCloseTo(v, 12));
  });
  it("orders the points by a permutation on BigInt as on doubles", () => {
    const radices = [3, 4, 5, 7];
    for (const exact of [Number.MAX_SAFE_INTEGER, 0]) {
      const order = gridOrder(11, radices, exact);
      const visited = new Set(Array.from({ length: 420 }, (_, k) => order(k).join(",")));
      expect(visited.size).toBe(420);
      expect(order(420)).toEqual(order(0));
    }
  });
  it("walks a grid whose point count overflows a double (62 axes of 100,000 points) and returns", () => {
    const space: TSpace = Object.fromEntries(Array.from({ length: 62 }, (_, i) => [`x${i}`, { type: "float", low: 0, high: 1 }]));
    expect(gridSize(compileSpace(space), 100_000)).toBe(Infinity);
    const opt = createOptimizer({ space, sampler: { name: "grid", seed: 3, gridSize: 100_000 } });
    // A sampler that loops forever would block the worker past any test timeout; vm's
    // watchdog interrupts synchronous code, so a hang fails here instead of stalling the run.
    const asked = runInNewContext("ask3()", { ask3: () => [0, 1, 2].map(() => opt.ask().params) }, { timeout: 30_000 }) as Record<
      string,
      number
    >[];
    expect(new Set(asked.map((p) => JSON.stringify(p))).size).toBe(3);
    for (const p of asked) {
      expect(Object.keys(p)).toHaveLength(62);
      for (const v of Object.values(p)) expect(v >= 0 && v <= 1).toBe(true);
    }
  });
});

describe("nsga2", () => {
  it("approaches the Pareto front of a two-objective problem", () => {
    const space: TSpace = { x: { type: "float", low: -4, high: 4 }, y: { type: "float", low: -4, high: 4 } };
    const opt = createOptimizer({
      space,
      direction: ["minimize", "minimize"],
      sampler: { name: "nsga2", seed: 3, populationSize: 20 },
    });
    for (let i = 0; i < 300; i++) {
      const t = opt.ask();
      const x = t.params.x as number;
      const y = t.params.y as number;
      opt.tell(t.id, [x * x + y * y, (x - 2) ** 2 + y * y]);
    }
    const front = opt.bestTrials();
    expect(front.length).toBeGreaterThan(10);
    // On the true front y = 0 and 0 <= x <= 2.
    const offFront = front.filter(
      (b) => Math.abs(b.params.y as number) > 0.3 || (b.params.x as number) < -0.3 || (b.params.x as number) > 2.3,
    );
    expect(offFront.length).toBeLessThanOrEqual(front.length / 5);
  });
});

describe("auto", () => {
  const cont = compileSpace(quad);
  it("picks per study and phase", () => {
    expect(chooseAuto(cont, 1, 0)).toBe("gp");
    expect(chooseAuto(cont, 1, 1)).toBe("tpe");
    expect(chooseAuto(cont, 1, 40)).toBe("gp");
    expect(chooseAuto(cont, 1, 43)).toBe("tpe");
    expect(chooseAuto(cont, 1, 800)).toBe("cmaes");
    // CMA-ES has no use for constraints: a constrained study stays with TPE.
    expect(chooseAuto(cont, 1, 800, true)).toBe("tpe");
    expect(chooseAuto(cont, 1, 40, true)).toBe("gp");
    expect(chooseAuto(cont, 2, 10)).toBe("tpe");
    expect(chooseAuto(cont, 2, 800)).toBe("nsga2");
    const cat = compileSpace({
      a: { type: "categorical", choices: [...Array(12).keys()] },
      x: { type: "float", low: 0, high: 1 },
    });
    expect(chooseAuto(cat, 1, 40)).toBe("tpe");
    const mixed = compileSpace({ a: { type: "categorical", choices: [1, 2] }, x: { type: "float", low: 0, high: 1 } });
    expect(chooseAuto(mixed, 1, 800)).toBe("cmaes");
    expect(chooseAuto(mixed, 1, 801)).toBe("tpe");
    expect(chooseAuto(mixed, 1, 801, true)).toBe("tpe");
  });
});
