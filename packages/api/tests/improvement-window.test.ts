/**
 * study.improvement and study.importance on a long study: the models are fitted on the latest
 * complete trials only (a bounded cost per request whatever the study's size), and the
 * improvement history is still plotted against the study's own count of complete trials.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMPORTANCE_MAX_TRIALS } from "../src/procedures/study/get-importance.js";
import { IMPROVEMENT_MAX_TRIALS } from "@autoglm/optimizer";
import { makeWorld, type World } from "./fixture.js";

const N = 1_200;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

/** N trials written as rows: loss (x - 0.3)², every 40th infeasible, every 13th still running. */
async function longStudy() {
  const owner = await w.as(w.A.ownerId, w.A.orgId);
  const s = await owner.study.create({
    projectId: w.A.projectId,
    yaml: `name: long-improvement\nobjective: {metric: loss, direction: minimize}\nspace:\n  x: {type: float, low: 0, high: 1}\n  y: {type: float, low: 0, high: 1}\nsampler: {name: random, seed: 1}\nbudget: {max_trials: ${N}}\n`,
  });
  await w.db.query(
    `INSERT INTO trials (org_id, study_id, number, state, params, value, feasible, attempt)
     SELECT $1, $2, n, CASE WHEN n % 13 = 5 THEN 'running' ELSE 'complete' END::trial_state,
            jsonb_build_object('x', ((n * 7919) % 1000) / 1000.0, 'y', ((n * 104729) % 997) / 997.0),
            CASE WHEN n % 13 = 5 THEN NULL ELSE power(((n * 7919) % 1000) / 1000.0 - 0.3, 2) END,
            CASE WHEN n % 40 = 7 THEN false ELSE true END, 1
     FROM generate_series(0, $3 - 1) AS n`,
    [w.A.orgId, s.id, N],
  );
  const numbers = Array.from({ length: N }, (_, n) => n);
  const complete = numbers.filter((n) => n % 13 !== 5);
  return { owner, studyId: s.id, complete, feasible: complete.filter((n) => n % 40 !== 7) };
}

describe("models of a long study", () => {
  it("improvement: fitted on the latest feasible trials, plotted against the study's count", async () => {
    const { owner, studyId, feasible } = await longStudy();
    const got = await owner.study.improvement({ studyId });
    expect(got.total).toBe(feasible.length);
    expect(got.basedOn).toBe(IMPROVEMENT_MAX_TRIALS);
    const counts = got.points.map((p) => p.trials);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // The first estimate needs the window's first 20 trials; the last rests on all of the study's.
    expect(counts[0]).toBe(feasible.length - IMPROVEMENT_MAX_TRIALS + 20);
    expect(counts.at(-1)).toBe(feasible.length);
    expect(got.points.every((p) => p.bound >= 0)).toBe(true);

    const importance = await owner.study.importance({ studyId });
    expect(importance.basedOn).toBe(IMPORTANCE_MAX_TRIALS);
    expect(importance.params[0]!.name).toBe("x");
  }, 120_000);
});
