import { SAMPLER_NAMES, type TPluginSamplerConfig, type TSamplerConfig } from "../config.js";
import { OptimizerError } from "../errors.js";
import type { CompiledSpace } from "../space.js";
import type { Sampler } from "../trial.js";
import { RandomSampler } from "./random.js";
import { TPE_DEFAULTS, TpeSampler } from "./tpe.js";
import { GP_DEFAULTS, GpSampler } from "./gp.js";
import { AutoSampler } from "./auto.js";
import { CMAES_DEFAULTS, CmaesSampler } from "./cmaes.js";
import { GridSampler } from "./grid.js";
import { NSGA2_DEFAULTS, Nsga2Sampler } from "./nsga2.js";
import { createPluginSampler, samplerPlugin, samplerPluginNames } from "./plugins.js";

const bad = (msg: string): never => {
  throw new OptimizerError("INVALID_CONFIG", msg);
};

export function intOption(cfg: object, key: string, def: number, min: number, max = Infinity): number {
  const v = (cfg as Record<string, unknown>)[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    bad(`sampler.${key}: must be an integer in [${min}, ${max === Infinity ? "inf" : max}] (got ${JSON.stringify(v)})`);
  return v as number;
}

export function numOption(cfg: object, key: string, def: number, min: number, max: number): number {
  const v = (cfg as Record<string, unknown>)[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
    bad(`sampler.${key}: must be a number in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  return v as number;
}

export function boolOption(cfg: object, key: string, def: boolean): boolean {
  const v = (cfg as Record<string, unknown>)[key];
  if (v === undefined) return def;
  if (typeof v !== "boolean") bad(`sampler.${key}: must be a boolean`);
  return v as boolean;
}

const SAMPLER_KEYS: Record<TSamplerConfig["name"], string[]> = {
  random: [],
  grid: ["gridSize"],
  tpe: ["nStartupTrials", "nEiCandidates", "multivariate", "group", "constantLiar"],
  gp: ["nStartupTrials", "maxPoints", "noise"],
  cmaes: ["nStartupTrials", "sigma0", "popsize", "restartStrategy"],
  nsga2: ["populationSize", "crossoverProb", "mutationProb"],
  auto: ["noise"],
};

/** Whether `name` is a built-in sampler or a registered plugin. */
export function isSamplerName(name: unknown): name is string {
  return typeof name === "string" && ((SAMPLER_NAMES as readonly string[]).includes(name) || samplerPlugin(name) !== undefined);
}

/** The error for a sampler name that is neither built in nor registered. */
export function unknownSamplerMessage(name: unknown): string {
  const plugins = samplerPluginNames();
  const known = [...SAMPLER_NAMES, ...plugins].join(", ");
  return `sampler.name: must be one of ${known} (got ${JSON.stringify(name)})${plugins.length === 0 ? "; no sampler plugins are registered" : ""}`;
}

export function createSampler(config: TSamplerConfig | TPluginSamplerConfig, space: CompiledSpace, nObjectives: number): Sampler {
  if (!(SAMPLER_NAMES as readonly string[]).includes(config.name)) {
    const plugin = samplerPlugin(config.name);
    return plugin ? createPluginSampler(plugin, config, nObjectives) : bad(unknownSamplerMessage(config.name));
  }
  return createBuiltinSampler(config as TSamplerConfig, space, nObjectives);
}

function createBuiltinSampler(config: TSamplerConfig, space: CompiledSpace, nObjectives: number): Sampler {
  const allowed = new Set(["name", "seed", ...(SAMPLER_KEYS[config.name] ?? [])]);
  for (const k of Object.keys(config)) if (!allowed.has(k)) bad(`sampler.${k}: not an option of the ${config.name} sampler`);
  switch (config.name) {
    case "random":
      return new RandomSampler();
    case "tpe":
      return new TpeSampler({
        nStartupTrials: intOption(config, "nStartupTrials", TPE_DEFAULTS.nStartupTrials, 0),
        nEiCandidates: intOption(config, "nEiCandidates", TPE_DEFAULTS.nEiCandidates, 1, 10000),
        multivariate: boolOption(config, "multivariate", TPE_DEFAULTS.multivariate),
        group: boolOption(config, "group", TPE_DEFAULTS.group),
        constantLiar: boolOption(config, "constantLiar", TPE_DEFAULTS.constantLiar),
        priorWeight: TPE_DEFAULTS.priorWeight,
        gBandwidth: TPE_DEFAULTS.gBandwidth,
      });
    case "gp":
      if (nObjectives > 1) bad("sampler: gp optimizes a single objective; use nsga2 or tpe for multi-objective studies");
      return new GpSampler({
        nStartupTrials: intOption(config, "nStartupTrials", GP_DEFAULTS.nStartupTrials, 0),
        maxPoints: intOption(config, "maxPoints", GP_DEFAULTS.maxPoints, 10, 5000),
        maxFitPoints: GP_DEFAULTS.maxFitPoints,
        noise: boolOption(config, "noise", false),
      });
    case "cmaes": {
      if (nObjectives > 1) bad("sampler: cmaes optimizes a single objective; use nsga2 or tpe for multi-objective studies");
      const rs = (config as { restartStrategy?: unknown }).restartStrategy;
      if (rs !== undefined && rs !== "ipop" && rs !== "none") bad('sampler.restartStrategy: must be "ipop" or "none"');
      const pop = (config as { popsize?: unknown }).popsize;
      return new CmaesSampler({
        nStartupTrials: intOption(config, "nStartupTrials", CMAES_DEFAULTS.nStartupTrials, 0),
        sigma0: numOption(config, "sigma0", CMAES_DEFAULTS.sigma0, 1e-6, 1),
        popsize: pop === undefined ? null : intOption(config, "popsize", 0, 4, 10000),
        restart: (rs as "ipop" | "none" | undefined) ?? "ipop",
      });
    }
    case "nsga2": {
      const pm = (config as { mutationProb?: unknown }).mutationProb;
      return new Nsga2Sampler({
        populationSize: intOption(config, "populationSize", NSGA2_DEFAULTS.populationSize, 2, 100000),
        crossoverProb: numOption(config, "crossoverProb", NSGA2_DEFAULTS.crossoverProb, 0, 1),
        mutationProb: pm === undefined ? null : numOption(config, "mutationProb", 0, 0, 1),
      });
    }
    case "grid":
      return new GridSampler(intOption(config, "gridSize", 10, 1, 100000));
    case "auto":
      return new AutoSampler(space, nObjectives, boolOption(config, "noise", false));
  }
  return bad(`sampler.name: unsupported ${JSON.stringify((config as { name?: unknown }).name)}`);
}
