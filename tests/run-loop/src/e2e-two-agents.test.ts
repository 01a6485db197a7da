import path from "node:path";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanup,
  makeTeam,
  openTempDir,
  seedRunStudy,
  startRunLoopServer,
  studyCounts,
  waitFor,
  writeScript,
  copyPythonHelper,
  type RunLoopServer,
} from "../../../packages/agent/src/testing/harness.js";
import { CURVE_PY } from "./curve.py.js";
import { spawnAgent, type AgentProcess } from "./processes.js";

const CONFIG = { heartbeatMs: 250, leaseTtlMs: 1_000, sweepMs: 250, tickMs: 100, ackTimeoutMs: 1_000, optimizerRefreshMs: 300 };

let db: TestDb;
let srv: RunLoopServer;
let dir: string;
const procs: AgentProcess[] = [];

beforeAll(async () => {
  db = await createTestDb();
  srv = await startRunLoopServer(CONFIG, db);
  dir = openTempDir("autoglm-e2e-");
}, 60_000);
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await srv.close();
  await db.drop();
  cleanup(dir);
});

describe("two agent processes run a study end to end", () => {
  it("runs every trial of a learning-curve study, prunes the bad ones with the median pruner, and records the best", async () => {
    const team = await makeTeam(srv, "e2e");
    const script = writeScript(
      dir,
      "train.py",
      `import sys, time
sys.path.insert(0, ${JSON.stringify(copyPythonHelper(dir))})
from autoglm_report import report, final, should_prune, install_sigterm_handler, params
install_sigterm_handler()
lr = params()["lr"]
quality = abs(lr - 0.1) * 4
loss = None
for step in range(12):
    time.sleep(0.06)
    loss = quality + 1.0 / (step + 1)
    report(step, loss=loss, acc=1.0 - loss / 10)
    if should_prune():
        sys.exit(0)
final(loss=loss)
`,
    );
    const studyId = await seedRunStudy(srv.db, team, {
      space: { lr: { type: "float", low: 0.001, high: 1, log: true } },
      sampler: { name: "random", seed: 7 },
      pruner: { name: "median", n_startup_trials: 3, n_warmup_steps: 2 },
      budget: { max_trials: 16, max_parallel: 4 },
      run: { command: `/usr/bin/python3 ${script}` },
    });
    const common = {
      url: srv.url,
      token: team.token,
      workDir: path.join(dir, "work"),
      cwd: dir,
      maxTrials: 2,
      heartbeatMs: 250,
      logTag: "e2e",
    };
    procs.push(spawnAgent({ ...common, name: "e2e-gpu-box-1" }), spawnAgent({ ...common, name: "e2e-gpu-box-2" }));
    await waitFor(
      async () => {
        const [s] = await srv.db.query<{ state: string }>(`SELECT state FROM studies WHERE id = $1`, [studyId]);
        return s!.state === "completed";
      },
      90_000,
      "study completed",
    );
    const c = await studyCounts(srv.db, studyId);
    expect(c.complete + c.pruned).toBe(16);
    expect(c.failed).toBe(0);
    expect(c.pruned).toBeGreaterThan(0);
    const [best] = await srv.db.query<{ best_value: unknown; best_trial_id: string; min: unknown }>(
      `SELECT s.best_value, s.best_trial_id, (SELECT min(value) FROM trials WHERE study_id = s.id AND state = 'complete') AS min
       FROM studies s WHERE s.id = $1`,
      [studyId],
    );
    expect(Number(best!.best_value)).toBe(Number(best!.min));
    const agents = await srv.db.query<{ name: string; is_online: boolean; age: unknown; ran: unknown }>(
      `SELECT g.name, g.is_online, extract(epoch FROM now() - g.last_heartbeat_at) AS age,
              (SELECT count(*) FROM trial_attempts a WHERE a.agent_id = g.id) AS ran
       FROM agents g WHERE g.org_id = $1 ORDER BY g.name`,
      [team.orgId],
    );
    expect(agents.map((a) => a.name)).toEqual(["e2e-gpu-box-1", "e2e-gpu-box-2"]);
    for (const a of agents) {
      expect(a.is_online).toBe(true);
      expect(Number(a.age)).toBeLessThan(2);
      expect(Number(a.ran)).toBeGreaterThan(0);
    }
    console.log(
      `e2e: ${c.complete} complete, ${c.pruned} pruned; best ${Number(best!.best_value).toFixed(4)}; attempts per agent ${agents.map((a) => `${a.name}=${a.ran}`).join(" ")}`,
    );
  });

  it("survives a server restart mid-study: agents reconnect and re-adopt running trials (0 restarts)", async () => {
    const team = await makeTeam(srv, "restart");
    const script = writeScript(dir, "curve.py", CURVE_PY);
    const studyId = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 8, max_parallel: 4 },
      run: { command: `CURVE_STEPS=25 CURVE_DELAY=0.12 /usr/bin/python3 ${script}` },
    });
    const common = {
      url: srv.url,
      token: team.token,
      workDir: path.join(dir, "work2"),
      cwd: dir,
      maxTrials: 2,
      heartbeatMs: 250,
      logTag: "restart",
    };
    procs.push(spawnAgent({ ...common, name: "restart-1" }), spawnAgent({ ...common, name: "restart-2" }));
    await waitFor(async () => (await studyCounts(srv.db, studyId)).running === 4, 20_000, "4 running");
    const runningBefore = await srv.db.query<{ id: string }>(`SELECT id FROM trials WHERE study_id = $1 AND state = 'running'`, [
      studyId,
    ]);
    // Restart the server: close everything, stay down 1.5 s (> T), come back on the same port.
    const port = Number(new URL(srv.url).port);
    const t0 = Date.now();
    await srv.close();
    await new Promise((r) => setTimeout(r, 1_500));
    srv = await startRunLoopServer(CONFIG, db, port);
    await waitFor(
      async () => {
        const rows = await srv.db.query<{ n: unknown }>(
          `SELECT count(*) AS n FROM agents WHERE org_id = $1 AND is_online AND last_heartbeat_at > now() - interval '1 second'`,
          [team.orgId],
        );
        return Number(rows[0]!.n) === 2;
      },
      20_000,
      "agents reconnected",
    );
    const reconnectMs = Date.now() - t0;
    await waitFor(async () => (await studyCounts(srv.db, studyId)).complete === 8, 60_000, "study finished");
    const attempts = await srv.db.query<{ trial_id: string; n: unknown }>(
      `SELECT trial_id, count(*) AS n FROM trial_attempts WHERE trial_id = ANY(SELECT id FROM trials WHERE study_id = $1) GROUP BY trial_id`,
      [studyId],
    );
    const restarted = attempts.filter((a) => runningBefore.some((r) => r.id === a.trial_id) && Number(a.n) > 1);
    console.log(
      `restart: agents back ${reconnectMs} ms after the server went down; ${restarted.length} of ${runningBefore.length} running trials restarted`,
    );
    expect(restarted).toEqual([]);
    expect(reconnectMs).toBeLessThan(10_000);
  });
});
