import type { DbHandle } from "@autoglm/db/client";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { silentLogger } from "@autoglm/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedAgent, seedRunStudy, seedTeam, seedWaitingTrials, type TeamFixture } from "../agent-fixtures.js";
import { DEFAULT_RUN_LOOP_CONFIG } from "../agent-types.js";
import type { EndedAttempt } from "../lifecycle/end-attempt.js";
import { TrialLifecycle } from "../lifecycle.js";
import { AgentRegistry, type ConnectedAgent } from "./agent-registry.js";
import { LeasePump } from "./lease-pump.js";
import type { TrialEnds } from "./trial-ends.js";

let db: TestDb;
let team: TeamFixture;

beforeAll(async () => {
  db = await createTestDb();
  team = await seedTeam(db, "pump");
}, 60_000);
afterAll(async () => {
  await db.drop();
});

/**
 * The database failing the named statement once: "after" as a crash leaves it (the statement
 * commits, then its connection drops before the answer arrives), "before" refusing the
 * connection (the statement never ran).
 */
function failsOnce(real: DbHandle, statement: string, when: "before" | "after"): DbHandle {
  let failed = false;
  const fail = (name: string | undefined) => {
    if (name !== statement || failed) return;
    failed = true;
    throw when === "after"
      ? new Error("Connection terminated unexpectedly")
      : Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
  };
  return new Proxy(real, {
    get(target, key) {
      if (key === "query") {
        return async (text: string, params?: unknown[], name?: string) => {
          if (when === "before") fail(name);
          const rows = await target.query(text, params, name);
          if (when === "after") fail(name);
          return rows;
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** An agent connection that accepts every lease it is sent, and records them. */
function acceptingAgent(orgId: string, received: string[]): ConnectedAgent {
  const socket = {
    connected: true,
    timeout: () => ({
      emitWithAck: async (_event: string, lease: { trialId: string }) => {
        received.push(lease.trialId);
        return { ok: true, accepted: true };
      },
    }),
  };
  return {
    socket: socket as unknown as ConnectedAgent["socket"],
    orgId,
    maxTrials: 1,
    paused: false,
    lastSeen: Date.now(),
    starved: false,
    draining: false,
    metricOf: new Map(),
    running: new Set(),
  };
}

function pumpOver(handle: DbHandle, registry: AgentRegistry, ended: EndedAttempt[]): LeasePump {
  return new LeasePump({
    db: handle,
    lifecycle: new TrialLifecycle({ db: handle }),
    logger: silentLogger,
    config: DEFAULT_RUN_LOOP_CONFIG,
    nowMs: () => Date.now(),
    registry,
    ends: { afterEnd: (e: EndedAttempt) => ended.push(e), afterUnlease: () => {} } as unknown as TrialEnds,
  });
}

describe("LeasePump", () => {
  it("takes back, with no attempt spent, a lease whose statement committed as its connection dropped; the agent never saw it", async () => {
    const studyId = await seedRunStudy(db, team, { run: { command: "true" }, budget: { max_trials: 2, max_attempts: 3 } });
    await seedWaitingTrials(db, team, studyId, 1);
    const agentId = await seedAgent(db, team, { maxTrials: 1 });
    const flaky = failsOnce(db, "lease_trial", "after");
    const registry = new AgentRegistry();
    const received: string[] = [];
    registry.add(agentId, acceptingAgent(team.orgId, received));
    const ended: EndedAttempt[] = [];
    const pump = pumpOver(flaky, registry, ended);

    // The lease is in the database, but the pump saw an error and handed nothing over.
    expect(await pump.offer(agentId)).toBe(0);
    expect(received).toEqual([]);
    const [leased] = await db.query<{ id: string; state: string; lease_token: string }>(
      `SELECT id, state, lease_token FROM trials WHERE study_id = $1`,
      [studyId],
    );
    expect(leased).toMatchObject({ state: "running" });
    expect(pump.isUnsent(leased!.lease_token)).toBe(true);

    // The next round settles it first: LEASE_NOT_DELIVERED, then the trial is leased again, delivered.
    expect(await pump.offerAll()).toBe(1);
    expect(ended.map((e) => e.trialId)).toEqual([leased!.id]);
    expect(received).toEqual([leased!.id]);
    const attempts = await db.query<{ attempt: number; end_code: string | null }>(
      `SELECT attempt, end_code FROM trial_attempts WHERE trial_id = $1 ORDER BY attempt`,
      [leased!.id],
    );
    expect(attempts).toEqual([
      { attempt: 1, end_code: "LEASE_NOT_DELIVERED" },
      { attempt: 2, end_code: null },
    ]);
    expect(pump.isUnsent(leased!.lease_token)).toBe(false);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyId]);
  });

  it("forgets a failed lease that never reached the database, ending nothing", async () => {
    const studyId = await seedRunStudy(db, team, { run: { command: "true" }, budget: { max_trials: 2, max_attempts: 3 } });
    await seedWaitingTrials(db, team, studyId, 1);
    const agentId = await seedAgent(db, team, { maxTrials: 1 });
    const registry = new AgentRegistry();
    const received: string[] = [];
    registry.add(agentId, acceptingAgent(team.orgId, received));
    const ended: EndedAttempt[] = [];
    const pump = pumpOver(failsOnce(db, "lease_trial", "before"), registry, ended);
    expect(await pump.offer(agentId)).toBe(0);
    expect(await pump.offerAll()).toBe(1);
    expect(ended).toEqual([]);
    const attempts = await db.query<{ attempt: number; end_code: string | null }>(
      `SELECT a.attempt, a.end_code FROM trial_attempts a JOIN trials t ON t.id = a.trial_id WHERE t.study_id = $1`,
      [studyId],
    );
    expect(attempts).toEqual([{ attempt: 1, end_code: null }]);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyId]);
  });
});
