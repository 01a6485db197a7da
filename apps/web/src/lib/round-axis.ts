import { nice, ticks } from "d3-array";

/** A linear axis drawn with round values: its domain and the ticks to label. */
export interface RoundAxis {
  domain: [number, number];
  ticks: number[];
}

/**
 * The domain of a linear axis over `values`, widened to round numbers, and round ticks inside it
 * (d3's nice and ticks): 0.94 … 0.98 in steps of 0.01 for values from 0.9405 to 0.9785. recharts'
 * own "auto" domain (its adaptive ticks) labels the same axis 0.9405, 0.95, 0.9595, 0.969,
 * 0.9785, or runs an accuracy axis past 1 to 1.05; its round alternative (snap125) doubles the
 * axis for values from 0 to 0.0042. Null when no value is finite: the chart keeps recharts' axis.
 */
export function roundAxis(values: Iterable<number>, count = 5): RoundAxis | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo > hi) return null;
  if (lo === hi) {
    // One value: a band around it, so the point sits mid-axis with ticks on either side.
    const pad = Math.abs(lo) / 20 || 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const [a, b] = nice(lo, hi, count);
  return { domain: [a, b], ticks: ticks(a, b, count) };
}

/**
 * Round ticks inside a domain that must stay as it is (a contour's grid spans exactly it): 20,
 * 40, 60, 80 for an int parameter's padded [12.92, 96.08], where recharts labels 13.69, 38.69,
 * 63.69. An integer axis is labelled at integers only (1 and 2 for [0.96, 2.04], not 1.2, 1.4).
 * Undefined for an empty or reversed domain, or one with fewer than two such ticks: recharts' own.
 */
export function roundTicksWithin(domain: readonly [number, number], count = 5, integer = false): number[] | undefined {
  const [lo, hi] = domain;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) return undefined;
  let inside = ticks(lo, hi, count);
  if (integer && inside.some((t) => !Number.isInteger(t))) {
    // Steps under 1: every integer in the domain instead (there are at most count of them).
    inside = [];
    for (let k = Math.ceil(lo); k <= hi; k++) inside.push(k);
  }
  return inside.length >= 2 ? inside : undefined;
}

/**
 * Ticks of a log axis spanning under two decades, in log10 units: the values 1, 2 and 5 times a
 * power of ten inside it (0.002, 0.005, 0.01, 0.02 for 10^-2.94 … 10^-1.47), where recharts
 * labels evenly spaced exponents (0.00113645, 0.00285464, …). Undefined with fewer than two.
 */
export function logTicksWithin(domain: readonly [number, number]): number[] | undefined {
  const [lo, hi] = domain;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) return undefined;
  const inside: number[] = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) {
    for (const m of [1, 2, 5]) {
      const at = k + Math.log10(m);
      if (at >= lo - 1e-12 && at <= hi + 1e-12) inside.push(at);
    }
  }
  return inside.length >= 2 ? inside : undefined;
}

/**
 * A log axis over `values` (the positive ones), in values, for a recharts axis with scale="log".
 * Under a decade the data's own span, widened to round numbers, with round ticks (0.9, 0.92, …,
 * 0.98 for accuracies from 0.902 to 0.978), where whole decades would squeeze every point into
 * the top tenth of an axis from 0.1 to 1. Over a decade, whole decades: ticks at 1, 2 and 5 times
 * each power of ten up to two decades, at the powers of ten beyond. Null when no value is positive.
 */
export function logAxis(values: Iterable<number>, count = 5): { domain: [number, number]; ticks: number[] | undefined } | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!(v > 0) || !Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo > hi) return null;
  if (hi / lo < 10) {
    if (lo === hi) [lo, hi] = [lo / 1.25, hi * 1.25];
    const [a, b] = nice(lo, hi, count);
    const domain: [number, number] = [a > 0 ? a : lo, b];
    const inside = ticks(domain[0], domain[1], count).filter((t) => t > 0);
    return { domain, ticks: inside.length >= 2 ? inside : undefined };
  }
  const from = Math.floor(Math.log10(lo));
  const to = Math.ceil(Math.log10(hi));
  const steps = to - from <= 2 ? [1, 2, 5] : [1];
  const inside: number[] = [];
  for (let k = from; k <= to; k++) for (const m of steps) if (k < to || m === 1) inside.push(m * 10 ** k);
  return { domain: [10 ** from, 10 ** to], ticks: inside };
}

/** The integers from lo to hi: the powers of ten, as exponents, on a log axis spanning 10^lo … 10^hi. */
export function wholeExponents(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(lo); k <= Math.floor(hi); k++) out.push(k);
  return out;
}
