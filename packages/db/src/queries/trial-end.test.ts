/**
 * endTrialAttemptById and its neighbours, on the real database (PGlite, or PostgreSQL with
 * DATABASE_URL): lease fencing (R2), the attempt budget with non-consuming codes (R10, R11),
 * the best value that never goes backwards, and the same statement inside a transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, seedStudy, type TestDb } from "../testing.js";
import {
  endTrialAttemptById,
  failWaitingTrial,
  fillAttemptReportById,
  findTrialLeaseById,
  getStudy,
  getTrial,
  insertAttempt,
  insertTrial,
  lastTrialValueById,
  listTrialAttempts,
  unleaseTrialById,
  upsertTrialValue,
  withTransaction,
  type TEndAttemptQuery,
} from "./index.js";
import type { TenantScope } from "./scope.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function team(tag: string, budget: Record<string, number> = {}) {
  const { scope, studyId } = await seedStudy(db, tag, { budget });
  const study = { id: studyId };
  let number = 0;
  /** A trial leased to its program (ask) or an agent slot (agent), attempt 1 open. */
  async function leased(kind: "ask" | "agent", token: string) {
    const t = await insertTrial(db.db, scope, { studyId: study.id, number: number++, state: "running", params: {}, attempt: 1 });
    await db.query(
      `UPDATE trials SET lease_kind = $2, lease_token = $3, lease_expires_at = now() + interval '1 minute' WHERE id = $1`,
      [t.id, kind, token],
    );
    await insertAttempt(db.db, scope, { trialId: t.id, attempt: 1, leaseKind: kind, startedAt: new Date() });
    return t.id;
  }
  return { scope, studyId: study.id, leased };
}

const TOKEN = "00000000-0000-4000-8000-000000000001";
const OTHER = "00000000-0000-4000-8000-000000000002";

function end(trialId: string, patch: Partial<TEndAttemptQuery>): TEndAttemptQuery {
  return {
    trialId,
    leaseKind: "agent",
    leaseToken: TOKEN,
    agentId: null,
    attempt: null,
    agentMustAct: false,
    orgId: null,
    onlyIfExpired: false,
    mode: "complete",
    code: "COMPLETED",
    consumesAttempt: true,
    nonConsumingCodes: ["AGENT_SHUTDOWN", "LEASE_NOT_DELIVERED"],
    reason: "done",
    value: 1,
    values: null,
    constraintValues: null,
    lastStep: null,
    logTail: null,
    at: null,
    ...patch,
  };
}

/** Leases the trial again as attempt n + 1, the way the lease statement does. */
async function release(trialId: string, scope: TenantScope) {
  const [r] = await db.query<{ attempt: number }>(
    `UPDATE trials SET state = 'running', attempt = attempt + 1, lease_kind = 'agent', lease_token = $2 WHERE id = $1 RETURNING attempt`,
    [trialId, TOKEN],
  );
  await insertAttempt(db.db, scope, { trialId, attempt: Number(r!.attempt), leaseKind: "agent", startedAt: new Date() });
}

describe("endTrialAttemptById", () => {
  it("changes nothing for a stale token, another kind of lease or a lease that has not lapsed", async () => {
    const t = await team("end-fence");
    const id = await t.leased("agent", TOKEN);
    expect(await endTrialAttemptById(db, end(id, { leaseToken: OTHER }))).toBeNull();
    expect(await endTrialAttemptById(db, end(id, { leaseKind: "ask" }))).toBeNull();
    expect(await endTrialAttemptById(db, end(id, { onlyIfExpired: true, mode: "retry", code: "AGENT_LOST" }))).toBeNull();
    expect((await getTrial(db.db, t.scope, id))?.state).toBe("running");
  });

  it("re-queues within max_attempts, not counting non-consuming ends, then fails saying why", async () => {
    const t = await team("end-retry", { max_attempts: 2 });
    const id = await t.leased("agent", TOKEN);
    const lost = end(id, { mode: "retry", code: "AGENT_LOST", reason: "the agent went away", value: null });
    expect(await endTrialAttemptById(db, lost)).toMatchObject({ state: "waiting", attempt: 1, leaseToken: TOKEN });
    await release(id, t.scope);
    const handback = { ...lost, code: "AGENT_SHUTDOWN", consumesAttempt: false };
    expect(await endTrialAttemptById(db, handback)).toMatchObject({ state: "waiting", attempt: 2 });
    await release(id, t.scope);
    expect(await endTrialAttemptById(db, lost)).toMatchObject({ state: "failed", attempt: 3 });
    const row = (await getTrial(db.db, t.scope, id))!;
    expect(row).toMatchObject({ endCode: "AGENT_LOST", endReason: "the agent went away (gave up after 2 of 2 attempts)" });
    expect((await listTrialAttempts(db.db, t.scope, id)).map((a) => [a.attempt, a.endCode, a.endedAt !== null])).toEqual([
      [1, "AGENT_LOST", true],
      [2, "AGENT_SHUTDOWN", true],
      [3, "AGENT_LOST", true],
    ]);
  });

  it("moves the study's best value only forward in its direction", async () => {
    const t = await team("end-best");
    for (const [value, best] of [
      [5, 5],
      [7, 5],
      [2, 2],
    ] as const) {
      const id = await t.leased("agent", TOKEN);
      await endTrialAttemptById(db, end(id, { value }));
      expect((await getStudy(db.db, t.scope, t.studyId))?.bestValue).toBe(best);
    }
  });

  it("stores values and constraint violations, and never makes an infeasible trial best", async () => {
    const t = await team("end-feasible");
    const first = await t.leased("agent", TOKEN);
    expect(await endTrialAttemptById(db, end(first, { value: 5, values: [5, 30], constraintValues: [-1, 0] }))).toMatchObject({
      values: [5, 30],
      constraintValues: [-1, 0],
      feasible: true,
    });
    const better = await t.leased("agent", TOKEN);
    const ended = await endTrialAttemptById(db, end(better, { value: 1, values: [1, 10], constraintValues: [2.5, -3] }));
    expect(ended).toMatchObject({ state: "complete", feasible: false, constraintValues: [2.5, -3] });
    expect(await getTrial(db.db, t.scope, better)).toMatchObject({ value: 1, values: [1, 10], feasible: false });
    const study = await getStudy(db.db, t.scope, t.studyId);
    expect(study).toMatchObject({ bestValue: 5, bestTrialId: first });
  });

  it("ends an ask-trial inside a transaction at the caller's time and drops its token", async () => {
    const t = await team("end-ask");
    const id = await t.leased("ask", TOKEN);
    const at = new Date("2031-05-01T12:00:00Z");
    const ended = await withTransaction(db.db, (tx) =>
      endTrialAttemptById(tx, end(id, { leaseKind: "ask", leaseToken: null, code: null, value: 0.5, at })),
    );
    expect(ended).toMatchObject({ state: "complete", value: 0.5 });
    const row = (await getTrial(db.db, t.scope, id))!;
    expect(row).toMatchObject({ state: "complete", leaseToken: null, endCode: null, finishedAt: at });
    expect((await listTrialAttempts(db.db, t.scope, id))[0]?.endedAt).toEqual(at);
  });

  it("a user's stop matches only the trial's own team", async () => {
    const t = await team("end-org");
    const other = await team("end-org-other");
    const id = await t.leased("agent", TOKEN);
    const stop = { leaseKind: null, leaseToken: null, mode: "failed", code: "USER_STOPPED", value: null } as const;
    expect(await endTrialAttemptById(db, end(id, { ...stop, orgId: other.scope.orgId }))).toBeNull();
    expect(await endTrialAttemptById(db, end(id, { ...stop, orgId: t.scope.orgId }))).toMatchObject({ state: "failed" });
  });
});

