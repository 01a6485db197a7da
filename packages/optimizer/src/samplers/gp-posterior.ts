import { cholesky, solveLower, solveUpperT } from "../linalg.js";
import { LOG_SQRT_2PI, logH, logNormCdf } from "../math.js";
import { matern, maternDr2, sqDist, type GpData, type KernelParams } from "./gp-kernel.js";

/** The GP conditioned on data under fixed kernel params (Cholesky of K, with jitter added until it factors). */
export class Posterior {
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly kbuf: Float64Array;
  private readonly vbuf: Float64Array;
  /** The point of the last predict(), whose kernel vector vbuf holds (for predictGrad). */
  private lastZ: Float64Array | null = null;
  constructor(
    readonly data: GpData,
    readonly p: KernelParams,
  ) {
    const { n, dim, x, isCat } = data;
    let jitter = 0;
    for (;;) {
      const k = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        k[i * n + i] = p.scale + p.noise + jitter;
        for (let j = 0; j < i; j++) {
          const kv = matern(Math.sqrt(sqDist(x, i * dim, x, j * dim, dim, isCat, p.invLs2)), p.scale);
          k[i * n + j] = kv;
          k[j * n + i] = kv;
        }
      }
      if (cholesky(k, n)) {
        this.l = k;
        break;
      }
      jitter = jitter === 0 ? 1e-8 * p.scale : jitter * 10;
    }
    this.alpha = solveUpperT(this.l, n, solveLower(this.l, n, Float64Array.from(data.y)));
    this.kbuf = new Float64Array(n);
    this.vbuf = new Float64Array(n);
  }

  /** Posterior mean and variance of the latent function at z (length D). */
  predict(z: Float64Array): { mean: number; variance: number } {
    const { n, dim, x, isCat } = this.data;
    this.lastZ = z;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const kv = matern(Math.sqrt(sqDist(z, 0, x, i * dim, dim, isCat, this.p.invLs2)), this.p.scale);
      this.kbuf[i] = kv;
      mean += kv * this.alpha[i]!;
    }
    this.vbuf.set(this.kbuf);
    solveLower(this.l, n, this.vbuf);
    let vv = 0;
    for (let i = 0; i < n; i++) vv += this.vbuf[i]! * this.vbuf[i]!;
    return { mean, variance: Math.max(this.p.scale - vv, 1e-12 * this.p.scale) };
  }

  /** log EI (for minimization, below `best`) and its gradient in the numeric coordinates. */
  logEi(z: Float64Array, best: number, grad: Float64Array | null): number {
    const { mean, variance } = this.predict(z);
    const sd = Math.sqrt(variance);
    const zz = (best - mean) / sd;
    const h = logH(zz);
    const value = Math.log(sd) + h.value;
    if (grad === null) return value;
    const { dMean, dVar } = this.predictGrad();
    grad.fill(0);
    for (let d = 0; d < this.data.dim; d++) {
      if (this.data.isCat[d]) continue;
      const dSd = dVar[d]! / (2 * sd);
      const dz = -(dMean[d]! + zz * dSd) / sd;
      grad[d] = dSd / sd + h.grad * dz;
    }
    return value;
  }

  /**
   * log P(f(z) ≤ threshold) and its gradient: the log-probability that a constraint holds
   * (Optuna's LogPI on the sign-flipped constraint, Gardner et al. 2014).
   */
  logProbBelow(z: Float64Array, threshold: number, grad: Float64Array | null): number {
    const { mean, variance } = this.predict(z);
    const sd = Math.sqrt(variance);
    const u = (threshold - mean) / sd;
    const value = logNormCdf(u);
    if (grad === null) return value;
    // d log Phi(u) / du = phi(u) / Phi(u), in logs so it stays finite far in the tail.
    const ratio = Math.exp(-0.5 * u * u - LOG_SQRT_2PI - value);
    const { dMean, dVar } = this.predictGrad();
    grad.fill(0);
    for (let d = 0; d < this.data.dim; d++) {
      if (this.data.isCat[d]) continue;
      const dSd = dVar[d]! / (2 * sd);
      grad[d] = (ratio * -(dMean[d]! + u * dSd)) / sd;
    }
    return value;
  }

  /** Gradients of the mean and variance at the point the last predict() saw (numeric coordinates only). */
  private predictGrad(): { dMean: Float64Array; dVar: Float64Array } {
    const { n, dim, x, isCat } = this.data;
    const z = this.lastZ!;
    // u = K^{-1} k*
    const u = solveUpperT(this.l, n, Float64Array.from(this.vbuf));
    const dMean = new Float64Array(dim);
    const dVar = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      const io = i * dim;
      const r = Math.sqrt(sqDist(z, 0, x, io, dim, isCat, this.p.invLs2));
      const c = 2 * maternDr2(r, this.p.scale);
      for (let d = 0; d < dim; d++) {
        if (isCat[d]) continue;
        const dk = c * this.p.invLs2[d]! * (z[d]! - x[io + d]!);
        dMean[d]! += this.alpha[i]! * dk;
        dVar[d]! += -2 * u[i]! * dk;
      }
    }
    return { dMean, dVar };
  }
}
