import type { DbHandle } from "@autoglm/db/client";
import { listAgentSummaries, type TAgentSummaryRow } from "@autoglm/db/queries";

export type AgentSummary = TAgentSummaryRow;

/**
 * The Agents page (tenant-scoped by `orgId`, STYLE 4): every agent of the team with what it
 * runs, its last heartbeat and GPU use. For an `agent.list` procedure in the api.
 */
export async function listAgents(handle: DbHandle, input: { orgId: string; staleAfterMs?: number }): Promise<AgentSummary[]> {
  return listAgentSummaries(handle, { orgId: input.orgId }, { staleAfterMs: input.staleAfterMs ?? 30_000 });
}
