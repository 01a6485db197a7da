import { sql, type SQL } from "drizzle-orm";
import { agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token-rule.js";
import { numberOf } from "./sql-runner.js";

/** What one lease asks for. */
export interface TLeaseRequest {
  agentId: string;
  leaseTtlMs: number;
  /**
   * The lease's token, chosen by the caller (else the database picks one): a statement whose
   * connection drops may still have committed, and the token is how the caller finds that lease
   * again to take it back (LeasePump).
   */
  leaseToken?: string | undefined;
}

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

export interface TLeaseSqlRow {
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

export function agentLeaseOf(r: TLeaseSqlRow): TAgentLeaseRow {
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
 * Leasing a trial to an agent as common table expressions (the statement is explained at
 * `leaseTrialToAgentById`), for that statement and for the one that ends an attempt and leases
 * the agent its next trial at once (trial-end-and-lease.ts). With `afterEnd`, the trial that
 * `end_upd` ends in the same statement no longer counts as running on the agent (the
 * statement's snapshot still shows it running), and nothing is leased unless it ended.
 */
export function leaseCtes(input: TLeaseRequest, options: { afterEnd?: boolean } = {}): SQL {
  const ttl = Math.round(input.leaseTtlMs);
  const gate = options.afterEnd ? sql` AND EXISTS (SELECT 1 FROM end_upd)` : sql``;
  const notEnded = options.afterEnd ? sql` AND t.id NOT IN (SELECT id FROM end_upd)` : sql``;
  return sql`
lease_ag AS (
  -- The agent, only while its token may act (S13: its owner is still a member who may run
  -- agents, the token is live); empty otherwise, and so is everything below. Three primary-key
  -- lookups beside the agent's own.
  SELECT a.id, a.org_id, a.labels, a.memory_mb, a.max_trials, jsonb_array_length(a.gpus) AS gpu_count,
         tk.project_id
  FROM agents a
  JOIN api_tokens tk ON tk.id = a.token_id AND tk.org_id = a.org_id
  ${sql.raw(agentTokenJoinsSql())}
  WHERE a.id = ${input.agentId} AND ${sql.raw(agentTokenMayActSql())}${gate}
),
lease_rep AS (
  -- Serving replicas on the agent keep their GPUs and memory; they take no trial slot.
  SELECT coalesce(sum(coalesce((e.resources->>'gpus')::int, 0)), 0)::int AS gpus,
         coalesce(sum((e.resources->>'memory_gb')::float8 * 1024), 0) AS mem_mb
  FROM endpoint_replicas rp JOIN endpoints e ON e.id = rp.endpoint_id
  WHERE rp.agent_id = ${input.agentId} AND rp.state IN ('starting', 'ready', 'draining')
),
lease_used AS (
  SELECT count(*)::int AS n,
         coalesce(sum(s.gpus_needed), 0)::int + (SELECT gpus FROM lease_rep) AS gpus,
         coalesce(sum(s.memory_mb_needed), 0) + (SELECT mem_mb FROM lease_rep) AS mem_mb
  FROM trials t JOIN studies s ON s.id = t.study_id
  WHERE t.agent_id = ${input.agentId} AND t.state = 'running' AND t.lease_kind = 'agent'${notEnded}
),
lease_fit AS MATERIALIZED (
  -- The agent's team's running studies whose run.resources (the spec's generated columns,
  -- schema.ts) fit what the agent has left: a handful of rows, checked once per study, not
  -- once per waiting trial.
  SELECT s.id
  FROM studies s CROSS JOIN lease_ag CROSS JOIN lease_used
  WHERE s.org_id = lease_ag.org_id
    AND (lease_ag.project_id IS NULL OR s.project_id = lease_ag.project_id)
    AND s.state = 'running'
    AND s.runs_on_agents
    AND lease_used.n < lease_ag.max_trials
    AND s.gpus_needed <= lease_ag.gpu_count - lease_used.gpus
    AND (s.memory_mb_needed IS NULL OR s.memory_mb_needed <= lease_ag.memory_mb - lease_used.mem_mb)
    AND lease_ag.labels @> s.labels_needed
),
lease_pick AS (
  -- Walks trials_waiting_idx in created_at order and stops at the first unlocked trial of a
  -- fitting study (12 ms → well under 1 ms with 5,000 waiting trials).
  SELECT t.id
  FROM trials t CROSS JOIN lease_ag
  WHERE t.state = 'waiting'
    AND t.org_id = lease_ag.org_id
    AND t.study_id IN (SELECT id FROM lease_fit)
  ORDER BY t.created_at
  LIMIT 1
  FOR UPDATE OF t SKIP LOCKED
),
lease_upd AS (
  UPDATE trials t
  SET state = 'running',
      attempt = t.attempt + 1,
      lease_kind = 'agent',
      lease_token = coalesce(${input.leaseToken ?? null}::uuid, gen_random_uuid()),
      lease_expires_at = now() + ${ttl}::int * interval '1 millisecond',
      agent_id = ${input.agentId},
      started_at = coalesce(t.started_at, now()),
      end_code = NULL,
      end_reason = NULL,
      updated_at = now()
  FROM lease_pick
  WHERE t.id = lease_pick.id AND t.state = 'waiting'
  RETURNING t.*
),
lease_att AS (
  INSERT INTO trial_attempts (trial_id, org_id, attempt, lease_kind, agent_id)
  SELECT id, org_id, attempt, 'agent', agent_id FROM lease_upd
)`;
}

/** The leased trial's columns and its study's spec (a `TLeaseSqlRow`), after `leaseCtes`. */
export const LEASE_SELECT = sql`
SELECT lease_upd.id, lease_upd.org_id, lease_upd.study_id, lease_upd.number, lease_upd.params, lease_upd.attempt, lease_upd.lease_token,
       lease_upd.lease_expires_at, s.spec
FROM lease_upd JOIN studies s ON s.id = lease_upd.study_id`;
