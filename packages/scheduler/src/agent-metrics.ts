import type { DbHandle } from "@autoglm/db/client";
import { recordAgentMetricsById, type TStoredMetricsRow } from "@autoglm/db/queries";
import type { TTrialMetric } from "@autoglm/protocol";

export type StoredMetrics = TStoredMetricsRow;

/**
 * Stores a batch of intermediate values in one statement fenced by the lease token and the
 * agent's token (recordAgentMetricsById), renewing the lease.
 */
export async function recordAgentMetrics(
  handle: DbHandle,
  input: { agentId: string; msg: TTrialMetric; leaseTtlMs: number },
): Promise<StoredMetrics> {
  const m = input.msg;
  // The last point for a step wins within a batch too (a script may re-report a step).
  const byStep = new Map<number, Record<string, number>>();
  for (const p of m.points) byStep.set(p.step, p.metrics);
  const points = [...byStep.entries()].map(([step, metrics]) => ({ step, metrics }));
  return recordAgentMetricsById(handle, {
    trialId: m.trialId,
    leaseToken: m.leaseToken,
    attempt: m.attempt,
    agentId: input.agentId,
    points,
    leaseTtlMs: input.leaseTtlMs,
  });
}
