import { z } from "zod";
import { revokeToken as revokeTokenRow, ROLE_RANK, withTransaction, writeAudit } from "@autoglm/db/queries";
import { accessRevoked } from "../../events.js";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { zId, zOk } from "../shared.js";

export const ZRevokeTokenInput = z.object({ id: zId }).strict();

/** Members revoke their own tokens; admins any of the team's. Another member's token reads as missing. */
export const revokeToken = orgProcedure("member", { tokens: "none" })
  .input(ZRevokeTokenInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const all = ROLE_RANK[ctx.org.role] >= ROLE_RANK.admin;
    await withTransaction(ctx.db.db, async (tx) => {
      const ok = await revokeTokenRow(tx, ctx.scope, {
        id: input.id,
        userId: all ? null : ctx.actor.userId,
        at: ctx.options.clock.now(),
      });
      if (!ok) throw notFound("Token");
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "token.revoke",
        targetType: "token",
        targetId: input.id,
      });
    });
    // Its agents close now, not at their next token re-check.
    ctx.events.publish(accessRevoked.tokenRevoked(input.id));
    return { ok: true as const };
  });
