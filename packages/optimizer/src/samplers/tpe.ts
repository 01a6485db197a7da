import { crowdingDistance, erfcPos, LOG_SQRT_2PI, nondominatedRanks, normCdf, SQRT2 } from "../math.js";
import type { Rng } from "../rng.js";
import { fromUnit, isActive, toUnit, type CompiledSpace, type Dim, type TParams } from "../space.js";
import type { SampleContext, Sampler, TrialView } from "../trial.js";
import { countFinished, startupSample } from "./startup.js";

export interface TpeOptions {
  nStartupTrials: number;
  nEiCandidates: number;
  multivariate: boolean;
  group: boolean;
  constantLiar: boolean;
  /** Weight of the uninformative prior component relative to one observation. */
  priorWeight: number;
  /**
   * Bandwidths of g, the poorer trials' density: per observation (the default; see
   * sampleGroup) or Scott's rule shared per dim like l's ("scott": TPE proposing inside
   * auto's GP/TPE portfolio, where the GP's expected improvement does the exploring).
   */
  gBandwidth: "observation" | "scott";
}

export const TPE_DEFAULTS: TpeOptions = {
  nStartupTrials: 10,
  nEiCandidates: 24,
  multivariate: true,
  group: true,
  constantLiar: true,
  priorWeight: 1,
  gBandwidth: "observation",
};

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

/**
 * Terms of a log-sum-exp more than this far below the largest are left out: each is below
 * e^-40 = 4.2e-18 of the largest, so together they move the sum by less than
 * (n + 1) * 4.2e-18 relative (4.2e-15 at 1,000 components, under the rounding error of the
 * sum itself); the log density changes by less than that, so no candidate's rank changes
 * unless two scores tie to ~1e-14. It saves the exp() of the far components.
 */
const LSE_CUT = 40;

const PRIOR_LOGZ = Math.log(normCdf(0.5) - normCdf(-0.5));

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011) with the multivariate kernel of
 * Falkner et al. 2018. Choices that differ from Optuna's defaults, and why:
 * - multivariate by default: joint kernels capture interactions (Watanabe 2023, TPE
 *   components study, found it the single most helpful switch on continuous benchmarks);
 * - the bandwidth per dimension is Scott's rule on the *spread of the group's own points*
 *   (n^(-1/(d+4)) * std) instead of a fixed 0.2 * n^(-1/(d+4)) of the range, so l(x)
 *   tightens as the good trials cluster and TPE keeps converging past ~1e-2 regret;
 * - conditional spaces are split into groups of parameters that are active together
 *   (same `when`), each modelled jointly on the trials where it was active;
 * - running trials rank last ("constant liar"), so parallel asks spread out;
 * - pruned trials rank after complete ones, by the step they reached then their last
 *   value, so a pruned curve still tells the model where not to look.
 */
export class TpeSampler implements Sampler {
  /** Complete single-objective trials sorted by loss, kept across asks (see rankTrials). */
  private readonly order = new CompleteOrder();
  /** The space's groups (they depend on the space and the options only). */
  private groups: { space: CompiledSpace; groups: Dim[][] } | null = null;

  constructor(private readonly o: TpeOptions) {}

  sample(ctx: SampleContext): TParams {
    if (countFinished(ctx) < this.o.nStartupTrials) return startupSample(ctx, this.o.nStartupTrials);
    const ranked = rankTrials(ctx.trials, this.o.constantLiar, this.order);
    if (this.groups?.space !== ctx.space)
      this.groups = { space: ctx.space, groups: makeGroups(ctx.space, this.o.multivariate, this.o.group) };
    const groups = this.groups.groups;
    const params: TParams = {};
    for (const g of groups) {
      if (!isActive(g[0]!, params)) continue;
      // Unconditioned params are in every trial (checkParams requires them).
      const obs = g.every((d) => d.conditions.length === 0) ? ranked : ranked.filter((t) => g.every((d) => d.name in t.params));
      const cats = g.filter((d) => d.type === "categorical");
      const nums = g.filter((d) => d.type !== "categorical");
      if (cats.length === 0 || nums.length === 0) {
        Object.assign(params, sampleSplit(g, obs, this.o, ctx.rng));
        continue;
      }
      // Categorical choices first; the numeric part is then modelled on the trials that made
      // the same choices, when there are enough of them: each choice may move the optimum
      // of the numeric params (a learning rate per optimizer), and one joint kernel across
      // choices traps l(x) in whichever choice got good first.
      const chosen = sampleSplit(cats, obs, this.o, ctx.rng, true);
      Object.assign(params, chosen);
      const same = obs.filter((t) => cats.every((d) => t.params[d.name] === chosen[d.name]));
      const nSame = same.filter((t) => t.state !== "running").length;
      Object.assign(params, sampleSplit(nums, nSame >= 10 ? same : obs, this.o, ctx.rng));
    }
    return params;
  }
}

