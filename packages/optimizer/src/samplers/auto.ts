import { isFeasibleComplete, usesConstraints } from "../constraints.js";
import { hashSeed, Rng } from "../rng.js";
import type { SampleContext, Sampler, TrialView } from "../trial.js";
import type { CompiledSpace, TParams } from "../space.js";
import { CMAES_DEFAULTS, CmaesSampler } from "./cmaes.js";
import { GP_DEFAULTS, GpSampler } from "./gp.js";
import { NSGA2_DEFAULTS, Nsga2Sampler } from "./nsga2.js";
import { createPluginSampler, portfolioPlugins } from "./plugins.js";
import { coupledChoice, memberStats, portfolioWeights, type TWeights } from "./portfolio.js";
import { RandomSampler } from "./random.js";
import { cachedNoiseShare, RUGGED_NOISE_SHARE } from "./ruggedness.js";
import { TPE_DEFAULTS, TpeSampler } from "./tpe.js";

/** Trials after which `auto` hands a GP study over to CMA-ES (and TPE) at the latest. */
export const AUTO_GP_UNTIL = 500;
/** The earliest trial at which a stalled GP phase is handed over: shorter studies never are. */
export const AUTO_HANDOVER_FROM = 250;
/** The trials over which the GP phase's progress is judged (several CMA-ES generations). */
export const HANDOVER_WINDOW = 50;
/** Stalled: the window moved the best by less than this share of (median loss - best). */
export const HANDOVER_STALL = 1e-3;
/**
 * The GP as a member after the hand-over: conditioned on the best 75 and the latest 75 trials
 * (fit on 100) instead of 300 (fit on 150). At 1,000 trials of hartmann6 (loaded 2-core box,
 * CPU time) a GP ask took 180-260 ms with 300 points and 155-175 ms with 150, against 3-20 ms
 * for a CMA-ES ask: after the hand-over the GP gets asks only as it earns them.
 */
const AUTO_LATE_GP = { maxPoints: 150, maxFitPoints: 100 };
/**
 * Where a study whose first trials show a rugged landscape (ruggedness.ts) is handed over:
 * judged on the first AUTO_RUGGED_AT trials once they all finished, so 100-trial studies
 * propose what they did before.
 */
export const AUTO_RUGGED_AT = 100;
/** Trials after which `auto` hands a multi-objective study from TPE to NSGA-II. */
export const AUTO_MO_TPE_UNTIL = 300;
/** Above this many parameters the GP's ARD fit gets data-starved at typical budgets: TPE. */
export const AUTO_GP_MAX_DIMS = 16;

export type TAutoChoice = "tpe" | "gp" | "cmaes" | "nsga2";

/**
 * Which sampler `auto` uses for the trial at position nKnown. A pure function of the space,
 * the number of known trials and the hand-over point (autoHandover, itself a function of the
 * trials), so a study rebuilt from the database picks the same one.
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
 * - After the hand-over (at AUTO_RUGGED_AT where the first trials show a rugged landscape,
 *   else autoHandover: once the GP phase stalls, from AUTO_HANDOVER_FROM trials, at
 *   AUTO_GP_UNTIL at the latest): CMA-ES for all-numeric spaces (started from the
 *   best trial with the step size and shape of the best tenth's spread, its generations made
 *   of the trials it proposed); in mixed and conditional spaces CMA-ES on the numeric params
 *   of the best trial's categorical choices and TPE take turns. Both keep ask() cheap however
 *   long the study runs.
 * - Constrained studies (some trial has constraints): the same, except that TPE takes
 *   CMA-ES's place, which has no use for constraints. TPE, GP and NSGA-II use them.
 *
 * For single-objective studies outside the TPE-only case this schedule is the prior of an
 * online portfolio (portfolio.ts) that moves asks to the member finding good points.
 */
export function chooseAuto(
  space: CompiledSpace,
  nObjectives: number,
  nKnown: number,
  constrained = false,
  handover: number | null = nKnown >= AUTO_GP_UNTIL ? AUTO_GP_UNTIL : null,
): TAutoChoice {
  const p = pick(space, nObjectives, nKnown, constrained, handover);
  return p === "portfolioTpe" ? "tpe" : p;
}

/**
 * The trial count at which the GP phase ended, or null while it goes on: the first n from
 * AUTO_HANDOVER_FROM at which the last HANDOVER_WINDOW trials improved the best by less than
 * HANDOVER_STALL of the scale of the values (the median of the first AUTO_HANDOVER_FROM
 * trials' losses minus the best), else AUTO_GP_UNTIL. From the complete feasible trials in id
 * order as they stand now, like the portfolio's weights. Why: at 1,000 trials the GP phase
 * made no progress between trials 250 and 500 on hartmann6 (5 of 5 seeds) and trid6 (3 of 5),
 * while CMA-ES from there went on converging (BENCHMARKS.md, "The hand-over decided by the
 * study"); a phase still finding better basins (improvements of a fair share of the scale)
 * keeps going.
 */
