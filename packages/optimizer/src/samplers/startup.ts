import { hashSeed, Rng } from "../rng.js";
import { completeParams, fromUnit, sampleRandom, type CompiledSpace, type TParams } from "../space.js";
import type { SampleContext } from "../trial.js";

/**
 * Startup design: a Latin hypercube over the first `n` asks, row `k` = the k-th known
 * trial. Derived from (seed, k) only, so it survives a rebuild, and it covers the space
 * (and balances categorical choices) better than independent uniform draws.
 */
export function latinHypercubeRow(space: CompiledSpace, seed: number, n: number, k: number, rng: Rng): TParams {
  const dims = space.dims;
  const u = new Map<string, number>();
  dims.forEach((d, j) => {
    const perm = new Rng(hashSeed(seed, 0x5eed, j, n)).shuffle([...Array(n).keys()]);
    u.set(d.name, (perm[k % n]! + rng.random()) / n);
  });
  return completeParams(space, (d) => fromUnit(d, u.get(d.name)!));
}

export function startupSample(ctx: SampleContext, n: number): TParams {
  if (ctx.nKnown >= n) return sampleRandom(ctx.space, ctx.rng);
  return latinHypercubeRow(ctx.space, ctx.seed, n, ctx.nKnown, ctx.rng);
}

export function countFinished(ctx: SampleContext): number {
  let c = 0;
  for (const t of ctx.trials) if (t.state === "complete" || t.state === "pruned") c++;
  return c;
}
