import type { DbHandle } from "@autoglm/db/client";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedAgent, seedRunStudy, seedTeam, seedWaitingTrials } from "../agent-fixtures.js";
import { LeaseBatcher } from "./lease-batcher.js";

let db: TestDb;
/** The names of the statements the batcher ran, in order (the real database answers them). */
let statements: string[] = [];
let counted: DbHandle;

beforeAll(async () => {
  db = await createTestDb();
  counted = {
    ...db,
    query: (text, params, name) => {
      statements.push(name ?? "(unnamed)");
      return db.query(text, params, name);
    },
  };
}, 60_000);
afterAll(async () => {
  await db.drop();
});

describe("LeaseBatcher", () => {
  it("leases for the agents asking in the same moment with one statement, and for one agent alone with the one-agent statement", async () => {
    const t = await seedTeam(db, "batcher");
    const studyId = await seedRunStudy(db, t, { run: { command: "true" } });
    await seedWaitingTrials(db, t, studyId, 6);
    const agents: string[] = [];
    for (let i = 0; i < 4; i++) agents.push(await seedAgent(db, t));
    const batcher = new LeaseBatcher({ db: counted, leaseTtlMs: 10_000 });

    statements = [];
    const leases = await Promise.all(agents.map((a) => batcher.lease(a)));
    expect(statements).toEqual(["lease_trials"]);
    expect(new Set(leases.map((l) => l?.trialId)).size).toBe(4);
    expect(leases.map((l) => l?.number).sort()).toEqual([0, 1, 2, 3]);

    statements = [];
    const late = await seedAgent(db, t);
    expect((await batcher.lease(late))?.number).toBe(4);
    expect(statements).toEqual(["lease_trial"]);

    // Every agent but one is full: the batch leases the last trial to the one with a free slot.
    const fresh = await seedAgent(db, t);
    statements = [];
    const [none, last] = await Promise.all([batcher.lease(agents[0]!), batcher.lease(fresh)]);
    expect(none).toBeNull();
    expect(last?.number).toBe(5);
    expect(statements).toEqual(["lease_trials"]);
  });

  it("asks again alone for an agent the batch's match left without a trial it fits", async () => {
    const t = await seedTeam(db, "batcher-left");
    const labelled = await seedRunStudy(db, t, { run: { command: "true", resources: { labels: { zone: "a" } } } });
    const plain = await seedRunStudy(db, t, { run: { command: "true" } });
    await seedWaitingTrials(db, t, labelled, 1);
    await seedWaitingTrials(db, t, plain, 1);
    const [first, second] = [await seedAgent(db, t), await seedAgent(db, t)].sort();
    await db.query(`UPDATE agents SET labels = '{"zone":"a"}'::jsonb WHERE id = $1`, [first]);
    const batcher = new LeaseBatcher({ db: counted, leaseTtlMs: 10_000 });
    statements = [];
    const [a, b] = await Promise.all([batcher.lease(first!), batcher.lease(second!)]);
    expect([a?.studyId, b?.studyId]).toEqual([labelled, plain]);
    expect(statements).toEqual(["lease_trials", "lease_trial"]);
  });
});
