import { afterEach, describe, expect, it } from "vitest";
import { createOptimizer, type TSpace } from "../index.js";
import { Rng } from "../rng.js";
import { compileSpace, type TParams } from "../space.js";
import type { TrialView } from "../trial.js";
import { AUTO_GP_UNTIL, AUTO_HANDOVER_FROM, autoHandover, chooseAuto, HANDOVER_WINDOW } from "./auto.js";
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

describe("auto's hand-over", () => {
  const trialsOf = (losses: number[]): TrialView[] =>
    losses.map((l, id) => ({
      id,
      params: {},
      state: "complete",
      loss: [l],
      intermediate: [],
      constraints: null,
      proposedBy: "gp",
    }));

  it("hands a stalled GP phase over at the earliest point, one still improving at the latest", () => {
    // Stalled: the best reached at trial 100, nothing better after it.
    const stalled = trialsOf(Array.from({ length: 600 }, (_, k) => (k <= 100 ? 10 - k / 10 : 5 + (k % 7))));
    expect(autoHandover(stalled, AUTO_HANDOVER_FROM - 1)).toBeNull();
    expect(autoHandover(stalled, 300)).toBe(AUTO_HANDOVER_FROM);
    // Improving: every tenth trial a new best by a fair share of the scale.
    const improving = trialsOf(Array.from({ length: 600 }, (_, k) => (k % 10 === 0 ? -k / 10 : 100)));
    expect(autoHandover(improving, 499)).toBeNull();
    expect(autoHandover(improving, 600)).toBe(AUTO_GP_UNTIL);
    // Slowing down: from trial 320 the best moves by less than a thousandth of the scale; the
    // first window wholly after the last big step (trial 319) ends at trial 370.
    const slowing = trialsOf(Array.from({ length: 600 }, (_, k) => (k < 320 ? 50 - k / 10 : 18 - 1e-6 * k)));
    expect(autoHandover(slowing, 600)).toBe(320 + 1 + HANDOVER_WINDOW);
  });

  it("after the hand-over, keeps the asks with CMA-ES while its improvements are sparse and the other members find nothing", () => {
    // A stalled model phase on a bowl (hand-over at the earliest point), then 300 trials: CMA-ES
    // betters the best every 40th of its trials (the last time 50 of its trials ago), TPE,
    // random and the GP propose 30 trials each in the first 180 and never improve.
    const opt = createOptimizer({ space: box(2), sampler: { name: "auto", seed: 5 } });
    const rng = new Rng(3);
    const point = (): TParams => ({ x0: 10 * rng.random() - 5, x1: 10 * rng.random() - 5 });
    const bowl = (p: TParams) => xs(p).reduce((a, x) => a + x * x, 0);
    let id = 0;
    let best = Infinity;
    for (; id < AUTO_HANDOVER_FROM; id++) {
      const params = point();
      const value = bowl(params) + (id >= AUTO_HANDOVER_FROM - HANDOVER_WINDOW ? 1 : 0);
      best = Math.min(best, value);
      opt.addTrial({ id, params, state: "complete", value, proposedBy: id % 4 === 3 ? "tpe" : "gp" });
    }
    const others = ["tpe", "random", "gp"];
    let cma = 0;
    for (let k = 0; k < 300; k++, id++) {
      const by = k < 180 && k % 2 === 1 ? others[Math.floor(k / 2) % 3]! : "cmaes";
      let value = best + 1;
      if (by === "cmaes" && ++cma % 40 === 0 && cma <= 160) value = best -= 0.01;
      opt.addTrial({ id, params: point(), state: "complete", value, proposedBy: by });
    }
    expect(opt.handover()).toEqual({ trial: AUTO_HANDOVER_FROM, reason: "stalled", noiseShare: null });
    const last = opt.portfolio().at(-1)!;
    expect(last.trials).toBe(id);
    // CMA-ES's 4 improvements in 210 trials against none in 90.
    expect(last.weights.cmaes).toBeGreaterThan(0.8);
  });

  it("hands a mixed space's study over to CMA-ES on the best trial's choices taking turns with TPE", () => {
    // Two branches; the better one ("b") among the model phase's trials (a history of random
    // points whose last window found nothing better: stalled at the earliest hand-over).
    const space: TSpace = {
      kind: { type: "categorical", choices: ["a", "b"] },
      x: { type: "float", low: -1, high: 1 },
      y: { type: "float", low: -1, high: 1, when: { kind: "b" } },
    };
    const f = (p: TParams) => (p.kind === "b" ? 0 : 0.5) + (p.x as number) ** 2 + (p.y === undefined ? 0 : (p.y as number) ** 2);
    const opt = createOptimizer({ space, sampler: { name: "auto", seed: 7 } });
    const rng = new Rng(11);
    for (let id = 0; id < AUTO_HANDOVER_FROM; id++) {
      const kind = rng.random() < 0.5 ? "a" : "b";
      const params: TParams = { kind, x: 2 * rng.random() - 1, ...(kind === "b" ? { y: 2 * rng.random() - 1 } : {}) };
      const value = f(params) + (id >= AUTO_HANDOVER_FROM - HANDOVER_WINDOW ? 1 : 0);
      opt.addTrial({ id, params, state: "complete", value, proposedBy: id % 4 === 3 ? "tpe" : "gp" });
    }
    const by: Array<{ by: string; kind: unknown }> = [];
    for (let i = 0; i < 60; i++) {
      const t = opt.ask();
      by.push({ by: t.proposedBy, kind: t.params.kind });
      opt.tell(t.id, f(t.params));
    }
    expect(opt.handover()).toEqual({ trial: AUTO_HANDOVER_FROM, reason: "stalled", noiseShare: null });
    expect(opt.best()!.params.kind).toBe("b");
    expect(by.filter((t) => t.by === "gp").length).toBeLessThan(by.length / 4);
    const cma = by.filter((t) => t.by === "cmaes");
    expect(cma.length).toBeGreaterThan(15);
    expect(cma.every((t) => t.kind === "b")).toBe(true);
    expect(by.filter((t) => t.by === "tpe").length).toBeGreaterThan(10);
  });
});
