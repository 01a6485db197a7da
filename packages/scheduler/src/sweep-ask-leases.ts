import { listExpiredLeases, withTransaction, writeAudit } from "@autoglm/db/queries";
import type { TLiveEvent } from "@autoglm/protocol";
import { askLifecycle, nowOf, type TAskTellDeps } from "./ask-types.js";
import type { EndedAttempt } from "./lifecycle/end-attempt.js";
import { finishSpentStudy } from "./lifecycle/study-completion.js";

/**
 * Fails running ask-trials whose lease ran out (LEASE_EXPIRED); the study goes on. Each is
 * ended by the lifecycle's `endAttempt`, which re-checks the expiry under the trial's lock,
 * so several replicas can sweep at once and a trial being told right now keeps its tell.
 * Study completion is checked afterwards, once per study.
 */
export async function sweepExpiredAskLeases(deps: TAskTellDeps, at?: Date): Promise<{ expired: number; events: TLiveEvent[] }> {
  const now = at ?? nowOf(deps);
  const swept: EndedAttempt[] = [];
  for (const t of await listExpiredLeases(deps.db, { leaseKind: "ask", at: now, limit: 500 })) {
    // The end and its audit row commit together.
    const ended = await withTransaction(deps.db, async (tx) => {
      const e = await askLifecycle(deps, tx).expireAskLease(t, now);
      if (e) {
        await writeAudit(tx, {
          orgId: e.orgId,
          actor: { userId: null },
          action: "trial.expire",
          targetType: "trial",
          targetId: e.trialId,
          details: { studyId: e.studyId, number: e.number, endCode: "LEASE_EXPIRED" },
        });
      }
      return e;
    });
    if (ended) swept.push(ended);
  }
  const events: TLiveEvent[] = swept.map((t) => ({
    type: "trial:updated",
    orgId: t.orgId,
    studyId: t.studyId,
    trialId: t.trialId,
  }));
  const studies = new Map(swept.map((t) => [t.studyId, t.orgId]));
  for (const [studyId, orgId] of studies) {
    await finishSpentStudy(deps.db, studyId, now);
    events.push({ type: "study:updated", orgId, studyId });
  }
  return { expired: swept.length, events };
}
