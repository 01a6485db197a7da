import { describe, expect, it } from "vitest";
import { parseSpecYaml } from "./spec-yaml.js";
import { parseStudySpec } from "./study-spec.js";

const base = {
  name: "own-server",
  objective: { metric: "loss", direction: "minimize" },
  space: { x: { type: "float", low: 0, high: 1 } },
  run: { command: "python3 train.py" },
};

function messageOf(spec: unknown): string {
  const r = parseStudySpec(spec);
  if (r.ok) throw new Error("expected the spec to be rejected");
  return r.message;
}

describe("the study spec's serve section", () => {
  it("fills the health path and startup timeout, and keeps the command as written", () => {
    const r = parseStudySpec({ ...base, serve: { command: "python3 serve.py --port {port}" } });
    expect(r.ok && r.spec.serve).toEqual({ command: "python3 serve.py --port {port}", health: "/ping", startup_timeout_s: 120 });
    const own = parseStudySpec({ ...base, serve: { command: "./serve", health: "/healthz?deep=1", startup_timeout_s: 5 } });
    expect(own.ok && own.spec.serve).toEqual({ command: "./serve", health: "/healthz?deep=1", startup_timeout_s: 5 });
  });

  it("reads the same from YAML", () => {
    const yaml = parseSpecYaml(
      "name: y\nobjective: {metric: loss, direction: minimize}\nspace: {x: {type: float, low: 0, high: 1}}\n" +
        "run: {command: python3 train.py}\nserve:\n  command: node serve.mjs --port {port}\n  startup_timeout_s: 30\n",
    );
    const r = parseStudySpec(yaml.ok ? yaml.value : null);
    expect(r.ok && r.spec.serve).toEqual({ command: "node serve.mjs --port {port}", health: "/ping", startup_timeout_s: 30 });
  });

  it("names the field of each mistake", () => {
    expect(messageOf({ ...base, serve: { command: "  " } })).toContain("serve.command: is required");
    expect(messageOf({ ...base, serve: {} })).toContain("serve.command: Required");
    expect(messageOf({ ...base, serve: { command: "x", health: "ping" } })).toContain("serve.health: must be a path");
    expect(messageOf({ ...base, serve: { command: "x", health: "/a b" } })).toContain("serve.health: must be a path");
    expect(messageOf({ ...base, serve: { command: "x", startup_timeout_s: 0 } })).toContain("serve.startup_timeout_s");
    expect(messageOf({ ...base, serve: { command: "x", startup_timeout_s: 3601 } })).toContain("serve.startup_timeout_s");
    expect(messageOf({ ...base, serve: { command: "x", port: 8080 } })).toContain("serve: Unrecognized key(s) in object: 'port'");
  });

  it("needs a study that runs its own command", () => {
    const { run: _run, ...noRun } = base;
    expect(messageOf({ ...noRun, serve: { command: "x" } })).toContain("serve: needs a run section with run.command");
    const builtin = { ...base, run: { builtin: { trainer: "mlp", dataset: "digits" } }, serve: { command: "x" } };
    expect(messageOf(builtin)).toContain("serve: needs run.command");
  });
});
