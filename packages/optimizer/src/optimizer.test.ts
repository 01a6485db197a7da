import { describe, expect, it } from "vitest";
import { OptimizerError, createOptimizer, restoreOptimizer, type TSpace, type TSamplerConfig } from "./index.js";

const space: TSpace = {
  lr: { type: "float", low: 1e-5, high: 1e-1, log: true },
  opt: { type: "categorical", choices: ["sgd", "adam"] },
  momentum: { type: "float", low: 0.5, high: 0.99, when: { opt: "sgd" } },
  layers: { type: "int", low: 1, high: 8 },
};
const f = (p: Record<string, unknown>): number =>
  (Math.log10(p.lr as number) + 3) ** 2 + (p.opt === "sgd" ? (p.momentum as number) : 0.3) + 0.1 * (p.layers as number);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof OptimizerError) return e.code;
    throw e;
  }
  return "none";
}

describe.each<TSamplerConfig["name"]>(["random", "tpe", "gp", "cmaes", "grid", "auto"])("%s sampler", (name) => {
  it("is deterministic under a seed and rebuilds from history to the same next proposal", () => {
    const run = (): { opt: ReturnType<typeof createOptimizer>; asked: unknown[] } => {
      const opt = createOptimizer({ space, sampler: { name, seed: 42 } });
      const asked: unknown[] = [];
      for (let i = 0; i < 14; i++) {
        const t = opt.ask();
        asked.push(t.params);
        if (i % 5 === 4) opt.tell(t.id, null, "failed");
        else if (i !== 13) opt.tell(t.id, f(t.params));
      }
      return { opt, asked };
    };
    const a = run();
    const b = run();
    expect(b.asked).toEqual(a.asked);
    // Rebuild from the "database" (addTrial for every trial, pending one included).
    const rebuilt = createOptimizer({ space, sampler: { name, seed: 42 } });
    for (const t of a.opt.trials()) rebuilt.addTrial(t);
    expect(rebuilt.ask().params).toEqual(a.opt.ask().params);
    // And from serialize() through JSON.
    const restored = restoreOptimizer(JSON.parse(JSON.stringify(b.opt.serialize())));
    expect(restored.ask().params).toEqual(b.opt.ask().params);
  });

  it("proposes only legal params, with conditional ones present exactly when active", () => {
    const opt = createOptimizer({ space, sampler: { name, seed: 3 } });
    for (let i = 0; i < 20; i++) {
      const t = opt.ask();
      expect(Object.keys(t.params).sort()).toEqual(
        t.params.opt === "sgd" ? ["layers", "lr", "momentum", "opt"] : ["layers", "lr", "opt"],
      );
      expect(Number.isInteger(t.params.layers)).toBe(true);
      expect(t.params.lr).toBeGreaterThanOrEqual(1e-5);
      expect(t.params.lr).toBeLessThanOrEqual(1e-1);
      opt.tell(t.id, f(t.params));
    }
  });
});

