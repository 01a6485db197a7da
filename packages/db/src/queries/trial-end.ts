import { sql } from "drizzle-orm";
import type { TConstraint } from "@autoglm/protocol";
import { endAttemptCtes, endedAttemptOf, sourceJson } from "./trial-end-sql.js";
import type { TEndAttemptQuery, TEndedAttemptRow } from "./trial-end-types.js";
import { agentMayAct } from "./agent-token-rule.js";
import { inProject } from "./trial-scope.js";
import type { TenantScope } from "./scope.js";
import { isoOrNull, numberOf, runStatement, type SqlDb } from "./sql-runner.js";

export type { TEndAttemptQuery, TEndedAttemptRow, TEndMode } from "./trial-end-types.js";

/**
 * Unscoped: keyed by a trial the caller holds (its lease token, its agent, or a scoped lock in
 * the same transaction), or `orgId` for user stops.
 * Ends the current attempt of a running trial in ONE statement: fences on the lease (a stale
 * token changes nothing, R2), decides waiting vs failed from the attempts already spent, closes
 * the attempt row, and moves the study's best value when the trial completes better (the
 * studies row lock serialises concurrent completions and the WHERE is re-checked on the new
 * row version, so the best never goes backwards). An ask-lease's token dies with its trial; an
 * agent's stays on the finished row, so a replayed completion is recognised as a duplicate.
 */
export async function endTrialAttemptById(db: SqlDb, q: TEndAttemptQuery): Promise<TEndedAttemptRow | null> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "end_attempt",
    sql`WITH ${endAttemptCtes(q)} SELECT * FROM end_upd`,
  );
  const r = rows[0];
  return r ? endedAttemptOf(r) : null;
}

/**
 * Unscoped: fenced by the lease token the gateway itself handed out.
 * Takes back a lease the agent declined before starting it: the attempt row is erased and
 * the attempt number given back, so the attempt list shows only attempts that ran.
 */
export async function unleaseTrialById(db: SqlDb, input: { trialId: string; leaseToken: string }): Promise<boolean> {
  const rows = await runStatement(
    db,
    "unlease_trial",
    sql`
WITH cur AS (
  SELECT id, attempt FROM trials
  WHERE id = ${input.trialId}::uuid AND lease_token = ${input.leaseToken}::uuid AND state = 'running' AND lease_kind = 'agent'
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
  );
  return rows.length > 0;
}

/**
 * Unscoped: keyed by a trial the caller holds (checked lease, or a scoped lock).
 * The trial's last intermediate report: a pruned trial's value (Optuna's convention) and the
 * objective of a command that exited 0 without a final line.
 */
export async function lastTrialValueById(db: SqlDb, trialId: string): Promise<{ step: number; value: number } | null> {
  const rows = await runStatement<{ step: unknown; value: unknown }>(
    db,
    "last_trial_value",
    sql`SELECT step, value FROM trial_values WHERE trial_id = ${trialId}::uuid ORDER BY step DESC LIMIT 1`,
  );
  const r = rows[0];
  return r ? { step: numberOf(r.step), value: numberOf(r.value) } : null;
}

export interface TTrialLeaseView {
  state: "waiting" | "running" | "complete" | "pruned" | "failed";
  leaseKind: "ask" | "agent" | null;
  leaseToken: string | null;
  attempt: number;
  agentId: string | null;
  /** The study's objective metric (the first, with several). */
  metric: string;
  /** What a completion's final line is read for: every objective's metric, in spec order, and the constraints. */
  valueMetrics: { objectives: string[]; constraints: TConstraint[] };
}

/**
 * Unscoped: the agent presents the trial's lease token; the caller compares it (and the
 * agent) before acting on anything it returns.
 * What an agent's completion is checked against. With `agentId`, the same statement also says
 * whether that agent's token may still act (S13): a completion needs both, and one round trip
 * instead of two keeps it off the lease latency an agent waits through (L1).
 */
export async function findTrialLeaseById(
  db: SqlDb,
  trialId: string,
  agentId?: string,
): Promise<(TTrialLeaseView & { agentMayAct: boolean | null }) | null> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    agentId === undefined ? "trial_lease_view" : "trial_lease_view_for_agent",
    sql`SELECT t.state, t.lease_kind, t.lease_token, t.attempt, t.agent_id, s.metric,
          s.spec -> 'objectives' AS objectives, s.spec -> 'constraints' AS constraints,
          ${agentId === undefined ? sql`NULL::boolean` : agentMayAct(agentId)} AS may_act
        FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.id = ${trialId}::uuid`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    state: r.state as TTrialLeaseView["state"],
    leaseKind: (r.lease_kind as TTrialLeaseView["leaseKind"]) ?? null,
    leaseToken: r.lease_token ? String(r.lease_token) : null,
    attempt: numberOf(r.attempt),
    agentId: r.agent_id ? String(r.agent_id) : null,
    metric: String(r.metric),
    valueMetrics: valueMetricsOfRow(r),
    agentMayAct: r.may_act === null || r.may_act === undefined ? null : r.may_act === true || r.may_act === "t",
  };
}

/** The spec's objectives (or its one `objective`, the `metric` column) and constraints, as stored. */
function valueMetricsOfRow(r: Record<string, unknown>): TTrialLeaseView["valueMetrics"] {
  const parse = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v);
  const objectives = parse(r.objectives);
  const constraints = parse(r.constraints);
  return {
    objectives: Array.isArray(objectives) ? objectives.map((o: { metric: string }) => o.metric) : [String(r.metric)],
    constraints: Array.isArray(constraints) ? (constraints as TConstraint[]) : [],
  };
}

/**
 * Unscoped: called after the caller matched the attempt's lease token (findTrialLeaseById).
 * Keeps the log tail and the source reference of a completion whose attempt the server ended
 * first (a prune, a stop) or whose first delivery carried none (R7); what is stored stays.
 */
export async function fillAttemptReportById(
  db: SqlDb,
  input: { trialId: string; attempt: number; logTail: string | null; source: TEndAttemptQuery["source"] },
): Promise<void> {
  await runStatement(
    db,
    "fill_attempt_report",
    sql`UPDATE trial_attempts
        SET log_tail = coalesce(log_tail, ${input.logTail}::text), source = coalesce(source, ${sourceJson(input.source)}::jsonb)
        WHERE trial_id = ${input.trialId}::uuid AND attempt = ${input.attempt}::int`,
  );
}

/**
 * A queued (`waiting`) trial of the scope's team ends `failed` without an attempt: a user's
 * stop. Null when it is not waiting (or not the team's).
 */
export async function failWaitingTrial(
  db: SqlDb,
  scope: TenantScope,
  input: { trialId: string; code: string; reason: string; at: Date | null },
): Promise<{ trialId: string; studyId: string; number: number; attempt: number } | null> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "fail_waiting_trial",
    sql`UPDATE trials SET state = 'failed', end_code = ${input.code}::text, end_reason = ${input.reason}::text,
          finished_at = coalesce(${isoOrNull(input.at)}::timestamptz, now()), updated_at = now()
        WHERE id = ${input.trialId}::uuid AND org_id = ${scope.orgId}::uuid AND state = 'waiting' AND ${inProject(scope)}
        RETURNING id, study_id, number, attempt`,
  );
  const r = rows[0];
  return r
    ? { trialId: String(r.id), studyId: String(r.study_id), number: numberOf(r.number), attempt: numberOf(r.attempt) }
    : null;
}
