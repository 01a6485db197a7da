import { z } from "zod";
import { listHistoryPoints } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, zTrialState } from "../shared.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

/**
 * How many finished trials the history chart draws besides the improvements. A line chart of
 * 1,000 points on a 1,300 px wide card is already denser than one point per pixel pair; the
 * answer stays ~100 kB where 100,000 trials unthinned would be 14 MB.
 */
export const HISTORY_MAX_SAMPLED = 1_000;
/** Improvements of the best so far kept at most (a random search makes ~ln(n) of them: 12 at 100,000). */
export const HISTORY_MAX_IMPROVEMENTS = 1_000;

export const ZHistoryOutput = z.object({
  points: z.array(
    z.object({
      number: z.number().int(),
      value: z.number().nullable(),
      /** The best complete value up to this trial, over every finished trial (thinned ones included). */
      best: z.number().nullable(),
      state: zTrialState,
      finishedAt: z.string().nullable(),
      /** This trial set a new best. */
      improved: z.boolean(),
    }),
  ),
  /** Finished trials in the study; `points` has fewer when the history was thinned. */
  total: z.number().int(),
});

/**
 * Finished trials in finish order with the best-so-far of complete ones: the history chart.
 * Thinned on the server (listHistoryPoints): every improvement of the best, an even sample of the rest.
 */
export const getHistory = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZHistoryOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const { points, total } = await listHistoryPoints(ctx.db.db, ctx.scope, study.id, {
      minimize: study.direction !== "maximize",
      maxSampled: HISTORY_MAX_SAMPLED,
      maxImprovements: HISTORY_MAX_IMPROVEMENTS,
    });
    return { total, points: points.map((p) => ({ ...p, finishedAt: iso(p.finishedAt) })) };
  });
