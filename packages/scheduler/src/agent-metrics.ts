import type { DbHandle } from "@autoglm/db/client";
import type { TTrialMetric } from "@autoglm/protocol";
import { agentMayActSql } from "./agent-token.js";
import { num } from "./agent-types.js";

export interface StoredMetrics {
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

/**
 * Stores a batch of intermediate values in ONE statement, fenced by the lease token and by
 * the agent's token still being allowed to act (S13: a removed member's agent stores nothing), and
 * renews the lease (a report is proof of life). `(trial, step)` is the primary key: a replay
 * of the same batch stores nothing (R7); a LATER attempt of the trial (resumed from a
 * checkpoint) overwrites the steps it re-reports. Points without the objective metric keep
 * no row (trial_values.value is the objective); the agent still sends them as last metrics.
 */
const METRICS_SQL = `
WITH t AS (
  SELECT tr.id, tr.org_id, tr.study_id, tr.number, tr.params, tr.attempt, s.metric
  FROM trials tr JOIN studies s ON s.id = tr.study_id
  WHERE tr.id = $1 AND tr.lease_token = $2 AND tr.attempt = $3 AND tr.agent_id = $4
    AND tr.state = 'running' AND tr.lease_kind = 'agent'
    AND ${agentMayActSql("$4")}
),
pts AS (
  SELECT p.step, p.metrics, (p.metrics ->> t.metric)::float8 AS value
  FROM t, jsonb_to_recordset($5::jsonb) AS p(step int, metrics jsonb)
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
      lease_expires_at = now() + $6::int * interval '1 millisecond',
      updated_at = now()
  FROM t WHERE tr.id = t.id
  RETURNING tr.id
)
SELECT t.org_id, t.study_id, t.number, t.params, t.metric,
       (SELECT count(*) FROM ins)::int AS stored,
       (SELECT coalesce(json_agg(json_build_array(step, value) ORDER BY step), '[]'::json) FROM pts WHERE value IS NOT NULL) AS objective
FROM t
`;

export async function recordAgentMetrics(
  handle: DbHandle,
  input: { agentId: string; msg: TTrialMetric; leaseTtlMs: number },
): Promise<StoredMetrics> {
  const m = input.msg;
  // The last point for a step wins within a batch too (a script may re-report a step).
  const byStep = new Map<number, Record<string, number>>();
  for (const p of m.points) byStep.set(p.step, p.metrics);
  const points = [...byStep.entries()].map(([step, metrics]) => ({ step, metrics }));
  const rows = await handle.query<Record<string, unknown>>(
    METRICS_SQL,
    [m.trialId, m.leaseToken, m.attempt, input.agentId, JSON.stringify(points), Math.round(input.leaseTtlMs)],
    "agent_metrics",
  );
  const r = rows[0];
  if (!r) return { held: false, stored: 0, studyId: "", orgId: "", number: -1, params: {}, metric: "", objective: [] };
  const objRaw = typeof r.objective === "string" ? JSON.parse(r.objective) : r.objective;
  return {
    held: true,
    stored: num(r.stored),
    studyId: String(r.study_id),
    orgId: String(r.org_id),
    number: num(r.number),
    params: r.params as Record<string, unknown>,
    metric: String(r.metric),
    objective: ((objRaw as Array<[unknown, unknown]>) ?? []).map(([s, v]) => [num(s), num(v)] as [number, number]),
  };
}
