import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { attachAgentGateway, createDbTokenVerifier, type AgentGateway } from "@autoglm/scheduler/agents";
import { seedTeam, seedToken } from "@autoglm/scheduler/testing";
import { Server } from "socket.io";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "./agent.js";
import { silentLogger } from "@autoglm/protocol";
import { openTempDir, cleanup } from "./testing/harness.js";

/**
 * R5: the handshake's token check needs the database. While it is down the gateway refuses
 * the handshake with "unavailable", which stops Socket.IO's own reconnection; the agent then
 * retries by itself. It must retry at its normal reconnect pace (here ≤ 500 ms), not the
 * 2 s, 4 s, 8 s … 30 s back-off kept for a refused token — or an agent whose connection
 * dropped during a database outage returns long after the database did, its leases lapsed.
 */
let db: TestDb;
let gateway: AgentGateway;
let io: Server;
let http: ReturnType<typeof createServer>;
let agent: RunningAgent | undefined;
let dir: string;
let downUntil = 0;

beforeAll(async () => {
  db = await createTestDb();
  dir = openTempDir("autoglm-reconnect-");
  http = createServer();
  io = new Server(http, { serveClient: false });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const verify = createDbTokenVerifier(db);
  gateway = attachAgentGateway(io, {
    db,
    // The real verifier, failing as it does while PostgreSQL is unreachable.
    verifyToken: async (token) => {
      if (Date.now() < downUntil) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
      return verify(token);
    },
  });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await gateway.close();
  io.close();
  http.closeAllConnections();
  await new Promise<void>((r) => http.close(() => r()));
  await db.drop();
  cleanup(dir);
});

it("an agent refused as 'unavailable' (database down) gets in within its reconnect delay once the database is back", async () => {
  const team = await seedTeam(db, "reconnect");
  const token = await seedToken(db, team);
  const DOWN_MS = 2_500;
  const started = Date.now();
  downUntil = started + DOWN_MS;
  agent = await startAgent({
    server: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    token,
    gpus: [],
    workDir: dir,
    reconnectDelayMs: 200,
    reconnectDelayMaxMs: 500,
    logger: silentLogger,
  });
  await agent.registered;
  const lateMs = Date.now() - downUntil;
  console.log(`reconnect: registered ${lateMs} ms after the database came back (reconnect delay ≤ 500 ms)`);
  // Before: tries at 0, 2 s, 6 s → in 3.5 s after the database was back.
  expect(lateMs).toBeLessThanOrEqual(1_500);
});
