/**
 * study.history and study.plotTrials on a long study: the server thins what the page draws
 * (every improvement of the best kept, a bounded sample of the rest) and says how many trials
 * the study has, so a 100,000-trial study costs the page a bounded download.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HISTORY_MAX_SAMPLED } from "../src/procedures/study/get-history.js";
import { PLOT_BEST_TRIALS, PLOT_LATEST_TRIALS, PLOT_MAX_TRIALS } from "../src/procedures/study/get-plot-trials.js";
import { makeWorld, type World } from "./fixture.js";

const N = 5_000;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

/** A study of N finished trials written as rows: values in a scrambled order, finished in another. */
async function longStudy(direction: "minimize" | "maximize") {
  const owner = await w.as(w.A.ownerId, w.A.orgId);
  const s = await owner.study.create({
    projectId: w.A.projectId,
    yaml: `name: long-${direction}\nobjective: {metric: loss, direction: ${direction}}\nspace:\n  x: {type: float, low: 0, high: 1}\nsampler: {name: random, seed: 1}\nbudget: {max_trials: ${N}}\n`,
  });
  const numbers = Array.from({ length: N }, (_, i) => i);
  // Every 50th trial pruned, every 97th failed without a value: neither may set the best.
  const states = numbers.map((i) => (i % 97 === 3 ? "failed" : i % 50 === 7 ? "pruned" : "complete"));
  const values = numbers.map((i) => (states[i] === "failed" ? null : ((i * 7919) % N) / N + (states[i] === "pruned" ? -1 : 0)));
  const finishedSec = numbers.map((i) => (i * 37 + 1234) % N);
  await w.db.query(
    `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt, started_at, finished_at)
     SELECT $1, $2, u.n, u.s::trial_state, jsonb_build_object('x', 0.5), u.v, 1,
            timestamptz '2026-01-01' + u.f * interval '1 second', timestamptz '2026-01-01' + u.f * interval '1 second'
     FROM unnest($3::int[], $4::text[], $5::float8[], $6::int[]) AS u(n, s, v, f)`,
    [w.A.orgId, s.id, numbers, states, values, finishedSec],
  );
  await w.db.query(`UPDATE studies SET next_trial_number = $2 WHERE id = $1`, [s.id, N]);
  // The expected history, computed here over every trial in finish order.
  const order = [...numbers].sort((a, b) => finishedSec[a]! - finishedSec[b]!);
  const better = (a: number, b: number) => (direction === "minimize" ? a < b : a > b);
  let best: number | null = null;
  const improvements: Array<{ number: number; best: number }> = [];
  for (const n of order) {
    const v = values[n]!;
    if (states[n] === "complete" && (best === null || better(v, best))) {
      best = v;
      improvements.push({ number: n, best });
    }
  }
  const ranked = numbers.filter((n) => states[n] === "complete").sort((a, b) => (better(values[a]!, values[b]!) ? -1 : 1));
  return { owner, studyId: s.id, order, improvements, ranked, best: best! };
}

describe("a long study is thinned on the server", () => {
  it("history of 5,000 trials: bounded, with every improvement of the best and the exact best-so-far", async () => {
    const { owner, studyId, order, improvements, best } = await longStudy("minimize");
    const got = await owner.study.history({ studyId });
    expect(got.total).toBe(N);
    expect(got.points.length).toBeLessThanOrEqual(HISTORY_MAX_SAMPLED + improvements.length + 1);
    expect(got.points.length).toBeGreaterThan(HISTORY_MAX_SAMPLED / 2);
    expect(improvements.length).toBeGreaterThan(4);
    // In finish order, the first and the latest finished trial included.
    const pos = new Map(order.map((n, i) => [n, i]));
    const positions = got.points.map((p) => pos.get(p.number)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(got.points[0]!.number).toBe(order[0]);
    expect(got.points.at(-1)!.number).toBe(order.at(-1));
    // Every improvement, flagged, with the best it set; the best-so-far line ends at the study's best.
    expect(got.points.filter((p) => p.improved).map((p) => ({ number: p.number, best: p.best }))).toEqual(improvements);
    expect(got.points.at(-1)!.best).toBe(best);
    // Sampled points carry the best over ALL trials before them, not just the drawn ones.
    for (const p of got.points) {
      const upTo = improvements.filter((i) => pos.get(i.number)! <= pos.get(p.number)!).at(-1);
      expect(p.best).toBe(upTo?.best ?? null);
    }
  }, 60_000);

  it("history of a maximized study keeps its running maximum", async () => {
    const { owner, studyId, improvements } = await longStudy("maximize");
    const got = await owner.study.history({ studyId });
    expect(got.points.filter((p) => p.improved).map((p) => p.best)).toEqual(improvements.map((i) => i.best));
    expect(improvements.at(-1)!.best).toBeGreaterThan(0.99);
  }, 60_000);

  it("plot trials of 5,000: a bounded sample with the best, the latest and the early ones", async () => {
    const { owner, studyId, ranked } = await longStudy("minimize");
    const got = await owner.study.plotTrials({ studyId });
    expect(got.total).toBe(N);
    expect(got.truncated).toBe(true);
    expect(got.trials.length).toBeLessThanOrEqual(PLOT_MAX_TRIALS);
    expect(got.trials.length).toBeGreaterThan(PLOT_MAX_TRIALS / 2);
    const numbers = got.trials.map((t) => t.number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    const drawn = new Set(numbers);
    expect(ranked.slice(0, PLOT_BEST_TRIALS).filter((n) => !drawn.has(n))).toEqual([]);
    for (let n = N - PLOT_LATEST_TRIALS; n < N; n++) expect(drawn.has(n)).toBe(true);
    // Spread over the whole study, not only its end.
    expect(numbers.filter((n) => n < N / 4).length).toBeGreaterThan(200);

    // Infeasible trials are never "the best": with the 100 lowest losses breaking a constraint,
    // the sample's best are the next feasible ones.
    const infeasible = ranked.slice(0, 100);
    await w.db.query(`UPDATE trials SET feasible = false WHERE study_id = $1 AND number = ANY($2::int[])`, [studyId, infeasible]);
    const again = new Set((await owner.study.plotTrials({ studyId })).trials.map((t) => t.number));
    expect(ranked.slice(100, 100 + PLOT_BEST_TRIALS).filter((n) => !again.has(n))).toEqual([]);
  }, 60_000);
});
