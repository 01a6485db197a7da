import { PRUNER_NAMES, type TPrunerConfig } from "./config.js";
import { OptimizerError } from "./errors.js";
import { FinalValueModel, finalLoss } from "./final-model.js";
import { hashSeed } from "./rng.js";
import type { PruneContext, Pruner, TrialView } from "./trial.js";

const bad = (msg: string): never => {
  throw new OptimizerError("INVALID_CONFIG", msg);
};

function optInt(cfg: Record<string, unknown>, key: string, def: number, min: number): number {
  const v = cfg[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) bad(`pruner.${key}: must be an integer >= ${min}`);
  return v as number;
}

function optNum(cfg: Record<string, unknown>, key: string, def: number | undefined, min = -Infinity): number | undefined {
  const v = cfg[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) bad(`pruner.${key}: must be a finite number >= ${min}`);
  return v as number;
}

function optBool(cfg: Record<string, unknown>, key: string, def: boolean): boolean {
  const v = cfg[key];
  if (v === undefined) return def;
  if (typeof v !== "boolean") bad(`pruner.${key}: must be a boolean`);
  return v as boolean;
}

/** The trial's value at `step`: the value reported at the largest step <= `step`. */
function valueAtOrBefore(t: TrialView, step: number): number | null {
  let out: number | null = null;
  for (const [s, v] of t.intermediate) {
    if (s > step) break;
    out = v;
  }
  return out;
}

function bestSoFar(t: TrialView, step: number): number {
  let b = Infinity;
  for (const [s, v] of t.intermediate) if (s <= step && v < b) b = v;
  return b;
}

/** A loss in the metric's units, to 4 significant digits. */
function show(loss: number, sign: 1 | -1): string {
  return String(Number((sign * loss).toPrecision(4)));
}

/** A spread (no sign), to 2 significant digits. */
function showSpread(x: number): string {
  return String(Number(x.toPrecision(2)));
}

