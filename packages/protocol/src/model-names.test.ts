import { describe, expect, it } from "vitest";
import { parseModelRef } from "./model-names.js";
import { parseStudySpec } from "./study-spec.js";

describe("models:/ references", () => {
  it("names a version by alias, by number or as the latest, with or without the scheme", () => {
    expect(parseModelRef("models:/digits-mlp@champion")).toEqual({ name: "digits-mlp", alias: "champion" });
    expect(parseModelRef("models:/digits-mlp/3")).toEqual({ name: "digits-mlp", version: 3 });
    expect(parseModelRef("digits-mlp@production")).toEqual({ name: "digits-mlp", alias: "production" });
    expect(parseModelRef("digits-mlp/latest")).toEqual({ name: "digits-mlp", latest: true });
    expect(parseModelRef("digits-mlp")).toEqual({ name: "digits-mlp", latest: true });
  });

  it("refuses what is not one, saying why", () => {
    expect(parseModelRef("models:/a/b/c")).toMatch(/the version must be a number from 1/);
    expect(parseModelRef("models:/../etc@x")).toMatch(/the model name must be/);
    expect(parseModelRef("m@a/b")).toMatch(/the alias must be/);
    expect(parseModelRef("m/0")).toMatch(/the version must be a number from 1/);
  });
});

describe("the spec's register section", () => {
  const base = {
    name: "s",
    objective: { metric: "loss", direction: "minimize" },
    space: { x: { type: "float", low: 0, high: 1 } },
  };

  it("defaults the alias to candidate", () => {
    const r = parseStudySpec({ ...base, run: { command: "true" }, register: { model: "m1" } });
    expect(r.ok && r.spec.register).toEqual({ model: "m1", alias: "candidate" });
  });

  it("needs a run section and a valid model name", () => {
    const noRun = parseStudySpec({ ...base, register: { model: "m1" } });
    expect(noRun).toMatchObject({ ok: false, issues: [{ path: "register", message: expect.stringContaining("run section") }] });
    const slash = parseStudySpec({ ...base, run: { command: "true" }, register: { model: "a/b" } });
    expect(slash).toMatchObject({ ok: false, issues: [{ path: "register.model", message: expect.stringContaining('no "/"') }] });
  });
});
