import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedRunStudy, seedTeam, seedToken } from "@autoglm/scheduler/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRoundRobinProxy } from "./rr-proxy.js";
import { openAgentDir, repoRoot, resultsDir, startPlatform, type Platform } from "./harness.js";

// R4 (RELIABILITY.md), scaled down: two server replicas behind a round-robin balancer,
// one of them killed with SIGKILL mid-study and restarted, twice. Nothing may be lost or
// run twice, and trials whose agent stayed alive are re-adopted by the surviving replica
// rather than restarted (every trial ends with exactly one attempt).
//
// Each kill goes to a replica that is serving an agent in the middle of a trial: a fixed
// victim made the test depend on timing (CI, 2026-11-23: the first kill came before that
// replica's agents had started anything, they all moved to the other replica, and the
// second kill cut nobody off, so nothing was there to re-adopt).

const enabled = Boolean(process.env.DATABASE_URL);
if (!enabled)
  console.log(
    `${path.basename(import.meta.url)}: skipped — two server processes need a shared PostgreSQL (set DATABASE_URL); PGlite is single-process`,
  );
const TRIALS = 20;
/** The two replicas; a killed one is replaced in place by its restart (same port). */
const replicas: Platform[] = [];
let proxy: Awaited<ReturnType<typeof startRoundRobinProxy>>;
/** The database both replicas share; the test owns it, so either replica may be killed. */
let db: TestDb;
const agents: ChildProcess[] = [];
const workDir = openAgentDir("autoglm-r4-");

beforeAll(async () => {
  if (!enabled) return;
  db = await createTestDb({ poolSize: 2 });
  replicas.push(await startPlatform("r4-a", [], { databaseUrl: db.url }));
  replicas.push(await startPlatform("r4-b", [], { databaseUrl: db.url }));
  proxy = await startRoundRobinProxy(replicas.map((r) => r.port));
}, 180_000);

