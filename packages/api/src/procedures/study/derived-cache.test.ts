import { describe, expect, it } from "vitest";
import type { THistoryTrial } from "@autoglm/optimizer";
import { DerivedCache, finishedTrialsKey } from "./derived-cache.js";

const trials = (): THistoryTrial[] => [
  { id: 0, params: { x: 1 }, state: "complete", value: 0.5, intermediate: [[1, 0.9]], proposedBy: "gp" },
  { id: 1, params: { x: 2 }, state: "pruned", value: null, intermediate: [[1, 0.8]], proposedBy: "tpe" },
  { id: 2, params: { x: 3 }, state: "running", value: null, intermediate: [[1, 0.7]], proposedBy: "gp" },
];

describe("the study cards' model answers", () => {
  it("are keyed by what the fit reads: not a running trial's reports, but any finished trial's outcome", () => {
    const config = { sampler: { name: "auto" } };
    const base = finishedTrialsKey(trials(), config);
    const reported = trials();
    reported[2]!.intermediate!.push([2, 0.6]);
    expect(finishedTrialsKey(reported, config)).toBe(base);
    const finished = trials();
    Object.assign(finished[2]!, { state: "complete", value: 0.4 });
    expect(finishedTrialsKey(finished, config)).not.toBe(base);
    const prunedLater = trials();
    prunedLater[1]!.intermediate = [[2, 0.3]];
    expect(finishedTrialsKey(prunedLater, config)).not.toBe(base);
    expect(finishedTrialsKey(trials(), { sampler: { name: "auto", noise: true } })).not.toBe(base);
  });

  it("are computed once per key and study, the least recently used study forgotten first", async () => {
    const cache = new DerivedCache(2);
    let calls = 0;
    const compute = (v: number) => async () => {
      calls++;
      return v;
    };
    expect(await cache.get("bestPredicted", "s1", "k1", compute(1))).toBe(1);
    expect(await cache.get("bestPredicted", "s1", "k1", compute(99))).toBe(1);
    expect(calls).toBe(1);
    expect(await cache.get("portfolio", "s1", "k1", compute(2))).toBe(2);
    expect(await cache.get("bestPredicted", "s1", "k2", compute(3))).toBe(3);
    expect(calls).toBe(3);
    // Bound of 2: s2 evicts the least recently used entry (portfolio:s1).
    await cache.get("bestPredicted", "s2", "k1", compute(4));
    expect(cache.size()).toBe(2);
    expect(await cache.get("bestPredicted", "s1", "k2", compute(5))).toBe(3);
    expect(await cache.get("portfolio", "s1", "k1", compute(6))).toBe(6);
    expect(calls).toBe(5);
  });
});
