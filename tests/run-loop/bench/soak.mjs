#!/usr/bin/env node
// R12 soak (RELIABILITY.md): a script, not a CI test. One process holds the server side (HTTP +
// Socket.IO + agent gateway + scheduler loop); N real `autoglm-agent` processes, each behind
// its own TCP proxy, run a study of short Python trials (a learning curve with checkpoints)
// while faults from R1 and R3 are mixed in: a random agent is SIGKILLed and restarted 5 s
// later, and random agents' networks are reset or blackholed for less or more than T.
// At the end it prints the R12 invariants and exits 1 if one fails:
//   R1: 0 trials lost, 0 double-completed, ≤ max_attempts attempts, max re-lease delay ≤ 2T;
//   server RSS growth < 10 % after warm-up; DB connections ≤ pool size (pg);
//   0 attempts still open ("running") older than 2T at the end.
//
//   node bench/soak.mjs [--duration 30m] [--agents 50] [--trials 2000] [--slots 1]
//                       [--heartbeat-ms 1000] [--lease-ms 5000] [--kill-every 30s] [--drop-every 30s]
// Real PostgreSQL when DATABASE_URL is set (a fresh database cloned from the template), else
// PGlite in memory. Needs `pnpm --filter @autoglm/agent build` (the agent binary) first.
import { spawn } from "node:child_process";
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import { createTestDb } from "@autoglm/db/testing";
import { attachAgentGateway, SchedulerLoop } from "@autoglm/scheduler/agents";
import { seedRunStudy, seedTeam, seedToken } from "@autoglm/scheduler/testing";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "30m" },
    agents: { type: "string", default: "50" },
    trials: { type: "string", default: "2000" },
    slots: { type: "string", default: "1" },
    "heartbeat-ms": { type: "string", default: "1000" },
    "lease-ms": { type: "string", default: "5000" },
    "kill-every": { type: "string", default: "30s" },
    "drop-every": { type: "string", default: "30s" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), "utf8")
      .split("\n")
      .slice(1, 17)
      .map((l) => l.replace(/^\/\/ ?/, ""))
      .join("\n"),
  );
  process.exit(0);
}
const ms = (v) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(v));
  if (!m) throw new Error(`not a duration: ${v}`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"];
};
const DURATION = ms(values.duration);
const AGENTS = Number(values.agents);
const TRIALS = Number(values.trials);
const SLOTS = Number(values.slots);
const H = Number(values["heartbeat-ms"]);
const T = Number(values["lease-ms"]);
const KILL_EVERY = ms(values["kill-every"]);
const DROP_EVERY = ms(values["drop-every"]);
const MAX_ATTEMPTS = 3;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const AGENT_BIN = path.join(repoRoot, "packages/agent/dist/cli.js");
const logsDir = path.join(repoRoot, "test-results", "logs");
const sleep = (t) => new Promise((r) => setTimeout(r, t));
const rand = (a, b) => a + Math.random() * (b - a);
const log = (m) => console.log(`[soak ${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${m}`);

// Trials fill the duration: each agent slot runs TRIALS / (AGENTS × SLOTS) trials back to back.
const trialSeconds = Math.max(2, ((DURATION / 1000) * 0.6 * AGENTS * SLOTS) / TRIALS);
const STEP_S = Math.min(1, trialSeconds / 10);
const STEPS = Math.max(3, Math.round(trialSeconds / STEP_S));
const CURVE = String.raw`
import json, os, signal, sys, time
out = os.environ["AUTOGLM_OUTPUT_DIR"]
steps, delay = int(os.environ["STEPS"]), float(os.environ["STEP_S"])
open(os.path.join(out, "pid"), "w").write(str(os.getpid()))
start, resume = 0, os.environ.get("AUTOGLM_RESUME_FROM")
if resume and os.path.exists(os.path.join(resume, "ckpt.json")):
    start = json.load(open(os.path.join(resume, "ckpt.json")))["step"] + 1
def ckpt(step):
    json.dump({"step": step}, open(os.path.join(out, "ckpt.tmp"), "w"))
    os.replace(os.path.join(out, "ckpt.tmp"), os.path.join(out, "ckpt.json"))
last = {"step": start - 1}
def on_term(*_):
    if last["step"] >= 0: ckpt(last["step"])
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
for step in range(start, steps):
    time.sleep(delay)
    print(json.dumps({"autoglm": 1, "step": step, "metrics": {"loss": 1.0 / (step + 1)}}), flush=True)
    last["step"] = step
    ckpt(step)
print(json.dumps({"autoglm": 1, "final": {"loss": 1.0 / steps}}), flush=True)
`;

