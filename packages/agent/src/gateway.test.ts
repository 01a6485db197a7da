import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRunStudy, seedToken, seedWaitingTrials } from "@autoglm/scheduler/testing";
import { makeTeam, startRunLoopServer, waitFor, type RunLoopServer, type Team } from "./testing/harness.js";

/**
 * The /agents namespace spoken by a hand-written client, to send what a real agent never
 * would: replays, malformed and out-of-order events, stale tokens.
 */
let srv: RunLoopServer;
const sockets: Socket[] = [];

beforeAll(async () => {
  srv = await startRunLoopServer();
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

function open(token: string): Promise<{ socket: Socket; error?: string }> {
  const socket = connect(`${srv.url}/agents`, { transports: ["websocket"], auth: { token }, reconnection: false });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.on("connect", () => resolve({ socket }));
    socket.on("connect_error", (err) => resolve({ socket, error: err.message }));
  });
}

const REGISTER = (name: string) => ({
  v: 1,
  name,
  host: "test-host",
  cpuCores: 2,
  memoryMb: 1024,
  gpus: [],
  labels: {},
  maxTrials: 1,
  running: [],
});

async function snapshot(): Promise<string> {
  const parts = await Promise.all(
    ["trials", "trial_values", "trial_attempts", "studies"].map((t) =>
      srv.db
        .query(`SELECT * FROM ${t} ORDER BY 1, 2`)
        .then((rows) =>
          JSON.stringify(
            rows.map((r) => ({ ...r, updated_at: undefined, last_heartbeat_at: undefined, lease_expires_at: undefined })),
          ),
        ),
    ),
  );
  return parts.join("\n");
}

describe("handshake", () => {
  it("accepts only a live token with the agent scope", async () => {
    const team = await makeTeam(srv, "auth");
    expect((await open(team.token)).error).toBeUndefined();
    expect((await open("agl_not-a-real-token-0000000000000")).error).toBe("unauthorized");
    expect((await open("")).error).toBe("unauthorized");
    expect((await open(await seedToken(srv.db, team, { scopes: ["read", "write"] }))).error).toBe("unauthorized");
    expect((await open(await seedToken(srv.db, team, { revoked: true }))).error).toBe("unauthorized");
    expect((await open(await seedToken(srv.db, team, { expiresAt: new Date(Date.now() - 1000) }))).error).toBe("unauthorized");
  });
});

