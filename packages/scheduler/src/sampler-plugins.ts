import path from "node:path";
import { pathToFileURL } from "node:url";
import { OptimizerError, registerSampler } from "@autoglm/optimizer";

/**
 * The plugin modules this process loaded: the optimizer pool's workers load the same ones. On
 * globalThis because Next.js bundles its own copy of this module (the API's pool is created there).
 */
const LOADED_KEY = Symbol.for("@autoglm/scheduler.samplerPluginPaths");
const shared = globalThis as { [LOADED_KEY]?: string[] };
const loaded = (shared[LOADED_KEY] ??= []);

/**
 * Loads a deployment's sampler plugins (AUTOGLM_SAMPLER_PLUGINS: absolute paths of ES
 * modules, each exporting a TSamplerPlugin as its default export or as `sampler`) and
 * registers them by name, once per process, before the first optimizer call (the pool hands
 * the same paths to its worker threads as they start). A module that is missing, fails to
 * load or exports no valid plugin stops the load with an error naming it and what is wrong.
 * Returns the registered names.
 */
export async function loadSamplerPlugins(paths: readonly string[]): Promise<string[]> {
  const names: string[] = [];
  for (const file of paths) {
    if (!path.isAbsolute(file)) throw new OptimizerError("INVALID_CONFIG", `sampler plugin ${file}: the path must be absolute`);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      throw new OptimizerError("INVALID_CONFIG", `sampler plugin ${file}: could not be loaded (${(err as Error).message})`);
    }
    names.push(registerSampler(mod.default ?? mod.sampler, file).name);
    if (!loaded.includes(file)) loaded.push(file);
  }
  return names;
}

/** The plugin modules loaded so far, for worker threads to load in turn. */
export function loadedSamplerPlugins(): readonly string[] {
  return loaded;
}
