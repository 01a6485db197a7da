import { encode } from "./samplers/gp-encoding.js";
import { fitKernelBounded } from "./samplers/gp-kernel.js";
import { subsetIndices } from "./samplers/gp-observations.js";
import { Posterior } from "./samplers/gp-posterior.js";
import { GP_DEFAULTS } from "./samplers/gp.js";
import type { CompiledSpace, TParams } from "./space.js";
import type { TrialView } from "./trial.js";

/** A prediction of a configuration's final loss, in loss units. */
export interface FinalPrediction {
  mean: number;
  /** Variance of the noise-free final value at these params. */
  variance: number;
  /** Variance of one report around it (the GP's noise term). */
  noise: number;
}

/** A finished trial's final loss: its told value, else its last report. */
export function finalLoss(t: TrialView): number | null {
  if (t.state !== "complete") return null;
  if (t.loss !== null) return t.loss[0]!;
  return t.intermediate.length > 0 ? t.intermediate[t.intermediate.length - 1]![1] : null;
}

/**
 * Fits shared across optimizer instances, most recent last: the ask/tell API rebuilds a
 * study's optimizer for every report, and the fit (10-200 ms) depends only on the data, so
 * a rebuilt optimizer reuses it. Keyed by the exact inputs of the fit; a Posterior's
 * scratch buffers are safe to share on one thread.
 */
const recentFits = new Map<string, Posterior>();
const RECENT_FITS = 16;

/**
 * What the finished trials say about a configuration's final loss before (or while) it
 * runs: a Gaussian process over the params (the GP sampler's Matern-5/2 kernel and
 * maximum-a-posteriori fit) on the finished trials' final losses, standardized linearly so
 * variances stay in loss units. Model-based early stopping in the spirit of freeze-thaw BO
 * (Swersky et al. 2014) and BOHB: a learning curve's prefix is not the only evidence of
 * where it ends; configurations near finished ones end near them.
 * The fit is redone only when the set of finished trials changes, on at most the GP
 * sampler's maxPoints trials (best half and most recent), so a decision stays cheap in a
 * long study, and a rebuilt optimizer reuses a recent fit of the same data. Deterministic:
 * the same trials give the same model.
 */
export class FinalValueModel {
  private key = "";
  private post: Posterior | null = null;
  private mu = 0;
  private sd = 1;
  private space: CompiledSpace | null = null;
  private readonly cache = new Map<number, FinalPrediction>();

  /** Refits if the finished trials changed; false while too few have finished to fit. */
  update(space: CompiledSpace, trials: readonly TrialView[]): boolean {
    const done: { t: TrialView; y: number }[] = [];
    for (const t of trials) {
      const y = finalLoss(t);
      if (y !== null) done.push({ t, y });
    }
    const dim = space.dims.length;
    // As many as the GP sampler waits for before it models anything, and never fewer points
    // than length scales plus two.
    if (done.length < Math.max(GP_DEFAULTS.nStartupTrials, dim + 2)) {
      this.key = "";
      this.post = null;
      return false;
    }
    const key = `${done.length}:${done[done.length - 1]!.t.id}`;
    if (key === this.key) return true;
    this.key = key;
    this.cache.clear();
    const pick = subsetIndices(
      done.map((d) => d.y),
      done.map((d) => d.t.id),
      GP_DEFAULTS.maxPoints,
    ).map((i) => done[i]!);
    const n = pick.length;
    this.mu = pick.reduce((a, d) => a + d.y, 0) / n;
    const v = pick.reduce((a, d) => a + (d.y - this.mu) ** 2, 0) / n;
    this.sd = v > 0 ? Math.sqrt(v) : 1;
    const x = new Float64Array(n * dim);
    pick.forEach((d, i) => encode(space, d.t.params, x, i * dim));
    const isCat = space.dims.map((d) => d.type === "categorical");
    const y = Float64Array.from(pick, (d) => (d.y - this.mu) / this.sd);
    const ids = pick.map((d) => d.t.id);
    const fitKey = `${isCat.join()}|${ids.join()}|${x.join()}|${y.join()}`;
    let post = recentFits.get(fitKey);
    if (post === undefined) {
      const data = { x, y, n, dim, isCat };
      post = new Posterior(data, fitKernelBounded(data, Array.from(y), ids, GP_DEFAULTS.maxFitPoints));
      if (recentFits.size >= RECENT_FITS) recentFits.delete(recentFits.keys().next().value!);
    } else recentFits.delete(fitKey);
    recentFits.set(fitKey, post);
    this.post = post;
    this.space = space;
    return true;
  }

  /** The prediction for a trial's params (null before update() succeeded). */
  predict(id: number, params: TParams): FinalPrediction | null {
    if (this.post === null || this.space === null) return null;
    const hit = this.cache.get(id);
    if (hit) return hit;
    const z = new Float64Array(this.space.dims.length);
    encode(this.space, params, z);
    const p = this.post.predict(z);
    const out = {
      mean: this.mu + this.sd * p.mean,
      variance: this.sd * this.sd * p.variance,
      noise: this.sd * this.sd * this.post.p.noise,
    };
    this.cache.set(id, out);
    return out;
  }
}