function percentileOf(sorted: number[], p: number): number {
  // Linear interpolation, as numpy.percentile.
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median/percentile rule: prune when the trial's best value so far is worse than the p-th percentile of finished trials at this step. */
class PercentilePruner implements Pruner {
  constructor(
    private readonly p: number,
    private readonly nStartup: number,
    private readonly nWarmup: number,
    private readonly interval: number,
    private readonly nMin: number,
  ) {}
  mayDecide(step: number): boolean {
    return step >= this.nWarmup && (step - this.nWarmup) % this.interval === 0;
  }

  decide({ trial, step, trials, sign }: PruneContext): string | null {
    if (!this.mayDecide(step)) return null;
    const done = trials.filter((t) => t.state === "complete" && t.id !== trial.id);
    if (done.length < this.nStartup) return null;
    const vals: number[] = [];
    for (const t of done) {
      const v = valueAtOrBefore(t, step);
      if (v !== null) vals.push(v);
    }
    if (vals.length < this.nMin || vals.length === 0) return null;
    vals.sort((a, b) => a - b);
    const best = bestSoFar(trial, step);
    const cut = percentileOf(vals, this.p);
    if (!(best > cut)) return null;
    const rule = this.p === 50 ? "the median" : `the cut that keeps the best ${this.p}%`;
    return `its best value so far, ${show(best, sign)}, is worse than ${rule} (${show(cut, sign)}) of ${vals.length} finished trials at step ${step}`;
  }
}

/**
 * Forecast of a learning curve's value at step `horizon` from its reports so far: the
 * better-fitting (least squares) of two saturating families that the learning-curve
 * literature uses for loss curves (Domhan et al. 2015; Swersky et al. 2014, "freeze-thaw"),
 * both with an asymptote a and a decaying part:
 *   exponential  v(s) = a + b exp(-c s)
 *   power law    v(s) = a + b (s + 1)^-c
 * c is searched on a fixed log grid, a and b solved exactly for each c. Neither family is
 * privileged: a curve decaying like a power law (most deep-learning loss curves) gets the
 * power-law forecast, which stays higher than an exponential one would. Null with fewer than
 * 5 reports (three parameters need at least two points of slack to be fitted at all).
 */
export function forecastCurve(points: ReadonlyArray<readonly [number, number]>, horizon: number): number | null {
  return forecastWithError(points, horizon)?.value ?? null;
}

/**
 * forecastCurve with the standard error of the forecast and the noise of one report (noise:
 * sigma = sqrt(SSE / (n - 3)), the residual spread). se combines the prediction error of the
 * linear part (a, b) at the chosen rate, sigma^2 (1/n + (phi(H) - mean phi)^2 / Sxx), with the
 * uncertainty of the rate and of the family: half the spread of the forecasts of every rate,
 * in either family, whose fit is within n ln(SSE / SSEmin) <= 1 of the best (a profile-
 * likelihood 68% interval). Without the second part a short prefix looked precise: at 9 of
 * 100 steps the forecasts of one configuration ranged from -0.03 to 0.52 over noise draws
 * while the linear se said 0.03.
 */
export function forecastWithError(
  points: ReadonlyArray<readonly [number, number]>,
  horizon: number,
): { value: number; se: number; noise: number } | null {
  const n = points.length;
  if (n < 5) return null;
  let seBest = 0;
  let noiseBest = 0;
  /** Least-squares a, b for a fixed basis phi: [sse, forecast at the horizon, its standard error]. */
  const fit = (phi: (s: number) => number): [number, number, number, number] => {
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    let syy = 0;
    for (const [st, v] of points) {
      const x = phi(st);
      sx += x;
      sy += v;
      sxx += x * x;
      sxy += x * v;
      syy += v * v;
    }
    const vx = sxx - (sx * sx) / n;
    if (!(vx > 1e-12 * Math.max(1, sxx))) return [Infinity, NaN, NaN, NaN]; // the basis is flat over the prefix
    const b = (sxy - (sx * sy) / n) / vx;
    const a = (sy - b * sx) / n;
    const sse = Math.max(0, syy - a * sy - b * sxy);
    const xh = phi(horizon);
    const se = Math.sqrt((sse / (n - 3)) * (1 / n + (xh - sx / n) ** 2 / vx));
    return [sse, a + b * xh, se, Math.sqrt(sse / (n - 3))];
  };
  let bestSse = Infinity;
  let best: number | null = null;
  // A log grid over c, then golden-section refinement between the best point's neighbours.
  const family = (basis: (c: number) => (s: number) => number, lo: number, hi: number, steps: number): void => {
    const at = (k: number): number => Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * k) / steps;
    let kBest = -1;
    let sseBest = Infinity;
    for (let k = 0; k <= steps; k++) {
      const [sse] = fit(basis(Math.exp(at(k))));
      if (sse < sseBest) {
        sseBest = sse;
        kBest = k;
      }
    }
    if (kBest < 0) return;
    let a = at(Math.max(0, kBest - 1));
    let b = at(Math.min(steps, kBest + 1));
    const g = (Math.sqrt(5) - 1) / 2;
    for (let it = 0; it < 24; it++) {
      const x1 = b - g * (b - a);
      const x2 = a + g * (b - a);
      if (fit(basis(Math.exp(x1)))[0] <= fit(basis(Math.exp(x2)))[0]) b = x2;
      else a = x1;
    }
    for (const x of [0.5 * (a + b), at(kBest)]) {
      const [sse, f, se, noise] = fit(basis(Math.exp(x)));
      if (sse < bestSse) {
        bestSse = sse;
        best = f;
        seBest = se;
        noiseBest = noise;
      }
    }
  };
  // Rates from a tenth of an e-fold over the whole horizon (a near-line) to one e-fold per
  // step; power-law exponents from 0.05 (almost flat) to 3.
  const expBasis = (c: number) => (st: number) => Math.exp(-c * st);
  const powBasis = (c: number) => (st: number) => Math.pow(st + 1, -c);
  family(expBasis, 0.1 / horizon, 1, 40);
  family(powBasis, 0.05, 3, 30);
  if (best === null) return null;
  let lo: number = best;
  let hi: number = best;
  const scan = (basis: (c: number) => (s: number) => number, from: number, to: number, steps: number): void => {
    for (let k = 0; k <= steps; k++) {
      const [sse, f] = fit(basis(Math.exp(Math.log(from) + ((Math.log(to) - Math.log(from)) * k) / steps)));
      if (!(n * Math.log(Math.max(sse, 1e-300) / Math.max(bestSse, 1e-300)) <= 1)) continue;
      if (f < lo) lo = f;
      if (f > hi) hi = f;
    }
  };
  // A grid ten times finer than the search's, so the interval resolves long prefixes too.
  scan(expBasis, 0.1 / horizon, 1, 400);
  scan(powBasis, 0.05, 3, 300);
  return { value: best, se: Math.hypot(seBest, (hi - lo) / 2), noise: noiseBest };
}

