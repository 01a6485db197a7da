import { z } from "zod";
import { objectivesOf, studySpecOf } from "@autoglm/protocol";
import { orgProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { zId } from "../shared.js";
import { loadStudyOrNotFound } from "./get-study.js";
import { computePareto } from "./pareto-set.js";

/** Points the history chart gets at most: a line of 300 points looks the same as one of 100,000. */
export const HYPERVOLUME_MAX_POINTS = 300;

export const ZHypervolumeInput = z
  .object({
    studyId: zId,
    /** The reference point, one value per objective in its own units; default: the nadir + 10% of each range. */
    reference: z.array(z.number().finite("must be a finite number")).min(2).max(4).optional(),
  })
  .strict();

export const ZHypervolumeOutput = z.object({
  /** The reference point used (null: no complete feasible trial yet). */
  reference: z.array(z.number()).nullable(),
  /** The hypervolume after trial `number` and those before it, thinned to at most 300 points. */
  points: z.array(z.object({ number: z.number().int(), hypervolume: z.number() })),
  /** Complete feasible trials it rests on. */
  basedOn: z.number().int(),
});

/**
 * A multi-objective study's hypervolume history: the volume its complete feasible trials
 * dominate up to the reference point, as trials arrived. Computed in the optimizer pool (300
 * hypervolumes in 4 objectives: ~0.3 s), off the server's event loop.
 */
export const getHypervolume = orgProcedure("viewer")
  .input(ZHypervolumeInput)
  .output(ZHypervolumeOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const n = objectivesOf(studySpecOf(study.spec)).length;
    if (n < 2) {
      throw new AppError("BAD_REQUEST", {
        userMessage: "The study has one objective; hypervolume needs several (spec objectives).",
      });
    }
    if (input.reference && input.reference.length !== n) {
      throw new AppError("BAD_REQUEST", {
        userMessage: `reference: expected ${n} values (one per objective), got ${input.reference.length}.`,
      });
    }
    const { answer, idOf } = await computePareto(ctx.db.db, ctx.scope, study, {
      reference: input.reference ?? null,
      historyPoints: HYPERVOLUME_MAX_POINTS,
      timeoutMs: ctx.options.optimizerTimeoutMs,
    });
    return {
      reference: answer.reference,
      points: answer.history.map((h) => ({ number: h.id, hypervolume: h.hypervolume })),
      basedOn: idOf.size,
    };
  });
