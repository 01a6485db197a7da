import type { PruneContext, Pruner } from "../trial.js";
import { show } from "./curve.js";
import { bad, optInt, optNum, type TRawPrunerConfig } from "./options.js";

/** Prune when a report falls outside [lower, upper], in the metric's own units. */
export class ThresholdPruner implements Pruner {
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

export function createThresholdPruner(cfg: TRawPrunerConfig<"threshold">, at: string): ThresholdPruner {
  const lower = optNum(cfg, "lower", -Infinity);
  const upper = optNum(cfg, "upper", Infinity);
  if (cfg.lower === undefined && cfg.upper === undefined) bad(`${at}: needs lower and/or upper`);
  if (lower! > upper!) bad(`${at}: lower (${lower}) must be <= upper (${upper})`);
  return new ThresholdPruner(lower!, upper!, optInt(cfg, "nWarmupSteps", 0, 0), optInt(cfg, "intervalSteps", 1, 1));
}
