// The cost of one ask/tell `trial.report` in a big study, per pruner (PostgreSQL):
//   node bench/report-cost.mjs [--trials 300] [--steps 100] [--reports 100]
// A study holds `trials` finished trials of `steps` intermediate values each; one running
// trial then reports steps 0..reports-1 through the scheduler's reportTrial (the API's path:
// lock, store, decide, renew the lease). `median` decides at every step, so it reads the
// whole study every time: it is the reference for what a report costs when the history is
// read. `asha` reads it only where a report crosses a rung (prunerMayDecide); `none` never.
// The history is read through the scheduler's StudyHistoryCache (finished trials' curves are
// read once); the "uncached" rows give the reads no cache to keep (every curve read each time),
// the code before the cache, measured in the same run.
// pg uses DATABASE_URL (default postgres://postgres:postgres@127.0.0.1:5432/postgres).
import { parseArgs } from "node:util";
import { createTestDb } from "@autoglm/db/testing";
import { parseStudySpec } from "@autoglm/protocol";
import { askTrial, reportTrial, StudyHistoryCache } from "@autoglm/scheduler";
import { seedTeam } from "@autoglm/scheduler/testing";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "300" },
    steps: { type: "string", default: "100" },
    reports: { type: "string", default: "100" },
  },
});
const TRIALS = Number(values.trials);
const STEPS = Number(values.steps);
const REPORTS = Number(values.reports);
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres";

const pct = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const db = await createTestDb({ url: PG_URL, poolSize: 4 });
const rows = [];
try {
  const runs = [
    { pruner: "none", label: "none (no read)" },
    { pruner: "median", label: "median (decides at every step)" },
    { pruner: "median", label: "median, uncached", uncached: true },
    { pruner: "asha", label: "asha (reads at rung steps)" },
    { pruner: "asha", label: "asha, uncached", uncached: true },
  ];
  for (const [i, { pruner, label, uncached }] of runs.entries()) {
    // A cache that may hold nothing reads every curve on every load.
    const histories = new StudyHistoryCache(uncached ? 0 : undefined);
    const team = await seedTeam(db, `report-${i}`);
    const parsed = parseStudySpec({
      name: `report-cost-${i}`,
      objective: { metric: "loss", direction: "minimize" },
      space: { x: { type: "float", low: 0, high: 1 }, k: { type: "int", low: 1, high: 9 } },
      sampler: { name: "random", seed: 1 },
      pruner: { name: pruner },
      budget: { max_trials: TRIALS + 10, max_parallel: 10 },
    });
    if (!parsed.ok) throw new Error(parsed.message);
    const [study] = await db.query(
      `INSERT INTO studies (org_id, project_id, name, spec, direction, metric, created_by, next_trial_number)
       VALUES ($1, $2, $3, $4::jsonb, 'minimize', 'loss', $5, $6) RETURNING id`,
      [team.orgId, team.projectId, parsed.spec.name, JSON.stringify(parsed.spec), team.userId, TRIALS],
    );
    // Finished trials whose curves fall to x: what a long study has accumulated.
    await db.query(
      `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt, last_step, started_at, finished_at)
       SELECT $1, $2, g, 'complete', jsonb_build_object('x', (g % 100) / 100.0, 'k', 1 + g % 9), (g % 100) / 100.0, 1, $3, now(), now()
       FROM generate_series(0, $4 - 1) g`,
      [team.orgId, study.id, STEPS - 1, TRIALS],
    );
    await db.query(
      `INSERT INTO trial_values (trial_id, org_id, step, value)
       SELECT t.id, t.org_id, s, t.value + 1.0 / (s + 1) FROM trials t, generate_series(0, $2 - 1) s WHERE t.study_id = $1`,
      [study.id, STEPS],
    );
    await db.query("ANALYZE trials; ANALYZE trial_values");
    const scope = { orgId: team.orgId };
    const asked = await askTrial({ db: db.db, histories }, { scope, studyId: study.id, actor: { userId: null } });
    const times = [];
    let pruned = 0;
    for (let s = 0; s < REPORTS; s++) {
      const t0 = performance.now();
      const r = await reportTrial({ db: db.db, histories }, { scope, trialId: asked.trialId, step: s, value: 0.2 + 1 / (s + 1) });
      times.push(performance.now() - t0);
      if (r.prune) pruned++;
    }
    rows.push({
      pruner: label,
      p50: pct(times, 50),
      p99: pct(times, 99),
      mean: times.reduce((a, b) => a + b, 0) / times.length,
      pruned,
    });
  }
} finally {
  await db.drop();
}

console.log(
  `\nask/tell report cost: ${TRIALS} finished trials x ${STEPS} values, one trial reporting steps 0-${REPORTS - 1} (PostgreSQL)\n`,
);
console.log("| pruner | p50 | p99 | mean | reports answered prune |");
console.log("|---|---|---|---|---|");
for (const r of rows)
  console.log(
    `| ${r.pruner} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.mean.toFixed(1)} ms | ${r.pruned} of ${REPORTS} |`,
  );
