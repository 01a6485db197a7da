import { listWarmStartTrialsByStudyId, type SqlDb } from "@autoglm/db/queries";
import { OptimizerError, paramsChecker, type THistoryTrial, type TParams } from "@autoglm/optimizer";
import type { TStudySpec } from "@autoglm/protocol";

/**
 * Optimizer ids of a warm start's prior observations: far above any trial number (max_trials is
 * at most 10^6), so they never collide with the study's own trials, whose ids are their numbers.
 * Samplers that weigh trials by id see them as the newest; they are as good a guide as any.
 */
export const WARM_START_ID_BASE = 2 ** 40;

export interface TWarmStart {
  /** The source study, or null when it no longer exists in the team (the study starts cold). */
  source: { id: string; name: string } | null;
  /** The source's complete trials whose params fit this study's space, as prior observations. */
  trials: THistoryTrial[];
  /** The source's complete trials left out because their params do not fit this space. */
  skipped: number;
}

/**
 * The prior observations of a study created with `warm_start: {from}`: the source study's
 * complete trials whose params pass this space's own check (checkParams), read in one query
 * per optimizer rebuild. They feed the sampler only: they are not trials of this study (not in
 * its table, not counted against max_trials). Null for a study without `warm_start`.
 */
export async function loadWarmStart(db: SqlDb, studyId: string, spec: TStudySpec): Promise<TWarmStart | null> {
  if (!spec.warm_start) return null;
  const { source, trials } = await listWarmStartTrialsByStudyId(db, studyId);
  const check = paramsChecker(spec.space);
  const out: THistoryTrial[] = [];
  let skipped = 0;
  for (const t of trials) {
    let params: TParams;
    try {
      params = check(t.params, "warm start");
    } catch (err) {
      if (!(err instanceof OptimizerError)) throw err;
      skipped++;
      continue;
    }
    out.push({ id: WARM_START_ID_BASE + out.length, params, state: "complete", value: t.value, intermediate: [] });
  }
  return { source, trials: out, skipped };
}
