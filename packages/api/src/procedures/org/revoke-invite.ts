import { z } from "zod";
import { revokeInvitation, withTransaction, writeAudit } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { zId, zOk } from "../shared.js";

export const ZRevokeInviteInput = z.object({ id: zId }).strict();

export const revokeInvite = orgProcedure("admin", { tokens: "none" })
  .input(ZRevokeInviteInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    await withTransaction(ctx.db.db, async (tx) => {
      if (!(await revokeInvitation(tx, ctx.scope, { id: input.id, at: ctx.options.clock.now() }))) {
        throw notFound("Invitation");
      }
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "invitation.revoke",
        targetType: "invitation",
        targetId: input.id,
      });
    });
    return { ok: true as const };
  });
