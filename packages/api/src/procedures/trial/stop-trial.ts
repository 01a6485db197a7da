import { stopUserTrial } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { zOk } from "../shared.js";
import { ZTrialIdInput } from "./get-trial.js";

/**
 * Stops one trial, ask/tell or agent-run, through the scheduler's one stop (USER_STOPPED);
 * an agent's trial goes through this process's run loop when it has one, so the agent is
 * signalled at once.
 */
export const stopTrial = orgProcedure("member")
  .input(ZTrialIdInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const runLoop = ctx.runLoop;
    const r = await stopUserTrial(
      { db: ctx.db.db, clock: ctx.options.clock },
      {
        scope: ctx.scope,
        trialId: input.trialId,
        actor: ctx.actor,
        stopAgentTrial: runLoop ? (stop) => runLoop.stopTrial(stop) : undefined,
      },
    );
    for (const e of r.events) ctx.events.publish(e);
    return { ok: true as const };
  });
