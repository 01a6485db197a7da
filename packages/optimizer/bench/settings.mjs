// The settings of `pnpm bench:optimizer` beyond one trial at a time on noise-free functions:
// (a) parallel: 8 asks pending, told in a seeded random order; (b) noisy: Gaussian noise on
// every value, scored by the noise-free value at the point each sampler reports as best;
// (c) long: 1,000 trials on the 6-8 parameter functions. Our side runs here; Optuna's side
// runs the same protocol in optuna_runner.py from the jobs built here (the batch orders and
// noise draws travel in the job, so both sides see the same ones). run.mjs caches a cell per
// side x sampler x function x setting and renders the tables with settingLines().
import { createOptimizer } from "../dist/index.js";

export const SETTINGS = ["sequential", "parallel", "noisy", "long"];

/** Our samplers and Optuna's per setting, and the protocol constants both sides use. */
export const PLANS = {
  parallel: { ours: ["auto", "gp", "tpe", "cmaes"], theirs: ["tpe", "gp"], batch: 8, budget: 200, report: [100, 200] },
  noisy: { ours: ["auto"], theirs: ["tpe", "gp", "cmaes"], budget: 100 },
  long: { ours: ["auto", "cmaes", "tpe"], theirs: ["cmaes", "tpe"], budget: 1000, timedAsks: 50 },
};
/**
 * Noise sd = NOISE_SHARE (7.5%, mid of 5-10%) of the scale of values near the optimum: the
 * excess over the minimum of the NOISE_RANK-th best of NOISE_POINTS random points, about what
 * a 100-trial random search reaches, so the range a 100-trial study works in. The median of
 * f over random points measures the whole box instead: on rosenbrock4 it is 2.5e5 (an sd of
 * 1.9e4 against regrets of 2-30 at 100 trials), on dixon_price6 1.4e5, on powell8 1.1e4.
 */
const NOISE_SHARE = 0.075;
const NOISE_POINTS = 1000;
const NOISE_RANK = 10;

/** The functions of a setting: every function, or (long) those with 6-8 parameters. */
export const settingFunctions = (setting, fns) =>
  setting === "long" ? fns.filter((f) => Object.keys(f.space).length >= 6 && Object.keys(f.space).length <= 8) : fns;

