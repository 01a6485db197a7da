/**
 * The optimizer pool: a worker thread answers exactly what the calling thread answers, for
 * every sampler, pruner decision and importance, on the same history; a call past its time
 * budget fails with OPTIMIZER_TIMEOUT and the pool goes on with a fresh worker; which calls
 * stay inline. Needs the built worker (`pnpm --filter @autoglm/scheduler build`).
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOptimizer,
  OptimizerError,
  type THistoryTrial,
  type TOptimizerConfig,
  type TSamplerConfig,
} from "@autoglm/optimizer";
import { studySpecOf } from "@autoglm/protocol";
import { rebuildOptimizer, type THistoryRow } from "./ask-optimizer.js";
import { SchedulerError } from "./ask-types.js";
import { OptimizerPool, optimizerWorkerPath } from "./optimizer-pool.js";
import { answerCall, historyWork, packHistory, unpackHistory } from "./optimizer-task.js";

const space = {
  x: { type: "float", low: -5, high: 5 },
  lr: { type: "float", low: 1e-4, high: 1, log: true },
  k: { type: "int", low: 1, high: 9 },
  act: { type: "categorical", choices: ["relu", "tanh", "gelu"] },
} as const;

/** 30 trials of every state, with curves: complete, pruned early, failed, and two pending. */
function fixedHistory(): THistoryTrial[] {
  const opt = createOptimizer({ space: space as never, sampler: { name: "random", seed: 7 } });
  for (let i = 0; i < 30; i++) {
    const t = opt.ask();
    const x = Number(t.params.x);
    const final =
      (x - 1) ** 2 + Math.log10(Number(t.params.lr)) ** 2 + Number(t.params.k) / 10 + (t.params.act === "tanh" ? 0.5 : 0);
    if (i >= 28) continue; // pending
    if (i % 9 === 4) {
      opt.tell(t.id, null, "failed");
      continue;
    }
    const steps = i % 7 === 3 ? 4 : 12;
    for (let s = 1; s <= steps; s++) opt.report(t.id, s, final + 3 / s);
    if (steps === 4) opt.tell(t.id, null, "pruned");
    else opt.tell(t.id, final);
  }
  return opt.trials();
}

const SAMPLERS: TSamplerConfig[] = [
  { name: "random", seed: 3 },
  { name: "grid", seed: 3 },
  { name: "tpe", seed: 3 },
  { name: "gp", seed: 3 },
  { name: "cmaes", seed: 3 },
  { name: "nsga2", seed: 3 },
  { name: "auto", seed: 3 },
];

let worker: OptimizerPool;
beforeAll(() => {
  if (!existsSync(optimizerWorkerPath()))
    throw new Error(`${optimizerWorkerPath()} is missing: run pnpm --filter @autoglm/scheduler build`);
  worker = new OptimizerPool({ route: "worker" });
});
afterAll(async () => {
  await worker?.close();
});

describe("a worker answers what the calling thread answers", () => {
  const history = fixedHistory();

  it("packs and unpacks a history unchanged", () => {
    expect(unpackHistory(packHistory(history))).toEqual(history);
  });

  it.each(SAMPLERS)("ask with %o", async (sampler) => {
    const config: TOptimizerConfig = { space: space as never, direction: "minimize", sampler };
    const call = { kind: "ask" as const, config, id: 30 };
    const inline = answerCall(call, history);
    // The API's own inline path (the stored rows, rebuilt) gives the same.
    const rows: THistoryRow[] = history.map((t) => ({
      trial: { number: t.id, state: t.state, params: t.params, value: (t.value as number | null) ?? null },
      intermediate: t.intermediate ?? [],
    }));
    const spec = studySpecOf({
      name: "pool",
      space,
      objective: { metric: "loss", direction: "minimize" },
      sampler,
      pruner: { name: "none" },
    });
    expect(rebuildOptimizer(spec, rows).ask({ id: 30 })).toEqual({ id: 30, ...inline });
    expect(await worker.run(call, history)).toEqual(inline);
  });

  it.each([{ name: "asha" }, { name: "hyperband" }, { name: "median" }] as const)("the %o pruner's decisions", async (pruner) => {
    const config: TOptimizerConfig = { space: space as never, sampler: { name: "random", seed: 3 }, pruner };
    const answers: unknown[] = [];
    for (const [id, value] of [
      [28, 30],
      [28, 0.01],
      [29, 30],
    ] as const) {
      for (const step of [1, 3, 9]) {
        const call = { kind: "report" as const, config, id, step, value: value + 3 / step };
        const inline = answerCall(call, history);
        expect(await worker.run(call, history)).toEqual(inline);
        answers.push(inline);
      }
    }
    // The decisions are not all the same answer (the comparison means something).
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBeGreaterThan(1);
  });

  it("importance", async () => {
    const complete = history.filter((t) => t.state === "complete").map(({ intermediate: _, ...t }) => t);
    const call = {
      kind: "importance" as const,
      config: { space: space as never, sampler: { name: "random" as const, seed: 3 } },
      minTrials: 5,
    };
    const inline = answerCall(call, complete);
    expect(inline.used).toBe(complete.length);
    expect(Object.keys(inline.shares ?? {})).toHaveLength(4);
    expect(await worker.run(call, complete)).toEqual(inline);
  });

  it("PED-ANOVA importance of another objective, and a constrained ask, cross to a worker intact", async () => {
    const opt = createOptimizer({
      space: space as never,
      direction: ["minimize", "minimize"],
      sampler: { name: "random", seed: 5 },
    });
    for (let i = 0; i < 30; i++) {
      const t = opt.ask();
      const x = Number(t.params.x);
      opt.tell(t.id, [x * x, Number(t.params.k)], "complete", { constraints: [1 - x] }); // the best x are infeasible
    }
    const constrained = opt.trials();
    expect(unpackHistory(packHistory(constrained))).toEqual(constrained);
    const config: TOptimizerConfig = { space: space as never, direction: ["minimize", "minimize"], sampler: { name: "random" } };
    const ped = { kind: "importance" as const, config, minTrials: 5, objective: 1, method: "ped-anova" as const };
    const inline = answerCall(ped, constrained);
    expect(Object.entries(inline.shares!).sort((a, b) => b[1] - a[1])[0]![0]).toBe("k");
    expect(await worker.run(ped, constrained)).toEqual(inline);
    // TPE reads the constraints: without them it proposes something else.
    const ask = { kind: "ask" as const, config: { ...config, sampler: { name: "tpe" as const, seed: 3 } }, id: 30 };
    const withConstraints = answerCall(ask, constrained);
    expect(
      answerCall(
        ask,
        constrained.map(({ constraints: _, ...t }) => t),
      ),
    ).not.toEqual(withConstraints);
    expect(await worker.run(ask, constrained)).toEqual(withConstraints);
  });

  it("an optimizer error keeps its type and code", async () => {
    const config: TOptimizerConfig = { space: space as never, sampler: { name: "tpe", seed: 3 } };
    const err = await worker.run({ kind: "ask", config, id: 5 }, history).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptimizerError);
    expect(err).toMatchObject({ code: "DUPLICATE_TRIAL", message: "ask: trial 5 already exists" });
  });
});

