/**
 * budget.stop_when against a real database: a study whose improvement-left estimate falls below
 * its threshold completes with the reason (and a queued study.completed webhook), one whose
 * threshold is out of reach goes on, and a study below 20 complete trials is never judged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { getStudy, insertOrgWithOwner, insertProject, insertStudy, insertUser } from "@autoglm/db/queries";
import { parseStudySpec } from "@autoglm/protocol";
import { askTrial, tellTrial } from "./index.js";
import { ImprovementStop } from "./improvement-stop.js";

let db: TestDb;
let n = 0;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const actor = { userId: null };

async function studyWith(threshold: number) {
  n++;
  const user = await insertUser(db.db, { email: `imp${n}@x.test`, name: "U", passwordHash: "x" });
  const org = await insertOrgWithOwner(db.db, { name: `I${n}`, slug: `imp-${n}`, ownerId: user!.id });
  const p = await insertProject(db.db, { orgId: org.id }, { name: "p", slug: "p", description: null });
  const parsed = parseStudySpec({
    name: "bowl",
    objective: { metric: "loss", direction: "minimize" },
    space: { x: { type: "float", low: -5, high: 5 } },
    sampler: { name: "random", seed: 4 },
    budget: { max_trials: 200, max_parallel: 4, stop_when: { improvement_below: threshold } },
  });
  if (!parsed.ok) throw new Error(parsed.message);
  const scope = { orgId: org.id };
  const row = await insertStudy(db.db, scope, {
    projectId: p!.id,
    name: "bowl",
    spec: parsed.spec,
    direction: "minimize",
    metric: "loss",
    createdBy: null,
  });
  await db.query(
    `INSERT INTO webhooks (org_id, url, secret_ciphertext, events) VALUES ($1, 'https://hooks.example.com/x', 'c', '{study.completed}')`,
    [org.id],
  );
  return { scope, studyId: row.id };
}

async function runTrials(s: { scope: { orgId: string }; studyId: string }, count: number) {
  for (let i = 0; i < count; i++) {
    const t = await askTrial({ db: db.db }, { scope: s.scope, studyId: s.studyId, actor });
    await tellTrial({ db: db.db }, { scope: s.scope, trialId: t.trialId, value: Number(t.params.x) ** 2, actor });
  }
}

describe("budget.stop_when", () => {
  it("completes the study with the reason once the improvement left is below the threshold", async () => {
    const easy = await studyWith(1e6);
    const hard = await studyWith(1e-9);
    const watch = new ImprovementStop(db);
    await runTrials(easy, 19);
    await runTrials(hard, 25);
    // 19 complete trials: too few to judge.
    expect(await watch.check()).toEqual([]);
    await runTrials(easy, 1);
    const stopped = await watch.check();
    expect(stopped.map((s) => s.studyId)).toEqual([easy.studyId]);
    const row = await getStudy(db.db, easy.scope, easy.studyId);
    expect(row).toMatchObject({ state: "completed" });
    expect(row!.stopReason).toMatch(
      /^budget\.stop_when: the improvement left \([\d.e+-]+\) fell below 1000000 after 20 complete trials$/,
    );
    expect((await getStudy(db.db, hard.scope, hard.studyId))!.state).toBe("running");
    const hooks = await db.query<{ event: string; body: string }>(
      `SELECT event, body FROM webhook_deliveries WHERE org_id = $1`,
      [easy.scope.orgId],
    );
    expect(hooks).toHaveLength(1);
    expect(JSON.parse(hooks[0]!.body)).toMatchObject({
      event: "study.completed",
      data: { study: { id: easy.studyId, state: "completed" }, reason: row!.stopReason },
    });
    // Nothing new completed: the estimate is not recomputed, and nothing else stops.
    expect(await watch.check()).toEqual([]);
  });

  it("judges a long study on its latest 200 complete trials, as the page's card does", async () => {
    const s = await studyWith(1e-9);
    // 1,000 varied trials, then 200 that all measured the same loss: over the latest 200 no
    // model sees room to improve (bound 0); over the whole study it still would (bound > 1e-9).
    await db.query(
      `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt)
       SELECT $1, $2, n, 'complete'::trial_state, jsonb_build_object('x', ((n * 7919) % 1000) / 100.0 - 5),
              CASE WHEN n < 1000 THEN power(((n * 7919) % 1000) / 100.0 - 5, 2) ELSE 4 END, 1
       FROM generate_series(0, 1199) AS n`,
      [s.scope.orgId, s.studyId],
    );
    const stopped = await new ImprovementStop(db).check();
    expect(stopped.map((x) => x.studyId)).toContain(s.studyId);
    expect((await getStudy(db.db, s.scope, s.studyId))!.stopReason).toBe(
      "budget.stop_when: the improvement left (0) fell below 1e-9 after 1200 complete trials",
    );
  });
});
