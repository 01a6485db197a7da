import { formatValue } from "@/lib/format";
import type { ParamAxis } from "@/lib/plot-data";
import { logTicksWithin, roundTicksWithin, wholeExponents } from "@/lib/round-axis";

/** Ticks and labels for a recharts axis in axisPosition units (log10 on a log axis, the index on a categorical one). */
export function positionTicks(
  axis: ParamAxis,
  log: boolean,
  domain: readonly [number, number],
): { ticks: number[] | undefined; format: (v: number) => string } {
  if (axis.kind === "categorical") {
    return { ticks: axis.categories.map((_, i) => i), format: (v) => axis.categories[Math.round(v)] ?? "" };
  }
  if (!log) return { ticks: roundTicksWithin(domain, 5, axis.integer === true), format: (v) => formatValue(v) };
  // Whole decades when the axis spans two or more; 1, 2 and 5 times a power of ten otherwise.
  const decades = wholeExponents(domain[0], domain[1]);
  return { ticks: decades.length >= 2 ? decades : logTicksWithin(domain), format: (v) => formatValue(10 ** v) };
}

/**
 * A fixed spread of ±0.15 around a category's index, from the trial's number (golden-ratio
 * steps), so that trials in one category stay apart and keep their place across redraws.
 */
export function categoryJitter(axis: ParamAxis, number: number): number {
  return axis.kind === "categorical" ? (((number * 0.618034) % 1) - 0.5) * 0.3 : 0;
}
