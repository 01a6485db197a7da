import { createDb, type DbHandle } from "@autoglm/db/client";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedAgent, seedRunStudy, seedTeam, seedTokenRow, seedWaitingTrials } from "./agent-fixtures.js";
import { leaseTrials } from "./lease-trials.js";
import { endAttempt } from "./lifecycle/end-attempt.js";

const TTL = 15_000;
let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db.drop();
});

const run = { command: "true" };

async function stop(studyId: string): Promise<void> {
  await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyId]);
}

describe("leaseTrials (one statement for several agents)", () => {
  it("gives each agent one distinct trial, oldest first, with a token and an open attempt", async () => {
    const t = await seedTeam(db, "batch");
    const studyId = await seedRunStudy(db, t, { run });
    await seedWaitingTrials(db, t, studyId, 5);
    const agents = [await seedAgent(db, t, { maxTrials: 2 }), await seedAgent(db, t, { maxTrials: 2 }), await seedAgent(db, t)];
    const { leases } = await leaseTrials(db, { agentIds: agents, leaseTtlMs: TTL });
    expect([...leases.keys()].sort()).toEqual([...agents].sort());
    expect([...leases.values()].map((l) => l.number).sort()).toEqual([0, 1, 2]);
    const rows = await db.query<{ agent_id: string; attempt: number; open: unknown }>(
      `SELECT t.agent_id, t.attempt, (SELECT count(*) FROM trial_attempts a WHERE a.trial_id = t.id AND a.ended_at IS NULL) AS open
       FROM trials t WHERE t.study_id = $1 AND t.state = 'running'`,
      [studyId],
    );
    expect(rows.map((r) => [r.agent_id, Number(r.attempt), Number(r.open)]).sort()).toEqual(
      [...leases.entries()].map(([agentId]) => [agentId, 1, 1]).sort(),
    );
    // The one-slot agent is full now; the others take the last two trials.
    const { leases: again } = await leaseTrials(db, { agentIds: agents, leaseTtlMs: TTL });
    expect([...again.keys()].sort()).toEqual([agents[0], agents[1]].sort());
    expect(await leaseTrials(db, { agentIds: agents, leaseTtlMs: TTL })).toEqual({ leases: new Map(), mayFitMore: false });
    await stop(studyId);
  });

  it("matches each agent's GPUs, labels and team, and leases nothing to an agent whose token may not act (S8, S13)", async () => {
    const t = await seedTeam(db, "fits");
    const other = await seedTeam(db, "fits-other");
    const gpuStudy = await seedRunStudy(db, t, { run: { command: "true", resources: { gpus: 1, labels: { zone: "a" } } } });
    const cpuStudy = await seedRunStudy(db, t, { run });
    await seedWaitingTrials(db, t, gpuStudy, 3);
    await seedWaitingTrials(db, t, cpuStudy, 3);
    const gpuAgent = await seedAgent(db, t, { gpus: 1, maxTrials: 2, labels: { zone: "a" } });
    const wrongZone = await seedAgent(db, t, { gpus: 1, maxTrials: 2, labels: { zone: "b" } });
    const revoked = await seedAgent(db, t, { tokenId: (await seedTokenRow(db, t, { revoked: true })).tokenId });
    const outsider = await seedAgent(db, other, { gpus: 1, labels: { zone: "a" } });
    const { leases } = await leaseTrials(db, { agentIds: [gpuAgent, wrongZone, revoked, outsider], leaseTtlMs: TTL });
    // The GPU study's trials are the oldest: the agent that fits it takes one.
    expect(leases.get(gpuAgent)?.studyId).toBe(gpuStudy);
    expect(leases.get(wrongZone)?.studyId).toBe(cpuStudy);
    expect(leases.has(revoked)).toBe(false);
    expect(leases.has(outsider)).toBe(false);
    // Its one GPU is taken: the GPU agent's next trial can only be a CPU one.
    const { leases: next } = await leaseTrials(db, { agentIds: [gpuAgent], leaseTtlMs: TTL });
    expect(next.get(gpuAgent)?.studyId).toBe(cpuStudy);
    await stop(gpuStudy);
    await stop(cpuStudy);
  });

  it("says when an agent that got nothing may still fit a trial another agent's match left over", async () => {
    const t = await seedTeam(db, "leftover");
    const labelled = await seedRunStudy(db, t, { run: { command: "true", resources: { labels: { zone: "a" } } } });
    const plain = await seedRunStudy(db, t, { run });
    await seedWaitingTrials(db, t, labelled, 1);
    await seedWaitingTrials(db, t, plain, 1);
    // `first` sorts first, so it is matched first in both studies and keeps the older trial.
    const [first, second] = [await seedAgent(db, t), await seedAgent(db, t)].sort();
    await db.query(`UPDATE agents SET labels = '{"zone":"a"}'::jsonb WHERE id = $1`, [first]);
    const batch = await leaseTrials(db, { agentIds: [first!, second!], leaseTtlMs: TTL });
    expect(batch.leases.get(first!)?.studyId).toBe(labelled);
    expect(batch.leases.has(second!)).toBe(false);
    expect(batch.mayFitMore).toBe(true);
    const alone = await leaseTrials(db, { agentIds: [second!], leaseTtlMs: TTL });
    expect(alone.leases.get(second!)?.studyId).toBe(plain);
    await stop(labelled);
    await stop(plain);
  });

  // Two "server replicas" (two pools on the real server; one PGlite otherwise) lease for
  // disjoint halves of the agents at once: SKIP LOCKED, so no trial is leased twice (R6).
  it("never leases a trial twice when replicas lease for their agents at once (R6)", async () => {
    const t = await seedTeam(db, "batch-race");
    const TRIALS = 120;
    const studyId = await seedRunStudy(db, t, { run, budget: { max_attempts: 20, max_trials: TRIALS } });
    await seedWaitingTrials(db, t, studyId, TRIALS);
    const agents: string[] = [];
    for (let i = 0; i < 80; i++) agents.push(await seedAgent(db, t, { name: `br-${i}`, maxTrials: 1 }));
    const replicas: DbHandle[] = db.url
      ? [
          await createDb({ url: db.url, migrate: false, poolSize: 4 }),
          await createDb({ url: db.url, migrate: false, poolSize: 4 }),
        ]
      : [db, db];
    try {
      for (let round = 0; round < 3; round++) {
        const groups = [0, 1, 2, 3].map((g) => agents.filter((_, i) => i % 4 === g));
        const results = await Promise.all(
          groups.map((ids, g) => leaseTrials(replicas[g % 2]!, { agentIds: ids, leaseTtlMs: TTL })),
        );
        const leased = results.flatMap((m) => [...m.leases.values()]);
        expect(new Set(leased.map((l) => l.trialId)).size).toBe(leased.length);
        expect(leased.length).toBe(agents.length);
        await Promise.all(
          leased.map((l) =>
            endAttempt(db, {
              trialId: l.trialId,
              leaseToken: l.leaseToken,
              mode: "retry",
              code: "LEASE_NOT_DELIVERED",
              reason: "round over",
            }),
          ),
        );
      }
    } finally {
      if (db.url) await Promise.all(replicas.map((r) => r.close()));
    }
    await stop(studyId);
  }, 120_000);
});
