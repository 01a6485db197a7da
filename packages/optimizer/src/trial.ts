import type { CompiledSpace, TParams } from "./space.js";
import type { Rng } from "./rng.js";

export type TTrialState = "running" | "complete" | "pruned" | "failed";

/** What samplers and pruners see of a trial. Values are oriented so that smaller is better. */
export interface TrialView {
  id: number;
  params: TParams;
  state: TTrialState;
  /** Per objective, minimize-oriented; null unless the trial completed with a value. */
  loss: number[] | null;
  /** [step, minimize-oriented value], ascending by step. */
  intermediate: Array<[number, number]>;
  /** Per-constraint violations (≤ 0 when satisfied, Optuna's convention), or null when none were told. */
  constraints: number[] | null;
  /**
   * Which sampler proposed the params (`auto`'s member: `gp`, `tpe`, `cmaes`, `random`, a
   * plugin's name); null or absent when unknown (enqueued by a user, loaded without it).
   */
  proposedBy?: string | null;
  /**
   * Samplers' cache of the params' model coordinates, per group of dims (parzen-estimator.ts coordsOf).
   * Derived from params, which never change once a trial exists; never serialized.
   */
  coords?: Map<string, Float64Array>;
}

export interface SampleContext {
  space: CompiledSpace;
  nObjectives: number;
  /** Every known trial (pending ones included), ascending by id. */
  trials: readonly TrialView[];
  rng: Rng;
  /** The study seed and the number of known trials, for samplers that derive sub-seeds. */
  seed: number;
  nKnown: number;
}

/**
 * What every sampler implements, the built-ins and a deployment's plugins (samplers/plugins.ts)
 * alike. `sample` must be a pure function of `ctx`: the trials (pending ones included, state
 * "running"), the seeded `rng` and `nKnown`. The platform rebuilds the optimizer from its
 * database for each ask, so a sampler that kept state between calls would propose differently
 * after a restart; derive everything from the history instead (CMA-ES replays its
 * generations). It returns a value for every active param of `ctx.space` (a conditional
 * param whose `when` does not hold is left out); the optimizer checks a plugin's answer
 * against the space before it stores it.
 */
export interface Sampler {
  sample(ctx: SampleContext): TParams;
  /**
   * A sampler made of others (`auto`): the params and which member proposed them, recorded
   * as the trial's `proposedBy`. Absent: the sampler's own name is recorded.
   */
  propose?(ctx: SampleContext): { params: TParams; proposedBy: string };
}

export interface PruneContext {
  trial: TrialView;
  step: number;
  trials: readonly TrialView[];
  /** +1 when the study minimizes, -1 when it maximizes (to turn losses back into metric units). */
  sign: 1 | -1;
  /** The study's space, for pruners that relate a trial's params to finished trials'. */
  space?: CompiledSpace;
}

export interface Pruner {
  /** Why the trial should stop at this report (one sentence, in the metric's units), or null to let it go on. */
  decide(ctx: PruneContext): string | null;
  /**
   * False when no history could make decide() stop the trial at `step`, its previous report
   * being at `prevStep` (-Infinity for its first): a caller that reads the study's history
   * only to decide can skip reading it. Absent: any step may decide.
   */
  mayDecide?(step: number, prevStep: number): boolean;
  /**
   * True when decide() may fit a model of the finished trials (10 ms to 1 s for hundreds of
   * trials): a server runs such decisions off its event loop. Absent: it fits none.
   */
  fitsModel?(): boolean;
}

/** The last reported intermediate loss, or null. */
export function lastIntermediate(t: TrialView): [number, number] | null {
  return t.intermediate.length > 0 ? t.intermediate[t.intermediate.length - 1]! : null;
}
