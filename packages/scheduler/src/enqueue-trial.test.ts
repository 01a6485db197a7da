/**
 * Queued points and warm starts against a real database (PGlite, or PostgreSQL with
 * DATABASE_URL): an enqueued trial's params are checked by the optimizer's own rule and stored
 * nowhere when refused; the next ask, or the next agent lease, gets exactly those params; a
 * warm-started study's sampler sees its source's fitting complete trials as prior observations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { THistoryTrial } from "@autoglm/optimizer";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { insertStudy, type TenantScope } from "@autoglm/db/queries";
import { parseStudySpec, type TStudySpecInput } from "@autoglm/protocol";
import { seedAgent, seedTeam, type TeamFixture } from "./agent-fixtures.js";
import { StudyOptimizers } from "./agent-optimizer.js";
import { askTrial } from "./ask-trial.js";
import { SchedulerError, type TAskTellDeps } from "./ask-types.js";
import { enqueueTrial } from "./enqueue-trial.js";
import { leaseTrial } from "./lease-trial.js";
import { OptimizerPool } from "./optimizer-pool.js";
import type { TCallOf, TOptimizerAnswers, TOptimizerKind } from "./optimizer-task.js";
import { SchedulerLoop } from "./scheduler-loop.js";
import { StudyHistoryCache } from "./study-history.js";
import { WARM_START_ID_BASE } from "./warm-start.js";

let db: TestDb;
let team: TeamFixture;
const pools: OptimizerPool[] = [];
beforeAll(async () => {
  db = await createTestDb();
  team = await seedTeam(db, "enqueue");
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await db?.drop();
});

const actor = { userId: null };
const deps = (extra: Partial<TAskTellDeps> = {}): TAskTellDeps => ({ db: db.db, histories: new StudyHistoryCache(), ...extra });

const SPACE: TStudySpecInput["space"] = {
  opt: { type: "categorical", choices: ["sgd", "adam"] },
  momentum: { type: "float", low: 0, high: 1, when: { opt: "sgd" } },
  lr: { type: "float", low: 1e-4, high: 1, log: true },
  layers: { type: "int", low: 1, high: 4 },
};

async function study(spec: Partial<TStudySpecInput>, owner: TeamFixture = team) {
  const scope: TenantScope = { orgId: owner.orgId };
  const parsed = parseStudySpec({ name: "s", objective: { metric: "loss", direction: "minimize" }, space: SPACE, ...spec });
  if (!parsed.ok) throw new Error(parsed.message);
  const row = await insertStudy(db.db, scope, {
    projectId: owner.projectId,
    name: parsed.spec.name,
    spec: parsed.spec,
    direction: "minimize",
    metric: "loss",
    createdBy: null,
  });
  return { scope, studyId: row.id };
}

async function stored(studyId: string) {
  return db.query<{ number: number; state: string; params: unknown; proposed_by: string | null }>(
    `SELECT number, state, params, proposed_by FROM trials WHERE study_id = $1 ORDER BY number`,
    [studyId],
  );
}

async function auditCount(action: string): Promise<number> {
  const [r] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE org_id = $1 AND action = $2`, [
    team.orgId,
    action,
  ]);
  return Number(r!.n);
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof SchedulerError ? { code: e.code, message: e.userMessage } : e),
  );

describe("enqueueTrial", () => {
  it("refuses params that do not fit the space, naming the parameter, and stores nothing", async () => {
    const s = await study({ sampler: { name: "random", seed: 1 } });
    const enqueue = (params: unknown) => refusal(enqueueTrial(deps(), { ...s, params, actor }));
    const good = { opt: "adam", lr: 0.01, layers: 2 };
    expect(await enqueue({ ...good, depth: 3 })).toEqual({
      code: "INVALID_PARAMS",
      message: 'params: unknown parameter "depth"',
    });
    expect(await enqueue({ ...good, lr: 2 })).toEqual({ code: "INVALID_PARAMS", message: "params: lr=2 is outside [0.0001, 1]" });
    expect(await enqueue({ ...good, layers: 1.5 })).toEqual({
      code: "INVALID_PARAMS",
      message: "params: layers=1.5 must be an integer",
    });
    expect(await enqueue({ ...good, lr: "0.01" })).toEqual({
      code: "INVALID_PARAMS",
      message: "params: lr must be a finite number",
    });
    expect(await enqueue({ ...good, momentum: 0.9 })).toEqual({
      code: "INVALID_PARAMS",
      message: 'params: parameter "momentum" is inactive under its when-condition but has a value',
    });
    expect(await enqueue({ opt: "sgd", lr: 0.01, layers: 2 })).toEqual({
      code: "INVALID_PARAMS",
      message: 'params: missing parameter "momentum"',
    });
    expect(await stored(s.studyId)).toEqual([]);
    const [row] = await db.query<{ next: number }>(`SELECT next_trial_number AS next FROM studies WHERE id = $1`, [s.studyId]);
    expect(Number(row!.next)).toBe(0);
  });

  it("refuses a study that is not running or whose budget is spent, and another team's study like a missing one", async () => {
    const params = { opt: "adam", lr: 0.01, layers: 2 };
    const spent = await study({ sampler: { name: "random", seed: 1 }, budget: { max_trials: 1 } as never });
    await enqueueTrial(deps(), { ...spent, params, actor });
    expect(await refusal(enqueueTrial(deps(), { ...spent, params, actor }))).toEqual({
      code: "STUDY_BUDGET_EXHAUSTED",
      message: "The study has used its budget of 1 trials (budget.max_trials); nothing was enqueued.",
    });
    const stopped = await study({ sampler: { name: "random", seed: 1 } });
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [stopped.studyId]);
    expect(await refusal(enqueueTrial(deps(), { ...stopped, params, actor }))).toMatchObject({ code: "STUDY_NOT_RUNNING" });
    const other = await seedTeam(db, "enqueue-other");
    const foreign = await study({ sampler: { name: "random", seed: 1 } }, other);
    const asForeign = await refusal(
      enqueueTrial(deps(), { scope: { orgId: team.orgId }, studyId: foreign.studyId, params, actor }),
    );
    expect(asForeign).toEqual({ code: "NOT_FOUND", message: "Study not found." });
    expect(await stored(foreign.studyId)).toEqual([]);
  });

  it("the next ask hands out exactly the enqueued params, in the order enqueued, before asking the sampler", async () => {
    const s = await study({ sampler: { name: "random", seed: 3 }, budget: { max_trials: 10, max_parallel: 2 } as never });
    const audits = await auditCount("trial.enqueue");
    const first = { opt: "sgd", momentum: 0.9, lr: 0.05, layers: 3 };
    const second = { opt: "adam", lr: 0.001, layers: 1 };
    const e1 = await enqueueTrial(deps(), { ...s, params: first, actor });
    const e2 = await enqueueTrial(deps(), { ...s, params: second, actor });
    expect([e1.number, e2.number]).toEqual([0, 1]);
    expect(await auditCount("trial.enqueue")).toBe(audits + 2);
    // Both are in flight (max_parallel 2), yet each ask gets one: their places were taken when enqueued.
    const a1 = await askTrial(deps(), { ...s, actor });
    const a2 = await askTrial(deps(), { ...s, actor });
    expect([a1.trialId, a1.number, a1.params]).toEqual([e1.trialId, 0, first]);
    expect([a2.trialId, a2.number, a2.params]).toEqual([e2.trialId, 1, second]);
    expect(await refusal(askTrial(deps(), { ...s, actor }))).toMatchObject({ code: "MAX_PARALLEL_REACHED" });
    await db.query(`UPDATE trials SET state = 'complete', value = 1 WHERE study_id = $1`, [s.studyId]);
    const a3 = await askTrial(deps(), { ...s, actor });
    expect(a3.number).toBe(2);
    expect((await stored(s.studyId)).map((t) => [t.number, t.state, t.proposed_by])).toEqual([
      [0, "complete", "enqueued"],
      [1, "complete", "enqueued"],
      [2, "running", "random"],
    ]);
    const [att] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM trial_attempts a JOIN trials t ON t.id = a.trial_id WHERE t.study_id = $1 AND a.lease_kind = 'ask'`,
      [s.studyId],
    );
    expect(Number(att!.n)).toBe(3);
  });

  it("an agent leases the enqueued trial next, ahead of the sampler's waiting trials; the top-up counts it in flight", async () => {
    const t = await seedTeam(db, "enqueue-agents");
    const s = await study(
      { sampler: { name: "random", seed: 4 }, budget: { max_trials: 20, max_parallel: 2 } as never, run: { command: "true" } },
      t,
    );
    const loop = new SchedulerLoop({ db });
    expect(await loop.topUp()).toBeGreaterThanOrEqual(2);
    const params = { opt: "adam", lr: 0.2, layers: 4 };
    const e = await enqueueTrial(deps(), { ...s, params, actor });
    expect(e.number).toBe(2);
    await loop.topUp();
    expect((await stored(s.studyId)).map((r) => r.state)).toEqual(["waiting", "waiting", "waiting"]);
    const agentId = await seedAgent(db, t, { maxTrials: 5 });
    const leased = await leaseTrial(db, { agentId, leaseTtlMs: 15_000 });
    expect([leased?.trialId, leased?.number, leased?.params]).toEqual([e.trialId, 2, params]);
    expect((await leaseTrial(db, { agentId, leaseTtlMs: 15_000 }))?.number).toBe(0);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [s.studyId]);
  });
});

/** A real worker pool that records the history of each ask it is given. */
class RecordingPool extends OptimizerPool {
  readonly asks: THistoryTrial[][] = [];
  override run<K extends TOptimizerKind>(
    call: TCallOf<K>,
    trials: readonly THistoryTrial[],
    opts = {},
  ): Promise<TOptimizerAnswers[K]> {
    if (call.kind === "ask") this.asks.push([...trials]);
    return super.run(call, trials, opts);
  }
}

