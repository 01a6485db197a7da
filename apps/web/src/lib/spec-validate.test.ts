import { describe, expect, it } from "vitest";
import { EXAMPLE_STUDY_YAML } from "./example-spec";
import { checkSpec, checkYaml, issuesFromMessage } from "./spec-validate";
import { safeCallback } from "./auth-client";
import { formatDuration, formatValue } from "./format";

describe("study spec validation in the editor", () => {
  it("accepts the documented example", () => {
    expect(checkYaml(EXAMPLE_STUDY_YAML)).toMatchObject({ ok: true });
  });

  it("names the field for a log-scale float with low <= 0", () => {
    const r = checkYaml(EXAMPLE_STUDY_YAML.replace("lr: {type: float, low: 1.0e-5", "lr: {type: float, low: 0"));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toContainEqual({ path: "space.lr.low", message: "must be > 0 when log is true" });
  });

  it("reports a YAML syntax error with its line", () => {
    const r = checkYaml("name: x\nspace: {a: [\n");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]!.path).toMatch(/^line \d+|\(yaml\)$/);
  });

  it("refuses an alias bomb (a 75,000-item list behind 99 aliases) before building it", () => {
    const list = `[${Array(75_000).fill("1").join(",")}]`;
    const params = Array.from({ length: 99 }, (_, i) => `  p${i + 1}: {type: categorical, choices: *a}`).join("\n");
    const r = checkYaml(
      `name: bomb\nobjective: {metric: loss, direction: minimize}\nspace:\n  p0: {type: categorical, choices: &a ${list}}\n${params}\n`,
    );
    expect(r).toEqual({
      ok: false,
      issues: [{ path: "(yaml)", message: "the document has more than 5000 keys and values; a study spec needs far fewer" }],
    });
  });

  it("names sampler.grid_size for a grid past the point bound, as the API does", () => {
    const space = Object.fromEntries(Array.from({ length: 62 }, (_, i) => [`x${i}`, { type: "float", low: 0, high: 1 }]));
    const r = checkSpec({
      name: "g",
      objective: { metric: "loss", direction: "minimize" },
      space,
      sampler: { name: "grid", grid_size: 100000 },
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues).toEqual([
        {
          path: "sampler.grid_size",
          message: expect.stringMatching(/^the grid over 62 parameters at 100000 points per axis has about 10\^310 points/),
        },
      ]);
  });

  it("rejects a document that is not a mapping", () => {
    expect(checkYaml("- 1\n- 2\n")).toMatchObject({ ok: false, issues: [{ path: "(spec)" }] });
  });

  it("splits a server userMessage back into field issues", () => {
    expect(
      issuesFromMessage(
        "space.lr.low: must be > 0 when log is true; budget.max_trials: Number must be greater than or equal to 1",
      ),
    ).toEqual([
      { path: "space.lr.low", message: "must be > 0 when log is true" },
      { path: "budget.max_trials", message: "Number must be greater than or equal to 1" },
    ]);
    expect(issuesFromMessage("You do not have permission.")).toEqual([]);
  });
});

describe("sign-in callback URLs", () => {
  it("keeps same-site paths and refuses open redirects", () => {
    expect(safeCallback("/studies/1")).toBe("/studies/1");
    expect(safeCallback("https://evil.test/")).toBe("/projects");
    expect(safeCallback("//evil.test")).toBe("/projects");
    expect(safeCallback("/\\evil.test")).toBe("/projects");
    // Browsers strip the tab: "/\t/evil.test" is "//evil.test", another site.
    expect(safeCallback("/\t/evil.test/phish")).toBe("/projects");
    expect(safeCallback(null)).toBe("/projects");
  });
});

describe("number formatting", () => {
  it("shows values compactly", () => {
    expect(formatValue(null)).toBe("—");
    expect(formatValue(0.123456789)).toBe("0.123457");
    expect(formatValue(1e-7)).toBe("1.0000e-7");
    expect(formatDuration("2026-01-01T00:00:00Z", "2026-01-01T00:00:01.500Z")).toBe("1.5 s");
  });
});
