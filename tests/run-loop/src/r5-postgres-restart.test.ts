import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createDb } from "@autoglm/db/client";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  cleanup,
  makeTeam,
  openTempDir,
  seedRunStudy,
  startRunLoopServer,
  studyCounts,
  writeScript,
  type RunLoopServer,
} from "../../../packages/agent/src/testing/harness.js";
import { CURVE_PY } from "./curve.py.js";
import { sleep, spawnAgent, type AgentProcess } from "./processes.js";
import { TcpProxy } from "./tcp-proxy.js";

const run = promisify(execFile);

/**
 * R5 at CI scale: PostgreSQL crashes under a running study, three times: `pg_ctlcluster …
 * restart -m immediate`, then `stop -m immediate`, 5 s down, `start`, then another immediate
 * restart. RELIABILITY.md uses T = 15 s with outages of 5 s and 30 s; here T = 3 s (÷5). The
 * stop/start outage (≥ 5 s) is past T as the row's 30 s is; an immediate restart is meant to
 * be the short one, but pg_ctlcluster's own start-up makes it 2–9 s on a loaded 2-core box
 * (printed), so every outage here may outlast the leases.
 *
 * Pass figures: 0 committed results lost (every completed trial and stored point seen
 * before a crash is there after it, and every point every trial printed is stored once);
 * 0 process crashes (the server in this process has no unhandled pool `error` — vitest fails
 * the file on any unhandled error — and no agent exits); the run loop serves agents again
 * ≤ T after PostgreSQL accepts connections (the row's "API healthy ≤ 15 s", scaled by T:
 * a heartbeat of every agent recorded in the database — one of them had to reconnect through
 * the handshake while the database was down); the study finishes after PG is back, every trial
 * complete. Also: no trial is charged an attempt for an outage (0 AGENT_LOST from an outage's
 * start to 2T after it) — the agents were alive and heartbeating; it was the server that could
 * not write it down (SchedulerLoop.sweep waits one TTL after the database is back).
 * (The row's "NOTIFY ≤ 5 s" belongs to apps/server's LISTEN client; nothing here listens.)
 *
 * Runs only against a real local server that this process may restart: DATABASE_URL set,
 * a cluster on its port in `pg_lsclusters`, and root (CI). It restarts the WHOLE cluster,
 * so on a shared machine it also skips while other sessions are connected, unless
 * AUTOGLM_R5_FORCE=1.
 */
const H = 300;
const T = 3_000;
const CONFIG = {
  heartbeatMs: H,
  leaseTtlMs: T,
  sweepMs: 300,
  tickMs: 100,
  ackTimeoutMs: 1_000,
  optimizerRefreshMs: 500,
  startupGraceMs: 1_000,
};
const TRIALS = 20;
const STEPS = 12;

interface Cluster {
  version: string;
  name: string;
}

async function clusterFor(url: string): Promise<{ cluster?: Cluster; skip?: string }> {
  const u = new URL(url);
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(u.hostname)) return { skip: "DATABASE_URL is not a local server" };
  if (typeof process.getuid !== "function" || process.getuid() !== 0)
    return { skip: "not running as root (pg_ctlcluster needs root or the cluster owner)" };
  if (!existsSync("/usr/bin/pg_ctlcluster")) return { skip: "pg_ctlcluster is not installed" };
  const port = u.port || "5432";
  const { stdout } = await run("pg_lsclusters", ["--no-header"]);
  const line = stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[2] === port && f[3] === "online");
  if (!line) return { skip: `no online cluster on port ${port} in pg_lsclusters` };
  const cluster = { version: line[0]!, name: line[1]! };
  if (process.env.AUTOGLM_R5_FORCE !== "1") {
    const c = await createDb({ url, migrate: false, poolSize: 1, onPoolError: () => {} });
    try {
      const [r] = await c.query<{ n: unknown }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
      if (Number(r!.n) > 0) {
        return {
          skip: `${String(r!.n)} other session(s) are connected to the cluster; not crashing it under them (AUTOGLM_R5_FORCE=1 to do it anyway)`,
        };
      }
    } finally {
      await c.close();
    }
  }
  return { cluster };
}

const baseUrl = process.env.DATABASE_URL;
const probe = baseUrl
  ? await clusterFor(baseUrl).catch((err) => ({
      skip: `cannot inspect the server: ${String(err).slice(0, 200)}`,
      cluster: undefined,
    }))
  : { skip: "DATABASE_URL is not set (PGlite runs in this process: there is no server to restart)" };
if (probe.skip) console.log(`R5 skipped: ${probe.skip}`);
const cluster = probe.cluster;

let srv: RunLoopServer;
let dir: string;
const procs: AgentProcess[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  if (!cluster) return;
  srv = await startRunLoopServer(CONFIG);
  dir = openTempDir("autoglm-r5-");
}, 60_000);

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  if (cluster) {
    // Never leave the shared server down, whatever happened above.
    await run("pg_ctlcluster", [cluster.version, cluster.name, "start"]).catch(() => undefined);
    await waitForPg(60_000).catch(() => undefined);
  }
  for (const p of proxies) await p.close();
  await srv?.close().catch(() => undefined);
  if (dir) cleanup(dir);
}, 90_000);

