/** Study completion, exactly once, by one rule (budget spent and nothing in flight; max_failures). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, seedStudy, type TestDb } from "../testing.js";
import { finishSpentStudies, finishSpentStudyById, getStudy, insertNextTrialById, listStudiesToTopUp } from "./index.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function study(tag: string, spec: Record<string, unknown>) {
  const { scope, studyId } = await seedStudy(db, tag, spec);
  const s = { id: studyId };
  const ids: string[] = [];
  for (;;) {
    const t = await insertNextTrialById(db, s.id, { params: {}, expectNumber: null, lease: null });
    if (!t) break;
    ids.push(t.trialId);
  }
  const setState = (i: number, state: string) => db.query(`UPDATE trials SET state = $2 WHERE id = $1`, [ids[i], state]);
  return { scope, studyId: s.id, ids, setState };
}

describe("finishSpentStudyById", () => {
  it("completes a study once its max_trials are handed out and none is in flight, once", async () => {
    const s = await study("done-complete", { budget: { max_trials: 2 } });
    const at = new Date("2031-02-03T04:05:06Z");
    await s.setState(0, "complete");
    expect(await finishSpentStudyById(db, s.studyId, at)).toBeNull();
    await s.setState(1, "pruned");
    const done = await Promise.all([finishSpentStudyById(db, s.studyId, at), finishSpentStudyById(db, s.studyId, at)]);
    expect(done.filter(Boolean)).toEqual([{ studyId: s.studyId, orgId: s.scope.orgId, state: "completed", maxFailures: null }]);
    expect(await getStudy(db.db, s.scope, s.studyId)).toMatchObject({ state: "completed", stoppedAt: at });
  });

  it("fails a study at budget.max_failures failed trials, with trials still in flight", async () => {
    const s = await study("done-failures", { budget: { max_trials: 5, max_failures: 2 } });
    await s.setState(0, "failed");
    expect(await finishSpentStudyById(db, s.studyId, null)).toBeNull();
    await s.setState(1, "failed");
    expect(await finishSpentStudyById(db, s.studyId, null)).toMatchObject({ state: "failed", maxFailures: 2 });
  });
});

describe("the run loop's passes", () => {
  it("finishSpentStudies finishes every spent study; listStudiesToTopUp says how many trials each agent study lacks", async () => {
    const run = { command: "python train.py" };
    const spent = await study("pass-spent", { budget: { max_trials: 1 }, run });
    await spent.setState(0, "complete");
    const open = await study("pass-open", { budget: { max_trials: 10, max_parallel: 3 }, run });
    await open.setState(0, "complete");
    await open.setState(1, "complete");
    await open.setState(2, "complete");
    await open.setState(3, "complete");
    await open.setState(4, "complete");
    await open.setState(5, "complete");
    await open.setState(6, "complete");
    await open.setState(7, "complete");
    await open.setState(8, "running");
    const finished = await finishSpentStudies(db);
    expect(finished.map((f) => f.studyId)).toContain(spent.studyId);
    expect(finished.map((f) => f.studyId)).not.toContain(open.studyId);
    const topUp = await listStudiesToTopUp(db);
    expect(topUp.filter((t) => [spent.studyId, open.studyId].includes(t.studyId))).toEqual([]);
  });
});