/** One-sided 95% normal quantile: a trial continues while its forecast could beat the best at that level. */
const Z_95 = 1.645;

/**
 * Asynchronous successive halving (ASHA, Li et al. 2018). Rung r sits at step
 * minResource * eta^(minEarlyStoppingRate + r); a trial crossing a rung continues only
 * while it is in the top 1/eta of every trial that crossed that rung so far. A trial's
 * rung value is the first value it reported at or past the rung step, derived from the
 * history on every call so a rebuilt optimizer decides exactly as the original.
 */
class HalvingPruner implements Pruner {
  constructor(
    private readonly minResource: number | "auto",
    private readonly eta: number,
    private readonly mesr: number,
    private readonly bootstrap: number,
    /** Restricts the competitors (Hyperband brackets). */
    private readonly sameGroup: (a: TrialView, b: TrialView) => boolean = () => true,
    /** Promote by forecast final value instead of the value at the rung (see decideByEstimate). */
    private readonly forecast = false,
    /** The finished trials' model of final values (shared by Hyperband's brackets). */
    private readonly model = new FinalValueModel(),
    /**
     * Hyperband's later brackets: below the bracket's first rung, at the steps of the most
     * aggressive bracket's rungs, the predictive rule alone applies once the model exists.
     * The brackets hedge against ranking curves too early; the model's evidence is about the
     * configuration and does not grow with the steps run.
     */
    private readonly predictBelowFirstRung = false,
  ) {}

  private resolveMin(trials: readonly TrialView[]): number | null {
    if (this.minResource !== "auto") return this.minResource;
    const first = trials.find((t) => t.state === "complete" && t.intermediate.length > 0);
    if (!first) return null;
    return Math.max(1, Math.floor(first.intermediate[first.intermediate.length - 1]![0] / 100));
  }

  decide(ctx: PruneContext): string | null {
    return this.forecast ? this.decideByEstimate(ctx) : this.decideAtRung(ctx);
  }

  mayDecide(step: number, prevStep: number): boolean {
    return this.minResource === "auto" || crossesGridStep(this.minResource, this.eta, step, prevStep);
  }

  fitsModel(): boolean {
    return this.forecast;
  }

