import { orgProcedure } from "../../trpc.js";
import { bestOf, loadStudyOrNotFound, ZBest, ZStudyIdInput } from "./get-study.js";

export const getBest = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZBest)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    return bestOf(ctx.db.db, ctx.scope, study, ctx.options.optimizerTimeoutMs);
  });
