import { isFeasibleComplete } from "../constraints.js";
import { normQuantile } from "../math.js";
import { hashSeed, Rng } from "../rng.js";
import { fromUnit, isActive, sampleDim, toUnit, type Dim, type TParams } from "../space.js";
import type { SampleContext, Sampler, TrialView } from "../trial.js";
import { countFinished, startupSample } from "./startup.js";

export interface CmaesOptions {
  nStartupTrials: number;
  sigma0: number;
  popsize: number | null;
  restart: "ipop" | "none";
  /** Treat the first this-many trials (by id) as startup: the search starts at their best (auto's hand-over). */
  startAfter?: number;
  /**
   * Form generations only from the trials this member proposed (`proposedBy`): inside `auto`
   * the portfolio's other members propose some trials after the hand-over, and those are not
   * draws from this distribution (Optuna's CmaEsSampler likewise tells its optimizer only the
   * trials of its own generations).
   */
  member?: string;
  /**
   * Categorical params: drawn at random (Optuna's CmaEsSampler) or taken from the best trial so
   * far ("incumbent": auto's member after a hand-over in a mixed space refines the numeric
   * params of the choices its model phase found, while TPE's turns keep trying other choices).
   */
  categoricals?: "random" | "incumbent";
  /**
   * After startAfter: start from the best tenth's covariance as well as its spread (default), or
   * isotropic with its spread only (auto's hand-over of a rugged landscape, whose good points lie
   * in different basins rather than along one valley).
   */
  startShape?: boolean;
}

/**
 * Added to the hand-over covariance (normalized to a mean variance of 1) so that no direction
 * starts below 1% of the mean variance: a direction the best tenth happens not to vary in still
 * gets searched. Measured at 1,000 trials of auto (BENCHMARKS.md): on powell8 (seed 0) the
 * isotropic start made no progress for 400 trials (2.6e-2), this start reached 6.5e-4.
 */
export const HANDOVER_RIDGE = 0.01;

export const CMAES_DEFAULTS: CmaesOptions = { nStartupTrials: 5, sigma0: 1 / 6, popsize: null, restart: "ipop" };

