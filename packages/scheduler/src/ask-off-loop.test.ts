/**
 * Sampler and pruner work off the event loop, against a real database (PGlite, or Postgres
 * with DATABASE_URL): asks and reports that run in the optimizer pool give what the calling
 * thread gives, keep askTrial's guarantees (unique numbers, no overshoot, distinct points for
 * concurrent asks), and past their time budget answer OPTIMIZER_TIMEOUT having stored nothing.
 * The agents' study optimizers answer alike through the pool. Needs the built worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { THistoryTrial } from "@autoglm/optimizer";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { getStudy, insertStudy, listTrialValues, type TenantScope } from "@autoglm/db/queries";
import { parseStudySpec, type TStudySpecInput } from "@autoglm/protocol";
import { historyTrialsOf } from "./ask-optimizer.js";
import { optimizerConfigOf } from "./optimizer-config.js";
import { StudyOptimizers } from "./agent-optimizer.js";
import { seedTeam } from "./agent-fixtures.js";
import { askTrial } from "./ask-trial.js";
import { SchedulerError, type TAskTellDeps } from "./ask-types.js";
import { OptimizerPool } from "./optimizer-pool.js";
import { answerCall, type TCallOf, type TOptimizerAnswers, type TOptimizerCall, type TOptimizerKind } from "./optimizer-task.js";
import { reportTrial } from "./report-trial.js";
import { StudyHistoryCache } from "./study-history.js";

let db: TestDb;
const pools: OptimizerPool[] = [];
const newPool = (o: ConstructorParameters<typeof OptimizerPool>[0]) => {
  const p = new OptimizerPool(o);
  pools.push(p);
  return p;
};
let worker: OptimizerPool;
let inline: OptimizerPool;

beforeAll(async () => {
  db = await createTestDb();
  worker = newPool({ route: "worker" });
  inline = newPool({ route: "inline" });
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await db?.drop();
});

const actor = { userId: null };
const deps = (pool: OptimizerPool, extra: Partial<TAskTellDeps> = {}): TAskTellDeps => ({
  db: db.db,
  optimizerPool: pool,
  histories: new StudyHistoryCache(),
  ...extra,
});

const SMALL_SPACE = { x: { type: "float", low: -5, high: 5 }, k: { type: "int", low: 1, high: 9 } };

/** A running study of its own team with `finished` complete trials (curves of `steps` values), bulk-inserted. */
async function studyWith(
  spec: Partial<TStudySpecInput>,
  finished: Array<{ params: Record<string, unknown>; value: number }>,
  steps = 0,
) {
  const team = await seedTeam(db, "offloop");
  const scope: TenantScope = { orgId: team.orgId };
  const parsed = parseStudySpec({ name: "s", objective: { metric: "loss", direction: "minimize" }, space: SMALL_SPACE, ...spec });
  if (!parsed.ok) throw new Error(parsed.message);
  const row = await insertStudy(db.db, scope, {
    projectId: team.projectId,
    name: parsed.spec.name,
    spec: parsed.spec,
    direction: "minimize",
    metric: "loss",
    createdBy: null,
  });
  if (finished.length > 0) {
    await db.query(
      `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt, last_step, started_at, finished_at)
       SELECT $1, $2, x.i, 'complete', x.p, x.v, 1, $4, now(), now() FROM jsonb_to_recordset($3::jsonb) AS x(i int, p jsonb, v float8)`,
      [team.orgId, row.id, JSON.stringify(finished.map((f, i) => ({ i, p: f.params, v: f.value }))), steps > 0 ? steps : null],
    );
    if (steps > 0) {
      await db.query(
        `INSERT INTO trial_values (trial_id, org_id, step, value)
         SELECT t.id, t.org_id, s, t.value + 2.0 / s FROM trials t, generate_series(1, $2) s WHERE t.study_id = $1`,
        [row.id, steps],
      );
    }
    await db.query(`UPDATE studies SET next_trial_number = $2 WHERE id = $1`, [row.id, finished.length]);
  }
  return { scope, studyId: row.id, orgId: team.orgId, spec: parsed.spec };
}

const smallFinished = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const x = -5 + ((i * 7) % 20) / 2;
    const k = 1 + (i % 9);
    return { params: { x, k }, value: (x - 1) ** 2 + k / 10 };
  });

/** S12's heaviest accepted ask: GP over 200 float params with 100 finished trials (~2 s of fitting). */
async function gp200Study() {
  const space: Record<string, unknown> = {};
  for (let i = 0; i < 200; i++) space[`p${i}`] = { type: "float", low: 0, high: 1 };
  const finished = Array.from({ length: 100 }, (_, i) => {
    const params = Object.fromEntries(Object.keys(space).map((k, j) => [k, ((i * 37 + j * 11) % 101) / 100]));
    return { params, value: Object.values(params).reduce((a, v) => a + (v - 0.3) ** 2, 0) };
  });
  return studyWith(
    { space: space as never, sampler: { name: "gp", seed: 1 }, budget: { max_trials: 1000, max_parallel: 4 } as never },
    finished,
  );
}

