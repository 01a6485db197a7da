import { z } from "zod";
import { loadStudyHistory } from "@autoglm/db/queries";
import { IMPROVEMENT_MIN_TRIALS, type TParams } from "@autoglm/optimizer";
import { objectivesOf, studySpecOf } from "@autoglm/protocol";
import { optimizerConfigOf, sharedOptimizerPool } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

/** The complete trials the estimate is computed from at most (a bounded cost per refresh: 25 GP fits). */
const IMPROVEMENT_MAX_TRIALS = 2_000;

export const ZImprovementOutput = z.object({
  /** The estimate after the first `trials` complete trials; empty below `minTrials` and for multi-objective studies. */
  points: z.array(z.object({ trials: z.number().int(), bound: z.number() })),
  /** budget.stop_when.improvement_below, when the study stops itself on it. */
  threshold: z.number().nullable(),
  minTrials: z.number().int(),
  /** Complete trials the estimate rests on. */
  basedOn: z.number().int(),
});
type TImprovement = z.infer<typeof ZImprovementOutput>;

// The page refetches on every trial event; the estimate only changes when a trial completes.
const recent = new Map<string, TImprovement>();
const RECENT_MAX = 64;

/** "Improvement left": the GP regret bound of the study's complete trials as the study went on (optimizer improvement.ts). */
export const getImprovement = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZImprovementOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const spec = studySpecOf(study.spec);
    const threshold = spec.budget.stop_when?.improvement_below ?? null;
    const history = await loadStudyHistory(ctx.db.db, ctx.scope, study.id, { withIntermediate: false });
    // Infeasible trials are kept and shown, but no estimate of the best rests on them.
    const complete = history
      .filter((h) => h.trial.state === "complete" && h.trial.value !== null && h.trial.feasible !== false)
      .slice(-IMPROVEMENT_MAX_TRIALS);
    const empty = { points: [], threshold, minTrials: IMPROVEMENT_MIN_TRIALS, basedOn: complete.length };
    // A regret bound has no meaning over a Pareto front: multi-objective studies get none.
    if (complete.length < IMPROVEMENT_MIN_TRIALS || objectivesOf(spec).length > 1) return empty;
    const key = `${study.id}:${complete.length}:${complete.at(-1)!.trial.number}:${threshold}`;
    const hit = recent.get(key);
    if (hit) return hit;
    // 25 GP fits on up to 150 trials each: tenths of a second to seconds of CPU, in the optimizer pool.
    const points = await sharedOptimizerPool().run(
      { kind: "improvement", config: optimizerConfigOf(spec), lastOnly: false },
      complete.map(({ trial }) => ({
        id: trial.number,
        params: trial.params as TParams,
        state: "complete" as const,
        value: trial.value,
      })),
      { timeoutMs: ctx.options.optimizerTimeoutMs },
    );
    const out: TImprovement = { ...empty, points };
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
    recent.set(key, out);
    return out;
  });
