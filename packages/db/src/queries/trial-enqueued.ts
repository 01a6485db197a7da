import { sql } from "drizzle-orm";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";
import { ENQUEUED } from "./trial-insert.js";

/**
 * Unscoped: called with a study the caller locked (ask, scoped).
 * Hands the study's oldest waiting enqueued trial to the asking program (running, attempt + 1,
 * its attempt row) in one statement; null when none waits. An ask gives out enqueued points
 * before asking the sampler, so "the next ask gets exactly those params".
 */
export async function leaseEnqueuedTrialById(
  db: SqlDb,
  studyId: string,
  lease: { token: string; expiresAt: Date; startedAt: Date },
): Promise<{ trialId: string; number: number; params: Record<string, unknown> } | null> {
  const startedAt = lease.startedAt.toISOString();
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "lease_enqueued_trial",
    sql`
WITH pick AS (
  SELECT id FROM trials
  WHERE study_id = ${studyId}::uuid AND state = 'waiting' AND proposed_by = ${ENQUEUED}
  ORDER BY number
  LIMIT 1
  FOR UPDATE SKIP LOCKED
),
upd AS (
  UPDATE trials t
  SET state = 'running', attempt = t.attempt + 1, lease_kind = 'ask', lease_token = ${lease.token}::uuid,
      lease_expires_at = ${lease.expiresAt.toISOString()}::timestamptz,
      started_at = coalesce(t.started_at, ${startedAt}::timestamptz), updated_at = now()
  FROM pick
  WHERE t.id = pick.id AND t.state = 'waiting'
  RETURNING t.id, t.org_id, t.number, t.params, t.attempt
),
a AS (
  INSERT INTO trial_attempts (org_id, trial_id, attempt, lease_kind, started_at)
  SELECT org_id, id, attempt, 'ask', ${startedAt}::timestamptz FROM upd
)
SELECT id, number, params FROM upd`,
  );
  const r = rows[0];
  return r ? { trialId: String(r.id), number: numberOf(r.number), params: r.params as Record<string, unknown> } : null;
}
