// Ask latency on the calling thread vs through the optimizer pool (worker threads), and what
// each costs the event loop:
//   node bench/ask-pool.mjs [--driver pglite|pg] [--asks 200]
// A small TPE study (3 params, 30 finished trials) is asked and told `asks` times through the
// scheduler's askTrial with the pool's route forced to "inline" (the sampler on the event loop,
// as before the pool) and to "worker"; then two GP asks at S12's heaviest accepted size (200
// float params, 100 finished trials) each way. "Event loop held at most" is the longest gap
// between the ticks of a 5 ms timer while asking: every other request waited that long.
// pg uses DATABASE_URL (default postgres://postgres:postgres@127.0.0.1:5432/postgres).
import { parseArgs } from "node:util";
import { createTestDb } from "@autoglm/db/testing";
import { parseStudySpec } from "@autoglm/protocol";
import { askTrial, OptimizerPool, StudyHistoryCache, tellTrial } from "@autoglm/scheduler";
import { seedTeam } from "@autoglm/scheduler/testing";

const { values } = parseArgs({
  options: { driver: { type: "string", default: "pg" }, asks: { type: "string", default: "200" } },
});
const ASKS = Number(values.asks);
const PG_URL = process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const pct = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const db = await createTestDb(values.driver === "pg" ? { url: PG_URL, poolSize: 4 } : {});
const actor = { userId: null };
const rows = [];

async function study(tag, space, sampler, finished) {
  const team = await seedTeam(db, `ask-${tag}`);
  const parsed = parseStudySpec({
    name: `ask-${tag}`,
    objective: { metric: "loss", direction: "minimize" },
    space,
    sampler,
    budget: { max_trials: 100_000, max_parallel: 4 },
  });
  if (!parsed.ok) throw new Error(parsed.message);
  const [s] = await db.query(
    `INSERT INTO studies (org_id, project_id, name, spec, direction, metric, created_by, next_trial_number)
     VALUES ($1, $2, $3, $4::jsonb, 'minimize', 'loss', $5, $6) RETURNING id`,
    [team.orgId, team.projectId, parsed.spec.name, JSON.stringify(parsed.spec), team.userId, finished.length],
  );
  await db.query(
    `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt, started_at, finished_at)
     SELECT $1, $2, x.i, 'complete', x.p, x.v, 1, now(), now() FROM jsonb_to_recordset($3::jsonb) AS x(i int, p jsonb, v float8)`,
    [team.orgId, s.id, JSON.stringify(finished.map((f, i) => ({ i, p: f.params, v: f.value })))],
  );
  return { scope: { orgId: team.orgId }, studyId: s.id };
}

async function measure(label, route, s, n, tell) {
  const pool = new OptimizerPool({ route });
  const deps = { db: db.db, optimizerPool: pool, histories: new StudyHistoryCache() };
  // Warm-up (JIT, the worker's start): not counted.
  for (let i = 0; i < Math.min(3, n); i++) {
    const a = await askTrial(deps, { ...s, actor });
    if (tell) await tellTrial(deps, { scope: s.scope, trialId: a.trialId, value: tell(a.params), actor });
  }
  const times = [];
  let last = performance.now();
  let held = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    held = Math.max(held, now - last);
    last = now;
  }, 5);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const a = await askTrial(deps, { ...s, actor });
    times.push(performance.now() - t0);
    if (tell) await tellTrial(deps, { scope: s.scope, trialId: a.trialId, value: tell(a.params), actor });
    else await tellTrial(deps, { scope: s.scope, trialId: a.trialId, state: "failed", actor });
    // PGlite answers through microtasks only: without a turn of the loop between asks (as
    // between requests), the timer would measure the whole sequence as one hold.
    await new Promise((r) => setTimeout(r, 1));
  }
  clearInterval(ticker);
  held = Math.max(held, performance.now() - last);
  await pool.close();
  rows.push({ label, route, p50: pct(times, 50), p99: pct(times, 99), loopMax: held });
}

try {
  const small = {
    x: { type: "float", low: -5, high: 5 },
    y: { type: "float", low: -5, high: 5 },
    k: { type: "int", low: 1, high: 9 },
  };
  const f = (p) => (p.x - 1) ** 2 + (p.y + 2) ** 2 + p.k / 10;
  const smallFinished = Array.from({ length: 30 }, (_, i) => {
    const params = { x: -5 + ((i * 7) % 20) / 2, y: -5 + ((i * 3) % 20) / 2, k: 1 + (i % 9) };
    return { params, value: f(params) };
  });
  for (const route of ["inline", "worker"]) {
    await measure(
      "tpe, 3 params, 30+ trials",
      route,
      await study(`tpe-${route}`, small, { name: "tpe", seed: 1 }, smallFinished),
      ASKS,
      f,
    );
  }
  const big = Object.fromEntries(Array.from({ length: 200 }, (_, j) => [`p${j}`, { type: "float", low: 0, high: 1 }]));
  const bigFinished = Array.from({ length: 100 }, (_, i) => {
    const params = Object.fromEntries(Array.from({ length: 200 }, (_, j) => [`p${j}`, ((i * 37 + j * 11) % 101) / 100]));
    return { params, value: Object.values(params).reduce((a, v) => a + (v - 0.3) ** 2, 0) };
  });
  for (const route of ["inline", "worker"]) {
    await measure(
      "gp, 200 params, 100 trials",
      route,
      await study(`gp-${route}`, big, { name: "gp", seed: 1 }, bigFinished),
      2,
      null,
    );
  }
} finally {
  await db.drop();
}

console.log(`\nask latency, sampler on the event loop (inline) vs in the optimizer pool (worker), ${values.driver}\n`);
console.log("| study | route | ask p50 | ask p99 | event loop held at most |");
console.log("|---|---|---|---|---|");
for (const r of rows)
  console.log(`| ${r.label} | ${r.route} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.loopMax.toFixed(1)} ms |`);
process.exit(0);
