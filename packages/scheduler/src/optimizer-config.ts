import {
  OptimizerError,
  type TOptimizerConfig,
  type TPluginSamplerConfig,
  type TPrunerConfig,
  type TSamplerConfig,
} from "@autoglm/optimizer";
import { objectivesOf, type TStudySpec } from "@autoglm/protocol";

/**
 * The study spec → the optimizer's config, field by field: the spec spells options the YAML
 * way (`n_startup_trials`), the optimizer the TypeScript way (`nStartupTrials`); either
 * spelling is accepted, and the later one wins. Value types are checked here (the spec's zod
 * schema leaves options open); ranges are the optimizer's to check. An option a sampler or
 * pruner does not have is refused by the name the user wrote.
 */
export function optimizerConfigOf(spec: TStudySpec): TOptimizerConfig {
  const objectives = objectivesOf(spec);
  const multi = objectives.length > 1;
  return {
    space: spec.space,
    direction: multi ? objectives.map((o) => o.direction) : objectives[0]!.direction,
    sampler: samplerConfigOf(spec.sampler),
    // The optimizer prunes single-objective studies only: a multi-objective study's pruner
    // reads `pruner.objective` through pruningConfigOf.
    pruner: multi ? { name: "none" } : prunerConfigOf(spec.pruner, "pruner"),
  };
}

/**
 * The optimizer config the pruner decides with: the study's own for one objective; for
 * several, a single-objective study of `pruner.objective` (its direction, its intermediate
 * values, each trial's value of it), with a random sampler that never samples.
 */
export function pruningConfigOf(spec: TStudySpec): TOptimizerConfig {
  const objectives = objectivesOf(spec);
  if (objectives.length < 2) return optimizerConfigOf(spec);
  const k = prunedObjectiveIndex(spec);
  if (k === null) return { space: spec.space, direction: objectives[0]!.direction, pruner: { name: "none" } };
  return {
    space: spec.space,
    direction: objectives[k]!.direction,
    sampler: { name: "random", seed: spec.sampler.seed },
    pruner: prunerConfigOf(spec.pruner, "pruner"),
  };
}

/** Which objective the pruner reads: 0 for one objective, `pruner.objective`'s index for several (null: no pruner). */
export function prunedObjectiveIndex(spec: TStudySpec): number | null {
  const objectives = objectivesOf(spec);
  if (objectives.length < 2) return 0;
  const k = objectives.findIndex((o) => o.metric === spec.pruner.objective);
  return spec.pruner.name === "none" || k < 0 ? null : k;
}

/** Per sampler: its options as the spec spells them → the optimizer's names. */
const SAMPLER_OPTIONS: Record<TSamplerConfig["name"], Record<string, string>> = {
  random: {},
  auto: { noise: "noise" },
  grid: { grid_size: "gridSize" },
  tpe: {
    n_startup_trials: "nStartupTrials",
    n_ei_candidates: "nEiCandidates",
    multivariate: "multivariate",
    group: "group",
    constant_liar: "constantLiar",
  },
  gp: { n_startup_trials: "nStartupTrials", max_points: "maxPoints", noise: "noise" },
  cmaes: { n_startup_trials: "nStartupTrials", sigma0: "sigma0", popsize: "popsize", restart_strategy: "restartStrategy" },
  nsga2: { population_size: "populationSize", crossover_prob: "crossoverProb", mutation_prob: "mutationProb" },
};

const PERCENTILE = { n_startup_trials: "nStartupTrials", n_warmup_steps: "nWarmupSteps", interval_steps: "intervalSteps" };
const HALVING = { reduction_factor: "reductionFactor", bootstrap_count: "bootstrapCount", forecast: "forecast" };

/** Per pruner: its options as the spec spells them → the optimizer's names. */
const PRUNER_OPTIONS: Record<TPrunerConfig["name"], Record<string, string>> = {
  none: {},
  median: { ...PERCENTILE, n_min_trials: "nMinTrials" },
  percentile: { ...PERCENTILE, n_min_trials: "nMinTrials", percentile: "percentile" },
  successive_halving: { ...HALVING, min_resource: "minResource", min_early_stopping_rate: "minEarlyStoppingRate" },
  asha: { ...HALVING, min_resource: "minResource", min_early_stopping_rate: "minEarlyStoppingRate" },
  hyperband: { ...HALVING, min_resource: "minResource", max_resource: "maxResource" },
  patience: { patience: "patience", min_delta: "minDelta", wrapped: "wrapped" },
  threshold: { lower: "lower", upper: "upper", n_warmup_steps: "nWarmupSteps", interval_steps: "intervalSteps" },
};

