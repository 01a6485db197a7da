import { median } from "../math.js";

/**
 * The values a GP models, made from the losses by a monotone transform and standardization.
 * `warped`: log1p of the distance to the lowest loss, in units of (median - lowest). Heavy upper
 * tails (rosenbrock's 1e5-sized values) otherwise dominate the standardized targets and flatten
 * the model where it matters; on the suite this took rosenbrock4 from 30 to 3.3 regret and left
 * the benign functions as good or better. The transform is monotone, so the best point is the
 * same on either scale.
 */
export interface TGpTargets {
  warped: boolean;
  /** The transformed losses before standardization (what the best-half subset ranks by). */
  raw: number[];
  /** Standardized: what the GP conditions on. */
  y: Float64Array;
  /** log |d y_i / d loss_i| of each point: what the transform adds to a likelihood in loss units. */
  logSlope: Float64Array;
  /** A standardized value back in loss units. */
  toLoss(y: number): number;
  /** d loss / d y at a standardized value: carries a standard deviation back to loss units. */
  lossPerY(y: number): number;
}

export function gpTargets(losses: readonly number[], warped: boolean): TGpTargets {
  const n = losses.length;
  const mn = Math.min(...losses);
  const scale = Math.max(median(losses) - mn, 1e-12);
  const raw = warped ? losses.map((v) => Math.log1p((v - mn) / scale)) : [...losses];
  const mu = raw.reduce((a, b) => a + b, 0) / n;
  const sdRaw = Math.sqrt(raw.reduce((a, b) => a + (b - mu) ** 2, 0) / n);
  const sd = sdRaw > 0 ? sdRaw : 1;
  const logSd = Math.log(sd);
  const logSlope = Float64Array.from(losses, (v) => (warped ? -Math.log(scale + v - mn) : 0) - logSd);
  return {
    warped,
    raw,
    y: Float64Array.from(raw, (v) => (v - mu) / sd),
    logSlope,
    toLoss: (y) => (warped ? mn + scale * Math.expm1(mu + sd * y) : mu + sd * y),
    lossPerY: (y) => (warped ? sd * scale * Math.exp(mu + sd * y) : sd),
  };
}
