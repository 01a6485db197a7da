import { PRUNER_NAMES, type TPrunerConfig } from "../config.js";
import type { Pruner } from "../trial.js";
import { createHalvingPruner } from "./halving.js";
import { createHyperbandPruner } from "./hyperband.js";
import { NonePruner } from "./none.js";
import { bad, type TRawPrunerConfig } from "./options.js";
import { createPatiencePruner } from "./patience.js";
import { createPercentilePruner } from "./percentile.js";
import { createThresholdPruner } from "./threshold.js";

export { forecastCurve, forecastWithError } from "./forecast.js";

/** Each pruner's options: any other key is a config error naming it. */
const OPTION_KEYS: Record<TPrunerConfig["name"], string[]> = {
  none: [],
  median: ["nStartupTrials", "nWarmupSteps", "intervalSteps", "nMinTrials"],
  percentile: ["percentile", "nStartupTrials", "nWarmupSteps", "intervalSteps", "nMinTrials"],
  successive_halving: ["minResource", "reductionFactor", "minEarlyStoppingRate", "bootstrapCount", "forecast"],
  asha: ["minResource", "reductionFactor", "minEarlyStoppingRate", "bootstrapCount", "forecast"],
  hyperband: ["minResource", "maxResource", "reductionFactor", "bootstrapCount", "forecast"],
  patience: ["patience", "minDelta", "wrapped"],
  threshold: ["lower", "upper", "nWarmupSteps", "intervalSteps"],
};

/**
 * Whether the configured pruner could stop a trial reporting `step` after its report at
 * `prevStep` (-Infinity for its first), whatever the study's history: false lets a caller
 * that rebuilds the optimizer from storage for every report skip that read (ASHA decides
 * only where a report crosses a rung). Throws on an invalid config, like createOptimizer.
 */
export function prunerMayDecide(config: TPrunerConfig, step: number, prevStep: number): boolean {
  const p = createPruner(config);
  return p.mayDecide ? p.mayDecide(step, prevStep) : true;
}

/**
 * Whether the configured pruner's decisions may fit a model of the finished trials (ASHA and
 * Hyperband forecast by default): the cost a server weighs before deciding on its event loop.
 * Throws on an invalid config, like createOptimizer.
 */
export function prunerFitsModel(config: TPrunerConfig): boolean {
  return createPruner(config).fitsModel?.() ?? false;
}

/** The pruner a study's config names, its options checked (`at` names the config in errors). */
export function createPruner(config: unknown, at = "pruner"): Pruner {
  if (typeof config !== "object" || config === null) return bad(`${at}: must be an object with a name`);
  const cfg = config as TRawPrunerConfig;
  if (!(PRUNER_NAMES as readonly string[]).includes(cfg.name as string))
    bad(`${at}.name: must be one of ${PRUNER_NAMES.join(", ")} (got ${JSON.stringify(cfg.name)})`);
  for (const k of Object.keys(cfg))
    if (k !== "name" && !OPTION_KEYS[cfg.name].includes(k)) bad(`${at}.${k}: not an option of the ${cfg.name} pruner`);
  switch (cfg.name) {
    case "none":
      return new NonePruner();
    case "median":
    case "percentile":
      return createPercentilePruner(cfg, at);
    case "successive_halving":
    case "asha":
      return createHalvingPruner(cfg, at);
    case "hyperband":
      return createHyperbandPruner(cfg, at);
    case "patience":
      return createPatiencePruner(cfg, at, createPruner);
    case "threshold":
      return createThresholdPruner(cfg, at);
  }
  return bad(`${at}: unsupported`);
}
