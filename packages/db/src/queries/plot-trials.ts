import { and, asc, eq, inArray, ne } from "drizzle-orm";
import { agents, trials } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";
import { trialScopeWhere } from "./trial-scope.js";

/**
 * The study page's plots (slice, EDF, timeline, parallel coordinates): the started trials (those
 * of `opts.ids` only, a sample from samplePlotTrials, when given), with their parameters, times and the name of
 * the agent that ran them (null for ask/tell). Ascending by number. Waiting trials are left
 * out: they have no value and no start to draw.
 */
export async function listPlotTrials(db: DbOrTx, scope: TenantScope, studyId: string, opts: { ids: string[] | null }) {
  const rows = await db
    .select({
      id: trials.id,
      number: trials.number,
      state: trials.state,
      value: trials.value,
      values: trials.values,
      feasible: trials.feasible,
      params: trials.params,
      startedAt: trials.startedAt,
      finishedAt: trials.finishedAt,
      agentName: agents.name,
    })
    .from(trials)
    // The agent must be the trial's team's too: a join on the id alone would trust the row.
    .leftJoin(agents, and(eq(agents.id, trials.agentId), eq(agents.orgId, trials.orgId)))
    .where(
      and(
        trialScopeWhere(scope),
        eq(trials.studyId, studyId),
        ne(trials.state, "waiting"),
        opts.ids ? inArray(trials.id, opts.ids) : undefined,
      ),
    )
    .orderBy(asc(trials.number));
  return rows;
}
