import { z } from "zod";
import { tellTrial as tellTrialDomain } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { zId, zOk, zText } from "../shared.js";

export const ZTellInput = z
  .object({
    trialId: zId,
    value: z.number().finite("must be a finite number").optional(),
    /** One per objective, in spec order: a multi-objective study's result. */
    values: z.array(z.number().finite("must be a finite number")).min(1).max(4).optional(),
    /** Other metrics by name (a constraint's metric, e.g. `{memory_gb: 12}`). */
    metrics: z.record(z.string().min(1).max(100), z.number().finite("must be a finite number")).optional(),
    state: z.enum(["complete", "failed", "pruned"]).optional(),
    reason: zText(1000).optional(),
  })
  .strict();

export const tellTrial = orgProcedure("member")
  .input(ZTellInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const r = await tellTrialDomain(
      { db: ctx.db.db, clock: ctx.options.clock },
      {
        scope: ctx.scope,
        trialId: input.trialId,
        value: input.value,
        values: input.values,
        metrics: input.metrics,
        state: input.state,
        reason: input.reason,
        actor: ctx.actor,
      },
    );
    for (const e of r.events) ctx.events.publish(e);
    return { ok: true as const };
  });
