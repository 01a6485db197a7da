import { sql, type SQL } from "drizzle-orm";
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

/** A timestamp as JavaScript's `toISOString()` writes it, so study events read like the others. */
const isoText = (at: SQL) => sql`to_char(${at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The rest of both statements, after the CTE `d` of studies to finish: moves them and, in the
 * same statement, queues `study.completed` / `study.failed` for the team's webhooks that want it
 * (the outbox of webhook-outbox.ts), so the event exists if and only if the state changed.
 */
function finishAndQueueWebhooks(stoppedAt: SQL): SQL {
  return sql`fin AS (
  UPDATE studies s SET state = d.new_state::study_state, stopped_at = ${stoppedAt}, updated_at = now()
  FROM d WHERE s.id = d.id AND d.new_state IS NOT NULL AND s.state = 'running'
  RETURNING s.id, s.org_id, s.project_id, s.name, s.state, s.max_failures, s.stopped_at, s.best_value, s.best_trial_id,
            s.next_trial_number, 'study.' || s.state::text AS event
),
hooks AS (
  INSERT INTO webhook_deliveries (org_id, webhook_id, event, body)
  SELECT w.org_id, w.id, fin.event, json_build_object(
    'event', fin.event,
    'created_at', ${isoText(sql`now()`)},
    'data', json_build_object(
      'study', json_build_object('id', fin.id, 'name', fin.name, 'project_id', fin.project_id, 'state', fin.state,
                                 'stopped_at', ${isoText(sql`fin.stopped_at`)}, 'trials', fin.next_trial_number,
                                 'best_value', fin.best_value, 'best_trial_id', fin.best_trial_id),
      'reason', CASE WHEN fin.state = 'failed' THEN 'budget.max_failures (' || fin.max_failures || ') reached'
                     ELSE 'budget.max_trials reached' END)
  )::text
  FROM fin JOIN webhooks w ON w.org_id = fin.org_id AND w.active AND fin.event = ANY (w.events)
)
SELECT id, org_id, state, max_failures FROM fin`;
}

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
),
${finishAndQueueWebhooks(sql`coalesce(${isoOrNull(at)}::timestamptz, now())`)}`,
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
),
${finishAndQueueWebhooks(sql`now()`)}`,
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