  /**
   * Curve-aware variant. Ranking trials by their value at a rung assumes the curves do not
   * cross after it; when a slower configuration ends better (a smaller learning rate, a
   * bigger model) the classic rule stops exactly the trials worth finishing, and the sampler,
   * fed by the survivors, then concentrates on the fast-but-worse ones. Here a trial's rung
   * value is an estimate of its final value from two sources (estimateAt): the forecast of
   * its own curve (forecastWithError, from its reports up to the rung step, to the last step
   * a finished trial reached), and the model of the finished trials' final values at its
   * params (FinalValueModel, once 10 trials have finished). A trial continues if either
   * - its estimate is in the top 1/eta of the estimates at that rung (ASHA's rule on
   *   estimates), or
   * - its final report could beat the best final value finished so far: the predictive-
   *   termination rule of Domhan et al. 2015 at a one-sided 95% level, with the final report
   *   predicted as estimate +- sqrt(se^2 + noise^2). The report noise belongs in it because the
   *   best so far is itself a noisy report (the luckiest of several), and a trial that may
   *   well become the new best is not stopped, however many others are also good (quantile
   *   rules prune 2 of 3 trials at every rung even when all of them are near the optimum).
   * At rungs whose prefix is too short to fit a curve (fewer than 5 reports) there is nothing
   * of the trial's own to rank, so only the predictive rule on the model can stop it, and
   * only if it is not ahead of every other trial at that rung (its own reports then
   * contradict the model); the same holds below the first rung of Hyperband's later
   * brackets (predictBelowFirstRung). Before any trial has finished there is no horizon:
   * nothing is pruned.
   */
  private decideByEstimate(ctx: PruneContext): string | null {
    const { trial, step, trials, sign } = ctx;
    const minR = this.resolveMin(trials);
    if (minR === null) return null;
    let horizon = -Infinity;
    let incumbent = Infinity;
    for (const t of trials) {
      if (t.state !== "complete" || t.intermediate.length === 0) continue;
      horizon = Math.max(horizon, t.intermediate[t.intermediate.length - 1]![0]);
      const final = finalLoss(t)!;
      if (final < incumbent) incumbent = final;
    }
    if (!(horizon > step)) return null;
    const prevSteps = trial.intermediate.filter(([s]) => s < step);
    const prevStep = prevSteps.length > 0 ? prevSteps[prevSteps.length - 1]![0] : -Infinity;
    const modelled = ctx.space !== undefined && this.model.update(ctx.space, trials);
    // Rungs below the first (r < 0) are checked only in Hyperband's later brackets.
    for (let r = this.predictBelowFirstRung && modelled ? -this.mesr : 0; ; r++) {
      const rungStep = minR * Math.pow(this.eta, this.mesr + r);
      if (rungStep > step) return null;
      if (rungStep <= prevStep) continue;
      const est = this.estimateAt(trial, rungStep, horizon, modelled);
      if (est === null) continue;
      const mine = est.value;
      if (mine - Z_95 * Math.hypot(est.se, est.noise) <= incumbent) continue;
      const hopeless = `cannot beat the best finished value, ${show(incumbent, sign)}, at 95%`;
      if (!est.curve || r < 0) {
        // Predictive rule alone: stop it unless its value at the rung leads every other
        // trial's, in any bracket (its own reports would then contradict the estimate).
        const value = valueAtFirstCross(trial, rungStep)!;
        let leads = true;
        for (const t of trials) {
          if (t.id === trial.id) continue;
          const v = valueAtFirstCross(t, rungStep);
          if (v !== null && v < value) leads = false;
        }
        if (leads) continue;
        const source = est.curve ? "its curve and the finished trials forecast" : "the finished trials predict";
        return `at step ${rungStep} ${source} a final value of ${show(mine, sign)} ± ${showSpread(est.se)} for it, which ${hopeless}`;
      }
      const competing: number[] = [];
      for (const t of trials) {
        if (!this.sameGroup(trial, t)) continue;
        if (t.id === trial.id) {
          competing.push(mine);
          continue;
        }
        if (t.intermediate.length === 0 || t.intermediate[t.intermediate.length - 1]![0] < rungStep) continue;
        const f = this.estimateAt(t, rungStep, horizon, modelled);
        if (f !== null && f.curve) competing.push(f.value);
      }
      if (competing.length <= this.bootstrap) return bootstrapReason(competing.length, rungStep, this.bootstrap);
      competing.sort((a, b) => a - b);
      let k = Math.floor(competing.length / this.eta) - 1;
      if (k < 0) k = 0;
      if (!(mine <= competing[k]!))
        return `at step ${rungStep} its forecast final value, ${show(mine, sign)} ± ${showSpread(est.se)}, is not among the best 1/${this.eta} of the ${competing.length} trials' forecasts there (cut ${show(competing[k]!, sign)}), and it ${hopeless}`;
    }
  }

  /**
   * A trial's final value as of a rung: its curve's forecast and the model's prediction
   * for its params, each weighted by its precision (both estimate the same noise-free final
   * value); either alone where the other is missing. `curve` says whether its own reports
   * took part.
   */
  private estimateAt(
    t: TrialView,
    rungStep: number,
    horizon: number,
    modelled: boolean,
  ): { value: number; se: number; noise: number; curve: boolean } | null {
    const fc = this.forecastAt(t, rungStep, horizon);
    const m = modelled ? this.model.predict(t.id, t.params) : null;
    if (m === null) return fc === null ? null : { ...fc, curve: true };
    if (fc === null) return { value: m.mean, se: Math.sqrt(m.variance), noise: Math.sqrt(m.noise), curve: false };
    const pc = 1 / Math.max(fc.se * fc.se, 1e-300);
    const pm = 1 / m.variance;
    return { value: (fc.value * pc + m.mean * pm) / (pc + pm), se: Math.sqrt(1 / (pc + pm)), noise: fc.noise, curve: true };
  }

  /** Forecasts keyed by trial, rung and horizon: a trial's prefix up to a passed rung never changes. */
  private readonly forecasts = new Map<string, { value: number; se: number; noise: number } | null>();
  private forecastAt(t: TrialView, rungStep: number, horizon: number): { value: number; se: number; noise: number } | null {
    const key = `${t.id}:${rungStep}:${horizon}`;
    const hit = this.forecasts.get(key);
    if (hit !== undefined) return hit;
    const prefix = t.intermediate.filter(([s]) => s <= rungStep);
    const f = forecastWithError(prefix, horizon);
    // Only cache once the trial is past the rung (its prefix is then final).
    if (t.intermediate[t.intermediate.length - 1]![0] > rungStep || t.state !== "running") this.forecasts.set(key, f);
    return f;
  }

