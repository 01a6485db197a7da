import { z } from "zod";
import {
  countTrialsByState,
  getStudy as getStudyRow,
  getTrial,
  sumStudyArtifacts,
  type DbOrTx,
  type TenantScope,
  type TStudyRow,
} from "@autoglm/db/queries";
import { objectivesOf, studySpecOf, type TStudySpec } from "@autoglm/protocol";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { maskSpecSecrets } from "../../secrets.js";
import { iso, paramsOut, zId, zParams, zStudyState } from "../shared.js";
import { paretoTrials, ZParetoTrial } from "./pareto-set.js";

export const ZStudyIdInput = z.object({ studyId: zId }).strict();
/**
 * The best complete feasible trial by the (first) objective. A multi-objective study adds its
 * Pareto set (`pareto`, in trial-number order), of which `trialId` is the member best on the
 * first objective.
 */
export const ZBest = z
  .object({
    trialId: z.string(),
    number: z.number().int(),
    value: z.number(),
    params: zParams,
    pareto: z.array(ZParetoTrial).optional(),
  })
  .nullable();
export const ZGetStudyOutput = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  state: zStudyState,
  spec: z.custom<TStudySpec>((v) => typeof v === "object" && v !== null),
  counts: z.object({ waiting: z.number(), running: z.number(), complete: z.number(), pruned: z.number(), failed: z.number() }),
  best: ZBest,
  /** What the study's trials hold in the artifact store: bytes and files, every attempt's. */
  storageBytes: z.number().int().nonnegative(),
  storageFiles: z.number().int().nonnegative(),
  createdAt: z.string(),
  stoppedAt: z.string().nullable(),
  /** Why the study stopped itself (budget.stop_when), when it did. */
  stopReason: z.string().nullable(),
});

export async function loadStudyOrNotFound(db: DbOrTx, scope: TenantScope, studyId: string): Promise<TStudyRow> {
  const study = await getStudyRow(db, scope, studyId);
  if (!study) throw notFound("Study");
  return study;
}

export async function bestOf(
  db: DbOrTx,
  scope: TenantScope,
  study: TStudyRow,
  timeoutMs?: number,
): Promise<z.infer<typeof ZBest>> {
  if (objectivesOf(studySpecOf(study.spec)).length > 1) return paretoBestOf(db, scope, study, timeoutMs);
  if (!study.bestTrialId || study.bestValue === null) return null;
  const t = await getTrial(db, scope, study.bestTrialId);
  if (!t) return null;
  return { trialId: t.id, number: t.number, value: study.bestValue, params: paramsOut(t.params) };
}

async function paretoBestOf(db: DbOrTx, scope: TenantScope, study: TStudyRow, timeoutMs?: number) {
  const pareto = await paretoTrials(db, scope, study, timeoutMs);
  if (pareto.length === 0) return null;
  const sign = study.direction === "maximize" ? -1 : 1;
  const first = pareto.reduce((a, b) => (b.values[0]! * sign < a.values[0]! * sign ? b : a));
  return { trialId: first.trialId, number: first.number, value: first.values[0]!, params: first.params, pareto };
}

export const getStudy = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZGetStudyOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const counts = (await countTrialsByState(ctx.db.db, ctx.scope, [study.id])).get(study.id)!;
    const storage = await sumStudyArtifacts(ctx.db.db, ctx.scope, study.id);
    return {
      id: study.id,
      projectId: study.projectId,
      name: study.name,
      state: study.state,
      // run.env values are secrets: never shown, to any role (see secrets.ts).
      spec: maskSpecSecrets(studySpecOf(study.spec)),
      counts,
      best: await bestOf(ctx.db.db, ctx.scope, study, ctx.options.optimizerTimeoutMs),
      storageBytes: storage.bytes,
      storageFiles: storage.files,
      createdAt: iso(study.createdAt),
      stoppedAt: iso(study.stoppedAt),
      stopReason: study.stopReason ?? null,
    };
  });
