import { sql } from "drizzle-orm";
import { agentMayAct } from "./agent-token-rule.js";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";

export interface TStoredMetricsRow {
  /** False when the sender does not hold the lease (stale token, other agent, finished trial). */
  held: boolean;
  stored: number;
  studyId: string;
  orgId: string;
  number: number;
  params: Record<string, unknown>;
  metric: string;
  /** The objective's (step, value) pairs of this batch, in step order, for the pruner. */
  objective: Array<[number, number]>;
}

const NOT_HELD: TStoredMetricsRow = {
  held: false,
  stored: 0,
  studyId: "",
  orgId: "",
  number: -1,
  params: {},
  metric: "",
  objective: [],
};

/**
 * Unscoped: keyed by the trial the agent holds, fenced by its lease token, attempt and agent.
 * Stores a batch of intermediate values in ONE statement, fenced by the lease token and by
 * the agent's token still being allowed to act (S13: a removed member's agent stores nothing), and
 * renews the lease (a report is proof of life). `(trial, step)` is the primary key: a replay
 * of the same batch stores nothing (R7); a LATER attempt of the trial (resumed from a
 * checkpoint) overwrites the steps it re-reports. Points without the objective metric keep
 * no row (trial_values.value is the objective: the first, or `pruner.objective` with several);
 * the agent still sends them as last metrics.
 * `points` has one entry per step (the caller keeps the last of a step).
 */
export async function recordAgentMetricsById(
  db: SqlDb,
  input: {
    trialId: string;
    leaseToken: string;
    attempt: number;
    agentId: string;
    points: Array<{ step: number; metrics: Record<string, number> }>;
    leaseTtlMs: number;
  },
): Promise<TStoredMetricsRow> {
  const points = JSON.stringify(input.points);
  const ttl = Math.round(input.leaseTtlMs);
  const rows = await runStatement<{
    org_id: string;
    study_id: string;
    number: number | string;
    params: Record<string, unknown>;
    metric: string;
    stored: number | string;
    objective: Array<[number | string, number | string]> | string | null;
  }>(
    db,
    "agent_metrics",
    sql`
WITH t AS (
  -- A multi-objective study's curve is its pruner's objective (pruner.objective), else the first.
  SELECT tr.id, tr.org_id, tr.study_id, tr.number, tr.params, tr.attempt, coalesce(s.spec #>> '{pruner,objective}', s.metric) AS metric
  FROM trials tr JOIN studies s ON s.id = tr.study_id
  WHERE tr.id = ${input.trialId} AND tr.lease_token = ${input.leaseToken} AND tr.attempt = ${input.attempt} AND tr.agent_id = ${input.agentId}
    AND tr.state = 'running' AND tr.lease_kind = 'agent'
    AND ${agentMayAct(input.agentId)}
),
pts AS (
  SELECT p.step, p.metrics, (p.metrics ->> t.metric)::float8 AS value
  FROM t, jsonb_to_recordset(${points}::jsonb) AS p(step int, metrics jsonb)
),
ins AS (
  INSERT INTO trial_values (trial_id, org_id, step, value, metrics, attempt)
  SELECT t.id, t.org_id, pts.step, pts.value, pts.metrics, t.attempt
  FROM t, pts WHERE pts.value IS NOT NULL
  ON CONFLICT (trial_id, step) DO UPDATE
    SET value = excluded.value, metrics = excluded.metrics, attempt = excluded.attempt
    WHERE trial_values.attempt < excluded.attempt
  RETURNING step
),
upd AS (
  UPDATE trials tr
  SET last_step = GREATEST(coalesce(tr.last_step, -1), (SELECT max(step) FROM pts)),
      lease_expires_at = now() + ${ttl}::int * interval '1 millisecond',
      updated_at = now()
  FROM t WHERE tr.id = t.id
  RETURNING tr.id
)
SELECT t.org_id, t.study_id, t.number, t.params, t.metric,
       (SELECT count(*) FROM ins)::int AS stored,
       (SELECT coalesce(json_agg(json_build_array(step, value) ORDER BY step), '[]'::json) FROM pts WHERE value IS NOT NULL) AS objective
FROM t
`,
  );
  const r = rows[0];
  if (!r) return NOT_HELD;
  // json comes back parsed from pg and as text from PGlite.
  const objective = (typeof r.objective === "string" ? JSON.parse(r.objective) : r.objective) as Array<
    [number | string, number | string]
  > | null;
  return {
    held: true,
    stored: numberOf(r.stored),
    studyId: String(r.study_id),
    orgId: String(r.org_id),
    number: numberOf(r.number),
    params: r.params,
    metric: String(r.metric),
    objective: (objective ?? []).map(([s, v]) => [numberOf(s), numberOf(v)] as [number, number]),
  };
}
