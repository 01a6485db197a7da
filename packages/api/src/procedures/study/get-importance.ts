import { z } from "zod";
import { listLatestCompleteTrials } from "@autoglm/db/queries";
import { IMPORTANCE_METHODS, type TParams, type TValue } from "@autoglm/optimizer";
import { objectivesOf, studySpecOf } from "@autoglm/protocol";
import { AppError } from "../../errors.js";
import { optimizerConfigOf, sharedOptimizerPool } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

/** Fewer complete trials than this and the forest has nothing to split on. */
export const IMPORTANCE_MIN_TRIALS = 5;
/** The latest complete trials the forest is fitted on: a bounded cost per refresh (0.1 s at a few params, seconds at 200). */
export const IMPORTANCE_MAX_TRIALS = 300;

export const ZImportanceInput = ZStudyIdInput.extend({
  /** Which objective of a multi-objective study, in spec order (default 0, the first). */
  objective: z.number().int().min(0).optional(),
  /**
   * "fanova" (default): each parameter's share of the objective's variance, from a random
   * forest. "ped-anova": how much each one matters for reaching the best 10% of the values.
   */
  method: z.enum(IMPORTANCE_METHODS).optional(),
}).strict();

export const ZImportanceOutput = z.object({
  /** Each parameter's importance (see the input's `method`), largest first; sums to 1. */
  params: z.array(z.object({ name: z.string(), share: z.number() })),
  /** Complete trials the estimate rests on. */
  basedOn: z.number().int(),
  minTrials: z.number().int(),
});
type TImportance = z.infer<typeof ZImportanceOutput>;

// The page refetches on every trial event; the forest only changes when a trial completes.
const recent = new Map<string, TImportance>();
const RECENT_MAX = 64;

/** A complete trial's value as the optimizer takes it: one number, or one per objective. */
function valueOf(trial: { value: number | null; values: unknown }, nObjectives: number): TValue | null {
  if (nObjectives === 1) return trial.value;
  const v = trial.values;
  return Array.isArray(v) && v.length === nObjectives && v.every((x) => typeof x === "number" && Number.isFinite(x)) ? v : null;
}

/** Parameter importance for the study page, from the optimizer's importance() on its complete trials. */
export const getImportance = orgProcedure("viewer")
  .input(ZImportanceInput)
  .output(ZImportanceOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const spec = studySpecOf(study.spec);
    const nObjectives = objectivesOf(spec).length;
    const objective = input.objective ?? 0;
    const method = input.method ?? "fanova";
    if (objective >= nObjectives) {
      const names = objectivesOf(spec)
        .map((o, i) => `${i} (${o.metric})`)
        .join(", ");
      throw new AppError("BAD_REQUEST", { userMessage: `objective: the study's objectives are ${names}; got ${objective}.` });
    }
    // Only the rows the forest is fitted on: the latest complete trials with a value, not the whole study.
    const { rows, total } = await listLatestCompleteTrials(ctx.db.db, ctx.scope, study.id, { limit: IMPORTANCE_MAX_TRIALS });
    const complete = rows.map((trial) => ({ trial, value: valueOf(trial, nObjectives) })).filter((h) => h.value !== null);
    const empty = { params: [], basedOn: complete.length, minTrials: IMPORTANCE_MIN_TRIALS };
    if (complete.length < IMPORTANCE_MIN_TRIALS) return empty;
    // The total too: a trial numbered below the latest that completes late changes the window, not its last number.
    const key = `${study.id}:${total}:${complete.length}:${complete.at(-1)!.trial.number}:${objective}:${method}`;
    const hit = recent.get(key);
    if (hit) return hit;
    // A forest on 300 trials of 200 params is seconds of CPU: fitted in the optimizer pool.
    const { shares, used } = await sharedOptimizerPool().run(
      { kind: "importance", config: optimizerConfigOf(spec), minTrials: IMPORTANCE_MIN_TRIALS, objective, method },
      complete.map(({ trial, value }) => ({
        id: trial.number,
        params: trial.params as TParams,
        state: "complete" as const,
        value,
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
