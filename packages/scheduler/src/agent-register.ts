import type { DbHandle } from "@autoglm/db/client";
import type { TAgentRegister } from "@autoglm/protocol";
import { agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token.js";
import { recordHeartbeat } from "./heartbeat.js";
import { endAttempt, type EndedAttempt } from "./lifecycle/end-attempt.js";

export type RegisterResult =
  | { ok: true; agentId: string; stale: string[]; lost: EndedAttempt[] }
  | { ok: false; code: "UNAUTHORIZED" | "NAME_TAKEN"; message: string };

/**
 * One statement: `me` is the registering token when it may act (agentTokenMayActSql) in the
 * agent's team; the upsert inserts a new name, and replaces an existing agent of that name
 * only for a token of the same owner as the agent's current token (a reconnect, a new token
 * of the same person) or of an owner/admin of the team. Otherwise nothing changes: another
 * member cannot take over an agent (its leases would end AGENT_LOST and its queue would come
 * to them) by registering under its name.
 */
const REGISTER_SQL = `
WITH me AS (
  SELECT tk.id, tk.user_id, tm.role
  FROM api_tokens tk ${agentTokenJoinsSql()}
  WHERE tk.id = $9 AND tk.org_id = $1 AND ${agentTokenMayActSql()}
),
up AS (
  INSERT INTO agents (org_id, name, host, cpu_cores, memory_mb, gpus, labels, max_trials, token_id, is_online, last_heartbeat_at)
  SELECT $1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, me.id, true, now() FROM me
  ON CONFLICT (org_id, name) DO UPDATE
    SET host = excluded.host, cpu_cores = excluded.cpu_cores, memory_mb = excluded.memory_mb,
        gpus = excluded.gpus, labels = excluded.labels, max_trials = excluded.max_trials,
        token_id = excluded.token_id, is_online = true, last_heartbeat_at = now()
    WHERE (SELECT role FROM me) IN ('owner', 'admin')
       OR EXISTS (SELECT 1 FROM api_tokens prev WHERE prev.id = agents.token_id AND prev.user_id = (SELECT user_id FROM me))
  RETURNING id
)
SELECT (SELECT count(*) FROM me)::int AS may_act, (SELECT id FROM up) AS agent_id
`;

/**
 * Registers (or re-registers) an agent of the token's org, keyed by (org, name). The trials
 * the agent says it still runs are renewed (re-adopted after a server restart, R4); the ones
 * it no longer holds come back as `stale`. Trials the database leases to this agent that the
 * agent does NOT report were lost with a previous process of it (kill -9 then restart):
 * they are ended as AGENT_LOST at once instead of waiting for the lease to lapse, except
 * the ones this server is offering to the agent at that moment (`offering`): those leases
 * were sent while its connection dropped and never reached it (it reconnected, it did not
 * restart), so they end as LEASE_NOT_DELIVERED, which spends no attempt.
 */
export async function registerAgent(
  handle: DbHandle,
  input: {
    orgId: string;
    /** The token the agent connected with; it must still be allowed to act (S13). */
    tokenId: string;
    msg: TAgentRegister;
    leaseTtlMs: number;
    /** Trials whose lease this process has offered to the agent and not yet heard back about. */
    offering?: (agentId: string) => ReadonlySet<string>;
  },
): Promise<RegisterResult> {
  const m = input.msg;
  const rows = await handle.query<{ may_act: unknown; agent_id: string | null }>(REGISTER_SQL, [
    input.orgId,
    m.name,
    m.host,
    m.cpuCores,
    m.memoryMb,
    JSON.stringify(m.gpus),
    JSON.stringify(m.labels),
    m.maxTrials,
    input.tokenId,
  ]);
  const r = rows[0];
  if (!r || Number(r.may_act) === 0) {
    return {
      ok: false,
      code: "UNAUTHORIZED",
      message:
        "this token can no longer run an agent in its team (revoked or expired, or its owner was removed, made a viewer or deactivated)",
    };
  }
  if (!r.agent_id) {
    return {
      ok: false,
      code: "NAME_TAKEN",
      message: `another member's agent is registered as "${m.name}"; choose another --name (only its owner or a team admin may replace it)`,
    };
  }
  const agentId = String(r.agent_id);
  const { stale, ended } = await recordHeartbeat(handle, { agentId, running: m.running, leaseTtlMs: input.leaseTtlMs });
  const reported = new Set(m.running.map((r) => r.trialId));
  const held = await handle.query<{ id: string; lease_token: string }>(
    `SELECT id, lease_token FROM trials WHERE agent_id = $1 AND state = 'running' AND lease_kind = 'agent'`,
    [agentId],
  );
  const lost: EndedAttempt[] = [...ended];
  const offering = input.offering?.(agentId);
  for (const t of held) {
    if (reported.has(String(t.id))) continue;
    const undelivered = offering?.has(String(t.id)) ?? false;
    const e = await endAttempt(handle, {
      trialId: String(t.id),
      leaseToken: String(t.lease_token),
      agentId,
      mode: "retry",
      code: undelivered ? "LEASE_NOT_DELIVERED" : "AGENT_LOST",
      reason: undelivered
        ? "the lease was sent as the agent's connection dropped and never reached it"
        : "the agent restarted without this trial",
    });
    if (e) lost.push(e);
  }
  return { ok: true, agentId, stale, lost };
}
