import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  cleanup,
  makeTeam,
  openTempDir,
  seedRunStudy,
  startRunLoopServer,
  studyCounts,
  waitFor,
  writeScript,
  type RunLoopServer,
} from "../../../packages/agent/src/testing/harness.js";
import { CURVE_PY } from "./curve.py.js";
import { isAlive, spawnAgent, type AgentProcess } from "./processes.js";
import { readFileSync } from "node:fs";

/** R2: SIGSTOP an agent for 3T, then SIGCONT: re-leased ≤ 2T, nothing from the old attempt accepted, old child killed ≤ H after resume. */
const H = 250;
const T = 1_000;
const CONFIG = { heartbeatMs: H, leaseTtlMs: T, sweepMs: 250, tickMs: 100, ackTimeoutMs: 1_000, optimizerRefreshMs: 500 };
let srv: RunLoopServer;
let dir: string;
const procs: AgentProcess[] = [];

beforeAll(async () => {
  srv = await startRunLoopServer(CONFIG);
  dir = openTempDir("autoglm-r2-");
}, 60_000);
afterAll(async () => {
  for (const p of procs) {
    p.kill("SIGCONT");
    p.kill("SIGKILL");
  }
  await srv.close();
  cleanup(dir);
});

it("a paused agent's trial is re-leased ≤ 2T; after SIGCONT its late reports are refused and its child dies", async () => {
  const team = await makeTeam(srv, "r2");
  const script = writeScript(dir, "curve.py", CURVE_PY);
  const studyId = await seedRunStudy(srv.db, team, {
    budget: { max_trials: 1, max_parallel: 1 },
    run: { command: `CURVE_STEPS=60 CURVE_DELAY=0.1 /usr/bin/python3 ${script}` },
  });
  const common = {
    url: srv.url,
    token: team.token,
    workDir: path.join(dir, "work"),
    cwd: dir,
    maxTrials: 1,
    heartbeatMs: H,
    logTag: "r2",
  };
  const zombie = spawnAgent({ ...common, name: "r2-zombie" });
  procs.push(zombie);
  await waitFor(async () => (await studyCounts(srv.db, studyId)).running === 1, 20_000, "running on the zombie");
  const [first] = await srv.db.query<{ id: string; lease_token: string }>(
    `SELECT id, lease_token FROM trials WHERE study_id = $1`,
    [studyId],
  );
  const healthy = spawnAgent({ ...common, name: "r2-healthy" });
  procs.push(healthy);
  await new Promise((r) => setTimeout(r, 500));
  const childPid = Number(readFileSync(path.join(dir, "work", "trials", first!.id, "attempt-1", "pid"), "utf8"));
  const [valuesBefore] = await srv.db.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM trial_values WHERE trial_id = $1 AND attempt = 1`,
    [first!.id],
  );

  zombie.kill("SIGSTOP");
  const stoppedAt = Date.now();
  const reLeased = await waitFor(
    async () => {
      const [r] = await srv.db.query<{ attempt: number; started_at: unknown }>(
        `SELECT attempt, started_at FROM trial_attempts WHERE trial_id = $1 AND attempt = 2`,
        [first!.id],
      );
      return r;
    },
    10_000,
    "re-lease",
  );
  const reLeaseMs = new Date(String(reLeased.started_at)).getTime() - stoppedAt;
  await new Promise((r) => setTimeout(r, Math.max(0, 3 * T - (Date.now() - stoppedAt))));
  // While paused the child kept printing into the zombie's pipe; on resume the zombie flushes
  // those points, heartbeats with the old token, and would complete: all must be refused.
  zombie.kill("SIGCONT");
  const resumedAt = Date.now();
  await waitFor(() => !isAlive(childPid), 5_000, "old child killed");
  const killMs = Date.now() - resumedAt;
  const [valuesAfter] = await srv.db.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM trial_values WHERE trial_id = $1 AND attempt = 1`,
    [first!.id],
  );
  const [att1] = await srv.db.query<{ end_code: string }>(
    `SELECT end_code FROM trial_attempts WHERE trial_id = $1 AND attempt = 1`,
    [first!.id],
  );
  const [trial] = await srv.db.query<{ attempt: number; state: string }>(`SELECT attempt, state FROM trials WHERE id = $1`, [
    first!.id,
  ]);
  console.log(
    `R2: re-leased ${reLeaseMs} ms after SIGSTOP (2T = ${2 * T}); old child killed ${killMs} ms after SIGCONT (H = ${H}); attempt-1 points ${valuesBefore!.n} → ${valuesAfter!.n}`,
  );
  expect(reLeaseMs).toBeLessThanOrEqual(2 * T);
  expect(att1!.end_code).toBe("AGENT_LOST");
  expect(trial).toMatchObject({ attempt: 2 });
  // Late metrics of attempt 1 stored after the re-lease: 0 (attempt-1 rows can only shrink as attempt 2 overwrites).
  expect(Number(valuesAfter!.n)).toBeLessThanOrEqual(
    Number(valuesBefore!.n) + 3 /* points acked in the ≤ T before the pause was noticed */,
  );
  // RELIABILITY.md asks ≤ H (5 s in production). The agent's pause watchdog reconnects at
  // once on waking and the re-registration names the trial stale: ~50 ms here. The bound is
  // 4H of this test's shrunken H, room for a loaded 2-core box (the watchdog alone ticks
  // every 100 ms). It once read 1.3-1.9 s: the exited child was a zombie waiting for PID 1
  // to reap it (see isAlive), which a container's PID 1 may never do.
  expect(killMs).toBeLessThanOrEqual(4 * H);
  await waitFor(async () => (await studyCounts(srv.db, studyId)).complete === 1, 30_000, "completed by the healthy agent");
  const attempts = await srv.db.query<{ attempt: number; end_code: string }>(
    `SELECT attempt, end_code FROM trial_attempts WHERE trial_id = $1 ORDER BY attempt`,
    [first!.id],
  );
  expect(attempts).toEqual([
    { attempt: 1, end_code: "AGENT_LOST" },
    { attempt: 2, end_code: "COMPLETED" },
  ]);
});
