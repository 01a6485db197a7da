import type { DbHandle } from "@autoglm/db/client";
import { agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token.js";
import { leasedTrialOf, type LeasedTrial } from "./lease-trial.js";

/**
 * Leases for several agents in ONE statement (L1: a round of 200 idle agents was 200 lease
 * statements): at most one trial per agent, each under the same rules as leaseTrial
 * (lease-trial.ts): the agent's token may act (S13), its own org and token project (S8),
 * its free slots, GPUs, memory and labels, `FOR UPDATE SKIP LOCKED` (R6), fenced tokens.
 *
 *  - `fit` pairs each agent with the running studies it can take a trial of now.
 *  - `cand` takes, per fitting study, as many of its oldest waiting trials as agents fit it.
 *  - `pair` matches the k-th agent fitting a study (by id) with the study's k-th trial, and
 *    keeps each agent's oldest match: a trial goes to one agent, an agent gets one trial.
 *    The match is greedy, not optimal: an agent whose matches all went to others gets none
 *    this time (`mayFitMore` says whether that can have happened), and the caller asks for
 *    it alone (leaseTrial), which finds what is left.
 *
 * Like leaseTrial, the capacity check reads each agent's running trials in the statement's
 * snapshot: callers must not lease for the same agent concurrently (the gateway serialises
 * every agent's leases, batched or not).
 */
const LEASE_BATCH_SQL = `
WITH ids AS (
  -- JSON rather than an array parameter: PGlite and pg serialise arrays differently.
  SELECT x::uuid AS id FROM jsonb_array_elements_text($1::jsonb) x
),
ag AS MATERIALIZED (
  SELECT a.id, a.org_id, a.labels, a.memory_mb, a.max_trials, jsonb_array_length(a.gpus) AS gpu_count,
         tk.project_id
  FROM agents a
  JOIN api_tokens tk ON tk.id = a.token_id AND tk.org_id = a.org_id
  ${agentTokenJoinsSql()}
  WHERE a.id IN (SELECT id FROM ids) AND ${agentTokenMayActSql()}
),
used AS (
  SELECT t.agent_id, count(*)::int AS n, coalesce(sum(s.gpus_needed), 0)::int AS gpus,
         coalesce(sum(s.memory_mb_needed), 0) AS mem_mb
  FROM trials t JOIN studies s ON s.id = t.study_id
  WHERE t.agent_id IN (SELECT id FROM ids) AND t.state = 'running' AND t.lease_kind = 'agent'
  GROUP BY t.agent_id
),
fit AS MATERIALIZED (
  SELECT ag.id AS agent_id, s.id AS study_id,
         row_number() OVER (PARTITION BY s.id ORDER BY ag.id) AS k
  FROM ag
  LEFT JOIN used u ON u.agent_id = ag.id
  JOIN studies s ON s.org_id = ag.org_id
  WHERE (ag.project_id IS NULL OR s.project_id = ag.project_id)
    AND s.state = 'running'
    AND s.runs_on_agents
    AND coalesce(u.n, 0) < ag.max_trials
    AND s.gpus_needed <= ag.gpu_count - coalesce(u.gpus, 0)
    AND (s.memory_mb_needed IS NULL OR s.memory_mb_needed <= ag.memory_mb - coalesce(u.mem_mb, 0))
    AND ag.labels @> s.labels_needed
),
cand AS MATERIALIZED (
  SELECT c.id, c.study_id, c.created_at
  FROM (SELECT study_id, count(*) AS agents FROM fit GROUP BY study_id) f
  CROSS JOIN LATERAL (
    SELECT t.id, t.study_id, t.created_at
    FROM trials t
    WHERE t.state = 'waiting' AND t.study_id = f.study_id
    ORDER BY t.created_at
    LIMIT f.agents
    FOR UPDATE OF t SKIP LOCKED
  ) c
),
pair AS (
  SELECT DISTINCT ON (fit.agent_id) fit.agent_id, c.id AS trial_id
  FROM (SELECT cand.*, row_number() OVER (PARTITION BY study_id ORDER BY created_at) AS k FROM cand) c
  JOIN fit ON fit.study_id = c.study_id AND fit.k = c.k
  ORDER BY fit.agent_id, c.created_at
),
upd AS (
  UPDATE trials t
  SET state = 'running',
      attempt = t.attempt + 1,
      lease_kind = 'agent',
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + $2::int * interval '1 millisecond',
      agent_id = pair.agent_id,
      started_at = coalesce(t.started_at, now()),
      end_code = NULL,
      end_reason = NULL,
      updated_at = now()
  FROM pair
  WHERE t.id = pair.trial_id AND t.state = 'waiting'
  RETURNING t.*
),
att AS (
  INSERT INTO trial_attempts (trial_id, org_id, attempt, lease_kind, agent_id)
  SELECT id, org_id, attempt, 'agent', agent_id FROM upd
)
SELECT l.*,
       -- Candidates no agent kept (each kept an older match): agents that got nothing may still fit them.
       (SELECT count(*) FROM cand) - (SELECT count(*) FROM pair) AS unmatched
FROM (SELECT 1) one
LEFT JOIN (
  SELECT upd.id, upd.org_id, upd.study_id, upd.number, upd.params, upd.attempt, upd.lease_token,
         upd.lease_expires_at, upd.agent_id, s.spec
  FROM upd JOIN studies s ON s.id = upd.study_id
) l ON true
`;

export interface TLeaseBatch {
  /** The leases by agent id; agents that got none are absent. */
  leases: Map<string, LeasedTrial>;
  /**
   * Whether an agent that got none may still fit a waiting trial: when no candidate was left
   * over, each such agent's fitting studies have no unlocked waiting trial left.
   */
  mayFitMore: boolean;
}

/** Leases at most one trial to each of `agentIds`. */
export async function leaseTrials(
  handle: DbHandle,
  input: { agentIds: readonly string[]; leaseTtlMs: number },
): Promise<TLeaseBatch> {
  const leases = new Map<string, LeasedTrial>();
  if (input.agentIds.length === 0) return { leases, mayFitMore: false };
  const rows = await handle.query<Record<string, unknown>>(
    LEASE_BATCH_SQL,
    [JSON.stringify(input.agentIds), Math.round(input.leaseTtlMs)],
    "lease_trials",
  );
  for (const r of rows) if (r.id !== null) leases.set(String(r.agent_id), leasedTrialOf(r));
  return { leases, mayFitMore: Number(rows[0]?.unmatched ?? 0) > 0 };
}
