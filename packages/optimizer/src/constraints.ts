import { OptimizerError } from "./errors.js";
import { nondominatedRanks } from "./math.js";
import type { TrialView } from "./trial.js";

/**
 * Constraints follow Optuna's convention (`Trial.set_constraint`, `constraints_func`): one
 * violation per constraint, ≤ 0 when it holds. A trial without them (told before constraints
 * were in use, or warm-started from a study without them) counts as feasible, as in Optuna 5.
 */

/**
 * Validates per-constraint violations; `expected` is the count other trials already gave, if
 * any. Undefined, null and [] mean "no constraints" (null).
 */
export function checkConstraints(value: unknown, at: string, expected: number | null): number[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value))
    throw new OptimizerError("INVALID_VALUE", `${at}: constraints must be an array of numbers (violations, ≤ 0 when satisfied)`);
  if (value.length === 0) return null;
  if (expected !== null && value.length !== expected)
    throw new OptimizerError(
      "INVALID_VALUE",
      `${at}: expected ${expected} constraint value${expected === 1 ? "" : "s"} like the study's other trials, got ${value.length}`,
    );
  return value.map((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new OptimizerError("INVALID_VALUE", `${at}: constraints[${i}] must be a finite number (got ${String(v)})`);
    return v;
  });
}

/** True unless the trial reported a positive violation. */
export function isFeasible(t: TrialView): boolean {
  return t.constraints === null || t.constraints.every((v) => v <= 0);
}

/** A complete trial with a value and no violated constraint: what a study's best is taken from. */
export function isFeasibleComplete(t: TrialView): t is TrialView & { loss: number[] } {
  return t.state === "complete" && t.loss !== null && isFeasible(t);
}

/** Total positive violation, for ranking infeasible trials: 0 when feasible (Optuna's `_get_infeasible_trial_score`). */
export function violationOf(t: TrialView): number {
  if (t.constraints === null) return 0;
  let s = 0;
  for (const v of t.constraints) if (v > 0) s += v;
  return s;
}

/** Whether any finished trial carries constraints: only then do samplers rank by feasibility. */
export function usesConstraints(trials: readonly TrialView[]): boolean {
  return trials.some((t) => t.state !== "running" && t.constraints !== null);
}

/**
 * Constrained non-dominated sorting (Deb et al. 2002, Optuna's `_fast_non_domination_rank`
 * with a penalty): feasible trials by Pareto front, then infeasible ones, each distinct total
 * violation a front of its own, smallest first. Trials must have a loss.
 */
export function constrainedRanks(trials: readonly TrialView[]): number[] {
  const violation = trials.map(violationOf);
  const feasible: number[] = [];
  violation.forEach((v, i) => v <= 0 && feasible.push(i));
  const rank = new Array<number>(trials.length).fill(0);
  const fr = nondominatedRanks(feasible.map((i) => trials[i]!.loss!));
  let top = 0;
  feasible.forEach((i, k) => {
    rank[i] = fr[k]!;
    top = Math.max(top, fr[k]! + 1);
  });
  const levels = [...new Set(violation.filter((v) => v > 0))].sort((a, b) => a - b);
  const levelOf = new Map(levels.map((v, k) => [v, k]));
  violation.forEach((v, i) => {
    if (v > 0) rank[i] = top + levelOf.get(v)!;
  });
  return rank;
}
