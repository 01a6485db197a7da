import { erfcPos, LOG_SQRT_2PI, normCdf, SQRT2 } from "../math.js";
import { toUnit, type Dim } from "../space.js";
import type { TrialView } from "../trial.js";
import { gapBandwidths, minBandwidth } from "./parzen-bandwidths.js";

/**
 * A Parzen estimator over the dims of one group: one product kernel per observation (equal
 * weights) plus a wide prior component. Flat typed arrays: at 1,000 trials the "above"
 * mixture has ~1,000 components and is evaluated at every candidate, which is most of the
 * cost of an ask.
 */
export interface Mixture {
  dims: Dim[];
  isCat: boolean[];
  n: number;
  logW: number;
  logWPrior: number;
  /** n x nd: unit coordinate (numeric) or choice index (categorical). */
  mu: Float64Array;
  /** n x nd bandwidths, or nd of them when `shared`. */
  sigma: Float64Array;
  /** Per dim: log probability of the observed choice / of any other choice. */
  catHit: Float64Array;
  catMiss: Float64Array;
  /** catHit indexed by dim (for drawing). */
  catHitByDim: Float64Array;
  /** Per component: log weight minus every numeric dim's log normalizer, log sigma and log sqrt(2 pi). */
  base: Float64Array;
  /** Scoring layout: the numeric and the categorical dims' indices. */
  numJ: Int32Array;
  catJ: Int32Array;
  /**
   * True when every component shares one bandwidth per dim (the multivariate kernel): the
   * numeric means are then stored pre-divided by it (`scaled`, n x numJ.length), so a kernel
   * term costs one subtraction and one multiply-add per dim.
   */
  shared: boolean;
  invS: Float64Array;
  /** Shared: mu / sigma; otherwise mu, with `invSig` (n x numJ.length) beside it. */
  scaled: Float64Array;
  invSig: Float64Array;
  /** n x catJ.length choice indices. */
  choice: Float64Array;
  /** The prior component's log density without its numeric quadratic term. */
  priorConst: number;
  buf: Float64Array;
  xs: Float64Array;
}

const PRIOR_LOGZ = Math.log(normCdf(0.5) - normCdf(-0.5));

/**
 * Coordinates of the observations on the group's dims (unit interval for numeric dims,
 * choice index for categorical ones), n x nd, cached on the trial across asks (the
 * conversions, log and indexOf, were a tenth of an ask at 1,000 trials; a WeakMap keyed by
 * trial did as much work again in the garbage collector).
 */
export function coordsOf(dims: Dim[], obs: TrialView[], slot: number): Float64Array {
  const nd = dims.length;
  const key = dims.map((d) => d.name).join("\u0000");
  const out = scratch(slot, obs.length * nd);
  for (let i = 0; i < obs.length; i++) {
    const t = obs[i]!;
    let c = t.coords?.get(key);
    if (c === undefined) {
      const p = t.params;
      c = Float64Array.from(dims, (d) => {
        const raw = p[d.name]!;
        return d.type === "categorical" ? d.choices.indexOf(raw) : toUnit(d, raw);
      });
      (t.coords ??= new Map()).set(key, c);
    }
    for (let j = 0, o = i * nd; j < nd; j++) out[o + j] = c[j]!;
  }
  return out;
}

/**
 * Scratch arrays reused from ask to ask, one per slot (the big per-ask arrays: coordinates
 * and the two mixtures' per-component arrays). Fresh typed arrays of this size live outside
 * the JS heap, and allocating and freeing ~150 KB of them per ask showed up as garbage-
 * collector time (on helper threads, which the process's CPU time counts). A slot's array is
 * only valid until the next scratch() call for that slot: every user is inside one
 * synchronous sampleGroup() call (tpe.ts), and the contents are always written before being read.
 */
const SCRATCH: Float64Array[] = [];
function scratch(slot: number, length: number): Float64Array {
  let a = SCRATCH[slot];
  // Grow by doubling; shrink when a study needs far less than a previous one held.
  if (a === undefined || a.length < length || a.length > 16 * length + (1 << 16)) {
    a = new Float64Array(Math.max(length, Math.min(2 * length, (a?.length ?? 0) * 2)));
    SCRATCH[slot] = a;
  }
  return a.subarray(0, length);
}
/** Scratch slots; the mixture's slots are Base.. + role (0 for g, 1 for l). */
export const Slot = { AboveMu: 0, BelowMu: 1, Base: 2, Scaled: 4, InvSig: 6, Choice: 8, Buf: 10, Sigma: 12 } as const;

