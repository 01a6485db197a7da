import { existsSync, readFileSync, readdirSync } from "node:fs";
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
import { isAlive, killPid, sleep, spawnAgent, type AgentProcess } from "./processes.js";

/**
 * R1 at CI scale: RELIABILITY.md runs 8 agents × 200 trials of 30–90 s with H = 5 s,
 * T = 15 s and a SIGKILL every 20–40 s. Here every duration is shrunk ~25×: 3 agent
 * processes × 30 trials of ~1–1.5 s, H = 250 ms, T = 1 s, sweep 250 ms, a random agent
 * SIGKILLed every 1.5–3 s and restarted 0.5 s later. The invariants are the same.
 */
const H = 250;
const T = 1_000;
const CONFIG = { heartbeatMs: H, leaseTtlMs: T, sweepMs: 250, tickMs: 100, ackTimeoutMs: 1_000, optimizerRefreshMs: 500 };
const TRIALS = 30;
const AGENTS = 3;

let srv: RunLoopServer;
let dir: string;
const procs = new Map<string, AgentProcess>();

beforeAll(async () => {
  srv = await startRunLoopServer(CONFIG);
  dir = openTempDir("autoglm-r1-");
}, 60_000);

afterAll(async () => {
  for (const p of procs.values()) p.kill("SIGKILL");
  // Orphaned trial processes of SIGKILLed agents (they die on their next write; make sure).
  for (const pid of trialPids()) killPid(pid);
  await srv.close();
  cleanup(dir);
});

function trialPids(): number[] {
  const root = path.join(dir, "work", "trials");
  if (!existsSync(root)) return [];
  const pids: number[] = [];
  for (const t of readdirSync(root)) {
    for (const a of readdirSync(path.join(root, t))) {
      const f = path.join(root, t, a, "pid");
      if (existsSync(f)) pids.push(Number(readFileSync(f, "utf8")));
    }
  }
  return pids;
}

