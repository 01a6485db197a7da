import { z } from "zod";
import { bumpSessionVersion, withTransaction, writeAudit } from "@autoglm/db/queries";
import { accessRevoked } from "../../events.js";
import { protectedProcedure } from "../../trpc.js";
import { zOk } from "../shared.js";

export const signOutEverywhere = protectedProcedure({ tokens: "none" })
  .input(z.void())
  .output(zOk)
  .mutation(async ({ ctx }) => {
    await withTransaction(ctx.db.db, async (tx) => {
      await bumpSessionVersion(tx, ctx.principal.user.id);
      await writeAudit(tx, {
        orgId: null,
        actor: ctx.actor,
        action: "user.sign_out_everywhere",
        targetType: "user",
        targetId: ctx.principal.user.id,
      });
    });
    // Open dashboard sockets close too; API tokens (agents) are not sessions and stay.
    ctx.events.publish(accessRevoked.sessionsEnded(ctx.principal.user.id, "sessions.ended"));
    return { ok: true as const };
  });
