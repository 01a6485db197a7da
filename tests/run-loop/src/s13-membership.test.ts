import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaseTrial } from "@autoglm/scheduler/agents";
import {
  seedAgent,
  seedMember,
  seedRunStudy,
  seedTeam,
  seedTokenRow,
  seedWaitingTrials,
  type TeamFixture,
} from "@autoglm/scheduler/testing";
import { startRunLoopServer, waitFor, type RunLoopServer } from "../../../packages/agent/src/testing/harness.js";

/**
 * S13 (RELIABILITY.md), the database's half: an agent token acts only while its owner is a
 * member of the token's team with a role that may run agents (owner, admin, member), and a
 * project-restricted token is leased only its project's trials. Checked at the handshake, at
 * registration, in the lease statement and on every write — here with no `access:revoked`
 * bell at all (memberships changed in SQL, the heartbeat re-check pushed out of reach), so
 * each check stands on its own. The bell that closes live connections at once is tested with
 * the real api in apps/server/tests/s13-membership.test.ts. Agents are hand-written
 * Socket.IO clients speaking the real protocol, to send what a hostile agent would.
 */
const CONFIG = {
  heartbeatMs: 200,
  leaseTtlMs: 5_000,
  sweepMs: 200,
  tickMs: 100,
  ackTimeoutMs: 1_000,
  optimizerRefreshMs: 300,
  // Out of reach: nothing here may pass because a periodic re-check happened to run.
  tokenRecheckMs: 600_000,
};
const SECRET = "s13-run-env-secret";

let srv: RunLoopServer;
const sockets: Socket[] = [];

beforeAll(async () => {
  srv = await startRunLoopServer(CONFIG);
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv?.close();
});

interface Lease {
  trialId: string;
  studyId: string;
  attempt: number;
  leaseToken: string;
  run: { env?: Record<string, string> };
}

interface TestAgent {
  socket: Socket;
  leases: Array<Lease & { at: number }>;
  closedAt: Promise<number>;
}

function open(token: string): Promise<{ agent: TestAgent; error?: string }> {
  const socket = connect(`${srv.url}/agents`, {
    transports: ["websocket"],
    auth: { token },
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const leases: TestAgent["leases"] = [];
  socket.on("trial:lease", (lease: Lease, ack: (r: unknown) => void) => {
    leases.push({ ...lease, at: Date.now() });
    ack({ ok: true, accepted: true });
  });
  const closedAt = new Promise<number>((r) => socket.once("disconnect", () => r(Date.now())));
  const agent = { socket, leases, closedAt };
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ agent }));
    socket.once("connect_error", (err) => resolve({ agent, error: err.message }));
  });
}

const registration = (name: string, maxTrials = 1, host = "s13-host") => ({
  v: 1,
  name,
  host,
  cpuCores: 2,
  memoryMb: 4096,
  gpus: [],
  labels: {},
  maxTrials,
  running: [],
});

async function register(agent: TestAgent, name: string, maxTrials = 1, host?: string): Promise<Record<string, unknown>> {
  return (await agent.socket.timeout(2_000).emitWithAck("agent:register", registration(name, maxTrials, host))) as Record<
    string,
    unknown
  >;
}

async function connected(token: string, name: string, maxTrials = 1): Promise<TestAgent> {
  const { agent, error } = await open(token);
  expect(error).toBeUndefined();
  expect(await register(agent, name, maxTrials)).toMatchObject({ ok: true });
  return agent;
}

async function waitingCount(studyId: string): Promise<number> {
  const [r] = await srv.db.query<{ n: unknown }>(`SELECT count(*) AS n FROM trials WHERE study_id = $1 AND state = 'waiting'`, [
    studyId,
  ]);
  return Number(r!.n);
}

/**
 * A running `run` study (a secret in run.env) with exactly `count` waiting trials: its budget
 * is spent by them, so the scheduler's top-up adds none and the counts below are exact.
 */
async function queue(team: TeamFixture, count: number, env: Record<string, string> = { API_SECRET: SECRET }): Promise<string> {
  const studyId = await seedRunStudy(srv.db, team, {
    run: { command: "true", env },
    budget: { max_trials: count, max_parallel: count },
  });
  await seedWaitingTrials(srv.db, team, studyId, count);
  return studyId;
}

