import { z } from "zod";
import { listFinishedTrials } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, zTrialState } from "../shared.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

export const ZHistoryOutput = z.array(
  z.object({
    number: z.number().int(),
    value: z.number().nullable(),
    best: z.number().nullable(),
    state: zTrialState,
    finishedAt: z.string().nullable(),
  }),
);

/** Finished trials in finish order with the best-so-far of complete ones: the history chart. */
export const getHistory = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZHistoryOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const minimize = study.direction !== "maximize";
    let best: number | null = null;
    return (await listFinishedTrials(ctx.db.db, ctx.scope, study.id)).map((t) => {
      if (t.state === "complete" && t.value !== null) {
        if (best === null || (minimize ? t.value < best : t.value > best)) best = t.value;
      }
      return { number: t.number, value: t.value, best, state: t.state, finishedAt: iso(t.finishedAt) };
    });
  });
