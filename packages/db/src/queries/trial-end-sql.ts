import { sql, type SQL } from "drizzle-orm";
import { agentMayAct } from "./agent-token-rule.js";
import { isoOrNull, numberOf, numberOrNull } from "./sql-runner.js";
import type { TEndAttemptQuery, TEndedAttemptRow } from "./trial-end-types.js";

/**
 * The end of an attempt as common table expressions, for `endTrialAttemptById` and for the
 * statement that also leases the agent its next trial (trial-end-and-lease.ts). `end_upd`
 * returns the ended trial's row (`endedAttemptOf` reads it).
 */
export function endAttemptCtes(q: TEndAttemptQuery): SQL {
  const at = sql`coalesce(${isoOrNull(q.at)}::timestamptz, now())`;
  const retry = sql`${q.mode}::text = 'retry'`;
  return sql`
end_cur AS (
  SELECT t.id, t.agent_id AS prev_agent, t.lease_token AS prev_token, s.state AS study_state, s.max_attempts,
         (SELECT count(*) FROM trial_attempts a
           WHERE a.trial_id = t.id AND a.ended_at IS NOT NULL
             AND a.end_code <> ALL (string_to_array(${q.nonConsumingCodes.join(",")}::text, ',')))::int AS consumed
  FROM trials t JOIN studies s ON s.id = t.study_id
  WHERE t.id = ${q.trialId}::uuid
    AND t.state = 'running'
    AND (${q.leaseKind}::text IS NULL OR t.lease_kind::text = ${q.leaseKind}::text)
    AND (${q.leaseToken}::uuid IS NULL OR t.lease_token = ${q.leaseToken}::uuid)
    AND (${q.agentId}::uuid IS NULL OR t.agent_id = ${q.agentId}::uuid)
    AND (${q.attempt}::int IS NULL OR t.attempt = ${q.attempt}::int)
    AND (NOT ${q.agentMustAct}::boolean OR ${agentMayAct(q.agentId)})
    AND (${q.orgId}::uuid IS NULL OR t.org_id = ${q.orgId}::uuid)
    AND (NOT ${q.onlyIfExpired}::boolean OR t.lease_expires_at < ${at})
  FOR UPDATE OF t
),
end_nxt AS (
  SELECT end_cur.*, end_cur.consumed + ${q.consumesAttempt ? 1 : 0}::int AS spent,
    CASE
      -- A stopped or finished study re-queues nothing.
      WHEN ${retry} AND end_cur.study_state = 'running' AND end_cur.consumed + ${q.consumesAttempt ? 1 : 0}::int < end_cur.max_attempts THEN 'waiting'
      WHEN ${retry} THEN 'failed'
      ELSE ${q.mode}::text
    END AS new_state
  FROM end_cur
),
end_upd AS (
  UPDATE trials t
  SET state = end_nxt.new_state::trial_state,
      value = CASE WHEN ${retry} THEN t.value ELSE ${q.value}::float8 END,
      "values" = CASE WHEN ${retry} THEN t."values" ELSE ${jsonOrNull(q.values ?? null)}::jsonb END,
      constraint_values = CASE WHEN ${retry} THEN t.constraint_values ELSE ${jsonOrNull(q.constraintValues ?? null)}::jsonb END,
      feasible = CASE WHEN ${retry} THEN t.feasible ELSE ${feasibleOf(q.constraintValues ?? null)}::boolean END,
      finished_at = CASE WHEN end_nxt.new_state = 'waiting' THEN NULL ELSE ${at} END,
      lease_expires_at = NULL,
      lease_token = CASE WHEN end_nxt.new_state = 'waiting' OR t.lease_kind = 'ask' THEN NULL ELSE t.lease_token END,
      agent_id = CASE WHEN end_nxt.new_state = 'waiting' THEN NULL ELSE t.agent_id END,
      end_code = CASE WHEN end_nxt.new_state = 'waiting' THEN NULL ELSE ${q.code}::text END,
      end_reason = CASE
        WHEN end_nxt.new_state = 'waiting' THEN NULL
        WHEN ${retry} AND end_nxt.study_state <> 'running' THEN ${q.reason}::text || ' (the study is no longer running)'
        WHEN ${retry} THEN ${q.reason}::text || ' (gave up after ' || end_nxt.spent || ' of ' || end_nxt.max_attempts || ' attempts)'
        ELSE ${q.reason}::text
      END,
      last_step = coalesce(${q.lastStep}::int, t.last_step),
      updated_at = now()
  FROM end_nxt
  WHERE t.id = end_nxt.id
  RETURNING t.id, t.org_id, t.study_id, t.number, t.attempt, t.state, t.value, t."values", t.constraint_values, t.feasible,
            end_nxt.prev_agent, end_nxt.prev_token
),
end_att AS (
  UPDATE trial_attempts a
  SET ended_at = ${at}, end_code = ${q.code}::text, end_reason = ${q.reason}::text, log_tail = coalesce(${q.logTail}::text, a.log_tail),
      source = coalesce(${sourceJson(q.source)}::jsonb, a.source)
  FROM end_upd
  WHERE a.trial_id = end_upd.id AND a.attempt = end_upd.attempt AND a.ended_at IS NULL
),
end_best AS (
  UPDATE studies s
  SET best_value = end_upd.value, best_trial_id = end_upd.id, updated_at = now()
  FROM end_upd
  -- An infeasible trial is kept and shown, never best.
  WHERE s.id = end_upd.study_id AND end_upd.state = 'complete' AND end_upd.value IS NOT NULL AND end_upd.feasible IS NOT FALSE
    AND (s.best_value IS NULL
         OR (s.direction = 'minimize' AND end_upd.value < s.best_value)
         OR (s.direction = 'maximize' AND end_upd.value > s.best_value))
)`;
}

/** A command's source reference as a jsonb parameter (null: it printed none). */
export function sourceJson(source: TEndAttemptQuery["source"]): string | null {
  return source === undefined || source === null ? null : JSON.stringify(source);
}

function jsonOrNull(list: number[] | null): string | null {
  return list === null ? null : JSON.stringify(list);
}

/** Feasible when every violation is ≤ 0 (Optuna's convention); null without constraints. */
export function feasibleOf(violations: readonly number[] | null): boolean | null {
  return violations === null ? null : violations.every((v) => v <= 0);
}

/** A jsonb list of numbers from either driver (pg parses jsonb; to_jsonb rows carry it parsed too). */
export function numberListOrNull(v: unknown): number[] | null {
  const parsed = typeof v === "string" ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(parsed) ? parsed.map(Number) : null;
}

/** A row of `end_upd`, from either driver (or from to_jsonb). */
export function endedAttemptOf(r: Record<string, unknown>): TEndedAttemptRow {
  return {
    trialId: String(r.id),
    orgId: String(r.org_id),
    studyId: String(r.study_id),
    number: numberOf(r.number),
    attempt: numberOf(r.attempt),
    state: r.state as TEndedAttemptRow["state"],
    value: numberOrNull(r.value),
    values: numberListOrNull(r.values),
    constraintValues: numberListOrNull(r.constraint_values),
    feasible: r.feasible === null || r.feasible === undefined ? null : r.feasible === true || r.feasible === "t",
    agentId: r.prev_agent ? String(r.prev_agent) : null,
    leaseToken: r.prev_token ? String(r.prev_token) : null,
  };
}