describe("the time budget", () => {
  it("fails a GP ask (200 params, 100 trials) past it with OPTIMIZER_TIMEOUT; the next call gets a fresh worker", async () => {
    const big: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) big[`p${i}`] = { type: "float", low: 0, high: 1 };
    const seedOpt = createOptimizer({ space: big as never, sampler: { name: "random", seed: 1 } });
    for (let i = 0; i < 100; i++) {
      const t = seedOpt.ask();
      seedOpt.tell(
        t.id,
        Object.values(t.params).reduce<number>((a, v) => a + (Number(v) - 0.3) ** 2, 0),
      );
    }
    const pool = new OptimizerPool({ route: "worker", timeoutMs: 300 });
    try {
      const gp = { kind: "ask" as const, config: { space: big as never, sampler: { name: "gp" as const, seed: 1 } }, id: 100 };
      const started = performance.now();
      const err = await pool.run(gp, seedOpt.trials()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchedulerError);
      expect(err).toMatchObject({ code: "OPTIMIZER_TIMEOUT" });
      expect((err as SchedulerError).userMessage).toMatch(
        /^The study's optimizer did not propose the next trial's parameters within 300 ms and was stopped; nothing was stored\./,
      );
      // Answered at the budget, not when the fit would have ended (~2 s).
      expect(performance.now() - started).toBeLessThan(1_500);
      const small = {
        kind: "ask" as const,
        config: { space: space as never, sampler: { name: "tpe" as const, seed: 3 } },
        id: 30,
      };
      expect(await pool.run(small, fixedHistory())).toEqual(answerCall(small, fixedHistory()));
    } finally {
      await pool.close();
    }
  });
});

describe("what stays on the calling thread (route auto)", () => {
  const pool = new OptimizerPool();
  const config = (sampler: TSamplerConfig["name"], pruner: string): TOptimizerConfig => ({
    space: space as never,
    sampler: { name: sampler } as never,
    pruner: { name: pruner } as never,
  });
  const small = historyWork(fixedHistory());

  it("random asks and model-free decisions on small histories; everything that fits a model goes to a worker", () => {
    expect(small).toBeLessThan(1_000);
    expect(pool.runsInline({ kind: "ask", config: config("random", "none"), id: 1 }, small)).toBe(true);
    for (const s of ["tpe", "gp", "cmaes", "nsga2", "auto", "grid"] as const) {
      expect(pool.runsInline({ kind: "ask", config: config(s, "none"), id: 1 }, small), s).toBe(false);
    }
    expect(pool.runsInline({ kind: "report", config: config("tpe", "median"), id: 1, step: 1, value: 1 }, small)).toBe(true);
    expect(pool.runsInline({ kind: "report", config: config("tpe", "asha"), id: 1, step: 1, value: 1 }, small)).toBe(false);
    expect(pool.runsInline({ kind: "importance", config: config("tpe", "none"), minTrials: 5 }, small)).toBe(false);
    // A big history costs more to rebuild inline than to post.
    expect(pool.runsInline({ kind: "ask", config: config("random", "none"), id: 1 }, 200_000)).toBe(false);
    expect(pool.runsInline({ kind: "report", config: config("tpe", "median"), id: 1, step: 1, value: 1 }, 200_000)).toBe(false);
  });
});
