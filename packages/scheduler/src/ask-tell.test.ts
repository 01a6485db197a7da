/**
 * The ask/tell core against a real database (PGlite, or Postgres with DATABASE_URL):
 * numbering, leases and their expiry (shrunk to 1 s), max_parallel / max_trials, concurrent
 * asks, reproducibility under a seed, idempotent reports, the pruner, tell/best/completion,
 * stop, and the demo seed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedDemo } from "@autoglm/db/seed";
import {
  getStudy,
  insertOrgWithOwner,
  insertProject,
  insertStudy,
  insertUser,
  listTrialAttempts,
  getTrial,
  listTrialValues,
  loadStudyHistory,
  type TenantScope,
} from "@autoglm/db/queries";
import { parseStudySpec, type TStudySpecInput } from "@autoglm/protocol";
import {
  askTrial,
  reportTrial,
  type SchedulerError,
  seedDemoStudy,
  stopStudy,
  StudyHistoryCache,
  sweepExpiredAskLeases,
  tellTrial,
  type TAskTellDeps,
} from "./index.js";

let db: TestDb;
let n = 0;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const actor = { userId: null };

async function tenant(): Promise<{ scope: TenantScope; projectId: string; userId: string }> {
  n++;
  const user = await insertUser(db.db, { email: `u${n}@x.test`, name: "U", passwordHash: "x" });
  const org = await insertOrgWithOwner(db.db, { name: `T${n}`, slug: `t-${n}`, ownerId: user!.id });
  const p = await insertProject(db.db, { orgId: org.id }, { name: "p", slug: "p", description: null });
  return { scope: { orgId: org.id }, projectId: p!.id, userId: user!.id };
}

async function study(partial: Partial<TStudySpecInput> & { budget?: Record<string, number> } = {}) {
  const t = await tenant();
  const parsed = parseStudySpec({
    name: "s",
    objective: { metric: "loss", direction: "minimize" },
    space: { x: { type: "float", low: -5, high: 5 }, k: { type: "int", low: 1, high: 9 } },
    sampler: { name: "random", seed: 11 },
    ...partial,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  const row = await insertStudy(db.db, t.scope, {
    projectId: t.projectId,
    name: parsed.spec.name,
    spec: parsed.spec,
    direction: parsed.spec.objective!.direction,
    metric: parsed.spec.objective!.metric,
    createdBy: null,
  });
  return { ...t, studyId: row.id };
}

const deps = () => ({ db: db.db });

describe("askTrial", () => {
  it("hands out numbered running trials with an ask-lease, an attempt row and an audit row", async () => {
    const s = await study({ budget: { lease_minutes: 10 } } as never);
    const before = Date.now();
    const a = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    const b = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    expect([a.number, b.number]).toEqual([0, 1]);
    expect(a.leaseExpiresAt.getTime() - before).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
    const t = await getTrial(db.db, s.scope, a.trialId);
    expect(t).toMatchObject({ state: "running", leaseKind: "ask", attempt: 1 });
    expect(await listTrialAttempts(db.db, s.scope, a.trialId)).toMatchObject([{ attempt: 1, leaseKind: "ask", endedAt: null }]);
    expect((await getStudy(db.db, s.scope, s.studyId))!.nextTrialNumber).toBe(2);
    const audit = await db.query<{ action: string }>(`select action from audit_log where target_id = $1`, [a.trialId]);
    expect(audit.map((r) => r.action)).toEqual(["trial.ask"]);
    expect(a.events.map((e) => e.type)).toEqual(["trial:updated", "study:updated"]);
  });

  it("another tenant's study is NOT_FOUND", async () => {
    const s = await study();
    const other = await tenant();
    await expect(askTrial(deps(), { scope: other.scope, studyId: s.studyId, actor })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("respects max_parallel (waiting + running) and max_trials, then completes the study", async () => {
    const s = await study({ budget: { max_trials: 3, max_parallel: 2 } } as never);
    const a = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    await expect(askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor })).rejects.toMatchObject({
      code: "MAX_PARALLEL_REACHED",
    });
    await tellTrial(deps(), { scope: s.scope, trialId: a.trialId, value: 1, actor });
    const c = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    expect(c.number).toBe(2);
    await expect(askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor })).rejects.toMatchObject({
      code: "STUDY_BUDGET_EXHAUSTED",
    });
    const trials = await db.query<{ id: string; state: string }>(
      `select id, state from trials where study_id = $1 and state = 'running'`,
      [s.studyId],
    );
    for (const t of trials) await tellTrial(deps(), { scope: s.scope, trialId: t.id, value: 2, actor });
    expect((await getStudy(db.db, s.scope, s.studyId))!.state).toBe("completed");
  });

  it("concurrent asks never hand out the same number and never exceed max_parallel", async () => {
    const s = await study({ budget: { max_trials: 100, max_parallel: 6 } } as never);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor })),
    );
    const ok = results
      .filter((r) => r.status === "fulfilled")
      .map((r) => (r as PromiseFulfilledResult<{ number: number }>).value.number);
    const refused = results
      .filter((r) => r.status === "rejected")
      .map((r) => (r as PromiseRejectedResult).reason as SchedulerError);
    expect(ok.length).toBe(6);
    expect(new Set(ok).size).toBe(6);
    expect([...ok].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(refused.every((e) => e.code === "MAX_PARALLEL_REACHED")).toBe(true);
  });

  it("is reproducible: the same seed gives the same parameter sequence; another seed does not", async () => {
    async function run(seed: number) {
      const s = await study({ sampler: { name: "random", seed } });
      const seq: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        const a = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
        seq.push(a.params);
        await tellTrial(deps(), { scope: s.scope, trialId: a.trialId, value: i, actor });
      }
      return seq;
    }
    const one = await run(123);
    expect(await run(123)).toEqual(one);
    expect(await run(124)).not.toEqual(one);
  });
});

describe("reportTrial", () => {
  it("stores a value per step idempotently and renews the lease", async () => {
    const s = await study();
    let t = 1_000_000;
    const clock = { now: () => new Date(Date.UTC(2030, 0, 1) + t) };
    const d: TAskTellDeps = { db: db.db, clock, config: { askLeaseMs: 60_000 } };
    const a = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    t += 30_000;
    const r1 = await reportTrial(d, { scope: s.scope, trialId: a.trialId, step: 0, value: 1.5 });
    const r2 = await reportTrial(d, { scope: s.scope, trialId: a.trialId, step: 0, value: 1.5 });
    expect(r1.prune).toBe(false);
    expect(r2.leaseExpiresAt.getTime()).toBe(a.leaseExpiresAt.getTime() + 30_000);
    await reportTrial(d, { scope: s.scope, trialId: a.trialId, step: 3, value: 1.2 });
    expect(await listTrialValues(db.db, s.scope, a.trialId)).toEqual([
      { step: 0, value: 1.5 },
      { step: 3, value: 1.2 },
    ]);
    expect((await getTrial(db.db, s.scope, a.trialId))!.lastStep).toBe(3);
  });

  it("feeds the study's pruner (median): a hopeless trial is told to prune, a good one not", async () => {
    const s = await study({ pruner: { name: "median", n_startup_trials: 2, n_warmup_steps: 0 } });
    for (let i = 0; i < 3; i++) {
      const a = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
      await reportTrial(deps(), { scope: s.scope, trialId: a.trialId, step: 0, value: 1 + i * 0.1 });
      await tellTrial(deps(), { scope: s.scope, trialId: a.trialId, value: 1 + i * 0.1, actor });
    }
    const bad = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    expect(await reportTrial(deps(), { scope: s.scope, trialId: bad.trialId, step: 0, value: 100 })).toMatchObject({
      prune: true,
      reason: "median: its best value so far, 100, is worse than the median (1.1) of 3 finished trials at step 0",
    });
    // Replaying the same step gives the same answer.
    expect((await reportTrial(deps(), { scope: s.scope, trialId: bad.trialId, step: 0, value: 100 })).prune).toBe(true);
    const good = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    const goodAnswer = await reportTrial(deps(), { scope: s.scope, trialId: good.trialId, step: 0, value: 0.5 });
    expect(goodAnswer.prune).toBe(false);
    expect(goodAnswer.reason).toBeUndefined();
    await tellTrial(deps(), { scope: s.scope, trialId: bad.trialId, state: "pruned", actor });
    expect(await getTrial(db.db, s.scope, bad.trialId)).toMatchObject({ state: "pruned", value: 100, endCode: "PRUNED" });
  });

  it("refuses reports on finished trials", async () => {
    const s = await study();
    const a = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    await tellTrial(deps(), { scope: s.scope, trialId: a.trialId, value: 1, actor });
    await expect(reportTrial(deps(), { scope: s.scope, trialId: a.trialId, step: 1, value: 1 })).rejects.toMatchObject({
      code: "TRIAL_NOT_RUNNING",
    });
  });
});

describe("StudyHistoryCache", () => {
  /** What a full read of the study gives, in the cache's shape. */
  async function fullRead(s: { scope: TenantScope; studyId: string }) {
    return (await loadStudyHistory(db.db, s.scope, s.studyId)).map((h) => ({
      trial: {
        number: h.trial.number,
        state: h.trial.state,
        params: h.trial.params,
        value: h.trial.value,
        values: h.trial.values,
        constraintValues: h.trial.constraintValues,
        proposedBy: h.trial.proposedBy,
      },
      intermediate: h.intermediate,
    }));
  }

  it("gives what a full read gives as trials report, finish, and a finished one is run again", async () => {
    const s = await study({ pruner: { name: "median", n_startup_trials: 1, n_warmup_steps: 0 } });
    const cache = new StudyHistoryCache();
    const d = { db: db.db, histories: cache };
    const trials = [];
    for (let i = 0; i < 3; i++) {
      const a = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
      for (let step = 0; step < 3; step++)
        await reportTrial(d, { scope: s.scope, trialId: a.trialId, step, value: 2 - step * 0.5 + i });
      trials.push(a);
    }
    expect(await cache.load(db.db, s.studyId)).toEqual(await fullRead(s));
    await tellTrial(d, { scope: s.scope, trialId: trials[0]!.trialId, value: 1, actor });
    await tellTrial(d, { scope: s.scope, trialId: trials[1]!.trialId, state: "pruned", actor });
    expect(await cache.load(db.db, s.studyId)).toEqual(await fullRead(s));
    // The finished trial 0 is run again (as a retry does) and reports a different curve: its
    // row changes, and the cache must not serve the curve it read before.
    await db.query(`UPDATE trials SET state = 'running', attempt = attempt + 1, value = NULL, updated_at = now() WHERE id = $1`, [
      trials[0]!.trialId,
    ]);
    await db.query(`UPDATE trial_values SET value = value + 10, attempt = attempt + 1 WHERE trial_id = $1`, [trials[0]!.trialId]);
    await db.query(`UPDATE trials SET state = 'complete', value = 11, updated_at = now() WHERE id = $1`, [trials[0]!.trialId]);
    const again = await cache.load(db.db, s.studyId);
    expect(again).toEqual(await fullRead(s));
    expect(again[0]!.intermediate).toEqual([
      [0, 12],
      [1, 11.5],
      [2, 11],
    ]);
    // The cache's curves are its own: editing what it returned changes nothing it serves.
    again[1]!.intermediate.pop();
    expect(await cache.load(db.db, s.studyId)).toEqual(await fullRead(s));
  });

  it("keeps the pruner's answers those of a full read while trials finish between reports", async () => {
    const s = await study({ pruner: { name: "median", n_startup_trials: 1, n_warmup_steps: 0 } });
    const d = { db: db.db, histories: new StudyHistoryCache() };
    const first = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    await reportTrial(d, { scope: s.scope, trialId: first.trialId, step: 0, value: 1 });
    const late = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    // Nothing has finished: nothing to compare with.
    expect((await reportTrial(d, { scope: s.scope, trialId: late.trialId, step: 0, value: 5 })).prune).toBe(false);
    await tellTrial(d, { scope: s.scope, trialId: first.trialId, value: 1, actor });
    // Now the finished trial is the median: the cached study must include it.
    expect(await reportTrial(d, { scope: s.scope, trialId: late.trialId, step: 1, value: 5 })).toMatchObject({ prune: true });
  });

  it("holds at most its bound of values, dropping the least recently used study", async () => {
    const cache = new StudyHistoryCache(5);
    const a = await study();
    const b = await study();
    for (const st of [a, b]) {
      const t = await askTrial({ db: db.db, histories: cache }, { scope: st.scope, studyId: st.studyId, actor });
      for (let step = 0; step < 3; step++)
        await reportTrial({ db: db.db, histories: cache }, { scope: st.scope, trialId: t.trialId, step, value: step });
      await tellTrial({ db: db.db, histories: cache }, { scope: st.scope, trialId: t.trialId, value: 1, actor });
    }
    await cache.load(db.db, a.studyId);
    await cache.load(db.db, b.studyId);
    expect(cache.heldValues()).toBe(3);
    expect(await cache.load(db.db, a.studyId)).toEqual(await fullRead(a));
  });
});

