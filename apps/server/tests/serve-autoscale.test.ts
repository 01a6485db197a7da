/**
 * Endpoint autoscaling through two real servers on one database: each server's gateway reports
 * its load, both servers' autoscalers sum the reports, and a real Socket.IO client acting as the
 * team's agent (connected to the first server) starts a tiny real HTTP server per replica. A
 * closed loop of 6 clients (3 per server, each sending its next request when the last one
 * answered) scales a min 1 / max 3 / target 1 endpoint to 3 replicas; when the load stops, it
 * drains back to 1 after the (shortened) scale-down window; never above max nor below min.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import { artifactKey } from "@autoglm/artifacts";
import { createServerCaller, nullEvents, startUserSession } from "@autoglm/api";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedTeam, seedToken, type TeamFixture } from "@autoglm/scheduler/testing";
import { startServingServer, type ServingServer } from "./serving-server.js";

/** A 5 s lease: a loaded CI machine stalling the fake agent's heartbeats must not end a replica mid-test. */
const RUN = { heartbeatMs: 250, leaseTtlMs: 5_000, sweepMs: 200, tickMs: 100, ackTimeoutMs: 2_000, startupGraceMs: 0 };
/** Reports every 200 ms, fresh for 1 s: the production 2 s / 6 s shrunk tenfold-ish for the test's time. */
const LOAD = { reportMs: 200 };
/** Passes every 200 ms (and on every nudge): keep the whole test's history for the chart's assertions. */
const SERVING = { loadFreshMs: 1_000, drainGraceMs: 2_000, historyPoints: 2_000 };
const SCALE_DOWN_DELAY_S = 2;
/** How long a replica takes per request: long enough that a client is almost always in flight. */
const REPLICA_MS = 50;
const PROTOCOL_VERSION = 1;

interface TReplicaStart {
  replicaId: string;
  leaseToken: string;
  secret: string;
  model: { version: number };
}

let db: TestDb;
let s1: ServingServer;
let s2: ServingServer;
let dataDir: string;
let team: TeamFixture;
let caller: Awaited<ReturnType<typeof createServerCaller>>;
let endpointUrl: string;
let key: string;
const sockets: Socket[] = [];
const replicaServers = new Map<string, HttpServer>();

async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  ms: number,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A replica: answers its own secret after REPLICA_MS. */
function startReplica(start: TReplicaStart): Promise<string> {
  const http = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${start.secret}`) return void res.writeHead(401).end("{}");
    req.resume();
    req.on("end", () =>
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json", "x-autoglm-model-version": "1" });
        res.end(JSON.stringify({ predictions: [7] }));
      }, REPLICA_MS),
    );
  });
  replicaServers.set(start.replicaId, http);
  return new Promise((resolve) =>
    http.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(http.address() as AddressInfo).port}`)),
  );
}