it(`kill -9 of random agents: ${TRIALS} trials, 0 lost, 0 double-completed, re-leased ≤ 2T, ≤ 3 attempts, resumed at the checkpoint`, async () => {
  const team = await makeTeam(srv, "r1");
  const script = writeScript(dir, "curve.py", CURVE_PY);
  const studyId = await seedRunStudy(srv.db, team, {
    space: { lr: { type: "float", low: 0.001, high: 1, log: true } },
    budget: { max_trials: TRIALS, max_parallel: 6, max_attempts: 3 },
    run: { command: `CURVE_STEPS=10 CURVE_DELAY=0.12 /usr/bin/python3 ${script}` },
  });
  const start = (name: string) =>
    procs.set(
      name,
      spawnAgent({
        url: srv.url,
        token: team.token,
        name,
        workDir: path.join(dir, "work"),
        cwd: dir,
        maxTrials: 3,
        heartbeatMs: H,
        logTag: "r1",
      }),
    );
  for (let i = 0; i < AGENTS; i++) start(`r1-agent-${i}`);

  const kills: Array<{ name: string; at: number }> = [];
  let done = false;
  const chaos = (async () => {
    await sleep(1_500);
    while (!done) {
      const name = `r1-agent-${Math.floor(Math.random() * AGENTS)}`;
      procs.get(name)!.kill("SIGKILL");
      kills.push({ name, at: Date.now() });
      await procs.get(name)!.exited;
      await sleep(500);
      if (done) break;
      start(name);
      await sleep(1_500 + Math.random() * 1_500);
    }
  })();

  const t0 = Date.now();
  await waitFor(
    async () => {
      const c = await studyCounts(srv.db, studyId);
      return c.complete + c.failed + c.pruned === TRIALS && c.waiting === 0 && c.running === 0;
    },
    150_000,
    "all trials finished",
  );
  done = true;
  await chaos;
  const elapsed = Date.now() - t0;

  const counts = await studyCounts(srv.db, studyId);
  expect(counts).toMatchObject({ complete: TRIALS, failed: 0, waiting: 0, running: 0 });

  // 0 double-completed; every completed trial has exactly one final value.
  const doubles = await srv.db.query(
    `SELECT trial_id FROM trial_attempts WHERE end_code = 'COMPLETED' GROUP BY trial_id HAVING count(*) > 1`,
  );
  expect(doubles).toEqual([]);
  const finals = await srv.db.query<{ id: string; value: unknown; attempts: unknown; values: unknown; steps: unknown }>(
    `SELECT t.id, t.value,
            (SELECT count(*) FROM trial_attempts a WHERE a.trial_id = t.id AND a.end_code NOT IN ('AGENT_SHUTDOWN','LEASE_NOT_DELIVERED','LEASE_REJECTED')) AS attempts,
            (SELECT count(*) FROM trial_values v WHERE v.trial_id = t.id) AS values,
            (SELECT count(DISTINCT step) FROM trial_values v WHERE v.trial_id = t.id) AS steps,
            (SELECT max(step) FROM trial_values v WHERE v.trial_id = t.id) AS last_step
     FROM trials t WHERE t.study_id = $1`,
    [studyId],
  );
  let missingPoints = 0;
  for (const f of finals) {
    expect(f.value).not.toBeNull();
    expect(Number(f.attempts)).toBeLessThanOrEqual(3);
    // No duplicated points. (Known gap: points printed in the last metricFlushMs before a
    // SIGKILL die with the agent's buffer; the script's checkpoint already covers them, so
    // the resumed attempt does not re-report them. Counted and printed below.)
    expect(Number(f.values)).toBe(Number(f.steps));
    if (Number(f.steps) < 10) missingPoints += 10 - Number(f.steps);
  }
  const [open] = await srv.db.query<{ n: unknown }>(`SELECT count(*) AS n FROM trial_attempts WHERE ended_at IS NULL`);
  expect(Number(open!.n)).toBe(0);

  // Every orphaned attempt re-leased ≤ 2T after the kill.
  const lost = await srv.db.query<{ trial_id: string; attempt: number; name: string; next_started: unknown; ended_at: unknown }>(
    `SELECT a.trial_id, a.attempt, g.name, a.ended_at,
            (SELECT min(b.started_at) FROM trial_attempts b WHERE b.trial_id = a.trial_id AND b.attempt > a.attempt) AS next_started
     FROM trial_attempts a JOIN agents g ON g.id = a.agent_id
     WHERE a.end_code = 'AGENT_LOST' AND a.trial_id IN (SELECT id FROM trials WHERE study_id = $1)`,
    [studyId],
  );
  const delays: number[] = [];
  let withoutKill = 0;
  for (const l of lost) {
    const next = new Date(String(l.next_started)).getTime();
    const ended = new Date(String(l.ended_at)).getTime();
    const kill = kills.filter((k) => k.name === l.name && k.at <= ended).at(-1);
    // An attempt ended AGENT_LOST more than 2T after its agent's last kill was not orphaned
    // by that kill: its (live) agent missed heartbeats — a stalled server or agent on this
    // loaded box with T shrunk to 1 s. Counted and printed, not a re-lease delay.
    if (!kill || ended - kill.at > 2 * T) withoutKill++;
    else delays.push(next - kill.at);
  }
  // Resumed attempts start right after the previous attempt's checkpoint.
  let resumed = 0;
  for (const f of finals) {
    const tdir = path.join(dir, "work", "trials", f.id);
    for (const a of readdirSync(tdir)) {
      const s = path.join(tdir, a, "start.json");
      if (!existsSync(s)) continue;
      const st = JSON.parse(readFileSync(s, "utf8"));
      if (st.resumed_from !== null) {
        resumed++;
        expect(st.start).toBe(st.resumed_from + 1);
        expect(path.dirname(st.resume)).toBe(tdir);
      }
    }
  }
  const max = delays.length ? Math.max(...delays) : 0;
  console.log(
    `R1: ${TRIALS} trials in ${(elapsed / 1000).toFixed(1)} s; ${kills.length} SIGKILLs; ${lost.length} orphaned attempts; ` +
      `re-lease after kill ms max ${max} (2T = ${2 * T}), all: ${delays.sort((a, b) => a - b).join(",")}; ${resumed} resumed from a checkpoint; ` +
      `${missingPoints} of ${TRIALS * 10} intermediate points lost in SIGKILLed agents' send buffers; ${withoutKill} attempts lost without a kill (missed heartbeats)`,
  );
  expect(kills.length).toBeGreaterThan(0);
  expect(max).toBeLessThanOrEqual(2 * T);
  for (const pid of trialPids()) {
    if (isAlive(pid)) killPid(pid);
  }
});
