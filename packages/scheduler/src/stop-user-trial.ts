import { getTrial, type TenantScope, type TTrialRow, writeAudit } from "@autoglm/db/queries";
import type { TLiveEvent } from "@autoglm/protocol";
import { askLifecycle, nowOf, SchedulerError, type TActor, type TAskTellDeps } from "./ask-types.js";
import { USER_STOP_REASON } from "./lifecycle/stop-trial.js";
import { finishSpentStudy } from "./lifecycle/study-completion.js";

/** The run loop's stop of an agent's trial: it ends the trial and signals the agent at once. */
export type TStopAgentTrial = (input: { orgId: string; trialId: string; reason: string }) => Promise<unknown>;

function notRunning(t: TTrialRow): SchedulerError {
  return new SchedulerError(
    "TRIAL_NOT_RUNNING",
    `Trial ${t.number} is already ${t.state}${t.endCode ? ` (${t.endCode})` : ""}; there is nothing to stop.`,
  );
}

/**
 * A user stops one trial (dashboard, CLI): failed USER_STOPPED through the lifecycle's one
 * `stopTrial`, whoever runs it. A trial run by an agent (or waiting for one) goes through
 * `stopAgentTrial` when this process has a run loop, which also signals the agent (SIGTERM,
 * SIGKILL after its grace); without one the agent learns it from its next heartbeat (its
 * lease token is stale). Stopping twice is a no-op; a later `trial.tell` from an ask program
 * gets TRIAL_NOT_RUNNING. The study is finished if that was its last trial.
 */
export async function stopUserTrial(
  deps: TAskTellDeps,
  input: { scope: TenantScope; trialId: string; actor: TActor; stopAgentTrial?: TStopAgentTrial | undefined },
): Promise<{ events: TLiveEvent[] }> {
  const t = await getTrial(deps.db, input.scope, input.trialId);
  if (!t) throw new SchedulerError("NOT_FOUND", "Trial not found.");
  if (t.state !== "running" && t.state !== "waiting") {
    // A retried request, two people clicking: already stopped is not an error.
    if (t.endCode === "USER_STOPPED") return { events: [] };
    throw notRunning(t);
  }
  const stop = { orgId: t.orgId, trialId: t.id, reason: USER_STOP_REASON };
  if (t.leaseKind !== "ask" && input.stopAgentTrial) await input.stopAgentTrial(stop);
  else await askLifecycle(deps, deps.db).stopTrial(stop);
  // Whatever the stop returned, Postgres says what happened (the trial may have finished on
  // its own a moment before the stop reached it).
  const after = await getTrial(deps.db, input.scope, t.id);
  if (!after) throw new SchedulerError("NOT_FOUND", "Trial not found.");
  if (after.endCode !== "USER_STOPPED" || (after.state !== "failed" && after.state !== "pruned")) {
    if (after.state === "running" || after.state === "waiting") {
      throw new SchedulerError("CONFLICT", `Trial ${t.number} changed while it was being stopped; try again.`);
    }
    throw notRunning(after);
  }
  await finishSpentStudy(deps.db, t.studyId, nowOf(deps));
  await writeAudit(deps.db, {
    orgId: t.orgId,
    actor: input.actor,
    action: "trial.stop",
    targetType: "trial",
    targetId: t.id,
    details: { studyId: t.studyId, number: t.number, leaseKind: t.leaseKind ?? "queued", agentId: t.agentId },
  });
  return {
    events: [
      { type: "trial:updated", orgId: t.orgId, studyId: t.studyId, trialId: t.id },
      { type: "study:updated", orgId: t.orgId, studyId: t.studyId },
    ],
  };
}