/** Symmetric eigendecomposition by cyclic Jacobi (d is small). Returns eigenvalues and column eigenvectors (row-major d x d). */
export function eigSym(a: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) off += m[i * d + j]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++)
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * d + q]! - m[p * d + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const mkp = m[k * d + p]!;
          const mkq = m[k * d + q]!;
          m[k * d + p] = c * mkp - s * mkq;
          m[k * d + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < d; k++) {
          const mpk = m[p * d + k]!;
          const mqk = m[q * d + k]!;
          m[p * d + k] = c * mpk - s * mqk;
          m[q * d + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!;
          const vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = m[i * d + i]!;
  return { values, vectors: v };
}

/** One CMA-ES run's state (Hansen's tutorial, 2016), in the unit cube of the numeric dims. */
class CmaState {
  readonly d: number;
  readonly lambda: number;
  readonly mu: number;
  readonly w: Float64Array;
  readonly mueff: number;
  readonly cs: number;
  readonly ds: number;
  readonly cc: number;
  readonly c1: number;
  readonly cmu: number;
  readonly chiN: number;
  mean: Float64Array;
  sigma: number;
  C: Float64Array;
  ps: Float64Array;
  pc: Float64Array;
  B: Float64Array;
  D: Float64Array;
  gen = 0;
  bestLoss = Infinity;
  stale = 0;

  constructor(d: number, lambda: number, mean: Float64Array, sigma: number) {
    this.d = d;
    this.lambda = lambda;
    this.mu = Math.floor(lambda / 2);
    // Weights of all lambda ranks (Hansen 2016, eq. 49-53): the better half's sum to 1, the
    // worse half's are negative (active CMA: the covariance shrinks along directions that
    // failed), scaled so that C stays positive definite.
    const prime = Array.from({ length: lambda }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
    const pos = prime.slice(0, this.mu);
    const neg = prime.slice(this.mu);
    const sq = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) ** 2 / xs.reduce((a, b) => a + b * b, 0);
    this.mueff = sq(pos);
    const mueffMinus = neg.length && neg.some((x) => x !== 0) ? sq(neg) : 0;
    this.cs = (this.mueff + 2) / (d + this.mueff + 5);
    this.ds = 1 + 2 * Math.max(0, Math.sqrt((this.mueff - 1) / (d + 1)) - 1) + this.cs;
    this.cc = (4 + this.mueff / d) / (d + 4 + (2 * this.mueff) / d);
    this.c1 = 2 / ((d + 1.3) ** 2 + this.mueff);
    this.cmu = Math.min(1 - this.c1 - 1e-8, (2 * (this.mueff - 2 + 1 / this.mueff)) / ((d + 2) ** 2 + this.mueff));
    const alphaMin = Math.min(
      1 + this.c1 / this.cmu,
      1 + (2 * mueffMinus) / (this.mueff + 2),
      (1 - this.c1 - this.cmu) / (d * this.cmu),
    );
    const posSum = prime.filter((x) => x > 0).reduce((a, b) => a + b, 0);
    const negSum = prime.filter((x) => x < 0).reduce((a, b) => a - b, 0);
    this.w = Float64Array.from(prime, (x) => (x >= 0 ? x / posSum : (alphaMin / negSum) * x));
    this.chiN = Math.sqrt(d) * (1 - 1 / (4 * d) + 1 / (21 * d * d));
    this.mean = mean;
    this.sigma = sigma;
    this.C = new Float64Array(d * d);
    for (let i = 0; i < d; i++) this.C[i * d + i] = 1;
    this.ps = new Float64Array(d);
    this.pc = new Float64Array(d);
    this.B = Float64Array.from(this.C);
    this.D = new Float64Array(d).fill(1);
  }

  /** Updates with the generation's points (unit coords) sorted best first. */
  update(sorted: Float64Array[], dims: Dim[]): void {
    const { d, w, mueff, cs, ds, cc, c1, cmu, chiN } = this;
    const k = Math.min(this.mu, sorted.length);
    const wsum = w.subarray(0, k).reduce((a, b) => a + b, 0);
    const ys = sorted.slice(0, this.lambda).map((x) => Float64Array.from(x, (v, i) => (v - this.mean[i]!) / this.sigma));
    const step = new Float64Array(d);
    for (let j = 0; j < k; j++) for (let i = 0; i < d; i++) step[i]! += (w[j]! / wsum) * ys[j]![i]!;
    const newMean = Float64Array.from(this.mean, (m, i) => m + this.sigma * step[i]!);
    const invSqrtStep = this.invSqrtC(step);
    const a = Math.sqrt(cs * (2 - cs) * mueff);
    let psNorm = 0;
    for (let i = 0; i < d; i++) {
      this.ps[i] = (1 - cs) * this.ps[i]! + a * invSqrtStep[i]!;
      psNorm += this.ps[i]! ** 2;
    }
    psNorm = Math.sqrt(psNorm);
    const hs = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * (this.gen + 1))) < (1.4 + 2 / (d + 1)) * chiN ? 1 : 0;
    const b = Math.sqrt(cc * (2 - cc) * mueff);
    for (let i = 0; i < d; i++) this.pc[i] = (1 - cc) * this.pc[i]! + hs * b * step[i]!;
    const dh = (1 - hs) * cc * (2 - cc);
    // A negative weight acts on the point's Mahalanobis-normalized direction (eq. 46), so a far
    // outlier cannot shrink C by more than a near one.
    const wio = ys.map((y, j) => {
      if (w[j]! >= 0) return w[j]!;
      const z = this.invSqrtC(y);
      return (w[j]! * d) / (z.reduce((s, v) => s + v * v, 0) + 1e-8);
    });
    const wTotal = w.subarray(0, ys.length).reduce((s, x) => s + x, 0);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let rank = 0;
        for (let q = 0; q < ys.length; q++) rank += wio[q]! * ys[q]![i]! * ys[q]![j]!;
        this.C[i * d + j] = (1 + c1 * dh - c1 - cmu * wTotal) * this.C[i * d + j]! + c1 * this.pc[i]! * this.pc[j]! + cmu * rank;
      }
    this.sigma *= Math.exp(Math.min(1, (cs / ds) * (psNorm / chiN - 1)));
    this.sigma = Math.min(this.sigma, 1);
    this.mean = Float64Array.from(newMean, (v) => Math.min(1, Math.max(0, v)));
    const minStd = marginStd(dims, this.mean, this.lambda);
    for (let i = 0; i < d; i++) {
      const sd = this.sigma * Math.sqrt(this.C[i * d + i]!);
      if (sd < minStd[i]!) this.C[i * d + i] = (minStd[i]! / this.sigma) ** 2;
    }
    this.gen++;
    this.decompose();
  }

  /** C^{-1/2} v = B D^{-1} B^T v. */
  invSqrtC(v: Float64Array): Float64Array {
    const d = this.d;
    const bt = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let r = 0; r < d; r++) s += this.B[r * d + i]! * v[r]!;
      bt[i] = s / this.D[i]!;
    }
    const out = new Float64Array(d);
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += this.B[r * d + i]! * bt[i]!;
      out[r] = s;
    }
    return out;
  }

  decompose(): void {
    const { values, vectors } = eigSym(this.C, this.d);
    this.B = vectors;
    this.D = Float64Array.from(values, (v) => Math.sqrt(Math.max(v, 1e-20)));
  }

  sample(rng: Rng): Float64Array {
    const d = this.d;
    for (let tries = 0; ; tries++) {
      const z = Float64Array.from({ length: d }, () => rng.normal());
      const x = new Float64Array(d);
      let inside = true;
      for (let r = 0; r < d; r++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += this.B[r * d + i]! * this.D[i]! * z[i]!;
        x[r] = this.mean[r]! + this.sigma * s;
        if (x[r]! < 0 || x[r]! > 1) inside = false;
      }
      if (inside || tries >= 20) return x.map((v) => Math.min(1, Math.max(0, v)));
    }
  }

  conditionNumber(): number {
    let mx = 0;
    let mn = Infinity;
    for (const v of this.D) {
      mx = Math.max(mx, v);
      mn = Math.min(mn, v);
    }
    return (mx / mn) ** 2;
  }
}

