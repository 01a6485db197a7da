import { sql } from "drizzle-orm";
import { isoOrNull, numberOf, numberOrNull, runStatement, type SqlDb } from "./sql-runner.js";

/**
 * THE rule for "this running study is done", over a study row `s` and its trial counts `c`:
 * `budget.max_failures` failed trials fail it (when set); every number of `budget.max_trials`
 * handed out and nothing waiting or running completes it. Both statements below use this one
 * fragment, so the rule has a single text.
 */
const SPENT_STATE = sql`CASE
    WHEN s.max_failures IS NOT NULL AND c.failed >= s.max_failures THEN 'failed'
    WHEN s.next_trial_number >= s.max_trials AND c.in_flight = 0 THEN 'completed'
  END`;

const COUNTS = sql`(SELECT count(*) FILTER (WHERE t.state IN ('waiting', 'running'))::int AS in_flight,
                          count(*) FILTER (WHERE t.state = 'failed')::int AS failed
                   FROM trials t WHERE t.study_id = s.id)`;

export interface TFinishedStudy {
  studyId: string;
  orgId: string;
  state: "completed" | "failed";
  /** The study's budget.max_failures (what a failed study reached). */
  maxFailures: number | null;
}

function finishedOf(r: Record<string, unknown>): TFinishedStudy {
  return {
    studyId: String(r.id),
    orgId: String(r.org_id),
    state: r.state as TFinishedStudy["state"],
    maxFailures: numberOrNull(r.max_failures),
  };
}

/**
 * Unscoped: keyed by the study of a trial the caller just ended (a scoped lock, or the
 * scheduler's own).
 * Finishes the study if the rule says it is done. The UPDATE only moves a `running` study, so
 * a study is completed exactly once however many trials end together. `at` null: now().
 */
export async function finishSpentStudyById(db: SqlDb, studyId: string, at: Date | null): Promise<TFinishedStudy | null> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "finish_spent_study",
    sql`
WITH d AS (
  SELECT s.id, ${SPENT_STATE} AS new_state
  FROM studies s, LATERAL ${COUNTS} c
  WHERE s.id = ${studyId}::uuid AND s.state = 'running'
)
UPDATE studies s SET state = d.new_state::study_state, stopped_at = coalesce(${isoOrNull(at)}::timestamptz, now()), updated_at = now()
FROM d WHERE s.id = d.id AND d.new_state IS NOT NULL AND s.state = 'running'
RETURNING s.id, s.org_id, s.state, s.max_failures`,
  );
  return rows[0] ? finishedOf(rows[0]) : null;
}

/**
 * Unscoped: the run loop's background pass over every team.
 * Finishes every running study the rule says is done (the loop's tick: agent completions do
 * not check their study, so 500 completions a second cost no study lock each).
 */
export async function finishSpentStudies(db: SqlDb): Promise<TFinishedStudy[]> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "finish_spent_studies",
    sql`
WITH d AS (
  SELECT s.id, ${SPENT_STATE} AS new_state
  FROM studies s, LATERAL ${COUNTS} c
  WHERE s.state = 'running'
)
UPDATE studies s SET state = d.new_state::study_state, stopped_at = now(), updated_at = now()
FROM d WHERE s.id = d.id AND d.new_state IS NOT NULL AND s.state = 'running'
RETURNING s.id, s.org_id, s.state, s.max_failures`,
  );
  return rows.map(finishedOf);
}

export interface TStudyToTopUp {
  studyId: string;
  orgId: string;
  /** How many trials to insert now: up to max_parallel in flight, never past max_trials. */
  missing: number;
}

/**
 * Unscoped: the run loop's background pass over every team.
 * Running studies whose trials agents run and that have room for more, with how many.
 */
export async function listStudiesToTopUp(db: SqlDb): Promise<TStudyToTopUp[]> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "studies_to_top_up",
    sql`
SELECT s.id, s.org_id, least(s.max_parallel - c.in_flight, s.max_trials - s.next_trial_number) AS missing
FROM studies s, LATERAL ${COUNTS} c
WHERE s.state = 'running' AND s.runs_on_agents
  AND least(s.max_parallel - c.in_flight, s.max_trials - s.next_trial_number) > 0`,
  );
  return rows.map((r) => ({ studyId: String(r.id), orgId: String(r.org_id), missing: numberOf(r.missing) }));
}
