import type { Dim } from "../space.js";

/** The narrowest kernel on a dim, in unit coordinates. */
export function minBandwidth(d: Dim): number {
  // Discrete values must keep mass on their neighbours; continuous ones may get very tight.
  return Number.isFinite(d.size) ? 0.5 / d.size : 1e-3;
}

/**
 * Per-observation bandwidths on dim j (Optuna's rule): the larger gap to a neighbour in sorted
 * order (the outermost points: the inner gap), clipped to [minS, 1] of the range. Where
 * observations are dense the kernels are narrow, where they are sparse wide.
 */
export function gapBandwidths(mu: Float64Array, n: number, nd: number, j: number, minS: number, out: Float64Array): void {
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
