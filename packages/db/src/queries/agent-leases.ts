import { sql } from "drizzle-orm";
import { agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token-rule.js";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";

/** A trial just leased to an agent: the trial's columns and its study's spec as stored. */
export interface TAgentLeaseRow {
  trialId: string;
  orgId: string;
  studyId: string;
  number: number;
  /** jsonb the optimizer wrote: strings, numbers and booleans by parameter name. */
  params: Record<string, string | number | boolean>;
  attempt: number;
  leaseToken: string;
  leaseExpiresAt: string;
  /** The study's spec as stored (the caller fills its defaults). */
  spec: unknown;
}

interface TLeaseSqlRow {
  id: string;
  org_id: string;
  study_id: string;
  number: number | string;
  params: TAgentLeaseRow["params"];
  attempt: number | string;
  lease_token: string;
  lease_expires_at: Date | string;
  spec: unknown;
}

function agentLeaseOf(r: TLeaseSqlRow): TAgentLeaseRow {
  return {
    trialId: String(r.id),
    orgId: String(r.org_id),
    studyId: String(r.study_id),
    number: numberOf(r.number),
    params: r.params,
    attempt: numberOf(r.attempt),
    leaseToken: String(r.lease_token),
    leaseExpiresAt: (r.lease_expires_at instanceof Date
      ? r.lease_expires_at
      : new Date(String(r.lease_expires_at))
    ).toISOString(),
    spec: r.spec,
  };
}

/**
 * Unscoped: keyed by the agent, whose own team and token project the statement reads (S8).
 * Leases the oldest waiting trial that fits the agent, in ONE statement (STYLE 8):
 *
 *  - `ag` is the agent while its API token may act (S13: a removed, demoted or deactivated
 *    owner's agent is leased nothing), with the token's project restriction.
 *  - `pick` takes one waiting trial of the agent's own org (S8: never another team's) and, for
 *    a project-restricted token, of that project only, of a
 *    running study with a `run.command` or `run.builtin`, whose `run.resources` fit what the agent has left:
 *    free trial slots, free GPUs (GPU count minus the GPUs its running trials asked for),
 *    memory, and labels (`agents.labels @> resources.labels`). `FOR UPDATE SKIP LOCKED` lets
 *    concurrent leasers pass each other instead of queueing or taking the same row (R6).
 *  - `upd` sets state, attempt + 1, a fresh lease token, the holder and the expiry.
 *  - `att` opens the attempt row; a partial unique index allows one open attempt per trial,
 *    so even a bug elsewhere cannot create a second active attempt.
 *
 * The capacity check reads the agent's running trials in the statement's snapshot, so two
 * concurrent leases for the SAME agent could both see a free slot; callers serialise leases
 * per agent (the gateway does, with a promise chain per agent). Different agents never
 * contend on capacity, only on trial rows, which SKIP LOCKED settles.
 */
export async function leaseTrialToAgentById(
  db: SqlDb,
  input: { agentId: string; leaseTtlMs: number },
): Promise<TAgentLeaseRow | null> {
  const ttl = Math.round(input.leaseTtlMs);
  const rows = await runStatement<TLeaseSqlRow>(
    db,
    "lease_trial",
    sql`
WITH ag AS (
  -- The agent, only while its token may act (S13: its owner is still a member who may run
  -- agents, the token is live); empty otherwise, and so is everything below. Three primary-key
  -- lookups beside the agent's own.
  SELECT a.id, a.org_id, a.labels, a.memory_mb, a.max_trials, jsonb_array_length(a.gpus) AS gpu_count,
         tk.project_id
  FROM agents a
  JOIN api_tokens tk ON tk.id = a.token_id AND tk.org_id = a.org_id
  ${sql.raw(agentTokenJoinsSql())}
  WHERE a.id = ${input.agentId} AND ${sql.raw(agentTokenMayActSql())}
),
used AS (
  SELECT count(*)::int AS n,
         coalesce(sum(s.gpus_needed), 0)::int AS gpus,
         coalesce(sum(s.memory_mb_needed), 0) AS mem_mb
  FROM trials t JOIN studies s ON s.id = t.study_id
  WHERE t.agent_id = ${input.agentId} AND t.state = 'running' AND t.lease_kind = 'agent'
),
fit AS MATERIALIZED (
  -- The agent's team's running studies whose run.resources (the spec's generated columns,
  -- schema.ts) fit what the agent has left: a handful of rows, checked once per study, not
  -- once per waiting trial.
  SELECT s.id
  FROM studies s CROSS JOIN ag CROSS JOIN used
  WHERE s.org_id = ag.org_id
    AND (ag.project_id IS NULL OR s.project_id = ag.project_id)
    AND s.state = 'running'
    AND s.runs_on_agents
    AND used.n < ag.max_trials
    AND s.gpus_needed <= ag.gpu_count - used.gpus
    AND (s.memory_mb_needed IS NULL OR s.memory_mb_needed <= ag.memory_mb - used.mem_mb)
    AND ag.labels @> s.labels_needed
),
pick AS (
  -- Walks trials_waiting_idx in created_at order and stops at the first unlocked trial of a
  -- fitting study (12 ms → well under 1 ms with 5,000 waiting trials).
  SELECT t.id
  FROM trials t CROSS JOIN ag
  WHERE t.state = 'waiting'
    AND t.org_id = ag.org_id
    AND t.study_id IN (SELECT id FROM fit)
  ORDER BY t.created_at
  LIMIT 1
  FOR UPDATE OF t SKIP LOCKED
),
upd AS (
  UPDATE trials t
  SET state = 'running',
      attempt = t.attempt + 1,
      lease_kind = 'agent',
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + ${ttl}::int * interval '1 millisecond',
      agent_id = ${input.agentId},
      started_at = coalesce(t.started_at, now()),
      end_code = NULL,
      end_reason = NULL,
      updated_at = now()
  FROM pick
  WHERE t.id = pick.id AND t.state = 'waiting'
  RETURNING t.*
),
att AS (
  INSERT INTO trial_attempts (trial_id, org_id, attempt, lease_kind, agent_id)
  SELECT id, org_id, attempt, 'agent', agent_id FROM upd
)
SELECT upd.id, upd.org_id, upd.study_id, upd.number, upd.params, upd.attempt, upd.lease_token,
       upd.lease_expires_at, s.spec
FROM upd JOIN studies s ON s.id = upd.study_id
`,
  );
  const r = rows[0];
  return r ? agentLeaseOf(r) : null;
}

/** Unscoped: the registering agent's own leases. The trials the database leases to the agent, with their tokens. */
export async function listAgentLeasesByAgentId(
  db: SqlDb,
  agentId: string,
): Promise<Array<{ trialId: string; leaseToken: string }>> {
  const rows = await runStatement<{ id: string; lease_token: string }>(
    db,
    "agent_leases",
    sql`SELECT id, lease_token FROM trials WHERE agent_id = ${agentId} AND state = 'running' AND lease_kind = 'agent'`,
  );
  return rows.map((r) => ({ trialId: String(r.id), leaseToken: String(r.lease_token) }));
}

/** Unscoped: the run loop's pass over every team. The teams with a queued trial, each offered to its own agents. */
export async function listOrgIdsWithWaitingTrials(db: SqlDb): Promise<string[]> {
  const rows = await runStatement<{ org_id: string }>(
    db,
    "orgs_with_waiting_trials",
    sql`SELECT DISTINCT org_id FROM trials WHERE state = 'waiting'`,
  );
  return rows.map((r) => String(r.org_id));
}