  private decideAtRung({ trial, step, trials, sign }: PruneContext): string | null {
    const minR = this.resolveMin(trials);
    if (minR === null) return null;
    const prevSteps = trial.intermediate.filter(([s]) => s < step);
    const prevStep = prevSteps.length > 0 ? prevSteps[prevSteps.length - 1]![0] : -Infinity;
    for (let r = 0; ; r++) {
      const rungStep = minR * Math.pow(this.eta, this.mesr + r);
      if (rungStep > step) return null;
      if (rungStep <= prevStep) continue; // passed earlier
      const value = valueAtFirstCross(trial, rungStep)!;
      const competing: number[] = [];
      for (const t of trials) {
        if (!this.sameGroup(trial, t)) continue;
        const v = t.id === trial.id ? value : valueAtFirstCross(t, rungStep);
        if (v !== null) competing.push(v);
      }
      if (competing.length <= this.bootstrap) return bootstrapReason(competing.length, rungStep, this.bootstrap);
      competing.sort((a, b) => a - b);
      let k = Math.floor(competing.length / this.eta) - 1;
      if (k < 0) k = 0; // fewer than eta trials: only the best so far continues
      if (!(value <= competing[k]!))
        return `its value at step ${rungStep}, ${show(value, sign)}, is not among the best 1/${this.eta} of the ${competing.length} trials that reached that step (cut ${show(competing[k]!, sign)})`;
    }
  }
}

/**
 * Whether (prevStep, step] holds a step minR * eta^k (k >= 0): every rung of every halving
 * bracket, and every step where Hyperband's predictive checks run, is one of them.
 */
function crossesGridStep(minR: number, eta: number, step: number, prevStep: number): boolean {
  for (let g = minR; g <= step; g *= eta) if (g > prevStep) return true;
  return false;
}

function bootstrapReason(n: number, rungStep: number, bootstrap: number): string {
  return `only ${n} trial${n === 1 ? "" : "s"} reached step ${rungStep} so far, and bootstrapCount ${bootstrap} stops trials there until more than ${bootstrap} have`;
}

function valueAtFirstCross(t: TrialView, rungStep: number): number | null {
  for (const [s, v] of t.intermediate) if (s >= rungStep) return v;
  return null;
}

/**
 * Hyperband (Li et al. 2017) over ASHA brackets: bracket s halves from rung
 * minResource * eta^s; each trial joins one bracket, drawn from its id with the classic
 * allocation n_s ~ (s_max+1)/(s+1) * eta^s, and only competes inside it. With forecasts
 * the brackets share one model of final values, which may stop a trial of any bracket from
 * its first report (HalvingPruner's predictBelowFirstRung).
 */
class HyperbandPruner implements Pruner {
  constructor(
    private readonly minResource: number,
    private readonly maxResource: number | "auto",
    private readonly eta: number,
    private readonly bootstrap: number,
    private readonly forecast: boolean,
  ) {}
  private cache: { maxR: number; b: { pruners: HalvingPruner[]; bracketOf: (t: TrialView) => number } } | null = null;
  private brackets(trials: readonly TrialView[]): { pruners: HalvingPruner[]; bracketOf: (t: TrialView) => number } | null {
    let maxR = this.maxResource;
    if (maxR === "auto") {
      const first = trials.find((t) => t.state === "complete" && t.intermediate.length > 0);
      if (!first) return null;
      maxR = first.intermediate[first.intermediate.length - 1]![0];
    }
    if (this.cache?.maxR === maxR) return this.cache.b;
    const sMax = Math.max(0, Math.floor(Math.log(maxR / this.minResource) / Math.log(this.eta) + 1e-9));
    // Bracket i starts halving at rung i (i = 0 is the most aggressive, s = sMax halvings).
    const weights: number[] = [];
    for (let i = 0; i <= sMax; i++) weights.push(Math.ceil(((sMax + 1) / (sMax - i + 1)) * Math.pow(this.eta, sMax - i)));
    const total = weights.reduce((a, b) => a + b, 0);
    const bracketOf = (t: TrialView): number => {
      let u = (hashSeed(t.id, 0x48b) / 4294967296) * total;
      for (let i = 0; i < weights.length; i++) {
        u -= weights[i]!;
        if (u < 0) return i;
      }
      return weights.length - 1;
    };
    const same = (a: TrialView, b: TrialView): boolean => bracketOf(a) === bracketOf(b);
    const model = new FinalValueModel();
    const pruners = weights.map(
      (_, i) => new HalvingPruner(this.minResource, this.eta, i, this.bootstrap, same, this.forecast, model, true),
    );
    this.cache = { maxR, b: { pruners, bracketOf } };
    return this.cache.b;
  }
  mayDecide(step: number, prevStep: number): boolean {
    return crossesGridStep(this.minResource, this.eta, step, prevStep);
  }

