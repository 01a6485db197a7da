import { z } from "zod";
import { findAgentNames, getTrial as getTrialRow, listTrialAttempts, listTrialValues } from "@autoglm/db/queries";
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
      /** The agent's name (null for ask/tell attempts, or an agent since removed). */
      agentName: z.string().nullable(),
      startedAt: z.string(),
      endedAt: z.string().nullable(),
      endCode: z.string().nullable(),
      endReason: z.string().nullable(),
      /** The end of the attempt's log, bounded and redacted by the agent; null for ask/tell. */
      logTail: z.string().nullable(),
    }),
  ),
});

export const getTrial = orgProcedure("viewer")
  .input(ZTrialIdInput)
  .output(ZGetTrialOutput)
  .query(async ({ ctx, input }) => {
    const t = await getTrialRow(ctx.db.db, ctx.scope, input.trialId);
    if (!t) throw notFound("Trial");
    const [values, attempts] = await Promise.all([
      listTrialValues(ctx.db.db, ctx.scope, t.id),
      listTrialAttempts(ctx.db.db, ctx.scope, t.id),
    ]);
    const agentNames = await findAgentNames(
      ctx.db.db,
      ctx.scope,
      attempts.flatMap((a) => (a.agentId ? [a.agentId] : [])),
    );
    return {
      ...trialOut(t),
      studyId: t.studyId,
      intermediate: values,
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        leaseKind: a.leaseKind,
        agentId: a.agentId,
        agentName: a.agentId ? (agentNames.get(a.agentId) ?? null) : null,
        startedAt: iso(a.startedAt),
        endedAt: iso(a.endedAt),
        endCode: a.endCode,
        endReason: a.endReason,
        logTail: a.logTail,
      })),
    };
  });
