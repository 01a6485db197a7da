import type { CompiledSpace } from "../space.js";
import type { TrialView } from "../trial.js";
import type { Acquisition } from "./gp-acquisition.js";
import { encode } from "./gp-encoding.js";
import { fitKernelBounded } from "./gp-kernel.js";
import { Posterior } from "./gp-posterior.js";

/** Optuna's floor on a standard deviation before dividing by it (`EPS` in its GP sampler). */
const EPS = 1e-10;

/**
 * log P(every constraint holds at z), one independent GP per constraint fitted to the
 * observations that carry constraints: Optuna's GPSampler for constrained studies
 * (Gardner et al. 2014), whose acquisition adds this log-probability to log EI. Null when
 * no observation carries constraints (or none varies).
 */
export function feasibilityLogProb(space: CompiledSpace, obs: readonly TrialView[], maxFitPoints: number): Acquisition | null {
  const rows = obs.filter((t) => t.constraints !== null);
  if (rows.length === 0) return null;
  const dim = space.dims.length;
  const isCat = space.dims.map((d) => d.type === "categorical");
  const n = rows.length;
  const x = new Float64Array(n * dim);
  rows.forEach((t, i) => encode(space, t.params, x, i * dim));
  const ids = rows.map((t) => t.id);
  const nConstraints = rows[0]!.constraints!.length;
  const models: Array<{ post: Posterior; threshold: number }> = [];
  for (let j = 0; j < nConstraints; j++) {
    const c = rows.map((t) => t.constraints![j]!);
    // A constraint that read the same everywhere says nothing about where it changes, and its
    // standardized threshold (~1e10) would only feed overflowing gradients to L-BFGS: left out.
    if (c.every((v) => v === c[0])) continue;
    const mean = c.reduce((a, b) => a + b, 0) / n;
    const sd = Math.max(EPS, Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / n));
    const y = Float64Array.from(c, (v) => (v - mean) / sd);
    const data = { x, y, n, dim, isCat };
    const params = fitKernelBounded(data, Array.from(y), ids, maxFitPoints);
    // The constraint holds where its standardized value is at most the standardized 0.
    models.push({ post: new Posterior(data, params), threshold: -mean / sd });
  }
  if (models.length === 0) return null;
  const g = new Float64Array(dim);
  return (z, grad) => {
    let v = 0;
    if (grad !== null) grad.fill(0);
    for (const m of models) {
      v += m.post.logProbBelow(z, m.threshold, grad === null ? null : g);
      if (grad !== null) for (let d = 0; d < dim; d++) grad[d]! += g[d]!;
    }
    return v;
  };
}
