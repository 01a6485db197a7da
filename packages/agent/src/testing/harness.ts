import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { silentLogger } from "@autoglm/protocol";
import { attachAgentGateway, SchedulerLoop, type AgentGateway, type RunLoopConfig } from "@autoglm/scheduler/agents";
import { seedRunStudy, seedTeam, seedToken, type TeamFixture } from "@autoglm/scheduler/testing";
import { Server } from "socket.io";
import { startAgent, type AgentOptions, type RunningAgent } from "../agent.js";

/** Shrunken protocol timings (RELIABILITY.md's H=5 s, T=15 s, sweep 5 s, scaled ÷25). */
export const FAST: Partial<RunLoopConfig> = {
  heartbeatMs: 200,
  leaseTtlMs: 600,
  sweepMs: 200,
  tickMs: 100,
  ackTimeoutMs: 1_000,
  optimizerRefreshMs: 300,
  tokenRecheckMs: 300,
};

export interface RunLoopServer {
  url: string;
  db: TestDb;
  io: Server;
  http: HttpServer;
  gateway: AgentGateway;
  loop: SchedulerLoop;
  close(): Promise<void>;
}

/** A real HTTP + Socket.IO server on 127.0.0.1 with the agent gateway and the scheduler loop. */
export async function startRunLoopServer(config: Partial<RunLoopConfig> = FAST, db?: TestDb, port = 0): Promise<RunLoopServer> {
  const database = db ?? (await createTestDb());
  // Only the gateway is here, not the server's artifact route: an agent's uploads get a 404 at once.
  const http = createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res
        .writeHead(404, { "content-type": "application/json" })
        .end('{"error":{"code":"NOT_FOUND","message":"no artifact store here"}}'),
    );
  });
  const io = new Server(http, { pingInterval: 1_000, pingTimeout: 1_000, maxHttpBufferSize: 1_000_000, serveClient: false });
  await new Promise<void>((r) => http.listen(port, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const gateway = attachAgentGateway(io, { db: database, config });
  const loop = new SchedulerLoop({ db: database, gateway, config }).start();
  return {
    url,
    db: database,
    io,
    http,
    gateway,
    loop,
    async close() {
      await loop.stop();
      await gateway.close();
      io.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      if (!db) await database.drop();
    },
  };
}

export interface Team extends TeamFixture {
  token: string;
}

export async function makeTeam(srv: RunLoopServer, name: string): Promise<Team> {
  const t = await seedTeam(srv.db, name);
  return { ...t, token: await seedToken(srv.db, t) };
}

export { seedRunStudy };

/** A temp directory any user can read (trials run as nobody when the tests run as root). */
export function openTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  return dir;
}

/**
 * Copies the Python helper (python/autoglm_report.py) into `dir` and returns `dir`, for a
 * script's `sys.path`: trials run as nobody under a root test run, and the checkout may sit
 * in a directory nobody cannot enter (a clone in a mode-0700 `mktemp -d`).
 */
export function copyPythonHelper(dir: string): string {
  const file = path.join(dir, "autoglm_report.py");
  copyFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../python/autoglm_report.py"), file);
  chmodSync(file, 0o644);
  return dir;
}

export function writeScript(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

export async function startTestAgent(
  srv: RunLoopServer,
  team: Team,
  options: Partial<AgentOptions> & { workDir: string },
): Promise<RunningAgent> {
  const agent = await startAgent({
    server: srv.url,
    token: team.token,
    gpus: [],
    heartbeatMs: FAST.heartbeatMs,
    ackTimeoutMs: 1_000,
    killGraceMs: 2_000,
    shutdownGraceMs: 2_000,
    metricFlushMs: 20,
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 500,
    logger: silentLogger,
    ...options,
  });
  await agent.registered;
  return agent;
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface StudyCounts {
  waiting: number;
  running: number;
  complete: number;
  pruned: number;
  failed: number;
}

export async function studyCounts(db: TestDb, studyId: string): Promise<StudyCounts> {
  const rows = await db.query<{ state: string; n: unknown }>(
    `SELECT state, count(*) AS n FROM trials WHERE study_id = $1 GROUP BY state`,
    [studyId],
  );
  const out: StudyCounts = { waiting: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
  for (const r of rows) out[r.state as keyof StudyCounts] = Number(r.n);
  return out;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Whether a process still runs. A trial's process that outlives its shell is reparented to
 * PID 1 when it exits, and stays a zombie until PID 1 reaps it — promptly under a real init,
 * possibly never in a container whose PID 1 does not reap — so an exited process is dead
 * here even before it is reaped (kill(pid, 0) still succeeds on a zombie).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false; // gone between the two checks
  }
}
