/**
 * S12, the optimizer's time budget as a client sees it, through the real HTTP handler: an ask
 * or an importance query whose optimizer runs past the budget (shrunk to 300 ms) answers 504
 * OPTIMIZER_TIMEOUT with a sentence saying so, and no row changes anywhere. The heaviest
 * accepted ask: a GP study of 200 float params with 100 finished trials (~2 s of fitting).
 * Needs the built optimizer worker (`pnpm --filter @autoglm/scheduler build`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startServer } from "./http.js";
import { makeWorld, rowCounts, type World } from "./fixture.js";

let w: World;
let srv: Awaited<ReturnType<typeof startServer>>;
let studyId: string;

beforeAll(async () => {
  w = await makeWorld({ optimizerTimeoutMs: 300 });
  srv = await startServer(w.deps);
  const space: Record<string, { type: "float"; low: number; high: number }> = {};
  for (let i = 0; i < 200; i++) space[`p${i}`] = { type: "float", low: 0, high: 1 };
  const owner = await w.as(w.A.ownerId, w.A.orgId);
  const study = await owner.study.create({
    projectId: w.A.projectId,
    spec: {
      name: "gp-200",
      objective: { metric: "loss", direction: "minimize" },
      space,
      sampler: { name: "gp", seed: 1 },
      budget: { max_trials: 1000, max_parallel: 8 },
    },
  });
  studyId = study.id;
  // 100 finished trials, as 100 earlier asks and tells would have left them.
  await w.db.query(
    `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt, started_at, finished_at)
     SELECT $1, $2, g, 'complete', (SELECT jsonb_object_agg('p' || j, ((g * 37 + j * 11) % 101) / 100.0) FROM generate_series(0, 199) j),
            (g % 17) / 17.0, 1, now(), now()
     FROM generate_series(0, 99) g`,
    [w.A.orgId, studyId],
  );
  await w.db.query(`UPDATE studies SET next_trial_number = 100 WHERE id = $1`, [studyId]);
}, 120_000);

afterAll(async () => {
  await srv?.close();
  await w?.close();
});

describe("S12: an optimizer call past its time budget", () => {
  it("trial.ask answers 504 OPTIMIZER_TIMEOUT with the reason, and stores nothing", async () => {
    const before = await rowCounts(w.db);
    const r = await post(srv.url, "trial.ask", { studyId }, { authorization: `Bearer ${w.A.token}` });
    expect(r.status).toBe(504);
    expect(r.body.error?.data).toMatchObject({ appCode: "OPTIMIZER_TIMEOUT", httpStatus: 504 });
    expect(r.body.error?.data.userMessage).toBe(
      "The study's optimizer did not propose the next trial's parameters within 300 ms and was stopped; nothing was stored. " +
        "A cheaper sampler (tpe or random), fewer parameters or a smaller study avoids this; try again if the server is busy.",
    );
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("study.importance answers 504 OPTIMIZER_TIMEOUT on a study of 200 params", async () => {
    const r = await get(srv.url, "study.importance", { studyId }, { authorization: `Bearer ${w.A.token}` });
    expect(r.status).toBe(504);
    expect(r.body.error?.data.userMessage).toMatch(/^The study's optimizer did not estimate parameter importance within 300 ms/);
  });
});