/** The team's agent on the first server: runs replicas until told to stop (an event, or a stale lease in a heartbeat ack). */
async function startAgent(server: ServingServer): Promise<void> {
  const token = await seedToken(db, team);
  const running = new Map<string, TReplicaStart>();
  const socket = io(`${server.url}/agents`, { auth: { token }, transports: ["websocket"], reconnection: false });
  sockets.push(socket);
  const stop = (replicaId: string) => {
    const start = running.get(replicaId);
    if (!start) return;
    running.delete(replicaId);
    replicaServers.get(replicaId)?.close(() => {
      socket
        .timeout(5_000)
        .emitWithAck("replica:ended", { v: PROTOCOL_VERSION, replicaId, leaseToken: start.leaseToken, outcome: "stopped" })
        .catch(() => {}); // the test is over
    });
  };
  socket.on("replica:start", (start: TReplicaStart, ack: (r: unknown) => void) => {
    running.set(start.replicaId, start);
    ack({ ok: true, accepted: true });
    void startReplica(start)
      .then((url) =>
        socket.timeout(5_000).emitWithAck("replica:ready", {
          v: PROTOCOL_VERSION,
          replicaId: start.replicaId,
          leaseToken: start.leaseToken,
          url,
          gpus: [],
        }),
      )
      .catch(() => {}); // the test is over
  });
  socket.on("replica:stop", (p: { replicaId: string }) => stop(p.replicaId));
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  await socket.timeout(5_000).emitWithAck("agent:register", {
    v: PROTOCOL_VERSION,
    name: "autoscale-agent",
    host: "localhost",
    cpuCores: 2,
    memoryMb: 8_000,
    gpus: [],
    labels: {},
    maxTrials: 1,
    running: [],
  });
  const beat = setInterval(() => {
    void socket
      .timeout(2_000)
      .emitWithAck("agent:heartbeat", {
        v: PROTOCOL_VERSION,
        seq: Date.now(),
        running: [],
        replicas: [...running.values()].map((s) => ({ replicaId: s.replicaId, leaseToken: s.leaseToken })),
      })
      .then((ack: { staleReplicas?: string[] }) => ack.staleReplicas?.forEach(stop))
      .catch(() => {});
  }, RUN.heartbeatMs);
  socket.on("disconnect", () => clearInterval(beat));
}

async function deploy(): Promise<void> {
  const study = await caller.study.create({
    projectId: team.projectId,
    spec: {
      name: "autoscaled",
      objective: { metric: "loss", direction: "minimize" },
      space: { x: { type: "float", low: 0, high: 1 } },
      sampler: { name: "random", seed: 1 },
    },
  });
  const tc = await createServerCaller(
    { db, events: nullEvents },
    { token: await seedToken(db, team, { scopes: ["read", "write"] }) },
  );
  const { trialId } = await tc.trial.ask({ studyId: study.id });
  await tc.trial.tell({ trialId, value: 0.1 });
  const storeKey = artifactKey(
    { teamId: team.orgId, projectId: team.projectId, studyId: study.id, trialId, attempt: 1 },
    "model.onnx",
  );
  const put = await s1.artifacts.put(storeKey, Readable.from([Buffer.from("weights")]));
  await db.query(
    "insert into trial_artifacts (org_id, trial_id, attempt, name, size_bytes, sha256, store_key) values ($1, $2, 1, 'model.onnx', $3, $4, $5)",
    [team.orgId, trialId, put.size, put.sha256, storeKey],
  );
  const d = await caller.endpoint.deploy({
    studyId: study.id,
    name: "scaled",
    minReplicas: 1,
    maxReplicas: 3,
    autoscale: { targetConcurrency: 1, scaleDownDelaySeconds: SCALE_DOWN_DELAY_S },
  });
  endpointUrl = new URL(d.url).pathname;
  key = d.key!;
}

