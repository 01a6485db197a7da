import { sql } from "drizzle-orm";
import { inProject } from "./trial-scope.js";
import type { DbOrTx, TenantScope } from "./scope.js";
import { numberOf, numberOrNull, runStatement } from "./sql-runner.js";
import type { TTrialState } from "./trials.js";

export interface THistoryPoint {
  number: number;
  value: number | null;
  /** The best complete value up to and including this trial (finish order); null before the first. */
  best: number | null;
  state: TTrialState;
  finishedAt: Date | null;
  /** This trial set a new best. */
  improved: boolean;
}

/**
 * The optimization history of a study, thinned in the database: finished trials in finish order
 * with the best-so-far computed over ALL of them, of which the answer keeps every trial that
 * improved the best (evenly thinned to `maxImprovements` when there are more, the latest always
 * kept), every k-th of the others (k the smallest stride leaving ≤ `maxSampled`), and the latest
 * finished trial. So the best-so-far line is exact while the read and the page stay bounded at
 * 100,000 trials (unthinned, 10,000 trials are 1.4 MB of JSON).
 */
export async function listHistoryPoints(
  db: DbOrTx,
  scope: TenantScope,
  studyId: string,
  opts: { minimize: boolean; maxSampled: number; maxImprovements: number },
): Promise<{ points: THistoryPoint[]; total: number }> {
  // An infeasible trial (a constraint broken) is drawn but never the best.
  const bestOver = opts.minimize
    ? sql`min(value) FILTER (WHERE state = 'complete' AND feasible IS NOT FALSE) OVER w`
    : sql`max(value) FILTER (WHERE state = 'complete' AND feasible IS NOT FALSE) OVER w`;
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "history_points",
    sql`
WITH f AS (
  SELECT number, value, state, finished_at, row_number() OVER w AS i, ${bestOver} AS best
  FROM trials
  WHERE org_id = ${scope.orgId}::uuid AND study_id = ${studyId}::uuid AND state IN ('complete', 'pruned', 'failed')
    AND ${inProject(scope)}
  WINDOW w AS (ORDER BY finished_at, number ROWS UNBOUNDED PRECEDING)
),
g AS (
  SELECT f.*, count(*) OVER () AS total,
         (best IS NOT NULL AND best IS DISTINCT FROM lag(best) OVER (ORDER BY i)) AS improved
  FROM f
),
h AS (
  SELECT g.*, count(*) FILTER (WHERE improved) OVER () AS improvements,
         count(*) FILTER (WHERE improved) OVER (ORDER BY i) AS imp_i
  FROM g
)
SELECT number, value, state, finished_at, best, total, improved FROM h
WHERE i = total
   OR (improved AND ((imp_i - 1) % ceil(improvements::float8 / ${opts.maxImprovements}::int)::int = 0 OR imp_i = improvements))
   OR (NOT improved AND (i - 1) % ceil(total::float8 / ${opts.maxSampled}::int)::int = 0)
ORDER BY i`,
  );
  return {
    total: rows.length ? numberOf(rows[0]!.total) : 0,
    points: rows.map((r) => ({
      number: numberOf(r.number),
      value: numberOrNull(r.value),
      best: numberOrNull(r.best),
      state: r.state as TTrialState,
      finishedAt: r.finished_at ? new Date(r.finished_at as string | Date) : null,
      improved: r.improved === true || r.improved === "t",
    })),
  };
}
