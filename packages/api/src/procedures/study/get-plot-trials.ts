import { z } from "zod";
import { listPlotTrials, samplePlotTrials } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, paramsOut, zParams, zTrialState } from "../shared.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";
import { numberListOut } from "../trial/list-trials.js";

/**
 * Trials the study page's plots draw. The plots are SVG, one DOM node per mark (more per
 * parallel-coordinates line): 2,000 keeps a live redraw of four plots around 10,000 nodes,
 * where a browser still answers a hover at once. A longer study is thinned to a stratified
 * sample of that size: its 200 best, its 300 latest (live updates) and every k-th in between.
 */
export const PLOT_MAX_TRIALS = 2_000;
export const PLOT_BEST_TRIALS = 200;
export const PLOT_LATEST_TRIALS = 300;

export const ZPlotTrialsOutput = z.object({
  trials: z.array(
    z.object({
      id: z.string(),
      number: z.number().int(),
      state: zTrialState,
      value: z.number().nullable(),
      /** Per objective, in spec order (multi-objective studies); null until the trial has values. */
      values: z.array(z.number()).nullable(),
      /** Every constraint satisfied; null when the study has none or the trial no values. */
      feasible: z.boolean().nullable(),
      params: zParams,
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      /** The agent that ran it last; null for ask/tell trials (or an agent since removed). */
      agentName: z.string().nullable(),
    }),
  ),
  /** True when the study was thinned to a sample (`trials` holds fewer than `total`). */
  truncated: z.boolean(),
  /** Started trials in the study. */
  total: z.number().int(),
});

/** The started trials (or a sample of them), ascending by number, with what the slice/EDF/timeline/parallel plots need. */
export const getPlotTrials = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZPlotTrialsOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const sample = { max: PLOT_MAX_TRIALS, best: PLOT_BEST_TRIALS, latest: PLOT_LATEST_TRIALS };
    const { total, ids } = await samplePlotTrials(ctx.db.db, ctx.scope, study.id, {
      ...sample,
      minimize: study.direction !== "maximize",
    });
    const rows = await listPlotTrials(ctx.db.db, ctx.scope, study.id, { ids });
    return {
      trials: rows.map((t) => ({
        id: t.id,
        number: t.number,
        state: t.state,
        value: t.value,
        values: numberListOut(t.values),
        feasible: t.feasible ?? null,
        params: paramsOut(t.params),
        startedAt: iso(t.startedAt),
        finishedAt: iso(t.finishedAt),
        agentName: t.agentName,
      })),
      truncated: ids !== null,
      // A trial may start between the two reads: then it is drawn and counted.
      total: Math.max(total, rows.length),
    };
  });