/** role: 0 for g (above), 1 for l (below): which scratch slots the mixture uses. */
export function buildMixture(
  dims: Dim[],
  mu: Float64Array,
  n: number,
  priorWeight: number,
  sdAll?: number[],
  univariate = false,
  role: 0 | 1 = 0,
): Mixture {
  const nd = dims.length;
  const isCat = dims.map((d) => d.type === "categorical");
  const nNum = isCat.filter((c) => !c).length;
  // Scott's rule for a d-dimensional product kernel.
  const factor = Math.pow(Math.max(n, 1), -1 / (Math.max(nNum, 1) + 4));
  // Per component and dim (univariate), or one per dim shared by every component.
  const sigma = scratch(Slot.Sigma + role, univariate ? n * nd : 0);
  const sharedSigma = new Float64Array(nd);
  const catHit = new Float64Array(nd);
  const catMiss = new Float64Array(nd);
  dims.forEach((d, j) => {
    if (isCat[j]) {
      // Optuna's categorical kernel: the observed choice +1, every choice + priorWeight/k.
      const k = d.size;
      catHit[j] = Math.log((1 + priorWeight / k) / (1 + priorWeight));
      catMiss[j] = Math.log(priorWeight / k / (1 + priorWeight));
      return;
    }
    let m = 0;
    for (let i = 0; i < n; i++) m += mu[i * nd + j]!;
    m /= Math.max(n, 1);
    let v = 0;
    for (let i = 0; i < n; i++) v += (mu[i * nd + j]! - m) ** 2;
    const sd = n > 1 ? Math.sqrt(v / (n - 1)) : 0.5;
    // Scott's rule on the spread of this set, floored at half the spread of all observations:
    // measured on the suite, the unfloored width collapsed l(x) into the first good basin
    // (rosenbrock4 regret 290 vs 20), Optuna's fixed 0.2 * n^(-1/(d+4)) never converged
    // finely (branin 6e-2 vs 4e-3).
    const s = Math.min(1, Math.max(minBandwidth(d), factor * Math.max(sd, 0.5 * (sdAll?.[j] ?? sd))));
    if (!univariate) {
      sharedSigma[j] = s;
      return;
    }
    gapBandwidths(mu, n, nd, j, Math.max(minBandwidth(d), 1 / Math.min(100, n + 1)), sigma);
  });
  const numJ = Int32Array.from(dims.keys()).filter((j) => !isCat[j]);
  const catJ = Int32Array.from(dims.keys()).filter((j) => isCat[j]);
  const nn = numJ.length;
  const nc = catJ.length;
  const shared = !univariate;
  const total = n + priorWeight;
  const base = scratch(Slot.Base + role, n);
  const scaled = scratch(Slot.Scaled + role, n * nn);
  const invSig = scratch(Slot.InvSig + role, shared ? 0 : n * nn);
  const invS = new Float64Array(nn);
  const choice = scratch(Slot.Choice + role, n * nc);
  const logW = Math.log(1 / total);
  // Shared bandwidths: log sigma + log sqrt(2 pi) once per dim.
  let sharedLog = 0;
  if (shared && n > 0)
    for (let k = 0; k < nn; k++) {
      const sg = sharedSigma[numJ[k]!]!;
      invS[k] = 1 / sg;
      sharedLog += Math.log(sg) + LOG_SQRT_2PI;
    }
  for (let i = 0; i < n; i++) {
    let b = logW - (shared ? sharedLog : 0);
    // Product of the dims' truncation masses, one log per component (each mass is at least
    // Phi(1) - 0.5 = 0.34 as sigma <= 1, so the product cannot underflow before 600 dims;
    // it is folded into b every 64 dims all the same).
    let mass = 1;
    for (let k = 0; k < nn; k++) {
      const j = numJ[k]!;
      const m = mu[i * nd + j]!;
      const sg = shared ? sharedSigma[j]! : sigma[i * nd + j]!;
      // The truncation mass is 1 to double precision when both bounds are > 8.5 sigma away.
      if (!(m > 8.5 * sg && 1 - m > 8.5 * sg))
        mass *= Math.max(1e-300, 1 - 0.5 * erfcPos((1 - m) / (SQRT2 * sg)) - 0.5 * erfcPos(m / (SQRT2 * sg)));
      if ((k & 63) === 63) {
        b -= Math.log(mass);
        mass = 1;
      }
      if (shared) scaled[i * nn + k] = m * invS[k]!;
      else {
        scaled[i * nn + k] = m;
        invSig[i * nn + k] = 1 / sg;
        b -= Math.log(sg) + LOG_SQRT_2PI;
      }
    }
    b -= Math.log(mass);
    for (let c = 0; c < nc; c++) choice[i * nc + c] = mu[i * nd + catJ[c]!]!;
    base[i] = b;
  }
  let priorConst = Math.log(priorWeight / total);
  for (let j = 0; j < nd; j++) priorConst += isCat[j] ? -Math.log(dims[j]!.size) : -LOG_SQRT_2PI - PRIOR_LOGZ;
  return {
    dims,
    isCat,
    n,
    logW,
    logWPrior: Math.log(priorWeight / total),
    mu,
    sigma: shared ? sharedSigma : sigma,
    catHit: Float64Array.from(catJ, (j) => catHit[j]!),
    catMiss: Float64Array.from(catJ, (j) => catMiss[j]!),
    catHitByDim: catHit,
    base,
    numJ,
    catJ,
    shared,
    invS,
    scaled,
    invSig,
    choice,
    priorConst,
    buf: scratch(Slot.Buf + role, n + 1),
    xs: new Float64Array(nn),
  };
}
