import { hashSeed } from "../rng.js";
import {
  compileSpace,
  completeParams,
  gridValue,
  type TSpace,
  paramsKey,
  type CompiledSpace,
  type Dim,
  type TParams,
  type TParamValue,
} from "../space.js";
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
    out.push(
      d.step === null ? Math.min(d.high, Math.max(d.low, d.log ? Math.exp(t) : t)) : gridValue(d, Math.round(u * (d.size - 1))),
    );
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

/**
 * Up to this many points, a·k + b (all three below the point count) stays below 2^53, so
 * doubles index the grid exactly; past it (about 9.5e7 points, or a count that overflows
 * to Infinity: 62 axes of 100,000) the permutation runs on BigInt.
 */
const EXACT_DOUBLE_POINTS = Math.floor(Math.sqrt(Number.MAX_SAFE_INTEGER + 1));
/**
 * Coprime search steps before falling back to a = 1 (a plain rotation), so the search ends
 * whatever the count. It never gets there in practice: under 9.5e7 points a count has at
 * most 8 distinct primes and a coprime comes within a few dozen steps; above, about one integer in
 * 20 is coprime to a product of axes of at most 100,000 points.
 */
const MAX_COPRIME_STEPS = 10_000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function gcdBig(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A seeded value in [0, total) with as many random bits as total has. */
function seededBig(seed: number, salt: number, total: bigint): bigint {
  let v = 0n;
  for (let i = 0, bits = total.toString(2).length + 32; i * 32 < bits; i++) v = (v << 32n) | BigInt(hashSeed(seed, salt, i));
  return v % total;
}

/**
 * The grid's point indices in a seeded order: k ↦ (a·k + b) mod total with a coprime to
 * total, which visits every index once per `total` steps. Returns the k-th index as one
 * digit per axis (mixed radix, first axis fastest). `exactDoublePoints` is a test hook.
 */
export function gridOrder(seed: number, radices: number[], exactDoublePoints = EXACT_DOUBLE_POINTS): (k: number) => number[] {
  const totalBig = radices.reduce((n, r) => n * BigInt(r), 1n);
  if (totalBig <= BigInt(exactDoublePoints)) {
    const total = Number(totalBig);
    let a = (hashSeed(seed, 0x6d1) % Math.max(total, 1)) | 1;
    for (let i = 0; gcd(a, total) !== 1; i++) a = i < MAX_COPRIME_STEPS ? a + 1 : 1;
    const b = hashSeed(seed, 0x6d2) % Math.max(total, 1);
    return (k) => {
      let idx = (a * (k % total) + b) % total;
      return radices.map((r) => {
        const digit = idx % r;
        idx = Math.floor(idx / r);
        return digit;
      });
    };
  }
  let a = seededBig(seed, 0x6d1, totalBig) | 1n;
  for (let i = 0; gcdBig(a, totalBig) !== 1n; i++) a = i < MAX_COPRIME_STEPS ? a + 1n : 1n;
  const b = seededBig(seed, 0x6d2, totalBig);
  const big = radices.map((r) => BigInt(r));
  return (k) => {
    let idx = (a * (BigInt(k) % totalBig) + b) % totalBig;
    return big.map((r) => {
      const digit = Number(idx % r);
      idx /= r;
      return digit;
    });
  };
}

/**
 * Visits the grid in a seeded pseudo-random order (an affine permutation of the point
 * indices), skipping points any known trial already has, so parallel and rebuilt studies
 * never repeat a point until the grid is exhausted; then it starts over.
 */
export class GridSampler implements Sampler {
  /** The axes of the space the optimizer holds: up to 100,000 values each, built once, not per ask. */
  private readonly axesOf = new WeakMap<CompiledSpace, TParamValue[][]>();

  constructor(private readonly pointsPerDim: number) {}

  private axes(space: CompiledSpace): TParamValue[][] {
    let axes = this.axesOf.get(space);
    if (!axes) {
      axes = space.dims.map((d) => gridAxis(d, this.pointsPerDim));
      this.axesOf.set(space, axes);
    }
    return axes;
  }

  sample(ctx: SampleContext): TParams {
    const axes = this.axes(ctx.space);
    const order = gridOrder(
      ctx.seed,
      axes.map((ax) => ax.length),
    );
    const seen = new Set(ctx.trials.map((t) => paramsKey(t.params)));
    const at = (k: number): TParams => {
      const digits = order(k);
      const choice = new Map<string, TParamValue>();
      ctx.space.dims.forEach((d, j) => choice.set(d.name, axes[j]![digits[j]!]!));
      return completeParams(ctx.space, (d) => choice.get(d.name)!);
    };
    const limit = Math.min(
      axes.reduce((n, ax) => n * ax.length, 1),
      1_000_000,
    );
    for (let k = 0; k < limit; k++) {
      const p = at(k);
      if (!seen.has(paramsKey(p))) return p;
    }
    return at(ctx.nKnown);
  }
}
