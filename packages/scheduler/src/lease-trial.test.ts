import { createDb, type DbHandle } from "@autoglm/db/client";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedAgent, seedRunStudy, seedTeam, seedWaitingTrials, type TeamFixture } from "./agent-fixtures.js";
import { expireAgentLeases } from "./lifecycle/expire-leases.js";
import { recordHeartbeat } from "./heartbeat.js";
import { registerAgent } from "./agent-register.js";
import { leaseTrial } from "./lease-trial.js";
import { endAttempt } from "./lifecycle/end-attempt.js";
import { TrialLifecycle } from "./lifecycle.js";
import { SchedulerLoop } from "./scheduler-loop.js";

const TTL = 15_000;
let db: TestDb;
let team: TeamFixture;

beforeAll(async () => {
  db = await createTestDb();
  team = await seedTeam(db, "lease");
}, 60_000);
afterAll(async () => {
  await db.drop();
});

const run = { command: "true" };

async function openAttemptsOverOne(h: DbHandle): Promise<number> {
  const rows = await h.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM (SELECT trial_id FROM trial_attempts WHERE ended_at IS NULL GROUP BY trial_id HAVING count(*) > 1) x`,
  );
  return Number(rows[0]!.n);
}

describe("leaseTrial", () => {
  it("leases the oldest waiting trial with a token, an expiry and an open attempt", async () => {
    const studyId = await seedRunStudy(db, team, { run });
    await seedWaitingTrials(db, team, studyId, 3);
    const agentId = await seedAgent(db, team, { maxTrials: 5 });
    const a = await leaseTrial(db, { agentId, leaseTtlMs: TTL });
    const b = await leaseTrial(db, { agentId, leaseTtlMs: TTL });
    expect(a?.number).toBe(0);
    expect(b?.number).toBe(1);
    expect(a?.attempt).toBe(1);
    expect(a?.leaseToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(a?.leaseToken).not.toBe(b?.leaseToken);
    expect(new Date(a!.leaseExpiresAt).getTime()).toBeGreaterThan(Date.now() + TTL - 5_000);
    const [att] = await db.query<{ n: unknown }>(
      `SELECT count(*) AS n FROM trial_attempts WHERE trial_id = $1 AND ended_at IS NULL`,
      [a!.trialId],
    );
    expect(Number(att!.n)).toBe(1);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyId]);
  });

  it("never leases another team's trial (S8)", async () => {
    const other = await seedTeam(db, "other");
    const studyB = await seedRunStudy(db, other, { run });
    await seedWaitingTrials(db, other, studyB, 5);
    const agentA = await seedAgent(db, team, { maxTrials: 10 });
    expect(await leaseTrial(db, { agentId: agentA, leaseTtlMs: TTL })).toBeNull();
    const agentB = await seedAgent(db, other, { maxTrials: 10 });
    const l = await leaseTrial(db, { agentId: agentB, leaseTtlMs: TTL });
    expect(l?.orgId).toBe(other.orgId);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyB]);
  });

  it("matches free GPUs, labels, memory and the agent's trial slots", async () => {
    const t = await seedTeam(db, "fit");
    const gpuStudy = await seedRunStudy(db, t, { run: { command: "true", resources: { gpus: 1, labels: { zone: "a" } } } });
    await seedWaitingTrials(db, t, gpuStudy, 5);
    const noGpu = await seedAgent(db, t, { maxTrials: 4, labels: { zone: "a" } });
    expect(await leaseTrial(db, { agentId: noGpu, leaseTtlMs: TTL })).toBeNull();
    const wrongLabel = await seedAgent(db, t, { gpus: 2, maxTrials: 4, labels: { zone: "b" } });
    expect(await leaseTrial(db, { agentId: wrongLabel, leaseTtlMs: TTL })).toBeNull();
    const twoGpus = await seedAgent(db, t, { gpus: 2, maxTrials: 4, labels: { zone: "a", extra: "x" } });
    expect(await leaseTrial(db, { agentId: twoGpus, leaseTtlMs: TTL })).not.toBeNull();
    expect(await leaseTrial(db, { agentId: twoGpus, leaseTtlMs: TTL })).not.toBeNull();
    // Both GPUs are taken: a third one-GPU trial must wait.
    expect(await leaseTrial(db, { agentId: twoGpus, leaseTtlMs: TTL })).toBeNull();

    const memStudy = await seedRunStudy(db, t, { run: { command: "true", resources: { memory_gb: 40 } } });
    await seedWaitingTrials(db, t, memStudy, 3);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [gpuStudy]);
    const small = await seedAgent(db, t, { maxTrials: 4, memoryMb: 32_000 });
    expect(await leaseTrial(db, { agentId: small, leaseTtlMs: TTL })).toBeNull();
    const big = await seedAgent(db, t, { maxTrials: 4, memoryMb: 100_000 });
    expect(await leaseTrial(db, { agentId: big, leaseTtlMs: TTL })).not.toBeNull();
    expect(await leaseTrial(db, { agentId: big, leaseTtlMs: TTL })).not.toBeNull();
    expect(await leaseTrial(db, { agentId: big, leaseTtlMs: TTL })).toBeNull(); // 3 × 40 GB > 100 GB

    const cpuStudy = await seedRunStudy(db, t, { run });
    await seedWaitingTrials(db, t, cpuStudy, 3);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [memStudy]);
    const oneSlot = await seedAgent(db, t, { maxTrials: 1 });
    expect(await leaseTrial(db, { agentId: oneSlot, leaseTtlMs: TTL })).not.toBeNull();
    expect(await leaseTrial(db, { agentId: oneSlot, leaseTtlMs: TTL })).toBeNull();
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [cpuStudy]);
  });

  it("fences on the lease token: a stale token renews, reports and completes nothing (R2)", async () => {
    const t = await seedTeam(db, "fence");
    const studyId = await seedRunStudy(db, t, { run, budget: { max_attempts: 3 } });
    await seedWaitingTrials(db, t, studyId, 1);
    const a1 = await seedAgent(db, t, { name: "zombie" });
    const a2 = await seedAgent(db, t, { name: "healthy" });
    const first = (await leaseTrial(db, { agentId: a1, leaseTtlMs: 50 }))!;
    await new Promise((r) => setTimeout(r, 120));
    const swept = await expireAgentLeases(db);
    expect(swept.map((s) => [s.trialId, s.state])).toEqual([[first.trialId, "waiting"]]);
    const second = (await leaseTrial(db, { agentId: a2, leaseTtlMs: TTL }))!;
    expect(second.trialId).toBe(first.trialId);
    expect(second.attempt).toBe(2);
    // The zombie wakes up: its heartbeat is stale and its completion changes nothing.
    const hb = await recordHeartbeat(new TrialLifecycle({ db }), {
      agentId: a1,
      running: [{ trialId: first.trialId, attempt: 1, leaseToken: first.leaseToken }],
      leaseTtlMs: TTL,
    });
    expect(hb.stale).toEqual([first.trialId]);
    const late = await endAttempt(db, {
      trialId: first.trialId,
      leaseToken: first.leaseToken,
      mode: "complete",
      code: "COMPLETED",
      reason: "late",
      value: 1,
    });
    expect(late).toBeNull();
    const [row] = await db.query<Record<string, unknown>>(`SELECT state, attempt, agent_id, value FROM trials WHERE id = $1`, [
      first.trialId,
    ]);
    expect(row).toMatchObject({ state: "running", attempt: 2, agent_id: a2, value: null });
    const attempts = await db.query<Record<string, unknown>>(
      `SELECT attempt, end_code FROM trial_attempts WHERE trial_id = $1 ORDER BY attempt`,
      [first.trialId],
    );
    expect(attempts).toEqual([
      { attempt: 1, end_code: "AGENT_LOST" },
      { attempt: 2, end_code: null },
    ]);
  });

  it("bounds retries by max_attempts and does not spend one for a hand-back (R10, R11)", async () => {
    const t = await seedTeam(db, "retry");
    const studyId = await seedRunStudy(db, t, { run, budget: { max_attempts: 3 } });
    await seedWaitingTrials(db, t, studyId, 1);
    const agentId = await seedAgent(db, t, {});
    const states: string[] = [];
    for (let i = 0; i < 6; i++) {
      const l = await leaseTrial(db, { agentId, leaseTtlMs: TTL });
      if (!l) break;
      const handback = i === 1;
      const e = await endAttempt(db, {
        trialId: l.trialId,
        leaseToken: l.leaseToken,
        mode: "retry",
        code: handback ? "AGENT_SHUTDOWN" : "USER_COMMAND_EXIT_NONZERO",
        reason: handback ? "agent shutting down" : "the command exited with code 1",
      });
      states.push(e!.state);
    }
    // exit 1, hand-back (free), exit 1, exit 1 → failed after exactly 3 spent attempts.
    expect(states).toEqual(["waiting", "waiting", "waiting", "failed"]);
    const [row] = await db.query<Record<string, unknown>>(`SELECT state, end_code, end_reason FROM trials WHERE study_id = $1`, [
      studyId,
    ]);
    expect(row!.state).toBe("failed");
    expect(row!.end_code).toBe("USER_COMMAND_EXIT_NONZERO");
    expect(String(row!.end_reason)).toContain("gave up after 3 of 3 attempts");
    expect(await leaseTrial(db, { agentId, leaseTtlMs: TTL })).toBeNull();
  });
});

describe("the run loop's lease sweep", () => {
  it("expires nothing when its scan waited half a lease TTL on the database (R5: heartbeats could not be written either)", async () => {
    const t = await seedTeam(db, "stalled-sweep");
    const studyId = await seedRunStudy(db, t, { run, budget: { max_attempts: 3 } });
    await seedWaitingTrials(db, t, studyId, 1);
    const agentId = await seedAgent(db, t, { name: "alive" });
    const lease = (await leaseTrial(db, { agentId, leaseTtlMs: 50 }))!;
    await new Promise((r) => setTimeout(r, 120));
    const config = { leaseTtlMs: 400, startupGraceMs: 0 };
    // The sweep leaves leases alone for 2 TTL after the database server starts (a restart).
    for (;;) {
      const [up] = await db.query<{ ok: boolean }>(`SELECT pg_postmaster_start_time() < now() - interval '1 second' AS ok`);
      if (up!.ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Every reading of this clock is 600 ms after the last: the scan "took" more than TTL / 2.
    let skew = 0;
    const slowClock = { now: () => new Date(Date.now() + (skew += 600)) };
    await new SchedulerLoop({ db, config, clock: slowClock }).sweep();
    const [held] = await db.query<{ state: string }>(`SELECT state FROM trials WHERE id = $1`, [lease.trialId]);
    expect(held!.state).toBe("running");
    // The same scan, answered at once, expires the lease.
    await new SchedulerLoop({ db, config }).sweep();
    const attempts = await db.query<{ end_code: string | null }>(
      `SELECT end_code FROM trial_attempts WHERE trial_id = $1 ORDER BY attempt`,
      [lease.trialId],
    );
    expect(attempts.map((a) => a.end_code)).toEqual(["AGENT_LOST"]);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyId]);
  });
});

describe("registerAgent", () => {
  it("ends a lease the agent does not report as AGENT_LOST, but one still being offered to it, or written and never sent, as LEASE_NOT_DELIVERED (no attempt spent, R10)", async () => {
    const studyId = await seedRunStudy(db, team, { run, budget: { max_trials: 10, max_parallel: 4, max_attempts: 3 } });
    await seedWaitingTrials(db, team, studyId, 3);
    const name = `reconnecting-${Date.now()}`;
    const agentId = await seedAgent(db, team, { name, maxTrials: 3 });
    const lost = (await leaseTrial(db, { agentId, leaseTtlMs: TTL }))!;
    const offered = (await leaseTrial(db, { agentId, leaseTtlMs: TTL }))!;
    const unsent = (await leaseTrial(db, { agentId, leaseTtlMs: TTL }))!;
    // The agent comes back reporting none: the first was lost with a previous process of it;
    // the second is the one this server was offering when the connection dropped; the third was
    // written as the database connection failed, and never sent.
    const [{ token_id: tokenId }] = (await db.query<{ token_id: string }>(`SELECT token_id FROM agents WHERE id = $1`, [
      agentId,
    ])) as [{ token_id: string }];
    const r = await registerAgent(new TrialLifecycle({ db }), {
      orgId: team.orgId,
      tokenId,
      msg: { v: 1, name, host: "localhost", cpuCores: 4, memoryMb: 64_000, gpus: [], labels: {}, maxTrials: 3, running: [] },
      leaseTtlMs: TTL,
      offering: (id) => new Set(id === agentId ? [offered.trialId] : []),
      unsent: (leaseToken) => leaseToken === unsent.leaseToken,
    });
    expect(r).toMatchObject({ ok: true, agentId });
    const rows = await db.query<{ id: string; state: string; attempt: unknown; end_code: string; end_reason: string }>(
      `SELECT t.id, t.state, t.attempt, a.end_code, a.end_reason FROM trials t JOIN trial_attempts a ON a.trial_id = t.id WHERE t.id = ANY($1)`,
      [[lost.trialId, offered.trialId, unsent.trialId]],
    );
    const byId = new Map(rows.map((x) => [x.id, x]));
    expect(byId.get(lost.trialId)).toMatchObject({
      state: "waiting",
      end_code: "AGENT_LOST",
      end_reason: "the agent restarted without this trial",
    });
    expect(byId.get(offered.trialId)).toMatchObject({ state: "waiting", end_code: "LEASE_NOT_DELIVERED" });
    expect(byId.get(unsent.trialId)).toMatchObject({ state: "waiting", end_code: "LEASE_NOT_DELIVERED" });
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyId]);
  });
});

describe("R6 double-lease race", () => {
  // Two "server replicas" (two connection pools on the real server; one PGlite otherwise)
  // fire concurrent lease calls, one per distinct agent, over a queue of waiting trials.
  const isPg = Boolean(process.env.DATABASE_URL);
  const TRIALS = isPg ? 1000 : 300;
  const CALLS_PER_REPLICA = isPg ? 500 : 150;
  const ROUNDS = isPg ? 10 : 3;

  it(`${ROUNDS} rounds × 2 replicas × ${CALLS_PER_REPLICA} concurrent leases: 0 trials with > 1 active attempt`, async () => {
    const t = await seedTeam(db, "race");
    const studyId = await seedRunStudy(db, t, { run, budget: { max_attempts: 20, max_trials: TRIALS } });
    await seedWaitingTrials(db, t, studyId, TRIALS);
    const agents: string[] = [];
    for (let i = 0; i < CALLS_PER_REPLICA * 2; i++) agents.push(await seedAgent(db, t, { name: `race-${i}`, maxTrials: 1 }));
    const replicas: DbHandle[] = db.url
      ? [
          await createDb({ url: db.url, migrate: false, poolSize: 10 }),
          await createDb({ url: db.url, migrate: false, poolSize: 10 }),
        ]
      : [db, db];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const calls = agents.map((agentId, i) => leaseTrial(replicas[i % 2]!, { agentId, leaseTtlMs: TTL }));
        const results = await Promise.all(calls);
        const leased = results.filter((r) => r !== null);
        const ids = leased.map((r) => r!.trialId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(leased.length).toBe(Math.min(TRIALS, agents.length));
        expect(await openAttemptsOverOne(db)).toBe(0);
        const [running] = await db.query<{ n: unknown }>(
          `SELECT count(*) AS n FROM trials WHERE study_id = $1 AND state = 'running'`,
          [studyId],
        );
        expect(Number(running!.n)).toBe(leased.length);
        // Hand everything back (no attempt spent) for the next round.
        await Promise.all(
          leased.map((l, i) =>
            endAttempt(replicas[i % 2]!, {
              trialId: l!.trialId,
              leaseToken: l!.leaseToken,
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
  }, 180_000);
});
