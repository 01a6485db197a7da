import { minimizeLbfgs } from "../lbfgs.js";
import type { Rng } from "../rng.js";
import { fromUnit, snap, toUnit, type CompiledSpace, type TParams } from "../space.js";
import { canonicalize, decode } from "./gp-encoding.js";

/** An acquisition value (larger is better) and, when `grad` is given, its gradient written there. */
export type Acquisition = (z: Float64Array, grad: Float64Array | null) => number;

/**
 * The params with the largest acquisition: random candidates and candidates near `near` (the
 * best known points, best first), L-BFGS from the best six, then a sweep over categorical
 * choices and one step either way on stepped dims.
 */
export function maximizeAcquisition(space: CompiledSpace, acquisition: Acquisition, near: Float64Array[], rng: Rng): TParams {
  const dims = space.dims;
  const dim = dims.length;
  const acq = (z: Float64Array): number => acquisition(z, null);
  const randomPoint = (): Float64Array => {
    const z = new Float64Array(dim);
    dims.forEach((d, j) => (z[j] = d.type === "categorical" ? rng.int(d.size) : rng.random()));
    canonicalize(space, z);
    return z;
  };
  // Candidates: uniform, plus Gaussian perturbations of the best observed points (the
  // optimum of EI is usually close to them once the model is good).
  const nRandom = 512 + 64 * dim;
  const cands: Array<{ z: Float64Array; a: number }> = [];
  for (let i = 0; i < nRandom; i++) {
    const z = randomPoint();
    cands.push({ z, a: acq(z) });
  }
  for (const k of near.slice(0, 5)) {
    for (const scale of [0.01, 0.05, 0.2]) {
      for (let r = 0; r < 8; r++) {
        const z = Float64Array.from(k);
        dims.forEach((d, j) => {
          if (d.type === "categorical") {
            if (rng.random() < 0.2) z[j] = rng.int(d.size);
          } else z[j] = Math.min(1, Math.max(0, z[j]! + scale * rng.normal()));
        });
        canonicalize(space, z);
        cands.push({ z, a: acq(z) });
      }
    }
  }
  cands.sort((a, b) => b.a - a.a);
  // Local refinement of the continuous coordinates from the best few candidates.
  const starts = cands.slice(0, 6);
  let bestZ = starts[0]!.z;
  let bestA = starts[0]!.a;
  const lo = new Float64Array(dim);
  const hi = new Float64Array(dim);
  for (const s of starts) {
    const params = decode(space, s.z);
    dims.forEach((d, j) => {
      const free = d.type !== "categorical" && d.name in params;
      lo[j] = free ? 0 : s.z[j]!;
      hi[j] = free ? 1 : s.z[j]!;
    });
    const res = minimizeLbfgs(
      (z, g) => {
        const v = acquisition(z, g);
        for (let j = 0; j < dim; j++) g[j] = lo[j] === hi[j] ? 0 : -g[j]!;
        return -v;
      },
      s.z,
      lo,
      hi,
      { maxIter: 40, gtol: 1e-7, ftol: 1e-12 },
    );
    const z = res.x;
    canonicalize(space, z);
    const a = acq(z);
    if (a > bestA) {
      bestA = a;
      bestZ = Float64Array.from(z);
    }
  }
  // Discrete sweep: every choice of each categorical, +-1 step of each stepped numeric.
  for (let sweep = 0; sweep < 2; sweep++) {
    let improved = false;
    dims.forEach((d, j) => {
      if (!(d.name in decode(space, bestZ))) return;
      const tries: number[] = [];
      if (d.type === "categorical") for (let c = 0; c < d.size; c++) tries.push(c);
      else if (d.step !== null) {
        const v = fromUnit(d, bestZ[j]!) as number;
        for (const dv of [-d.step, d.step]) tries.push(toUnit(d, snap(d, v + dv)));
      } else return;
      for (const t of tries) {
        const z = Float64Array.from(bestZ);
        z[j] = t;
        canonicalize(space, z);
        const a = acq(z);
        if (a > bestA + 1e-12) {
          bestA = a;
          bestZ = z;
          improved = true;
        }
      }
    });
    if (!improved) break;
  }
  return decode(space, bestZ);
}
