import {
  countInFlightByStudyId,
  endOpenAttemptByTrialId,
  getTrial,
  listTrialValues,
  lockStudy,
  lockStudyById,
  lockTrial,
  type TenantScope,
  updateStudyById,
  updateTrialById,
  withTransaction,
  writeAudit,
  type DbOrTx,
} from "@autoglm/db/queries";
import type { TStudySpec } from "@autoglm/protocol";
import { nowOf, SchedulerError, type TActor, type TAskTellDeps } from "./ask-types.js";
import type { TLiveEvent } from "@autoglm/protocol";

export type TTellState = "complete" | "failed" | "pruned";

/**
 * Finishes an ask-trial. Locks the study first, then the trial (the same order as stop),
 * so tell and stop never deadlock. Telling the same final state and value again is a no-op
 * (a client retrying after a lost response); anything else on a finished trial is refused.
 */
export async function tellTrial(
  deps: TAskTellDeps,
  input: {
    scope: TenantScope;
    trialId: string;
    value?: number | null | undefined;
    state?: TTellState | undefined;
    reason?: string | undefined;
    actor: TActor;
  },
): Promise<{ events: TLiveEvent[] }> {
  const now = nowOf(deps);
  const state: TTellState = input.state ?? "complete";
  return withTransaction(deps.db, async (tx) => {
    const peek = await getTrial(tx, input.scope, input.trialId);
    if (!peek) throw new SchedulerError("NOT_FOUND", "Trial not found.");
    const study = await lockStudy(tx, input.scope, peek.studyId);
    const trial = study ? await lockTrial(tx, input.scope, input.trialId) : null;
    if (!study || !trial) throw new SchedulerError("NOT_FOUND", "Trial not found.");
    if (trial.state !== "running" && trial.state !== "waiting") {
      const sameValue = (trial.value ?? null) === (input.value ?? null);
      if (trial.state === state && (state !== "complete" || sameValue)) return { events: [] };
      throw new SchedulerError(
        "TRIAL_NOT_RUNNING",
        `Trial ${trial.number} is already ${trial.state}${trial.endCode ? ` (${trial.endCode})` : ""}.`,
      );
    }
    if (trial.leaseKind !== "ask") {
      // Waiting (queued for an agent) and agent-leased trials are finished by the agent path.
      throw new SchedulerError("TRIAL_LEASED_TO_AGENT", `Trial ${trial.number} is run by an agent; the agent tells its result.`);
    }
    let value: number | null = input.value ?? null;
    if (state === "complete" && value === null) {
      throw new SchedulerError("VALUE_REQUIRED", "A value is required when the state is complete.");
    }
    if (state === "pruned" && value === null) {
      // A pruned trial's value is its last intermediate value (as Optuna does).
      const values = await listTrialValues(tx, input.scope, trial.id);
      value = values.at(-1)?.value ?? null;
    }
    if (state === "failed") value = input.value ?? null;
    const endCode = state === "failed" ? "USER_REPORTED_FAILURE" : state === "pruned" ? "PRUNED" : null;
    await updateTrialById(tx, trial.id, {
      state,
      value,
      finishedAt: now,
      endCode,
      endReason: input.reason ?? null,
      leaseExpiresAt: null,
      leaseToken: null,
    });
    await endOpenAttemptByTrialId(tx, { trialId: trial.id, endedAt: now, endCode, endReason: input.reason ?? null });
    const spec = study.spec as TStudySpec;
    if (state === "complete" && value !== null) {
      const better =
        study.bestValue === null || (spec.objective.direction === "minimize" ? value < study.bestValue : value > study.bestValue);
      if (better) await updateStudyById(tx, study.id, { bestTrialId: trial.id, bestValue: value });
    }
    await completeStudyIfDone(tx, study.id, now);
    await writeAudit(tx, {
      orgId: study.orgId,
      actor: input.actor,
      action: "trial.tell",
      targetType: "trial",
      targetId: trial.id,
      details: { studyId: study.id, number: trial.number, state, value },
    });
    return {
      events: [
        { type: "trial:updated", orgId: study.orgId, studyId: study.id, trialId: trial.id },
        { type: "study:updated", orgId: study.orgId, studyId: study.id },
      ],
    };
  });
}

/** A running study that has used max_trials and has nothing in flight is completed. */
export async function completeStudyIfDone(tx: DbOrTx, studyId: string, now: Date): Promise<boolean> {
  const study = await lockStudyById(tx, studyId);
  if (!study || study.state !== "running") return false;
  const spec = study.spec as TStudySpec;
  const { inFlight, total } = await countInFlightByStudyId(tx, studyId);
  if (total >= spec.budget.max_trials && inFlight === 0) {
    await updateStudyById(tx, studyId, { state: "completed", stoppedAt: now });
    return true;
  }
  return false;
}