const CHANGES = {
  "removed from the team": (orgId: string, userId: string) =>
    srv.db.query(`DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, [orgId, userId]),
  "demoted to viewer": (orgId: string, userId: string) =>
    srv.db.query(`UPDATE memberships SET role = 'viewer' WHERE org_id = $1 AND user_id = $2`, [orgId, userId]),
  deactivated: (_orgId: string, userId: string) => srv.db.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [userId]),
};

describe("S13: an agent token acts only while its owner may run agents in its team", () => {
  it("connects and registers with a member's or an admin's token; never with a viewer's", async () => {
    const team = await seedTeam(srv.db, "roles");
    for (const role of ["member", "admin"] as const) {
      const user = await seedMember(srv.db, team, role);
      const { token } = await seedTokenRow(srv.db, team, { userId: user });
      const agent = await connected(token, `${role}-box`);
      agent.socket.disconnect();
    }
    const viewer = await seedMember(srv.db, team, "viewer");
    const { token } = await seedTokenRow(srv.db, team, { userId: viewer });
    expect((await open(token)).error).toBe("unauthorized");
    const [n] = await srv.db.query<{ n: unknown }>(`SELECT count(*) AS n FROM agents WHERE org_id = $1`, [team.orgId]);
    expect(Number(n!.n)).toBe(2);
  });

  it("refuses registration when the owner was removed between the handshake and agent:register", async () => {
    const team = await seedTeam(srv.db, "register-race");
    const member = await seedMember(srv.db, team, "member");
    const { token } = await seedTokenRow(srv.db, team, { userId: member });
    const { agent, error } = await open(token);
    expect(error).toBeUndefined();
    await CHANGES["removed from the team"](team.orgId, member);
    expect(await register(agent, "late-box")).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
    await agent.closedAt;
    const rows = await srv.db.query(`SELECT 1 FROM agents WHERE org_id = $1`, [team.orgId]);
    expect(rows).toHaveLength(0);
  });

  for (const [change, apply] of Object.entries(CHANGES)) {
    it(`an agent whose owner was ${change} is leased nothing more, its late metric and completion are refused, and it cannot reconnect`, async () => {
      const team = await seedTeam(srv.db, `late-${change.split(" ")[0]}`);
      const studyId = await queue(team, 10);
      const member = await seedMember(srv.db, team, "member");
      const { token, tokenId } = await seedTokenRow(srv.db, team, { userId: member });
      // An agent row of the same token with free capacity and no socket: the lease statement
      // is asked directly, the gateway never offers it anything.
      const idle = await seedAgent(srv.db, team, { name: "idle", maxTrials: 5, tokenId });
      const completer = await connected(token, "completer", 2);
      const reporter = await connected(token, "reporter", 1);
      await waitFor(
        () => completer.leases.length === 2 && reporter.leases.length === 1,
        10_000,
        "the member's agents to hold their leases",
      );
      const [{ best_value: bestBefore }] = (await srv.db.query<{ best_value: unknown }>(
        `SELECT best_value FROM studies WHERE id = $1`,
        [studyId],
      )) as [{ best_value: unknown }];

      expect(await leaseTrial(srv.db, { agentId: idle, leaseTtlMs: 5_000 })).not.toBeNull();

      await apply(team.orgId, member);
      const changedAt = Date.now();
      const [{ at: changedInDb }] = (await srv.db.query<{ at: unknown }>(`SELECT clock_timestamp() AS at`)) as [{ at: unknown }];

      // The lease statement itself refuses, while trials wait that it would otherwise take.
      expect(await waitingCount(studyId)).toBeGreaterThan(0);
      expect(await leaseTrial(srv.db, { agentId: idle, leaseTtlMs: 5_000 })).toBeNull();

      const [won] = completer.leases;
      const complete = await completer.socket.timeout(2_000).emitWithAck("trial:complete", {
        v: 1,
        trialId: won!.trialId,
        attempt: won!.attempt,
        leaseToken: won!.leaseToken,
        seq: 1,
        outcome: "complete",
        final: { loss: -1e300 },
        exitCode: 0,
        signal: null,
      });
      expect(complete).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
      const [reported] = reporter.leases;
      const metric = await reporter.socket.timeout(2_000).emitWithAck("trial:metric", {
        v: 1,
        trialId: reported!.trialId,
        attempt: reported!.attempt,
        leaseToken: reported!.leaseToken,
        seq: 0,
        points: [{ step: 0, metrics: { loss: -1e300 } }],
      });
      expect(metric).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
      // Nothing it sends will count: the connections are closed.
      await Promise.all([completer.closedAt, reporter.closedAt]);

      const [trial] = await srv.db.query<{ state: string }>(`SELECT state FROM trials WHERE id = $1`, [won!.trialId]);
      expect(trial!.state).toBe("running");
      expect(await srv.db.query(`SELECT 1 FROM trial_values WHERE trial_id = $1`, [reported!.trialId])).toHaveLength(0);
      const [study] = await srv.db.query<{ best_value: unknown }>(`SELECT best_value FROM studies WHERE id = $1`, [studyId]);
      expect(study!.best_value).toEqual(bestBefore);
      expect([...completer.leases, ...reporter.leases].filter((l) => l.at >= changedAt)).toHaveLength(0);
      const leasedAfter = await srv.db.query(
        `SELECT 1 FROM trial_attempts a JOIN agents g ON g.id = a.agent_id WHERE g.org_id = $1 AND a.started_at >= $2`,
        [team.orgId, changedInDb],
      );
      expect(leasedAfter).toHaveLength(0);
      expect((await open(token)).error).toBe("unauthorized");
    });
  }

  it("leases a project-restricted token only its project's trials; another project's wait", async () => {
    const team = await seedTeam(srv.db, "project");
    const otherProjectStudy = await queue(team, 5);
    const [p2] = await srv.db.query<{ id: string }>(
      `INSERT INTO projects (org_id, name, slug) VALUES ($1, 'second', 'second') RETURNING id`,
      [team.orgId],
    );
    const ownStudy = await queue({ ...team, projectId: String(p2!.id) }, 5, {});
    const member = await seedMember(srv.db, team, "member");
    const { token } = await seedTokenRow(srv.db, team, { userId: member, projectId: String(p2!.id) });

    const agent = await connected(token, "restricted", 3);
    await waitFor(() => agent.leases.length >= 3, 10_000, "three leases");
    // The older project's trials are first in line, so an unrestricted agent takes them first:
    // the restricted one skipped them.
    expect(new Set(agent.leases.map((l) => l.studyId))).toEqual(new Set([ownStudy]));
    expect(agent.leases.some((l) => l.run.env?.API_SECRET === SECRET)).toBe(false);
    expect(await waitingCount(otherProjectStudy)).toBe(5);
    const { token: unrestricted } = await seedTokenRow(srv.db, team, { userId: member });
    const other = await connected(unrestricted, "unrestricted", 1);
    await waitFor(() => other.leases.length === 1, 10_000, "a lease for the unrestricted agent");
    expect(other.leases[0]!.studyId).toBe(otherProjectStudy);
    agent.socket.disconnect();
    other.socket.disconnect();
  });
});

describe("S13: an agent's name belongs to its token's owner", () => {
  it("refuses another member's registration under a taken name (NAME_TAKEN, nothing changes); lets the same owner and an admin replace it", async () => {
    const team = await seedTeam(srv.db, "names");
    const alice = await seedMember(srv.db, team, "member", "alice");
    const bob = await seedMember(srv.db, team, "member", "bob");
    const admin = await seedMember(srv.db, team, "admin");
    const aliceFirst = await seedTokenRow(srv.db, team, { userId: alice });
    const aliceSecond = await seedTokenRow(srv.db, team, { userId: alice });
    const bobs = await seedTokenRow(srv.db, team, { userId: bob });
    const admins = await seedTokenRow(srv.db, team, { userId: admin });
    const row = async () =>
      (
        await srv.db.query<{ id: string; host: string; token_id: string }>(
          `SELECT id, host, token_id FROM agents WHERE org_id = $1 AND name = 'gpu-box'`,
          [team.orgId],
        )
      )[0]!;

    const first = (await open(aliceFirst.token)).agent;
    expect(await register(first, "gpu-box", 1, "alice-host")).toMatchObject({ ok: true });
    const original = await row();
    first.socket.disconnect();

    const takeover = (await open(bobs.token)).agent;
    const refused = await register(takeover, "gpu-box", 1, "bob-host");
    expect(refused).toMatchObject({ ok: false, error: { code: "NAME_TAKEN" } });
    expect(String((refused as { error: { message: string } }).error.message)).toMatch(/gpu-box/);
    expect(await row()).toEqual(original);
    takeover.socket.disconnect();

    const again = (await open(aliceSecond.token)).agent;
    expect(await register(again, "gpu-box", 1, "alice-new-host")).toMatchObject({ ok: true, agentId: original.id });
    expect(await row()).toMatchObject({ id: original.id, host: "alice-new-host", token_id: aliceSecond.tokenId });
    again.socket.disconnect();

    const byAdmin = (await open(admins.token)).agent;
    expect(await register(byAdmin, "gpu-box", 1, "admin-host")).toMatchObject({ ok: true, agentId: original.id });
    expect(await row()).toMatchObject({ id: original.id, host: "admin-host", token_id: admins.tokenId });
    byAdmin.socket.disconnect();
  });
});
