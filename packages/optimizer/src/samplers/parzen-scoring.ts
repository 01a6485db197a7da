import type { Rng } from "../rng.js";
import type { Mixture } from "./parzen-estimator.js";

// Using a Parzen estimator: drawing candidates from it, its log density, and the TPE
// candidate choice (the largest l(x) / g(x)).

/**
 * Terms of a log-sum-exp more than this far below the largest are left out: each is below
 * e^-40 = 4.2e-18 of the largest, so together they move the sum by less than
 * (n + 1) * 4.2e-18 relative (4.2e-15 at 1,000 components, under the rounding error of the
 * sum itself); the log density changes by less than that, so no candidate's rank changes
 * unless two scores tie to ~1e-14. It saves the exp() of the far components.
 */
const LSE_CUT = 40;

/** Candidates as unit coordinates (numeric) or choice indices (categorical). */
export function drawFrom(mix: Mixture, count: number, rng: Rng, recombine = false): number[][] {
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
