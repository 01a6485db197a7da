import { describe, expect, it } from "vitest";
import { AutoglmError } from "./errors.js";
import { parseStudyYaml } from "./spec.js";

const GOOD = `
name: branin-demo
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: -5, high: 10}
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  act: {type: categorical, choices: [relu, "no", tanh]}
  optimizer: {type: categorical, choices: [sgd, adamw]}
  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
sampler: {name: random, seed: 0}
budget: {max_trials: 100, max_parallel: 4}
`;

function failure(text: string): AutoglmError {
  try {
    parseStudyYaml(text, "study.yaml");
  } catch (err) {
    if (err instanceof AutoglmError) return err;
    throw err;
  }
  throw new Error("expected the spec to be rejected");
}

describe("parseStudyYaml", () => {
  it("parses the issue's example with defaults filled in", () => {
    const spec = parseStudyYaml(GOOD);
    expect(spec.name).toBe("branin-demo");
    expect(spec.space.lr).toEqual({ type: "float", low: 1e-5, high: 0.1, log: true });
    // YAML 1.2: "no" stays a string, 1.0e-5 is a number.
    expect(spec.space.act).toMatchObject({ choices: ["relu", "no", "tanh"] });
    expect(spec.budget.lease_minutes).toBe(10);
    expect(spec.pruner).toEqual({ name: "none" });
  });

  it("names the field: space.lr.low must be > 0 when log is true", () => {
    const err = failure(GOOD.replace("low: 1.0e-5", "low: 0"));
    expect(err.code).toBe("INVALID_SPEC");
    expect(err.message).toBe("space.lr.low: must be > 0 when log is true");
    expect(err.issues).toEqual([{ path: "space.lr.low", message: "must be > 0 when log is true" }]);
  });

  it("reports every bad field, each by its path", () => {
    const err = failure(
      GOOD.replace("direction: minimize", "direction: down").replace(
        "type: categorical, choices: [sgd, adamw]",
        "type: categorical, choices: []",
      ),
    );
    expect(err.message).toContain("objective.direction:");
    expect(err.message).toContain("space.optimizer.choices: needs at least one choice");
  });

  it("says where YAML syntax breaks, with file, line and column", () => {
    const err = failure("name: x\nspace: {a: [1,\n");
    expect(err.code).toBe("INVALID_YAML");
    expect(err.message).toMatch(/^study\.yaml:\d+:\d+: invalid YAML: /);
  });

  it("rejects duplicate keys instead of silently keeping the last", () => {
    const err = failure("name: a\nname: b\n");
    expect(err.code).toBe("INVALID_YAML");
    expect(err.message).toMatch(/study\.yaml:2:\d+/);
  });

  it("refuses an alias bomb (a 75,000-item list behind 99 aliases) before building it", () => {
    const list = `[${Array(75_000).fill("1").join(",")}]`;
    const params = Array.from({ length: 99 }, (_, i) => `  p${i + 1}: {type: categorical, choices: *a}`).join("\n");
    const err = failure(
      `name: bomb\nobjective: {metric: loss, direction: minimize}\nspace:\n  p0: {type: categorical, choices: &a ${list}}\n${params}\n`,
    );
    expect(err.code).toBe("INVALID_YAML");
    expect(err.message).toBe(
      "study.yaml: invalid YAML: the document has more than 5000 keys and values; a study spec needs far fewer",
    );
  });

  it("rejects an empty file and a non-mapping", () => {
    expect(failure("").message).toBe("study.yaml is empty");
    expect(failure("- a\n- b\n").message).toContain("must be a mapping");
  });
});
