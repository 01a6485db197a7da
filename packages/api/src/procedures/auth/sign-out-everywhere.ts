import { z } from "zod";
import { bumpSessionVersion, withTransaction, writeAudit } from "@autoglm/db/queries";
import { protectedProcedure } from "../../trpc.js";
import { zOk } from "../shared.js";

export const signOutEverywhere = protectedProcedure({ tokens: "none" })
  .input(z.void())
  .output(zOk)
  .mutation(async ({ ctx }) => {
    await withTransaction(ctx.db.db, async (tx) => {
      await bumpSessionVersion(tx, ctx.principal.user.id);
      await writeAudit(tx, { orgId: null, actor: ctx.actor, action: "user.sign_out_everywhere", targetType: "user", targetId: ctx.principal.user.id });
    });
    return { ok: true as const };
  });
