import type { TrialView } from "../trial.js";

/** The trial's value at `step`: the value reported at the largest step <= `step`. */
export function valueAtOrBefore(t: TrialView, step: number): number | null {
  let out: number | null = null;
  for (const [s, v] of t.intermediate) {
    if (s > step) break;
    out = v;
  }
  return out;
}

export function bestSoFar(t: TrialView, step: number): number {
  let b = Infinity;
  for (const [s, v] of t.intermediate) if (s <= step && v < b) b = v;
  return b;
}

/** The first value the trial reported at or past `rungStep`. */
export function valueAtFirstCross(t: TrialView, rungStep: number): number | null {
  for (const [s, v] of t.intermediate) if (s >= rungStep) return v;
  return null;
}

/** The step of the trial's last report before `step` (-Infinity when there is none). */
export function previousStep(t: TrialView, step: number): number {
  const prevSteps = t.intermediate.filter(([s]) => s < step);
  return prevSteps.length > 0 ? prevSteps[prevSteps.length - 1]![0] : -Infinity;
}

/** A loss in the metric's units, to 4 significant digits. */
export function show(loss: number, sign: 1 | -1): string {
  return String(Number((sign * loss).toPrecision(4)));
}

/** A spread (no sign), to 2 significant digits. */
export function showSpread(x: number): string {
  return String(Number(x.toPrecision(2)));
}
