/** The /metrics gauges read from the database: trials by state, waiting trials and online agents per team. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, seedStudy, type TestDb } from "../testing.js";
import { insertTrial, readPlatformGauges } from "./index.js";
import type { TenantScope } from "./scope.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function addAgent(scope: TenantScope, name: string, online: boolean, heardMsAgo: number): Promise<void> {
  await db.query(
    `INSERT INTO agents (org_id, name, host, is_online, last_heartbeat_at)
     VALUES ($1, $2, 'h', $3, now() - $4::int * interval '1 millisecond')`,
    [scope.orgId, name, online, heardMsAgo],
  );
}

describe("readPlatformGauges", () => {
  it("is empty on an empty database", async () => {
    const g = await readPlatformGauges(db, { staleAfterMs: 30_000 });
    expect(g.trialsByState).toEqual({});
    expect([...g.waitingByTeam]).toEqual([]);
    expect([...g.agentsOnlineByTeam]).toEqual([]);
  });

  it("counts trials by state over every team, waiting trials per team slug and online agents per team", async () => {
    const a = await seedStudy(db, "gauges-alpha");
    const b = await seedStudy(db, "gauges-beta");
    const states = ["waiting", "waiting", "running", "complete", "complete", "complete", "failed"] as const;
    for (const [i, state] of states.entries()) {
      await insertTrial(db.db, a.scope, { studyId: a.studyId, number: i, state, params: {} });
    }
    await insertTrial(db.db, b.scope, { studyId: b.studyId, number: 0, state: "waiting", params: {} });
    await insertTrial(db.db, b.scope, { studyId: b.studyId, number: 1, state: "pruned", params: {} });
    await addAgent(a.scope, "fresh", true, 1_000);
    await addAgent(a.scope, "silent", true, 60_000); // its row says online; its silence says not
    await addAgent(b.scope, "offline", false, 1_000);

    // Both drivers (prepared statement on PostgreSQL, drizzle on PGlite) read the same.
    for (const handle of [db, db.db]) {
      const g = await readPlatformGauges(handle, { staleAfterMs: 30_000 });
      expect(g.trialsByState).toEqual({ waiting: 3, running: 1, complete: 3, failed: 1, pruned: 1 });
      expect(Object.fromEntries(g.waitingByTeam)).toEqual({ "gauges-alpha": 2, "gauges-beta": 1 });
      expect(Object.fromEntries(g.agentsOnlineByTeam)).toEqual({ "gauges-alpha": 1, "gauges-beta": 0 });
    }
  });
});
