import type { DbHandle } from "@autoglm/db/client";
import type { TGpuUse, TLeaseRef } from "@autoglm/protocol";
import { endAttempt, type EndedAttempt } from "./lifecycle/end-attempt.js";

/**
 * One heartbeat, one statement: marks the agent online and renews the lease of every trial
 * the agent still holds with the token it presents. Whatever it reports but no longer holds
 * (re-leased after a pause, pruned, stopped) comes back as `stale`, and the agent kills those
 * processes (R2: the old child dies ≤ H after the agent resumes).
 */
const HEARTBEAT_SQL = `
WITH a AS (
  UPDATE agents
  SET last_heartbeat_at = now(), is_online = true,
      -- Merge the GPUs' current use (by index) into the registered list; absent = unchanged.
      gpus = CASE WHEN $4::jsonb IS NULL THEN gpus ELSE (
        SELECT coalesce(jsonb_agg(g || coalesce(
                 (SELECT u - 'index' FROM jsonb_array_elements($4::jsonb) u WHERE u->'index' = g->'index' LIMIT 1),
                 '{}'::jsonb) ORDER BY (g->>'index')::int), '[]'::jsonb)
        FROM jsonb_array_elements(gpus) g) END
  WHERE id = $1 RETURNING id
),
x AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(trial_id uuid, lease_token uuid)
),
r AS (
  UPDATE trials t
  SET lease_expires_at = now() + $3::int * interval '1 millisecond'
  FROM x, studies s
  WHERE t.id = x.trial_id AND t.lease_token = x.lease_token AND t.agent_id = $1
    AND t.state = 'running' AND t.lease_kind = 'agent'
    AND s.id = t.study_id AND s.state = 'running'
  RETURNING t.id
)
SELECT (SELECT count(*) FROM a)::int AS agents, (SELECT coalesce(json_agg(r.id), '[]'::json) FROM r) AS renewed
`;

export async function recordHeartbeat(
  handle: DbHandle,
  input: { agentId: string; running: TLeaseRef[]; leaseTtlMs: number; gpuUse?: TGpuUse[] | undefined },
): Promise<{ found: boolean; stale: string[]; ended: EndedAttempt[] }> {
  const held = input.running.map((r) => ({ trial_id: r.trialId, lease_token: r.leaseToken }));
  const rows = await handle.query<{ agents: number | string; renewed: unknown }>(
    HEARTBEAT_SQL,
    [
      input.agentId,
      JSON.stringify(held),
      Math.round(input.leaseTtlMs),
      input.gpuUse && input.gpuUse.length > 0 ? JSON.stringify(input.gpuUse) : null,
    ],
    "heartbeat",
  );
  const row = rows[0];
  const renewedRaw = typeof row?.renewed === "string" ? JSON.parse(row.renewed) : row?.renewed;
  const renewed = new Set<string>((renewedRaw as string[] | null) ?? []);
  const stale = input.running.filter((r) => !renewed.has(r.trialId));
  // A trial still held with a valid token but whose study was stopped (the api's study.stop
  // leaves agent trials to us): end it STUDY_STOPPED so the agent's kill is final.
  const ended: EndedAttempt[] = [];
  if (stale.length > 0) {
    const stopped = await handle.query<{ id: string; lease_token: string }>(
      `SELECT t.id, t.lease_token FROM trials t JOIN studies s ON s.id = t.study_id
       JOIN jsonb_to_recordset($2::jsonb) AS x(trial_id uuid, lease_token uuid)
         ON x.trial_id = t.id AND x.lease_token = t.lease_token
       WHERE t.agent_id = $1 AND t.state = 'running' AND s.state <> 'running'`,
      [input.agentId, JSON.stringify(stale.map((r) => ({ trial_id: r.trialId, lease_token: r.leaseToken })))],
    );
    for (const t of stopped) {
      const e = await endAttempt(handle, {
        trialId: String(t.id),
        leaseToken: String(t.lease_token),
        agentId: input.agentId,
        mode: "failed",
        code: "STUDY_STOPPED",
        reason: "the study was stopped before this trial finished",
      });
      if (e) ended.push(e);
    }
  }
  return { found: Number(row?.agents ?? 0) > 0, stale: stale.map((r) => r.trialId), ended };
}

export async function markAgentOffline(handle: DbHandle, agentId: string): Promise<void> {
  await handle.query(`UPDATE agents SET is_online = false WHERE id = $1`, [agentId]);
}
