import {
  getTrial,
  lastTrialValueById,
  lockStudy,
  lockTrial,
  type TenantScope,
  withTransaction,
  writeAudit,
} from "@autoglm/db/queries";
import type { TLiveEvent } from "@autoglm/protocol";
import { askLifecycle, SchedulerError, type TActor, type TAskTellDeps } from "./ask-types.js";
import type { TEndCode } from "./lifecycle/end-attempt.js";

export type TTellState = "complete" | "failed" | "pruned";

const TELL_CODES: Record<TTellState, TEndCode | null> = { complete: null, failed: "USER_REPORTED_FAILURE", pruned: "PRUNED" };

/**
 * Finishes an ask-trial. Locks the study first, then the trial (the same order as stop),
 * so tell and stop never deadlock. Telling the same final state and value again is a no-op
 * (a client retrying after a lost response); anything else on a finished trial is refused.
 * The trial ends through the lifecycle's one `endAttempt` (best value included), then the
 * study is finished if that was its last trial, all in this transaction.
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
    // A pruned trial's value is its last intermediate value (as Optuna does).
    if (state === "pruned" && value === null) value = (await lastTrialValueById(tx, trial.id))?.value ?? null;
    const lifecycle = askLifecycle(deps, tx);
    await lifecycle.endAttempt({
      trialId: trial.id,
      leaseKind: "ask",
      mode: state,
      code: TELL_CODES[state],
      reason: input.reason ?? null,
      value,
    });
    await lifecycle.finishSpentStudy(study.id);
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