  fitsModel(): boolean {
    return this.forecast;
  }

  decide(ctx: PruneContext): string | null {
    const b = this.brackets(ctx.trials);
    if (b === null) return null;
    const i = b.bracketOf(ctx.trial);
    const why = b.pruners[i]!.decide(ctx);
    return why === null ? null : `${why} (Hyperband bracket ${i + 1} of ${b.pruners.length})`;
  }
}

/** Prune after `patience` reported steps without an improvement larger than minDelta (optionally only if `wrapped` agrees). */
class PatiencePruner implements Pruner {
  constructor(
    private readonly patience: number,
    private readonly minDelta: number,
    private readonly wrapped: Pruner | null,
  ) {}
  fitsModel(): boolean {
    return this.wrapped?.fitsModel?.() ?? false;
  }
  decide(ctx: PruneContext): string | null {
    const vals = ctx.trial.intermediate.filter(([s]) => s <= ctx.step).map(([, v]) => v);
    if (vals.length <= this.patience) return null;
    // Best before the last `patience` reports vs best within them: no gain > minDelta -> stale.
    const before = Math.min(...vals.slice(0, vals.length - this.patience));
    const after = this.patience === 0 ? vals[vals.length - 1]! : Math.min(...vals.slice(vals.length - this.patience));
    if (before - after > this.minDelta) return null;
    const stale = `no improvement larger than ${this.minDelta} in its last ${this.patience} reports (best ${show(before, ctx.sign)} before them, ${show(after, ctx.sign)} in them)`;
    if (this.wrapped === null) return stale;
    const why = this.wrapped.decide(ctx);
    return why === null ? null : `${stale}, and ${why}`;
  }
}

class ThresholdPruner implements Pruner {
  constructor(
    private readonly lower: number,
    private readonly upper: number,
    private readonly nWarmup: number,
    private readonly interval: number,
  ) {}
  mayDecide(step: number): boolean {
    return step >= this.nWarmup && (step - this.nWarmup) % this.interval === 0;
  }

  decide({ trial, step, sign }: PruneContext): string | null {
    if (!this.mayDecide(step)) return null;
    const last = trial.intermediate.find(([s]) => s === step);
    if (!last) return null;
    const v = sign * last[1];
    if (v < this.lower) return `its value at step ${step}, ${show(last[1], sign)}, is below the lower bound ${this.lower}`;
    if (v > this.upper) return `its value at step ${step}, ${show(last[1], sign)}, is above the upper bound ${this.upper}`;
    return null;
  }
}

class NonePruner implements Pruner {
  decide(): null {
    return null;
  }
  mayDecide(): boolean {
    return false;
  }
}

/**
 * Whether the configured pruner could stop a trial reporting `step` after its report at
 * `prevStep` (-Infinity for its first), whatever the study's history: false lets a caller
 * that rebuilds the optimizer from storage for every report skip that read (ASHA decides
 * only where a report crosses a rung). Throws on an invalid config, like createOptimizer.
 */
export function prunerMayDecide(config: TPrunerConfig, step: number, prevStep: number): boolean {
  const p = createPruner(config);
  return p.mayDecide ? p.mayDecide(step, prevStep) : true;
}

/**
 * Whether the configured pruner's decisions may fit a model of the finished trials (ASHA and
 * Hyperband forecast by default): the cost a server weighs before deciding on its event loop.
 * Throws on an invalid config, like createOptimizer.
 */
export function prunerFitsModel(config: TPrunerConfig): boolean {
  return createPruner(config).fitsModel?.() ?? false;
}