function sampleSplit(dims: Dim[], obs: TrialView[], o: TpeOptions, rng: Rng, proportional = false): TParams {
  let nDone = 0;
  for (const t of obs) if (t.state !== "running") nDone++;
  const nBelow = gammaCount(nDone);
  return sampleGroup(dims, obs.slice(0, nBelow), obs.slice(nBelow), o, rng, proportional);
}

/** Optuna's default split: the best 10%, at most 25. */
function gammaCount(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * The complete single-objective trials sorted by (loss, id), updated incrementally: a trial
 * completes once and its loss never changes, so each ask only inserts the trials completed
 * since the last one (binary search) instead of sorting all of them again.
 */
export class CompleteOrder {
  private sorted: TrialView[] = [];
  private seen = new WeakSet<TrialView>();

  update(complete: TrialView[]): TrialView[] {
    // A different history (fewer trials, or one of ours gone): start over.
    if (complete.length < this.sorted.length || this.sorted.some((t) => t.state !== "complete")) this.reset();

    for (const t of complete) {
      if (this.seen.has(t)) continue;
      this.seen.add(t);
      const key = t.loss![0]!;
      let lo = 0;
      let hi = this.sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const u = this.sorted[mid]!;
        if (u.loss![0]! < key || (u.loss![0] === key && u.id < t.id)) lo = mid + 1;
        else hi = mid;
      }
      this.sorted.splice(lo, 0, t);
    }
    if (this.sorted.length !== complete.length) {
      // Trials we had seen are no longer in the history: rebuild from scratch.
      this.reset();
      return this.update(complete);
    }
    return this.sorted;
  }

  private reset(): void {
    this.sorted = [];
    this.seen = new WeakSet();
  }
}

/** Best first: complete (by loss, or by Pareto rank then crowding), then pruned, then running. */
export function rankTrials(trials: readonly TrialView[], includeRunning: boolean, order?: CompleteOrder): TrialView[] {
  const complete = trials.filter((t) => t.state === "complete" && t.loss !== null);
  let sortedComplete: TrialView[];
  if (complete.length > 0 && complete[0]!.loss!.length > 1) {
    const pts = complete.map((t) => t.loss!);
    const rank = nondominatedRanks(pts);
    const crowd = new Array<number>(complete.length).fill(0);
    const maxRank = Math.max(...rank);
    for (let r = 0; r <= maxRank; r++) {
      const idx = rank.map((x, i) => (x === r ? i : -1)).filter((i) => i >= 0);
      const cd = crowdingDistance(idx.map((i) => pts[i]!));
      idx.forEach((i, k) => (crowd[i] = cd[k]!));
    }
    sortedComplete = complete
      .map((t, i) => ({ t, r: rank[i]!, c: crowd[i]! }))
      .sort((a, b) => a.r - b.r || b.c - a.c || a.t.id - b.t.id)
      .map((x) => x.t);
  } else {
    sortedComplete = order ? order.update(complete) : [...complete].sort((a, b) => a.loss![0]! - b.loss![0]! || a.id - b.id);
  }
  const pruned = trials
    .filter((t) => t.state === "pruned" || (t.state === "complete" && t.loss === null))
    .map((t) => {
      const last = t.intermediate.length > 0 ? t.intermediate[t.intermediate.length - 1]! : null;
      return { t, step: last ? last[0] : -1, v: last ? last[1] : Infinity };
    })
    .sort((a, b) => b.step - a.step || a.v - b.v || a.t.id - b.t.id)
    .map((x) => x.t);
  const running = includeRunning ? trials.filter((t) => t.state === "running") : [];
  return [...sortedComplete, ...pruned, ...running];
}

