import { z } from "zod";
import { getTrialByNumber } from "@autoglm/db/queries";
import { objectivesOf, studySpecOf } from "@autoglm/protocol";
import { historyTrialsOf, optimizerConfigOf, sharedOptimizerPool, studyHistories } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { derivedCache, finishedTrialsKey } from "./derived-cache.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

export const ZBestPredictedOutput = z
  .object({
    /** The evaluated trial a GP with a fitted noise term predicts best (of the five with the best values). */
    trialId: z.string(),
    number: z.number().int(),
    params: z.record(z.string(), z.unknown()),
    /** Its raw value, as study.best reports values. */
    value: z.number(),
    /** The model's prediction of its value: on a noisy objective, what to expect when it is run again. */
    predicted: z.number(),
    /** The objective's noise as the model fitted it (a standard deviation, objective units). */
    noiseSd: z.number(),
  })
  .nullable();

/**
 * Beside study.best (the luckiest draw on a noisy objective): the evaluated trial predicted
 * best, and the noise level (optimizer best-predicted.ts). Null for multi-objective studies
 * and below 10 complete feasible trials.
 */
export const getBestPredicted = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZBestPredictedOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const spec = studySpecOf(study.spec);
    if (objectivesOf(spec).length > 1) return null;
    const trials = historyTrialsOf(await studyHistories.load(ctx.db.db, study.id));
    const config = optimizerConfigOf(spec);
    const best = await derivedCache.get("bestPredicted", study.id, finishedTrialsKey(trials, config), () =>
      sharedOptimizerPool().run({ kind: "bestPredicted", config }, trials, { timeoutMs: ctx.options.optimizerTimeoutMs }),
    );
    if (best === null) return null;
    const trial = await getTrialByNumber(ctx.db.db, ctx.scope, study.id, best.id);
    if (!trial) return null;
    return {
      trialId: trial.id,
      number: best.id,
      params: best.params,
      value: best.value as number,
      predicted: best.predicted,
      noiseSd: best.noiseSd,
    };
  });
