import { describe, expect, it } from "vitest";
import { createOptimizer, type TSamplerConfig, type TSpace } from "./index.js";
import { Rng } from "./rng.js";
import type { TParams } from "./space.js";

const space: TSpace = { x: { type: "float", low: -1, high: 1 }, y: { type: "float", low: -1, high: 1 } };
/** Values from 0 to 3.3 (sd about 0.6 over the box); the optimum 0 at (0.3, -0.1). */
const truth = (p: TParams) => ((p.x as number) - 0.3) ** 2 + ((p.y as number) + 0.1) ** 2;

/** `n` trials of `sampler` on the quadratic plus Gaussian noise of sd `sigma`. */
function noisyStudy(sigma: number, seed: number, sampler: TSamplerConfig = { name: "random", seed }, n = 150) {
  const opt = createOptimizer({ space, sampler });
  const noise = new Rng(1000 + seed);
  for (let i = 0; i < n; i++) {
    const t = opt.ask();
    opt.tell(t.id, truth(t.params) + sigma * noise.normal());
  }
  return opt;
}

describe("bestPredicted: the best trial by a GP with a noise term", () => {
  // 150 draws pin a standard deviation to about 6% (1 / sqrt(2 * 150)): within 20% is 3 of those.
  it.each([0.02, 0.05, 0.1, 0.5])("recovers a known noise level (sd %s) within 20%", (sigma) => {
    for (const seed of [0, 1, 2]) {
      const { noiseSd } = noisyStudy(sigma, seed).bestPredicted()!;
      expect(noiseSd / sigma, `seed ${seed}`).toBeGreaterThan(0.8);
      expect(noiseSd / sigma, `seed ${seed}`).toBeLessThan(1.2);
    }
  });

  it("finds next to no noise on a noise-free objective", () => {
    expect(noisyStudy(0, 0).bestPredicted()!.noiseSd).toBeLessThan(0.01);
  });

  it("reports a trial truly better than the luckiest draw, beside it", () => {
    let predictedTruth = 0;
    let rawTruth = 0;
    for (const seed of [0, 1, 2, 3, 4]) {
      const opt = noisyStudy(0.1, seed);
      const predicted = opt.bestPredicted()!;
      expect(predicted.value).toBe(opt.trials().find((t) => t.id === predicted.id)!.value);
      predictedTruth += truth(predicted.params);
      rawTruth += truth(opt.best()!.params);
    }
    expect(predictedTruth).toBeLessThan(rawTruth);
  });

  it("reports one of the five lowest observed values where the landscape is rugged", () => {
    // Ripples a smooth model cannot follow at 150 random points: it takes them for noise, and
    // its lowest mean falls between them on trials whose own values were mediocre.
    const rugged = (p: TParams) =>
      truth(p) + 0.3 * (2 - Math.cos(12 * Math.PI * (p.x as number)) - Math.cos(12 * Math.PI * (p.y as number)));
    for (const seed of [0, 1, 2, 3, 4]) {
      const opt = createOptimizer({ space, sampler: { name: "random", seed } });
      const noise = new Rng(2000 + seed);
      for (let i = 0; i < 150; i++) {
        const t = opt.ask();
        opt.tell(t.id, rugged(t.params) + 0.05 * noise.normal());
      }
      const predicted = opt.bestPredicted()!;
      const lowest = opt
        .trials()
        .map((t) => t.value as number)
        .sort((a, b) => a - b);
      expect(predicted.value, `seed ${seed}`).toBeLessThanOrEqual(lowest[4]!);
    }
  });

  it("on a maximized objective, picks among the five highest values and predicts in its units", () => {
    const opt = createOptimizer({ space, direction: "maximize", sampler: { name: "random", seed: 6 } });
    const noise = new Rng(3000);
    for (let i = 0; i < 60; i++) {
      const t = opt.ask();
      opt.tell(t.id, 10 - truth(t.params) + 0.1 * noise.normal());
    }
    const predicted = opt.bestPredicted()!;
    const highest = opt
      .trials()
      .map((t) => t.value as number)
      .sort((a, b) => b - a);
    expect(predicted.value as number).toBeGreaterThanOrEqual(highest[4]!);
    expect(Math.abs(predicted.predicted - (predicted.value as number))).toBeLessThan(0.5);
    expect(predicted.predicted).toBeGreaterThan(9);
  });

  it("is null below 10 complete trials and for several objectives", () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 0 } });
    for (let i = 0; i < 9; i++) opt.tell(opt.ask().id, i);
    expect(opt.bestPredicted()).toBeNull();
    const two = createOptimizer({ space, direction: ["minimize", "minimize"], sampler: { name: "random", seed: 0 } });
    for (let i = 0; i < 20; i++) two.tell(two.ask().id, [i, -i]);
    expect(two.bestPredicted()).toBeNull();
  });
});

describe("noise: true", () => {
  it("is an option of gp and auto, checked, and changes what the GP proposes", () => {
    expect(() => createOptimizer({ space, sampler: { name: "gp", noise: "yes" as never } })).toThrow(
      "sampler.noise: must be a boolean",
    );
    for (const name of ["gp", "auto"] as const) {
      const plain = noisyStudy(0.1, 0, { name, seed: 0 }, 30).ask();
      const noisy = noisyStudy(0.1, 0, { name, seed: 0, noise: true }, 30).ask();
      expect(noisy.params).not.toEqual(plain.params);
    }
  });
});

describe("noise: true on values that span orders of magnitude", () => {
  // A quartic valley on a wide box: values from 0 to 8e5, noise sd 1. Modelled as they are,
  // the tail swamps the standardized targets and the GP takes the valley's floor for noise
  // (fitted sds of 14-110); the likelihood picks the warped model here, whose noise is the true one.
  const wide: TSpace = { x: { type: "float", low: -10, high: 10 }, y: { type: "float", low: -10, high: 10 } };
  const valley = (p: TParams) => {
    const s = (p.x as number) + 2 * (p.y as number);
    return (p.x as number) ** 2 + (p.y as number) ** 2 + s ** 2 + s ** 4;
  };

  it("recovers the noise level and reports a trial near the optimum", () => {
    for (const seed of [0, 1, 2]) {
      const opt = createOptimizer({ space: wide, sampler: { name: "gp", seed, noise: true } });
      const noise = new Rng(1000 + seed);
      for (let i = 0; i < 60; i++) {
        const t = opt.ask();
        opt.tell(t.id, valley(t.params) + noise.normal());
      }
      const predicted = opt.bestPredicted()!;
      expect(predicted.noiseSd, `seed ${seed}`).toBeGreaterThan(0.7);
      expect(predicted.noiseSd, `seed ${seed}`).toBeLessThan(1.4);
      expect(valley(predicted.params), `seed ${seed}`).toBeLessThan(1);
    }
  });
});
