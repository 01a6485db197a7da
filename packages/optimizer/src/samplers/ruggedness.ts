import type { CompiledSpace } from "../space.js";
import type { TrialView } from "../trial.js";
import { fitGp, GP_DEFAULTS } from "./gp.js";
import { observations } from "./gp-observations.js";

/** Rugged: the noise-free GP leaves more than this share of the values' variance to its noise term. */
export const RUGGED_NOISE_SHARE = 0.01;

/**
 * The share of the (warped, standardized) values' variance that a GP fitted as the GP sampler
 * fits on a noise-free objective leaves to its noise term: what the smooth model cannot follow.
 * Measured on `auto`'s 100-trial studies of the 28 benchmark functions (bench/NOTES.md, "A
 * rugged landscape handed to TPE"): from trial 30 on, the smooth ones (branin, hartmann6,
 * rosenbrock4, the tuning-shaped spaces, ...) stay at most 8.6e-3 and mostly at the 1e-6 floor,
 * the multimodal ones (levy6, ackley5, rastrigin4, salomon7, alpine8, schwefel4, ...) at least
 * 0.01 and mostly above 0.02. Null below the GP's startup count.
 */
export function gpNoiseShare(space: CompiledSpace, trials: readonly TrialView[]): number | null {
  const obs = observations(trials);
  if (obs.length < GP_DEFAULTS.nStartupTrials) return null;
  return fitGp(space, obs, GP_DEFAULTS).params.noise;
}

/** Shares already fitted, by space and trials: see cachedNoiseShare. */
const SHARES = new Map<string, number | null>();
const MAX_SHARES = 64;
let fits = 0;

/**
 * gpNoiseShare, remembered per process (the least recently used of MAX_SHARES forgotten): a
 * server rebuilds a study's sampler from its history for every ask, and `auto` judges the same
 * first trials on each of them once they have finished.
 */
export function cachedNoiseShare(space: CompiledSpace, trials: readonly TrialView[]): number | null {
  const key = `${JSON.stringify(space.dims)}|${trials
    .map((t) => {
      const last = t.state === "pruned" ? (t.intermediate.at(-1)?.[1] ?? "") : "";
      return `${t.id}:${t.state}:${t.loss?.[0] ?? ""}:${last}:${JSON.stringify(t.params)}`;
    })
    .join(",")}`;
  if (SHARES.has(key)) {
    const hit = SHARES.get(key)!;
    SHARES.delete(key);
    SHARES.set(key, hit);
    return hit;
  }
  fits++;
  const share = gpNoiseShare(space, trials);
  SHARES.set(key, share);
  for (const [k] of SHARES) {
    if (SHARES.size <= MAX_SHARES) break;
    SHARES.delete(k);
  }
  return share;
}

/** How many fits cachedNoiseShare has made in this process (its tests read it). */
export function noiseShareFits(): number {
  return fits;
}
