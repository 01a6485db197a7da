/** Dense row-major linear algebra for the GP (n <= a few hundred). */

/** In-place lower Cholesky of a symmetric n x n matrix; returns false if not positive definite. */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j]!;
    for (let k = 0; k < j; k++) s -= a[rj + k]! * a[rj + k]!;
    if (!(s > 0)) return false;
    const d = Math.sqrt(s);
    a[rj + j] = d;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let t = a[ri + j]!;
      for (let k = 0; k < j; k++) t -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = t / d;
    }
  }
  // Zero the strict upper triangle so the matrix is exactly L.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
  return true;
}

/** Solves L x = b (forward substitution), in place on b. */
export function solveLower(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[ri + k]! * b[k]!;
    b[i] = s / l[ri + i]!;
  }
  return b;
}

/** Solves L^T x = b (back substitution), in place on b. */
export function solveUpperT(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
  return b;
}

/** K^{-1} from its Cholesky factor L (full symmetric matrix). */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // Linv (lower), column by column.
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    li[c * n + c] = 1 / l[c * n + c]!;
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      const ri = i * n;
      for (let k = c; k < i; k++) s -= l[ri + k]! * li[k * n + c]!;
      li[ri + c] = s / l[ri + i]!;
    }
  }
  // K^{-1} = Linv^T Linv
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  return out;
}