/** Live replicas of the endpoint by state. */
async function replicaStates(): Promise<Record<string, number>> {
  const rows = await db.query<{ state: string; n: number }>(
    "select r.state, count(*)::int as n from endpoint_replicas r join endpoints e on e.id = r.endpoint_id where e.name = 'scaled' group by r.state",
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Closed-loop clients: each sends its next request when the previous one answered, until `stop`. */
function closedLoop(base: string, clients: number, stop: { now: boolean }): Promise<number[]> {
  return Promise.all(
    Array.from({ length: clients }, async () => {
      let failed = 0;
      while (!stop.now) {
        const res = await fetch(`${base}${endpointUrl}/invocations`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
          body: JSON.stringify({ inputs: [[1]] }),
        });
        await res.arrayBuffer();
        if (res.status !== 200) failed++;
      }
      return failed;
    }),
  );
}

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-autoscale-"));
  s1 = await startServingServer(db, dataDir, RUN, { serving: SERVING, load: LOAD });
  s2 = await startServingServer(db, dataDir, RUN, { serving: SERVING, load: LOAD });
  team = await seedTeam(db, "autoscale");
  const { sessionId } = await startUserSession(db, { userId: team.userId });
  caller = await createServerCaller(
    { db, events: nullEvents, artifacts: s1.artifacts, runLoop: s1.gateway, options: { publicUrl: s1.url } },
    { session: { userId: team.userId, sessionVersion: 0, sessionId }, orgId: team.orgId },
  );
  await deploy();
  await startAgent(s1);
  await waitFor(async () => (await replicaStates()).ready === 1, 20_000);
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  for (const h of replicaServers.values()) h.closeAllConnections();
  await s1?.close();
  await s2?.close();
  await Promise.all([...replicaServers.values()].map((h) => new Promise((r) => h.close(r))));
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("endpoint autoscaling", () => {
  it("scales 1 → 3 under 6 closed-loop clients on two servers, and back to 1 after the window; never outside [1, 3]", async () => {
    const seen = { maxLive: 0, minReady: Infinity };
    const watch = setInterval(() => {
      void replicaStates()
        .then((s) => {
          seen.maxLive = Math.max(seen.maxLive, (s.pending ?? 0) + (s.starting ?? 0) + (s.ready ?? 0));
          seen.minReady = Math.min(seen.minReady, s.ready ?? 0);
        })
        .catch(() => {});
    }, 50);
    const stop = { now: false };
    const load = Promise.all([closedLoop(s1.url, 3, stop), closedLoop(s2.url, 3, stop)]);
    try {
      await waitFor(async () => (await replicaStates()).ready === 3, 30_000);
      // Each server has at most 3 requests in flight: a sum over 3 is both servers' reports added up.
      const busy = await waitFor(async () => {
        const e = await caller.endpoint.get({ name: "scaled" });
        // rps too: on a loaded machine a 200 ms report period can pass with requests in flight and none arriving.
        return e.scaling.concurrency > 3.5 && e.scaling.rps > 0 ? e : null;
      }, 20_000);
      expect(busy.scaling.desiredReplicas).toBe(3);
      expect(busy.scaling.reason).toMatch(/^scaled to [23]: concurrency \d+\.\d over target 1/);
      expect(busy.scaling.reason).toContain("capped at maxReplicas 3");
      const [servers] = await db.query<{ n: number }>("select count(*)::int as n from endpoint_load");
      expect(Number(servers!.n)).toBe(2);
      stop.now = true;
      const failed = (await load).flat();
      expect(failed.reduce((a, b) => a + b, 0)).toBe(0);
      const stoppedAt = Date.now();

      await waitFor(async () => {
        const s = await replicaStates();
        return s.ready === 1 && !s.starting && !s.pending ? s : null;
      }, 30_000);
      // Nothing drains before the load has been low for the whole window.
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(SCALE_DOWN_DELAY_S * 1000);
      // The chart's history (this server's passes) shows the way up and back down.
      const idle = await waitFor(async () => {
        const e = await caller.endpoint.get({ name: "scaled" });
        const last = e.scaling.history.at(-1);
        return last?.desired === 1 && last.ready === 1 ? e : null;
      }, 5_000);
      expect(idle.scaling.desiredReplicas).toBe(1);
      expect(idle.scaling.reason).toMatch(/^scaled down to 1: concurrency 0\.0 \(target 1 per replica\) stayed low for 2 s/);
      expect(Math.max(...idle.scaling.history.map((p) => p.desired))).toBe(3);
      expect(Math.max(...idle.scaling.history.map((p) => p.concurrency))).toBeGreaterThan(3.5);
      // The replicas it drained end as stopped and still say why they were retired.
      const drained = await waitFor(async () => {
        const ended = (await caller.endpoint.get({ name: "scaled" })).replicas.filter((r) => r.state === "stopped");
        return ended.length >= 2 ? ended : null;
      }, 15_000);
      for (const r of drained) expect(r.reason).toMatch(/^DRAINED: /);
    } finally {
      clearInterval(watch);
      stop.now = true;
      await load.catch(() => {});
    }
    expect(seen.maxLive).toBeLessThanOrEqual(3);
    expect(seen.minReady).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
