import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadModel } from "@autoglm/native";
import { loadDigits } from "@autoglm/native/data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "./agent.js";
import {
  cleanup,
  makeTeam,
  openTempDir,
  seedRunStudy,
  startRunLoopServer,
  startTestAgent,
  studyCounts,
  waitFor,
  type RunLoopServer,
} from "./testing/harness.js";
import { runtimeSources } from "./builtin-runtime.js";

/**
 * `run.builtin` studies on a real server (PGlite, or Postgres with DATABASE_URL) and a real
 * agent: each trial is a Node child process (the runner bundle staged by the agent — build the
 * package first) training with @autoglm/native on the CPU.
 */

let srv: RunLoopServer;
let dir: string;
const agents: RunningAgent[] = [];

beforeAll(async () => {
  // The bundle the agent stages for trials (builtin-runtime.ts).
  const runner = runtimeSources().runner;
  if (!existsSync(runner)) throw new Error(`${runner} is missing: run pnpm --filter @autoglm/agent build`);
  srv = await startRunLoopServer();
  dir = openTempDir("autoglm-builtin-");
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await srv?.close();
  if (dir) cleanup(dir);
});

async function agent(team: Awaited<ReturnType<typeof makeTeam>>, name: string, extra: Record<string, unknown> = {}) {
  const a = await startTestAgent(srv, team, { name, workDir: path.join(dir, "work"), cwd: dir, ...extra });
  agents.push(a);
  return a;
}

async function waitStudyDone(studyId: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const [s] = await srv.db.query<{ state: string }>(`SELECT state FROM studies WHERE id = $1`, [studyId]);
      return s!.state === "completed" || s!.state === "failed";
    },
    timeoutMs,
    "study finished",
  );
}

interface TrialRow {
  id: string;
  state: string;
  value: unknown;
  params: Record<string, unknown>;
  end_code: string | null;
  last_step: unknown;
  log_tail: string | null;
}

async function trialsOf(studyId: string): Promise<TrialRow[]> {
  return srv.db.query<TrialRow>(
    `SELECT t.id, t.state, t.value, t.params, t.end_code, t.last_step, a.log_tail
     FROM trials t LEFT JOIN trial_attempts a ON a.trial_id = t.id AND a.attempt = t.attempt
     WHERE t.study_id = $1 ORDER BY t.number`,
    [studyId],
  );
}

async function curveOf(trialId: string): Promise<Array<{ step: number; value: number; metrics: Record<string, number> }>> {
  const rows = await srv.db.query<{ step: unknown; value: unknown; metrics: Record<string, number> }>(
    `SELECT step, value, metrics FROM trial_values WHERE trial_id = $1 ORDER BY step`,
    [trialId],
  );
  return rows.map((r) => ({ step: Number(r.step), value: Number(r.value), metrics: r.metrics }));
}

