import { describe, expect, it } from "vitest";
import { createOptimizer } from "./index.js";

describe("importance (fANOVA on a random forest)", () => {
  it("finds the one parameter that matters and sums to 1", () => {
    const space = {
      a: { type: "float", low: 0, high: 1 },
      b: { type: "float", low: 0, high: 1 },
      c: { type: "int", low: 0, high: 10 },
      d: { type: "categorical", choices: ["x", "y", "z"] },
    } as const;
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 11 } });
    for (let i = 0; i < 120; i++) {
      const t = opt.ask();
      opt.tell(t.id, Math.sin(6 * (t.params.b as number)) * 5 + 0.01 * (t.params.c as number));
    }
    const imp = opt.importance();
    expect(Object.values(imp).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(imp.b).toBeGreaterThan(0.8);
    for (const k of ["a", "c", "d"]) expect(imp[k]).toBeLessThan(0.1);
  });

  it("ranks two relevant parameters by their effect and is deterministic", () => {
    const space = {
      big: { type: "float", low: -1, high: 1 },
      small: { type: "float", low: -1, high: 1 },
      none: { type: "float", low: -1, high: 1 },
    } as const;
    const make = (): Record<string, number> => {
      const opt = createOptimizer({ space, sampler: { name: "random", seed: 4 } });
      for (let i = 0; i < 80; i++) {
        const t = opt.ask();
        opt.tell(t.id, 4 * (t.params.big as number) ** 2 + (t.params.small as number) ** 2);
      }
      return opt.importance();
    };
    const imp = make();
    expect(imp.big).toBeGreaterThan(imp.small!);
    expect(imp.small).toBeGreaterThan(imp.none!);
    expect(make()).toEqual(imp);
  });

  it("returns equal shares without enough data", () => {
    const opt = createOptimizer({
      space: { a: { type: "float", low: 0, high: 1 }, b: { type: "float", low: 0, high: 1 } },
      sampler: { name: "random", seed: 1 },
    });
    expect(opt.importance()).toEqual({ a: 0.5, b: 0.5 });
  });
});
