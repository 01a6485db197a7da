/**
 * Sampler and pruner option objects. Plain TypeScript (no zod) so this package stays
 * dependency-free; the study spec schema in @autoglm/protocol mirrors SAMPLER_NAMES and
 * PRUNER_NAMES. Every numeric option has a default (see README.md).
 */
export const SAMPLER_NAMES = ["random", "grid", "tpe", "gp", "cmaes", "nsga2", "auto"] as const;
export const PRUNER_NAMES = [
  "none",
  "median",
  "percentile",
  "successive_halving",
  "asha",
  "hyperband",
  "patience",
  "threshold",
] as const;
export type TSamplerName = (typeof SAMPLER_NAMES)[number];
export type TPrunerName = (typeof PRUNER_NAMES)[number];
export type TDirection = "minimize" | "maximize";

interface TSamplerBase {
  seed?: number;
}
export interface TRandomSamplerConfig extends TSamplerBase {
  name: "random";
}
export interface TGridSamplerConfig extends TSamplerBase {
  name: "grid";
  /** Points per continuous dimension (discrete dims use all their values). Default 10. */
  gridSize?: number;
}
export interface TTpeSamplerConfig extends TSamplerBase {
  name: "tpe";
  /** Random trials before modelling. Default 10. */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) per ask. Default 24. */
  nEiCandidates?: number;
  /** Joint (multivariate) Parzen estimator instead of one per parameter. Default true. */
  multivariate?: boolean;
  /** Split conditional spaces into groups of params that are active together. Default true. */
  group?: boolean;
  /** Treat running trials as bad ("constant liar") so parallel asks differ. Default true. */
  constantLiar?: boolean;
}
export interface TGpSamplerConfig extends TSamplerBase {
  name: "gp";
  /** Random (Sobol-like) trials before the GP. Default 10. */
  nStartupTrials?: number;
  /** At most this many trials condition the GP (the best half and the most recent half); keeps ask() under ~0.3 s at any history size. Default 300. */
  maxPoints?: number;
  /** The objective is noisy: the GP models the noise and aims at the best predicted value. Default false. */
  noise?: boolean;
}
export interface TCmaesSamplerConfig extends TSamplerBase {
  name: "cmaes";
  nStartupTrials?: number;
  /** Initial step size in the unit cube. Default 1/6. */
  sigma0?: number;
  /** Population size; default 4 + floor(3 ln d). */
  popsize?: number;
  /** IPOP restarts (population doubling) when a run stalls. Default "ipop". */
  restartStrategy?: "ipop" | "none";
}
export interface TNsga2SamplerConfig extends TSamplerBase {
  name: "nsga2";
  /** Default 50. */
  populationSize?: number;
  /** Default 0.9. */
  crossoverProb?: number;
  /** Default 1 / number of params. */
  mutationProb?: number;
}
export interface TAutoSamplerConfig extends TSamplerBase {
  name: "auto";
  /** The objective is noisy: as gp's `noise`, for auto's GP. Default false. */
  noise?: boolean;
}
/**
 * A sampler a deployment registered (registerSampler, samplers/plugins.ts): its name and its
 * own options, which the plugin validates.
 */
export interface TPluginSamplerConfig extends TSamplerBase {
  name: string;
  [option: string]: unknown;
}
export type TSamplerConfig =
  | TRandomSamplerConfig
  | TGridSamplerConfig
  | TTpeSamplerConfig
  | TGpSamplerConfig
  | TCmaesSamplerConfig
  | TNsga2SamplerConfig
  | TAutoSamplerConfig;

export interface TNonePrunerConfig {
  name: "none";
}
interface TPercentileOptions {
  /** Finished trials needed before pruning anything. Default 5. */
  nStartupTrials?: number;
  /** Steps of each trial never pruned. Default 0. */
  nWarmupSteps?: number;
  /** Check every this many steps. Default 1. */
  intervalSteps?: number;
  /** Finished trials that must have reported the step. Default 1. */
  nMinTrials?: number;
}
export interface TMedianPrunerConfig extends TPercentileOptions {
  name: "median";
}
export interface TPercentilePrunerConfig extends TPercentileOptions {
  name: "percentile";
  /** 0..100; prune when worse than this percentile of finished trials at the same step. */
  percentile: number;
}
interface THalvingOptions {
  /** Step of the first rung; "auto" = last step of the first finished trial / 100. Default 1. */
  minResource?: number | "auto";
  /** Keep the top 1/reductionFactor at each rung. Default 3. */
  reductionFactor?: number;
  /** Start the rungs at minResource * reductionFactor^minEarlyStoppingRate. Default 0. */
  minEarlyStoppingRate?: number;
  /** Trials needed at a rung before any is promoted. Default 0. */
  bootstrapCount?: number;
  /**
   * Promote by each trial's estimated final value (its curve's extrapolation, combined with
   * a model of the finished trials' final values over the params) rather than its value at
   * the rung, and never stop a trial estimated to possibly beat the best finished one.
   * Default true for asha, false for successive_halving (Optuna's rule).
   */
  forecast?: boolean;
}
export interface TSuccessiveHalvingPrunerConfig extends THalvingOptions {
  name: "successive_halving";
}
export interface TAshaPrunerConfig extends THalvingOptions {
  name: "asha";
}
export interface THyperbandPrunerConfig {
  name: "hyperband";
  minResource?: number;
  /** Largest step a trial runs to; "auto" = last step of the first finished trial. Default "auto". */
  maxResource?: number | "auto";
  reductionFactor?: number;
  bootstrapCount?: number;
  /** As for asha; default true. */
  forecast?: boolean;
}
export interface TPatiencePrunerConfig {
  name: "patience";
  /** Steps without improvement tolerated. */
  patience: number;
  /** Improvement smaller than this does not count. Default 0. */
  minDelta?: number;
  /** When given, prune only if this pruner also says so. */
  wrapped?: TPrunerConfig;
}
export interface TThresholdPrunerConfig {
  name: "threshold";
  /** Prune when an intermediate value falls below this (in the metric's own units). */
  lower?: number;
  /** Prune when an intermediate value rises above this. */
  upper?: number;
  nWarmupSteps?: number;
  intervalSteps?: number;
}
export type TPrunerConfig =
  | TNonePrunerConfig
  | TMedianPrunerConfig
  | TPercentilePrunerConfig
  | TSuccessiveHalvingPrunerConfig
  | TAshaPrunerConfig
  | THyperbandPrunerConfig
  | TPatiencePrunerConfig
  | TThresholdPrunerConfig;
