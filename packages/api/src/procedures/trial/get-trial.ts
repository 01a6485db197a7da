import { z } from "zod";
import { getTrial as getTrialRow, listTrialAttempts, listTrialValues } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { iso, zId } from "../shared.js";
import { trialOut, ZTrialItem } from "./list-trials.js";

export const ZTrialIdInput = z.object({ trialId: zId }).strict();
export const ZGetTrialOutput = ZTrialItem.extend({
  studyId: z.string(),
  intermediate: z.array(z.object({ step: z.number().int(), value: z.number() })),
  attempts: z.array(
    z.object({
      attempt: z.number().int(),
      leaseKind: z.enum(["ask", "agent"]),
      agentId: z.string().nullable(),
      startedAt: z.string(),
      endedAt: z.string().nullable(),
      endCode: z.string().nullable(),
      endReason: z.string().nullable(),
    }),
  ),
});

export const getTrial = orgProcedure("viewer")
  .input(ZTrialIdInput)
  .output(ZGetTrialOutput)
  .query(async ({ ctx, input }) => {
    const t = await getTrialRow(ctx.db.db, ctx.scope, input.trialId);
    if (!t) throw notFound("Trial");
    const [values, attempts] = await Promise.all([listTrialValues(ctx.db.db, t.id), listTrialAttempts(ctx.db.db, t.id)]);
    return {
      ...trialOut(t),
      studyId: t.studyId,
      intermediate: values,
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        leaseKind: a.leaseKind,
        agentId: a.agentId,
        startedAt: iso(a.startedAt),
        endedAt: iso(a.endedAt),
        endCode: a.endCode,
        endReason: a.endReason,
      })),
    };
  });
