import { z } from "zod";
import { renewAskLease } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { iso } from "../shared.js";
import { ZTrialIdInput } from "./get-trial.js";

export const ZRenewLeaseOutput = z.object({ leaseExpiresAt: z.string() });

/**
 * `trial.renewLease`: the keep-alive of an ask-trial whose objective runs long between
 * reports (SDKs call it every third of the lease). Stores nothing else and publishes no
 * event: the dashboard shows nothing that changed.
 */
export const renewLease = orgProcedure("member")
  .input(ZTrialIdInput)
  .output(ZRenewLeaseOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await renewAskLease(
      { db: ctx.db.db, clock: ctx.options.clock, config: { askLeaseMs: ctx.options.askLeaseMs } },
      { scope: ctx.scope, trialId: input.trialId },
    );
    return { leaseExpiresAt: iso(r.leaseExpiresAt) };
  });
