import { describe, expect, it } from "vitest";
import { parseStudySpec } from "./study-spec.js";

const valid = {
  name: "branin-demo",
  objective: { metric: "loss", direction: "minimize" },
  space: {
    x: { type: "float", low: -5, high: 10 },
    lr: { type: "float", low: 1e-5, high: 1e-1, log: true },
    layers: { type: "int", low: 1, high: 8 },
    width: { type: "int", low: 16, high: 1024, log: true },
    act: { type: "categorical", choices: ["relu", "gelu", "tanh"] },
    optimizer: { type: "categorical", choices: ["sgd", "adamw"] },
    dropout: { type: "float", low: 0, high: 0.5, step: 0.05 },
    momentum: { type: "float", low: 0.5, high: 0.99, when: { optimizer: "sgd" } },
  },
  sampler: { name: "random", seed: 0 },
  pruner: { name: "none" },
  budget: { max_trials: 100, max_parallel: 4, timeout_minutes: 60 },
  run: { command: "python3 train.py --lr {lr} --layers {layers}", resources: { gpus: 1 } },
};

function messageFor(patch: (s: any) => void): string {
  const spec = structuredClone(valid) as any;
  patch(spec);
  const r = parseStudySpec(spec);
  if (r.ok) throw new Error("expected the spec to be rejected");
  return r.message;
}

describe("study spec", () => {
  it("accepts the documented example and fills defaults", () => {
    const r = parseStudySpec(valid);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.spec.budget.max_attempts).toBe(3);
      expect(r.spec.budget.lease_minutes).toBe(10);
      expect(r.spec.run?.resources.gpus).toBe(1);
    }
  });

  it("defaults sampler and pruner when omitted", () => {
    const { sampler, pruner, ...rest } = valid;
    const r = parseStudySpec(rest);
    expect(r.ok && r.spec.sampler.name).toBe("random");
    expect(r.ok && r.spec.pruner.name).toBe("none");
  });

  it("names the field of each mistake", () => {
    expect(messageFor((s) => (s.space.lr.low = 0))).toBe("space.lr.low: must be > 0 when log is true");
    expect(messageFor((s) => (s.space.x.low = 20))).toBe("space.x.low: must not be greater than high");
    expect(messageFor((s) => (s.space.act.choices = []))).toContain("space.act.choices: needs at least one choice");
    expect(messageFor((s) => (s.space.momentum.when = { opt: "sgd" }))).toBe(
      'space.momentum.when.opt: refers to unknown parameter "opt"',
    );
    expect(messageFor((s) => (s.space.momentum.when = { optimizer: "adam" }))).toBe(
      "space.momentum.when.optimizer: \"adam\" is not one of optimizer's choices",
    );
    expect(messageFor((s) => (s.budget.max_trials = 0))).toContain("budget.max_trials");
    expect(messageFor((s) => (s.sampler.name = "bogus"))).toContain("sampler.name");
    expect(messageFor((s) => (s.space.x.type = "double"))).toContain("space.x.type: type must be one of float, int, categorical");
    expect(messageFor((s) => (s.objective.direction = "down"))).toContain("objective.direction");
    expect(messageFor((s) => (s.name = " "))).toBe("name: is required");
    expect(messageFor((s) => (s.space = {}))).toBe("space: needs at least one parameter");
    expect(messageFor((s) => (s.run = { resources: {} }))).toBe("run: needs exactly one of command or builtin");
    expect(messageFor((s) => (s.extra = 1))).toContain("Unrecognized key");
  });

  it("rejects non-finite numbers", () => {
    expect(messageFor((s) => (s.space.x.high = Number.POSITIVE_INFINITY))).toContain("space.x.high");
    expect(messageFor((s) => (s.space.x.low = Number.NaN))).toContain("space.x.low");
  });
});
