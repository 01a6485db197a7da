import { z } from "zod";
import { listPlotTrials } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, paramsOut, zParams, zTrialState } from "../shared.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

/**
 * Trials the study page's plots draw. The plots are SVG, one DOM node per mark (more per
 * parallel-coordinates line): 2,000 keeps a live redraw of four plots around 10,000 nodes,
 * where a browser still answers a hover at once, and bounds the read of a 100,000-trial study
 * to the latest 2% of its rows.
 */
export const PLOT_MAX_TRIALS = 2_000;

export const ZPlotTrialsOutput = z.object({
  trials: z.array(
    z.object({
      id: z.string(),
      number: z.number().int(),
      state: zTrialState,
      value: z.number().nullable(),
      params: zParams,
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      /** The agent that ran it last; null for ask/tell trials (or an agent since removed). */
      agentName: z.string().nullable(),
    }),
  ),
  /** True when older trials were left out (only the PLOT_MAX_TRIALS latest are drawn). */
  truncated: z.boolean(),
});

/** The latest started trials, ascending by number, with what the slice/EDF/timeline/parallel plots need. */
export const getPlotTrials = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZPlotTrialsOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const rows = await listPlotTrials(ctx.db.db, ctx.scope, study.id, { limit: PLOT_MAX_TRIALS + 1 });
    const truncated = rows.length > PLOT_MAX_TRIALS;
    return {
      trials: (truncated ? rows.slice(1) : rows).map((t) => ({
        id: t.id,
        number: t.number,
        state: t.state,
        value: t.value,
        params: paramsOut(t.params),
        startedAt: iso(t.startedAt),
        finishedAt: iso(t.finishedAt),
        agentName: t.agentName,
      })),
      truncated,
    };
  });
