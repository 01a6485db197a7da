// Our side of the benchmark's extra settings, runnable alone while Optuna's side is not wired:
//   node bench/settings.mjs parallel [--seeds=10] [--only=branin,hartmann6]   8 asks pending, told in random order
//   node bench/settings.mjs long [--seeds=10]                                   1,000 trials on the 6-8 param functions
// Prints the median regret [quartiles] per function and sampler, and writes bench/.cache/settings-<setting>.json.
// Needs the built package (pnpm --filter @autoglm/optimizer build).
import { mkdirSync, writeFileSync } from "node:fs";
import { createOptimizer } from "../dist/index.js";
import { FUNCTIONS, HELD_OUT_FUNCTIONS } from "./functions.mjs";

const setting = process.argv[2];
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const seeds = [...Array(Number(arg("seeds") ?? 10)).keys()];
const only = arg("only")?.split(",");
const all = [...FUNCTIONS, ...HELD_OUT_FUNCTIONS].filter((f) => !only || only.includes(f.name));

/** A seeded shuffle (the order in which a batch's trials finish). */
function shuffled(xs, seed) {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Regret after `budget` trials, asking `batch` at a time (all pending) and telling them in a shuffled order. */
function regret(f, sampler, seed, budget, batch) {
  const opt = createOptimizer({ space: f.space, direction: "minimize", sampler: { name: sampler, seed } });
  let best = Infinity;
  for (let done = 0; done < budget; done += batch) {
    const asked = Array.from({ length: Math.min(batch, budget - done) }, () => opt.ask());
    for (const t of shuffled(asked, seed * 100003 + done)) {
      const y = f.fn(t.params);
      best = Math.min(best, y);
      opt.tell(t.id, y);
    }
  }
  return best - f.minimum;
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
const fmt = (x) => (x === 0 ? "0" : Math.abs(x) >= 0.01 && Math.abs(x) < 1000 ? x.toPrecision(3) : x.toExponential(2));

const plans = {
  parallel: { fns: all, samplers: ["auto", "gp", "tpe", "cmaes"], budgets: [100, 200], batch: 8 },
  long: {
    fns: all.filter((f) => Object.keys(f.space).length >= 6),
    samplers: ["auto", "cmaes", "tpe"],
    budgets: [1000],
    batch: 1,
  },
};
const plan = plans[setting];
if (!plan) throw new Error(`usage: node bench/settings.mjs ${Object.keys(plans).join("|")} [--seeds=N] [--only=f,g]`);
const results = {};
for (const f of plan.fns)
  for (const budget of plan.budgets)
    for (const sampler of plan.samplers) {
      const r = seeds.map((seed) => regret(f, sampler, seed, budget, plan.batch));
      (results[f.name] ??= {})[`${sampler}@${budget}`] = r;
      console.log(
        `${f.name} ${sampler} ${budget} trials, ${plan.batch} at a time: ${fmt(quantile(r, 0.5))} [${fmt(quantile(r, 0.25))}, ${fmt(quantile(r, 0.75))}]`,
      );
    }
mkdirSync(new URL("./.cache/", import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./.cache/settings-${setting}.json`, import.meta.url),
  JSON.stringify({ setting, seeds: seeds.length, results }),
);
