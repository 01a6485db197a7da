import { and, asc, eq, inArray, isNotNull, isNull, or } from "drizzle-orm";
import { trials } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";
import { trialScopeWhere } from "./trial-scope.js";

/**
 * A study's complete, feasible trials with their per-objective values, in trial-number order:
 * what its Pareto set and hypervolume history are computed from. Infeasible trials are kept
 * and shown elsewhere, never here. Params stay out (a 100,000-trial study's values alone are
 * a few MB); `listTrialsByIds` reads the front's.
 */
export async function listFeasibleTrialValues(
  db: DbOrTx,
  scope: TenantScope,
  studyId: string,
): Promise<Array<{ id: string; number: number; values: unknown }>> {
  return db
    .select({ id: trials.id, number: trials.number, values: trials.values })
    .from(trials)
    .where(
      and(
        trialScopeWhere(scope),
        eq(trials.studyId, studyId),
        eq(trials.state, "complete"),
        isNotNull(trials.values),
        or(isNull(trials.feasible), eq(trials.feasible, true)),
      ),
    )
    .orderBy(asc(trials.number));
}

/** The scope's trials of a study with these ids (the Pareto set's), in trial-number order. */
export async function listTrialsByIds(db: DbOrTx, scope: TenantScope, studyId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(trials)
    .where(and(trialScopeWhere(scope), eq(trials.studyId, studyId), inArray(trials.id, [...ids])))
    .orderBy(asc(trials.number));
}
