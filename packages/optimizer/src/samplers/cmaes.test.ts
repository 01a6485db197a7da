import { describe, expect, it } from "vitest";
import { Rng } from "../rng.js";
import { compileSpace, type TParams } from "../space.js";
import type { SampleContext, TrialView } from "../trial.js";
import { CMAES_DEFAULTS, CmaesSampler } from "./cmaes.js";

const space = compileSpace({
  x0: { type: "float", low: -1, high: 1 },
  x1: { type: "float", low: -1, high: 1 },
  x2: { type: "float", low: -1, high: 1 },
});
const sphere = (p: TParams): number => (p.x0 as number) ** 2 + (p.x1 as number) ** 2 + (p.x2 as number) ** 2;

/** A uniform point of the box [-scale, scale]^3. */
const randomPoint = (rng: Rng, scale: number): TParams => ({
  x0: scale * (2 * rng.random() - 1),
  x1: scale * (2 * rng.random() - 1),
  x2: scale * (2 * rng.random() - 1),
});

/** A study handed over after `startup` trials, then CMA-ES's own trials, optionally interleaved with another member's. */
function history(startup: number, own: number, foreignEvery: number | null): TrialView[] {
  const rng = new Rng(7);
  const trials: TrialView[] = [];
  const add = (params: TParams, proposedBy: string, loss: number) =>
    trials.push({ id: trials.length, params, state: "complete", loss: [loss], intermediate: [], constraints: null, proposedBy });
  for (let i = 0; i < startup; i++) {
    const p = randomPoint(rng, 1);
    add(p, "gp", sphere(p));
  }
  const ownRng = new Rng(11);
  for (let i = 0; i < own; i++) {
    const p = randomPoint(ownRng, 0.3);
    add(p, "cmaes", sphere(p));
    // Another member's trial: a far corner told as the best value yet, which a CMA-ES update
    // that counted it would chase.
    if (foreignEvery !== null && i % foreignEvery === 0) add({ x0: 0.95, x1: -0.95, x2: 0.95 }, "random", -1);
  }
  return trials;
}

const ctxOf = (trials: TrialView[]): SampleContext => ({
  space,
  nObjectives: 1,
  trials,
  rng: new Rng(3),
  seed: 3,
  nKnown: trials.length,
});

describe("CMA-ES after auto's hand-over", () => {
  const handedOver = { ...CMAES_DEFAULTS, startAfter: 40 };

  it("forms its generations from its own trials only, so other members' trials do not move it", () => {
    const sampler = new CmaesSampler({ ...handedOver, member: "cmaes" });
    const alone = sampler.sample(ctxOf(history(40, 21, null)));
    const interleaved = sampler.sample(ctxOf(history(40, 21, 3)));
    expect(interleaved).toEqual(alone);
    // The foreign corner is not where the distribution went: the next point stays near the origin.
    expect(Math.hypot(interleaved.x0 as number, interleaved.x1 as number, interleaved.x2 as number)).toBeLessThan(0.6);
  });

  it("counts every trial after the startup ones as its own when no member is named (a CMA-ES study)", () => {
    const sampler = new CmaesSampler(handedOver);
    expect(sampler.sample(ctxOf(history(40, 21, 3)))).not.toEqual(sampler.sample(ctxOf(history(40, 21, null))));
  });
});

