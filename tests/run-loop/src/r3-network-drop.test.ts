import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
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
import { isAlive, killPid, spawnAgent, type AgentProcess } from "./processes.js";
import { TcpProxy, type DropMode } from "./tcp-proxy.js";

/**
 * R3 at CI scale: a TCP proxy between one agent process and the server cuts the network
 * while the agent runs a trial — `close` (both sides reset, new connections refused) or
 * `blackhole` (half-open: nothing passes, nobody is told) — for 0 s, less than T, and at
 * least T. RELIABILITY.md uses T = 15 s, H = 5 s and drops of {0, 10, 60} s; here T = 5 s
 * (÷3), H = 0.5 s and drops of {0, 0.4T, 2T}.
 *
 * Why 0.4T and not the row's 10/15 = 0.67T: a drop can start up to H after the last
 * heartbeat and the agent needs up to its reconnect backoff (here ≤ 1 s) after the network
 * is back, so a lease survives a drop D only while H + D + backoff < T. With the row's
 * H = T/3 a 10 s drop at T = 15 s lands exactly on the lease expiry in the worst phase (5 + 10
 * = 15), so "0 restarts" is not guaranteed there by the protocol parameters themselves; this
 * test keeps a margin (0.5 + 2 + 1 = 3.5 s < 5 s) so that it fails only on a real bug.
 *
 * Pass figures (the row's): below T, 0 restarts and the trial completes once (and no
 * intermediate value is lost); at or above T, exactly 1 re-lease (to a healthy agent of the
 * same team), the old attempt fenced (nothing it sends after the re-lease is stored, its
 * process is killed once its agent is back); in all cases 1 completed attempt per trial.
 * The six scenarios run concurrently, each with its own team, study, proxy and agent.
 */
const H = 500;
const T = 5_000;
const CONFIG = {
  heartbeatMs: H,
  leaseTtlMs: T,
  sweepMs: 500,
  tickMs: 100,
  ackTimeoutMs: 1_000,
  optimizerRefreshMs: 500,
  startupGraceMs: 1_000,
};
const STEP_S = 0.2;

let srv: RunLoopServer;
let dir: string;
let script: string;
const procs: AgentProcess[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  srv = await startRunLoopServer(CONFIG);
  dir = openTempDir("autoglm-r3-");
  script = writeScript(dir, "curve.py", CURVE_PY);
}, 60_000);

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  for (const p of proxies) await p.close();
  await srv?.close();
  if (dir) cleanup(dir);
});

interface Attempt {
  attempt: number;
  end_code: string | null;
  agent: string;
  started_at: unknown;
  ended_at: unknown;
}

const cases: Array<{ mode: DropMode; dropMs: number }> = [
  { mode: "close", dropMs: 0 },
  { mode: "blackhole", dropMs: 0 },
  { mode: "close", dropMs: 0.4 * T },
  { mode: "blackhole", dropMs: 0.4 * T },
  { mode: "close", dropMs: 2 * T },
  { mode: "blackhole", dropMs: 2 * T },
];

