import { existsSync } from "node:fs";
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
  type RunLoopServer,
} from "../../../packages/agent/src/testing/harness.js";
import { repoRoot, spawnAgent, type AgentProcess } from "./processes.js";

/**
 * `run.builtin` end to end with the agent as its own process (`autoglm-agent`, as a user
 * starts it): each trial is a grandchild Node process training with @autoglm/native.
 */
const CONFIG = { heartbeatMs: 250, leaseTtlMs: 1_000, sweepMs: 250, tickMs: 100, ackTimeoutMs: 1_000, optimizerRefreshMs: 300 };

let db: TestDb;
let srv: RunLoopServer;
let dir: string;
const procs: AgentProcess[] = [];

beforeAll(async () => {
  // The bundle the agent stages for trials (they may not be able to enter the checkout).
  const runner = path.join(repoRoot, "packages/agent/dist/runtime/builtin-runner.mjs");
  if (!existsSync(runner)) throw new Error(`${runner} is missing: run pnpm --filter @autoglm/agent build`);
  db = await createTestDb();
  srv = await startRunLoopServer(CONFIG, db);
  dir = openTempDir("autoglm-builtin-e2e-");
}, 60_000);
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await srv?.close();
  await db?.drop();
  if (dir) cleanup(dir);
});

async function finished(studyId: string): Promise<void> {
  await waitFor(
    async () => {
      const [s] = await srv.db.query<{ state: string }>(`SELECT state FROM studies WHERE id = $1`, [studyId]);
      return s!.state !== "running";
    },
    90_000,
    "study finished",
  );
}

describe("builtin trainers on an agent process", () => {
  it("runs an mlp/digits and a glm/diabetes study to completion with real values", async () => {
    const team = await makeTeam(srv, "builtin-e2e");
    const mlp = await seedRunStudy(srv.db, team, {
      objective: { metric: "accuracy", direction: "maximize" },
      space: {
        learning_rate: { type: "float", low: 2e-3, high: 1e-2, log: true },
        width: { type: "int", low: 16, high: 64 },
        activation: { type: "categorical", choices: ["relu", "gelu", "tanh"] },
      },
      sampler: { name: "random", seed: 11 },
      budget: { max_trials: 4, max_parallel: 2 },
      run: { builtin: { trainer: "mlp", dataset: "digits", epochs: 3 } },
    });
    const glm = await seedRunStudy(srv.db, team, {
      objective: { metric: "val_r2", direction: "maximize" },
      space: { lr: { type: "float", low: 1e-2, high: 1e-1, log: true }, l2: { type: "float", low: 1e-5, high: 1e-2, log: true } },
      sampler: { name: "random", seed: 12 },
      budget: { max_trials: 4, max_parallel: 2 },
      run: { builtin: { trainer: "glm", dataset: "diabetes", epochs: 10 } },
    });
    procs.push(
      spawnAgent({
        url: srv.url,
        token: team.token,
        name: "builtin-box",
        workDir: path.join(dir, "work"),
        cwd: dir,
        maxTrials: 2,
        heartbeatMs: 250,
        logTag: "builtin",
      }),
    );
    await finished(mlp);
    await finished(glm);
    for (const [studyId, low, high] of [
      [mlp, 0.8, 1],
      [glm, 0.1, 0.9],
    ] as const) {
      expect(await studyCounts(srv.db, studyId)).toEqual({ waiting: 0, running: 0, complete: 4, pruned: 0, failed: 0 });
      const rows = await srv.db.query<{ id: string; value: unknown; points: unknown }>(
        `SELECT t.id, t.value, (SELECT count(*) FROM trial_values v WHERE v.trial_id = t.id) AS points
         FROM trials t WHERE t.study_id = $1`,
        [studyId],
      );
      for (const r of rows) {
        expect(Number(r.value)).toBeGreaterThan(low);
        expect(Number(r.value)).toBeLessThanOrEqual(high);
        expect(Number(r.points)).toBe(studyId === mlp ? 3 : 10);
        expect(existsSync(path.join(dir, "work", "trials", r.id, "attempt-1", "model.safetensors"))).toBe(true);
      }
      const [s] = await srv.db.query<{ state: string; best_value: unknown }>(
        `SELECT state, best_value FROM studies WHERE id = $1`,
        [studyId],
      );
      expect(s!.state).toBe("completed");
      expect(Number(s!.best_value)).toBe(Math.max(...rows.map((r) => Number(r.value))));
      console.log(
        `builtin e2e ${studyId === mlp ? "mlp/digits accuracy" : "glm/diabetes val_r2"}: ${rows.map((r) => Number(r.value).toFixed(3)).join(", ")}`,
      );
    }
  });
});