export function createPruner(config: unknown, at = "pruner"): Pruner {
  if (typeof config !== "object" || config === null) return bad(`${at}: must be an object with a name`);
  const cfg = config as Record<string, unknown> & TPrunerConfig;
  if (!(PRUNER_NAMES as readonly string[]).includes(cfg.name as string))
    bad(`${at}.name: must be one of ${PRUNER_NAMES.join(", ")} (got ${JSON.stringify(cfg.name)})`);
  const keys: Record<TPrunerConfig["name"], string[]> = {
    none: [],
    median: ["nStartupTrials", "nWarmupSteps", "intervalSteps", "nMinTrials"],
    percentile: ["percentile", "nStartupTrials", "nWarmupSteps", "intervalSteps", "nMinTrials"],
    successive_halving: ["minResource", "reductionFactor", "minEarlyStoppingRate", "bootstrapCount", "forecast"],
    asha: ["minResource", "reductionFactor", "minEarlyStoppingRate", "bootstrapCount", "forecast"],
    hyperband: ["minResource", "maxResource", "reductionFactor", "bootstrapCount", "forecast"],
    patience: ["patience", "minDelta", "wrapped"],
    threshold: ["lower", "upper", "nWarmupSteps", "intervalSteps"],
  };
  for (const k of Object.keys(cfg))
    if (k !== "name" && !keys[cfg.name].includes(k)) bad(`${at}.${k}: not an option of the ${cfg.name} pruner`);
  switch (cfg.name) {
    case "none":
      return new NonePruner();
    case "median":
    case "percentile": {
      let p = 50;
      if (cfg.name === "percentile") {
        const v = cfg.percentile;
        if (typeof v !== "number" || !(v >= 0 && v <= 100)) bad(`${at}.percentile: must be a number in [0, 100]`);
        p = v;
      }
      return new PercentilePruner(
        p,
        optInt(cfg, "nStartupTrials", 5, 0),
        optInt(cfg, "nWarmupSteps", 0, 0),
        optInt(cfg, "intervalSteps", 1, 1),
        optInt(cfg, "nMinTrials", 1, 1),
      );
    }
    case "successive_halving":
    case "asha": {
      const mr = cfg.minResource;
      if (mr !== undefined && mr !== "auto" && !(typeof mr === "number" && Number.isInteger(mr) && mr >= 1))
        bad(`${at}.minResource: must be "auto" or an integer >= 1`);
      const eta = optInt(cfg, "reductionFactor", 3, 2);
      // successive_halving is Optuna's rule as is; asha (and hyperband) promote by forecast by default.
      const forecast = optBool(cfg, "forecast", cfg.name === "asha");
      return new HalvingPruner(
        mr ?? 1,
        eta,
        optInt(cfg, "minEarlyStoppingRate", 0, 0),
        optInt(cfg, "bootstrapCount", 0, 0),
        () => true,
        forecast,
      );
    }
    case "hyperband": {
      const minR = optInt(cfg, "minResource", 1, 1);
      const maxR = cfg.maxResource;
      if (maxR !== undefined && maxR !== "auto" && !(typeof maxR === "number" && Number.isInteger(maxR) && maxR >= minR))
        bad(`${at}.maxResource: must be "auto" or an integer >= minResource`);
      return new HyperbandPruner(
        minR,
        maxR ?? "auto",
        optInt(cfg, "reductionFactor", 3, 2),
        optInt(cfg, "bootstrapCount", 0, 0),
        optBool(cfg, "forecast", true),
      );
    }
    case "patience": {
      if (typeof cfg.patience !== "number" || !Number.isInteger(cfg.patience) || cfg.patience < 0)
        bad(`${at}.patience: must be an integer >= 0`);
      const wrapped = cfg.wrapped === undefined ? null : createPruner(cfg.wrapped, `${at}.wrapped`);
      return new PatiencePruner(cfg.patience, optNum(cfg, "minDelta", 0, 0)!, wrapped);
    }
    case "threshold": {
      const lower = optNum(cfg, "lower", -Infinity);
      const upper = optNum(cfg, "upper", Infinity);
      if (cfg.lower === undefined && cfg.upper === undefined) bad(`${at}: needs lower and/or upper`);
      if (lower! > upper!) bad(`${at}: lower (${lower}) must be <= upper (${upper})`);
      return new ThresholdPruner(lower!, upper!, optInt(cfg, "nWarmupSteps", 0, 0), optInt(cfg, "intervalSteps", 1, 1));
    }
  }
  return bad(`${at}: unsupported`);
}
