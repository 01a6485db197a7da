import { describe, expect, it } from "vitest";
import { createOptimizer, type TSamplerConfig, type TSpace } from "../index.js";
import type { TParams } from "../space.js";

// Four params in [0, 1], so distances are in the unit cube; the optimum is inside, off-center.
const space: TSpace = Object.fromEntries([0, 1, 2, 3].map((i) => [`x${i}`, { type: "float", low: 0, high: 1 }]));
const quadratic = (p: TParams) => Object.values(p).reduce<number>((a, x, i) => a + ((x as number) - 0.2 - 0.15 * i) ** 2, 0);
const distance = (a: TParams, b: TParams) => Math.hypot(...Object.keys(a).map((k) => (a[k] as number) - (b[k] as number)));

function pairwise(points: TParams[]): { closest: number; farthest: number } {
  let closest = Infinity;
  let farthest = 0;
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++) {
      closest = Math.min(closest, distance(points[i]!, points[j]!));
      farthest = Math.max(farthest, distance(points[i]!, points[j]!));
    }
  return { closest, farthest };
}

describe("eight asks with the previous ones pending (max_parallel = 8)", () => {
  it.each<TSamplerConfig["name"]>(["gp", "tpe", "cmaes", "auto"])("%s: eight distinct points, spread out", (name) => {
    for (const seed of [0, 1, 2]) {
      const opt = createOptimizer({ space, sampler: { name, seed } });
      for (let i = 0; i < 30; i++) {
        const t = opt.ask();
        opt.tell(t.id, quadratic(t.params));
      }
      const batch = Array.from({ length: 8 }, () => opt.ask().params);
      const { closest, farthest } = pairwise(batch);
      // The GP's converged model once put pending points 1e-4 apart (the kriging believer alone).
      expect(closest, `seed ${seed}`).toBeGreaterThan(0.01);
      expect(farthest, `seed ${seed}`).toBeGreaterThan(0.2);
    }
  });
});