describe("CMA-ES's start after auto's hand-over", () => {
  it("takes the shape of the best tenth: points along a diagonal valley make the first draws correlated", () => {
    // 200 startup trials on a valley along x0 = x1: the best tenth lies along the diagonal.
    const valley = (p: TParams): number => ((p.x0 as number) - (p.x1 as number)) ** 2 * 100 + (p.x2 as number) ** 2;
    const rng = new Rng(5);
    const trials: TrialView[] = Array.from({ length: 200 }, (_, id) => {
      const params = randomPoint(rng, 1);
      return { id, params, state: "complete", loss: [valley(params)], intermediate: [], constraints: null, proposedBy: "gp" };
    });
    const sampler = new CmaesSampler({ ...CMAES_DEFAULTS, startAfter: 200, member: "cmaes" });
    const draws = Array.from({ length: 400 }, (_, k) => sampler.sample({ ...ctxOf(trials), rng: new Rng(100 + k) }));
    const a = draws.map((p) => p.x0 as number);
    const b = draws.map((p) => p.x1 as number);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    const [ma, mb] = [mean(a), mean(b)];
    const cov = mean(a.map((x, i) => (x - ma) * (b[i]! - mb)));
    const corr = cov / Math.sqrt(mean(a.map((x) => (x - ma) ** 2)) * mean(b.map((x) => (x - mb) ** 2)));
    expect(corr).toBeGreaterThan(0.8);
  });
});

describe("CMA-ES's covariance update", () => {
  it("narrows the search along the direction where a generation's worse half failed (active CMA)", () => {
    // The startup's best is the centre, the next generation (7 points for 3 params) has its better
    // half at the centre too (no step, no rank-mu shape from them) and its worse half along x0.
    const trials: TrialView[] = [];
    const add = (params: TParams, loss: number) =>
      trials.push({ id: trials.length, params, state: "complete", loss: [loss], intermediate: [], constraints: null });
    add({ x0: 0, x1: 0, x2: 0 }, 0);
    for (const c of [0.8, -0.8]) {
      add({ x0: c, x1: c, x2: 0 }, 10);
      add({ x0: -c, x1: c, x2: c }, 10);
    }
    for (const loss of [0.1, 0.2, 0.3]) add({ x0: 0, x1: 0, x2: 0 }, loss);
    for (const [x0, loss] of [
      [0.3, 1],
      [-0.3, 2],
      [0.5, 3],
      [-0.5, 4],
    ] as const)
      add({ x0, x1: 0, x2: 0 }, loss);
    const sampler = new CmaesSampler(CMAES_DEFAULTS);
    const draws = Array.from({ length: 3000 }, (_, k) => sampler.sample({ ...ctxOf(trials), rng: new Rng(500 + k) }));
    const variance = (v: number[]) => {
      const m = v.reduce((s, x) => s + x, 0) / v.length;
      return v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length;
    };
    const ratio = variance(draws.map((p) => p.x0 as number)) / variance(draws.map((p) => p.x1 as number));
    expect(ratio).toBeLessThan(0.85);
  });
});

describe("CMA-ES on integer params", () => {
  it("keeps a small chance of moving an integer it settled on, so the continuous params go on converging", () => {
    const mixed = compileSpace({ x: { type: "float", low: 0, high: 1 }, k: { type: "int", low: 0, high: 10 } });
    const f = (p: TParams): number => ((p.x as number) - 0.3) ** 2 + 0.01 * ((p.k as number) - 5) ** 2;
    const sampler = new CmaesSampler(CMAES_DEFAULTS);
    const trials: TrialView[] = [];
    // 200 trials: converged, and before IPOP would restart it.
    for (let id = 0; id < 200; id++) {
      const params = sampler.sample({ space: mixed, nObjectives: 1, trials, rng: new Rng(id), seed: 1, nKnown: id });
      trials.push({ id, params, state: "complete", loss: [f(params)], intermediate: [], constraints: null });
    }
    const draws = Array.from({ length: 400 }, (_, k) =>
      sampler.sample({ space: mixed, nObjectives: 1, trials, rng: new Rng(1000 + k), seed: 1, nKnown: 200 }),
    );
    const moved = draws.filter((p) => p.k !== 5).length;
    // The margin is 1 / (d * lambda) = 1/12 for 2 params: about 8% of draws, never none.
    expect(moved).toBeGreaterThan(0);
    expect(moved / draws.length).toBeLessThan(0.2);
    expect(Math.min(...trials.slice(-50).map((t) => t.loss![0]!))).toBeLessThan(1e-6);
  });
});