describe("optimizer state", () => {
  it("tracks the best trial in the study's direction", () => {
    const opt = createOptimizer({
      space: { x: { type: "float", low: 0, high: 1 } },
      direction: "maximize",
      sampler: { name: "random", seed: 1 },
    });
    const vals: Array<[number, number]> = [];
    for (let i = 0; i < 10; i++) {
      const t = opt.ask();
      const v = Math.sin(10 * (t.params.x as number));
      vals.push([t.id, v]);
      opt.tell(t.id, v);
    }
    const [bestId, bestVal] = vals.reduce((a, b) => (b[1] > a[1] ? b : a));
    expect(opt.best()).toMatchObject({ id: bestId, value: bestVal });
  });

  it("returns null from best() before anything completes", () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 1 } });
    opt.ask();
    expect(opt.best()).toBeNull();
  });

  it("accepts explicit ids from the platform and continues after the largest one", () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 1 } });
    expect(opt.ask({ id: 17 }).id).toBe(17);
    expect(opt.ask().id).toBe(18);
    expect(codeOf(() => opt.ask({ id: 17 }))).toBe("DUPLICATE_TRIAL");
  });

  it("rejects bad input with precise errors and leaves the state untouched", () => {
    const opt = createOptimizer({ space, sampler: { name: "tpe", seed: 5 }, pruner: { name: "median" } });
    const t = opt.ask();
    opt.report(t.id, 1, 0.5);
    const before = JSON.stringify(opt.serialize());
    expect(codeOf(() => opt.tell(999, 1))).toBe("UNKNOWN_TRIAL");
    expect(codeOf(() => opt.tell(t.id, Number.NaN))).toBe("INVALID_VALUE");
    expect(codeOf(() => opt.tell(t.id, Number.POSITIVE_INFINITY))).toBe("INVALID_VALUE");
    expect(codeOf(() => opt.tell(t.id, [1, 2]))).toBe("INVALID_VALUE");
    expect(codeOf(() => opt.tell(t.id, null))).toBe("INVALID_VALUE");
    expect(codeOf(() => opt.tell(t.id, 1, "exploded" as "failed"))).toBe("INVALID_STATE");
    expect(codeOf(() => opt.report(t.id, 2, Number.NaN))).toBe("INVALID_VALUE");
    expect(codeOf(() => opt.report(t.id, -1, 1))).toBe("INVALID_VALUE");
    expect(codeOf(() => opt.addTrial({ id: t.id, params: t.params, state: "complete", value: 1 }))).toBe("DUPLICATE_TRIAL");
    expect(codeOf(() => opt.addTrial({ id: 50, params: { lr: 5 } as never, state: "complete", value: 1 }))).toBe(
      "INVALID_PARAMS",
    );
    expect(codeOf(() => opt.addTrial({ id: 51, params: t.params, state: "complete" }))).toBe("INVALID_VALUE");
    expect(JSON.stringify(opt.serialize())).toBe(before);
    opt.tell(t.id, 1);
    expect(codeOf(() => opt.tell(t.id, 2))).toBe("TRIAL_FINISHED");
    expect(codeOf(() => opt.report(t.id, 3, 1))).toBe("TRIAL_FINISHED");
    expect(() => opt.tell(t.id, 2)).toThrow("tell: trial 0 is already complete");
  });

  it("rejects bad configs", () => {
    expect(codeOf(() => createOptimizer({ space, sampler: { name: "magic" } as never }))).toBe("INVALID_CONFIG");
    expect(codeOf(() => createOptimizer({ space, direction: "up" as never }))).toBe("INVALID_CONFIG");
    expect(codeOf(() => createOptimizer({ space, sampler: { name: "tpe", nStartupTrials: -1 } }))).toBe("INVALID_CONFIG");
    expect(codeOf(() => createOptimizer({ space, pruner: { name: "percentile", percentile: 120 } }))).toBe("INVALID_CONFIG");
    expect(codeOf(() => createOptimizer({ space, direction: ["minimize", "minimize"], pruner: { name: "median" } }))).toBe(
      "INVALID_CONFIG",
    );
    expect(codeOf(() => createOptimizer({ space: { x: { type: "float", low: 1, high: 0 } } }))).toBe("INVALID_SPACE");
    expect(() => createOptimizer({ space, sampler: { name: "tpe", nCandidates: 3 } as never })).toThrow(
      "sampler.nCandidates: not an option of the tpe sampler",
    );
    expect(() => createOptimizer({ space, pruner: { name: "asha", eta: 3 } as never })).toThrow(
      "pruner.eta: not an option of the asha pruner",
    );
    expect(codeOf(() => createOptimizer({ space, sampler: { name: "gp" }, direction: ["minimize", "maximize"] }))).toBe(
      "INVALID_CONFIG",
    );
  });

  it("keeps a drawn seed in serialize() when none was given", () => {
    const opt = createOptimizer({ space });
    const s = opt.serialize();
    expect(Number.isInteger(s.config.sampler.seed)).toBe(true);
    expect(restoreOptimizer(s).ask().params).toEqual(opt.ask().params);
  });

  it("tells a pruned trial with or without a value and keeps its curve", () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 2 } });
    const t = opt.ask();
    opt.report(t.id, 0, 3);
    opt.report(t.id, 1, 2);
    opt.tell(t.id, null, "pruned");
    expect(opt.trials()[0]).toMatchObject({
      state: "pruned",
      value: null,
      intermediate: [
        [0, 3],
        [1, 2],
      ],
    });
  });

  it("lists the trials of some states only, in id order, as trials() lists them", () => {
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 2 } });
    for (let i = 0; i < 5; i++) {
      const t = opt.ask();
      if (i % 2 === 0) opt.tell(t.id, i);
    }
    opt.tell(1, null, "failed");
    expect(opt.trials(["running"]).map((t) => t.id)).toEqual([3]);
    expect(opt.trials(["complete", "failed"])).toEqual(opt.trials().filter((t) => t.id !== 3));
  });

  it("orders a restored curve by step, the last value given for a step winning", () => {
    const params = createOptimizer({ space, sampler: { name: "random", seed: 2 } }).ask().params;
    const opt = createOptimizer({ space, direction: "maximize", sampler: { name: "random", seed: 2 } });
    opt.addTrial({
      id: 0,
      params,
      state: "running",
      intermediate: [
        [2, 0.5],
        [0, 0.1],
        [2, 0.7],
        [1, 0.3],
      ],
    });
    expect(opt.trials()[0]!.intermediate).toEqual([
      [0, 0.1],
      [1, 0.3],
      [2, 0.7],
    ]);
    opt.addTrial({
      id: 1,
      params,
      state: "running",
      intermediate: [
        [0, 0.2],
        [3, 0.4],
      ],
    });
    expect(opt.trials()[1]!.intermediate).toEqual([
      [0, 0.2],
      [3, 0.4],
    ]);
  });

  it("handles multi-objective values and reports the Pareto front", () => {
    const opt = createOptimizer({
      space: { x: { type: "float", low: 0, high: 1 } },
      direction: ["minimize", "maximize"],
      sampler: { name: "random", seed: 1 },
    });
    const pts: Array<[number, number]> = [
      [1, 1],
      [2, 3],
      [3, 2],
      [0.5, 0.5],
    ];
    for (const p of pts) opt.tell(opt.ask().id, p);
    expect(opt.bestTrials().map((b) => b.value)).toEqual([
      [1, 1],
      [2, 3],
      [0.5, 0.5],
    ]);
    expect(codeOf(() => opt.tell(opt.ask().id, 1))).toBe("INVALID_VALUE");
  });
});
