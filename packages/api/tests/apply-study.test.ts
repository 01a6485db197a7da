/**
 * study.applySpec (config as code) and trial.renewLease through the router: create, resume by
 * name, a changed space refused with each difference named, the `name` override, concurrent
 * applies making one study, and a lease kept alive without a report.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorld, outcome, rowCounts, SPEC, type World } from "./fixture.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const YAML = `name: apply-me
objective: {metric: loss, direction: minimize}
space:
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  layers: {type: int, low: 1, high: 8}
  act: {type: categorical, choices: [relu, gelu]}
budget: {max_trials: 20, max_parallel: 2}
`;

describe("study.applySpec", () => {
  it("creates the study, then resumes it by name; other changes are listed as not applied", async () => {
    const tc = await w.withToken(w.A.token);
    const first = await tc.study.applySpec({ projectId: w.A.projectId, yaml: YAML });
    expect(first).toMatchObject({ name: "apply-me", created: true, state: "running", notApplied: [] });
    const again = await tc.study.applySpec({ projectId: w.A.projectId, yaml: YAML });
    expect(again).toEqual({ ...first, created: false });
    // `log: false` written out is the same space as no `log`; a larger budget is not applied.
    const edited = YAML.replace("{type: int, low: 1, high: 8}", "{type: int, low: 1, high: 8, log: false}").replace(
      "max_trials: 20",
      "max_trials: 50",
    );
    const resumed = await tc.study.applySpec({ projectId: w.A.projectId, yaml: edited });
    expect(resumed).toMatchObject({ id: first.id, created: false, notApplied: ["budget.max_trials: 20 → 50"] });
    const stored = await tc.study.get({ studyId: first.id });
    expect(stored.spec.budget.max_trials).toBe(20);
    const named = (await tc.study.list({ projectId: w.A.projectId })).filter((s) => s.name === "apply-me");
    expect(named).toHaveLength(1);
  });

  it("names a changed run.env value as changed without showing the old or the new value", async () => {
    const tc = await w.withToken(w.A.token);
    const withEnv = (value: string) =>
      YAML.replace("apply-me", "env-change") + `run: {command: "python3 train.py", env: {HF_TOKEN: "${value}"}}\n`;
    await tc.study.applySpec({ projectId: w.A.projectId, yaml: withEnv("hf_stored_secret_1") });
    const r = await tc.study.applySpec({ projectId: w.A.projectId, yaml: withEnv("hf_new_secret_2") });
    expect(r.notApplied).toEqual(["run.env.HF_TOKEN: •••••• → ••••••"]);
    expect(JSON.stringify(r)).not.toMatch(/hf_(stored|new)_secret/);
  });

  it("resumes a study stored before a spec default existed without listing the default as a change", async () => {
    const tc = await w.withToken(w.A.token);
    const yaml = YAML.replace("apply-me", "stored-before");
    const { id } = await tc.study.applySpec({ projectId: w.A.projectId, yaml });
    // The row as written before sampler.seed had a default.
    await w.db.query(`UPDATE studies SET spec = spec #- '{sampler,seed}' WHERE id = $1`, [id]);
    const again = await tc.study.applySpec({ projectId: w.A.projectId, yaml });
    expect(again).toMatchObject({ id, created: false, notApplied: [] });
  });

  it("refuses a changed space or objective with each difference, and stores nothing", async () => {
    const tc = await w.withToken(w.A.token);
    const { id } = await tc.study.applySpec({ projectId: w.A.projectId, yaml: YAML.replace("apply-me", "space-change") });
    const before = await rowCounts(w.db);
    const changed = YAML.replace("apply-me", "space-change")
      .replace("high: 1.0e-1", "high: 0.5")
      .replace(
        "act: {type: categorical, choices: [relu, gelu]}",
        "act: {type: categorical, choices: [relu, gelu, tanh]}\n  wd: {type: float, low: 0, high: 0.1}",
      )
      .replace("direction: minimize", "direction: maximize");
    const r = await outcome(() => tc.study.applySpec({ projectId: w.A.projectId, yaml: changed }));
    expect(r).toMatchObject({ ok: false, code: "CONFLICT", appCode: "STUDY_SPACE_CHANGED" });
    expect((r as { message: string }).message).toBe(
      `Study "space-change" (${id}) exists with a different space or objective: ` +
        'space.act.choices: ["relu","gelu"] → ["relu","gelu","tanh"]; space.lr.high: 0.1 → 0.5; space.wd: only in the file; ' +
        'objective.direction: "minimize" → "maximize". Give the study a new name to start over, or restore the stored values to resume it.',
    );
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("takes a name override, refuses an existing name with ifExists: error, and a bad spec names the field", async () => {
    const tc = await w.withToken(w.A.token);
    const a = await tc.study.applySpec({ projectId: w.A.projectId, spec: SPEC, name: "ci-main-abc123" });
    expect(a).toMatchObject({ name: "ci-main-abc123", created: true });
    expect((await tc.study.get({ studyId: a.id })).spec.name).toBe("ci-main-abc123");
    expect(
      await outcome(() =>
        tc.study.applySpec({ projectId: w.A.projectId, spec: SPEC, name: "ci-main-abc123", ifExists: "error" }),
      ),
    ).toMatchObject({
      ok: false,
      appCode: "STUDY_EXISTS",
      message: `A study named "ci-main-abc123" already exists in this project (${a.id}).`,
    });
    const before = await rowCounts(w.db);
    expect(
      await outcome(() => tc.study.applySpec({ projectId: w.A.projectId, yaml: YAML.replace("low: 1.0e-5", "low: 0") })),
    ).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      appCode: "INVALID_SPEC",
      message: "space.lr.low: must be > 0 when log is true",
    });
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("concurrent applies of one file make one study", async () => {
    const tc = await w.withToken(w.A.token);
    const yaml = YAML.replace("apply-me", "raced");
    const all = await Promise.all(Array.from({ length: 4 }, () => tc.study.applySpec({ projectId: w.A.projectId, yaml })));
    expect(new Set(all.map((r) => r.id)).size).toBe(1);
    expect(all.filter((r) => r.created)).toHaveLength(1);
  });
});

describe("trial.renewLease", () => {
  it("moves the lease forward without storing a value; a finished trial answers TRIAL_NOT_RUNNING", async () => {
    const tc = await w.withToken(w.A.token);
    const { id } = await tc.study.applySpec({ projectId: w.A.projectId, yaml: YAML.replace("apply-me", "renew") });
    const a = await tc.trial.ask({ studyId: id });
    await new Promise((r) => setTimeout(r, 20));
    const { leaseExpiresAt } = await tc.trial.renewLease({ trialId: a.trialId });
    expect(Date.parse(leaseExpiresAt)).toBeGreaterThan(Date.parse(a.leaseExpiresAt));
    expect((await tc.trial.get({ trialId: a.trialId })).intermediate).toEqual([]);
    await tc.trial.tell({ trialId: a.trialId, value: 1 });
    expect(await outcome(() => tc.trial.renewLease({ trialId: a.trialId }))).toMatchObject({
      ok: false,
      appCode: "TRIAL_NOT_RUNNING",
    });
  });
});
