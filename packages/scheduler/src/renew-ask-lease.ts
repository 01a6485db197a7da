import { getStudy, lockTrial, type TenantScope, updateTrialById, withTransaction } from "@autoglm/db/queries";
import { studySpecOf } from "@autoglm/protocol";
import { askLeaseMs } from "./ask-trial.js";
import { nowOf, SchedulerError, type TAskTellDeps } from "./ask-types.js";

/**
 * Extends a running ask-trial's lease by the study's `budget.lease_minutes` without storing
 * a value: the keep-alive of a program whose objective reports rarely (a long epoch) or
 * never. Like a report, it renews a lease that has run out but was not swept yet; a trial
 * the sweeper already failed answers TRIAL_NOT_RUNNING, so the program learns it lost it.
 */
export async function renewAskLease(
  deps: TAskTellDeps,
  input: { scope: TenantScope; trialId: string },
): Promise<{ leaseExpiresAt: Date }> {
  const now = nowOf(deps);
  return withTransaction(deps.db, async (tx) => {
    const trial = await lockTrial(tx, input.scope, input.trialId);
    if (!trial) throw new SchedulerError("NOT_FOUND", "Trial not found.");
    if (trial.state !== "running") {
      throw new SchedulerError(
        "TRIAL_NOT_RUNNING",
        `Trial ${trial.number} is ${trial.state}${trial.endCode ? ` (${trial.endCode})` : ""}; its lease cannot be renewed.`,
      );
    }
    if (trial.leaseKind !== "ask") {
      throw new SchedulerError(
        "TRIAL_LEASED_TO_AGENT",
        `Trial ${trial.number} is run by an agent; the agent's heartbeat keeps its lease.`,
      );
    }
    const study = await getStudy(tx, input.scope, trial.studyId);
    if (!study) throw new SchedulerError("NOT_FOUND", "Trial not found.");
    const leaseExpiresAt = new Date(now.getTime() + askLeaseMs(deps, studySpecOf(study.spec)));
    await updateTrialById(tx, trial.id, { leaseExpiresAt });
    return { leaseExpiresAt };
  });
}
