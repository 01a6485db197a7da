import { z } from "zod";
import { enqueueTrial as enqueueTrialDomain } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { zId, zParams } from "../shared.js";

/**
 * Params as a user writes them; the study's space decides what fits (the scheduler checks).
 * 1,000 names bounds the object well past any space (S7) before the optimizer walks it.
 */
const zEnqueuedParams = z
  .record(z.string().max(200), z.union([z.string().max(1000), z.number(), z.boolean()]))
  .refine((p) => Object.keys(p).length <= 1000, "must have at most 1000 parameters");

export const ZEnqueueTrialInput = z.object({ studyId: zId, params: zEnqueuedParams }).strict();
export const ZEnqueueTrialOutput = z.object({ trialId: z.string(), number: z.number().int(), params: zParams });

/** Queues a trial with exactly these params: the study's next ask or agent lease gets it. */
export const enqueueTrial = orgProcedure("member")
  .input(ZEnqueueTrialInput)
  .output(ZEnqueueTrialOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await enqueueTrialDomain(
      { db: ctx.db.db, clock: ctx.options.clock },
      { scope: ctx.scope, studyId: input.studyId, params: input.params, actor: ctx.actor },
    );
    for (const e of r.events) ctx.events.publish(e);
    return { trialId: r.trialId, number: r.number, params: r.params };
  });
