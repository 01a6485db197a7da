import { sql } from "drizzle-orm";
import { agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token-rule.js";
import type { TenantScope } from "./scope.js";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";

export interface TAgentRegistration {
  orgId: string;
  /** The token the agent connected with; it must still be allowed to act (S13). */
  tokenId: string;
  name: string;
  host: string;
  cpuCores: number;
  memoryMb: number;
  gpus: unknown[];
  labels: Record<string, string>;
  maxTrials: number;
}

/**
 * Unscoped: keyed by the token the agent connected with, which the statement checks may act in `orgId`.
 * One statement: `me` is the registering token when it may act (agentTokenMayActSql) in the
 * agent's team; the upsert inserts a new name, and replaces an existing agent of that name
 * only for a token of the same owner as the agent's current token (a reconnect, a new token
 * of the same person) or of an owner/admin of the team. Otherwise nothing changes: another
 * member cannot take over an agent (its leases would end AGENT_LOST and its queue would come
 * to them) by registering under its name. `agentId` is null when the name is another's.
 */
export async function registerAgentByTokenId(
  db: SqlDb,
  input: TAgentRegistration,
): Promise<{ mayAct: boolean; agentId: string | null }> {
  const rows = await runStatement<{ may_act: unknown; agent_id: string | null }>(
    db,
    "register_agent",
    sql`
WITH me AS (
  SELECT tk.id, tk.user_id, tm.role
  FROM api_tokens tk ${sql.raw(agentTokenJoinsSql())}
  WHERE tk.id = ${input.tokenId} AND tk.org_id = ${input.orgId} AND ${sql.raw(agentTokenMayActSql())}
),
up AS (
  INSERT INTO agents (org_id, name, host, cpu_cores, memory_mb, gpus, labels, max_trials, token_id, is_online, last_heartbeat_at)
  SELECT ${input.orgId}::uuid, ${input.name}, ${input.host}, ${input.cpuCores}, ${input.memoryMb}, ${JSON.stringify(input.gpus)}::jsonb,
         ${JSON.stringify(input.labels)}::jsonb, ${input.maxTrials}, me.id, true, now() FROM me
  ON CONFLICT (org_id, name) DO UPDATE
    SET host = excluded.host, cpu_cores = excluded.cpu_cores, memory_mb = excluded.memory_mb,
        gpus = excluded.gpus, labels = excluded.labels, max_trials = excluded.max_trials,
        token_id = excluded.token_id, is_online = true, last_heartbeat_at = now()
    WHERE (SELECT role FROM me) IN ('owner', 'admin')
       OR EXISTS (SELECT 1 FROM api_tokens prev WHERE prev.id = agents.token_id AND prev.user_id = (SELECT user_id FROM me))
  RETURNING id
)
SELECT (SELECT count(*) FROM me)::int AS may_act, (SELECT id FROM up) AS agent_id
`,
  );
  const r = rows[0];
  return { mayAct: numberOf(r?.may_act ?? 0) > 0, agentId: r?.agent_id ? String(r.agent_id) : null };
}

/** Unscoped: the agent whose socket closed on this process. */
export async function markAgentOfflineById(db: SqlDb, agentId: string): Promise<void> {
  await runStatement(db, "mark_agent_offline", sql`UPDATE agents SET is_online = false WHERE id = ${agentId}`);
}

export interface TAgentSummaryRow {
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
  /** GPUs its running trials asked for and its live replicas hold, out of gpus.length. */
  gpusInUse: number;
  running: Array<{ trialId: string; studyId: string; number: number; attempt: number; startedAt: string | null }>;
  /** Its live serving replicas (starting, ready, draining), with the GPUs each holds. */
  replicas: Array<{
    replicaId: string;
    endpointId: string;
    endpoint: string;
    /** The endpoint's project, for a project-restricted reader (null: a team-wide endpoint). */
    projectId: string | null;
    version: number;
    state: "starting" | "ready" | "draining";
    gpus: number[];
  }>;
}

interface TReplicaJson {
  replicaId: string;
  endpointId: string;
  endpoint: string;
  projectId: string | null;
  version: number | string;
  state: "starting" | "ready" | "draining";
  gpus: unknown;
}

interface TRunningJson {
  trialId: string;
  studyId: string;
  number: number | string;
  attempt: number | string;
  startedAt: string | null;
  gpus: number | string;
}

const isoOf = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

/**
 * The Agents page: every agent of the team (agents belong to the team, not a project, so only
 * `orgId` filters) with what it runs, its last heartbeat and GPU use.
 */
export async function listAgentSummaries(
  db: SqlDb,
  scope: TenantScope,
  input: { staleAfterMs: number },
): Promise<TAgentSummaryRow[]> {
  const rows = await runStatement<{
    id: string;
    name: string;
    host: string;
    cpu_cores: number | string;
    memory_mb: number | string;
    gpus: TAgentSummaryRow["gpus"];
    labels: Record<string, string>;
    max_trials: number | string;
    last_heartbeat_at: Date | string | null;
    online: boolean | null;
    running: TRunningJson[] | string;
    replicas: TReplicaJson[] | string;
  }>(
    db,
    "list_agent_summaries",
    sql`SELECT g.id, g.name, g.host, g.cpu_cores, g.memory_mb, g.gpus, g.labels, g.max_trials, g.last_heartbeat_at,
            (g.is_online AND g.last_heartbeat_at > now() - ${input.staleAfterMs}::int * interval '1 millisecond') AS online,
            coalesce((SELECT json_agg(json_build_object('trialId', t.id, 'studyId', t.study_id, 'number', t.number,
                                                        'attempt', t.attempt, 'startedAt', t.started_at,
                                                        'gpus', s.gpus_needed)
                                      ORDER BY t.started_at)
                      FROM trials t JOIN studies s ON s.id = t.study_id
                      WHERE t.agent_id = g.id AND t.state = 'running' AND t.lease_kind = 'agent'), '[]'::json) AS running,
            coalesce((SELECT json_agg(json_build_object('replicaId', r.id, 'endpointId', e.id, 'endpoint', e.name,
                                                        'projectId', e.project_id, 'version', v.version,
                                                        'state', r.state, 'gpus', r.gpus)
                                      ORDER BY e.name, r.created_at)
                      FROM endpoint_replicas r JOIN endpoints e ON e.id = r.endpoint_id
                                               JOIN model_versions v ON v.id = r.model_version_id
                      WHERE r.agent_id = g.id AND r.state IN ('starting', 'ready', 'draining')), '[]'::json) AS replicas
     FROM agents g WHERE g.org_id = ${scope.orgId} ORDER BY g.name`,
  );
  return rows.map((r) => {
    // json comes back parsed from pg and as text from PGlite.
    const running = (typeof r.running === "string" ? JSON.parse(r.running) : r.running) as TRunningJson[];
    const replicas = (typeof r.replicas === "string" ? JSON.parse(r.replicas) : r.replicas) as TReplicaJson[];
    const gpusOf = (g: unknown) => (Array.isArray(g) ? g.filter((i): i is number => typeof i === "number") : []);
    return {
      id: String(r.id),
      name: String(r.name),
      host: String(r.host),
      cpuCores: numberOf(r.cpu_cores),
      memoryMb: numberOf(r.memory_mb),
      gpus: r.gpus,
      labels: r.labels,
      maxTrials: numberOf(r.max_trials),
      isOnline: Boolean(r.online),
      lastHeartbeatAt: r.last_heartbeat_at ? isoOf(r.last_heartbeat_at) : null,
      gpusInUse: running.reduce((a, t) => a + numberOf(t.gpus), 0) + replicas.reduce((a, x) => a + gpusOf(x.gpus).length, 0),
      running: running.map((t) => ({
        trialId: String(t.trialId),
        studyId: String(t.studyId),
        number: numberOf(t.number),
        attempt: numberOf(t.attempt),
        startedAt: t.startedAt ? isoOf(t.startedAt) : null,
      })),
      replicas: replicas.map((x) => ({
        replicaId: String(x.replicaId),
        endpointId: String(x.endpointId),
        endpoint: String(x.endpoint),
        projectId: x.projectId ? String(x.projectId) : null,
        version: numberOf(x.version),
        state: x.state,
        gpus: gpusOf(x.gpus),
      })),
    };
  });
}
