import { z } from "zod";
import { loadStudyHistory } from "@autoglm/db/queries";
import type { TParams } from "@autoglm/optimizer";
import { studySpecOf } from "@autoglm/protocol";
import { optimizerConfigOf, sharedOptimizerPool } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

/** Fewer complete trials than this and the forest has nothing to split on. */
export const IMPORTANCE_MIN_TRIALS = 5;
/** The latest complete trials the forest is fitted on: a bounded cost per refresh (0.1 s at a few params, seconds at 200). */
export const IMPORTANCE_MAX_TRIALS = 300;

export const ZImportanceOutput = z.object({
  /** Each parameter's share of the objective's variance (fANOVA on a random forest), largest first; sums to 1. */
  params: z.array(z.object({ name: z.string(), share: z.number() })),
  /** Complete trials the estimate rests on. */
  basedOn: z.number().int(),
  minTrials: z.number().int(),
});
type TImportance = z.infer<typeof ZImportanceOutput>;

// The page refetches on every trial event; the forest only changes when a trial completes.
const recent = new Map<string, TImportance>();
const RECENT_MAX = 64;

/** Parameter importance for the study page, from the optimizer's importance() on its complete trials. */
export const getImportance = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZImportanceOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const history = await loadStudyHistory(ctx.db.db, ctx.scope, study.id, { withIntermediate: false });
    const complete = history.filter((h) => h.trial.state === "complete" && h.trial.value !== null).slice(-IMPORTANCE_MAX_TRIALS);
    const empty = { params: [], basedOn: complete.length, minTrials: IMPORTANCE_MIN_TRIALS };
    if (complete.length < IMPORTANCE_MIN_TRIALS) return empty;
    const key = `${study.id}:${complete.length}:${complete.at(-1)!.trial.number}`;
    const hit = recent.get(key);
    if (hit) return hit;
    // A forest on 300 trials of 200 params is seconds of CPU: fitted in the optimizer pool.
    const { shares, used } = await sharedOptimizerPool().run(
      { kind: "importance", config: optimizerConfigOf(studySpecOf(study.spec)), minTrials: IMPORTANCE_MIN_TRIALS },
      complete.map(({ trial }) => ({
        id: trial.number,
        params: trial.params as TParams,
        state: "complete" as const,
        value: trial.value,
      })),
      { timeoutMs: ctx.options.optimizerTimeoutMs },
    );
    if (shares === null) return { ...empty, basedOn: used };
    const out: TImportance = {
      params: Object.entries(shares)
        .map(([name, share]) => ({ name, share }))
        .sort((a, b) => b.share - a.share),
      basedOn: used,
      minTrials: IMPORTANCE_MIN_TRIALS,
    };
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
    recent.set(key, out);
    return out;
  });
