/**
 * The trial lifecycle facade on a real database (PGlite, or PostgreSQL with DATABASE_URL):
 * one stop for every kind of trial, one study completion for ask/tell and agent studies,
 * and the run loop's top-up through the same insert.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { getStudy, getTrial } from "@autoglm/db/queries";
import { seedAgent, seedRunStudy, seedTeam, seedWaitingTrials, type TeamFixture } from "./agent-fixtures.js";
import { askTrial, leaseTrial, SchedulerLoop, tellTrial, TrialLifecycle, type SchedulerError } from "./index.js";

let db: TestDb;
let team: TeamFixture;
let lifecycle: TrialLifecycle;
beforeAll(async () => {
  db = await createTestDb();
  team = await seedTeam(db, "lifecycle");
  lifecycle = new TrialLifecycle({ db });
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const RUN = { command: "python train.py" };
const actor = { userId: null };
const scope = () => ({ orgId: team.orgId });

describe("stopTrial", () => {
  it("ends an agent's trial, a program's trial and a queued trial alike: failed USER_STOPPED", async () => {
    const agentStudy = await seedRunStudy(db, team, { run: RUN, budget: { max_trials: 5, max_parallel: 2 } } as never);
    await seedWaitingTrials(db, team, agentStudy, 2);
    const agentId = await seedAgent(db, team, { name: "stop-agent", maxTrials: 1 });
    const leased = (await leaseTrial(db, { agentId, leaseTtlMs: 60_000 }))!;
    const askStudy = await seedRunStudy(db, team, { run: RUN, budget: { max_trials: 5, max_parallel: 2 } } as never);
    const asked = await askTrial({ db: db.db }, { scope: scope(), studyId: askStudy, actor });
    const [queued] = await db.query<{ id: string }>(`SELECT id FROM trials WHERE study_id = $1 AND state = 'waiting'`, [
      agentStudy,
    ]);

    const other = await seedTeam(db, "lifecycle-other");
    expect(await lifecycle.stopTrial({ orgId: other.orgId, trialId: leased.trialId })).toBeNull();

    const ended = [];
    for (const trialId of [leased.trialId, asked.trialId, queued!.id])
      ended.push(await lifecycle.stopTrial({ orgId: team.orgId, trialId }));
    expect(ended.map((e) => [e?.trialId, e?.state, e?.agentId])).toEqual([
      [leased.trialId, "failed", agentId],
      [asked.trialId, "failed", null],
      [queued!.id, "failed", null],
    ]);
    for (const e of ended) {
      expect(await getTrial(db.db, scope(), e!.trialId)).toMatchObject({
        state: "failed",
        endCode: "USER_STOPPED",
        endReason: "stopped by a user",
      });
    }
    expect(await lifecycle.stopTrial({ orgId: team.orgId, trialId: leased.trialId })).toBeNull();
  });
});

describe("study completion", () => {
  it("fails an ask/tell study at budget.max_failures as it fails an agent study, stopping its other trials", async () => {
    const studyId = await seedRunStudy(db, team, {
      run: RUN,
      budget: { max_trials: 10, max_parallel: 3, max_failures: 2 },
    } as never);
    const deps = { db: db.db };
    const trials = [];
    for (let i = 0; i < 3; i++) trials.push(await askTrial(deps, { scope: scope(), studyId, actor }));
    await tellTrial(deps, { scope: scope(), trialId: trials[0]!.trialId, state: "failed", actor });
    expect((await getStudy(db.db, scope(), studyId))?.state).toBe("running");
    await tellTrial(deps, { scope: scope(), trialId: trials[1]!.trialId, state: "failed", actor });
    expect((await getStudy(db.db, scope(), studyId))?.state).toBe("failed");
    expect(await getTrial(db.db, scope(), trials[2]!.trialId)).toMatchObject({
      state: "failed",
      endCode: "STUDY_STOPPED",
      endReason: "budget.max_failures (2) reached",
    });
    const refused = await askTrial(deps, { scope: scope(), studyId, actor }).catch((e: SchedulerError) => e.code);
    expect(refused).toBe("STUDY_NOT_RUNNING");
  });

  it("the run loop tops a study up through the one insert and completes it once its trials are done", async () => {
    // A team of its own: leases are per team, and the other tests' studies get topped up too.
    const own = await seedTeam(db, "lifecycle-loop");
    const studyId = await seedRunStudy(db, own, {
      run: RUN,
      sampler: { name: "random", seed: 1 },
      budget: { max_trials: 3, max_parallel: 2 },
    } as never);
    const loop = new SchedulerLoop({ db });
    try {
      await loop.topUp();
      const queued = await db.query(`SELECT 1 FROM trials WHERE study_id = $1 AND state = 'waiting'`, [studyId]);
      expect(queued).toHaveLength(2);
      const agentId = await seedAgent(db, own, { name: "loop-agent", maxTrials: 3 });
      for (let round = 0; round < 3; round++) {
        const lease = await leaseTrial(db, { agentId, leaseTtlMs: 60_000 });
        if (!lease) break;
        await lifecycle.endAttempt({
          trialId: lease.trialId,
          leaseToken: lease.leaseToken,
          mode: "complete",
          code: "COMPLETED",
          reason: "completed",
          value: round,
        });
        await loop.topUp();
      }
      const rows = await db.query<{ number: number; state: string }>(
        `SELECT number, state FROM trials WHERE study_id = $1 ORDER BY number`,
        [studyId],
      );
      expect(rows.map((r) => [Number(r.number), r.state])).toEqual([
        [0, "complete"],
        [1, "complete"],
        [2, "complete"],
      ]);
      expect(await getStudy(db.db, { orgId: own.orgId }, studyId)).toMatchObject({ state: "completed", bestValue: 0 });
    } finally {
      await loop.stop();
    }
  });
});
