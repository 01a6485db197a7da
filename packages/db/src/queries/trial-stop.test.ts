/** A study's stop, trial by trial, and the lease sweeps' scan: scoped to the team (and project). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, seedStudy, type TestDb } from "../testing.js";
import {
  failWaitingTrialsOfStudy,
  getTrial,
  insertProject,
  insertTrial,
  listExpiredLeases,
  listRunningTrialIdsOfStudy,
} from "./index.js";
import type { TenantScope } from "./scope.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

/** A study with trial 0 waiting, 1 running on an agent, 2 running for an ask program, 3 complete. */
async function study(tag: string) {
  const { scope, studyId } = await seedStudy(db, tag);
  const other = (await insertProject(db.db, scope, { name: "q", slug: "q", description: null }))!;
  const s = { id: studyId };
  const ids: string[] = [];
  for (const [number, state, kind] of [
    [0, "waiting", null],
    [1, "running", "agent"],
    [2, "running", "ask"],
    [3, "complete", null],
  ] as const) {
    const t = await insertTrial(db.db, scope, { studyId: s.id, number, state, params: {}, leaseKind: kind });
    ids.push(t.id);
  }
  return { scope, otherProject: { orgId: scope.orgId, projectId: other.id }, studyId: s.id, ids };
}

describe("stopping a study's trials", () => {
  it("lists the running trials by lease kind, and none for another team or project", async () => {
    const s = await study("stop-list");
    const b = await study("stop-list-b");
    const list = (scope: TenantScope, leaseKind: "ask" | "agent" | null) =>
      listRunningTrialIdsOfStudy(db, scope, { studyId: s.studyId, leaseKind });
    expect(await list(s.scope, null)).toEqual([s.ids[1], s.ids[2]]);
    expect(await list(s.scope, "ask")).toEqual([s.ids[2]]);
    expect(await list(b.scope, null)).toEqual([]);
    expect(await list(s.otherProject, null)).toEqual([]);
  });

  it("fails the waiting trials with the code, within the scope only", async () => {
    const s = await study("stop-waiting");
    const input = { studyId: s.studyId, code: "STUDY_STOPPED", reason: "the study was stopped", at: null };
    expect(await failWaitingTrialsOfStudy(db, s.otherProject, input)).toEqual([]);
    expect(await failWaitingTrialsOfStudy(db, s.scope, input)).toEqual([{ trialId: s.ids[0], number: 0, attempt: 0 }]);
    expect(await getTrial(db.db, s.scope, s.ids[0]!)).toMatchObject({ state: "failed", endCode: "STUDY_STOPPED" });
    expect(await getTrial(db.db, s.scope, s.ids[1]!)).toMatchObject({ state: "running" });
  });
});

describe("listExpiredLeases", () => {
  it("finds running leases of one kind that lapsed by the given time, oldest first", async () => {
    const s = await study("expired");
    await db.query(`UPDATE trials SET lease_expires_at = $2 WHERE id = $1`, [s.ids[1], "2020-01-01T00:00:10Z"]);
    await db.query(`UPDATE trials SET lease_expires_at = $2 WHERE id = $1`, [s.ids[2], "2020-01-01T00:00:05Z"]);
    const at = new Date("2020-01-01T00:00:07Z");
    const ask = await listExpiredLeases(db, { leaseKind: "ask", at, limit: 10 });
    expect(ask.filter((e) => e.studyId === s.studyId).map((e) => e.trialId)).toEqual([s.ids[2]]);
    const agent = await listExpiredLeases(db, { leaseKind: "agent", at, limit: 10 });
    expect(agent.filter((e) => e.studyId === s.studyId)).toEqual([]);
    const later = await listExpiredLeases(db, { leaseKind: "agent", at: null, limit: 10 });
    expect(later.filter((e) => e.studyId === s.studyId).map((e) => [e.trialId, e.number])).toEqual([[s.ids[1], 1]]);
    // Right after a database restart nothing has lapsed: no holder could heartbeat while it was down (R5).
    const [up] = await db.query<{ ms: unknown }>(`SELECT extract(epoch FROM now() - pg_postmaster_start_time()) * 1000 AS ms`);
    const sinceStart = Number(up!.ms);
    expect(await listExpiredLeases(db, { leaseKind: "agent", at: null, limit: 10, dbUpForMs: sinceStart + 60_000 })).toEqual([]);
    const settled = await listExpiredLeases(db, { leaseKind: "agent", at: null, limit: 10, dbUpForMs: 1 });
    expect(settled.filter((e) => e.studyId === s.studyId).map((e) => e.trialId)).toEqual([s.ids[1]]);
  });
});