describe("the other per-trial lifecycle queries", () => {
  it("unleaseTrialById erases the declined attempt and gives its number back", async () => {
    const t = await team("unlease");
    const id = await t.leased("agent", TOKEN);
    expect(await unleaseTrialById(db, { trialId: id, leaseToken: OTHER })).toBe(false);
    expect(await unleaseTrialById(db, { trialId: id, leaseToken: TOKEN })).toBe(true);
    expect(await getTrial(db.db, t.scope, id)).toMatchObject({ state: "waiting", attempt: 0, leaseToken: null, startedAt: null });
    expect(await listTrialAttempts(db.db, t.scope, id)).toEqual([]);
  });

  it("reads the last report, the lease an agent presents, and fills a missing log tail once", async () => {
    const t = await team("lease-view");
    const id = await t.leased("agent", TOKEN);
    expect(await lastTrialValueById(db, id)).toBeNull();
    await upsertTrialValue(db.db, t.scope, { trialId: id, step: 3, value: 0.3, attempt: 1 });
    await upsertTrialValue(db.db, t.scope, { trialId: id, step: 1, value: 0.9, attempt: 1 });
    expect(await lastTrialValueById(db, id)).toEqual({ step: 3, value: 0.3 });
    expect(await findTrialLeaseById(db, id)).toEqual({
      state: "running",
      leaseKind: "agent",
      leaseToken: TOKEN,
      attempt: 1,
      agentId: null,
      metric: "loss",
      valueMetrics: { objectives: ["loss"], constraints: [] },
      agentMayAct: null,
    });
    // A multi-objective study's completion is read for each objective and constraint metric.
    await db.query(
      `UPDATE studies SET spec = spec - 'objective' || '{"objectives": [{"metric": "loss", "direction": "minimize"}, {"metric": "ms", "direction": "minimize"}], "constraints": [{"metric": "gb", "max": 4}]}'::jsonb WHERE id = $1`,
      [t.studyId],
    );
    expect((await findTrialLeaseById(db, id))?.valueMetrics).toEqual({
      objectives: ["loss", "ms"],
      constraints: [{ metric: "gb", max: 4 }],
    });
    // Asked for an agent, the same read says whether its token may act: no such agent, no.
    expect(await findTrialLeaseById(db, id, "00000000-0000-4000-8000-0000000000ff")).toMatchObject({ agentMayAct: false });
    await fillAttemptReportById(db, { trialId: id, attempt: 1, logTail: "first", source: { git: "abcdef1" } });
    await fillAttemptReportById(db, { trialId: id, attempt: 1, logTail: "second", source: { git: "1234567" } });
    expect((await listTrialAttempts(db.db, t.scope, id))[0]?.logTail).toBe("first");
    const [stored] = await db.query<{ source: unknown }>("SELECT source FROM trial_attempts WHERE trial_id = $1", [id]);
    expect(stored?.source).toEqual({ git: "abcdef1" });
  });

  it("failWaitingTrial fails a queued trial of the scope's team only", async () => {
    const t = await team("fail-waiting");
    const other = await team("fail-waiting-other");
    const q = await insertTrial(db.db, t.scope, { studyId: t.studyId, number: 50, state: "waiting", params: {} });
    const input = { trialId: q.id, code: "USER_STOPPED", reason: "stopped by a user", at: null };
    expect(await failWaitingTrial(db, other.scope, input)).toBeNull();
    expect(await failWaitingTrial(db, t.scope, input)).toMatchObject({ trialId: q.id, studyId: t.studyId, number: 50 });
    expect(await getTrial(db.db, t.scope, q.id)).toMatchObject({ state: "failed", endCode: "USER_STOPPED" });
    expect(await failWaitingTrial(db, t.scope, input)).toBeNull();
  });
});