/** Groups of dims modelled jointly: parameters sharing the same `when` (multivariate), or one dim each. */
export function makeGroups(space: CompiledSpace, multivariate: boolean, group: boolean): Dim[][] {
  if (!multivariate) return space.dims.map((d) => [d]);
  const bySig = new Map<string, Dim[]>();
  const order: string[] = [];
  for (const d of space.dims) {
    const sig = group || d.conditions.length === 0 ? JSON.stringify(d.conditions) : `solo:${d.name}`;
    if (!bySig.has(sig)) {
      bySig.set(sig, []);
      order.push(sig);
    }
    bySig.get(sig)!.push(d);
  }
  // Parents must be sampled before their children: order groups by depth in the condition
  // graph (stable, so declaration order breaks ties).
  const groups = order.map((s) => bySig.get(s)!);
  const rankOf = new Map<Dim[], number>();
  const place = (g: Dim[]): number => {
    if (rankOf.has(g)) return rankOf.get(g)!;
    let r = 0;
    for (const d of g)
      for (const c of d.conditions) {
        const pg = groups.find((h) => h.some((x) => x.name === c.parent))!;
        if (pg !== g) r = Math.max(r, place(pg) + 1);
      }
    rankOf.set(g, r);
    return r;
  };
  groups.forEach(place);
  return groups.sort((a, b) => rankOf.get(a)! - rankOf.get(b)!);
}

function minBandwidth(d: Dim): number {
  // Discrete values must keep mass on their neighbours; continuous ones may get very tight.
  return Number.isFinite(d.size) ? 0.5 / d.size : 1e-3;
}

/**
 * Coordinates of the observations on the group's dims (unit interval for numeric dims,
 * choice index for categorical ones), n x nd, cached on the trial across asks (the
 * conversions, log and indexOf, were a tenth of an ask at 1,000 trials; a WeakMap keyed by
 * trial did as much work again in the garbage collector).
 */
