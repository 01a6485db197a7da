import { deleteStudy as deleteStudyRow, withTransaction, writeAudit } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { zOk } from "../shared.js";
import { ZStudyIdInput } from "./get-study.js";

export const deleteStudy = orgProcedure("member")
  .input(ZStudyIdInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    await withTransaction(ctx.db.db, async (tx) => {
      if (!(await deleteStudyRow(tx, ctx.scope, input.studyId))) throw notFound("Study");
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "study.delete",
        targetType: "study",
        targetId: input.studyId,
      });
    });
    ctx.events.publish({ type: "study:deleted", orgId: ctx.scope.orgId, studyId: input.studyId });
    return { ok: true as const };
  });
