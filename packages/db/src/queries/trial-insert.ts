import { sql } from "drizzle-orm";
import { isoOrNull, numberOf, runStatement, type SqlDb } from "./sql-runner.js";

/** `trials.proposed_by` of a trial whose params a user fixed (`trial enqueue`, "Re-run with these params"). */
export const ENQUEUED = "enqueued";

/**
 * Agents lease waiting trials oldest `created_at` first (agent-lease-sql.ts, walking
 * trials_waiting_idx), so an enqueued trial is dated just before the oldest waiting trial the
 * sampler queued for its study (1 s before it, plus 1 µs per enqueued trial already waiting,
 * so enqueued trials keep their order for up to 10^6 of them): the study's next lease is the
 * enqueued point, as its user expects. With no sampler trial waiting it is simply now().
 */
const ENQUEUED_QUEUE_TIME = sql`(
  SELECT coalesce(
    least(now(), min(w.created_at) FILTER (WHERE w.proposed_by IS DISTINCT FROM ${ENQUEUED}) - interval '1 second'
                 + count(*) FILTER (WHERE w.proposed_by = ${ENQUEUED}) * interval '1 microsecond'),
    now())
  FROM trials w, n WHERE w.study_id = n.id AND w.state = 'waiting')`;

export interface TNextTrialQuery {
  params: Record<string, unknown>;
  /** Only if the study's next number is still this one (an ask computed its parameters for it). */
  expectNumber: number | null;
  /** Handed out at once (ask/tell): running, attempt 1, with its attempt row. Absent: queued for agents. */
  lease: { kind: "ask"; token: string; expiresAt: Date; startedAt: Date } | null;
  /** Where the params came from (`trials.proposed_by`): the sampler's name, or `enqueued`. */
  proposedBy?: string | null;
}

/**
 * Unscoped: keyed by a study the caller locked (ask, scoped) or found running (the run loop's
 * top-up).
 * Inserts the study's next trial in ONE statement that takes its number: the study must be
 * running with numbers left under `max_trials`, so neither a number nor the budget is ever
 * handed out twice, whichever server or client asks. Null when the study refused.
 */
export async function insertNextTrialById(
  db: SqlDb,
  studyId: string,
  q: TNextTrialQuery,
): Promise<{ trialId: string; orgId: string; number: number } | null> {
  const lease = q.lease;
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "insert_next_trial",
    sql`
WITH n AS (
  UPDATE studies SET next_trial_number = next_trial_number + 1, updated_at = now()
  WHERE id = ${studyId}::uuid AND state = 'running' AND next_trial_number < max_trials
    AND (${q.expectNumber}::int IS NULL OR next_trial_number = ${q.expectNumber}::int)
  RETURNING id, org_id, next_trial_number - 1 AS number
),
t AS (
  INSERT INTO trials (org_id, study_id, number, state, params, proposed_by, attempt, lease_kind, lease_token, lease_expires_at,
                      started_at, created_at)
  SELECT n.org_id, n.id, n.number,
         CASE WHEN ${lease?.kind ?? null}::text IS NULL THEN 'waiting' ELSE 'running' END::trial_state,
         ${JSON.stringify(q.params)}::jsonb, ${q.proposedBy ?? null}::text,
         CASE WHEN ${lease?.kind ?? null}::text IS NULL THEN 0 ELSE 1 END,
         ${lease?.kind ?? null}::lease_kind, ${lease?.token ?? null}::uuid,
         ${isoOrNull(lease?.expiresAt)}::timestamptz, ${isoOrNull(lease?.startedAt)}::timestamptz,
         ${q.proposedBy === ENQUEUED ? ENQUEUED_QUEUE_TIME : sql`now()`}
  FROM n
  RETURNING id, org_id, number, lease_kind, started_at
),
a AS (
  INSERT INTO trial_attempts (org_id, trial_id, attempt, lease_kind, started_at)
  SELECT org_id, id, 1, lease_kind, started_at FROM t WHERE lease_kind IS NOT NULL
)
SELECT id, org_id, number FROM t`,
  );
  const r = rows[0];
  return r ? { trialId: String(r.id), orgId: String(r.org_id), number: numberOf(r.number) } : null;
}
