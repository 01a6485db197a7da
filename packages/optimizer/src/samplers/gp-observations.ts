import { median } from "../math.js";
import type { TrialView } from "../trial.js";

/** The observations the GP conditions on: complete trials, plus pruned ones at a pessimistic value. */
export function observations(trials: readonly TrialView[]): { t: TrialView; y: number }[] {
  const done = trials.filter((t) => t.state === "complete" && t.loss !== null);
  const out = done.map((t) => ({ t, y: t.loss![0]! }));
  if (done.length > 0) {
    const med = median(out.map((o) => o.y));
    for (const t of trials) {
      if (t.state !== "pruned") continue;
      const last = t.intermediate.length > 0 ? t.intermediate[t.intermediate.length - 1]![1] : null;
      // A pruned trial was judged worse than its peers: no better than the median final value.
      out.push({ t, y: Math.max(last ?? med, med) });
    }
  }
  return out;
}

/** At most `max` indices: the best half by value, then the most recent. */
export function subsetIndices(ys: number[], ids: number[], max: number): number[] {
  const n = ys.length;
  if (n <= max) return [...Array(n).keys()];
  const byValue = [...Array(n).keys()].sort((a, b) => ys[a]! - ys[b]! || ids[a]! - ids[b]!);
  const keep = new Set(byValue.slice(0, Math.ceil(max / 2)));
  const byRecent = [...Array(n).keys()].sort((a, b) => ids[b]! - ids[a]!);
  for (const i of byRecent) {
    if (keep.size >= max) break;
    keep.add(i);
  }
  return [...keep].sort((a, b) => a - b);
}