/** A TCP proxy that can reset every connection or blackhole them (see src/tcp-proxy.ts). */
class Proxy {
  constructor(port) {
    this.target = port;
    this.state = "up";
    this.pairs = new Set();
    this.server = net.createServer((c) => this.accept(c));
  }
  async listen() {
    await new Promise((r) => this.server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${this.server.address().port}`;
  }
  accept(c) {
    c.on("error", () => {});
    if (this.state === "close") return c.resetAndDestroy();
    const u = net.connect(this.target, "127.0.0.1");
    u.on("error", () => {});
    const pair = { c, u, legs: [] };
    for (const [from, to] of [
      [c, u],
      [u, c],
    ]) {
      const leg = { to, held: [], ended: false };
      pair.legs.push(leg);
      const pass = (item) => {
        leg.held.push(item);
        if (this.state === "up") this.flush(pair, leg);
      };
      from.on("data", (d) => pass(d));
      from.on("end", () => pass("end"));
      from.on("close", () => pass("destroy"));
    }
    this.pairs.add(pair);
  }
  flush(pair, leg) {
    while (leg.held.length) {
      const item = leg.held.shift();
      if (item === "end") {
        leg.ended = true;
        if (!leg.to.destroyed) leg.to.end();
      } else if (item === "destroy") {
        leg.held.length = 0;
        if (!leg.ended) this.kill(pair);
        return;
      } else if (!leg.to.destroyed && leg.to.writable) leg.to.write(item);
    }
  }
  kill(pair) {
    this.pairs.delete(pair);
    for (const s of [pair.c, pair.u]) if (!s.destroyed) s.resetAndDestroy();
  }
  async drop(mode, t) {
    this.state = mode;
    if (mode === "close") for (const p of [...this.pairs]) this.kill(p);
    await sleep(t);
    this.state = "up";
    for (const p of [...this.pairs]) for (const leg of p.legs) this.flush(p, leg);
  }
  close() {
    for (const p of [...this.pairs]) this.kill(p);
    return new Promise((r) => this.server.close(() => r()));
  }
}

const t0 = Date.now();
const dir = mkdtempSync(path.join(tmpdir(), "autoglm-soak-"));
chmodSync(dir, 0o777);
const script = path.join(dir, "curve.py");
writeFileSync(script, CURVE);
chmodSync(script, 0o755);
mkdirSync(logsDir, { recursive: true });

const POOL = 5; // createTestDb's pool size on pg
const db = await createTestDb();
const http = createServer();
const io = new Server(http, {
  pingInterval: Math.max(1_000, H),
  pingTimeout: Math.max(1_000, H),
  serveClient: false,
  maxHttpBufferSize: 1_000_000,
});
await new Promise((r) => http.listen(0, "127.0.0.1", r));
const port = http.address().port;
const config = {
  heartbeatMs: H,
  leaseTtlMs: T,
  sweepMs: H,
  tickMs: 200,
  ackTimeoutMs: 2_000,
  optimizerRefreshMs: 1_000,
  startupGraceMs: T,
};
const gateway = attachAgentGateway(io, { db, config });
const loop = new SchedulerLoop({ db, gateway, config }).start();
const team = await seedTeam(db, "soak");
const token = await seedToken(db, team);
const studyId = await seedRunStudy(db, team, {
  // 80 % of the slots: spare capacity, so a trial whose agent was lost is re-leased at once.
  budget: { max_trials: TRIALS, max_parallel: Math.max(1, Math.floor(0.8 * AGENTS * SLOTS)), max_attempts: MAX_ATTEMPTS },
  run: { command: `STEPS=${STEPS} STEP_S=${STEP_S} /usr/bin/python3 ${script}` },
});
log(
  `${db.driver}; ${AGENTS} agents × ${SLOTS} slots, ${TRIALS} trials of ~${(STEPS * STEP_S).toFixed(1)} s, H ${H} ms, T ${T} ms, for up to ${values.duration}`,
);

const agents = [];
function startAgent(i) {
  const a = agents[i];
  const out = createWriteStream(path.join(logsDir, `soak-agent-${i}.log`), { flags: "a" });
  const child = spawn(
    process.execPath,
    [
      AGENT_BIN,
      "--server",
      a.url,
      "--name",
      `soak-${i}`,
      "--max-trials",
      String(SLOTS),
      "--work-dir",
      path.join(dir, `work-${i}`),
      "--heartbeat-ms",
      String(H),
      "--kill-grace-ms",
      "2000",
      "--ack-timeout-ms",
      "2000",
      "--reconnect-max-ms",
      "1000",
      "--no-gpus",
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", AUTOGLM_TOKEN: token },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  a.child = child;
  a.exited = new Promise((r) => child.on("exit", (code, sig) => r(sig ?? code)));
}
for (let i = 0; i < AGENTS; i++) {
  const proxy = new Proxy(port);
  agents.push({ proxy, url: await proxy.listen() });
  startAgent(i);
}

const counts = async () => {
  const rows = await db.query(`SELECT state, count(*)::int AS n FROM trials WHERE study_id = $1 GROUP BY state`, [studyId]);
  const c = { waiting: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
  for (const r of rows) c[r.state] = Number(r.n);
  return c;
};
const rssMb = () => process.memoryUsage().rss / 1048576;

let done = false;
const kills = [];
const drops = { close: 0, blackhole: 0, long: 0 };
const chaos = [
  (async () => {
    await sleep(KILL_EVERY / 2);
    while (!done) {
      const i = Math.floor(Math.random() * AGENTS);
      agents[i].child.kill("SIGKILL");
      kills.push({ name: `soak-${i}`, at: Date.now() });
      await agents[i].exited;
      await sleep(5_000);
      if (!done) startAgent(i);
      await sleep(rand(0.67, 1.33) * KILL_EVERY);
    }
  })(),
  (async () => {
    await sleep(DROP_EVERY / 2);
    while (!done) {
      const a = agents[Math.floor(Math.random() * AGENTS)];
      const mode = Math.random() < 0.5 ? "close" : "blackhole";
      const long = Math.random() < 0.3;
      drops[mode]++;
      if (long) drops.long++;
      void a.proxy.drop(mode, long ? rand(1.1, 2) * T : rand(0, 0.4) * T);
      await sleep(rand(0.67, 1.33) * (DROP_EVERY / Math.max(1, AGENTS / 10)));
    }
  })(),
];

// Warm-up ends at 10 % of the run; RSS and DB connections are sampled every 5 s after it.
let rssWarm = 0;
let rssMax = 0;
let dbConnMax = 0;
let last = 0;
for (;;) {
  const c = await counts();
  const elapsed = Date.now() - t0;
  if (!rssWarm && elapsed > DURATION / 10) rssWarm = rssMb();
  if (rssWarm) rssMax = Math.max(rssMax, rssMb());
  if (db.driver === "pg") {
    const [r] = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()`);
    dbConnMax = Math.max(dbConnMax, Number(r.n));
  }
  if (elapsed - last > 30_000) {
    last = elapsed;
    log(`${JSON.stringify(c)}; ${kills.length} kills, drops ${JSON.stringify(drops)}; RSS ${rssMb().toFixed(0)} MB`);
  }
  if (c.complete + c.failed + c.pruned >= TRIALS || elapsed > DURATION) break;
  await sleep(5_000);
}
done = true;
await Promise.all(chaos);
// Let the last lapsed leases be swept and re-run for a moment, then read the invariants.
await sleep(2 * T);
const c = await counts();
const rssEnd = rssMb();
const [doubles] = await db.query(
  `SELECT count(*)::int AS n FROM (SELECT trial_id FROM trial_attempts WHERE end_code = 'COMPLETED' AND trial_id IN (SELECT id FROM trials WHERE study_id = $1) GROUP BY trial_id HAVING count(*) > 1) d`,
  [studyId],
);
const [overAttempts] = await db.query(
  `SELECT count(*)::int AS n FROM (SELECT trial_id FROM trial_attempts a WHERE a.end_code NOT IN ('AGENT_SHUTDOWN','LEASE_NOT_DELIVERED','LEASE_REJECTED')
     AND trial_id IN (SELECT id FROM trials WHERE study_id = $1) GROUP BY trial_id HAVING count(*) > $2) d`,
  [studyId, MAX_ATTEMPTS],
);
// Stuck: an attempt still open whose lease lapsed more than 2T ago (the sweeper never took it back).
const [stuck] = await db.query(
  `SELECT count(*)::int AS n FROM trial_attempts a JOIN trials t ON t.id = a.trial_id
   WHERE a.ended_at IS NULL AND t.study_id = $2 AND (t.lease_expires_at IS NULL OR t.lease_expires_at < now() - $1::int * interval '1 millisecond')`,
  [2 * T, studyId],
);
const lost = await db.query(
  `SELECT a.ended_at, (SELECT min(b.started_at) FROM trial_attempts b WHERE b.trial_id = a.trial_id AND b.attempt > a.attempt) AS next
   FROM trial_attempts a WHERE a.end_code = 'AGENT_LOST' AND a.trial_id IN (SELECT id FROM trials WHERE study_id = $1)`,
  [studyId],
);
const reLease = lost.filter((l) => l.next).map((l) => new Date(l.next).getTime() - new Date(l.ended_at).getTime());
const finishedAll = c.complete + c.failed + c.pruned >= TRIALS;
const growth = rssWarm ? (rssMax - rssWarm) / rssWarm : 0;
const checks = [
  [
    "all trials finished (0 lost)",
    finishedAll && c.waiting + c.running === 0,
    `${c.complete} complete, ${c.failed} failed, ${c.waiting} waiting, ${c.running} running of ${TRIALS}`,
  ],
  ["0 failed trials", c.failed === 0, `${c.failed}`],
  ["0 double-completed", doubles.n === 0, `${doubles.n}`],
  [`no trial over ${MAX_ATTEMPTS} attempts`, overAttempts.n === 0, `${overAttempts.n}`],
  [
    "re-leased ≤ T after its attempt was declared AGENT_LOST",
    reLease.every((d) => d <= T),
    `${reLease.length} re-leases, max ${reLease.length ? Math.max(...reLease) : 0} ms`,
  ],
  [
    "server RSS growth < 10 % after warm-up",
    growth < 0.1,
    `${rssWarm.toFixed(0)} → max ${rssMax.toFixed(0)} MB (+${(growth * 100).toFixed(1)} %), end ${rssEnd.toFixed(0)} MB`,
  ],
  [
    "DB connections ≤ pool size",
    db.driver !== "pg" || dbConnMax <= POOL,
    db.driver === "pg" ? `max ${dbConnMax} of ${POOL}` : "n/a on PGlite",
  ],
  ["0 stuck running attempts older than 2T", stuck.n === 0, `${stuck.n}`],
];
log(`${kills.length} SIGKILLs, drops ${JSON.stringify(drops)}`);
for (const [name, ok, detail] of checks) console.log(`${ok ? "PASS" : "FAIL"}  ${name}: ${detail}`);

for (const a of agents) a.child.kill("SIGKILL");
for (let i = 0; i < AGENTS; i++) {
  const root = path.join(dir, `work-${i}`, "trials");
  if (!existsSync(root)) continue;
  for (const t of readdirSync(root))
    for (const at of readdirSync(path.join(root, t))) {
      const f = path.join(root, t, at, "pid");
      if (existsSync(f))
        try {
          process.kill(Number(readFileSync(f, "utf8")), "SIGKILL");
        } catch {
          /* gone */
        }
    }
}
await loop.stop();
await gateway.close();
io.close();
http.closeAllConnections();
await new Promise((r) => http.close(() => r()));
for (const a of agents) await a.proxy.close();
await db.drop();
rmSync(dir, { recursive: true, force: true });
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