afterAll(async () => {
  for (const p of agents) p.kill("SIGKILL");
  await proxy?.close();
  for (const r of replicas) await r.stop();
  await db?.drop();
  rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!enabled)("R4: a server replica is killed mid-study", () => {
  it("loses nothing, runs nothing twice, and re-adopts running trials", async () => {
    const team = await seedTeam(db, "r4");
    const token = await seedToken(db, team);
    const studyId = await seedRunStudy(db, team, {
      space: { x1: { type: "float", low: -5, high: 10 }, x2: { type: "float", low: 0, high: 15 } },
      sampler: { name: "random", seed: 4 },
      budget: { max_trials: TRIALS, max_parallel: 4 },
      run: { command: "node examples/demo/branin-curve.mjs", env: { DEMO_STEP_MS: "700" } },
    });

    mkdirSync(path.join(resultsDir, "logs"), { recursive: true });
    // Four one-slot agents: the balancer spreads them over both replicas, so each kill cuts some off.
    const names = ["r4-agent-1", "r4-agent-2", "r4-agent-3", "r4-agent-4"];
    for (const name of names) {
      const log = createWriteStream(path.join(resultsDir, "logs", `e2e-${name}.log`));
      const child = spawn(
        process.execPath,
        [
          path.join(repoRoot, "packages/agent/dist/cli.js"),
          "--server",
          `http://127.0.0.1:${proxy.port}`,
          "--name",
          name,
          "--max-trials",
          "1",
          "--no-gpus",
          "--reconnect-max-ms",
          "1000",
          "--work-dir",
          path.join(workDir, name),
        ],
        { cwd: workDir, env: { ...process.env, AUTOGLM_TOKEN: token, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
      agents.push(child);
    }

    const count = async (state: string) =>
      (
        await db.query<{ n: number }>("SELECT count(*)::int AS n FROM trials WHERE study_id = $1 AND state = $2", [
          studyId,
          state,
        ])
      )[0]!.n;
    const waitFor = async (cond: () => Promise<boolean>, ms: number, what: string) => {
      const end = Date.now() + ms;
      while (!(await cond())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    // The agents a replica serves: those that registered with it (an agent leaves a replica
    // only when the replica dies, and its restart starts with an empty log).
    // The server logs JSON lines (LOG_FORMAT's default).
    const servedBy = (r: Platform) =>
      new Set(
        r
          .output()
          .split("\n")
          .filter((line) => line.includes('"msg":"agent registered"'))
          .map((line) => /"agentId":"([0-9a-f-]{36})"/.exec(line)?.[1])
          .filter((id): id is string => id !== undefined),
      );
    const replicaLogs: string[] = [];
    for (let kill = 0; kill < 2; kill++) {
      // A victim whose agent is mid-trial: started (a value is stored) and with at least
      // ~1.4 s to go (at most 2 of 5 steps of 700 ms), so the trial is still running when the
      // agent reconnects (within 1 s) and presents it.
      let victim = -1;
      await waitFor(
        async () => {
          const rows = await db.query<{ agent_id: string }>(
            `SELECT t.agent_id FROM trials t WHERE t.study_id = $1 AND t.state = 'running' AND t.agent_id IS NOT NULL
               AND (SELECT count(*) FROM trial_values v WHERE v.trial_id = t.id) BETWEEN 1 AND 2`,
            [studyId],
          );
          const busy = new Set(rows.map((r) => String(r.agent_id)));
          victim = replicas.findIndex((r) => [...servedBy(r)].some((id) => busy.has(id)));
          return victim >= 0;
        },
        60_000,
        "an agent in the middle of a trial",
      );
      const old = replicas[victim]!;
      old.child.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 2_000));
      replicaLogs.push(old.output());
      await old.stop();
      replicas[victim] = await startPlatform(`r4-${victim === 0 ? "a" : "b"}-${kill + 1}`, [], {
        databaseUrl: db.url,
        port: old.port,
      });
    }

    await waitFor(async () => (await count("complete")) === TRIALS, 180_000, `${TRIALS} complete trials`);

    const trials = await db.query<{ n: number; failed: number }>(
      "SELECT count(*)::int AS n, count(*) FILTER (WHERE state <> 'complete')::int AS failed FROM trials WHERE study_id = $1",
      [studyId],
    );
    expect(trials[0]).toEqual({ n: TRIALS, failed: 0 });
    // Nothing ran twice: at most one completed attempt per trial. And every trial an agent had
    // actually started was re-adopted, not restarted: only a lease the kill caught in flight
    // (granted, never acknowledged) may come back for a second attempt.
    const doubles = await db.query<{ number: number }>(
      `SELECT t.number FROM trials t JOIN trial_attempts a ON a.trial_id = t.id
       WHERE t.study_id = $1 AND a.end_code = 'COMPLETED' GROUP BY t.number HAVING count(*) > 1`,
      [studyId],
    );
    expect(doubles).toEqual([]);
    const startedLogs = names.map((n) => readFileSync(path.join(resultsDir, "logs", `e2e-${n}.log`), "utf8")).join("\n");
    // The agents log JSON lines (LOG_FORMAT's default).
    const started = new Set(
      startedLogs
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { msg?: string; trialId?: string; attempt?: number })
        .filter((l) => l.msg === "trial started" && l.attempt === 1)
        .map((l) => l.trialId),
    );
    const retried = await db.query<{ id: string }>(
      `SELECT t.id FROM trials t JOIN trial_attempts a ON a.trial_id = t.id WHERE t.study_id = $1 GROUP BY t.id HAVING count(*) > 1`,
      [studyId],
    );
    expect(retried.filter((r) => started.has(r.id))).toEqual([]);
    expect(started.size).toBeGreaterThanOrEqual(TRIALS - retried.length);
    const values = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM trials WHERE study_id = $1 AND state = 'complete' AND value IS NOT NULL",
      [studyId],
    );
    expect(values[0]!.n).toBe(TRIALS);

    // The kills really cut agents off, and their running trials were re-adopted on reconnect.
    const agentLogs = names.map((n) => readFileSync(path.join(resultsDir, "logs", `e2e-${n}.log`), "utf8")).join("\n");
    expect(agentLogs.match(/"msg":"disconnected"/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const serverLogs = [...replicaLogs, ...replicas.map((r) => r.output())].join("\n");
    const adopted = [...serverLogs.matchAll(/"adopted":(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(adopted).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
