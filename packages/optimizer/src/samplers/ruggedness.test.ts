import { describe, expect, it } from "vitest";
import { createOptimizer, type TSpace } from "../index.js";
import { Rng } from "../rng.js";
import { compileSpace, type TParams } from "../space.js";
import type { TrialView } from "../trial.js";
import { AUTO_RUGGED_AT, type THandover } from "./auto.js";
import { gpNoiseShare, noiseShareFits, RUGGED_NOISE_SHARE } from "./ruggedness.js";

const box = (d: number): TSpace =>
  Object.fromEntries(Array.from({ length: d }, (_, i) => [`x${i}`, { type: "float" as const, low: -5.12, high: 5.12 }]));
const xs = (p: TParams): number[] => Object.keys(p).map((k) => p[k] as number);
/** Rastrigin: a bowl covered in local minima one unit apart. */
const rastrigin = (p: TParams): number => xs(p).reduce((a, x) => a + x * x - 10 * Math.cos(2 * Math.PI * x) + 10, 0);
/** A smooth, tilted bowl. */
const bowl = (p: TParams): number => xs(p).reduce((a, x, i) => a + (i + 1) * (x - 1) ** 2, 0);

/** Uniform random points of the box with their values, as a study's history. */
function history(space: TSpace, f: (p: TParams) => number, n: number, seed: number): TrialView[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, id) => {
    const params = Object.fromEntries(Object.keys(space).map((k) => [k, -5.12 + 10.24 * rng.random()]));
    return { id, params, state: "complete", loss: [f(params)], intermediate: [], constraints: null, proposedBy: "gp" };
  });
}

describe("a rugged landscape", () => {
  it("is what the noise-free GP leaves to its noise term", () => {
    const space = box(4);
    for (const seed of [1, 2, 3]) {
      const rugged = gpNoiseShare(compileSpace(space), history(space, rastrigin, 100, seed))!;
      const smooth = gpNoiseShare(compileSpace(space), history(space, bowl, 100, seed))!;
      expect(rugged).toBeGreaterThan(RUGGED_NOISE_SHARE);
      expect(smooth).toBeLessThan(RUGGED_NOISE_SHARE / 10);
    }
    expect(gpNoiseShare(compileSpace(space), history(space, bowl, 5, 1))).toBeNull();
  });

  /** The members of `auto`'s next 40 asks after AUTO_RUGGED_AT random trials of f. */
  function membersAfter(f: (p: TParams) => number, noise: boolean): { by: Record<string, number>; handover: THandover | null } {
    const space = box(4);
    const opt = createOptimizer({ space, sampler: { name: "auto", seed: 5, ...(noise ? { noise } : {}) } });
    for (const t of history(space, f, AUTO_RUGGED_AT, 9))
      opt.addTrial({ id: t.id, params: t.params, state: "complete", value: t.loss![0]!, proposedBy: "gp" });
    const by: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const t = opt.ask();
      by[t.proposedBy] = (by[t.proposedBy] ?? 0) + 1;
      opt.tell(t.id, f(t.params));
    }
    return { by, handover: opt.handover() };
  }

  it("hands auto's study over to CMA-ES once its first 100 trials are known; a smooth one keeps its GP phase", () => {
    const rugged = membersAfter(rastrigin, false);
    expect(rugged.by.cmaes ?? 0).toBeGreaterThan(20);
    expect(rugged.by.gp ?? 0).toBeLessThan(10);
    expect(rugged.handover).toMatchObject({ trial: AUTO_RUGGED_AT, reason: "rugged" });
    expect(rugged.handover!.noiseShare).toBeGreaterThan(RUGGED_NOISE_SHARE);
    const smooth = membersAfter(bowl, false);
    expect(smooth.by.cmaes ?? 0).toBeLessThan(5);
    expect(smooth.by.gp ?? 0).toBeGreaterThan(20);
    expect(smooth.handover).toBeNull();
    // A noisy objective's GP puts its noise in the same term: no hand-over on that evidence.
    const noisy = membersAfter(rastrigin, true);
    expect(noisy.by.cmaes ?? 0).toBeLessThan(5);
    expect(noisy.handover).toBeNull();
  });

  it("is judged once per study however often a server rebuilds its sampler", () => {
    const space = box(3);
    const first = history(space, rastrigin, AUTO_RUGGED_AT, 12);
    const told: Array<{ id: number; params: TParams; value: number; proposedBy: string }> = first.map((t) => ({
      id: t.id,
      params: t.params,
      value: t.loss![0]!,
      proposedBy: "gp",
    }));
    const before = noiseShareFits();
    for (let i = 0; i < 5; i++) {
      // As the server asks: a fresh optimizer from the stored history for every ask.
      const opt = createOptimizer({ space, sampler: { name: "auto", seed: 3 } });
      for (const t of told) opt.addTrial({ ...t, state: "complete" });
      const asked = opt.ask();
      expect(opt.handover()).toMatchObject({ trial: AUTO_RUGGED_AT, reason: "rugged" });
      told.push({ id: asked.id, params: asked.params, value: rastrigin(asked.params), proposedBy: asked.proposedBy });
    }
    expect(noiseShareFits() - before).toBe(1);
  });
});
