import { usesConstraints } from "../constraints.js";
import { hashSeed, Rng } from "../rng.js";
import type { SampleContext, Sampler, TrialView } from "../trial.js";
import type { CompiledSpace, TParams } from "../space.js";
import { CMAES_DEFAULTS, CmaesSampler } from "./cmaes.js";
import { GP_DEFAULTS, GpSampler } from "./gp.js";
import { NSGA2_DEFAULTS, Nsga2Sampler } from "./nsga2.js";
import { createPluginSampler, portfolioPlugins } from "./plugins.js";
import { coupledChoice, memberStats, portfolioWeights, type TWeights } from "./portfolio.js";
import { RandomSampler } from "./random.js";
import { TPE_DEFAULTS, TpeSampler } from "./tpe.js";

/** Trials after which `auto` hands a GP study over to CMA-ES (all-numeric) or TPE. */
export const AUTO_GP_UNTIL = 500;
/**
 * The GP as a member after the hand-over: conditioned on the best 75 and the latest 75 trials
 * (fit on 100) instead of 300 (fit on 150). At 1,000 trials of hartmann6 (loaded 2-core box,
 * CPU time) a GP ask took 180-260 ms with 300 points and 155-175 ms with 150, against 3-20 ms
 * for a CMA-ES ask: after the hand-over the GP gets asks only as it earns them.
 */
const AUTO_LATE_GP = { maxPoints: 150, maxFitPoints: 100 };
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
 *   with the step size and shape of the best tenth's spread, its generations made of the
 *   trials it proposed), TPE otherwise; both keep ask() cheap however long the study runs.
 * - Constrained studies (some trial has constraints): the same, except that TPE takes
 *   CMA-ES's place, which has no use for constraints. TPE, GP and NSGA-II use them.
 *
 * For single-objective studies outside the TPE-only case this schedule is the prior of an
 * online portfolio (portfolio.ts) that moves asks to the member finding good points.
 */
export function chooseAuto(space: CompiledSpace, nObjectives: number, nKnown: number, constrained = false): TAutoChoice {
  const p = pick(space, nObjectives, nKnown, constrained);
  return p === "portfolioTpe" ? "tpe" : p;
}

/** chooseAuto, telling TPE's turns inside the GP/TPE portfolio apart (see portfolioTpe). */
function pick(space: CompiledSpace, nObjectives: number, nKnown: number, constrained: boolean): TAutoChoice | "portfolioTpe" {
  if (nObjectives > 1) return nKnown < AUTO_MO_TPE_UNTIL ? "tpe" : "nsga2";
  if (tpeOnly(space)) return "tpe";
  if (nKnown >= AUTO_GP_UNTIL) return space.nCategorical === 0 && !space.isConditional && !constrained ? "cmaes" : "tpe";
  const explore = nKnown < explorePhase(space);
  const tpeTurn = explore ? nKnown % 2 === 1 : nKnown % 4 === 3;
  return tpeTurn ? "portfolioTpe" : "gp";
}

/** Categorical-dominated spaces (more categorical than numeric params, or a choice list longer than 8) or many params. */
function tpeOnly(space: CompiledSpace): boolean {
  const dims = space.dims.length;
  const cats = space.dims.filter((d) => d.type === "categorical");
  return cats.length > dims - cats.length || cats.some((d) => d.size > 8) || dims > AUTO_GP_MAX_DIMS;
}

/** Trials in which the schedule alternates GP and TPE: 10 per param. */
function explorePhase(space: CompiledSpace): number {
  return 10 * space.dims.length;
}

/** One point of the portfolio's weights (Optimizer.portfolio): after `trials` trials, each member's share of the asks. */
export interface TPortfolioPoint {
  trials: number;
  weights: TWeights;
}

/** The portfolio's view of one ask: the schedule's member, its shares (the prior) and the members. */
interface TPlan {
  scheduled: string;
  prior: TWeights;
  members: string[];
}

export class AutoSampler implements Sampler {
  private readonly samplers: Record<TAutoChoice | "portfolioTpe" | "random" | "lateGp", Sampler>;

  /** Plugins registered with `portfolio: true`, as members (single-objective studies only). */
  private readonly plugins: Map<string, Sampler>;

