import { z } from "zod";
import { listStudies as listStudyRows } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, zId, zStudyState } from "../shared.js";

export const ZListStudiesInput = z.object({ projectId: zId.optional(), state: zStudyState.optional() }).strict().optional();
export const ZListStudiesOutput = z.array(
  z.object({
    id: z.string(),
    projectId: z.string(),
    name: z.string(),
    state: zStudyState,
    metric: z.string(),
    direction: z.enum(["minimize", "maximize"]),
    sampler: z.string(),
    trialCount: z.number().int(),
    completeCount: z.number().int(),
    bestValue: z.number().nullable(),
    createdAt: z.string(),
  }),
);

export const listStudies = orgProcedure("viewer")
  .input(ZListStudiesInput)
  .output(ZListStudiesOutput)
  .query(async ({ ctx, input }) => {
    const rows = await listStudyRows(ctx.db.db, ctx.scope, { projectId: input?.projectId, state: input?.state });
    return rows.map(({ study, counts }) => ({
      id: study.id,
      projectId: study.projectId,
      name: study.name,
      state: study.state,
      metric: study.metric,
      direction: study.direction as "minimize" | "maximize",
      sampler: String((study.spec as { sampler?: { name?: string } }).sampler?.name ?? "random"),
      trialCount: counts.waiting + counts.running + counts.complete + counts.pruned + counts.failed,
      completeCount: counts.complete,
      bestValue: study.bestValue,
      createdAt: iso(study.createdAt),
    }));
  });
