import type { DbHandle } from "@autoglm/db/client";
import { leaseTrialsToAgentsByIds } from "@autoglm/db/queries";
import { leasedTrialOf, type LeasedTrial } from "./lease-trial.js";

export interface TLeaseBatch {
  /** The leases by agent id; agents that got none are absent. */
  leases: Map<string, LeasedTrial>;
  /**
   * Whether an agent that got none may still fit a waiting trial: when no candidate was left
   * over, each such agent's fitting studies have no unlocked waiting trial left.
   */
  mayFitMore: boolean;
}

/**
 * Leases at most one trial to each of `agentIds` in ONE statement (L1: a round of 200 idle
 * agents was 200 lease statements), under leaseTrial's rules (leaseTrialsToAgentsByIds in
 * @autoglm/db's queries). The match is greedy: an agent that got none while `mayFitMore` is
 * asked for alone (leaseTrial). Callers must not lease for the same agent concurrently.
 */
export async function leaseTrials(
  handle: DbHandle,
  input: { agentIds: readonly string[]; leaseTtlMs: number },
): Promise<TLeaseBatch> {
  const batch = await leaseTrialsToAgentsByIds(handle, input);
  const leases = new Map<string, LeasedTrial>();
  for (const [agentId, row] of batch.leases) leases.set(agentId, leasedTrialOf(row));
  return { leases, mayFitMore: batch.mayFitMore };
}
