import { describe, expect, it } from "vitest";
import { createOptimizer } from "../index.js";
import { erfc, erfcPos } from "../math.js";
import { Rng } from "../rng.js";
import { compileSpace } from "../space.js";
import type { TrialView } from "../trial.js";
import { argmaxRatio, buildMixture, CompleteOrder, logDensity, rankTrials } from "./tpe.js";

describe("tpe speed-ups change no decision", () => {
  it("erfcPos (table) stays within 1e-8 of erfc on [0, 8]", () => {
    let worst = 0;
    for (let i = 0; i <= 80000; i++) worst = Math.max(worst, Math.abs(erfcPos(i / 10000) - erfc(i / 10000)));
    expect(worst).toBeLessThan(1e-8);
    expect(erfcPos(7)).toBe(0);
  });

  it("argmaxRatio picks the same candidate as scoring every candidate in full", () => {
    const space = compileSpace(Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`x${i}`, { type: "float", low: 0, high: 1 }])));
    const dims = space.dims;
    const rng = new Rng(7);
    for (let rep = 0; rep < 40; rep++) {
      const nAbove = 50 + rng.int(400);
      const nBelow = 5 + rng.int(20);
      // Clustered "good" points, scattered "bad" ones.
      const below = Float64Array.from({ length: nBelow * 5 }, () => Math.min(1, Math.max(0, 0.3 + 0.1 * rng.normal())));
      const above = Float64Array.from({ length: nAbove * 5 }, () => rng.random());
      const g = buildMixture(dims, above, nAbove, 1);
      const l = buildMixture(dims, below, nBelow, 1, undefined, false, 1);
      const cands = Array.from({ length: 48 }, () => Array.from({ length: 5 }, () => Math.min(1, Math.max(0, 0.3 + 0.15 * rng.normal()))));
      const scores = cands.map((x) => logDensity(l, x) - logDensity(g, x));
      let full = 0;
      for (let c = 1; c < cands.length; c++) if (scores[c]! > scores[full]!) full = c;
      expect(argmaxRatio(l, g, cands)).toBe(full);
    }
  });

  it("CompleteOrder keeps the same order as a full sort while trials complete one by one", () => {
    const rng = new Rng(3);
    const trials: TrialView[] = [];
    const order = new CompleteOrder();
    for (let i = 0; i < 300; i++) {
      // Ties on purpose (rounded losses) so the id tie-break matters.
      const state = rng.random() < 0.1 ? "failed" : "complete";
      trials.push({ id: i, params: {}, state, loss: state === "complete" ? [Math.round(rng.random() * 50)] : null, intermediate: [] });
      const fresh = rankTrials(trials, false).map((t) => t.id);
      expect(rankTrials(trials, false, order).map((t) => t.id)).toEqual(fresh);
    }
    // A different (shorter) history resets it.
    const other = trials.slice(0, 10);
    expect(rankTrials(other, false, order).map((t) => t.id)).toEqual(rankTrials(other, false).map((t) => t.id));
  });

  it("an optimizer keeps its trials in id order when ids arrive out of order", () => {
    const opt = createOptimizer({ space: { x: { type: "float", low: 0, high: 1 } }, sampler: { name: "tpe", seed: 1 } });
    for (const id of [5, 2, 9, 0]) opt.addTrial({ id, params: { x: id / 10 }, state: "complete", value: id });
    const t = opt.ask();
    expect(t.id).toBe(10);
    expect(opt.trials().map((x) => x.id)).toEqual([0, 2, 5, 9, 10]);
  });
});
