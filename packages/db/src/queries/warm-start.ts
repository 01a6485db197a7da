import { sql } from "drizzle-orm";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";

export interface TWarmStartSource {
  /** The source study (`spec.warm_start.from`), when it still exists in the study's team. */
  source: { id: string; name: string } | null;
  /** Its complete trials with a value, in number order. */
  trials: Array<{ params: unknown; value: number }>;
}

/**
 * Unscoped: the scheduler's optimizer rebuild of a study it holds, or a study a scoped lookup
 * returned. The complete trials of the study's `warm_start.from` source in ONE read (a
 * 1,000-trial source costs one query per rebuild). The source must be in the study's own team,
 * checked in the statement, whatever the stored spec names.
 */
export async function listWarmStartTrialsByStudyId(db: SqlDb, studyId: string): Promise<TWarmStartSource> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "warm_start_trials",
    sql`
SELECT src.id AS source_id, src.name AS source_name, t.params, t.value
FROM studies dst
JOIN studies src ON src.org_id = dst.org_id AND src.id::text = lower(dst.spec #>> '{warm_start,from}')
LEFT JOIN trials t ON t.study_id = src.id AND t.state = 'complete' AND t.value IS NOT NULL
WHERE dst.id = ${studyId}::uuid
ORDER BY t.number`,
  );
  const first = rows[0];
  if (!first) return { source: null, trials: [] };
  return {
    source: { id: String(first.source_id), name: String(first.source_name) },
    trials: rows.filter((r) => r.value !== null).map((r) => ({ params: r.params, value: numberOf(r.value) })),
  };
}
