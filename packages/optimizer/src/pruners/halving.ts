import { FinalValueModel, finalLoss } from "../final-model.js";
import type { PruneContext, Pruner, TrialView } from "../trial.js";
import { previousStep, show, showSpread, valueAtFirstCross } from "./curve.js";
import { forecastWithError } from "./forecast.js";
import { bad, optBool, optInt, type TRawPrunerConfig } from "./options.js";

/** One-sided 95% normal quantile: a trial continues while its forecast could beat the best at that level. */
const Z_95 = 1.645;

/**
 * Asynchronous successive halving (ASHA, Li et al. 2018). Rung r sits at step
 * minResource * eta^(minEarlyStoppingRate + r); a trial crossing a rung continues only
 * while it is in the top 1/eta of every trial that crossed that rung so far. A trial's
 * rung value is the first value it reported at or past the rung step, derived from the
 * history on every call so a rebuilt optimizer decides exactly as the original.
 */
export class HalvingPruner implements Pruner {
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
    const prevStep = previousStep(trial, step);
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
    const prevStep = previousStep(trial, step);
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
export function crossesGridStep(minR: number, eta: number, step: number, prevStep: number): boolean {
  for (let g = minR; g <= step; g *= eta) if (g > prevStep) return true;
  return false;
}

function bootstrapReason(n: number, rungStep: number, bootstrap: number): string {
  return `only ${n} trial${n === 1 ? "" : "s"} reached step ${rungStep} so far, and bootstrapCount ${bootstrap} stops trials there until more than ${bootstrap} have`;
}

export function createHalvingPruner(cfg: TRawPrunerConfig<"successive_halving" | "asha">, at: string): HalvingPruner {
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