describe("tellTrial", () => {
  it("keeps the study's best in its direction; a retried tell is a no-op; a different one is refused", async () => {
    const s = await study({ objective: { metric: "acc", direction: "maximize" } });
    const vals = [0.3, 0.9, 0.5];
    const ids: string[] = [];
    for (const v of vals) {
      const a = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
      await tellTrial(deps(), { scope: s.scope, trialId: a.trialId, value: v, actor });
      ids.push(a.trialId);
    }
    const st = (await getStudy(db.db, s.scope, s.studyId))!;
    expect(st.bestValue).toBe(0.9);
    expect(st.bestTrialId).toBe(ids[1]);
    await expect(tellTrial(deps(), { scope: s.scope, trialId: ids[0]!, value: 0.3, actor })).resolves.toEqual({ events: [] });
    await expect(tellTrial(deps(), { scope: s.scope, trialId: ids[0]!, value: 0.4, actor })).rejects.toMatchObject({
      code: "TRIAL_NOT_RUNNING",
    });
    const a = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    await expect(tellTrial(deps(), { scope: s.scope, trialId: a.trialId, actor })).rejects.toMatchObject({
      code: "VALUE_REQUIRED",
    });
    await tellTrial(deps(), { scope: s.scope, trialId: a.trialId, state: "failed", reason: "diverged", actor });
    expect(await getTrial(db.db, s.scope, a.trialId)).toMatchObject({
      state: "failed",
      endCode: "USER_REPORTED_FAILURE",
      endReason: "diverged",
    });
    const att = await listTrialAttempts(db.db, s.scope, a.trialId);
    expect(att[0]!.endedAt).not.toBeNull();
  });
});