/**
 * CMA-ES over the numeric params (categoricals drawn at random, as Optuna does), with the
 * active covariance update of Hansen's tutorial (the default of the `cmaes` library under
 * Optuna's CmaEsSampler), IPOP restarts (population doubled on stagnation) and the margin of
 * CMA-ES with margin on integer and stepped params (marginStd). The state is rebuilt by
 * replaying the history on every ask: trials after the startup ones form generations of
 * `popsize` in id order, each generation updates the distribution once all its trials finished. That keeps it exactly reproducible from the
 * database and costs O(generations * d^3), microseconds per generation for d < 50.
 */
export class CmaesSampler implements Sampler {
  constructor(private readonly o: CmaesOptions) {}

  sample(ctx: SampleContext): TParams {
    const numDims = ctx.space.dims.filter((d) => d.type !== "categorical");
    if (numDims.length === 0 || (this.o.startAfter === undefined && countFinished(ctx) < this.o.nStartupTrials))
      return startupSample(ctx, Math.max(1, this.o.nStartupTrials));
    const state = replay(ctx, numDims, this.o);
    const x = state.sample(ctx.rng);
    const byName = new Map(numDims.map((d, i) => [d.name, x[i]!]));
    const incumbent = this.o.categoricals === "incumbent" ? bestTrial(ctx.trials) : null;
    const out: TParams = {};
    for (const d of ctx.space.dims) {
      if (!isActive(d, out)) continue;
      if (d.type !== "categorical") out[d.name] = fromUnit(d, byName.get(d.name)!);
      else out[d.name] = incumbent && d.name in incumbent.params ? incumbent.params[d.name]! : sampleDim(d, ctx.rng);
    }
    return out;
  }
}

/**
 * The least marginal std of each integer or stepped coordinate at `mean` (unit coords), so that
 * a draw still leaves the mean's value on either side with probability at least margin / 2,
 * margin = 1 / (d * lambda): about one step to a neighbouring value per generation. That is the
 * lower bound of CMA-ES with margin (Hamano et al. 2022, the default of the `cmaes` library's
 * CMAwM), taken by widening the marginal variance: the search can still move an integer, and the
 * continuous coordinates keep converging because few draws of a generation change one.
 */
export function marginStd(dims: Dim[], mean: Float64Array, lambda: number): Float64Array {
  const z = normQuantile(1 - 1 / (2 * dims.length * lambda));
  return Float64Array.from(dims, (dim, i) => {
    if (dim.step === null || dim.size < 2) return 0;
    const m = mean[i]!;
    const v = fromUnit(dim, m) as number;
    const k = Math.round((v - dim.low) / dim.step);
    // The distance to the farther edge of the value's bin, where there is a value beyond it.
    const below = k > 0 ? m - toUnit(dim, v - dim.step / 2) : 0;
    const above = k < dim.size - 1 ? toUnit(dim, v + dim.step / 2) - m : 0;
    return Math.max(Math.abs(below), Math.abs(above)) / z;
  });
}

/** The complete feasible trial with the lowest loss, or null. */
function bestTrial(trials: readonly TrialView[]): TrialView | null {
  let best: TrialView | null = null;
  for (const t of trials) if (isFeasibleComplete(t) && (best === null || t.loss[0]! < best.loss![0]!)) best = t;
  return best;
}

/** The covariance of points (unit coords), row-major d x d. */
function covariance(points: Float64Array[]): Float64Array {
  const d = points[0]!.length;
  const mean = Float64Array.from({ length: d }, (_, i) => points.reduce((a, x) => a + x[i]!, 0) / points.length);
  const c = new Float64Array(d * d);
  for (const x of points)
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) c[i * d + j]! += (x[i]! - mean[i]!) * (x[j]! - mean[j]!);
  for (let k = 0; k < d * d; k++) c[k] = c[k]! / points.length;
  return c;
}