/** Resolves with the time PostgreSQL accepts connections (and queries) again. */
async function waitForPg(timeoutMs = 60_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const c = await createDb({ url: baseUrl, migrate: false, poolSize: 1, onPoolError: () => {} });
    try {
      await c.query("SELECT 1");
      return Date.now();
    } catch {
      if (Date.now() > end) throw new Error("PostgreSQL did not come back");
      await sleep(100);
    } finally {
      await c.close().catch(() => undefined);
    }
  }
}

/** waitFor that tolerates the database being down (queries throw meanwhile). */
async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch {
      /* PostgreSQL is down */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Snapshot {
  complete: Map<string, number>;
  points: Map<string, number>;
}

async function snapshot(studyId: string): Promise<Snapshot> {
  const done = await srv.db.query<{ id: string; value: unknown }>(
    `SELECT id, value FROM trials WHERE study_id = $1 AND state = 'complete'`,
    [studyId],
  );
  const pts = await srv.db.query<{ trial_id: string; step: number; value: unknown }>(
    `SELECT v.trial_id, v.step, v.value FROM trial_values v JOIN trials t ON t.id = v.trial_id WHERE t.study_id = $1`,
    [studyId],
  );
  return {
    complete: new Map(done.map((r) => [r.id, Number(r.value)])),
    points: new Map(pts.map((r) => [`${r.trial_id}#${r.step}`, Number(r.value)])),
  };
}

it.skipIf(!cluster)(
  `PostgreSQL crashes 3× mid-study (restart -m immediate; stop, 5 s, start; restart; T = ${T} ms): 0 committed results lost, 0 crashes, study finishes`,
  // One retry, with a new team, study and agents, for the loaded 2-core box; a second failure in
  // a row still fails the file. Runs used to charge a trial AGENT_LOST 3-4 s after PostgreSQL was
  // back (1 run in 3 to 12): a lease statement that committed as the crash cut its connection,
  // so it was never sent and lapsed; the pump now takes such leases back (LEASE_NOT_DELIVERED).
  { retry: 1, timeout: 240_000 },
  async () => {
    const c = cluster!;
    const team = await makeTeam(srv, "r5");
    const script = writeScript(dir, "curve.py", CURVE_PY);
    const studyId = await seedRunStudy(srv.db, team, {
      space: { lr: { type: "float", low: 0.001, high: 1, log: true } },
      budget: { max_trials: TRIALS, max_parallel: 4, max_attempts: 3 },
      run: { command: `CURVE_STEPS=${STEPS} CURVE_DELAY=0.25 /usr/bin/python3 ${script}` },
    });
    const exits: Array<number | null> = [];
    // Agent 2 reaches the server through a proxy, so its connection can be cut while PostgreSQL
    // is down: it must then get back in through the handshake, whose token check needs the database.
    const proxy = TcpProxy.forUrl(srv.url);
    proxies.push(proxy);
    const proxied = await proxy.listen();
    for (const name of ["r5-agent-1", "r5-agent-2"]) {
      const url = name === "r5-agent-2" ? proxied : srv.url;
      const p = spawnAgent({
        url,
        token: team.token,
        name,
        workDir: path.join(dir, "work"),
        cwd: dir,
        maxTrials: 2,
        heartbeatMs: H,
        logTag: "r5",
      });
      procs.push(p);
      void p.exited.then((code) => exits.push(code));
    }

    const outages: Array<{ kind: string; downMs: number; servedAfterMs: number; lost: string[] }> = [];
    const outageTimes: Array<{ kind: string; start: number; back: number }> = [];
    const crash = async (kind: "restart" | "stop-5s-start") => {
      const before = await snapshot(studyId);
      // How long PostgreSQL really refused queries (pg_ctlcluster's own start-up included).
      const prober = await createDb({ url: baseUrl, migrate: false, poolSize: 1, onPoolError: () => {} });
      let firstFailure = 0;
      let probing = true;
      const probe = (async () => {
        while (probing) {
          try {
            await prober.query("SELECT 1");
          } catch {
            firstFailure ||= Date.now();
          }
          await sleep(100);
        }
      })();
      const t0 = Date.now();
      if (kind === "restart") {
        await run("pg_ctlcluster", [c.version, c.name, "restart", "-m", "immediate"], { timeout: 60_000 });
      } else {
        await run("pg_ctlcluster", [c.version, c.name, "stop", "-m", "immediate"], { timeout: 60_000 });
        // Agent 2's connection drops too; it retries the handshake while the database is down.
        await proxy.drop("close", 1_000);
        await sleep(4_000);
        await run("pg_ctlcluster", [c.version, c.name, "start"], { timeout: 60_000 });
      }
      const backAt = await waitForPg();
      probing = false;
      await probe;
      await prober.close().catch(() => undefined);
      // Served again: a heartbeat of EVERY agent written after PostgreSQL came back.
      const servedAt = await eventually(
        async () => {
          const [r] = await srv.db.query<{ ok: boolean }>(
            `SELECT bool_and(last_heartbeat_at > to_timestamp($2::float8 / 1000)) AS ok FROM agents WHERE org_id = $1`,
            [team.orgId, backAt],
          );
          return r?.ok ? Date.now() : undefined;
        },
        60_000,
        `the run loop serving agents after the ${kind}`,
      );
      const after = await snapshot(studyId);
      const lost: string[] = [];
      for (const [id, v] of before.complete) if (after.complete.get(id) !== v) lost.push(`completed trial ${id}`);
      for (const [k, v] of before.points) if (after.points.get(k) !== v) lost.push(`point ${k}`);
      outages.push({ kind, downMs: backAt - (firstFailure || t0), servedAfterMs: servedAt - backAt, lost });
      outageTimes.push({ kind, start: firstFailure || t0, back: backAt });
    };

    const progress = async (complete: number, what: string) =>
      eventually(async () => (await studyCounts(srv.db, studyId)).complete >= complete, 90_000, what);

    await eventually(async () => (await studyCounts(srv.db, studyId)).running === 4, 60_000, "4 trials running");
    await progress(2, "2 trials complete");
    await crash("restart");
    await progress(6, "6 trials complete");
    await crash("stop-5s-start");
    await progress(10, "10 trials complete");
    await crash("restart");
    await eventually(
      async () => {
        const [s] = await srv.db.query<{ state: string }>(`SELECT state FROM studies WHERE id = $1`, [studyId]);
        return s?.state === "completed";
      },
      120_000,
      "study completed",
    );

    console.log(
      `R5: ${outages.map((o) => `${o.kind}: down ${o.downMs} ms, run loop serving ${o.servedAfterMs} ms after PG accepted connections, ${o.lost.length} results lost`).join("; ")}`,
    );
    for (const o of outages) {
      expect(o.lost).toEqual([]);
      expect(o.servedAfterMs).toBeLessThanOrEqual(T);
    }
    expect(outages.some((o) => o.downMs >= 5_000)).toBe(true);
    expect(exits).toEqual([]);

    const failed = await srv.db.query<{ id: string; end_code: string; end_reason: string }>(
      `SELECT id, end_code, end_reason FROM trials WHERE study_id = $1 AND state = 'failed'`,
      [studyId],
    );
    for (const f of failed) console.log(`R5 failed trial ${f.id}: ${f.end_code}: ${f.end_reason}`);
    const counts = await studyCounts(srv.db, studyId);
    expect(counts).toMatchObject({ complete: TRIALS, failed: 0, waiting: 0, running: 0 });
    const attempts = await srv.db.query<{
      trial_id: string;
      attempt: number;
      end_code: string | null;
      end_reason: string | null;
      ended_at: unknown;
      started_at: unknown;
      agent: string | null;
    }>(
      `SELECT a.trial_id, a.attempt, a.end_code, a.end_reason, a.ended_at, a.started_at, g.name AS agent
       FROM trial_attempts a JOIN trials t ON t.id = a.trial_id LEFT JOIN agents g ON g.id = a.agent_id WHERE t.study_id = $1`,
      [studyId],
    );
    for (const a of attempts.filter((x) => x.end_code !== "COMPLETED")) {
      const at = new Date(String(a.ended_at)).getTime();
      const began = new Date(String(a.started_at)).getTime();
      console.log(
        `R5 attempt ${a.attempt} of ${a.trial_id} on ${a.agent ?? "?"}: ${a.end_code} (${a.end_reason}), started ${outageTimes.map((o) => `${began - o.start}/${began - o.back}`).join(", ")} and ended ${outageTimes.map((o) => `${o.kind} ${at - o.start}/${at - o.back} ms`).join(", ")} after each outage's start/back`,
      );
    }
    expect(attempts.filter((a) => a.end_code === null)).toEqual([]);
    // No attempt charged for an outage: none ended AGENT_LOST from an outage's start to 2T after
    // PostgreSQL was back. (A lapse elsewhere would be a heartbeat missed on a loaded box, as
    // R1 counts; printed above.)
    const chargedForOutage = attempts.filter((a) => {
      const at = new Date(String(a.ended_at)).getTime();
      return a.end_code === "AGENT_LOST" && outageTimes.some((o) => at >= o.start && at <= o.back + 2 * T);
    });
    expect(chargedForOutage.map((a) => a.end_reason)).toEqual([]);
    // Exactly one completed attempt per trial, and every point every trial printed stored once.
    const perTrial = await srv.db.query<{ id: string; completed: unknown; steps: unknown }>(
      `SELECT t.id,
            (SELECT count(*) FROM trial_attempts a WHERE a.trial_id = t.id AND a.end_code = 'COMPLETED') AS completed,
            (SELECT count(*) FROM trial_values v WHERE v.trial_id = t.id) AS steps
     FROM trials t WHERE t.study_id = $1`,
      [studyId],
    );
    for (const t of perTrial) {
      expect(Number(t.completed)).toBe(1);
      expect(Number(t.steps)).toBe(STEPS);
    }
  },
);
