import { z } from "zod";
import { objectivesOf, studySpecOf } from "@autoglm/protocol";
import { historyTrialsOf, optimizerConfigOf, sharedOptimizerPool, studyHistories } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { derivedCache, finishedTrialsKey } from "./derived-cache.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

export const ZPortfolioOutput = z.object({
  /** The members `auto` chose from, in a stable order (weights name them). */
  members: z.array(z.string()),
  /**
   * After the study's first `trials` trials, each member's share of the next asks (the
   * schedule's shares moved toward the members that proposed good trials); empty for other
   * samplers, multi-objective and categorical-dominated studies, where `auto` follows its schedule.
   */
  points: z.array(z.object({ trials: z.number().int(), weights: z.record(z.string(), z.number()) })),
  /**
   * Where the study left its model phase (GP and TPE) for CMA-ES, and why: "rugged" (its first
   * 100 trials showed a rugged landscape: the GP left `noiseShare` of their variance to noise),
   * "stalled" (the GP phase stopped improving), "limit" (it ran to 500 trials); null before that.
   */
  handover: z
    .object({
      trial: z.number().int(),
      reason: z.enum(["rugged", "stalled", "limit"]),
      noiseShare: z.number().nullable(),
    })
    .nullable(),
});

/** How `auto`'s sampler portfolio moved its weights over the study (optimizer samplers/portfolio.ts). */
export const getPortfolio = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZPortfolioOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const spec = studySpecOf(study.spec);
    if (spec.sampler.name !== "auto") return { members: [], points: [], handover: null };
    const history = await studyHistories.load(ctx.db.db, study.id);
    const trials = historyTrialsOf(history, undefined, { objectives: objectivesOf(spec).length });
    const config = optimizerConfigOf(spec);
    const { points, handover } = await derivedCache.get("portfolio", study.id, finishedTrialsKey(trials, config), () =>
      sharedOptimizerPool().run({ kind: "portfolio", config }, trials, { timeoutMs: ctx.options.optimizerTimeoutMs }),
    );
    const members = [...new Set(points.flatMap((p) => Object.keys(p.weights)))];
    return { members, points, handover };
  });
