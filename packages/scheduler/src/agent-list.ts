import type { DbHandle } from "@autoglm/db/client";
import { isoOf, num } from "./agent-types.js";

export interface AgentSummary {
  id: string;
  name: string;
  host: string;
  cpuCores: number;
  memoryMb: number;
  gpus: Array<{ index: number; model: string; memoryMb: number }>;
  labels: Record<string, string>;
  maxTrials: number;
  /** Connected and heard from within `staleAfterMs` (a crashed agent's row may still say online). */
  isOnline: boolean;
  lastHeartbeatAt: string | null;
  /** GPUs its running trials asked for, out of gpus.length. */
  gpusInUse: number;
  running: Array<{ trialId: string; studyId: string; number: number; attempt: number; startedAt: string | null }>;
}

/**
 * The Agents page (tenant-scoped by `orgId`, STYLE 4): every agent of the team with what it
 * runs, its last heartbeat and GPU use. For an `agent.list` procedure in the api.
 */
export async function listAgents(handle: DbHandle, input: { orgId: string; staleAfterMs?: number }): Promise<AgentSummary[]> {
  const rows = await handle.query<Record<string, unknown>>(
    `SELECT g.id, g.name, g.host, g.cpu_cores, g.memory_mb, g.gpus, g.labels, g.max_trials, g.last_heartbeat_at,
            (g.is_online AND g.last_heartbeat_at > now() - $2::int * interval '1 millisecond') AS online,
            coalesce((SELECT json_agg(json_build_object('trialId', t.id, 'studyId', t.study_id, 'number', t.number,
                                                        'attempt', t.attempt, 'startedAt', t.started_at,
                                                        'gpus', s.gpus_needed)
                                      ORDER BY t.started_at)
                      FROM trials t JOIN studies s ON s.id = t.study_id
                      WHERE t.agent_id = g.id AND t.state = 'running' AND t.lease_kind = 'agent'), '[]'::json) AS running
     FROM agents g WHERE g.org_id = $1 ORDER BY g.name`,
    [input.orgId, input.staleAfterMs ?? 30_000],
  );
  return rows.map((r) => {
    const runningRaw = (typeof r.running === "string" ? JSON.parse(r.running) : r.running) as Array<Record<string, unknown>>;
    return {
      id: String(r.id),
      name: String(r.name),
      host: String(r.host),
      cpuCores: num(r.cpu_cores),
      memoryMb: num(r.memory_mb),
      gpus: r.gpus as AgentSummary["gpus"],
      labels: r.labels as Record<string, string>,
      maxTrials: num(r.max_trials),
      isOnline: Boolean(r.online),
      lastHeartbeatAt: r.last_heartbeat_at ? isoOf(r.last_heartbeat_at) : null,
      gpusInUse: runningRaw.reduce((a, t) => a + num(t.gpus), 0),
      running: runningRaw.map((t) => ({
        trialId: String(t.trialId),
        studyId: String(t.studyId),
        number: num(t.number),
        attempt: num(t.attempt),
        startedAt: t.startedAt ? isoOf(t.startedAt) : null,
      })),
    };
  });
}
