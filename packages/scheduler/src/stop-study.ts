import { lockStudy, type TenantScope, updateStudyById, withTransaction, writeAudit } from "@autoglm/db/queries";
import type { TLiveEvent } from "@autoglm/protocol";
import { askLifecycle, nowOf, SchedulerError, type TActor, type TAskTellDeps } from "./ask-types.js";
import { STUDY_STOP_REASON } from "./lifecycle/stop-study-trials.js";

/**
 * Stops a study: no more asks; its waiting trials and running ask-trials are failed with
 * STUDY_STOPPED through the lifecycle's one study-trial stop. Trials leased to agents are left
 * to the run loop, which ends them the same way and signals their agents at once (or, without
 * one, the agent's next heartbeat finds the study stopped). Stopping a stopped study is a no-op.
 */
export async function stopStudy(
  deps: TAskTellDeps,
  input: { scope: TenantScope; studyId: string; actor: TActor },
): Promise<{ events: TLiveEvent[]; stoppedTrials: number }> {
  return withTransaction(deps.db, async (tx) => {
    const study = await lockStudy(tx, input.scope, input.studyId);
    if (!study) throw new SchedulerError("NOT_FOUND", "Study not found.");
    if (study.state !== "running") return { events: [], stoppedTrials: 0 };
    const ended = await askLifecycle(deps, tx).stopStudyTrials({
      orgId: study.orgId,
      studyId: study.id,
      code: "STUDY_STOPPED",
      reason: STUDY_STOP_REASON,
      leaseKind: "ask",
    });
    await updateStudyById(tx, study.id, { state: "stopped", stoppedAt: nowOf(deps) });
    await writeAudit(tx, {
      orgId: study.orgId,
      actor: input.actor,
      action: "study.stop",
      targetType: "study",
      targetId: study.id,
      details: { stoppedTrials: ended.length },
    });
    const events: TLiveEvent[] = ended.map((e) => ({
      type: "trial:updated",
      orgId: study.orgId,
      studyId: study.id,
      trialId: e.trialId,
    }));
    events.push({ type: "study:updated", orgId: study.orgId, studyId: study.id });
    return { events, stoppedTrials: ended.length };
  });
}
