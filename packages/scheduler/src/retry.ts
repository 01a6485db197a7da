import type { DbHandle } from "@autoglm/db/client";
import { NON_CONSUMING_END_CODES, TRIAL_END_CODES, type TTrialEndCode } from "@autoglm/protocol";
import { num } from "./agent-types.js";

/**
 * How an attempt ends:
 *  - "complete" / "pruned" / "failed": the trial is finished with that state.
 *  - "retry": the platform (or a retryable user failure such as a non-zero exit) ended the
 *    attempt; the trial goes back to `waiting` while it has attempts left, else it fails
 *    with the attempt's code. Codes with `consumesAttempt: false` (AGENT_SHUTDOWN,
 *    LEASE_NOT_DELIVERED, LEASE_REJECTED) never spend one (R10).
 */
export type TEndMode = "complete" | "pruned" | "failed" | "retry";

export interface EndAttemptInput {
  trialId: string;
  /** The lease token the caller holds; omitted only by the sweeper and user stops (they match any holder). */
  leaseToken?: string;
  /** When set, only a trial leased to this agent matches (a socket can end only its own trials). */
  agentId?: string;
  /** When set, only a trial of this org matches (user-facing stops are tenant-scoped). */
  orgId?: string;
  /** Sweeper: only end it if the lease has really lapsed (a heartbeat may have just renewed it). */
  onlyIfExpired?: boolean;
  mode: TEndMode;
  code: TTrialEndCode;
  reason: string;
  value?: number | null;
  lastStep?: number | null;
  logTail?: string | null;
}

export interface EndedAttempt {
  trialId: string;
  orgId: string;
  studyId: string;
  number: number;
  attempt: number;
  state: "waiting" | "complete" | "pruned" | "failed";
  value: number | null;
  agentId: string | null;
  leaseToken: string | null;
}

// Constants, not user input: inlined so the statement needs no array parameter (PGlite and pg
// serialise arrays differently).
const NON_CONSUMING_SQL = NON_CONSUMING_END_CODES.map((c) => `'${c}'`).join(", ");

/**
 * Ends the current attempt of a trial in ONE statement: fences on the lease token (a stale
 * token changes nothing, R2), decides waiting vs failed from the attempts already spent,
 * closes the attempt row, and moves the study's best value when a trial completes better
 * (the studies row lock serialises concurrent completions; the WHERE is re-checked on the
 * new row version, so the best never goes backwards).
 */
const END_SQL = `
WITH cur AS (
  SELECT t.id, t.attempt, t.agent_id AS prev_agent, t.lease_token AS prev_token, s.state AS study_state,
         coalesce((s.spec #>> '{budget,max_attempts}')::int, 3) AS max_attempts,
         (SELECT count(*) FROM trial_attempts a
           WHERE a.trial_id = t.id AND a.ended_at IS NOT NULL
             AND a.end_code NOT IN (${NON_CONSUMING_SQL}))::int AS consumed
  FROM trials t JOIN studies s ON s.id = t.study_id
  WHERE t.id = $1
    AND t.state = 'running'
    AND t.lease_kind = 'agent'
    AND ($2::uuid IS NULL OR t.lease_token = $2::uuid)
    AND ($3::uuid IS NULL OR t.agent_id = $3::uuid)
    AND ($4::uuid IS NULL OR t.org_id = $4::uuid)
    AND (NOT $5::boolean OR t.lease_expires_at < now())
  FOR UPDATE OF t
),
nxt AS (
  SELECT cur.*,
    CASE
      -- A stopped or finished study re-queues nothing.
      WHEN $6::text = 'retry' AND cur.study_state = 'running' AND cur.consumed + $7::int < cur.max_attempts THEN 'waiting'
      WHEN $6::text = 'retry' THEN 'failed'
      ELSE $6::text
    END AS new_state
  FROM cur
),
upd AS (
  UPDATE trials t
  SET state = nxt.new_state::trial_state,
      value = CASE WHEN nxt.new_state IN ('complete', 'pruned') THEN $10::float8 ELSE t.value END,
      finished_at = CASE WHEN nxt.new_state = 'waiting' THEN NULL ELSE now() END,
      lease_expires_at = NULL,
      lease_token = CASE WHEN nxt.new_state = 'waiting' THEN NULL ELSE t.lease_token END,
      agent_id = CASE WHEN nxt.new_state = 'waiting' THEN NULL ELSE t.agent_id END,
      end_code = CASE WHEN nxt.new_state = 'waiting' THEN NULL ELSE $8::text END,
      end_reason = CASE
        WHEN nxt.new_state = 'waiting' THEN NULL
        WHEN $6::text = 'retry' AND nxt.study_state <> 'running' THEN $9::text || ' (the study is no longer running)'
        WHEN $6::text = 'retry' THEN $9::text || ' (gave up after ' || (nxt.consumed + $7::int) || ' of ' || nxt.max_attempts || ' attempts)'
        ELSE $9::text
      END,
      last_step = coalesce($11::int, t.last_step),
      updated_at = now()
  FROM nxt
  WHERE t.id = nxt.id
  RETURNING t.id, t.org_id, t.study_id, t.number, t.attempt, t.state, t.value, nxt.prev_agent, nxt.prev_token
),
att AS (
  UPDATE trial_attempts a
  SET ended_at = now(), end_code = $8::text, end_reason = $9::text, log_tail = coalesce($12::text, a.log_tail)
  FROM upd
  WHERE a.trial_id = upd.id AND a.attempt = upd.attempt AND a.ended_at IS NULL
),
best AS (
  UPDATE studies s
  SET best_value = upd.value, best_trial_id = upd.id, updated_at = now()
  FROM upd
  WHERE s.id = upd.study_id AND upd.state = 'complete' AND upd.value IS NOT NULL
    AND (s.best_value IS NULL
         OR (s.direction = 'minimize' AND upd.value < s.best_value)
         OR (s.direction = 'maximize' AND upd.value > s.best_value))
)
SELECT * FROM upd
`;

