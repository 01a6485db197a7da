export { OptimizerError, type TOptimizerErrorCode } from "./errors.js";
export {
  validateSpace,
  paramsChecker,
  type TSpace,
  type Space,
  type TParamSpec,
  type ParamSpec,
  type TParams,
  type TParamValue,
  type TWhen,
  type TFloatParam,
  type TIntParam,
  type TCategoricalParam,
} from "./space.js";
export * from "./config.js";
export type { TTrialState, Sampler, SampleContext, TrialView } from "./trial.js";
export type { CompiledSpace, Dim } from "./space.js";
export { sampleRandom, fromUnit, toUnit, isActive } from "./space.js";
export type { Rng } from "./rng.js";
export {
  registerSampler,
  unregisterSampler,
  samplerPluginNames,
  type TSamplerPlugin,
  type TSamplerPluginContext,
} from "./samplers/plugins.js";
export {
  createOptimizer,
  restoreOptimizer,
  type Optimizer,
  type TOptimizerConfig,
  type TAskedTrial,
  type THistoryTrial,
  type TBest,
  type TValue,
  type TTellExtra,
  type TImportanceOptions,
  type TImportanceMethod,
  IMPORTANCE_METHODS,
  type TSerializedOptimizer,
  type TReportResult,
} from "./optimizer.js";
export { countGridPoints } from "./samplers/grid.js";
export { prunerMayDecide, prunerFitsModel } from "./pruners/index.js";
export { chooseAuto, type TAutoChoice, type THandover, type THandoverReason, type TPortfolioPoint } from "./samplers/auto.js";
export {
  improvementHistory,
  regretBound,
  IMPROVEMENT_MAX_TRIALS,
  IMPROVEMENT_MIN_TRIALS,
  type TImprovementPoint,
} from "./improvement.js";
export { paretoFront, hypervolume, hypervolumeHistory, referencePoint, dominates } from "./pareto.js";
