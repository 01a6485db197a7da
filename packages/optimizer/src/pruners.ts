import { PRUNER_NAMES, type TPrunerConfig } from "./config.js";
import { OptimizerError } from "./errors.js";
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
  shouldPrune({ trial, step, trials }: PruneContext): boolean {
    if (step < this.nWarmup) return false;
    if ((step - this.nWarmup) % this.interval !== 0) return false;
    const done = trials.filter((t) => t.state === "complete" && t.id !== trial.id);
    if (done.length < this.nStartup) return false;
    const vals: number[] = [];
    for (const t of done) {
      const v = valueAtOrBefore(t, step);
      if (v !== null) vals.push(v);
    }
    if (vals.length < this.nMin || vals.length === 0) return false;
    vals.sort((a, b) => a - b);
    return bestSoFar(trial, step) > percentileOf(vals, this.p);
  }
}

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
  ) {}

  private resolveMin(trials: readonly TrialView[]): number | null {
    if (this.minResource !== "auto") return this.minResource;
    const first = trials.find((t) => t.state === "complete" && t.intermediate.length > 0);
    if (!first) return null;
    return Math.max(1, Math.floor(first.intermediate[first.intermediate.length - 1]![0] / 100));
  }

  shouldPrune({ trial, step, trials }: PruneContext): boolean {
    const minR = this.resolveMin(trials);
    if (minR === null) return false;
    const prevSteps = trial.intermediate.filter(([s]) => s < step);
    const prevStep = prevSteps.length > 0 ? prevSteps[prevSteps.length - 1]![0] : -Infinity;
    for (let r = 0; ; r++) {
      const rungStep = minR * Math.pow(this.eta, this.mesr + r);
      if (rungStep > step) return false;
      if (rungStep <= prevStep) continue; // passed earlier
      const value = valueAtFirstCross(trial, rungStep)!;
      const competing: number[] = [];
      for (const t of trials) {
        if (!this.sameGroup(trial, t)) continue;
        const v = t.id === trial.id ? value : valueAtFirstCross(t, rungStep);
        if (v !== null) competing.push(v);
      }
      if (competing.length <= this.bootstrap) return true;
      competing.sort((a, b) => a - b);
      let k = Math.floor(competing.length / this.eta) - 1;
      if (k < 0) k = 0; // fewer than eta trials: only the best so far continues
      if (!(value <= competing[k]!)) return true;
    }
  }
}

function valueAtFirstCross(t: TrialView, rungStep: number): number | null {
  for (const [s, v] of t.intermediate) if (s >= rungStep) return v;
  return null;
}

/**
 * Hyperband (Li et al. 2017) over ASHA brackets: bracket s halves from rung
 * minResource * eta^s; each trial joins one bracket, drawn from its id with the classic
 * allocation n_s ~ (s_max+1)/(s+1) * eta^s, and only competes inside it.
 */
class HyperbandPruner implements Pruner {
  constructor(
    private readonly minResource: number,
    private readonly maxResource: number | "auto",
    private readonly eta: number,
    private readonly bootstrap: number,
  ) {}
  private brackets(trials: readonly TrialView[]): { pruners: HalvingPruner[]; bracketOf: (t: TrialView) => number } | null {
    let maxR = this.maxResource;
    if (maxR === "auto") {
      const first = trials.find((t) => t.state === "complete" && t.intermediate.length > 0);
      if (!first) return null;
      maxR = first.intermediate[first.intermediate.length - 1]![0];
    }
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
    const pruners = weights.map((_, i) => new HalvingPruner(this.minResource, this.eta, i, this.bootstrap, same));
    return { pruners, bracketOf };
  }
  shouldPrune(ctx: PruneContext): boolean {
    const b = this.brackets(ctx.trials);
    if (b === null) return false;
    return b.pruners[b.bracketOf(ctx.trial)]!.shouldPrune(ctx);
  }
}

/** Prune after `patience` reported steps without an improvement larger than minDelta (optionally only if `wrapped` agrees). */
class PatiencePruner implements Pruner {
  constructor(
    private readonly patience: number,
    private readonly minDelta: number,
    private readonly wrapped: Pruner | null,
  ) {}
  shouldPrune(ctx: PruneContext): boolean {
    const vals = ctx.trial.intermediate.filter(([s]) => s <= ctx.step).map(([, v]) => v);
    if (vals.length <= this.patience) return false;
    // Best before the last `patience` reports vs best within them: no gain > minDelta -> stale.
    const before = Math.min(...vals.slice(0, vals.length - this.patience));
    const after = this.patience === 0 ? vals[vals.length - 1]! : Math.min(...vals.slice(vals.length - this.patience));
    if (before - after > this.minDelta) return false;
    return this.wrapped === null ? true : this.wrapped.shouldPrune(ctx);
  }
}

class ThresholdPruner implements Pruner {
  constructor(
    private readonly lower: number,
    private readonly upper: number,
    private readonly nWarmup: number,
    private readonly interval: number,
  ) {}
  shouldPrune({ trial, step, sign }: PruneContext): boolean {
    if (step < this.nWarmup || (step - this.nWarmup) % this.interval !== 0) return false;
    const last = trial.intermediate.find(([s]) => s === step);
    if (!last) return false;
    const v = sign * last[1];
    return v < this.lower || v > this.upper;
  }
}

class NonePruner implements Pruner {
  shouldPrune(): boolean {
    return false;
  }
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
    successive_halving: ["minResource", "reductionFactor", "minEarlyStoppingRate", "bootstrapCount"],
    asha: ["minResource", "reductionFactor", "minEarlyStoppingRate", "bootstrapCount"],
    hyperband: ["minResource", "maxResource", "reductionFactor", "bootstrapCount"],
    patience: ["patience", "minDelta", "wrapped"],
    threshold: ["lower", "upper", "nWarmupSteps", "intervalSteps"],
  };
  for (const k of Object.keys(cfg)) if (k !== "name" && !keys[cfg.name].includes(k)) bad(`${at}.${k}: not an option of the ${cfg.name} pruner`);
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
      return new HalvingPruner(mr ?? 1, eta, optInt(cfg, "minEarlyStoppingRate", 0, 0), optInt(cfg, "bootstrapCount", 0, 0));
    }
    case "hyperband": {
      const minR = optInt(cfg, "minResource", 1, 1);
      const maxR = cfg.maxResource;
      if (maxR !== undefined && maxR !== "auto" && !(typeof maxR === "number" && Number.isInteger(maxR) && maxR >= minR))
        bad(`${at}.maxResource: must be "auto" or an integer >= minResource`);
      return new HyperbandPruner(minR, maxR ?? "auto", optInt(cfg, "reductionFactor", 3, 2), optInt(cfg, "bootstrapCount", 0, 0));
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
