/**
 * study.importance per objective and per method: each objective of a multi-objective study
 * gets its own ranking, fANOVA or PED-ANOVA, and a bad objective is refused by name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorld, outcome, type World } from "./fixture.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe("study.importance", () => {
  it("ranks the parameter that matters for each objective, by fANOVA and by PED-ANOVA", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const s = await owner.study.create({
      projectId: w.A.projectId,
      yaml: [
        "name: two-objectives",
        "objectives:",
        "  - {metric: loss, direction: minimize}",
        "  - {metric: latency_ms, direction: maximize}",
        "space:",
        "  x: {type: float, low: -1, high: 1}",
        "  y: {type: float, low: -1, high: 1}",
        "  noise: {type: float, low: 0, high: 1}",
        "sampler: {name: random, seed: 3}",
        "budget: {max_trials: 80, max_parallel: 2}",
        "",
      ].join("\n"),
    });
    const tc = await w.withToken(w.A.token);
    for (let i = 0; i < 60; i++) {
      const a = await tc.trial.ask({ studyId: s.id });
      const x = Number(a.params.x);
      const y = Number(a.params.y);
      // loss depends on x only, latency on y only.
      await tc.trial.tell({ trialId: a.trialId, values: [x * x, -((y - 0.5) ** 2)] });
    }
    const top = async (objective?: number, method?: "fanova" | "ped-anova"): Promise<string> => {
      const imp = await owner.study.importance({ studyId: s.id, objective, method });
      expect(imp.basedOn).toBe(60);
      expect(imp.params.reduce((a, p) => a + p.share, 0)).toBeCloseTo(1, 6);
      return imp.params[0]!.name;
    };
    expect(await top()).toBe("x");
    expect(await top(0, "fanova")).toBe("x");
    expect(await top(1, "fanova")).toBe("y");
    expect(await top(0, "ped-anova")).toBe("x");
    expect(await top(1, "ped-anova")).toBe("y");
    expect(await outcome(() => owner.study.importance({ studyId: s.id, objective: 2 }))).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      message: "objective: the study's objectives are 0 (loss), 1 (latency_ms); got 2.",
    });
    expect(await outcome(() => owner.study.importance({ studyId: s.id, method: "shap" as "fanova" }))).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
    });
  });
});
