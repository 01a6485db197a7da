import type { DbHandle } from "@autoglm/db/client";
import type { TAgentRegister } from "@autoglm/protocol";
import { recordHeartbeat } from "./heartbeat.js";
import { endAttempt, type EndedAttempt } from "./retry.js";

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
    tokenId: string | null;
    msg: TAgentRegister;
    leaseTtlMs: number;
    /** Trials whose lease this process has offered to the agent and not yet heard back about. */
    offering?: (agentId: string) => ReadonlySet<string>;
  },
): Promise<{ agentId: string; stale: string[]; lost: EndedAttempt[] }> {
  const m = input.msg;
  const rows = await handle.query<{ id: string }>(
    `INSERT INTO agents (org_id, name, host, cpu_cores, memory_mb, gpus, labels, max_trials, token_id, is_online, last_heartbeat_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, true, now())
     ON CONFLICT (org_id, name) DO UPDATE
       SET host = excluded.host, cpu_cores = excluded.cpu_cores, memory_mb = excluded.memory_mb,
           gpus = excluded.gpus, labels = excluded.labels, max_trials = excluded.max_trials,
           token_id = excluded.token_id, is_online = true, last_heartbeat_at = now()
     RETURNING id`,
    [
      input.orgId,
      m.name,
      m.host,
      m.cpuCores,
      m.memoryMb,
      JSON.stringify(m.gpus),
      JSON.stringify(m.labels),
      m.maxTrials,
      input.tokenId,
    ],
  );
  const agentId = String(rows[0]!.id);
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
      reason: undelivered ? "the lease was sent as the agent's connection dropped and never reached it" : "the agent restarted without this trial",
    });
    if (e) lost.push(e);
  }
  return { agentId, stale, lost };
}