  constructor(
    private readonly space: CompiledSpace,
    private readonly nObjectives: number,
    noise = false,
  ) {
    this.samplers = {
      tpe: new TpeSampler(TPE_DEFAULTS),
      /**
       * TPE's turns inside the GP/TPE portfolio: g with Scott bandwidths like l (TPE as it was
       * before g took per-observation bandwidths). Its proposals are there to recombine good coordinates for the GP to refine; the
       * GP's expected improvement explores. Measured (BENCHMARKS.md, bench/NOTES.md): with the
       * exploring default TPE in its turns the portfolio lost on 7 of the suite's 8 functions
       * (ackley5 7.7 against 5.8), where alone that TPE is the better one.
       */
      portfolioTpe: new TpeSampler({ ...TPE_DEFAULTS, gBandwidth: "scott" }),
      gp: new GpSampler({ ...GP_DEFAULTS, noise }),
      lateGp: new GpSampler({ ...GP_DEFAULTS, ...AUTO_LATE_GP, noise }),
      nsga2: new Nsga2Sampler(NSGA2_DEFAULTS),
      cmaes: new CmaesSampler({ ...CMAES_DEFAULTS, startAfter: AUTO_GP_UNTIL, member: "cmaes" }),
      random: new RandomSampler(),
    };
    const plugins = nObjectives === 1 ? portfolioPlugins() : [];
    this.plugins = new Map(plugins.map((p) => [p.name, createPluginSampler(p, {}, 1)]));
  }

  sample(ctx: SampleContext): TParams {
    return this.propose(ctx).params;
  }

  propose(ctx: SampleContext): { params: TParams; proposedBy: string } {
    const constrained = usesConstraints(ctx.trials);
    const plan = this.plan(ctx.nKnown, constrained);
    if (plan === null) {
      const p = pick(this.space, this.nObjectives, ctx.nKnown, constrained);
      return { params: this.samplers[p].sample(ctx), proposedBy: p === "portfolioTpe" ? "tpe" : p };
    }
    const rng = new Rng(hashSeed(ctx.seed, 0xa070, ctx.nKnown));
    const weights = this.weightsOf(plan, ctx.trials, ctx.nKnown, rng);
    const member = coupledChoice(plan.scheduled, plan.prior, weights, rng);
    return { params: this.member(member, ctx.nKnown).sample(ctx), proposedBy: member };
  }

  /**
   * The weights as the study went on, at about `points` trial counts (each from the trials
   * before it, as they stand now: a trial running then may have finished since); empty where
   * the portfolio does not learn (multi-objective or TPE-only studies).
   */
  history(trials: readonly TrialView[], seed: number, points = 60): TPortfolioPoint[] {
    if (trials.length === 0) return [];
    const constrained = usesConstraints(trials);
    const out: TPortfolioPoint[] = [];
    const stride = Math.max(1, Math.ceil(trials.length / points));
    const ks = [...Array(Math.floor(trials.length / stride) + 1).keys()].map((i) => i * stride);
    if (ks.at(-1) !== trials.length) ks.push(trials.length);
    for (const k of ks) {
      const plan = this.plan(k, constrained);
      if (plan === null) return [];
      const prefix = trials.slice(0, k);
      out.push({ trials: k, weights: this.weightsOf(plan, prefix, k, new Rng(hashSeed(seed, 0xa070, k))) });
    }
    return out;
  }

  private weightsOf(plan: TPlan, trials: readonly TrialView[], nKnown: number, rng: Rng): TWeights {
    const stats = memberStats(trials, plan.members);
    return portfolioWeights(stats, plan.prior, explorePhase(this.space), nKnown, rng);
  }

  /** The schedule at this trial as a prior, or null where `auto` follows its schedule alone. */
  private plan(nKnown: number, constrained: boolean): TPlan | null {
    const p = pick(this.space, this.nObjectives, nKnown, constrained);
    if (this.nObjectives > 1 || tpeOnly(this.space)) return null;
    const numeric = this.space.nCategorical === 0 && !this.space.isConditional && !constrained;
    const members = ["gp", "tpe", "random", ...(numeric ? ["cmaes"] : []), ...this.plugins.keys()];
    if (p === "cmaes") return { scheduled: "cmaes", prior: { cmaes: 1 }, members };
    if (p === "tpe") return { scheduled: "tpe", prior: { tpe: 1 }, members };
    const gpShare = nKnown < explorePhase(this.space) ? 0.5 : 0.75;
    return { scheduled: p === "gp" ? "gp" : "tpe", prior: { gp: gpShare, tpe: 1 - gpShare }, members };
  }

  private member(name: string, nKnown: number): Sampler {
    if (name === "tpe") return nKnown < AUTO_GP_UNTIL ? this.samplers.portfolioTpe : this.samplers.tpe;
    if (name === "gp" && nKnown >= AUTO_GP_UNTIL) return this.samplers.lateGp;
    if (name === "gp" || name === "cmaes" || name === "random") return this.samplers[name];
    return this.plugins.get(name)!;
  }
}
