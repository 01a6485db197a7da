import { z } from "zod";
import { listTrials as listTrialRows, type TTrialRow } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, paramsOut, zId, zParams, zTrialState } from "../shared.js";
import { loadStudyOrNotFound } from "../study/get-study.js";

export const ZListTrialsInput = z
  .object({
    studyId: zId,
    state: zTrialState.optional(),
    sort: z
      .object({
        by: z.enum(["number", "value", "state", "startedAt", "finishedAt", "duration"]),
        dir: z.enum(["asc", "desc"]).default("asc"),
      })
      .strict()
      .optional(),
    limit: z.number().int().min(1).max(500).default(100),
    /** Opaque; pass back `nextCursor`. */
    cursor: z
      .string()
      .regex(/^\d{1,9}$/, "must be a cursor returned by trial.list")
      .nullish(),
    /** Equality on parameters, e.g. `{ "optimizer": "sgd" }`. */
    paramFilter: z
      .record(z.string().max(64), z.union([z.string().max(200), z.number().finite(), z.boolean()]))
      .refine((r) => Object.keys(r).length <= 20, "must have at most 20 parameters")
      .optional(),
  })
  .strict();

export const ZTrialItem = z.object({
  id: z.string(),
  number: z.number().int(),
  state: zTrialState,
  value: z.number().nullable(),
  params: zParams,
  attempt: z.number().int(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  endCode: z.string().nullable(),
  endReason: z.string().nullable(),
  lastStep: z.number().int().nullable(),
  /** Where the params came from: the sampler's name, `enqueued` (a user fixed them), or null when not recorded. */
  proposedBy: z.string().nullable(),
});
export const ZListTrialsOutput = z.object({ items: z.array(ZTrialItem), nextCursor: z.string().nullable() });

export function trialOut(t: TTrialRow): z.infer<typeof ZTrialItem> {
  return {
    id: t.id,
    number: t.number,
    state: t.state,
    value: t.value,
    params: paramsOut(t.params),
    attempt: t.attempt,
    startedAt: iso(t.startedAt),
    finishedAt: iso(t.finishedAt),
    endCode: t.endCode,
    endReason: t.endReason,
    lastStep: t.lastStep,
    proposedBy: t.proposedBy ?? null,
  };
}

export const listTrials = orgProcedure("viewer")
  .input(ZListTrialsInput)
  .output(ZListTrialsOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const offset = input.cursor ? Number(input.cursor) : 0;
    const { rows, hasMore } = await listTrialRows(ctx.db.db, ctx.scope, {
      studyId: study.id,
      state: input.state,
      sort: input.sort,
      limit: input.limit,
      offset,
      paramFilter: input.paramFilter,
    });
    return { items: rows.map(trialOut), nextCursor: hasMore ? String(offset + rows.length) : null };
  });
