import type { TDirection, TPluginSamplerConfig, TPrunerConfig, TSamplerConfig } from "./config.js";
import type { TImprovementPoint } from "./improvement.js";
import type { THandover, TPortfolioPoint } from "./samplers/auto.js";
import type { TParams, TSpace } from "./space.js";
import type { TTrialState } from "./trial.js";

/** The optimizer's public types: its config, the trials it takes and gives, and its interface (optimizer.ts implements it). */

export interface TOptimizerConfig {
  space: TSpace;
  /** One direction, or one per objective for multi-objective studies. Default "minimize". */
  direction?: TDirection | TDirection[];
  /** Default { name: "auto" } with a random seed (kept in serialize()); a registered plugin's name too. */
  sampler?: TSamplerConfig | TPluginSamplerConfig;
  /** Default { name: "none" }. */
  pruner?: TPrunerConfig;
}

export type TValue = number | number[];

export interface TAskedTrial {
  id: number;
  params: TParams;
  /** Which sampler proposed the params: the configured one's name, or `auto`'s member (`gp`, `tpe`, ...). */
  proposedBy: string;
}

export interface THistoryTrial {
  id: number;
  params: TParams;
  state: TTrialState;
  value?: TValue | null;
  intermediate?: Array<[number, number]>;
  /** Per-constraint violations, ≤ 0 when satisfied; absent when the trial has none. */
  constraints?: number[];
  /** Which sampler proposed it (TAskedTrial.proposedBy); `auto` learns from its members' trials. */
  proposedBy?: string | null;
}

export const IMPORTANCE_METHODS = ["fanova", "ped-anova"] as const;
export type TImportanceMethod = (typeof IMPORTANCE_METHODS)[number];

export interface TImportanceOptions {
  /** Which objective of a multi-objective study (default 0). */
  objective?: number;
  /**
   * "fanova" (default): each param's share of the objective's variance, from a random forest.
   * "ped-anova": how much each param matters for reaching the best 10% of the values
   * (Watanabe et al. 2023; no model fit, so cheap on large studies).
   */
  method?: TImportanceMethod;
}

/** tell()'s optional extras. */
export interface TTellExtra {
  /**
   * One violation per constraint, ≤ 0 when it holds (Optuna's constraints_func convention).
   * Every trial that has constraints has the same number of them. Infeasible trials are kept
   * and fed to the samplers that use them (tpe, gp, nsga2, auto), never best().
   */
  constraints?: number[];
}

export interface TBest {
  id: number;
  params: TParams;
  value: TValue;
}

export interface TSerializedOptimizer {
  version: 1;
  config: {
    space: TSpace;
    direction: TDirection | TDirection[];
    sampler: TSamplerConfig | TPluginSamplerConfig;
    pruner: TPrunerConfig;
  };
  trials: THistoryTrial[];
}

/** report()'s answer: stop the trial or not, and why (in the metric's units) when it should. */
export interface TReportResult {
  prune: boolean;
  reason?: string;
}

export interface Optimizer {
  ask(options?: { id?: number }): TAskedTrial;
  report(id: number, step: number, value: number): TReportResult;
  tell(id: number, value: TValue | null, state?: "complete" | "pruned" | "failed", extra?: TTellExtra): void;
  addTrial(trial: THistoryTrial): void;
  best(): TBest | null;
  /**
   * Single-objective studies: the evaluated trial a GP with a fitted noise term predicts best,
   * its predicted value and the noise's standard deviation (objective units); null below 10
   * complete feasible trials. On a noisy objective, report this beside best() (the luckiest draw).
   */
  bestPredicted(): (TBest & { predicted: number; noiseSd: number }) | null;
  /** Pareto-optimal complete feasible trials (the single best one for single-objective studies). */
  bestTrials(): TBest[];
  /** { [param]: share }, shares summing to 1, on the complete trials. */
  importance(options?: TImportanceOptions): Record<string, number>;
  /**
   * How much the best value could still improve, as the study went on (a GP regret bound, see
   * improvement.ts); empty below 20 complete trials and for multi-objective studies.
   */
  improvement(): TImprovementPoint[];
  /** The same estimate for all complete trials only (one model fit): empty where improvement() is. */
  improvementNow(): TImprovementPoint[];
  /**
   * `auto`'s portfolio weights as the study went on (each member's share of the asks after
   * that many trials); empty for other samplers and where `auto` follows its schedule alone.
   */
  portfolio(): TPortfolioPoint[];
  /**
   * `auto`'s hand-over from its model phase (GP and TPE) to CMA-ES: the trial count, why
   * ("rugged": the first 100 trials showed a rugged landscape, with the share of the variance
   * the GP left to noise; "stalled": the GP phase stopped improving; "limit": it ran to 500),
   * from the trials as they stand; null before it and for other samplers.
   */
  handover(): THandover | null;
  /** Copies of the known trials (of the given states only, when given), ascending by id. */
  trials(states?: readonly TTrialState[]): THistoryTrial[];
  serialize(): TSerializedOptimizer;
}
