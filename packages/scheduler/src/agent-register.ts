import type { DbHandle } from "@autoglm/db/client";
import { listAgentLeasesByAgentId, registerAgentByTokenId } from "@autoglm/db/queries";
import type { TAgentRegister } from "@autoglm/protocol";
import { recordHeartbeat } from "./heartbeat.js";
import type { EndedAttempt } from "./lifecycle/end-attempt.js";
import type { TrialLifecycle } from "./lifecycle.js";

export type RegisterResult =
  | { ok: true; agentId: string; stale: string[]; lost: EndedAttempt[] }
  | { ok: false; code: "UNAUTHORIZED" | "NAME_TAKEN"; message: string };

/**
 * Registers (or re-registers) an agent of the token's org, keyed by (org, name). The trials
 * the agent says it still runs are renewed (re-adopted after a server restart, R4); the ones
 * it no longer holds come back as `stale`. Trials the database leases to this agent that the
 * agent does NOT report were lost with a previous process of it (kill -9 then restart):
 * they are ended as AGENT_LOST at once instead of waiting for the lease to lapse, except
 * the ones this server is offering to the agent at that moment (`offering`): those leases
 * were sent while its connection dropped and never reached it (it reconnected, it did not
 * restart), so they end as LEASE_NOT_DELIVERED, which spends no attempt; so do the ones it
 * wrote and never sent (`unsent`: the database failed around the lease).
 */
export async function registerAgent(
  lifecycle: TrialLifecycle<DbHandle>,
  input: {
    orgId: string;
    /** The token the agent connected with; it must still be allowed to act (S13). */
    tokenId: string;
    msg: TAgentRegister;
    leaseTtlMs: number;
    /** Trials whose lease this process has offered to the agent and not yet heard back about. */
    offering?: (agentId: string) => ReadonlySet<string>;
    /** Lease tokens this process wrote but never handed over (LeasePump's unsent leases). */
    unsent?: (leaseToken: string) => boolean;
  },
): Promise<RegisterResult> {
  const m = input.msg;
  const r = await registerAgentByTokenId(lifecycle.db, {
    orgId: input.orgId,
    tokenId: input.tokenId,
    name: m.name,
    host: m.host,
    cpuCores: m.cpuCores,
    memoryMb: m.memoryMb,
    gpus: m.gpus,
    labels: m.labels,
    maxTrials: m.maxTrials,
  });
  if (!r.mayAct) {
    return {
      ok: false,
      code: "UNAUTHORIZED",
      message:
        "this token can no longer run an agent in its team (revoked or expired, or its owner was removed, made a viewer or deactivated)",
    };
  }
  if (!r.agentId) {
    return {
      ok: false,
      code: "NAME_TAKEN",
      message: `another member's agent is registered as "${m.name}"; choose another --name (only its owner or a team admin may replace it)`,
    };
  }
  const agentId = r.agentId;
  const { stale, ended } = await recordHeartbeat(lifecycle, { agentId, running: m.running, leaseTtlMs: input.leaseTtlMs });
  const reported = new Set(m.running.map((r) => r.trialId));
  const held = await listAgentLeasesByAgentId(lifecycle.db, agentId);
  const lost: EndedAttempt[] = [...ended];
  const offering = input.offering?.(agentId);
  for (const t of held) {
    if (reported.has(t.trialId)) continue;
    const undelivered = (offering?.has(t.trialId) ?? false) || (input.unsent?.(t.leaseToken) ?? false);
    const e = await lifecycle.endAttempt({
      trialId: t.trialId,
      leaseToken: t.leaseToken,
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
