/**
 * Limited-memory BFGS with box constraints by projection (a light L-BFGS-B): enough for
 * GP marginal likelihood (<= ~20 params) and acquisition maximization in the unit cube.
 */
export interface LbfgsOptions {
  maxIter: number;
  memory?: number;
  /** Stop when the projected gradient's max-norm is below this. */
  gtol?: number;
  /** Stop when the objective improves by less than ftol * (1 + |f|). */
  ftol?: number;
}

export function minimizeLbfgs(
  f: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  lo: Float64Array,
  hi: Float64Array,
  o: LbfgsOptions,
): { x: Float64Array; f: number } {
  const n = x0.length;
  const m = o.memory ?? 8;
  const gtol = o.gtol ?? 1e-6;
  const ftol = o.ftol ?? 1e-10;
  const x = Float64Array.from(x0, (v, i) => Math.min(hi[i]!, Math.max(lo[i]!, v)));
  const g = new Float64Array(n);
  let fx = f(x, g);
  if (!Number.isFinite(fx)) return { x, f: fx };
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const xn = new Float64Array(n);
  const gn = new Float64Array(n);
  for (let it = 0; it < o.maxIter; it++) {
    // Projected gradient norm.
    let pg = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const free = (gi < 0 && x[i]! < hi[i]!) || (gi > 0 && x[i]! > lo[i]!);
      if (free) pg = Math.max(pg, Math.abs(gi));
    }
    if (pg < gtol) break;
    // Two-loop recursion.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < n; i++) a += S[k]![i]! * d[i]!;
      a *= rho[k]!;
      alpha[k] = a;
      for (let i = 0; i < n; i++) d[i]! -= a * Y[k]![i]!;
    }
    if (S.length > 0) {
      const k = S.length - 1;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        sy += S[k]![i]! * Y[k]![i]!;
        yy += Y[k]![i]! * Y[k]![i]!;
      }
      const gamma = sy / yy;
      for (let i = 0; i < n; i++) d[i]! *= gamma;
    }
    for (let k = 0; k < S.length; k++) {
      let b = 0;
      for (let i = 0; i < n; i++) b += Y[k]![i]! * d[i]!;
      b *= rho[k]!;
      for (let i = 0; i < n; i++) d[i]! += S[k]![i]! * (alpha[k]! - b);
    }
    // Freeze coordinates pinned at a bound and pushed outward.
    let dg = 0;
    for (let i = 0; i < n; i++) {
      if ((x[i]! <= lo[i]! && d[i]! < 0) || (x[i]! >= hi[i]! && d[i]! > 0)) d[i] = 0;
      dg += d[i]! * g[i]!;
    }
    if (!(dg < 0)) {
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      dg = 0;
      for (let i = 0; i < n; i++) {
        d[i] = -g[i]!;
        if ((x[i]! <= lo[i]! && d[i]! < 0) || (x[i]! >= hi[i]! && d[i]! > 0)) d[i] = 0;
        dg += d[i]! * g[i]!;
      }
      if (!(dg < 0)) break;
    }
    let t = 1;
    if (S.length === 0) {
      let dn = 0;
      for (let i = 0; i < n; i++) dn = Math.max(dn, Math.abs(d[i]!));
      t = Math.min(1, 0.1 / Math.max(dn, 1e-12));
    }
    let fn = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 30; ls++) {
      let dec = 0;
      for (let i = 0; i < n; i++) {
        xn[i] = Math.min(hi[i]!, Math.max(lo[i]!, x[i]! + t * d[i]!));
        dec += g[i]! * (xn[i]! - x[i]!);
      }
      fn = f(xn, gn);
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * dec) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xn[i]! - x[i]!;
      y[i] = gn[i]! - g[i]!;
      sy += s[i]! * y[i]!;
    }
    const fOld = fx;
    x.set(xn);
    g.set(gn);
    fx = fn;
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    if (fOld - fx < ftol * (1 + Math.abs(fx))) break;
  }
  return { x, f: fx };
}
