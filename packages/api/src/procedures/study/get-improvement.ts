import { z } from "zod";
import { listLatestCompleteTrials } from "@autoglm/db/queries";
import { IMPROVEMENT_MAX_TRIALS, IMPROVEMENT_MIN_TRIALS, type TParams } from "@autoglm/optimizer";
import { objectivesOf, studySpecOf } from "@autoglm/protocol";
import { optimizerConfigOf, sharedOptimizerPool } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

export const ZImprovementOutput = z.object({
  /**
   * The estimate after the study's first `trials` complete trials, from the latest
   * IMPROVEMENT_MAX_TRIALS of them; empty below `minTrials` and for multi-objective studies.
   */
  points: z.array(z.object({ trials: z.number().int(), bound: z.number() })),
  /** budget.stop_when.improvement_below, when the study stops itself on it. */
  threshold: z.number().nullable(),
  minTrials: z.number().int(),
  /** Complete trials the estimate rests on (at most IMPROVEMENT_MAX_TRIALS, the latest). */
  basedOn: z.number().int(),
  /** The study's complete feasible trials. */
  total: z.number().int(),
});
type TImprovement = z.infer<typeof ZImprovementOutput>;

// The page refetches on every trial event; the estimate only changes when a trial completes. The
// promise is kept, so that a second request while the fits run waits for them instead of fitting again.
const recent = new Map<string, Promise<TImprovement>>();
const RECENT_MAX = 64;

/** "Improvement left": the GP regret bound of the study's complete trials as the study went on (optimizer improvement.ts). */
export const getImprovement = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZImprovementOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const spec = studySpecOf(study.spec);
    const threshold = spec.budget.stop_when?.improvement_below ?? null;
    // Infeasible trials are kept and shown, but no estimate of the best rests on them.
    const { rows: complete, total } = await listLatestCompleteTrials(ctx.db.db, ctx.scope, study.id, {
      limit: IMPROVEMENT_MAX_TRIALS,
      feasibleOnly: true,
    });
    const empty: TImprovement = { points: [], threshold, minTrials: IMPROVEMENT_MIN_TRIALS, basedOn: complete.length, total };
    // A regret bound has no meaning over a Pareto front: multi-objective studies get none.
    if (complete.length < IMPROVEMENT_MIN_TRIALS || objectivesOf(spec).length > 1) return empty;
    const key = `${study.id}:${total}:${complete.at(-1)!.number}:${threshold}`;
    const hit = recent.get(key);
    if (hit) return hit;
    // The trials before the window still count on the x axis: the estimate after the study's first k.
    const before = total - complete.length;
    const estimate = sharedOptimizerPool()
      .run(
        { kind: "improvement", config: optimizerConfigOf(spec), lastOnly: false },
        complete.map((trial) => ({
          id: trial.number,
          params: trial.params as TParams,
          state: "complete" as const,
          value: trial.value,
        })),
        { timeoutMs: ctx.options.optimizerTimeoutMs },
      )
      .then((points) => ({ ...empty, points: points.map((p) => ({ trials: before + p.trials, bound: p.bound })) }));
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
    recent.set(key, estimate);
    // A failed fit (a timeout on a busy box) is not remembered: the next request tries again.
    estimate.catch(() => recent.delete(key));
    return estimate;
  });