describe("token revocation", () => {
  it("disconnects a connected agent within the re-check period once its token is revoked (S3)", async () => {
    const team = await makeTeam(srv, "revoke");
    const { socket, error } = await open(team.token);
    expect(error).toBeUndefined();
    expect(await socket.timeout(2000).emitWithAck("agent:register", REGISTER("revoke-agent"))).toMatchObject({ ok: true });
    await srv.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE org_id = $1`, [team.orgId]);
    const disconnected = new Promise<string>((r) => socket.once("disconnect", (reason) => r(reason)));
    const acks: unknown[] = [];
    const t0 = Date.now();
    while (socket.connected && Date.now() - t0 < 3_000) {
      acks.push(
        await socket
          .timeout(2000)
          .emitWithAck("agent:heartbeat", { v: 1, seq: acks.length, running: [] })
          .catch(() => null),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await disconnected).toBe("io server disconnect");
    expect(acks.at(-1)).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
    expect((await open(team.token)).error).toBe("unauthorized");
  });
});

describe("malformed and out-of-order events change nothing", () => {
  let team: Team;
  let socket: Socket;
  let lease: { trialId: string; attempt: number; leaseToken: string };

  beforeAll(async () => {
    team = await makeTeam(srv, "proto");
    const studyId = await seedRunStudy(srv.db, team, { budget: { max_trials: 1, max_parallel: 1 }, run: { command: "true" } });
    await seedWaitingTrials(srv.db, team, studyId, 1);
    await srv.db.query(`UPDATE studies SET next_trial_number = 1 WHERE id = $1`, [studyId]);
    socket = (await open(team.token)).socket;
  });

  it("rejects events before agent:register with NOT_REGISTERED", async () => {
    const before = await snapshot();
    const ack = await socket.timeout(2000).emitWithAck("trial:metric", {
      v: 1,
      trialId: "00000000-0000-4000-8000-000000000000",
      attempt: 1,
      leaseToken: "00000000-0000-4000-8000-000000000000",
      seq: 0,
      points: [{ step: 0, metrics: { loss: 1 } }],
    });
    expect(ack).toMatchObject({ ok: false, error: { code: "NOT_REGISTERED" } });
    expect(await snapshot()).toBe(before);
  });

  it("rejects malformed payloads with BAD_REQUEST and unknown versions with UNSUPPORTED_VERSION", async () => {
    const before = await snapshot();
    const bad = [
      ["agent:register", { ...REGISTER("x"), cpuCores: -1 }],
      ["agent:register", { ...REGISTER("x"), extra: "field" }],
      ["agent:register", { ...REGISTER("bad name; rm -rf /") }],
      ["agent:register", "not an object"],
      ["agent:register", null],
      ["agent:register", { ...REGISTER("x"), labels: { ["__proto__"]: "x" }, gpus: [{ index: -1 }] }],
    ] as const;
    for (const [event, payload] of bad) {
      const ack = await socket.timeout(2000).emitWithAck(event, payload);
      expect(ack).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
    }
    const v2 = await socket.timeout(2000).emitWithAck("agent:register", { ...REGISTER("x"), v: 2 });
    expect(v2).toMatchObject({ ok: false, error: { code: "UNSUPPORTED_VERSION" } });
    expect(await snapshot()).toBe(before);
    const [agents] = await srv.db.query<{ n: unknown }>(`SELECT count(*) AS n FROM agents WHERE org_id = $1`, [team.orgId]);
    expect(Number(agents!.n)).toBe(0);
  });

  it("registers, receives a lease, and refuses a second register on the same connection", async () => {
    const got = new Promise<{ trialId: string; attempt: number; leaseToken: string }>((resolve) =>
      socket.once(
        "trial:lease",
        (payload: { trialId: string; attempt: number; leaseToken: string }, ack: (r: unknown) => void) => {
          ack({ ok: true, accepted: true });
          resolve(payload);
        },
      ),
    );
    const reg = await socket.timeout(2000).emitWithAck("agent:register", REGISTER("fake-agent"));
    expect(reg).toMatchObject({ ok: true, heartbeatMs: 200, leaseTtlMs: 600, stale: [] });
    const full = await got;
    lease = { trialId: full.trialId, attempt: full.attempt, leaseToken: full.leaseToken };
    const again = await socket.timeout(2000).emitWithAck("agent:register", REGISTER("fake-agent"));
    expect(again).toMatchObject({ ok: false, error: { code: "OUT_OF_ORDER" } });
  });

  it("R7: replaying metric batches 3× stores each point once; a stale token stores nothing", async () => {
    // Keep the lease alive while we talk.
    const hb = setInterval(() => socket.emit("agent:heartbeat", { v: 1, seq: 0, running: [lease] }, () => {}), 100);
    try {
      const steps = Array.from({ length: 100 }, (_, i) => i);
      for (let batch = 0; batch < 10; batch++) {
        const points = steps
          .slice(batch * 10, batch * 10 + 10)
          .map((step) => ({ step, metrics: { loss: 1 / (step + 1), acc: step } }));
        for (let replay = 0; replay < 3; replay++) {
          const ack = await socket.timeout(2000).emitWithAck("trial:metric", { v: 1, ...lease, seq: batch, points });
          expect(ack).toMatchObject({ ok: true, prune: false, stored: replay === 0 ? points.length : 0 });
        }
      }
      const before = await snapshot();
      const stale = await socket.timeout(2000).emitWithAck("trial:metric", {
        v: 1,
        ...lease,
        leaseToken: "00000000-0000-4000-8000-000000000000",
        seq: 99,
        points: [{ step: 500, metrics: { loss: 0 } }],
      });
      expect(stale).toMatchObject({ ok: false, error: { code: "STALE_LEASE" } });
      const wrongAttempt = await socket
        .timeout(2000)
        .emitWithAck("trial:metric", { v: 1, ...lease, attempt: 2, seq: 99, points: [{ step: 500, metrics: { loss: 0 } }] });
      expect(wrongAttempt).toMatchObject({ ok: false, error: { code: "STALE_LEASE" } });
      const nanValue = await socket
        .timeout(2000)
        .emitWithAck("trial:metric", { v: 1, ...lease, seq: 99, points: [{ step: 501, metrics: { loss: "NaN" } }] });
      expect(nanValue).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
      const earlyComplete = await socket.timeout(2000).emitWithAck("trial:complete", {
        v: 1,
        ...lease,
        leaseToken: "00000000-0000-4000-8000-000000000000",
        seq: 11,
        outcome: "complete",
        exitCode: 0,
        signal: null,
      });
      expect(earlyComplete).toMatchObject({ ok: false, error: { code: "STALE_LEASE" } });
      expect(await snapshot()).toBe(before);
      const [values] = await srv.db.query<{ n: unknown; d: unknown }>(
        `SELECT count(*) AS n, count(DISTINCT step) AS d FROM trial_values WHERE trial_id = $1`,
        [lease.trialId],
      );
      expect(Number(values!.n)).toBe(100);
      expect(Number(values!.d)).toBe(100);
    } finally {
      clearInterval(hb);
    }
  });

  it("R7: replaying a completion 3× stores one completion", async () => {
    const acks = [];
    for (let i = 0; i < 3; i++) {
      acks.push(
        await socket.timeout(2000).emitWithAck("trial:complete", {
          v: 1,
          ...lease,
          seq: 10,
          outcome: "complete",
          final: { loss: 0.125 },
          exitCode: 0,
          signal: null,
          logTail: "done",
        }),
      );
    }
    expect(acks).toEqual([
      { ok: true, state: "complete", duplicate: false },
      { ok: true, state: "complete", duplicate: true },
      { ok: true, state: "complete", duplicate: true },
    ]);
    const [trial] = await srv.db.query<{ state: string; value: unknown }>(`SELECT state, value FROM trials WHERE id = $1`, [
      lease.trialId,
    ]);
    expect(trial).toMatchObject({ state: "complete", value: 0.125 });
    const attempts = await srv.db.query(`SELECT end_code FROM trial_attempts WHERE trial_id = $1`, [lease.trialId]);
    expect(attempts).toEqual([{ end_code: "COMPLETED" }]);
    const [study] = await srv.db.query<{ best_value: unknown; best_trial_id: string }>(
      `SELECT best_value, best_trial_id FROM studies WHERE id = (SELECT study_id FROM trials WHERE id = $1)`,
      [lease.trialId],
    );
    expect(study).toEqual({ best_value: 0.125, best_trial_id: lease.trialId });
    // A late metric for the finished attempt is fenced.
    const late = await socket
      .timeout(2000)
      .emitWithAck("trial:metric", { v: 1, ...lease, seq: 12, points: [{ step: 200, metrics: { loss: 0 } }] });
    expect(late).toMatchObject({ ok: false, error: { code: "STALE_LEASE" } });
    await waitFor(
      async () => {
        const [s] = await srv.db.query<{ state: string }>(
          `SELECT state FROM studies WHERE id = (SELECT study_id FROM trials WHERE id = $1)`,
          [lease.trialId],
        );
        return s!.state === "completed";
      },
      5_000,
      "study completed",
    );
  });
});

describe("a completion and the next lease", () => {
  it("acknowledges the completion before it leases the freed slot, and spends one attempt on each trial", async () => {
    const team = await makeTeam(srv, "refill");
    const studyId = await seedRunStudy(srv.db, team, {
      objective: { metric: "loss", direction: "minimize" },
      budget: { max_trials: 3, max_parallel: 3 },
      run: { command: "true" },
    });
    await seedWaitingTrials(srv.db, team, studyId, 3);
    await srv.db.query(`UPDATE studies SET next_trial_number = 3 WHERE id = $1`, [studyId]);
    const { socket } = await open(team.token);
    const seen: string[] = [];
    const leases: Array<{ trialId: string; attempt: number; leaseToken: string }> = [];
    socket.on("trial:lease", (lease: { trialId: string; attempt: number; leaseToken: string }, ack: (r: unknown) => void) => {
      seen.push(`lease ${leases.length}`);
      leases.push(lease);
      ack({ ok: true, accepted: true });
    });
    expect(await socket.timeout(2000).emitWithAck("agent:register", REGISTER("refill-agent"))).toMatchObject({ ok: true });
    for (let i = 0; i < 3; i++) {
      await waitFor(() => leases.length > i, 5_000, `lease ${i}`);
      const { trialId, attempt, leaseToken } = leases[i]!;
      // The ack callback runs as its packet is read, in wire order with the lease event (a
      // promise's continuation would run after a lease read in the same chunk).
      const ack = await new Promise<unknown>((resolve, reject) =>
        socket
          .timeout(2000)
          .emit(
            "trial:complete",
            { v: 1, trialId, attempt, leaseToken, seq: 0, outcome: "complete", final: { loss: i }, exitCode: 0, signal: null },
            (err: Error | null, r: unknown) => {
              seen.push(`ack ${i}`);
              if (err) reject(err);
              else resolve(r);
            },
          ),
      );
      expect(ack, JSON.stringify(ack)).toMatchObject({ ok: true, state: "complete", duplicate: false });
    }
    expect(seen).toEqual(["lease 0", "ack 0", "lease 1", "ack 1", "lease 2", "ack 2"]);
    const rows = await srv.db.query<{ state: string; attempt: number }>(
      `SELECT state, attempt FROM trials WHERE study_id = $1 ORDER BY number`,
      [studyId],
    );
    expect(rows.map((r) => `${r.state}/${r.attempt}`)).toEqual(["complete/1", "complete/1", "complete/1"]);
    const [attempts] = await srv.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM trial_attempts a JOIN trials t ON t.id = a.trial_id WHERE t.study_id = $1`,
      [studyId],
    );
    expect(attempts!.n).toBe(3);
  });
});
