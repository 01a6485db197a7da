import { endOpenAttemptByTrialId, lockExpiredAskTrials, updateTrialById, withTransaction, writeAudit } from "@autoglm/db/queries";
import { completeStudyIfDone } from "./tell-trial.js";
import { nowOf, type TAskTellDeps } from "./ask-types.js";
import type { TLiveEvent } from "@autoglm/protocol";

function describeDuration(ms: number): string {
  if (ms >= 60_000) {
    const m = Math.round(ms / 60_000);
    return `${m} minute${m === 1 ? "" : "s"}`;
  }
  const s = Math.max(1, Math.round(ms / 1000));
  return `${s} second${s === 1 ? "" : "s"}`;
}

/**
 * Fails running ask-trials whose lease ran out (LEASE_EXPIRED); the study goes on. Trials
 * are taken with FOR UPDATE SKIP LOCKED, so several replicas can sweep at once, and a trial
 * being told right now is skipped (its tell wins). Study completion is checked afterwards,
 * one short transaction per study, to keep the lock order study → trial everywhere else.
 */
export async function sweepExpiredAskLeases(deps: TAskTellDeps, at?: Date): Promise<{ expired: number; events: TLiveEvent[] }> {
  const now = at ?? nowOf(deps);
  const swept = await withTransaction(deps.db, async (tx) => {
    const rows = await lockExpiredAskTrials(tx, now);
    for (const t of rows) {
      // The last renewal was lease_expires_at - lease length; report that silence as seen by the user.
      const silentMs = now.getTime() - (t.updatedAt?.getTime() ?? t.startedAt?.getTime() ?? now.getTime());
      const reason = `no report for ${describeDuration(silentMs)}; the program that asked for this trial went away`;
      await updateTrialById(tx, t.id, {
        state: "failed",
        endCode: "LEASE_EXPIRED",
        endReason: reason,
        finishedAt: now,
        leaseExpiresAt: null,
        leaseToken: null,
      });
      await endOpenAttemptByTrialId(tx, { trialId: t.id, endedAt: now, endCode: "LEASE_EXPIRED", endReason: reason });
      await writeAudit(tx, {
        orgId: t.orgId,
        actor: { userId: null },
        action: "trial.expire",
        targetType: "trial",
        targetId: t.id,
        details: { studyId: t.studyId, number: t.number, endCode: "LEASE_EXPIRED" },
      });
    }
    return rows;
  });
  const events: TLiveEvent[] = [];
  const studies = new Map<string, string>();
  for (const t of swept) {
    events.push({ type: "trial:updated", orgId: t.orgId, studyId: t.studyId, trialId: t.id });
    studies.set(t.studyId, t.orgId);
  }
  for (const [studyId, orgId] of studies) {
    await withTransaction(deps.db, (tx) => completeStudyIfDone(tx, studyId, now));
    events.push({ type: "study:updated", orgId, studyId });
  }
  return { expired: swept.length, events };
}
