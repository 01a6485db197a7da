import { z } from "zod";
import { listFeasibleTrialValues, listTrialsByIds, type DbOrTx, type TenantScope, type TStudyRow } from "@autoglm/db/queries";
import { objectivesOf, studySpecOf, type TStudySpec } from "@autoglm/protocol";
import { optimizerConfigOf, sharedOptimizerPool, type TParetoAnswer } from "@autoglm/scheduler";
import { paramsOut, zParams } from "../shared.js";

/** One trial of a multi-objective study's Pareto set: complete, feasible, dominated by none. */
export const ZParetoTrial = z.object({
  trialId: z.string(),
  number: z.number().int(),
  /** Per objective, in spec order. */
  values: z.array(z.number()),
  params: zParams,
});
export type TParetoTrial = z.infer<typeof ZParetoTrial>;

/** A stored jsonb list of `n` finite numbers, else null. */
function valuesOf(v: unknown, n: number): number[] | null {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === "number" && Number.isFinite(x)) ? v : null;
}

/**
 * The Pareto set and (with `historyPoints`) the hypervolume history of a multi-objective
 * study's complete feasible trials. A front alone runs inline up to 2,000 trials; past that,
 * and for a history, in the optimizer pool (optimizer-task.ts, kind "pareto").
 */
export async function computePareto(
  db: DbOrTx,
  scope: TenantScope,
  study: TStudyRow,
  opts: { reference: number[] | null; historyPoints: number; timeoutMs?: number | undefined },
): Promise<{ spec: TStudySpec; answer: TParetoAnswer; idOf: Map<number, string>; valuesOf: Map<number, number[]> }> {
  const spec = studySpecOf(study.spec);
  const n = objectivesOf(spec).length;
  const rows = await listFeasibleTrialValues(db, scope, study.id);
  const idOf = new Map<number, string>();
  const values = new Map<number, number[]>();
  const trials = rows.flatMap((r) => {
    const v = valuesOf(r.values, n);
    if (!v) return [];
    idOf.set(r.number, r.id);
    values.set(r.number, v);
    return [{ id: r.number, params: {}, state: "complete" as const, value: v }];
  });
  const call = {
    kind: "pareto" as const,
    config: optimizerConfigOf(spec),
    reference: opts.reference,
    historyPoints: opts.historyPoints,
  };
  const answer = await sharedOptimizerPool().run(call, trials, { timeoutMs: opts.timeoutMs });
  return { spec, answer, idOf, valuesOf: values };
}

/** The Pareto set's trials with their params, in trial-number order. */
export async function paretoTrials(
  db: DbOrTx,
  scope: TenantScope,
  study: TStudyRow,
  timeoutMs?: number,
): Promise<TParetoTrial[]> {
  const {
    answer,
    idOf,
    valuesOf: values,
  } = await computePareto(db, scope, study, { reference: null, historyPoints: 0, timeoutMs });
  const rows = await listTrialsByIds(
    db,
    scope,
    study.id,
    answer.front.map((number) => idOf.get(number)!),
  );
  return rows.map((t) => ({ trialId: t.id, number: t.number, values: values.get(t.number)!, params: paramsOut(t.params) }));
}
