import { existsSync, readFileSync } from "node:fs";

import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endAttempt, listAgents } from "@autoglm/scheduler/agents";
import type { RunningAgent } from "./agent.js";
import {
  cleanup,
  makeTeam,
  openTempDir,
  seedRunStudy,
  startRunLoopServer,
  startTestAgent,
  studyCounts,
  isAlive,
  waitFor,
  writeScript,
  copyPythonHelper,
  type RunLoopServer,
} from "./testing/harness.js";

let srv: RunLoopServer;
let dir: string;
const agents: RunningAgent[] = [];

beforeAll(async () => {
  srv = await startRunLoopServer();
  dir = openTempDir("autoglm-agent-");
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await srv.close();
  cleanup(dir);
});

async function agent(team: Awaited<ReturnType<typeof makeTeam>>, name: string, extra: Record<string, unknown> = {}) {
  const a = await startTestAgent(srv, team, { name, workDir: path.join(dir, "work"), cwd: dir, ...extra });
  agents.push(a);
  return a;
}

describe("S8: command injection and agent isolation", () => {
  it("runs hostile parameter values as data, with a clean environment, as a non-root user", async () => {
    const team = await makeTeam(srv, "s8");
    const marker = path.join(dir, "pwned");
    const hostile = [
      `; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `x\ntouch ${marker}`,
      `--output=/etc/x`,
      `' ; touch ${marker} ; '`,
    ];
    const script = writeScript(
      dir,
      "envdump.py",
      `import json, os, sys
out = os.environ["AUTOGLM_OUTPUT_DIR"]
json.dump({"argv": sys.argv[1:], "env": dict(os.environ), "uid": os.getuid()}, open(os.path.join(out, "dump.json"), "w"))
print(json.dumps({"autoglm": 1, "final": {"loss": 1.0}}))
`,
    );
    const studyId = await seedRunStudy(srv.db, team, {
      space: { p: { type: "categorical", choices: hostile } },
      sampler: { name: "grid" },
      budget: { max_trials: hostile.length, max_parallel: 2 },
      run: { command: `/usr/bin/python3 ${script} {p} "{p}" '{p}' --flag={p}`, env: { MY_SETTING: "visible" } },
    });
    // Secrets in the agent's own environment must not reach trials.
    const a = await agent(team, "s8-agent", {
      maxTrials: 2,
      env: {
        ...process.env,
        DATABASE_URL: "postgres://admin:hunter2@db/prod",
        AUTH_SECRET: "server-secret-xyz",
        AUTOGLM_TOKEN: team.token,
      },
    });
    await waitFor(async () => (await studyCounts(srv.db, studyId)).complete === hostile.length, 30_000, "all trials complete");
    expect(existsSync(marker)).toBe(false);
    const trials = await srv.db.query<{ id: string; params: { p: string } }>(
      `SELECT id, params FROM trials WHERE study_id = $1`,
      [studyId],
    );
    expect(new Set(trials.map((t) => t.params.p))).toEqual(new Set(hostile));
    for (const t of trials) {
      const dump = JSON.parse(readFileSync(path.join(dir, "work", "trials", t.id, "attempt-1", "dump.json"), "utf8"));
      const v = t.params.p;
      expect(dump.argv).toEqual([v, v, v, `--flag=${v}`]);
      expect(dump.uid).not.toBe(0);
      const envText = JSON.stringify(dump.env);
      expect(envText).not.toContain(team.token);
      expect(envText).not.toContain("hunter2");
      expect(envText).not.toContain("server-secret-xyz");
      expect(dump.env.DATABASE_URL).toBeUndefined();
      expect(dump.env.AUTOGLM_TOKEN).toBeUndefined();
      expect(dump.env.MY_SETTING).toBe("visible");
      expect(dump.env.AUTOGLM_TRIAL_ID).toBe(t.id);
      expect(dump.env.AUTOGLM_STUDY_ID).toBe(studyId);
      expect(JSON.parse(dump.env.AUTOGLM_PARAMS)).toEqual(t.params);
      expect(dump.env.CUDA_VISIBLE_DEVICES).toBe("");
    }
    await waitFor(() => a.trials().length === 0, 5_000, "slots released");
  });

  it("never leases a team's trials to another team's agent", async () => {
    const teamA = await makeTeam(srv, "tenant-a");
    const teamB = await makeTeam(srv, "tenant-b");
    const cmd = { command: `/usr/bin/python3 -c "print('{\\"autoglm\\": 1, \\"final\\": {\\"loss\\": 0.5}}')"` };
    const studyA = await seedRunStudy(srv.db, teamA, { budget: { max_trials: 6, max_parallel: 3 }, run: cmd });
    const studyB = await seedRunStudy(srv.db, teamB, { budget: { max_trials: 6, max_parallel: 3 }, run: cmd });
    await agent(teamA, "shared-name", { maxTrials: 2 });
    await agent(teamB, "shared-name", { maxTrials: 2 });
    await waitFor(
      async () => (await studyCounts(srv.db, studyA)).complete === 6 && (await studyCounts(srv.db, studyB)).complete === 6,
      30_000,
      "both studies",
    );
    const cross = await srv.db.query<{ n: unknown }>(
      `SELECT count(*) AS n FROM trial_attempts a JOIN agents g ON g.id = a.agent_id WHERE a.org_id <> g.org_id`,
    );
    expect(Number(cross[0]!.n)).toBe(0);
    const perTeam = await srv.db.query<{ org_id: string; n: unknown }>(
      `SELECT t.org_id, count(*) AS n FROM trial_attempts a JOIN trials t ON t.id = a.trial_id
       WHERE t.study_id IN ($1, $2) AND a.end_code = 'COMPLETED' GROUP BY t.org_id`,
      [studyA, studyB],
    );
    expect(perTeam.map((r) => Number(r.n))).toEqual([6, 6]);
  });
});

describe("GPUs", () => {
  it("gives two one-GPU trials on a two-GPU agent different CUDA_VISIBLE_DEVICES", async () => {
    const team = await makeTeam(srv, "gpu");
    const script = writeScript(
      dir,
      "gpu.py",
      `import os, time, json
open(os.path.join(os.environ["AUTOGLM_OUTPUT_DIR"], "cuda.txt"), "w").write(os.environ["CUDA_VISIBLE_DEVICES"])
time.sleep(0.8)
print(json.dumps({"autoglm": 1, "step": 0, "metrics": {"loss": 0.1}}))
`,
    );
    const studyId = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 4, max_parallel: 4 },
      run: { command: `/usr/bin/python3 ${script}`, resources: { gpus: 1 } },
    });
    const a = await agent(team, "gpu-agent", {
      gpus: [
        { index: 0, model: "Fake", memoryMb: 1000 },
        { index: 1, model: "Fake", memoryMb: 1000 },
      ],
    });
    let maxConcurrent = 0;
    const seen = new Set<string>();
    const timer = setInterval(() => {
      // An exited trial waiting for its completion's ack holds no GPU: the next lease may run beside it.
      const running = a.trials().filter((t) => !t.exited);
      maxConcurrent = Math.max(maxConcurrent, running.length);
      const gpus = running.flatMap((t) => t.gpus);
      expect(new Set(gpus).size).toBe(gpus.length);
      for (const t of running) seen.add(t.gpus.join(","));
    }, 20);
    const busy = await waitFor(
      async () => (await listAgents(srv.db, { orgId: team.orgId })).find((x) => x.gpusInUse === 2),
      10_000,
      "2 GPUs in use",
    );
    expect(busy.gpus.length).toBe(2);
    expect(busy.running.length).toBe(2);
    await waitFor(async () => (await studyCounts(srv.db, studyId)).complete === 4, 30_000, "gpu trials");
    clearInterval(timer);
    expect(maxConcurrent).toBe(2);
    expect(seen).toEqual(new Set(["0", "1"]));
  });
});

describe("R9: prune latency", () => {
  it("SIGTERMs a pruned trial within 1 s (p95) and SIGKILLs it at grace + ≤ 1 s", async () => {
    const team = await makeTeam(srv, "prune");
    // Reports a value above the threshold at step 3, then ignores SIGTERM and keeps printing.
    const script = writeScript(
      dir,
      "stubborn.py",
      `import json, os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: open(os.path.join(os.environ["AUTOGLM_OUTPUT_DIR"], "term.txt"), "w").write(repr(time.time())))
for step in range(1000):
    loss = 100.0 if step >= 3 else 1.0
    if step == 3:
        open(os.path.join(os.environ["AUTOGLM_OUTPUT_DIR"], "decide.txt"), "w").write(repr(time.time()))
    print(json.dumps({"autoglm": 1, "step": step, "metrics": {"loss": loss}}), flush=True)
    time.sleep(0.05)
`,
    );
    const N = 8;
    const studyId = await seedRunStudy(srv.db, team, {
      pruner: { name: "threshold", upper: 50 },
      budget: { max_trials: N, max_parallel: 4 },
      run: { command: `/usr/bin/python3 ${script}` },
    });
    const grace = 1_500;
    const a = await agent(team, "prune-agent", { maxTrials: 4, killGraceMs: grace });
    const exits: Array<{ stopRequestedAt: number; sigtermAt: number; sigkillAt: number | null; exitAt: number }> = [];
    a.events.on("trial-exit", (e: { run: { stopRequestedAt: number; sigtermAt: number; sigkillAt: number | null } }) =>
      exits.push({ ...e.run, exitAt: Date.now() }),
    );
    await waitFor(async () => (await studyCounts(srv.db, studyId)).pruned === N, 60_000, "all pruned");
    // The database says pruned at decision time; the processes die a grace period later.
    await waitFor(() => exits.length === N, 10_000, "exits");
    const trials = await srv.db.query<{ id: string; value: unknown; end_code: string; end_reason: string; last_step: unknown }>(
      `SELECT id, value, end_code, end_reason, last_step, attempt FROM trials WHERE study_id = $1`,
      [studyId],
    );
    const latencies: number[] = [];
    for (const t of trials) {
      expect(t.end_code).toBe("PRUNED");
      // The pruner's why, in the metric's units, on the trial the dashboard shows.
      expect(t.end_reason).toMatch(
        /^pruned by the study's pruner at step (\d+) \(threshold: its value at step \1, 100, is above the upper bound 50\)$/,
      );
      expect(Number(t.value)).toBe(100); // the last intermediate value
      const out = path.join(dir, "work", "trials", t.id, "attempt-1");
      const decided = Number(readFileSync(path.join(out, "decide.txt"), "utf8")) * 1000;
      const termed = Number(readFileSync(path.join(out, "term.txt"), "utf8")) * 1000;
      latencies.push(termed - decided);
      expect(existsSync(path.join(out, ".autoglm_prune"))).toBe(true);
    }
    latencies.sort((x, y) => x - y);
    const p95 = latencies[Math.ceil(latencies.length * 0.95) - 1]!;
    console.log(
      `R9 prune latency (metric line printed → SIGTERM received) ms: ${latencies.map((l) => Math.round(l)).join(", ")}; p95 ${Math.round(p95)}`,
    );
    expect(p95).toBeLessThanOrEqual(1_000);
    for (const e of exits) {
      expect(e.sigkillAt).not.toBeNull();
      const killDelay = e.sigkillAt! - e.sigtermAt;
      expect(killDelay).toBeGreaterThanOrEqual(grace - 5);
      expect(killDelay).toBeLessThanOrEqual(grace + 1_000);
      expect(e.exitAt - e.sigtermAt).toBeLessThanOrEqual(grace + 1_000);
    }
  });

  it("the Python helper's should_prune() sees the prune marker and the script leaves cleanly", async () => {
    const team = await makeTeam(srv, "helper");
    const script = writeScript(
      dir,
      "cooperative.py",
      `import sys, time
sys.path.insert(0, ${JSON.stringify(copyPythonHelper(dir))})
from autoglm_report import report, should_prune, install_sigterm_handler, params
install_sigterm_handler()
p = params()
for step in range(400):
    report(step, loss=10.0 + step * p["x"] if p["x"] > 0.5 else 1.0 / (step + 1))
    if should_prune():
        print("stopping early at", step)
        sys.exit(0)
    time.sleep(0.02)
`,
    );
    const studyId = await seedRunStudy(srv.db, team, {
      space: { x: { type: "categorical", choices: [0.1, 0.9] } },
      sampler: { name: "grid" },
      pruner: { name: "threshold", upper: 5 },
      budget: { max_trials: 2, max_parallel: 2 },
      run: { command: `/usr/bin/python3 ${script}` },
    });
    await agent(team, "helper-agent", { maxTrials: 2, killGraceMs: 10_000 });
    await waitFor(
      async () => {
        const c = await studyCounts(srv.db, studyId);
        return c.complete === 1 && c.pruned === 1;
      },
      30_000,
      "one complete, one pruned",
    );
    const [att] = await srv.db.query<{ log_tail: string }>(
      `SELECT a.log_tail FROM trial_attempts a JOIN trials t ON t.id = a.trial_id WHERE t.study_id = $1 AND t.state = 'pruned'`,
      [studyId],
    );
    await waitFor(
      async () => {
        const [r] = await srv.db.query<{ log_tail: string | null }>(
          `SELECT a.log_tail FROM trial_attempts a JOIN trials t ON t.id = a.trial_id WHERE t.study_id = $1 AND t.state = 'pruned'`,
          [studyId],
        );
        return r?.log_tail?.includes("stopping early at");
      },
      10_000,
      "log tail of the pruned attempt",
    );
    expect(att).toBeDefined();
  });
});

describe("R11: crash loops are bounded", () => {
  it("fails a command that exits 1 after exactly max_attempts, and the agent runs the next trial", async () => {
    const team = await makeTeam(srv, "crash");
    const crash = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 2, max_parallel: 2, max_attempts: 3 },
      run: { command: "echo boom >&2; exit 1" },
    });
    const a = await agent(team, "crash-agent", { maxTrials: 1 });
    await waitFor(async () => (await studyCounts(srv.db, crash)).failed === 2, 30_000, "crash trials failed");
    const attempts = await srv.db.query<{ trial_id: string; n: unknown; codes: string[] }>(
      `SELECT trial_id, count(*) AS n, array_agg(end_code ORDER BY attempt) AS codes FROM trial_attempts
       WHERE trial_id IN (SELECT id FROM trials WHERE study_id = $1) GROUP BY trial_id`,
      [crash],
    );
    for (const r of attempts) {
      expect(Number(r.n)).toBe(3);
    }
    const rows = await srv.db.query<{ end_code: string; end_reason: string }>(
      `SELECT end_code, end_reason FROM trials WHERE study_id = $1`,
      [crash],
    );
    for (const r of rows) {
      expect(r.end_code).toBe("USER_COMMAND_EXIT_NONZERO");
      expect(r.end_reason).toContain("exited with code 1");
      expect(r.end_reason).toContain("boom");
    }
    // Not re-leased any more, and the agent is not poisoned.
    await new Promise((r) => setTimeout(r, 500));
    const [again] = await srv.db.query<{ n: unknown }>(
      `SELECT count(*) AS n FROM trial_attempts WHERE trial_id IN (SELECT id FROM trials WHERE study_id = $1)`,
      [crash],
    );
    expect(Number(again!.n)).toBe(6);
    const listed = await listAgents(srv.db, { orgId: team.orgId });
    expect(listed.map((x) => [x.name, x.isOnline])).toEqual([["crash-agent", true]]);
    const [study] = await srv.db.query<{ state: string }>(`SELECT state FROM studies WHERE id = $1`, [crash]);
    expect(study!.state).toBe("completed");
    const good = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1 },
      run: { command: `echo '{"autoglm": 1, "final": {"loss": 0.25}}'` },
    });
    await waitFor(async () => (await studyCounts(srv.db, good)).complete === 1, 20_000, "next trial completes");
    expect(a.isConnected()).toBe(true);
  });

  it("fails a trial that exits 0 without an objective, and one that times out, with readable reasons", async () => {
    const team = await makeTeam(srv, "reasons");
    const silent = await seedRunStudy(srv.db, team, { budget: { max_trials: 1 }, run: { command: "echo hello" } });
    const slow = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1 },
      run: { command: "sleep 30", timeout_minutes: 0.01 },
    });
    await agent(team, "reasons-agent", { maxTrials: 2, killGraceMs: 500 });
    await waitFor(
      async () => (await studyCounts(srv.db, silent)).failed === 1 && (await studyCounts(srv.db, slow)).failed === 1,
      30_000,
      "both failed",
    );
    const [s1] = await srv.db.query<{ end_code: string; end_reason: string }>(
      `SELECT end_code, end_reason FROM trials WHERE study_id = $1`,
      [silent],
    );
    expect(s1).toMatchObject({
      end_code: "USER_NO_OBJECTIVE",
      end_reason: 'the command exited 0 but reported no value of "loss"',
    });
    const [s2] = await srv.db.query<{ end_code: string; end_reason: string }>(
      `SELECT end_code, end_reason FROM trials WHERE study_id = $1`,
      [slow],
    );
    expect(s2!.end_code).toBe("USER_TIMEOUT");
    expect(s2!.end_reason).toContain("run.timeout_minutes");
  });
});

describe("R2 logic: a stale lease kills the child", () => {
  it("re-leases a trial whose lease lapsed, and the old holder kills its process on its next heartbeat", async () => {
    const team = await makeTeam(srv, "zombie");
    const script = writeScript(
      dir,
      "long.py",
      `import time\nfor i in range(600):\n    time.sleep(0.05)\nprint('{"autoglm": 1, "final": {"loss": 2.0}}')\n`,
    );
    const studyId = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1 },
      run: { command: `/usr/bin/python3 ${script}` },
    });
    const a1 = await agent(team, "zombie-1", { maxTrials: 1 });
    const first = await waitFor(() => a1.trials()[0], 10_000, "first lease");
    // Simulate the pause: the server stops hearing from a1 (its lease lapses) while a1 lives on.
    const a2 = await agent(team, "zombie-2", { maxTrials: 1 });
    const staleAt = new Promise<number>((r) => a1.events.once("stale", () => r(Date.now())));
    // What the sweeper does to a lease whose holder went silent (the real pause is R2 in tests/run-loop).
    const lost = await endAttempt(srv.db, {
      trialId: first.trialId,
      mode: "retry",
      code: "AGENT_LOST",
      reason: "test: lease lapsed",
    });
    expect(lost?.state).toBe("waiting");
    srv.loop.poke();
    const t0 = Date.now();
    await staleAt;
    // The old child is killed ≤ H (200 ms here) + the kill itself after the lease is gone.
    await waitFor(() => !isAlive(first.pid!), 5_000, "a1 killed its child");
    expect(Date.now() - t0).toBeLessThan(2_500);
    const reLeased = await waitFor(() => [...a1.trials(), ...a2.trials()].find((t) => t.attempt === 2), 5_000, "re-lease");
    expect(reLeased.trialId).toBe(first.trialId);
    const [row] = await srv.db.query<{ attempt: unknown; state: string }>(`SELECT attempt, state FROM trials WHERE id = $1`, [
      first.trialId,
    ]);
    expect(Number(row!.attempt)).toBe(2);
    expect(row!.state).toBe("running");
    expect(studyId).toBeTruthy();
  });
});

describe("processes that leave the trial's process group", () => {
  /** Starts `sleep 300` in a session of its own that writes its pid to the output dir; the command then ends. */
  async function runEscaping(name: string, redirect: string) {
    const team = await makeTeam(srv, name);
    const studyId = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1, max_parallel: 1 },
      run: {
        command: `setsid sh -c 'echo $$ > "$AUTOGLM_OUTPUT_DIR/escaped.pid"; exec sleep 300' ${redirect} & sleep 0.3; echo '{"autoglm": 1, "final": {"loss": 0.5}}'`,
      },
    });
    const a = await agent(team, `${name}-agent`, { maxTrials: 1, killGraceMs: 1_000 });
    const t = await waitFor(() => a.trials()[0], 10_000, "running");
    const pidFile = path.join(dir, "work", "trials", t.trialId, "attempt-1", "escaped.pid");
    const pid = Number(readFileSync(await waitFor(() => existsSync(pidFile) && pidFile, 5_000, "escaped pid"), "utf8"));
    expect(pid).toBeGreaterThan(1);
    return { studyId, pid, a };
  }

  it("kills a process that started its own session and closed its output, when the trial ends", async () => {
    const { studyId, pid, a } = await runEscaping("escape-quiet", "</dev/null >/dev/null 2>&1");
    await waitFor(async () => (await studyCounts(srv.db, studyId)).complete === 1, 10_000, "trial complete");
    await waitFor(() => !isAlive(pid), 3_000, "escaped process gone");
    await waitFor(() => a.trials().length === 0, 5_000, "slot released");
  });

  it("ends a trial whose leftover process holds its output open: grace, then kill", async () => {
    const { studyId, pid } = await runEscaping("escape-holding", "</dev/null");
    const started = Date.now();
    // Without the sweep the trial stays open until the leftover exits (300 s).
    await waitFor(async () => (await studyCounts(srv.db, studyId)).complete === 1, 10_000, "trial complete");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(isAlive(pid)).toBe(false);
    const [row] = await srv.db.query<{ value: number }>(`SELECT value FROM trials WHERE study_id = $1`, [studyId]);
    expect(Number(row!.value)).toBe(0.5);
  });
});

describe("stopping from the dashboard", () => {
  it("a user stop reaches the agent: SIGTERM, trial failed USER_STOPPED, the agent goes on", async () => {
    const team = await makeTeam(srv, "stop");
    const script = writeScript(dir, "forever.py", `import time\nwhile True:\n    time.sleep(0.05)\n`);
    const studyId = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 2, max_parallel: 1 },
      run: { command: `/usr/bin/python3 ${script}` },
    });
    const a = await agent(team, "stop-agent", { maxTrials: 1, killGraceMs: 1_000 });
    const t = await waitFor(() => a.trials()[0], 10_000, "running");
    const stoppedAt = Date.now();
    const e = await srv.gateway.stopTrial({ orgId: team.orgId, trialId: t.trialId });
    expect(e?.state).toBe("failed");
    // Another team cannot stop it (answers like a missing trial).
    const other = await makeTeam(srv, "stop-other");
    expect(await srv.gateway.stopTrial({ orgId: other.orgId, trialId: t.trialId })).toBeNull();
    await waitFor(() => !isAlive(t.pid!), 5_000, "process gone");
    const stopMs = Date.now() - stoppedAt;
    expect(stopMs).toBeLessThan(1_000);
    const [row] = await srv.db.query<{ state: string; end_code: string }>(`SELECT state, end_code FROM trials WHERE id = $1`, [
      t.trialId,
    ]);
    expect(row).toEqual({ state: "failed", end_code: "USER_STOPPED" });
    // The next trial of the study runs on the same agent.
    await waitFor(() => a.trials().find((x) => x.trialId !== t.trialId), 10_000, "next trial");
    // Stopping the whole study the api's way (study row only), then telling agents.
    await srv.db.query(`UPDATE studies SET state = 'stopped', stopped_at = now() WHERE id = $1`, [studyId]);
    const second = a.trials().find((x) => x.trialId !== t.trialId)!;
    await waitFor(() => !isAlive(second.pid!), 5_000, "second process gone (heartbeat saw the stopped study)");
    const [row2] = await srv.db.query<{ state: string; end_code: string }>(`SELECT state, end_code FROM trials WHERE id = $1`, [
      second.trialId,
    ]);
    expect(row2).toEqual({ state: "failed", end_code: "STUDY_STOPPED" });
  });
});