function replay(ctx: SampleContext, numDims: Dim[], o: CmaesOptions): CmaState {
  const d = numDims.length;
  const trials = ctx.trials;
  const startup = Math.min(o.startAfter ?? o.nStartupTrials, trials.length);
  const encode = (t: TrialView): Float64Array =>
    Float64Array.from(numDims, (dim) => (dim.name in t.params ? toUnit(dim, t.params[dim.name]!) : 0.5));
  const loss = (t: TrialView): number | null =>
    t.state === "complete" && t.loss ? t.loss[0]! : t.state === "pruned" ? Infinity : null;
  const baseLambda = o.popsize ?? 4 + Math.floor(3 * Math.log(d));
  // Start at the best startup trial. After a hand-over, the best tenth's spread gives the step
  // size and its covariance the shape (warm-starting CMA-ES from a promising distribution,
  // WS-CMA-ES, Nomura et al. 2021): the model phase's good points lie along the valleys, so the
  // search need not learn them again from an isotropic start (see HANDOVER_RIDGE). Before the
  // hand-over (the portfolio trying CMA-ES off its schedule) the best tenth is a handful of
  // points, too few for a d x d covariance: the step size only.
  let sigma0 = o.sigma0;
  let startC: Float64Array | null = null;
  let bestStart: TrialView | null = null;
  for (const t of trials.slice(0, startup)) {
    const l = loss(t);
    if (l !== null && Number.isFinite(l) && (bestStart === null || l < loss(bestStart)!)) bestStart = t;
  }
  if (o.startAfter !== undefined && bestStart !== null) {
    const good = trials
      .slice(0, startup)
      .filter((t) => loss(t) !== null && Number.isFinite(loss(t)!))
      .sort((a, b) => loss(a)! - loss(b)!)
      .slice(0, Math.max(5, Math.ceil(startup / 10)))
      .map(encode);
    const cov = covariance(good);
    let spread = 0;
    for (let i = 0; i < d; i++) spread += cov[i * d + i]!;
    sigma0 = Math.min(o.sigma0, Math.max(1e-3, Math.sqrt(spread / d)));
    // The shape: the covariance scaled to a mean variance of 1, plus HANDOVER_RIDGE.
    if (o.startShape !== false && spread > 0 && trials.length >= o.startAfter) {
      startC = Float64Array.from(cov, (v) => v / (spread / d));
      for (let i = 0; i < d; i++) startC[i * d + i]! += HANDOVER_RIDGE;
    }
  }
  let restarts = 0;
  let state = new CmaState(d, baseLambda, bestStart ? encode(bestStart) : new Float64Array(d).fill(0.5), sigma0);
  if (startC) {
    state.C = startC;
    state.decompose();
  }
  const rest = trials.slice(startup).filter((t) => o.member === undefined || t.proposedBy === o.member);
  let i = 0;
  while (i + state.lambda <= rest.length) {
    const gen = rest.slice(i, i + state.lambda);
    if (gen.some((t) => t.state === "running")) break; // wait: sample from the current distribution
    i += state.lambda;
    const scored = gen.map((t) => ({ x: encode(t), l: loss(t) })).filter((s) => s.l !== null) as Array<{
      x: Float64Array;
      l: number;
    }>;
    if (scored.length < 2) continue;
    scored.sort((a, b) => a.l - b.l);
    const genBest = scored[0]!.l;
    if (state.bestLoss === Infinity || genBest < state.bestLoss - 1e-12 * Math.abs(state.bestLoss)) {
      state.bestLoss = genBest;
      state.stale = 0;
    } else state.stale++;
    state.update(
      scored.map((s) => s.x),
      numDims,
    );
    const spread = scored[scored.length - 1]!.l - scored[0]!.l;
    const stalled =
      state.sigma * Math.max(...state.D) < 1e-8 ||
      state.conditionNumber() > 1e14 ||
      state.stale >= 10 + Math.ceil((30 * d) / state.lambda) ||
      (Number.isFinite(spread) && spread <= 1e-12 * Math.max(1, Math.abs(genBest)));
    if (o.restart === "ipop" && stalled) {
      restarts++;
      const rng = new Rng(hashSeed(ctx.seed, 0xc3a, restarts));
      const mean = Float64Array.from({ length: d }, () => rng.random());
      state = new CmaState(d, baseLambda * 2 ** restarts, mean, o.sigma0 * 2);
    }
  }
  return state;
}