function samplerConfigOf(s: TStudySpec["sampler"]): TSamplerConfig | TPluginSamplerConfig {
  // A registered plugin's options go to it as written: it validates them (the optimizer refuses an unregistered name).
  if (!Object.hasOwn(SAMPLER_OPTIONS, s.name)) return { ...s };
  const name = s.name as TSamplerConfig["name"];
  const o = new SpecOptions("sampler", `the ${name} sampler`, s, SAMPLER_OPTIONS[name]);
  const seed = s.seed;
  switch (name) {
    case "random":
      return { name, seed };
    case "auto":
      return { name, seed, noise: o.boolean("noise") };
    case "grid":
      return { name: "grid", seed, gridSize: o.number("gridSize") };
    case "tpe":
      return {
        name: "tpe",
        seed,
        nStartupTrials: o.number("nStartupTrials"),
        nEiCandidates: o.number("nEiCandidates"),
        multivariate: o.boolean("multivariate"),
        group: o.boolean("group"),
        constantLiar: o.boolean("constantLiar"),
      };
    case "gp":
      return {
        name: "gp",
        seed,
        nStartupTrials: o.number("nStartupTrials"),
        maxPoints: o.number("maxPoints"),
        noise: o.boolean("noise"),
      };
    case "cmaes":
      return {
        name: "cmaes",
        seed,
        nStartupTrials: o.number("nStartupTrials"),
        sigma0: o.number("sigma0"),
        popsize: o.number("popsize"),
        restartStrategy: o.oneOf("restartStrategy", ["ipop", "none"] as const),
      };
    case "nsga2":
      return {
        name: "nsga2",
        seed,
        populationSize: o.number("populationSize"),
        crossoverProb: o.number("crossoverProb"),
        mutationProb: o.number("mutationProb"),
      };
  }
}

/** The spec's pruner, or the one `patience` wraps (`at` names it in errors). */
type TSpecPruner = { name: TPrunerConfig["name"] } & Record<string, unknown>;

function prunerConfigOf(p: TSpecPruner, at: string): TPrunerConfig {
  const o = new SpecOptions(at, `the ${p.name} pruner`, p, PRUNER_OPTIONS[p.name]);
  const percentileOptions = {
    nStartupTrials: o.number("nStartupTrials"),
    nWarmupSteps: o.number("nWarmupSteps"),
    intervalSteps: o.number("intervalSteps"),
    nMinTrials: o.number("nMinTrials"),
  };
  const halving = {
    reductionFactor: o.number("reductionFactor"),
    bootstrapCount: o.number("bootstrapCount"),
    forecast: o.boolean("forecast"),
  };
  switch (p.name) {
    case "none":
      return { name: "none" };
    case "median":
      return { name: "median", ...percentileOptions };
    case "percentile":
      return { name: "percentile", ...percentileOptions, percentile: o.required("percentile") };
    case "successive_halving":
    case "asha":
      return {
        name: p.name,
        ...halving,
        minResource: o.numberOrAuto("minResource"),
        minEarlyStoppingRate: o.number("minEarlyStoppingRate"),
      };
    case "hyperband":
      return { name: "hyperband", ...halving, minResource: o.number("minResource"), maxResource: o.numberOrAuto("maxResource") };
    case "patience":
      return { name: "patience", patience: o.required("patience"), minDelta: o.number("minDelta"), wrapped: o.pruner("wrapped") };
    case "threshold":
      return {
        name: "threshold",
        lower: o.number("lower"),
        upper: o.number("upper"),
        nWarmupSteps: o.number("nWarmupSteps"),
        intervalSteps: o.number("intervalSteps"),
      };
  }
}

/** One sampler's or pruner's options, keyed by the optimizer's names, each remembering the user's spelling. */
class SpecOptions {
  private readonly values = new Map<string, { spelled: string; value: unknown }>();

  constructor(
    private readonly at: string,
    owner: string,
    config: Record<string, unknown>,
    names: Record<string, string>,
  ) {
    const optimizerNames = new Set(Object.values(names));
    for (const [spelled, value] of Object.entries(config)) {
      // `pruner.objective` is the platform's (which metric's values the pruner reads), not the pruner's.
      if (spelled === "name" || (spelled === "seed" && at === "sampler") || (spelled === "objective" && at === "pruner"))
        continue;
      const name = names[spelled] ?? (optimizerNames.has(spelled) ? spelled : undefined);
      if (name === undefined) throw invalid(`${at}.${spelled}: not an option of ${owner}`);
      this.values.set(name, { spelled, value });
    }
  }

  number(name: string): number | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (typeof v.value !== "number") throw invalid(`${this.at}.${v.spelled}: must be a number`);
    return v.value;
  }

  required(name: string): number {
    const n = this.number(name);
    if (n === undefined) throw invalid(`${this.at}.${name}: is required`);
    return n;
  }

  boolean(name: string): boolean | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (typeof v.value !== "boolean") throw invalid(`${this.at}.${v.spelled}: must be a boolean`);
    return v.value;
  }

  numberOrAuto(name: string): number | "auto" | undefined {
    return this.values.get(name)?.value === "auto" ? "auto" : this.number(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    const found = allowed.find((a) => a === v.value);
    if (found === undefined) throw invalid(`${this.at}.${v.spelled}: must be one of ${allowed.join(", ")}`);
    return found;
  }

  pruner(name: string): TPrunerConfig | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    const inner = v.value;
    if (typeof inner !== "object" || inner === null || !("name" in inner) || !isPrunerName(inner.name)) {
      throw invalid(`${this.at}.${v.spelled}: must be a pruner with a name`);
    }
    return prunerConfigOf({ ...inner, name: inner.name }, `${this.at}.${v.spelled}`);
  }
}

function isPrunerName(name: unknown): name is TPrunerConfig["name"] {
  return typeof name === "string" && Object.hasOwn(PRUNER_OPTIONS, name);
}

function invalid(message: string): OptimizerError {
  return new OptimizerError("INVALID_CONFIG", message);
}