describe("ask-lease expiry (lease shrunk to 1 s)", () => {
  it("a trial whose program went away is failed with LEASE_EXPIRED; a reporting one is kept; the study goes on", async () => {
    const s = await study();
    const d = { db: db.db, config: { askLeaseMs: 1000 } };
    const gone = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    const alive = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    await new Promise((r) => setTimeout(r, 600));
    await reportTrial(d, { scope: s.scope, trialId: alive.trialId, step: 0, value: 1 });
    await new Promise((r) => setTimeout(r, 600));
    const swept = await sweepExpiredAskLeases(d);
    expect(swept.expired).toBe(1);
    expect(swept.events).toContainEqual({
      type: "trial:updated",
      orgId: s.scope.orgId,
      studyId: s.studyId,
      trialId: gone.trialId,
    });
    const t = (await getTrial(db.db, s.scope, gone.trialId))!;
    expect(t.state).toBe("failed");
    expect(t.endCode).toBe("LEASE_EXPIRED");
    expect(t.endReason).toMatch(/^no report for 1 second; the program that asked for this trial went away$/);
    expect((await listTrialAttempts(db.db, s.scope, gone.trialId))[0]).toMatchObject({ endCode: "LEASE_EXPIRED" });
    expect((await getTrial(db.db, s.scope, alive.trialId))!.state).toBe("running");
    // The study goes on.
    const next = await askTrial(d, { scope: s.scope, studyId: s.studyId, actor });
    expect(next.number).toBe(2);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await sweepExpiredAskLeases(d)).expired).toBe(2);
    expect((await getStudy(db.db, s.scope, s.studyId))!.state).toBe("running");
  });
});