export function autoHandover(trials: readonly TrialView[], nKnown: number): number | null {
  if (nKnown < AUTO_HANDOVER_FROM) return null;
  const last = Math.min(nKnown, AUTO_GP_UNTIL, trials.length);
  const bestBefore = new Float64Array(last + 1).fill(Infinity);
  const firstLosses: number[] = [];
  for (let k = 0; k < last; k++) {
    const t = trials[k]!;
    const loss = isFeasibleComplete(t) ? t.loss[0]! : Infinity;
    if (k < AUTO_HANDOVER_FROM && Number.isFinite(loss)) firstLosses.push(loss);
    bestBefore[k + 1] = Math.min(bestBefore[k]!, loss);
  }
  firstLosses.sort((a, b) => a - b);
  const median = firstLosses.length ? firstLosses[Math.floor(firstLosses.length / 2)]! : NaN;
  for (let n = AUTO_HANDOVER_FROM; n <= last; n++) {
    const moved = bestBefore[n - HANDOVER_WINDOW]! - bestBefore[n]!;
    if (moved <= HANDOVER_STALL * (median - bestBefore[n]!)) return n;
  }
  return nKnown >= AUTO_GP_UNTIL ? AUTO_GP_UNTIL : null;
}

/** chooseAuto, telling TPE's turns inside the GP/TPE portfolio apart (see portfolioTpe). */
function pick(
  space: CompiledSpace,
  nObjectives: number,
  nKnown: number,
  constrained: boolean,
  handover: number | null,
): TAutoChoice | "portfolioTpe" {
  if (nObjectives > 1) return nKnown < AUTO_MO_TPE_UNTIL ? "tpe" : "nsga2";
  if (tpeOnly(space)) return "tpe";
  if (handedOver(nKnown, handover)) {
    if (constrained) return "tpe";
    return numericOnly(space) || nKnown % 2 === 0 ? "cmaes" : "tpe";
  }
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

function handedOver(nKnown: number, handover: number | null): boolean {
  return handover !== null && nKnown >= handover;
}

function numericOnly(space: CompiledSpace): boolean {
  return space.nCategorical === 0 && !space.isConditional;
}

/** Trials in which the schedule alternates GP and TPE: 10 per param. */
function explorePhase(space: CompiledSpace): number {
  return 10 * space.dims.length;
}

/** Why `auto` handed its study from the model phase to CMA-ES (see AutoSampler.handoverOf). */
export type THandoverReason = "rugged" | "stalled" | "limit";

/** `auto`'s hand-over: the trial count where the GP phase ended, why, and for "rugged" the share of the variance the GP left to noise. */
export interface THandover {
  trial: number;
  reason: THandoverReason;
  noiseShare: number | null;
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
  private readonly samplers: Record<Exclude<TAutoChoice, "cmaes"> | "portfolioTpe" | "random" | "lateGp", Sampler>;

  /** Plugins registered with `portfolio: true`, as members (single-objective studies only). */
  private readonly plugins: Map<string, Sampler>;

  constructor(
    private readonly space: CompiledSpace,
    private readonly nObjectives: number,
    private readonly noise = false,
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
    const handover = this.handover(ctx.trials, ctx.nKnown);
    const plan = this.plan(ctx.nKnown, constrained, handover);
    if (plan === null) {
      const p = pick(this.space, this.nObjectives, ctx.nKnown, constrained, handover);
      const sampler = p === "cmaes" ? this.member("cmaes", handover) : this.samplers[p];
      return { params: sampler.sample(ctx), proposedBy: p === "portfolioTpe" ? "tpe" : p };
    }
    const rng = new Rng(hashSeed(ctx.seed, 0xa070, ctx.nKnown));
    const weights = this.weightsOf(plan, ctx.trials, ctx.nKnown, handover, rng);
    const member = coupledChoice(plan.scheduled, plan.prior, weights, rng);
    return { params: this.member(member, handover).sample(ctx), proposedBy: member };
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
      const prefix = trials.slice(0, k);
      const handover = this.handover(prefix, k);
      const plan = this.plan(k, constrained, handover);
      if (plan === null) return [];
      out.push({ trials: k, weights: this.weightsOf(plan, prefix, k, handover, new Rng(hashSeed(seed, 0xa070, k))) });
    }
    return out;
  }

  private weightsOf(plan: TPlan, trials: readonly TrialView[], nKnown: number, handover: number | null, rng: Rng): TWeights {
    // After the hand-over every reward of the phase counts: CMA-ES betters the best about once
    // in 20-40 asks there, so a window of 30 often holds none for any member and the draws
    // would spread the asks evenly (portfolio.ts, memberStats).
    const stats = memberStats(trials, plan.members, handedOver(nKnown, handover) ? handover : null);
    return portfolioWeights(stats, plan.prior, explorePhase(this.space), nKnown, rng);
  }

  /**
   * The trial count at which the GP phase ended, or null while it goes on: AUTO_RUGGED_AT where
   * the first trials show a rugged landscape (not on a noisy objective, whose noise the same
   * share measures), else autoHandover's point.
   */
  private handover(trials: readonly TrialView[], nKnown: number): number | null {
    if (!this.learns()) return null;
    if (!this.noise && this.ruggedStart(trials, nKnown)) return AUTO_RUGGED_AT;
    return autoHandover(trials, nKnown);
  }

  private ruggedStart(trials: readonly TrialView[], nKnown: number): boolean {
    const share = this.firstShare(trials, nKnown);
    return share !== null && share > RUGGED_NOISE_SHARE;
  }

  /** The GP's noise share on the first AUTO_RUGGED_AT trials once they all finished, else null (one fit per study and process). */
  private firstShare(trials: readonly TrialView[], nKnown: number): number | null {
    if (nKnown < AUTO_RUGGED_AT || trials.length < AUTO_RUGGED_AT) return null;
    const first = trials.slice(0, AUTO_RUGGED_AT);
    if (first.some((t) => t.state === "running")) return null;
    return cachedNoiseShare(this.space, first);
  }

  /**
   * Where and why the study left its model phase, from the trials as they stand; null before
   * that, and where the portfolio does not learn. "limit": the GP phase ran to AUTO_GP_UNTIL.
   */
  handoverOf(trials: readonly TrialView[]): THandover | null {
    const trial = this.handover(trials, trials.length);
    if (trial === null) return null;
    if (trial === AUTO_RUGGED_AT) return { trial, reason: "rugged", noiseShare: this.firstShare(trials, trials.length) };
    return { trial, reason: trial < AUTO_GP_UNTIL ? "stalled" : "limit", noiseShare: null };
  }

  /** Whether the portfolio learns here (single-objective studies outside the TPE-only case). */
  private learns(): boolean {
    return this.nObjectives === 1 && !tpeOnly(this.space);
  }

  /** The schedule at this trial as a prior, or null where `auto` follows its schedule alone. */
  private plan(nKnown: number, constrained: boolean, handover: number | null): TPlan | null {
    if (!this.learns()) return null;
    const p = pick(this.space, this.nObjectives, nKnown, constrained, handover);
    const numeric = numericOnly(this.space);
    const after = handedOver(nKnown, handover);
    // CMA-ES is a member wherever it can use the trials: before the hand-over only in
    // all-numeric spaces (off the schedule), after it in mixed ones too; never with constraints.
    const cmaes = !constrained && (numeric || after);
    const members = ["gp", "tpe", "random", ...(cmaes ? ["cmaes"] : []), ...this.plugins.keys()];
    if (after && !constrained)
      return numeric
        ? { scheduled: "cmaes", prior: { cmaes: 1 }, members }
        : { scheduled: p, prior: { cmaes: 0.5, tpe: 0.5 }, members };
    if (p === "tpe") return { scheduled: "tpe", prior: { tpe: 1 }, members };
    const gpShare = nKnown < explorePhase(this.space) ? 0.5 : 0.75;
    return { scheduled: p === "gp" ? "gp" : "tpe", prior: { gp: gpShare, tpe: 1 - gpShare }, members };
  }

  /** A member by name, as it samples before or after the hand-over (null: not yet). */
  private member(name: string, handover: number | null): Sampler {
    if (name === "tpe") return handover === null ? this.samplers.portfolioTpe : this.samplers.tpe;
    if (name === "gp") return handover === null ? this.samplers.gp : this.samplers.lateGp;
    if (name === "cmaes") {
      // Stateless (it replays the trials), so built per ask with its start: the hand-over's
      // trials. Before the hand-over (the portfolio trying it off the schedule) it samples
      // around the best trial so far, as a hand-over at AUTO_GP_UNTIL would start it.
      const startAfter = handover ?? AUTO_GP_UNTIL;
      return new CmaesSampler({
        ...CMAES_DEFAULTS,
        startAfter,
        member: "cmaes",
        categoricals: "incumbent",
        startShape: handover !== AUTO_RUGGED_AT,
      });
    }
    if (name === "random") return this.samplers.random;
    return this.plugins.get(name)!;
  }
}
