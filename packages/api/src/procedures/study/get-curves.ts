import { z } from "zod";
import { listStudyCurves } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { zTrialState } from "../shared.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

/** Enough lines to see the crowd and the outliers; beyond it the chart is ink, not information. */
export const CURVES_MAX_TRIALS = 100;
export const CURVES_MAX_POINTS = 100;

export const ZCurvesOutput = z.object({
  curves: z.array(
    z.object({
      trialId: z.string(),
      number: z.number().int(),
      state: zTrialState,
      /** Why it ended (the pruner's reason for a pruned trial), null while running or for a complete one. */
      endReason: z.string().nullable(),
      /** [step, value], ascending by step; every k-th report, k the smallest stride leaving <= CURVES_MAX_POINTS (+ the last). */
      points: z.array(z.tuple([z.number().int(), z.number()])),
    }),
  ),
  /** True when older trials were left out (only the CURVES_MAX_TRIALS latest are shown). */
  truncated: z.boolean(),
});

/** The trials' intermediate values for the learning-curves chart (the latest trials that reported). */
export const getCurves = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZCurvesOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const curves = await listStudyCurves(ctx.db.db, ctx.scope, study.id, {
      maxTrials: CURVES_MAX_TRIALS + 1,
      maxPoints: CURVES_MAX_POINTS,
    });
    const truncated = curves.length > CURVES_MAX_TRIALS;
    return { curves: truncated ? curves.slice(1) : curves, truncated };
  });