async function counts(studyId: string, orgId: string) {
  const [r] = await db.query<{ trials: number; attempts: number; audits: number; next: number }>(
    `SELECT (SELECT count(*)::int FROM trials WHERE study_id = $1) AS trials,
            (SELECT count(*)::int FROM trial_attempts a JOIN trials t ON t.id = a.trial_id WHERE t.study_id = $1) AS attempts,
            (SELECT count(*)::int FROM audit_log WHERE org_id = $2 AND action = 'trial.ask') AS audits,
            (SELECT next_trial_number FROM studies WHERE id = $1) AS next`,
    [studyId, orgId],
  );
  return r!;
}

/** The stored history without `skip`, as the optimizer sees it. */
async function historyWithout(studyId: string, skip: number): Promise<THistoryTrial[]> {
  return historyTrialsOf(await new StudyHistoryCache().load(db.db, studyId), skip);
}

describe("askTrial through the pool", () => {
  it("past the optimizer's time budget answers OPTIMIZER_TIMEOUT and stores nothing; within it the same ask succeeds", async () => {
    const s = await gp200Study();
    const before = await counts(s.studyId, s.orgId);
    const err = await askTrial(deps(newPool({}), { config: { optimizerTimeoutMs: 300 } }), {
      scope: s.scope,
      studyId: s.studyId,
      actor,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchedulerError);
    expect(err).toMatchObject({ code: "OPTIMIZER_TIMEOUT" });
    expect((err as SchedulerError).userMessage).toMatch(
      /did not propose the next trial's parameters within 300 ms and was stopped; nothing was stored/,
    );
    expect(await counts(s.studyId, s.orgId)).toEqual(before);
    const asked = await askTrial(deps(newPool({})), { scope: s.scope, studyId: s.studyId, actor });
    expect(asked.number).toBe(100);
    expect(Object.keys(asked.params)).toHaveLength(200);
    expect(await counts(s.studyId, s.orgId)).toEqual({ trials: 101, attempts: 1, audits: 1, next: 101 });
  }, 60_000);

  it("gives the calling thread's parameters, in sequence, with pending trials as constant liars", async () => {
    const spec = { sampler: { name: "tpe", seed: 5 }, budget: { max_trials: 100, max_parallel: 3 } } as const;
    const a = await studyWith(spec as never, smallFinished(12));
    const b = await studyWith(spec as never, smallFinished(12));
    const viaWorker = await Promise.allSettled(
      Array.from({ length: 5 }, () => askTrial(deps(worker), { scope: a.scope, studyId: a.studyId, actor })),
    );
    const ok = viaWorker.filter((r) => r.status === "fulfilled").map((r) => r.value);
    const refused = viaWorker.filter((r) => r.status === "rejected").map((r) => r.reason as SchedulerError);
    expect(ok.map((t) => t.number).sort((x, y) => x - y)).toEqual([12, 13, 14]);
    expect(new Set(ok.map((t) => JSON.stringify(t.params))).size).toBe(3);
    expect(refused.map((e) => e.code)).toEqual(["MAX_PARALLEL_REACHED", "MAX_PARALLEL_REACHED"]);
    const onThread = [];
    for (let i = 0; i < 3; i++) onThread.push(await askTrial(deps(inline), { scope: b.scope, studyId: b.studyId, actor }));
    expect(ok.sort((x, y) => x.number - y.number).map((t) => t.params)).toEqual(onThread.map((t) => t.params));
  });

  it("recomputes when the study took its number meanwhile (another server, the scheduler), with that trial pending", async () => {
    const s = await studyWith(
      { sampler: { name: "tpe", seed: 9 }, budget: { max_trials: 100, max_parallel: 4 } } as never,
      smallFinished(12),
    );
    const calls: number[] = [];
    /** A real pool; on its first call another writer takes number 12 (as a second server would). */
    class RacedPool extends OptimizerPool {
      override async run<K extends TOptimizerKind>(
        call: TCallOf<K>,
        trials: readonly THistoryTrial[],
        opts = {},
      ): Promise<TOptimizerAnswers[K]> {
        const c = call as TOptimizerCall;
        if (c.kind === "ask") calls.push(c.id);
        if (calls.length === 1) {
          await db.query(
            `WITH n AS (UPDATE studies SET next_trial_number = next_trial_number + 1 WHERE id = $1 RETURNING org_id, next_trial_number - 1 AS number)
             INSERT INTO trials (org_id, study_id, number, state, params) SELECT org_id, $1, number, 'waiting', '{"x": 1.5, "k": 3}'::jsonb FROM n`,
            [s.studyId],
          );
        }
        return super.run(call, trials, opts);
      }
    }
    const pool = new RacedPool({ route: "worker" });
    pools.push(pool);
    const asked = await askTrial(deps(pool), { scope: s.scope, studyId: s.studyId, actor });
    expect(calls).toEqual([12, 13]);
    expect(asked.number).toBe(13);
    // What the study's sampler proposes for number 13 with trial 12 pending (the spec as
    // stored: jsonb orders the space's keys, and the order is the sampler's).
    const stored = (await getStudy(db.db, s.scope, s.studyId))!.spec;
    const expected = answerCall({ kind: "ask", config: optimizerConfigOf(stored), id: 13 }, await historyWithout(s.studyId, 13));
    expect(asked.params).toEqual(expected.params);
    expect(await counts(s.studyId, s.orgId)).toMatchObject({ trials: 14, next: 14 });
  });
});

describe("reportTrial through the pool", () => {
  it("decides a model-fitting pruner's rung in a worker as the calling thread does; past the budget stores nothing", async () => {
    const s = await studyWith(
      { sampler: { name: "random", seed: 2 }, pruner: { name: "asha" }, budget: { max_trials: 100, max_parallel: 4 } } as never,
      smallFinished(14),
      9,
    );
    const t = await askTrial(deps(worker), { scope: s.scope, studyId: s.studyId, actor });
    const report = (pool: OptimizerPool, step: number, value: number, extra: Partial<TAskTellDeps> = {}) =>
      reportTrial(deps(pool, extra), { scope: s.scope, trialId: t.trialId, step, value });
    // Step 1 is ASHA's first rung: a hopeless value is pruned, the same on both threads.
    const onThread = await report(inline, 1, 500);
    const inWorker = await report(worker, 1, 500);
    expect(onThread.prune).toBe(true);
    expect(inWorker).toMatchObject({ prune: onThread.prune, reason: onThread.reason });
    const good = await report(worker, 3, -10);
    expect(good).toMatchObject({ prune: false });
    expect(await report(inline, 3, -10)).toMatchObject({ prune: false });
    // Rung 9 with a 1 ms budget: the worker cannot even start in time.
    const err = await report(newPool({ route: "worker" }), 9, 1, { config: { optimizerTimeoutMs: 1 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "OPTIMIZER_TIMEOUT" });
    expect((err as SchedulerError).userMessage).toMatch(/did not decide whether to prune the trial within 1 ms/);
    expect((await listTrialValues(db.db, s.scope, t.trialId)).map((v) => v.step)).toEqual([1, 3]);
    const [row] = await db.query<{ last_step: number }>(`SELECT last_step FROM trials WHERE id = $1`, [t.trialId]);
    expect(row!.last_step).toBe(3);
  });
});

describe("the agents' study optimizers through the pool", () => {
  it("ask and decide as the in-memory optimizer does", async () => {
    const s = await studyWith(
      { sampler: { name: "tpe", seed: 4 }, pruner: { name: "asha" }, budget: { max_trials: 100, max_parallel: 8 } } as never,
      smallFinished(14),
      9,
    );
    const viaWorker = new StudyOptimizers(db, { refreshMs: 60_000, pool: worker });
    const onThread = new StudyOptimizers(db, { refreshMs: 60_000, pool: inline });
    const run = async (o: StudyOptimizers) => {
      const out: unknown[] = [];
      const trials: Array<{ number: number; params: Record<string, unknown> }> = [];
      const ask = async () => {
        const a = await o.ask(s.studyId);
        out.push(a);
        trials.push({ number: a!.id, params: a!.params });
      };
      for (let i = 0; i < 3; i++) await ask();
      // Another server's trial, in the worst region (x = -5 finished at 36 and worse).
      trials.push({ number: 40, params: { x: -5, k: 9 } });
      const values = [0.1, 0.2, 0.3, 900];
      for (const [i, t] of trials.entries()) out.push(await o.report(s.studyId, t, 1, values[i]!));
      // Two trials finish; what comes next must see them finished (the pool's packed history).
      const ended = { values: null, constraintValues: null };
      o.tell(s.studyId, { number: trials[0]!.number, state: "complete", value: 0.05, ...ended });
      o.tell(s.studyId, { number: 40, state: "pruned", value: 900, ...ended });
      await ask();
      for (const t of [trials[1]!, trials[2]!, trials[4]!]) out.push(await o.report(s.studyId, t, 3, 0.2));
      return out;
    };
    const answers = await run(viaWorker);
    expect(answers).toEqual(await run(onThread));
    expect(answers.filter((a) => typeof a === "string").length).toBeGreaterThan(0);
    expect(answers[0]).toMatchObject({ id: 14 });
  });

  it("an ask past the budget answers null, logs why and pauses the study's asks instead of refitting every tick", async () => {
    const s = await gp200Study();
    let runs = 0;
    class CountingPool extends OptimizerPool {
      override run<K extends TOptimizerKind>(
        call: TCallOf<K>,
        trials: readonly THistoryTrial[],
        opts = {},
      ): Promise<TOptimizerAnswers[K]> {
        runs++;
        return super.run(call, trials, opts);
      }
    }
    const pool = new CountingPool({ route: "worker" });
    pools.push(pool);
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void errors.push(m) };
    const o = new StudyOptimizers(db, { refreshMs: 60_000, pool, timeoutMs: 300, logger });
    expect(await o.ask(s.studyId)).toBeNull();
    expect(errors).toEqual(["the study's sampler failed; its asks pause for a minute"]);
    expect(await o.ask(s.studyId)).toBeNull();
    expect(runs).toBe(1);
  }, 60_000);
});
