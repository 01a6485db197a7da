import { z } from "zod";
import { reportTrial as reportTrialDomain } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { zId } from "../shared.js";

export const ZReportInput = z
  .object({
    trialId: zId,
    step: z.number().int("must be a whole number").min(0, "must be >= 0").max(2_147_483_647),
    value: z.number().finite("must be a finite number"),
  })
  .strict();
/** `reason`, when prune is true: the pruner's why, in the metric's units. */
export const ZReportOutput = z.object({ prune: z.boolean(), reason: z.string().optional() });

export const reportTrial = orgProcedure("member")
  .input(ZReportInput)
  .output(ZReportOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await reportTrialDomain(
      {
        db: ctx.db.db,
        clock: ctx.options.clock,
        config: { askLeaseMs: ctx.options.askLeaseMs, optimizerTimeoutMs: ctx.options.optimizerTimeoutMs },
      },
      { scope: ctx.scope, trialId: input.trialId, step: input.step, value: input.value },
    );
    for (const e of r.events) ctx.events.publish(e);
    return r.reason === undefined ? { prune: r.prune } : { prune: r.prune, reason: r.reason };
  });
