import { stopStudy as stopStudyDomain } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { zOk } from "../shared.js";
import { ZStudyIdInput } from "./get-study.js";

export const stopStudy = orgProcedure("member")
  .input(ZStudyIdInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const r = await stopStudyDomain(
      { db: ctx.db.db, now: ctx.options.now },
      { scope: ctx.scope, studyId: input.studyId, actor: ctx.actor },
    );
    for (const e of r.events) ctx.events.publish(e);
    return { ok: true as const };
  });
