import { sql } from "drizzle-orm";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";

/** A lease an agent says it holds. */
export interface TLeaseClaim {
  trialId: string;
  leaseToken: string;
}

/** JSON rather than an array parameter: PGlite and pg serialise arrays differently. */
const claimsJson = (claims: readonly TLeaseClaim[]) =>
  JSON.stringify(claims.map((c) => ({ trial_id: c.trialId, lease_token: c.leaseToken })));

/**
 * Unscoped: keyed by the agent, fenced by the lease tokens it presents.
 * One heartbeat, one statement: marks the agent online and renews the lease of every trial
 * the agent still holds with the token it presents (of a running study). `renewed` are those
 * trials; whatever else it claims it no longer holds (re-leased after a pause, pruned, stopped).
 * `gpuUse` (null: unchanged) is merged into the registered GPUs by index.
 */
export async function recordAgentHeartbeatById(
  db: SqlDb,
  input: { agentId: string; held: readonly TLeaseClaim[]; leaseTtlMs: number; gpuUse: unknown[] | null },
): Promise<{ found: boolean; renewed: Set<string> }> {
  const held = claimsJson(input.held);
  const ttl = Math.round(input.leaseTtlMs);
  const gpuUse = input.gpuUse && input.gpuUse.length > 0 ? JSON.stringify(input.gpuUse) : null;
  const rows = await runStatement<{ agents: number | string; renewed: string[] | string | null }>(
    db,
    "heartbeat",
    sql`
WITH a AS (
  UPDATE agents
  SET last_heartbeat_at = now(), is_online = true,
      -- Merge the GPUs' current use (by index) into the registered list; absent = unchanged.
      gpus = CASE WHEN ${gpuUse}::jsonb IS NULL THEN gpus ELSE (
        SELECT coalesce(jsonb_agg(g || coalesce(
                 (SELECT u - 'index' FROM jsonb_array_elements(${gpuUse}::jsonb) u WHERE u->'index' = g->'index' LIMIT 1),
                 '{}'::jsonb) ORDER BY (g->>'index')::int), '[]'::jsonb)
        FROM jsonb_array_elements(gpus) g) END
  WHERE id = ${input.agentId} RETURNING id
),
x AS (
  SELECT * FROM jsonb_to_recordset(${held}::jsonb) AS x(trial_id uuid, lease_token uuid)
),
r AS (
  UPDATE trials t
  SET lease_expires_at = now() + ${ttl}::int * interval '1 millisecond'
  FROM x, studies s
  WHERE t.id = x.trial_id AND t.lease_token = x.lease_token AND t.agent_id = ${input.agentId}
    AND t.state = 'running' AND t.lease_kind = 'agent'
    AND s.id = t.study_id AND s.state = 'running'
  RETURNING t.id
)
SELECT (SELECT count(*) FROM a)::int AS agents, (SELECT coalesce(json_agg(r.id), '[]'::json) FROM r) AS renewed
`,
  );
  const row = rows[0];
  // json comes back parsed from pg and as text from PGlite.
  const renewed = typeof row?.renewed === "string" ? (JSON.parse(row.renewed) as string[]) : (row?.renewed ?? []);
  return { found: numberOf(row?.agents ?? 0) > 0, renewed: new Set(renewed) };
}

/**
 * Unscoped: keyed by the agent, fenced by the lease tokens it presents.
 * The claimed leases the agent still holds with a valid token whose study no longer runs (the
 * api's study.stop leaves agent trials to the run loop): they end STUDY_STOPPED.
 */
export async function listLeasesOfStoppedStudiesByAgentId(
  db: SqlDb,
  input: { agentId: string; claims: readonly TLeaseClaim[] },
): Promise<TLeaseClaim[]> {
  const rows = await runStatement<{ id: string; lease_token: string }>(
    db,
    "leases_of_stopped_studies",
    sql`SELECT t.id, t.lease_token FROM trials t JOIN studies s ON s.id = t.study_id
       JOIN jsonb_to_recordset(${claimsJson(input.claims)}::jsonb) AS x(trial_id uuid, lease_token uuid)
         ON x.trial_id = t.id AND x.lease_token = t.lease_token
       WHERE t.agent_id = ${input.agentId} AND t.state = 'running' AND s.state <> 'running'`,
  );
  return rows.map((r) => ({ trialId: String(r.id), leaseToken: String(r.lease_token) }));
}