describe("warm_start", () => {
  const TPE = { name: "tpe", seed: 2, n_startup_trials: 5 } as const;
  /** A complete source study: 8 trials that fit, 2 whose `layers` is outside [1, 4]. */
  async function source(owner: TeamFixture = team) {
    const s = await study(
      { sampler: { name: "random", seed: 1 }, space: { ...SPACE, layers: { type: "int", low: 1, high: 8 } } },
      owner,
    );
    const rows = Array.from({ length: 10 }, (_, i) => ({
      i,
      p: { opt: "adam", lr: 10 ** (-1 - (i % 3)), layers: i < 8 ? 1 + (i % 4) : 7 },
      v: i / 10,
    }));
    await db.query(
      `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt, started_at, finished_at)
       SELECT $1, $2, x.i, 'complete', x.p, x.v, 1, now(), now() FROM jsonb_to_recordset($3::jsonb) AS x(i int, p jsonb, v float8)`,
      [owner.orgId, s.studyId, JSON.stringify(rows)],
    );
    await db.query(`UPDATE studies SET next_trial_number = 10 WHERE id = $1`, [s.studyId]);
    return s;
  }

  it("the first ask's sampler history holds the source's fitting complete trials, which are not trials of the study", async () => {
    const src = await source();
    const warm = await study({ sampler: TPE, warm_start: { from: src.studyId } });
    const cold = await study({ sampler: TPE });
    const pool = new RecordingPool({ route: "worker" });
    pools.push(pool);
    const w = await askTrial(deps({ optimizerPool: pool }), { ...warm, actor });
    const c = await askTrial(deps({ optimizerPool: pool }), { ...cold, actor });
    expect(pool.asks.map((h) => h.length)).toEqual([8, 0]);
    expect(pool.asks[0]!.every((t) => t.id >= WARM_START_ID_BASE && t.state === "complete")).toBe(true);
    expect(pool.asks[0]!.map((t) => t.value)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect([w.number, c.number]).toEqual([0, 0]);
    expect((await stored(warm.studyId)).map((t) => t.number)).toEqual([0]);
  });

  it("the agents' study optimizer learns them too; a source in another team gives nothing", async () => {
    const src = await source();
    const warm = await study({ sampler: TPE, warm_start: { from: src.studyId }, run: { command: "true" } });
    const other = await seedTeam(db, "warm-other");
    const foreignSrc = await source(other);
    const foreign = await study({ sampler: TPE, warm_start: { from: foreignSrc.studyId }, run: { command: "true" } });
    const optimizers = new StudyOptimizers(db, { refreshMs: 60_000 });
    expect((await optimizers.get(warm.studyId))?.sampling.opt.trials(["complete"]).length).toBe(8);
    expect((await optimizers.get(foreign.studyId))?.sampling.opt.trials(["complete"]).length).toBe(0);
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = ANY($1::uuid[])`, [[warm.studyId, foreign.studyId]]);
  });
});
