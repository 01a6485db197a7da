#!/usr/bin/env node
// L1/L2 scheduler benchmark (RELIABILITY.md): one process holds the server side (HTTP +
// Socket.IO + agent gateway + scheduler loop) and N simulated agents (bench/sim-agents.mjs:
// one socket each, speaking the real protocol), by default in a worker thread of their own so
// their JavaScript does not queue on the server's event loop (`--agents-in server` puts them
// on it, as this bench did before 2026-12-05). Each agent takes a lease, reports 10 metric
// points in one batch, completes, and is leased the next trial. Prints leases/s, lease latency
// (agent idle, i.e. sending its completion → next lease received) p50/p99 after warm-up, metric
// points/s, metric ack p99, RSS and the process's CPU seconds during the run.
//   node bench/scheduler.mjs [--agents 200] [--trials 5000] [--driver pglite|pg|both] [--trial-ms 0]
//                            [--agents-in worker|server] [--autovacuum]
// --trial-ms T: each simulated trial "trains" T ms between its lease and its metrics, so the
// offered load is about agents / T leases per second instead of as fast as the server goes
// (lease latency at a given rate, rather than the queueing delay of a saturated closed loop).
// pg uses DATABASE_URL (default postgres://postgres:postgres@127.0.0.1:5432/postgres).
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import { Worker } from "node:worker_threads";
import { simulateAgents } from "./sim-agents.mjs";
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
    "agents-in": { type: "string", default: "worker" },
    autovacuum: { type: "boolean", default: false },
  },
});
const AGENTS = Number(values.agents);
const TRIALS = Number(values.trials);
const WARMUP = Number(values.warmup);
const POOL = Number(values.pool);
const TRIAL_MS = Number(values["trial-ms"]);
const AGENTS_IN = values["agents-in"];
if (AGENTS_IN !== "worker" && AGENTS_IN !== "server") throw new Error("--agents-in must be worker or server");

/** The simulated agents in their own thread (bench/sim-agents.mjs). */
function inWorker(sim) {
  const worker = new Worker(new URL("./sim-agents.mjs", import.meta.url), { workerData: { simulateAgents: sim } });
  return new Promise((resolve, reject) => {
    worker.once("message", (r) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}
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
  // Each run's database is new, so PostgreSQL's autovacuum finds every table past its
  // thresholds (a few thousand rows changed on tables that were empty) within the timed
  // window: its first pass over them stalls leases and metric acks alike for 100-300 ms, once
  // per run, at a random second. A long-lived database's tables are far past those scale
  // factors and are vacuumed in the background. Paused for the bench's own tables unless
  // --autovacuum (BENCHMARKS.md reports both).
  if (driver === "pg" && !values.autovacuum) {
    const tables = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    for (const t of tables) await db.query(`ALTER TABLE "${t.tablename}" SET (autovacuum_enabled = false)`);
  }

  const sim = { url, token, agents: AGENTS, trials: TRIALS, warmup: WARMUP, trialMs: TRIAL_MS };
  const cpuBefore = process.cpuUsage();
  const {
    latencies,
    metricAcks,
    completed,
    points,
    seconds: elapsed,
  } = AGENTS_IN === "worker" ? await inWorker(sim) : await simulateAgents(sim);
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
    agentsIn: AGENTS_IN,
    autovacuum: driver === "pg" ? values.autovacuum : null,
    // The whole process (server, and the agents when they share it), during the run.
    cpuSec: +((process.cpuUsage(cpuBefore).user + process.cpuUsage(cpuBefore).system) / 1e6).toFixed(1),
  };
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
