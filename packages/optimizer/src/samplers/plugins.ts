import { SAMPLER_NAMES } from "../config.js";
import { OptimizerError } from "../errors.js";
import { fromUnit, isActive, sampleRandom, toUnit } from "../space.js";
import type { Sampler } from "../trial.js";

/**
 * What a plugin's create() gets besides its options: the study's number of objectives and the
 * space helpers the built-ins use, so a plugin module needs no import of this package.
 */
export interface TSamplerPluginContext {
  nObjectives: number;
  /** A numeric param's value as a coordinate in [0, 1] (log scale for log params). */
  toUnit: typeof toUnit;
  /** The value at a [0, 1] coordinate (snapped to int/step grids; a choice for categoricals). */
  fromUnit: typeof fromUnit;
  /** Whether a param is active given the params chosen so far (its `when` holds). */
  isActive: typeof isActive;
  /** A uniform draw of the whole space (log-uniform for log params), conditions respected. */
  sampleRandom: typeof sampleRandom;
}

/**
 * A deployment's own sampler: a module that exports one of these (as its default export or
 * as `sampler`), registered by name before any study uses it. The platform loads the modules
 * listed in its configuration once per process (and per optimizer worker thread).
 */
export interface TSamplerPlugin {
  /** What a study spec names it by: `sampler: { name: "my-sampler", ...options }`. */
  name: string;
  /**
   * A sampler for one study. `options` are the spec's sampler options other than `name` and
   * `seed` (the seed reaches `sample` as `ctx.seed` and `ctx.rng`); throw to reject them: the
   * message reaches the user who created the study.
   */
  create(options: Readonly<Record<string, unknown>>, context: TSamplerPluginContext): Sampler;
  /** `auto` may try it as a portfolio member (for single-objective studies). Default false. */
  portfolio?: boolean;
}

/** Lowercase, digits and dashes: it is stored as the trials' `proposed_by` and shown as is. */
const PLUGIN_NAME = /^[a-z][a-z0-9-]{1,39}$/;

// Next.js bundles its route modules (the API's study.create among them) apart from the
// server's, so this module may be evaluated twice in one process: the registry lives on
// globalThis so every copy sees the plugins the server registered.
const REGISTRY_KEY = Symbol.for("@autoglm/optimizer.samplerPlugins");
const shared = globalThis as { [REGISTRY_KEY]?: Map<string, { plugin: TSamplerPlugin; source: string }> };
const registry = (shared[REGISTRY_KEY] ??= new Map());

const invalid = (source: string, what: string): never => {
  throw new OptimizerError("INVALID_CONFIG", `sampler plugin ${source}: ${what}`);
};

/**
 * Registers a plugin module's export (`source` names the module in errors). Registering the
 * same name from the same source again is a no-op, so a module loaded twice is harmless.
 */
export function registerSampler(plugin: unknown, source: string): TSamplerPlugin {
  if (typeof plugin !== "object" || plugin === null)
    invalid(source, "exports no sampler plugin (a default export or `sampler`: { name, create })");
  const p = plugin as Partial<TSamplerPlugin>;
  if (typeof p.name !== "string" || !PLUGIN_NAME.test(p.name))
    invalid(
      source,
      `name must be 2-40 lowercase letters, digits or dashes, starting with a letter (got ${JSON.stringify(p.name)})`,
    );
  const name = p.name as string;
  if ((SAMPLER_NAMES as readonly string[]).includes(name)) invalid(source, `name "${name}" is a built-in sampler's`);
  if (typeof p.create !== "function") invalid(source, `"${name}" has no create(options, context) function`);
  if (p.portfolio !== undefined && typeof p.portfolio !== "boolean") invalid(source, `"${name}".portfolio must be a boolean`);
  const had = registry.get(name);
  if (had && had.source !== source) invalid(source, `name "${name}" is already registered by ${had.source}`);
  registry.set(name, { plugin: p as TSamplerPlugin, source });
  return p as TSamplerPlugin;
}

/** Forgets a registered plugin (tests). */
export function unregisterSampler(name: string): void {
  registry.delete(name);
}

export function samplerPlugin(name: string): TSamplerPlugin | undefined {
  return registry.get(name)?.plugin;
}

/** The registered plugins' names, sorted. */
export function samplerPluginNames(): string[] {
  return [...registry.keys()].sort();
}

/** The plugins `auto` may use as portfolio members, by name. */
export function portfolioPlugins(): TSamplerPlugin[] {
  return samplerPluginNames()
    .map((n) => registry.get(n)!.plugin)
    .filter((p) => p.portfolio === true);
}

/** A study's sampler from a plugin, with the plugin's own errors named after it. */
export function createPluginSampler(plugin: TSamplerPlugin, config: object, nObjectives: number): Sampler {
  const { name: _name, seed: _seed, ...options } = config as Record<string, unknown>;
  let sampler: unknown;
  try {
    sampler = plugin.create(options, { nObjectives, toUnit, fromUnit, isActive, sampleRandom });
  } catch (err) {
    throw new OptimizerError("INVALID_CONFIG", `sampler ${plugin.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof (sampler as Sampler | null)?.sample !== "function")
    throw new OptimizerError(
      "INVALID_CONFIG",
      `sampler plugin "${plugin.name}": create() returned no object with a sample(ctx) function`,
    );
  return sampler as Sampler;
}