describe("stopStudy", () => {
  it("fails in-flight ask-trials with STUDY_STOPPED and refuses further asks", async () => {
    const s = await study();
    const a = await askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor });
    const r = await stopStudy(deps(), { scope: s.scope, studyId: s.studyId, actor });
    expect(r.stoppedTrials).toBe(1);
    expect(await getTrial(db.db, s.scope, a.trialId)).toMatchObject({ state: "failed", endCode: "STUDY_STOPPED" });
    await expect(askTrial(deps(), { scope: s.scope, studyId: s.studyId, actor })).rejects.toMatchObject({
      code: "STUDY_NOT_RUNNING",
    });
    expect((await stopStudy(deps(), { scope: s.scope, studyId: s.studyId, actor })).stoppedTrials).toBe(0);
  });
});

describe("seedDemoStudy", () => {
  it("creates the running branin-demo study with 20 finished trials, idempotently", async () => {
    const rows = await seedDemo(db, { passwordHash: "hash" });
    const again = await seedDemo(db, { passwordHash: "other" });
    expect(again).toMatchObject({ userId: rows.userId, orgId: rows.orgId, projectId: rows.projectId, created: false });
    const first = await seedDemoStudy(db, rows);
    const second = await seedDemoStudy(db, rows);
    expect(second).toEqual({ studyId: first.studyId, created: false });
    const [c] = await db.query<{ n: number; best: number }>(
      `select count(*)::int as n, min(value) as best from trials where study_id = $1 and state = 'complete'`,
      [first.studyId],
    );
    expect(Number(c!.n)).toBe(20);
    expect(Number(c!.best)).toBeGreaterThan(0.397); // Branin's minimum is 0.397887
    const st = (await getStudy(db.db, { orgId: rows.orgId }, first.studyId))!;
    expect(st.state).toBe("running");
    expect(st.bestValue).toBe(Number(c!.best));
  });
});
