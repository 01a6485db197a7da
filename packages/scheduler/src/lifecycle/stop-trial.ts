import { failWaitingTrial, type SqlDb } from "@autoglm/db/queries";
import { endAttempt, type EndedAttempt } from "./end-attempt.js";

/** The reason a user-stopped trial shows (code USER_STOPPED). */
export const USER_STOP_REASON = "stopped by a user";

/**
 * The pruner decided: the trial is marked `pruned` with its last intermediate value at once
 * (Optuna's convention), so the decision survives the agent dying before it stops the
 * process; the lease token stays on the row, so the agent's own `pruned` completion is
 * acknowledged as a duplicate, and a heartbeat still naming the trial is told it is stale.
 */
export function pruneTrial(
  db: SqlDb,
  input: { trialId: string; leaseToken: string; value: number | null; step: number | null; why?: string },
): Promise<EndedAttempt | null> {
  const at = input.step === null ? "pruned by the study's pruner" : `pruned by the study's pruner at step ${input.step}`;
  return endAttempt(db, {
    trialId: input.trialId,
    leaseToken: input.leaseToken,
    mode: "pruned",
    code: "PRUNED",
    reason: input.why ? `${at} (${input.why})` : at,
    value: input.value,
    lastStep: input.step,
  });
}

/**
 * A user stops one trial (dashboard, CLI, API), tenant-scoped by `orgId`: a trial of another
 * org answers exactly like a missing one (null). A running trial, leased to an agent or to an
 * ask/tell program, ends `failed` USER_STOPPED through `endAttempt`; a waiting one fails
 * without an attempt. The caller signals the agent (the gateway) and checks the study's
 * completion (study-completion.ts).
 */
export async function stopTrial(
  db: SqlDb,
  input: { orgId: string; trialId: string; reason?: string; at?: Date },
): Promise<EndedAttempt | null> {
  const reason = input.reason ?? USER_STOP_REASON;
  const running = await endAttempt(db, {
    trialId: input.trialId,
    orgId: input.orgId,
    leaseKind: "any",
    mode: "failed",
    code: "USER_STOPPED",
    reason,
    ...(input.at ? { at: input.at } : {}),
  });
  if (running) return running;
  const waiting = await failWaitingTrial(
    db,
    { orgId: input.orgId },
    {
      trialId: input.trialId,
      code: "USER_STOPPED",
      reason,
      at: input.at ?? null,
    },
  );
  return waiting
    ? {
        ...waiting,
        orgId: input.orgId,
        state: "failed",
        value: null,
        values: null,
        constraintValues: null,
        feasible: null,
        agentId: null,
        leaseToken: null,
      }
    : null;
}
