import { violationOf } from "../constraints.js";
import { crowdingDistance, nondominatedRanks } from "../math.js";
import type { TrialView } from "../trial.js";

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

/**
 * Best first: feasible complete trials (by loss, or by Pareto rank then crowding), then
 * feasible pruned ones, then infeasible ones by total violation, then running ones. The
 * infeasible block is c-TPE as Optuna's `_split_trials` does it: an infeasible trial joins
 * the good group only when fewer feasible trials exist than the group holds, so l(x) learns
 * where the constraints hold before it learns where the objective is low.
 */
export function rankTrials(trials: readonly TrialView[], includeRunning: boolean, order?: CompleteOrder): TrialView[] {
  const infeasible: TrialView[] = [];
  for (const t of trials) if (t.state !== "running" && t.state !== "failed" && violationOf(t) > 0) infeasible.push(t);
  if (infeasible.length > 0) {
    const out = new Set(infeasible);
    const ranked = rankFeasible(
      trials.filter((t) => !out.has(t)),
      includeRunning,
      order,
    );
    const bad = infeasible
      .map((t) => ({ t, v: violationOf(t) }))
      .sort((a, b) => a.v - b.v || a.t.id - b.t.id)
      .map((x) => x.t);
    const firstRunning = ranked.findIndex((t) => t.state === "running");
    if (firstRunning < 0) return [...ranked, ...bad];
    return [...ranked.slice(0, firstRunning), ...bad, ...ranked.slice(firstRunning)];
  }
  return rankFeasible(trials, includeRunning, order);
}

function rankFeasible(trials: readonly TrialView[], includeRunning: boolean, order?: CompleteOrder): TrialView[] {
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