export async function endAttempt(handle: DbHandle, input: EndAttemptInput): Promise<EndedAttempt | null> {
  const consumes = TRIAL_END_CODES[input.code].consumesAttempt ? 1 : 0;
  const rows = await handle.query<Record<string, unknown>>(
    END_SQL,
    [
      input.trialId,
      input.leaseToken ?? null,
      input.agentId ?? null,
      input.orgId ?? null,
      input.onlyIfExpired ?? false,
      input.mode,
      consumes,
      input.code,
      input.reason.slice(0, 2000),
      input.value ?? null,
      input.lastStep ?? null,
      input.logTail ?? null,
    ],
    "end_attempt",
  );
  const r = rows[0];
  if (!r) return null;
  return {
    trialId: String(r.id),
    orgId: String(r.org_id),
    studyId: String(r.study_id),
    number: num(r.number),
    attempt: num(r.attempt),
    state: r.state as EndedAttempt["state"],
    value: r.value === null || r.value === undefined ? null : num(r.value),
    agentId: r.prev_agent ? String(r.prev_agent) : null,
    leaseToken: r.prev_token ? String(r.prev_token) : null,
  };
}

/** Whether an attempt with this code goes back to the queue (within max_attempts). */
export function isRetryable(code: TTrialEndCode): boolean {
  return TRIAL_END_CODES[code].retry;
}

/**
 * Takes back a lease the agent explicitly declined (no free slot yet): the attempt never
 * started, so it is erased rather than ended — no attempt row, no attempt number spent, and
 * the dashboard's attempt list shows only attempts that ran. Fenced by the token like every
 * other write. (A lease that got no answer at all may have started; that one is ended with
 * LEASE_NOT_DELIVERED instead, so its number is never reused.)
 */
export async function unleaseTrial(handle: DbHandle, input: { trialId: string; leaseToken: string }): Promise<boolean> {
  const rows = await handle.query(
    `WITH cur AS (
       SELECT id, attempt FROM trials
       WHERE id = $1 AND lease_token = $2 AND state = 'running' AND lease_kind = 'agent'
       FOR UPDATE
     ),
     del AS (
       DELETE FROM trial_attempts a USING cur WHERE a.trial_id = cur.id AND a.attempt = cur.attempt
     )
     UPDATE trials t
     SET state = 'waiting', attempt = t.attempt - 1, lease_token = NULL, lease_kind = NULL, agent_id = NULL,
         lease_expires_at = NULL, started_at = CASE WHEN t.attempt = 1 THEN NULL ELSE t.started_at END, updated_at = now()
     FROM cur WHERE t.id = cur.id
     RETURNING t.id`,
    [input.trialId, input.leaseToken],
  );
  return rows.length > 0;
}
