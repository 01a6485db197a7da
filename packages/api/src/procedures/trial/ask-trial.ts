import { z } from "zod";
import { askTrial as askTrialDomain } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { iso, zParams } from "../shared.js";
import { ZStudyIdInput } from "../study/get-study.js";

export const ZAskOutput = z.object({
  trialId: z.string(),
  number: z.number().int(),
  params: zParams,
  leaseExpiresAt: z.string(),
});

export const askTrial = orgProcedure("member")
  .input(ZStudyIdInput)
  .output(ZAskOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await askTrialDomain(
      {
        db: ctx.db.db,
        clock: ctx.options.clock,
        config: { askLeaseMs: ctx.options.askLeaseMs, optimizerTimeoutMs: ctx.options.optimizerTimeoutMs },
      },
      { scope: ctx.scope, studyId: input.studyId, actor: ctx.actor },
    );
    for (const e of r.events) ctx.events.publish(e);
    return {
      trialId: r.trialId,
      number: r.number,
      params: r.params as z.infer<typeof zParams>,
      leaseExpiresAt: iso(r.leaseExpiresAt),
    };
  });
