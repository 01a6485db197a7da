import { hashSeed } from "../rng.js";
import { compileSpace, completeParams, gridValue, type TSpace, paramsKey, type CompiledSpace, type Dim, type TParams, type TParamValue } from "../space.js";
import type { SampleContext, Sampler } from "../trial.js";

/** The values a dim takes on the grid: every discrete value (thinned to gridSize if more), or gridSize evenly spaced points. */
export function gridAxis(d: Dim, gridSize: number): TParamValue[] {
  if (d.type === "categorical") return [...d.choices];
  if (Number.isFinite(d.size) && d.size <= gridSize) return Array.from({ length: d.size }, (_, k) => gridValue(d, k));
  const out: TParamValue[] = [];
  for (let k = 0; k < gridSize; k++) {
    // Endpoints included, evenly spaced in the (log) coordinate.
    const u = gridSize === 1 ? 0.5 : k / (gridSize - 1);
    const t = d.log ? Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low)) : d.low + u * (d.high - d.low);
    out.push(d.step === null ? Math.min(d.high, Math.max(d.low, d.log ? Math.exp(t) : t)) : gridValue(d, Math.round(u * (d.size - 1))));
  }
  return [...new Set(out)];
}

/** Number of grid points (before removing duplicates that conditional params create). */
export function gridSize(space: CompiledSpace, pointsPerDim = 10): number {
  return space.dims.reduce((n, d) => n * gridAxis(d, pointsPerDim).length, 1);
}

/** Public form of gridSize: how many trials a `grid` study over `space` needs to cover it. */
export function countGridPoints(space: TSpace, gridSizePerDim = 10): number {
  return gridSize(compileSpace(space), gridSizePerDim);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Visits the grid in a seeded pseudo-random order (an affine permutation of the point
 * indices), skipping points any known trial already has, so parallel and rebuilt studies
 * never repeat a point until the grid is exhausted; then it starts over.
 */
export class GridSampler implements Sampler {
  constructor(private readonly pointsPerDim: number) {}

  sample(ctx: SampleContext): TParams {
    const axes = ctx.space.dims.map((d) => gridAxis(d, this.pointsPerDim));
    const total = axes.reduce((n, a) => n * a.length, 1);
    const seen = new Set(ctx.trials.map((t) => paramsKey(t.params)));
    let a = (hashSeed(ctx.seed, 0x6d1) % Math.max(total, 1)) | 1;
    while (gcd(a, total) !== 1) a++;
    const b = hashSeed(ctx.seed, 0x6d2) % Math.max(total, 1);
    const at = (k: number): TParams => {
      let idx = (a * (k % total) + b) % total;
      const choice = new Map<string, TParamValue>();
      ctx.space.dims.forEach((d, j) => {
        const ax = axes[j]!;
        choice.set(d.name, ax[idx % ax.length]!);
        idx = Math.floor(idx / ax.length);
      });
      return completeParams(ctx.space, (d) => choice.get(d.name)!);
    };
    const limit = Math.min(total, 1_000_000);
    for (let k = 0; k < limit; k++) {
      const p = at(k);
      if (!seen.has(paramsKey(p))) return p;
    }
    return at(ctx.nKnown);
  }
}
