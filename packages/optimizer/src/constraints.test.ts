import { describe, expect, it } from "vitest";
import { OptimizerError, createOptimizer, restoreOptimizer, type TSpace } from "./index.js";

const space: TSpace = { x: { type: "float", low: -2, high: 2 } };

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof OptimizerError) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: "none", message: "" };
}

describe("constraints through tell, addTrial and serialize", () => {
  it("keeps infeasible trials but never makes one best", () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 1 } });
    const a = opt.ask({ id: 0 });
    opt.tell(a.id, 0.1, "complete", { constraints: [0.5, -1] }); // better value, violates the first
    const b = opt.ask({ id: 1 });
    opt.tell(b.id, 0.9, "complete", { constraints: [0, -1] }); // 0 is satisfied
    expect(opt.best()).toMatchObject({ id: 1, value: 0.9 });
    expect(opt.bestTrials().map((t) => t.id)).toEqual([1]);
    expect(opt.trials().map((t) => t.constraints)).toEqual([
      [0.5, -1],
      [0, -1],
    ]);
  });

  it("survives serialize/restore and history replay", () => {
    const opt = createOptimizer({ space, sampler: { name: "tpe", seed: 7 } });
    for (let i = 0; i < 15; i++) {
      const t = opt.ask();
      const x = t.params.x as number;
      opt.tell(t.id, x * x, "complete", { constraints: [1 - x] });
    }
    const restored = restoreOptimizer(JSON.parse(JSON.stringify(opt.serialize())));
    expect(restored.trials()).toEqual(opt.trials());
    expect(restored.ask().params).toEqual(opt.ask().params);
    const replayed = createOptimizer({ space, sampler: { name: "tpe", seed: 7 } });
    for (const t of restored.trials()) replayed.addTrial(t);
    expect(replayed.trials()).toEqual(restored.trials());
  });

  it("rejects bad constraints precisely and changes nothing", () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 1 } });
    const a = opt.ask();
    expect(errorOf(() => opt.tell(a.id, 1, "complete", { constraints: [Number.NaN] }))).toEqual({
      code: "INVALID_VALUE",
      message: `tell(trial ${a.id}): constraints[0] must be a finite number (got NaN)`,
    });
    expect(errorOf(() => opt.tell(a.id, null, "failed", { constraints: [1] })).message).toMatch(
      /a failed trial takes no constraints/,
    );
    expect(opt.trials()[0]!.state).toBe("running");
    opt.tell(a.id, 1, "complete", { constraints: [1, 2] });
    const b = opt.ask();
    expect(errorOf(() => opt.tell(b.id, 1, "complete", { constraints: [1] })).message).toBe(
      `tell(trial ${b.id}): expected 2 constraint values like the study's other trials, got 1`,
    );
    expect(errorOf(() => opt.addTrial({ id: 9, params: { x: 0 }, state: "running", constraints: [0, 0] })).message).toMatch(
      /a running trial takes no constraints/,
    );
    expect(opt.trials().map((t) => t.state)).toEqual(["complete", "running"]);
    // No constraints (or none listed) is fine alongside trials that have them.
    opt.tell(b.id, 2, "complete", { constraints: [] });
    expect(opt.trials()[1]!.constraints).toBeUndefined();
  });
});
