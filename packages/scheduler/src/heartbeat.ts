import type { DbHandle } from "@autoglm/db/client";
import { listLeasesOfStoppedStudiesByAgentId, markAgentOfflineById, recordAgentHeartbeatById } from "@autoglm/db/queries";
import type { TGpuUse, TLeaseRef } from "@autoglm/protocol";
import type { EndedAttempt } from "./lifecycle/end-attempt.js";
import type { TrialLifecycle } from "./lifecycle.js";

/**
 * One heartbeat, one statement (recordAgentHeartbeatById): marks the agent online and renews
 * the lease of every trial the agent still holds with the token it presents. Whatever it
 * reports but no longer holds (re-leased after a pause, pruned, stopped) comes back as
 * `stale`, and the agent kills those processes (R2: the old child dies ≤ H after the agent resumes).
 */
export async function recordHeartbeat(
  lifecycle: TrialLifecycle<DbHandle>,
  input: { agentId: string; running: TLeaseRef[]; leaseTtlMs: number; gpuUse?: TGpuUse[] | undefined },
): Promise<{ found: boolean; stale: string[]; ended: EndedAttempt[] }> {
  const { found, renewed } = await recordAgentHeartbeatById(lifecycle.db, {
    agentId: input.agentId,
    held: input.running,
    leaseTtlMs: input.leaseTtlMs,
    gpuUse: input.gpuUse ?? null,
  });
  const stale = input.running.filter((r) => !renewed.has(r.trialId));
  // A trial still held with a valid token but whose study was stopped (the api's study.stop
  // leaves agent trials to us): end it STUDY_STOPPED so the agent's kill is final.
  const ended: EndedAttempt[] = [];
  if (stale.length > 0) {
    const stopped = await listLeasesOfStoppedStudiesByAgentId(lifecycle.db, { agentId: input.agentId, claims: stale });
    for (const t of stopped) {
      const e = await lifecycle.endAttempt({
        trialId: t.trialId,
        leaseToken: t.leaseToken,
        agentId: input.agentId,
        mode: "failed",
        code: "STUDY_STOPPED",
        reason: "the study was stopped before this trial finished",
      });
      if (e) ended.push(e);
    }
  }
  return { found, stale: stale.map((r) => r.trialId), ended };
}

export async function markAgentOffline(handle: DbHandle, agentId: string): Promise<void> {
  await markAgentOfflineById(handle, agentId);
}