function coordsOf(dims: Dim[], obs: TrialView[], slot: number): Float64Array {
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
 * synchronous sampleGroup() call, and the contents are always written before being read.
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
const Slot = { AboveMu: 0, BelowMu: 1, Base: 2, Scaled: 4, InvSig: 6, Choice: 8, Buf: 10, Sigma: 12 } as const;

/**
 * Per-observation bandwidths on dim j (Optuna's rule): the larger gap to a neighbour in sorted
 * order (the outermost points: the inner gap), clipped to [minS, 1] of the range. Where
 * observations are dense the kernels are narrow, where they are sparse wide.
 */
function gapBandwidths(mu: Float64Array, n: number, nd: number, j: number, minS: number, out: Float64Array): void {
  const order = argsortUnit(mu, n, nd, j);
  const at = (k: number): number => (k < 0 ? 0 : k >= n ? 1 : mu[order[k]! * nd + j]!);
  for (let k = 0; k < n; k++) {
    let g = Math.max(at(k) - at(k - 1), at(k + 1) - at(k));
    if (n >= 2 && k === 0) g = at(1) - at(0);
    if (n >= 2 && k === n - 1) g = at(n - 1) - at(n - 2);
    out[order[k]! * nd + j] = Math.min(1, Math.max(minS, g));
  }
}

let sortOrder = new Int32Array(0);
let sortCount = new Int32Array(0);
let sortKeys = new Float64Array(0);

/**
 * Indices 0..n-1 ordered by the unit coordinate mu[i * nd + j] (ties by index), valid until the
 * next call. A bucket sort, n buckets over [0, 1]: linear for spread-out values; a crowded
 * bucket (a converged search) is sorted natively on keys packing the value and the index into
 * one double (value quantized to 2^-(52 - bits)). A comparator sort of 1,000 indices per dim
 * was half the cost of an ask at 1,000 trials.
 */
function argsortUnit(mu: Float64Array, n: number, nd: number, j: number): Int32Array {
  if (sortOrder.length < n) {
    sortOrder = new Int32Array(2 * n);
    sortCount = new Int32Array(2 * n + 1);
    sortKeys = new Float64Array(2 * n);
  }
  const order = sortOrder;
  const count = sortCount;
  count.fill(0, 0, n + 1);
  const bucket = (i: number): number => Math.min(n - 1, Math.floor(mu[i * nd + j]! * n));
  for (let i = 0; i < n; i++) count[bucket(i) + 1]!++;
  for (let b = 0; b < n; b++) count[b + 1]! += count[b]!;
  // count[b] is now the start of bucket b; scattering in index order keeps ties by index.
  for (let i = 0; i < n; i++) order[count[bucket(i)]!++] = i;
  // count[b] is now the end of bucket b.
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const low = 2 ** bits;
  const scale = 2 ** (52 - bits);
  for (let b = 0, from = 0; b < n; from = count[b]!, b++) {
    const to = count[b]!;
    if (to - from <= 1) continue;
    if (to - from <= 32) {
      for (let k = from + 1; k < to; k++) {
        const i = order[k]!;
        const v = mu[i * nd + j]!;
        let m = k - 1;
        while (m >= from && mu[order[m]! * nd + j]! > v) {
          order[m + 1] = order[m]!;
          m--;
        }
        order[m + 1] = i;
      }
      continue;
    }
    const keys = sortKeys.subarray(from, to);
    for (let k = from; k < to; k++) keys[k - from] = Math.floor(mu[order[k]! * nd + j]! * scale) * low + order[k]!;
    keys.sort();
    for (let k = from; k < to; k++) order[k] = keys[k - from]! % low;
  }
  return order;
}

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

/** Candidates as unit coordinates (numeric) or choice indices (categorical). */
function drawFrom(mix: Mixture, count: number, rng: Rng, recombine = false): number[][] {
  const total = mix.n + Math.exp(mix.logWPrior - mix.logW);
  const pick = (): number => Math.min(mix.n, Math.floor(rng.random() * total)); // n = prior
  const nd = mix.dims.length;
  const out: number[][] = [];
  for (let c = 0; c < count; c++) {
    const i0 = pick();
    const x = mix.dims.map((d, j) => {
      const i = recombine ? pick() : i0;
      const isPrior = i === mix.n;
      if (mix.isCat[j]) {
        // Observed choice with probability exp(catHit), else uniform over the others' share.
        if (isPrior) return rng.int(d.size);
        const obsChoice = mix.mu[i * nd + j]!;
        if (rng.random() < Math.exp(mix.catHitByDim[j]!)) return obsChoice;
        const other = rng.int(d.size - 1);
        return other >= obsChoice ? other + 1 : other;
      }
      return isPrior ? truncNormal(0.5, 1, rng) : truncNormal(mix.mu[i * nd + j]!, mix.sigma[mix.shared ? j : i * nd + j]!, rng);
    });
    out.push(x);
  }
  return out;
}

function truncNormal(mu: number, s: number, rng: Rng): number {
  for (let k = 0; k < 64; k++) {
    const x = mu + s * rng.normal();
    if (x >= 0 && x <= 1) return x;
  }
  return Math.min(1, Math.max(0, mu));
}

/** Prepares mix.xs for the point x and returns the prior component's log term there. */
function prepare(mix: Mixture, x: number[]): number {
  const { numJ, xs } = mix;
  let prior = mix.priorConst;
  for (let k = 0; k < numJ.length; k++) {
    const xj = x[numJ[k]!]!;
    const z = xj - 0.5;
    prior -= 0.5 * z * z;
    xs[k] = mix.shared ? xj * mix.invS[k]! : xj;
  }
  return prior;
}

/** Fills mix.buf[from, to) with the components' log terms at the prepared point x; returns their max. */
function terms(mix: Mixture, x: number[], from: number, to: number): number {
  const { numJ, catJ, base, scaled, invSig, choice, catHit, catMiss, buf, xs } = mix;
  const nn = numJ.length;
  const nc = catJ.length;
  let m = -Infinity;
  if (mix.shared && nc === 0) {
    // The common case (numeric group, multivariate kernel), kept free of branches.
    for (let i = from, o = from * nn; i < to; i++, o += nn) {
      let q = 0;
      for (let k = 0; k < nn; k++) {
        const z = xs[k]! - scaled[o + k]!;
        q += z * z;
      }
      const t = base[i]! - 0.5 * q;
      buf[i] = t;
      if (t > m) m = t;
    }
    return m;
  }
  for (let i = from; i < to; i++) {
    let lp = base[i]!;
    for (let c = 0; c < nc; c++) lp += choice[i * nc + c] === x[catJ[c]!] ? catHit[c]! : catMiss[c]!;
    let q = 0;
    const o = i * nn;
    for (let k = 0; k < nn; k++) {
      const z = mix.shared ? xs[k]! - scaled[o + k]! : (xs[k]! - scaled[o + k]!) * invSig[o + k]!;
      q += z * z;
    }
    const t = lp - 0.5 * q;
    buf[i] = t;
    if (t > m) m = t;
  }
  return m;
}

/** A running log-sum-exp, value = m + log(s). */
interface Lse {
  m: number;
  s: number;
}

/** Adds e^buf[i] for i in [from, to) (their max is tmax) to acc, leaving out terms below max - LSE_CUT. */
function accumulate(buf: Float64Array, from: number, to: number, tmax: number, acc: Lse): void {
  const m = Math.max(acc.m, tmax);
  if (m === -Infinity) return;
  let sum = acc.s === 0 ? 0 : acc.s * Math.exp(acc.m - m);
  const cut = m - LSE_CUT;
  for (let i = from; i < to; i++) {
    const t = buf[i]!;
    if (t > cut) sum += Math.exp(t - m);
  }
  acc.m = m;
  acc.s = sum;
}

export function logDensity(mix: Mixture, x: number[]): number {
  const acc: Lse = { m: prepare(mix, x), s: 1 };
  accumulate(mix.buf, 0, mix.n, terms(mix, x, 0, mix.n), acc);
  return acc.m + Math.log(acc.s);
}

/**
 * The candidate with the largest log l(x) - log g(x) (the first one on ties), without
 * evaluating g in full at most candidates. g's log density is bounded from below by a partial
 * sum over its first components (every term is positive), which bounds the score from above;
 * candidates are then completed in order of that bound, and the search stops as soon as the
 * next bound is below the best exact score found. The winner is the same as with every score
 * computed in full (up to the rounding of the last bit); at 1,000 trials this evaluates about
 * a sixth of the kernel terms.
 */
export function argmaxRatio(l: Mixture, g: Mixture, cands: number[][]): number {
  const nc = cands.length;
  const ll = cands.map((x) => logDensity(l, x));
  const n = g.n;
  // First chunk: an eighth of the components (at least 32); the rest only where needed.
  const k0 = Math.min(n, Math.max(32, Math.ceil(n / 8)));
  const part: Lse[] = [];
  const ub = new Float64Array(nc);
  for (let c = 0; c < nc; c++) {
    const acc: Lse = { m: prepare(g, cands[c]!), s: 1 };
    accumulate(g.buf, 0, k0, terms(g, cands[c]!, 0, k0), acc);
    part.push(acc);
    ub[c] = ll[c]! - (acc.m + Math.log(acc.s));
  }
  if (k0 === n) {
    let b = 0;
    for (let c = 1; c < nc; c++) if (ub[c]! > ub[b]!) b = c;
    return b;
  }
  const order = [...Array(nc).keys()].sort((a, b) => ub[b]! - ub[a]! || a - b);
  let best = -Infinity;
  let bestIdx = -1;
  for (const c of order) {
    // ub is sorted descending (index ascending on ties): no later candidate can win either.
    if (bestIdx >= 0 && (ub[c]! < best || (ub[c] === best && c > bestIdx))) break;
    const acc = part[c]!;
    prepare(g, cands[c]!);
    accumulate(g.buf, k0, n, terms(g, cands[c]!, k0, n), acc);
    const score = ll[c]! - (acc.m + Math.log(acc.s));
    if (score > best || (score === best && c < bestIdx)) {
      best = score;
      bestIdx = c;
    }
  }
  return bestIdx;
}

function sampleGroup(
  dims: Dim[],
  below: TrialView[],
  above: TrialView[],
  o: TpeOptions,
  rng: Rng,
  proportional = false,
): TParams {
  const muAbove = coordsOf(dims, above, Slot.AboveMu);
  const muBelow = coordsOf(dims, below, Slot.BelowMu);
  // g, the density of the poorer trials, takes per-observation bandwidths (gapBandwidths):
  // narrow where poor trials are dense, so l/g is high next to good trials where little has
  // been tried yet, and TPE keeps probing around its best region instead of re-sampling it.
  // With g as smooth as l (Scott's rule on each set, as before), both peaked where the search
  // had converged and the ratio never left it: an integer parameter stayed on a neighbour of
  // its optimum for 80 trials (held-out.json, boosting), continuous searches stopped in one
  // local basin (levy6, hartmann3). Measured over 200 seeds on the suite and on both held-out
  // batches (BENCHMARKS.md, bench/NOTES.md); l keeps Scott's shared bandwidth, which converges
  // finely.
  const g = buildMixture(
    dims,
    muAbove,
    above.length,
    o.priorWeight,
    undefined,
    !o.multivariate || o.gBandwidth === "observation",
  );
  // Spread of every observation per dim (below first, then above: the floor of l's bandwidth).
  const nd = dims.length;
  const nAll = below.length + above.length;
  const sdAll = dims.map((d, j) => {
    if (d.type === "categorical") return 0;
    let m = 0;
    for (let i = 0; i < below.length; i++) m += muBelow[i * nd + j]!;
    for (let i = 0; i < above.length; i++) m += muAbove[i * nd + j]!;
    m /= nAll;
    let v = 0;
    for (let i = 0; i < below.length; i++) v += (muBelow[i * nd + j]! - m) ** 2;
    for (let i = 0; i < above.length; i++) v += (muAbove[i * nd + j]! - m) ** 2;
    return Math.sqrt(v / Math.max(1, nAll - 1));
  });
  const l = buildMixture(dims, muBelow, below.length, o.priorWeight, sdAll, !o.multivariate, 1);
  const cands = drawFrom(l, o.nEiCandidates, rng);
  // As many again recombined: each coordinate from its own component (a crossover of good
  // trials), which finds optima of separable structure the joint kernel cannot reach.
  if (dims.length > 1) cands.push(...drawFrom(l, o.nEiCandidates, rng, true));
  let best = cands[0]!;
  if (proportional) {
    const scores = cands.map((x) => logDensity(l, x) - logDensity(g, x));
    // Categorical choices ahead of a conditioned numeric part: draw a candidate with
    // probability proportional to l/g rather than taking the argmax. With the smoothed
    // categorical kernel the ratios of competing choices differ by a few percent, so the
    // argmax locks onto whichever choice got good first (measured: the "mixed" function
    // stuck on a 0.25-regret choice in 6 of 10 seeds); the numeric part of a rarely tried
    // choice never gets the trials it needs to show its optimum.
    const m = Math.max(...scores);
    const w = scores.map((s) => Math.exp(s - m));
    let u = rng.random() * w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < w.length; i++) {
      u -= w[i]!;
      if (u <= 0) {
        best = cands[i]!;
        break;
      }
    }
  } else best = cands[argmaxRatio(l, g, cands)]!;
  const out: TParams = {};
  dims.forEach((d, j) => {
    out[d.name] = d.type === "categorical" ? d.choices[best[j]!]! : fromUnit(d, best[j]!);
  });
  return out;
}
