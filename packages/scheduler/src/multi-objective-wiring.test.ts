/**
 * What the samplers and the pruner get of a multi-objective or constrained study, against a
 * real database: each objective's value, each constraint's violation (the samplers' c-TPE,
 * NSGA-II and GP constraint handling reads them), and for a pruner the intermediate values of
 * `pruner.objective` alone. Covers the three ways a study's optimizer is built: the ask/tell
 * history (historyTrialsOf), the agents' cached optimizers (StudyOptimizers) and the pool's
 * packed history.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { insertStudy, type TenantScope } from "@autoglm/db/queries";
import { parseStudySpec, type TStudySpecInput } from "@autoglm/protocol";
import { historyShapeForPruning, historyTrialsOf } from "./ask-optimizer.js";
import { StudyOptimizers } from "./agent-optimizer.js";
import { seedTeam } from "./agent-fixtures.js";
import { OptimizerPool } from "./optimizer-pool.js";
import { packHistory, unpackHistory } from "./optimizer-task.js";
import { StudyHistoryCache } from "./study-history.js";

let db: TestDb;
const pool = new OptimizerPool({ route: "inline" });
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await pool.close();
  await db?.drop();
});

const TWO = [
  { metric: "loss", direction: "minimize" },
  { metric: "latency", direction: "minimize" },
] as const;

/** A study whose complete trials carry `values` and `violations`; trial 3 runs, reporting latency at steps 1 and 2. */
async function study(spec: Partial<TStudySpecInput>, done: Array<{ values: number[]; violations: number[] | null }>) {
  const team = await seedTeam(db, "mo-wiring");
  const scope: TenantScope = { orgId: team.orgId };
  const parsed = parseStudySpec({ name: "mo", space: { x: { type: "float", low: 0, high: 1 } }, ...spec });
  if (!parsed.ok) throw new Error(parsed.message);
  const row = await insertStudy(db.db, scope, {
    projectId: team.projectId,
    name: "mo",
    spec: parsed.spec,
    direction: "minimize",
    metric: "loss",
    createdBy: null,
  });
  await db.query(
    `INSERT INTO trials (org_id, study_id, number, state, params, value, "values", constraint_values, feasible, attempt, started_at, finished_at)
     SELECT $1, $2, x.i, 'complete', jsonb_build_object('x', x.i / 10.0), (x.v ->> 0)::float8, x.v, x.c,
            CASE WHEN x.c IS NULL THEN NULL ELSE NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(x.c) e WHERE e::float8 > 0) END,
            1, now(), now()
     FROM jsonb_to_recordset($3::jsonb) AS x(i int, v jsonb, c jsonb)`,
    [team.orgId, row.id, JSON.stringify(done.map((d, i) => ({ i, v: d.values, c: d.violations })))],
  );
  // Every finished trial reported latency 1.0 at steps 1 and 2.
  await db.query(
    `INSERT INTO trial_values (trial_id, org_id, step, value) SELECT t.id, t.org_id, s, 1.0 FROM trials t, generate_series(1, 2) s WHERE t.study_id = $1`,
    [row.id],
  );
  await db.query(`UPDATE studies SET next_trial_number = $2 WHERE id = $1`, [row.id, done.length]);
  return { studyId: row.id, spec: parsed.spec };
}

const DONE = [
  { values: [0.5, 10], violations: [-1] },
  { values: [0.2, 30], violations: [2.5] },
  { values: [0.4, 20], violations: [0] },
];

describe("the optimizer's view of a multi-objective, constrained study", () => {
  it("gives the ask/tell history each objective's value and each constraint's violation, also through the pool's packing", async () => {
    const s = await study(
      { objectives: [...TWO], constraints: [{ metric: "mem", max: 8 }], sampler: { name: "nsga2", seed: 1 } },
      DONE,
    );
    const trials = historyTrialsOf(await new StudyHistoryCache().load(db.db, s.studyId), undefined, { objectives: 2 });
    expect(trials.map((t) => [t.id, t.state, t.value, t.constraints, t.intermediate])).toEqual([
      [0, "complete", [0.5, 10], [-1], []],
      [1, "complete", [0.2, 30], [2.5], []],
      [2, "complete", [0.4, 20], [0], []],
    ]);
    expect(unpackHistory(packHistory(trials)).map((t) => t.constraints)).toEqual([[-1], [2.5], [0]]);
  });

  it("builds the agents' cached optimizer with them, and tells it a finished trial's values and violations", async () => {
    const s = await study(
      { objectives: [...TWO], constraints: [{ metric: "mem", max: 8 }], sampler: { name: "tpe", seed: 2 } },
      DONE,
    );
    const o = new StudyOptimizers(db, { refreshMs: 60_000, pool });
    const asked = await o.ask(s.studyId);
    expect(asked?.id).toBe(3);
    o.tell(s.studyId, { number: 3, state: "complete", value: 0.3, values: [0.3, 5], constraintValues: [1] });
    const e = await o.get(s.studyId);
    expect(e!.sampling.opt.trials(["complete"]).map((t) => [t.id, t.value, t.constraints])).toEqual([
      [0, [0.5, 10], [-1]],
      [1, [0.2, 30], [2.5]],
      [2, [0.4, 20], [0]],
      [3, [0.3, 5], [1]],
    ]);
  });

  it("prunes a multi-objective study on pruner.objective's intermediate values alone", async () => {
    const s = await study(
      {
        objectives: [...TWO],
        sampler: { name: "random", seed: 3 },
        pruner: { name: "median", objective: "latency", n_startup_trials: 1, n_warmup_steps: 0 },
      } as Partial<TStudySpecInput>,
      DONE,
    );
    expect(historyShapeForPruning(s.spec)).toEqual({ objectives: 2, pick: 1 });
    const o = new StudyOptimizers(db, { refreshMs: 60_000, pool });
    const e = await o.get(s.studyId);
    // The pruning view holds latency: each finished trial's second value and its curve.
    expect(e!.pruning.opt.trials(["complete"]).map((t) => [t.value, t.intermediate])).toEqual([
      [
        10,
        [
          [1, 1],
          [2, 1],
        ],
      ],
      [
        30,
        [
          [1, 1],
          [2, 1],
        ],
      ],
      [
        20,
        [
          [1, 1],
          [2, 1],
        ],
      ],
    ]);
    // The finished trials' latency was 1.0 at step 1: 0.5 goes on, 9 is stopped.
    expect(await o.report(s.studyId, { number: 3, params: { x: 0.5 } }, 1, 0.5)).toBeNull();
    expect(await o.report(s.studyId, { number: 4, params: { x: 0.6 } }, 1, 9)).toMatch(
      /^median: its best value so far, 9, is worse than the median \(1\)/,
    );
  });
});
