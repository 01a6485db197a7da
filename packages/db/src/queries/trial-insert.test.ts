/** insertNextTrialById: numbers and the trial budget are taken in the insert's own statement. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, seedStudy, type TestDb } from "../testing.js";
import { getStudy, getTrial, insertNextTrialById, listTrialAttempts, updateStudyById, withTransaction } from "./index.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function study(tag: string, budget: Record<string, number>) {
  const { scope, studyId } = await seedStudy(db, tag, { budget });
  return { scope, studyId };
}

const queued = { params: { x: 1 }, expectNumber: null, lease: null };

describe("insertNextTrialById", () => {
  it("queues trials 0, 1, 2 and refuses past budget.max_trials", async () => {
    const s = await study("insert-budget", { max_trials: 3 });
    const numbers = [];
    for (let i = 0; i < 4; i++) numbers.push((await insertNextTrialById(db, s.studyId, queued))?.number ?? null);
    expect(numbers).toEqual([0, 1, 2, null]);
    expect((await getStudy(db.db, s.scope, s.studyId))?.nextTrialNumber).toBe(3);
  });

  it("hands out a running ask-trial with its attempt in a transaction, only for the number it expects", async () => {
    const s = await study("insert-ask", { max_trials: 10 });
    const at = new Date("2031-01-01T00:00:00Z");
    const lease = {
      kind: "ask" as const,
      token: "00000000-0000-4000-8000-0000000000aa",
      expiresAt: new Date(at.getTime() + 60_000),
      startedAt: at,
    };
    expect(await insertNextTrialById(db, s.studyId, { params: {}, expectNumber: 4, lease })).toBeNull();
    const t = await withTransaction(db.db, (tx) =>
      insertNextTrialById(tx, s.studyId, { params: { lr: 0.1 }, expectNumber: 0, lease }),
    );
    expect(t).toMatchObject({ number: 0, orgId: s.scope.orgId });
    expect(await getTrial(db.db, s.scope, t!.trialId)).toMatchObject({
      state: "running",
      attempt: 1,
      leaseKind: "ask",
      leaseToken: lease.token,
      leaseExpiresAt: lease.expiresAt,
      startedAt: at,
      params: { lr: 0.1 },
    });
    expect((await listTrialAttempts(db.db, s.scope, t!.trialId)).map((a) => [a.attempt, a.leaseKind, a.endedAt])).toEqual([
      [1, "ask", null],
    ]);
  });

  it("inserts nothing into a study that is not running", async () => {
    const s = await study("insert-stopped", { max_trials: 10 });
    await updateStudyById(db.db, s.studyId, { state: "stopped" });
    expect(await insertNextTrialById(db, s.studyId, queued)).toBeNull();
  });
});