describe("run.builtin trials on a real agent", () => {
  it("mlp on digits: 4 trials with parameters from the space train, report per epoch and save their models", async () => {
    const team = await makeTeam(srv, "builtin-mlp");
    const studyId = await seedRunStudy(srv.db, team, {
      objective: { metric: "val_accuracy", direction: "maximize" },
      space: {
        lr: { type: "float", low: 2e-3, high: 1e-2, log: true },
        hidden: { type: "int", low: 16, high: 64 },
        layers: { type: "int", low: 1, high: 2 },
        momentum: { type: "float", low: 0.8, high: 0.99 },
      },
      sampler: { name: "random", seed: 3 },
      budget: { max_trials: 4, max_parallel: 2 },
      run: { builtin: { trainer: "mlp", dataset: "digits", epochs: 4, params: { batch_size: 32 } } },
    });
    await agent(team, "builtin-mlp-agent", { maxTrials: 2 });
    await waitStudyDone(studyId);
    const trials = await trialsOf(studyId);
    expect(trials.map((t) => t.state)).toEqual(["complete", "complete", "complete", "complete"]);
    const values = trials.map((t) => Number(t.value));
    for (const t of trials) {
      // Real held-out accuracy of a real model (a 4-epoch MLP gets well above chance, 0.1).
      expect(Number(t.value)).toBeGreaterThan(0.8);
      expect(Number(t.value)).toBeLessThanOrEqual(1);
      const curve = await curveOf(t.id);
      expect(curve.map((p) => p.step)).toEqual([1, 2, 3, 4]);
      for (const p of curve) {
        expect(Object.keys(p.metrics).sort()).toEqual(["accuracy", "loss", "val_accuracy", "val_loss"]);
        expect(p.value).toBe(p.metrics.val_accuracy);
      }
      // The parameters reached the trainer by name; the unknown one was logged and ignored.
      expect(t.log_tail).toContain(`"lr":${t.params.lr}`);
      expect(t.log_tail).toContain(`"width":${t.params.hidden}`);
      expect(t.log_tail).toContain(`"layers":${t.params.layers}`);
      expect(t.log_tail).toContain(`"batchSize":32`);
      expect(t.log_tail).toContain(`ignoring parameter "momentum"`);
      // The model is in the trial's output directory and predicts as well as reported.
      const out = path.join(dir, "work", "trials", t.id, "attempt-1");
      const model = await loadModel(path.join(out, "model.safetensors"));
      expect(model.kind).toBe("mlp");
      expect(model.config).toMatchObject({ task: "classification", width: t.params.hidden, layers: t.params.layers });
      const meta = JSON.parse(readFileSync(path.join(out, "builtin.json"), "utf8"));
      expect(meta).toMatchObject({ trainer: "mlp", dataset: "digits", kind: "mlp", device: "cpu" });
      expect(meta.final.val_accuracy).toBeCloseTo(Number(t.value), 10);
    }
    // The trained models are real: one classifies the whole digits set far above chance.
    const digits = loadDigits();
    const best = trials[values.indexOf(Math.max(...values))]!;
    const model = await loadModel(path.join(dir, "work", "trials", best.id, "attempt-1", "model.safetensors"));
    const cls = await model.predictClasses(digits.x, digits.rows);
    const acc = cls.filter((c, i) => c === digits.y[i]).length / digits.rows;
    expect(acc).toBeGreaterThan(0.8);
    const [s] = await srv.db.query<{ best_value: unknown; state: string }>(
      `SELECT best_value, state FROM studies WHERE id = $1`,
      [studyId],
    );
    expect(s!.state).toBe("completed");
    expect(Number(s!.best_value)).toBe(Math.max(...values));
    console.log(
      `builtin mlp/digits: val_accuracy ${values.map((v) => v.toFixed(3)).join(", ")}; whole-set accuracy of the best ${acc.toFixed(3)}`,
    );
  });

  it("glm on diabetes: a linear model whose l2 and lr come from the space, minimising val_rmse", async () => {
    const team = await makeTeam(srv, "builtin-glm");
    const studyId = await seedRunStudy(srv.db, team, {
      objective: { metric: "val_rmse", direction: "minimize" },
      space: {
        lr: { type: "float", low: 1e-2, high: 1e-1, log: true },
        alpha: { type: "float", low: 1e-5, high: 1e-2, log: true },
      },
      sampler: { name: "random", seed: 5 },
      budget: { max_trials: 4, max_parallel: 2 },
      run: { builtin: { trainer: "glm", dataset: "diabetes", epochs: 10 } },
    });
    await agent(team, "builtin-glm-agent", { maxTrials: 2 });
    await waitStudyDone(studyId);
    const trials = await trialsOf(studyId);
    expect(trials.map((t) => t.state)).toEqual(["complete", "complete", "complete", "complete"]);
    for (const t of trials) {
      // The target's standard deviation is about 77: a fitted linear model does much better
      // than predicting the mean, but no model is perfect on this data.
      expect(Number(t.value)).toBeGreaterThan(30);
      expect(Number(t.value)).toBeLessThan(70);
      expect(t.log_tail).toContain("linear regression (glm) on diabetes");
      expect(t.log_tail).toContain(`"weightDecay":${t.params.alpha}`);
      expect(t.log_tail).toContain(`"layers":0`);
      const curve = await curveOf(t.id);
      expect(curve).toHaveLength(10);
      expect(Object.keys(curve[0]!.metrics).sort()).toEqual(["loss", "val_loss", "val_r2", "val_rmse"]);
      const out = path.join(dir, "work", "trials", t.id, "attempt-1");
      const meta = JSON.parse(readFileSync(path.join(out, "builtin.json"), "utf8"));
      expect(meta).toMatchObject({ trainer: "glm", dataset: "diabetes", kind: "linear", paramCount: 11 });
      expect(meta.final.val_r2).toBeGreaterThan(0.1);
      expect(meta.final.val_rmse).toBeCloseTo(Number(t.value), 10);
    }
  });

  it("glm on shakespeare: the byte-level language model reports val_bpb per evaluation", async () => {
    const team = await makeTeam(srv, "builtin-lm");
    const studyId = await seedRunStudy(srv.db, team, {
      objective: { metric: "val_bpb", direction: "minimize" },
      space: { lr: { type: "float", low: 3e-3, high: 1e-2, log: true }, heads: { type: "categorical", choices: [1, 2] } },
      sampler: { name: "random", seed: 1 },
      budget: { max_trials: 2, max_parallel: 2 },
      run: {
        builtin: {
          trainer: "glm",
          dataset: "shakespeare",
          steps: 40,
          params: { layers: 1, width: 32, context: 32, batch_size: 8, eval_every: 10 },
        },
      },
    });
    await agent(team, "builtin-lm-agent", { maxTrials: 2 });
    await waitStudyDone(studyId);
    const trials = await trialsOf(studyId);
    expect(trials.map((t) => t.state)).toEqual(["complete", "complete"]);
    for (const t of trials) {
      // Uniform over 256 bytes is 8 bits per byte; 40 tiny steps learn the byte frequencies.
      expect(Number(t.value)).toBeLessThan(6.5);
      const curve = await curveOf(t.id);
      expect(curve.map((p) => p.step)).toEqual([10, 20, 30, 40]);
      expect(curve[3]!.value).toBeLessThan(curve[0]!.value);
      const model = await loadModel(path.join(dir, "work", "trials", t.id, "attempt-1", "model.safetensors"));
      expect(model.kind).toBe("glm");
      expect(model.config).toMatchObject({ heads: t.params.heads, width: 32, context: 32 });
    }
  });

  it("a pruned builtin trial leaves on SIGTERM at once (no SIGKILL), marked pruned with its last value", async () => {
    const team = await makeTeam(srv, "builtin-prune");
    const studyId = await seedRunStudy(srv.db, team, {
      objective: { metric: "val_loss", direction: "minimize" },
      space: { lr: { type: "float", low: 1e-3, high: 3e-3 } },
      // Every report is above the threshold: the first one prunes.
      pruner: { name: "threshold", upper: 1 },
      budget: { max_trials: 2, max_parallel: 2 },
      run: {
        builtin: {
          trainer: "glm",
          dataset: "shakespeare",
          steps: 1_000_000,
          params: { layers: 1, width: 32, context: 32, batch_size: 8, eval_every: 20 },
        },
      },
    });
    const grace = 5_000;
    const a = await agent(team, "builtin-prune-agent", { maxTrials: 2, killGraceMs: grace });
    const exits: Array<{ sigtermAt: number | null; sigkillAt: number | null; exitAt: number }> = [];
    a.events.on("trial-exit", (e: { run: { sigtermAt: number | null; sigkillAt: number | null } }) =>
      exits.push({ sigtermAt: e.run.sigtermAt, sigkillAt: e.run.sigkillAt, exitAt: Date.now() }),
    );
    await waitFor(async () => (await studyCounts(srv.db, studyId)).pruned === 2, 30_000, "both pruned");
    await waitFor(() => exits.length === 2, 10_000, "both exited");
    for (const e of exits) {
      expect(e.sigtermAt).not.toBeNull();
      expect(e.sigkillAt).toBeNull();
      expect(e.exitAt - e.sigtermAt!).toBeLessThan(1_500);
    }
    // The trial is pruned at decision time; the log tail arrives with the agent's completion.
    const trials = await waitFor(
      async () => {
        const rows = await trialsOf(studyId);
        return rows.every((r) => r.log_tail !== null) && rows;
      },
      10_000,
      "log tails stored",
    );
    for (const t of trials) {
      expect(t.end_code).toBe("PRUNED");
      expect(Number(t.value)).toBeGreaterThan(1);
      expect(Number(t.last_step) % 20).toBe(0);
      expect(t.log_tail).toContain("SIGTERM: stopping training");
    }
  });

  it("a user stop ends a long builtin trial within a second; a bad value fails the trial with the trainer's reason", async () => {
    const team = await makeTeam(srv, "builtin-stop");
    await seedRunStudy(srv.db, team, {
      objective: { metric: "val_loss", direction: "minimize" },
      space: { lr: { type: "float", low: 1e-3, high: 3e-3 } },
      budget: { max_trials: 1, max_parallel: 1 },
      run: {
        builtin: {
          trainer: "glm",
          dataset: "shakespeare",
          steps: 1_000_000,
          params: { layers: 1, width: 32, context: 32, batch_size: 8 },
        },
      },
    });
    const a = await agent(team, "builtin-stop-agent", { maxTrials: 1, killGraceMs: 5_000 });
    const t = await waitFor(() => a.trials()[0], 10_000, "running");
    await new Promise((r) => setTimeout(r, 500));
    const stoppedAt = Date.now();
    await srv.gateway.stopTrial({ orgId: team.orgId, trialId: t.trialId });
    await waitFor(
      () => {
        try {
          process.kill(t.pid!, 0);
          return false;
        } catch {
          return true;
        }
      },
      5_000,
      "process gone",
    );
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    const [row] = await srv.db.query<{ state: string; end_code: string }>(`SELECT state, end_code FROM trials WHERE id = $1`, [
      t.trialId,
    ]);
    expect(row).toEqual({ state: "failed", end_code: "USER_STOPPED" });

    const bad = await seedRunStudy(srv.db, team, {
      objective: { metric: "val_accuracy", direction: "maximize" },
      space: { activation: { type: "categorical", choices: ["swish"] } },
      budget: { max_trials: 1, max_parallel: 1, max_attempts: 1, max_failures: 1 },
      run: { builtin: { trainer: "mlp", dataset: "digits", epochs: 1 } },
    });
    await waitStudyDone(bad, 20_000);
    const [failed] = await trialsOf(bad);
    expect(failed!.state).toBe("failed");
    expect(failed!.end_code).toBe("USER_COMMAND_EXIT_NONZERO");
    const [reason] = await srv.db.query<{ end_reason: string }>(`SELECT end_reason FROM trials WHERE id = $1`, [failed!.id]);
    expect(reason!.end_reason).toContain("mlp.activation must be relu, gelu or tanh, got 'swish'");
  });
});
