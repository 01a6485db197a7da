/**
 * renewAskLease against a real database (PGlite, or Postgres with DATABASE_URL): a renewed
 * trial outlives its lease without a report; an unrenewed one is swept; a finished or
 * another tenant's trial is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import {
  getTrial,
  insertOrgWithOwner,
  insertProject,
  insertStudy,
  insertUser,
  listTrialValues,
  type TenantScope,
} from "@autoglm/db/queries";
import { parseStudySpec } from "@autoglm/protocol";
import { askTrial, renewAskLease, sweepExpiredAskLeases, tellTrial } from "./index.js";

let db: TestDb;
let n = 0;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const actor = { userId: null };

async function study(): Promise<{ scope: TenantScope; studyId: string }> {
  n++;
  const user = await insertUser(db.db, { email: `renew${n}@x.test`, name: "U", passwordHash: "x" });
  const org = await insertOrgWithOwner(db.db, { name: `R${n}`, slug: `r-${n}`, ownerId: user!.id });
  const p = await insertProject(db.db, { orgId: org.id }, { name: "p", slug: "p", description: null });
  const parsed = parseStudySpec({
    name: "renew",
    objective: { metric: "loss", direction: "minimize" },
    space: { x: { type: "float", low: 0, high: 1 } },
    sampler: { name: "random", seed: 1 },
  });
  if (!parsed.ok) throw new Error(parsed.message);
  const row = await insertStudy(
    db.db,
    { orgId: org.id },
    {
      projectId: p!.id,
      name: "renew",
      spec: parsed.spec,
      direction: "minimize",
      metric: "loss",
      createdBy: null,
    },
  );
  return { scope: { orgId: org.id }, studyId: row.id };
}

describe("renewAskLease", () => {
  it("keeps a trial that reports nothing past its lease; the one not renewed is swept", async () => {
    const s = await study();
    const d = { db: db.db, config: { askLeaseMs: 1000 } };
    const renewed = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    const silent = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const { leaseExpiresAt } = await renewAskLease(d, { scope: s.scope, trialId: renewed.trialId });
      expect(leaseExpiresAt.getTime()).toBeGreaterThan(Date.now() + 500);
    }
    // 1.5 s have passed: the silent trial's 1 s lease is over, the renewed one's is not.
    expect((await sweepExpiredAskLeases(d)).expired).toBe(1);
    expect((await getTrial(db.db, s.scope, silent.trialId))!).toMatchObject({ state: "failed", endCode: "LEASE_EXPIRED" });
    expect((await getTrial(db.db, s.scope, renewed.trialId))!.state).toBe("running");
    // A renewal stores no intermediate value.
    expect(await listTrialValues(db.db, s.scope, renewed.trialId)).toEqual([]);
    await tellTrial(d, { scope: s.scope, trialId: renewed.trialId, value: 0.5, actor });
  });

  it("refuses a finished trial (TRIAL_NOT_RUNNING) and answers another tenant's trial as NOT_FOUND", async () => {
    const s = await study();
    const other = await study();
    const d = { db: db.db };
    const a = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    await expect(renewAskLease(d, { scope: other.scope, trialId: a.trialId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await tellTrial(d, { scope: s.scope, trialId: a.trialId, value: 1, actor });
    await expect(renewAskLease(d, { scope: s.scope, trialId: a.trialId })).rejects.toMatchObject({
      code: "TRIAL_NOT_RUNNING",
      userMessage: "Trial 0 is complete; its lease cannot be renewed.",
    });
  });
});
