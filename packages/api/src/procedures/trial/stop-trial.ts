import {
  endOpenAttemptByTrialId,
  getTrial,
  lockStudy,
  lockTrial,
  type TenantScope,
  type TTrialRow,
  updateTrialById,
  withTransaction,
  writeAudit,
} from "@autoglm/db/queries";
import type { DbHandle } from "@autoglm/db/client";
import type { TLiveEvent } from "@autoglm/protocol";
import { completeStudyIfDone, stopTrial as stopAgentTrialInDb, type TActor } from "@autoglm/scheduler";
import type { TRunLoopHooks } from "../../context.js";
import { AppError, notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { zOk } from "../shared.js";
import { ZTrialIdInput } from "./get-trial.js";

/** The reason a user-stopped trial shows (the code is USER_STOPPED, as the agent path writes it). */
export const USER_STOP_REASON = "stopped by a user";
const USER_STOPPED = "USER_STOPPED";

function notRunning(t: TTrialRow): AppError {
  return new AppError("TRIAL_NOT_RUNNING", {
    userMessage: `Trial ${t.number} is already ${t.state}${t.endCode ? ` (${t.endCode})` : ""}; there is nothing to stop.`,
  });
}

/**
 * Ends an ask/tell trial the way `trial.tell` does (study, then trial locked: the same order
 * as tell and study.stop, so they never deadlock): failed, USER_STOPPED, attempt closed,
 * the study completed if that was its last trial. A later `trial.tell` from the user's
 * program gets TRIAL_NOT_RUNNING.
 */
async function stopAskTrial(
  db: DbHandle,
  input: { scope: TenantScope; trialId: string; studyId: string; actor: TActor; now: Date },
): Promise<"stopped" | "already" | TTrialRow> {
  return withTransaction(db.db, async (tx) => {
    const study = await lockStudy(tx, input.scope, input.studyId);
    const trial = study ? await lockTrial(tx, input.scope, input.trialId) : null;
    if (!study || !trial) throw notFound("Trial");
    if (trial.state !== "running" || trial.leaseKind !== "ask") {
      return trial.endCode === USER_STOPPED ? "already" : trial;
    }
    await updateTrialById(tx, trial.id, {
      state: "failed",
      endCode: USER_STOPPED,
      endReason: USER_STOP_REASON,
      finishedAt: input.now,
      leaseExpiresAt: null,
      leaseToken: null,
    });
    await endOpenAttemptByTrialId(tx, {
      trialId: trial.id,
      endedAt: input.now,
      endCode: USER_STOPPED,
      endReason: USER_STOP_REASON,
    });
    await completeStudyIfDone(tx, study.id, input.now);
    await writeAudit(tx, {
      orgId: study.orgId,
      actor: input.actor,
      action: "trial.stop",
      targetType: "trial",
      targetId: trial.id,
      details: { studyId: study.id, number: trial.number, leaseKind: "ask" },
    });
    return "stopped";
  });
}

/**
 * A trial run by an agent (or waiting for one): the run loop ends it USER_STOPPED and
 * signals the agent, which SIGTERMs the process (SIGKILL after its grace). Without a
 * gateway in this process the same database write is done here; the agent then learns it
 * from its next heartbeat (its lease token is stale) and stops the process all the same.
 */
async function stopAgentTrial(
  db: DbHandle,
  runLoop: TRunLoopHooks | null,
  input: { orgId: string; trialId: string },
): Promise<void> {
  const stop = { orgId: input.orgId, trialId: input.trialId, reason: USER_STOP_REASON };
  if (runLoop) await runLoop.stopTrial(stop);
  else await stopAgentTrialInDb(db, stop);
}

export const stopTrial = orgProcedure("member")
  .input(ZTrialIdInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const t = await getTrial(ctx.db.db, ctx.scope, input.trialId);
    if (!t) throw notFound("Trial");
    const events: TLiveEvent[] = [
      { type: "trial:updated", orgId: t.orgId, studyId: t.studyId, trialId: t.id },
      { type: "study:updated", orgId: t.orgId, studyId: t.studyId },
    ];
    if (t.state === "running" && t.leaseKind === "ask") {
      const r = await stopAskTrial(ctx.db, {
        scope: ctx.scope,
        trialId: t.id,
        studyId: t.studyId,
        actor: ctx.actor,
        now: ctx.options.clock.now(),
      });
      if (r === "already") return { ok: true as const };
      if (r !== "stopped") throw notRunning(r);
      for (const e of events) ctx.events.publish(e);
      return { ok: true as const };
    }
    if (t.state !== "running" && t.state !== "waiting") {
      // Stopping twice (a retried request, two people clicking) is a no-op, not an error.
      if (t.endCode === USER_STOPPED) return { ok: true as const };
      throw notRunning(t);
    }
    await stopAgentTrial(ctx.db, ctx.runLoop, { orgId: t.orgId, trialId: t.id });
    // Whatever the hook returned, Postgres says what happened (the trial may have finished
    // on its own a moment before the stop reached it).
    const after = await getTrial(ctx.db.db, ctx.scope, t.id);
    if (!after) throw notFound("Trial");
    if (after.endCode !== USER_STOPPED || (after.state !== "failed" && after.state !== "pruned")) {
      if (after.state === "running" || after.state === "waiting") {
        throw new AppError("CONFLICT", { userMessage: `Trial ${t.number} changed while it was being stopped; try again.` });
      }
      throw notRunning(after);
    }
    await writeAudit(ctx.db.db, {
      orgId: t.orgId,
      actor: ctx.actor,
      action: "trial.stop",
      targetType: "trial",
      targetId: t.id,
      details: { studyId: t.studyId, number: t.number, leaseKind: t.leaseKind ?? "queued", agentId: t.agentId },
    });
    for (const e of events) ctx.events.publish(e);
    return { ok: true as const };
  });
