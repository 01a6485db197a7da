#!/usr/bin/env node
// The platform side of bench/artifacts.mjs, in a process of its own so that its VmRSS is the
// server's alone: the whole server (Next, Socket.IO, run loop, the artifact routes) on an
// embedded PGlite database in <data dir>, with the artifact store ARTIFACT_STORE names (the
// S3 settings come in the environment, as in production). Seeds a team, an agent holding two
// running trials (one for the large file, one for the small files) and read tokens, prints
// them as one JSON line, and stops on SIGTERM.
// With BENCH_DATABASE_URL (postgres://…), a fresh database cloned on that server instead of PGlite.
//   node bench/artifacts-server.mjs <data dir>
import { randomUUID } from "node:crypto";
import { createTestDb } from "@autoglm/db/testing";
import { startServer } from "@autoglm/server";
import { seedAgent, seedRunStudy, seedTeam, seedTokenRow } from "@autoglm/scheduler/testing";

const dataDir = process.argv[2];
/** The api allows 3,000 requests per 10 s per token; downloads of 10,000 files take turns over these. */
const READ_TOKENS = 8;

const pg = process.env.BENCH_DATABASE_URL ? await createTestDb({ url: process.env.BENCH_DATABASE_URL }) : undefined;
const server = await startServer({ port: 0, host: "127.0.0.1", dataDir, log: () => {}, ...(pg ? { db: pg } : {}) });
const db = server.platform.db;
const team = await seedTeam(db, "bench");
const agentToken = await seedTokenRow(db, team);
const agentId = await seedAgent(db, team, { tokenId: agentToken.tokenId, maxTrials: 2 });
// 4 GiB: the 1 GiB file fits the attempt's cap with room for a rerun of the same name.
const studyId = await seedRunStudy(db, team, {
  run: { command: "true", artifacts_max_mb: 4096 },
  budget: { max_trials: 2, max_parallel: 2 },
});
const trials = {};
for (const [n, label] of ["large", "small"].entries()) {
  const leaseToken = randomUUID();
  // Held for a day: the lease sweeper must not take the trial back during the run.
  const [row] = await db.query(
    `INSERT INTO trials (org_id, study_id, number, state, params, attempt, lease_kind, lease_token, lease_expires_at, agent_id, started_at)
     VALUES ($1, $2, $3, 'running', '{"x": 0.5}', 1, 'agent', $4, now() + interval '1 day', $5, now()) RETURNING id`,
    [team.orgId, studyId, n, leaseToken, agentId],
  );
  await db.query(`UPDATE studies SET next_trial_number = 2 WHERE id = $1`, [studyId]);
  trials[label] = { trialId: String(row.id), attempt: 1, leaseToken };
}
const readTokens = [];
for (let i = 0; i < READ_TOKENS; i++) readTokens.push((await seedTokenRow(db, team, { scopes: ["read"] })).token);

process.stdout.write(
  `${JSON.stringify({ url: server.url, pid: process.pid, agentToken: agentToken.token, readTokens, trials })}\n`,
);

// Memory peaks for bench/artifacts.mjs, which samples VmRSS from outside: the heap and the
// ArrayBuffer bytes (the streams' chunks and parts) every 50 ms, reported and reset on SIGUSR2.
let memory;
const resetMemory = () => {
  const m = process.memoryUsage();
  memory = { heapStart: m.heapUsed, heapPeak: m.heapUsed, buffersStart: m.arrayBuffers, buffersPeak: m.arrayBuffers };
};
resetMemory();
setInterval(() => {
  const m = process.memoryUsage();
  memory.heapPeak = Math.max(memory.heapPeak, m.heapUsed);
  memory.buffersPeak = Math.max(memory.buffersPeak, m.arrayBuffers);
}, 50).unref();
process.on("SIGUSR2", () => {
  process.stdout.write(`${JSON.stringify({ memory })}\n`);
  resetMemory();
});

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  server
    .close()
    .then(() => pg?.drop())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
});
