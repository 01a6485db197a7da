import { isFeasibleComplete } from "./constraints.js";
import { Rng } from "./rng.js";
import { encode } from "./samplers/gp-encoding.js";
import { fitKernelBounded } from "./samplers/gp-kernel.js";
import { Posterior } from "./samplers/gp-posterior.js";
import { sampleRandom, type CompiledSpace } from "./space.js";
import type { TrialView } from "./trial.js";

/** Fewer complete trials than this and the model says nothing worth plotting (Optuna's Terminator uses 20). */
export const IMPROVEMENT_MIN_TRIALS = 20;
/**
 * The latest complete trials an estimate is computed from at most (the study page's card and
 * budget.stop_when alike). Each of the history's fits conditions on the best half of them; all 25
 * took 8.3 s of CPU at 1,000 trials on the 2-core dev box, 2.4 s at 300, about 1 s at 200.
 */
export const IMPROVEMENT_MAX_TRIALS = 200;
/** Points of the improvement history at most: each one is a GP fit (tens of ms at 150 trials). */
export const IMPROVEMENT_MAX_POINTS = 25;
const TOP_RATIO = 0.5;
const MAX_FIT_POINTS = 150;
const SEARCH_SAMPLES = 2048;
const DELTA = 0.1;

export interface TImprovementPoint {
  /** Complete feasible trials the estimate rests on (the first `trials` of them, by number). */
  trials: number;
  /** How much the best value could still improve, in the objective's units (an upper bound, ≥ 0). */
  bound: number;
}

/**
 * UCB/LCB confidence width (Srinivas et al. 2010), scaled down by 5 as Makarova et al. 2022 and
 * Optuna's RegretBoundEvaluator do.
 */
function betaOf(dim: number, n: number): number {
  return (2 * Math.log((Math.max(dim, 1) * n * n * Math.PI * Math.PI) / (6 * DELTA))) / 5;
}

/**
 * The regret bound of Makarova et al. 2022 ("Automatic termination for hyperparameter
 * optimization"), as Optuna's Terminator computes it: a GP on the best half of the complete
 * trials (at least 20); the bound is the lowest upper confidence bound among them minus the lowest
 * lower confidence bound anywhere in the space (the trials and 2,048 random points). While it is
 * large the model still sees room below the incumbent; once it is smaller than the noise of the
 * objective, more trials mostly re-measure noise. Null below IMPROVEMENT_MIN_TRIALS.
 * Only feasible trials count: the bound is on the best feasible value, the one best() reports.
 */
export function regretBound(space: CompiledSpace, complete: readonly TrialView[], seed: number): number | null {
  const done = complete.filter(isFeasibleComplete);
  if (done.length < IMPROVEMENT_MIN_TRIALS) return null;
  const top = [...done]
    .sort((a, b) => a.loss![0]! - b.loss![0]! || a.id - b.id)
    .slice(0, Math.max(IMPROVEMENT_MIN_TRIALS, Math.ceil(done.length * TOP_RATIO)));
  const n = top.length;
  const dim = space.dims.length;
  const raw = top.map((t) => t.loss![0]!);
  const mean = raw.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  if (!(sd > 0)) return 0;
  const x = new Float64Array(n * dim);
  top.forEach((t, i) => encode(space, t.params, x, i * dim));
  const y = Float64Array.from(raw, (v) => (v - mean) / sd);
  const data = { x, y, n, dim, isCat: space.dims.map((d) => d.type === "categorical") };
  const post = new Posterior(
    data,
    fitKernelBounded(
      data,
      raw,
      top.map((t) => t.id),
      MAX_FIT_POINTS,
    ),
  );
  const k = Math.sqrt(betaOf(dim, n));
  let upper = Infinity;
  let lower = Infinity;
  for (let i = 0; i < n; i++) {
    const p = post.predict(x.subarray(i * dim, (i + 1) * dim));
    const s = Math.sqrt(p.variance);
    upper = Math.min(upper, p.mean + k * s);
    lower = Math.min(lower, p.mean - k * s);
  }
  const rng = new Rng(seed);
  const z = new Float64Array(dim);
  for (let j = 0; j < SEARCH_SAMPLES; j++) {
    encode(space, sampleRandom(space, rng), z);
    const p = post.predict(z);
    lower = Math.min(lower, p.mean - k * Math.sqrt(p.variance));
  }
  return Math.max(0, upper - lower) * sd;
}

/**
 * The bound as the study went on: at up to IMPROVEMENT_MAX_POINTS evenly spaced counts of
 * complete trials (in the order they were numbered), the last one being all of them.
 */
export function improvementHistory(space: CompiledSpace, trials: readonly TrialView[], seed: number): TImprovementPoint[] {
  const done = trials.filter(isFeasibleComplete).sort((a, b) => a.id - b.id);
  if (done.length < IMPROVEMENT_MIN_TRIALS) return [];
  const span = done.length - IMPROVEMENT_MIN_TRIALS;
  const steps = Math.min(IMPROVEMENT_MAX_POINTS - 1, span);
  const counts = new Set<number>();
  for (let i = 0; i <= steps; i++) counts.add(IMPROVEMENT_MIN_TRIALS + (steps === 0 ? span : Math.round((span * i) / steps)));
  const out: TImprovementPoint[] = [];
  for (const count of [...counts].sort((a, b) => a - b)) {
    const bound = regretBound(space, done.slice(0, count), seed);
    if (bound !== null) out.push({ trials: count, bound });
  }
  return out;
}