describe.concurrent("R3: network drop between agent and server", () => {
  for (const { mode, dropMs } of cases) {
    const long = dropMs >= T;
    const label = `${mode} ${dropMs / 1000} s`;
    it(`${label}: ${long ? "exactly 1 re-lease, old attempt fenced" : "0 restarts"}, 1 completed attempt`, async ({ expect }) => {
      const tag = `r3-${mode}-${dropMs}`;
      const team = await makeTeam(srv, tag);
      // Long enough to be running when the network comes back (so fencing kills a live process).
      const steps = Math.ceil((long ? dropMs + 12_000 : dropMs + 4_000) / 1000 / STEP_S);
      const studyId = await seedRunStudy(srv.db, team, {
        budget: { max_trials: 1, max_parallel: 1, max_attempts: 3 },
        run: { command: `CURVE_STEPS=${steps} CURVE_DELAY=${STEP_S} /usr/bin/python3 ${script}` },
      });
      const proxy = TcpProxy.forUrl(srv.url);
      proxies.push(proxy);
      const workDir = path.join(dir, tag);
      const common = { token: team.token, workDir, cwd: dir, maxTrials: 1, heartbeatMs: H, logTag: "r3" };
      const cut = spawnAgent({ ...common, url: await proxy.listen(), name: `${tag}-cut` });
      procs.push(cut);
      let cutExit: number | null | undefined;
      void cut.exited.then((c) => (cutExit = c));

      const trial = await waitFor(
        async () =>
          (await srv.db.query<{ id: string }>(`SELECT id FROM trials WHERE study_id = $1 AND state = 'running'`, [studyId]))[0],
        30_000,
        `${label}: trial running`,
      );
      const trialId = trial.id;
      const attemptDir = (n: number) => path.join(workDir, "trials", trialId, `attempt-${n}`);
      // A checkpoint and a few stored points first, so a resumed attempt has somewhere to start.
      await waitFor(() => existsSync(path.join(attemptDir(1), "ckpt.json")), 30_000, `${label}: first checkpoint`);
      await waitFor(
        async () => {
          const [r] = await srv.db.query<{ n: unknown }>(`SELECT count(*) AS n FROM trial_values WHERE trial_id = $1`, [trialId]);
          return Number(r!.n) >= 3;
        },
        30_000,
        `${label}: first points stored`,
      );
      const childPid = Number(readFileSync(path.join(attemptDir(1), "pid"), "utf8"));

      let healthy: AgentProcess | undefined;
      if (long) {
        // A second agent of the team, not behind the proxy, to take the trial over.
        healthy = spawnAgent({ ...common, url: srv.url, name: `${tag}-healthy` });
        procs.push(healthy);
        await waitFor(
          async () => {
            const [r] = await srv.db.query<{ is_online: boolean }>(
              `SELECT is_online FROM agents WHERE org_id = $1 AND name = $2`,
              [team.orgId, `${tag}-healthy`],
            );
            return r?.is_online;
          },
          30_000,
          `${label}: healthy agent online`,
        );
      }

      const droppedAt = Date.now();
      await proxy.drop(mode, dropMs);
      const backAt = Date.now();
      // When the old process dies, watched from the moment the network is back.
      const childGone = waitFor(() => !isAlive(childPid), 45_000, `${label}: old child killed after the network is back`).then(
        () => Date.now() - backAt,
      );
      childGone.catch(() => {});

      await waitFor(async () => (await studyCounts(srv.db, studyId)).complete === 1, 60_000, `${label}: trial completed`);
      const attempts = await srv.db.query<Attempt>(
        `SELECT a.attempt, a.end_code, g.name AS agent, a.started_at, a.ended_at FROM trial_attempts a JOIN agents g ON g.id = a.agent_id
         WHERE a.trial_id = $1 ORDER BY a.attempt`,
        [trialId],
      );
      const [t] = await srv.db.query<{ state: string; attempt: number; value: unknown }>(
        `SELECT state, attempt, value FROM trials WHERE id = $1`,
        [trialId],
      );
      expect(t!.value).not.toBeNull();
      expect(attempts.filter((a) => a.end_code === "COMPLETED")).toHaveLength(1);

      if (!long) {
        // 0 restarts: one attempt, on the cut agent, completed; every point stored once.
        expect(attempts.map((a) => [a.attempt, a.end_code, a.agent])).toEqual([[1, "COMPLETED", `${tag}-cut`]]);
        const values = await srv.db.query<{ step: number; attempt: number }>(
          `SELECT step, attempt FROM trial_values WHERE trial_id = $1 ORDER BY step`,
          [trialId],
        );
        expect(values.map((v) => v.step)).toEqual(Array.from({ length: steps }, (_, i) => i));
        if (mode === "close") expect(proxy.stats.reset + proxy.stats.refused).toBeGreaterThan(0);
        console.log(`R3 ${label}: 0 restarts; ${steps} of ${steps} points; proxy ${JSON.stringify(proxy.stats)}`);
      } else {
        // Exactly 1 re-lease: attempt 1 lost with the network, attempt 2 completed elsewhere.
        expect(attempts.map((a) => [a.attempt, a.end_code, a.agent])).toEqual([
          [1, "AGENT_LOST", `${tag}-cut`],
          [2, "COMPLETED", `${tag}-healthy`],
        ]);
        const reLeasedAt = new Date(String(attempts[1]!.started_at)).getTime();
        // Fenced: nothing attempt 1 sent after the re-lease was stored (its held or resent
        // points, its completion) and its process dies once its agent is back.
        const [late] = await srv.db.query<{ n: unknown }>(
          `SELECT count(*) AS n FROM trial_values WHERE trial_id = $1 AND attempt = 1 AND created_at > $2`,
          [trialId, new Date(reLeasedAt)],
        );
        expect(Number(late!.n)).toBe(0);
        const killedAfterMs = await childGone;
        // Killed by its agent (the script checkpoints and marks SIGTERM), not finished on its own.
        expect(existsSync(path.join(attemptDir(1), "terminated"))).toBe(true);
        const start = JSON.parse(readFileSync(path.join(attemptDir(2), "start.json"), "utf8"));
        expect(start.resumed_from).not.toBeNull();
        console.log(
          `R3 ${label}: re-leased ${reLeasedAt - droppedAt} ms after the drop (T = ${T}); old child killed ${killedAfterMs} ms after the network came back; ` +
            `attempt 2 resumed from step ${start.resumed_from}; proxy ${JSON.stringify(proxy.stats)}`,
        );
      }
      // The cut agent never crashed, and its trial processes are all gone.
      expect(cutExit).toBeUndefined();
      await childGone;
      cut.kill("SIGKILL");
      healthy?.kill("SIGKILL");
      killPid(childPid);
    });
  }
});