/** mulberry32: the noise draws (seeded per run seed, the same for every function), the synthetic histories and the curve task's noise. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The order in which the batch asked after `done` trials of run `seed` is told: a seeded xorshift shuffle of 0..n-1. */
function tellOrder(seed, done, n) {
  let s = ((seed * 100003 + done) * 2654435761) >>> 0 || 1;
  const out = [...Array(n).keys()];
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Every batch's tell order of one parallel run. */
export const tellOrders = (seed, { batch, budget }) =>
  Array.from({ length: Math.ceil(budget / batch) }, (_, b) => tellOrder(seed, b * batch, Math.min(batch, budget - b * batch)));

/** Standard normal draws for trials 0..n-1 of run `seed` (Box-Muller on mulberry32). */
export function noiseDraws(seed, n) {
  const rnd = prng(1_000_003 + seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
}

/** The noise sd of a function (the random sampler, seed 0, draws the points). */
export function noiseSd(f) {
  const opt = createOptimizer({ space: f.space, sampler: { name: "random", seed: 0 } });
  const ys = [];
  for (let i = 0; i < NOISE_POINTS; i++) {
    const t = opt.ask();
    ys.push(f.fn(t.params));
    opt.tell(t.id, ys[i]);
  }
  ys.sort((a, b) => a - b);
  return NOISE_SHARE * (ys[NOISE_RANK - 1] - f.minimum);
}

/** Best-so-far regret after each told trial, asking `batch` at a time (all pending) and telling in tellOrders' order. */
export function runParallel(f, sampler, seed, plan = PLANS.parallel) {
  const opt = createOptimizer({ space: f.space, direction: "minimize", sampler: { name: sampler, seed } });
  let best = Infinity;
  const curve = [];
  for (const order of tellOrders(seed, plan)) {
    const asked = order.map(() => opt.ask());
    for (const i of order) {
      const y = f.fn(asked[i].params);
      opt.tell(asked[i].id, y);
      best = Math.min(best, y);
      curve.push(best - f.minimum);
    }
  }
  return curve;
}

/**
 * One noisy run: each value told is f + sd * z. `predicted` is the noise-free regret at the
 * trial bestPredicted() names (the GP-smoothed best, what a study with `noise: true` reports),
 * `raw` at the trial with the lowest noisy value (best()).
 */
export function runNoisy(f, sampler, seed, sd, plan = PLANS.noisy) {
  const opt = createOptimizer({ space: f.space, direction: "minimize", sampler: { name: sampler, seed, noise: true } });
  const z = noiseDraws(seed, plan.budget);
  for (let i = 0; i < plan.budget; i++) {
    const t = opt.ask();
    opt.tell(t.id, f.fn(t.params) + sd * z[i]);
  }
  const predicted = opt.bestPredicted();
  return { predicted: f.fn(predicted.params) - f.minimum, raw: f.fn(opt.best().params) - f.minimum };
}

/** One long run: best-so-far regret after each trial and the CPU/wall seconds of the last `timedAsks` asks (median). */
export function runLong(f, sampler, seed, plan = PLANS.long) {
  const opt = createOptimizer({ space: f.space, direction: "minimize", sampler: { name: sampler, seed } });
  let best = Infinity;
  const curve = [];
  const cpu = [];
  const wall = [];
  for (let i = 0; i < plan.budget; i++) {
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    const t = opt.ask();
    if (i >= plan.budget - plan.timedAsks) {
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
      wall.push((performance.now() - w0) / 1000);
    }
    const y = f.fn(t.params);
    opt.tell(t.id, y);
    best = Math.min(best, y);
    curve.push(best - f.minimum);
  }
  return { curve, askCpu: median(cpu), askWall: median(wall) };
}

/** Optuna's job for one cell (optuna_runner.py's "setting" job). */
export function optunaJob(setting, sampler, f, seeds) {
  const plan = PLANS[setting];
  const job = { setting, sampler, function: f.name, seeds, budget: plan.budget };
  if (setting === "parallel") job.orders = seeds.map((s) => tellOrders(s, plan));
  if (setting === "noisy") Object.assign(job, { sd: noiseSd(f), noise: seeds.map((s) => noiseDraws(s, plan.budget)) });
  if (setting === "long") job.timed_asks = plan.timedAsks;
  return { setting: job };
}

// ---------- report ----------
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
};
const median = (xs) => quantile(xs, 0.5);
const fmt = (x) => (x === 0 ? "0" : Math.abs(x) >= 0.01 && Math.abs(x) < 1000 ? x.toPrecision(3) : x.toExponential(2));
const cell = (xs) => (xs ? `${fmt(median(xs))} [${fmt(quantile(xs, 0.25))}, ${fmt(quantile(xs, 0.75))}]` : "—");
const at = (curves, b) => curves?.map((c) => c[b - 1]);
const mark = (ok) => (ok ? "✓" : "✗");
const ms = (s) => `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;

/** "a/n" of finished comparisons and whether a share goal is met on them. */
function tally(oks, share, what) {
  const done = oks.filter((x) => x !== null);
  const yes = done.filter(Boolean).length;
  const left = oks.length - done.length;
  const met = done.length === oks.length ? (yes >= Math.ceil(share * oks.length) ? "**met**" : "**not met**") : "open";
  return `- ${what}: ${yes}/${done.length} of the functions computed so far${left ? ` (${left} not computed yet)` : ""}: ${met}`;
}

/** One line per later held-out batch: how many of its computed rows meet each comparison. */
function batchTallies(rows, whats) {
  const byBatch = new Map();
  for (const [batch, oks] of rows) (byBatch.get(batch) ?? byBatch.set(batch, []).get(batch)).push(oks);
  return [...byBatch].map(([batch, list]) => {
    const parts = whats.map((what, i) => {
      const done = list.filter((oks) => oks[i] !== null);
      return `${what} on ${done.filter((oks) => oks[i]).length}/${done.length}`;
    });
    return `- Held-out batch ${batch}, read apart: auto no worse than ${parts.join(", than ")} computed rows`;
  });
}

/**
 * The tables of the three settings from the run's cells (`r[setting].ours|theirs[sampler][fn]`),
 * "—" where a cell is not computed yet, with the goal comparisons on the computed rows.
 * `heldNames` marks the rows outside the suite; the later held-out batches (`laterBatches`:
 * function name → batch number) are reported apart.
 */
export function settingLines(r, fns, heldNames, laterBatches, seeds) {
  const out = [];
  const later = (f) => laterBatches[f.name] !== undefined;
  const group = (f) => (later(f) ? `held-out batch ${laterBatches[f.name]}` : heldNames.includes(f.name) ? "held-out" : "suite");
  const row = (f) => `${f.name}${group(f) === "suite" ? "" : ` (${group(f)})`}`;

  const P = PLANS.parallel;
  const pf = settingFunctions("parallel", fns);
  for (const b of P.report) {
    out.push(`### (a) ${P.batch} parallel asks, regret after ${b} trials told`, "");
    out.push(
      `Each run asks ${P.batch} trials (all pending together), tells them in a seeded random order (the same order on both sides), and repeats; one ${P.budget}-trial run gives both budgets (its best after the ${b}th tell). Optuna: TPESampler(constant_liar=True, seed) and GPSampler(seed) through study.ask() ×${P.batch}, the pending trials RUNNING. ${seeds} seeds, median [quartiles].`,
      "",
    );
    const cols = [...P.ours.map((s) => `ours ${s}`), "Optuna TPE (CL)", "Optuna GP", "auto ≤ Optuna TPE", "auto ≤ best Optuna"];
    out.push(`| function | ${cols.join(" | ")} |`, `|---|${cols.map(() => "---").join("|")}|`);
    const okT = [];
    const okB = [];
    const apart = [];
    for (const f of pf) {
      const a = at(r.parallel.ours.auto?.[f.name], b);
      const th = Object.fromEntries(P.theirs.map((s) => [s, at(r.parallel.theirs[s]?.[f.name], b)]));
      const t = a && th.tpe ? median(a) <= median(th.tpe) : null;
      const done = P.theirs.filter((s) => th[s]);
      const bestName = done.length ? done.reduce((x, y) => (median(th[y]) < median(th[x]) ? y : x)) : null;
      const best = a && done.length === P.theirs.length ? median(a) <= median(th[bestName]) : null;
      if (!later(f)) {
        okT.push(t);
        okB.push(best);
      } else apart.push([laterBatches[f.name], [t, best]]);
      out.push(
        `| ${row(f)} | ${[...P.ours.map((s) => cell(at(r.parallel.ours[s]?.[f.name], b))), cell(th.tpe), cell(th.gp)].join(" | ")} | ${t === null ? "—" : mark(t)} | ${best === null ? "—" : `${mark(best)} (${bestName})`} |`,
      );
    }
    out.push("", tally(okT, 1, `auto no worse than Optuna's TPE (suite and batches 1-2)`));
    out.push(tally(okB, 2 / 3, `auto no worse than Optuna's best of TPE and GP on ≥ 2/3 (suite and batches 1-2)`));
    out.push(...batchTallies(apart, ["Optuna's TPE", "the better of Optuna's TPE and GP"]), "");
  }

  const N = PLANS.noisy;
  out.push(`### (b) Noisy objectives, ${N.budget} trials`, "");
  out.push(
    `Every value told is f(x) + sd·z, z standard normal from a seeded stream (the same draws on both sides and for every sampler of a seed); sd = ${NOISE_SHARE * 100}% of (the ${NOISE_RANK}th best of ${NOISE_POINTS} random-sampler points, seed 0, minus the minimum): about what a 100-trial random search reaches, the range of values a 100-trial study works in (the median over random points would give rosenbrock4 an sd of 1.9e4 against regrets of 2-30). Score: the noise-free regret at the point the sampler reports as best: ours \`auto\` with \`noise: true\` → bestPredicted() (of the five trials with the lowest noisy values, the one the GP with a noise term predicts best); "raw" → best() (the lowest noisy value); Optuna → study.best_trial (its lowest noisy value, what Optuna reports). ${seeds} seeds, median [quartiles].`,
    "",
  );
  out.push(
    "| function | noise sd | ours auto, best predicted | ours auto, raw best | Optuna TPE | Optuna GP | Optuna CMA-ES | auto ≤ best Optuna |",
    "|---|---|---|---|---|---|---|---|",
  );
  const okN = [];
  const apartN = [];
  for (const f of settingFunctions("noisy", fns)) {
    const o = r.noisy.ours.auto?.[f.name];
    const th = Object.fromEntries(N.theirs.map((s) => [s, r.noisy.theirs[s]?.[f.name]?.map((x) => x.regret)]));
    const done = N.theirs.filter((s) => th[s]);
    const pred = o?.runs.map((x) => x.predicted);
    const bestName = done.length ? done.reduce((x, y) => (median(th[y]) < median(th[x]) ? y : x)) : null;
    const ok = pred && done.length === N.theirs.length ? median(pred) <= median(th[bestName]) : null;
    if (!later(f)) okN.push(ok);
    else apartN.push([laterBatches[f.name], [ok]]);
    out.push(
      `| ${row(f)} | ${fmt(noiseSd(f))} | ${cell(pred)} | ${cell(o?.runs.map((x) => x.raw))} | ${N.theirs.map((s) => cell(th[s])).join(" | ")} | ${ok === null ? "—" : `${mark(ok)} (${bestName})`} |`,
    );
  }
  out.push("", tally(okN, 2 / 3, "auto (best predicted) no worse than Optuna's best on ≥ 2/3 (suite and batches 1-2)"));
  out.push(...batchTallies(apartN, ["Optuna's best"]), "");

  const L = PLANS.long;
  out.push(`### (c) Long studies, ${L.budget} trials on the 6-8 parameter functions`, "");
  out.push(
    `One trial at a time; Optuna: CmaEsSampler(seed), TPESampler(seed). Regret after 500 and ${L.budget} trials (the same run), ${seeds} seeds, median [quartiles]; ask time: median over the last ${L.timedAsks} asks of each run (history 950-999 trials), median over runs, CPU time of the process (wall in parentheses), measured niced (nice 19) on the shared box.`,
    "",
  );
  const lcols = [...L.ours.map((s) => `ours ${s}`), ...L.theirs.map((s) => `Optuna ${s === "cmaes" ? "CMA-ES" : "TPE"}`)];
  out.push(
    `| function | trials | ${lcols.join(" | ")} | auto ≤ Optuna CMA-ES |`,
    `|---|---|${lcols.map(() => "---").join("|")}|---|`,
  );
  const okL = [];
  const askCpu = [];
  const askWall = [];
  for (const f of settingFunctions("long", fns)) {
    const curves = (side, s) => r.long[side][s]?.[f.name]?.map((x) => x.curve);
    for (const b of [500, L.budget]) {
      const a = at(curves("ours", "auto"), b);
      const c = at(curves("theirs", "cmaes"), b);
      const ok = a && c ? median(a) <= median(c) : null;
      if (b === L.budget) okL.push(ok);
      out.push(
        `| ${row(f)} | ${b} | ${[...L.ours.map((s) => cell(at(curves("ours", s), b))), ...L.theirs.map((s) => cell(at(curves("theirs", s), b)))].join(" | ")} | ${ok === null ? "—" : mark(ok)} |`,
      );
    }
    for (const x of r.long.ours.auto?.[f.name] ?? []) {
      askCpu.push(x.askCpu);
      askWall.push(x.askWall);
    }
  }
  out.push("", tally(okL, 1, `auto no worse than Optuna's CMA-ES at ${L.budget} trials`));
  out.push(
    askCpu.length
      ? `- auto's median ask at ~1,000 trials: ${ms(median(askCpu))} CPU (${ms(median(askWall))} wall), over ${askCpu.length} runs`
      : "- auto's ask time at 1,000 trials: not computed yet",
    "",
  );
  return out;
}
