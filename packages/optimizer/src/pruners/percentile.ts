import type { PruneContext, Pruner } from "../trial.js";
import { bestSoFar, show, valueAtOrBefore } from "./curve.js";
import { bad, optInt, type TRawPrunerConfig } from "./options.js";

function percentileOf(sorted: number[], p: number): number {
  // Linear interpolation, as numpy.percentile.
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median/percentile rule: prune when the trial's best value so far is worse than the p-th percentile of finished trials at this step. */
export class PercentilePruner implements Pruner {
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

/** `median` is `percentile` at 50. */
export function createPercentilePruner(cfg: TRawPrunerConfig<"median" | "percentile">, at: string): PercentilePruner {
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
