import { Rng } from "./rng.js";
import { toUnit, type CompiledSpace } from "./space.js";
import type { TrialView } from "./trial.js";

export interface ImportanceOptions {
  nTrees: number;
  maxDepth: number;
  minSamplesLeaf: number;
}

const DEFAULTS: ImportanceOptions = { nTrees: 32, maxDepth: 12, minSamplesLeaf: 2 };

interface Leaf {
  lo: Float64Array;
  hi: Float64Array;
  value: number;
}

/** Regression tree on [0,1]^D by variance reduction; returns its leaves as boxes. */
function growTree(x: Float64Array[], y: number[], idx: number[], dim: number, o: ImportanceOptions): Leaf[] {
  const leaves: Leaf[] = [];
  const grow = (ids: number[], lo: Float64Array, hi: Float64Array, depth: number): void => {
    let sum = 0;
    for (const i of ids) sum += y[i]!;
    const mean = sum / ids.length;
    let best: { d: number; thr: number; gain: number; left: number[]; right: number[] } | null = null;
    if (depth < o.maxDepth && ids.length >= 2 * o.minSamplesLeaf) {
      let sse = 0;
      for (const i of ids) sse += (y[i]! - mean) ** 2;
      if (sse > 1e-12 * (1 + mean * mean) * ids.length) {
        for (let d = 0; d < dim; d++) {
          const sorted = [...ids].sort((a, b) => x[a]![d]! - x[b]![d]!);
          let ls = 0;
          let lss = 0;
          let ts = 0;
          let tss = 0;
          for (const i of sorted) {
            ts += y[i]!;
            tss += y[i]! ** 2;
          }
          for (let k = 0; k < sorted.length - 1; k++) {
            const v = y[sorted[k]!]!;
            ls += v;
            lss += v * v;
            const nl = k + 1;
            const nr = sorted.length - nl;
            if (nl < o.minSamplesLeaf || nr < o.minSamplesLeaf) continue;
            const a = x[sorted[k]!]![d]!;
            const b = x[sorted[k + 1]!]![d]!;
            if (a === b) continue;
            const rs = ts - ls;
            const rss = tss - lss;
            const childSse = lss - (ls * ls) / nl + (rss - (rs * rs) / nr);
            const gain = sse - childSse;
            if (best === null || gain > best.gain)
              best = { d, thr: 0.5 * (a + b), gain, left: sorted.slice(0, nl), right: sorted.slice(nl) };
          }
        }
      }
    }
    if (best === null || best.gain <= 0) {
      leaves.push({ lo, hi, value: mean });
      return;
    }
    const lhi = Float64Array.from(hi);
    lhi[best.d] = best.thr;
    const rlo = Float64Array.from(lo);
    rlo[best.d] = best.thr;
    grow(best.left, lo, lhi, depth + 1);
    grow(best.right, rlo, hi, depth + 1);
  };
  grow(idx, new Float64Array(dim), new Float64Array(dim).fill(1), 0);
  return leaves;
}

/** Per-feature variance share of one tree's function under the uniform measure (fANOVA main effects). */
function treeMainEffects(leaves: Leaf[], dim: number): { total: number; effects: Float64Array } | null {
  const vol = leaves.map((l) => {
    let v = 1;
    for (let d = 0; d < dim; d++) v *= l.hi[d]! - l.lo[d]!;
    return v;
  });
  let f0 = 0;
  leaves.forEach((l, i) => (f0 += vol[i]! * l.value));
  let total = 0;
  leaves.forEach((l, i) => (total += vol[i]! * (l.value - f0) ** 2));
  if (!(total > 0)) return null;
  const effects = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    const cuts = [...new Set(leaves.flatMap((l) => [l.lo[d]!, l.hi[d]!]))].sort((a, b) => a - b);
    const pos = new Map(cuts.map((c, i) => [c, i]));
    // Marginal over the other dims, accumulated on the intervals between cuts with a difference array.
    const diff = new Float64Array(cuts.length);
    leaves.forEach((l, i) => {
      const w = l.hi[d]! - l.lo[d]!;
      const contrib = (l.value * vol[i]!) / w;
      diff[pos.get(l.lo[d]!)!]! += contrib;
      diff[pos.get(l.hi[d]!)!]! -= contrib;
    });
    let run = 0;
    let v = 0;
    for (let k = 0; k < cuts.length - 1; k++) {
      run += diff[k]!;
      v += (cuts[k + 1]! - cuts[k]!) * (run - f0) ** 2;
    }
    effects[d] = v;
  }
  return { total, effects };
}

/**
 * fANOVA (Hutter et al. 2014) on a random forest: each tree's prediction is decomposed under
 * the uniform measure on the unit-encoded space, each parameter's main-effect variance is
 * divided by the tree's total variance, averaged over trees and normalized to sum to 1
 * (as Optuna's FanovaImportanceEvaluator reports them). Categorical choices are split
 * ordinally; inactive conditional params sit at 0. `objective` picks the objective of a
 * multi-objective study.
 */
export function computeImportance(
  space: CompiledSpace,
  trials: readonly TrialView[],
  seed: number,
  objective = 0,
  o: ImportanceOptions = DEFAULTS,
): Record<string, number> {
  const dims = space.dims;
  const dim = dims.length;
  const done = trials.filter((t) => t.state === "complete" && t.loss !== null);
  const out: Record<string, number> = {};
  const uniform = (): Record<string, number> => {
    for (const d of dims) out[d.name] = 1 / dim;
    return out;
  };
  if (done.length < 3) return uniform();
  const x = done.map((t) => Float64Array.from(dims, (d) => (d.name in t.params ? toUnit(d, t.params[d.name]!) : 0)));
  const y = done.map((t) => t.loss![objective]!);
  const rng = new Rng(seed);
  const acc = new Float64Array(dim);
  let used = 0;
  for (let k = 0; k < o.nTrees; k++) {
    const idx = Array.from({ length: done.length }, () => rng.int(done.length));
    const eff = treeMainEffects(growTree(x, y, idx, dim, o), dim);
    if (eff === null) continue;
    for (let d = 0; d < dim; d++) acc[d]! += eff.effects[d]! / eff.total;
    used++;
  }
  const sum = acc.reduce((a, b) => a + b, 0);
  if (used === 0 || !(sum > 0)) return uniform();
  dims.forEach((d, j) => (out[d.name] = acc[j]! / sum));
  return out;
}
