#!/usr/bin/env node
// The platform side of bench/serve.mjs, in a process of its own so that its CPU (and, with
// `node --cpu-prof`, its profile) is the server's alone: the whole server (Next, Socket.IO, run
// loop, serving reconciler, the /serve gateway) on an embedded PGlite database in <data dir>, or
// with BENCH_DATABASE_URL (postgres://…) a fresh database cloned on that server. Seeds a team with
// an agent token and a read/write token, prints them as one JSON line, then answers the bench's
// IPC question "which replicas of endpoint E are ready, at which URL, with which secret" (the
// secret the gateway sends: HMAC-SHA256(AUTH_SECRET, "autoglm-replica:" + replica id)), so the
// bench can call a replica directly to show the gateway's cost. Stops on SIGTERM.
// BENCH_SERVER_ENTRY: another build's index.js to start instead of @autoglm/server (--server-entry).
//   node bench/serve-server.mjs <data dir>
import { createTestDb } from "@autoglm/db/testing";
import { replicaSecretOf } from "@autoglm/scheduler";
import { seedTeam, seedTokenRow } from "@autoglm/scheduler/testing";
import { pathToFileURL } from "node:url";
import { startServer as builtServer } from "@autoglm/server";

const dataDir = process.argv[2];
/** Bench-only: the key replica secrets derive from (the server reads AUTH_SECRET for it in production). */
const AUTH_SECRET = "bench-serve-only-secret-0123456789abcdef0123456789";

const startServer = process.env.BENCH_SERVER_ENTRY
  ? (await import(pathToFileURL(process.env.BENCH_SERVER_ENTRY).href)).startServer
  : builtServer;
const pg = process.env.BENCH_DATABASE_URL ? await createTestDb({ url: process.env.BENCH_DATABASE_URL }) : undefined;
const server = await startServer({
  port: 0,
  host: "127.0.0.1",
  dataDir,
  authSecret: AUTH_SECRET,
  log: () => {},
  ...(pg ? { db: pg } : {}),
});
const db = server.platform.db;
const team = await seedTeam(db, "bench-serve");
const agentToken = await seedTokenRow(db, team);
const userToken = await seedTokenRow(db, team, { scopes: ["read", "write"] });

process.on("message", (msg) => {
  if (msg?.type !== "replicas") return;
  db.query(
    `SELECT r.id, r.url FROM endpoint_replicas r JOIN endpoints e ON e.id = r.endpoint_id
     WHERE e.org_id = $1 AND e.name = $2 AND e.deleted_at IS NULL AND r.state = 'ready' ORDER BY r.ready_at`,
    [team.orgId, msg.endpoint],
  ).then(
    (rows) =>
      process.send({
        type: "replicas",
        endpoint: msg.endpoint,
        replicas: rows.map((r) => ({ id: String(r.id), url: r.url, secret: replicaSecretOf(AUTH_SECRET, String(r.id)) })),
      }),
    (err) => process.send({ type: "replicas", endpoint: msg.endpoint, error: String(err) }),
  );
});

process.stdout.write(
  `${JSON.stringify({ url: server.url, pid: process.pid, agentToken: agentToken.token, userToken: userToken.token, projectId: team.projectId })}\n`,
);

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  server
    .close()
    .then(() => pg?.drop())
    .then(
      // process.exit: `node --cpu-prof` writes its profile on exit.
      () => process.exit(0),
      () => process.exit(1),
    );
});
