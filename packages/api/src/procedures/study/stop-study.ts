import { STUDY_STOP_REASON, stopStudy as stopStudyDomain } from "@autoglm/scheduler";
import { sanitizeError } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { zOk } from "../shared.js";
import { ZStudyIdInput } from "./get-study.js";

export const stopStudy = orgProcedure("member")
  .input(ZStudyIdInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const r = await stopStudyDomain(
      { db: ctx.db.db, clock: ctx.options.clock },
      { scope: ctx.scope, studyId: input.studyId, actor: ctx.actor },
    );
    for (const e of r.events) ctx.events.publish(e);
    // The domain stop leaves agent-leased trials to the run loop: the gateway ends them
    // STUDY_STOPPED and tells their agents now. Called on a repeated stop too (a retry after a
    // lost response must still reach the agents). The study is already stopped in Postgres,
    // so a gateway failure is logged, not returned: the agents then learn it from their next
    // heartbeat.
    if (ctx.runLoop) {
      try {
        await ctx.runLoop.stopStudyTrials({
          orgId: ctx.scope.orgId,
          studyId: input.studyId,
          reason: STUDY_STOP_REASON,
        });
      } catch (error) {
        ctx.options.onInternalError?.({ path: "study.stop(runLoop)", error: sanitizeError(error) });
      }
    }
    return { ok: true as const };
  });
