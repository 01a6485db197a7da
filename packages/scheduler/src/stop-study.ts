import {
  endOpenAttemptByTrialId,
  listInFlightTrialsByStudyId,
  lockStudy,
  type TenantScope,
  updateStudyById,
  updateTrialById,
  withTransaction,
  writeAudit,
} from "@autoglm/db/queries";
import { nowOf, SchedulerError, type TActor, type TAskTellDeps } from "./ask-types.js";
import type { TLiveEvent } from "@autoglm/protocol";

/**
 * Stops a study: no more asks; its waiting trials and running ask-trials are failed with
 * STUDY_STOPPED. Trials leased to agents are left to the agent gateway, which sees the
 * study state on its next heartbeat and stops the process. Stopping a stopped study is a no-op.
 */
export async function stopStudy(
  deps: TAskTellDeps,
  input: { scope: TenantScope; studyId: string; actor: TActor },
): Promise<{ events: TLiveEvent[]; stoppedTrials: number }> {
  const now = nowOf(deps);
  return withTransaction(deps.db, async (tx) => {
    const study = await lockStudy(tx, input.scope, input.studyId);
    if (!study) throw new SchedulerError("NOT_FOUND", "Study not found.");
    if (study.state !== "running") return { events: [], stoppedTrials: 0 };
    const events: TLiveEvent[] = [];
    let stoppedTrials = 0;
    for (const t of await listInFlightTrialsByStudyId(tx, study.id)) {
      if (t.state === "running" && t.leaseKind === "agent") continue;
      const reason = "the study was stopped before this trial finished";
      await updateTrialById(tx, t.id, {
        state: "failed",
        endCode: "STUDY_STOPPED",
        endReason: reason,
        finishedAt: now,
        leaseExpiresAt: null,
        leaseToken: null,
      });
      await endOpenAttemptByTrialId(tx, { trialId: t.id, endedAt: now, endCode: "STUDY_STOPPED", endReason: reason });
      events.push({ type: "trial:updated", orgId: study.orgId, studyId: study.id, trialId: t.id });
      stoppedTrials++;
    }
    await updateStudyById(tx, study.id, { state: "stopped", stoppedAt: now });
    await writeAudit(tx, {
      orgId: study.orgId,
      actor: input.actor,
      action: "study.stop",
      targetType: "study",
      targetId: study.id,
      details: { stoppedTrials },
    });
    events.push({ type: "study:updated", orgId: study.orgId, studyId: study.id });
    return { events, stoppedTrials };
  });
}
