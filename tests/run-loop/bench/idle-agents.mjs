#!/usr/bin/env node
// L4 (RELIABILITY.md): N idle agents connected over websocket to one server process, each
// registering and heartbeating every H like a real agent. Prints connect time for all, the
// heartbeat ack p50/p99, spurious disconnects, and RSS per 1,000 agents.
//   node bench/idle-agents.mjs [--agents 1000] [--seconds 120] [--heartbeat-ms 5000] [--driver pglite|pg]
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import { io as connect } from "socket.io-client";
import { createTestDb } from "@autoglm/db/testing";
import { attachAgentGateway, SchedulerLoop } from "@autoglm/scheduler/agents";
import { seedTeam, seedToken } from "@autoglm/scheduler/testing";

const { values } = parseArgs({
  options: {
    agents: { type: "string", default: "1000" },
    seconds: { type: "string", default: "120" },
    "heartbeat-ms": { type: "string", default: "5000" },
    driver: { type: "string", default: "pg" },
  },
});
const AGENTS = Number(values.agents);
const SECONDS = Number(values.seconds);
const H = Number(values["heartbeat-ms"]);
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const pct = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

const db = await createTestDb(values.driver === "pg" ? { url: PG_URL, poolSize: 10 } : {});
const http = createServer();
const io = new Server(http, { serveClient: false, maxHttpBufferSize: 1_000_000 });
await new Promise((r) => http.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${http.address().port}`;
const config = { heartbeatMs: H, leaseTtlMs: 3 * H, sweepMs: H };
const gateway = attachAgentGateway(io, { db, config });
const loop = new SchedulerLoop({ db, gateway, config }).start();
const team = await seedTeam(db, "idle");
const token = await seedToken(db, team);
const rssBefore = process.memoryUsage().rss;

const acks = [];
let disconnects = 0;
let measuring = false;
const sockets = [];
const t0 = performance.now();
// Connect in waves of 50 so the test machine's own client side is not the bottleneck.
for (let i = 0; i < AGENTS; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, AGENTS - i) }, (_, k) => {
      const s = connect(`${url}/agents`, { transports: ["websocket"], auth: { token }, forceNew: true, reconnection: false });
      sockets.push(s);
      s.on("disconnect", () => {
        if (measuring) disconnects++;
      });
      return new Promise((resolve, reject) => {
        s.once("connect_error", reject);
        s.once("connect", () =>
          s.emit(
            "agent:register",
            {
              v: 1,
              name: `idle-${i + k}`,
              host: "bench",
              cpuCores: 1,
              memoryMb: 1024,
              gpus: [],
              labels: {},
              maxTrials: 1,
              running: [],
            },
            resolve,
          ),
        );
      });
    }),
  );
}
const connectSeconds = (performance.now() - t0) / 1000;
measuring = true;
const timers = sockets.map((s, i) => {
  let seq = 0;
  const beat = () => {
    const sent = performance.now();
    s.timeout(10_000)
      .emitWithAck("agent:heartbeat", { v: 1, seq: seq++, running: [] })
      .then(
        () => acks.push(performance.now() - sent),
        () => acks.push(10_000),
      );
  };
  // Spread the beats over the period like independent machines would.
  return setTimeout(function tick() {
    beat();
    timers[i] = setTimeout(tick, H);
  }, Math.random() * H);
});
await new Promise((r) => setTimeout(r, SECONDS * 1000));
measuring = false;
for (const t of timers) clearTimeout(t);
const rss = process.memoryUsage().rss;
const result = {
  driver: values.driver,
  agents: AGENTS,
  seconds: SECONDS,
  connectAllSeconds: +connectSeconds.toFixed(1),
  heartbeats: acks.length,
  heartbeatAckP50ms: +pct(acks, 50).toFixed(1),
  heartbeatAckP99ms: +pct(acks, 99).toFixed(1),
  spuriousDisconnects: disconnects,
  rssMbPer1000Agents: +(((rss - rssBefore) / 1024 / 1024) * (1000 / AGENTS)).toFixed(0),
  note: "RSS covers the server and the simulated clients (one process)",
};
console.log(JSON.stringify(result));
for (const s of sockets) s.disconnect();
await loop.stop();
await gateway.close();
io.close();
await db.drop();
process.exit(0);
