import { describe, expect, it } from "vitest";
import { constraintViolations, objectivesOf, primaryObjective } from "./study-objectives.js";
import { parseStudySpec } from "./study-spec.js";

const base = {
  name: "mo",
  space: { x: { type: "float", low: 0, high: 1 } },
  run: { command: "python3 train.py" },
};
const two = [
  { metric: "val_loss", direction: "minimize" },
  { metric: "latency_ms", direction: "minimize" },
];

function messageOf(spec: object): string {
  const r = parseStudySpec(spec);
  if (r.ok) throw new Error("expected the spec to be rejected");
  return r.message;
}

describe("objectives and constraints in the spec", () => {
  it("accepts objectives and constraints, first objective first", () => {
    const r = parseStudySpec({ ...base, objectives: two, constraints: [{ metric: "memory_gb", max: 16 }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(objectivesOf(r.spec).map((o) => o.metric)).toEqual(["val_loss", "latency_ms"]);
    expect(primaryObjective(r.spec)).toEqual({ metric: "val_loss", direction: "minimize" });
    expect(r.spec.constraints).toEqual([{ metric: "memory_gb", max: 16 }]);
  });

  it("needs exactly one of objective and objectives", () => {
    expect(messageOf(base)).toBe("objective: is required: give objective: {metric, direction}, or objectives: [...] for several");
    expect(messageOf({ ...base, objective: two[0], objectives: two })).toBe(
      "objectives: cannot be combined with objectives: give exactly one of objective or objectives",
    );
  });

  it("refuses fewer than 2, more than 4 and repeated objectives", () => {
    expect(messageOf({ ...base, objectives: [two[0]] })).toContain("objectives: needs at least 2 objectives");
    const five = ["a", "b", "c", "d", "e"].map((metric) => ({ metric, direction: "minimize" }));
    expect(messageOf({ ...base, objectives: five })).toBe("objectives: has more than 4 objectives");
    expect(messageOf({ ...base, objectives: [two[0], two[0]] })).toBe('objectives.1.metric: repeats the metric "val_loss"');
  });

  it("refuses a constraint without a bound, crossed bounds and more than 10", () => {
    expect(messageOf({ ...base, objective: two[0], constraints: [{ metric: "m" }] })).toBe(
      "constraints.0: needs max, min or both",
    );
    expect(messageOf({ ...base, objective: two[0], constraints: [{ metric: "m", min: 2, max: 1 }] })).toBe(
      "constraints.0.min: must not be greater than max",
    );
    const eleven = Array.from({ length: 11 }, (_, i) => ({ metric: `m${i}`, max: 1 }));
    expect(messageOf({ ...base, objective: two[0], constraints: eleven })).toBe("constraints: has more than 10 constraints");
  });

  it("refuses stop_when and register with several objectives, and a pruner without pruner.objective", () => {
    expect(messageOf({ ...base, objectives: two, budget: { stop_when: { improvement_below: 0.01 } } })).toContain(
      "budget.stop_when: needs a single objective",
    );
    expect(messageOf({ ...base, objectives: two, register: { model: "m" } })).toBe(
      "register: needs a single objective: a multi-objective study has no one best trial; register a Pareto trial instead",
    );
    expect(messageOf({ ...base, objectives: two, pruner: { name: "median" } })).toBe(
      "pruner.objective: is required with several objectives: name the one the pruner reads (one of val_loss, latency_ms), or use pruner name none",
    );
    expect(messageOf({ ...base, objectives: two, pruner: { name: "median", objective: "acc" } })).toBe(
      'pruner.objective: "acc" is not one of the objectives (val_loss, latency_ms)',
    );
    expect(parseStudySpec({ ...base, objectives: two, pruner: { name: "median", objective: "latency_ms" } }).ok).toBe(true);
    expect(messageOf({ ...base, objective: two[0], pruner: { name: "median", objective: "val_loss" } })).toBe(
      "pruner.objective: applies to multi-objective studies only",
    );
  });

  it("checks every objective and constraint metric against a builtin run's metrics", () => {
    const builtin = { builtin: { trainer: "mlp", dataset: "digits" } };
    const msg = messageOf({
      ...base,
      run: builtin,
      objectives: [
        { metric: "val_loss", direction: "minimize" },
        { metric: "latency_ms", direction: "minimize" },
      ],
      constraints: [{ metric: "memory_gb", max: 1 }],
    });
    expect(msg).toContain("objectives.1.metric: run.builtin (mlp on digits) reports");
    expect(msg).toContain('"latency_ms" is not one of them');
    expect(msg).toContain("constraints.0.metric: run.builtin (mlp on digits) reports");
  });
});

describe("constraintViolations", () => {
  it("gives value − max, min − value (the larger with both bounds), and the first missing metric", () => {
    const cs = [
      { metric: "mem", max: 16 },
      { metric: "acc", min: 0.9 },
      { metric: "t", min: 1, max: 3 },
    ];
    expect(constraintViolations(cs, { mem: 20, acc: 0.95, t: 0 })).toEqual({ violations: [4, expect.closeTo(-0.05, 12), 1] });
    expect(constraintViolations(cs, { mem: 1, t: 2 })).toEqual({ missing: "acc" });
  });
});
