#!/usr/bin/env node
// L1/L2 scheduler benchmark (RELIABILITY.md): one process holds the server side (HTTP +
// Socket.IO + agent gateway + scheduler loop) and N simulated agents (one socket each,
// speaking the real protocol). Each agent takes a lease, reports 10 metric points in one
// batch, completes, and is leased the next trial. Prints leases/s, lease latency
// (agent idle, i.e. sending its completion → next lease received) p50/p99 after warm-up, metric points/s, metric ack p99 and RSS.
//   node bench/scheduler.mjs [--agents 200] [--trials 5000] [--driver pglite|pg|both] [--trial-ms 0]
// --trial-ms T: each simulated trial "trains" T ms between its lease and its metrics, so the
// offered load is about agents / T leases per second instead of as fast as the server goes
// (lease latency at a given rate, rather than the queueing delay of a saturated closed loop).
// pg uses DATABASE_URL (default postgres://postgres:postgres@127.0.0.1:5432/postgres).
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import { io as connect } from "socket.io-client";
import { createTestDb } from "@autoglm/db/testing";
import { attachAgentGateway, SchedulerLoop } from "@autoglm/scheduler/agents";
import { seedRunStudy, seedTeam, seedToken, seedWaitingTrials } from "@autoglm/scheduler/testing";

const { values } = parseArgs({
  options: {
    agents: { type: "string", default: "200" },
    trials: { type: "string", default: "5000" },
    driver: { type: "string", default: "both" },
    warmup: { type: "string", default: "500" },
    pool: { type: "string", default: "10" },
    "trial-ms": { type: "string", default: "0" },
  },
});
const AGENTS = Number(values.agents);
const TRIALS = Number(values.trials);
const WARMUP = Number(values.warmup);
const POOL = Number(values.pool);
const TRIAL_MS = Number(values["trial-ms"]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres";

const pct = (arr, p) => {
  if (arr.length === 0) return NaN;
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function run(driver) {
  const db = await createTestDb(driver === "pg" ? { url: PG_URL, poolSize: POOL } : {});
  if (driver === "pglite") delete process.env.DATABASE_URL;
  const http = createServer();
  const io = new Server(http, { serveClient: false, maxHttpBufferSize: 1_000_000 });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${http.address().port}`;
  const config = { heartbeatMs: 5_000, leaseTtlMs: 15_000, sweepMs: 5_000, tickMs: 1_000, ackTimeoutMs: 5_000 };
  const gateway = attachAgentGateway(io, { db, config });
  const loop = process.env.BENCH_NO_LOOP ? { stop: async () => {} } : new SchedulerLoop({ db, gateway, config }).start();

  const team = await seedTeam(db, "bench");
  const token = await seedToken(db, team);
  const studyId = await seedRunStudy(db, team, { budget: { max_trials: TRIALS, max_parallel: 1000 }, run: { command: "true" } });
  await seedWaitingTrials(db, team, studyId, TRIALS);
  // A bulk insert of 5,000 waiting trials is not what autovacuum has seen yet; without fresh
  // statistics the planner sorts every waiting trial per lease (4 ms) instead of walking
  // trials_waiting_idx (0.4 ms). A live study is analyzed as it grows; so is this one.
  if (driver === "pg") await db.query("ANALYZE trials");

  const latencies = [];
  const metricAcks = [];
  let leased = 0;
  let completed = 0;
  let points = 0;
  let firstLeaseAt = 0;
  let finish;
  const done = new Promise((r) => (finish = r));
  const sockets = [];
  for (let i = 0; i < AGENTS; i++) {
    const s = connect(`${url}/agents`, { transports: ["websocket"], auth: { token }, forceNew: true, reconnection: false });
    sockets.push(s);
    let idleSince = 0;
    s.on("trial:lease", (lease, ack) => {
      ack({ ok: true, accepted: true });
      const now = performance.now();
      if (!firstLeaseAt) firstLeaseAt = now;
      leased++;
      if (leased > WARMUP && idleSince) latencies.push(now - idleSince);
      idleSince = 0;
      const ref = { trialId: lease.trialId, attempt: lease.attempt, leaseToken: lease.leaseToken };
      const pts = Array.from({ length: 10 }, (_, step) => ({ step, metrics: { loss: 1 / (step + 1) } }));
      let t0 = 0;
      (TRIAL_MS > 0 ? sleep(TRIAL_MS) : Promise.resolve())
        .then(() => {
          t0 = performance.now();
          return s.timeout(10_000).emitWithAck("trial:metric", { v: 1, ...ref, seq: 0, points: pts });
        })
        .then((mack) => {
          if (leased > WARMUP) metricAcks.push(performance.now() - t0);
          if (mack.ok) points += pts.length;
          // Idle from here: the server may lease the next trial before this ack comes back.
          idleSince = performance.now();
          return s.timeout(10_000).emitWithAck("trial:complete", {
            v: 1,
            ...ref,
            seq: 1,
            outcome: "complete",
            final: { loss: 0.1 },
            exitCode: 0,
            signal: null,
          });
        })
        .then(() => {
          completed++;
          if (completed === TRIALS) finish();
        })
        .catch((err) => console.error("agent error", err.message));
    });
    await new Promise((resolve, reject) => {
      s.once("connect", resolve);
      s.once("connect_error", reject);
    });
    s.emit(
      "agent:register",
      { v: 1, name: `sim-${i}`, host: "bench", cpuCores: 1, memoryMb: 1024, gpus: [], labels: {}, maxTrials: 1, running: [] },
      () => {
        idleSince = performance.now();
      },
    );
  }
  const timeout = setTimeout(() => finish(), 600_000);
  await done;
  clearTimeout(timeout);
  const elapsed = (performance.now() - firstLeaseAt) / 1000;
  const rss = process.memoryUsage().rss / 1024 / 1024;
  const [row] = await db.query(
    `SELECT count(*) FILTER (WHERE state = 'complete') AS complete, count(*) AS total FROM trials WHERE study_id = $1`,
    [studyId],
  );
  const result = {
    driver,
    trialMs: TRIAL_MS,
    agents: AGENTS,
    trials: TRIALS,
    completeInDb: Number(row.complete),
    seconds: +elapsed.toFixed(2),
    leasesPerSec: Math.round(completed / elapsed),
    leaseLatencyP50ms: +pct(latencies, 50).toFixed(1),
    leaseLatencyP99ms: +pct(latencies, 99).toFixed(1),
    metricPointsPerSec: Math.round(points / elapsed),
    metricAckP99ms: +pct(metricAcks, 99).toFixed(1),
    rssMb: Math.round(rss),
    cpuSec: +((process.cpuUsage().user + process.cpuUsage().system) / 1e6).toFixed(1),
  };
  for (const s of sockets) s.disconnect();
  await loop.stop();
  await gateway.close();
  io.close();
  await db.drop();
  return result;
}

const drivers = values.driver === "both" ? ["pglite", "pg"] : [values.driver];
const results = [];
for (const d of drivers) {
  const r = await run(d);
  results.push(r);
  console.log(JSON.stringify(r));
}
console.log(
  "\n| driver | trial ms | agents | trials | s | leases/s | lease p50 ms | lease p99 ms | metric pts/s | metric ack p99 ms | RSS MB |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${r.driver} | ${r.trialMs} | ${r.agents} | ${r.trials} | ${r.seconds} | ${r.leasesPerSec} | ${r.leaseLatencyP50ms} | ${r.leaseLatencyP99ms} | ${r.metricPointsPerSec} | ${r.metricAckP99ms} | ${r.rssMb} |`,
  );
}
process.exit(0);
