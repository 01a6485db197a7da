import { usesConstraints } from "../constraints.js";
import type { SampleContext, Sampler } from "../trial.js";
import type { CompiledSpace, TParams } from "../space.js";
import { CMAES_DEFAULTS, CmaesSampler } from "./cmaes.js";
import { GP_DEFAULTS, GpSampler } from "./gp.js";
import { NSGA2_DEFAULTS, Nsga2Sampler } from "./nsga2.js";
import { TPE_DEFAULTS, TpeSampler } from "./tpe.js";

/** Trials after which `auto` hands a GP study over to CMA-ES (all-numeric) or TPE. */
export const AUTO_GP_UNTIL = 500;
/** Trials after which `auto` hands a multi-objective study from TPE to NSGA-II. */
export const AUTO_MO_TPE_UNTIL = 300;
/** Above this many parameters the GP's ARD fit gets data-starved at typical budgets: TPE. */
export const AUTO_GP_MAX_DIMS = 16;

export type TAutoChoice = "tpe" | "gp" | "cmaes" | "nsga2";

/**
 * Which sampler `auto` uses for the trial at position nKnown. A pure function of the space
 * and the number of known trials, so a study rebuilt from the database picks the same one.
 *
 * - Multi-objective: TPE (MOTPE-style ranking) early, NSGA-II for long runs.
 * - Categorical-dominated spaces (more categorical than numeric params, or a choice list
 *   longer than 8) or more than 16 params: TPE, whose Parzen estimators handle them natively.
 * - Otherwise (continuous, integer, small categorical, small conditional spaces) a GP/TPE
 *   portfolio: for the first 10 trials per parameter GP and TPE alternate, then the GP
 *   proposes three trials in four. Both models see every trial. Why a portfolio: on the
 *   suite the GP alone won by orders of magnitude on smooth functions but lost to TPE on a
 *   separable multimodal one (styblinski_tang8: GP ~85, TPE ~66); alternating gave ~60 there,
 *   since TPE's recombination of good coordinates finds better basins that the GP then
 *   refines, while costing the GP little on smooth ones (hartmann6 7e-5 vs 6e-5 alone).
 * - After AUTO_GP_UNTIL trials: CMA-ES for all-numeric spaces (started from the best trial
 *   with a step size from the spread of the best tenth), TPE otherwise; both keep ask()
 *   cheap however long the study runs.
 * - Constrained studies (some trial has constraints): the same, except that TPE takes
 *   CMA-ES's place, which has no use for constraints. TPE, GP and NSGA-II use them.
 */
export function chooseAuto(space: CompiledSpace, nObjectives: number, nKnown: number, constrained = false): TAutoChoice {
  const p = pick(space, nObjectives, nKnown, constrained);
  return p === "portfolioTpe" ? "tpe" : p;
}

/** chooseAuto, telling TPE's turns inside the GP/TPE portfolio apart (see portfolioTpe). */
function pick(space: CompiledSpace, nObjectives: number, nKnown: number, constrained: boolean): TAutoChoice | "portfolioTpe" {
  if (nObjectives > 1) return nKnown < AUTO_MO_TPE_UNTIL ? "tpe" : "nsga2";
  const dims = space.dims.length;
  const cats = space.dims.filter((d) => d.type === "categorical");
  if (cats.length > dims - cats.length || cats.some((d) => d.size > 8) || dims > AUTO_GP_MAX_DIMS) return "tpe";
  if (nKnown >= AUTO_GP_UNTIL) return cats.length === 0 && !space.isConditional && !constrained ? "cmaes" : "tpe";
  const explore = nKnown < 10 * dims;
  const tpeTurn = explore ? nKnown % 2 === 1 : nKnown % 4 === 3;
  return tpeTurn ? "portfolioTpe" : "gp";
}

export class AutoSampler implements Sampler {
  private readonly samplers: Record<TAutoChoice | "portfolioTpe", Sampler> = {
    tpe: new TpeSampler(TPE_DEFAULTS),
    /**
     * TPE's turns inside the GP/TPE portfolio: g with Scott bandwidths like l (TPE as it was
     * before g took per-observation bandwidths). Its proposals are there to recombine good coordinates for the GP to refine; the
     * GP's expected improvement explores. Measured (BENCHMARKS.md, bench/NOTES.md): with the
     * exploring default TPE in its turns the portfolio lost on 7 of the suite's 8 functions
     * (ackley5 7.7 against 5.8), where alone that TPE is the better one.
     */
    portfolioTpe: new TpeSampler({ ...TPE_DEFAULTS, gBandwidth: "scott" }),
    gp: new GpSampler(GP_DEFAULTS),
    nsga2: new Nsga2Sampler(NSGA2_DEFAULTS),
    cmaes: new CmaesSampler({ ...CMAES_DEFAULTS, startAfter: AUTO_GP_UNTIL }),
  };

  constructor(
    private readonly space: CompiledSpace,
    private readonly nObjectives: number,
  ) {}

  sample(ctx: SampleContext): TParams {
    return this.samplers[pick(this.space, this.nObjectives, ctx.nKnown, usesConstraints(ctx.trials))].sample(ctx);
  }
}
