import { afterEach, describe, expect, it } from "vitest";
import { createOptimizer, type TSpace } from "../index.js";
import { compileSpace, type TParams } from "../space.js";
import { chooseAuto } from "./auto.js";
import { registerSampler, unregisterSampler, type TSamplerPlugin } from "./plugins.js";

const box = (d: number): TSpace =>
  Object.fromEntries(Array.from({ length: d }, (_, i) => [`x${i}`, { type: "float" as const, low: -5.12, high: 5.12 }]));
const xs = (p: TParams): number[] => Object.keys(p).map((k) => p[k] as number);
/** Rastrigin: many local minima, the global one (0) at the origin. */
const rastrigin = (p: TParams): number => xs(p).reduce((a, x) => a + x * x - 10 * Math.cos(2 * Math.PI * x) + 10, 0);

afterEach(() => unregisterSampler("oracle"));

describe("auto's portfolio", () => {
  it("follows today's schedule while it has no evidence (the exploration phase)", () => {
    const space = box(3);
    const opt = createOptimizer({ space, sampler: { name: "auto", seed: 4 } });
    const by: string[] = [];
    for (let i = 0; i < 30; i++) {
      const t = opt.ask();
      by.push(t.proposedBy);
      opt.tell(t.id, rastrigin(t.params));
    }
    expect(by).toEqual(by.map((_, k) => chooseAuto(compileSpace(space), 1, k)));
    expect(opt.trials().map((t) => t.proposedBy)).toEqual(by);
  });

  it("moves its weight to the member that wins on a function built for it", () => {
    // A needle at the origin (value = distance within 0.05 of it) in a landscape whose other
    // minimum is a ring at radius 3: models and local searches follow the ring, while this
    // member walks down the needle, improving on the best with every trial it proposes.
    const needle = (p: TParams) => {
      const r = Math.hypot(...xs(p));
      return r < 0.05 ? r : 1 + 0.01 * Math.abs(r - 3);
    };
    const oracle: TSamplerPlugin = {
      name: "oracle",
      portfolio: true,
      create: () => ({
        sample: (ctx) => {
          const own = ctx.trials.filter((t) => t.proposedBy === "oracle").length;
          return Object.fromEntries(ctx.space.dims.map((d) => [d.name, 0.03 / (1 + own)]));
        },
      }),
    };
    registerSampler(oracle, "portfolio.test.ts");
    for (const seed of [1, 2]) {
      const opt = createOptimizer({ space: box(2), sampler: { name: "auto", seed } });
      for (let i = 0; i < 90; i++) {
        const t = opt.ask();
        opt.tell(t.id, needle(t.params));
      }
      const weights = opt.portfolio();
      expect(weights[0]!.weights).toEqual({ gp: 0.5, tpe: 0.5, random: 0, cmaes: 0, oracle: 0 });
      const last = weights.at(-1)!.weights;
      expect(last.oracle).toBeGreaterThan(0.5);
      const byOracle = (from: number, to: number) =>
        opt
          .trials()
          .slice(from, to)
          .filter((t) => t.proposedBy === "oracle").length;
      // None in the exploration phase (2 params: 20 trials), then most of the asks.
      expect(byOracle(0, 20)).toBe(0);
      expect(byOracle(60, 90)).toBeGreaterThan(15);
    }
  });

  it("a rebuilt study proposes the same point with the same member", () => {
    const space = box(2);
    const opt = createOptimizer({ space, sampler: { name: "auto", seed: 2 } });
    for (let i = 0; i < 45; i++) {
      const t = opt.ask();
      opt.tell(t.id, rastrigin(t.params));
    }
    const copy = createOptimizer({ space, sampler: { name: "auto", seed: 2 } });
    for (const t of opt.trials()) copy.addTrial(t);
    expect(copy.ask()).toEqual(opt.ask());
  });
});
