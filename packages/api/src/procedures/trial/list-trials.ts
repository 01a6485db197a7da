import { z } from "zod";
import { listTrialPage, type TTrialRow } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, paramsOut, zId, zParams, zTrialState } from "../shared.js";
import { loadStudyOrNotFound } from "../study/get-study.js";

const zFinite = z.number().finite();
/** An inclusive interval; either end may be left open, not both. */
const zRange = z
  .object({ min: zFinite.optional(), max: zFinite.optional() })
  .strict()
  .refine((r) => r.min !== undefined || r.max !== undefined, "must give min, max or both")
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, "min must not exceed max");
const zParamName = z.string().min(1).max(64);

/** Rows per page: a browser draws 2,000 virtualized rows smoothly and their JSON stays near 500 KB. */
export const MAX_TRIAL_PAGE = 2000;

export const ZListTrialsInput = z
  .object({
    studyId: zId,
    state: zTrialState.optional(),
    /** Only the trial with this number (what `STUDY#N` names). */
    number: z.number().int().min(0).max(999_999_999).optional(),
    sort: z
      .object({
        by: z.enum(["number", "value", "state", "startedAt", "finishedAt", "duration"]),
        dir: z.enum(["asc", "desc"]).default("asc"),
      })
      .strict()
      .optional(),
    limit: z.number().int().min(1).max(MAX_TRIAL_PAGE).default(100),
    /** Opaque; pass back `nextCursor`. */
    cursor: z
      .string()
      .regex(/^\d{1,9}$/, "must be a cursor returned by trial.list")
      .nullish(),
    /** Rows to skip (a page's first row is `offset`): for jumping to a page instead of following cursors. */
    offset: z.number().int().min(0).max(999_999_999).optional(),
    /** Equality on parameters, e.g. `{ "optimizer": "sgd" }`. */
    paramFilter: z
      .record(zParamName, z.union([z.string().max(200), zFinite, z.boolean()]))
      .refine((r) => Object.keys(r).length <= 20, "must have at most 20 parameters")
      .optional(),
    /** Numeric parameters within intervals, e.g. `{ "lr": { "min": 0.001, "max": 0.01 } }`. */
    paramRanges: z
      .record(zParamName, zRange)
      .refine((r) => Object.keys(r).length <= 20, "must have at most 20 parameters")
      .optional(),
    /** The trial's value within an interval. */
    valueRange: zRange.optional(),
  })
  .strict()
  .refine((i) => !(i.cursor && i.offset !== undefined), { message: "give cursor or offset, not both", path: ["offset"] });

export const ZTrialItem = z.object({
  id: z.string(),
  number: z.number().int(),
  state: zTrialState,
  value: z.number().nullable(),
  /** Per objective, in spec order (`value` is the first); null until the trial has values. */
  values: z.array(z.number()).nullable(),
  /** Every constraint satisfied; null when the study has none or the trial no values. */
  feasible: z.boolean().nullable(),
  /** Per constraint, in spec order, its violation (value − max or min − value; ≤ 0 satisfied). */
  constraintValues: z.array(z.number()).nullable(),
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
export const ZListTrialsOutput = z.object({
  items: z.array(ZTrialItem.extend({ metrics: z.record(z.string(), z.unknown()).nullable() })),
  nextCursor: z.string().nullable(),
  /** How many trials match the filter, on every page. */
  total: z.number().int(),
});

/** A stored jsonb list of numbers, or null. */
export function numberListOut(v: unknown): number[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]) : null;
}

export function trialOut(t: TTrialRow): z.infer<typeof ZTrialItem> {
  return {
    id: t.id,
    number: t.number,
    state: t.state,
    value: t.value,
    values: numberListOut(t.values),
    feasible: t.feasible ?? null,
    constraintValues: numberListOut(t.constraintValues),
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
    const offset = input.cursor ? Number(input.cursor) : (input.offset ?? 0);
    const { rows, total } = await listTrialPage(ctx.db.db, ctx.scope, {
      studyId: study.id,
      filter: {
        state: input.state,
        number: input.number,
        paramEquals: input.paramFilter,
        paramRanges: input.paramRanges,
        value: input.valueRange,
      },
      sort: input.sort,
      limit: input.limit,
      offset,
    });
    const next = offset + rows.length;
    return {
      items: rows.map((t) => ({ ...trialOut(t), metrics: t.lastMetrics })),
      nextCursor: next < total ? String(next) : null,
      total,
    };
  });
