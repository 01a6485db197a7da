import { FinalValueModel } from "../final-model.js";
import { hashSeed } from "../rng.js";
import type { PruneContext, Pruner, TrialView } from "../trial.js";
import { crossesGridStep, HalvingPruner } from "./halving.js";
import { bad, optBool, optInt, type TRawPrunerConfig } from "./options.js";

/**
 * Hyperband (Li et al. 2017) over ASHA brackets: bracket s halves from rung
 * minResource * eta^s; each trial joins one bracket, drawn from its id with the classic
 * allocation n_s ~ (s_max+1)/(s+1) * eta^s, and only competes inside it. With forecasts
 * the brackets share one model of final values, which may stop a trial of any bracket from
 * its first report (HalvingPruner's predictBelowFirstRung).
 */
export class HyperbandPruner implements Pruner {
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

export function createHyperbandPruner(cfg: TRawPrunerConfig<"hyperband">, at: string): HyperbandPruner {
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
